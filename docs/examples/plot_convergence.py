"""
Convergence of the solvers
==========================

Objective gap against wall time for every registered solver on one problem: the squared hinge
on 500 x 50 synthetic data with an intercept, ``C = 1``. Each point is a separate fit with a
larger ``max_iter`` (iterations, or epochs for ``"sgd"``) and ``tol=0``, so each point shows
what that budget buys (its time is the best of three fits); the gap is measured against the
best objective any fit reached.

Separate fits do not make a trajectory: a larger budget can take a little less time than a
smaller one (timing noise, or a solver that stops before its budget on an exact optimum), so
joining the points in the order of the budgets would draw lines that go back in time. Each
line therefore joins only the fits that no faster fit of the same solver beat (sorted by time,
each one with a lower gap than all those before it): read it as "the best gap this solver
reached within that time". The faint points are all the fits.

The solver list comes from the registry ``hingeclf._solvers.SOLVERS``, so a new solver
appears here without editing this example.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from hingeclf import SquaredHingeSVM
from hingeclf._solvers import SOLVERS

X, y = make_classification(n_samples=500, n_features=50, n_informative=10, random_state=0)
X = StandardScaler().fit_transform(X)

budgets = {"sgd": [1, 2, 4, 8, 16]}
default_budgets = [1, 2, 3, 5, 8, 12, 20, 30, 50, 80, 130, 200]

# the solvers of the L2 penalty (``cd`` is for L1 and elastic-net)
L2_SOLVERS = [name for name, spec in SOLVERS.items() if "l2" in spec.penalties]

curves = {}
for name in L2_SOLVERS:
    points = []
    for max_iter in budgets.get(name, default_budgets):
        clf = SquaredHingeSVM(C=1.0, solver=name, tol=0.0, max_iter=max_iter, random_state=0)
        elapsed = []
        for _ in range(3):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                start = time.perf_counter()
                clf.fit(X, y)
                elapsed.append(time.perf_counter() - start)
        points.append((min(elapsed), clf.objective_, clf.n_iter_))
    curves[name] = np.array(points)

best = min(c[:, 1].min() for c in curves.values())
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
for i, (name, c) in enumerate(curves.items()):
    gap = np.maximum((c[:, 1] - best) / abs(best), 1e-16)
    order = np.argsort(c[:, 0], kind="stable")
    times, gaps = c[order, 0], gap[order]
    # the fits not beaten by a faster one: time increases and the gap decreases along them
    front = gaps < np.minimum.accumulate(np.concatenate([[np.inf], gaps[:-1]]))
    ax.loglog(times, gaps, "o", ms=3, color=f"C{i}", alpha=0.3)
    ax.loglog(times[front], gaps[front], "o-", ms=3, color=f"C{i}", label=name)
ax.set(xlabel="fit time (s)", ylabel="(P - P_best) / P_best",
       title="squared hinge, 500 x 50, C = 1 (each point: one fit)")
ax.grid(alpha=0.3, which="both")
ax.legend()
plt.show()

# %%
# The fit with the largest budget of each solver:
for name, c in curves.items():
    print(f"{name:8s} time {c[-1, 0]:.3f} s, n_iter {int(c[-1, 2]):4d}, "
          f"relative gap {(c[-1, 1] - best) / abs(best):.1e}")

# %%
# With its default ``tol``, each solver stops by its own rule (see the user guide's page on
# solvers); the fitted attributes say how it ended:
for name in L2_SOLVERS:
    clf = SquaredHingeSVM(C=1.0, solver=name, random_state=0).fit(X, y)
    print(f"{name:8s} n_iter_={clf.n_iter_:4d} converged_={clf.converged_} "
          f"duality_gap_={clf.duality_gap_} objective gap "
          f"{(clf.objective_ - best) / abs(best):.1e}")
