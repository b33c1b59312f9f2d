"""Fits on dask arrays (hingeclf._dask): the objective summed over the chunks reaches the
in-memory fit's certified optimum; prediction stays lazy; the client never gathers X.
Needs the ``dask`` extra."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import dask  # noqa: E402
import dask.array.core  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402

from hingeclf import (AllPairsSquaredHingeSVM, HingeSVM, MulticlassHingeSVM,  # noqa: E402
                      SquaredHingeSVM)
from hingeclf._dask import ChunkedObjective  # noqa: E402

TOL = 1e-6
ROWS = 100  # rows per chunk: the data below have 4 to 5 chunks


@pytest.fixture(scope="module")
def cluster():
    """Two workers in this process (threads), so that the checks below see their tasks."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    try:
        with distributed.Client(cluster) as c:
            yield c
    finally:
        cluster.close()


@pytest.fixture
def client():
    """The synchronous scheduler: the same tasks in this thread, without a cluster's round trip
    per reduction (most tests; those named ``cluster`` run on the LocalCluster)."""
    with dask.config.set(scheduler="synchronous"):
        yield


def data(n=450, n_classes=2, dtype=np.float64, shift=0.0):
    X, y = make_classification(n_samples=n, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=n_classes, flip_y=0.05, random_state=0)
    return (X + shift).astype(dtype), y


def chunked(X, y):
    return da.from_array(X, chunks=(ROWS, 3)), da.from_array(y, chunks=ROWS)


def assert_same_optimum(fitted, reference, coef_rtol):
    """The dask fit is certified (its duality gap, reported, within tol) and its objective is
    the in-memory fit's within ``tol``, its coefficients within ``coef_rtol``."""
    tol = fitted.tol
    assert fitted.converged_
    assert fitted.duality_gap_ is not None
    assert 0 <= fitted.duality_gap_ <= tol * fitted.objective_
    assert abs(fitted.objective_ - reference.objective_) <= tol * reference.objective_
    scale = np.abs(reference.coef_).max()
    np.testing.assert_allclose(fitted.coef_, reference.coef_, rtol=0, atol=coef_rtol * scale)
    np.testing.assert_allclose(fitted.intercept_, reference.intercept_, rtol=0,
                               atol=coef_rtol * max(scale, 1.0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_squared_hinge_equals_the_in_memory_fit(client, dtype, fit_intercept):
    X, y = data(dtype=dtype, shift=2.0)
    est = dict(C=0.5, tol=TOL, fit_intercept=fit_intercept)
    reference = SquaredHingeSVM(**est).fit(X, y)
    fitted = SquaredHingeSVM(**est).fit(*chunked(X, y))
    assert fitted.solver_ == "newton" and fitted.coef_.dtype == dtype
    assert_same_optimum(fitted, reference, 1e-5 if dtype == np.float64 else 1e-3)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_hinge_equals_the_in_memory_fit(client, fit_intercept):
    X, y = data()
    est = dict(C=0.1, tol=1e-4, fit_intercept=fit_intercept)
    reference = HingeSVM(**est).fit(X, y)
    fitted = HingeSVM(**est).fit(*chunked(X, y))
    # (the hinge's optimum need not be unique: the objectives are compared within tol, the
    # coefficients loosely)
    assert_same_optimum(fitted, reference, 5e-2)


@pytest.mark.parametrize("solver", ["lbfgs", pytest.param("fgd", marks=pytest.mark.slow)])
def test_first_order_solvers_run_over_the_chunks(client, solver):
    X, y = data()
    reference = SquaredHingeSVM(C=0.5, tol=TOL).fit(X, y)
    fitted = SquaredHingeSVM(C=0.5, tol=TOL, solver=solver, max_iter=5000).fit(*chunked(X, y))
    assert fitted.solver_ == solver
    assert_same_optimum(fitted, reference, 1e-3)


def test_one_vs_rest_with_weights(client):
    X, y = data(n=480, n_classes=3)
    weights = np.random.default_rng(0).uniform(0.2, 2.0, size=len(y))
    est = dict(C=0.5, tol=TOL, multi_class="ovr", loss="squared_hinge",
               class_weight="balanced")
    reference = MulticlassHingeSVM(**est).fit(X, y, sample_weight=weights)
    dX, dy = chunked(X, y)
    fitted = MulticlassHingeSVM(**est).fit(dX, dy, sample_weight=da.from_array(weights, 120))
    assert fitted.coef_.shape == (3, 6)
    assert_same_optimum(fitted, reference, 1e-4)
    # a dict of class weights and numpy sample weights
    est["class_weight"] = {0: 2.0, 2: 0.5}
    reference = MulticlassHingeSVM(**est).fit(X, y, sample_weight=weights)
    fitted = MulticlassHingeSVM(**est).fit(dX, dy, sample_weight=weights)
    assert_same_optimum(fitted, reference, 1e-4)


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_sparse_chunks(client, solver):
    rng = np.random.default_rng(0)
    X = sp.random(400, 30, density=0.2, format="csr", random_state=0)
    y = (X @ rng.standard_normal(30) + 0.1 * rng.standard_normal(400) > 0).astype(int)
    est = dict(C=0.5, tol=TOL, solver=solver)
    reference = SquaredHingeSVM(**est).fit(X, y)
    dX = da.from_array(X, chunks=(ROWS, 30), asarray=False)
    fitted = SquaredHingeSVM(**est).fit(dX, da.from_array(y, chunks=ROWS))
    assert_same_optimum(fitted, reference, 1e-3)
    labels = fitted.predict(dX)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), fitted.predict(X))


