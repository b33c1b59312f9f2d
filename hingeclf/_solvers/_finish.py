"""Finishing a smooth solver's result exactly: the exact squared hinges' optimum on the face
that the solver's point identifies (:func:`hingeclf._solvers._face.polish_on_face`)."""

from __future__ import annotations

from ._face import polish_on_face
from ._result import SolverResult

#: free entries of a finishing face solve: the finish of an already converged fit is optional,
#: so its solve is kept cheap (docs/design_decisions.rst, 'Smoothing continuation and face
#: solves')
FINISH_MAX_FREE = 300


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
