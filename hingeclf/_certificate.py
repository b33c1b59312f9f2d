"""Duality-gap certificates for a primal point, for every loss of the family.

Each term of the loss is ``xi_gamma(v)^power`` of its violations ``v = 1 + A raw`` (see
:mod:`hingeclf._losses`). Its conjugate gives the dual (docs/user_guide/solvers.rst, 'Duals';
in the weights ``mu``
of the violation entries, ``W(mu) = -(c A^T mu)^T X``)::

    D(mu) = sum_i c_i (sum_p mu_ip - phi_i(mu_i)) - 1/2 ||W(mu)||^2,
    phi = gamma/2 ||mu||^2 with mu in [0, 1] per piece (hinge: sum over a Crammer-Singer term
          <= 1), or (sum mu)^2 / 4 (squared; per piece for the separable structures), mu >= 0

and, with intercepts, ``sum_i c_i (A^T mu)_i = 0``. Any such ``mu`` gives ``D(mu) <= P*``, so
``P(coef) - D(mu) >= P(coef) - P*`` certifies a primal point. The ``mu`` of a primal point is
the derivative of its terms (for the hinge, of its smoothed terms: the hinge's own subgradient
at a kink is not the optimal dual). The intercept constraint is met by scaling down flows:
read ``c_i mu_ij`` as a flow from class ``y_i`` to class ``j`` (Weston-Watkins, Crammer-Singer),
or between the two sides of a binary problem; the constraint says every class's inflow equals
its outflow, and the largest such circulation within the current flows is a small linear program
(two nodes for binary and each one-vs-rest problem: the smaller side's total). Scaling down
keeps every ``mu`` in its set, so the bound stays valid.
"""

from __future__ import annotations

import numpy as np

from ._lazy import lazy_module

_kernels = lazy_module("hingeclf._loss_kernels")

# smoothings tried for the hinge's dual weights: the best bound is kept
HINGE_GAMMAS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8)


def dual_weights(objective, coef, gamma=0.0, raw=None):
    """``mu`` from the primal point ``coef`` (whose decision values ``raw`` may be given): the
    derivative of each term in its violations."""
    loss = objective.loss.smoothed_at_least(gamma)
    if raw is None:
        raw = objective.raw(coef)
    v = loss.violations(objective.y, raw).astype(np.float64)
    lam = loss.term_weights(v)
    if loss.has_squared_terms:  # d xi^2 / dv = 2 xi lambda
        xi = loss.term_values(v, lam)
        lam = 2.0 * lam * (xi[:, None] if loss.has_multi_piece_terms else xi)
    mask = loss.valid_entries(objective.y, objective.n_out) & (objective.weights > 0)[:, None]
    return np.where(mask, lam, 0.0)


def _feasible(objective, mu):
    """Scale ``mu`` down so that the intercept constraint holds (see the module docstring)."""
    if not objective.fit_intercept:
        return mu
    loss = objective.loss
    c = np.asarray(objective.weights, dtype=np.float64)
    cmu = c[:, None] * mu
    if loss.has_binary_terms:
        positive = loss.positive_entries(objective.y, objective.n_out)
        s_pos = np.where(positive, cmu, 0.0).sum(axis=0)
        s_neg = np.where(positive, 0.0, cmu).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale_pos = np.where(s_pos > s_neg, s_neg / s_pos, 1.0)
            scale_neg = np.where(s_neg > s_pos, s_pos / s_neg, 1.0)
        return mu * np.where(positive, scale_pos, scale_neg)
    y = np.asarray(objective.y)
    K = objective.n_out
    flows = np.zeros((K, K))
    np.add.at(flows, y, cmu)
    np.fill_diagonal(flows, 0.0)
    scale = circulation_scale(flows)
    return mu * scale[y]


