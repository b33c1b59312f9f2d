"""Many classes, few samples each: ``python -m benchmarks.many_classes [--repeats R]
[--classes K ...] [--no-crammer-singer] [--out DIR]``.

The case of issue 25 item 7: 400 x 10 dense ``make_blobs`` data (``random_state=0``) with 100
classes of 4 samples and 200 classes of 2. Fits, each ``R`` times in turn (median wall time
reported; numba compiled before, on a small problem), at the default ``C``, ``tol`` and
``max_iter``:

- ``HingeSVM()`` against ``LinearSVC(loss="hinge")``,
- ``SquaredHingeSVM()`` against ``LinearSVC(loss="squared_hinge")``,
- ``MulticlassHingeSVM()`` (Crammer-Singer) against ``LinearSVC(multi_class="crammer_singer")``
  (each of our fits in a child process stopped after ``--timeout`` seconds, as a fit took many
  minutes before per-pair shrinking; after a stopped fit the row is not repeated).

``--squared-solvers`` fits ``SquaredHingeSVM`` with ``solver="newton"`` and with
``solver="dual_cd"`` instead, the two candidates of ``auto``'s rule for the squared hinge on
dense data (``many_classes-squared-solvers.md``).

Objectives are computed for both models in our convention (an unpenalised intercept) by the
metric functions: ``1/2 ||W||^2 + C n hinge_loss(y, X W^T + b)`` with the one-vs-rest or
Crammer-Singer average. ``LinearSVC`` penalises its intercept, so our objective at its
``coef_`` and ``intercept_`` is an upper bound of our optimum: ours must not exceed it.
Its own objective (``+ 1/2 ||b||^2``) is listed too. ``ratio`` is our median time over
``LinearSVC``'s, measured in the same run (interleaved, so both see the same load).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import make_blobs
from sklearn.svm import LinearSVC

from hingeclf import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM
from hingeclf.metrics import hinge_loss

from .run import machine, write_results

N_SAMPLES, N_FEATURES = 400, 10


def data(n_classes):
    return make_blobs(N_SAMPLES, N_FEATURES, centers=n_classes, random_state=0)


def objective(model, X, y, squared, multi_class, C=1.0):
    """Our objective (unpenalised intercept) at a fitted model's ``coef_`` and ``intercept_``,
    and the model's own when its intercept is penalised (``LinearSVC``)."""
    W = np.asarray(model.coef_, dtype=np.float64)
    b = np.asarray(model.intercept_, dtype=np.float64)
    scores = X @ W.T + b
    loss = C * len(y) * hinge_loss(y, scores, labels=model.classes_, multi_class=multi_class,
                                   squared=squared)
    ours = 0.5 * float(np.sum(W * W)) + float(loss)
    return ours, ours + 0.5 * float(np.sum(b * b))


def models(squared_solvers=False):
    """``(name, ours, peer, squared, multi_class, repeated)``; with ``squared_solvers``, the
    squared hinge's two candidates of ``auto`` instead (what its rule rests on)."""
    if squared_solvers:
        return [(f"SquaredHingeSVM(solver={solver!r})",
                 lambda solver=solver: SquaredHingeSVM(solver=solver),
                 lambda: LinearSVC(loss="squared_hinge"), True, "ovr", True)
                for solver in ("newton", "dual_cd")]
    return [
        ("HingeSVM", lambda: HingeSVM(), lambda: LinearSVC(loss="hinge"), False, "ovr", True),
        ("SquaredHingeSVM", lambda: SquaredHingeSVM(),
         lambda: LinearSVC(loss="squared_hinge"), True, "ovr", True),
        ("MulticlassHingeSVM", lambda: MulticlassHingeSVM(),
         lambda: LinearSVC(multi_class="crammer_singer"), False, "crammer_singer", True),
    ]


def _fit(factory, X, y):
    model = factory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(X, y)
        return model, time.perf_counter() - start


def _fit_in_child(factory, X, y, queue):
    model, elapsed = _fit(factory, X, y)
    queue.put((model, elapsed))


