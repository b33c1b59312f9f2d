"""``sgd``: averaged stochastic (sub)gradient descent, Pegasos-style steps ``1 / (t + t0)``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from ._result import SolverResult

BATCH_SIZE = 1
N_ITER_NO_CHANGE = 5


@dataclass
class SGDState:
    """Where an SGD run stands: the last iterate, the running average and the step counter.

    With an intercept, the iterates are held in the centred parametrisation ``[w, b']`` with
    ``b' = b + center . w`` (``center`` the mean row of the first data seen), in which the
    steps are well conditioned however far the data sit from the origin; :meth:`model` converts
    back to ``[w, b]``.
    """

    coef: np.ndarray
    average: np.ndarray
    n_averaged: int
    t: int
    t0: float
    radius: float
    center: np.ndarray
    epochs: int = 0

    def model(self):
        """The coefficients ``[w, b]`` to predict with: the average once averaging started."""
        centred = self.average if self.n_averaged > 0 else self.coef
        out = centred.copy()
        d = self.center.shape[0]
        if out.shape[1] > d:
            out[:, d] -= centred[:, :d] @ self.center
        return out


def _initial_state(objective, coef0):
    """Step offset ``t0`` (Bottou's heuristic) and the radius of the ball holding the optimum.

    In the scale of the SGD literature, ``f = P / sum(c)`` has strong convexity
    ``alpha = 1 / sum(c)``; Bottou's ``typw = alpha^(-1/4)``, ``eta0 = typw / max(1, |l'(-typw)|)``
    and ``t0 = 1 / (alpha eta0)`` give the first step. In the scale of ``P`` itself (strong
    convexity 1) the step at update ``t`` is then ``1 / (t + t0)``. Any optimum has
    ``||W||^2 / 2 <= P(W*, b*) <= P(0, 0)``, so iterates are projected onto that ball (Pegasos).
    """
    c_sum = float(np.sum(objective.weights, dtype=np.float64))
    alpha = 1.0 / max(c_sum, np.finfo(np.float64).tiny)
    typw = alpha ** -0.25
    dloss = objective.loss.slope_at_margin(typw)
    eta0 = typw / max(1.0, dloss)
    t0 = 1.0 / (alpha * eta0)
    zeros = objective.zeros()
    p0 = objective.value(zeros)
    coef = np.asarray(coef0, dtype=objective.dtype).reshape(objective.shape).copy()
    d = objective.n_features
    if objective.fit_intercept:
        center = np.asarray(objective.X.mean(axis=0), dtype=objective.dtype).ravel()
        coef[:, d] += coef[:, :d] @ center
    else:
        center = np.zeros(d, dtype=objective.dtype)
    return SGDState(coef=coef, average=np.zeros_like(coef), n_averaged=0, t=0, t0=t0,
                    radius=float(np.sqrt(2.0 * p0)), center=center)


def warm_started(objective, previous):
    """A state to continue from ``previous`` (an earlier run's) on ``objective`` (warm start).

    The model of the earlier run (its average) is the starting point, re-centred on this
    objective's data, with this objective's step offset and radius (``C`` may have changed);
    the step counter ``t`` carries over, so the first steps are as small as the last ones were
    and do not wash the start out, and averaging starts with the first epoch.
    """
    state = _initial_state(objective, previous.model())
    state.t = previous.t
    state.epochs = previous.epochs
    return state


def _row_norms2(objective, center):
    """``||[x_i - center, 1]||^2`` (the 1 only with an intercept), float64, no copy of X."""
    X = objective.X
    if sp.issparse(X):
        norms = np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel()
    else:
        norms = np.einsum("ij,ij->i", X, X, dtype=np.float64)
    center = center.astype(np.float64)
    norms += float(center @ center) - 2.0 * np.asarray(X @ center, dtype=np.float64).ravel()
    return np.maximum(norms, 0.0) + float(objective.fit_intercept)


def _epoch(objective, state, rng, average, row_norms2):
    """One pass over the data in a random order, in batches of ``BATCH_SIZE`` samples.

    Update per batch ``B`` at step size ``eta = 1 / (t + t0)`` (vector form of the per-sample
    implicit rule)::

        a_i   = eta (n / |B|) c_i ||[x_i, 1]||^2 ||A_row||^2 k   (curvature of the step, k the
                                                                   coupling bound of the batch)
        mu_i  = loss.prox_weights(v_i, a_i)                      (weights at the implicit point)
        g_i   = (n / |B|) c_i A^T mu_i
        W    <- (W - eta sum_i g_i (x_i - center)^T) / (1 + eta);   b' <- b' - eta sum_i g_i
        W    <- W * min(1, radius / ||W||);   average += (coef - average) / n_averaged

    Both the loss step and the penalty step are proximal, so a sample's step cannot overshoot
    its own kink however large its weight (explicit steps diverge once ``eta`` exceeds
    ``2 / (n c_i L ||x_i||^2)``).
    """
    X, y, c, loss = objective.X, objective.y, objective.weights, objective.loss
    n, d = objective.n_samples, objective.n_features
    fit_b = objective.fit_intercept
    coef = state.coef
    w = coef[:, :d]
    center = state.center
    term_coupling = loss.term_coupling(objective.n_out)
    order = rng.permutation(n)
    for start in range(0, n, BATCH_SIZE):
        idx = np.sort(order[start:start + BATCH_SIZE])
        xb = X[idx]
        raw = np.asarray(xb @ w.T)
        if fit_b:
            raw = raw + (coef[:, d] - w @ center)
        eta = 1.0 / (state.t + state.t0)
        scale = (c[idx] * (n / len(idx))).astype(np.float64)
        # The batch's proximal steps are summed (a Jacobi step), which overshoots when its
        # samples are coupled: damp by a bound of the largest eigenvalue of their normalised
        # Gram matrix (Gershgorin; 1 for orthogonal samples, |B| for identical ones).
        coupling = term_coupling
        if len(idx) > 1:
            norms = np.sqrt(row_norms2[idx])
            gram = np.asarray((xb @ xb.T).toarray() if sp.issparse(xb) else xb @ xb.T,
                              dtype=np.float64) + float(fit_b)
            gram = np.abs(gram / np.outer(norms, norms).clip(np.finfo(np.float64).tiny))
            coupling *= float(gram.sum(axis=1).max())
        a = (eta * loss.direction_norm2 * coupling) * scale * row_norms2[idx]
        v = loss.violations(y[idx], raw)
        mu = loss.prox_weights(v, a[:, None].astype(raw.dtype))
        g_raw = loss.apply_AT(y[idx], mu) * scale[:, None].astype(raw.dtype)
        g_sum = g_raw.sum(axis=0)
        grad_w = np.asarray(xb.T @ g_raw).T
        if fit_b:
            grad_w = grad_w - g_sum[:, None] * center[None, :]
        w -= eta * grad_w
        w /= 1.0 + eta
        if fit_b:
            coef[:, d] -= eta * g_sum
        norm = float(np.sqrt(np.sum(w.astype(np.float64) ** 2)))
        if norm > state.radius:
            w *= state.radius / norm
        state.t += 1
        if average:
            state.n_averaged += 1
            state.average += (coef - state.average) / state.n_averaged
    state.epochs += 1


def solve_sgd(objective, coef0, *, tol, max_iter, random_state=None, verbose=0,
              warm_state=None, n_epochs=None, **_):
    """Averaged mini-batch stochastic subgradient descent on the primal objective.

    Each epoch visits the samples one at a time (``BATCH_SIZE = 1``: with one sample a step's
    proximal weight is exact) in a fresh random order (``random_state``); the step at update ``t`` is ``1 / (t + t0)`` in the scale of ``P`` (Pegasos' ``1 / (lambda
    t)`` with ``lambda = 1 / sum(c)``), taken implicitly (proximal steps, see ``_epoch``), and the
    iterate is projected onto the ball that holds the optimum. The returned model is the average
    of the iterates from the second epoch on.

    Stopping rule (``fit``): after each epoch the objective is evaluated at the averaged
    coefficients; the run stops when ``N_ITER_NO_CHANGE`` (5) epochs in a row did not improve the
    best value by more than ``tol * |best|``. ``n_iter`` counts epochs. With ``n_epochs`` given
    (``partial_fit``), exactly that many epochs run and no stopping rule applies.

    ``warm_state`` is an earlier run's :class:`SGDState` (others are ignored): with ``n_epochs``
    the run continues it as it stands (``partial_fit``'s next batch); without, a fit starts from
    its model (:func:`warm_started`).
    """
    rng = check_random_state(random_state)
    previous = warm_state if (isinstance(warm_state, SGDState)
                              and warm_state.coef.shape == objective.shape) else None
    if previous is None:
        state = _initial_state(objective, coef0)
    elif n_epochs is not None:
        state = previous
    else:
        state = warm_started(objective, previous)
    row_norms2 = _row_norms2(objective, state.center)
    history = []
    if n_epochs is not None:
        for _ in range(n_epochs):
            _epoch(objective, state, rng, state.epochs >= 1, row_norms2)
        coef = state.model().copy()
        value = objective.value(coef)
        return SolverResult(coef=coef, n_iter=n_epochs, converged=True, objective=value,
                            history=[value], message="partial_fit epoch", state=state)

    best = np.inf
    no_change = 0
    converged = False
    n_iter = 0
    value = np.inf
    while n_iter < max_iter:
        _epoch(objective, state, rng, state.epochs >= 1, row_norms2)
        n_iter += 1
        value = objective.value(state.model())
        history.append(value)
        if verbose > 1:
            print(f"[sgd] epoch {n_iter:4d}  objective {value:.10g}")
        if value > best - tol * abs(best):
            no_change += 1
        else:
            no_change = 0
        best = min(best, value)
        if no_change >= N_ITER_NO_CHANGE:
            converged = True
            break
    message = (f"no improvement above tol for {N_ITER_NO_CHANGE} epochs" if converged
               else f"max_iter={max_iter} epochs reached")
    return SolverResult(coef=state.model().copy(), n_iter=n_iter, converged=converged,
                        objective=value, history=history, message=message, state=state)
