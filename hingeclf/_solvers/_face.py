"""The face solve: the exact optimum of a hinge-family problem on a face, found and verified.

Vocabulary (used throughout this module, :mod:`._path` and :mod:`._smoothing`):

term
    A sample's contribution to the loss before its power and cost: ``xi = max(0, max_p v_p)``,
    the largest of its *pieces*.
piece
    One of a term's arguments: the *zero piece* ``0`` or a *violation* ``v_p`` (one per term
    for the binary, one-vs-rest and Weston-Watkins hinges, ``K - 1`` in one Crammer-Singer
    term). A *violation entry* is one ``v_ij`` of the ``(n, n_out)`` array of violations;
    the masked entries of Weston-Watkins and Crammer-Singer (``j == y_i``) are not pieces.
face
    Which pieces of each term are *chosen*, i.e. attain the term's maximum at the optimum:
    the boolean masks ``chosen`` (violation entries) and ``zero`` (zero pieces: per entry for
    single-piece terms, per term for Crammer-Singer; None for the squared losses, whose terms
    with no chosen violation are simply zero).
level
    The common value of a term's chosen pieces on the face: 0 where the zero piece is chosen.
tied
    A term with two or more chosen pieces; its chosen violations are *free*: their weights are
    unknowns of the face's system (a chosen violation alone in a hinge term has weight 1).
    For the squared losses every chosen violation is free.
weights
    ``mu``: the dual variables of the violation entries over the costs (``alpha = c mu``),
    in ``[0, 1]`` for the hinges (a Crammer-Singer term's sum at most 1), ``>= 0`` for the
    squared hinges; ``mu_zero`` is a Crammer-Singer term's zero piece's weight, ``1 - sum mu``.

With the face fixed, the dual of the L2-penalised problem restricted to it is an
equality-constrained quadratic (``W = -(c A^T mu)^T X``, and with intercepts
``sum_i c_i (A^T mu)_i = 0``; the user guide's "Solvers" page states the dual), so its KKT
conditions are one symmetric linear system (:func:`solve_face_system`). :func:`polish_on_face`
proposes a face from a hint, solves its system, checks the candidate's primal conditions and
duality gap, and corrects the face (pieces leave, join or are untied) until it verifies.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .._certificate import dual_bound

#: corrections of a face before the solve gives up
MAX_FACE_UPDATES = 30
#: free entries a face's system may have (the system is dense in them)
MAX_FREE = 1500
# a face solution is accepted when its duality gap plus the error of the dual value (weights
# outside their bounds, the intercept constraint's residual) is at most GAP_RTOL * P; a negative
# computed gap is accepted down to minus that error and rounding (GAP_ROUNDING machine epsilons
# of the data's dtype times |P| + |D|)
GAP_RTOL = 1e-6
GAP_ROUNDING = 100
#: pieces that join a face in one correction: the worst violators only
JOIN_MIN = 1
#: a hinge face ties at most about as many entries as there are parameters: one tying more
#: than this many times that is not worth a solve
FACE_RANK_FACTOR = 2
#: weights this far outside their bounds count as outside
WEIGHT_SLACK = 1e-9


#: a warm start (the optimum of a neighbouring problem, found to its solver's precision): its
#: pieces within this of their term's level count as tied
WARM_TIE = 1e-6


def tie_tolerance(dtype, warm=False):
    """Pieces within this of their term's level count as at the level (tied): the rounding
    band of the decision values in the data's ``dtype``, widened to :data:`WARM_TIE` for the
    point of a ``warm`` start."""
    band = 1e-9 if np.dtype(dtype) == np.float64 else 1e-4
    return max(WARM_TIE, band) if warm else band


def polish_on_face(objective, coef, lam_hint, max_free=MAX_FREE, certify=None, value=None,
                   max_updates=MAX_FACE_UPDATES):
    """Solve the problem exactly on the face of its optimum, found from a hint, and verify it.

    ``lam_hint`` (weights of the violation entries, e.g. a smoothed solution's; or a function
    that returns them, freed as soon as the first face is read) proposes the first face
    (:func:`face_masks`). Then, at most ``max_updates`` times and no further once a face
    repeats (each correction is a function of the face, so a repeated face starts a cycle):

    1. :func:`solve_face_system`: the candidate ``(coef, raw, mu, mu_zero)`` on the face;
    2. :func:`term_levels` and :func:`face_corrections`: pieces whose weight is outside its
       bounds leave; where none leaves, pieces above their term's level join;
    3. :func:`verify_candidate`, where nothing moves: the candidate is returned, verified, when
       its duality gap (with the error of the dual value) is at most ``GAP_RTOL * P``; else
       the face ties more pieces than the parameters hold and :func:`untie_worst` releases one;
    4. with ``certify`` (a relative tolerance), the candidate's weights brought into the dual
       set bound ``P*`` from below (:func:`~hingeclf._certificate.dual_bound`), and
       the best primal point met (``coef``, whose objective ``value`` may be given, or a
       candidate) is returned as soon as its gap to the best bound is at most ``certify * P``
       (a face a few pieces wrong is short of verification, but its dual point is close);
    5. :func:`correct_face`: the worst of the joining pieces join, or the leaving ones leave.

    Returns ``(coef, value, gap, verified)`` (``verified``: the face's optimality conditions
    hold; else the certificate met ``certify``), or None.
    """
    if not objective.holds_rows:
        return None  # (a face system gathers rows of the data: only where they are at hand)
    base = objective.original()
    if base is not objective:  # centred parametrisation: solve the face in the original one
        found = polish_on_face(base, objective.to_base(coef), lam_hint, max_free, certify,
                               value, max_updates)
        if found is None:
            return None
        new, value, gap, verified = found
        return objective.from_base(new), value, gap, verified
    loss = objective.loss
    chosen, zero, active, valid = face_masks(
        objective, np.asarray(lam_hint() if callable(lam_hint) else lam_hint))
    del lam_hint  # (a hint made here by a function is freed: the face is in the masks)
    n_params = objective.n_out * (objective.n_features + int(objective.fit_intercept))
    if zero is not None and _n_tied(loss, chosen, zero) > FACE_RANK_FACTOR * n_params:
        return None
    best_coef, best_value, bound = coef, value, -np.inf
    if certify is not None and value is None:
        best_value = objective.value(coef)
    tie = tie_tolerance(objective.dtype)
    seen = set()
    for _ in range(max_updates + 1):
        # the last candidate's arrays (each as long as the data) go before the next is formed
        cand = new = raw_new = mu = mu_zero = v = moves = None
        face = _face_key(chosen, zero)
        if face in seen:
            return _certified(certify, best_coef, best_value, bound)
        seen.add(face)
        # 1. the candidate on the face
        cand = solve_face_system(objective, chosen, zero, max_free)
        if cand is None:
            return _certified(certify, best_coef, best_value, bound)
        new, raw_new, mu, mu_zero = cand
        cand = None
        value_new = objective.value(new, raw_new)
        if certify is not None and value_new < best_value:
            best_coef, best_value = new, value_new
        v = loss.violations(objective.y, raw_new, overwrite=True)  # (in raw_new's place)
        raw_new = None
        # 2. the corrections its weights and violations call for
        level = term_levels(loss, chosen, zero, v, mu)
        moves = face_corrections(loss, chosen, zero, active, valid, v, mu, mu_zero, level, tie)
        # 3. nothing to correct: verified, or a tie to release, or no way on
        then = "correct"
        if not moves.any():
            then, gap = verify_candidate(objective, new, value_new, mu)
            if then == "verified":
                return new, value_new, gap, True
        # 4. the candidate's dual point as a certificate
        if certify is not None:
            bound = max(bound, dual_bound(objective, mu))  # (in mu's place)
            mu = None
            found = _certified(certify, best_coef, best_value, bound)
            if found is not None:
                return found
        if then == "stop":
            return None
        if then == "untie":
            if zero is None or not untie_worst(loss, chosen, zero, v, tie):
                return None
            continue
        # 5. the next face
        correct_face(loss, chosen, zero, v, level, moves)
        if zero is not None and _n_tied(loss, chosen, zero) > FACE_RANK_FACTOR * n_params:
            return _certified(certify, best_coef, best_value, bound)
    return _certified(certify, best_coef, best_value, bound)


def _face_key(chosen, zero):
    """The face's masks as bytes: equal keys are equal faces (exact, no hash collision)."""
    return (np.packbits(chosen).tobytes(),
            b"" if zero is None else np.packbits(zero).tobytes())


