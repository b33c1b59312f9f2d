"""First fits with a cold compile cache, two revisions side by side:
``python -m benchmarks.first_fit --base REV [--head REV] [--out DIR]``.

Each revision is checked out into a temporary worktree (as in :mod:`benchmarks.compare`). For
every default estimator and small data set, numba's on-disk cache of that worktree is deleted
and a fresh process imports the revision's ``hingeclf`` and fits once: that is the first fit
after a fresh install (import and fit timed apart). A second process then fits again with the
cache the first one wrote (the first fit of every later session). Revisions alternate per row.
Start-up: the wall time of a fresh process that runs ``import sklearn.svm``, ``import hingeclf``
or ``python -m hingeclf --help`` (each revision's, from its worktree), median of ``--repeats``
runs alternating between the commands and revisions, and each one's excess over
``import sklearn.svm``, in wall and CPU time. Results go to ``first_fit.json`` and ``first_fit.md``
under ``--out`` (with ``--startup-only``, the start-up alone to ``startup.json`` and
``startup.md``).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from .compare import HERE, Worktrees, _git
from .run import machine, write_results

ESTIMATORS = ("HingeSVM", "SquaredHingeSVM", "MulticlassHingeSVM")
STARTUP = {"import sklearn.svm": ["-c", "import sklearn.svm"],
           "import hingeclf": ["-c", "import hingeclf"],
           "hingeclf --help": ["-m", "hingeclf", "--help"]}
DATASETS = ("iris", "breast_cancer", "digits")

CHILD = """
import json, sys, time
start = time.perf_counter()
import hingeclf
imported = time.perf_counter() - start
from sklearn import datasets
X, y = getattr(datasets, "load_" + sys.argv[2])(return_X_y=True)
start = time.perf_counter()
import warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    getattr(hingeclf, sys.argv[1])().fit(X, y)
print(json.dumps(dict(file=hingeclf.__file__, import_s=imported,
                      fit_s=time.perf_counter() - start)))