def circulation_scale(flows):
    """Per edge ``a -> k``, the share of ``flows[a, k]`` kept by the largest circulation within
    ``flows`` (a K x K matrix of non-negative flows, zero diagonal).

    The linear program is solved on the flows divided by their largest: its solver's
    feasibility tolerance is absolute (about 1e-7), so on flows of the size of ``C`` (say 1e-12)
    any flows at all would pass for a circulation and the dual point built from them would not
    be feasible (its value then exceeded the optimum). The result is made a circulation to
    rounding and checked; if that fails, no flow is kept (scale 0: a feasible, weaker point).
    """
    from scipy.optimize import linprog

    K = flows.shape[0]
    scale = np.ones((K, K))
    edges = [(a, k) for a in range(K) for k in range(K) if a != k and flows[a, k] > 0]
    if not edges:
        return scale
    top = max(flows[a, k] for a, k in edges)
    cap = np.array([flows[a, k] / top for a, k in edges])
    a_eq = np.zeros((K, len(edges)))
    for e, (a, k) in enumerate(edges):
        a_eq[k, e] += 1.0
        a_eq[a, e] -= 1.0
    f = _near_circulation(a_eq, cap)
    if f is not None:
        return _scales(scale, edges, f, cap)
    res = linprog(-np.ones(len(edges)), A_eq=a_eq, b_eq=np.zeros(K),
                  bounds=[(0.0, u) for u in cap], method="highs")
    f = np.clip(res.x, 0.0, cap) if res.status == 0 else np.zeros(len(edges))
    # the solver balances the nodes only to its tolerance: flows at its level are dropped, the
    # others projected onto the circulations (least-squares correction of the node balances)
    # and scaled back under their capacities (a multiple of a circulation is one)
    f[f <= 1e-6] = 0.0
    on = f > 0
    if on.any():
        f[on] -= np.linalg.lstsq(a_eq[:, on], a_eq[:, on] @ f[on], rcond=None)[0]
        f[on] *= min(1.0, float(np.min(cap[on] / np.maximum(f[on], np.finfo(float).tiny))))
    if not _balanced(a_eq, f):
        f = np.zeros(len(edges))  # not a circulation to rounding: keep none (still feasible)
    return _scales(scale, edges, f, cap)


def _balanced(a_eq, f):
    return f.min() >= 0 and np.abs(a_eq @ f).max() <= 64 * np.finfo(np.float64).eps * len(f)


def _scales(scale, edges, f, cap):
    for e, (a, k) in enumerate(edges):
        scale[a, k] = min(max(f[e] / cap[e], 0.0), 1.0)
    return scale


def _near_circulation(a_eq, cap):
    """Flows within ``cap`` that balance every node, changing each flow by a small share of it,
    or None when the flows ``cap`` are not that close to a circulation.

    A solver's dual point is a circulation up to its convergence (a relative imbalance of 1e-9,
    say). The least change in relative terms, ``f = cap (1 - z)`` with ``A (cap z) = A cap``
    and ``||z||`` least, keeps nearly all of every flow; the linear program's absolute
    tolerance, spread over the flows, lost 0.5% of them on 30 classes (its scale factor is
    one for all flows, set by the worst).
    """
    z = np.linalg.lstsq(a_eq * cap[None, :], a_eq @ cap, rcond=None)[0]
    if not np.all(np.isfinite(z)) or np.abs(z).max() > 1e-3:
        return None
    f = cap * (1.0 - z)
    f *= min(1.0, float(np.min(cap / np.maximum(f, np.finfo(float).tiny))))
    return f if _balanced(a_eq, f) else None


def dual_value(objective, mu):
    """``max_t D(t mu)`` over the scalings ``0 <= t <= t_max`` that keep a feasible ``mu``
    feasible (``t mu`` stays in its set: ``t_max = 1 / max`` of the hinge's capped sums, no
    bound for the squared losses; the intercept constraint is linear). ``D(t mu)`` is
    ``t L - t^2 Q``, so the best ``t`` is ``L / 2Q`` clipped; ``t = 1`` is among the
    candidates, so this is never below ``D(mu)``."""
    loss = objective.loss
    X = objective.X
    c = np.asarray(objective.weights, dtype=np.float64)
    cg = c[:, None] * loss.apply_AT(objective.y, mu)
    W = -np.asarray(X.T @ cg.astype(X.dtype), dtype=np.float64).T
    linear = float(np.sum(c * mu.sum(axis=1)))
    conjugate, t_max = loss.conjugate(mu, c)
    return _best_scaling(linear, 0.5 * float(np.sum(W * W)) + conjugate, t_max)


