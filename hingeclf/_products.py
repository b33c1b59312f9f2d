"""The two products of the data with the model that every full-batch solver repeats:
``X W^T`` (decision values) and ``G^T X`` (the chain rule back to the coefficients).

For a C-contiguous dense ``X`` (float32 or float64) of at least :data:`COMPILED_MIN_ROWS` rows
and at most :data:`COMPILED_MAX_OUTPUTS` outputs they are compiled loops over the rows, one pass
over ``X`` each; anything else (sparse, Fortran-ordered, other dtypes, fewer rows, more outputs)
goes to ``@``. The choice depends on the data only, never on BLAS's thread setting, so a fit's
result does not either. The timings behind the rules: ``python -m benchmarks.products
[--threads 2]`` (benchmarks/results/products.md, products-2-threads.md;
docs/design_decisions.rst, 'Compiled products and Gram matrices').

Rounding: ``X W^T`` sums ``d`` products per entry in the dtype of ``X``, as BLAS does.
``G^T X`` adds blocks of :data:`BLOCK` rows in the dtype of ``X`` and the blocks' sums in
float64, so a float32 sum over a million rows carries the error of a few hundred terms, not of
a running float32 sum over all of them (``tests/test_products.py``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._lazy import njit

# rows per float32/float64 partial sum in G^T X
BLOCK = 256
# the compiled loops serve up to this many outputs (binary problems, one-vs-rest with up to
# three classes); beyond, BLAS's blocked products win in float32 (benchmarks/results/products.md)
COMPILED_MAX_OUTPUTS = 3
# Below this many samples no compiled kernel runs: the products are ``@`` and the objective
# uses the loss's array formulas (:attr:`hingeclf._objective.Objective.fused`), so a small fit
# compiles nothing and imports no numba; both paths agree to rounding. Why this size:
# benchmarks/results/small_paths.md (python -m benchmarks.small_paths).
COMPILED_MIN_ROWS = 2000
# Whatever BLAS's thread setting: a fit's result must not depend on it (concurrent fits run
# under whatever limit is in force, docs/reliability.rst), so the path is chosen from the data
# alone (its cost with two BLAS threads: benchmarks/results/products-2-threads.md)

# as in _loss_kernels: LLVM may split the sums into vector lanes (the results differ from the
# sequential sums by rounding only)
_FAST = {"reassoc", "nsz", "contract"}


def compiled_rows(n_samples):
    """Whether a problem of ``n_samples`` samples runs the compiled kernels
    (at least :data:`COMPILED_MIN_ROWS`): the one home of that rule."""
    return n_samples >= COMPILED_MIN_ROWS


def _compiled(X, n_out):
    return (n_out <= COMPILED_MAX_OUTPUTS and isinstance(X, np.ndarray) and X.ndim == 2
            and compiled_rows(X.shape[0]) and X.flags.c_contiguous
            and X.dtype in (np.float32, np.float64))


def decision_values(X, W, out=None):
    """``X @ W.T`` for ``W`` of shape ``(n_out, n_features)``: a dense ``(n_samples, n_out)``
    array in the dtype of ``X`` (``W`` is taken in that dtype), written into ``out`` if given
    (C-ordered, of that shape and dtype)."""
    if not _compiled(X, W.shape[0]):
        product = X @ np.asarray(W, dtype=X.dtype).T
        product = np.asarray(product.toarray() if sp.issparse(product) else product)
        if out is None:
            return product
        out[...] = product
        return out
    W = np.ascontiguousarray(W, dtype=X.dtype)
    if out is None:
        out = np.empty((X.shape[0], W.shape[0]), dtype=X.dtype)
    _rows_times(X, W, out)
    return out


def pulled_back(X, G):
    """``G.T @ X`` for ``G`` of shape ``(n_samples, n_out)``: ``(n_out, n_features)``, float64
    on the compiled path (the dtype of ``X.T @ G`` on the others)."""
    if not _compiled(X, G.shape[1]):
        return np.asarray(X.T @ G).T
    if G.dtype != X.dtype:
        G = G.astype(X.dtype)
    out = np.zeros((G.shape[1], X.shape[1]))
    _columns_times(X, G, out, BLOCK)
    return out


@njit(cache=True, nogil=True, fastmath=_FAST)
def _rows_times(X, W, out):
    n, d = X.shape
    n_out = W.shape[0]
    zero = X.dtype.type(0)
    for i in range(n):
        for k in range(n_out):
            s = zero
            for j in range(d):
                s += X[i, j] * W[k, j]
            out[i, k] = s


@njit(cache=True, nogil=True, fastmath=_FAST)
def _columns_times(X, G, out, block):
    n, d = X.shape
    n_out = G.shape[1]
    part = np.zeros((n_out, d), dtype=X.dtype)
    for start in range(0, n, block):
        part[:] = 0
        for i in range(start, min(n, start + block)):
            for k in range(n_out):
                g = G[i, k]
                for j in range(d):
                    part[k, j] += X[i, j] * g
        for k in range(n_out):
            for j in range(d):
                out[k, j] += part[k, j]
