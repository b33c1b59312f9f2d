"""One timed fit of one configuration with one revision of hingeclf, for
:mod:`benchmarks.compare`; run as a script (not as ``-m``, which would put the current
directory first on ``sys.path``):

    python benchmarks/_compare_child.py WORKTREE CASES_PY DATA SUITE CASE CONFIGURATION

``sys.path[0]`` (this script's directory) is replaced by ``WORKTREE`` before anything else is
imported, so ``import hingeclf`` loads that revision; the configurations and the objective come
from ``CASES_PY`` (the comparing tree's ``benchmarks/cases.py``, loaded by path: both revisions
fit the same configurations), the data from ``DATA`` (saved once by the parent). Prints one
JSON line.
"""

import sys


def _load(path):
    import os

    import numpy as np
    import scipy.sparse as sp

    X = sp.load_npz(path + ".X.npz") if os.path.exists(path + ".X.npz") else np.load(path + ".X.npy")
    return X, np.load(path + ".y.npy")


def _warm_up_model(model, X, y):
    """``model`` with ``solver="auto"`` replaced by what it resolves to on the whole data (on
    the warm-up slice ``auto`` can pick another solver), where the revision offers the hooks to
    ask; otherwise ``model`` as it is (a timed fit that then still compiles is caught below)."""
    import numpy as np

    if getattr(model, "solver", None) != "auto":
        return model
    try:
        loss = model._make_loss(len(np.unique(y)))
        return model.set_params(solver=model._resolve_solver(loss, X))
    except (AttributeError, TypeError, NotImplementedError):
        return model


def _fit(factory, X, y):
    import time
    import warnings

    from numba.core import event

    model = factory()
    # numba takes its compiler lock to compile a function or load it from its cache; events
    # during the fit mean it was not warm
    with warnings.catch_warnings(), event.install_recorder("numba:compiler_lock") as rec:
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(X, y)
        elapsed = time.perf_counter() - start
    return model, elapsed, len(rec.buffer) > 0


def _plain(value):
    """A fitted attribute as JSON: numpy scalars and arrays as numbers and lists."""
    import numpy as np

    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return value


def main(argv):
    worktree, cases_path, data, suite, case, name = argv
    sys.path[0] = worktree
    import importlib.util
    import json
    import os

    import numpy as np

    spec = importlib.util.spec_from_file_location("_compare_cases", cases_path)
    cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cases)
    import hingeclf

    here = os.path.realpath(hingeclf.__file__)
    if not here.startswith(os.path.realpath(worktree) + os.sep):
        raise SystemExit(f"hingeclf loaded from {here}, not from the worktree {worktree}")
    family = cases.SUITES[suite][case][1]
    X, y = _load(data)
    (loss, factory), = [(l, f) for n, l, f in cases.solvers(family, X.shape[0]) if n == name]
    # warm-up: a fit on a slice that keeps every class (JIT compilation or loading its cache
    # excluded from the timed fit); should the timed fit still have compiled, it counts as a
    # second warm-up and the fit is timed again
    _, first = np.unique(y, return_index=True)
    rows = np.union1d(first, np.arange(min(200, X.shape[0])))
    _, warm_up_s, _ = _fit(lambda: _warm_up_model(factory(), X, y), X[rows], y[rows])
    model, elapsed, compiled = _fit(factory, X, y)
    retimed = compiled
    if compiled:
        model, elapsed, compiled = _fit(factory, X, y)
    print(json.dumps(dict(
        hingeclf=here, time_s=elapsed, warm_up_s=warm_up_s, retimed=retimed,
        compiled_in_timed_fit=compiled,
        objective=cases.objective(loss, X, y, model.coef_),
        duality_gap=_plain(getattr(model, "duality_gap_", None)),
        converged=_plain(getattr(model, "converged_", None)),
        n_iter=_plain(getattr(model, "n_iter_", None)),
        solver_used=_plain(getattr(model, "solver_", None)))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