def term_levels(loss, chosen, zero, v, mu):
    """Each term's level on the face (shape ``(n, 1)``), or None for single-piece hinge terms:
    where their violation is not chosen the zero piece is, at level 0, and where the zero
    piece is not chosen the level is ``v`` itself (no array is kept for them).

    Squared terms: ``sum mu / 2`` of the term (the derivative of ``xi^2`` is ``2 xi``);
    Crammer-Singer hinge terms: 0 where the zero piece is chosen, else their chosen pieces'."""
    if not loss.has_squared_terms and not loss.has_multi_piece_terms:
        return None
    if loss.has_squared_terms:
        return mu.sum(axis=1, keepdims=True) / 2.0 if loss.has_multi_piece_terms else mu / 2.0
    return np.where(zero, 0.0, np.where(chosen, v, -np.inf).max(axis=1))[:, None]


class FaceCorrections:
    """The pieces a candidate says should leave or join the face: boolean masks (None where
    there are none of that kind). ``leave`` and ``zero_leave`` are violations and zero pieces
    whose weight is outside its bounds; ``join`` and ``zero_join`` are pieces above their
    term's level (asked only where nothing leaves)."""

    def __init__(self, leave=None, zero_leave=None, join=None, zero_join=None):
        self.leave, self.zero_leave = leave, zero_leave
        self.join, self.zero_join = join, zero_join

    @property
    def leaves(self):
        return bool((self.leave is not None and self.leave.any())
                    or (self.zero_leave is not None and self.zero_leave.any()))

    def any(self):
        return self.leaves or bool(
            (self.join is not None and self.join.any())
            or (self.zero_join is not None and self.zero_join.any()))


