"""The all-pairs squared hinge as an objective (``P(w) = 1/2 ||w||^2 + C L(X w)``), and the
exact finish and certificate of its fits. The loss and its kernel are in
:mod:`hingeclf._allpairs_loss`.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from ._allpairs_loss import AllPairsSquaredHinge, _class_weights, _loss_gradient
from ._objective import HessianOperator, L2Penalty, Objective
from ._solvers._result import SolverResult

__all__ = ["AllPairsObjective", "suboptimality_bound", "certify"]


class AllPairsObjective(Objective):
    r"""``P(w) = 1/2 ||w||^2 + C L(X w)`` with ``L`` the all-pairs squared hinge.

    The interface is the one :class:`hingeclf._objective.LinearObjective` offers to the solvers
    (``zeros``, ``raw``, ``raw_direction``, ``value``, ``value_gradient``, ``gradient``,
    ``hessian_operator`` with ``diagonal``, ``hessp``, ``lipschitz_bound``, ``gradient_scale``,
    ``shape``, ``dtype``, ...), so :func:`hingeclf._solvers.minimize` runs ``lbfgs``, ``fgd`` and
    ``newton`` on it.

    Conventions: ``coef`` has shape ``(1, n_features)``, and there is no intercept coordinate
    (``fit_intercept`` is False): ``L`` ignores a common shift of the scores, so an intercept
    would be undetermined; the estimator chooses it after the fit. ``L`` is the weighted MEAN
    over the positive-negative pairs (normalised by ``P Q``), so, unlike
    :class:`~hingeclf._objective.LinearObjective`, the data term does not grow with ``n``.
    ``C`` multiplies ``L``; ``weights`` are the sample weights ``s`` (pair ``(j, k)`` weighs
    ``s_j s_k``). Decision values and gradients in them are in the dtype of ``X``; the kernel
    accumulates in float64. ``X`` is never copied.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
    y_pos : ndarray of bool of shape (n_samples,)
        True for the positives.
    C : float
    sample_weight : ndarray of shape (n_samples,) or None
    margin : float, default=1.0
    """

    fit_intercept = False
    n_out = 1

    def __init__(self, X, y_pos, C, sample_weight=None, margin=1.0, penalty=None):
        self.X = X
        self.y = np.asarray(y_pos, dtype=bool)
        self.C = float(C)
        self.dtype = X.dtype
        self.n_samples, self.n_features = X.shape
        self.shape = (1, self.n_features)
        s = (np.ones(self.n_samples) if sample_weight is None
             else np.asarray(sample_weight, dtype=np.float64))
        self.loss = (margin if isinstance(margin, AllPairsSquaredHinge)
                     else AllPairsSquaredHinge(margin))
        self.penalty = L2Penalty() if penalty is None else penalty
        self._w_pos, self._w_neg, self._P, self._Q = _class_weights(self.y, s)
        # (the weights as _class_weights scales them, each class by its largest: the same
        # objective, and representable in the dtype of X whatever the scale of s)
        self.weights = (self._w_pos + self._w_neg).astype(self.dtype)

    def with_loss(self, loss):
        """The same data and weights with another all-pairs loss (another margin)."""
        return AllPairsObjective(self.X, self.y, self.C, self.weights, loss, self.penalty)

    # ------------------------------------------------------------------ layout
    def _w(self, coef):
        w = np.asarray(coef).reshape(self.shape)
        return w if w.dtype == self.dtype else w.astype(self.dtype)

    def raw(self, coef):
        """Decision values ``X w``, shape ``(n_samples, 1)``."""
        return np.asarray(self.X @ self._w(coef)[0]).reshape(-1, 1)

    raw_direction = raw

    def _pull_back(self, g_raw):
        """``X^T g`` as a ``(1, n_features)`` array in the dtype of ``X``."""
        g = np.asarray(g_raw, dtype=self.dtype).ravel()
        return np.asarray(self.X.T @ g).reshape(self.shape)

    # ------------------------------------------------------------------ value and derivatives
    def _kernel(self, raw):
        f = np.asarray(raw, dtype=np.float64).ravel()
        return _loss_gradient(f, self.y, self.loss.margin, self._w_pos, self._w_neg,
                              self._P, self._Q)

    def value(self, coef, raw=None):
        if raw is None:
            raw = self.raw(coef)
        return self.penalty.value(self._w(coef)) + self.C * self._kernel(raw)[0]

    def value_gradient(self, coef, raw=None):
        w = self._w(coef)
        if raw is None:
            raw = self.raw(w)
        loss, g_raw = self._kernel(raw)
        grad = self._pull_back(self.C * g_raw)
        grad += self.penalty.gradient(w)
        return self.penalty.value(w) + self.C * loss, grad

    def gradient(self, coef, raw=None):
        return self.value_gradient(coef, raw)[1]

    def hessian_operator(self, coef, raw=None):
        """``direction -> H direction`` with ``H = I + C X^T H_L X`` (two passes over ``X``).

        ``diagonal()`` is not exact: ``diag(X^T H_L X)`` would need every feature column sorted
        by the scores' order (``n_features`` dense prefix sums). It uses instead
        ``X^T (D - D 1 1^T D / 1^T D) X`` with ``D = diag(H_L)``: like ``H_L`` it is positive
        semi-definite with the constant vector in its kernel (so a feature's offset does not
        inflate it), and it is cheap for sparse ``X``. Newton uses it only as a preconditioner.
        """
        if raw is None:
            raw = self.raw(coef)
        loss_h = self.loss.hessian_operator(np.asarray(raw).ravel(), self.y, self._w_pos,
                                            self._w_neg, self._P, self._Q)

        def apply(direction):
            d_raw = self.raw_direction(direction)
            out = self._pull_back(self.C * loss_h(d_raw))
            out += self.penalty.hessp(self._w(direction))
            return out

        def diagonal():
            dd = self.C * loss_h.diagonal()
            X = self.X
            if sp.issparse(X):
                x2 = type(X)((X.data * X.data, X.indices, X.indptr), shape=X.shape)
                sq = np.asarray(x2.T @ dd).ravel()
            else:
                sq = np.einsum("ij,ij,i->j", X, X, dd)
            lin = np.asarray(X.T @ dd).ravel()
            total = max(float(dd.sum()), np.finfo(np.float64).tiny)
            return (np.maximum(sq - lin * lin / total, 0.0) + 1.0).reshape(self.shape)

        return HessianOperator(apply, diagonal=diagonal)

    def lipschitz_bound(self):
        """``1 + C * L_f * ||X||_F^2`` (see :meth:`AllPairsSquaredHinge.lipschitz`)."""
        if sp.issparse(self.X):
            data = self.X.data.astype(np.float64)
            fro2 = float(np.dot(data, data))
        else:
            fro2 = float(np.einsum("ij,ij->", self.X, self.X, dtype=np.float64))
        l_f = self.loss.lipschitz(self._w_pos, self._w_neg, self._P, self._Q)
        return 1.0 + self.C * l_f * fro2

    def gradient_scale(self):
        g = self.gradient(self.zeros())
        return max(float(np.abs(g).max(initial=0.0)), np.finfo(np.float64).tiny)


# The exact finish forms the d x d Hessian: only for at most this many features.
FINISH_MAX_FEATURES = 500
FINISH_MAX_STEPS = 10
# stop the finish once ||grad||_inf <= this times ||grad P(0)||_inf (rounding level in float64)
_FINISH_RTOL = 1e-13
# the shortest fraction of a Newton step the finish tries when the full step does not descend
_FINISH_MIN_STEP = 2.0 ** -60


def _rows(X, idx):
    """Rows ``idx`` of ``X`` as a dense float64 array."""
    rows = X[idx]
    return rows.toarray() if sp.issparse(rows) else np.asarray(rows, dtype=np.float64)


def _hessian_matrix(objective, loss_h):
    """``I + C X^T H_L X`` as a dense float64 matrix, in O(n d^2) time.

    ``H_L`` is ``scale`` times the Laplacian of the active pairs, so::

        X^T H_L X / scale = sum_k s_k a_k x_k x_k^T + sum_j s_j A_j x_j x_j^T
                            - sum_k s_k (x_k b_k^T + b_k x_k^T),   b_k = sum_{j: v_j < v_k} s_j x_j

    with ``b_k`` read from prefix sums of ``s_j x_j`` over the positives sorted by ``v``. Rows of
    ``X`` are gathered ``_BLOCK_ENTRIES`` entries at a time (a sparse ``X`` is never densified
    whole).
    """
    st = loss_h.structure
    X = objective.X
    d = objective.n_features
    block = max(1, _BLOCK_ENTRIES // max(d, 1))
    M = np.zeros((d, d))
    # positives: their own term, and the prefix sums b
    cum_b = np.zeros((st["order_p"].size + 1, d))
    for i0 in range(0, st["order_p"].size, block):
        sl = slice(i0, i0 + block)
        Xp = _rows(X, st["order_p"][sl])
        M += Xp.T @ ((st["sp"][sl] * st["A_j"][sl])[:, None] * Xp)
        cum_b[i0 + 1:i0 + 1 + Xp.shape[0]] = st["sp"][sl, None] * Xp
    np.cumsum(cum_b, axis=0, out=cum_b)
    for i0 in range(0, st["order_n"].size, block):
        sl = slice(i0, i0 + block)
        Xn = _rows(X, st["order_n"][sl])
        sn = st["sn"][sl]
        M += Xn.T @ ((sn * st["a_k"][sl])[:, None] * Xn)
        cross = Xn.T @ (sn[:, None] * cum_b[st["cnt_k"][sl]])
        M -= cross + cross.T
    M *= objective.C * st["scale"]
    M = 0.5 * (M + M.T)
    M[np.diag_indices_from(M)] += 1.0
    return M


_BLOCK_ENTRIES = 2_000_000


def finish_exact(objective, result, threshold=None):
    """See :func:`_finish_exact`; BLAS single-threaded on small data, as in ``minimize``."""
    from ._solvers import SINGLE_THREAD_BELOW, _single_blas_thread, _stored_entries
    if objective.n_features > FINISH_MAX_FEATURES:
        return result
    if _stored_entries(objective.X) < SINGLE_THREAD_BELOW:
        with _single_blas_thread():
            return _finish_exact(objective, result, threshold)
    return _finish_exact(objective, result, threshold)


def _finish_exact(objective, result, threshold):
    """Polish a solver's result to the exact optimum by Newton steps on the quadratic pieces.

    On a fixed set of active pairs ``L`` is an exact quadratic, so a Newton step with the dense
    generalised Hessian ``H = I + C X^T H_L X`` (``H_L X`` by one column-wise product, O(n d)
    after the sort; ``X^T H_L X`` in O(n d^2)) lands on the minimiser of that piece; when the
    active set there is unchanged, that is the optimum and the gradient is at rounding level.
    Steps are accepted only while the objective does not increase; at most
    ``FINISH_MAX_STEPS``, and only for ``n_features <= FINISH_MAX_FEATURES`` (otherwise the result
    is returned unchanged). The result counts as converged when its gradient meets the solver's
    rule, ``||grad P||_inf <= tol * ||grad P(0)||_inf``, which the caller passes as ``threshold``.
    """
    if objective.n_features > FINISH_MAX_FEATURES:
        return result
    w = np.asarray(result.coef, dtype=np.float64).reshape(objective.shape)
    f, g = objective.value_gradient(w.astype(objective.dtype))
    g = g.astype(np.float64)
    g_start = float(np.abs(g).max(initial=0.0))
    g_ref = objective.gradient_scale()
    n_steps = 0
    for _ in range(FINISH_MAX_STEPS):
        raw = objective.raw(w.astype(objective.dtype))
        loss_h = objective.loss.hessian_operator(np.asarray(raw).ravel(), objective.y,
                                                 objective._w_pos, objective._w_neg,
                                                 objective._P, objective._Q)
        H = _hessian_matrix(objective, loss_h)
        try:
            step = scipy.linalg.solve(H, -g.ravel(), assume_a="pos")
        except (np.linalg.LinAlgError, ValueError):
            break
        w_new = w + step.reshape(objective.shape)
        f_new, g_new = objective.value_gradient(w_new.astype(objective.dtype))
        g_new = g_new.astype(np.float64)
        rounding = 64 * np.finfo(objective.dtype).eps * max(abs(f), 1.0)
        if not f_new <= f + rounding or not (np.abs(g_new).max() < np.abs(g).max()):
            # the step leaves the active pairs' piece (from just past a kink of a large C
            # the piece's minimiser is far off, e.g. w -> 0): halve it while the objective
            # does not decrease; the next step starts on the piece it reached
            t = 0.5
            while t > _FINISH_MIN_STEP:
                w_new = w + t * step.reshape(objective.shape)
                f_new, g_new = objective.value_gradient(w_new.astype(objective.dtype))
                if f_new < f:
                    break
                t *= 0.5
            if not (t > _FINISH_MIN_STEP and f_new < f):
                break
            g_new = g_new.astype(np.float64)
        w, f, g = w_new, f_new, g_new
        n_steps += 1
        if np.abs(g).max() <= _FINISH_RTOL * g_ref:
            break  # at rounding level: the active set was the optimum's
    if n_steps == 0:
        return result
    g_inf = float(np.abs(g).max(initial=0.0))
    converged = result.converged or (threshold is not None and g_inf <= threshold)
    return SolverResult(coef=w.astype(objective.dtype), n_iter=result.n_iter,
                        converged=converged, objective=float(f),
                        history=result.history + [float(f)], gap=None,
                        message=result.message + f"; {n_steps} exact Newton step(s) on the "
                        f"active pairs, |grad|_inf {g_start:.2e} -> {g_inf:.2e}")


# the certificate's resumes of the solver: at most this many, each with its gradient rule
# tightened by at least REFINE_FACTOR (and to what the certificate asks for)
MAX_REFINES = 4
REFINE_FACTOR = 1e-2


def suboptimality_bound(objective, coef):
    """``(||grad P(w)||_2^2 / 2, P(w))``: the first bounds ``P(w) - P*`` from above.

    ``P`` is differentiable and 1-strongly convex (the penalty ``1/2 ||w||^2`` plus a convex
    loss), so ``P(v) >= P(w) + g.(v - w) + 1/2 ||v - w||^2 >= P(w) - ||g||^2 / 2`` for every
    ``v`` (the middle term is smallest at ``v = w - g``); at ``v = w*`` this is the bound. Unlike
    a rule relative to ``||grad P(0)||``, which grows with ``C``, it does not loosen with ``C``.
    The gradient is formed in float64 from the coefficients.
    """
    w = np.asarray(coef).reshape(objective.shape).astype(objective.dtype)
    f, g = objective.value_gradient(w)
    g = np.asarray(g, dtype=np.float64)
    return 0.5 * float(np.dot(g.ravel(), g.ravel())), float(f)


def certify(objective, run, result, tol, max_iter):
    """``result`` certified by :func:`suboptimality_bound`, or resumed until it is.

    The fit counts as converged exactly when ``||grad P||^2 / 2 <= tol * P`` (a relative bound
    on ``P - P*``), which is reported as the result's ``gap``. Otherwise the solver resumes
    (``run(coef, inner_tol, budget)``, at most :data:`MAX_REFINES` times within ``max_iter``)
    with its rule ``||grad P||_inf <= inner_tol * ||grad P(0)||_inf`` tightened to what the
    bound needs (``||g||_2 <= sqrt(d) ||g||_inf``).
    """
    n_iter, inner_tol = result.n_iter, tol
    g_ref = objective.gradient_scale()
    d = max(objective.n_features, 1)
    for attempt in range(MAX_REFINES + 1):
        bound, primal = suboptimality_bound(objective, result.coef)
        if bound <= tol * primal:
            break
        if attempt == MAX_REFINES or n_iter >= max_iter or not np.isfinite(bound):
            break
        need = np.sqrt(2.0 * tol * primal / d) / g_ref
        inner_tol = min(inner_tol * REFINE_FACTOR, need)
        result = run(result.coef, inner_tol, max_iter - n_iter)
        n_iter += result.n_iter
    converged = bool(bound <= tol * primal)
    message = result.message
    if converged:
        message += "; certified: ||grad P||^2 / 2 <= tol * P"
    else:
        message += (f"; the certificate ||grad P||^2 / 2 = {bound:.3e} exceeds tol * P = "
                    f"{tol * primal:.3e}")
        if n_iter >= max_iter:
            message += f" (max_iter={max_iter} reached)"
    return SolverResult(coef=result.coef, n_iter=n_iter, converged=converged, objective=primal, history=result.history,
                        gap=bound, message=message)
