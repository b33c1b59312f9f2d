"""Fits with ``n_jobs=1`` against ``n_jobs=2`` in one run: ``python -m benchmarks.multicore
[--repeats R] [--cases NAME ...] [--out DIR] [--name NAME]``.

Cases (issue 23, multi-core): dense 1M x 50 float64 with the squared hinge and the hinge
(binary), and the 10-class dense 100k x 100 one-vs-rest case with the same two losses (the
data of :mod:`benchmarks.cases`, default estimator settings, so ``solver="auto"``). Each case
fits once on its first 2000 rows (the numba compilation), then ``R`` times each with
``n_jobs=1`` and ``n_jobs=2``, alternating, so that both see the same load over the run. It
records each fit's wall time, the median and best per setting, the ratio of the medians, both
objectives and whether the coefficients are identical, and the load average before and after
each case (the machine may be shared). Writes ``benchmarks/results/NAME.{json,md}`` (default
``multicore``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

from hingeclf import HingeSVM, SquaredHingeSVM

from .cases import _dense
from .run import machine, write_results

CASES = {
    "dense-1M-x-50-f64 squared_hinge": (lambda: _dense(1_000_000, 50, np.float64),
                                        SquaredHingeSVM),
    "dense-1M-x-50-f64 hinge": (lambda: _dense(1_000_000, 50, np.float64), HingeSVM),
    "dense-10-class-100k-x-100 squared_hinge ovr": (
        lambda: _dense(100_000, 100, np.float64, 10), SquaredHingeSVM),
    "dense-10-class-100k-x-100 hinge ovr": (lambda: _dense(100_000, 100, np.float64, 10),
                                            HingeSVM),
}
N_JOBS = (1, 2)


def _fit(estimator, X, y, n_jobs):
    start = time.perf_counter()
    model = estimator(n_jobs=n_jobs).fit(X, y)
    return time.perf_counter() - start, model


def run_case(name, repeats):
    load, estimator = CASES[name]
    X, y = load()
    estimator(n_jobs=2).fit(X[:2000], y[:2000])  # (compilation)
    record = dict(case=name, estimator=estimator.__name__, shape=list(X.shape),
                  load_before=list(os.getloadavg()))
    times = {n: [] for n in N_JOBS}
    models = {}
    for _ in range(repeats):
        for n_jobs in N_JOBS:
            elapsed, models[n_jobs] = _fit(estimator, X, y, n_jobs)
            times[n_jobs].append(elapsed)
    record["load_after"] = list(os.getloadavg())
    for n_jobs in N_JOBS:
        record[f"times_{n_jobs}"] = times[n_jobs]
        record[f"median_s_{n_jobs}"] = statistics.median(times[n_jobs])
        record[f"best_s_{n_jobs}"] = min(times[n_jobs])
        record[f"objective_{n_jobs}"] = models[n_jobs].objective_
        record[f"solver_{n_jobs}"] = models[n_jobs].solver_
        record[f"converged_{n_jobs}"] = models[n_jobs].converged_
    one, two = models[1], models[2]
    record["speedup_median"] = record["median_s_1"] / record["median_s_2"]
    record["speedup_best"] = record["best_s_1"] / record["best_s_2"]
    record["identical"] = bool(np.array_equal(one.coef_, two.coef_)
                               and np.array_equal(one.intercept_, two.intercept_))
    print(f"[multicore] {name}: n_jobs=1 {record['median_s_1']:.2f} s, n_jobs=2 "
          f"{record['median_s_2']:.2f} s (median of {repeats}), x{record['speedup_median']:.2f}",
          file=sys.stderr, flush=True)
    return record


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.multicore")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    parser.add_argument("--name", default="multicore", help="the results files' name")
    args = parser.parse_args(argv)
    meta = dict(machine=machine(), command="python -m benchmarks.multicore " + " ".join(argv),
                load_average=list(os.getloadavg()), repeats=args.repeats)
    records = [run_case(name, args.repeats) for name in args.cases]
    meta["load_average_end"] = list(os.getloadavg())
    lines = [f"Wall time of `fit` with the default settings, n_jobs=1 and n_jobs=2 alternating, "
             f"{args.repeats} times each; speed-up = median n_jobs=1 / median n_jobs=2. The "
             "machine was shared with other engineers' jobs during the run: the load averages "
             "(1, 5, 15 min) before and after each case are given; with a load above the 2 "
             "cores the second thread competes with other processes and the speed-up is "
             "lower than on an idle machine.", "",
             "| case | solver | n_jobs=1 median (s) | n_jobs=2 median (s) | speed-up (median) "
             "| n_jobs=1 best (s) | n_jobs=2 best (s) | speed-up (best) | objective n_jobs=1 "
             "| objective n_jobs=2 | identical coef | load before | load after |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        lines.append(
            f"| {r['case']} | {r['solver_1']} | {r['median_s_1']:.2f} | {r['median_s_2']:.2f} "
            f"| {r['speedup_median']:.2f} | {r['best_s_1']:.2f} | {r['best_s_2']:.2f} "
            f"| {r['speedup_best']:.2f} | {r['objective_1']:.10g} | {r['objective_2']:.10g} "
            f"| {r['identical']} | {', '.join(f'{x:.1f}' for x in r['load_before'])} "
            f"| {', '.join(f'{x:.1f}' for x in r['load_after'])} |")
    write_results(args.out, args.name, meta, records, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