def face_corrections(loss, chosen, zero, active, valid, v, mu, mu_zero, level, tie):
    """:class:`FaceCorrections` of a candidate with violations ``v`` and weights ``mu``.

    Pieces whose weight has the wrong sign leave; a weight of the wrong sign says the candidate
    is not feasible, and pieces it lifts above the level say little, so only where nothing
    leaves do those join (joining them too cycled on faces with a few wrong ties). The masks
    are each as long as the data, formed in place one at a time."""
    single = level is None
    leave = np.less(mu, -WEIGHT_SLACK)
    leave &= chosen
    zero_leave = None
    if zero is not None:
        zero_leave = (np.greater(mu, 1.0 + WEIGHT_SLACK) if single
                      else np.less(mu_zero, -WEIGHT_SLACK))
        zero_leave &= zero
    moves = FaceCorrections(leave, zero_leave)
    if moves.leaves:
        return moves
    if single:
        join = np.greater(v, tie)
    else:
        above = np.abs(level)  # the level plus tie * max(1, |level|), formed in place
        np.maximum(above, 1.0, out=above)
        above *= tie
        above += level
        join = np.greater(v, above)
        del above
    join[chosen] = False
    join &= valid
    zero_join = None
    if zero is not None:
        zero_join = np.less(v if single else level.reshape(zero.shape), -tie)
        zero_join &= active[:, None] if single else active
        zero_join[zero] = False
    return FaceCorrections(join=join, zero_join=zero_join)