def _best_scaling(linear, quadratic, t_max):
    """``max_t t L - t^2 Q`` over ``0 <= t <= t_max``, and never below ``t = 1``'s value."""
    t = 1.0
    if quadratic > 0:
        t = min(max(linear / (2.0 * quadratic), 0.0), t_max)
    return max(t * linear - t * t * quadratic, linear - quadratic)


def certified_gap(objective, coef, primal=None, gammas=None):
    """``P(coef) - max D(mu)`` over the dual points derived from ``coef`` (a valid bound on
    ``P(coef) - P*``), and ``P(coef)``. For the losses of :func:`certifiable_by_smoothing`,
    ``mu`` is the weight of the loss smoothed by each of ``gammas`` (default
    :data:`HINGE_GAMMAS`)."""
    raw = objective.raw(coef)
    if primal is None:
        primal = objective.value(coef, raw)
    loss = objective.loss
    if loss.has_dual_from_smoothing:
        gammas = HINGE_GAMMAS if gammas is None else tuple(gammas)
    else:
        gammas = (0.0,)
    best = -np.inf
    for gamma in gammas:
        if objective.fused:
            best = max(best, _separable_dual_value(objective, gamma, raw))
            continue
        mu = _feasible(objective, dual_weights(objective, coef, gamma, raw))
        best = max(best, dual_value(objective, mu))
    return primal - best, primal


def smoothed_weight_square(objective, coef, gamma):
    """``sum_i c_i ||mu_i||^2`` of the hinge's weights smoothed by ``gamma`` at ``coef``: with it,
    ``P - P_gamma - gamma/2 sum c ||mu||^2`` is the duality gap of the exact hinge at the
    smoothed problem's optimum (where ``P_gamma = D_gamma``), the part of a stage's certificate
    that solving the stage more tightly cannot remove."""
    if objective.fused:
        return objective.reduce_rows(_weight_square_of_rows, objective.raw(coef), gamma)[0]
    mu = dual_weights(objective, coef, gamma)
    c = np.asarray(objective.weights, dtype=np.float64)
    return float(np.sum(c * (mu * mu).sum(axis=1)))


def _weight_square_of_rows(rows, raw, gamma):
    """``(sum c ||mu||^2,)`` over the rows of ``rows`` (:func:`smoothed_weight_square`)."""
    s = _signed_weights(rows, gamma, raw)
    return (_kernels.dual_sums(rows.y, s, rows.weights, not rows.loss.is_binary)[1],)


def _separable_dual_value(objective, gamma, raw):
    """:func:`dual_value` of the feasible dual point of :func:`dual_weights` and
    :func:`_feasible`, for the separable losses (binary, one-vs-rest) with the one-pass kernels
    of :mod:`hingeclf._loss_kernels`: one array as large as ``raw``, the signed weighted dual
    variables ``s = c t mu`` (minus the weighted gradient in the decision values), where the
    array formulas form about ten. Its terms are sums over the rows
    (:meth:`~hingeclf._objective.Objective.reduce_rows`): with intercepts, a first pass sums
    each output's two sides (the scaling that makes ``s`` feasible), a second the dual's
    terms."""
    scales = None
    if objective.fit_intercept:
        pos, neg = objective.reduce_rows(_side_sums_of_rows, raw, gamma)
        scales = _side_scales(pos, neg)
    sums = objective.reduce_rows(_dual_sums_of_rows, raw, gamma, scales, maxima=(3,))
    return _dual_from_sums(objective.loss, *sums)


def _side_sums_of_rows(rows, raw, gamma):
    """Per output, the sums of ``c mu`` on the two sides over the rows of ``rows``."""
    return _side_sums(rows, _signed_weights(rows, gamma, raw))


