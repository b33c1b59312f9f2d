"""
Three multiclass formulations side by side
==========================================

:class:`~hingeclf.MulticlassHingeSVM` with ``multi_class="crammer_singer"``,
``"weston_watkins"`` and ``"ovr"`` on a 2-D toy set with three classes; the decision regions are
those of ``argmax_k f_k(x)``. The dashed line in each class's colour is where that class's
score beats the best other score by exactly 1, ``f_k(x) = max_{j != k} f_j(x) + 1``: for
Crammer-Singer and Weston-Watkins a sample of class ``k`` has zero loss exactly when it lies
beyond the line of its class. One-vs-rest asks for more (``f_k >= 1`` and every other
``f_j <= -1``).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from hingeclf import MulticlassHingeSVM

X, y = make_blobs(n_samples=150, centers=[[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]],
                  cluster_std=1.2, random_state=0)
xx, yy = np.meshgrid(np.linspace(X[:, 0].min() - 1, X[:, 0].max() + 1, 300),
                     np.linspace(X[:, 1].min() - 1, X[:, 1].max() + 1, 300))
grid = np.c_[xx.ravel(), yy.ravel()]

fitted = {}
fig, axes = plt.subplots(1, 3, figsize=(13, 4.4), layout="constrained", sharey=True)
for ax, multi_class in zip(axes, ["crammer_singer", "weston_watkins", "ovr"]):
    clf = fitted[multi_class] = MulticlassHingeSVM(C=1.0, multi_class=multi_class).fit(X, y)
    scores = clf.decision_function(grid)
    regions = scores.argmax(axis=1).reshape(xx.shape)
    # region k in a light version of the colour of class k (Pastel1 and Set1 match)
    ax.contourf(xx, yy, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=plt.cm.Pastel1.colors[:3])
    for k in range(3):
        others = np.delete(scores, k, axis=1).max(axis=1)
        ax.contour(xx, yy, (scores[:, k] - others).reshape(xx.shape), levels=[1.0],
                   colors=[plt.cm.Set1(k)], linestyles="--", linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=[plt.cm.Set1(k) for k in y], s=16, edgecolors="k", lw=0.3)
    ax.set_title(f"{multi_class}\naccuracy {clf.score(X, y):.3f}, objective "
                 f"{clf.objective_:.2f}", fontsize=10)
plt.show()

# %%
# The three objectives are different functions, so their values are not comparable with
# each other; each estimator reports the value of its own. What each fit certified:
for multi_class, clf in fitted.items():
    print(f"{multi_class:15s} solver={clf.solver_} n_iter={clf.n_iter_} "
          f"converged={clf.converged_} duality_gap={clf.duality_gap_}")