def verify_candidate(objective, new, value, mu):
    """``(then, gap)`` for a candidate whose face needs no correction: ``("verified", gap)``
    when its duality gap ``P - D(mu)`` plus the error of ``D`` is at most ``GAP_RTOL * P``
    (and not below minus that error and rounding); ``("stop", None)`` when the intercept
    constraint is not met (no dual point to judge by); ``("untie", None)`` otherwise.

    What the computed gap may miss: rounding (``GAP_ROUNDING`` epsilons of the data's dtype
    times ``|P| + |D|`` + the magnitude of the terms, :func:`_term_magnitude`); in ``D(mu)``,
    weights outside their bounds by up to the slack; and with an intercept the residual ``r``
    of its constraint ``sum_i c_i (A^T mu)_i = 0`` (``D(mu)`` is a lower bound only where
    ``r = 0``; at the intercepts ``b`` it is off by about ``|b . r|``). The tolerance is
    relative to the objective only: its size follows C and the scale of the data, so an
    absolute floor would certify fits far off on rescaled features."""
    loss, c = objective.loss, objective.weights
    dual = _dual_value(objective, mu, new)
    gap = value - dual
    rounding = GAP_ROUNDING * np.finfo(objective.dtype).eps * (
        abs(value) + abs(dual) + _term_magnitude(objective, new, c))
    slack_error = float(np.sum(c[:, None] * np.clip(-mu, 0.0, None), dtype=np.float64))
    if not loss.has_squared_terms:  # and above their upper bound (sum 1 per term)
        above = (np.clip(mu.sum(axis=1) - 1.0, 0.0, None) if loss.has_multi_piece_terms
                 else np.clip(mu - 1.0, 0.0, None).sum(axis=1))
        slack_error += float(np.sum(c * above, dtype=np.float64))
    if objective.fit_intercept:
        cg = c[:, None] * loss.apply_AT(objective.y, np.clip(mu, 0.0, None))
        residual = cg.sum(axis=0, dtype=np.float64)
        b = new[:, -1].astype(np.float64)
        slack_error += float(np.abs(b) @ np.abs(residual))
        # (the weights are stored in the data's dtype: float32 rounds each by 6e-8)
        floor = max(1e-9, GAP_ROUNDING * float(np.finfo(mu.dtype).eps))
        if not np.abs(residual).max() <= floor * float(np.abs(cg).sum(dtype=np.float64)):
            return "stop", None
    if -(rounding + slack_error) <= gap and gap + slack_error <= GAP_RTOL * abs(value):
        # weak duality makes the exact gap >= 0: a computed gap in
        # [-(rounding + slack_error), 0) is the error of the computation, reported as 0
        return "verified", max(gap, 0.0)
    return "untie", None


def correct_face(loss, chosen, zero, v, level, moves):
    """Apply ``moves`` to the face's masks in place: the leaving pieces leave, or else only
    the worst :data:`JOIN_MIN` of the joining ones join (a candidate from a wrong face lifts
    many pieces a little above the level, and adding them all at once makes the face
    balloon); then every term keeps at least one chosen piece."""
    single = level is None
    join, zero_join = moves.join, moves.zero_join
    if join is not None and int(join.sum()) > JOIN_MIN:
        # (the excesses are taken over the candidates only: no array as long as the data)
        excess = v[join] if single else v[join] - np.broadcast_to(level, v.shape)[join]
        join[join] = excess >= np.partition(excess, -JOIN_MIN)[-JOIN_MIN]
    if zero_join is not None and int(zero_join.sum()) > JOIN_MIN:
        # the zero piece rejoining a term frees it: same budget as the joins above
        z_excess = -(v[zero_join] if single else level.reshape(zero.shape)[zero_join])
        zero_join[zero_join] = z_excess >= np.partition(z_excess, -JOIN_MIN)[-JOIN_MIN]
    if moves.leaves:
        chosen[moves.leave] = False
        if moves.zero_leave is not None:
            zero[moves.zero_leave] = False
    else:
        chosen[join] = True
        if zero_join is not None:
            zero[zero_join] = True
    if zero is not None:
        # a term must keep at least one chosen piece
        if loss.has_multi_piece_terms:
            zero |= ~chosen.any(axis=1)
        else:
            np.less_equal(chosen, zero, out=zero)  # zero |= ~chosen, without a temporary


