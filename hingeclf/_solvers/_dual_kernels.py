"""numba kernels of the dual coordinate descent solvers (compiled on first use, cached on disk).

One kernel serves dense arrays (any layout) and CSR matrices: rows are reached through
:func:`row_dot` and :func:`row_axpy`, which numba specialises for a 2-D array or for a
``(data, indices, indptr)`` tuple. Vectors that grow with ``n_features`` (``w``) and the dual
variables are float64; ``X`` is read in its own dtype and never copied. No ``fastmath``, and the
CSR loops index with unsigned integers (``np.uint64`` of the stored positions and column
indices) so that numba omits its negative-index wraparound test: both for speed, see
docs/design_decisions.rst, 'Dual coordinate descent kernels'.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

_JIT = dict(cache=True, nogil=True, error_model="numpy")


def row_dot(X, i, w):  # pragma: no cover - replaced by the overloads inside numba
    raise NotImplementedError


def row_axpy(X, i, a, w):  # pragma: no cover
    raise NotImplementedError


def row_norm2(X, i):  # pragma: no cover
    raise NotImplementedError


@overload(row_dot)
def _row_dot(X, i, w):
    if isinstance(X, types.Array):
        def impl(X, i, w):
            s = 0.0
            for k in range(X.shape[1]):
                s += X[i, k] * w[k]
            return s
        return impl
    if isinstance(X, types.BaseTuple):
        def impl(X, i, w):
            data, indices, indptr = X
            s = 0.0
            for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
                s += data[p] * w[np.uint64(indices[p])]
            return s
        return impl


@overload(row_axpy)
def _row_axpy(X, i, a, w):
    if isinstance(X, types.Array):
        def impl(X, i, a, w):
            for k in range(X.shape[1]):
                w[k] += a * X[i, k]
        return impl
    if isinstance(X, types.BaseTuple):
        def impl(X, i, a, w):
            data, indices, indptr = X
            for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
                w[np.uint64(indices[p])] += a * data[p]
        return impl


@overload(row_norm2)
def _row_norm2(X, i):
    if isinstance(X, types.Array):
        def impl(X, i):
            s = 0.0
            for k in range(X.shape[1]):
                s += float(X[i, k]) * float(X[i, k])
            return s
        return impl
    if isinstance(X, types.BaseTuple):
        def impl(X, i):
            data, indices, indptr = X
            s = 0.0
            for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
                s += float(data[p]) * float(data[p])
            return s
        return impl


@njit(**_JIT)
def row_norms2(X, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = row_norm2(X, i)
    return out


@njit(**_JIT)
def binary_dual_cd(X, y, upper, diag, qd, alpha, w, state, rho, eps, max_epochs, seed, m, xm):
    """Dual coordinate descent with shrinking for one binary problem (Hsieh et al. 2008).

    Minimises ``1/2 a^T Q a - sum a + b (y^T a) + rho/2 (y^T a)^2`` over ``0 <= a_i <= upper_i``,
    ``Q_ij = y_i y_j x_i . x_j + diag_i [i == j]``: the dual of the binary problem with its
    intercept constraint ``y^T a = 0`` handled by the augmented Lagrangian (method of
    multipliers) with multiplier ``b`` (the intercept) and penalty ``rho``; ``b`` is updated
    after every epoch, ``b += rho y^T a``. ``rho = 0`` solves the problem without intercept.

    With an intercept the rows are centred, ``x_i - m`` (``m`` the mean row), without touching
    ``X``: on the constraint ``y^T a = 0`` this changes neither the dual nor ``w``, and it makes
    the problem as well conditioned on data far from the origin as on centred data. The kernel
    keeps ``w = sum_i a_i y_i x_i`` (raw rows; the centred weights are ``w - (y^T a) m``) and
    ``m . w``, with ``xm_i = x_i . m`` given. ``qd_i = ||x_i - m||^2 + diag_i + rho``, ``w``,
    ``alpha`` and ``state = [b, y^T a]`` are updated in place. Coordinate step (vector form
    ``a_i <- clip(a_i - G_i / Q_ii, 0, upper_i)``), with ``s = y^T a``::

        G_i = y_i ((x_i - m) . (w - s m) + b + rho s) - 1 + diag_i a_i

    Shrinking as LIBLINEAR: a variable at a bound whose projected gradient lies beyond the last
    epoch's extremes leaves the active set; when the projected-gradient spread of the active set
    is below ``eps``, the full set is checked once more before stopping. Returns the number of
    epochs and whether the spread criterion held on the full set.
    """
    n = y.shape[0]
    # the per-sample scalars side by side, one row per sample: a visit in random order then
    # touches one cache line instead of one per array (docs/design_decisions.rst, 'Dual
    # coordinate descent kernels')
    S = np.empty((n, 6))
    for i in range(n):
        S[i, 0] = y[i]
        S[i, 1] = upper[i]
        S[i, 2] = diag[i]
        S[i, 3] = qd[i]
        S[i, 4] = xm[i]
        S[i, 5] = alpha[i]
    index = np.arange(n)
    np.random.seed(seed)
    active = n
    pg_max_old = np.inf
    pg_min_old = -np.inf
    b = state[0]
    ysum = state[1]
    mm = 0.0
    mw = 0.0
    for k in range(m.shape[0]):
        mm += m[k] * m[k]
        mw += m[k] * w[k]
    epoch = 0
    converged = False
    while epoch < max_epochs:
        epoch += 1
        for k in range(active - 1, 0, -1):
            j = np.random.randint(0, k + 1)
            index[k], index[j] = index[j], index[k]
        pg_max = -np.inf
        pg_min = np.inf
        k = 0
        while k < active:
            i = index[k]
            u = S[i, 1]
            if u <= 0.0:  # zero weight: the variable is fixed at 0
                active -= 1
                index[k], index[active] = index[active], index[k]
                continue
            a = S[i, 5]
            yi = S[i, 0]
            xmi = S[i, 4]
            f = row_dot(X, i, w) - ysum * xmi - mw + ysum * mm
            g = yi * (f + b + rho * ysum) - 1.0 + S[i, 2] * a
            pg = 0.0
            if a == 0.0:
                if g > pg_max_old:
                    active -= 1
                    index[k], index[active] = index[active], index[k]
                    continue
                if g < 0.0:
                    pg = g
            elif a == u:
                if g < pg_min_old:
                    active -= 1
                    index[k], index[active] = index[active], index[k]
                    continue
                if g > 0.0:
                    pg = g
            else:
                pg = g
            if pg > pg_max:
                pg_max = pg
            if pg < pg_min:
                pg_min = pg
            if pg != 0.0:
                new = min(max(a - g / S[i, 3], 0.0), u)
                step = (new - a) * yi
                if step != 0.0:
                    S[i, 5] = new
                    row_axpy(X, i, step, w)
                    ysum += step
                    mw += step * xmi
            k += 1
        if rho > 0.0:
            b += rho * ysum
        if pg_max - pg_min <= eps:
            if active == n:
                converged = True
                break
            active = n
            pg_max_old = np.inf
            pg_min_old = -np.inf
            continue
        pg_max_old = pg_max if pg_max > 0.0 else np.inf
        pg_min_old = pg_min if pg_min < 0.0 else -np.inf
    for i in range(n):
        alpha[i] = S[i, 5]
    state[0] = b
    state[1] = ysum
    return epoch, converged


@njit(**_JIT)
def rows_dot(X, w, n):
    """``X w`` in float64 (no upcast copy of a float32 ``X``)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = row_dot(X, i, w)
    return out


