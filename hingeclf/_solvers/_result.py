"""The one result type every solver returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class WarmStart:
    """What a fit hands the next fit of the same estimator, opaque to the estimator.

    ``state`` is the solver's own state (``sgd``'s iterate and step counter, ``dual_cd``'s dual
    variables); each solver checks that a state is its own and belongs to the data before it
    uses one, and starts from the coefficients alone otherwise. ``path`` is, after a converged
    fit, the costs at which its coefficients are optimal and the walk's budget
    (:class:`hingeclf._solvers._path.PathStart`), for the solvers that walk the exact hinge's
    solution path.
    """

    state: object = None
    path: object = None


@dataclass
class OutputParts:
    """Per output of a separable objective: ``objective`` and ``gap`` (float arrays summing to
    the result's ``objective`` and ``gap``) and ``converged`` (a boolean array)."""

    objective: np.ndarray
    gap: np.ndarray
    converged: np.ndarray


@dataclass
class SolverResult:
    """What a solver hands back to an estimator.

    Attributes
    ----------
    coef : ndarray of shape (n_out, n_features + fit_intercept)
        Coefficients, intercept last (the layout of :class:`~hingeclf._objective.LinearObjective`).
    n_iter : int
        Iterations as the solver's docstring defines them (epochs for ``sgd``).
    converged : bool
        True exactly when the solver's stopping rule was met before ``max_iter``.
    objective : float
        Value of the objective of the problem that was solved, at ``coef``.
    history : list of float
        Objective values along the way (one per iteration or epoch, where recorded).
    gap : float or None
        Duality gap at ``coef`` where a certificate was computed.
    message : str
        How the solver stopped.
    state : object
        Solver state to continue from (``sgd``'s iterate and step counter), or None.
    walked : int
        Face solves of a walk along the solution path (:mod:`hingeclf._solvers._path`)
        counted in ``n_iter``.
    solver : str
        The registered solver that produced the result (set by
        :func:`hingeclf._solvers.minimize`; a fallback's name when one ran).
    warm : WarmStart or None
        What the next fit may start from (set by :func:`hingeclf._solvers.minimize`).
    outputs : OutputParts or None
        For a solver that solves the outputs of a separable objective (``has_binary_terms``)
        one by one: each output's objective, gap and convergence, so that a fallback
        (:func:`hingeclf._solvers.minimize`) continues only the outputs left unconverged.
    """

    coef: np.ndarray
    n_iter: int
    converged: bool
    objective: float
    history: list = field(default_factory=list)
    gap: float | None = None
    message: str = ""
    state: object = None
    walked: int = 0
    solver: str = ""
    warm: WarmStart | None = None
    outputs: OutputParts | None = None
