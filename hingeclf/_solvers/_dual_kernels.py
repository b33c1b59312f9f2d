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


def row_dot_gather(X, i, W, cls, na, out):  # pragma: no cover
    raise NotImplementedError


@overload(row_dot_gather)
def _row_dot_gather(X, i, WT, cls, na, out):
    """``out[m] = x_i . WT[cls[m]]`` for ``m < na`` (``WT`` of shape (K, d), rows contiguous:
    each product runs along a row)."""
    if isinstance(X, types.Array):
        def impl(X, i, WT, cls, na, out):
            d = X.shape[1]
            for m in range(na):
                j = cls[m]
                s = 0.0
                for k in range(d):
                    s += X[i, k] * WT[j, k]
                out[m] = s
        return impl
    if isinstance(X, types.BaseTuple):
        def impl(X, i, WT, cls, na, out):
            data, indices, indptr = X
            start, stop = np.uint64(indptr[i]), np.uint64(indptr[i + 1])
            for m in range(na):
                j = cls[m]
                s = 0.0
                for p in range(start, stop):
                    s += data[p] * WT[j, np.uint64(indices[p])]
                out[m] = s
        return impl


def row_axpy_scatter(X, i, W, cls, delta, nz):  # pragma: no cover
    raise NotImplementedError


@overload(row_axpy_scatter)
def _row_axpy_scatter(X, i, WT, cls, delta, nz):
    """``WT[cls[m]] += delta[m] * x_i`` for ``m < nz`` (``WT`` of shape (K, d))."""
    if isinstance(X, types.Array):
        def impl(X, i, WT, cls, delta, nz):
            d = X.shape[1]
            for m in range(nz):
                j = cls[m]
                a = delta[m]
                for k in range(d):
                    WT[j, k] += a * X[i, k]
        return impl
    if isinstance(X, types.BaseTuple):
        def impl(X, i, WT, cls, delta, nz):
            data, indices, indptr = X
            start, stop = np.uint64(indptr[i]), np.uint64(indptr[i + 1])
            for m in range(nz):
                j = cls[m]
                a = delta[m]
                for p in range(start, stop):
                    WT[j, np.uint64(indices[p])] += a * data[p]
        return impl


