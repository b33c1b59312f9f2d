"""Start-up: importing the package and the command line's ``--help`` import no numba, and a
default fit on fewer than ``COMPILED_MIN_ROWS`` samples runs numpy's array formulas, so it
compiles nothing (numba is never imported), for every dense input form; those array paths
reach the compiled paths' certified optima.

The subprocess tests start a fresh interpreter, as a fresh install does: numba cannot compile
what it never imports, so they fail if a default small fit would reach a compiled kernel."""

import os
import subprocess
import sys
import textwrap

import pytest
from sklearn import datasets

import hingeclf
import hingeclf._products as products_module

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_fresh(code):
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_import_and_help_import_no_numba():
    out = _run_fresh("""
        import contextlib, io, sys
        import hingeclf
        from hingeclf import *
        from hingeclf.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as text:
            try:
                code = main(["--help"])
            except SystemExit as stop:
                code = stop.code
        assert code in (0, None), code
        assert "usage" in text.getvalue()
        print(hingeclf.__file__, "numba" in sys.modules)
        """)
    path, loaded = out.split()
    assert path.startswith(ROOT) and loaded == "False"


# the default fits whose auto solver is Newton (dual_cd's coordinate loops are compiled)
NUMPY_FITS = [("iris", "HingeSVM"), ("iris", "SquaredHingeSVM"), ("iris", "MulticlassHingeSVM"),
              ("breast_cancer", "HingeSVM"), ("breast_cancer", "SquaredHingeSVM"),
              ("digits", "SquaredHingeSVM")]


def test_default_small_fits_compile_nothing_on_any_dense_input_form():
    """A fresh process fits each of :data:`NUMPY_FITS` on float64 C-ordered data, and iris with
    every dense form the estimators accept (float32, F-ordered, a non-contiguous slice,
    read-only, memory-mapped): numba is never imported."""
    out = _run_fresh("""
        import sys, tempfile, os, warnings
        import numpy as np
        from sklearn import datasets
        import hingeclf
        warnings.simplefilter("ignore")
        fits = %r
        for data, name in fits:
            X, y = getattr(datasets, "load_" + data)(return_X_y=True)
            model = getattr(hingeclf, name)().fit(X, y)
            assert model.solver_ == "newton", (data, name, model.solver_)
        X, y = datasets.load_iris(return_X_y=True)
        wide = np.repeat(X, 2, axis=1)
        readonly = X.copy()
        readonly.flags.writeable = False
        path = os.path.join(tempfile.mkdtemp(), "X.npy")
        np.save(path, X)
        forms = [X.astype(np.float32), np.asfortranarray(X), wide[:, ::2], readonly,
                 np.load(path, mmap_mode="r")]
        for form in forms:
            for name in ("HingeSVM", "SquaredHingeSVM", "MulticlassHingeSVM"):
                getattr(hingeclf, name)().fit(form, y)
        print("numba" in sys.modules)
        """ % (NUMPY_FITS,))
    assert out.split()[-1] == "False"


@pytest.mark.parametrize("data", ["iris", "breast_cancer"])
@pytest.mark.parametrize("name", ["HingeSVM", "SquaredHingeSVM", "MulticlassHingeSVM"])
def test_array_paths_reach_the_compiled_paths_optima(data, name, monkeypatch):
    """The default fit (array formulas below ``COMPILED_MIN_ROWS`` samples) and the same fit
    with every compiled kernel (``COMPILED_MIN_ROWS = 0``) reach the same optimum: each is
    certified by its duality gap, and their objectives differ by at most the sum of the gaps
    (plus rounding)."""
    X, y = getattr(datasets, "load_" + data)(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    fits = {}
    for min_rows in (products_module.COMPILED_MIN_ROWS, 0):
        monkeypatch.setattr(products_module, "COMPILED_MIN_ROWS", min_rows)
        model = getattr(hingeclf, name)().fit(X, y)
        assert model.converged_ and model.duality_gap_ <= 1e-4 * max(1.0, model.objective_)
        fits[min_rows] = model
    array, compiled = fits[products_module.COMPILED_MIN_ROWS], fits[0]
    assert compiled.solver_ == array.solver_
    bound = array.duality_gap_ + compiled.duality_gap_ + 1e-10 * abs(compiled.objective_)
    assert abs(array.objective_ - compiled.objective_) <= bound


def test_verbose_fit_announces_compiled_kernels_before_numba_loads(monkeypatch, capsys):
    """The pipeline's notice (printed with ``verbose`` when a fit is about to use compiled
    kernels) appears while numba is not imported, and not once it is."""
    import hingeclf._solvers as solvers_module

    calls = []
    monkeypatch.setattr(solvers_module, "announce_compiling", calls.append)
    X, y = datasets.load_iris(return_X_y=True)
    hingeclf.HingeSVM(solver="dual_cd", verbose=1).fit(X, y)
    hingeclf.HingeSVM(solver="newton", verbose=1).fit(X, y)  # the array path: no notice
    hingeclf.HingeSVM(solver="dual_cd").fit(X, y)  # not verbose: no notice
    assert calls == ["dual_cd"]
    monkeypatch.undo()
    capsys.readouterr()

    from hingeclf._lazy import announce_compiling

    announce_compiling("dual_cd")  # numba is loaded by now: silent
    assert capsys.readouterr().out == ""
    monkeypatch.delitem(sys.modules, "numba")
    announce_compiling("dual_cd")
    assert "dual_cd uses compiled kernels" in capsys.readouterr().out
