"""Compiled epoch of ``sgd`` on binary terms (binary and one-vs-rest losses), dense or CSR.

The coefficients are held in a lazy form so that a step costs O(nnz of the row), whatever
the number of features:

    w_k = a u_k + e_k center          (a one scalar for all outputs, e_k one per output)
    b'_k = b[k]                       (the centred intercept, ``b = b' - w . center``)

The penalty's shrinking ``w / (1 + eta)`` and the projection onto the ball scale ``a`` and
``e``; a sample's step adds a multiple of its row to ``u``. ``unorm2 = sum_k ||u_k||^2`` and
``ucen_k = u_k . center`` are updated with each step, so ``||W||^2`` and ``w . center`` are
scalars too. The running average of the iterates (Polyak-Ruppert) is lazy in the same way
(Xu 2011): with ``asum`` the sum of ``a`` over the averaged steps,
``sum_s w_s = asum u - Z + esum center``, where ``Z`` gets ``asum * delta`` for each change
``delta`` of ``u``. The data are read in their own dtype; the state is float64.

Scalars of the state, in ``scalars``: see the ``S_*`` indices below.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .._loss_kernels import prox_slope, term

S_A, S_UNORM2, S_ASUM, S_M, S_T, S_T0, S_SEEN, S_LOSS0, S_PROGRESSIVE = range(9)
N_SCALARS = 9

# below this lazy scale ``a`` the state is renormalised (``u *= a``, ``a = 1``)
RESCALE_BELOW = 1e-9


# rows are prefetched this many visits ahead: the visit order is random, so the hardware
# prefetcher cannot foresee them (docs/design_decisions.rst, 'Stochastic gradient descent')
PREFETCH_AHEAD = 8


@intrinsic
def _prefetch(typingctx, array, flat):
    """Prefetch (for reading, into all cache levels) the cache line of ``array``'s element at
    the flat index ``flat`` of a contiguous array: LLVM's ``llvm.prefetch``, a hint that
    never faults and is not waited on."""
    sig = types.void(array, flat)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        index = context.cast(builder, args[1], signature.args[1], types.intp)
        i8p = ir.IntType(8).as_pointer()
        pointer = builder.bitcast(builder.gep(ary.data, [index]), i8p)
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            "llvm.prefetch.p0")
        builder.call(function, [pointer, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()
    return sig, codegen


@numba.njit(cache=True, inline="always")
def _prefetch_dense_row(X, i):
    """Every cache line of row ``i`` of the C-ordered ``X``."""
    d = X.shape[1]
    step = max(1, 64 // X.itemsize)
    for j in range(0, d + step - 1, step):
        _prefetch(X, i * d + min(j, d - 1))


@numba.njit(cache=True, inline="always")
def _prefetch_sparse_row(data, indices, indptr, i):
    """The cache lines of row ``i``'s values and column indices."""
    start, stop = indptr[i], indptr[i + 1]
    if stop > start:
        for q in range(start, stop + 15, 16):
            _prefetch(indices, min(q, stop - 1))
        for q in range(start, stop + 7, 8):
            _prefetch(data, min(q, stop - 1))


@numba.njit(cache=True, inline="always")
def _prefetch_coefficients(uz, indices, indptr, i):
    """The cache lines of ``uz`` that row ``i``'s columns touch (first output)."""
    for q in range(indptr[i], indptr[i + 1]):
        _prefetch(uz, 2 * int(indices[q]))


@numba.njit(cache=True, inline="always")
def _sign(y, i, k, ovr):
    if ovr:
        return 1.0 if k == y[i] else -1.0
    return float(y[i])


@numba.njit(cache=True, nogil=True)
def renormalise(uz, ucen, scalars):
    """Fold the lazy scale into ``u`` (``a = 1``) and the average's ``asum u`` into ``z``
    (``asum = 0``), without changing the model or its average (``a = 0`` is allowed)."""
    a = scalars[S_A]
    asum = scalars[S_ASUM]
    unorm2 = 0.0
    for k in range(uz.shape[0]):
        for j in range(uz.shape[1]):
            if asum != 0.0:
                uz[k, j, 1] -= asum * uz[k, j, 0]
            uz[k, j, 0] *= a
            unorm2 += uz[k, j, 0] * uz[k, j, 0]
        ucen[k] *= a
    scalars[S_UNORM2] = unorm2
    scalars[S_ASUM] = 0.0
    scalars[S_A] = 1.0


