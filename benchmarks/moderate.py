"""Moderate data that looks like users' data: ``python -m benchmarks.moderate [--cases ...]
[--estimators ...] [--timeout S] [--peer-timeout S] [--intercept-scalings ...]
[--peer-max-iter N] [--scale F] [--out DIR] [--name NAME]``.

Issue 22 item 4: three generated analogues of public data sets of moderate size, raw (not
standardised) where the originals are, each fitted by every estimator's default configuration
and by LIBLINEAR (``LinearSVC``) over a grid of its settings:

- ``table``: 54,000 rows, 5 classes of unequal size, 10 numeric columns (standardised, some
  correlated) and two categorical columns one-hot encoded (4 and 6 levels): 20 columns, dense;
  the classes are not linearly separable (a quadratic term and noise decide them).
- ``pixels``: 5000 images of 28 x 28 raw pixel values in [0, 255] (integers, most of them 0 at
  the borders), 10 classes, each a smooth random pattern shifted by up to 2 pixels, with noise.
- ``onehot``: 300,000 rows of 10 categorical columns one-hot encoded (3 to 20,000 levels: 26,688
  columns, CSR with 10 entries per row), binary labels from additive category effects and
  logistic noise; the intercept matters (the positive class is about 30%).

Every fit runs in a child process, after an untimed fit on its first rows there (numba's
compilation, or loading its cache), and is stopped after ``--timeout`` seconds (ours) or
``--peer-timeout`` (each LIBLINEAR setting). Objectives are ours for every model (an
unpenalised intercept): ``1/2 ||W||^2 + C sum_i loss_i`` at its ``coef_`` and ``intercept_``
(``LinearSVC`` penalises its intercept, so its models give an upper bound of our optimum).
LIBLINEAR's settings: ``dual`` in (True, False) where the loss allows it, ``intercept_scaling``
in (1, 10, 100) (a larger one penalises the intercept less), ``tol`` from 1e-1 down to 1e-6
(the sweep of one ``(dual, intercept_scaling)`` stops at the first ``tol`` that reaches within
``1e-4`` relative of our objective, or at the first that does not finish in time),
``max_iter=100000`` (``--peer-max-iter``). The *peer* is the fastest setting within ``1e-4``
of our objective (issue 22's rule); ``ratio`` is our time over its time. ``--scale``
multiplies the row counts (tests use a small one).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.svm import LinearSVC

from hingeclf import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM
from hingeclf.metrics import hinge_loss

from .run import machine, write_results

WITHIN = 1e-4  # the relative objective distance at which a LIBLINEAR setting counts as a peer
TOLS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
INTERCEPT_SCALINGS = (1.0, 10.0, 100.0)


def table(scale=1.0, seed=0):
    """The 5-class table (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    n = int(54_000 * scale)
    mixing = rng.standard_normal((10, 10)) * 0.4 + np.eye(10)
    numeric = rng.standard_normal((n, 10)) @ mixing
    numeric = (numeric - numeric.mean(axis=0)) / numeric.std(axis=0)
    levels = (4, 6)
    codes = [rng.integers(0, k, n) for k in levels]
    onehot = np.hstack([np.eye(k)[c] for k, c in zip(levels, codes)])
    X = np.hstack([numeric, onehot])
    W = rng.standard_normal((5, X.shape[1]))
    scores = X @ W.T + 0.5 * (numeric[:, :5] ** 2) @ rng.standard_normal((5, 5))
    scores += np.array([1.5, 1.2, 0.0, -0.5, -1.0])  # unequal class sizes
    scores += rng.gumbel(size=scores.shape) * 1.5
    return X, np.argmax(scores, axis=1)


def pixels(scale=1.0, seed=0):
    """The 5000 x 784 raw pixel images with 10 classes (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    n, side, k = int(5000 * scale), 28, 10
    grid = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), axis=-1)
    prototypes = np.zeros((k, side, side))
    for c in range(k):
        for _ in range(6):  # each class: six smooth strokes in the central 20 x 20
            centre = rng.uniform(8, 20, 2)
            width = rng.uniform(1.2, 3.0)
            prototypes[c] += np.exp(-np.sum((grid - centre) ** 2, axis=-1) / (2 * width ** 2))
    prototypes = np.clip(prototypes / prototypes.max(axis=(1, 2), keepdims=True), 0, 1)
    y = rng.integers(0, k, n)
    X = np.empty((n, side * side))
    shifts = rng.integers(-2, 3, (n, 2))
    for i in range(n):
        image = np.roll(prototypes[y[i]], tuple(shifts[i]), axis=(0, 1))
        image = image * rng.uniform(0.7, 1.0) + rng.normal(0, 0.15, image.shape) * (image > 0.05)
        X[i] = np.clip(np.round(255 * image), 0, 255).ravel()
    return X, y


def onehot(scale=1.0, seed=0):
    """The 300k-row sparse one-hot binary set (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    n = int(300_000 * scale)
    levels = (3, 5, 10, 20, 50, 100, 500, 1000, 5000, 20000)
    offsets = np.concatenate([[0], np.cumsum(levels)[:-1]])
    codes = np.column_stack([
        np.minimum(rng.zipf(1.6, n) - 1, k - 1) if k > 50 else rng.integers(0, k, n)
        for k in levels])
    columns = (codes + offsets).ravel()
    X = sp.csr_matrix((np.ones(columns.size), columns, np.arange(0, columns.size + 1, len(levels))),
                      shape=(n, int(np.sum(levels))))
    effects = rng.standard_normal(X.shape[1]) * 0.6
    score = X @ effects - 1.0 + rng.logistic(size=n) * 0.8
    return X, np.where(score > 0, 1, 0)


CASES = {"table": table, "pixels": pixels, "onehot": onehot}

# name -> (our estimator, loss for LinearSVC, multi_class, squared, duals LIBLINEAR allows)
ESTIMATORS = {
    "HingeSVM": (HingeSVM, "hinge", "ovr", False, (True,)),
    "SquaredHingeSVM": (SquaredHingeSVM, "squared_hinge", "ovr", True, (True, False)),
    "MulticlassHingeSVM": (MulticlassHingeSVM, "hinge", "crammer_singer", False, (True,)),
}


def objective(model, X, y, squared, multi_class, C=1.0):
    """Our objective (unpenalised intercept) at a fitted model's ``coef_`` and ``intercept_``."""
    W = np.asarray(model.coef_, dtype=np.float64)
    b = np.asarray(model.intercept_, dtype=np.float64)
    scores = np.asarray(X @ W.T) + b
    loss = C * len(y) * hinge_loss(y, scores, labels=model.classes_, multi_class=multi_class,
                                   squared=squared)
    return 0.5 * float(np.sum(W * W)) + float(loss)


WARM_ROWS = 3000  # the warm-up fit's rows: enough for the compiled paths (2000 rows and up)


def _fit_in_child(factory, X, y, squared, multi_class, queue):
    model = factory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        factory().fit(X[:WARM_ROWS], y[:WARM_ROWS])  # compiles or loads the kernels: not timed
        start = time.perf_counter()
        model.fit(X, y)
        elapsed = time.perf_counter() - start
    info = dict(time_s=elapsed, objective=objective(model, X, y, squared, multi_class))
    for name in ("solver_", "converged_", "duality_gap_"):
        value = getattr(model, name, None)
        info[name.rstrip("_")] = None if value is None else (
            value if isinstance(value, str) else
            bool(value) if name == "converged_" else float(value))
    info["n_iter"] = int(np.max(model.n_iter_))
    queue.put(info)


def timed_fit(factory, X, y, squared, multi_class, timeout):
    """The fit's record (time, our objective, solver, converged, duality gap, n_iter) from a
    child process (after an untimed warm-up fit on the first rows), or None when it has not
    finished within ``timeout`` seconds."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_fit_in_child,
                            args=(factory, X, y, squared, multi_class, queue))
    child.start()
    try:
        return queue.get(timeout=timeout)
    except Exception:  # noqa: BLE001 - queue.Empty: the fit did not finish in time
        return None
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


def run_case(case, estimator_names, timeout, peer_timeout, scale,
             intercept_scalings=INTERCEPT_SCALINGS, peer_max_iter=100_000):
    X, y = CASES[case](scale)
    records = []
    for name in estimator_names:
        estimator, loss, multi_class, squared, duals = ESTIMATORS[name]
        print(f"[moderate] {case}: {name}", file=sys.stderr, flush=True)
        ours = timed_fit(estimator, X, y, squared, multi_class, timeout)
        tried = []
        for dual, scaling in [(d, s) for d in duals for s in intercept_scalings]:
            for tol in TOLS:
                peer = timed_fit(
                    lambda dual=dual, scaling=scaling, tol=tol: LinearSVC(
                        loss=loss, multi_class=multi_class, dual=dual, tol=tol,
                        intercept_scaling=scaling, max_iter=peer_max_iter),
                    X, y, squared, multi_class, peer_timeout)
                setting = dict(dual=dual, intercept_scaling=scaling, tol=tol)
                if peer is None:
                    tried.append(dict(setting, finished=False))
                    break
                tried.append(dict(setting, finished=True, **peer))
                if ours is not None and peer["objective"] <= ours["objective"] * (1 + WITHIN):
                    break
        within = [] if ours is None else [
            t for t in tried
            if t["finished"] and t["objective"] <= ours["objective"] * (1 + WITHIN)]
        fastest = min(within, key=lambda t: t["time_s"]) if within else None
        finished = [t for t in tried if t["finished"]]
        best = min(finished, key=lambda t: t["objective"]) if finished else None
        records.append(dict(
            case=case, shape=list(X.shape), sparse=sp.issparse(X), estimator=name,
            ours=ours, timeout_s=timeout, peer_timeout_s=peer_timeout, peer=fastest,
            best_peer_objective=None if best is None else best["objective"],
            ratio=None if ours is None or fastest is None else ours["time_s"] / fastest["time_s"],
            settings=tried))
    return records


def _setting(t):
    return f"dual={t['dual']}, scaling={t['intercept_scaling']:g}, tol={t['tol']:g}"


def markdown(records):
    lines = ["| case | estimator | solver | converged | time (s) | objective | duality gap | "
             "peer setting | peer time (s) | ratio | lowest LIBLINEAR objective |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        ours, peer = r["ours"], r["peer"]
        lowest = ("" if r["best_peer_objective"] is None
                  else f"{r['best_peer_objective']:.8g}")
        if ours is None:
            mine = f"(stopped) | | > {r['timeout_s']:.0f} | | "
        else:
            gap = "" if ours["duality_gap"] is None else f"{ours['duality_gap']:.2e}"
            mine = (f"{ours['solver']} | {ours['converged']} | {ours['time_s']:.2f} | "
                    f"{ours['objective']:.8g} | {gap}")
        if peer is None:
            theirs = "(none within 1e-4) | | "
        else:
            theirs = f"{_setting(peer)} | {peer['time_s']:.2f} | {r['ratio']:.2f}"
        shape = "x".join(str(s) for s in r["shape"]) + (" CSR" if r["sparse"] else "")
        lines.append(f"| {r['case']} ({shape}) | {r['estimator']} | {mine} | {theirs} | "
                     f"{lowest} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.moderate",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--estimators", nargs="+", choices=list(ESTIMATORS),
                        default=list(ESTIMATORS))
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds one of our fits may take before it is stopped")
    parser.add_argument("--peer-timeout", type=float, default=120.0,
                        help="seconds one LIBLINEAR fit may take before it is stopped")
    parser.add_argument("--intercept-scalings", type=float, nargs="+",
                        default=list(INTERCEPT_SCALINGS), help="LIBLINEAR's settings swept")
    parser.add_argument("--peer-max-iter", type=int, default=100_000)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the row counts")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    parser.add_argument("--name", default="moderate")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    records = []
    meta = dict(machine=machine(), command="python -m benchmarks.moderate " + " ".join(
        argv if argv is not None else sys.argv[1:]), load_average_before=load_before)
    for case in args.cases:
        records += run_case(case, args.estimators, args.timeout, args.peer_timeout, args.scale,
                            args.intercept_scalings, args.peer_max_iter)
        meta["load_average"] = os.getloadavg()
        note = (f"\nOur default fits, one each, in child processes (stopped after "
                f"{args.timeout:g} s); LIBLINEAR settings swept as the module's docstring says "
                f"(each stopped after {args.peer_timeout:g} s); the peer is the fastest setting "
                "whose model is within 1e-4 (relative) of our objective; ratio = our time / the "
                "peer's. Load average "
                f"{', '.join(f'{x:.1f}' for x in load_before)} before, "
                f"{', '.join(f'{x:.1f}' for x in meta['load_average'])} after (the machine may "
                "be shared: the ratios, measured in the same run, are the figures to read). "
                "Every setting tried is in the JSON file.\n")
        write_results(args.out, args.name, meta, records, markdown(records) + note, echo=False)
    print(markdown(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