"""


def _clear_cache(worktree):
    for path in glob.glob(os.path.join(worktree, "hingeclf", "**", "__pycache__", "*.nb[ic]"),
                          recursive=True):
        os.remove(path)


def _run(worktree, estimator, dataset, env):
    out = subprocess.run([sys.executable, "-c", CHILD, estimator, dataset], cwd=worktree,
                         capture_output=True, text=True, check=True, env=env)
    record = json.loads(out.stdout.strip().splitlines()[-1])
    if not record["file"].startswith(os.path.realpath(worktree) + os.sep):
        raise RuntimeError(f"the child loaded {record['file']}, not {worktree}'s hingeclf")
    return record


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _startup(trees, env, repeats):
    """Median wall and CPU times (s) of each :data:`STARTUP` command in a fresh process, per
    side: ``{(side, name): (wall, cpu)}`` (CPU time, user and system, depends less on the
    other jobs of a shared machine than wall time)."""
    times = {(side, name): [] for side in trees for name in STARTUP}
    for _ in range(repeats):
        for side, tree in trees.items():
            for name, args in STARTUP.items():
                start, cpu = time.perf_counter(), _children_cpu()
                subprocess.run([sys.executable, *args], cwd=tree, env=env, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[side, name].append((time.perf_counter() - start, _children_cpu() - cpu))
    return {key: tuple(statistics.median(v[i] for v in values) for i in (0, 1))
            for key, values in times.items()}


def _startup_table(startup, repeats, meta):
    lines = [f"Start-up: a fresh process (interpreter start included), median of {repeats} "
             "runs alternating between commands and revisions: wall time, CPU time (user and "
             "system), and each one's excess over `import sklearn.svm`.", "",
             "| command | wall base (s) | wall head (s) | CPU base (s) | CPU head (s) "
             "| CPU base over sklearn.svm (s) | CPU head over sklearn.svm (s) "
             "| wall head over sklearn.svm (s) |", "|---|---|---|---|---|---|---|---|"]
    meta["startup"] = []
    for name in STARTUP:
        row = dict(command=name)
        for side in ("base", "head"):
            wall, cpu = startup[side, name]
            ref_wall, ref_cpu = startup[side, "import sklearn.svm"]
            row.update({side + "_wall": wall, side + "_cpu": cpu,
                        side + "_wall_over_sklearn": wall - ref_wall,
                        side + "_cpu_over_sklearn": cpu - ref_cpu})
        meta["startup"].append(row)
        lines.append(f"| `{name}` | {row['base_wall']:.2f} | {row['head_wall']:.2f} | "
                     f"{row['base_cpu']:.2f} | {row['head_cpu']:.2f} | "
                     f"{row['base_cpu_over_sklearn']:+.2f} | {row['head_cpu_over_sklearn']:+.2f} | "
                     f"{row['head_wall_over_sklearn']:+.2f} |")
    return lines


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.first_fit")
    parser.add_argument("--base", required=True, help="the revision compared against")
    parser.add_argument("--head", default="HEAD", help="the revision measured (default HEAD)")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--repeats", type=int, default=7,
                        help="runs of each start-up command per revision (default 7)")
    parser.add_argument("--startup-only", action="store_true",
                        help="measure the start-up only, into startup.json and startup.md")
    args = parser.parse_args(argv)
    repo = _git(HERE, "rev-parse", "--show-toplevel")
    commits = {side: _git(repo, "rev-parse", "--verify", rev + "^{commit}")
               for side, rev in (("base", args.base), ("head", args.head))}
    env = os.environ.copy()
    env.pop("PYTHONPATH", None)
    meta = dict(machine=machine(), command="python -m benchmarks.first_fit " + " ".join(argv),
                base_commit=commits["base"], head_commit=commits["head"],
                load_average=list(os.getloadavg()))
    records = []
    with Worktrees(repo, commits) as trees:
        startup = _startup(trees, env, args.repeats)
        if args.startup_only:
            meta["load_average_end"] = list(os.getloadavg())
            write_results(args.out, "startup", meta, [],
                          "\n".join(_startup_table(startup, args.repeats, meta)))
            return 0
        for dataset in DATASETS:
            for estimator in ESTIMATORS:
                record = dict(estimator=estimator, dataset=dataset)
                for side in ("base", "head"):
                    _clear_cache(trees[side])
                    cold = _run(trees[side], estimator, dataset, env)
                    warm = _run(trees[side], estimator, dataset, env)
                    record.update({f"cold_import_s_{side}": cold["import_s"],
                                   f"cold_fit_s_{side}": cold["fit_s"],
                                   f"warm_fit_s_{side}": warm["fit_s"]})
                print(f"[first_fit] {dataset} {estimator}: cold fit "
                      f"{record['cold_fit_s_base']:.2f} / {record['cold_fit_s_head']:.2f} s",
                      file=sys.stderr, flush=True)
                records.append(record)
    meta["load_average_end"] = list(os.getloadavg())
    lines = ["Each fit in a fresh process: *cold* after deleting the worktree's numba cache (the "
             "first fit after a fresh install), *warm* with the cache the cold one wrote. "
             f"Base {commits['base'][:7]}, head {commits['head'][:7]}.", "",
             "| data | estimator | cold import base (s) | cold import head (s) | cold fit base (s) "
             "| cold fit head (s) | warm fit base (s) | warm fit head (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in records:
        lines.append(f"| {r['dataset']} | {r['estimator']} | {r['cold_import_s_base']:.2f} | "
                     f"{r['cold_import_s_head']:.2f} | {r['cold_fit_s_base']:.2f} | "
                     f"{r['cold_fit_s_head']:.2f} | {r['warm_fit_s_base']:.3f} | "
                     f"{r['warm_fit_s_head']:.3f} |")
    lines += [""] + _startup_table(startup, args.repeats, meta)
    write_results(args.out, "first_fit", meta, records, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
