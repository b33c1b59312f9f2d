"""``sgd``: stochastic (sub)gradient descent with implicit per-sample steps, and its streaming
objective.

The streaming objective. After samples ``1 .. t`` have been seen (over one ``fit`` epoch, or
over any number of ``partial_fit`` calls, each call's samples counting as new samples), the
objective is the one of ``fit`` on all of them::

    P_t(W, b) = 1/2 ||W||^2 + sum_{j <= t} c_j loss_j(W x_j + b)

so ``C`` means the same whatever the blocks. Sample ``t`` takes the step of the stochastic
gradient of ``P_t`` with the running count ``t`` (``n_t c_t grad loss_t`` estimates the loss
part's gradient), at step size ``eta_t = 1 / (t - 1 + T0)`` in the scale of ``P`` (Pegasos'
``1 / (lambda t)`` with ``lambda = 1 / sum(c)``); the iterate is projected onto the ball of
radius ``sqrt(2 P_t(0))``, which holds the optimum of ``P_t``. Once a data set has been seen
whole (``fit``'s later epochs) the count stays at its size ``n``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from ._result import SolverResult
from ._sgd_kernels import (N_SCALARS, S_A, S_ASUM, S_LOSS0, S_M, S_PROGRESSIVE, S_SEEN, S_T,
                           S_T0, S_UNORM2, renormalise, sgd_epoch)

N_ITER_NO_CHANGE = 5
# the step offset: eta_t = 1 / (t - 1 + T0); after one epoch the objective hardly depends on
# it (docs/design_decisions.rst, 'Stochastic gradient descent')
T0 = 1.0
# the model is the average of the iterates from this epoch on (0: from the first step): after
# one epoch the average ended 0.8% above the optimum, the last iterate 39% above
# (docs/design_decisions.rst, 'Stochastic gradient descent')
AVERAGE_FROM_EPOCH = 0


@dataclass
class SGDState:
    """Where an SGD run stands, in the lazy form of :mod:`hingeclf._solvers._sgd_kernels`:
    ``w_k = a u_k + e_k center``, the centred intercepts ``b`` (``b = b' - w . center``),
    the running sums of the average (``asum u - z + esum center`` and ``bsum``, over ``m``
    steps) and the scalars (step counter ``t``, the running count of samples seen, the
    objective at zero of the samples seen ``loss0``, the progressive loss).

    With an intercept, ``center`` is the mean row of the first data seen, in which the steps
    are well conditioned however far the data sit from the origin; :meth:`model` converts
    back to ``[w, b]``.
    """

    uz: np.ndarray
    e: np.ndarray
    b: np.ndarray
    ucen: np.ndarray
    esum: np.ndarray
    bsum: np.ndarray
    scalars: np.ndarray
    center: np.ndarray
    fit_intercept: bool
    cen2: float = 0.0
    epochs: int = 0

    @property
    def u(self):
        """``u`` (a view of ``uz``, whose last axis interleaves ``u`` and ``z`` so that a
        step's updates of both share cache lines)."""
        return self.uz[:, :, 0]

    @property
    def z(self):
        """``z`` (a view of ``uz``)."""
        return self.uz[:, :, 1]

    @property
    def t(self):
        """Steps taken so far."""
        return int(self.scalars[S_T])

    @t.setter
    def t(self, value):
        self.scalars[S_T] = float(value)

    @property
    def n_seen(self):
        """The running count of samples seen (the ``n`` of the step's gradient estimate)."""
        return int(self.scalars[S_SEEN])

    @property
    def n_averaged(self):
        return int(self.scalars[S_M])

    def _centred(self, average):
        """``[w, b']`` of the last iterate or of the average (float64)."""
        s = self.scalars
        if average:
            m = s[S_M]
            w = s[S_ASUM] * self.u
            w -= self.z
            if self.cen2 > 0:
                w += self.esum[:, None] * self.center[None, :]
            w /= m
            b = self.bsum / m
        else:
            w = s[S_A] * self.u
            if self.cen2 > 0:
                w += self.e[:, None] * self.center[None, :]
            b = self.b
        return w, b

    def model(self, dtype=np.float64):
        """The coefficients ``[w, b]`` to predict with: the average once averaging started."""
        w, b = self._centred(self.scalars[S_M] > 0)
        if not self.fit_intercept:
            return w.astype(dtype, copy=False)
        return np.hstack([w, (b - _dots(w, self.center))[:, None]]).astype(dtype, copy=False)

    def progressive_objective(self):
        """``1/2 ||W||^2`` of :meth:`model` plus the progressive loss: the sum of ``c_j
        loss_j`` of every sample seen, each at the iterate it met on arrival (before its own
        step). An estimate of ``P_t`` at the model, not its value."""
        w, _ = self._centred(self.scalars[S_M] > 0)
        return 0.5 * float(np.einsum("ij,ij->", w, w)) + float(self.scalars[S_PROGRESSIVE])


def _dots(w, center):
    """``w_k . center`` per row, without BLAS (whose threads cost more than these products)."""
    return np.einsum("ij,j->i", w, center)


def _fresh_state(objective, coef, center, seen, loss0, t0):
    """A state at the coefficients ``coef`` (``[w, b]``, any dtype), nothing averaged yet."""
    k, d = objective.n_out, objective.n_features
    coef = np.asarray(coef, dtype=np.float64).reshape(objective.shape)
    uz = np.zeros((k, d, 2))
    u = uz[:, :, 0]
    u[...] = coef[:, :d]
    b = coef[:, d] + _dots(u, center) if objective.fit_intercept else np.zeros(k)
    scalars = np.zeros(N_SCALARS)
    scalars[S_A] = 1.0
    scalars[S_UNORM2] = float(np.einsum("ij,ij->", u, u))
    scalars[S_T0] = t0
    scalars[S_SEEN] = seen
    scalars[S_LOSS0] = loss0
    return SGDState(uz=uz, e=np.zeros(k), b=np.ascontiguousarray(b), ucen=_dots(u, center),
                    esum=np.zeros(k), bsum=np.zeros(k), scalars=scalars,
                    center=center, fit_intercept=objective.fit_intercept,
                    cen2=float(np.einsum("j,j->", center, center)))


def _center(objective):
    d = objective.n_features
    if not objective.fit_intercept:
        return np.zeros(d)
    return np.asarray(objective.X.mean(axis=0), dtype=np.float64).ravel()


def _initial_state(objective, coef0):
    """The state a run starts from without an earlier state.

    From zero nothing has been seen: the first epoch counts the samples as they come (the
    streaming objective). From other coefficients (a warm start from another solver's fit) the
    data count as seen whole: the step's ``n`` is their number and the radius is that of
    ``P(0)`` over all of them.
    """
    center = _center(objective)
    if not np.any(np.asarray(coef0)):
        return _fresh_state(objective, coef0, center, 0.0, 0.0, T0)
    loss0 = objective.value(objective.zeros())
    return _fresh_state(objective, coef0, center, float(objective.n_samples), loss0, T0)


def warm_started(objective, previous):
    """A state to continue from ``previous`` (an earlier run's) on ``objective`` (warm start).

    The model of the earlier run (its average) is the starting point, re-centred on this
    objective's data, which count as seen whole (``C`` may have changed, so the radius is
    this objective's); the step counter ``t`` carries over, so the first steps are as small as
    the last ones were and do not wash the start out, and averaging starts with the first
    epoch.
    """
    loss0 = objective.value(objective.zeros())
    state = _fresh_state(objective, previous.model(), _center(objective),
                         float(objective.n_samples), loss0, previous.scalars[S_T0])
    state.t = previous.t
    state.epochs = max(previous.epochs, AVERAGE_FROM_EPOCH)
    return state


def compiled(objective):
    """True when the epoch runs compiled: losses of compiled binary terms (binary and
    one-vs-rest hinges, Huber-smoothed hinges, exact squared hinges)."""
    loss = objective.loss
    if not loss.has_compiled_terms:
        return False
    power, gamma = loss.kernel_parameters
    return power == 1 or gamma == 0


def _epoch(objective, state, order, count, average, X=None):
    """One pass over the samples ``order``: for each sample ``i`` with row ``x~ = [x_i -
    center, 1]`` (the 1 only with an intercept), at step ``eta = 1 / (t + T0)`` (``t`` the
    steps taken before) and with ``n`` the running count of samples seen (this one
    included; the data's size once seen whole)::

        q    = eta n c_i ||x~||^2 ||A_row||^2 k    (curvature of the step, k the coupling of
                                                   the sample's terms)
        mu   = loss.prox_weights(v_i, q)           (the slopes at the step's landing point)
        W   <- (W - eta n c_i (A^T mu) x~^T) / (1 + eta)   (intercept: no shrinking)
        W   <- W min(1, sqrt(2 P_t(0)) / ||W||)

    Both the loss step and the penalty step are proximal, so a sample's step cannot overshoot
    its own kink however large its weight. Losses of compiled binary terms run the compiled
    kernel (:func:`hingeclf._solvers._sgd_kernels.sgd_epoch`), the others this loop in numpy.
    ``X`` is the data in the layout the epoch reads (CSR for sparse data).
    """
    X = objective.X if X is None else X
    if compiled(objective):
        power, gamma = objective.loss.kernel_parameters
        if sp.issparse(X):
            dense = np.zeros((0, 0), dtype=X.dtype)
            data, indices, indptr, sparse = X.data, X.indices, X.indptr, True
        else:
            dense = X
            data = np.zeros(0, dtype=X.dtype)
            indices = np.zeros(0, dtype=np.int32)
            indptr = np.zeros(1, dtype=np.int32)
            sparse = False
        # (compiled binary terms: one output holds +-1 targets, several the class index)
        sgd_epoch(dense, data, indices, indptr, sparse, objective.y, objective.weights,
                  order, objective.n_out > 1, int(power), float(gamma),
                  objective.fit_intercept, state.center, state.cen2, count, average,
                  state.uz, state.e, state.b, state.ucen, state.esum, state.bsum,
                  state.scalars)
    else:
        _epoch_numpy(objective, state, order, count, average, X)
    state.epochs += 1


def _canonical(state):
    """Put ``state`` in the form ``a = 1``, ``e = 0``, ``asum = 0``, ``esum = 0`` (the same
    model and average), in which ``u`` is ``w`` and ``-z / m`` the average's ``w``."""
    renormalise(state.uz, state.ucen, state.scalars)
    s = state.scalars
    u, z = state.u, state.z
    z -= np.outer(state.esum, state.center)
    u += np.outer(state.e, state.center)
    state.e[:] = 0.0
    state.esum[:] = 0.0
    s[S_ASUM] = 0.0
    state.ucen[:] = _dots(u, state.center)
    s[S_UNORM2] = float(np.einsum("ij,ij->", u, u))


def _epoch_numpy(objective, state, order, count, average, X):
    """:func:`_epoch` for the losses without compiled terms (Weston-Watkins, Crammer-Singer,
    the psi hinge), one sample at a time through the loss's methods."""
    _canonical(state)
    y, c, loss = objective.y, objective.weights, objective.loss
    s = state.scalars
    w, z, b, center = state.u, state.z, state.b, state.center
    fit_b = objective.fit_intercept
    coupling = loss.term_coupling(objective.n_out) * loss.direction_norm2
    zero = np.zeros((1, objective.n_out), dtype=objective.dtype)
    for i in order:
        idx = np.array([i])
        row = X[idx]
        xr = (np.asarray(row.toarray()) if sp.issparse(row) else np.asarray(row))[0]
        xr = xr.astype(np.float64) - center
        ci = float(c[i])
        if count:
            s[S_SEEN] += 1.0
            s[S_LOSS0] += ci * float(loss.loss(y[idx], zero)[0])
        raw = (w @ xr + b)[None, :].astype(objective.dtype)
        eta = 1.0 / (s[S_T] + s[S_T0])
        scale = eta * s[S_SEEN] * ci
        v = loss.violations(y[idx], raw)
        s[S_PROGRESSIVE] += ci * float(loss.loss(y[idx], raw)[0])
        q = scale * (float(xr @ xr) + float(fit_b)) * coupling
        mu = loss.prox_weights(v, np.full((1, 1), q, dtype=raw.dtype))
        g = loss.apply_AT(y[idx], mu)[0].astype(np.float64) * scale
        w -= np.outer(g, xr)
        w /= 1.0 + eta
        if fit_b:
            b -= g
        norm = float(np.sqrt(np.sum(w * w)))
        radius = float(np.sqrt(2.0 * s[S_LOSS0]))
        if norm > radius:
            w *= radius / norm
        s[S_T] += 1.0
        if average:
            s[S_M] += 1.0
            z -= w
            state.bsum += b
    state.ucen[:] = _dots(w, center)
    s[S_UNORM2] = float(np.einsum("ij,ij->", w, w))


def _readable(X):
    """The data in the layout the epochs read: CSR for sparse data (CSC is converted once)."""
    return X.tocsr() if sp.issparse(X) and X.format != "csr" else X


def solve_sgd(objective, coef0, *, tol, max_iter, random_state=None, verbose=0,
              warm_state=None, n_epochs=None, n_iter_no_change=N_ITER_NO_CHANGE,
              validation_score=None, **_):
    """Stochastic subgradient descent on the primal objective, one sample per step.

    Each epoch visits the samples in a fresh random order (``random_state``) and takes the
    implicit steps of :func:`_epoch`. A run from zero counts the samples of its first epoch as
    they come (the streaming objective of the module docstring); later epochs use the data's
    size. The returned model is the average of all the iterates (from epoch
    ``AVERAGE_FROM_EPOCH`` on).

    Stopping rule (``fit``): without ``validation_score``, after each epoch the objective is
    evaluated at the model; the run stops when ``n_iter_no_change`` epochs in a row did not
    improve the best value by more than ``tol * |best|``. With ``validation_score`` (a
    function of the coefficients, larger is better: ``early_stopping``), the run stops when
    ``n_iter_no_change`` epochs in a row did not raise the best score by more than ``tol``.
    ``n_iter`` counts epochs. With ``n_epochs`` given (``partial_fit``), exactly that many
    epochs run, every sample counts as newly seen, no stopping rule applies, and the result's
    objective is the state's progressive estimate of the streaming objective
    (:meth:`SGDState.progressive_objective`), not its value.

    ``warm_state`` is an earlier run's :class:`SGDState` (others are ignored): with ``n_epochs``
    the run continues it as it stands (``partial_fit``'s next block); without, a fit starts from
    its model (:func:`warm_started`).
    """
    rng = check_random_state(random_state)
    previous = warm_state if (isinstance(warm_state, SGDState)
                              and warm_state.u.shape == (objective.n_out, objective.n_features)
                              and warm_state.fit_intercept == objective.fit_intercept) else None
    X = _readable(objective.X)
    n = objective.n_samples
    if n_epochs is not None:
        state = previous if previous is not None else _initial_state(objective, coef0)
        for _ in range(n_epochs):
            _epoch(objective, state, rng.permutation(n), True,
                   state.epochs >= AVERAGE_FROM_EPOCH, X)
        value = state.progressive_objective()
        return SolverResult(coef=state.model(objective.dtype), n_iter=n_epochs, converged=True,
                            objective=value, history=[value],
                            message="partial_fit epoch (objective: progressive estimate)",
                            state=state)

    state = _initial_state(objective, coef0) if previous is None else warm_started(objective,
                                                                                   previous)
    counting = state.n_seen == 0
    best = -np.inf if validation_score is not None else np.inf
    no_change = 0
    converged = False
    n_iter = 0
    value = np.inf
    history = []
    while n_iter < max_iter:
        _epoch(objective, state, rng.permutation(n), counting,
               state.epochs >= AVERAGE_FROM_EPOCH, X)
        counting = False
        n_iter += 1
        coef = state.model(objective.dtype)
        value = objective.value(coef)
        history.append(value)
        if validation_score is not None:
            score = float(validation_score(coef))
            improved = score > best + tol
            best = max(best, score)
            if verbose > 1:
                print(f"[sgd] epoch {n_iter:4d}  objective {value:.10g}  "
                      f"validation score {score:.6g}")
        else:
            improved = not np.isfinite(best) or value < best - tol * abs(best)
            best = min(best, value)
            if verbose > 1:
                print(f"[sgd] epoch {n_iter:4d}  objective {value:.10g}")
        no_change = 0 if improved else no_change + 1
        if no_change >= n_iter_no_change:
            converged = True
            break
    what = "validation score" if validation_score is not None else "objective"
    message = (f"no {what} improvement above tol for {n_iter_no_change} epochs" if converged
               else f"max_iter={max_iter} epochs reached")
    return SolverResult(coef=state.model(objective.dtype), n_iter=n_iter, converged=converged,
                        objective=value, history=history, message=message, state=state)
