"""Tests of the linear-model objective (``hingeclf._objective.LinearObjective``).

Conventions checked (docs/user_guide/objective.rst, docs/user_guide/losses.rst and
docs/reliability.rst, 'How gradients are checked'): ``coef`` has shape
``(n_out, n_features + fit_intercept)`` with the intercept last and not penalised; the objective is
``1/2 ||W||_F^2 + sum_i c_i loss_i(X W^T + b)`` (a sum, not a mean); arrays that grow with ``n``
keep the dtype of ``X``.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from hingeclf._losses import HingeFamilyLoss
from hingeclf._objective import LinearObjective

N_SAMPLES, N_FEATURES, N_CLASSES = 40, 5, 3
H = 1e-6  # finite-difference step (docs/reliability.rst, 'How gradients are checked')
FD_RTOL = 1e-6
GAP = 1e-4  # distance of the violations from every kink (>= 10 H times the largest |x_ij|)

OBJECTIVE_LOSSES = [
    ("binary", 1, 0.0),          # hinge
    ("binary", 2, 0.0),          # squared hinge
    ("binary", 1, 0.5),          # smooth hinge
    ("crammer_singer", 1, 0.0),
    ("crammer_singer", 2, 0.0),
    ("weston_watkins", 1, 0.0),
    ("weston_watkins", 2, 0.0),
    ("ovr", 1, 0.0),
    ("ovr", 2, 0.0),
    ("crammer_singer", 1, 0.3),  # smoothed (the continuation's objectives)
    ("weston_watkins", 2, 0.3),
]
LAYOUTS = ["dense_C", "dense_F", "csr", "csc"]


def _loss_id(spec):
    s, p, g = spec
    return f"{s}-p{p}-g{g:g}"


def _layout(X, layout):
    return {
        "dense_C": np.ascontiguousarray,
        "dense_F": np.asfortranarray,
        "csr": sp.csr_matrix,
        "csc": sp.csc_matrix,
        "csr_array": sp.csr_array,
        "csc_array": sp.csc_array,
    }[layout](X)


def _data(loss, seed, n=N_SAMPLES, d=N_FEATURES):
    """Dense float64 ``X`` (about 30% zeros), class indices and ``n_out``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[rng.random((n, d)) < 0.3] = 0.0
    n_classes = 2 if loss.structure == "binary" else N_CLASSES
    idx = np.arange(n) % n_classes  # every class present
    rng.shuffle(idx)
    return X, idx, loss.n_outputs(n_classes)


def _weights(kind, n, seed):
    if kind == "ones":
        return np.ones(n)
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 3.0, n)
    w[rng.random(n) < 0.25] = 0.0
    w[0] = 0.0  # at least one zero weight
    return w


def _objective(spec, layout="dense_C", fit_intercept=True, weights="ones", seed=0,
               dtype=np.float64):
    loss = HingeFamilyLoss(*spec)
    X, idx, n_out = _data(loss, seed)
    Xl = _layout(X.astype(dtype), layout)
    y = loss.encode_target(idx)
    w = _weights(weights, X.shape[0], seed + 1).astype(dtype)
    return LinearObjective(loss, Xl, y, w, n_out, fit_intercept), X


def _dense_raw(X, coef, fit_intercept):
    """``X W^T + b`` computed here, from the conventions (intercept last)."""
    if fit_intercept:
        return X @ coef[:, :-1].T + coef[:, -1]
    return X @ coef.T


