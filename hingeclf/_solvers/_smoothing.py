"""Non-smooth losses through smooth solvers: smoothing continuation.

A smooth solver (``fgd``, ``lbfgs``) cannot minimise the hinge directly. It minimises the smoothed
loss ``xi_gamma`` of :mod:`hingeclf._losses` for ``gamma = 1, 0.1, 0.01, ...``, each stage warm
started from the last. Since ``0 <= xi - xi_gamma`` (and ``xi^2 - xi_gamma^2 >= 0``) the smoothed
optimum lower-bounds the true one, ``P_gamma* <= P*``, so at the point ``theta`` a stage returns::

    P(theta) - P*  <=  P(theta) - P_gamma(theta)  +  (P_gamma(theta) - P_gamma*)

The first term is computed exactly; the second is the inner solve's residual, made small by its
own gradient criterion (each stage is solved to ``0.01 gamma``, and the last one to at most
``tol``). That second term is not certified by the gradient criterion (on badly scaled features a
stage can meet it far from its optimum), so for the L2 penalty the continuation stops only when
the duality gap of :func:`~hingeclf._certificate.certified_gap`, from the dual point of
the stage's smoothed weights, is at most ``tol * P(theta)``: the smoothing gap being small is the
cue to check it, and the certified gap is what the result reports. That gap is the sum of what
it would be at the stage's optimum and the stage's residual ``1/2 ||grad P_gamma||^2``; when the
first part is within tol but the gap is not, the stage is solved more tightly before the
smoothing shrinks. Other penalties (no dual here) stop on the smoothing gap with the inner solve
converged.

Each stage first tries to *identify the face* of the optimum from the smoothed solution and to
solve the exact problem on it (:func:`hingeclf._solvers._face.polish_on_face`); when that
succeeds, the optimality conditions are verified and the duality gap is at rounding level, and
the continuation stops.
"""

from __future__ import annotations

import numpy as np

from .._certificate import certified_gap, smoothed_weight_square
from ._face import face_of, face_weights, polish_on_face, tie_tolerance
from ._result import SolverResult

GAMMA_START = 1.0
# first smoothing of a warm-started run (a previous solution, e.g. at a neighbouring C, whose face
# was not the optimum's): the start is already close, so the wide early stages mostly undo it
GAMMA_WARM_START = 0.1
# face corrections tried from a warm start's own face before the continuation: at the same
# costs it verifies at once, and a few entries off are corrected; at other costs the path walk
# is the way along faces (docs/design_decisions.rst, 'Smoothing continuation and face solves')
WARM_FACE_UPDATES = 3
GAMMA_FACTOR = 0.1
GAMMA_MIN = 1e-12
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
        # directly; otherwise the continuation starts at GAMMA_WARM_START (docs/
        # design_decisions.rst, 'Smoothing continuation and face solves'); at an optimum,
        # tied entries sit at their level up to rounding (the warm tie tolerance)
        def hint():
            tie = tie_tolerance(objective.dtype, warm=True)
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
            # Newton solve) before the smoothing shrinks (docs/design_decisions.rst,
            # 'Smoothing continuation and face solves')
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
