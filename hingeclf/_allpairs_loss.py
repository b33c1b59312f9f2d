"""The all-pairs squared hinge: an AUC surrogate for unbalanced binary data, in O(n log n).

Rust & Hocking, "Efficient line search for optimizing area under the ROC curve in gradient
descent" (arXiv 2302.11062); the user guide's losses page, 'All-pairs squared hinge'. The
loss couples every positive with every
negative, so it is not a pointwise kernel of :mod:`hingeclf._losses`: it lives here, written
against decision values like the other kernels (the chain rule through ``X`` is the caller's).
The metric :func:`hingeclf.metrics.all_pairs_squared_hinge_loss` and the objective of
:mod:`hingeclf._allpairs` both use the kernel of this module.

The pairs are never materialised. With ``v_i = f_i`` for a positive and ``v_i = f_i + m`` for a
negative, the pair ``(j, k)`` contributes ``(m - (f_j - f_k))_+^2 = (v_k - v_j)_+^2``: it is active
iff ``v_j < v_k``. After one sort of ``v``, running sums over the positives give every negative's
terms (forward pass) and running sums over the negatives give every positive's gradient (backward
pass). A tie ``v_j == v_k`` contributes exactly zero to the loss and to both gradients, so the
order of tied entries is irrelevant (the sort need not be stable).
"""

from __future__ import annotations

import numbers

from typing import NamedTuple

import numpy as np

from ._losses import Loss

__all__ = ["all_pairs_squared_hinge", "AllPairsSquaredHinge"]


