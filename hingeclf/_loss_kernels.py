"""Compiled one-pass kernels of the separable hinge-family losses (binary and one-vs-rest).

Each sample's terms ``xi_gamma(v)^power`` with ``v = 1 - t raw`` (``t`` the +-1 target of the
entry; :mod:`hingeclf._losses` for the formulas) are evaluated element by element in float64
and summed with the costs ``c_i`` in float64, so the objective, its gradient in the decision
values and its curvature need no temporary array of the size of the data: the numpy versions
in :class:`~hingeclf._losses.HingeFamilyLoss` form about five (violations, weights, values,
their products). The results agree with them to rounding.

``y`` is the loss's encoded target: +-1 per sample (binary, ``ovr=False``) or the class index
(one-vs-rest, ``ovr=True``: ``t_ik = +1`` where ``k == y_i``, else -1).
"""

from __future__ import annotations

import numba
import numpy as np


# The loops below are branch-free (selects, min and max) and, for one column of decision values,
# flat, so LLVM vectorises them; ``reassoc`` lets it split the float64 sums into lanes (the
# result differs from the sequential sum by rounding only). Why: benchmarks/results/kernels.md
# (python -m benchmarks.kernels; docs/design_decisions.rst, 'Branch-free loss kernels').
_FAST = {"reassoc", "nsz", "contract"}


@numba.njit(cache=True, inline="always")
def _sign(y, i, k, ovr):
    if ovr:
        return 1.0 if k == y[i] else -1.0
    return float(y[i])


@numba.njit(cache=True, inline="always")
def _constants(gamma):
    """``(kink, 1 / (2 gamma), 1 / gamma)`` of :func:`_term`; for ``gamma = 0`` the kink is
    the smallest positive float (``lambda = 1`` exactly where ``v > 0``) and the others 0."""
    if gamma > 0.0:
        return gamma, 0.5 / gamma, 1.0 / gamma
    return 5e-324, 0.0, 0.0


@numba.njit(cache=True, inline="always")
def _term(v, gamma, kink, half_inv, inv, power):
    """``(loss, dloss/dv, d2loss/dv2)`` of one entry: ``xi_gamma(v)^power``, without branches:
    with ``u = min(max(v, 0), gamma)``, ``xi = u^2 / (2 gamma) + max(v - gamma, 0)`` (the
    quadratic piece, then the linear one; ``xi = max(v, 0)`` for ``gamma = 0``)."""
    u = min(max(v, 0.0), gamma)
    xi = u * u * half_inv + max(v - gamma, 0.0)
    lam = 1.0 if v >= kink else u * inv
    inside = inv if (v > 0.0 and v < gamma) else 0.0
    if power == 1:
        return xi, lam, inside
    return xi * xi, 2.0 * xi * lam, 2.0 * (lam * lam + xi * inside)


@numba.njit(cache=True, inline="always")
def term(v, power, gamma):
    """``(xi_gamma(v)^power, its derivative, its generalised second derivative)`` of one
    violation ``v``: the one compiled home of a binary term, which every compiled kernel calls
    (the loss's :attr:`~hingeclf._losses.HingeFamilyLoss.kernel_parameters` give
    ``power`` and ``gamma``)."""
    kink, half_inv, inv = _constants(gamma)
    return _term(v, gamma, kink, half_inv, inv, power)


@numba.njit(cache=True, nogil=True)
def terms(v, power, gamma):
    """:func:`term` of each entry of the 1-d float64 array ``v``: three arrays."""
    value = np.empty_like(v)
    slope = np.empty_like(v)
    curvature = np.empty_like(v)
    for i in range(v.shape[0]):
        value[i], slope[i], curvature[i] = term(v[i], power, gamma)
    return value, slope, curvature


@numba.njit(cache=True, nogil=True, fastmath=_FAST)
def weighted_value(y, raw, c, power, gamma, ovr):
    """``sum_i c_i sum_k loss(raw_ik)``."""
    kink, half_inv, inv = _constants(gamma)
    total = 0.0
    if raw.shape[1] == 1 and not ovr:
        for i in range(raw.shape[0]):
            value = _term(1.0 - float(y[i]) * float(raw[i, 0]), gamma, kink, half_inv, inv,
                          power)[0]
            ci = float(c[i])
            total += ci * value if ci != 0.0 else 0.0
        return total
    for i in range(raw.shape[0]):
        s = 0.0
        for k in range(raw.shape[1]):
            s += _term(1.0 - _sign(y, i, k, ovr) * float(raw[i, k]), gamma, kink, half_inv,
                       inv, power)[0]
        ci = float(c[i])
        total += ci * s if ci != 0.0 else 0.0
    return total


@numba.njit(cache=True, nogil=True, fastmath=_FAST)
def weighted_value_on_line(y, raw, raw_d, step, c, power, gamma, ovr):
    """:func:`weighted_value` at the decision values ``raw + step raw_d`` (not formed)."""
    kink, half_inv, inv = _constants(gamma)
    total = 0.0
    if raw.shape[1] == 1 and not ovr:
        for i in range(raw.shape[0]):
            r = float(raw[i, 0]) + step * float(raw_d[i, 0])
            value = _term(1.0 - float(y[i]) * r, gamma, kink, half_inv, inv, power)[0]
            ci = float(c[i])
            total += ci * value if ci != 0.0 else 0.0
        return total
    for i in range(raw.shape[0]):
        s = 0.0
        for k in range(raw.shape[1]):
            r = float(raw[i, k]) + step * float(raw_d[i, k])
            s += _term(1.0 - _sign(y, i, k, ovr) * r, gamma, kink, half_inv, inv, power)[0]
        ci = float(c[i])
        total += ci * s if ci != 0.0 else 0.0
    return total


