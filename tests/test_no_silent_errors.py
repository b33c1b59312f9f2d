"""Regression tests of the issue "No silently wrong answers": fits that reported ``converged_``
or a certificate on a wrong answer.

- Crammer-Singer ``dual_cd`` at a tiny ``C``: its duality gap must bound the true error (the
  intercepts' circulation was found with an absolute solver tolerance larger than the flows);
- ``dual_cd`` (and every solver) on a CSR matrix with duplicate entries: they mean their sum;
- ``AllPairsSquaredHingeSVM``: a certificate (``duality_gap_``) that bounds the true error
  whatever ``C``; out-of-range scales give the model of the rescaled problem or a clear error.

Each result is checked against a reference optimum (a tight Newton fit, or the closed form of a
tiny problem).
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from hingeclf import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM
from hingeclf._certificate import circulation_scale


def _fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


# =============================================================================================
# Item 2: Crammer-Singer dual_cd at a tiny C
# =============================================================================================
def _two_class_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(105, 6))
    y = np.r_[np.zeros(60), np.ones(45)].astype(int)
    return X, y


@pytest.mark.parametrize("solver", ["dual_cd", "auto"])
@pytest.mark.parametrize("C", [1e-12, 1e-9])
def test_crammer_singer_gap_bounds_the_error_at_tiny_C(solver, C):
    # with w ~ 0 the best intercepts put the 60 samples at their margin: P* = 90 C (45 * 2 C);
    # the fit at b = 0 is 105 C, and was certified with a gap of 5e-18
    X, y = _two_class_data()
    ref = _fit(MulticlassHingeSVM(C=C, multi_class="crammer_singer", solver="newton",
                                  tol=1e-8), X, y)
    p_star = ref.objective_
    assert p_star == pytest.approx(90 * C, rel=1e-6)
    for seed in range(2):
        est = _fit(MulticlassHingeSVM(C=C, multi_class="crammer_singer", solver=solver,
                                      tol=1e-8, max_iter=200, random_state=seed), X, y)
        gap = est.duality_gap_
        assert gap is not None and gap >= -1e-12 * est.objective_
        # the certificate bounds the true error
        assert est.objective_ - p_star <= gap + 1e-9 * p_star
        if est.converged_:
            assert est.objective_ <= p_star * (1 + 1e-6)


def test_crammer_singer_gap_is_not_negative_on_three_classes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 5))
    y = np.repeat([0, 1, 2], 30)
    for C in (1e-12, 1e-9):
        est = _fit(MulticlassHingeSVM(C=C, multi_class="crammer_singer", solver="dual_cd",
                                      tol=1e-8, max_iter=200, random_state=0), X, y)
        assert est.duality_gap_ >= -1e-12 * est.objective_
        assert est.objective_ - 90 * C <= est.duality_gap_ + 1e-9 * 90 * C


def test_circulation_scale_does_not_depend_on_the_scale_of_the_flows():
    # the linear program's tolerance is absolute: at 1e-12 every flow passed for a circulation
    base = np.array([[0.0, 60.0, 5.0], [45.0, 0.0, 0.0], [0.0, 10.0, 0.0]])
    expected = circulation_scale(base)
    for scale in (1e-300, 1e-12, 1e12, 1e300):
        s = circulation_scale(base * scale)
        np.testing.assert_allclose(s, expected, rtol=1e-12)
        f = base * scale * s
        assert np.abs(f.sum(axis=0) - f.sum(axis=1)).max() <= 1e-14 * 60 * scale


# =============================================================================================
# Item 4: sparse matrices with duplicate entries
# =============================================================================================
def _with_duplicates(X, fmt="csr"):
    """``X`` (dense) as a CSR/CSC matrix storing every nonzero in two parts, ``x + 30`` and
    ``-30``: their sum is ``X``, but read as separate entries the rows look 30 times larger."""
    A = sp.coo_matrix(X)
    rows, cols = np.r_[A.row, A.row], np.r_[A.col, A.col]
    data = np.r_[A.data + 30.0, np.full(A.nnz, -30.0)]
    major, minor = (rows, cols) if fmt == "csr" else (cols, rows)
    order = np.argsort(major, kind="stable")
    indptr = np.r_[0, np.cumsum(np.bincount(major, minlength=X.shape[fmt == "csc"]))]
    cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
    out = cls((data[order], minor[order], indptr), shape=X.shape)
    assert not out.has_canonical_format
    assert abs(out - cls(X)).max() < 1e-12
    return out


def _sparse_problem():
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=400, n_features=30, random_state=0)
    X[np.random.default_rng(0).random(X.shape) < 0.6] = 0.0
    return X, y


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("cls, kw, solver", [
    (HingeSVM, {}, "dual_cd"), (HingeSVM, {}, "auto"), (HingeSVM, {}, "newton"),
    (MulticlassHingeSVM, dict(multi_class="ovr"), "dual_cd"),
    (SquaredHingeSVM, {}, "dual_cd"), (SquaredHingeSVM, dict(penalty="l1"), "cd")])
def test_duplicate_entries_mean_their_sum(cls, kw, solver, fmt):
    # dual_cd read the two parts as entries (row norms 30 times too large): unconverged at
    # 1000 epochs, 276.8 against 222.4; auto fell back to newton after them
    X, y = _sparse_problem()
    Xd = _with_duplicates(X, fmt)
    saved = (Xd.data.copy(), Xd.indices.copy(), Xd.indptr.copy())
    ref = cls(solver="newton" if solver != "cd" else "cd", tol=1e-8, **kw).fit(X, y)
    est = cls(solver=solver, tol=1e-8, **kw).fit(Xd, y)
    assert est.converged_
    assert est.solver_ == (solver if solver != "auto" else "dual_cd")  # no fall back
    assert est.objective_ == pytest.approx(ref.objective_, rel=1e-6)
    np.testing.assert_allclose(est.decision_function(Xd), est.decision_function(X),
                               rtol=1e-10, atol=1e-10)
    # the user's matrix is untouched (still with its duplicates)
    assert not Xd.has_canonical_format
    for a, b in zip(saved, (Xd.data, Xd.indices, Xd.indptr)):
        np.testing.assert_array_equal(a, b)


def test_a_canonical_matrix_is_not_copied():
    from hingeclf._base import _sum_duplicates
    X, _ = _sparse_problem()
    Xc = sp.csr_matrix(X)
    assert Xc.has_canonical_format
    assert _sum_duplicates(Xc) is Xc
    Xd = _with_duplicates(X)
    out = _sum_duplicates(Xd)
    assert out is not Xd and out.has_canonical_format and not Xd.has_canonical_format


# =============================================================================================
# Item 1: AllPairsSquaredHingeSVM's certificate
# =============================================================================================
def pairs_objective(w, X, y, C, margin=1.0, s=None):
    """``P(w)``, its gradient and generalised Hessian with the pairs formed explicitly."""
    y = np.asarray(y, bool)
    s = np.ones(len(y)) if s is None else np.asarray(s, float)
    D = (X[y][:, None, :] - X[~y][None, :, :]).reshape(-1, X.shape[1])  # x_j - x_k per pair
    a = (s[y][:, None] * s[~y][None, :]).ravel() / (s[y].sum() * s[~y].sum())
    viol = np.maximum(margin - D @ w, 0.0)
    value = 0.5 * w @ w + C * float(a @ viol**2)
    grad = w - 2.0 * C * D.T @ (a * viol)
    hess = np.eye(len(w)) + 2.0 * C * (D[viol > 0].T * a[viol > 0]) @ D[viol > 0]
    return value, grad, hess


def reference_optimum(X, y, C, margin=1.0, s=None):
    """``P*`` by Newton's method on the explicit pairs with a backtracking line search (exact
    on each quadratic piece, so it ends at the optimum to rounding); returns ``(P*, w*)``."""
    w = np.zeros(X.shape[1])
    f, g, Hm = pairs_objective(w, X, y, C, margin, s)
    for _ in range(200):
        step = np.linalg.solve(Hm, -g)
        t = 1.0
        while True:
            f_new, g_new, H_new = pairs_objective(w + t * step, X, y, C, margin, s)
            if f_new <= f + 1e-4 * t * (g @ step) or t < 1e-18:
                break
            t *= 0.5
        if not f_new < f:
            break
        w, f, g, Hm = w + t * step, f_new, g_new, H_new
    assert 0.5 * g @ g <= 1e-12 * f  # the reference itself is certified
    return f, w


def _separable_unbalanced():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = np.zeros(200, int)
    y[:40] = 1
    X[y == 1] += 3.0
    return X, y


@pytest.mark.parametrize("solver", ["auto", "lbfgs", "fgd", "newton"])
def test_all_pairs_fit_at_large_C_is_at_the_optimum(solver):
    # lbfgs stopped at objective 0.5 (after one iteration; optimum 0.0737) and reported converged
    from hingeclf import AllPairsSquaredHingeSVM
    X, y = _separable_unbalanced()
    p_star, _ = reference_optimum(X, y, 1000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = AllPairsSquaredHingeSVM(C=1000.0, solver=solver).fit(X, y)
    assert est.converged_
    assert est.objective_ <= p_star * (1 + est.tol)
    # the certificate met tol and bounds the true error
    gap = est.duality_gap_
    assert gap is not None and 0.0 <= gap <= est.tol * est.objective_
    assert est.objective_ - p_star <= gap + 1e-12 * p_star


@pytest.mark.parametrize("solver", ["lbfgs", "fgd", "newton"])
def test_all_pairs_hard_margin_limit(solver):
    # x = -3..3 (0 left out), positives x > 0: the hard-margin optimum is w = 0.5 (the pair
    # (1, -1) at margin 1), P* = 0.125 for C -> inf; lbfgs returned w = 1, P = 0.5 as converged
    from hingeclf import AllPairsSquaredHingeSVM
    x = np.array([-3, -2, -1, 1, 2, 3], dtype=float)[:, None]
    y = (x[:, 0] > 0).astype(int)
    est = _fit(AllPairsSquaredHingeSVM(C=1e12, solver=solver), x, y)
    if est.converged_:
        assert est.coef_[0, 0] == pytest.approx(0.5, rel=1e-6)
        assert est.objective_ == pytest.approx(0.125, rel=est.tol)
    assert est.objective_ - 0.125 <= est.duality_gap_ + 1e-12


@pytest.mark.parametrize("solver", ["lbfgs", "fgd", "newton"])
@pytest.mark.parametrize("C", [1.0, 100.0])
def test_all_pairs_fit_with_mixed_column_scales_is_at_the_optimum(solver, C):
    # columns in units 1, 100 and 1e4: lbfgs and fgd reported converged 37% (C = 1) and 67%
    # (C = 100) above the optimum
    from hingeclf import AllPairsSquaredHingeSVM
    rng = np.random.default_rng(0)
    scales = np.array([1.0, 100.0, 1e4])
    X = rng.normal(size=(200, 3)) * scales
    y = (X @ (1 / scales) + rng.normal(size=200) > 1.5).astype(int)
    p_star, _ = reference_optimum(X, y == 1, C)
    est = _fit(AllPairsSquaredHingeSVM(C=C, solver=solver), X, y)
    assert est.converged_
    assert est.objective_ <= p_star * (1 + est.tol)
    assert est.objective_ - p_star <= est.duality_gap_ + 1e-12 * p_star


def test_all_pairs_certificate_bounds_the_error_of_any_point():
    # P(w) - P* <= ||grad P(w)||^2 / 2 at arbitrary points, not only at fits
    from hingeclf._allpairs import AllPairsObjective
    X, y = _separable_unbalanced()
    X = X[:60]
    y = y[:60]
    for C in (1e-3, 1.0, 1e3):
        p_star, w_star = reference_optimum(X, y, C)
        obj = AllPairsObjective(X, y == 1, C)
        rng = np.random.default_rng(1)
        for scale in (1e-6, 1e-3, 1.0):
            w = w_star + scale * rng.normal(size=w_star.shape)
            bound, value = obj.suboptimality_bound(w[None, :])
            assert value == pytest.approx(pairs_objective(w, X, y == 1, C)[0], rel=1e-12)
            assert value - p_star <= bound * (1 + 1e-9) + 1e-14 * p_star


# =============================================================================================
# Item 5: the all-pairs model and metric out of range
# =============================================================================================
def _all_pairs_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + rng.normal(size=60) > 0.8).astype(int)
    return X, y


@pytest.mark.parametrize("scale", [1e-200, 1e-30, 1e30, 1e160, 1e300])
def test_all_pairs_uniform_weights_are_no_weights(scale):
    # 1e-200 raised ZeroDivisionError (P Q underflowed), 1e160 gave NaN (it overflowed)
    from hingeclf import AllPairsSquaredHingeSVM
    X, y = _all_pairs_data()
    ref = AllPairsSquaredHingeSVM().fit(X, y)
    est = AllPairsSquaredHingeSVM().fit(X, y, sample_weight=np.full(len(y), scale))
    assert est.converged_
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-9)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-9)
    assert est.objective_ == pytest.approx(ref.objective_, rel=1e-12)


@pytest.mark.parametrize("solver", ["lbfgs", "fgd", "newton"])
def test_all_pairs_out_of_range_gives_a_clear_error_or_a_finite_honest_fit(solver):
    from hingeclf import AllPairsSquaredHingeSVM
    X, y = _all_pairs_data()
    with pytest.raises(ValueError, match="margin=1e\\+200"):
        AllPairsSquaredHingeSVM(margin=1e200, solver=solver).fit(X, y)
    with pytest.raises(ValueError, match="X has values up to"):
        AllPairsSquaredHingeSVM(solver=solver).fit(X * 1e200, y)
    # X * 1e150 (the fit at C = 1e300 scaled by 1e-150) and C = 1e300: finite models, a
    # ConvergenceWarning exactly when not converged (float64 cannot certify them)
    fits = []
    for X_s, C in ((X * 1e150, 1.0), (X, 1e300)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est = AllPairsSquaredHingeSVM(C=C, solver=solver).fit(X_s, y)
        warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
        assert warned == (not est.converged_)
        assert np.all(np.isfinite(est.coef_)) and np.isfinite(est.objective_)
        assert np.isfinite(est.intercept_).all() and est.duality_gap_ >= 0
        fits.append(est)
    np.testing.assert_allclose(fits[0].coef_ * 1e150, fits[1].coef_, rtol=1e-6)


def test_all_pairs_metric_out_of_range():
    from hingeclf.metrics import all_pairs_squared_hinge_loss as loss
    X, y = _all_pairs_data()
    f = X[:, 0]
    s = np.random.default_rng(1).uniform(0.1, 2.0, size=len(y))
    ref = loss(y, f, sample_weight=s)
    for scale in (1e-300, 1e-200, 1e200, 1e300):  # ZeroDivisionError / nan before
        assert loss(y, f, sample_weight=s * scale) == pytest.approx(ref, rel=1e-12)
    # degree 2 in the scores and margin together; beyond the float range, inf (not nan)
    assert loss(y, f * 1e100, margin=1e100) == pytest.approx(1e200 * loss(y, f), rel=1e-12)
    assert loss(y, f * 1e-150, margin=1e-150) == pytest.approx(1e-300 * loss(y, f), rel=1e-12)
    assert loss(y, f * 1e200) == np.inf
