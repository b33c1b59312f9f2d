"""The array path against the compiled path on small problems, warm:
``python -m benchmarks.small_paths [--repeats 7] [--out DIR]``.

Below ``hingeclf._products.COMPILED_MIN_ROWS`` samples a fit runs numpy's array formulas (the
loss's methods, ``@`` products, a numpy gather for Newton's Gram blocks) instead of the compiled
kernels, so that a first fit compiles nothing. This measures what that costs once the kernels
are compiled and cached: each case is fitted with ``COMPILED_MIN_ROWS`` at its default (array
path where the case has fewer rows) and at 0 (every kernel compiled), after a warm-up of each,
the two alternating per repeat in one process; medians, and their ratio. Results go to
``small_paths.json`` and ``small_paths.md`` under ``--out``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn import datasets

import hingeclf
import hingeclf._products as products

from .run import machine, write_results

HERE = os.path.dirname(os.path.abspath(__file__))

# (data, estimator): the default fits whose auto solver is Newton on the array path
DATA_CASES = [("iris", "HingeSVM"), ("iris", "SquaredHingeSVM"), ("iris", "MulticlassHingeSVM"),
              ("breast_cancer", "HingeSVM"), ("breast_cancer", "SquaredHingeSVM"),
              ("digits", "SquaredHingeSVM")]
# synthetic binary problems around the threshold: rows, features
SIZES = [(1000, 20), (2000, 20), (4000, 20)]


def _synthetic(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0).astype(int)
    return X, y


def _cases():
    for data, name in DATA_CASES:
        X, y = getattr(datasets, "load_" + data)(return_X_y=True)
        yield data, name, X, y
    for n, d in SIZES:
        X, y = _synthetic(n, d)
        for name in ("HingeSVM", "SquaredHingeSVM"):
            yield f"synthetic {n}x{d}", name, X, y


def _fit(name, X, y, min_rows):
    products.COMPILED_MIN_ROWS = min_rows
    start = time.perf_counter()
    model = getattr(hingeclf, name)().fit(X, y)
    return time.perf_counter() - start, model


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.small_paths")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args(argv)
    default = products.COMPILED_MIN_ROWS
    meta = dict(machine=machine(), command="python -m benchmarks.small_paths " + " ".join(argv),
                compiled_min_rows=default, repeats=args.repeats,
                load_average=list(os.getloadavg()))
    records = []
    warnings.simplefilter("ignore")
    try:
        for data, name, X, y in _cases():
            times = {"default": [], "compiled": []}
            models = {}
            for side, rows in (("default", default), ("compiled", 0)):
                _fit(name, X, y, rows)  # warm-up (compiles on the compiled side)
            for _ in range(args.repeats):
                for side, rows in (("default", default), ("compiled", 0)):
                    seconds, models[side] = _fit(name, X, y, rows)
                    times[side].append(seconds)
            record = dict(data=data, estimator=name, n_samples=X.shape[0],
                          array_path=X.shape[0] < default,
                          default_s=float(np.median(times["default"])),
                          compiled_s=float(np.median(times["compiled"])),
                          objective_default=models["default"].objective_,
                          objective_compiled=models["compiled"].objective_,
                          gap_default=models["default"].duality_gap_,
                          gap_compiled=models["compiled"].duality_gap_)
            record["ratio"] = record["default_s"] / record["compiled_s"]
            print(f"[small_paths] {data} {name}: {record['default_s']:.3f} / "
                  f"{record['compiled_s']:.3f} s", file=sys.stderr, flush=True)
            records.append(record)
    finally:
        products.COMPILED_MIN_ROWS = default
    meta["load_average_end"] = list(os.getloadavg())
    lines = [f"Warm fits in one process, median of {args.repeats} (the two sides alternating): "
             f"*default* with `COMPILED_MIN_ROWS = {default}` (the array path below that many "
             "samples), *compiled* with `COMPILED_MIN_ROWS = 0` (every kernel compiled, after "
             "a warm-up that compiled them). The machine was shared with other jobs: the "
             "ratio, measured side by side, is the figure to read.", "",
             "| data | estimator | n | array path | default (s) | compiled (s) | ratio "
             "| objective default | objective compiled |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        lines.append(f"| {r['data']} | {r['estimator']} | {r['n_samples']} | "
                     f"{'yes' if r['array_path'] else 'no'} | {r['default_s']:.3f} | "
                     f"{r['compiled_s']:.3f} | {r['ratio']:.2f} | "
                     f"{r['objective_default']:.10g} | {r['objective_compiled']:.10g} |")
    write_results(args.out, "small_paths", meta, records, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
