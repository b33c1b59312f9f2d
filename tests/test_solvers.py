"""Solvers against reference optima, against each other, and against optimality certificates.

Every objective value compared here is computed by :func:`primal_objective`, written in numpy in
this file from docs/user_guide/objective.rst (and docs/user_guide/losses.rst, 'Multiclass losses',
for the multiclass losses), and evaluated on the
fitted ``coef_`` / ``intercept_``: the comparisons do not trust the package's own ``objective_``,
which is checked against it separately.

References:

- liblinear through ``LinearSVC`` with ``fit_intercept=False``, where it minimises exactly our
  objective (same ``C`` scale, no intercept to penalise);
- with an intercept, a generic constrained solver (scipy SLSQP) on the epigraph form of the
  problem, on small data sets;
- the KKT conditions of the binary hinge, checked by solving for the dual variables.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import lsq_linear, minimize as scipy_minimize
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, make_classification
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils import compute_class_weight

from hingeclf import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM
from hingeclf._losses import MULTICLASS_STRUCTURES
from _pairs import config_solver_pairs, supports
from hingeclf._solvers import SOLVERS

FULL_BATCH = [name for name, spec in SOLVERS.items()
              if not spec.stochastic and "l2" in spec.penalties]
STOCHASTIC = [name for name, spec in SOLVERS.items()
              if spec.stochastic and "l2" in spec.penalties]

# (estimator class, extra parameters): every loss x structure the package offers
CONFIGS = [(HingeSVM, {}), (SquaredHingeSVM, {})] + [
    (MulticlassHingeSVM, dict(multi_class=mc, loss=loss))
    for mc in MULTICLASS_STRUCTURES for loss in ("hinge", "squared_hinge")]


def _exact(solver):
    """Where a test asserts the exact optimum: every full-batch solver stops once its duality
    gap is below ``tol`` relative (and is exact where its face solve succeeds first), so it
    is given a tight ``tol``."""
    return {"tol": 1e-10}


def _config_id(config):
    cls, kw = config
    return "-".join([cls.__name__, *kw.values()])


# ----------------------------------------------------------------------------- the objective
def _power(est):
    if isinstance(est, MulticlassHingeSVM):
        return {"hinge": 1, "squared_hinge": 2}[est.loss]
    return 2 if isinstance(est, SquaredHingeSVM) else 1


def _structure(est, n_classes):
    if isinstance(est, MulticlassHingeSVM):
        return est.multi_class
    return "binary" if n_classes == 2 else "ovr"


def _to_dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X)


def primal_objective(est, X, y, sample_weight=None, coef=None, intercept=None):
    """``1/2 ||W||_F^2 + C sum_i s_i cw[y_i] loss_i(W x_i + b)`` (docs/user_guide/objective.rst;
    docs/user_guide/losses.rst, 'Multiclass losses').

    Evaluated in float64 at ``est.coef_`` / ``est.intercept_`` (or the ``coef`` and ``intercept``
    given). The intercept is not penalised. For ``MulticlassHingeSVM`` on two classes ``coef_``
    is the difference ``w_1 - w_0`` of the two score functions; the objective is then evaluated
    at the symmetric pair ``W = [-coef_/2, coef_/2]``, ``b = [-intercept_/2, intercept_/2]``,
    which is where the optimum lies (the losses depend on ``W`` only through differences, or, for
    one-vs-rest, are mirror images; the penalty is smallest at the symmetric split), so this is the
    optimal value only at an optimum.
    """
    X = _to_dense(X).astype(np.float64)
    y = np.asarray(y)
    classes = est.classes_
    y_index = np.searchsorted(classes, y)
    assert np.array_equal(classes[y_index], y)
    n_classes = len(classes)
    W = np.asarray(est.coef_ if coef is None else coef, dtype=np.float64)
    b = np.asarray(est.intercept_ if intercept is None else intercept, dtype=np.float64)
    power = _power(est)
    structure = _structure(est, n_classes)
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    cw = compute_class_weight(est.class_weight, classes=classes, y=y)[y_index]
    cost = est.C * s * cw

    if structure == "binary":
        assert W.shape == (1, X.shape[1])
        t = np.where(y_index == 1, 1.0, -1.0)
        z = t * (X @ W[0] + b[0])
        loss = np.maximum(0.0, 1.0 - z) ** power
        return 0.5 * float(W.ravel() @ W.ravel()) + float(cost @ loss)

    if n_classes == 2:  # MulticlassHingeSVM reports the difference of its two score functions
        assert W.shape == (1, X.shape[1])
        W = np.vstack([-W / 2, W / 2])
        b = np.array([-b[0] / 2, b[0] / 2])
    assert W.shape == (n_classes, X.shape[1])
    scores = X @ W.T + b
    rows = np.arange(len(y))
    f_y = scores[rows, y_index][:, None]
    if structure == "ovr":
        t = np.where(np.arange(n_classes)[None, :] == y_index[:, None], 1.0, -1.0)
        loss = (np.maximum(0.0, 1.0 - t * scores) ** power).sum(axis=1)
    else:
        viol = 1.0 + scores - f_y
        viol[rows, y_index] = -np.inf  # j == y is not a violation
        if structure == "crammer_singer":
            loss = np.maximum(0.0, viol.max(axis=1)) ** power
        elif structure == "weston_watkins":
            loss = (np.maximum(0.0, viol) ** power).sum(axis=1)
        else:  # pragma: no cover
            raise AssertionError(structure)
    return 0.5 * float(np.sum(W * W)) + float(cost @ loss)


def rel_diff(a, ref):
    return (a - ref) / abs(ref)


def check_objective_attribute(est, X, y, sample_weight=None, rtol=1e-8):
    """``objective_`` is the value of the objective at the reported coefficients."""
    mine = primal_objective(est, X, y, sample_weight)
    assert abs(est.objective_ - mine) <= rtol * abs(mine), (est.objective_, mine)
    return mine


def check_certificate(est):
    """A reported duality gap is non-negative and, for a converged fit, certifies the objective
    to ``tol`` relative (the rule of the gap-certified solvers; exact face solves report
    rounding-level gaps)."""
    gap = est.duality_gap_
    if gap is not None:
        assert np.isfinite(gap)
        assert gap >= 0.0
        if est.converged_:
            assert gap <= max(est.tol, 1e-6) * est.objective_, (gap, est.objective_)


# ----------------------------------------------------------------------------- data
def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def sparse_synthetic():
    """300 x 200 CSR, density about 0.05, labels from a sparse linear rule plus noise."""
    rng = np.random.RandomState(0)
    X = sp.random(300, 200, density=0.05, format="csr", random_state=rng,
                  data_rvs=rng.standard_normal)
    w = rng.standard_normal(200)
    y = (X @ w + 0.3 * rng.standard_normal(300) > 0).astype(int)
    assert 0.3 < y.mean() < 0.7
    return X, y


def iris_standardised():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def binary_synthetic():
    X, y = make_classification(n_samples=200, n_features=10, random_state=0)
    return X, y


NO_INTERCEPT_DATA = {"breast_cancer": breast_cancer, "sparse": sparse_synthetic}
SMALL_DATA = {"iris": iris_standardised, "binary200x10": binary_synthetic}


def _fit_quiet(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # liblinear's own ConvergenceWarnings
        return est.fit(X, y, **kw)


# ----------------------------------------------------------------------------- liblinear references
@pytest.mark.parametrize("C", [0.1, 1.0])
@pytest.mark.parametrize("solver", FULL_BATCH)
@pytest.mark.parametrize("data", NO_INTERCEPT_DATA)
def test_squared_hinge_reaches_liblinear_primal_optimum(data, solver, C):
    X, y = NO_INTERCEPT_DATA[data]()
    ref = LinearSVC(C=C, loss="squared_hinge", dual=False, tol=1e-10, max_iter=10**5,
                    fit_intercept=False)
    _fit_quiet(ref, X, y)
    est = SquaredHingeSVM(C=C, solver=solver, fit_intercept=False, max_iter=10000,
                          **_exact(solver)).fit(X, y)
    p_ref = primal_objective(est, X, y, coef=ref.coef_, intercept=[0.0])
    p_est = check_objective_attribute(est, X, y)
    assert rel_diff(p_est, p_ref) <= 1e-6  # ours may be lower
    assert est.converged_
    assert np.all(est.intercept_ == 0)
    check_certificate(est)


@pytest.mark.parametrize("C", [0.1, 1.0])
@pytest.mark.parametrize("solver", FULL_BATCH)
@pytest.mark.parametrize("data", NO_INTERCEPT_DATA)
def test_hinge_reaches_liblinear_dual_optimum(data, solver, C):
    X, y = NO_INTERCEPT_DATA[data]()
    ref = LinearSVC(C=C, loss="hinge", dual=True, tol=1e-10, max_iter=10**6,
                    fit_intercept=False)
    _fit_quiet(ref, X, y)
    est = HingeSVM(C=C, solver=solver, fit_intercept=False, max_iter=10000).fit(X, y)
    p_ref = primal_objective(est, X, y, coef=ref.coef_, intercept=[0.0])
    p_est = check_objective_attribute(est, X, y)
    assert rel_diff(p_est, p_ref) <= 1e-4
    assert est.converged_
    check_certificate(est)


@pytest.mark.parametrize("solver", FULL_BATCH)
def test_crammer_singer_reaches_liblinear_optimum(solver):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    ref = LinearSVC(C=1.0, multi_class="crammer_singer", tol=1e-10, max_iter=10**5,
                    fit_intercept=False)
    _fit_quiet(ref, X, y)
    est = MulticlassHingeSVM(C=1.0, multi_class="crammer_singer", solver=solver,
                             fit_intercept=False, max_iter=10000, **_exact(solver)).fit(X, y)
    assert est.coef_.shape == ref.coef_.shape == (10, 64)
    # the Crammer-Singer objective 1/2 ||W||_F^2 + C sum_i max(0, 1 + max_{j != y} f_j - f_y)
    p_ref = primal_objective(est, X, y, coef=ref.coef_, intercept=np.zeros(10))
    p_est = check_objective_attribute(est, X, y)
    assert rel_diff(p_est, p_ref) <= 1e-4
    check_certificate(est)


# ----------------------------------------------------------------------------- agreement
@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
@pytest.mark.parametrize("data", SMALL_DATA)
def test_full_batch_solvers_agree(data, config):
    """Every full-batch solver reaches the same optimum (with an intercept)."""
    X, y = SMALL_DATA[data]()
    cls, kw = config
    fits = {s: cls(C=1.0, solver=s, **kw, **_exact(s)).fit(X, y) for s in FULL_BATCH
            if supports(cls(**kw), s)}
    values = {}
    for s, est in fits.items():
        assert est.solver_ == s
        assert est.converged_
        # with two classes MulticlassHingeSVM's objective is recomputed from a symmetric split
        # (see primal_objective), valid at the optimum only: a looser tolerance there
        two_class_multiclass = isinstance(est, MulticlassHingeSVM) and len(est.classes_) == 2
        values[s] = check_objective_attribute(est, X, y,
                                              rtol=1e-6 if two_class_multiclass else 1e-8)
        check_certificate(est)
    best = min(values.values())
    for s, value in values.items():
        assert rel_diff(value, best) <= 1e-6, (s, values)

    decisions = {s: est.decision_function(X) for s, est in fits.items()}
    first = decisions[next(iter(decisions))]
    scale = np.abs(first).max()
    for s, dec in decisions.items():
        if dec.ndim == 2 and kw.get("multi_class") in ("crammer_singer", "weston_watkins"):
            # these losses ignore a common shift of the intercepts: compare centred scores
            dec = dec - dec.mean(axis=1, keepdims=True)
            ref = first - first.mean(axis=1, keepdims=True)
        else:
            ref = first
        np.testing.assert_allclose(dec, ref, rtol=0, atol=1e-5 * scale, err_msg=s)
        np.testing.assert_array_equal(fits[s].predict(X), fits[FULL_BATCH[0]].predict(X))


@pytest.mark.parametrize("config, solver", config_solver_pairs(CONFIGS, STOCHASTIC, _config_id))
@pytest.mark.parametrize("data", SMALL_DATA)
def test_stochastic_solver_close_to_full_batch(data, config, solver):
    """The stochastic solver's stated tolerance: within 5% of the best objective.

    On a well-conditioned problem: standardised features and C=0.1 (the objective's condition
    number grows like C * n * ||x||^2).
    """
    X, y = SMALL_DATA[data]()
    X = StandardScaler().fit_transform(X)
    cls, kw = config
    best = min(primal_objective(est, X, y) for est in
               (cls(C=0.1, solver=s, **kw).fit(X, y) for s in FULL_BATCH
                if supports(cls(**kw), s)))
    est = cls(C=0.1, solver=solver, random_state=0, **kw).fit(X, y)
    two_class_multiclass = isinstance(est, MulticlassHingeSVM) and len(est.classes_) == 2
    if two_class_multiclass:
        # the symmetric-split evaluation (primal_objective) is exact for sgd too: it starts from
        # zero and its updates of the two score functions are mirror images
        value = check_objective_attribute(est, X, y, rtol=1e-6)
    else:
        value = check_objective_attribute(est, X, y)
    assert value >= best * (1 - 1e-6)
    assert rel_diff(value, best) <= 0.05  # sgd's stated tolerance: 5% of the optimum


# ----------------------------------------------------------------------------- generic QP reference
def _epigraph_reference(est, X, y, sample_weight=None):
    """Minimise the estimator's objective with an intercept by SLSQP on its epigraph form.

    Variables ``theta = (W, b)`` and one slack ``xi_t >= 0`` per loss term; each piece of a term
    is affine in ``theta`` and bounded by its slack: ``xi_t >= 1 + a_p . theta``. Objective
    ``1/2 ||W||^2 + sum_t cost_t xi_t^power``. Returns the optimal value.
    """
    X = _to_dense(X).astype(np.float64)
    n, d = X.shape
    classes = np.unique(y)
    y_index = np.searchsorted(classes, y)
    K = len(classes)
    power = _power(est)
    structure = _structure(est, K)
    n_out = 1 if structure == "binary" else K
    n_theta = n_out * (d + 1)
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    cost = est.C * s * compute_class_weight(est.class_weight, classes=classes, y=y)[y_index]
    Xb = np.hstack([X, np.ones((n, 1))])

    def score_row(i, k):  # the coefficients of f_k(x_i) in theta
        a = np.zeros(n_theta)
        a[k * (d + 1):(k + 1) * (d + 1)] = Xb[i]
        return a

    pieces, term_of_piece, term_cost = [], [], []
    for i in range(n):
        if structure == "binary":
            t = 1.0 if y_index[i] == 1 else -1.0
            pieces.append(-t * score_row(i, 0))
            term_of_piece.append(len(term_cost))
            term_cost.append(cost[i])
        elif structure == "ovr":
            for k in range(K):
                t = 1.0 if y_index[i] == k else -1.0
                pieces.append(-t * score_row(i, k))
                term_of_piece.append(len(term_cost))
                term_cost.append(cost[i])
        else:
            term = len(term_cost)
            for k in range(K):
                if k == y_index[i]:
                    continue
                pieces.append(score_row(i, k) - score_row(i, y_index[i]))
                if structure == "weston_watkins":
                    term = len(term_cost)
                    term_cost.append(cost[i])
                term_of_piece.append(term)
            if structure == "crammer_singer":
                term_cost.append(cost[i])
    A = np.array(pieces)
    n_terms = len(term_cost)
    term_cost = np.array(term_cost)
    S = np.zeros((len(pieces), n_terms))
    S[np.arange(len(pieces)), term_of_piece] = 1.0
    penalised = np.zeros(n_theta + n_terms)
    for k in range(n_out):
        penalised[k * (d + 1):k * (d + 1) + d] = 1.0

    def fun(v):
        xi = v[n_theta:]
        f = 0.5 * np.sum(penalised * v * v) + term_cost @ xi ** power
        g = penalised * v
        g[n_theta:] = term_cost * power * xi ** (power - 1)
        return f, g

    # xi_t - 1 - a_p . theta >= 0
    jac = np.hstack([-A, S])
    cons = [{"type": "ineq", "fun": lambda v: v[n_theta:] @ S.T - 1.0 - A @ v[:n_theta],
             "jac": lambda v: jac}]
    v0 = np.concatenate([np.zeros(n_theta), np.full(n_terms, 1.0)])
    bounds = [(None, None)] * n_theta + [(0.0, None)] * n_terms
    res = scipy_minimize(fun, v0, jac=True, method="SLSQP", bounds=bounds, constraints=cons,
                         options=dict(maxiter=2000, ftol=1e-12))
    # status 8 ("positive directional derivative in line search") is SLSQP stopping at the
    # precision limit; the point is used all the same, re-evaluated below, and the test compares
    # both ways (a reference stopped early would show up as ours being lower)
    assert res.success or res.status == 8, res.message
    theta = res.x[:n_theta]
    # re-evaluate the true objective at the reference's (W, b): slacks may be slightly off
    W = theta.reshape(n_out, d + 1)
    if structure == "binary":
        return primal_objective(est, X, y, sample_weight, coef=W[:, :d], intercept=W[:, d])
    raw = Xb @ W.T
    value = _multiclass_value(est, structure, power, raw, y_index, cost) + \
        0.5 * float(np.sum(W[:, :d] ** 2))
    return value


def _multiclass_value(est, structure, power, scores, y_index, cost):
    rows = np.arange(len(y_index))
    if structure == "ovr":
        t = np.where(np.arange(scores.shape[1])[None, :] == y_index[:, None], 1.0, -1.0)
        loss = (np.maximum(0.0, 1.0 - t * scores) ** power).sum(axis=1)
    else:
        viol = 1.0 + scores - scores[rows, y_index][:, None]
        viol[rows, y_index] = -np.inf
        if structure == "crammer_singer":
            loss = np.maximum(0.0, viol.max(axis=1)) ** power
        else:
            loss = (np.maximum(0.0, viol) ** power).sum(axis=1)
    return float(cost @ loss)


def _small_iris():
    X, y = iris_standardised()
    rows = np.r_[0:50:3, 50:100:3, 100:150:3]  # 51 samples, 17 per class
    return X[rows], y[rows]


def _small_binary():
    X, y = make_classification(n_samples=60, n_features=5, n_informative=3, flip_y=0.1,
                               random_state=1)
    return X, y


def _far_from_origin():
    # separable, far from the origin: an unpenalised intercept must reach b of about -200
    X = np.array([[100.0], [101.0], [102.0], [103.0]])
    return X, np.array([0, 0, 1, 1])


QP_DATA = {"iris51": _small_iris, "binary60x5": _small_binary, "far4": _far_from_origin}


@pytest.mark.parametrize("config, solver", config_solver_pairs(CONFIGS, FULL_BATCH, _config_id))
@pytest.mark.parametrize("data", QP_DATA)
def test_reaches_generic_qp_optimum_with_intercept(data, config, solver):
    """With an intercept, the optimum matches a generic constrained solver's (SLSQP)."""
    X, y = QP_DATA[data]()
    cls, kw = config
    C = 10.0 if data == "far4" else 1.0
    est = cls(C=C, solver=solver, max_iter=10000, **kw, **_exact(solver)).fit(X, y)
    ref = _epigraph_reference(est, X, y)
    two_class_multiclass = isinstance(est, MulticlassHingeSVM) and len(est.classes_) == 2
    value = check_objective_attribute(est, X, y, rtol=1e-6 if two_class_multiclass else 1e-8)
    assert value >= ref * (1 - 1e-6) - 1e-9
    assert rel_diff(value, ref) <= 1e-6, (value, ref, est.duality_gap_)
    check_certificate(est)


