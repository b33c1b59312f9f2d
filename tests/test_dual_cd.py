"""Dual coordinate descent and the duality-gap certificates.

The certificate is tested for what it claims: ``P(coef) - P* <= gap`` against a reference optimum
from another solver at a tight tolerance, on every loss ``dual_cd`` handles, with and without
intercept, dense and CSR, float32 and float64.
"""

import functools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from hingeclf import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM
from hingeclf._losses import HingeFamilyLoss
from hingeclf._objective import LinearObjective
from hingeclf._solvers import minimize
from hingeclf._certificate import (certified_gap, circulation_scale, dual_bound,
                                           dual_weights, smoothed_weight_square)
from hingeclf._solvers._face import polish_on_face
from hingeclf._solvers.dual_cd import DualState, _crammer_singer_feasible, best_intercept

CONFIGS = [(HingeSVM, {}), (SquaredHingeSVM, {}),
           (MulticlassHingeSVM, dict(multi_class="ovr")),
           (MulticlassHingeSVM, dict(multi_class="ovr", loss="squared_hinge")),
           (MulticlassHingeSVM, dict(multi_class="crammer_singer"))]


def _data(config):
    cls, _ = config
    if cls is MulticlassHingeSVM:
        X, y = load_iris(return_X_y=True)
    else:
        X, y = make_classification(n_samples=150, n_features=8, n_informative=5,
                                   random_state=1)
    return StandardScaler().fit_transform(X) + 2.0, y  # off-centre: the intercept matters


def _reference(cls, kw, X, y, fit_intercept):
    return cls(solver="newton", tol=1e-10, max_iter=5000, fit_intercept=fit_intercept,
               **kw).fit(X, y).objective_


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c[0].__name__}-{'-'.join(c[1].values())}")
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("layout", ["dense", "csr", "float32"])
def test_gap_bounds_the_suboptimality(config, fit_intercept, layout):
    cls, kw = config
    X, y = _data(config)
    p_star = _reference(cls, kw, X, y, fit_intercept)
    if layout == "csr":
        X = sp.csr_matrix(X)
    elif layout == "float32":
        X = X.astype(np.float32)
    for tol in (1e-2, 1e-6):
        est = cls(solver="dual_cd", tol=tol, max_iter=10**5, fit_intercept=fit_intercept,
                  random_state=0, **kw).fit(X, y)
        assert est.converged_
        assert est.duality_gap_ >= 0
        assert est.duality_gap_ <= tol * est.objective_ * (1 + 1e-12)
        rounding = 1e-5 if layout == "float32" else 1e-10
        assert est.objective_ - p_star <= est.duality_gap_ + rounding * p_star


def test_crammer_singer_matches_liblinear_objective_on_iris():
    from sklearn.svm import LinearSVC

    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ref = LinearSVC(C=1.0, multi_class="crammer_singer", fit_intercept=False, tol=1e-10,
                    max_iter=10**6).fit(X, y)
    est = MulticlassHingeSVM(solver="dual_cd", fit_intercept=False, tol=1e-8,
                             max_iter=10**5).fit(X, y)
    W = ref.coef_
    F = X @ W.T
    V = 1.0 + F - F[np.arange(len(y)), y][:, None]
    V[np.arange(len(y)), y] = 0.0
    p_ref = 0.5 * np.sum(W * W) + np.sum(np.maximum(V.max(axis=1), 0.0))
    assert est.objective_ <= p_ref * (1 + 1e-6)
    assert est.objective_ >= p_ref * (1 - 1e-6)


def _many_classes(n_classes, per_class, d, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_classes * per_class, d)), np.repeat(np.arange(n_classes), per_class)


def _digits_slice():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:360], y[:360]  # raw pixels (0-16), 10 classes


