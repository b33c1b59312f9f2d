"""How the fit time of ``AllPairsSquaredHingeSVM`` grows with n: ``python -m benchmarks.allpairs_scaling``.

Options: ``--quick`` (tiny sizes, what the tests run), ``--repeats R`` (fits per size, median
reported), ``--blas-threads T`` (default 1), ``--out DIR`` (default ``benchmarks/results``). Writes ``allpairs_scaling.json`` and
``allpairs_scaling.md`` (``allpairs_scaling_quick.*`` with ``--quick``).

Data: ``n`` samples, 20 standard normal features, 2% positives (the top 2% of a noisy linear
score), float64, the same generator for every ``n`` (seed 0). The model: default parameters
except ``C=10`` (the same ``C`` at every ``n``: the loss is a mean over pairs, so the problem
approaches its population version and the iteration count stays about constant). For each
``n`` it reports the median wall time of a whole ``fit`` (solver, exact finish and intercept),
the iterations, the time of one evaluation of the loss and gradient at the solution (the
O(n log n) kernel plus two products with ``X``), ``time / (n log2 n)``, and the slopes of
``log time`` against ``log n`` fitted by least squares. For ``t = c n log n`` the local slope is
``1 + 1 / ln n``: 1.11 at ``n = 10^4``, 1.07 at ``n = 10^6``; a slope near 2 would mean
quadratic growth. One untimed fit on the smallest size runs first (warm-up).

BLAS runs single-threaded by default: the fit's products with ``X`` are matrix-vector products
(memory-bound), and on a machine shared with other jobs multi-threaded BLAS measures the
contention rather than the algorithm (n = 10^5 on the 2-core machine of the committed results,
load average about 8: 2.3 to 9.8 s per fit with the default threads, 0.5 to 0.6 s with one).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from hingeclf import AllPairsSquaredHingeSVM
from hingeclf._allpairs import AllPairsObjective

FULL_SIZES = [10_000, 31_623, 100_000, 316_228, 1_000_000]
QUICK_SIZES = [500, 1_000, 2_000]
N_FEATURES = 20
POSITIVE_RATE = 0.02
C = 10.0


def make_data(n, seed=0):
    """``n`` x 20 float64 features; the positives are the top 2% of a noisy linear score."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, N_FEATURES))
    w_true = np.linspace(1.0, -1.0, N_FEATURES)
    score = X @ w_true + 2.0 * rng.standard_normal(n)
    y = (score > np.quantile(score, 1.0 - POSITIVE_RATE)).astype(int)
    return X, y


def _fit(X, y):
    model = AllPairsSquaredHingeSVM(C=C)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unconverged fit must not pass for a timing
        start = time.perf_counter()
        model.fit(X, y)
        return model, time.perf_counter() - start


def measure(n, repeats):
    X, y = make_data(n)
    times = []
    for _ in range(repeats):
        model, elapsed = _fit(X, y)
        times.append(elapsed)
    objective = AllPairsObjective(X, y == 1, C)
    start = time.perf_counter()
    n_eval = 3
    for _ in range(n_eval):
        objective.value_gradient(model.coef_)
    eval_s = (time.perf_counter() - start) / n_eval
    t = float(np.median(times))
    return dict(n_samples=n, n_features=N_FEATURES, n_positives=int(y.sum()), time_s=t,
                times_s=times, n_iter=int(model.n_iter_), converged=bool(model.converged_),
                solver=model.solver_, objective=float(model.objective_),
                eval_s=eval_s, ns_per_n_log2_n=1e9 * t / (n * np.log2(n)))


def slope(records, key):
    """Least-squares slope of ``log(record[key])`` against ``log(n)``."""
    n = np.array([r["n_samples"] for r in records], dtype=float)
    t = np.array([r[key] for r in records], dtype=float)
    return float(np.polyfit(np.log(n), np.log(t), 1)[0])


def markdown(records, meta):
    lines = [f"Machine: {meta['machine']}; command: `{meta['command']}`; median of "
             f"{meta['repeats']} fit(s) per size; BLAS threads: {meta['blas_threads']}; "
             f"load average at the end {meta['load_average'][0]:.1f} "
             "(other jobs share the machine).", "",
             "| n | positives | fit time (s) | iterations | one loss+gradient (s) | "
             "fit time / (n log2 n) (ns) |", "|---|---|---|---|---|---|"]
    for r in records:
        lines.append(f"| {r['n_samples']} | {r['n_positives']} | {r['time_s']:.3f} | "
                     f"{r['n_iter']} | {r['eval_s']:.4f} | {r['ns_per_n_log2_n']:.1f} |")
    lines += ["", f"Fitted slope of log(fit time) vs log(n): {meta['slope_fit_time']:.3f}; "
              f"of log(one loss+gradient) vs log(n): {meta['slope_eval_time']:.3f} "
              "(n log n gives 1.07 to 1.11 over this range; n^2 gives 2)."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.allpairs_scaling",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (what the tests run)")
    parser.add_argument("--repeats", type=int, default=None, help="fits per size")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads during the fits (default 1; 0: leave as it is)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    repeats = args.repeats or (1 if args.quick else 3)
    if repeats < 1:
        parser.error("--repeats must be at least 1")
    limits = (threadpool_limits(args.blas_threads, user_api="blas") if args.blas_threads > 0
              else None)
    try:
        _fit(*make_data(sizes[0]))  # warm-up, untimed
        records = []
        for n in sizes:
            print(f"[allpairs_scaling] n = {n}", file=sys.stderr, flush=True)
            records.append(measure(n, repeats))
    finally:
        if limits is not None:
            limits.restore_original_limits()
    meta = dict(machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                        f"Python {platform.python_version()}",
                command=" ".join(["python -m benchmarks.allpairs_scaling", *argv]),
                repeats=repeats, C=C, blas_threads=args.blas_threads or "default",
                load_average=list(os.getloadavg()), slope_fit_time=slope(records, "time_s"),
                slope_eval_time=slope(records, "eval_s"))
    stem = "allpairs_scaling_quick" if args.quick else "allpairs_scaling"
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, stem + ".json"), "w") as f:
        json.dump(dict(meta=meta, records=records), f, indent=1)
    table = markdown(records, meta)
    with open(os.path.join(args.out, stem + ".md"), "w") as f:
        f.write(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
