"""
A penalised intercept on data far from the origin
=================================================

The same two-class data, once centred and once shifted by 100 in both features.
:class:`~hingeclf.HingeSVM` does not penalise its intercept, so shifting the data only shifts
the intercept. :class:`sklearn.svm.LinearSVC` penalises its intercept (through
``intercept_scaling``, default 1), so on the shifted data its intercept is pulled towards 0 and
the boundary moves. The output notes any ``ConvergenceWarning`` a fit raised.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.svm import LinearSVC

from hingeclf import HingeSVM

X, y = make_blobs(n_samples=200, centers=[[-1.5, 0.0], [1.5, 0.5]], cluster_std=1.0,
                  random_state=1)
shift = np.array([100.0, 100.0])

fig, axes = plt.subplots(1, 2, figsize=(10, 4.3), layout="constrained")
for ax, offset in zip(axes, [np.zeros(2), shift]):
    Xs = X + offset
    ax.scatter(Xs[:, 0], Xs[:, 1], c=y, cmap="coolwarm", s=14, edgecolors="k", lw=0.3)
    xs = np.linspace(Xs[:, 0].min(), Xs[:, 0].max(), 50)
    for clf, style in [(HingeSVM(C=1.0), "-"),
                       (LinearSVC(C=1.0, loss="hinge", dual=True, max_iter=100_000), "--")]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clf.fit(Xs, y)
        note = "  (ConvergenceWarning)" if caught else ""
        (w1, w2), b = clf.coef_[0], clf.intercept_[0]
        ax.plot(xs, -(w1 * xs + b) / w2, style, color="k",
                label=f"{type(clf).__name__}: accuracy {clf.score(Xs, y):.3f}")
        print(f"offset {offset[0]:5.0f}  {type(clf).__name__:9s} coef {clf.coef_[0].round(3)} "
              f"intercept {b:9.3f}  accuracy {clf.score(Xs, y):.3f}{note}")
    ax.set(ylim=(Xs[:, 1].min() - 1, Xs[:, 1].max() + 1),
           title=f"data shifted by {offset[0]:g}")
    ax.legend(fontsize=8, loc="lower right")
plt.show()