def all_pairs_squared_hinge(y, scores, margin=1.0, sample_weight=None):
    r"""All-pairs squared hinge loss and its gradient in the scores, in O(n log n) time.

    .. math::

        L(f) = \frac{1}{P\,Q} \sum_{j:\,y_j = 1} \sum_{k:\,y_k = 0}
               s_j s_k \max\bigl(0,\; m - (f_j - f_k)\bigr)^2,
        \qquad P = \sum_{j:\,y_j = 1} s_j,\quad Q = \sum_{k:\,y_k = 0} s_k .

    Sample weights weight *pairs*: the pair ``(j, k)`` has weight ``s_j s_k`` and the sum is
    normalised by the product of the class weight totals, so integer weights are the same as
    repeated samples and unit weights give the unweighted mean over the ``p q`` pairs
    (docs/user_guide/losses.rst, 'All-pairs squared hinge'). With ``v_i = f_i`` (positives)
    and ``v_i = f_i + m`` (negatives), the gradient is

    .. math::

        \frac{\partial L}{\partial f_k} = \frac{2 s_k}{P Q} \sum_{j:\,v_j < v_k} s_j (v_k - v_j)
        \quad (k \text{ negative}),\qquad
        \frac{\partial L}{\partial f_j} = -\frac{2 s_j}{P Q} \sum_{k:\,v_k > v_j} s_k (v_k - v_j)
        \quad (j \text{ positive}).

    It sums to zero over all samples (the loss ignores a common shift of the scores).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Binary target: boolean, ``{0, 1}`` or ``{-1, +1}``; the positives are ``True`` / 1.
    scores : array-like of shape (n_samples,) or (n_samples, 1)
        Decision values ``f``.
    margin : float, default=1.0
        The margin ``m >= 0`` that a positive must beat a negative by.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights ``s``; None means 1 for every sample.

    Returns
    -------
    loss : float
        ``L(f)``.
    gradient : ndarray of the shape of ``scores``
        ``dL / df``, in the floating dtype of ``scores`` (float64 for integer scores).

    Raises
    ------
    ValueError
        When the shapes disagree, a score or weight is not finite, a weight is negative, ``y``
        is not binary, or a class is absent (or has zero total weight).

    Notes
    -----
    The sums are accumulated in float64 on scores centred at their mean. Each negative's term
    ``sum_j s_j (v_k - v_j)^2`` is evaluated as ``a v_k^2 - 2 b v_k + c`` from running sums, so
    its absolute rounding error is about ``eps * a * max|v|^2``: tiny for scores of moderate
    spread, but it grows with the square of the spread of the scores.

    Examples
    --------
    >>> import numpy as np
    >>> from hingeclf._allpairs_loss import all_pairs_squared_hinge
    >>> loss, grad = all_pairs_squared_hinge([1, 0, 1, 0], [2.0, 0.5, 0.2, 0.0])
    >>> round(loss, 6)      # pairs (2.0, 0.5), (2.0, 0), (0.2, 0.5), (0.2, 0): 0 + 0 + 1.69 + 0.64
    0.5825
    >>> grad                # 2/4 * [0, 1.3, -(1.3 + 0.8), 0.8]
    array([ 0.  ,  0.65, -1.05,  0.4 ])
    """
    y_pos, f, out_shape, out_dtype = _check_inputs(y, scores)
    n = f.shape[0]
    if not (isinstance(margin, numbers.Real) and np.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
    if sample_weight is None:
        s = np.ones(n)
    else:
        s = np.asarray(sample_weight, dtype=np.float64)
        if s.ndim != 1 or s.shape[0] != n:
            raise ValueError(
                f"sample_weight must have shape ({n},), got {s.shape}")
        if not np.all(np.isfinite(s)):
            raise ValueError("sample_weight contains NaN or infinity")
        if np.any(s < 0):
            raise ValueError("sample_weight must be non-negative")
    w_pos, w_neg, P, Q = _class_weights(y_pos, s)
    loss, grad = _loss_gradient(f, y_pos, float(margin), w_pos, w_neg, P, Q)
    return loss, grad.reshape(out_shape).astype(out_dtype, copy=False)


class PairWeights(NamedTuple):
    """The sample weights of the all-pairs loss: ``w_pos``, ``w_neg`` (zero off the class) and
    their totals ``P``, ``Q``; pair ``(j, k)`` weighs ``w_pos[j] w_neg[k] / (P Q)``."""

    w_pos: np.ndarray
    w_neg: np.ndarray
    P: float
    Q: float


def _class_weights(y_pos, s):
    """The :class:`PairWeights` of the sample weights ``s``; raises when a class is absent or
    has zero total weight."""
    w_pos = np.where(y_pos, s, 0.0)
    w_neg = np.where(y_pos, 0.0, s)
    # a factor common to one class's weights cancels in L (it multiplies the pairs' weights and
    # P or Q alike): each class is divided by its largest weight, so that P and Q lie in
    # [1, n] and P Q neither underflows (weights of 1e-200) nor overflows (1e160)
    for w in (w_pos, w_neg):
        top = float(w.max(initial=0.0))
        if top > 0:
            w /= top
    P, Q = float(w_pos.sum()), float(w_neg.sum())
    if not (P > 0 and Q > 0):
        absent = "positive" if not P > 0 else "negative"
        raise ValueError(
            f"the all-pairs loss needs both classes: no {absent} sample "
            "(or their sample weights sum to zero)")
    return PairWeights(w_pos, w_neg, P, Q)


def _loss_gradient(f, y_pos, margin, w_pos, w_neg, P, Q):
    """The kernel on validated inputs: float64 scores ``f`` (1-D), the positives' mask, the
    per-class weights and their totals. Returns the loss (float) and its float64 gradient."""
    n = f.shape[0]
    # v_i = f_i (positives), f_i + m (negatives); a pair (j, k) is active iff v_j < v_k
    v = f + np.where(y_pos, 0.0, margin)
    # L is homogeneous of degree 2 in v (its gradient of degree 1): the sums below run on
    # v / 2**k, exactly, with k chosen so that the largest |v| is below 1, and the results are
    # scaled back (a loss beyond the float range is then inf, not inf - inf = nan)
    k = _exponent(v)
    v = np.ldexp(v, -k)
    v = v - v.mean()  # the loss ignores a shift: centring shrinks the cancellation below
    k2 = _exponent(v)
    v = np.ldexp(v, -k2)
    k += k2
    order = np.argsort(v)
    vs, wp, wn = v[order], w_pos[order], w_neg[order]

    # forward pass over the positives seen so far (a tie adds (v_k - v_j) = 0 whichever side
    # of the negative it is sorted to):
    #   a = sum s_j, b = sum s_j v_j, c = sum s_j v_j^2;
    #   negative k: sum_j s_j (v_k - v_j)^2 = a v_k^2 - 2 b v_k + c,
    #               d/dv_k                  = 2 (a v_k - b)
    a = np.cumsum(wp)
    b = np.cumsum(wp * vs)
    c = np.cumsum(wp * vs * vs)
    neg_terms = np.maximum(a * vs * vs - 2.0 * b * vs + c, 0.0)  # >= 0 up to rounding
    loss = float(np.dot(wn, neg_terms) / (P * Q))
    neg_slope = np.maximum(a * vs - b, 0.0)

    # backward pass over the negatives seen so far, from the top:
    #   A = sum s_k, B = sum s_k v_k;  positive j: d/dv_j = -2 (B - A v_j)
    A = np.cumsum(wn[::-1])[::-1]
    B = np.cumsum((wn * vs)[::-1])[::-1]
    pos_slope = np.maximum(B - A * vs, 0.0)

    grad_sorted = (2.0 / (P * Q)) * (wn * neg_slope - wp * pos_slope)
    grad = np.empty(n)
    grad[order] = grad_sorted
    with np.errstate(over="ignore"):
        return float(np.ldexp(loss, 2 * k)), np.ldexp(grad, k)


def _exponent(v):
    """``k`` with ``max |v| / 2**k`` in ``[0.5, 1)`` (0 for ``v`` all zero)."""
    top = float(np.abs(v).max(initial=0.0))
    return int(np.frexp(top)[1]) if top > 0 else 0


def _check_inputs(y, scores):
    """Validate ``y`` and ``scores``; return the positives' mask, float64 scores (1-D), and the
    shape and dtype of the gradient to return."""
    f_in = np.asarray(scores)
    if f_in.ndim == 2 and f_in.shape[1] == 1:
        f = f_in[:, 0]
    elif f_in.ndim == 1:
        f = f_in
    else:
        raise ValueError(
            f"scores must have shape (n_samples,) or (n_samples, 1), got {f_in.shape}")
    if not (np.issubdtype(f.dtype, np.floating) or np.issubdtype(f.dtype, np.integer)
            or f.dtype == bool):
        raise ValueError(f"scores must be real numbers, got dtype {f.dtype}")
    out_dtype = f.dtype if np.issubdtype(f.dtype, np.floating) else np.float64
    f = f.astype(np.float64, copy=False)
    if not np.all(np.isfinite(f)):
        raise ValueError("scores contain NaN or infinity")

    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != f.shape[0]:
        raise ValueError(
            f"y must have shape ({f.shape[0]},) to match the scores, got {y.shape}")
    if y.dtype == bool:
        y_pos = y
    else:
        try:
            values = np.unique(y)
            ok = np.all(np.isin(values, (0, 1))) or np.all(np.isin(values, (-1, 1)))
        except TypeError:
            ok = False
        if not ok:
            raise ValueError(
                "y must be boolean, {0, 1} or {-1, +1} (positives are 1); "
                f"got values {np.unique(y)[:5]!r}")
        y_pos = y == 1
    return y_pos, f, f_in.shape, out_dtype


class AllPairsSquaredHinge(Loss):
    """The all-pairs squared hinge as the ``loss`` of an objective, for the solver layer.

    It is not a pointwise loss: it couples every positive with every negative, so it has no
    per-sample violations, no dual and no smoothing family. What the solver registry asks of a
    loss (the capabilities of :class:`hingeclf._losses.Loss`) it offers as follows: a gradient
    (Lipschitz: ``is_smooth``), a generalised Hessian-vector product (``has_hessian``, O(n) per
    product after one O(n log n) sort per Hessian), and no per-sample terms: the per-sample
    solvers (``sgd``) refuse it.

    Parameters
    ----------
    margin : float, default=1.0
        The margin ``m > 0`` a positive should beat each negative by.
    """

    is_smooth = True
    has_hessian = True
    has_exact_quadratic_pieces = True  # quadratic while the set of active pairs is fixed
    n_out = 1

    def __init__(self, margin=1.0):
        self.margin = float(margin)

    @property
    def name(self):
        suffix = "" if self.margin == 1.0 else f"(margin={self.margin:g})"
        return "all_pairs_squared_hinge" + suffix

    def __repr__(self):
        return f"AllPairsSquaredHinge(margin={self.margin!r})"

    def lipschitz_in_scores(self, pair_weights):
        """Bound of the largest eigenvalue of the generalised Hessian in the scores (the loss is
        not a sum of per-sample terms: this replaces the per-sample :meth:`lipschitz`, which is
        None).

        The Hessian at any point is ``2 / (P Q)`` times the Laplacian of the active pairs'
        graph (edge weights ``s_j s_k``), which is at most the Laplacian of all pairs; by
        Gershgorin its rows sum to at most ``2 s_j Q`` (positives) and ``2 s_k P`` (negatives),
        so the bound is ``4 max(max s_pos / P, max s_neg / Q)``.
        """
        w_pos, w_neg, P, Q = pair_weights
        return 4.0 * max(float(w_pos.max(initial=0.0)) / P, float(w_neg.max(initial=0.0)) / Q)

    def hessian_operator(self, y, raw, pair_weights):
        """The generalised Hessian of ``L`` in the scores ``raw`` (for the positives ``y``, with
        the :class:`PairWeights` ``pair_weights``), as a map ``d -> H d``.

        ``H = 2 / (P Q) sum_{active (j, k)} s_j s_k (e_k - e_j)(e_k - e_j)^T`` over the pairs
        with ``v_j < v_k`` strictly (the kink convention: a pair exactly at its margin is
        inactive), so::

            (H d)_k = 2 s_k / (P Q) (a_k d_k - sum_{j: v_j < v_k} s_j d_j)     negative k
            (H d)_j = 2 s_j / (P Q) (A_j d_j - sum_{k: v_k > v_j} s_k d_k)     positive j

        with ``a_k`` (``A_j``) the total weight of the active partners. The positives and the
        negatives are each sorted by ``v`` once; the partners of each sample are then a prefix
        (suffix) found by binary search, and a product costs two cumulative sums. The returned
        function has a ``diagonal()`` method giving ``diag(H)``.
        """
        y_pos = y
        w_pos, w_neg, P, Q = pair_weights
        v = np.asarray(raw, dtype=np.float64).ravel() + np.where(y_pos, 0.0, self.margin)
        pos, neg = np.flatnonzero(y_pos), np.flatnonzero(~y_pos)
        order_p = pos[np.argsort(v[pos])]
        order_n = neg[np.argsort(v[neg])]
        vp, vn = v[order_p], v[order_n]
        sp_, sn_ = w_pos[order_p], w_neg[order_n]
        # negatives: active positives are those sorted before v_k (strictly smaller)
        cnt_k = np.searchsorted(vp, vn, side="left")
        # positives: active negatives are those sorted after v_j (strictly larger)
        start_j = np.searchsorted(vn, vp, side="right")
        cum_sp = np.concatenate([[0.0], np.cumsum(sp_)])
        cum_sn = np.concatenate([[0.0], np.cumsum(sn_)])
        a_k = cum_sp[cnt_k]
        A_j = cum_sn[-1] - cum_sn[start_j]
        scale = 2.0 / (P * Q)
        n = v.shape[0]

        def apply(d):
            """``H d`` for ``d`` of shape ``(n,)``, or ``(n, m)`` (one product per column)."""
            d = np.asarray(d, dtype=np.float64)
            d = d.reshape(n, -1)
            dp, dn = d[order_p], d[order_n]
            zero = np.zeros((1, d.shape[1]))
            cum_pd = np.concatenate([zero, np.cumsum(sp_[:, None] * dp, axis=0)])
            cum_nd = np.concatenate([zero, np.cumsum(sn_[:, None] * dn, axis=0)])
            out = np.empty_like(d)
            out[order_n] = (scale * sn_)[:, None] * (a_k[:, None] * dn - cum_pd[cnt_k])
            out[order_p] = (scale * sp_)[:, None] * (A_j[:, None] * dp
                                                     - (cum_nd[-1] - cum_nd[start_j]))
            return out if out.shape[1] > 1 else out[:, 0]

        def diagonal():
            out = np.empty(n)
            out[order_n] = scale * sn_ * a_k
            out[order_p] = scale * sp_ * A_j
            return out

        apply.diagonal = diagonal
        # the sorted structure, for forming X^T H X without densifying X (AllPairsObjective)
        apply.structure = dict(order_p=order_p, order_n=order_n, cnt_k=cnt_k, sp=sp_, sn=sn_,
                               a_k=a_k, A_j=A_j, scale=scale)
        return apply