def active_entries(objective):
    """``(active, valid)``: the terms of positive weight and the violation entries that exist
    (each broadcasts where all are)."""
    active = objective.weights > 0
    if active.all():  # (one entry that broadcasts: no mask as long as the data)
        active = np.ones(1, dtype=bool)
    valid = active[:, None]  # (broadcast: all entries of binary and one-vs-rest terms are real)
    if not objective.loss.has_binary_terms:  # (masked entries exist)
        valid = objective.loss.valid_entries(objective.y, objective.n_out) & valid
    return active, valid


def face_masks(objective, lam):
    """``(chosen, zero, active, valid)``: the face that the weights ``lam`` of the violation
    entries propose (see :func:`polish_on_face`).

    ``chosen`` marks the chosen violation entries, ``zero`` the terms (grouped losses) or
    entries whose zero piece is chosen (None for the squared losses), ``active`` the terms of
    positive weight and ``valid`` the entries that exist (both broadcast when all are).
    """
    loss = objective.loss
    active, valid = active_entries(objective)
    chosen = (lam > 0) & valid
    if loss.has_squared_terms:
        zero = None
    elif loss.has_multi_piece_terms:
        # a term of zero weight has no valid entry: its zero piece is the chosen one
        zero = (lam.sum(axis=1, dtype=np.float64)
                < 1.0 - 8 * lam.shape[1] * np.finfo(objective.dtype).eps) | ~active
    else:
        zero = lam < 1.0
    return chosen, zero, active, valid


def face_of(objective, coef, tie):
    """``(chosen, zero, active, valid)`` of :func:`face_masks`: the face of ``coef`` read
    from its violations, pieces within ``tie`` of their term's maximum counting as chosen.

    (Read directly: through the smoothed weights of a tiny smoothing, as the warm start read
    it before, a Crammer-Singer term with two violations tied above 0 got weights summing to 1
    less rounding, which marked its zero piece as chosen.)
    """
    loss = objective.loss
    active, valid = active_entries(objective)
    v = loss.violations(objective.y, objective.raw(coef)).astype(np.float64)
    if loss.has_multi_piece_terms:
        top = np.where(np.broadcast_to(valid, v.shape), v, -np.inf).max(axis=1)
        zero = (top <= tie) | ~np.broadcast_to(active, top.shape)
        level = np.maximum(top, 0.0)[:, None]
        chosen = valid & (v >= level - tie)
    else:
        chosen = valid & (v >= -tie)
        zero = (v <= tie) | ~chosen  # (a term of zero weight keeps its zero piece)
    return chosen, zero, active, valid


def face_weights(loss, chosen, zero):
    """Weights of the violation entries from which :func:`face_masks` reads this face."""
    if loss.has_multi_piece_terms:
        count = np.maximum(chosen.sum(axis=1), 1)[:, None]
        return chosen / count * np.where(zero, 0.5, 1.0)[:, None]
    return np.where(chosen, np.where(zero, 0.5, 1.0), 0.0)


def _certified(certify, coef, value, bound):
    """``(coef, value, gap, False)`` when ``value - bound <= certify * |value|``, else None."""
    if certify is None or not value - bound <= certify * abs(value):
        return None
    return coef, value, max(value - bound, 0.0), False


def _term_magnitude(objective, coef, c):
    """``sum_i c_i (max|x| ||w_k||_1 + |b_k|)`` over the outputs: a bound on what the loss
    terms are computed from. A decision value ``w . x_i + b`` of order 1 from terms of order
    100 (data far from the origin) carries their rounding error, not its own."""
    coef = np.asarray(coef, dtype=np.float64).reshape(objective.shape)
    w = coef[:, : objective.n_features]
    size = objective.largest_value() * float(np.abs(w).sum(axis=1).max(initial=0.0))
    if objective.fit_intercept:
        size += float(np.abs(coef[:, -1]).max(initial=0.0))
    return float(np.sum(c)) * size


