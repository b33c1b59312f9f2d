"""float32 against float64 fit times in one process: ``python -m benchmarks.dtype_ratio
[--n N] [--d D] [--repeats R]``.

Fits ``SquaredHingeSVM`` and ``HingeSVM`` (``fit_intercept=False``, default tol, one BLAS
thread unless the environment says otherwise) on the full suite's dense
``make_classification`` data in both dtypes, alternating, and prints the median times, their
ratio, Newton iterations and the certified duality gaps. It complements the full suite, whose
repeats alternate with the peers' fits. Writes ``benchmarks/results/dtype_ratio-N-x-D.{json,md}``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from hingeclf import HingeSVM, SquaredHingeSVM

from .cases import _dense
from .run import machine, write_results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dtype_ratio")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 1)))
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    X64, y = _dense(args.n, args.d, np.float64)
    X32 = X64.astype(np.float32)
    lines = [f"dense {args.n} x {args.d}, {args.threads} BLAS thread(s), median of "
             f"{args.repeats}", "",
             "| estimator | float64 (s) | float32 (s) | float32 / float64 | n_iter | "
             "duality gap |", "|---|---|---|---|---|---|"]
    records = []
    with threadpool_limits(args.threads):
        for cls in (SquaredHingeSVM, HingeSVM):
            for X in (X64, X32):  # compile (or load the cache) outside the timings
                cls(fit_intercept=False).fit(X[:500], y[:500])
            times = {np.float64: [], np.float32: []}
            fits = {}
            for _ in range(args.repeats):
                for X in (X64, X32):
                    start = time.perf_counter()
                    fits[X.dtype.type] = cls(fit_intercept=False).fit(X, y)
                    times[X.dtype.type].append(time.perf_counter() - start)
            t64, t32 = (float(np.median(times[t])) for t in (np.float64, np.float32))
            iters = "/".join(str(fits[t].n_iter_) for t in (np.float64, np.float32))
            gaps = "/".join(f"{fits[t].duality_gap_:.2g}" for t in (np.float64, np.float32))
            records.append(dict(estimator=cls.__name__, float64_s=t64, float32_s=t32,
                                n_iter=iters, duality_gap=gaps))
            lines.append(f"| {cls.__name__} | {t64:.3f} | {t32:.3f} | {t32 / t64:.2f} | "
                         f"{iters} | {gaps} |")
    meta = dict(machine=machine(), command="python -m benchmarks.dtype_ratio " + " ".join(
        argv if argv is not None else sys.argv[1:]), load_average=os.getloadavg())
    write_results(args.out, f"dtype_ratio-{args.n}-x-{args.d}", meta, records,
                  "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