@functools.lru_cache(maxsize=None)
def _newton_reference(data, fit_intercept):
    """Newton's objective on ``data`` (computed once: it takes most of these tests' time)."""
    X, y = _digits_slice() if data == "digits" else _many_classes(30, 4, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # (its smoothing stalls near 1e-10)
        return MulticlassHingeSVM(solver="newton", tol=1e-10, max_iter=5000,
                                  fit_intercept=fit_intercept).fit(X, y).objective_


# (raw digits with intercepts: the Newton reference takes minutes on a loaded machine)
@pytest.mark.parametrize("data, fit_intercept", [
    pytest.param("digits", True, marks=pytest.mark.slow), ("digits", False),
    ("many classes", True), ("many classes", False)])
@pytest.mark.parametrize("layout", ["dense", "csr"])
def test_crammer_singer_shrinking_reaches_the_reference_optimum(data, fit_intercept, layout):
    """Per-pair shrinking and the pass budget: on raw digits pixels and on 30 classes of 4
    samples, the fit converges, its certified gap bounds the distance to Newton's optimum and
    it is there. (Many classes with intercepts: the dual point balances the classes only up
    to the multipliers' convergence; the certificate keeps nearly all of its flows.)"""
    X, y = _digits_slice() if data == "digits" else _many_classes(30, 4, 5)
    p_star = _newton_reference(data, fit_intercept)
    Xf = sp.csr_matrix(X) if layout == "csr" else X
    est = MulticlassHingeSVM(solver="dual_cd", tol=1e-6, max_iter=5000,
                             fit_intercept=fit_intercept).fit(Xf, y)
    assert est.solver_ == "dual_cd" and est.converged_
    assert est.duality_gap_ >= -1e-12 * est.objective_
    assert est.objective_ - p_star <= est.duality_gap_ + 1e-10 * p_star
    assert est.objective_ <= p_star * (1 + 1e-6)


def test_crammer_singer_pass_budget_bounds_an_unconverged_fit():
    """``max_iter`` bounds the passes (``n_iter_``), and the gap of the stopped fit still bounds
    its distance to the optimum."""
    X, y = _many_classes(30, 4, 5)
    p_star = _newton_reference("many classes", True)
    with pytest.warns(ConvergenceWarning):
        est = MulticlassHingeSVM(solver="dual_cd", tol=1e-12, max_iter=3).fit(X, y)
    assert not est.converged_ and est.n_iter_ <= 4
    assert est.objective_ - p_star <= est.duality_gap_ + 1e-10 * p_star


@pytest.mark.parametrize("power", [1, 2])
def test_best_intercept_is_the_exact_minimiser(power):
    rng = np.random.RandomState(0)
    for _ in range(20):
        n = rng.randint(2, 40)
        r = rng.normal(size=n)
        y = np.where(rng.rand(n) < 0.5, 1.0, -1.0)
        y[0], y[1] = 1.0, -1.0
        c = rng.uniform(0.1, 2.0, size=n)
        c[rng.rand(n) < 0.2] = 0.0
        c[0] = c[1] = 1.0

        def f(b):
            u = np.maximum(1.0 - y * (r + b), 0.0)
            return float(np.dot(c, u ** power))
        b = best_intercept(r, y, c, power, 0.0, 0.0)
        grid = np.linspace(-6, 6, 4001)
        assert f(b) <= min(f(g) for g in grid) + 1e-12
        # no better point nearby either
        assert f(b) <= f(b + 1e-7) + 1e-12 and f(b) <= f(b - 1e-7) + 1e-12


def test_crammer_singer_feasible_point_meets_the_intercept_constraints():
    rng = np.random.RandomState(0)
    n, K = 60, 4
    y = rng.randint(K, size=n)
    c = rng.uniform(0.5, 2.0, size=n)
    # a dual point in the box: alpha_iy in [0, c_i], the others <= 0, each row summing to 0
    alpha = np.zeros((n, K))
    for i in range(n):
        share = rng.dirichlet(np.ones(K - 1)) * rng.uniform(0, c[i])
        others = [k for k in range(K) if k != y[i]]
        alpha[i, others] = -share
        alpha[i, y[i]] = share.sum()
    feasible = _crammer_singer_feasible(alpha, y, K)
    np.testing.assert_allclose(feasible.sum(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(feasible.sum(axis=1), 0.0, atol=1e-12)
    rows = np.arange(n)
    assert np.all(feasible[rows, y] >= -1e-12) and np.all(feasible[rows, y] <= c + 1e-12)
    off = np.ones((n, K), dtype=bool)
    off[rows, y] = False
    assert np.all(feasible[off] <= 1e-12)
    # scaling only shrinks: |feasible| <= |alpha| entrywise
    assert np.all(np.abs(feasible) <= np.abs(alpha) + 1e-12)


def test_circulation_scale_keeps_a_balanced_circulation():
    flows = np.array([[0.0, 2.0, 0.0], [0.0, 0.0, 3.0], [5.0, 0.0, 0.0]])
    scale = circulation_scale(flows)
    kept = flows * scale
    np.testing.assert_allclose(kept.sum(axis=0), kept.sum(axis=1), atol=1e-9)
    np.testing.assert_allclose(kept[0, 1], 2.0, atol=1e-9)  # the bottleneck is kept whole


def test_circulation_scale_keeps_nearly_all_of_a_near_circulation():
    """Flows that balance up to about 1e-6 of themselves (a dual point with intercepts, as the
    solver leaves it) keep every flow but a share of that order, tiny flows too, and balance to
    rounding (the linear program's vertex dropped whole flows: 0.3% of the total on 30
    classes of 4 samples)."""
    rng = np.random.default_rng(0)
    K = 30
    flows = np.zeros((K, K))
    for weight in 10.0 ** rng.uniform(-10, 0, size=400):  # a circulation: a sum of cycles
        nodes = rng.choice(K, size=rng.integers(2, 8), replace=False)
        flows[nodes, np.roll(nodes, -1)] += weight
    on = flows > 0
    noisy = np.where(on, flows * (1.0 + 1e-6 * rng.uniform(-1, 1, flows.shape)), 0.0)
    scale = circulation_scale(noisy)
    kept = noisy * scale
    assert np.abs(kept.sum(axis=0) - kept.sum(axis=1)).max() <= 1e-13 * flows.max()
    assert scale[on].min() >= 1.0 - 1e-4


@pytest.mark.parametrize("structure, power", [("binary", 2), ("ovr", 2),
                                              ("weston_watkins", 2), ("binary", 1)])
def test_certified_gap_is_valid_away_from_the_optimum(structure, power):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    if structure == "binary":
        y = (y == 2).astype(int)
    loss = HingeFamilyLoss(structure, power)
    target = loss.encode_target(y)
    n_out = 1 if structure == "binary" else 3
    obj = LinearObjective(loss, X, target, np.ones(len(y)), n_out, True)
    p_star = minimize(obj, "newton", obj.zeros(), tol=1e-10, max_iter=5000).objective
    rng = np.random.RandomState(0)
    for scale in (0.0, 0.1, 1.0):
        coef = rng.normal(size=obj.shape) * scale
        gap, primal = certified_gap(obj, coef)
        assert primal - p_star <= gap * (1 + 1e-9) + 1e-9


@pytest.mark.parametrize("structure", ["binary", "ovr", "weston_watkins", "crammer_singer"])
@pytest.mark.parametrize("gamma", [0.5, 1e-2])
def test_smoothed_certificate_splits_into_band_part_and_residual(structure, gamma):
    """The continuation's refinement rule rests on this identity (no intercept): at any
    ``coef``, the exact hinge's duality gap at the hinge weights ``mu`` smoothed by ``gamma``
    is ``(P - P_gamma - gamma/2 sum c ||mu||^2) + 1/2 ||grad P_gamma||^2``; the first part
    is what the gap would be at the smoothed optimum, the second the stage's residual."""
    obj = _iris_problem(structure, 1, False)
    smooth = obj.with_loss(obj.loss.smoothed(gamma))
    rng = np.random.default_rng(2)
    for scale in (0.0, 0.3, 3.0):
        coef = scale * rng.normal(size=obj.shape)
        mu = dual_weights(obj, coef, gamma)
        c = obj.weights
        W = -(c[:, None] * obj.loss.apply_AT(obj.y, mu)).T @ obj.X
        dual = float(np.sum(c * mu.sum(axis=1))) - 0.5 * float(np.sum(W * W))
        primal = obj.value(coef)
        smoothed_value, grad = smooth.value_gradient(coef)
        band = primal - smoothed_value - 0.5 * gamma * smoothed_weight_square(obj, coef, gamma)
        assert band >= -1e-9 * primal  # a sum of c gamma s (1 - s) over the band
        np.testing.assert_allclose(primal - dual, band + 0.5 * float(np.sum(grad * grad)),
                                   rtol=1e-9, atol=1e-9 * primal)


def _iris_problem(structure, power, fit_intercept):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    if structure == "binary":
        y = (y == 2).astype(int)
    loss = HingeFamilyLoss(structure, power)
    n_out = 1 if structure == "binary" else 3
    return LinearObjective(loss, X, loss.encode_target(y), np.linspace(0.5, 2.0, len(y)),
                           n_out, fit_intercept)


FACE_CASES = [(s, p, b) for s, p in [("binary", 1), ("ovr", 1), ("weston_watkins", 1),
                                      ("crammer_singer", 1), ("crammer_singer", 2)]
              for b in (False, True)]


@pytest.mark.parametrize("structure, power, fit_intercept", FACE_CASES)
def test_dual_bound_of_any_weights_is_below_the_optimum(structure, power, fit_intercept):
    """dual_bound brings any weights into the dual set (clipped, Crammer-Singer terms scaled to
    sum 1, intercept constraint met): weights far outside it still give a lower bound on P*."""
    obj = _iris_problem(structure, power, fit_intercept)
    p_star = minimize(obj, "newton", obj.zeros(), tol=1e-10, max_iter=5000).objective
    rng = np.random.RandomState(0)
    shape = (obj.n_samples, obj.n_out)
    bounds = [dual_bound(obj, scale * rng.normal(size=shape) + shift)
              for scale, shift in [(0.0, 0.5), (1.0, 0.0), (3.0, 1.0), (0.1, 0.2)]]
    assert max(bounds) <= p_star * (1 + 1e-9) + 1e-9
    assert max(bounds) > -np.inf


@pytest.mark.parametrize("structure, power, fit_intercept", FACE_CASES)
def test_face_solve_certificate_bounds_the_distance_to_the_optimum(structure, power,
                                                                   fit_intercept):
    """With ``certify``, polish_on_face returns a point whose gap to its candidates' best dual
    bound is within the tolerance, and that gap really bounds ``P - P*``; the point's reported
    value is its objective."""
    obj = _iris_problem(structure, power, fit_intercept)
    p_star = minimize(obj, "newton", obj.zeros(), tol=1e-10, max_iter=5000).objective
    smooth = obj.with_loss(obj.loss.smoothed(0.01))  # (a continuation stage's solution)
    rough = minimize(smooth, "newton", obj.zeros(), tol=1e-3, max_iter=500).coef
    hint = obj.loss.smoothed(0.01).term_weights(obj.loss.violations(obj.y, obj.raw(rough)))
    exact = polish_on_face(obj, rough, hint)
    found = polish_on_face(obj, rough, hint, certify=1e-2)
    assert found is not None  # (from there a face walk ends within 1%, at the least)
    coef, value, gap, verified = found
    assert value == pytest.approx(obj.value(coef), rel=1e-12)
    assert 0 <= gap <= 1e-2 * value
    assert value - p_star <= gap * (1 + 1e-9) + 1e-9
    if exact is not None:  # the certificate is not weaker than the exact verification
        assert value <= exact[1] * (1 + 1e-2)
    if verified:
        assert value == pytest.approx(p_star, rel=1e-6)


def test_lbfgs_default_tol_is_certified_on_unscaled_data():
    """The gradient rule alone stopped 38% above the optimum here; the gap check resumes."""
    X, y = load_breast_cancer(return_X_y=True)
    ref = SquaredHingeSVM(solver="newton", tol=1e-10).fit(X, y)
    for solver in ("lbfgs", "newton"):
        est = SquaredHingeSVM(solver=solver).fit(X, y)
        assert est.converged_
        assert est.duality_gap_ <= est.tol * est.objective_
        assert est.objective_ - ref.objective_ <= est.duality_gap_ + 1e-9 * ref.objective_


def test_auto_falls_back_to_newton_when_dual_cd_does_not_converge():
    X, y = load_breast_cancer(return_X_y=True)  # unscaled: dual CD stalls on the hinge
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = HingeSVM().fit(X, y)
    assert est.solver_ == "newton" and est.converged_
    direct = HingeSVM(solver="dual_cd", max_iter=50)
    with pytest.warns(ConvergenceWarning, match="dual_cd"):
        direct.fit(X, y)
    assert not direct.converged_


def test_same_seed_same_model_and_zero_weights_are_ignored():
    X, y = _data((HingeSVM, {}))
    a = HingeSVM(solver="dual_cd", random_state=3).fit(X, y)
    b = HingeSVM(solver="dual_cd", random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    w = np.ones(len(y))
    w[:10] = 0.0
    c = HingeSVM(solver="dual_cd", tol=1e-10, max_iter=10**5).fit(X, y, sample_weight=w)
    d = HingeSVM(solver="dual_cd", tol=1e-10, max_iter=10**5).fit(X[10:], y[10:])
    np.testing.assert_allclose(c.objective_, d.objective_, rtol=1e-8)


# ----------------------------------------------------------------------------- warm starts
WARM_PATH = np.logspace(-2, 1, 6)


def _warm_data(config):
    cls, kw = config
    if cls is MulticlassHingeSVM:
        X, y = load_iris(return_X_y=True)
    elif cls is SquaredHingeSVM:
        X, y = make_classification(n_samples=1000, n_features=20, n_informative=8,
                                   random_state=0)
    else:
        X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _config_id(config):
    return "-".join([config[0].__name__, *config[1].values()])


@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_warm_path_reaches_the_cold_optimum_in_fewer_epochs(config, fit_intercept):
    """Along a path of C (what RegularizationPathCV does per fold), each fit warm started from
    the previous dual point reaches the cold fit's optimum, and the path takes fewer epochs
    (the hinge's warm fits follow the solution path: their face solves count as epochs)."""
    cls, kw = config
    X, y = _warm_data(config)
    params = dict(solver="dual_cd", tol=1e-8, max_iter=10**5, fit_intercept=fit_intercept, **kw)
    warm = cls(warm_start=True, **params)
    n_warm = n_cold = 0
    for C in WARM_PATH:
        warm.set_params(C=C).fit(X, y)
        cold = cls(C=C, **params).fit(X, y)
        assert warm.converged_ and cold.converged_
        assert warm.objective_ == pytest.approx(cold.objective_, rel=1e-6)
        n_warm += warm.n_iter_
        n_cold += cold.n_iter_
    assert n_warm < n_cold, f"warm {n_warm} epochs, cold {n_cold}"


@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_dual_state_kept_only_for_warm_start_and_only_for_its_data(config):
    """The dual point is stored only with warm_start=True; a state from other data (same
    shape) or other sample weights still gives the cold fit's optimum."""
    cls, kw = config
    X, y = _data(config)
    params = dict(solver="dual_cd", tol=1e-10, max_iter=10**5, **kw)
    assert cls(**params).fit(X, y)._warm is None
    warm = cls(warm_start=True, **params).fit(X, y)
    assert isinstance(warm._warm.state, DualState)
    rng = np.random.default_rng(0)
    X2 = X + 0.3 * rng.standard_normal(X.shape)  # other data of the same shape
    sw = rng.uniform(0.2, 3.0, size=X.shape[0])
    for Xb, weight in ((X2, None), (X, sw)):
        warm.fit(Xb, y, sample_weight=weight)
        cold = cls(**params).fit(Xb, y, sample_weight=weight)
        assert warm.converged_
        assert warm.objective_ == pytest.approx(cold.objective_, rel=1e-6)


@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_refit_from_the_dual_state_stops_at_once(config):
    """At the same C, the stored dual point of a converged fit is certified (or its face
    solved) before any further epoch: a refit takes at most one epoch."""
    cls, kw = config
    X, y = _data(config)
    est = cls(solver="dual_cd", tol=1e-8, max_iter=10**5, warm_start=True, **kw).fit(X, y)
    first = est.objective_
    est.fit(X, y)
    assert est.n_iter_ == 1
    assert est.objective_ == pytest.approx(first, rel=1e-6)


def test_auto_rule_for_the_squared_hinge_dual_cd_on_sparse_data_newton_on_dense():
    """``auto`` takes dual_cd for the binary and one-vs-rest squared hinge on sparse input and
    Newton on dense input; both stop within tol of the optimum (certified by the gap)."""
    X, y = make_classification(n_samples=300, n_features=40, n_informative=10, random_state=0)
    X[np.abs(X) < 1.0] = 0.0  # about two thirds of the entries
    ref = SquaredHingeSVM(solver="newton", tol=1e-10).fit(X, y)
    sparse = SquaredHingeSVM().fit(sp.csr_matrix(X), y)
    dense = SquaredHingeSVM().fit(X, y)
    assert sparse.solver_ == "dual_cd" and dense.solver_ == "newton"
    for est in (sparse, dense):
        assert est.converged_
        # (both may be the exact optimum of a face solve: equal up to rounding)
        rounding = 1e-12 * ref.objective_
        assert -rounding <= est.objective_ - ref.objective_ <= est.tol * ref.objective_
    X3, y3 = make_classification(n_samples=300, n_features=40, n_informative=10, n_classes=3,
                                 random_state=1)
    X3[np.abs(X3) < 1.0] = 0.0
    ovr = MulticlassHingeSVM(loss="squared_hinge", multi_class="ovr").fit(sp.csr_matrix(X3), y3)
    assert ovr.solver_ == "dual_cd" and ovr.converged_


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("structure, power, gamma", [
    ("binary", 2, 0.0), ("ovr", 2, 0.0), ("binary", 1, 0.0), ("ovr", 1, 0.0),
    ("binary", 1, 0.05), ("ovr", 2, 0.2)])
def test_separable_dual_value_is_the_array_formulas_one(structure, power, gamma,
                                                        fit_intercept, dtype):
    """The one-pass dual value of the binary and one-vs-rest losses (used by certified_gap)
    is dual_value of the feasible dual point the array formulas build, for every smoothing of
    the hinge's weights, with costs of zero and unbalanced sides (the intercept's scaling)."""
    from hingeclf._certificate import (HINGE_GAMMAS, _feasible,
                                                _separable_dual_value, dual_value,
                                                dual_weights)
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(dtype)
    if structure == "binary":
        y = (y == 2).astype(int)
    loss = HingeFamilyLoss(structure, power, gamma)
    rng = np.random.RandomState(0)
    c = rng.uniform(0.0, 3.0, len(y)).astype(dtype)
    c[::9] = 0.0
    n_out = 1 if structure == "binary" else 3
    obj = LinearObjective(loss, X, loss.encode_target(y), c, n_out, fit_intercept)
    coef = (rng.normal(size=obj.shape) * 0.7).astype(dtype)
    raw = obj.raw(coef)
    for g in (HINGE_GAMMAS if power == 1 else (0.0,)):
        expected = dual_value(obj, _feasible(obj, dual_weights(obj, coef, g, raw)))
        rtol = 1e-10 if dtype == np.float64 else 1e-4
        assert _separable_dual_value(obj, g, raw) == pytest.approx(expected, rel=rtol, abs=1e-9)


def test_auto_fallback_redoes_only_the_unconverged_outputs():
    """One-vs-rest outputs are independent problems: where ``dual_cd`` (chosen by ``auto``)
    leaves some unconverged, Newton solves those outputs' own binary problems again, the
    others keep ``dual_cd``'s solutions, and the result is certified: each redone output at
    its binary Newton fit's objective, the sum of the outputs' objectives reported."""
    from sklearn.datasets import make_blobs
    from sklearn.exceptions import ConvergenceWarning

    X, y = make_blobs(120, 5, centers=30, random_state=2)
    with pytest.warns(ConvergenceWarning):
        alone = HingeSVM(solver="dual_cd").fit(X, y)
    auto = HingeSVM().fit(X, y)
    assert auto.solver_ == "dual_cd" and auto.converged_
    assert 0.0 <= auto.duality_gap_ <= auto.tol * auto.objective_
    y_index = np.searchsorted(auto.classes_, y)
    objective = auto._problem(X, y_index, auto._costs(X, y_index, None, None))
    parts = [objective.output_problem(k).value(
        np.append(auto.coef_[k], auto.intercept_[k])[None, :])
        for k in range(len(auto.classes_))]
    assert auto.objective_ == pytest.approx(sum(parts), rel=1e-12)
    redone = [k for k in range(len(auto.classes_))
              if not np.array_equal(auto.coef_[k], alone.coef_[k])]
    assert 0 < len(redone) < len(auto.classes_)
    for k in redone:
        binary = HingeSVM(solver="newton").fit(X, (y_index == k).astype(int))
        assert parts[k] == pytest.approx(binary.objective_, rel=auto.tol)
    assert auto.objective_ < alone.objective_


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_crammer_singer_subproblem_keeps_its_digits_at_a_large_cost(fit_intercept):
    """At ``C ||x||^2 >> 1`` (a large C, or X of a large scale) the per-sample subproblem keeps
    its precision: separable data at C = 1e20 give the hard-margin model, the one C = 1e4
    certifies (the stopped fit's objective is C times rounding, so it warns)."""
    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    X = 4.0 * np.eye(3)[y] + 0.5 * rng.standard_normal((60, 3))
    hard = MulticlassHingeSVM(solver="dual_cd", C=1e4, tol=1e-10,
                              fit_intercept=fit_intercept).fit(X, y)
    assert hard.converged_
    with pytest.warns(ConvergenceWarning):
        big = MulticlassHingeSVM(solver="dual_cd", C=1e20, max_iter=100,
                                 fit_intercept=fit_intercept).fit(X, y)
    np.testing.assert_allclose(big.coef_, hard.coef_, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(big.intercept_, hard.intercept_, rtol=1e-4, atol=1e-6)
