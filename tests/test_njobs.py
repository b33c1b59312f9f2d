"""``n_jobs``: validation, and fits equal to the serial ones, to the bit.

The row blocks of :mod:`hingeclf._parallel` are made small here (``MIN_BLOCK_ROWS``
patched, and ``COMPILED_MIN_ROWS`` below which the objective does not split its rows), so that
data of a few hundred rows splits into several blocks and the threads get work to share.
"""

import threading

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification

from hingeclf import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM
from hingeclf import _parallel, _products
from hingeclf._parallel import Workers, effective_n_jobs, row_blocks

ESTIMATORS = [
    lambda **kw: HingeSVM(**kw),
    lambda **kw: SquaredHingeSVM(**kw),
    lambda **kw: MulticlassHingeSVM(multi_class="crammer_singer", **kw),
    lambda **kw: MulticlassHingeSVM(multi_class="weston_watkins", loss="squared_hinge", **kw),
    lambda **kw: MulticlassHingeSVM(multi_class="ovr", **kw),
]
ESTIMATOR_IDS = ["hinge", "squared_hinge", "crammer_singer", "weston_watkins_sq", "ovr"]


@pytest.fixture
def small_blocks(monkeypatch):
    # (and the compiled kernels, which the row blocks serve, from 50 rows on)
    monkeypatch.setattr(_parallel, "MIN_BLOCK_ROWS", 25)
    monkeypatch.setattr(_products, "COMPILED_MIN_ROWS", 50)


def _data(n_classes, dtype, sparse, n=240, d=6):
    X, y = make_classification(n_samples=n, n_features=d, n_informative=4,
                               n_classes=n_classes, n_clusters_per_class=1, random_state=1)
    X = X.astype(dtype)
    return (sp.csr_matrix(X) if sparse else X), y


def _assert_same_fit(a, b):
    assert a.solver_ == b.solver_
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert a.objective_ == b.objective_
    assert a.n_iter_ == b.n_iter_


@pytest.mark.parametrize("make, n_classes", [
    (make, n_classes) for make, name in zip(ESTIMATORS, ESTIMATOR_IDS)
    for n_classes in ((2, 3) if name in ("hinge", "squared_hinge") else (3,))],
    ids=["hinge-binary", "hinge-ovr", "squared_hinge-binary", "squared_hinge-ovr",
         *ESTIMATOR_IDS[2:]])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_fit_equals_serial(small_blocks, make, n_classes, dtype, sparse):
    X, y = _data(n_classes, dtype, sparse)
    _assert_same_fit(make(n_jobs=None).fit(X, y), make(n_jobs=2).fit(X, y))


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "fgd", "dual_cd", "sgd"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_each_solver_equals_serial(small_blocks, solver):
    X, y = _data(3, np.float64, False)
    kw = dict(solver=solver, random_state=0, max_iter=3 if solver == "sgd" else 1000)
    _assert_same_fit(HingeSVM(**kw).fit(X, y), HingeSVM(n_jobs=2, **kw).fit(X, y))


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_l1_equals_serial(small_blocks, penalty):
    X, y = _data(2, np.float64, False)
    _assert_same_fit(SquaredHingeSVM(penalty=penalty, C=0.1).fit(X, y),
                     SquaredHingeSVM(penalty=penalty, C=0.1, n_jobs=2).fit(X, y))


def test_weights_equal_serial(small_blocks):
    X, y = _data(3, np.float32, False)
    w = np.random.default_rng(0).uniform(0, 2, size=y.shape[0])
    kw = dict(class_weight="balanced", fit_intercept=True)
    _assert_same_fit(SquaredHingeSVM(**kw).fit(X, y, sample_weight=w),
                     SquaredHingeSVM(n_jobs=2, **kw).fit(X, y, sample_weight=w))


