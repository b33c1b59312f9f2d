"""The one result type every solver returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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