@numba.njit(cache=True, nogil=True, fastmath=_FAST)
def weighted_value_gradient(y, raw, c, power, gamma, ovr, out):
    """:func:`weighted_value`, and ``out[i, k] = c_i dloss/draw_ik``."""
    kink, half_inv, inv = _constants(gamma)
    total = 0.0
    if raw.shape[1] == 1 and not ovr:
        for i in range(raw.shape[0]):
            t = float(y[i])
            value, slope, _ = _term(1.0 - t * float(raw[i, 0]), gamma, kink, half_inv, inv,
                                    power)
            ci = float(c[i])
            total += ci * value if ci != 0.0 else 0.0
            out[i, 0] = -ci * t * slope
        return total
    for i in range(raw.shape[0]):
        ci = float(c[i])
        s = 0.0
        for k in range(raw.shape[1]):
            t = _sign(y, i, k, ovr)
            value, slope, _ = _term(1.0 - t * float(raw[i, k]), gamma, kink, half_inv, inv,
                                    power)
            s += value
            out[i, k] = -ci * t * slope
        total += ci * s if ci != 0.0 else 0.0
    return total


@numba.njit(cache=True, nogil=True, fastmath=_FAST)
def weighted_curvature(y, raw, c, power, gamma, ovr, out):
    """``out[i, k] = c_i d2loss/draw_ik^2`` (the generalised second derivative)."""
    kink, half_inv, inv = _constants(gamma)
    if raw.shape[1] == 1 and not ovr:
        for i in range(raw.shape[0]):
            out[i, 0] = float(c[i]) * _term(1.0 - float(y[i]) * float(raw[i, 0]), gamma, kink,
                                            half_inv, inv, power)[2]
        return
    for i in range(raw.shape[0]):
        ci = float(c[i])
        for k in range(raw.shape[1]):
            t = _sign(y, i, k, ovr)
            out[i, k] = ci * _term(1.0 - t * float(raw[i, k]), gamma, kink, half_inv, inv,
                                   power)[2]


@numba.njit(cache=True, nogil=True)
def add_scaled(raw, step, raw_d):
    """``raw += step raw_d`` in place (no temporary)."""
    if raw.shape[1] == 1:
        for i in range(raw.shape[0]):
            raw[i, 0] += step * raw_d[i, 0]
        return
    for i in range(raw.shape[0]):
        for k in range(raw.shape[1]):
            raw[i, k] += step * raw_d[i, k]


@numba.njit(cache=True, nogil=True)
def side_sums(y, s, ovr, out_pos, out_neg):
    """Per output ``k``, the sums of ``t_ik s_ik`` over the entries with ``t_ik = +1`` and with
    ``t_ik = -1`` (``s`` the signed weighted dual variables ``c_i t_ik mu_ik``)."""
    for i in range(s.shape[0]):
        for k in range(s.shape[1]):
            t = _sign(y, i, k, ovr)
            if t > 0.0:
                out_pos[k] += float(s[i, k])
            else:
                out_neg[k] -= float(s[i, k])


@numba.njit(cache=True, nogil=True)
def scale_sides(y, s, ovr, scale_pos, scale_neg):
    """``s_ik *= scale_pos[k]`` where ``t_ik = +1``, ``scale_neg[k]`` elsewhere (in place)."""
    for i in range(s.shape[0]):
        for k in range(s.shape[1]):
            if _sign(y, i, k, ovr) > 0.0:
                s[i, k] *= scale_pos[k]
            else:
                s[i, k] *= scale_neg[k]


@numba.njit(cache=True, nogil=True)
def dual_sums(y, s, c, ovr):
    """From ``s_ik = c_i t_ik mu_ik``: ``sum c mu``, ``sum c mu^2`` and ``max mu`` (float64)."""
    linear, square, largest = 0.0, 0.0, 0.0
    for i in range(s.shape[0]):
        ci = float(c[i])
        if ci <= 0.0:
            continue
        for k in range(s.shape[1]):
            cmu = _sign(y, i, k, ovr) * float(s[i, k])
            mu = cmu / ci
            linear += cmu
            square += cmu * mu
            if mu > largest:
                largest = mu
    return linear, square, largest


@numba.njit(cache=True, inline="always")
def prox_slope(v, a, power, gamma):
    """The slope ``d xi_gamma^power / dv`` of a binary term at the landing point of an implicit
    step that moves ``v`` by ``-a`` times that slope (``a >= 0``): ``clip(v / (gamma + a), 0,
    1)`` for power 1 (the subgradient ``v > 0`` when ``gamma + a = 0``), ``2 max(v, 0) /
    (1 + 2 a)`` for the exact squared hinge (power 2, ``gamma = 0``). The compiled form of
    :meth:`hingeclf._losses.HingeFamilyLoss.prox_weights` for these terms."""
    if power == 1:
        scale = gamma + a
        if scale <= 0.0:
            return 1.0 if v > 0.0 else 0.0
        return min(max(v / scale, 0.0), 1.0)
    return 2.0 * max(v, 0.0) / (1.0 + 2.0 * a)