def _dual_sums_of_rows(rows, raw, gamma, scales):
    """:func:`_dual_sums` over the rows of ``rows``, ``s`` scaled by ``scales`` (or None)."""
    s = _signed_weights(rows, gamma, raw)
    if scales is not None:
        _kernels.scale_sides(rows.y, s, not rows.loss.is_binary, *scales)
    return _dual_sums(rows, s)


def _signed_weights(objective, gamma, raw):
    """``s = c t mu`` of :func:`dual_weights` (the hinge's weights smoothed by ``gamma``), for
    the separable losses: minus the weighted gradient in the decision values ``raw``, one
    compiled pass."""
    weights_loss = objective.loss.smoothed_at_least(gamma)
    _, s = weights_loss.weighted_value_gradient(objective.y, raw, objective.weights)
    np.negative(s, out=s)
    return s


def dual_bound(objective, mu):
    """A lower bound on ``P*`` from any weights ``mu`` (overwritten): ``mu`` is
    brought into the dual set (clipped at 0, and for the hinges at 1, each Crammer-Singer hinge
    term scaled down to sum at most 1), made feasible for the intercepts (:func:`_feasible`),
    and :func:`dual_value` taken there. Used with a face solution's weights, which are close to
    the optimum's but may lie a little outside the set."""
    loss = objective.loss
    np.clip(mu, 0.0, None if loss.has_squared_terms else 1.0, out=mu)
    if loss.has_multi_piece_terms and not loss.has_squared_terms:
        mu /= np.maximum(mu.sum(axis=1), 1.0)[:, None]
    if objective.fused:
        s = loss.apply_AT(objective.y, mu, overwrite=True)
        s *= objective.weights[:, None]
        np.negative(s, out=s)
        return _signed_dual_value(objective, s)
    return dual_value(objective, _feasible(objective, mu))


def _signed_dual_value(objective, s):
    """:func:`dual_value` for the separable losses from ``s = -c A^T mu`` (overwritten): made
    feasible for the intercepts in place, then one product with ``X``."""
    if objective.fit_intercept:
        _kernels.scale_sides(objective.y, s, not objective.loss.is_binary,
                             *_side_scales(*_side_sums(objective, s)))
    return _dual_from_sums(objective.loss, *_dual_sums(objective, s))


def _side_sums(objective, s):
    """Per output, the sums of ``c mu`` over the entries of each side (``t = +1``, ``-1``)."""
    pos, neg = np.zeros(s.shape[1]), np.zeros(s.shape[1])
    _kernels.side_sums(objective.y, s, not objective.loss.is_binary, pos, neg)
    return pos, neg


def _side_scales(pos, neg):
    """The intercept constraint per output: the two sides' sums of ``c mu`` must be equal, so
    the larger side is scaled down to the smaller. Returns ``(scale_pos, scale_neg)``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        scale_pos = np.where(pos > neg, neg / pos, 1.0)
        scale_neg = np.where(neg > pos, pos / neg, 1.0)
    return scale_pos, scale_neg


def _dual_sums(objective, s):
    """The terms of the dual value from a feasible ``s``: ``W = s^T X`` (float64, ``(K, d)``),
    ``sum c mu``, ``sum c mu^2`` and ``max mu``, sums over the rows but the last (a maximum)."""
    X = objective.X
    W = np.asarray(X.T @ s.astype(X.dtype, copy=False), dtype=np.float64).T
    linear, square, largest = _kernels.dual_sums(objective.y, s, objective.weights,
                                                 not objective.loss.is_binary)
    return W, linear, square, largest


def _dual_from_sums(loss, W, linear, square, largest):
    """The dual value (best scaling, :func:`_best_scaling`) from the terms of :func:`_dual_sums`."""
    conjugate, t_max = loss.conjugate_from_sums(square, largest)
    return _best_scaling(linear, 0.5 * float(np.sum(W * W)) + conjugate, t_max)
