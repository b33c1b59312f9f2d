"""What ``solver="auto"`` rests on: ``python -m benchmarks.auto_rule [--large] [--out DIR]``.

Fits the L2 hinge and squared hinge with each full-batch solver that ``auto`` chooses between,
once each, at the default ``tol`` and ``max_iter``, with and without intercept, on bundled and
synthetic sets (dense binary make_classification as ``benchmarks.cases`` makes it, unscaled and
standardised breast_cancer, digits one-vs-rest, iris one-vs-rest, sparse 2000 x 2000 at 1%;
``--large`` adds dense 100000 x 100). Reports the wall time of the fit (numba compiled before,
on a slice), the objective, whether the solver met its stopping rule, and its ``n_iter_``.
One fit per cell: these are the measurements behind a rule, not a timing benchmark (that is
``python -m benchmarks``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.preprocessing import StandardScaler

from hingeclf import HingeSVM, SquaredHingeSVM

from . import cases
from .run import machine, write_results

SOLVERS = {"hinge": ("newton", "dual_cd"), "squared_hinge": ("lbfgs", "newton", "dual_cd")}


def data_sets(large):
    X_bc, y_bc = load_breast_cancer(return_X_y=True)
    X_d, y_d = load_digits(return_X_y=True)
    sets = {
        "breast_cancer standardised": lambda: (StandardScaler().fit_transform(X_bc), y_bc),
        "breast_cancer unscaled": lambda: (X_bc, y_bc),
        "digits (ovr)": lambda: (X_d / 16.0, y_d),
        "iris (ovr)": lambda: load_iris(return_X_y=True),
        "dense 2000 x 20": lambda: cases._dense(2_000, 20, np.float64),
        "dense 20000 x 50": lambda: cases._dense(20_000, 50, np.float64),
        "sparse 2000 x 2000 1%": lambda: cases._sparse(2_000, 2_000, 0.01),
    }
    if large:
        sets["dense 100000 x 100"] = lambda: cases._dense(100_000, 100, np.float64)
    return sets


def _compile():
    """numba compiles (or loads from its cache) dual_cd's kernels outside the timed fits."""
    Xd, yd = cases._dense(200, 5, np.float64)
    Xs, ys = cases._sparse(200, 50, 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for X, y in [(Xd, yd), (Xs, ys)]:
            for cls in (HingeSVM, SquaredHingeSVM):
                for fit_intercept in (True, False):
                    cls(solver="dual_cd", fit_intercept=fit_intercept).fit(X, y)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.auto_rule",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--large", action="store_true", help="add dense 100000 x 100")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    records = []
    _compile()
    for name, load in data_sets(args.large).items():
        X, y = load()
        print(f"[auto_rule] {name}", file=sys.stderr, flush=True)
        for loss, solvers in SOLVERS.items():
            cls = HingeSVM if loss == "hinge" else SquaredHingeSVM
            for fit_intercept in (True, False):
                # what a fit would choose: the rule counts the outputs of the fitted problem
                probe = cls(fit_intercept=fit_intercept)
                probe.classes_ = np.unique(y)
                chosen = probe._resolve_solver(probe._make_loss(len(probe.classes_)), X)
                for solver in solvers:
                    est = cls(solver=solver, fit_intercept=fit_intercept)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        start = time.perf_counter()
                        est.fit(X, y)
                        elapsed = time.perf_counter() - start
                    records.append(dict(data=name, loss=loss, fit_intercept=fit_intercept,
                                        solver=solver, auto=solver == chosen, time_s=elapsed,
                                        objective=float(est.objective_),
                                        converged=bool(est.converged_),
                                        n_iter=int(np.max(est.n_iter_))))
    lines = ["| data | loss | intercept | solver | auto's choice | time (s) | objective | "
             "converged | n_iter |", "|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        lines.append(f"| {r['data']} | {r['loss']} | {r['fit_intercept']} | {r['solver']} | "
                     f"{'yes' if r['auto'] else ''} | {r['time_s']:.3f} | "
                     f"{r['objective']:.8g} | {r['converged']} | {r['n_iter']} |")
    meta = dict(machine=machine(), command="python -m benchmarks.auto_rule " + " ".join(
        argv if argv is not None else sys.argv[1:]), load_average=os.getloadavg())
    write_results(args.out, "auto_rule", meta, records, "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