def _kink_distance(loss, y, raw):
    """Smallest distance (in violation units) of any sample's violations to a gradient kink."""
    n, n_out = raw.shape
    g = loss.gamma
    dist = np.inf
    for i in range(n):
        if loss.structure == "binary":
            terms = [[1.0 - y[i] * raw[i, 0]]]
        elif loss.structure == "ovr":
            terms = [[1.0 - (1.0 if c == y[i] else -1.0) * raw[i, c]] for c in range(n_out)]
        else:
            pieces = [1.0 + raw[i, j] - raw[i, y[i]] for j in range(n_out) if j != y[i]]
            terms = [[p] for p in pieces] if loss.structure == "weston_watkins" else [pieces]
        for term in terms:
            v = np.array(term)
            if len(v) == 1:
                cands = [abs(v[0])] + ([abs(v[0] - g)] if g > 0 else [])
            elif g == 0:
                s = np.sort(v)[::-1]
                cands = [abs(s[0]), s[0] - s[1]]
            else:  # smoothed Crammer-Singer: support changes and the capped/uncapped switch
                u = v / g
                tau = 0.0
                if np.maximum(u, 0).sum() > 1:
                    s = np.sort(u)[::-1]
                    k = np.arange(1, len(s) + 1)
                    tau = max((np.cumsum(s) - 1) / k)  # the projection's threshold
                cands = list(np.abs(v - g * tau)) + [abs(np.maximum(v, 0).sum() - g)]
            dist = min(dist, min(cands))
    return dist


def _coef_away_from_kinks(objective, X, rng, scale=0.6):
    for _ in range(200):
        coef = scale * rng.standard_normal(objective.shape)
        raw = _dense_raw(X, coef, objective.fit_intercept)
        if _kink_distance(objective.loss, objective.y, raw) >= GAP:
            return coef
    raise RuntimeError("no point away from the kinks")  # pragma: no cover


def _rel_err(a, n, floor=1e-12):
    """docs/reliability.rst, 'How gradients are checked', ``|a - n| / max(|a|, |n|, floor)``,
    in the max-norm over the array."""
    a = np.ravel(a).astype(np.float64)
    n = np.ravel(n).astype(np.float64)
    return np.abs(a - n).max() / max(np.abs(a).max(), np.abs(n).max(), floor)


def _basis(shape):
    for k in range(int(np.prod(shape))):
        e = np.zeros(shape)
        e.flat[k] = 1.0
        yield e


