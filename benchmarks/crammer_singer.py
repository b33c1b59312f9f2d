"""Crammer-Singer against LIBLINEAR: ``python -m benchmarks.crammer_singer [--repeats R]
[--cases NAME ...] [--large] [--out DIR]``.

Cases: ``digits`` as the runner scales it (``X / 16``) without intercept, ``digits raw`` (the
default estimator on the unscaled data, with intercept), and 400 x 10 Gaussian data with 100
and 200 classes (4 and 2 samples each, with intercept); ``--large`` adds the runner's
``dense-10-class-100k-x-100`` (no intercept). Each configuration is fitted once untimed (numba
compiles or loads its cache), then ``R`` times, the configurations interleaved per repeat; the
median time is reported. ``ratio`` is that median over the median of the case's LinearSVC
reference (``LinearSVC(multi_class="crammer_singer")``; on the large case the best LinearSVC
multiclass configuration of ``benchmarks/results/full.md``, the one-vs-rest squared hinge
primal, is run as well and is the reference). Every model is scored by :func:`cs_objective`,
written here from the formula (not the package's code), on its own ``coef_`` and
``intercept_``: ``1/2 ||W||^2 + C sum_i max(0, max_{k != y_i} 1 + f_ik - f_iy_i)`` with the
intercept unpenalised. ``vs best`` is the relative excess over the lowest objective of the case.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.svm import LinearSVC

from hingeclf import MulticlassHingeSVM

from . import cases
from .run import machine, write_results


def cs_objective(X, y, coef, intercept, C=1.0):
    """The Crammer-Singer primal (unpenalised intercept) in float64 at ``coef``, ``intercept``."""
    classes, yi = np.unique(y, return_inverse=True)
    W = np.asarray(coef, dtype=np.float64)
    F = np.asarray(X @ W.T, dtype=np.float64) + np.asarray(intercept, dtype=np.float64)
    rows = np.arange(len(yi))
    V = 1.0 + F - F[rows, yi][:, None]
    V[rows, yi] = 0.0
    return 0.5 * float(np.sum(W * W)) + C * float(np.sum(np.maximum(0.0, V.max(axis=1))))


def _many(n_classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 10))
    y = np.repeat(np.arange(n_classes), 400 // n_classes)
    return X, y


def _digits_raw():
    return load_digits(return_X_y=True)


def _svc_cs(fit_intercept):
    return lambda: LinearSVC(multi_class="crammer_singer", fit_intercept=fit_intercept)


def _ours(fit_intercept, **kw):
    return lambda: MulticlassHingeSVM(fit_intercept=fit_intercept, **kw)


# name -> (loader, fit_intercept, extra configurations)
CASES = {
    "digits": (cases._digits, False),
    "digits raw": (_digits_raw, True),
    "400 x 10, 100 classes": (lambda: _many(100), True),
    "400 x 10, 200 classes": (lambda: _many(200), True),
}
LARGE = {"dense-10-class-100k-x-100": (lambda: cases._dense(100_000, 100, np.float64, 10), False)}


def configurations(name, fit_intercept):
    """(label, factory, is_reference) of the configurations timed on a case."""
    configs = [("MulticlassHingeSVM() auto", _ours(fit_intercept), False)]
    if name in LARGE:
        # dual_cd does not converge here within hours (about 170 passes in 600 s on a loaded
        # machine, still far from the optimum): 50 passes show where it stands
        configs.append(("MulticlassHingeSVM dual_cd max_iter=50",
                        _ours(fit_intercept, solver="dual_cd", max_iter=50), False))
        configs.append(("LinearSVC ovr squared_hinge primal",
                        lambda: LinearSVC(dual=False, fit_intercept=fit_intercept), True))
    else:
        configs.append(("MulticlassHingeSVM dual_cd", _ours(fit_intercept, solver="dual_cd"),
                        False))
        configs.append(("MulticlassHingeSVM dual_cd tol=1e-5",
                        _ours(fit_intercept, solver="dual_cd", tol=1e-5), False))
        configs.append(("LinearSVC crammer_singer", _svc_cs(fit_intercept), True))
    return configs


def _fit(factory, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model = factory().fit(X, y)
        return model, time.perf_counter() - start


def run_case(name, load, fit_intercept, repeats):
    X, y = load()
    configs = configurations(name, fit_intercept)
    times = {label: [] for label, _, _ in configs}
    models = {}
    for label, factory, _ in configs:  # compile / load numba's cache outside the timing
        _fit(factory, X[:200], y[:200]) if len(np.unique(y[:200])) > 1 else None
    for _ in range(repeats):
        for label, factory, _ in configs:
            models[label], elapsed = _fit(factory, X, y)
            times[label].append(elapsed)
    reference = next(label for label, _, ref in configs if ref)
    ref_time = statistics.median(times[reference])
    values = {label: cs_objective(X, y, m.coef_, m.intercept_ if fit_intercept else 0.0)
              for label, m in models.items()}
    best = min(values.values())
    records = []
    for label, _, _ in configs:
        model = models[label]
        t = statistics.median(times[label])
        records.append(dict(
            case=name, n_samples=int(X.shape[0]), n_features=int(X.shape[1]),
            n_classes=int(len(np.unique(y))), fit_intercept=fit_intercept, solver=label,
            chosen=getattr(model, "solver_", ""), times=times[label], time=t,
            ratio=t / ref_time, reference=reference, objective=values[label],
            vs_best=(values[label] - best) / max(abs(best), 1e-300),
            duality_gap=float(getattr(model, "duality_gap_", np.nan)),
            converged=getattr(model, "converged_", None),
            n_iter=int(np.max(model.n_iter_))))
        print(f"[crammer_singer] {name} | {label} | {t:.3f} s | x{t / ref_time:.2f} | "
              f"{values[label]:.10g}", file=sys.stderr, flush=True)
    return records


def markdown(records):
    lines = ["Times are medians of the repeats (all in the same run, configurations interleaved); "
             "*x ref* is the time over the case's reference (marked *); the objective is "
             "benchmarks.crammer_singer.cs_objective on each model's coef_ and intercept_ "
             "(unpenalised intercept); *vs best* its relative excess over the case's lowest.",
             "",
             "| case | configuration | chosen | time (s) | x ref | objective | vs best | "
             "duality gap | converged | n_iter |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        ref = " *" if r["solver"] == r["reference"] else ""
        gap = "" if np.isnan(r["duality_gap"]) else f"{r['duality_gap']:.1e}"
        conv = "" if r["converged"] is None else str(r["converged"])
        lines.append(f"| {r['case']} | {r['solver']}{ref} | {r['chosen']} | {r['time']:.3f} | "
                     f"{r['ratio']:.2f} | {r['objective']:.10g} | {r['vs_best']:.1e} | {gap} | "
                     f"{conv} | {r['n_iter']} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crammer_singer",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cases", nargs="*", default=None)
    parser.add_argument("--large", action="store_true",
                        help="add dense-10-class-100k-x-100 (LinearSVC takes about 30 s a fit)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    parser.add_argument("--name", default="crammer_singer", help="results file name")
    args = parser.parse_args(argv)
    table = dict(CASES, **(LARGE if args.large else {}))
    names = args.cases if args.cases else list(table)
    records = []
    load_before = os.getloadavg()
    for name in names:
        load, fit_intercept = table[name]
        records += run_case(name, load, fit_intercept, args.repeats)
    command = "python -m benchmarks.crammer_singer " + " ".join(
        argv if argv is not None else sys.argv[1:])
    meta = dict(machine=machine() + " (shared with other engineers' work: loaded)",
                command=command.strip(), load_average=list(load_before) + list(os.getloadavg()))
    write_results(args.out, args.name, meta, records, markdown(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
