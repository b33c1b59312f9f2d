"""Small data, warm, against LinearSVC: ``python -m benchmarks.small [--repeats R]
[--data NAME ...] [--estimators NAME ...] [--grid-data NAME ...] [--grid-estimators NAME ...]
[--no-grid] [--n-Cs N] [--name NAME] [--out DIR]``.

Issue 22, item 2. In one process, after a warm-up fit of each case:

(a) the default fits of ``HingeSVM``, ``SquaredHingeSVM`` and ``MulticlassHingeSVM`` on iris,
    wine and breast_cancer (raw and standardised) and digits (raw), each against
    ``LinearSVC`` with the same loss (``loss="hinge"``, ``loss="squared_hinge"``,
    ``multi_class="crammer_singer"``), the two alternating ``R`` times: median wall times and
    their ratio (ours / LinearSVC). Both models' coefficients are scored by one function,
    :func:`objective` (our objective, an unpenalised intercept, through
    :func:`hingeclf.metrics.hinge_loss`): ``LinearSVC`` penalises its intercept, so its
    coefficients are a feasible point of our problem and ours must not be worse. Our
    ``duality_gap_``, ``converged_``, ``solver_`` and ``n_iter_`` and LinearSVC's ``n_iter_``
    are listed too.
(b) per case of ``--grid-data`` and ``--grid-estimators`` (default: those of (a)),
    ``GridSearchCV`` over ``C = logspace(-3, 2, 10)`` (``--n-Cs`` values) with 5 unshuffled
    stratified folds (the same folds for all three), accuracy, refit included, serial: our
    estimator, ``LinearSVC`` with the same loss, and ``RegularizationPathCV`` on our
    estimator with the same grid and folds; each once, total wall times and ratios to
    ``GridSearchCV(LinearSVC)``, with the best ``C`` and score and the number of
    ``ConvergenceWarning`` raised.

Targets (issue 22): fit medians at most 2x LinearSVC's at an equal or better objective;
GridSearchCV at most 1.2x; RegularizationPathCV at most 0.6x. Results go to ``NAME.json`` and
``NAME.md`` (default ``small``) under ``--out`` (default ``benchmarks/results``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

import hingeclf
from hingeclf import RegularizationPathCV
from hingeclf.metrics import hinge_loss

from .run import machine, write_results

HERE = os.path.dirname(os.path.abspath(__file__))

DATA = ["iris", "wine", "wine standardised", "breast_cancer", "breast_cancer standardised",
        "digits"]
# estimator: (LinearSVC's options for the same loss, squared, multi_class of the metric)
ESTIMATORS = {
    "HingeSVM": (dict(loss="hinge"), False, "ovr"),
    "SquaredHingeSVM": (dict(loss="squared_hinge"), True, "ovr"),
    "MulticlassHingeSVM": (dict(multi_class="crammer_singer"), False, "crammer_singer"),
}
CS = np.logspace(-3, 2, 10)
N_FOLDS = 5
TARGETS = {"fit": 2.0, "grid": 1.2, "path": 0.6}


def load(name):
    """``(X, y)`` of a case of :data:`DATA` ("standardised": scikit-learn's
    ``StandardScaler`` on the whole set)."""
    base, _, scaling = name.partition(" ")
    X, y = getattr(datasets, "load_" + base)(return_X_y=True)
    if scaling == "standardised":
        X = StandardScaler().fit_transform(X)
    return np.ascontiguousarray(X, dtype=np.float64), y


def objective(model, X, y, squared, multi_class, C=1.0):
    """Our objective, ``1/2 ||W||^2 + C n hinge_loss(y, X W^T + b)`` (the intercept not
    penalised), at a fitted model's ``coef_`` and ``intercept_``: one function for both.

    With two classes a Crammer-Singer model reports the difference ``v = w_1 - w_0`` of its
    two score functions (ours and LinearSVC's), and its loss is the binary hinge of ``v``; the
    split of ``v`` with the smallest penalty is ``w_1 = -w_0 = v / 2``, whose penalty is
    ``1/4 ||v||^2``: the objective at that split."""
    W = np.asarray(model.coef_, dtype=np.float64)
    b = np.asarray(model.intercept_, dtype=np.float64)
    scores = X @ W.T + b
    half = 0.5
    if scores.shape[1] == 1:
        scores = scores[:, 0]
        if multi_class == "crammer_singer":
            half = 0.25
    loss = C * len(y) * hinge_loss(y, scores, labels=model.classes_, multi_class=multi_class,
                                   squared=squared)
    return half * float(np.sum(W * W)) + float(loss)


def _timed_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(X, y)
        return time.perf_counter() - start, model


def fits(data, estimators, repeats):
    """Part (a): one record per (data, estimator)."""
    records = []
    for name in data:
        X, y = load(name)
        for est in estimators:
            peer_options, squared, multi_class = ESTIMATORS[est]
            sides = {"ours": lambda est=est: getattr(hingeclf, est)(),
                     "peer": lambda o=peer_options: LinearSVC(**o)}
            for make in sides.values():
                _timed_fit(make(), X, y)  # warm-up
            times = {side: [] for side in sides}
            models = {}
            for _ in range(repeats):
                for side, make in sides.items():
                    seconds, models[side] = _timed_fit(make(), X, y)
                    times[side].append(seconds)
            ours, peer = models["ours"], models["peer"]
            record = dict(
                data=name, estimator=est, n_samples=X.shape[0], n_features=X.shape[1],
                n_classes=len(ours.classes_),
                ours_s=float(np.median(times["ours"])), peer_s=float(np.median(times["peer"])),
                ours_times=times["ours"], peer_times=times["peer"],
                objective_ours=objective(ours, X, y, squared, multi_class),
                objective_peer=objective(peer, X, y, squared, multi_class),
                objective_reported=float(ours.objective_),
                duality_gap=None if ours.duality_gap_ is None else float(ours.duality_gap_),
                converged=bool(ours.converged_), solver=ours.solver_,
                n_iter=int(ours.n_iter_), peer_n_iter=int(np.max(peer.n_iter_)))
            record["ratio"] = record["ours_s"] / record["peer_s"]
            record["objective_rel_diff"] = ((record["objective_ours"] - record["objective_peer"])
                                            / abs(record["objective_peer"]))
            record["meets_target"] = bool(record["ratio"] <= TARGETS["fit"]
                                          and record["objective_rel_diff"] <= 1e-6)
            print(f"[small] {name} {est}: {record['ours_s']:.4f} / {record['peer_s']:.4f} s "
                  f"= {record['ratio']:.2f}x, {ours.solver_}", file=sys.stderr, flush=True)
            records.append(record)
    return records


def _search_time(search, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore", UserWarning)  # (a best C at the grid's edge)
        warnings.simplefilter("always", ConvergenceWarning)  # (a UserWarning; takes precedence)
        start = time.perf_counter()
        search.fit(X, y)
        elapsed = time.perf_counter() - start
    n_warn = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    return dict(time_s=elapsed, best_C=float(search.best_params_["C"]),
                best_score=float(search.best_score_), convergence_warnings=int(n_warn))


def searches(data, estimators, Cs=CS):
    """Part (b): one record per (data, estimator) with the three searches' totals."""
    cv = StratifiedKFold(N_FOLDS)
    records = []
    for name in data:
        X, y = load(name)
        for est in estimators:
            peer_options = ESTIMATORS[est][0]
            record = dict(data=name, estimator=est)
            runs = {
                "grid": lambda: GridSearchCV(getattr(hingeclf, est)(), {"C": Cs}, cv=cv),
                "peer": lambda: GridSearchCV(LinearSVC(**peer_options), {"C": Cs}, cv=cv),
                "path": lambda: RegularizationPathCV(getattr(hingeclf, est)(), Cs=Cs, cv=cv),
            }
            for side, make in runs.items():
                record[side] = _search_time(make(), X, y)
            for side in ("grid", "path"):
                record[f"{side}_ratio"] = record[side]["time_s"] / record["peer"]["time_s"]
            print(f"[small] search {name} {est}: grid {record['grid']['time_s']:.2f} s, "
                  f"path {record['path']['time_s']:.2f} s, LinearSVC "
                  f"{record['peer']['time_s']:.2f} s", file=sys.stderr, flush=True)
            records.append(record)
    return records


def _gap(value):
    return "-" if value is None else f"{value:.1e}"


def markdown(meta, fit_records, search_records):
    lines = [f"Warm fits in one process after a warm-up, median of {meta['repeats']} (ours "
             "and LinearSVC alternating), default parameters; both objectives are ours "
             "(unpenalised intercept) evaluated by one function on each model's coefficients "
             "(`benchmarks.small.objective`). *rel. diff* is (ours - LinearSVC's) / "
             "LinearSVC's: at most 0 means ours is equal or better. Target: ratio at most "
             f"{TARGETS['fit']}. The machine is shared with other engineers' jobs (load "
             "average above and at the end below): the ratios, measured side by side, are "
             "the figures to read.", "",
             "| data | estimator | ours (s) | LinearSVC (s) | ratio | objective ours | "
             "objective LinearSVC | rel. diff | duality gap | converged | solver | n_iter | "
             "LinearSVC n_iter | target met |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in fit_records:
        lines.append(
            f"| {r['data']} | {r['estimator']} | {r['ours_s']:.4f} | {r['peer_s']:.4f} | "
            f"{r['ratio']:.2f} | {r['objective_ours']:.10g} | {r['objective_peer']:.10g} | "
            f"{r['objective_rel_diff']:.1e} | {_gap(r['duality_gap'])} | {r['converged']} | "
            f"{r['solver']} | {r['n_iter']} | {r['peer_n_iter']} | "
            f"{'yes' if r['meets_target'] else 'no'} |")
    if search_records:
        lines += ["", f"Searches over C = logspace(-3, 2, {len(meta['Cs'])}), {N_FOLDS} "
                  "unshuffled stratified folds, accuracy, refit included, serial, each run "
                  "once. Targets: "
                  f"GridSearchCV at most {TARGETS['grid']}x GridSearchCV(LinearSVC), "
                  f"RegularizationPathCV at most {TARGETS['path']}x. *warnings*: "
                  "ConvergenceWarnings raised (ours / LinearSVC's).", "",
                  "| data | estimator | GridSearchCV ours (s) | GridSearchCV LinearSVC (s) | "
                  "RegularizationPathCV (s) | grid ratio | path ratio | best C grid / "
                  "LinearSVC / path | warnings |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in search_records:
            lines.append(
                f"| {r['data']} | {r['estimator']} | {r['grid']['time_s']:.2f} | "
                f"{r['peer']['time_s']:.2f} | {r['path']['time_s']:.2f} | "
                f"{r['grid_ratio']:.2f} | {r['path_ratio']:.2f} | "
                f"{r['grid']['best_C']:.3g} / {r['peer']['best_C']:.3g} / "
                f"{r['path']['best_C']:.3g} | {r['grid']['convergence_warnings']} / "
                f"{r['peer']['convergence_warnings']} |")
    lines += ["", "Load average at the end: " + ", ".join(
        f"{x:.1f}" for x in meta["load_average_end"])]
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.small")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--data", nargs="+", default=DATA, choices=DATA)
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS),
                        choices=list(ESTIMATORS))
    parser.add_argument("--grid-data", nargs="+", default=None, choices=DATA,
                        help="cases of the searches (default: those of --data)")
    parser.add_argument("--grid-estimators", nargs="+", default=None, choices=list(ESTIMATORS),
                        help="estimators of the searches (default: those of --estimators)")
    parser.add_argument("--no-grid", action="store_true", help="skip the searches")
    parser.add_argument("--n-Cs", type=int, default=len(CS),
                        help="values of C in the searches, log-spaced over [1e-3, 1e2]")
    parser.add_argument("--name", default="small")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args(argv)
    meta = dict(machine=machine(), command="python -m benchmarks.small " + " ".join(argv),
                repeats=args.repeats, load_average=list(os.getloadavg()),
                targets=TARGETS, n_folds=N_FOLDS)
    Cs = np.logspace(-3, 2, args.n_Cs)
    meta["Cs"] = Cs.tolist()
    fit_records = fits(args.data, args.estimators, args.repeats)
    search_records = ([] if args.no_grid else
                      searches(args.grid_data or args.data,
                               args.grid_estimators or args.estimators, Cs))
    meta["load_average_end"] = list(os.getloadavg())
    records = dict(fits=fit_records, searches=search_records)
    write_results(args.out, args.name, meta, records,
                  markdown(meta, fit_records, search_records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