def untie_worst(loss, chosen, zero, v, eps):
    """Release the tied piece of a hinge face furthest off the zero level, in place.

    A tie is a term whose zero piece and some violation are both chosen; at the face's
    solution both should be 0. A tied violation below ``-eps`` leaves the face (the term is
    zero there); one above ``eps`` makes the zero piece leave (the term is that violation).
    Returns False when no tied piece is off its level by more than ``eps``.
    """
    tied = chosen & (zero[:, None] if loss.has_multi_piece_terms else zero)
    off = np.where(tied, np.abs(v), 0.0)
    flat = int(np.argmax(off))
    if not off.flat[flat] > eps:
        return False
    i, j = np.unravel_index(flat, off.shape)
    if v[i, j] < 0:
        chosen[i, j] = False  # the zero piece, chosen already, stays
    else:
        zero[(i,) if loss.has_multi_piece_terms else (i, j)] = False
    return True


def _n_tied(loss, chosen, zero):
    """Number of tied (free) entries of a hinge face."""
    if loss.has_multi_piece_terms:
        return int((chosen & ((chosen.sum(axis=1) + zero) >= 2)[:, None]).sum())
    return int((chosen & zero).sum())


def _dual_value(objective, mu, coef):
    """``D(mu) = sum c mu - 1/2 ||W||^2 - sum c phi(mu)`` with the conjugate part ``phi`` of
    the exact loss (:meth:`~hingeclf._losses.HingeFamilyLoss.conjugate`)."""
    c = objective.weights
    w = coef[:, : objective.n_features].astype(np.float64)
    dual = float(np.sum(c * mu.sum(axis=1), dtype=np.float64)) - objective.penalty.value(w)
    return dual - objective.loss.conjugate(mu, c)[0]


