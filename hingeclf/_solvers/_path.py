"""Warm starts of the exact hinge by following its solution path in the costs.

For the hinge (``power = 1``, no smoothing) with the L2 penalty, the dual restricted to a face
(which pieces of each term are chosen: :func:`~hingeclf._solvers._face.polish_on_face`)
is one linear system whose matrix does not depend on the costs and whose right-hand side is
linear in them. So between costs ``c0`` (where the warm coefficients are the optimum) and the
new costs ``c1``, along ``c(t) = c0 + t (c1 - c0)``, the face's solution (its scaled weights
``u = c mu``, and the violations ``v``) is affine in ``t`` until a condition of the face fails:

- a free weight reaches 0 (the entry leaves the face) or its cost (the zero piece leaves);
- an entry outside the face reaches its term's level (it joins);
- a term's level falls to 0 where the zero piece is not chosen (the zero piece joins).

:func:`walk_costs` follows the path from breakpoint to breakpoint (Hastie, Rosset, Tibshirani
and Zhu, *The entire regularization path for the support vector machine*, JMLR 2004, walk it in
``1/C``; here the costs move along a line, which also covers changed sample weights). At a
breakpoint the solution is that of both faces, so each segment needs one face solve, at
``c1``: the face's solution there and the breakpoint determine the segment. When the face at
``c1`` meets its conditions, :func:`polish_on_face` solves and verifies it at ``c1``.

The walk gives up (returns None) where the warm point's face is not the optimum's at ``c0``
(e.g. other data, or a point certified only by its gap), where a face has more than
``max_free`` free entries (:data:`WALK_MAX_FREE`: each segment solves the face's system, cubic
in its size), or when it would need more than ``max_steps`` segments, judged from its progress
after :data:`WALK_PROBE` segments; the caller then goes on as for any warm start. An estimator
gives the walk a budget of what its solver itself spent on the last fit that it ran
(:class:`PathStart`): the walk is taken where it is expected to be cheaper.

``n_iter`` counts the walk's face solves (the final verification as one:
:func:`polish_on_face`'s own face corrections, which a walk that ends on a valid face does
not need, are not counted). A face solve makes about three passes over the data, as an epoch
of ``dual_cd`` or an iteration of ``lbfgs`` does, but in Python: on data as small as iris it
takes longer than a compiled epoch (``python -m benchmarks.warm_path`` records both counts
and times).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._face import face_of, face_weights, polish_on_face, solve_face_system, tie_tolerance
from ._result import SolverResult

# segments walked before giving up (docs/design_decisions.rst, 'Walking the solution path')
WALK_MAX_STEPS = 300
# after this many segments the walk extrapolates from its progress t the segments it needs, and
# gives up when they exceed its budget (docs/design_decisions.rst, 'Walking the solution path')
WALK_PROBE = 10
# free entries of a face the walk solves: each segment solves the face's system (cubic in its
# size) besides its passes over the data
WALK_MAX_FREE = 100


@dataclass
class PathStart:
    """Where a walk may start: the costs at which the warm coefficients are optimal, and the
    walk's budget in face solves, ``n_iter``: the iterations the solver itself spent on the
    last fit it ran (a walk that would take more gives up, and the solver's own warm start
    runs instead)."""

    costs: np.ndarray
    n_iter: int

    @classmethod
    def after(cls, objective, result, previous=None):
        """The start a converged ``result`` on ``objective`` offers the next fit, or None.

        The budget is what the solver itself spent (iterations beyond a walk's face solves);
        after a fit that a walk ended, the ``previous`` start's budget is kept (a short walk
        must not starve the next one).
        """
        if not result.converged or not objective.holds_rows:
            return None  # (a walk selects rows of the data: only where they are at hand)
        own = int(result.n_iter) - int(result.walked)
        if result.walked and own <= 0 and previous is not None:
            own = previous.n_iter
        return cls(np.array(objective.weights, dtype=np.float64), max(own, 1))

    def usable(self, objective):
        """True when this start's costs are per sample of ``objective``'s data."""
        return self.costs.shape == (objective.n_samples,)

    def budget(self, max_iter):
        """Segments the walk may take: at most ``n_iter``, ``max_iter`` and
        :data:`WALK_MAX_STEPS`."""
        return max(1, min(WALK_MAX_STEPS, int(max_iter), int(self.n_iter)))


def walks(objective):
    """True for the problems whose path :func:`walk_costs` can follow."""
    loss = objective.loss
    return (loss.is_piecewise_linear and loss.has_exact_faces
            and objective.penalty.name == "l2")


def walk_costs(objective, coef0, costs0, *, max_free=WALK_MAX_FREE, max_steps=WALK_MAX_STEPS):
    """Follow the optimum from the costs ``costs0``, where ``coef0`` is optimal, to
    ``objective``'s costs (see the module docstring).

    Returns ``(found, n_solves, mu)``: ``found`` is :func:`polish_on_face`'s verified
    ``(coef, value, gap, True)`` or None; ``n_solves`` the face solves done; ``mu`` the weights
    of the violation entries on the last face (clipped into ``[0, 1]``), or None.
    """
    if not walks(objective):
        return None, 0, None
    c1 = np.asarray(objective.weights, dtype=np.float64)
    c0 = np.asarray(costs0, dtype=np.float64)
    coef0 = np.asarray(coef0).reshape(objective.shape)
    if (c0.shape != c1.shape or not np.all(np.isfinite(c0)) or np.any((c0 > 0) != (c1 > 0))
            or not np.any(coef0) or np.array_equal(c0, c1)):
        return None, 0, None  # (at the same costs the solver's own warm start checks the face)
    eps = tie_tolerance(objective.dtype)
    loss = objective.loss
    start = objective.with_weights(c0)
    chosen, zero, active, valid = face_of(start, coef0, tie_tolerance(objective.dtype, warm=True))
    n_solves = 1
    here = _affine_state(start, chosen, zero, max_free)
    if here is None:
        return None, n_solves, None
    # the warm point must be the optimum at c0: its violations meet the face's conditions there
    # (up to what a point stored in the data's dtype carries). Its weights may not: on a face
    # that ties more entries than the parameters can hold, the least-norm weights can leave
    # their bounds (Weston-Watkins without intercept and unequal costs), and the first
    # segments then repair the face at t = 0 (the end is verified whatever the start)
    for s, scale in _slacks(loss, chosen, zero, active, valid, *here[:2], c0)[2:]:
        if np.any(s < -max(eps, 1e-6) * scale):
            return None, n_solves, None
    t = 0.0
    c_here = c0
    # progress is judged on the log scale of the total cost where it changes (breakpoints
    # spread about evenly in log C, so they crowd at the start of a walk up in C)
    ratio = float(c1.sum()) / max(float(c0.sum()), np.finfo(float).tiny)
    for step in range(max_steps):
        progress = (np.log1p(t * (ratio - 1.0)) / np.log(ratio) if abs(ratio - 1.0) > 1e-3
                    else t)
        if step >= WALK_PROBE and step > max_steps * progress:
            return None, n_solves, None  # (at this pace the walk would not arrive in time)
        there = _affine_state(objective, chosen, zero, max_free)
        n_solves += 1
        if there is None:
            return None, n_solves, None
        tau, event, off = 1.0, None, False
        for kind, ((s_here, _), (s_there, scale)) in enumerate(zip(
                _slacks(loss, chosen, zero, active, valid, *here[:2], c_here),
                _slacks(loss, chosen, zero, active, valid, *there[:2], c1))):
            bad = s_there < -eps * scale
            if not bad.any():
                continue
            a = np.maximum(np.broadcast_to(s_here, bad.shape)[bad], 0.0)
            crossing = a / (a - s_there[bad])
            j = int(np.argmin(crossing))
            if crossing[j] < tau or event is None:
                tau, event = float(crossing[j]), (kind, tuple(np.argwhere(bad)[j]))
                off = bool(np.broadcast_to(s_here, bad.shape)[event[1]] < 0)
        if event is None:  # the face holds up to c1: solve and verify it there
            found = polish_on_face(objective, there[2], face_weights(loss, chosen, zero),
                                   max_free=max_free)
            mu = there[0] / np.where(c1 > 0, c1, 1.0)[:, None]
            return found, n_solves + 1, np.clip(mu, 0.0, 1.0)
        # the breakpoint: the segment's state there, then the face's change
        t += tau * (1.0 - t)
        c_here = c0 + t * (c1 - c0)
        here = (here[0] + tau * (there[0] - here[0]), here[1] + tau * (there[1] - here[1]))
        _apply(loss, chosen, zero, *event)
        if off:
            # a repair of a condition that failed already here (a start off its bounds): the
            # new face's solution here need not be the old one's; solved again
            here = _affine_state(objective.with_weights(c_here), chosen, zero, max_free)
            n_solves += 1
            if here is None:
                return None, n_solves, None
    return None, n_solves, None


def walked_result(found, walked):
    """The :class:`SolverResult` of a walk that ended at the verified optimum ``found``."""
    coef, value, gap, _ = found
    return SolverResult(coef=coef, n_iter=max(walked, 1), converged=True, objective=value,
                        history=[value], gap=gap, walked=walked, message=(
                            f"followed the solution path from the warm start's costs in "
                            f"{walked} face solves; optimality verified"))


def _affine_state(objective, chosen, zero, max_free):
    """``(u, v, coef)`` of the face's unclipped solution at ``objective``'s costs: the scaled
    weights ``u = c mu`` and the violations (float64), and the coefficients."""
    cand = solve_face_system(objective, chosen, zero, max_free, clip=False)
    if cand is None:
        return None
    coef, raw, mu, _ = cand
    v = objective.loss.violations(objective.y, raw, overwrite=True).astype(np.float64)
    u = mu.astype(np.float64)
    u *= np.asarray(objective.weights, dtype=np.float64)[:, None]
    return u, v, coef


def _slacks(loss, chosen, zero, active, valid, u, v, c):
    """The face's conditions as ``(s, scale)`` pairs with ``s >= 0`` where they hold.

    ``s`` is affine in ``t`` on a fixed face (as ``u`` and ``v`` are, and the costs); ``scale``
    is what a tolerance is relative to (the cost for the weights' conditions, 1 for the
    violations'). Entries without a condition of a kind hold ``inf``.
    """
    cc = c[:, None]
    if loss.has_multi_piece_terms:
        tied = chosen.sum(axis=1) + zero >= 2
        free = chosen & tied[:, None]
        level = np.where(zero, 0.0, np.where(chosen, v, -np.inf).max(axis=1))
        # the zero piece's weight, c - sum of the free weights, where it is chosen
        zero_leave = np.where(zero, c - np.where(free, u, 0.0).sum(axis=1), np.inf)[:, None]
        zero_join = np.where(~zero & np.broadcast_to(active, zero.shape), level,
                             np.inf)[:, None]
        level = level[:, None]
    else:
        free = chosen & zero
        level = 0.0  # an entry outside the face has its zero piece chosen
        zero_leave = np.where(free, cc - u, np.inf)
        zero_join = np.where(~zero & active[:, None], v, np.inf)
    leave = np.where(free, u, np.inf)
    join = np.where(valid & ~chosen, level - v, np.inf)
    return ((leave, cc), (zero_leave, cc), (join, 1.0), (zero_join, 1.0))


def _apply(loss, chosen, zero, kind, index):
    """Change the face at a breakpoint: ``kind`` is the index of the condition in
    :func:`_slacks` that failed, at ``index``."""
    term = index[0] if loss.has_multi_piece_terms else index
    if kind == 0:
        chosen[index] = False
    elif kind == 1:
        zero[term] = False
    elif kind == 2:
        chosen[index] = True
    else:
        zero[term] = True
    # a term keeps at least one chosen piece
    if loss.has_multi_piece_terms:
        zero |= ~chosen.any(axis=1)
    else:
        zero |= ~chosen