# The dense row loops are vectorised (``reassoc`` lets LLVM split the sums into lanes; the
# sums then differ from the sequential ones by rounding only).
_FAST = {"reassoc", "nsz", "contract"}


@numba.njit(cache=True, nogil=True, fastmath=_FAST)
def _dense_dots(X, i, uz, center, use_center, dot):
    """``dot[k] = u_k . x_i``; returns ``(||x_i||^2, x_i . center)``."""
    d = X.shape[1]
    xx = 0.0
    xc = 0.0
    if uz.shape[0] == 1:
        s = 0.0
        if use_center:
            for j in range(d):
                xj = float(X[i, j])
                xx += xj * xj
                xc += xj * center[j]
                s += uz[0, j, 0] * xj
        else:
            for j in range(d):
                xj = float(X[i, j])
                xx += xj * xj
                s += uz[0, j, 0] * xj
        dot[0] = s
        return xx, xc
    for j in range(d):
        xj = float(X[i, j])
        xx += xj * xj
    if use_center:
        for j in range(d):
            xc += float(X[i, j]) * center[j]
    for k in range(uz.shape[0]):
        s = 0.0
        for j in range(d):
            s += uz[k, j, 0] * float(X[i, j])
        dot[k] = s
    return xx, xc


@numba.njit(cache=True, nogil=True, fastmath=_FAST)
def _dense_update(X, i, uz, delta, asum):
    """``u_k += delta_k x_i`` and ``z_k += asum delta_k x_i``."""
    d = X.shape[1]
    for k in range(uz.shape[0]):
        dk = delta[k]
        if dk == 0.0:
            continue
        if asum != 0.0:
            zk = asum * dk
            for j in range(d):
                xj = float(X[i, j])
                uz[k, j, 0] += dk * xj
                uz[k, j, 1] += zk * xj
        else:
            for j in range(d):
                uz[k, j, 0] += dk * float(X[i, j])


