"""Warm starts along a path of ``C``: ``python -m benchmarks.warm_path [--quick] [--out DIR]``.

What ``RegularizationPathCV`` does in each fold: fit ``C`` = 1e-3 .. 10 (9 values, log-spaced)
in turn with ``warm_start=True``, and compare the summed ``n_iter_`` with cold fits at the same
values, for every full-batch solver of the exact hinge on make_classification 5000 x 50
(binary) and standardised iris (Crammer-Singer, Weston-Watkins; ``dual_cd`` and the squared
hinge one-vs-rest too), at the default ``tol``. Iteration counts say whether a warm start saves
work, independently of the machine's load; summed fit times are there too, because the units
differ: the exact hinge's warm fits count the face solves of their path walk
(:mod:`hingeclf._solvers._path`), which on iris cost more than a compiled epoch. ``--quick``
(what a test runs): iris Crammer-Singer only, three values of ``C``, written to
``warm_path_quick.*``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_iris, make_classification
from sklearn.preprocessing import StandardScaler

from hingeclf import HingeSVM, MulticlassHingeSVM

from .run import machine, write_results

CS = np.logspace(-3, 1, 9)


def problems():
    """(name, estimator class, parameters, X, y, solvers)."""
    X, y = make_classification(5000, 50, n_informative=10, random_state=0)
    X_iris, y_iris = load_iris(return_X_y=True)
    X_iris = StandardScaler().fit_transform(X_iris)
    return [
        ("make_classification 5000 x 50, hinge", HingeSVM, {}, X, y,
         ("newton", "lbfgs", "dual_cd")),
        ("iris, Crammer-Singer", MulticlassHingeSVM, dict(multi_class="crammer_singer"),
         X_iris, y_iris, ("newton", "lbfgs", "fgd", "dual_cd")),
        ("iris, Weston-Watkins", MulticlassHingeSVM, dict(multi_class="weston_watkins"),
         X_iris, y_iris, ("newton", "lbfgs", "fgd")),
        ("iris, one-vs-rest hinge", MulticlassHingeSVM, dict(multi_class="ovr"),
         X_iris, y_iris, ("newton", "dual_cd")),
        ("iris, one-vs-rest squared hinge", MulticlassHingeSVM,
         dict(multi_class="ovr", loss="squared_hinge"), X_iris, y_iris,
         ("newton", "lbfgs", "dual_cd")),
    ]


def run(quick=False):
    records = []
    cs = CS[::4] if quick else CS
    chosen = [p for p in problems() if "Crammer" in p[0]] if quick else problems()
    for name, cls, params, X, y, solvers in chosen:
        for solver in solvers:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # (untimed: the first fit of a solver compiles and loads what the others reuse)
                cls(solver=solver, C=cs[0], **params).fit(X, y)
            warm = cls(solver=solver, warm_start=True, **params)
            n_warm = n_cold = 0
            t_warm = t_cold = 0.0
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for C in cs:
                    start = time.perf_counter()
                    warm.set_params(C=C).fit(X, y)
                    t_warm += time.perf_counter() - start
                    start = time.perf_counter()
                    cold = cls(solver=solver, C=C, **params).fit(X, y)
                    t_cold += time.perf_counter() - start
                    n_warm += int(np.max(warm.n_iter_))
                    n_cold += int(np.max(cold.n_iter_))
            records.append(dict(problem=name, solver=solver, warm=n_warm, cold=n_cold,
                                warm_seconds=t_warm, cold_seconds=t_cold))
            print(f"[warm_path] {name} {solver}: warm {n_warm}, cold {n_cold} "
                  f"({t_warm:.3f} s, {t_cold:.3f} s)", flush=True)
    return records


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.warm_path",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small subset (what CI runs)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    records = run(args.quick)
    cs = CS[::4] if args.quick else CS
    lines = [f"C = {', '.join(f'{c:.3g}' for c in cs)}; summed n_iter_ over the path, and "
             f"summed fit times (one run each, on a shared machine: noisy).", "",
             "| problem | solver | warm | cold | warm / cold | warm s | cold s | time warm / cold |",
             "|---|---|---|---|---|---|---|---|"]
    for r in records:
        lines.append(f"| {r['problem']} | {r['solver']} | {r['warm']} | {r['cold']} | "
                     f"{r['warm'] / max(r['cold'], 1):.2f} | {r['warm_seconds']:.3f} | "
                     f"{r['cold_seconds']:.3f} | "
                     f"{r['warm_seconds'] / max(r['cold_seconds'], 1e-9):.2f} |")
    meta = dict(machine=machine(), command="python -m benchmarks.warm_path " + " ".join(argv),
                load_average=os.getloadavg())
    write_results(args.out, "warm_path_quick" if args.quick else "warm_path", meta, records,
                  "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