@njit(**_JIT)
def crammer_singer_dual_cd(X, y, c, qd, alpha, WT, b, ssum, rho, eps, max_passes, seed, m, xm,
                           index, cls, na, shrink):
    """Sequential dual method for the Crammer-Singer hinge (Keerthi et al. 2008), one sample's
    K variables at a time, with shrinking per (sample, class) pair.

    Dual (min form), ``alpha_i`` of length K, ``W = sum_i x_i^T alpha_i`` (shape (d, K), held
    transposed: ``WT`` of shape (K, d), C-contiguous, so that a class's weights are one row)::

        min 1/2 ||W||^2 + sum_i sum_{k != y_i} alpha_ik
        s.t. alpha_ik <= 0 (k != y_i),  alpha_iy <= c_i,  sum_k alpha_ik = 0,
             sum_i alpha_ik = 0 for every class k (only with intercepts)

    The last constraints (one per intercept) are handled by the augmented Lagrangian, with
    multipliers ``b`` (the intercepts) and penalty ``rho``, ``ssum_k = sum_i alpha_ik``, ``b``
    moving after every epoch; rows are centred implicitly as in :func:`binary_dual_cd`. The
    gradient of entry ``k`` of sample ``i`` is
    ``G_k = (x_i - m) . (W_k - ssum_k m) + b_k + rho ssum_k + [k != y_i]``.

    Each sample's subproblem over its active entries is solved exactly: with ``A = qd_i =
    ||x_i - m||^2 + rho`` and ``B_k = G_k - A alpha_ik``, the new ``alpha_ik = min(U_k,
    (beta - B_k) / A)`` (``U_k = c_i`` at ``y_i``, else 0), where ``beta`` keeps the sum of the
    active entries; it is found by sorting ``D_k = B_k + A U_k``.

    Shrinking: an entry at its bound whose gradient is below the smallest gradient of the
    sample's entries that can still grow stays at its bound in the subproblem's solution; it
    leaves the sample's active list (``cls[i, :na[i]]`` holds the active classes), and a sample
    with at most one active entry leaves the epoch's sample list. When the largest spread
    ``max_k G_k - min_{k: alpha_ik < U_k} G_k`` of an epoch falls below the shrinking level,
    every entry comes back and the level halves (down to ``eps``); the kernel stops when an
    epoch that started from every entry has its largest spread at most ``eps``, or when the
    work reaches ``max_passes`` passes: the work of an epoch is the share of the ``n K``
    entries whose gradient it computed (a full epoch is one pass). Returns
    ``(epochs, passes, met)``.

    The shrinking state carries over from one call to the next (made by
    :func:`crammer_singer_shrink_state`): the sample order ``index`` (the first ``shrink[0]``
    are active), the classes ``cls`` and their counts ``na``, the shrinking level
    ``shrink[1]``, and whether the current round started from every entry (``shrink[2]``).
    """
    n = y.shape[0]
    K = WT.shape[0]
    # the sample order: a xorshift generator seeded by ``seed`` (numba's randint costs more
    # than the visit of a shrunk sample)
    state = np.uint64(seed) * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)
    if state == 0:
        state = np.uint64(1)
    g = np.empty(K)
    mw = np.zeros(K)
    for k in range(m.shape[0]):
        for j in range(K):
            mw[j] += m[k] * WT[j, k]
    mm = 0.0
    for k in range(m.shape[0]):
        mm += m[k] * m[k]
    bb = np.empty(K)
    ds = np.empty(K)
    bs = np.empty(K)
    us = np.empty(K)
    delta = np.empty(K)
    dcls = np.empty(K, dtype=np.int64)
    epoch = 0
    met = False
    active = int(shrink[0])
    level = max(min(shrink[1], max(10.0 * eps, 1.0)), eps)
    from_all = shrink[2] != 0.0
    work = 0
    budget = max_passes * n * K
    while work < budget:
        epoch += 1
        for k in range(active - 1, 0, -1):
            state ^= state << np.uint64(13)
            state ^= state >> np.uint64(7)
            state ^= state << np.uint64(17)
            j = np.int64(state % np.uint64(k + 1))
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
            n_i = na[i]
            work += n_i
            row = cls[i]
            row_dot_gather(X, i, WT, row, n_i, g)
            xmi = xm[i]
            g_max = -np.inf
            g_min = np.inf
            for p in range(n_i):
                j = row[p]
                g[p] += (ssum[j] * (mm - xmi) - mw[j] + b[j] + rho * ssum[j]
                         + (0.0 if j == yi else 1.0))
                if g[p] > g_max:
                    g_max = g[p]
                if alpha[i, j] < (ci if j == yi else 0.0) and g[p] < g_min:
                    g_min = g[p]
            # shrink the entries at their bound below every entry that can grow
            p = 0
            while p < n_i:
                j = row[p]
                if alpha[i, j] == (ci if j == yi else 0.0) and g[p] < g_min:
                    n_i -= 1
                    row[p], row[n_i] = row[n_i], row[p]
                    g[p], g[n_i] = g[n_i], g[p]
                else:
                    p += 1
            na[i] = n_i
            if n_i <= 1:
                active -= 1
                index[t], index[active] = index[active], index[t]
                continue
            t += 1
            spread = g_max - g_min
            if spread <= 1e-12:
                continue
            if spread > spread_max:
                spread_max = spread
            top = 0.0  # the sum of the active entries' bounds: c_i when y_i is active
            for p in range(n_i):
                j = row[p]
                bb[p] = g[p] - a * alpha[i, j]
                u = ci if j == yi else 0.0
                top += u
                ds[p] = bb[p] + a * u
                bs[p] = bb[p]
                us[p] = u
            # ascending insertion sort of D, B and U together (few active entries once
            # shrinking has set in)
            for p in range(1, n_i):
                v, vb, vu = ds[p], bs[p], us[p]
                q = p - 1
                while q >= 0 and ds[q] > v:
                    ds[q + 1], bs[q + 1], us[q + 1] = ds[q], bs[q], us[q]
                    q -= 1
                ds[q + 1], bs[q + 1], us[q + 1] = v, vb, vu
            # beta over the r largest D (the unclamped entries), the sum of the active entries
            # fixed: r beta = sum of their B + A (total - the clamped entries' bounds). Summed
            # from B, not D = B + A U: at A c_i >> |B| (large C, or X of large scale) D_y
            # rounds B_y away, and D_y - A c_i gave beta no correct digit
            total = 0.0
            for p in range(n_i):
                total += alpha[i, row[p]]
            sum_b = bs[n_i - 1]
            rest = top - us[n_i - 1]
            beta = sum_b + a * (total - rest)
            r = 1
            while r < n_i and beta < r * ds[n_i - 1 - r]:
                sum_b += bs[n_i - 1 - r]
                rest -= us[n_i - 1 - r]
                beta = sum_b + a * (total - rest)
                r += 1
            beta /= r
            nz = 0
            for p in range(n_i):
                j = row[p]
                u = ci if j == yi else 0.0
                new = min(u, (beta - bb[p]) / a)
                step = new - alpha[i, j]
                if step != 0.0:
                    alpha[i, j] = new
                    delta[nz] = step
                    dcls[nz] = j
                    nz += 1
            if nz > 0:
                row_axpy_scatter(X, i, WT, dcls, delta, nz)
                for q in range(nz):
                    ssum[dcls[q]] += delta[q]
                    mw[dcls[q]] += delta[q] * xmi
        if rho > 0.0:
            for j in range(K):
                b[j] += rho * ssum[j]
        if spread_max <= level or spread_max <= eps:
            if spread_max <= eps and from_all:
                met = True
                break
            active = n
            for i in range(n):
                na[i] = K
            level = max(0.5 * level, eps)
            from_all = True
        else:
            from_all = False
    shrink[0] = active
    shrink[1] = level
    shrink[2] = 1.0 if from_all else 0.0
    return epoch, work / (n * K), met


def crammer_singer_shrink_state(n, K):
    """The shrinking state of :func:`crammer_singer_dual_cd` with every entry active."""
    cls = np.empty((n, K), dtype=np.int64)
    cls[:] = np.arange(K)
    return (np.arange(n), cls, np.full(n, K, dtype=np.int64), np.array([float(n), np.inf, 1.0]))
