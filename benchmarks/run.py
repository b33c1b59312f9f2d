"""The benchmark runner: ``python -m benchmarks [--quick] [--repeats R] [--cases ...]
[--timeout S] [--budget S] [--no-memory] [--out DIR]``.

For each case, every configuration of :func:`benchmarks.cases.solvers` is first fitted once in
a fresh subprocess that measures the fit's peak extra memory (peak resident set size after the
fit minus that after loading the data and a warm-up fit on a slice, with glibc's mmap threshold
fixed: :data:`MMAP_THRESHOLD`); a fit that does not finish
within ``--timeout`` seconds is killed and the configuration is reported as not finished (and
not timed). Then, in this process, each finished configuration is fitted once ("first fit", JIT
compilation or loading its cache included) and ``repeats`` more times, the configurations
alternating (round-robin); a configuration whose fits have taken ``--budget`` seconds in all
stops repeating (one timed repeat at least). The median of the timed repeats is reported with
the objective reached (relative to the best any configuration found), accuracy on the training
data, the duality gap where the estimator certifies one, the time as a ratio of the fastest
LinearSVC configuration of the same loss, and the machine's load average. JSON and a markdown
table go to ``--out`` (rewritten after each case).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

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


def _status_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def _lock_memory():
    """Keep this process's pages resident (``mlockall``), where allowed: on a machine that
    reclaims cold pages (the data, loaded before the fit) the resident size can fall during a
    fit and hide what the fit allocates. Returns whether the lock holds."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.mlockall(1 | 2) == 0  # MCL_CURRENT | MCL_FUTURE
    except (OSError, AttributeError):
        return False


def measure_memory(path, suite, case, index):
    """Child process: peak extra resident memory (MB) of one fit.

    The peak resident size (``VmHWM``) is reset to the current one just before the fit
    (``/proc/self/clear_refs``), so the peak after the fit minus the resident size before it
    is what the fit added at its worst, whatever the process did before.
    """
    X, y = _load(path)
    family = (cases_module.QUICK if suite == "quick" else cases_module.FULL)[case][1]
    name, _, factory = cases_module.solvers(family, X.shape[0])[index]
    # warm up on a slice first, so that JIT compilation (or loading its cache) is not counted
    # as the fit's memory; the slice keeps every class so every code path is compiled, and
    # ``solver="auto"`` is resolved on the whole data (on 200 rows it can pick another solver,
    # and the "auto" rows then counted loading Newton's compiled kernels)
    _, first = np.unique(y, return_index=True)
    rows = np.union1d(first, np.arange(min(200, X.shape[0])))
    _fit_time(lambda: _same_solver(factory(), X, y), X[rows], y[rows])
    _lock_memory()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to VmRSS
    before = _status_mb("VmRSS")
    _fit_time(factory, X, y)
    return _status_mb("VmHWM") - before


def _same_solver(model, X, y):
    """``model`` with ``solver="auto"`` replaced by what it resolves to on ``(X, y)``."""
    if getattr(model, "solver", None) != "auto" or not hasattr(model, "_resolve_solver"):
        return model
    loss = model._make_loss(len(np.unique(y)))
    return model.set_params(solver=model._resolve_solver(loss, X))


# glibc's threshold above which an allocation gets pages of its own (and returns them when
# freed), fixed for the memory subprocesses: by default the threshold grows to the largest
# block freed so far, so arrays of the fit could reuse heap pages the warm-up left resident
# and go uncounted: with the default, the same fit measured less the larger the warm-up was
MMAP_THRESHOLD = 65536


