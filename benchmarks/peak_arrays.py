"""Where a fit's memory peaks: ``python -m benchmarks.peak_arrays [--n N] [--d D] [--f32]``.

Fits ``SquaredHingeSVM()`` and ``HingeSVM()`` (defaults, one BLAS thread not enforced) on dense
``make_classification(n_samples=N, n_features=D)`` under ``tracemalloc`` and prints, per
estimator, the peak of the memory numpy allocated during the fit in units of one float64 array
of length N (the data itself is ``D`` of them and is not counted), and the call stack at the
moment the peak was reached (found by a profile hook that checks the peak at every return, so
the run is several times slower than a plain fit). A warm-up fit on 300 rows first keeps JIT
compilation out of it. Complements the full suite's peak extra resident memory
(``python -m benchmarks``), which measures the same thing as the operating system sees it.
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
import traceback

import numpy as np
from sklearn.datasets import make_classification

from hingeclf import HingeSVM, SquaredHingeSVM


def peak_of_fit(estimator, X, y, depth=6):
    """``(peak bytes, call stack at the peak)`` of ``estimator.fit(X, y)``."""
    best = [0, []]

    def hook(frame, event, arg):
        if event in ("return", "c_return"):
            peak = tracemalloc.get_traced_memory()[1]
            if peak > best[0]:
                best[0] = peak
                best[1] = [f"{f.f_code.co_filename.rsplit('/', 1)[-1]}:{line} {f.f_code.co_name}"
                           for f, line in traceback.walk_stack(frame)][:depth]

    tracemalloc.start()
    sys.setprofile(hook)
    try:
        estimator.fit(X, y)
    finally:
        sys.setprofile(None)
        tracemalloc.stop()
    return best[0], best[1]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peak_arrays")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--f32", action="store_true", help="float32 data")
    args = parser.parse_args(argv)
    X, y = make_classification(n_samples=args.n, n_features=args.d, random_state=0)
    if args.f32:
        X = X.astype(np.float32)
    unit = args.n * 8
    print(f"dense {args.n} x {args.d} {X.dtype}: data = {X.nbytes / unit:.1f} float64 arrays "
          f"of length n ({X.nbytes / 2**20:.1f} MB)")
    for cls in (SquaredHingeSVM, HingeSVM):
        cls().fit(X[:300], y[:300])  # compile (or load the JIT cache) outside the measurement
        peak, stack = peak_of_fit(cls(), X, y)
        print(f"{cls.__name__}: peak {peak / unit:.2f} arrays ({peak / 2**20:.1f} MB, "
              f"{peak / X.nbytes:.3f} x data) at")
        for line in stack:
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
