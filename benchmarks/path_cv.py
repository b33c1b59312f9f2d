"""Tuning C: RegularizationPathCV against GridSearchCV, same grid, folds and scoring.

``python -m benchmarks.path_cv [--quick] [--n-samples N] [--out DIR]``

Three searches over the same 10 values of ``C`` (log-spaced, 1e-3 to 10) with the same 5
stratified shuffled folds and accuracy scoring, run one after the other in this process, serial
(``n_jobs=None``), each including its refit on the whole data:

- ``RegularizationPathCV(SquaredHingeSVM())``: per fold, C from small to large, warm started;
- ``GridSearchCV(SquaredHingeSVM())``: every fit from scratch;
- ``GridSearchCV(LinearSVC())``: liblinear, the squared hinge too (its default loss; it
  penalises the intercept, so its optimum differs slightly).

The full size is the dense 100k x 100 binary case of ``benchmarks.cases`` (float64). Writes
``path_cv.json`` and ``path_cv.md`` (``--quick``: ``path_cv_quick.*``) to ``--out`` (default
``benchmarks/results``), with the times, the ratios computed from this same run, the chosen C
and scores, and the machine.
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
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import LinearSVC

from hingeclf import RegularizationPathCV, SquaredHingeSVM

from .cases import _dense

CS = np.logspace(-3, 1, 10)
N_FOLDS = 5
TARGETS = {"path / grid (same estimator)": 0.5, "path / grid (LinearSVC)": 0.3}


def _searches(cv):
    return {
        "RegularizationPathCV(SquaredHingeSVM)": lambda: RegularizationPathCV(
            SquaredHingeSVM(), Cs=CS, cv=cv, scoring="accuracy"),
        "GridSearchCV(SquaredHingeSVM)": lambda: GridSearchCV(
            SquaredHingeSVM(), {"C": CS}, cv=cv, scoring="accuracy"),
        "GridSearchCV(LinearSVC)": lambda: GridSearchCV(
            LinearSVC(), {"C": CS}, cv=cv, scoring="accuracy"),
    }


def run(n_samples, n_features):
    X, y = _dense(n_samples, n_features, np.float64)
    cv = StratifiedKFold(N_FOLDS, shuffle=True, random_state=0)
    records = []
    for name, make in _searches(cv).items():
        search = make()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            start = time.perf_counter()
            search.fit(X, y)
            elapsed = time.perf_counter() - start
        n_warn = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
        records.append({
            "search": name,
            "time_s": elapsed,
            "best_C": float(search.best_params_["C"]),
            "best_score": float(search.best_score_),
            "mean_test_score": [float(s) for s in search.cv_results_["mean_test_score"]],
            "convergence_warnings": int(n_warn),
        })
        print(f"{name:40s} {elapsed:8.2f} s  best C {records[-1]['best_C']:.4g}  "
              f"score {records[-1]['best_score']:.4f}", file=sys.stderr, flush=True)
    times = {r["search"]: r["time_s"] for r in records}
    path = times["RegularizationPathCV(SquaredHingeSVM)"]
    ratios = {
        "path / grid (same estimator)": path / times["GridSearchCV(SquaredHingeSVM)"],
        "path / grid (LinearSVC)": path / times["GridSearchCV(LinearSVC)"],
    }
    return X.shape, records, ratios


def _machine():
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _markdown(result):
    n, d = result["shape"]
    lines = [
        f"`{result['command']}` on {result['machine']['platform']}, {result['machine']['cpus']} "
        f"CPUs (load average before the run {result['machine']['load_average']}), "
        f"{result['date']}.",
        "",
        f"Dense {n} x {d} binary (float64), {len(CS)} values of C from {CS[0]:g} to {CS[-1]:g}, "
        f"{N_FOLDS} stratified shuffled folds, accuracy; each search serial, refit included, "
        "run once.",
        "",
        "| search | time (s) | best C | best CV accuracy | ConvergenceWarnings |",
        "|---|---|---|---|---|",
    ]
    for r in result["records"]:
        lines.append(f"| {r['search']} | {r['time_s']:.2f} | {r['best_C']:.4g} | "
                     f"{r['best_score']:.4f} | {r['convergence_warnings']} |")
    lines += ["", "| ratio | measured | target |", "|---|---|---|"]
    for key, value in result["ratios"].items():
        target = TARGETS[key]
        lines.append(f"| {key} | {value:.3f} | <= {target} ({'met' if value <= target else 'NOT met'}) |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.path_cv", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny size (2000 x 20), for tests")
    parser.add_argument("--n-samples", type=int, default=None, help="override the number of samples")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    n_samples, n_features = (2_000, 20) if args.quick else (100_000, 100)
    if args.n_samples is not None:
        n_samples = args.n_samples
    machine = _machine()
    shape, records, ratios = run(n_samples, n_features)
    command = "python -m benchmarks.path_cv" + (" " + " ".join(argv) if argv else
                                                (" " + " ".join(sys.argv[1:]) if argv is None and sys.argv[1:] else ""))
    result = {
        "command": command.strip(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine,
        "shape": list(shape),
        "Cs": [float(c) for c in CS],
        "n_folds": N_FOLDS,
        "records": records,
        "ratios": ratios,
        "targets": TARGETS,
    }
    os.makedirs(args.out, exist_ok=True)
    stem = "path_cv_quick" if args.quick else "path_cv"
    with open(os.path.join(args.out, stem + ".json"), "w") as f:
        json.dump(result, f, indent=2)
    with open(os.path.join(args.out, stem + ".md"), "w") as f:
        f.write(_markdown(result))
    print(_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
