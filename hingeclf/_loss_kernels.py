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


@numba.njit(cache=True, inline="always")
def _sign(y, i, k, ovr):
    if ovr:
        return 1.0 if k == y[i] else -1.0
    return float(y[i])


@numba.njit(cache=True, inline="always")
def _term(v, gamma, power):
    """``(loss, dloss/dv, d2loss/dv2)`` of one entry: ``xi_gamma(v)^power``."""
    if gamma > 0.0:
        if v >= gamma:
            xi, lam, inside = v - 0.5 * gamma, 1.0, 0.0
        elif v > 0.0:
            xi, lam, inside = v * v / (2.0 * gamma), v / gamma, 1.0 / gamma
        else:
            xi, lam, inside = 0.0, 0.0, 0.0
    elif v > 0.0:
        xi, lam, inside = v, 1.0, 0.0
    else:
        xi, lam, inside = 0.0, 0.0, 0.0
    if power == 1:
        return xi, lam, inside
    return xi * xi, 2.0 * xi * lam, 2.0 * (lam * lam + xi * inside)


@numba.njit(cache=True, nogil=True)
def weighted_value(y, raw, c, gamma, power, ovr):
    """``sum_i c_i sum_k loss(raw_ik)``."""
    total = 0.0
    for i in range(raw.shape[0]):
        ci = float(c[i])
        if ci == 0.0:
            continue
        s = 0.0
        for k in range(raw.shape[1]):
            s += _term(1.0 - _sign(y, i, k, ovr) * float(raw[i, k]), gamma, power)[0]
        total += ci * s
    return total


@numba.njit(cache=True, nogil=True)
def weighted_value_on_line(y, raw, raw_d, step, c, gamma, power, ovr):
    """:func:`weighted_value` at the decision values ``raw + step raw_d`` (not formed)."""
    total = 0.0
    for i in range(raw.shape[0]):
        ci = float(c[i])
        if ci == 0.0:
            continue
        s = 0.0
        for k in range(raw.shape[1]):
            r = float(raw[i, k]) + step * float(raw_d[i, k])
            s += _term(1.0 - _sign(y, i, k, ovr) * r, gamma, power)[0]
        total += ci * s
    return total


@numba.njit(cache=True, nogil=True)
def weighted_value_gradient(y, raw, c, gamma, power, ovr, out):
    """:func:`weighted_value`, and ``out[i, k] = c_i dloss/draw_ik``."""
    total = 0.0
    for i in range(raw.shape[0]):
        ci = float(c[i])
        s = 0.0
        for k in range(raw.shape[1]):
            t = _sign(y, i, k, ovr)
            value, slope, _ = _term(1.0 - t * float(raw[i, k]), gamma, power)
            s += value
            out[i, k] = -ci * t * slope
        total += ci * s
    return total


@numba.njit(cache=True, nogil=True)
def weighted_curvature(y, raw, c, gamma, power, ovr, out):
    """``out[i, k] = c_i d2loss/draw_ik^2`` (the generalised second derivative)."""
    for i in range(raw.shape[0]):
        ci = float(c[i])
        for k in range(raw.shape[1]):
            t = _sign(y, i, k, ovr)
            out[i, k] = ci * _term(1.0 - t * float(raw[i, k]), gamma, power)[2]


@numba.njit(cache=True, nogil=True)
def add_scaled(raw, step, raw_d):
    """``raw += step raw_d`` in place (no temporary)."""
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
