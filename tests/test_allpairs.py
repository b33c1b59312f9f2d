"""Tests of the all-pairs squared hinge kernel (``hingeclf._allpairs``;
docs/user_guide/losses.rst, 'All-pairs squared hinge').

The fast kernel sorts once and never forms the pairs; it is checked against the naive O(n^2)
double sum written here, on random scores with many exact ties, and against hand-computed values.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from hingeclf._allpairs_loss import all_pairs_squared_hinge

H = 1e-6  # finite-difference step (docs/reliability.rst, 'How gradients are checked')
FD_RTOL = 1e-6


def naive_all_pairs(y, f, margin=1.0, sample_weight=None):
    """The double sum of docs/user_guide/losses.rst, 'All-pairs squared hinge', weighted pairs,
    and its gradient: O(n^2) memory."""
    y = np.asarray(y).astype(bool)
    f = np.asarray(f, dtype=np.float64)
    s = np.ones(len(f)) if sample_weight is None else np.asarray(sample_weight, float)
    fp, fn, sp, sn = f[y], f[~y], s[y], s[~y]
    P, Q = sp.sum(), sn.sum()
    # viol[j, k] = max(0, m - (f_j - f_k)) for positive j, negative k
    viol = np.maximum(margin - (fp[:, None] - fn[None, :]), 0.0)
    w = sp[:, None] * sn[None, :]
    loss = (w * viol**2).sum() / (P * Q)
    grad = np.zeros_like(f)
    grad[y] = -2.0 * (w * viol).sum(axis=1) / (P * Q)
    grad[~y] = 2.0 * (w * viol).sum(axis=0) / (P * Q)
    return loss, grad


def _tied_problem(n, rng, weighted):
    """Scores on a grid of step 0.25, so with margins 0, 0.5 and 1 many pairs tie exactly
    (``f_j - f_k == m``) and many scores are equal."""
    y = rng.random(n) < 0.3
    y[0], y[1] = True, False  # both classes present
    f = rng.integers(-8, 9, n) * 0.25
    s = rng.random(n) * 2.0 if weighted else None
    return y, f, s


# ------------------------------------------------------------------------------- hand values
# (y, f, margin, loss, gradient), worked by hand from docs/user_guide/losses.rst,
# 'All-pairs squared hinge'
HAND_TABLE = [
    # one pair, violated: (1 - 0.5)^2; d/df_pos = -2 * 0.5, d/df_neg = +2 * 0.5
    ([1, 0], [0.5, 0.0], 1.0, 0.25, [-1.0, 1.0]),
    # one pair exactly at the margin (a tie v_j == v_k): zero loss, zero gradient
    ([1, 0], [1.0, 0.0], 1.0, 0.0, [0.0, 0.0]),
    # one pair beyond the margin
    ([1, 0], [3.0, 0.0], 1.0, 0.0, [0.0, 0.0]),
    # margin 2: (2 - 0.5)^2
    ([0, 1], [0.0, 0.5], 2.0, 2.25, [3.0, -3.0]),
    # margin 0: squared ranking loss max(0, f_k - f_j)^2
    ([1, 0], [0.0, 0.5], 0.0, 0.25, [-1.0, 1.0]),
    # two positives, two negatives: pairs (2, .5), (2, 0) inactive; (.2, .5): 1.3; (.2, 0): 0.8
    ([1, 0, 1, 0], [2.0, 0.5, 0.2, 0.0], 1.0, (1.3**2 + 0.8**2) / 4,
     [0.0, 2 * 1.3 / 4, -2 * (1.3 + 0.8) / 4, 2 * 0.8 / 4]),
    # boolean targets, all four pairs active at equal scores: each (1 - 0)^2
    ([True, True, False, False], [0.0, 0.0, 0.0, 0.0], 1.0, 1.0, [-1.0, -1.0, 1.0, 1.0]),
    # {-1, +1} targets are accepted too
    ([1, -1], [0.5, 0.0], 1.0, 0.25, [-1.0, 1.0]),
]


@pytest.mark.parametrize("y, f, margin, loss, grad", HAND_TABLE)
def test_hand_table(y, f, margin, loss, grad):
    value, gradient = all_pairs_squared_hinge(y, f, margin=margin)
    assert value == pytest.approx(loss, rel=1e-14, abs=1e-15)
    assert_allclose(gradient, grad, rtol=1e-14, atol=1e-15)


# ------------------------------------------------------------------------------- against naive
@pytest.mark.parametrize("n", [2, 3, 17, 300, 2000])
@pytest.mark.parametrize("margin", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_naive_with_ties(n, margin, weighted):
    rng = np.random.default_rng(n + int(4 * margin) + 100 * weighted)
    y, f, s = _tied_problem(n, rng, weighted)
    loss, grad = all_pairs_squared_hinge(y, f, margin=margin, sample_weight=s)
    ref_loss, ref_grad = naive_all_pairs(y, f, margin=margin, sample_weight=s)
    assert loss == pytest.approx(ref_loss, rel=1e-10)
    # entry by entry, relative to the largest entry for entries that are (exactly) zero
    assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-10 * np.abs(ref_grad).max())


@pytest.mark.parametrize("seed", range(3))
def test_matches_naive_continuous_scores(seed):
    rng = np.random.default_rng(seed)
    n = 1000
    y = rng.random(n) < 0.05  # unbalanced, as the loss is meant for
    y[:2] = [True, False]
    f = rng.normal(size=n) * 3.0 + 10.0  # an offset: centring must keep the precision
    loss, grad = all_pairs_squared_hinge(y, f)
    ref_loss, ref_grad = naive_all_pairs(y, f)
    assert loss == pytest.approx(ref_loss, rel=1e-10)
    assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-10 * np.abs(ref_grad).max())


def test_order_of_samples_is_irrelevant():
    rng = np.random.default_rng(1)
    y, f, s = _tied_problem(500, rng, weighted=True)
    perm = rng.permutation(500)
    loss, grad = all_pairs_squared_hinge(y, f, sample_weight=s)
    loss_p, grad_p = all_pairs_squared_hinge(y[perm], f[perm], sample_weight=s[perm])
    assert loss_p == pytest.approx(loss, rel=1e-12)
    assert_allclose(grad_p, grad[perm], rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------------------- gradient
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_sums_to_zero_and_shift_invariance(weighted):
    rng = np.random.default_rng(7)
    y, f, s = _tied_problem(2000, rng, weighted)
    loss, grad = all_pairs_squared_hinge(y, f, sample_weight=s)
    assert abs(grad.sum()) <= 1e-12 * np.abs(grad).sum()
    loss_shift, grad_shift = all_pairs_squared_hinge(y, f + 3.75, sample_weight=s)
    assert loss_shift == pytest.approx(loss, rel=1e-12)
    assert_allclose(grad_shift, grad, rtol=1e-10, atol=1e-12 * np.abs(grad).max())


@pytest.mark.parametrize("margin", [1.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_finite_differences(margin, weighted):
    rng = np.random.default_rng(3)
    n = 60
    y = rng.random(n) < 0.4
    y[:2] = [True, False]
    f = rng.normal(size=n)
    s = rng.random(n) + 0.5 if weighted else None
    # away from the kinks: every pair's violation margin - (f_j - f_k) is at least 10 h from 0
    gaps = margin - (f[y][:, None] - f[~y][None, :])
    assert np.abs(gaps).min() > 10 * H
    _, grad = all_pairs_squared_hinge(y, f, margin=margin, sample_weight=s)
    numeric = np.empty(n)
    for i in range(n):
        e = np.zeros(n)
        e[i] = H
        numeric[i] = (all_pairs_squared_hinge(y, f + e, margin=margin, sample_weight=s)[0]
                      - all_pairs_squared_hinge(y, f - e, margin=margin, sample_weight=s)[0]
                      ) / (2 * H)
    err = np.abs(grad - numeric) / np.maximum(np.maximum(np.abs(grad), np.abs(numeric)), 1e-12)
    # entries that are exactly 0 (positives beyond every negative) give 0 numerically as well
    assert err.max() < FD_RTOL


# ------------------------------------------------------------------------------- weights
def test_integer_weights_equal_repeated_samples():
    rng = np.random.default_rng(11)
    y, f, _ = _tied_problem(400, rng, weighted=False)
    s = rng.integers(0, 4, 400)
    s[:2] = 1  # keep both classes
    loss_w, grad_w = all_pairs_squared_hinge(y, f, sample_weight=s)
    y_rep, f_rep = np.repeat(y, s), np.repeat(f, s)
    loss_r, grad_r = all_pairs_squared_hinge(y_rep, f_rep)
    assert loss_w == pytest.approx(loss_r, rel=1e-12)
    # the weighted gradient of a sample is the sum of the gradients of its copies
    owner = np.repeat(np.arange(400), s)
    assert_allclose(grad_w, np.bincount(owner, grad_r, minlength=400), rtol=1e-10,
                    atol=1e-12 * np.abs(grad_w).max())


def test_unit_weights_equal_no_weights():
    rng = np.random.default_rng(5)
    y, f, _ = _tied_problem(100, rng, weighted=False)
    a = all_pairs_squared_hinge(y, f)
    b = all_pairs_squared_hinge(y, f, sample_weight=np.full(100, 3.0))
    assert a[0] == pytest.approx(b[0], rel=1e-13)
    assert_allclose(a[1], b[1], rtol=1e-12)  # a common weight cancels in the normalisation


# ------------------------------------------------------------------------------- shapes, dtypes
def test_shapes_and_dtypes():
    y = np.array([1, 0, 1, 0])
    f = np.array([2.0, 0.5, 0.2, 0.0])
    loss, grad = all_pairs_squared_hinge(y, f.reshape(-1, 1))
    assert grad.shape == (4, 1)
    loss32, grad32 = all_pairs_squared_hinge(y, f.astype(np.float32))
    assert grad32.dtype == np.float32 and isinstance(loss32, float)
    assert loss32 == pytest.approx(loss, rel=1e-6)
    _, grad_int = all_pairs_squared_hinge(y, np.array([2, 0, 1, 0]))
    assert grad_int.dtype == np.float64


def test_large_n_runs_quickly():
    # O(n log n) time and O(n) memory: 2 * 10^5 samples (4 * 10^9 pairs would not fit)
    rng = np.random.default_rng(0)
    n = 200_000
    y = rng.random(n) < 0.02
    f = rng.normal(size=n)
    loss, grad = all_pairs_squared_hinge(y, f)
    assert np.isfinite(loss) and grad.shape == (n,)
    assert abs(grad.sum()) <= 1e-10 * np.abs(grad).sum()


# ------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("y, f, kwargs, match", [
    ([1, 1, 1], [0.0, 1.0, 2.0], {}, "no negative"),
    ([0, 0], [0.0, 1.0], {}, "no positive"),
    ([1, 0, 0], [0.0, 1.0, 2.0], {"sample_weight": [0.0, 1.0, 1.0]}, "no positive"),
    ([1, 0], [0.0, np.nan], {}, "NaN or infinity"),
    ([1, 0], [0.0, np.inf], {}, "NaN or infinity"),
    ([1, 0, 1], [0.0, 1.0], {}, "shape"),
    ([1, 0], [[0.0, 1.0], [1.0, 2.0]], {}, "shape"),
    ([1, 2], [0.0, 1.0], {}, "positives are 1"),
    ([1, 0], [0.0, 1.0], {"sample_weight": [1.0]}, "sample_weight"),
    ([1, 0], [0.0, 1.0], {"sample_weight": [1.0, -1.0]}, "non-negative"),
    ([1, 0], [0.0, 1.0], {"sample_weight": [1.0, np.nan]}, "sample_weight"),
    ([1, 0], [0.0, 1.0], {"margin": -1.0}, "margin"),
    ([1, 0], [0.0, 1.0], {"margin": np.nan}, "margin"),
])
def test_errors(y, f, kwargs, match):
    with pytest.raises(ValueError, match=match):
        all_pairs_squared_hinge(y, f, **kwargs)