# ----------------------------------------------------------------------------- KKT
def check_binary_hinge_kkt(est, X, y, sample_weight=None, band=1e-6, atol=1e-6):
    """KKT conditions of the binary hinge with an unpenalised intercept.

    With margins ``z_i = y_i f_i`` and upper bounds ``U_i = C s_i cw[y_i]``, the optimum has dual
    variables ``alpha`` with ``alpha_i = U_i`` where ``z_i < 1``, ``alpha_i = 0`` where ``z_i > 1``,
    ``alpha_i in [0, U_i]`` on the margin, such that ``w = sum_i alpha_i y_i x_i`` and
    ``sum_i alpha_i y_i = 0``. The margin samples' ``alpha`` are found by bounded least squares.
    """
    X = _to_dense(X).astype(np.float64)
    classes = est.classes_
    y_index = np.searchsorted(classes, y)
    t = np.where(y_index == 1, 1.0, -1.0)
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    U = est.C * s * compute_class_weight(est.class_weight, classes=classes, y=y)[y_index]
    w = est.coef_[0].astype(np.float64)
    b = float(est.intercept_[0])
    z = t * (X @ w + b)
    low, high = z < 1 - band, z > 1 + band
    margin = ~low & ~high
    # [X^T diag(t); t^T] alpha = [w; 0], with alpha fixed to U on `low` and to 0 on `high`
    A = np.vstack([X.T * t, t])
    target = np.concatenate([w, [0.0]]) - A[:, low] @ U[low]
    if margin.any():
        sol = lsq_linear(A[:, margin], target, bounds=(np.zeros(margin.sum()), U[margin]),
                         method="bvls", tol=1e-14)
        residual = A[:, margin] @ sol.x - target
    else:
        residual = target
    scale = 1.0 + np.abs(w).max() + np.abs(A[:, low] @ U[low]).max(initial=0.0)
    assert np.abs(residual).max() <= atol * scale, (np.abs(residual).max(), margin.sum())
    return margin.sum()


