"""L1 and elastic-net penalties: the penalty objects, the solvers (cd, proximal fgd), the estimators.

Optima are certified three ways: against LIBLINEAR (``LinearSVC(penalty="l1", dual=False)`` at
``tol=1e-10``, whose objective coincides with ours without intercept), against an exact linear
programme for the hinge, and by the optimality conditions (minimum-norm subgradient) and the
duality gap of :meth:`LinearObjective.duality_gap`.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from hingeclf import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM
from hingeclf._losses import binary_loss, multiclass_loss
from hingeclf._objective import (ElasticNetPenalty, L1Penalty, L2Penalty, LinearObjective,
                                 make_penalty)
import hingeclf._solvers.cd as cd_module
from hingeclf._loss_kernels import term
from hingeclf._solvers import SOLVERS, check_solver_supports

SPARSE_SOLVERS = [name for name, spec in SOLVERS.items() if "l1" in spec.penalties]
# "cd" has two variants chosen by n_features: columns (CDN, numba kernel) and proximal Newton
# with an inner coordinate descent on the (d+1)^2 model; each variant is forced here in turn
VARIANTS = ["cd-columns", "cd-newton", "fgd"]


@pytest.fixture
def variant_solver(request, monkeypatch):
    variant = request.param
    if variant == "cd-columns":
        monkeypatch.setattr(cd_module, "NEWTON_MAX_FEATURES", 0)
    elif variant == "cd-newton":
        monkeypatch.setattr(cd_module, "NEWTON_MAX_FEATURES", 10**9)
    return variant.split("-")[0]


# ---------------------------------------------------------------------- data
def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _sparse_synthetic(n=300, d=200, density=0.05, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=density, format="csr", random_state=seed)
    w = np.zeros(d)
    w[:10] = rng.normal(size=10) * 3
    score = X @ w
    y = (score + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def _l1_objective(X, y, coef, C, intercept=0.0, power=2):
    """``||w||_1 + C sum_i max(0, 1 - y_i (x_i w + b))^power`` in float64 (binary)."""
    t = np.where(y == np.max(y), 1.0, -1.0)
    w = np.asarray(coef, dtype=np.float64).ravel()
    h = np.maximum(0.0, 1.0 - t * (np.asarray(X @ w).ravel() + intercept))
    return float(np.abs(w).sum() + C * np.sum(h ** power))


def _objective_of(est, X, y, sample_weight=None):
    """The LinearObjective an estimator minimises (its own loss, costs and penalty)."""
    classes, y_index = np.unique(y, return_inverse=True)
    est_classes = est.classes_
    assert np.array_equal(classes, est_classes)
    costs = est._costs(X, y_index, sample_weight, est.class_weight)
    return est._problem(X, y_index, costs)


def _internal_coef(est):
    return est._coef_internal


# ---------------------------------------------------------------------- the penalty objects
def test_penalty_values_and_the_two_ends_of_the_elastic_net():
    w = np.array([[1.5, -2.0, 0.0, 0.25]])
    assert L1Penalty().value(w) == pytest.approx(3.75)
    assert L2Penalty().value(w) == pytest.approx(0.5 * (2.25 + 4 + 0.0625))
    en = ElasticNetPenalty(0.3)
    assert en.value(w) == pytest.approx(0.3 * 3.75 + 0.7 * 0.5 * 6.3125)
    assert ElasticNetPenalty(1.0).value(w) == pytest.approx(L1Penalty().value(w))
    assert ElasticNetPenalty(0.0).value(w) == pytest.approx(L2Penalty().value(w))
    assert en.smooth_value(w) == pytest.approx(0.7 * 0.5 * 6.3125)
    assert make_penalty("elasticnet", 0.3).l1 == 0.3
    with pytest.raises(ValueError, match="l1_ratio"):
        ElasticNetPenalty(1.5)
    with pytest.raises(ValueError, match="penalty"):
        make_penalty("l0")


def test_prox_is_soft_thresholding_with_exact_zeros():
    w = np.array([[0.3, -0.3, 1.0, -2.0, 0.05]], dtype=np.float32)
    out = L1Penalty().prox(w, 0.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.array([[0.0, 0.0, 0.5, -1.5, 0.0]], dtype=np.float32))
    # the prox is the minimiser of ||u - w||^2 / (2 step) + ||u||_1: check against a fine grid
    step, grid = 0.7, np.linspace(-3, 3, 600001)
    for wi in (-1.3, -0.2, 0.0, 0.69, 2.5):
        best = grid[np.argmin((grid - wi) ** 2 / (2 * step) + np.abs(grid))]
        assert L1Penalty().prox(np.array([wi]), step)[0] == pytest.approx(best, abs=2e-5)
    assert L2Penalty().prox(w, 0.5) is w


def test_residual_is_the_minimum_norm_subgradient():
    pen = ElasticNetPenalty(0.5)  # l1 = 0.5
    w = np.array([1.0, -1.0, 0.0, 0.0, 0.0])
    g = np.array([0.2, 0.2, 0.3, -0.8, 0.9])
    np.testing.assert_allclose(pen.residual(w, g), [0.7, -0.3, 0.0, -0.3, 0.4])


@pytest.mark.parametrize("penalty", [L1Penalty(), ElasticNetPenalty(0.4)])
@pytest.mark.parametrize("loss", [binary_loss("squared_hinge"), binary_loss("smooth_hinge", 0.5),
                                  multiclass_loss("ovr", "squared_hinge")])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_smooth_part_gradient_matches_finite_differences(penalty, loss, fit_intercept):
    rng = np.random.default_rng(0)
    n, d = 40, 6
    X = rng.normal(size=(n, d))
    y_index = rng.integers(0, 3 if loss.structure == "ovr" else 2, size=n)
    n_out = loss.n_outputs(3)
    obj = LinearObjective(loss, X, loss.encode_target(y_index), rng.uniform(0.5, 2, size=n),
                          n_out, fit_intercept, penalty)
    coef = rng.normal(size=obj.shape) * 0.3
    v = loss.violations(obj.y, obj.raw(coef))
    kinks = [0.0] + ([loss.gamma] if loss.gamma else [])
    # away from the kinks (docs/reliability.rst, 'How gradients are checked')
    assert min(np.abs(v - k).min() for k in kinks) > 1e-5
    value, grad = obj.smooth_value_gradient(coef)
    assert value == pytest.approx(obj.smooth_value(coef))
    # P = F + the L1 part, exactly
    assert obj.value(coef) == pytest.approx(value + penalty.l1 * np.abs(coef[:, :d]).sum())
    h = 1e-6
    num = np.zeros(coef.size)
    for k in range(coef.size):
        e = np.zeros(coef.size)
        e[k] = h
        num[k] = (obj.smooth_value(coef.ravel() + e) - obj.smooth_value(coef.ravel() - e)) / (2 * h)
    a = grad.ravel()
    rel = np.abs(a - num) / np.maximum(np.maximum(np.abs(a), np.abs(num)), 1e-12)
    assert rel.max() < 1e-6


# ---------------------------------------------------------------------- the reference optimum
@pytest.mark.parametrize("variant_solver", VARIANTS, indirect=True)
@pytest.mark.parametrize("C", [0.05, 1.0])
@pytest.mark.parametrize("data", ["breast_cancer", "sparse"])
def test_l1_squared_hinge_reaches_liblinear_optimum_with_same_support(data, C, variant_solver):
    solver = variant_solver
    X, y = _breast_cancer() if data == "breast_cancer" else _sparse_synthetic()
    ref = LinearSVC(penalty="l1", loss="squared_hinge", dual=False, fit_intercept=False,
                    tol=1e-10, C=C, max_iter=100_000).fit(X, y)
    est = SquaredHingeSVM(C=C, penalty="l1", fit_intercept=False, solver=solver, tol=1e-9,
                          max_iter=100_000).fit(X, y)
    assert est.converged_
    p_ref = _l1_objective(X, y, ref.coef_, C)
    p_est = _l1_objective(X, y, est.coef_, C)
    assert est.objective_ == pytest.approx(p_est, rel=1e-10)
    assert abs(p_est - p_ref) <= 1e-6 * p_ref
    np.testing.assert_array_equal(est.coef_ != 0, ref.coef_ != 0)
    assert 0 < np.count_nonzero(est.coef_) < X.shape[1]  # a genuinely sparse optimum


def test_hinge_l1_reaches_the_linear_programme_optimum():
    # min ||w||_1 + C sum xi, xi >= 1 - y_i (x_i w + b), xi >= 0: an LP in (w+, w-, b, xi)
    X, y = _breast_cancer()
    X, y = X[::3], y[::3]
    n, d = X.shape
    C = 0.1
    t = np.where(y == 1, 1.0, -1.0)
    cost = np.concatenate([np.ones(2 * d), [0.0], C * np.ones(n)])
    # -t_i (x_i (w+ - w-) + b) - xi_i <= -1
    A = np.hstack([-t[:, None] * X, t[:, None] * X, -t[:, None], -np.eye(n)])
    bounds = [(0, None)] * (2 * d) + [(None, None)] + [(0, None)] * n
    lp = linprog(cost, A_ub=A, b_ub=-np.ones(n), bounds=bounds, method="highs")
    assert lp.status == 0
    for solver in SPARSE_SOLVERS:
        with warnings.catch_warnings():
            # the continuation need not meet its criterion at tol=1e-8 within max_iter (no exact
            # face solve for L1): the objective is checked against the LP's instead
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = HingeSVM(C=C, penalty="l1", solver=solver, tol=1e-8,
                           max_iter=20_000).fit(X, y)
        value = _l1_objective(X, y, est.coef_, C, est.intercept_[0], power=1)
        assert value == pytest.approx(lp.fun, rel=1e-5), solver
        assert est.objective_ == pytest.approx(value, rel=1e-10)


# ---------------------------------------------------------------------- cd's mechanisms
def _fit_cd_columns(X, y, C, **solver_kwargs):
    """The column kernel of cd on ``X`` (no intercept), with solver options; (coef, result)."""
    est = SquaredHingeSVM(C=C, penalty="l1", fit_intercept=False)
    classes, y_index = np.unique(y, return_inverse=True)
    est.classes_ = classes
    obj = est._problem(X, y_index, est._costs(X, y_index, None, None))
    result = cd_module.solve_cd(obj, obj.zeros(), tol=1e-10, max_iter=100_000,
                                **solver_kwargs)
    return np.asarray(result.coef).ravel(), result


@pytest.mark.parametrize("unshrink", [0.0, 0.3, 1.0])
def test_shrinking_and_its_restoring_rule_do_not_change_the_optimum(unshrink, monkeypatch):
    # more features than samples: most coordinates are shrunk at zero, and some of them must
    # come back (restored when the active set reaches `unshrink` x the last full violation)
    monkeypatch.setattr(cd_module, "NEWTON_MAX_FEATURES", 0)
    monkeypatch.setattr(cd_module, "UNSHRINK", unshrink)
    X, y = _sparse_synthetic(n=150, d=400, density=0.05, seed=2)
    C = 2.0
    ref = LinearSVC(penalty="l1", loss="squared_hinge", dual=False, fit_intercept=False,
                    tol=1e-10, C=C, max_iter=100_000).fit(X, y)
    shrunk, res = _fit_cd_columns(X, y, C, shrinking=True)
    full, res_full = _fit_cd_columns(X, y, C, shrinking=False)
    assert res.converged and res_full.converged
    p_ref = _l1_objective(X, y, ref.coef_, C)
    for coef in (shrunk, full):
        assert abs(_l1_objective(X, y, coef, C) - p_ref) <= 1e-6 * p_ref
        np.testing.assert_array_equal(coef != 0, ref.coef_.ravel() != 0)
    assert 0 < np.count_nonzero(shrunk) < X.shape[1] // 2


@pytest.mark.parametrize("power, gamma", [(2, 0.0), (1, 0.5), (1, 2.0)])
def test_line_search_bound_majorises_the_loss_change(power, gamma):
    # the column kernel accepts a step without a pass over the column when
    #   phi'(v) e + kappa/2 e^2 (kappa = sup phi'': 2, or 1/gamma) passes the Armijo test:
    # valid only if it bounds phi(v + e) - phi(v) from above, which is checked here
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.normal(scale=2.0, size=2000), [0.0, gamma, -gamma]])
    e = np.concatenate([rng.normal(scale=2.0, size=2000), [1.0, -gamma, 2 * gamma]])
    kappa = 2.0 if power == 2 else 1.0 / gamma
    for vi, ei in zip(v, e):
        value, slope, _ = term(vi, power, gamma)
        change = term(vi + ei, power, gamma)[0] - value
        bound = slope * ei + 0.5 * kappa * ei * ei
        assert change <= bound + 1e-12 * max(1.0, abs(bound))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_hessian_update_by_the_changed_rows_matches_a_rebuild(sparse, fit_intercept):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 7))
    if sparse:
        X[rng.random(X.shape) < 0.6] = 0.0
        X = sp.csr_matrix(X)
    old = np.where(rng.random(300) < 0.5, 2.0, 0.0) * rng.uniform(0.5, 2.0, size=300)
    new = old.copy()
    flip = rng.choice(300, size=40, replace=False)
    new[flip] = np.where(old[flip] > 0, 0.0, 1.5)
    changed = np.flatnonzero(new != old)
    import hingeclf._objective as objective_module

    monkeypatch_chunk = objective_module.GRAM_CHUNK
    try:
        objective_module.GRAM_CHUNK = 16  # several chunks, each with both signs of change
        updated = (objective_module.weighted_gram(X, old, fit_intercept)
                   + objective_module.weighted_gram(X, new - old, fit_intercept, rows=changed))
        rebuilt = objective_module.weighted_gram(X, new, fit_intercept)
    finally:
        objective_module.GRAM_CHUNK = monkeypatch_chunk
    Xd = X.toarray() if sparse else X
    Xa = np.hstack([Xd, np.ones((300, 1))]) if fit_intercept else Xd
    np.testing.assert_allclose(rebuilt, Xa.T @ (new[:, None] * Xa), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(updated, rebuilt, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("variant_solver", ["cd-columns", "cd-newton"], indirect=True)
def test_zero_sample_weights_equal_dropping_the_samples(variant_solver):
    # the column kernel keeps c_i y_i per sample (c_i = 0 leaves a signed zero): a sample
    # without weight must not move the solution, with or without the intercept's steps
    X, y = _sparse_synthetic(n=240, d=60, density=0.2, seed=4)
    sw = np.ones(len(y))
    sw[::3] = 0.0
    kw = dict(C=0.5, penalty="l1", solver=variant_solver, tol=1e-10, max_iter=100_000)
    weighted = SquaredHingeSVM(**kw).fit(X, y, sample_weight=sw)
    dropped = SquaredHingeSVM(**kw).fit(X[sw > 0], y[sw > 0])
    np.testing.assert_allclose(weighted.coef_, dropped.coef_, atol=1e-7)
    np.testing.assert_allclose(weighted.intercept_, dropped.intercept_, atol=1e-7)
    np.testing.assert_array_equal(weighted.coef_ != 0, dropped.coef_ != 0)


# ---------------------------------------------------------------------- optimality conditions
CASES = [
    (SquaredHingeSVM, {}, "binary"),
    (SquaredHingeSVM, {}, "ovr"),
    (MulticlassHingeSVM, dict(multi_class="ovr", loss="squared_hinge"), "ovr"),
]


@pytest.mark.parametrize("variant_solver", VARIANTS, indirect=True)
@pytest.mark.parametrize("penalty", [dict(penalty="l1"), dict(penalty="elasticnet",
                                                               l1_ratio=0.7)])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("est_cls, extra, kind", CASES)
def test_kkt_conditions_and_exact_zeros(est_cls, extra, kind, fit_intercept, penalty,
                                        variant_solver):
    solver = variant_solver
    if kind == "binary":
        X, y = _breast_cancer()
    else:
        X, y = load_wine(return_X_y=True)
        X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(1)
    sw = rng.uniform(0.5, 2.0, size=len(y))
    est = est_cls(C=0.3, fit_intercept=fit_intercept, solver=solver, tol=1e-8,
                  max_iter=50_000, **extra, **penalty).fit(X, y, sample_weight=sw)
    assert est.converged_
    obj = _objective_of(est, X, y, sw)
    coef = _internal_coef(est)
    d = X.shape[1]
    w = coef[:, :d]
    _, grad = obj.smooth_value_gradient(coef)
    l1 = obj.penalty.l1
    # at an optimum: G_j = -l1 sign(w_j) where w_j != 0, |G_j| <= l1 where w_j == 0, G_b = 0
    residual = obj.optimality_residual(coef)
    scale = obj.gradient_scale()
    assert np.abs(residual).max() <= 1e-6 * scale
    zero = w == 0
    assert zero.any() and (~zero).any()
    assert np.all(np.abs(grad[:, :d][zero]) <= l1 * (1 + 1e-6))
    np.testing.assert_allclose(grad[:, :d][~zero], -l1 * np.sign(w[~zero]),
                               atol=1e-6 * scale)
    # exact zeros: coef_ is sparse as stored, no tiny residue
    assert np.all((np.abs(est.coef_) > 1e-12) | (est.coef_ == 0))
    if not fit_intercept:
        gap = obj.duality_gap(coef)
        assert -1e-12 * obj.value(coef) <= gap <= 1e-5 * obj.value(coef)  # rounding below 0


def test_kkt_check_rejects_a_suboptimal_point():
    # the residual test of test_kkt_conditions_and_exact_zeros can fail: it does on points
    # slightly off the optimum, one non-zero moved or one zero made non-zero
    X, y = _breast_cancer()
    est = SquaredHingeSVM(C=0.3, penalty="l1", solver="cd", tol=1e-8).fit(X, y)
    obj = _objective_of(est, X, y)
    bound = 1e-6 * obj.gradient_scale()
    opt = _internal_coef(est)
    assert np.abs(obj.optimality_residual(opt)).max() <= bound
    coef = opt.copy()
    j = np.flatnonzero(coef[0, :-1] != 0)[0]
    coef[0, j] *= 1.05
    assert np.abs(obj.optimality_residual(coef)).max() > 100 * bound
    coef = opt.copy()
    coef[0, np.flatnonzero(coef[0, :-1] == 0)[0]] = 1e-2
    assert np.abs(obj.optimality_residual(coef)).max() > 100 * bound


def test_duality_gap_bounds_the_suboptimality():
    X, y = _sparse_synthetic()
    est = SquaredHingeSVM(C=1.0, penalty="l1", solver="cd", fit_intercept=False,
                          tol=1e-10).fit(X, y)
    obj = _objective_of(est, X, y)
    best = est.objective_
    rng = np.random.default_rng(0)
    for scale in (1e-3, 1e-1):
        coef = _internal_coef(est) + scale * rng.normal(size=obj.shape)
        gap = obj.duality_gap(coef)
        assert gap >= obj.value(coef) - best - 1e-9 * best
    assert est.duality_gap_ == pytest.approx(obj.duality_gap(_internal_coef(est)))
    prox = SquaredHingeSVM(C=1.0, penalty="l1", solver="fgd", fit_intercept=False,
                           tol=1e-8).fit(X, y)
    assert -1e-12 * prox.objective_ <= prox.duality_gap_ <= 1e-5 * prox.objective_


# ---------------------------------------------------------------------- solvers agree
@pytest.mark.parametrize("est_cls", [SquaredHingeSVM, HingeSVM])
def test_cd_and_fgd_agree_with_intercept_and_elastic_net(est_cls):
    X, y = _breast_cancer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the hinge: see the LP test
        fits = [est_cls(C=0.2, penalty="elasticnet", l1_ratio=0.5, solver=s, tol=1e-8,
                        max_iter=20_000).fit(X, y) for s in SPARSE_SOLVERS]
    if est_cls is SquaredHingeSVM:
        assert all(f.converged_ for f in fits)
    values = [f.objective_ for f in fits]
    assert max(values) - min(values) <= 1e-6 * min(values)
    for f in fits[1:]:
        np.testing.assert_allclose(f.intercept_, fits[0].intercept_, atol=1e-3)


def test_elastic_net_ends_match_l1_and_l2():
    X, y = _breast_cancer()
    l1 = SquaredHingeSVM(C=0.1, penalty="l1", tol=1e-9).fit(X, y)
    en1 = SquaredHingeSVM(C=0.1, penalty="elasticnet", l1_ratio=1.0, tol=1e-9).fit(X, y)
    assert en1.objective_ == pytest.approx(l1.objective_, rel=1e-8)
    np.testing.assert_array_equal(en1.coef_ != 0, l1.coef_ != 0)
    l2 = SquaredHingeSVM(C=0.1, solver="lbfgs", tol=1e-9).fit(X, y)
    en0 = SquaredHingeSVM(C=0.1, penalty="elasticnet", l1_ratio=0.0, solver="cd",
                          tol=1e-9, max_iter=50_000).fit(X, y)
    assert en0.objective_ == pytest.approx(l2.objective_, rel=1e-7)


def test_one_vs_rest_is_one_binary_problem_per_class():
    X, y = load_iris(return_X_y=True)
    ovr = SquaredHingeSVM(C=0.5, penalty="l1", tol=1e-9).fit(X, y)
    assert ovr.solver_ == "cd"
    for k, label in enumerate(ovr.classes_):
        single = SquaredHingeSVM(C=0.5, penalty="l1", tol=1e-9).fit(X, (y == label).astype(int))
        np.testing.assert_allclose(ovr.coef_[k], single.coef_[0], atol=1e-6)
        np.testing.assert_array_equal(ovr.coef_[k] != 0, single.coef_[0] != 0)


def test_non_separable_multiclass_with_l1_through_proximal_gradient():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    # squared Weston-Watkins is C^1: the optimality residual certifies the fgd (prox) optimum
    est = MulticlassHingeSVM(C=0.5, multi_class="weston_watkins", loss="squared_hinge",
                             penalty="l1", tol=1e-8, max_iter=20_000).fit(X, y)
    assert est.solver_ == "fgd" and est.converged_
    obj = _objective_of(est, X, y)
    residual = obj.optimality_residual(_internal_coef(est))
    assert np.abs(residual).max() <= 1e-6 * obj.gradient_scale()
    assert (est.coef_ == 0).any()
    # Crammer-Singer (non-smooth) by continuation: converged, sparse, and no worse than the
    # Weston-Watkins-free check of a perturbed point
    cs = MulticlassHingeSVM(C=0.5, multi_class="crammer_singer", penalty="l1", tol=1e-6,
                            max_iter=20_000).fit(X, y)
    assert cs.solver_ == "fgd" and cs.converged_ and (cs.coef_ == 0).any()
    cs_obj = _objective_of(cs, X, y)
    coef = _internal_coef(cs)
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert cs_obj.value(coef + 1e-3 * rng.normal(size=coef.shape)) >= cs.objective_
    with pytest.raises(ValueError, match="cd.*crammer_singer"):
        MulticlassHingeSVM(penalty="l1", solver="cd").fit(X, y)


# ---------------------------------------------------------------------- registry and errors
@pytest.mark.parametrize("solver", ["lbfgs", "newton", "sgd"])
def test_unsupported_penalty_is_refused_naming_both(solver):
    X, y = _breast_cancer()
    with pytest.raises(ValueError, match=f"solver='{solver}' does not support penalty='l1'"):
        SquaredHingeSVM(penalty="l1", solver=solver).fit(X, y)
    with pytest.raises(ValueError, match="penalty='elasticnet'"):
        check_solver_supports(solver, binary_loss("hinge"), make_penalty("elasticnet"))
    with pytest.raises(ValueError, match="solver='cd' does not support penalty='l2'"):
        SquaredHingeSVM(solver="cd").fit(X, y)


def test_invalid_penalty_parameters_are_rejected():
    X, y = _breast_cancer()
    with pytest.raises(ValueError, match="penalty"):
        SquaredHingeSVM(penalty="l0").fit(X, y)
    with pytest.raises(ValueError, match="l1_ratio"):
        SquaredHingeSVM(penalty="elasticnet", l1_ratio=1.5).fit(X, y)


def test_auto_solver_rule():
    X, y = load_iris(return_X_y=True)
    assert SquaredHingeSVM(penalty="l1").fit(X, y).solver_ == "cd"
    assert HingeSVM(penalty="elasticnet").fit(X[y < 2], y[y < 2]).solver_ == "cd"
    assert MulticlassHingeSVM(penalty="l1", multi_class="weston_watkins",
                              loss="squared_hinge").fit(X, y).solver_ == "fgd"
    Xs, ys = _sparse_synthetic(n=100, d=cd_module.NEWTON_MAX_FEATURES + 1)
    assert SquaredHingeSVM(penalty="l1").fit(Xs, ys).solver_ == "cd"  # columns: d > 256
    # the L2 penalty keeps its own rule (for the squared hinge on sparse data: dual_cd)
    assert SquaredHingeSVM().fit(Xs, ys).solver_ == "dual_cd"


# ---------------------------------------------------------------------- input handling
@pytest.mark.parametrize("variant_solver", ["cd-columns", "cd-newton"], indirect=True)
def test_layouts_and_formats_give_the_same_solution_without_touching_x(variant_solver):
    X, y = _sparse_synthetic(n=200, d=80, density=0.2)
    dense = X.toarray()
    inputs = {"csr": X, "csc": X.tocsc(), "C": np.ascontiguousarray(dense),
              "F": np.asfortranarray(dense)}
    copies = {k: (v.copy() if not sp.issparse(v) else v.copy()) for k, v in inputs.items()}
    fits = {k: SquaredHingeSVM(C=0.5, penalty="l1", solver="cd", tol=1e-10).fit(v, y)
            for k, v in inputs.items()}
    for k, f in fits.items():
        np.testing.assert_allclose(f.coef_, fits["csc"].coef_, atol=1e-8)
        np.testing.assert_array_equal(f.coef_ != 0, fits["csc"].coef_ != 0)
        a, b = inputs[k], copies[k]
        if sp.issparse(a):
            a, b = a.toarray(), b.toarray()
        np.testing.assert_array_equal(a, b)
    assert inputs["csr"].format == "csr"


def test_float32_stays_float32():
    X, y = _breast_cancer()
    X32 = X.astype(np.float32)
    for solver in SPARSE_SOLVERS:
        f32 = SquaredHingeSVM(C=0.1, penalty="l1", solver=solver, tol=1e-6).fit(X32, y)
        f64 = SquaredHingeSVM(C=0.1, penalty="l1", solver=solver, tol=1e-6).fit(X, y)
        assert f32.coef_.dtype == np.float32 and f32.intercept_.dtype == np.float32
        assert f32.objective_ == pytest.approx(f64.objective_, rel=1e-4)


def test_warm_start_continues_from_the_previous_solution():
    X, y = _breast_cancer()
    est = SquaredHingeSVM(C=0.1, penalty="l1", warm_start=True, tol=1e-8).fit(X, y)
    first = est.n_iter_
    est.fit(X, y)
    assert est.n_iter_ < first
    est.set_params(C=0.2).fit(X, y)
    cold = SquaredHingeSVM(C=0.2, penalty="l1", tol=1e-8).fit(X, y)
    assert est.objective_ == pytest.approx(cold.objective_, rel=1e-7)


def test_unpenalised_intercept_with_l1_on_data_far_from_the_origin():
    X, y = _breast_cancer()
    shifted = X + 50.0
    near = SquaredHingeSVM(C=0.1, penalty="l1", tol=1e-9, max_iter=50_000).fit(X, y)
    far = SquaredHingeSVM(C=0.1, penalty="l1", tol=1e-9, max_iter=50_000).fit(shifted, y)
    # a shift of the data is absorbed by the unpenalised intercept: same w, same objective
    assert far.objective_ == pytest.approx(near.objective_, rel=1e-6)
    np.testing.assert_allclose(far.coef_, near.coef_, atol=1e-4)


def test_csr_is_converted_once_for_all_continuation_stages(monkeypatch):
    X, y = _sparse_synthetic(n=200, d=80, density=0.2)
    monkeypatch.setattr(cd_module, "NEWTON_MAX_FEATURES", 0)
    built = []
    original = cd_module._Columns

    def counting(X):
        built.append(X.format)
        return original(X)
    monkeypatch.setattr(cd_module, "_Columns", counting)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # counted here: the conversions
        est = HingeSVM(C=0.5, penalty="l1", solver="cd", tol=1e-5, max_iter=50).fit(X, y)
    assert est.n_iter_ > 50 and built == ["csr"]  # several stages, one conversion


def test_max_iter_reached_warns_and_reports_unconverged():
    X, y = _breast_cancer()
    with pytest.warns(ConvergenceWarning, match="cd"):
        est = SquaredHingeSVM(C=1.0, penalty="l1", solver="cd", tol=1e-12, max_iter=2).fit(X, y)
    assert not est.converged_


# ---------------------------------------------------------------------- the idiom it serves
def test_select_from_model_in_a_grid_searched_pipeline():
    X, y = _sparse_synthetic(n=400, d=150, density=0.1, seed=3)
    pipe = make_pipeline(
        SelectFromModel(SquaredHingeSVM(penalty="l1", C=0.5)),
        SquaredHingeSVM())
    search = GridSearchCV(pipe, {"selectfrommodel__estimator__C": [0.05, 0.5, 5.0]}, cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        search.fit(X, y)
    best = search.best_estimator_
    selector = best.named_steps["selectfrommodel"]
    support = selector.get_support()
    # SelectFromModel keeps |coef| > 1e-5 for L1 models: with exact zeros that is coef != 0
    np.testing.assert_array_equal(support, selector.estimator_.coef_.ravel() != 0)
    assert 0 < support.sum() < X.shape[1]
    assert best.score(X, y) > 0.8
    assert set(search.cv_results_["param_selectfrommodel__estimator__C"]) == {0.05, 0.5, 5.0}
