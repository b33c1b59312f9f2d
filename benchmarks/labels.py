"""String labels against integer labels: ``python -m benchmarks.labels [--rows N]
[--repeats R] [--out DIR]``.

The case of issue 22 item 5: a fit with string (object) labels should take at most 1.2 times
as long as the same fit with integer labels. Dense ``N x 10`` float64 data (default 200000
rows), three classes, the labels as int64, as an object array of Python strings and as a
fixed-width string array; for each, the median over ``R`` repeats (in turn, so each kind sees
the same load) of ``HingeSVM().fit``, ``predict`` and ``score``, and of the label handling
alone (``hingeclf._base.encode_targets``: scikit-learn's target check and the encoding), with
what ``np.unique(y, return_inverse=True)`` (one sort of the labels) takes beside it.
``ratio`` is each kind's fit time over the integer labels'.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

from hingeclf import HingeSVM
from hingeclf._base import encode_targets

from .run import machine, write_results

NAMES = np.array(["setosa", "versicolor", "virginica"])


def data(n_rows):
    rng = np.random.RandomState(0)
    X = rng.randn(n_rows, 10)
    index = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)
    return X, {"int": index, "object (str)": NAMES.astype(object)[index],
               "fixed-width str": NAMES[index]}


def _time(f):
    start = time.perf_counter()
    out = f()
    return out, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.labels",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    X, labels = data(args.rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        HingeSVM().fit(X[:1000], labels["int"][:1000])  # (numba's kernels loaded first)
    load_before = os.getloadavg()
    times = {kind: {"fit": [], "predict": [], "score": [], "labels": [], "np.unique": []}
             for kind in labels}
    models = {}
    for _ in range(args.repeats):
        for kind, y in labels.items():
            print(f"[labels] {kind}", file=sys.stderr, flush=True)
            t = times[kind]
            t["labels"].append(_time(lambda: encode_targets(y))[1])
            t["np.unique"].append(_time(lambda: np.unique(y, return_inverse=True))[1])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                models[kind], elapsed = _time(lambda: HingeSVM().fit(X, y))
            t["fit"].append(elapsed)
            t["predict"].append(_time(lambda: models[kind].predict(X))[1])
            t["score"].append(_time(lambda: models[kind].score(X, y))[1])
    base = models["int"]
    records = []
    for kind, t in times.items():
        same = (np.array_equal(models[kind].coef_, base.coef_)
                and np.array_equal(models[kind].intercept_, base.intercept_))
        median = {step: float(np.median(v)) for step, v in t.items()}
        records.append(dict(labels=kind, rows=args.rows, solver=models[kind].solver_,
                            same_model_as_int=bool(same), times_s=t,
                            **{f"{step}_s": v for step, v in median.items()},
                            ratio=median["fit"] / float(np.median(times["int"]["fit"]))))
    lines = ["| labels | fit (s) | ratio to int | predict (s) | score (s) | label check and "
             "encoding (s) | np.unique with inverse (s) | same model as int |",
             "|---|---|---|---|---|---|---|---|"]
    for r in records:
        lines.append(f"| {r['labels']} | {r['fit_s']:.3f} | {r['ratio']:.3f} | "
                     f"{r['predict_s']:.3f} | {r['score_s']:.3f} | {r['labels_s']:.4f} | "
                     f"{r['np.unique_s']:.4f} | {r['same_model_as_int']} |")
    load_after = os.getloadavg()
    note = (f"\n{args.rows} x 10 dense float64, 3 classes, HingeSVM() (solver "
            f"{records[0]['solver']}); medians of {args.repeats} repeats, the kinds in turn. The "
            "machine was shared with other engineers' runs: load average "
            f"{', '.join(f'{x:.1f}' for x in load_before)} before, "
            f"{', '.join(f'{x:.1f}' for x in load_after)} after; the ratios, measured in the "
            "same run, are the figures to read.\n")
    meta = dict(machine=machine(), command="python -m benchmarks.labels " + " ".join(
        argv if argv is not None else sys.argv[1:]), load_average=load_after,
        load_average_before=load_before)
    write_results(args.out, "labels", meta, records, "\n".join(lines) + "\n" + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