KKT_DATA = {"breast_cancer": breast_cancer, "binary200x10": binary_synthetic,
            "binary60x5": _small_binary}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("solver", FULL_BATCH)
@pytest.mark.parametrize("data", KKT_DATA)
def test_binary_hinge_kkt(data, solver, weighted):
    X, y = KKT_DATA[data]()
    sample_weight = np.random.RandomState(0).uniform(0.2, 3.0, len(y)) if weighted else None
    est = HingeSVM(C=0.5, solver=solver, max_iter=10000,
                   class_weight={0: 1.0, 1: 2.0} if weighted else None, **_exact(solver))
    est.fit(X, y, sample_weight=sample_weight)
    n_margin = check_binary_hinge_kkt(est, X, y, sample_weight)
    assert n_margin >= 1  # with an intercept some sample sits on the margin
    check_objective_attribute(est, X, y, sample_weight)
    check_certificate(est)


def test_kkt_check_rejects_a_suboptimal_point():
    """The KKT check above is not vacuous: it fails at a perturbed solution."""
    X, y = binary_synthetic()
    est = HingeSVM(C=0.5, solver=FULL_BATCH[0]).fit(X, y)
    est.coef_ = est.coef_ * 1.05
    with pytest.raises(AssertionError):
        check_binary_hinge_kkt(est, X, y)