@pytest.mark.slow  # (a fresh interpreter: about 20 s of imports and JIT cache loads when loaded)
def test_dask_is_imported_only_for_dask_input():
    code = ("import sys; from sklearn.datasets import make_classification; "
            "from hingeclf import HingeSVM; HingeSVM().fit(*make_classification(60)); "
            "print('dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[1])
    assert out.stdout.strip() == "False"


def test_dataframe_of_numeric_columns(client):
    X, y = data()
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    dX = dd.from_pandas(frame, npartitions=4)
    dy = dd.from_pandas(pd.Series(y), npartitions=4)
    reference = SquaredHingeSVM(tol=TOL).fit(frame, y)
    fitted = SquaredHingeSVM(tol=TOL).fit(dX, dy)
    assert_same_optimum(fitted, reference, 1e-5)
    assert list(fitted.feature_names_in_) == list(frame.columns)
    frame["text"] = "a"
    with pytest.raises(ValueError, match="numeric columns only.*text"):
        SquaredHingeSVM().fit(dd.from_pandas(frame, npartitions=2), dy)


def test_prediction_stays_lazy(client):
    X, y = data(n_classes=3)
    fitted = MulticlassHingeSVM(multi_class="ovr", loss="squared_hinge", tol=1e-4).fit(X, y)
    dX, _ = chunked(X, y)
    scores = fitted.decision_function(dX)
    labels = fitted.predict(dX)
    assert isinstance(scores, da.Array) and isinstance(labels, da.Array)
    assert scores.numblocks[0] == dX.numblocks[0]
    np.testing.assert_allclose(scores.compute(), fitted.decision_function(X), rtol=1e-12)
    np.testing.assert_array_equal(labels.compute(), fitted.predict(X))
    binary = HingeSVM(C=0.1).fit(*data())
    scores = binary.decision_function(dX)
    assert isinstance(scores, da.Array) and scores.ndim == 1
    np.testing.assert_allclose(scores.compute(), binary.decision_function(X), rtol=1e-12)


@pytest.mark.parametrize("solver", ["dual_cd", "sgd", "cd"])
def test_solvers_over_rows_are_refused(client, solver):
    X, y = data(n=200)
    with pytest.raises(ValueError, match=f"solver='{solver}' cannot fit a dask array"):
        SquaredHingeSVM(solver=solver).fit(*chunked(X, y))


def test_unsupported_inputs_get_clear_errors(client):
    X, y = data(n=200)
    dX, dy = chunked(X, y)
    with pytest.raises(ValueError, match="penalty='l2' only"):
        SquaredHingeSVM(penalty="l1").fit(dX, dy)
    with pytest.raises(ValueError, match="crammer_singer.*cannot be fitted on dask arrays"):
        MulticlassHingeSVM().fit(dX, dy)
    with pytest.raises(ValueError, match="AllPairsSquaredHingeSVM cannot be fitted on dask"):
        AllPairsSquaredHingeSVM().fit(dX, dy)  # (it used to gather X silently)
    with pytest.raises(ValueError, match="y must be 1-D with 200 entries"):
        SquaredHingeSVM().fit(dX, dy[:150])
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        SquaredHingeSVM().fit(da.from_array(bad, chunks=ROWS), dy)


def test_the_client_never_gathers_X(cluster, monkeypatch):
    """Every dask array computed whole on the client is joined by dask's ``concatenate3``: the
    fit joins nothing larger than a tenth of X (the decision values, as long as X, are not
    gathered either), while gathering X, the positive control, is seen."""
    X, y = data(n=2000)
    dX = da.from_array(X, chunks=(250, 6))
    dy = da.from_array(y, chunks=250)
    joined = []
    original = dask.array.core.concatenate3

    def spy(arrays):
        out = original(arrays)
        joined.append(out.nbytes)
        return out

    monkeypatch.setattr(dask.array.core, "concatenate3", spy)
    fitted = SquaredHingeSVM(C=0.1).fit(dX, dy)
    assert fitted.converged_ and fitted.duality_gap_ is not None
    assert max(joined, default=0) < X.nbytes / 10
    np.asarray(dX)  # the control: gathering X is seen
    assert max(joined) == X.nbytes


def test_the_solvers_see_a_chunked_objective(cluster, monkeypatch):
    """The fit hands the pipeline a ChunkedObjective, never the gathered arrays."""
    import hingeclf._dask as module

    seen = []
    original = module.minimize

    def spy(problem, *args, **kwargs):
        seen.append(problem)
        return original(problem, *args, **kwargs)

    monkeypatch.setattr(module, "minimize", spy)
    X, y = data(n=300)
    fitted = SquaredHingeSVM(tol=TOL).fit(*chunked(X, y))
    assert len(seen) == 1 and isinstance(seen[0], ChunkedObjective)
    assert isinstance(seen[0].X, da.Array) and not seen[0].holds_rows
    # on the cluster's workers, the same optimum as in memory
    assert_same_optimum(fitted, SquaredHingeSVM(tol=TOL).fit(X, y), 1e-5)
