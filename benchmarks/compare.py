"""A/B comparison of two revisions of hingeclf: ``python -m benchmarks.compare --base REV
[--head REV] [--suite full|quick|allpairs] [--cases ...] [--repeats R] [--timeout S]
[--budget S] [--threads T] [--out DIR]``.

Both revisions are checked out into temporary git worktrees (``git worktree add --detach``) of
the repository this module lives in, removed at the end; ``--head`` defaults to ``HEAD``, the
last commit of that repository's current branch (uncommitted changes are not measured: both
sides are clean checkouts, and each is named by its commit hash). For each case of
:data:`benchmarks.cases.FULL` (``QUICK`` with ``--quick``, ``ALL_PAIRS`` with ``--suite
allpairs``) and each hingeclf configuration of
:func:`benchmarks.cases.solvers` (the LinearSVC and SGDClassifier peers do not change between
revisions and are skipped), every fit runs in a fresh subprocess (``_compare_child.py``) whose
``sys.path`` starts with the revision's worktree, so ``import hingeclf`` loads that revision
(the child checks ``hingeclf.__file__``). The child warms up with a fit on a slice of the data
that keeps every class (numba compiles, or loads its cache, once per worktree; ``auto`` is
resolved on the whole data for the warm-up), then times one fit on the whole data; should that
fit still have compiled (numba's compiler-lock events), it is taken as a second warm-up and the
fit is timed again. The configurations, the data and the objective come from this tree's
``benchmarks/cases.py`` for both revisions; the parent loads each case's data once and saves it
to a temporary file that the children load.

A configuration is fitted ``repeats`` times per revision, base and head alternating, the order
swapped on every other repeat (base-head, head-base, ...); it stops repeating once its timed
fits took ``--budget`` seconds (one fit per revision at least). A child that does not finish
within ``--timeout`` seconds (warm-up included) is killed, and that revision is reported as not
finished for the configuration and not run again for it. Per configuration: the median time of
each revision and their ratio (head / base), and from each revision's fits the objective
(:func:`benchmarks.cases.objective`), ``duality_gap_``, ``converged_``, ``n_iter_`` and
``solver_``. ``compare.json`` and ``compare.md`` go to ``--out`` (rewritten after each case).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import cases as cases_module
from .run import _save, machine

PEERS = ("LinearSVC", "SGDClassifier")
HERE = os.path.dirname(os.path.abspath(__file__))
CHILD = os.path.join(HERE, "_compare_child.py")
CASES = os.path.join(HERE, "cases.py")


def _git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def configurations(family, n_samples):
    """(name, loss) of the hingeclf configurations of a family (the peers left out)."""
    return [(name, loss) for name, loss, _ in cases_module.solvers(family, n_samples)
            if not name.startswith(PEERS)]


def fit_child(worktree, data, suite, case, name, timeout, env):
    """One warm-up and one timed fit in a fresh process: the child's record, or None when it
    did not finish within ``timeout`` seconds."""
    try:
        out = subprocess.run([sys.executable, CHILD, worktree, CASES, data, suite, case, name],
                             capture_output=True, text=True, timeout=timeout, env=env,
                             cwd=worktree)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        raise RuntimeError(f"{case} / {name} in {worktree} failed:\n{out.stderr}")
    record = json.loads(out.stdout.strip().splitlines()[-1])
    if not record["hingeclf"].startswith(os.path.realpath(worktree) + os.sep):
        raise RuntimeError(f"the child loaded {record['hingeclf']}, not {worktree}'s hingeclf")
    return record


def _rel(a, b):
    return None if a is None or b is None else (b - a) / abs(a) if a else float(b != a)


def compare_configuration(trees, data, suite, case, name, repeats, timeout, budget, env):
    """Fits of one configuration with both revisions, alternating; ``trees`` maps "base" and
    "head" to worktrees. Returns each side's child records (in order) and whether it finished."""
    fits = {side: [] for side in trees}
    finished = {side: True for side in trees}
    for repeat in range(repeats):
        order = ("base", "head") if repeat % 2 == 0 else ("head", "base")
        for side in order:
            if not finished[side]:
                continue
            record = fit_child(trees[side], data, suite, case, name, timeout, env)
            if record is None:
                finished[side] = False
            else:
                fits[side].append(record)
        spent = sum(r["time_s"] for side in fits for r in fits[side])
        if not any(finished.values()) or (budget is not None and spent >= budget):
            break
    return fits, finished