def test_primal_objective_helper_matches_hand_computation():
    """The test's own objective on a two-sample example worked by hand."""
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    y = np.array([0, 1])
    est = HingeSVM(C=2.0)
    est.classes_ = np.array([0, 1])
    # f = [0.5, 1.5]: z = [-0.5, 1.5]; hinge losses [1.5, 0]; 1/2 ||w||^2 = 1/2 (0.25 + 0.25)
    value = primal_objective(est, X, y, coef=np.array([[0.5, 0.5]]), intercept=np.array([0.0]))
    assert value == pytest.approx(0.25 + 2.0 * 1.5)
    est = MulticlassHingeSVM(C=1.0, multi_class="weston_watkins")
    est.classes_ = np.array([0, 1, 2])
    W = np.eye(3)[:, :2]  # f(x_0) = [1, 0, 0], f(x_1) = [0, 2, 0]
    # x_0 (y=0): max(0, 1+0-1) + max(0, 1+0-1) = 0; x_1 (y=1): max(0, 1+0-2) * 2 = 0
    assert primal_objective(est, X, y, coef=W, intercept=np.zeros(3)) == pytest.approx(1.0)
    est.multi_class = "crammer_singer"
    # y = [1, 0]: x_0 (f = [1, 0, 0]): 1 + max(1, 0) - 0 = 2; x_1 (f = [0, 2, 0]): 1 + 2 - 0 = 3
    y2 = np.array([1, 0])
    assert primal_objective(est, X, y2, coef=W, intercept=np.zeros(3)) == pytest.approx(1 + 5)


