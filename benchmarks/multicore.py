"""Fits with ``n_jobs=1`` against ``n_jobs=2`` in one run: ``python -m benchmarks.multicore
[--repeats R] [--cases NAME ...] [--out DIR] [--name NAME] [--reference DIR]``.

Cases (issue 23, multi-core): dense 1M x 50 float64 with the squared hinge and the hinge
(binary), and the 10-class dense 100k x 100 one-vs-rest case with the same two losses (the
data of :mod:`benchmarks.cases`, default estimator settings, so ``solver="auto"``). Each case
fits once on its first 2000 rows (the numba compilation), then ``R`` times each with
``n_jobs=1`` and ``n_jobs=2``, alternating, so that both see the same load over the run. It
records each fit's wall time, the median and best per setting, the ratio of the medians, both
objectives and whether the coefficients are identical, and the load average before and after
each case (the machine may be shared). With ``--reference DIR`` (a checkout of another
version of the package, e.g. a worktree of main), each case's default fit (no ``n_jobs``) of
that version is also timed ``R`` times on the same data, in a subprocess importing the
package from ``DIR``, right after the case's own fits: the ratio ``n_jobs=1 / reference`` says
what the row blocks cost one thread. Writes ``benchmarks/results/NAME.{json,md}`` (default
``multicore``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from hingeclf import HingeSVM, SquaredHingeSVM
from hingeclf import _parallel

from .cases import _dense
from .run import machine, write_results

# name: (rows, features, classes, estimator); float64 data of benchmarks.cases._dense
SHAPES = {
    "dense-1M-x-50-f64 squared_hinge": (1_000_000, 50, 2, SquaredHingeSVM),
    "dense-1M-x-50-f64 hinge": (1_000_000, 50, 2, HingeSVM),
    "dense-10-class-100k-x-100 squared_hinge ovr": (100_000, 100, 10, SquaredHingeSVM),
    "dense-10-class-100k-x-100 hinge ovr": (100_000, 100, 10, HingeSVM),
}
CASES = {name: ((lambda n=n, d=d, k=k: _dense(n, d, np.float64, k)), estimator)
         for name, (n, d, k, estimator) in SHAPES.items()}
N_JOBS = (1, 2)


def _fit(estimator, X, y, n_jobs):
    """``(wall time, model, time spent in the work that n_jobs splits)``: the last is the
    time inside the outermost calls of ``Workers.map`` (row blocks, one-vs-rest problems)."""
    inside = [0.0, 0]
    original = _parallel.Workers.map

    def timed(self, function, items):
        inside[1] += 1
        start = time.perf_counter()
        try:
            return original(self, function, items)
        finally:
            inside[1] -= 1
            if inside[1] == 0:
                inside[0] += time.perf_counter() - start
    _parallel.Workers.map = timed
    try:
        start = time.perf_counter()
        model = estimator(n_jobs=n_jobs).fit(X, y)
        elapsed = time.perf_counter() - start
    finally:
        _parallel.Workers.map = original
    return elapsed, model, inside[0]


# the reference's fits, in a subprocess (argv: case name, repeats; prints JSON)
_REFERENCE = """
import json, sys, time
import numpy as np
import hingeclf
from sklearn.datasets import make_classification
n, d, n_classes = (int(v) for v in sys.argv[3:6])
estimator = getattr(hingeclf, sys.argv[1])
X, y = make_classification(n_samples=n, n_features=d, n_informative=max(2, d // 2),
                           n_classes=n_classes, n_clusters_per_class=1, random_state=0)
X = np.ascontiguousarray(X, dtype=np.float64)
estimator().fit(X[:2000], y[:2000])
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    model = estimator().fit(X, y)
    times.append(time.perf_counter() - start)
print(json.dumps(dict(times=times, objective=model.objective_)))
"""


def reference_fits(name, repeats, tree):
    """The times and objective of the default fits of the package in ``tree`` on the case
    (the data of :func:`benchmarks.cases._dense`, made again in the subprocess)."""
    n, d, n_classes, estimator = SHAPES[name]
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    done = subprocess.run([sys.executable, "-c", _REFERENCE, estimator.__name__, str(repeats),
                           str(n), str(d), str(n_classes)], env=env,
                          cwd=os.path.abspath(tree), capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_case(name, repeats, reference=None):
    load, estimator = CASES[name]
    X, y = load()
    estimator(n_jobs=2).fit(X[:2000], y[:2000])  # (compilation)
    record = dict(case=name, estimator=estimator.__name__, shape=list(X.shape),
                  load_before=list(os.getloadavg()))
    times = {n: [] for n in N_JOBS}
    shares = {n: [] for n in N_JOBS}
    models = {}
    for _ in range(repeats):
        for n_jobs in N_JOBS:
            elapsed, models[n_jobs], inside = _fit(estimator, X, y, n_jobs)
            times[n_jobs].append(elapsed)
            shares[n_jobs].append(inside / elapsed)
    record["load_after"] = list(os.getloadavg())
    for n_jobs in N_JOBS:
        record[f"times_{n_jobs}"] = times[n_jobs]
        record[f"median_s_{n_jobs}"] = statistics.median(times[n_jobs])
        record[f"best_s_{n_jobs}"] = min(times[n_jobs])
        record[f"split_share_{n_jobs}"] = statistics.median(shares[n_jobs])
        record[f"objective_{n_jobs}"] = models[n_jobs].objective_
        record[f"solver_{n_jobs}"] = models[n_jobs].solver_
        record[f"converged_{n_jobs}"] = models[n_jobs].converged_
    one, two = models[1], models[2]
    record["speedup_median"] = record["median_s_1"] / record["median_s_2"]
    record["speedup_best"] = record["best_s_1"] / record["best_s_2"]
    # Amdahl's bound on two threads from the share of the n_jobs=1 fit that splits
    record["two_thread_bound"] = 1.0 / (1.0 - record["split_share_1"] / 2.0)
    record["identical"] = bool(np.array_equal(one.coef_, two.coef_)
                               and np.array_equal(one.intercept_, two.intercept_))
    # where not identical (BLAS's own threads in the n_jobs=1 fit): by how much, relative
    full = [np.hstack([m.coef_, m.intercept_[:, None]]) for m in (one, two)]
    record["coef_max_difference"] = float(np.max(np.abs(full[0] - full[1]))
                                          / max(float(np.max(np.abs(full[0]))), 1e-300))
    record["objective_relative_difference"] = float(
        abs(one.objective_ - two.objective_) / max(abs(one.objective_), 1e-300))
    if reference is not None:
        del X, y  # (the subprocess loads its own copy)
        found = reference_fits(name, repeats, reference)
        record["times_reference"] = found["times"]
        record["median_s_reference"] = statistics.median(found["times"])
        record["objective_reference"] = found["objective"]
        record["one_over_reference"] = record["median_s_1"] / record["median_s_reference"]
        record["load_after_reference"] = list(os.getloadavg())
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
    parser.add_argument("--reference", default=None,
                        help="a checkout of another version whose default fits are timed too")
    args = parser.parse_args(argv)
    meta = dict(machine=machine(), command="python -m benchmarks.multicore " + " ".join(argv),
                load_average=list(os.getloadavg()), repeats=args.repeats,
                reference=args.reference)
    if args.reference is not None:
        meta["reference_commit"] = subprocess.run(
            ["git", "-C", args.reference, "rev-parse", "--short", "HEAD"], capture_output=True,
            text=True).stdout.strip()
    records = [run_case(name, args.repeats, args.reference) for name in args.cases]
    meta["load_average_end"] = list(os.getloadavg())
    ref = args.reference is not None
    lines = [f"Wall time of `fit` with the default settings, n_jobs=1 and n_jobs=2 alternating, "
             f"{args.repeats} times each; speed-up = median n_jobs=1 / median n_jobs=2"
             + (f"; reference = the default fit (no n_jobs) of the checkout {args.reference}"
                + (f" (commit {meta['reference_commit']})" if meta.get("reference_commit")
                   else "")
                + f", {args.repeats} times in a subprocess after the case's own fits"
                if ref else "")
             + ". split share = the median share of an n_jobs=1 fit's wall time spent in the "
             "work n_jobs splits (the outermost Workers.map calls: row blocks, one-vs-rest "
             "problems); bound = 1 / (1 - share / 2), Amdahl's bound on the speed-up with 2 "
             "threads if that work halved and the rest stayed"
             + ". The machine has 2 cores: the load averages (1, 5, 15 min) before and after "
             "each case say whether other processes shared it (above about 1, a second thread "
             "competes with them and the speed-up says little about an idle machine).", "",
             "| case | solver | n_jobs=1 median (s) | n_jobs=2 median (s) | speed-up (median) "
             "| n_jobs=1 best (s) | n_jobs=2 best (s) | speed-up (best) | objective n_jobs=1 "
             "| objective n_jobs=2 | identical coef | max coef difference (relative) "
             "| split share | bound | "
             + ("reference median (s) | n_jobs=1 / reference | objective reference | " if ref
                else "") + "load before | load after |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
             + ("---|---|---|" if ref else "")
             + "---|---|"]
    for r in records:
        lines.append(
            f"| {r['case']} | {r['solver_1']} | {r['median_s_1']:.2f} | {r['median_s_2']:.2f} "
            f"| {r['speedup_median']:.2f} | {r['best_s_1']:.2f} | {r['best_s_2']:.2f} "
            f"| {r['speedup_best']:.2f} | {r['objective_1']:.10g} | {r['objective_2']:.10g} "
            f"| {r['identical']} | {r['coef_max_difference']:.1e} | {r['split_share_1']:.3f} "
            f"| {r['two_thread_bound']:.2f} | "
            + (f"{r['median_s_reference']:.2f} | {r['one_over_reference']:.2f} "
               f"| {r['objective_reference']:.10g} | " if ref else "")
            + f"{', '.join(f'{x:.1f}' for x in r['load_before'])} "
            f"| {', '.join(f'{x:.1f}' for x in r['load_after'])} |")
    write_results(args.out, args.name, meta, records, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