def summarize(case, name, loss, X, fits, finished, timeout, load):
    """The record of one configuration: per side the medians and the last fit's results."""
    record = dict(case=case, solver=name, loss=loss, n_samples=X.shape[0],
                  n_features=X.shape[1], dtype=str(X.dtype), timeout_s=timeout,
                  load_average=load)
    for side in ("base", "head"):
        done = fits[side]
        record[f"finished_{side}"] = bool(done)
        record[f"timed_out_{side}"] = not finished[side]
        record[f"times_s_{side}"] = [r["time_s"] for r in done]
        record[f"time_s_{side}"] = float(np.median(record[f"times_s_{side}"])) if done else None
        # every fit of a revision is the same deterministic fit; the last one is reported, and
        # all objectives are kept to show that they agree
        last = done[-1] if done else {}
        record[f"objectives_{side}"] = [r["objective"] for r in done]
        for key in ("objective", "duality_gap", "converged", "n_iter", "solver_used",
                    "hingeclf"):
            record[f"{key}_{side}"] = last.get(key)
        record[f"warm_up_s_{side}"] = [r["warm_up_s"] for r in done]
        record[f"retimed_{side}"] = [r["retimed"] for r in done]
        record[f"compiled_in_timed_fit_{side}"] = [r["compiled_in_timed_fit"] for r in done]
    base, head = record["time_s_base"], record["time_s_head"]
    record["ratio"] = head / base if base and head is not None else None
    record["objective_rel_change"] = _rel(record["objective_base"], record["objective_head"])
    return record


def _fmt(value, spec):
    if value is None:
        return ""
    if isinstance(value, list):
        # a per-class attribute (e.g. one-vs-rest): its largest value
        value = max(value) if value else None
        if value is None:
            return ""
    return format(value, spec)


def _pair(record, key, spec):
    a, b = (_fmt(record[f"{key}_{side}"], spec) for side in ("base", "head"))
    return a if a == b else f"{a} / {b}"


def markdown(records, meta):
    lines = [f"Base `{meta['base']}` = {meta['base_commit']}; head `{meta['head']}` = "
             f"{meta['head_commit']}. Each fit in a fresh process after a warm-up fit; times are "
             "the medians of each revision's timed fits (n per revision), base and head "
             "alternating; *head / base* is their ratio. Objectives (of the last fit; all fits "
             "of a revision agree unless *objectives differ* says so) and the relative change "
             "head vs base; duality gap, converged, n_iter (largest over classes) and solver_ "
             "show *base / head* where they differ. *load* is the machine's 1-minute load "
             "average before and after the configuration.", "",
             "| case | configuration | base (s) | head (s) | head / base | n | objective base | "
             "objective head | rel. change | duality gap | converged | n_iter | solver_ | load |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for r in records:
        times = []
        for side in ("base", "head"):
            t = r[f"time_s_{side}"]
            times.append(f"> {r['timeout_s']:g} (not finished)" if not r[f"finished_{side}"]
                         else _fmt(t, ".3f"))
        ratio = _fmt(r["ratio"], ".3f")
        n = "/".join(str(len(r[f"times_s_{side}"])) for side in ("base", "head"))
        load = "{:.1f}-{:.1f}".format(*r["load_average"])
        lines.append(
            f"| {r['case']} | {r['solver']} | {times[0]} | {times[1]} | {ratio} | {n} | "
            f"{_fmt(r['objective_base'], '.10g')} | {_fmt(r['objective_head'], '.10g')} | "
            f"{_fmt(r['objective_rel_change'], '.1e')} | {_pair(r, 'duality_gap', '.1e')} | "
            f"{_pair(r, 'converged', '')} | {_pair(r, 'n_iter', 'd')} | "
            f"{_pair(r, 'solver_used', '')} | {load} |")
        for side in ("base", "head"):
            objectives = r[f"objectives_{side}"]
            if len(set(objectives)) > 1:
                notes.append(f"{r['case']} / {r['solver']}: the objectives of {side}'s fits "
                             f"differ: {objectives}")
            if any(r[f"compiled_in_timed_fit_{side}"]):
                notes.append(f"{r['case']} / {r['solver']}: {side}'s timed fit compiled even "
                             "after a second warm-up")
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def write_results(out, meta, records, echo=False):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "compare.json"), "w") as f:
        json.dump(dict(meta=meta, records=records), f, indent=1)
    load = ", ".join(f"{x:.1f}" for x in meta["load_average"])
    end = meta.get("load_average_end")
    load += "" if end is None else " (at the end: " + ", ".join(f"{x:.1f}" for x in end) + ")"
    text = (f"Machine: {meta['machine']}; command: `{meta['command']}`; base {meta['base']} "
            f"({meta['base_commit']}), head {meta['head']} ({meta['head_commit']}); load "
            f"average {load}\n\n" + markdown(records, meta))
    with open(os.path.join(out, "compare.md"), "w") as f:
        f.write(text)
    if echo:
        print(text)