@njit(**_JIT)
def weighted_row_sum(X, coef, w):
    """``w += sum_i coef_i x_i`` over the rows with ``coef_i != 0``."""
    for i in range(coef.shape[0]):
        if coef[i] != 0.0:
            row_axpy(X, i, coef[i], w)


@njit(**_JIT)
def weighted_row_sum_multi(X, coef, W):
    """``W += sum_i x_i^T coef_i``: ``coef`` of shape (n, K), ``W`` of shape (d, K)."""
    K = coef.shape[1]
    for i in range(coef.shape[0]):
        for m in range(K):
            if coef[i, m] != 0.0:
                row_axpy_multi(X, i, coef[i], W)
                break


def row_dot_multi(X, i, W, out):  # pragma: no cover
    raise NotImplementedError


@overload(row_dot_multi)
def _row_dot_multi(X, i, W, out):
    """``out = x_i W`` for ``W`` of shape (d, K) (its rows contiguous)."""
    if isinstance(X, types.Array):
        def impl(X, i, W, out):
            out[:] = 0.0
            for k in range(X.shape[1]):
                xk = X[i, k]
                if xk != 0.0:
                    for m in range(W.shape[1]):
                        out[m] += xk * W[k, m]
        return impl
    if isinstance(X, types.BaseTuple):
        def impl(X, i, W, out):
            data, indices, indptr = X
            out[:] = 0.0
            for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
                xk = data[p]
                k = np.uint64(indices[p])
                for m in range(W.shape[1]):
                    out[m] += xk * W[k, m]
        return impl


def row_axpy_multi(X, i, delta, W):  # pragma: no cover
    raise NotImplementedError


@overload(row_axpy_multi)
def _row_axpy_multi(X, i, delta, W):
    """``W += x_i^T delta`` for ``W`` of shape (d, K)."""
    if isinstance(X, types.Array):
        def impl(X, i, delta, W):
            for k in range(X.shape[1]):
                xk = X[i, k]
                if xk != 0.0:
                    for m in range(W.shape[1]):
                        W[k, m] += xk * delta[m]
        return impl
    if isinstance(X, types.BaseTuple):
        def impl(X, i, delta, W):
            data, indices, indptr = X
            for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
                xk = data[p]
                k = np.uint64(indices[p])
                for m in range(W.shape[1]):
                    W[k, m] += xk * delta[m]
        return impl