def _memory_child(path, suite, case, index, timeout):
    """Peak extra MB of one fit in a fresh process, or None when it did not finish in time."""
    env = os.environ.copy()
    env["MALLOC_MMAP_THRESHOLD_"] = str(MMAP_THRESHOLD)
    try:
        out = subprocess.run([sys.executable, "-m", "benchmarks", "--memory-child", path, suite,
                              case, str(index)], capture_output=True, text=True, check=True,
                             timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None
    return float(out.stdout.strip().splitlines()[-1])


def run_case(suite, case, repeats, memory, tmpdir, timeout=None, budget=None):
    """Every configuration of one case: the memory subprocesses first (each a full fit, killed
    after ``timeout`` seconds: the configuration is then reported as not finished and not
    timed), then in this process one first fit each and the timed repeats, round-robin; a
    configuration stops repeating once its fits took ``budget`` seconds in all (at least one
    timed repeat)."""
    loader, family = (cases_module.QUICK if suite == "quick" else cases_module.FULL)[case]
    X, y = loader()
    configs = cases_module.solvers(family, X.shape[0])
    data_mb = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes if sp.issparse(X)
               else X.nbytes) / 2**20
    load_before = os.getloadavg()
    peak, finished = {}, {name: True for name, _, _ in configs}
    if memory:
        path = os.path.join(tmpdir, case)
        _save(X, y, path)
        for index, (name, _, _) in enumerate(configs):
            peak[name] = _memory_child(path, suite, case, index, timeout)
            finished[name] = peak[name] is not None
            print(f"[benchmarks]   {name}: " + ("memory measured" if finished[name] else
                  f"did not finish within {timeout} s"), file=sys.stderr, flush=True)
    timed = [(name, factory) for name, _, factory in configs if finished[name]]
    times = {name: [] for name, _ in timed}
    models = {}
    # "first fit": the first fit in this process, JIT compilation (or loading its on-disk
    # cache) included; reported apart and left out of the timed repeats
    first_fit = {}
    for name, factory in timed:
        _, first_fit[name] = _fit_time(factory, X, y)
    for _ in range(repeats):
        for name, factory in timed:
            spent = first_fit[name] + sum(times[name])
            if times[name] and budget is not None and spent >= budget:
                continue
            models[name], elapsed = _fit_time(factory, X, y)
            times[name].append(elapsed)
    load_after = os.getloadavg()
    records = []
    for name, loss, _ in configs:
        record = dict(case=case, solver=name, loss=loss, n_samples=X.shape[0],
                      n_features=X.shape[1], dtype=str(X.dtype), data_mb=round(data_mb, 2),
                      finished=finished[name], timeout_s=timeout,
                      load_average=[load_before[0], load_after[0]])
        if memory:
            record["peak_extra_mb"] = peak[name]
        if finished[name]:
            model = models[name]
            record.update(time_s=float(np.median(times[name])), times_s=times[name],
                          first_fit_s=first_fit[name],
                          objective=cases_module.objective(loss, X, y, model.coef_),
                          accuracy=float(np.mean(model.predict(X) == y)),
                          duality_gap=getattr(model, "duality_gap_", None),
                          converged=getattr(model, "converged_", None),
                          solver_used=getattr(model, "solver_", None),
                          n_iter=int(np.max(getattr(model, "n_iter_", 0))))
        records.append(record)
    for loss in {r["loss"] for r in records}:
        done = [r for r in records if r["loss"] == loss and r["finished"]]
        best = min(r["objective"] for r in done) if done else None
        for r in done:
            r["rel_objective_gap"] = (r["objective"] - best) / abs(best)
    return records


def _liblinear_ratio(record, records):
    """Time over the fastest ``LinearSVC`` fit of the same case and loss (same run), as text:
    ``< x`` when no LinearSVC configuration finished (x from the timeout), empty without one."""
    if not record["finished"]:
        return ""
    peers = [r for r in records if r["case"] == record["case"] and r["loss"] == record["loss"]
             and r["solver"].startswith("LinearSVC")]
    done = [r["time_s"] for r in peers if r["finished"]]
    if done:
        return f"{record['time_s'] / min(done):.2f}"
    if peers:
        return f"< {record['time_s'] / peers[0]['timeout_s']:.2f}"
    return ""


def markdown(records, meta):
    lines = ["Times are medians of the timed repeats (n of them); *x LinearSVC* is that time "
             "over the fastest LinearSVC configuration for the same loss in the same run (``<`` "
             "when none finished within the timeout); *first fit* includes JIT compilation or "
             "loading its cache; the objective gap is relative to the best objective any solver "
             "reached; *load* is the machine's 1-minute load average before and after the case.",
             "", "| case | solver | time (s) | n | x LinearSVC | first fit (s) | objective gap | "
             "accuracy | duality gap | converged | peak extra MB | data MB | load |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        mem = r.get("peak_extra_mb")
        mem = "" if mem is None else f"{mem:.1f}"
        load = "{:.1f}-{:.1f}".format(*r["load_average"])
        name = r["solver"] + (f" ({r['solver_used']})" if r["solver"].endswith(" auto")
                              and r.get("solver_used") else "")
        if not r["finished"]:
            lines.append(f"| {r['case']} | {name} | > {r['timeout_s']:g} | | | | | | | | | "
                         f"{r['data_mb']:.1f} | {load} |")
            continue
        gap = "" if r["duality_gap"] is None else f"{r['duality_gap']:.1e}"
        conv = "" if r["converged"] is None else str(r["converged"])
        lines.append(f"| {r['case']} | {name} | {r['time_s']:.3f} | {len(r['times_s'])} | "
                     f"{_liblinear_ratio(r, records)} | {r['first_fit_s']:.3f} | "
                     f"{r['rel_objective_gap']:.1e} | {r['accuracy']:.4f} | {gap} | {conv} | "
                     f"{mem} | {r['data_mb']:.1f} | {load} |")
    return "\n".join(lines) + "\n"


def machine():
    """A one-line description of this machine, for the tables."""
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}")


