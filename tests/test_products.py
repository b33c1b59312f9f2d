"""The products of the data with the model (``hingeclf._products``): ``X W^T`` and ``G^T X``,
compiled for C-contiguous dense data, ``@`` otherwise; the same results either way."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from threadpoolctl import threadpool_limits

from hingeclf import _products
from hingeclf._products import decision_values, pulled_back


def _data(layout, dtype, n=301, d=7, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[rng.random((n, d)) < 0.4] = 0.0
    X = X.astype(dtype)
    if layout == "C":
        return X
    if layout == "F":
        return np.asfortranarray(X)
    return sp.csr_matrix(X)


@pytest.mark.parametrize("layout", ["C", "F", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_out", [1, 3, 4])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("min_rows", [0, None])
def test_products_equal_the_float64_products(layout, dtype, n_out, threads, min_rows,
                                             monkeypatch):
    """Both products agree with float64 numpy on every layout and number of outputs (compiled
    loops or BLAS), keep the inputs as they were, and return the dtype their docstrings state
    (decision values in that of X; G^T X in float64 on the compiled path); the path does not
    depend on BLAS's thread setting. ``min_rows=0`` lets the compiled loops serve these 301
    rows; by default so few rows go to BLAS."""
    if min_rows is not None:
        monkeypatch.setattr(_products, "COMPILED_MIN_ROWS", min_rows)
    with threadpool_limits(limits=threads, user_api="blas"):
        _check_products(layout, dtype, n_out, compiled=(
            layout == "C" and n_out <= _products.COMPILED_MAX_OUTPUTS and min_rows == 0))


def _check_products(layout, dtype, n_out, compiled):
    X = _data(layout, dtype)
    rng = np.random.default_rng(1)
    coef = rng.normal(size=(n_out, X.shape[1] + 2))
    W = coef[:, 1:-1]  # a strided view, as the solvers' coefficients without intercept
    G = rng.normal(size=(X.shape[0], n_out)).astype(dtype)
    G[rng.random(G.shape) < 0.5] = 0.0
    W_before, G_before = W.copy(), G.copy()
    X_before = X.copy()
    X64 = (X.toarray() if sp.issparse(X) else X).astype(np.float64)
    rtol = 1e-12 if dtype == np.float64 else 1e-5

    raw = decision_values(X, W)
    assert raw.shape == (X.shape[0], n_out) and isinstance(raw, np.ndarray)
    assert raw.dtype == dtype
    expected = X64 @ W.T
    assert_allclose(raw, expected, rtol=0, atol=rtol * (np.abs(X64) @ np.abs(W).T).max())

    back = np.asarray(pulled_back(X, G))
    assert back.shape == (n_out, X.shape[1])
    assert _products._compiled(X, n_out) == compiled
    if compiled:
        assert back.dtype == np.float64
    expected = G.astype(np.float64).T @ X64
    assert_allclose(back, expected, rtol=0,
                    atol=rtol * (np.abs(G).astype(np.float64).T @ np.abs(X64)).max())

    np.testing.assert_array_equal(W, W_before)
    np.testing.assert_array_equal(G, G_before)
    if sp.issparse(X):
        assert (X != X_before).nnz == 0
    else:
        np.testing.assert_array_equal(X, X_before)


def test_compiled_path_only_for_c_contiguous_float_arrays(monkeypatch):
    compiled = _products._compiled
    few = _products.COMPILED_MIN_ROWS - 1
    assert not compiled(np.ones((few, 3)), 1) and compiled(np.ones((few + 1, 3)), 1)
    monkeypatch.setattr(_products, "COMPILED_MIN_ROWS", 4)
    X = np.ones((4, 3))
    assert not compiled(X[:3], 1)
    assert compiled(X, 1) and compiled(X.astype(np.float32), 1)
    assert not compiled(np.asfortranarray(np.ones((4, 3))), 1)
    assert not compiled(X[:, :2], 1)  # a strided view
    assert not compiled(sp.csr_matrix(X), 1)
    assert not compiled(X.astype(np.int64), 1)
    limit = _products.COMPILED_MAX_OUTPUTS
    assert compiled(X, limit) and not compiled(X, limit + 1)


def test_products_do_not_depend_on_blas_threads():
    """The same bits under one BLAS thread and two (concurrent fits run under whatever limit
    is in force, and must equal serial fits)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(5000, 40))
    W = rng.normal(size=(1, 40))
    G = rng.normal(size=(5000, 1))
    results = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            results.append((decision_values(X, W), pulled_back(X, G)))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_float32_pulled_back_sums_in_blocks():
    """Over many rows of positive terms a float32 running sum drifts (its error grows with the
    number of terms); the compiled G^T X adds blocks of BLOCK rows in float32 and the blocks in
    float64, so it stays within a few float32 roundings of the exact sum."""
    rng = np.random.default_rng(2)
    n = 400_000
    X = rng.uniform(0.5, 1.5, size=(n, 2)).astype(np.float32)
    G = rng.uniform(0.5, 1.5, size=(n, 1)).astype(np.float32)
    exact = G.astype(np.float64).T @ X.astype(np.float64)
    running = np.zeros(2, dtype=np.float32)  # what an accumulation in float32 throughout gives
    for block in np.array_split(X * G, 400):
        running = np.cumsum(np.vstack([running[None, :], block]), axis=0, dtype=np.float32)[-1]
    got = pulled_back(X, G)
    error = np.abs(got - exact).max() / np.abs(exact).max()
    drift = np.abs(running - exact).max() / np.abs(exact).max()
    assert error < 1e-6
    assert drift > 10 * error  # (the check can fail: a float32 running sum is far worse)
