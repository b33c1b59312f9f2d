"""Non-smooth losses through smooth solvers: smoothing continuation and face identification.

A smooth solver (``fgd``, ``lbfgs``) cannot minimise the hinge directly. It minimises the smoothed
loss ``xi_gamma`` of :mod:`hingeclf._losses` for ``gamma = 1, 0.1, 0.01, ...``, each stage warm
started from the last. Since ``0 <= xi - xi_gamma`` (and ``xi^2 - xi_gamma^2 >= 0``) the smoothed
optimum lower-bounds the true one, ``P_gamma* <= P*``, so at the point ``theta`` a stage returns::

    P(theta) - P*  <=  P(theta) - P_gamma(theta)  +  (P_gamma(theta) - P_gamma*)

The first term is computed exactly; the second is the inner solve's residual, made small by its
own gradient criterion (each stage is solved to ``0.01 gamma``, and the last one to at most
``tol``). That second term is not certified by the gradient criterion (on badly scaled features a
stage can meet it far from its optimum), so for the L2 penalty the continuation stops only when
the duality gap of :func:`~hingeclf._solvers._certificate.certified_gap`, from the dual point of
the stage's smoothed weights, is at most ``tol * P(theta)``: the smoothing gap being small is the
cue to check it, and the certified gap is what the result reports. That gap is the sum of what
it would be at the stage's optimum and the stage's residual ``1/2 ||grad P_gamma||^2``; when the
first part is within tol but the gap is not, the stage is solved more tightly before the
smoothing shrinks. Other penalties (no dual here) stop on the smoothing gap with the inner solve
converged.

Each stage first tries to *identify the face* of the optimum from the smoothed solution and to
solve the exact problem on it (:func:`polish_on_face`); when that succeeds, the optimality
conditions are verified and the duality gap is at rounding level, and the continuation stops.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .._objective import max_abs
from ._certificate import certified_gap, dual_bound, smoothed_weight_square
from ._result import SolverResult

GAMMA_START = 1.0
# first smoothing of a warm-started run (a previous solution, e.g. at a neighbouring C, whose face
# was not the optimum's): the start is already close, so the wide early stages mostly undo it
GAMMA_WARM_START = 0.1
WARM_TIE = 1e-6
# face corrections tried from a warm start's own face before the continuation: at the same
# costs it verifies at once, and a few entries off are corrected; at other costs the walk
# (hingeclf._solvers._path) is the way along faces, while these corrections cycled (iris
# Crammer-Singer, newton along C in 1e-3..10: the warm fits' face solves took 0.8 s of 1.0)
WARM_FACE_UPDATES = 3
GAMMA_FACTOR = 0.1
GAMMA_MIN = 1e-12
MAX_FREE = 1500
# the exact finish of an already converged smooth fit is optional: keep its solve cheap
# (digits, one-vs-rest squared hinge: 1-2 s per fit with faces up to 1500, 0.02-0.14 s at 300)
FINISH_MAX_FREE = 300
INNER_TOL_FACTOR = 1e-2
# re-solves of a stage whose smoothing gap is below tol but whose certified gap is not (each
# to INNER_TOL_FACTOR times the last tolerance) before the smoothing shrinks
STAGE_REFINES = 2


def solve_by_continuation(inner, objective, coef0, *, tol, max_iter, verbose=0, **kwargs):
    """Minimise an objective with a non-smooth loss by smoothing continuation with ``inner``.

    ``max_iter`` bounds the inner solver's iterations in each stage (each stage is a solve of its
    own); ``n_iter`` is their sum over all stages. The run stops unconverged when a stage ends
    without meeting its criterion or the smoothing reaches its floor.
    """
    loss = objective.loss
    coef = np.asarray(coef0, dtype=objective.dtype).reshape(objective.shape)
    gamma = GAMMA_START
    # the face solve works in the dual of the L2-penalised problem: other penalties skip it
    exact_face = objective.penalty.name == "l2"
    if np.any(coef) and loss.has_exact_faces and exact_face:
        # a warm start may sit on the optimum already (refit of the same problem): try its face
        # directly; otherwise walk the path from the warm point, starting at GAMMA_WARM_START
        # (along a C path, measured with newton: 5000 x 50 hinge, C in 1e-3..10, 753 inner
        # iterations from gamma = 1, 494 from 0.1, 363 from 0.01; iris Crammer-Singer 204, 181,
        # 336: 0.1 is the safe middle)
        # at an optimum, tied entries sit at their level up to rounding: within WARM_TIE (or
        # float32's rounding band) they count as tied
        def hint():
            tie = WARM_TIE if objective.dtype == np.float64 else max(WARM_TIE, 1e-4)
            return face_weights(loss, *face_of(objective, coef, tie)[:2])

        polished = polish_on_face(objective, coef, hint, certify=tol,
                                  max_updates=WARM_FACE_UPDATES)
        if polished is not None:
            coef, value, gap, verified = polished
            return SolverResult(
                coef=coef, n_iter=0, converged=True, objective=value, history=[value],
                gap=gap, message=("warm start already on the optimal face; verified" if verified
                                  else "warm start within tol: duality gap from a face solve"))
        gamma = GAMMA_WARM_START
    n_iter = 0
    history = []
    converged = False
    value = objective.value(coef)
    message = ""
    gap = None
    while True:
        smooth = objective.with_loss(loss.smoothed(gamma))
        # a stage's solution serves to locate the optimum's face, which needs more accuracy as
        # the smoothing shrinks: the inner tolerance follows gamma, whatever ``tol`` is
        inner_tol = INNER_TOL_FACTOR * gamma
        res = inner(smooth, coef, tol=inner_tol, max_iter=max_iter, verbose=verbose, **kwargs)
        # a stage is not resumed by the next (another loss): what the solver kept to resume
        # (Newton's Gram products and the curvature, as long as the data) is let go before
        # the next stage's solve allocates its own
        res.state = None
        n_iter += res.n_iter
        coef = res.coef
        value = objective.value(coef)
        history.extend(res.history)
        if loss.has_exact_faces and exact_face:
            def hint(smoothed=loss.smoothed(gamma), coef=coef):
                return smoothed.term_weights(
                    loss.violations(objective.y, objective.raw(coef), overwrite=True))

            polished = polish_on_face(objective, coef, hint, certify=tol, value=value)
            if polished is not None:
                coef, value, gap, verified = polished
                converged = True
                message = (f"face identified at gamma={gamma:g}; optimality verified" if verified
                           else f"duality gap below tol at gamma={gamma:g} (dual point from a "
                                f"face solve)")
                break
        smoothing_gap = value - res.objective
        if verbose > 1:
            print(f"[continuation] gamma {gamma:.1e}: {res.n_iter} iterations, objective "
                  f"{value:.10g}, smoothing gap {smoothing_gap:.3e}")
        threshold = tol * max(abs(value), np.finfo(float).tiny)
        certify = exact_face and loss.has_dual_from_smoothing
        if res.converged and certify:
            # the duality gap from the stage's smoothed weights bounds P - P* whatever the
            # inner solver's residual; it is often below the smoothing gap (the dual of the
            # exact hinge gains gamma / 2 sum c mu^2 over the smoothed one), so it is checked
            # at every stage. At the stage's optimum it would be (without intercepts; with
            # them, about)
            #   P - P_gamma - gamma/2 sum c ||mu||^2  =  gamma sum_band c s (1 - s)
            # (binary; s = v / gamma over the samples inside the smoothing band, the others add
            # nothing), and away from it the stage's residual adds 1/2 ||grad P_gamma||^2.
            # When that first part is within half of tol but the certificate is not, the
            # residual keeps it above: the stage is solved more tightly (at most STAGE_REFINES
            # times, each to INNER_TOL_FACTOR times the last tolerance; a step or two of a
            # Newton solve) before the smoothing shrinks. Measured on dense make_classification
            # 1M x 50 (hinge, no intercept, newton, float64): the stage at gamma 1e-2 ended
            # with a certificate of 3656 against tol * P = 15, nearly all residual; refined, 2.8.
            # The fit stops there after 13 Newton iterations in all, where it had gone on to
            # gamma 1e-4 (41 iterations; 50 in float32)
            stage_tol = min(inner_tol, tol)
            smooth_value, refined_ok = res.objective, True
            for refine in range(STAGE_REFINES + 1):
                threshold = tol * max(abs(value), np.finfo(float).tiny)  # value may move
                certificate, _ = certified_gap(objective, coef, value, gammas=(gamma,))
                if certificate <= threshold:
                    converged = True
                    gap = max(certificate, 0.0)
                    message = f"duality gap below tol at gamma={gamma:g}"
                    break
                if refine == STAGE_REFINES or not refined_ok:
                    break
                at_optimum = value - smooth_value  # (the smoothing gap bounds it)
                if not loss.has_squared_terms:  # (squared Crammer-Singer: the smoothing gap)
                    at_optimum -= 0.5 * gamma * smoothed_weight_square(objective, coef, gamma)
                if at_optimum > 0.5 * threshold:
                    break
                stage_tol *= INNER_TOL_FACTOR
                refined = inner(smooth, coef, tol=stage_tol, max_iter=max_iter,
                                verbose=verbose, **kwargs)
                refined.state = None
                n_iter += refined.n_iter
                history.extend(refined.history)
                # the tighter solution replaces the stage's (the certificate, not P, decides)
                coef, smooth_value = refined.coef, refined.objective
                value = objective.value(coef)
                refined_ok = refined.converged  # else: checked once more, then gamma shrinks
            if converged:
                break
        elif res.converged and smoothing_gap <= threshold:
            if inner_tol > tol:
                # rarely reached: smoothing gap is about gamma * (loss scale) so gamma ~ tol here
                # the bound also needs the smoothed problem solved to ``tol``: finish this stage
                res = inner(smooth, coef, tol=tol, max_iter=max_iter, verbose=verbose,
                            **kwargs)
                res.state = None
                n_iter += res.n_iter
                coef = res.coef
                value = objective.value(coef)
                history.extend(res.history)
                smoothing_gap = value - res.objective
            if res.converged and smoothing_gap <= tol * max(abs(value), np.finfo(float).tiny):
                converged = True
                message = f"smoothing gap below tol at gamma={gamma:g}"
                break
        if not res.converged:
            message = f"the stage at smoothing gamma={gamma:g} stopped: {res.message}"
            if certify:
                # the certificate bounds P - P* wherever the stage stopped (in float32 a stage
                # at small smoothing stops at the data's precision, short of its criterion)
                certificate, _ = certified_gap(objective, coef, value, gammas=(gamma,))
                if certificate <= tol * max(abs(value), np.finfo(float).tiny):
                    converged = True
                    gap = max(certificate, 0.0)
                    message = (f"duality gap below tol at gamma={gamma:g} (the stage stopped "
                               f"short of its own criterion: {res.message})")
            break
        if gamma <= GAMMA_MIN:
            message = "smoothing parameter reached its floor before the criterion"
            break
        gamma *= GAMMA_FACTOR
    history.append(value)
    return SolverResult(coef=coef, n_iter=max(n_iter, 1), converged=converged, objective=value,
                        history=history, gap=gap, message=message)


def finish_on_face(objective, result):
    """Try to replace a smooth solver's result on an exact squared loss by the exact optimum.

    The active set (entries with ``v > 0``) at the solver's point is taken as the face; when
    :func:`polish_on_face` verifies the solution, the result becomes that solution with its
    duality gap, and it counts as converged (optimality is certified, which is stronger than the
    gradient rule). Otherwise the solver's result stands as it was.
    """
    loss = objective.loss
    if not (loss.has_exact_faces and loss.has_squared_terms):
        return result  # not an exact squared loss of the family (smoothed, or all-pairs)
    if objective.penalty.name != "l2":
        return result
    hint = loss.violations(objective.y, objective.raw(result.coef), overwrite=True) > 0
    return polish_result(objective, result, hint, "active set identified")


def polish_result(objective, result, hint, found):
    """``result`` replaced by the exact optimum on the face that ``hint`` proposes, when
    :func:`polish_on_face` (at most :data:`FINISH_MAX_FREE` free entries) verifies it; else
    ``result`` as it was. ``found`` says in the message what identified the face."""
    polished = polish_on_face(objective, result.coef, hint, max_free=FINISH_MAX_FREE)
    if polished is None:
        return result
    coef, value, gap, _ = polished
    return SolverResult(coef=coef, n_iter=result.n_iter, converged=True, objective=value,
                        history=result.history + [value], gap=gap, walked=result.walked,
                        message=result.message + f"; {found}, optimality verified")


MAX_FACE_UPDATES = 30
# a face solution is accepted when its duality gap plus the error of the dual value (weights
# outside their bounds, the intercept constraint's residual) is at most GAP_RTOL * P; a negative
# computed gap is accepted down to minus that error and rounding (GAP_ROUNDING machine epsilons
# of the data's dtype times |P| + |D|)
GAP_RTOL = 1e-6
GAP_ROUNDING = 100
JOIN_MIN = 1
FACE_RANK_FACTOR = 2


def polish_on_face(objective, coef, lam_hint, max_free=MAX_FREE, certify=None, value=None,
                   max_updates=MAX_FACE_UPDATES):
    """Solve the problem exactly on the face of its optimum, found from a hint, and verify it.

    ``lam_hint`` is an array, or a function that returns it (then it is freed as soon as the
    first face is read from it: the face solve's peak memory holds one array fewer).

    Each term of the loss is the largest of its pieces: the *zero piece* and its violations
    ``v`` (one for single-piece terms, ``K - 1`` for Crammer-Singer). A *face* says which pieces
    of each term are chosen (attain the term's maximum) at the optimum; ``lam_hint`` (weights of
    the violation entries, e.g. the smoothed solution's) gives the first guess: violations with
    ``lambda > 0`` are chosen, and for the hinge the zero piece is chosen too when the weights
    of the term sum to less than 1. For the squared losses only violations count (a term with
    none chosen is zero).

    With the face fixed, the dual restricted to it is an equality-constrained quadratic (MATH.md
    section 3: ``W = -(c A^T mu)^T X``, intercept constraint ``sum_i c_i (A^T mu)_i = 0``), so
    its KKT conditions are one symmetric linear system (see :func:`_solve_face`). The candidate
    is optimal when every weight is within its bounds and no piece outside the face exceeds the
    face's level (the primal KKT conditions), and the duality gap ``P - D`` plus the error of ``D`` is at most ``GAP_RTOL * P``.
    Otherwise the face is corrected as in a primal-dual active-set method: pieces with negative
    weight leave (and then nothing joins in that round), else the pieces furthest above the
    level join (``JOIN_MIN``); a face whose conditions hold but whose gap stays open ties more
    pieces than the parameters can hold, and its tied piece furthest off the level is released
    (:func:`_untie_worst`). The system is then solved again (at most ``max_updates`` times,
    :data:`MAX_FACE_UPDATES` by default, and no further once a face repeats: each correction is
    a function of the face, so a repeated face starts a cycle).

    With ``certify`` (a relative tolerance), every candidate also serves as a certificate
    before its face is verified: its weights clipped into the dual set (and scaled to meet the
    intercept constraint) are a dual point, whose value bounds ``P*`` from below
    (:func:`~hingeclf._solvers._certificate.dual_bound`); the best primal point met (``coef``,
    whose objective ``value`` may be given, or a candidate) is returned as soon as its gap to
    the best bound is at most ``certify * P``. A candidate from a face a few pieces wrong is
    short of verification but its dual point is close to the optimum's: measured on dense
    make_classification 100k x 100 (hinge, float32, no intercept), every stage's face walk
    failed to verify, and the stage at smoothing 1e-4 stalled at float32 precision, its own
    certificate 1263 against tol * P = 0.81.

    Returns ``(coef, value, gap, verified)`` (``verified``: the face's optimality conditions
    hold; else the gap certificate met ``certify``), or None.
    """
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
        # a hinge face generically ties at most as many entries as there are parameters: a
        # proposal far above that (large smoothing, most samples in the band) is not worth a solve
        return None
    best_coef, best_value, bound = coef, value, -np.inf
    if certify is not None and value is None:
        best_value = objective.value(coef)
    seen = set()
    for _ in range(max_updates + 1):
        # the last candidate's arrays (each as long as the data) go before the next is formed
        cand = new = raw_new = mu = mu_zero = v = level = None
        join = leave = zero_join = zero_leave = None
        # each step is a function of the face alone: a face met before starts a cycle, whose
        # candidates are all known (the walk would end as it does at the last update, only
        # later; from smoothed hints on iris Crammer-Singer, cycles of two faces ran to the end)
        face = hash((np.packbits(chosen).tobytes(),
                     b"" if zero is None else np.packbits(zero).tobytes()))
        if face in seen:
            return _certified(certify, best_coef, best_value, bound)
        seen.add(face)
        cand = _solve_face(objective, chosen, zero, max_free)
        if cand is None:
            return _certified(certify, best_coef, best_value, bound)
        new, raw_new, mu, mu_zero = cand
        cand = None
        value_new = objective.value(new, raw_new)
        if certify is not None and value_new < best_value:
            best_coef, best_value = new, value_new
        v = loss.violations(objective.y, raw_new, overwrite=True)  # (in raw_new's place)
        raw_new = None
        eps = 1e-9 if objective.dtype == np.float64 else 1e-4
        slack = 1e-9
        # level of each term: the value of its chosen pieces (they are equal on the face).
        # A hinge term of one violation (binary, one-vs-rest, Weston-Watkins): where that is
        # not chosen, the zero piece is, at level 0; where the zero piece is not chosen, the
        # level is v. Those faces keep no level array (nor mu_zero, 1 - mu where the zero
        # piece is chosen)
        single = not loss.has_squared_terms and not loss.has_multi_piece_terms
        if single:
            level = None
        elif loss.has_squared_terms:
            level = (mu.sum(axis=1, keepdims=True) / 2.0 if loss.has_multi_piece_terms
                     else mu / 2.0)
        else:
            level = np.where(zero, 0.0, np.where(chosen, v, -np.inf).max(axis=1))[:, None]
        # the moves, each a mask as long as the data, formed in place one at a time (in
        # float32 a few masks outweigh the candidate's arrays): pieces whose weight has the
        # wrong sign leave; a weight of the wrong sign says the candidate is not feasible, and
        # pieces it lifts above the level say little, so only where nothing leaves do those
        # join. (Joining them too cycled on faces with a few wrong ties: one-vs-rest dual_cd
        # on iris, digits and breast_cancer needed 3-5x more epochs before a face solve
        # verified)
        leave = np.less(mu, -slack)
        leave &= chosen
        zero_leave = None
        if zero is not None:
            zero_leave = np.greater(mu, 1.0 + slack) if single else np.less(mu_zero, -slack)
            zero_leave &= zero
        leaves = bool(leave.any() or (zero_leave is not None and zero_leave.any()))
        join = zero_join = None
        if leaves:
            joins = False
        else:
            leave = zero_leave = None
            if single:
                join = np.greater(v, eps)
            else:
                above = np.abs(level)  # the level plus eps * max(1, |level|), formed in place
                np.maximum(above, 1.0, out=above)
                above *= eps
                above += level
                join = np.greater(v, above)
                del above
            join[chosen] = False
            join &= valid
            joins = bool(join.any())
            if zero is not None:
                zero_join = np.less(v if single else level.reshape(zero.shape), -eps)
                zero_join &= active[:, None] if single else active
                zero_join[zero] = False
                joins = joins or bool(zero_join.any())
        # what follows the checks: "update" the face, "untie" a piece, or "stop"
        then = "update"
        if not (leaves or joins):
            then = "untie"
            value = value_new
            dual = _dual_value(objective, mu, new)
            gap = value - dual
            # what the computed gap may miss: rounding (GAP_ROUNDING epsilons of the data's
            # dtype times |P| + |D| + the magnitude of the terms, _term_magnitude); and, in
            # D(mu), weights outside their bounds by up to the slack, and with an intercept
            # the residual r of its constraint
            # sum_i c_i (A^T mu)_i = 0 (D(mu) is a lower bound only where r = 0; at the
            # intercepts b it is off by about |b . r|)
            c = objective.weights
            rounding = GAP_ROUNDING * np.finfo(objective.dtype).eps * (
                abs(value) + abs(dual) + _term_magnitude(objective, new, c))
            slack_error = float(np.sum(c[:, None] * np.clip(-mu, 0.0, None), dtype=np.float64))
            if not loss.has_squared_terms:  # and above their upper bound (sum 1 per term)
                above = (np.clip(mu.sum(axis=1) - 1.0, 0.0, None)
                         if loss.has_multi_piece_terms
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
                    then = "stop"
            # relative to the objective only: its size follows C and the scale of the data, so an
            # absolute floor (such as 1e-6 * max(P, 1)) certified fits 3% off on features x1000
            # (rounding excuses a negative gap only: the bound above it stays GAP_RTOL * P)
            if (then == "untie" and -(rounding + slack_error) <= gap
                    and gap + slack_error <= GAP_RTOL * abs(value)):
                # weak duality makes the exact gap >= 0: a computed gap in
                # [-(rounding + slack_error), 0) is the error of the computation, reported as 0
                return new, value, max(gap, 0.0), True
        if certify is not None:
            # the candidate's weights, brought into the dual set, bound P* from below (after
            # the checks, in mu's place: no array more at the peak)
            bound = max(bound, dual_bound(objective, mu))
            mu = None
            found = _certified(certify, best_coef, best_value, bound)
            if found is not None:
                return found
        if then == "stop":
            return None
        if then == "untie":
            # the conditions above hold but the gap stays open: the face ties more pieces than
            # the parameters can hold at one level (its system is then solved in least squares,
            # and tied pieces sit off the level); the one furthest off leaves the tie
            if zero is None or not _untie_worst(loss, chosen, zero, v, eps):
                return None
            continue
        # join only the worst violators: a candidate from a wrong face lifts many pieces a
        # little above the level, and adding them all at once makes the face balloon
        # (the excesses are taken over the candidates only: no array as long as the data)
        limit = JOIN_MIN
        if join is not None and int(join.sum()) > limit:
            excess = v[join] if single else v[join] - np.broadcast_to(level, v.shape)[join]
            join[join] = excess >= np.partition(excess, -limit)[-limit]
        if zero_join is not None and int(zero_join.sum()) > limit:
            # the zero piece rejoining a term frees it: same budget as the joins above
            z_excess = -(v[zero_join] if single else level.reshape(zero.shape)[zero_join])
            zero_join[zero_join] = z_excess >= np.partition(z_excess, -limit)[-limit]
        # (the masks are updated in place: each is as long as the data, and in float32 a few
        # of them outweigh the candidate's arrays)
        if leaves:
            chosen[leave] = False
            if zero_leave is not None:
                zero[zero_leave] = False
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
            if _n_tied(loss, chosen, zero) > FACE_RANK_FACTOR * n_params:
                return _certified(certify, best_coef, best_value, bound)
    return _certified(certify, best_coef, best_value, bound)


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
    size = max_abs(objective.X) * float(np.abs(w).sum(axis=1).max(initial=0.0))
    if objective.fit_intercept:
        size += float(np.abs(coef[:, -1]).max(initial=0.0))
    return float(np.sum(c)) * size


def _untie_worst(loss, chosen, zero, v, eps):
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


def _solve_face(objective, chosen, zero, max_free, clip=True):
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
    # formed in place, one at a time (on dense 100k x 100 float32 data a face of 180 free
    # entries had raised the peak resident memory of a hinge fit by 2.2 MB)
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