def test_user_data_untouched(small_blocks):
    X, y = _data(3, np.float64, False)
    X0, y0 = X.copy(), y.copy()
    SquaredHingeSVM(n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("make", [HingeSVM, SquaredHingeSVM, MulticlassHingeSVM])
def test_n_jobs_parameter(make):
    assert make().get_params()["n_jobs"] is None
    assert make(n_jobs=-1).get_params()["n_jobs"] == -1
    X, y = _data(3, np.float64, False, n=60)
    with pytest.raises(ValueError, match="n_jobs == 0"):
        make(n_jobs=0).fit(X, y)
    for bad in (1.5, "2", True):
        with pytest.raises(ValueError, match="n_jobs"):
            make(n_jobs=bad).fit(X, y)


def test_effective_n_jobs():
    cores = _parallel.available_cores()
    assert effective_n_jobs(None) == 1
    assert effective_n_jobs(3) == 3
    assert effective_n_jobs(-1) == cores
    assert effective_n_jobs(-cores - 5) == 1
    with pytest.raises(ValueError):
        effective_n_jobs(0)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_objective_row_sums_over_blocks(monkeypatch, small_blocks, sparse, dtype):
    """The objective's sums over rows (value, gradient, Hessian blocks, the certificate's
    sums, the column means, the largest value) over several blocks: identical whatever the
    threads, and equal to the sums over one block to rounding."""
    from hingeclf._base import encode_labels
    from hingeclf._certificate import certified_gap
    from hingeclf._losses import binary_loss
    from hingeclf._objective import LinearObjective

    X, y = _data(2, dtype, sparse)
    assert len(row_blocks(X.shape[0])) == 8  # (the fixture's blocks)
    _, y_index = encode_labels(y)
    loss = binary_loss("squared_hinge")
    target = loss.encode_target(y_index)
    costs = np.full(X.shape[0], 0.5, dtype=dtype)
    coef = np.random.default_rng(0).normal(size=(1, X.shape[1] + 1)).astype(dtype)

    def sums(n_jobs):
        objective = LinearObjective(loss, X, target, costs, 1, True, workers=Workers(n_jobs))
        value, grad = objective.value_gradient(coef)
        (block,) = objective.hessian_operator(coef).blocks()
        return (value, grad, block, certified_gap(objective, coef)[0],
                objective.column_means(), objective.largest_value())

    one, two = sums(1), sums(2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    monkeypatch.setattr(_parallel, "MIN_BLOCK_ROWS", 10**6)  # (one block)
    whole = sums(1)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(one, whole):
        np.testing.assert_allclose(np.asarray(a, dtype=np.float64),
                                   np.asarray(b, dtype=np.float64), rtol=rtol,
                                   atol=rtol * float(np.max(np.abs(b))))


def test_blas_threads_change_rounding_only(monkeypatch, small_blocks):
    """With ``n_jobs=None`` BLAS keeps its own threads on large data (main's rule: patched
    here to all data), and its products with more than three outputs may round differently
    from the one-thread products of ``n_jobs=2``: the fits agree to rounding (the exception
    to identical fits that docs/scaling.rst states; measured on 100k x 100 in
    benchmarks/results/multicore-ovr-rounding.md)."""
    from threadpoolctl import threadpool_limits

    from hingeclf import _solvers

    monkeypatch.setattr(_solvers, "SINGLE_THREAD_BELOW", 0)
    X, y = _data(5, np.float64, False, n=400)
    with threadpool_limits(limits=2, user_api="blas"):
        one = SquaredHingeSVM().fit(X, y)
        two = SquaredHingeSVM(n_jobs=2).fit(X, y)
    assert one.converged_ and two.converged_
    assert abs(one.objective_ - two.objective_) <= 1e-9 * one.objective_
    scale = float(np.max(np.abs(one.coef_)))
    np.testing.assert_allclose(two.coef_, one.coef_, rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(two.intercept_, one.intercept_, rtol=0, atol=1e-6 * scale)


def test_row_blocks_depend_on_rows_only():
    size = _parallel.MIN_BLOCK_ROWS
    assert row_blocks(2 * size - 1) == [(0, 2 * size - 1)]
    for n in (2 * size, 5 * size + 3, 1000 * size + 7):
        blocks = row_blocks(n)
        count = len(blocks)
        assert count & (count - 1) == 0 and count <= _parallel.MAX_BLOCKS
        assert blocks[0][0] == 0 and blocks[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
        sizes = [stop - start for start, stop in blocks]
        assert min(sizes) >= size and max(sizes) - min(sizes) <= 1


def test_workers_map_uses_threads_and_keeps_order():
    seen = []
    barrier = threading.Barrier(2, timeout=10)

    def task(i):
        if i < 2:
            barrier.wait()  # (the first two items at once: they need two threads)
        seen.append(threading.get_ident())
        return i * i

    assert Workers(2).map(task, range(4)) == [0, 1, 4, 9]
    assert len(set(seen)) == 2
    # a task's own split runs in its thread: no deadlock, same result
    assert Workers(2).map(lambda i: Workers(2).reduce(lambda a, b: b - a, 10 + i), range(3)) \
        == [10, 11, 12]


def test_workers_map_raises_a_tasks_error():
    def task(i):
        if i == 3:
            raise RuntimeError("task 3")
        return i

    with pytest.raises(RuntimeError, match="task 3"):
        Workers(2).map(task, range(4))


def test_multicore_benchmark_writes_its_table(tmp_path, monkeypatch, small_blocks):
    """``python -m benchmarks.multicore`` on a small case: one row, both settings timed, the
    fits identical."""
    import json

    from benchmarks import multicore

    monkeypatch.setattr(multicore, "CASES", {
        "tiny": (lambda: _data(3, np.float64, False, n=2400), SquaredHingeSVM)})
    multicore.main(["--repeats", "1", "--cases", "tiny", "--out", str(tmp_path)])
    (record,) = json.loads((tmp_path / "multicore.json").read_text())["records"]
    assert record["identical"] and record["objective_1"] == record["objective_2"]
    assert record["median_s_1"] > 0 and record["median_s_2"] > 0
    assert (tmp_path / "multicore.md").read_text().count("\n|") == 3
