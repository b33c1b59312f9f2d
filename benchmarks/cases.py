"""Data sets, the objective that defines "how good", and the solvers compared.

Every fit uses ``fit_intercept=False``, so that all solvers minimise the same objective
``1/2 ||W||^2 + C sum_i loss_i`` (LinearSVC penalises its intercept; ours is unpenalised), and
every model is scored by :func:`objective` on its own ``coef_``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_classification
from sklearn.linear_model import SGDClassifier
from sklearn.svm import LinearSVC

from hingeclf import AllPairsSquaredHingeSVM, HingeSVM, MulticlassHingeSVM, SquaredHingeSVM

C = 1.0
# the all-pairs loss is a mean over pairs (it does not grow with n): a larger C, as
# benchmarks/allpairs_scaling.py uses
ALL_PAIRS_C = 10.0


def _dense(n, d, dtype, n_classes=2):
    X, y = make_classification(n_samples=n, n_features=d, n_informative=max(2, d // 2),
                               n_classes=n_classes, n_clusters_per_class=1, random_state=0)
    return np.ascontiguousarray(X, dtype=dtype), y


def _sparse(n, d, density):
    rng = np.random.default_rng(0)
    # k uniform random columns per row (duplicates summed): scipy.sparse.random draws its
    # positions without replacement over all n * d cells, which needs n * d memory
    k = max(1, int(round(density * d)))
    rows = np.repeat(np.arange(n), k)
    cols = rng.integers(0, d, size=n * k)
    X = sp.csr_matrix((rng.uniform(size=n * k), (rows, cols)), shape=(n, d))
    X.sum_duplicates()
    w = rng.normal(size=d)
    score = X @ w
    y = (score + 0.5 * rng.normal(size=n) * score.std() > 0).astype(int)
    return X, y


def _ranked(n, d):
    """``n`` x ``d`` standard normal features; the positives are the top 2% of a noisy linear
    score (an unbalanced ranking problem for the all-pairs loss)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    score = X @ rng.normal(size=d) + rng.normal(size=n)
    return X, (score > np.quantile(score, 0.98)).astype(int)


def _digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


# name -> (loader, loss family); sizes as the issue lists them, and tiny ones for --quick
FULL = {
    "dense-100k-x-100-f64": (lambda: _dense(100_000, 100, np.float64), "binary"),
    "dense-100k-x-100-f32": (lambda: _dense(100_000, 100, np.float32), "binary"),
    "dense-1M-x-50-f64": (lambda: _dense(1_000_000, 50, np.float64), "binary"),
    "dense-1M-x-50-f32": (lambda: _dense(1_000_000, 50, np.float32), "binary"),
    "sparse-100k-x-100k-0.1%": (lambda: _sparse(100_000, 100_000, 0.001), "sparse binary"),
    "dense-10-class-100k-x-100": (lambda: _dense(100_000, 100, np.float64, 10), "multiclass"),
    "digits": (_digits, "multiclass"),
}
QUICK = {
    "dense-2k-x-20-f64": (lambda: _dense(2_000, 20, np.float64), "binary"),
    "dense-2k-x-20-f32": (lambda: _dense(2_000, 20, np.float32), "binary"),
    "sparse-2k-x-2k-1%": (lambda: _sparse(2_000, 2_000, 0.01), "sparse binary"),
    "digits": (_digits, "multiclass"),
}
# the all-pairs model, compared between revisions (python -m benchmarks.compare --suite allpairs)
ALL_PAIRS = {
    "allpairs-100k-x-20": (lambda: _ranked(100_000, 20), "all pairs"),
}
SUITES = {"full": FULL, "quick": QUICK, "allpairs": ALL_PAIRS}


