"""
Decision boundaries of the binary estimators
============================================

:class:`~hingeclf.HingeSVM` and :class:`~hingeclf.SquaredHingeSVM` on two overlapping clouds in
2-D, for a small and a large ``C``. The solid line is the decision boundary ``f(x) = 0``, the
dashed lines the margins ``f(x) = -1`` and ``f(x) = +1``. Circled points have margin
``y f(x) <= 1``: they are the samples whose loss is positive or that sit exactly on the margin,
the only ones that shape the solution.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.inspection import DecisionBoundaryDisplay

from hingeclf import HingeSVM, SquaredHingeSVM

X, y = make_blobs(n_samples=120, centers=[[-1.0, -0.5], [1.2, 0.8]], cluster_std=1.0,
                  random_state=3)
signs = np.where(y == 1, 1.0, -1.0)

fig, axes = plt.subplots(2, 2, figsize=(9, 8), layout="constrained", sharex=True, sharey=True)
for row, Estimator in enumerate([HingeSVM, SquaredHingeSVM]):
    for col, C in enumerate([0.01, 1.0]):
        ax = axes[row, col]
        clf = Estimator(C=C).fit(X, y)
        DecisionBoundaryDisplay.from_estimator(
            clf, X, response_method="decision_function", plot_method="contour", ax=ax,
            levels=[-1.0, 0.0, 1.0], colors="k", linestyles=["--", "-", "--"])
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=18, edgecolors="k", lw=0.3)
        margin = signs * clf.decision_function(X)
        on = margin <= 1.0 + 1e-8
        ax.scatter(X[on, 0], X[on, 1], s=80, facecolors="none", edgecolors="0.3", lw=0.8)
        gap = "none" if clf.duality_gap_ is None else f"{clf.duality_gap_:.1e}"
        ax.set_title(f"{Estimator.__name__}(C={C:g})\n{on.sum()} samples with margin <= 1, "
                     f"duality gap {gap}", fontsize=10)
plt.show()

# %%
# With a small ``C`` the penalty dominates: the margins are wide and many samples lie inside
# them. With a larger ``C`` the loss weighs more, the margins narrow and fewer samples shape
# the solution (the counts are in the titles).