class Worktrees:
    """Detached worktrees of ``repo`` at the given commits in a temporary directory, removed
    (with ``git worktree remove --force``: the children leave numba caches) on exit."""

    def __init__(self, repo, commits):
        self.repo, self.commits, self.paths = repo, commits, {}

    def __enter__(self):
        self.tmp = tempfile.mkdtemp(prefix="hingeclf-compare-")
        try:
            for side, commit in self.commits.items():
                path = os.path.join(self.tmp, side)
                _git(self.repo, "worktree", "add", "--detach", path, commit)
                self.paths[side] = path
        except BaseException:
            self.__exit__()
            raise
        return self.paths

    def __exit__(self, *exc):
        for path in self.paths.values():
            subprocess.run(["git", "-C", self.repo, "worktree", "remove", "--force", path],
                           capture_output=True)
        subprocess.run(["git", "-C", self.repo, "worktree", "prune"], capture_output=True)
        import shutil

        shutil.rmtree(self.tmp, ignore_errors=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, help="the revision compared against")
    parser.add_argument("--head", default="HEAD",
                        help="the revision measured (default HEAD: the last commit of this "
                             "repository's branch; uncommitted changes are not measured)")
    parser.add_argument("--quick", action="store_true", help="the tiny cases (--suite quick)")
    parser.add_argument("--suite", choices=sorted(cases_module.SUITES), default="full",
                        help="the table of cases of benchmarks.cases (default full)")
    parser.add_argument("--cases", nargs="*", help="run only these cases")
    parser.add_argument("--repeats", type=int, default=3, help="fits per revision (default 3)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds a child (warm-up and timed fit) may take before it is "
                             "killed and its revision reported as not finished (default 300)")
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds of timed fits (both revisions) after which a "
                             "configuration stops repeating (default 120)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads of every fit (default 1, as python -m benchmarks)")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args(argv)
    suite = "quick" if args.quick else args.suite
    table = cases_module.SUITES[suite]
    names = args.cases or list(table)
    unknown = set(names) - set(table)
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}; choose from {sorted(table)}")
    repo = _git(HERE, "rev-parse", "--show-toplevel")
    commits = {"base": _git(repo, "rev-parse", "--verify", args.base + "^{commit}"),
               "head": _git(repo, "rev-parse", "--verify", args.head + "^{commit}")}
    env = os.environ.copy()
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(args.threads)
    env.pop("PYTHONPATH", None)  # nothing ahead of the worktree but the child's own choice
    meta = dict(machine=machine(), command="python -m benchmarks.compare " + " ".join(argv),
                base=args.base, head=args.head, base_commit=commits["base"],
                head_commit=commits["head"], repeats=args.repeats, timeout_s=args.timeout,
                budget_s=args.budget, blas_threads=args.threads,
                load_average=list(os.getloadavg()))
    records = []
    with Worktrees(repo, commits) as trees, tempfile.TemporaryDirectory() as tmpdir:
        for case in names:
            loader, family = table[case]
            X, y = loader()
            data = os.path.join(tmpdir, "data")
            _save(X, y, data)
            for name, loss in configurations(family, X.shape[0]):
                print(f"[compare] {case} / {name}", file=sys.stderr, flush=True)
                before = os.getloadavg()[0]
                start = time.perf_counter()
                fits, finished = compare_configuration(trees, data, suite, case, name,
                                                       args.repeats, args.timeout,
                                                       args.budget, env)
                record = summarize(case, name, loss, X, fits, finished, args.timeout,
                                   [before, os.getloadavg()[0]])
                record["wall_s"] = time.perf_counter() - start
                records.append(record)
                write_results(args.out, meta, records)
            for path in (data + ".X.npy", data + ".X.npz", data + ".y.npy"):
                if os.path.exists(path):
                    os.remove(path)
    meta["load_average_end"] = list(os.getloadavg())
    write_results(args.out, meta, records, echo=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