def solvers(family, n_samples):
    """(name, loss, factory) of every configuration compared on a family of data."""
    # SGDClassifier's alpha for the same objective (docs/user_guide/objective.rst)
    alpha = 1.0 / (C * n_samples)
    if family == "all pairs":
        return [(f"hingeclf AllPairsSquaredHingeSVM {solver}", "all_pairs",
                 lambda solver=solver: AllPairsSquaredHingeSVM(ALL_PAIRS_C, solver=solver,
                                                               fit_intercept=False))
                for solver in ("auto", "fgd", "newton")]
    if family in ("binary", "sparse binary"):
        # dual coordinate descent only on sparse data: on dense data with n >> d it does not
        # converge within max_iter (python -m benchmarks.auto_rule), and auto does not use it.
        # The squared hinge also at tol=1e-6: the default tol (a relative duality gap of 1e-4)
        # stops it 6e-6 above the best objective, outside that loss's 1e-6 bound for the ratio
        dual = [("hingeclf SquaredHingeSVM dual_cd", "squared_hinge",
                 lambda: SquaredHingeSVM(C, solver="dual_cd", fit_intercept=False)),
                ("hingeclf SquaredHingeSVM dual_cd tol=1e-6", "squared_hinge",
                 lambda: SquaredHingeSVM(C, solver="dual_cd", tol=1e-6, fit_intercept=False)),
                ("hingeclf HingeSVM dual_cd", "hinge",
                 lambda: HingeSVM(C, solver="dual_cd", fit_intercept=False))]
        dual = dual if family == "sparse binary" else []
        return dual + [
            ("hingeclf SquaredHingeSVM auto", "squared_hinge",
             lambda: SquaredHingeSVM(C, fit_intercept=False)),
            ("hingeclf SquaredHingeSVM lbfgs", "squared_hinge",
             lambda: SquaredHingeSVM(C, solver="lbfgs", fit_intercept=False)),
            ("hingeclf SquaredHingeSVM newton", "squared_hinge",
             lambda: SquaredHingeSVM(C, solver="newton", fit_intercept=False)),
            ("LinearSVC squared_hinge primal", "squared_hinge",
             lambda: LinearSVC(C=C, loss="squared_hinge", dual=False, fit_intercept=False)),
            ("LinearSVC squared_hinge dual", "squared_hinge",
             lambda: LinearSVC(C=C, loss="squared_hinge", dual=True, fit_intercept=False)),
            ("SGDClassifier squared_hinge", "squared_hinge",
             lambda: SGDClassifier(loss="squared_hinge", alpha=alpha, fit_intercept=False,
                                   random_state=0)),
            ("hingeclf HingeSVM auto", "hinge",
             lambda: HingeSVM(C, fit_intercept=False)),
            ("hingeclf HingeSVM newton", "hinge",
             lambda: HingeSVM(C, solver="newton", fit_intercept=False)),
            ("LinearSVC hinge dual", "hinge",
             lambda: LinearSVC(C=C, loss="hinge", dual=True, fit_intercept=False)),
            ("SGDClassifier hinge", "hinge",
             lambda: SGDClassifier(loss="hinge", alpha=alpha, fit_intercept=False,
                                   random_state=0)),
        ]
    return [
        ("hingeclf SquaredHingeSVM (ovr) auto", "ovr_squared_hinge",
         lambda: SquaredHingeSVM(C, fit_intercept=False)),
        ("hingeclf SquaredHingeSVM (ovr) lbfgs", "ovr_squared_hinge",
         lambda: SquaredHingeSVM(C, solver="lbfgs", fit_intercept=False)),
        ("LinearSVC ovr squared_hinge primal", "ovr_squared_hinge",
         lambda: LinearSVC(C=C, loss="squared_hinge", dual=False, fit_intercept=False)),
        ("hingeclf SquaredHingeSVM (ovr) dual_cd", "ovr_squared_hinge",
         lambda: SquaredHingeSVM(C, solver="dual_cd", fit_intercept=False)),
        ("hingeclf MulticlassHingeSVM crammer_singer auto", "crammer_singer",
         lambda: MulticlassHingeSVM(C, fit_intercept=False)),
        ("hingeclf MulticlassHingeSVM crammer_singer newton", "crammer_singer",
         lambda: MulticlassHingeSVM(C, solver="newton", fit_intercept=False)),
        ("hingeclf MulticlassHingeSVM crammer_singer dual_cd", "crammer_singer",
         lambda: MulticlassHingeSVM(C, solver="dual_cd", fit_intercept=False)),
        ("LinearSVC crammer_singer", "crammer_singer",
         lambda: LinearSVC(C=C, multi_class="crammer_singer", fit_intercept=False)),
    ]


def objective(loss, X, y, coef):
    """``1/2 ||W||^2 + C sum_i loss_i(W x_i)`` in float64 for a fitted ``coef_`` (for the
    all-pairs loss ``1/2 ||w||^2 + ALL_PAIRS_C L``, ``L`` its mean over the pairs)."""
    classes, y_index = np.unique(y, return_inverse=True)
    W = np.asarray(coef, dtype=np.float64)
    F = np.asarray(X @ W.T, dtype=np.float64)
    if loss == "all_pairs":
        from hingeclf.metrics import all_pairs_squared_hinge_loss
        return (0.5 * float(np.sum(W * W))
                + ALL_PAIRS_C * float(all_pairs_squared_hinge_loss(y_index, F[:, 0])))
    if loss in ("hinge", "squared_hinge"):
        z = np.where(y_index == 1, 1.0, -1.0) * F[:, 0]
        h = np.maximum(0.0, 1.0 - z)
        value = np.sum(h if loss == "hinge" else h * h)
    elif loss == "ovr_squared_hinge":
        t = -np.ones_like(F)
        t[np.arange(len(y)), y_index] = 1.0
        value = np.sum(np.maximum(0.0, 1.0 - t * F) ** 2)
    else:  # crammer_singer
        rows = np.arange(len(y))
        V = 1.0 + F - F[rows, y_index][:, None]
        V[rows, y_index] = 0.0
        value = np.sum(np.maximum(0.0, V.max(axis=1)))
    return 0.5 * float(np.sum(W * W)) + C * float(value)
