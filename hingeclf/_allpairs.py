"""The all-pairs squared hinge as an objective (``P(w) = 1/2 ||w||^2 + C L(X w)``), with its
certificate and its dense Hessian. The loss and its kernel are in :mod:`hingeclf._allpairs_loss`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._allpairs_loss import AllPairsSquaredHinge, _class_weights, _loss_gradient
from ._objective import HessianOperator, L2Penalty, Objective

__all__ = ["AllPairsObjective"]


class AllPairsObjective(Objective):
    r"""``P(w) = 1/2 ||w||^2 + C L(X w)`` with ``L`` the all-pairs squared hinge.

    The interface is the one :class:`hingeclf._objective.LinearObjective` offers to the solvers
    (``zeros``, ``raw``, ``raw_direction``, ``value``, ``value_gradient``, ``gradient``,
    ``hessian_operator`` with ``diagonal`` and ``matrix``, ``hessp``, ``lipschitz_bound``,
    ``gradient_scale``, ``suboptimality_bound``, ``shape``, ``dtype``, ...), so
    :func:`hingeclf._solvers.minimize` runs ``lbfgs``, ``fgd`` and ``newton`` on it, finishes and
    certifies their results.

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
        self.pair_weights = _class_weights(self.y, s)
        # (the weights as _class_weights scales them, each class by its largest: the same
        # objective, and representable in the dtype of X whatever the scale of s)
        self.weights = (self.pair_weights.w_pos + self.pair_weights.w_neg).astype(self.dtype)

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
        return _loss_gradient(f, self.y, self.loss.margin, *self.pair_weights)

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
        loss_h = self.loss.hessian_operator(self.y, raw, self.pair_weights)

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

        def matrix():
            if self.n_features > MATRIX_MAX_FEATURES:
                return None
            return _hessian_matrix(self, loss_h)

        return HessianOperator(apply, diagonal=diagonal, matrix=matrix)

    def lipschitz_bound(self):
        """``1 + C * L_f * ||X||_F^2`` (see :meth:`AllPairsSquaredHinge.lipschitz_in_scores`)."""
        if sp.issparse(self.X):
            data = self.X.data.astype(np.float64)
            fro2 = float(np.dot(data, data))
        else:
            fro2 = float(np.einsum("ij,ij->", self.X, self.X, dtype=np.float64))
        l_f = self.loss.lipschitz_in_scores(self.pair_weights)
        return 1.0 + self.C * l_f * fro2

    def gradient_scale(self):
        g = self.gradient(self.zeros())
        return max(float(np.abs(g).max(initial=0.0)), np.finfo(np.float64).tiny)

    def suboptimality_bound(self, coef, primal=None):
        """``(||grad P(w)||_2^2 / 2, P(w))``: the first bounds ``P(w) - P*`` from above.

        ``P`` is differentiable and 1-strongly convex (the penalty ``1/2 ||w||^2`` plus a convex
        loss), so ``P(v) >= P(w) + g.(v - w) + 1/2 ||v - w||^2 >= P(w) - ||g||^2 / 2`` for every
        ``v`` (the middle term is smallest at ``v = w - g``); at ``v = w*`` this is the bound.
        Unlike a rule relative to ``||grad P(0)||``, which grows with ``C``, it does not loosen
        with ``C``. The gradient is formed in float64 from the coefficients.
        """
        f, g = self.value_gradient(self._w(coef))
        g = np.asarray(g, dtype=np.float64).ravel()
        return 0.5 * float(np.dot(g, g)), float(f)

    def gradient_rule_for(self, bound):
        """``sqrt(2 bound / d) / gradient_scale()``: ``||g||_inf`` below it times
        ``gradient_scale()`` gives ``||g||_2^2 / 2 <= d ||g||_inf^2 / 2 <= bound``."""
        d = max(self.n_features, 1)
        return float(np.sqrt(2.0 * max(bound, 0.0) / d)) / self.gradient_scale()


# the dense Hessian (``HessianOperator.matrix``) is offered for at most this many features
MATRIX_MAX_FEATURES = 500


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


# rows of X gathered per block while forming the dense Hessian
_BLOCK_ENTRIES = 2_000_000