def solve_face_system(objective, chosen, zero, max_free, clip=True):
    """The KKT system of the dual on a face; returns ``(coef, raw, mu, mu_zero)`` or None.

    Unknowns, scaled as ``u = c mu``: the weights of the *free* violation entries (chosen in a
    term that has several chosen pieces, or any chosen entry for the squared losses), the
    intercepts, and one multiplier per Crammer-Singer term whose zero piece is not chosen
    (its weights must sum to 1). Equations: each free entry sits at its term's level
    (``v = 0`` when the zero piece is chosen; equal to the other free pieces otherwise;
    ``v = sum_term u / (2 c)`` for the squared losses), and the intercept constraint.
    A chosen entry alone in its term (hinge) has weight 1; unchosen entries weight 0.

    ``W`` is built from the weights clipped into their bounds, or, with ``clip=False``, from
    the weights as solved (then everything returned is affine in the costs on a fixed face:
    what :func:`hingeclf._solvers._path.walk_costs` interpolates).
    """
    loss, X, y = objective.loss, objective.X, objective.y
    squared = loss.has_squared_terms
    c = objective.weights  # (in the data's dtype, as are the weights mu: no float64 copy)
    n_out = objective.n_out
    if squared:
        free = chosen.copy()
        fixed = None
        group_rows = np.zeros(0, dtype=np.intp)
    elif loss.has_multi_piece_terms:
        tied = chosen.sum(axis=1) + zero >= 2
        free = chosen & tied[:, None]
        fixed = (chosen & ~tied[:, None]).astype(objective.dtype)
        group_rows = np.flatnonzero(tied & ~zero)
    else:
        free = chosen & zero
        fixed = (chosen & ~zero).astype(objective.dtype)
        group_rows = np.zeros(0, dtype=np.intp)
    if np.count_nonzero(free) > max_free:
        return None
    rows, cols = np.nonzero(free)
    del free
    n_free = rows.size

    # the part of W fixed by the entries of weight 1
    if squared:  # no entry is fixed: W and the intercept constraint start from zero
        fixed_sum = np.zeros(n_out)
        w_fixed = np.zeros((n_out, objective.n_features))
    else:
        cg_fixed = loss.apply_AT(y, fixed * c[:, None], overwrite=True)
        fixed_sum = cg_fixed.sum(axis=0, dtype=np.float64)
        w_fixed = -np.asarray(X.T @ cg_fixed.astype(X.dtype, copy=False)).T.astype(np.float64)
        del cg_fixed

    e = loss.directions(y, rows, cols, n_out)  # (n_free, n_out)
    # the system's matrices are float64 and n_free square, whatever the data's dtype: they are
    # formed in place, one at a time (docs/design_decisions.rst, 'Smoothing continuation and
    # face solves')
    xs = X[rows]
    if sp.issparse(xs):
        gram = np.asarray((xs @ xs.T).toarray(), dtype=np.float64)
        xs_w = np.asarray(xs @ w_fixed.T, dtype=np.float64)
    else:
        xs = np.asarray(xs, dtype=np.float64)
        gram = xs @ xs.T
        xs_w = xs @ w_fixed.T
    del xs
    if n_out == 1:  # gram * (e e^T) for a column of signs
        gram *= e
        gram *= e.T
    else:
        gram *= e @ e.T
    if squared:
        # v = xi: the entries of one term share xi (one row for Crammer-Singer)
        scale = 1.0 / (2.0 * c[rows].astype(np.float64))
        if loss.has_multi_piece_terms:
            gram += (rows[:, None] == rows[None, :]) * scale[:, None]
        else:
            gram[np.diag_indices(n_free)] += scale
    rhs_free = 1.0 + np.einsum("ij,ij->i", e, xs_w)

    n_b = n_out if objective.fit_intercept else 0
    n_g = len(group_rows)
    size = n_free + n_b + n_g
    if size == 0:
        return None
    if size == n_free:
        m = gram
    else:
        m = np.zeros((size, size))
        m[:n_free, :n_free] = gram
    del gram
    rhs = np.zeros(size)
    rhs[:n_free] = rhs_free
    if n_b:
        m[:n_free, n_free:n_free + n_b] = -e
        m[n_free:n_free + n_b, :n_free] = -e.T
        rhs[n_free:n_free + n_b] = fixed_sum
    if n_g:
        group_of_row = np.full(chosen.shape[0], -1)
        group_of_row[group_rows] = np.arange(n_g)
        g_of = group_of_row[rows]
        member = np.flatnonzero(g_of >= 0)
        m[member, n_free + n_b + g_of[member]] = 1.0
        m[n_free + n_b + g_of[member], member] = 1.0
        rhs[n_free + n_b:] = c[group_rows]
    # rank-revealing solve: a face proposed by smoothing often holds more tied entries than the
    # rank of the data allows (more than n_features + 1 per problem); the least-norm solution is
    # then the one to correct from, where a plain solve returns huge, meaningless weights
    try:
        sol = scipy.linalg.lstsq(m, rhs, cond=1e-12, check_finite=False, overwrite_a=True,
                                 overwrite_b=True, lapack_driver="gelsd")[0]
    except (np.linalg.LinAlgError, ValueError):
        return None  # LAPACK's SVD did not converge (seen on a large tied face): no face solve
    del m
    mu = np.zeros(chosen.shape, dtype=objective.dtype) if fixed is None else fixed
    mu[rows, cols] = sol[:n_free] / c[rows]
    b = sol[n_free:n_free + n_b]

    # weights used to build W: clipped into their bounds (the checks use the unclipped ones)
    upper = None if squared else 1.0
    cg = loss.apply_AT(y, np.clip(mu, 0.0, upper) if clip else mu, overwrite=clip)
    cg *= c[:, None]
    w = -np.asarray(X.T @ cg.astype(X.dtype, copy=False)).T.astype(np.float64)
    del cg
    new = np.hstack([w, b[:, None]]) if objective.fit_intercept else w
    new = new.astype(objective.dtype)
    raw_new = objective.raw(new)
    # the zero pieces' weights, needed for Crammer-Singer only (a single-violation hinge term's
    # is 1 - mu where its zero piece is chosen)
    cs_hinge = not squared and loss.has_multi_piece_terms
    mu_zero = np.where(zero, 1.0 - mu.sum(axis=1), 0.0) if cs_hinge else None
    return new, raw_new, mu, mu_zero
