"""``partial_fit`` throughput against ``SGDClassifier.partial_fit``: ``python -m
benchmarks.streaming [--repeats R] [--quick]``.

One epoch of the hinge loss, ``fit_intercept=False``, over the same data for both: the dense
``make_classification`` 1M x 50 and the sparse 100k x 100k at 0.1% of the full suite
(:mod:`benchmarks.cases`), passed in one ``partial_fit`` call and in blocks of a tenth of the
rows. ``HingeSVM(C=1, solver="sgd")`` against ``SGDClassifier(loss="hinge", alpha=1 / (C n))``
(the same objective up to the factor ``C n``: ``alpha/2 ||w||^2 + mean hinge``), each timed
over the whole ``partial_fit`` calls (validation included) from a fresh estimator, the two
alternating, median of the repeats. Both models are scored by :func:`benchmarks.cases.objective`,
``1/2 ||w||^2 + C sum_i hinge_i``, our objective's convention (hingeclf/_objective.py).
Writes ``benchmarks/results/streaming.{json,md}``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from sklearn.linear_model import SGDClassifier

from hingeclf import HingeSVM

from .cases import C, _dense, _sparse, objective
from .run import machine, write_results


def _stream(make, X, y, block):
    est = make()
    start = time.perf_counter()
    for lo in range(0, X.shape[0], block):
        est.partial_fit(X[lo:lo + block], y[lo:lo + block], classes=[0, 1])
    return time.perf_counter() - start, est


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.streaming")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a tenth of the rows")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    cases = [(f"dense {1_000_000 // scale} x 50", lambda: _dense(1_000_000 // scale, 50,
                                                                  np.float64)),
             (f"sparse {100_000 // scale} x 100000 0.1%",
              lambda: _sparse(100_000 // scale, 100_000, 0.001))]
    lines = [f"hinge, one epoch, C = {C}, fit_intercept=False, median of {args.repeats} "
             "repeats (the two alternating); other engineers' jobs shared the 2-core machine "
             "(load average in the header line). Objective: 1/2 ||w||^2 + C sum hinge, the "
             "same function for both models.", "",
             "| data | block | ours (s) | SGDClassifier (s) | ours samples/s | "
             "SGDClassifier samples/s | throughput ratio | our objective | SGDClassifier "
             "objective |", "|---|---|---|---|---|---|---|---|---|"]
    records = []
    for name, make_data in cases:
        X, y = make_data()
        n = X.shape[0]
        ours = lambda: HingeSVM(C=C, solver="sgd", fit_intercept=False,  # noqa: E731
                                random_state=0)
        peer = lambda: SGDClassifier(loss="hinge", alpha=1.0 / (C * n),  # noqa: E731
                                     fit_intercept=False, random_state=0)
        _stream(ours, X[:200], y[:200], 200)  # compile (or load the cache) outside the timings
        _stream(peer, X[:200], y[:200], 200)
        for block in (n, n // 10):
            times = {"ours": [], "peer": []}
            models = {}
            for _ in range(args.repeats):
                for key, make in (("ours", ours), ("peer", peer)):
                    seconds, models[key] = _stream(make, X, y, block)
                    times[key].append(seconds)
            t_ours, t_peer = (float(np.median(times[k])) for k in ("ours", "peer"))
            p_ours, p_peer = (objective("hinge", X, y, models[k].coef_) for k in ("ours", "peer"))
            records.append(dict(data=name, block=block, ours_s=t_ours, sgdclassifier_s=t_peer,
                                ours_times=times["ours"], sgdclassifier_times=times["peer"],
                                ours_samples_per_s=n / t_ours, sgdclassifier_samples_per_s=n / t_peer,
                                throughput_ratio=t_peer / t_ours, ours_objective=p_ours,
                                sgdclassifier_objective=p_peer,
                                ours_objective_attribute=models["ours"].objective_))
            lines.append(f"| {name} | {block} | {t_ours:.3f} | {t_peer:.3f} | {n / t_ours:.3g} | "
                         f"{n / t_peer:.3g} | {t_peer / t_ours:.2f} | {p_ours:.6g} | "
                         f"{p_peer:.6g} |")
            print(lines[-1], flush=True)
        del X, y
    meta = dict(machine=machine(), command="python -m benchmarks.streaming " + " ".join(
        argv if argv is not None else sys.argv[1:]), load_average=os.getloadavg())
    write_results(args.out, "streaming" + ("-quick" if args.quick else ""), meta, records,
                  "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
