"""The all-pairs squared hinge: an AUC surrogate for unbalanced binary data, in O(n log n).

Rust & Hocking, "Efficient line search for optimizing area under the ROC curve in gradient
descent" (arXiv 2302.11062); MATH.md section 5. The loss couples every positive with every
negative, so it is not a pointwise kernel of :mod:`hingeclf._losses`: it lives here, written
against decision values like the other kernels (the chain rule through ``X`` is the caller's).

The pairs are never materialised. With ``v_i = f_i`` for a positive and ``v_i = f_i + m`` for a
negative, the pair ``(j, k)`` contributes ``(m - (f_j - f_k))_+^2 = (v_k - v_j)_+^2``: it is active
iff ``v_j < v_k``. After one sort of ``v``, running sums over the positives give every negative's
terms (forward pass) and running sums over the negatives give every positive's gradient (backward
pass). A tie ``v_j == v_k`` contributes exactly zero to the loss and to both gradients, so the
order of tied entries is irrelevant (the sort need not be stable).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["all_pairs_squared_hinge"]


def all_pairs_squared_hinge(y, scores, margin=1.0, sample_weight=None):
    r"""All-pairs squared hinge loss and its gradient in the scores, in O(n log n) time.

    .. math::

        L(f) = \frac{1}{P\,Q} \sum_{j:\,y_j = 1} \sum_{k:\,y_k = 0}
               s_j s_k \max\bigl(0,\; m - (f_j - f_k)\bigr)^2,
        \qquad P = \sum_{j:\,y_j = 1} s_j,\quad Q = \sum_{k:\,y_k = 0} s_k .

    Sample weights weight *pairs*: the pair ``(j, k)`` has weight ``s_j s_k`` and the sum is
    normalised by the product of the class weight totals, so integer weights are the same as
    repeated samples and unit weights give the unweighted mean over the ``p q`` pairs of MATH.md
    section 5. With ``v_i = f_i`` (positives) and ``v_i = f_i + m`` (negatives), the gradient is

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
    >>> from hingeclf._allpairs import all_pairs_squared_hinge
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
    w_pos = np.where(y_pos, s, 0.0)
    w_neg = np.where(y_pos, 0.0, s)
    P, Q = w_pos.sum(), w_neg.sum()
    if not (P > 0 and Q > 0):
        absent = "positive" if not P > 0 else "negative"
        raise ValueError(
            f"the all-pairs loss needs both classes: no {absent} sample "
            "(or their sample weights sum to zero)")

    # v_i = f_i (positives), f_i + m (negatives); a pair (j, k) is active iff v_j < v_k
    v = f + np.where(y_pos, 0.0, float(margin))
    v = v - v.mean()  # the loss ignores a shift: centring shrinks the cancellation below
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
    return loss, grad.reshape(out_shape).astype(out_dtype, copy=False)


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