def write_results(out, name, meta, records, table, echo=True):
    """``out/name.json`` (meta and records) and ``out/name.md`` (the markdown ``table`` under a
    line naming the machine, the command and the load average); prints the markdown."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, f"{name}.json"), "w") as f:
        json.dump(dict(meta=meta, records=records), f, indent=1)
    load = meta.get("load_average")
    load = "" if load is None else "; load average " + ", ".join(f"{x:.1f}" for x in load)
    text = f"Machine: {meta['machine']}; command: `{meta['command']}`{load}\n\n" + table
    with open(os.path.join(out, f"{name}.md"), "w") as f:
        f.write(text)
    if echo:
        print(text)


def combine(argv):
    """``python -m benchmarks --combine OUT_DIR RUN.json ...``: the records of several runs
    of the full suite (e.g. cases run in parallel processes) as one ``full.json`` and
    ``full.md`` in ``OUT_DIR``, whose header names every run's command. A case measured by
    several runs comes whole from the last of them (its ratios are within one run)."""
    out, paths = argv[0], argv[1:]
    runs = [json.load(open(path)) for path in paths]
    meta = dict(runs[0]["meta"])
    meta["command"] = "; ".join(run["meta"]["command"] for run in runs)
    meta["runs"] = [run["meta"] for run in runs]
    source = {r["case"]: i for i, run in enumerate(runs) for r in run["records"]}
    records = [r for i, run in enumerate(runs) for r in run["records"] if source[r["case"]] == i]
    write_results(out, "full", meta, records, markdown(records, meta), echo=False)
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--memory-child":
        print(measure_memory(argv[1], argv[2], argv[3], int(argv[4])))
        return 0
    if argv and argv[0] == "--combine":
        return combine(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (what CI runs)")
    parser.add_argument("--repeats", type=int, default=None, help="fits per configuration")
    parser.add_argument("--cases", nargs="*", help="run only these cases")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the memory subprocesses (and with them the timeout)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds a configuration's fit may take (in its memory subprocess)"
                             " before it is reported as not finished (default 600)")
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds of fitting after which a configuration stops repeating "
                             "(default 120; at least one timed repeat)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads of every fit (default 1: LIBLINEAR and SGDClassifier "
                             "are single-threaded, and on a shared machine BLAS threads compete "
                             "with other processes)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    # the memory subprocesses inherit the environment; this process is limited directly
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    with threadpool_limits(limits=args.threads):
        return _run(args, argv, parser)


def _run(args, argv, parser):
    suite = "quick" if args.quick else "full"
    table = cases_module.QUICK if args.quick else cases_module.FULL
    repeats = args.repeats or (1 if args.quick else 3)
    names = args.cases or list(table)
    unknown = set(names) - set(table)
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}; choose from {sorted(table)}")
    meta = dict(machine=machine(), command="python -m benchmarks " + " ".join(argv),
                repeats=repeats, timeout_s=args.timeout, budget_s=args.budget,
                blas_threads=args.threads)
    records = []
    with tempfile.TemporaryDirectory() as tmpdir:
        for case in names:
            print(f"[benchmarks] {case}", file=sys.stderr, flush=True)
            records.extend(run_case(suite, case, repeats, not args.no_memory, tmpdir,
                                    timeout=args.timeout, budget=args.budget))
            # partial results survive an interrupted run
            write_results(args.out, suite, meta, records, markdown(records, meta), echo=False)
    write_results(args.out, suite, meta, records, markdown(records, meta))
    return 0