@njit(**_JIT)
def crammer_singer_dual_cd(X, y, c, qd, alpha, W, b, ssum, rho, eps, max_epochs, seed, m, xm):
    """Sequential dual method for the Crammer-Singer hinge (Keerthi et al. 2008, LIBLINEAR's
    MCSVM_CS), one sample's K variables at a time.

    Dual (min form), ``alpha_i`` of length K, ``W = sum_i x_i^T alpha_i`` (shape (d, K))::

        min 1/2 ||W||^2 + sum_i sum_{k != y_i} alpha_ik
        s.t. alpha_ik <= 0 (k != y_i),  alpha_iy <= c_i,  sum_k alpha_ik = 0,
             sum_i alpha_ik = 0 for every class k (only with intercepts)

    The last constraints (one per intercept) are handled by the augmented Lagrangian, with
    multipliers ``b`` (the intercepts) and penalty ``rho``, ``ssum_k = sum_i alpha_ik``; rows
    are centred implicitly as in :func:`binary_dual_cd`. Each sample's subproblem is solved
    exactly: with ``G_k = (x_i - m) . (W_k - ssum_k m) + b_k + rho ssum_k + [k != y_i]`` and
    ``A = qd_i = ||x_i - m||^2 + rho``, the new ``alpha_ik = min(C_k, (beta - B_k) / A)`` with
    ``B_k = G_k - A alpha_ik`` and ``beta`` found by sorting ``D_k = B_k + A C_k``
    (``C_k = c_i`` at ``y_i``, else 0). Stops when an epoch's largest gradient spread
    ``max_k G_k - min_{k: alpha_ik < C_k} G_k`` is at most ``eps`` over all samples. Samples
    that are not support vectors and whose margin ``G_y - max_{k != y} G_k`` exceeds the last
    epoch's largest spread are shrunk (skipped) until the others have converged. Returns
    ``(epochs, met)``.
    """
    n = y.shape[0]
    K = W.shape[1]
    index = np.arange(n)
    np.random.seed(seed)
    g = np.empty(K)
    mw = np.zeros(K)
    for k in range(m.shape[0]):
        for j in range(K):
            mw[j] += m[k] * W[k, j]
    mm = 0.0
    for k in range(m.shape[0]):
        mm += m[k] * m[k]
    bb = np.empty(K)
    dd = np.empty(K)
    delta = np.empty(K)
    epoch = 0
    met = False
    active = n
    shrink_old = np.inf
    while epoch < max_epochs:
        epoch += 1
        for k in range(active - 1, 0, -1):
            j = np.random.randint(0, k + 1)
            index[k], index[j] = index[j], index[k]
        spread_max = 0.0
        t = 0
        while t < active:
            i = index[t]
            ci = c[i]
            yi = y[i]
            a = qd[i]
            if ci <= 0.0 or a <= 0.0:
                if ci > 0.0 and alpha[i, yi] != ci:
                    # a zero row without intercept: its scores are 0, its loss is c_i whatever
                    # W is, and its subproblem is linear: the optimum puts it at its bound
                    alpha[i, :] = 0.0
                    alpha[i, yi] = ci
                    alpha[i, (yi + 1) % K] = -ci
                active -= 1
                index[t], index[active] = index[active], index[t]
                continue
            row_dot_multi(X, i, W, g)
            for j in range(K):
                g[j] += -ssum[j] * xm[i] - mw[j] + ssum[j] * mm + b[j] + rho * ssum[j]
                if j != yi:
                    g[j] += 1.0
            g_max = -np.inf
            g_min = np.inf
            g_other = -np.inf
            for j in range(K):
                if g[j] > g_max:
                    g_max = g[j]
                if j != yi and g[j] > g_other:
                    g_other = g[j]
                bound = ci if j == yi else 0.0
                if alpha[i, j] < bound and g[j] < g_min:
                    g_min = g[j]
            if alpha[i, yi] == 0.0 and g[yi] - g_other > shrink_old:
                # shrinking: not a support vector, and further from becoming one than any
                # violation of the last epoch; left out until the active set has converged
                active -= 1
                index[t], index[active] = index[active], index[t]
                continue
            t += 1
            spread = g_max - g_min
            if spread > spread_max:
                spread_max = spread
            if spread <= 1e-12:
                continue
            for j in range(K):
                bb[j] = g[j] - a * alpha[i, j]
                dd[j] = bb[j] + (a * ci if j == yi else 0.0)
            ds = np.sort(dd)[::-1]
            beta = ds[0] - a * ci
            r = 1
            while r < K and beta < r * ds[r]:
                beta += ds[r]
                r += 1
            beta /= r
            changed = False
            for j in range(K):
                bound = ci if j == yi else 0.0
                new = min(bound, (beta - bb[j]) / a)
                delta[j] = new - alpha[i, j]
                if delta[j] != 0.0:
                    changed = True
                alpha[i, j] = new
            if changed:
                row_axpy_multi(X, i, delta, W)
                for j in range(K):
                    ssum[j] += delta[j]
                    mw[j] += delta[j] * xm[i]
        if rho > 0.0:
            for j in range(K):
                b[j] += rho * ssum[j]
        if spread_max <= eps:
            if active == n:
                met = True
                break
            active = n
            shrink_old = np.inf
            continue
        shrink_old = spread_max
    return epoch, met
