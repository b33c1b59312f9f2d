"""Finishing a smooth solver's result exactly, as the loss offers: the exact squared hinges'
optimum on the face that the solver's point identifies (:func:`finish_on_face`, by
:func:`hingeclf._solvers._face.polish_on_face`), or Newton steps with the whole Hessian on the
quadratic pieces of another exact piecewise-quadratic loss (:func:`newton_on_pieces`)."""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ._face import polish_on_face
from ._result import SolverResult

#: free entries of a finishing face solve: the finish of an already converged fit is optional,
#: so its solve is kept cheap (docs/design_decisions.rst, 'Smoothing continuation and face
#: solves')
FINISH_MAX_FREE = 300
#: Newton steps of :func:`newton_on_pieces` at most
NEWTON_FINISH_MAX_STEPS = 10
#: :func:`newton_on_pieces` stops once ``||grad||_inf <= this * gradient_scale()`` (rounding
#: level in float64: the piece was the optimum's)
NEWTON_FINISH_RTOL = 1e-13
#: the shortest fraction of a Newton step :func:`newton_on_pieces` tries when the full step does
#: not descend
NEWTON_FINISH_MIN_STEP = 2.0 ** -60


def finish(objective, result, tol):
    """The exact finish of a smooth solver's ``result`` (solved to the relative gradient rule
    ``tol``) that the loss offers, or ``result`` as it was: the face solve for the exact squared
    hinges (``has_exact_faces``), else Newton steps on the pieces of an exact piecewise-quadratic
    loss (``has_exact_quadratic_pieces``)."""
    loss = objective.loss
    if loss.has_exact_faces:
        return finish_on_face(objective, result)
    if loss.has_exact_quadratic_pieces:
        return newton_on_pieces(objective, result, tol)
    return result


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
    if objective.penalty.name != "l2" or not objective.holds_rows:
        return result  # (the face solve is the L2 dual's, and selects rows of the data)
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


def newton_on_pieces(objective, result, tol):
    """Polish ``result`` to the exact optimum by Newton steps with the whole Hessian.

    On a fixed piece the loss is an exact quadratic, so a step ``-H^-1 g`` with the objective's
    dense generalised Hessian (``hessian_operator(w).matrix()``) lands on the minimiser of that
    piece; when the piece there is the same, that is the optimum and the gradient is at rounding
    level (:data:`NEWTON_FINISH_RTOL`). A step that does not lower the objective and the
    gradient is halved while the objective does not decrease (from just past a kink at a large
    cost the piece's minimiser can be far off); the next step starts on the piece it reached. At
    most :data:`NEWTON_FINISH_MAX_STEPS` steps; where the objective offers no matrix, ``result``
    is returned as it was. The result counts as converged when its gradient meets the solver's
    rule, ``||grad P||_inf <= tol * gradient_scale()``.
    """
    w = np.asarray(result.coef, dtype=np.float64).reshape(objective.shape)
    H = objective.hessian_operator(w.astype(objective.dtype)).matrix()
    if H is None:
        return result
    f, g = objective.value_gradient(w.astype(objective.dtype))
    g = np.asarray(g, dtype=np.float64)
    g_start = float(np.abs(g).max(initial=0.0))
    g_ref = objective.gradient_scale()
    n_steps = 0
    for step_number in range(NEWTON_FINISH_MAX_STEPS):
        if step_number:
            H = objective.hessian_operator(w.astype(objective.dtype)).matrix()
        try:
            step = scipy.linalg.solve(H, -g.ravel(), assume_a="pos").reshape(objective.shape)
        except (np.linalg.LinAlgError, ValueError):
            break
        w_new = w + step
        f_new, g_new = objective.value_gradient(w_new.astype(objective.dtype))
        g_new = np.asarray(g_new, dtype=np.float64)
        rounding = 64 * np.finfo(objective.dtype).eps * max(abs(f), 1.0)
        if not f_new <= f + rounding or not (np.abs(g_new).max() < np.abs(g).max()):
            t = 0.5
            while t > NEWTON_FINISH_MIN_STEP:
                w_new = w + t * step
                f_new, g_new = objective.value_gradient(w_new.astype(objective.dtype))
                if f_new < f:
                    break
                t *= 0.5
            if not (t > NEWTON_FINISH_MIN_STEP and f_new < f):
                break
            g_new = np.asarray(g_new, dtype=np.float64)
        w, f, g = w_new, f_new, g_new
        n_steps += 1
        if np.abs(g).max() <= NEWTON_FINISH_RTOL * g_ref:
            break
    if n_steps == 0:
        return result
    g_inf = float(np.abs(g).max(initial=0.0))
    return SolverResult(coef=w.astype(objective.dtype), n_iter=result.n_iter,
                        converged=result.converged or g_inf <= tol * g_ref,
                        objective=float(f), history=result.history + [float(f)],
                        walked=result.walked,
                        message=result.message + f"; {n_steps} exact Newton step(s) on the "
                        f"loss's pieces, |grad|_inf {g_start:.2e} -> {g_inf:.2e}")