def _fit_with_timeout(factory, X, y, timeout):
    """``(model, seconds)`` of a fit in a child process, or ``(None, timeout)`` when it has not
    finished within ``timeout`` seconds (the child is then stopped)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_fit_in_child, args=(factory, X, y, queue))
    child.start()
    try:
        return queue.get(timeout=timeout)
    except Exception:  # noqa: BLE001 - queue.Empty: the fit did not finish in time
        return None, float(timeout)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


def _compile():
    X, y = data(3)
    for _, ours, _, _, _, _ in models():
        _fit(ours, X, y)
    _fit(lambda: HingeSVM(solver="dual_cd"), X, y)
    _fit(lambda: SquaredHingeSVM(solver="newton"), X, y)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.many_classes",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--classes", type=int, nargs="+", default=[100, 200])
    parser.add_argument("--no-crammer-singer", action="store_true",
                        help="skip MulticlassHingeSVM (its fit may take minutes)")
    parser.add_argument("--squared-solvers", action="store_true",
                        help="fit SquaredHingeSVM with newton and with dual_cd instead "
                             "(results to many_classes-squared-solvers.md/.json)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds a MulticlassHingeSVM fit may take before it is stopped")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    _compile()
    records = []
    load_before = os.getloadavg()
    for n_classes in args.classes:
        X, y = data(n_classes)
        for name, ours, peer, squared, multi_class, repeated in models(args.squared_solvers):
            if multi_class == "crammer_singer" and args.no_crammer_singer:
                continue
            print(f"[many_classes] {n_classes} classes: {name}", file=sys.stderr, flush=True)
            times = {"ours": [], "peer": []}
            fitted = {}
            in_child = multi_class == "crammer_singer"
            for _ in range(args.repeats if repeated else 1):
                for side, factory in (("ours", ours), ("peer", peer)):
                    if side == "ours" and in_child:
                        fitted[side], elapsed = _fit_with_timeout(factory, X, y, args.timeout)
                    else:
                        fitted[side], elapsed = _fit(factory, X, y)
                    times[side].append(elapsed)
                if in_child and fitted["ours"] is None:
                    break  # (stopped: not repeated)
            ours_at_peer, peer_own = objective(fitted["peer"], X, y, squared, multi_class)
            model = fitted["ours"]
            t_ours, t_peer = float(np.median(times["ours"])), float(np.median(times["peer"]))
            record = dict(
                n_classes=n_classes, estimator=name, finished=model is not None,
                time_s=t_ours, times_s=times["ours"], peer_time_s=t_peer,
                peer_times_s=times["peer"], ratio=t_ours / t_peer,
                peer_objective_ours=ours_at_peer, peer_objective_own=peer_own,
                peer_n_iter=int(np.max(fitted["peer"].n_iter_)),
                solver=None, converged=None, duality_gap=None, objective=None,
                objective_by_metric=None)
            if model is not None:
                record.update(
                    solver=model.solver_, converged=bool(model.converged_),
                    duality_gap=(None if model.duality_gap_ is None
                                 else float(model.duality_gap_)),
                    objective=float(model.objective_),
                    objective_by_metric=objective(model, X, y, squared, multi_class)[0])
            records.append(record)
    lines = ["| classes | estimator | solver | converged | time (s) | LinearSVC (s) | ratio | "
             "objective | duality gap | LinearSVC's objective (ours / its own) | "
             "LinearSVC n_iter |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        gap = "" if r["duality_gap"] is None else f"{r['duality_gap']:.2e}"
        if r["finished"]:
            ours = (f"{r['solver']} | {r['converged']} | {r['time_s']:.3f}", f"{r['ratio']:.2f}",
                    f"{r['objective_by_metric']:.8g}")
        else:
            ours = (f"(stopped) | | > {r['time_s']:.0f}", f"> {r['ratio']:.0f}", "")
        lines.append(
            f"| {r['n_classes']} | {r['estimator']} | {ours[0]} | {r['peer_time_s']:.3f} | "
            f"{ours[1]} | {ours[2]} | {gap} | {r['peer_objective_ours']:.8g} / "
            f"{r['peer_objective_own']:.8g} | {r['peer_n_iter']} |")
    load_after = os.getloadavg()
    note = (f"\nMedians of {args.repeats} fits each (MulticlassHingeSVM's in a child process), "
            "ours and LinearSVC's interleaved. The machine was shared with other engineers' "
            f"runs: load average {', '.join(f'{x:.1f}' for x in load_before)} before, "
            f"{', '.join(f'{x:.1f}' for x in load_after)} after; the ratios, measured in the "
            "same run, are the figures to read.\n")
    meta = dict(machine=machine(), command="python -m benchmarks.many_classes " + " ".join(
        argv if argv is not None else sys.argv[1:]), load_average=load_after,
        load_average_before=load_before)
    name = "many_classes-squared-solvers" if args.squared_solvers else "many_classes"
    write_results(args.out, name, meta, records, "\n".join(lines) + "\n" + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