@numba.njit(cache=True, nogil=True)
def sgd_epoch(X, data, indices, indptr, sparse, y, c, order, ovr, power, gamma, fit_b,
              center, cen2, count, average, uz, e, b, ucen, esum, bsum, scalars):
    """One pass over the rows ``order`` (see :func:`hingeclf._solvers.sgd._epoch` for the
    update). ``X`` is the dense data (ignored when ``sparse``), ``data, indices, indptr``
    the CSR data; ``count``: each row is a newly seen sample (the running count and the
    radius grow); ``average``: the steps enter the running average."""
    K = uz.shape[0]
    a = scalars[S_A]
    unorm2 = scalars[S_UNORM2]
    asum = scalars[S_ASUM]
    m = scalars[S_M]
    t = scalars[S_T]
    t0 = scalars[S_T0]
    seen = scalars[S_SEEN]
    loss0 = scalars[S_LOSS0]
    progressive = scalars[S_PROGRESSIVE]
    loss_at_zero = K * term(1.0, power, gamma)[0]
    use_center = cen2 > 0.0
    intercept = 1.0 if fit_b else 0.0
    prefetch = X.flags.c_contiguous
    dot = np.zeros(K)
    step = np.zeros(K)
    delta = np.zeros(K)
    for p in range(order.shape[0]):
        i = order[p]
        ci = float(c[i])
        # dots of the row with u and the centre, and its squared norm
        xx = 0.0
        xc = 0.0
        for k in range(K):
            dot[k] = 0.0
        if sparse:
            if p + 2 * PREFETCH_AHEAD < order.shape[0]:
                _prefetch_sparse_row(data, indices, indptr, order[p + 2 * PREFETCH_AHEAD])
            if p + PREFETCH_AHEAD < order.shape[0]:
                _prefetch_coefficients(uz, indices, indptr, order[p + PREFETCH_AHEAD])
            start, stop = indptr[i], indptr[i + 1]
            if K == 1:
                s0 = 0.0
                for q in range(start, stop):
                    xj = float(data[q])
                    xx += xj * xj
                    s0 += uz[0, indices[q], 0] * xj
                dot[0] = s0
                if use_center:
                    for q in range(start, stop):
                        xc += float(data[q]) * center[indices[q]]
            else:
                for q in range(start, stop):
                    j = indices[q]
                    xj = float(data[q])
                    xx += xj * xj
                    if use_center:
                        xc += xj * center[j]
                    for k in range(K):
                        dot[k] += uz[k, j, 0] * xj
        else:
            if prefetch and p + PREFETCH_AHEAD < order.shape[0]:
                _prefetch_dense_row(X, order[p + PREFETCH_AHEAD])
            xx, xc = _dense_dots(X, i, uz, center, use_center, dot)
        if count:
            seen += 1.0
            loss0 += ci * loss_at_zero
        eta = 1.0 / (t + t0)
        scale = eta * seen * ci
        row2 = max(xx - 2.0 * xc + cen2, 0.0) + intercept
        curvature = scale * row2
        for k in range(K):
            raw = a * dot[k] + e[k] * xc - (a * ucen[k] + e[k] * cen2) + b[k]
            sign = _sign(y, i, k, ovr)
            v = 1.0 - sign * raw
            progressive += ci * term(v, power, gamma)[0]
            step[k] = -scale * sign * prox_slope(v, curvature, power, gamma)
        shrink = 1.0 / (1.0 + eta)
        a_old = a
        a = a * shrink
        moved = False
        for k in range(K):
            g = step[k]
            delta[k] = -g / a_old
            if g != 0.0:
                moved = True
                unorm2 += 2.0 * delta[k] * dot[k] + delta[k] * delta[k] * xx
                ucen[k] += delta[k] * xc
            e[k] = (e[k] + g) * shrink
            if fit_b:
                b[k] -= g
        if moved:
            if sparse and K == 1:
                d0 = delta[0]
                z0 = asum * d0  # (0 before averaging starts: z unchanged)
                for q in range(indptr[i], indptr[i + 1]):
                    j = indices[q]
                    xj = float(data[q])
                    uz[0, j, 0] += d0 * xj
                    uz[0, j, 1] += z0 * xj
            elif sparse:
                for q in range(indptr[i], indptr[i + 1]):
                    j = indices[q]
                    xj = float(data[q])
                    for k in range(K):
                        uz[k, j, 0] += delta[k] * xj
                        uz[k, j, 1] += asum * delta[k] * xj
            else:
                _dense_update(X, i, uz, delta, asum)
        # projection onto the ball that holds the optimum of the samples seen
        cross = 0.0
        e2 = 0.0
        for k in range(K):
            cross += e[k] * ucen[k]
            e2 += e[k] * e[k]
        norm2 = a * a * unorm2 + 2.0 * a * cross + e2 * cen2
        radius2 = 2.0 * loss0
        if norm2 > radius2:
            f = np.sqrt(radius2 / norm2)
            a *= f
            for k in range(K):
                e[k] *= f
        t += 1.0
        if average:
            asum += a
            m += 1.0
            for k in range(K):
                esum[k] += e[k]
                bsum[k] += b[k]
        if a < RESCALE_BELOW:
            scalars[S_A] = a
            scalars[S_UNORM2] = unorm2
            scalars[S_ASUM] = asum
            renormalise(uz, ucen, scalars)
            a = 1.0
            unorm2 = scalars[S_UNORM2]
            asum = scalars[S_ASUM]
    scalars[S_A] = a
    scalars[S_UNORM2] = unorm2
    scalars[S_ASUM] = asum
    scalars[S_M] = m
    scalars[S_T] = t
    scalars[S_SEEN] = seen
    scalars[S_LOSS0] = loss0
    scalars[S_PROGRESSIVE] = progressive
