"""The benchmark runner: ``python -m benchmarks [--quick] [--repeats R] [--out DIR]``.

For each case, every configuration of :func:`benchmarks.cases.solvers` is fitted ``repeats``
times, the configurations alternating (round-robin), in this process; the median wall time is
reported with the objective reached (relative to the best any configuration found), accuracy on
the training data, the duality gap where the estimator certifies one, and the peak extra memory
of the fit, measured in a fresh subprocess per configuration (peak resident set size after the
fit minus that after loading the data). JSON and a markdown table go to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import scipy.sparse as sp

from . import cases as cases_module


def _fit_time(factory, X, y):
    model = factory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(X, y)
        elapsed = time.perf_counter() - start
    return model, elapsed


def _save(X, y, path):
    if sp.issparse(X):
        sp.save_npz(path + ".X.npz", X)
    else:
        np.save(path + ".X.npy", X)
    np.save(path + ".y.npy", y)


def _load(path):
    X = sp.load_npz(path + ".X.npz") if os.path.exists(path + ".X.npz") else np.load(path + ".X.npy")
    return X, np.load(path + ".y.npy")


def measure_memory(path, suite, case, index):
    """Child process: peak extra resident memory (MB) of one fit."""
    X, y = _load(path)
    family = (cases_module.QUICK if suite == "quick" else cases_module.FULL)[case][1]
    name, _, factory = cases_module.solvers(family, X.shape[0])[index]
    # warm up on a slice first, so that JIT compilation (or loading its cache) is not counted
    # as the fit's memory; the slice keeps every class so every code path is compiled
    _, first = np.unique(y, return_index=True)
    rows = np.union1d(first, np.arange(min(200, X.shape[0])))
    _fit_time(factory, X[rows], y[rows])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _fit_time(factory, X, y)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (after - before) / 1024.0  # ru_maxrss is in KiB on Linux


def run_case(suite, case, repeats, memory, tmpdir):
    loader, family = (cases_module.QUICK if suite == "quick" else cases_module.FULL)[case]
    X, y = loader()
    configs = cases_module.solvers(family, X.shape[0])
    data_mb = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes if sp.issparse(X)
               else X.nbytes) / 2**20
    times = {name: [] for name, _, _ in configs}
    models = {}
    # "first fit": the first fit in this process, JIT compilation (or loading its on-disk
    # cache) included; reported apart and left out of the timed repeats
    first_fit = {}
    for name, _, factory in configs:
        _, first_fit[name] = _fit_time(factory, X, y)
    for _ in range(repeats):
        for name, _, factory in configs:
            models[name], elapsed = _fit_time(factory, X, y)
            times[name].append(elapsed)
    path = os.path.join(tmpdir, case)
    if memory:
        _save(X, y, path)
    records = []
    for index, (name, loss, _) in enumerate(configs):
        model = models[name]
        record = dict(case=case, solver=name, loss=loss, n_samples=X.shape[0],
                      n_features=X.shape[1], dtype=str(X.dtype), data_mb=round(data_mb, 2),
                      time_s=float(np.median(times[name])), times_s=times[name],
                      first_fit_s=first_fit[name],
                      objective=cases_module.objective(loss, X, y, model.coef_),
                      accuracy=float(np.mean(model.predict(X) == y)),
                      duality_gap=getattr(model, "duality_gap_", None),
                      converged=getattr(model, "converged_", None),
                      n_iter=int(np.max(getattr(model, "n_iter_", 0))))
        if memory:
            out = subprocess.run([sys.executable, "-m", "benchmarks", "--memory-child", path,
                                  suite, case, str(index)], capture_output=True, text=True,
                                 check=True)
            record["peak_extra_mb"] = float(out.stdout.strip().splitlines()[-1])
        records.append(record)
    for loss in {r["loss"] for r in records}:
        best = min(r["objective"] for r in records if r["loss"] == loss)
        for r in records:
            if r["loss"] == loss:
                r["rel_objective_gap"] = (r["objective"] - best) / abs(best)
    return records


def _liblinear_ratio(record, records):
    """Time over the fastest ``LinearSVC`` fit of the same case and loss (same run), or None."""
    peers = [r["time_s"] for r in records if r["case"] == record["case"]
             and r["loss"] == record["loss"] and r["solver"].startswith("LinearSVC")]
    return record["time_s"] / min(peers) if peers else None


def markdown(records, meta):
    lines = [f"Machine: {meta['machine']}; command: `{meta['command']}`", "",
             "Times are medians of the repeats; *x LinearSVC* is that time over the fastest "
             "LinearSVC configuration for the same loss in the same run; *first fit* includes JIT "
             "compilation or loading its cache; the objective gap is relative to the best "
             "objective any solver reached.", "",
             "| case | solver | time (s) | x LinearSVC | first fit (s) | objective gap | "
             "accuracy | duality gap | peak extra MB | data MB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        gap = "" if r["duality_gap"] is None else f"{r['duality_gap']:.1e}"
        mem = "" if "peak_extra_mb" not in r else f"{r['peak_extra_mb']:.1f}"
        ratio = _liblinear_ratio(r, records)
        ratio = "" if ratio is None else f"{ratio:.2f}"
        lines.append(f"| {r['case']} | {r['solver']} | {r['time_s']:.3f} | {ratio} | "
                     f"{r['first_fit_s']:.3f} | {r['rel_objective_gap']:.1e} | "
                     f"{r['accuracy']:.4f} | {gap} | {mem} | {r['data_mb']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--memory-child":
        print(measure_memory(argv[1], argv[2], argv[3], int(argv[4])))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (what CI runs)")
    parser.add_argument("--repeats", type=int, default=None, help="fits per configuration")
    parser.add_argument("--cases", nargs="*", help="run only these cases")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    suite = "quick" if args.quick else "full"
    table = cases_module.QUICK if args.quick else cases_module.FULL
    repeats = args.repeats or (1 if args.quick else 3)
    names = args.cases or list(table)
    unknown = set(names) - set(table)
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}; choose from {sorted(table)}")
    meta = dict(machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                        f"Python {platform.python_version()}",
                command="python -m benchmarks " + " ".join(argv), repeats=repeats)
    records = []
    with tempfile.TemporaryDirectory() as tmpdir:
        for case in names:
            print(f"[benchmarks] {case}", file=sys.stderr, flush=True)
            records.extend(run_case(suite, case, repeats, not args.no_memory, tmpdir))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"{suite}.json"), "w") as f:
        json.dump(dict(meta=meta, records=records), f, indent=1)
    with open(os.path.join(args.out, f"{suite}.md"), "w") as f:
        f.write(markdown(records, meta))
    print(markdown(records, meta))
    return 0