@pytest.mark.parametrize("solver", FULL_BATCH)
def test_default_tol_gives_objective_accuracy_near_tol(solver):
    """A converged fit is within a small multiple of ``tol`` (relative) of the optimum.

    Data away from the origin (features shifted by 20) with a small C: the hinge optimum is
    not certified by a face solve here, so the continuation's own stopping rule decides.
    """
    X, y = _small_binary()
    X = X + 20.0
    tol = 1e-4
    est = HingeSVM(C=0.2, solver=solver, tol=tol, max_iter=10000).fit(X, y)
    assert est.converged_
    ref = _epigraph_reference(est, X, y)
    value = check_objective_attribute(est, X, y)
    assert rel_diff(value, ref) <= 10 * tol, (value, ref, est.duality_gap_)


# ----------------------------------------------------------------------------- newton's two direction solvers
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("make", [
    lambda: (SquaredHingeSVM, breast_cancer()), lambda: (HingeSVM, breast_cancer()),
    lambda: (SquaredHingeSVM, iris_standardised()), lambda: (HingeSVM, sparse_synthetic()),
    lambda: (MulticlassHingeSVM, iris_standardised())],
    ids=["squared-breast_cancer", "hinge-breast_cancer", "squared-ovr-iris", "hinge-sparse",
         "crammer_singer-iris"])
def test_newton_explicit_and_cg_directions_reach_the_same_optimum(make, fit_intercept,
                                                                   monkeypatch):
    """Newton solves its direction from the explicit Hessian blocks for few parameters (and
    the separable losses) and by conjugate gradients otherwise: both routes, forced in turn,
    end at the same certified optimum."""
    import hingeclf._solvers.newton as newton_module

    cls, (X, y) = make()
    fits = {}
    for route, limit in [("explicit", 10**6), ("cg", 0)]:
        monkeypatch.setattr(newton_module, "EXPLICIT_MAX_PARAMS", limit)
        fits[route] = cls(solver="newton", fit_intercept=fit_intercept, tol=1e-8,
                          max_iter=10000).fit(X, y)
        assert fits[route].converged_, route
    ref = fits["cg"].objective_
    assert rel_diff(fits["explicit"].objective_, ref) <= 1e-7
    assert rel_diff(ref, fits["explicit"].objective_) <= 1e-7
