"""The linear-model objective: one loss, one penalty, the data and the weights.

Conventions (MATH.md section 1):

- Coefficients are held as one array ``coef`` of shape ``(n_out, n_features + fit_intercept)``:
  row ``k`` is ``[w_k, b_k]``, the intercept LAST, and solvers may pass it flattened (C order).
- The objective is a SUM over samples, not a mean::

      P(W, b) = penalty(W) + sum_i c_i * loss_i(W x_i + b),   c_i = C * s_i * cw[y_i]

  with the L2 penalty ``1/2 ||W||_F^2``. The intercept is NOT penalised.
- The subgradient at a kink is the one of :mod:`hingeclf._losses` (zero at margin exactly 1).
- Every array that grows with ``n`` (decision values, gradients in them) is kept in the dtype of
  ``X``; scalars are accumulated in float64. ``X`` is never copied.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class L2Penalty:
    """``1/2 ||W||_F^2`` on the coefficients, never on the intercept."""

    name = "l2"

    def value(self, w):
        w = w.ravel().astype(np.float64, copy=False)
        return 0.5 * float(np.dot(w, w))

    def gradient(self, w):
        return w

    def hessp(self, v_w):
        return v_w


class LinearObjective:
    """``P(coef) = penalty(W) + sum_i c_i loss_i(X W^T + b)`` for one data set.

    Parameters
    ----------
    loss : HingeFamilyLoss
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Used as given (any order, float32 or float64, CSR or CSC).
    y : ndarray
        Target as encoded by ``loss.encode_target``.
    weights : ndarray of shape (n_samples,)
        ``c_i = C * sample_weight_i * class_weight[y_i]``.
    n_out : int
        Decision values per sample.
    fit_intercept : bool
    penalty : object with ``value``, ``gradient`` and ``hessp``, default L2Penalty()
    """

    def __init__(self, loss, X, y, weights, n_out, fit_intercept, penalty=None):
        self.loss = loss
        self.X = X
        self.y = y
        self.weights = weights
        self.n_out = int(n_out)
        self.fit_intercept = bool(fit_intercept)
        self.penalty = L2Penalty() if penalty is None else penalty
        self.dtype = X.dtype
        self.n_samples, self.n_features = X.shape
        self.shape = (self.n_out, self.n_features + int(self.fit_intercept))

    def with_loss(self, loss):
        """The same data, weights and penalty with another loss (e.g. a smoothed one)."""
        return LinearObjective(loss, self.X, self.y, self.weights, self.n_out,
                               self.fit_intercept, self.penalty)

    # ------------------------------------------------------------------ layout
    def zeros(self):
        return np.zeros(self.shape, dtype=self.dtype)

    def _split(self, coef):
        coef = np.asarray(coef).reshape(self.shape)
        if coef.dtype != self.dtype:
            coef = coef.astype(self.dtype)
        if self.fit_intercept:
            return coef, coef[:, :-1], coef[:, -1]
        return coef, coef, None

    def raw(self, coef):
        """Decision values ``X W^T + b``, shape ``(n_samples, n_out)``."""
        _, w, b = self._split(coef)
        raw = self.X @ w.T
        if sp.issparse(raw):  # pragma: no cover - defensive, X @ dense is dense
            raw = raw.toarray()
        raw = np.asarray(raw)
        if b is not None:
            raw = raw + b
        return raw

    def _pull_back(self, g_raw):
        """Chain rule through the linear model: ``[G^T X, sum G]`` of shape ``shape``."""
        gw = np.asarray(self.X.T @ g_raw).T
        if self.fit_intercept:
            return np.hstack([gw, g_raw.sum(axis=0)[:, None]])
        return np.ascontiguousarray(gw)

    def _weighted(self, per_sample):
        return per_sample * self.weights[:, None]

    # ------------------------------------------------------------------ value and derivatives
    def value(self, coef, raw=None):
        """Objective value (a Python float)."""
        _, w, _ = self._split(coef)
        if raw is None:
            raw = self.raw(coef)
        loss = self.loss.loss(self.y, raw)
        return self.penalty.value(w) + float(np.dot(self.weights.astype(np.float64, copy=False),
                                                    loss.astype(np.float64, copy=False)))

    def value_gradient(self, coef, raw=None):
        """Objective value and gradient in one pass over the data."""
        full, w, _ = self._split(coef)
        if raw is None:
            raw = self.raw(full)
        loss, g_raw = self.loss.loss_gradient(self.y, raw)
        value = self.penalty.value(w) + float(np.dot(self.weights.astype(np.float64, copy=False),
                                                     loss.astype(np.float64, copy=False)))
        grad = self._pull_back(self._weighted(g_raw))
        grad[:, : self.n_features] += self.penalty.gradient(w)
        return value, grad

    def gradient(self, coef, raw=None):
        return self.value_gradient(coef, raw)[1]

    def hessp(self, coef, direction, raw=None):
        """Generalised Hessian of the objective at ``coef`` applied to ``direction``."""
        return self.hessian_operator(coef, raw)(direction)

    def hessian_operator(self, coef, raw=None):
        """The map ``direction -> H direction`` at ``coef``; the loss curvature is computed once.

        ``H v = penalty''(v) + [X, 1]^T diag(c) l''(raw) [X, 1] v``: two passes over ``X`` per
        product, no matrix formed.
        """
        full, _, _ = self._split(coef)
        if raw is None:
            raw = self.raw(full)
        loss_h = self.loss.hessian_operator(self.y, raw)

        def apply(direction):
            d_raw = self.raw_direction(direction)
            out = self._pull_back(self._weighted(loss_h(d_raw)))
            _, d_w, _ = self._split(direction)
            out[:, : self.n_features] += self.penalty.hessp(d_w)
            return out

        def diagonal():
            """``diag(H)``: ``1 + sum_i c_i h_i x_ij^2`` (``sum_i c_i h_i`` for intercepts)."""
            ch = self._weighted(loss_h.diagonal())
            X = self.X
            if sp.issparse(X):
                # squares of the stored values only, sharing the index arrays
                x2 = type(X)((X.data * X.data, X.indices, X.indptr), shape=X.shape)
                dw = np.asarray(x2.T @ ch).T
            else:
                dw = np.einsum("ij,ij,ik->kj", X, X, ch)
            dw = dw + 1.0  # the L2 penalty
            if self.fit_intercept:
                return np.hstack([dw, ch.sum(axis=0)[:, None]])
            return dw
        apply.diagonal = diagonal
        return apply

    def raw_direction(self, direction):
        """The change of the decision values along ``direction`` (linear in it)."""
        return self.raw(direction)

    def lipschitz_bound(self):
        """An upper bound of the gradient's Lipschitz constant, or None (non-smooth loss).

        ``1 + max(c) * L_loss * ||[X, 1]||_2^2``, with the squared spectral norm bounded by the
        squared Frobenius norm (cheap, and only ever used as a first step size).
        """
        l_loss = self.loss.lipschitz(self.n_out)
        if l_loss is None:
            return None
        if sp.issparse(self.X):
            fro2 = float(np.dot(self.X.data.astype(np.float64), self.X.data.astype(np.float64)))
        else:
            fro2 = float(np.einsum("ij,ij->", self.X, self.X, dtype=np.float64))
        if self.fit_intercept:
            fro2 += self.n_samples
        return 1.0 + float(self.weights.max(initial=0.0)) * l_loss * fro2

    def gradient_scale(self):
        """``||grad P(0)||_inf``: the reference of the relative gradient stopping rule."""
        g = self.gradient(self.zeros())
        return max(float(np.abs(g).max(initial=0.0)), np.finfo(np.float64).tiny)


class CenteredObjective:
    """The same objective in the centred parametrisation ``[w, b']`` with ``b' = b + m . w``.

    ``m`` is the mean row of ``X``. In these coordinates the intercept no longer couples with
    the coefficients through the data's offset, so first-order and quasi-Newton solvers are as
    well conditioned on data far from the origin as on centred data; ``X`` itself is untouched
    (the decision values are ``X w + (b' - m . w)``). The map is linear:
    ``to_base([w, b']) = [w, b' - m . w]``, and gradients pull back through its transpose.
    """

    def __init__(self, base, center=None):
        self.base = base
        if center is None:
            center = np.asarray(base.X.mean(axis=0), dtype=base.dtype).ravel()
        self.center = center
        for name in ("loss", "X", "y", "weights", "n_out", "fit_intercept", "penalty", "dtype",
                     "n_samples", "n_features", "shape"):
            setattr(self, name, getattr(base, name))

    def with_loss(self, loss):
        return CenteredObjective(self.base.with_loss(loss), self.center)

    def zeros(self):
        return self.base.zeros()

    # ------------------------------------------------------------------ the change of variables
    def to_base(self, coef):
        out = np.array(np.asarray(coef).reshape(self.shape), dtype=self.dtype, copy=True)
        out[:, -1] -= out[:, :-1] @ self.center
        return out

    def from_base(self, coef):
        out = np.array(np.asarray(coef).reshape(self.shape), dtype=self.dtype, copy=True)
        out[:, -1] += out[:, :-1] @ self.center
        return out

    def _pull(self, grad):
        """Transpose of ``to_base``: ``[g_w - g_b m, g_b]``."""
        out = grad.copy()
        out[:, :-1] -= grad[:, -1:] * self.center[None, :]
        return out

    # ------------------------------------------------------------------ the objective's interface
    def raw(self, coef):
        return self.base.raw(self.to_base(coef))

    def raw_direction(self, direction):
        return self.base.raw_direction(self.to_base(direction))

    def value(self, coef, raw=None):
        return self.base.value(self.to_base(coef), raw)

    def value_gradient(self, coef, raw=None):
        value, grad = self.base.value_gradient(self.to_base(coef), raw)
        return value, self._pull(grad)

    def gradient(self, coef, raw=None):
        return self.value_gradient(coef, raw)[1]

    def hessian_operator(self, coef, raw=None):
        base_h = self.base.hessian_operator(self.to_base(coef), raw)

        def apply(direction):
            return self._pull(base_h(self.to_base(direction)))
        # a preconditioner only needs to be close: the base diagonal (exact for the intercepts;
        # for the weights, the curvature of x - m is at most that of x plus a rank-one term)
        apply.diagonal = base_h.diagonal
        return apply

    def hessp(self, coef, direction, raw=None):
        return self.hessian_operator(coef, raw)(direction)

    def lipschitz_bound(self):
        return self.base.lipschitz_bound()

    def gradient_scale(self):
        g = self.gradient(self.zeros())
        return max(float(np.abs(g).max(initial=0.0)), np.finfo(np.float64).tiny)
