"""dask: tuning over a LocalCluster through joblib's dask backend, out-of-core training through
dask-ml's Incremental, prediction through ParallelPostFit. Needs the ``dask`` extra."""

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")

from joblib import parallel_config  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

from hingeclf import HingeSVM, MulticlassHingeSVM, RegularizationPathCV  # noqa: E402

CS = [0.01, 0.1, 1.0, 10.0]


@pytest.fixture(scope="module")
def client():
    """Two worker processes, one thread each; closed whatever the tests do."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    try:
        with distributed.Client(cluster) as c:
            yield c
    finally:
        cluster.close()


def data(n_classes=2):
    return make_classification(n_samples=240, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=n_classes, flip_y=0.05, random_state=0)


def test_searches_on_the_cluster_match_the_serial_runs(client):
    X, y = data()
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    path_serial = RegularizationPathCV(HingeSVM(tol=1e-8), Cs=CS, cv=cv).fit(X, y)
    grid_serial = GridSearchCV(HingeSVM(tol=1e-8), {"C": CS}, cv=cv).fit(X, y)
    with parallel_config(backend="dask"), distributed.get_task_stream(client) as stream:
        path = RegularizationPathCV(HingeSVM(tol=1e-8), Cs=CS, cv=cv, n_jobs=-1).fit(X, y)
    path_tasks = stream.data
    with parallel_config(backend="dask"), distributed.get_task_stream(client) as stream:
        grid = GridSearchCV(HingeSVM(tol=1e-8), {"C": CS}, cv=cv, n_jobs=-1).fit(X, y)
    # the fits ran as tasks on the cluster's workers (joblib may batch several into one task)
    workers = set(client.scheduler_info()["workers"])
    for tasks in (path_tasks, stream.data):
        assert len(tasks) >= 1
        assert {task["worker"] for task in tasks} <= workers
    assert path.best_params_ == path_serial.best_params_ == grid.best_params_ == \
        grid_serial.best_params_
    for k in range(4):
        key = f"split{k}_test_score"
        np.testing.assert_allclose(path.cv_results_[key], path_serial.cv_results_[key])
        np.testing.assert_allclose(grid.cv_results_[key], grid_serial.cv_results_[key])
        np.testing.assert_allclose(path.cv_results_[key], grid.cv_results_[key], rtol=1e-6)
    np.testing.assert_allclose(path.best_estimator_.coef_, path_serial.best_estimator_.coef_)


def test_incremental_trains_on_a_chunked_dask_array(client):
    X, y = data(n_classes=3)
    dX = da.from_array(X, chunks=(60, X.shape[1]))
    dy = da.from_array(y, chunks=60)
    classes = np.unique(y)
    make = lambda: MulticlassHingeSVM(solver="sgd", C=0.1, random_state=0)  # noqa: E731
    inc = dask_ml_wrappers.Incremental(make(), shuffle_blocks=False)
    inc.fit(dX, dy, classes=classes)
    # the same as partial_fit over the blocks in order, in this process
    by_hand = make()
    for start in range(0, len(y), 60):
        by_hand.partial_fit(X[start:start + 60], y[start:start + 60], classes=classes)
    np.testing.assert_allclose(inc.estimator_.coef_, by_hand.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(inc.estimator_.intercept_, by_hand.intercept_, rtol=1e-10,
                               atol=1e-12)
    # one epoch over the data already beats chance (1/3) by far
    assert inc.estimator_.score(X, y) > 0.6
    # predict is lazy and blockwise on the dask array
    pred = inc.predict(dX)
    assert isinstance(pred, da.Array)
    np.testing.assert_array_equal(pred.compute(), by_hand.predict(X))


def test_parallel_post_fit_predicts_blockwise(client):
    X, y = data()
    fitted = HingeSVM(C=0.1).fit(X, y)
    model = dask_ml_wrappers.ParallelPostFit(HingeSVM(C=0.1)).fit(X, y)
    dX = da.from_array(X, chunks=(50, X.shape[1]))
    pred = model.predict(dX)
    assert isinstance(pred, da.Array) and pred.npartitions == dX.npartitions
    np.testing.assert_array_equal(pred.compute(), fitted.predict(X))
    assert model.score(X, y) == fitted.score(X, y)