# ---------------------------------------------------------------------------------------------
# 1. Finite differences (docs/reliability.rst, 'How gradients are checked'), loss x intercept x
#    sample weights x layout
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("weights", ["ones", "random"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("spec", OBJECTIVE_LOSSES, ids=_loss_id)
def test_gradient_finite_differences(spec, fit_intercept, weights, layout):
    obj, X = _objective(spec, layout, fit_intercept, weights, seed=1)
    rng = np.random.default_rng(2)
    coef = _coef_away_from_kinks(obj, X, rng)
    grad = obj.gradient(coef)
    assert grad.shape == obj.shape
    numeric = np.zeros(obj.shape)
    for e in _basis(obj.shape):
        numeric += e * (obj.value(coef + H * e) - obj.value(coef - H * e)) / (2 * H)
    assert _rel_err(grad, numeric) < FD_RTOL
    # entry by entry where the entry is not tiny compared with the FD noise eps * P / h
    big = np.abs(numeric) > 1e-2
    assert np.all(np.abs(grad - numeric)[big] / np.abs(numeric)[big] < FD_RTOL)
    d = rng.standard_normal(obj.shape)
    numeric_d = (obj.value(coef + H * d) - obj.value(coef - H * d)) / (2 * H)
    assert _rel_err(np.sum(grad * d), numeric_d) < FD_RTOL


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("weights", ["ones", "random"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("spec", OBJECTIVE_LOSSES, ids=_loss_id)
def test_hessp_finite_differences(spec, fit_intercept, weights, layout):
    obj, X = _objective(spec, layout, fit_intercept, weights, seed=3)
    rng = np.random.default_rng(4)
    coef = _coef_away_from_kinks(obj, X, rng)
    if not obj.loss.has_hessian:
        with pytest.raises(ValueError):
            obj.hessp(coef, np.ones(obj.shape))
        return
    directions = [rng.standard_normal(obj.shape)] + list(_basis(obj.shape))
    for d in directions:
        hv = obj.hessp(coef, d)
        assert hv.shape == obj.shape
        numeric = (obj.gradient(coef + H * d) - obj.gradient(coef - H * d)) / (2 * H)
        assert _rel_err(hv, numeric, floor=1e-2) < FD_RTOL


@pytest.mark.parametrize("weights", ["ones", "random"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_squared_hinge_hessian_matches_math(fit_intercept, weights):
    # docs/user_guide/losses.rst, 'Binary losses':
    # H = I_w + 2 [X, 1]_A^T diag(c)_A [X, 1]_A over A = {z_i < 1}
    obj, X = _objective(("binary", 2, 0.0), "csr", fit_intercept, weights, seed=5)
    coef = np.random.default_rng(6).standard_normal(obj.shape)
    Xa = np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X
    z = obj.y * (Xa @ coef[0])
    active = z < 1
    assert 0 < active.sum() < len(z)
    expected = 2.0 * Xa[active].T @ (obj.weights[active, None] * Xa[active])
    expected[np.arange(X.shape[1]), np.arange(X.shape[1])] += 1.0  # penalty on w only
    hess = np.column_stack([obj.hessp(coef, e).ravel() for e in _basis(obj.shape)])
    assert_allclose(hess, expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# 2. The objective's formula: value/gradient consistency, penalty, intercept
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("spec", OBJECTIVE_LOSSES, ids=_loss_id)
def test_value_gradient_consistent_and_matches_formula(spec, fit_intercept, layout):
    obj, X = _objective(spec, layout, fit_intercept, "random", seed=7)
    coef = np.random.default_rng(8).standard_normal(obj.shape)
    value, grad = obj.value_gradient(coef)
    assert isinstance(value, float)
    assert value == obj.value(coef)
    assert_allclose(obj.gradient(coef), grad, rtol=0, atol=0)
    # docs/user_guide/objective.rst: 1/2 ||W||^2 + sum_i c_i loss_i, chain rule [G^T X + W, sum G]
    raw = _dense_raw(X, coef, fit_intercept)
    assert_allclose(obj.raw(coef), raw, rtol=1e-13, atol=1e-13)
    W = coef[:, :-1] if fit_intercept else coef
    loss, g_raw = obj.loss.loss_gradient(obj.y, raw)
    assert_allclose(value, 0.5 * np.sum(W ** 2) + np.dot(obj.weights, loss), rtol=1e-13)
    G = obj.weights[:, None] * g_raw
    expected = G.T @ X + W
    if fit_intercept:
        expected = np.hstack([expected, G.sum(axis=0)[:, None]])
    assert_allclose(grad, expected, rtol=1e-12, atol=1e-12)
    # solvers may pass flattened coefficients
    assert obj.value(coef.ravel()) == value
    assert_allclose(np.ravel(obj.gradient(coef.ravel())), grad.ravel(), rtol=0, atol=0)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("spec", OBJECTIVE_LOSSES, ids=_loss_id)
def test_intercept_is_not_penalised(spec, layout):
    obj, X = _objective(spec, layout, True, "random", seed=9)
    rng = np.random.default_rng(10)
    coef = np.zeros(obj.shape)
    coef[:, -1] = 2.0 * rng.standard_normal(obj.n_out)  # only intercepts
    raw = np.broadcast_to(coef[:, -1], (obj.n_samples, obj.n_out)).copy()
    loss, g_raw = obj.loss.loss_gradient(obj.y, raw)
    value, grad = obj.value_gradient(coef)
    assert value > 0
    assert_allclose(value, np.dot(obj.weights, loss), rtol=1e-13)  # no 1/2 b^2
    assert_allclose(grad[:, -1], (obj.weights[:, None] * g_raw).sum(axis=0), rtol=1e-12,
                    atol=1e-13)  # no + b
    # with zero loss weights the objective does not depend on the intercept at all
    free = LinearObjective(obj.loss, obj.X, obj.y, np.zeros(obj.n_samples), obj.n_out, True)
    assert free.value(coef) == 0.0
    assert_allclose(free.gradient(coef), 0.0, atol=0)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("spec", OBJECTIVE_LOSSES, ids=_loss_id)
def test_l2_penalty_is_half_squared_norm(spec, fit_intercept):
    obj, X = _objective(spec, "csr", fit_intercept, "ones", seed=11)
    free = LinearObjective(obj.loss, obj.X, obj.y, np.zeros(obj.n_samples), obj.n_out,
                           fit_intercept)
    rng = np.random.default_rng(12)
    coef = rng.standard_normal(obj.shape)
    W = coef[:, :-1] if fit_intercept else coef
    assert_allclose(free.value(coef), 0.5 * np.sum(W ** 2), rtol=1e-14)
    expected = np.zeros(obj.shape)
    expected[:, :N_FEATURES] = W
    assert_allclose(free.gradient(coef), expected, rtol=1e-14, atol=0)
    if obj.loss.has_hessian:
        d = rng.standard_normal(obj.shape)
        expected[:, :N_FEATURES] = d[:, :N_FEATURES]
        assert_allclose(free.hessp(coef, d), expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("spec", OBJECTIVE_LOSSES, ids=_loss_id)
def test_sum_not_mean(spec):
    # doubling every sample (or every weight) doubles the loss part of the objective
    obj, X = _objective(spec, "dense_C", True, "random", seed=13)
    coef = np.random.default_rng(14).standard_normal(obj.shape)
    W = coef[:, :-1]
    doubled = LinearObjective(obj.loss, np.vstack([X, X]), np.concatenate([obj.y, obj.y]),
                              np.concatenate([obj.weights, obj.weights]), obj.n_out, True)
    heavier = LinearObjective(obj.loss, X, obj.y, 2.0 * obj.weights, obj.n_out, True)
    data_term = obj.value(coef) - 0.5 * np.sum(W ** 2)
    assert_allclose(doubled.value(coef) - 0.5 * np.sum(W ** 2), 2 * data_term, rtol=1e-12)
    assert_allclose(heavier.value(coef), doubled.value(coef), rtol=1e-12)


def test_with_loss_keeps_the_data():
    obj, X = _objective(("crammer_singer", 1, 0.0), "csr", True, "random", seed=15)
    smooth = obj.loss.smoothed(0.3)
    other = obj.with_loss(smooth)
    assert other.loss is smooth and other.X is obj.X and other.y is obj.y
    assert other.weights is obj.weights and other.fit_intercept and other.n_out == obj.n_out
    coef = np.random.default_rng(16).standard_normal(obj.shape)
    fresh = LinearObjective(smooth, obj.X, obj.y, obj.weights, obj.n_out, True)
    assert other.value(coef) == fresh.value(coef)
    assert other.value(coef) <= obj.value(coef)  # smoothing lowers the loss


# ---------------------------------------------------------------------------------------------
# 3. Layouts and dtypes
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["dense_F", "csr", "csc", "csr_array", "csc_array"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("spec", OBJECTIVE_LOSSES, ids=_loss_id)
def test_dense_and_sparse_agree(spec, fit_intercept, layout):
    ref, X = _objective(spec, "dense_C", fit_intercept, "random", seed=17)
    obj, _ = _objective(spec, layout, fit_intercept, "random", seed=17)
    rng = np.random.default_rng(18)
    coef = rng.standard_normal(ref.shape)
    d = rng.standard_normal(ref.shape)
    raw = obj.raw(coef)
    assert isinstance(raw, np.ndarray) and raw.shape == (N_SAMPLES, ref.n_out)
    assert_allclose(raw, ref.raw(coef), rtol=1e-12, atol=1e-12)
    v, g = obj.value_gradient(coef)
    v_ref, g_ref = ref.value_gradient(coef)
    assert isinstance(g, np.ndarray) and g.shape == ref.shape
    assert_allclose(v, v_ref, rtol=1e-12)
    assert_allclose(g, g_ref, rtol=1e-12, atol=1e-12)
    if ref.loss.has_hessian:
        assert_allclose(obj.hessp(coef, d), ref.hessp(coef, d), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("spec", OBJECTIVE_LOSSES, ids=_loss_id)
def test_float32_stays_float32(spec, fit_intercept, layout):
    # X, the target and the weights in float32, as the estimators build them (_base._costs)
    obj, X = _objective(spec, layout, fit_intercept, "random", seed=19, dtype=np.float32)
    obj64, _ = _objective(spec, layout, fit_intercept, "random", seed=19)
    assert obj.X.dtype == np.float32
    assert obj.zeros().dtype == np.float32
    rng = np.random.default_rng(20)
    coef = rng.standard_normal(obj.shape).astype(np.float32)
    d = rng.standard_normal(obj.shape).astype(np.float32)
    raw = obj.raw(coef)
    assert raw.dtype == np.float32
    assert obj.raw(coef.astype(np.float64)).dtype == np.float32  # a float64 coef is cast down
    value, grad = obj.value_gradient(coef)
    assert isinstance(value, float)
    assert grad.dtype == np.float32
    assert obj.gradient(coef).dtype == np.float32
    coef64 = coef.astype(np.float64)
    scale = np.abs(obj64.gradient(coef64)).max()
    assert_allclose(value, obj64.value(coef64), rtol=1e-5)
    assert_allclose(grad, obj64.gradient(coef64), rtol=0, atol=1e-5 * scale)
    if obj.loss.has_hessian:
        hv = obj.hessp(coef, d)
        assert hv.dtype == np.float32
        hv64 = obj64.hessp(coef64, d.astype(np.float64))
        assert_allclose(hv, hv64, rtol=0, atol=1e-4 * np.abs(hv64).max())


def test_x_is_not_copied():
    for layout in LAYOUTS:
        obj, _ = _objective(("binary", 2, 0.0), layout, True, "ones", seed=21, dtype=np.float32)
        X = obj.X
        obj.value_gradient(np.ones(obj.shape, dtype=np.float32))
        assert obj.X is X


# ---------------------------------------------------------------------------------------------
# 4. Lipschitz bound of the gradient
# ---------------------------------------------------------------------------------------------
SMOOTH_LOSSES = [
    ("binary", 2, 0.0),
    ("ovr", 2, 0.0),
    ("weston_watkins", 2, 0.0),
    ("binary", 1, 0.5),
    ("binary", 1, 0.05),
    ("ovr", 1, 0.3),
    ("weston_watkins", 1, 0.3),
    ("crammer_singer", 1, 0.3),
]


@pytest.mark.parametrize("layout", ["dense_C", "csr"])
@pytest.mark.parametrize("weights", ["ones", "random"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("spec", SMOOTH_LOSSES, ids=_loss_id)
def test_lipschitz_bound_is_an_upper_bound(spec, fit_intercept, weights, layout):
    obj, X = _objective(spec, layout, fit_intercept, weights, seed=22)
    lip = obj.lipschitz_bound()
    assert lip is not None and lip >= 1.0
    rng = np.random.default_rng(23)
    worst = 0.0
    for scale in (1e-3, 0.1, 1.0, 3.0):
        for _ in range(20):
            a = rng.standard_normal(obj.shape)
            b = a + scale * rng.standard_normal(obj.shape)
            ratio = np.linalg.norm(obj.gradient(a) - obj.gradient(b)) / np.linalg.norm(a - b)
            worst = max(worst, ratio)
    assert worst <= lip * (1 + 1e-10)
    # the largest eigenvalue of the (generalised) Hessian at random points is below it too
    for _ in range(3):
        c = rng.standard_normal(obj.shape)
        hess = np.column_stack([obj.hessp(c, e).ravel() for e in _basis(obj.shape)])
        assert np.linalg.eigvalsh(0.5 * (hess + hess.T)).max() <= lip * (1 + 1e-10)


@pytest.mark.parametrize("weights", ["ones", "random"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("layout", ["dense_F", "csc"])
def test_binary_squared_hinge_lipschitz_bound_vs_math(layout, fit_intercept, weights):
    # docs/user_guide/losses.rst, 'Binary losses': the gradient is Lipschitz with
    # 1 + 2 max(c) ||[X, 1]||_2^2
    obj, X = _objective(("binary", 2, 0.0), layout, fit_intercept, weights, seed=24)
    Xa = np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X
    exact = 1.0 + 2.0 * obj.weights.max() * np.linalg.norm(Xa, 2) ** 2
    assert obj.lipschitz_bound() >= exact * (1 - 1e-12)


def _rank_one_worst_case(spec, fit_intercept):
    """An objective whose samples are all the same row ``x`` and label, at a point where every
    violation sits in the zone of largest curvature: the Frobenius bound is then attained up to
    the penalty's 1, because ``[X, 1]`` has rank one and every sample has the same Hessian."""
    structure, power, gamma = spec
    loss = HingeFamilyLoss(*spec)
    n, k = 30, N_CLASSES
    x = np.array([0.5, -1.0, 0.25, 2.0, 0.0])
    X = np.tile(x, (n, 1))
    if power == 2:
        c = 0.5
    elif structure == "crammer_singer":
        c = gamma / (2 * (k - 1))
    else:
        c = gamma / 2
    if structure == "binary":
        y, n_out, target = np.ones(n), 1, np.array([1.0 - c])
    elif structure == "ovr":
        y, n_out, target = np.zeros(n, dtype=np.intp), k, np.array([1.0 - c] + [c - 1.0] * (k - 1))
    else:
        y, n_out, target = np.zeros(n, dtype=np.intp), k, np.array([0.0] + [c - 1.0] * (k - 1))
    obj = LinearObjective(loss, sp.csr_matrix(X), y, np.ones(n), n_out, fit_intercept)
    coef = np.zeros(obj.shape)
    if fit_intercept:
        coef[:, -1] = target
    else:
        coef[:] = target[:, None] * x / (x @ x)
    assert_allclose(obj.raw(coef), np.tile(target, (n, 1)), atol=1e-12)
    return obj, coef


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("spec", SMOOTH_LOSSES, ids=_loss_id)
def test_lipschitz_bound_attained_on_rank_one_data(spec, fit_intercept):
    obj, coef = _rank_one_worst_case(spec, fit_intercept)
    lip = obj.lipschitz_bound()
    hess = np.column_stack([obj.hessp(coef, e).ravel() for e in _basis(obj.shape)])
    top = np.linalg.eigvalsh(0.5 * (hess + hess.T)).max()
    assert top <= lip * (1 + 1e-10)
    assert top >= (lip - 1.0) * (1 - 1e-10)  # only the penalty's 1 may be slack


@pytest.mark.parametrize("spec", [("binary", 1, 0.0), ("ovr", 1, 0.0),
                                  ("weston_watkins", 1, 0.0), ("crammer_singer", 1, 0.0),
                                  ("crammer_singer", 2, 0.0)], ids=_loss_id)
def test_lipschitz_bound_none_for_nonsmooth(spec):
    obj, _ = _objective(spec)
    assert obj.lipschitz_bound() is None


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("structure", ["binary", "ovr", "weston_watkins", "crammer_singer"])
@pytest.mark.parametrize("power, gamma", [(1, 0.5), (2, 0.0), (2, 0.5)])
def test_hessian_diagonal_matches_explicit_hessian(structure, power, gamma, fit_intercept,
                                                   sparse):
    """The Newton preconditioner's ``diag(H)`` equals the diagonal of the materialised H."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(30, 4))
    loss = HingeFamilyLoss(structure, power, gamma)
    n_out = 1 if structure == "binary" else 3
    y = loss.encode_target(rng.integers(0, 2 if structure == "binary" else 3, 30))
    Xv = sp.csr_matrix(X) if sparse else X
    obj = LinearObjective(loss, Xv, y, rng.uniform(0.5, 2.0, 30), n_out, fit_intercept)
    coef = rng.normal(size=obj.shape)
    hessian = obj.hessian_operator(coef)
    n = coef.size
    explicit = np.array([hessian(np.eye(n)[i].reshape(obj.shape)).ravel() for i in range(n)])
    np.testing.assert_allclose(hessian.diagonal().ravel(), np.diag(explicit), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("centred", [False, True])
@pytest.mark.parametrize("layout", ["dense_C", "dense_F", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("structure", ["binary", "ovr", "weston_watkins", "crammer_singer"])
@pytest.mark.parametrize("power, gamma", [(1, 0.5), (2, 0.0)])
def test_hessian_blocks_match_the_hessian_operator(structure, power, gamma, fit_intercept,
                                                   dtype, layout, centred):
    """Newton's explicit Hessian (one block per output, for the separable losses) is the matrix
    of the Hessian-vector product, in the base and in the centred coordinates; the coupled
    losses have no blocks. The Gram products run in blocks of rows: a chunk smaller than the
    data checks that the blocks add up."""
    import hingeclf._objective as objective_module
    from hingeclf._objective import CenteredObjective

    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 4)) + 2.0
    X[rng.random(X.shape) < 0.3] = 0.0
    loss = HingeFamilyLoss(structure, power, gamma)
    n_out = 1 if structure == "binary" else 3
    y = loss.encode_target(rng.integers(0, 2 if structure == "binary" else 3, 50))
    obj = LinearObjective(loss, _layout(X.astype(dtype), layout), y,
                          rng.uniform(0.0, 2.0, 50).astype(dtype), n_out, fit_intercept)
    if centred and fit_intercept:
        obj = CenteredObjective(obj)
    coef = (0.3 * rng.normal(size=obj.shape)).astype(dtype)
    hessian = obj.hessian_operator(coef)
    chunk = objective_module.GRAM_CHUNK
    objective_module.GRAM_CHUNK = 7
    try:
        blocks = hessian.blocks()
    finally:
        objective_module.GRAM_CHUNK = chunk
    if structure in ("weston_watkins", "crammer_singer"):
        assert blocks is None
        return
    assert len(blocks) == n_out
    p = obj.shape[1]
    for k, block in enumerate(blocks):
        assert block.shape == (p, p) and block.dtype == np.float64
        assert_allclose(block, block.T, rtol=0, atol=1e-12 * np.abs(block).max())
        for j in range(p):
            e = np.zeros(obj.shape)
            e[k, j] = 1.0
            column = np.asarray(hessian(e.astype(dtype)), dtype=np.float64)
            rtol = 1e-10 if dtype == np.float64 else 1e-4
            assert_allclose(block[:, j], column[k], rtol=rtol, atol=rtol * np.abs(block).max())
            others = np.delete(column, k, axis=0)  # no coupling between outputs
            assert np.all(others == 0)


@pytest.mark.parametrize("centred", [False, True])
@pytest.mark.parametrize("layout", ["dense_C", "csr"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("structure", ["binary", "ovr", "weston_watkins", "crammer_singer"])
@pytest.mark.parametrize("power, gamma", [(1, 0.5), (2, 0.0), (2, 0.5)])
def test_hessian_matrix_matches_the_hessian_operator(structure, power, gamma, fit_intercept,
                                                     layout, centred):
    """The whole explicit Hessian (what Newton factorises where the outputs couple) is the
    matrix of the Hessian-vector product, column by column, in both coordinates."""
    from hingeclf._objective import CenteredObjective

    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 3)) + 1.5
    loss = HingeFamilyLoss(structure, power, gamma)
    n_out = 1 if structure == "binary" else 3
    y = loss.encode_target(rng.integers(0, 2 if structure == "binary" else 3, 40))
    obj = LinearObjective(loss, _layout(X, layout), y, rng.uniform(0.0, 2.0, 40), n_out,
                          fit_intercept)
    if centred and fit_intercept:
        obj = CenteredObjective(obj)
    coef = 0.4 * rng.normal(size=obj.shape)
    hessian = obj.hessian_operator(coef)
    H = hessian.matrix()
    n = coef.size
    explicit = np.array([hessian(np.eye(n)[i].reshape(obj.shape)).ravel() for i in range(n)]).T
    assert_allclose(H, explicit, rtol=1e-10, atol=1e-10 * np.abs(explicit).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("use_rows", [False, True])
@pytest.mark.parametrize("min_rows", [0, None])
def test_weighted_gram_is_the_weighted_product_for_every_layout(dtype, order, fit_intercept,
                                                                 use_rows, min_rows,
                                                                 monkeypatch):
    """``weighted_gram`` (rows gathered and scaled block by block by a compiled loop with
    ``min_rows=0``, by numpy below ``COMPILED_MIN_ROWS`` rows by default; float32 blocks
    multiplied in float32) equals ``[X, 1]^T diag(D) [X, 1]`` computed in float64, for C- and
    F-ordered data, weights of both signs and zeros, over all rows or a subset, with blocks
    smaller than the data; the data and the weights are left as they were."""
    import hingeclf._objective as objective_module
    import hingeclf._products as products_module

    if min_rows is not None:
        monkeypatch.setattr(products_module, "COMPILED_MIN_ROWS", min_rows)

    rng = np.random.default_rng(5)
    X = np.asarray(rng.normal(size=(203, 6)) + 1.0, dtype=dtype, order=order)
    D = rng.uniform(-1.0, 3.0, size=203).astype(dtype)
    D[rng.random(203) < 0.3] = 0.0
    rows = np.sort(rng.choice(203, size=90, replace=False)) if use_rows else None
    X_before, D_before = X.copy(order="K"), D.copy()
    chunk = objective_module.GRAM_CHUNK
    objective_module.GRAM_CHUNK = 16
    try:
        H = objective_module.weighted_gram(X, D, fit_intercept, rows=rows)
    finally:
        objective_module.GRAM_CHUNK = chunk
    keep = np.zeros(203, dtype=bool)
    keep[rows if use_rows else slice(None)] = True
    X64, D64 = X.astype(np.float64), np.where(keep, D.astype(np.float64), 0.0)
    Xa = np.hstack([X64, np.ones((203, 1))]) if fit_intercept else X64
    expected = Xa.T @ (D64[:, None] * Xa)
    assert H.dtype == np.float64 and H.shape == expected.shape
    scale = float((np.abs(Xa).T @ (np.abs(D64)[:, None] * np.abs(Xa))).max())
    atol = (1e-13 if dtype == np.float64 else 1e-6) * scale
    assert_allclose(H, expected, rtol=0, atol=atol)
    assert_allclose(H, H.T, rtol=0, atol=0)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(D, D_before)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_curvature_grams_follow_the_curvature(dtype, fit_intercept):
    """``CurvatureGrams`` (Newton's Gram products kept between iterations) gives, along a
    sequence of curvatures, the product formed afresh each time: updated by the rows whose
    curvature changed when they are fewer than the rows with curvature (only those rows are
    multiplied), formed afresh otherwise; the curvature arrays are left as they were."""
    import hingeclf._objective as objective_module
    from hingeclf._objective import CurvatureGrams, weighted_gram

    rng = np.random.default_rng(7)
    n, d, n_out = 400, 5, 2
    X = (rng.normal(size=(n, d)) + 0.5).astype(dtype)
    D = np.where(rng.random((n, n_out)) < 0.8, 2.0, 0.0).astype(dtype)
    calls = []
    original = objective_module.weighted_gram

    def counting(X, D, fit_intercept, rows=None, **options):
        calls.append(int(np.count_nonzero(D)))
        return original(X, D, fit_intercept, rows, **options)

    grams = CurvatureGrams()
    objective_module.weighted_gram = counting
    try:
        for step in range(6):
            if step == 3:  # many rows change (more than keep curvature): formed afresh
                D = np.where(rng.random((n, n_out)) < 0.2, 2.0, 0.0).astype(dtype)
            elif step:  # a few rows enter or leave, one changes its value
                flip = rng.choice(n, size=15, replace=False)
                D[flip] = np.where(D[flip] > 0, 0.0, 2.0)
                D[flip[0], 0] = 0.7 if D[flip[0], 0] == 0 else D[flip[0], 0]
            before = D.copy()
            changed = (np.count_nonzero(D != grams.previous, axis=0)
                       if grams.previous is not None else None)
            for k in range(n_out):
                calls.clear()
                H = grams.gram(X, D, k, fit_intercept)
                expected = weighted_gram(X, D[:, k], fit_intercept)
                scale = float(np.abs(expected).max())
                atol = (1e-12 if dtype == np.float64 else 1e-5) * scale
                assert_allclose(H, expected, rtol=0, atol=atol)
                if changed is None or changed[k] >= np.count_nonzero(D[:, k]):
                    assert calls == [np.count_nonzero(D[:, k])]  # afresh
                else:
                    assert calls == [changed[k]]  # the changed rows only
            np.testing.assert_array_equal(D, before)
    finally:
        objective_module.weighted_gram = original
