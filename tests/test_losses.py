"""Tests of the pointwise hinge-family loss kernels (``hingeclf._losses``).

Conventions checked (docs/user_guide/losses.rst, 'Binary losses', 'Smoothed hinges: Huber and psi'
and 'Multiclass losses'; docs/reliability.rst, 'How gradients are checked'):

- decision values ``raw`` have shape ``(n, n_out)``; binary targets are in {-1, +1}, multiclass
  targets are class indices;
- ``gradient`` is d loss / d raw, so for binary losses ``dloss = y * dloss/dz`` with ``z = y * raw``;
- the kink convention is strict: at margin exactly 1 (violation exactly 0) the (sub)gradient is 0.

The expected values in the tables below are computed by hand from the formulas of
docs/user_guide/losses.rst, never from the code.
"""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose

from hingeclf._losses import HingeFamilyLoss, binary_loss, multiclass_loss

STRUCTURES = ("binary", "ovr", "weston_watkins", "crammer_singer")
K = 4  # number of classes in the randomised multiclass tests
H = 1e-6  # finite-difference step (docs/reliability.rst, 'How gradients are checked')
FD_RTOL = 1e-6  # relative error bound of a finite-difference check (same section)
GAP = 1e-4  # distance of the random points from every kink (at least 10 * H)

ALL_LOSSES = [(s, p, g) for s in STRUCTURES for p in (1, 2) for g in (0.0, 0.3)]


def _loss_id(spec):
    s, p, g = spec
    return f"{s}-p{p}-g{g:g}"


def _n_out(structure):
    return 1 if structure == "binary" else K


def _random_target(loss, n, rng):
    n_classes = 2 if loss.structure == "binary" else K
    idx = rng.integers(0, n_classes, n)
    return loss.encode_target(idx)


def _rel_err(a, n, floor=1e-12):
    """Relative error of docs/reliability.rst, 'How gradients are checked',
    ``|a - n| / max(|a|, |n|, 1e-12)``, per sample.

    ``|.|`` is the max-norm of a sample's row (a scalar for per-sample scalars): entry by entry,
    an entry that is exactly 0 (say the true-class entry of a Hessian product) would be compared
    with the rounding noise of the finite difference, ``eps * loss / h``. ``floor`` replaces
    1e-12 where a whole row is exactly 0 and the noise is larger than 1e-12 (Hessian products).
    """
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if a.ndim == 1:
        a, n = a[:, None], n[:, None]
    num = np.abs(a - n).max(axis=1)
    return num / np.maximum(np.maximum(np.abs(a).max(axis=1), np.abs(n).max(axis=1)), floor)


# ---------------------------------------------------------------------------------------------
# Naive per-sample reference (loops over samples, terms and classes), written from the formulas
# of docs/user_guide/losses.rst
# ---------------------------------------------------------------------------------------------
def _ref_terms(structure, f, y):
    """Terms of one sample: a list of terms, each a list of pieces ``(v, dv/df)``."""
    n_out = len(f)
    if structure == "binary":
        return [[(1.0 - y * f[0], np.array([-y]))]]
    terms = []
    if structure == "ovr":
        for c in range(n_out):
            t = 1.0 if c == y else -1.0
            e = np.zeros(n_out)
            e[c] = -t
            terms.append([(1.0 - t * f[c], e)])
        return terms
    pieces = []
    for j in range(n_out):
        if j == y:
            continue
        e = np.zeros(n_out)
        e[j] = 1.0
        e[y] = -1.0
        pieces.append((1.0 + f[j] - f[y], e))
    if structure == "weston_watkins":
        return [[p] for p in pieces]
    return [pieces]  # crammer_singer: one term, K - 1 pieces


def _ref_capped_simplex_tau(u):
    """``tau`` with ``sum max(u - tau, 0) == 1`` if ``sum max(u, 0) > 1``, else 0 (by bisection)."""
    u = np.asarray(u, dtype=np.float64)
    if np.maximum(u, 0.0).sum() <= 1.0:
        return 0.0
    lo, hi = 0.0, float(u.max())
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if np.maximum(u - mid, 0.0).sum() > 1.0:
            lo = mid
        else:
            hi = mid
    support = u > 0.5 * (lo + hi)
    return (u[support].sum() - 1.0) / support.sum()  # exact on the identified support


def _ref_term(vals, gamma):
    """``(xi_gamma, lambda)`` of one term with pieces ``vals``."""
    vals = np.asarray(vals, dtype=np.float64)
    if gamma == 0:
        lam = np.zeros_like(vals)
        j = int(np.argmax(vals))
        if vals[j] > 0:  # strict: zero subgradient at v == 0
            lam[j] = 1.0
            return vals[j], lam
        return 0.0, lam
    # the Huberised hinge, in v = 1 - z (docs/user_guide/losses.rst, 'Smoothed hinges: Huber
    # and psi')
    if len(vals) == 1:
        v = vals[0]
        if v >= gamma:
            return v - gamma / 2.0, np.array([1.0])
        if v > 0:
            return v * v / (2.0 * gamma), np.array([v / gamma])
        return 0.0, np.array([0.0])
    tau = _ref_capped_simplex_tau(vals / gamma)
    lam = np.maximum(vals / gamma - tau, 0.0)
    return float(lam @ vals - 0.5 * gamma * lam @ lam), lam


def _ref_loss_grad(structure, power, gamma, y, raw):
    n, n_out = raw.shape
    loss = np.zeros(n)
    grad = np.zeros((n, n_out))
    for i in range(n):
        for term in _ref_terms(structure, raw[i], y[i]):
            xi, lam = _ref_term([v for v, _ in term], gamma)
            loss[i] += xi ** power
            scale = 1.0 if power == 1 else 2.0 * xi
            for (_, dv_df), lam_p in zip(term, lam):
                grad[i] += scale * lam_p * dv_df
    return loss, grad


def _n_terms(structure, n_out):
    return {"binary": 1, "ovr": n_out, "weston_watkins": n_out - 1, "crammer_singer": 1}[structure]


def _kink_distance(structure, gamma, y, raw):
    """Per sample, the distance (in violation units) to the nearest kink of the gradient."""
    n = raw.shape[0]
    dist = np.full(n, np.inf)
    for i in range(n):
        for term in _ref_terms(structure, raw[i], y[i]):
            vals = np.array([v for v, _ in term])
            cands = []
            if len(vals) == 1:
                cands.append(abs(vals[0]))
                if gamma > 0:
                    cands.append(abs(vals[0] - gamma))
            elif gamma == 0:  # Crammer-Singer, exact: largest violation vs 0 and vs the runner-up
                s = np.sort(vals)[::-1]
                cands += [abs(s[0]), s[0] - s[1]]
            else:  # Crammer-Singer, smoothed: support changes and the capped/uncapped switch
                tau = _ref_capped_simplex_tau(vals / gamma)
                cands += list(np.abs(vals - gamma * tau))
                cands.append(abs(np.maximum(vals, 0.0).sum() - gamma))
            dist[i] = min(dist[i], min(cands))
    return dist


def _points_away_from_kinks(loss, n, rng, scale=1.5):
    """Random ``(y, raw)`` whose violations are at least ``GAP`` away from every kink."""
    n_out = _n_out(loss.structure)
    y = _random_target(loss, n, rng)
    raw = scale * rng.standard_normal((n, n_out))
    for _ in range(100):
        bad = _kink_distance(loss.structure, loss.gamma, y, raw) < GAP
        if not bad.any():
            return y, raw
        raw[bad] = scale * rng.standard_normal((bad.sum(), n_out))
    raise RuntimeError("could not draw points away from the kinks")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# 1. Binary tables (docs/user_guide/losses.rst, 'Binary losses')
# ---------------------------------------------------------------------------------------------
# Rows (z, y, loss, dloss) with dloss = d loss / d raw = y * d loss / dz and raw = y * z.
HINGE_ROWS = [
    # loss = max(0, 1 - z), dloss/dz = -1 if z < 1 else 0
    (-2.0, 1.0, 3.0, -1.0),
    (-1.0, -1.0, 2.0, 1.0),   # dloss = y * (-1) = +1
    (0.0, 1.0, 1.0, -1.0),
    (0.0, -1.0, 1.0, 1.0),
    (0.5, 1.0, 0.5, -1.0),
    (0.5, -1.0, 0.5, 1.0),
    (0.999, 1.0, 0.001, -1.0),
    (1.0, 1.0, 0.0, 0.0),     # the kink: strict z < 1, subgradient 0
    (1.0, -1.0, 0.0, 0.0),    # the kink, negative class
    (1.5, 1.0, 0.0, 0.0),
    (3.0, -1.0, 0.0, 0.0),
]

SQUARED_HINGE_ROWS = [
    # loss = max(0, 1 - z)^2, dloss/dz = -2 max(0, 1 - z)
    (-1.0, 1.0, 4.0, -4.0),
    (-1.0, -1.0, 4.0, 4.0),
    (0.0, -1.0, 1.0, 2.0),
    (0.5, 1.0, 0.25, -1.0),
    (0.75, -1.0, 0.0625, 0.5),
    (1.0, 1.0, 0.0, 0.0),     # the kink
    (1.0, -1.0, 0.0, 0.0),
    (1.5, -1.0, 0.0, 0.0),
    (3.0, 1.0, 0.0, 0.0),
]

SMOOTH_HINGE_05_ROWS = [
    # gamma = 0.5: 1 - z - 0.25 if z < 0.5; (1 - z)^2 / 1 if 0.5 <= z <= 1; 0 if z > 1
    # dloss/dz: -1; (z - 1) / 0.5; 0
    (-1.0, 1.0, 1.75, -1.0),
    (0.0, -1.0, 0.75, 1.0),
    (0.25, 1.0, 0.5, -1.0),
    (0.5, 1.0, 0.25, -1.0),    # z = 1 - gamma: both formulas give 0.25, slope -1
    (0.5, -1.0, 0.25, 1.0),
    (0.75, 1.0, 0.0625, -0.5),  # (0.25)^2 / 1, slope -0.25 / 0.5
    (0.75, -1.0, 0.0625, 0.5),
    (0.9, 1.0, 0.01, -0.2),
    (1.0, 1.0, 0.0, 0.0),      # the kink of the hinge: loss 0, slope 0
    (2.0, -1.0, 0.0, 0.0),
]

SMOOTH_HINGE_1_ROWS = [
    # gamma = 1 (Rennie): 0.5 - z if z < 0; (1 - z)^2 / 2 if 0 <= z <= 1; 0 if z > 1
    # dloss/dz: -1; z - 1; 0
    (-1.0, 1.0, 1.5, -1.0),
    (-0.5, -1.0, 1.0, 1.0),
    (0.0, 1.0, 0.5, -1.0),     # z = 1 - gamma: both formulas give 0.5, slope -1
    (0.0, -1.0, 0.5, 1.0),
    (0.5, 1.0, 0.125, -0.5),
    (0.5, -1.0, 0.125, 0.5),
    (0.8, 1.0, 0.02, -0.2),
    (1.0, -1.0, 0.0, 0.0),
    (1.5, 1.0, 0.0, 0.0),
]

BINARY_TABLE = (
    [("hinge", 0.0, *row) for row in HINGE_ROWS]
    + [("squared_hinge", 0.0, *row) for row in SQUARED_HINGE_ROWS]
    + [("smooth_hinge", 0.5, *row) for row in SMOOTH_HINGE_05_ROWS]
    + [("smooth_hinge", 1.0, *row) for row in SMOOTH_HINGE_1_ROWS]
)


@pytest.mark.parametrize("name, gamma, z, y, expected_loss, expected_dloss", BINARY_TABLE)
def test_binary_loss_table(name, gamma, z, y, expected_loss, expected_dloss):
    loss = binary_loss(name, gamma=gamma)
    y_arr = np.array([y])
    raw = np.array([[y * z]])
    value = loss.loss(y_arr, raw)
    grad = loss.gradient(y_arr, raw)
    assert value.shape == (1,)
    assert grad.shape == (1, 1)
    assert_allclose(value[0], expected_loss, rtol=1e-12, atol=1e-15)
    assert_allclose(grad[0, 0], expected_dloss, rtol=1e-12, atol=1e-15)
    value2, grad2 = loss.loss_gradient(y_arr, raw)
    assert_allclose(value2, value, rtol=0, atol=0)
    assert_allclose(grad2, grad, rtol=0, atol=0)


# Rows (z, y, d2): generalised d^2 loss / d raw^2 (= d^2 loss / dz^2 since y^2 = 1).
SECOND_DERIVATIVE_TABLE = [
    # squared hinge: 2 if z < 1 else 0 (strict, as the kink convention)
    ("squared_hinge", 0.0, -1.0, 1.0, 2.0),
    ("squared_hinge", 0.0, 0.5, -1.0, 2.0),
    ("squared_hinge", 0.0, 0.999, 1.0, 2.0),
    ("squared_hinge", 0.0, 1.0, 1.0, 0.0),
    ("squared_hinge", 0.0, 1.0, -1.0, 0.0),
    ("squared_hinge", 0.0, 2.0, -1.0, 0.0),
    # smooth hinge: 0 in the linear zone, 1/gamma strictly inside the quadratic zone, 0 above 1
    ("smooth_hinge", 0.5, -1.0, 1.0, 0.0),
    ("smooth_hinge", 0.5, 0.25, -1.0, 0.0),
    ("smooth_hinge", 0.5, 0.6, 1.0, 2.0),
    ("smooth_hinge", 0.5, 0.75, -1.0, 2.0),
    ("smooth_hinge", 0.5, 0.99, 1.0, 2.0),
    ("smooth_hinge", 0.5, 1.5, 1.0, 0.0),
    ("smooth_hinge", 1.0, -0.5, 1.0, 0.0),
    ("smooth_hinge", 1.0, 0.5, 1.0, 1.0),
    ("smooth_hinge", 1.0, 0.25, -1.0, 1.0),
    ("smooth_hinge", 1.0, 1.5, -1.0, 0.0),
]


@pytest.mark.parametrize("name, gamma, z, y, expected_d2", SECOND_DERIVATIVE_TABLE)
def test_binary_second_derivative_table(name, gamma, z, y, expected_d2):
    loss = binary_loss(name, gamma=gamma)
    y_arr = np.array([y])
    raw = np.array([[y * z]])
    for d in (1.0, -2.5):
        hv = loss.hessp(y_arr, raw, np.array([[d]]))
        assert hv.shape == (1, 1)
        assert_allclose(hv[0, 0], expected_d2 * d, rtol=1e-12, atol=1e-15)


def test_binary_loss_names_and_validation():
    assert binary_loss("hinge").power == 1 and binary_loss("hinge").gamma == 0
    assert binary_loss("squared_hinge").power == 2
    smooth = binary_loss("smooth_hinge", gamma=0.5)
    assert (smooth.structure, smooth.power, smooth.gamma) == ("binary", 1, 0.5)
    with pytest.raises(ValueError):
        binary_loss("smooth_hinge", gamma=0.0)
    with pytest.raises(ValueError):
        HingeFamilyLoss("binary", power=3)
    with pytest.raises(ValueError):
        HingeFamilyLoss("binary", gamma=-1.0)
    with pytest.raises(ValueError):
        HingeFamilyLoss("one_vs_one")
    with pytest.raises(ValueError):
        multiclass_loss("binary", "hinge")


def test_encode_target():
    idx = np.array([0, 1, 1, 0])
    yb = binary_loss("hinge").encode_target(idx)
    assert yb.dtype == np.int8  # one byte per sample: the target stays out of the peak memory
    np.testing.assert_array_equal(yb, [-1, 1, 1, -1])  # index 1 is the positive class
    for idx in (np.array([2, 0, 1, 3]), np.array([2, 0, 1, 3], dtype=np.uint8)):
        for structure in ("ovr", "weston_watkins", "crammer_singer"):
            ym = multiclass_loss(structure, "hinge").encode_target(idx)
            assert ym.dtype == idx.dtype  # kept as given (encode_labels makes the smallest)
            np.testing.assert_array_equal(ym, idx)


# ---------------------------------------------------------------------------------------------
# 2. Multiclass tables (docs/user_guide/losses.rst, 'Multiclass losses')
# ---------------------------------------------------------------------------------------------
# Rows (structure, name, f, y, loss, gradient in f), computed by hand.
MULTICLASS_TABLE = [
    # f = [2, 1.5, 0], y = 0: CS violations (j=1, 2) = (0.5, -1); OVR t f = (2, -1.5, 0)
    ("crammer_singer", "hinge", [2.0, 1.5, 0.0], 0, 0.5, [-1.0, 1.0, 0.0]),
    ("crammer_singer", "squared_hinge", [2.0, 1.5, 0.0], 0, 0.25, [-1.0, 1.0, 0.0]),
    ("weston_watkins", "hinge", [2.0, 1.5, 0.0], 0, 0.5, [-1.0, 1.0, 0.0]),
    ("weston_watkins", "squared_hinge", [2.0, 1.5, 0.0], 0, 0.25, [-1.0, 1.0, 0.0]),
    # OVR hinges: 0, 2.5, 1 -> 3.5; gradient -t_c where t_c f_c < 1
    ("ovr", "hinge", [2.0, 1.5, 0.0], 0, 3.5, [0.0, 1.0, 1.0]),
    # squared: 0 + 6.25 + 1; gradient -2 t_c max(0, 1 - t_c f_c) = (0, 5, 2)
    ("ovr", "squared_hinge", [2.0, 1.5, 0.0], 0, 7.25, [0.0, 5.0, 2.0]),
    # tie of the two wrong classes: f = [0.5, 1, 1], y = 0, violations (1.5, 1.5)
    # (Crammer-Singer at this tie: see test_crammer_singer_tie)
    ("weston_watkins", "hinge", [0.5, 1.0, 1.0], 0, 3.0, [-2.0, 1.0, 1.0]),
    ("weston_watkins", "squared_hinge", [0.5, 1.0, 1.0], 0, 4.5, [-6.0, 3.0, 3.0]),
    # OVR: t f = (0.5, -1, -1): hinges 0.5, 2, 2
    ("ovr", "hinge", [0.5, 1.0, 1.0], 0, 4.5, [-1.0, 1.0, 1.0]),
    ("ovr", "squared_hinge", [0.5, 1.0, 1.0], 0, 8.25, [-1.0, 4.0, 4.0]),
    # a tie below the margin is irrelevant: f = [3, 1, 1], y = 0, violations (-1, -1)
    ("crammer_singer", "hinge", [3.0, 1.0, 1.0], 0, 0.0, [0.0, 0.0, 0.0]),
    ("crammer_singer", "squared_hinge", [3.0, 1.0, 1.0], 0, 0.0, [0.0, 0.0, 0.0]),
    # exactly at margin 1: f = [2, 1, 0], y = 0, violations (0, -1): zero loss, zero gradient
    ("crammer_singer", "hinge", [2.0, 1.0, 0.0], 0, 0.0, [0.0, 0.0, 0.0]),
    ("crammer_singer", "squared_hinge", [2.0, 1.0, 0.0], 0, 0.0, [0.0, 0.0, 0.0]),
    ("weston_watkins", "hinge", [2.0, 1.0, 0.0], 0, 0.0, [0.0, 0.0, 0.0]),
    ("weston_watkins", "squared_hinge", [2.0, 1.0, 0.0], 0, 0.0, [0.0, 0.0, 0.0]),
    # OVR exactly at margin 1 in every class: f = [1, -1, -2], y = 0, t f = (1, 1, 2)
    ("ovr", "hinge", [1.0, -1.0, -2.0], 0, 0.0, [0.0, 0.0, 0.0]),
    ("ovr", "squared_hinge", [1.0, -1.0, -2.0], 0, 0.0, [0.0, 0.0, 0.0]),
    # WW with one term exactly at the margin: f = [2, 1, 1.5], y = 0, violations (0, 0.5)
    ("weston_watkins", "hinge", [2.0, 1.0, 1.5], 0, 0.5, [-1.0, 0.0, 1.0]),
    ("weston_watkins", "squared_hinge", [2.0, 1.0, 1.5], 0, 0.25, [-1.0, 0.0, 1.0]),
    # K = 4, y = 2: f = [0.2, -0.3, 0.9, 0.4]; violations (j = 0, 1, 3) = (0.3, -0.2, 0.5)
    ("crammer_singer", "hinge", [0.2, -0.3, 0.9, 0.4], 2, 0.5, [0.0, 0.0, -1.0, 1.0]),
    ("crammer_singer", "squared_hinge", [0.2, -0.3, 0.9, 0.4], 2, 0.25, [0.0, 0.0, -1.0, 1.0]),
    ("weston_watkins", "hinge", [0.2, -0.3, 0.9, 0.4], 2, 0.8, [1.0, 0.0, -2.0, 1.0]),
    # squared: 0.09 + 0.25; gradient 2 * (0.3, 0, -, 0.5), y gets minus the sum
    ("weston_watkins", "squared_hinge", [0.2, -0.3, 0.9, 0.4], 2, 0.34, [0.6, 0.0, -1.6, 1.0]),
    # OVR: t = (-1, -1, 1, -1), t f = (-0.2, 0.3, 0.9, -0.4): hinges 1.2, 0.7, 0.1, 1.4
    ("ovr", "hinge", [0.2, -0.3, 0.9, 0.4], 2, 3.4, [1.0, 1.0, -1.0, 1.0]),
    # squared: 1.44 + 0.49 + 0.01 + 1.96; gradient -2 t_c h_c
    ("ovr", "squared_hinge", [0.2, -0.3, 0.9, 0.4], 2, 3.9, [2.4, 1.4, -0.2, 2.8]),
]


@pytest.mark.parametrize("structure, name, f, y, expected_loss, expected_grad", MULTICLASS_TABLE)
def test_multiclass_loss_table(structure, name, f, y, expected_loss, expected_grad):
    loss = multiclass_loss(structure, name)
    y_arr = np.array([y])
    raw = np.array([f])
    value, grad = loss.loss_gradient(y_arr, raw)
    assert value.shape == (1,)
    assert grad.shape == raw.shape
    assert_allclose(value[0], expected_loss, rtol=1e-12, atol=1e-15)
    assert_allclose(grad[0], expected_grad, rtol=1e-12, atol=1e-15)
    assert_allclose(loss.loss(y_arr, raw), value, rtol=0, atol=0)
    assert_allclose(loss.gradient(y_arr, raw), grad, rtol=0, atol=0)


@pytest.mark.parametrize("name, expected_loss, scale", [("hinge", 1.5, 1.0),
                                                        ("squared_hinge", 2.25, 3.0)])
def test_crammer_singer_tie(name, expected_loss, scale):
    # f = [0.5, 1, 1], y = 0: the two wrong classes tie with violation 1.5. The loss is
    # well defined; the gradient must be a subgradient: -scale at y, a convex combination
    # (times scale = d xi^p / d xi) on the tied classes. (scale = 1 for the hinge, 2 * 1.5 squared.)
    loss = multiclass_loss("crammer_singer", name)
    value, grad = loss.loss_gradient(np.array([0]), np.array([[0.5, 1.0, 1.0]]))
    assert_allclose(value, [expected_loss], rtol=1e-12)
    g = grad[0]
    assert_allclose(g[0], -scale, rtol=1e-12)
    assert np.all(g[1:] >= 0)
    assert_allclose(g[1:].sum(), scale, rtol=1e-12)


# Smoothed Crammer-Singer, gamma = 1: xi = max_{lam >= 0, sum lam <= 1} <lam, v> - 1/2 ||lam||^2,
# lam = projection of v onto the capped simplex.
SMOOTHED_CS_TABLE = [
    # v = (0.5, -1): sum of positive parts 0.5 <= 1, lam = (0.5, 0), xi = 0.25 - 0.125
    ([2.0, 1.5, 0.0], 0, 0.125, [-0.5, 0.5, 0.0]),
    # tie, v = (1.5, 1.5): tau = (3 - 1)/2 = 1, lam = (0.5, 0.5), xi = 1.5 - 0.25
    ([0.5, 1.0, 1.0], 0, 1.25, [-1.0, 0.5, 0.5]),
    # v = (2, 1.5): tau = (3.5 - 1)/2 = 1.25, lam = (0.75, 0.25),
    # xi = 1.5 + 0.375 - 0.5 * (0.5625 + 0.0625)
    ([0.0, 1.0, 0.5], 0, 1.5625, [-1.0, 0.75, 0.25]),
    # v = (0.5, 0.5, -0.5) for K = 4, y = 1: sum 1 exactly, lam = (0.5, 0.5, 0)
    # xi = 0.5 - 0.5 * 0.5
    ([1.0, 1.5, 1.0, 0.0], 1, 0.25, [0.5, -1.0, 0.5, 0.0]),
]


@pytest.mark.parametrize("f, y, expected_loss, expected_grad", SMOOTHED_CS_TABLE)
def test_smoothed_crammer_singer_table(f, y, expected_loss, expected_grad):
    loss = multiclass_loss("crammer_singer", "smooth_hinge", gamma=1.0)
    value, grad = loss.loss_gradient(np.array([y]), np.array([f]))
    assert_allclose(value, [expected_loss], rtol=1e-12, atol=1e-15)
    assert_allclose(grad[0], expected_grad, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# 3. Randomised comparison with the naive reference
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ALL_LOSSES + [(s, p, 2.0) for s in STRUCTURES for p in (1, 2)],
                         ids=_loss_id)
def test_against_naive_loops(spec):
    structure, power, gamma = spec
    loss = HingeFamilyLoss(structure, power, gamma)
    rng = np.random.default_rng(0)
    n = 60
    y = _random_target(loss, n, rng)
    raw = 1.5 * rng.standard_normal((n, _n_out(structure)))
    expected_loss, expected_grad = _ref_loss_grad(structure, power, gamma, y, raw)
    assert (expected_loss > 0).any() and np.any(expected_grad != 0)
    value, grad = loss.loss_gradient(y, raw)
    assert_allclose(value, expected_loss, rtol=1e-12, atol=1e-14)
    assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-14)
    assert_allclose(loss.loss(y, raw), expected_loss, rtol=1e-12, atol=1e-14)
    assert_allclose(loss.gradient(y, raw), expected_grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("structure", STRUCTURES)
def test_violations_match_math(structure):
    loss = HingeFamilyLoss(structure, 1)
    rng = np.random.default_rng(1)
    y = _random_target(loss, 20, rng)
    raw = rng.standard_normal((20, _n_out(structure)))
    v = loss.violations(y, raw)
    assert v.shape == raw.shape
    for i in range(20):
        pieces = [p for term in _ref_terms(structure, raw[i], y[i]) for p, _ in term]
        if structure in ("weston_watkins", "crammer_singer"):
            kept = np.delete(v[i], y[i])
            assert v[i, y[i]] <= 0  # the masked entry never contributes
        else:
            kept = v[i]
        assert_allclose(kept, pieces, rtol=1e-14, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# 4. Smoothing
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("gamma", [0.01, 0.3, 1.0, 5.0])
def test_smoothing_bounds(structure, gamma):
    # xi - gamma/2 <= xi_gamma <= xi per term, so per sample with n_terms terms
    exact = HingeFamilyLoss(structure, 1, 0.0)
    smooth = exact.smoothed(gamma)
    assert (smooth.structure, smooth.power, smooth.gamma) == (structure, 1, gamma)
    rng = np.random.default_rng(2)
    n = 500
    y = _random_target(exact, n, rng)
    raw = 2.0 * rng.standard_normal((n, _n_out(structure)))
    xi = exact.loss(y, raw)
    xi_g = smooth.loss(y, raw)
    n_terms = _n_terms(structure, _n_out(structure))
    assert np.all(xi_g <= xi + 1e-12)
    assert np.all(xi_g >= xi - n_terms * gamma / 2.0 - 1e-12)
    # the bound is attained when every term has one piece violated by much more than gamma
    big = {"binary": (np.array([1.0]), [[-1e3]]),                 # v = 1001
           "ovr": (np.array([0]), [[-1e3, 1e3, 1e3, 1e3]]),       # K terms, each v = 1001
           "weston_watkins": (np.array([0]), [[-1e3, 0.0, 0.0, 0.0]]),  # K - 1 terms, v = 1001
           "crammer_singer": (np.array([0]), [[-1e3, 0.0, -5e3, -5e3]])}  # one dominant piece
    y1, raw1 = big[structure]
    raw1 = np.array(raw1)
    assert_allclose(exact.loss(y1, raw1) - smooth.loss(y1, raw1), [n_terms * gamma / 2.0],
                    rtol=1e-9)


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("power", [1, 2])
def test_smoothed_loss_tends_to_exact(structure, power):
    exact = HingeFamilyLoss(structure, power, 0.0)
    rng = np.random.default_rng(3)
    n = 300
    y = _random_target(exact, n, rng)
    raw = 2.0 * rng.standard_normal((n, _n_out(structure)))
    ref = exact.loss(y, raw)
    n_terms = _n_terms(structure, _n_out(structure))
    gaps = []
    for gamma in (1.0, 1e-1, 1e-2, 1e-4, 1e-8):
        approx = exact.smoothed(gamma).loss(y, raw)
        gap = np.abs(ref - approx).max()
        # |xi^p - xi_g^p| <= p * xi^(p-1) * gamma/2 per term
        bound = n_terms * gamma / 2.0 * (1.0 if power == 1 else 2.0 * np.sqrt(ref.max()) + 1.0)
        assert gap <= bound + 1e-12
        gaps.append(gap)
    assert gaps[-1] < 1e-6
    assert all(a >= b for a, b in zip(gaps, gaps[1:]))
    assert_allclose(exact.smoothed(0.0).loss(y, raw), ref, rtol=0, atol=0)


def _modified_huber(z):
    """scikit-learn's ``modified_huber``: max(0, 1 - z)^2 if z >= -1 else -4 z."""
    return np.where(z >= -1, np.maximum(0.0, 1.0 - z) ** 2, -4.0 * z)


def _modified_huber_dz(z):
    return np.where(z >= -1, -2.0 * np.maximum(0.0, 1.0 - z), -4.0)


def test_smooth_hinge_is_quarter_modified_huber():
    # docs/user_guide/losses.rst, 'Binary losses': modified_huber == 4 * smooth_hinge(gamma=2)
    rng = np.random.default_rng(4)
    z = np.concatenate([rng.uniform(-4, 4, 400), [-3.0, -1.0, 0.0, 0.5, 1.0, 2.0]])
    y = np.where(rng.random(z.size) < 0.5, 1.0, -1.0)
    loss = binary_loss("smooth_hinge", gamma=2.0)
    value, grad = loss.loss_gradient(y, (y * z)[:, None])
    assert_allclose(4.0 * value, _modified_huber(z), rtol=1e-12, atol=1e-14)
    assert_allclose(4.0 * grad[:, 0], y * _modified_huber_dz(z), rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# 5. Finite differences (docs/reliability.rst, 'How gradients are checked')
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ALL_LOSSES, ids=_loss_id)
def test_gradient_finite_differences(spec):
    loss = HingeFamilyLoss(*spec)
    rng = np.random.default_rng(5)
    y, raw = _points_away_from_kinks(loss, 80, rng)
    grad = loss.gradient(y, raw)
    assert np.any(grad != 0)
    numeric = np.empty_like(raw)
    for k in range(raw.shape[1]):
        step = np.zeros_like(raw)
        step[:, k] = H
        numeric[:, k] = (loss.loss(y, raw + step) - loss.loss(y, raw - step)) / (2 * H)
    assert _rel_err(grad, numeric).max() < FD_RTOL
    # and along a random direction per sample
    d = rng.standard_normal(raw.shape)
    numeric_d = (loss.loss(y, raw + H * d) - loss.loss(y, raw - H * d)) / (2 * H)
    assert _rel_err(np.einsum("ij,ij->i", grad, d), numeric_d).max() < FD_RTOL


@pytest.mark.parametrize("spec", ALL_LOSSES, ids=_loss_id)
def test_hessp_finite_differences(spec):
    loss = HingeFamilyLoss(*spec)
    rng = np.random.default_rng(6)
    y, raw = _points_away_from_kinks(loss, 80, rng)
    d = rng.standard_normal(raw.shape)
    if not loss.has_hessian:
        with pytest.raises(ValueError):
            loss.hessp(y, raw, d)
        return
    directions = [d]
    for k in range(raw.shape[1]):
        e = np.zeros_like(raw)
        e[:, k] = 1.0
        directions.append(e)
    for direction in directions:
        hv = loss.hessp(y, raw, direction)
        assert hv.shape == raw.shape
        numeric = (loss.gradient(y, raw + H * direction)
                   - loss.gradient(y, raw - H * direction)) / (2 * H)
        # rows with a zero product (e.g. a common shift of the smoothed Crammer-Singer
        # violations on the capped face) meet FD noise eps * |grad| / h ~ 1e-9: floor 1e-2
        assert _rel_err(hv, numeric, floor=1e-2).max() < FD_RTOL
    # linear in the direction
    assert_allclose(loss.hessp(y, raw, 2.0 * d - directions[1]),
                    2.0 * loss.hessp(y, raw, d) - loss.hessp(y, raw, directions[1]),
                    rtol=1e-12, atol=1e-12)


FLAGS_TABLE = [
    # structure, power, gamma, is_smooth, has_hessp
    ("binary", 1, 0.0, False, False),
    ("binary", 2, 0.0, True, True),
    ("binary", 1, 0.3, True, True),
    ("binary", 2, 0.3, True, True),
    ("ovr", 1, 0.0, False, False),
    ("ovr", 2, 0.0, True, True),
    ("weston_watkins", 1, 0.0, False, False),
    ("weston_watkins", 2, 0.0, True, True),
    ("crammer_singer", 1, 0.0, False, False),
    ("crammer_singer", 2, 0.0, False, True),  # not C^1 at ties; generalised Hessian 2 lam lam^T
    ("crammer_singer", 1, 0.3, True, True),
    ("crammer_singer", 2, 0.3, True, True),
]


@pytest.mark.parametrize("structure, power, gamma, is_smooth, has_hessp", FLAGS_TABLE)
def test_flags(structure, power, gamma, is_smooth, has_hessp):
    loss = HingeFamilyLoss(structure, power, gamma)
    assert loss.is_smooth is is_smooth
    assert loss.has_hessian is has_hessp
    if not is_smooth:
        assert loss.lipschitz(_n_out(structure)) is None


# ---------------------------------------------------------------------------------------------
# 6. Lipschitz constants of the gradient in raw
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, gamma, expected", [("squared_hinge", 0.0, 2.0),
                                                   ("smooth_hinge", 0.5, 2.0),
                                                   ("smooth_hinge", 0.3, 1 / 0.3),
                                                   ("smooth_hinge", 2.0, 0.5),
                                                   ("hinge", 0.0, None)])
def test_binary_lipschitz_values(name, gamma, expected):
    # docs/user_guide/losses.rst, 'Binary losses', the Lipschitz constants
    value = binary_loss(name, gamma=gamma).lipschitz(1)
    if expected is None:
        assert value is None
    else:
        assert_allclose(value, expected, rtol=1e-14)


LIPSCHITZ_LOSSES = [s for s in ALL_LOSSES + [(st, 1, 2.0) for st in STRUCTURES]
                    if HingeFamilyLoss(*s).lipschitz(_n_out(s[0])) is not None]


def test_lipschitz_losses_listed():
    # every smooth loss has a constant except the smoothed squared ones (None: not claimed)
    expected = {s for s in ALL_LOSSES + [(st, 1, 2.0) for st in STRUCTURES]
                if HingeFamilyLoss(*s).is_smooth and not (s[1] == 2 and s[2] > 0)}
    assert set(LIPSCHITZ_LOSSES) == expected


@pytest.mark.parametrize("spec", LIPSCHITZ_LOSSES, ids=_loss_id)
def test_lipschitz_bound_holds(spec):
    loss = HingeFamilyLoss(*spec)
    n_out = _n_out(loss.structure)
    lip = loss.lipschitz(n_out)
    rng = np.random.default_rng(7)
    n = 4000
    y = _random_target(loss, n, rng)
    a = 2.0 * rng.standard_normal((n, n_out))
    ratios = []
    for scale in (1e-3, 1e-1, 1.0, 5.0):
        b = a + scale * rng.standard_normal((n, n_out))
        num = np.linalg.norm(loss.gradient(y, a) - loss.gradient(y, b), axis=1)
        den = np.linalg.norm(a - b, axis=1)
        ratios.append(num / den)
    ratios = np.concatenate(ratios)
    assert ratios.max() <= lip * (1 + 1e-9)
    assert ratios.max() > 0.2 * lip  # a sanity check that the pairs probe the curvature


def _worst_case_point(structure, power, gamma):
    """``(y, raw, d)``: every violation equal to ``c`` in the zone of largest curvature, and the
    direction ``d = A^T 1`` that moves them all together (the top eigenvector of ``A^T A``)."""
    if power == 2:
        c = 0.5
    elif structure == "crammer_singer":
        c = gamma / (2 * (K - 1))  # all K - 1 pieces in the support, the capped simplex not full
    else:
        c = gamma / 2
    if structure == "binary":
        return np.array([1.0]), np.array([[1.0 - c]]), np.array([[-1.0]])
    raw = np.full((1, K), c - 1.0)
    if structure == "ovr":  # t = (+1, -1, ..., -1): v_c = 1 - t_c raw_c = c
        raw[0, 0] = 1.0 - c
        d = np.array([[-1.0] + [1.0] * (K - 1)])
    else:  # v_j = 1 + raw_j - raw_0 = c
        raw[0, 0] = 0.0
        d = np.array([[-(K - 1.0)] + [1.0] * (K - 1)])
    return np.array([0]), raw, d


@pytest.mark.parametrize("spec", LIPSCHITZ_LOSSES, ids=_loss_id)
def test_lipschitz_is_attained(spec):
    # ||A||^2 L_v (docs/user_guide/losses.rst, 'Smoothed hinges: Huber and psi', for L_v;
    # ||A||^2 = 1 binary and one-vs-rest, K otherwise) is
    # the curvature along A^T 1 where every term is in its zone of largest curvature: a constant
    # below it would be violated here, one above it is not the documented constant
    loss = HingeFamilyLoss(*spec)
    y, raw, d = _worst_case_point(*spec)
    lip = loss.lipschitz(raw.shape[1])
    eps = 1e-5 * min(1.0, loss.gamma or 1.0)
    ratio = (np.linalg.norm(loss.gradient(y, raw + eps * d) - loss.gradient(y, raw))
             / np.linalg.norm(eps * d))
    assert ratio <= lip * (1 + 1e-6)
    assert ratio >= lip * (1 - 1e-6)
    hv = loss.hessp(y, raw, d)
    assert_allclose(np.linalg.norm(hv) / np.linalg.norm(d), lip, rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# 7. Proximal weights (implicit SGD)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [s for s in ALL_LOSSES + [(st, 1, 1.5) for st in STRUCTURES]
                                  if (s[1] == 1 or s[2] == 0)
                                  and not (s[0] == "crammer_singer" and (s[1] == 2 or s[2] == 0))],
                         ids=_loss_id)
def test_prox_weights_are_derivatives_at_the_landing_point(spec):
    # w = prox_weights(v, a) is d xi^p / dv at v' = v - a * w (a fixed point), for every loss
    # where that point is unique: single-piece terms, and smoothed hinge Crammer-Singer. (For
    # power 2 the docstring's formula 2 xi / (1 + 2 a) is the exact prox only with gamma == 0.)
    loss = HingeFamilyLoss(*spec)
    rng = np.random.default_rng(8)
    n = 200
    y = _random_target(loss, n, rng)
    raw = 1.5 * rng.standard_normal((n, _n_out(loss.structure)))
    v = loss.violations(y, raw)
    a = rng.uniform(0.05, 3.0, (n, 1))
    w = loss.prox_weights(v, a)
    assert w.shape == v.shape
    landing = v - a * w
    lam = loss.term_weights(landing)
    if loss.power == 1:
        if loss.gamma > 0:
            assert_allclose(w, lam, rtol=1e-10, atol=1e-12)
        else:  # the prox of the hinge: land beyond the kink with weight 1, or on it with w in [0,1]
            assert_allclose(w, np.clip(v / a, 0.0, 1.0), rtol=1e-12, atol=1e-15)
            on_kink = np.isclose(landing, 0.0, atol=1e-12)
            assert np.all((w >= 0) & (w <= 1))
            assert_allclose(w[~on_kink], lam[~on_kink], rtol=0, atol=0)
    else:
        xi = loss.term_values(landing, lam)
        assert_allclose(w, 2.0 * xi * lam, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# 8. dtype
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ALL_LOSSES, ids=_loss_id)
def test_float32_in_float32_out(spec):
    loss = HingeFamilyLoss(*spec)
    rng = np.random.default_rng(9)
    n = 50
    y = _random_target(loss, n, rng)  # (int8 signs: float32 values must stay float32)
    raw = (1.5 * rng.standard_normal((n, _n_out(loss.structure)))).astype(np.float32)
    d = rng.standard_normal(raw.shape).astype(np.float32)
    assert loss.violations(y, raw).dtype == np.float32
    assert loss.loss(y, raw).dtype == np.float32
    assert loss.gradient(y, raw).dtype == np.float32
    value, grad = loss.loss_gradient(y, raw)
    assert value.dtype == np.float32 and grad.dtype == np.float32
    if loss.has_hessian:
        assert loss.hessp(y, raw, d).dtype == np.float32


@pytest.mark.parametrize("spec", ALL_LOSSES, ids=_loss_id)
def test_float32_agrees_with_float64(spec):
    # the same inputs (exactly representable in float32) give the same results to float32 precision
    loss = HingeFamilyLoss(*spec)
    rng = np.random.default_rng(10)
    n = 2000
    y64 = _random_target(loss, n, rng)
    y32 = y64.astype(np.float32) if loss.structure == "binary" else y64
    raw32 = (2.0 * rng.standard_normal((n, _n_out(loss.structure)))).astype(np.float32)
    d32 = rng.standard_normal(raw32.shape).astype(np.float32)
    raw64, d64 = raw32.astype(np.float64), d32.astype(np.float64)
    keep = _kink_distance(loss.structure, loss.gamma, y64, raw64) > 1e-3  # float32 rounding
    tol = dict(rtol=1e-4, atol=1e-4)
    assert_allclose(loss.loss(y32, raw32)[keep], loss.loss(y64, raw64)[keep], **tol)
    assert_allclose(loss.gradient(y32, raw32)[keep], loss.gradient(y64, raw64)[keep], **tol)
    if loss.has_hessian:
        assert_allclose(loss.hessp(y32, raw32, d32)[keep], loss.hessp(y64, raw64, d64)[keep],
                        **tol)


def test_all_loss_combinations_are_listed():
    # guard: the tables above cover every structure, power and (exact or smoothed) gamma
    assert set(itertools.product(STRUCTURES, (1, 2), (0.0, 0.3))) == set(ALL_LOSSES)


# ---------------------------------------------------------------------------------------------
# 9. The psi smoother of Luo, Qiao & Zhang: psi(u) = (u + sqrt(u^2 + sigma^2)) / 2, u = 1 - z
# ---------------------------------------------------------------------------------------------
PSI_STRUCTURES = ("binary", "ovr", "weston_watkins")

# sigma, z, y, loss, d loss / d raw, d2 loss / d raw2; by hand: sqrt(0.75^2 + 1) = 1.25,
# sqrt(1.5^2 + 2^2) = 2.5; psi' = (1 + u / r) / 2, psi'' = sigma^2 / (2 r^3)
PSI_TABLE = [
    (1.0, 1.0, 1.0, 0.5, -0.5, 0.5),          # z = 1: the hinge's kink; psi = sigma / 2
    (0.5, 1.0, 1.0, 0.25, -0.5, 1.0),         # psi'' at u = 0 is its maximum 1 / (2 sigma)
    (1.0, 0.25, 1.0, 1.0, -0.8, 0.256),       # u = 0.75: (0.75 + 1.25) / 2
    (1.0, 1.75, 1.0, 0.25, -0.2, 0.256),      # u = -0.75: (-0.75 + 1.25) / 2
    (2.0, -0.5, 1.0, 2.0, -0.8, 0.128),       # u = 1.5: (1.5 + 2.5) / 2, 4 / (2 * 2.5^3)
    (1.0, 0.25, -1.0, 1.0, 0.8, 0.256),       # y = -1, raw = -0.25: d/draw = y d/dz
    (1.0, 1.0 + 1e8, 1.0, 0.25e-8, -0.25e-16, 0.5e-24),  # u = -1e8: no cancellation
]


@pytest.mark.parametrize("sigma, z, y, expected_loss, expected_dloss, expected_d2", PSI_TABLE)
def test_psi_hinge_table(sigma, z, y, expected_loss, expected_dloss, expected_d2):
    loss = binary_loss("psi_hinge", sigma)
    yy = np.array([y])
    raw = np.array([[y * z]])
    assert loss.loss(yy, raw)[0] == pytest.approx(expected_loss, rel=1e-12)
    assert loss.gradient(yy, raw)[0, 0] == pytest.approx(expected_dloss, rel=1e-10)
    assert loss.hessp(yy, raw, np.ones((1, 1)))[0, 0] == pytest.approx(expected_d2, rel=1e-10)
    assert loss.hessian_operator(yy, raw).diagonal()[0, 0] == pytest.approx(expected_d2,
                                                                             rel=1e-10)


def _psi_ref(u, sigma):
    return 0.5 * (u + np.sqrt(u * u + sigma * sigma)), 0.5 * (1.0 + u / np.sqrt(u * u + sigma**2))


def _psi_ref_loss_grad(structure, sigma, y, raw):
    """Loops over samples and terms, from the formulas of
    docs/user_guide/losses.rst ('Binary losses', 'Multiclass losses')."""
    n, k = raw.shape
    loss, grad = np.zeros(n), np.zeros_like(raw)
    for i in range(n):
        for _, pieces in enumerate(_ref_terms(structure, raw[i], y[i])):
            (v, dv), = pieces  # one piece per term
            value, slope = _psi_ref(v, sigma)
            loss[i] += value
            grad[i] += slope * dv
    return loss, grad


@pytest.mark.parametrize("structure", PSI_STRUCTURES)
@pytest.mark.parametrize("sigma", [0.1, 1.0, 3.0])
def test_psi_against_naive_loops(structure, sigma):
    loss = HingeFamilyLoss(structure, 1, sigma, "psi")
    rng = np.random.default_rng(11)
    y = _random_target(loss, 60, rng)
    raw = 2.0 * rng.standard_normal((60, _n_out(structure)))
    ref_loss, ref_grad = _psi_ref_loss_grad(structure, sigma, y, raw)
    value, grad = loss.loss_gradient(y, raw)
    assert_allclose(value, ref_loss, rtol=1e-12)
    assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-14)
    assert loss.is_smooth and loss.has_hessian and not loss.is_piecewise_linear


@pytest.mark.parametrize("structure", PSI_STRUCTURES)
def test_psi_gradient_and_hessp_finite_differences(structure):
    loss = HingeFamilyLoss(structure, 1, 0.7, "psi")
    rng = np.random.default_rng(12)
    y = _random_target(loss, 80, rng)
    raw = 1.5 * rng.standard_normal((80, _n_out(structure)))
    grad = loss.gradient(y, raw)
    numeric = np.empty_like(raw)
    for k in range(raw.shape[1]):
        step = np.zeros_like(raw)
        step[:, k] = H
        numeric[:, k] = (loss.loss(y, raw + step) - loss.loss(y, raw - step)) / (2 * H)
    assert _rel_err(grad, numeric).max() < FD_RTOL
    d = rng.standard_normal(raw.shape)
    hv = loss.hessp(y, raw, d)
    numeric_h = (loss.gradient(y, raw + H * d) - loss.gradient(y, raw - H * d)) / (2 * H)
    assert _rel_err(hv, numeric_h, floor=1e-2).max() < FD_RTOL
    # the diagonal of the Hessian, column by column
    diag = loss.hessian_operator(y, raw).diagonal()
    for k in range(raw.shape[1]):
        e = np.zeros_like(raw)
        e[:, k] = 1.0
        assert_allclose(diag[:, k], loss.hessp(y, raw, e)[:, k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("sigma", [0.05, 1.0, 4.0])
def test_psi_bounds_and_lipschitz(sigma):
    loss = binary_loss("psi_hinge", sigma)
    hinge = binary_loss("hinge")
    z = np.linspace(-6, 8, 2001)
    y = np.ones_like(z)
    raw = z[:, None]
    lp, lh = loss.loss(y, raw), hinge.loss(y, raw)
    assert np.all(lp >= lh) and np.all(lp <= lh + sigma / 2 + 1e-15)
    curvature = loss.hessp(y, raw, np.ones_like(raw))[:, 0]
    assert np.all(curvature > 0) and curvature.max() <= 1.0 / (2 * sigma) * (1 + 1e-12)
    assert loss.lipschitz(1) == pytest.approx(1.0 / (2 * sigma))
    assert np.isclose(curvature.max(), 1.0 / (2 * sigma), rtol=1e-3)  # attained near z = 1
    ww = HingeFamilyLoss("weston_watkins", 1, sigma, "psi")
    assert ww.lipschitz(K) == pytest.approx(K / (2 * sigma))
    # the Huberised smooth hinge lies below the hinge, psi above it
    assert np.all(binary_loss("smooth_hinge", sigma).loss(y, raw) <= lh)


def test_psi_masked_entries_contribute_nothing():
    loss = HingeFamilyLoss("weston_watkins", 1, 1.0, "psi")
    y = np.array([0, 2])
    raw = np.array([[0.0, -1.0, -2.0], [3.0, 3.0, 1.0]])
    v = loss.violations(y, raw)
    assert np.isneginf(v[0, 0]) and np.isneginf(v[1, 2])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss.loss(y, raw)
        grad = loss.gradient(y, raw)
        hv = loss.hessp(y, raw, np.ones_like(raw))
    # sample 0: v = (0, -1) for j = 1, 2; sample 1: v = (3, 3)
    expected = [_psi_ref(0.0, 1.0)[0] + _psi_ref(-1.0, 1.0)[0], 2 * _psi_ref(3.0, 1.0)[0]]
    assert_allclose(value, expected, rtol=1e-12)
    assert_allclose(grad.sum(axis=1), 0.0, atol=1e-14)  # WW gradients sum to zero per sample
    assert np.all(np.isfinite(hv))


def test_psi_validation():
    with pytest.raises(ValueError, match="Crammer-Singer"):
        multiclass_loss("crammer_singer", "psi_hinge", 1.0)
    with pytest.raises(ValueError, match="power 1"):
        HingeFamilyLoss("binary", 2, 1.0, "psi")
    with pytest.raises(ValueError, match="sigma"):
        HingeFamilyLoss("binary", 1, 0.0, "psi")
    with pytest.raises(ValueError, match="smoother"):
        HingeFamilyLoss("binary", 1, 1.0, "cubic")
    with pytest.raises(ValueError, match="psi_hinge needs"):
        binary_loss("psi_hinge", 0.0)
    with pytest.raises(ValueError, match="smooth_hinge needs"):
        binary_loss("smooth_hinge", -1.0)
    assert binary_loss("psi_hinge", 0.5).name == "psi_hinge(sigma=0.5)"
    assert multiclass_loss("ovr", "psi_hinge", 2.0).name == "ovr_psi_hinge(sigma=2)"
    assert binary_loss("psi_hinge", 0.5).smoothed(0.1).smoother == "psi"


@pytest.mark.parametrize("structure", PSI_STRUCTURES)
def test_psi_prox_weights_are_derivatives_at_the_landing_point(structure):
    loss = HingeFamilyLoss(structure, 1, 0.8, "psi")
    rng = np.random.default_rng(13)
    y = _random_target(loss, 200, rng)
    raw = 1.5 * rng.standard_normal((200, _n_out(structure)))
    v = loss.violations(y, raw)
    a = rng.uniform(0.05, 3.0, (200, 1))
    w = loss.prox_weights(v, a)
    valid = loss.valid_entries(y, v.shape[1])
    assert_allclose(w[valid], loss.term_weights(v - a * w)[valid], rtol=1e-10, atol=1e-12)
    assert np.all(w[~valid] == 0.0)


@pytest.mark.parametrize("structure", PSI_STRUCTURES)
def test_psi_float32(structure):
    loss = HingeFamilyLoss(structure, 1, 0.5, "psi")
    rng = np.random.default_rng(14)
    y64 = _random_target(loss, 500, rng)
    y32 = y64.astype(np.float32) if structure == "binary" else y64
    raw32 = (3.0 * rng.standard_normal((500, _n_out(structure)))).astype(np.float32)
    raw32[0] = 1e30  # huge scores: no overflow warning
    d32 = rng.standard_normal(raw32.shape).astype(np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad = loss.loss_gradient(y32, raw32)
        hv = loss.hessp(y32, raw32, d32)
    assert value.dtype == grad.dtype == hv.dtype == np.float32
    raw64 = raw32.astype(np.float64)
    tol = dict(rtol=1e-5, atol=1e-5)
    assert_allclose(value[1:], loss.loss(y64, raw64)[1:], **tol)
    assert_allclose(grad[1:], loss.gradient(y64, raw64)[1:], **tol)
    assert_allclose(hv[1:], loss.hessp(y64, raw64, d32.astype(np.float64))[1:], **tol)


# ----------------------------------------------------------------------------- fused kernels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("gamma", [0.0, 0.3])
@pytest.mark.parametrize("power", [1, 2])
@pytest.mark.parametrize("structure", ["binary", "ovr"])
def test_fused_kernels_agree_with_the_array_formulas(structure, power, gamma, dtype):
    """The one-pass kernels (value, weighted gradient, curvature, value along a line) give what
    the loss's array methods give, weighted by the costs, including costs of zero and margins
    exactly at the kinks (0 and gamma)."""
    rng = np.random.default_rng(0)
    loss = HingeFamilyLoss(structure, power, gamma)
    assert loss.has_compiled_terms
    n, K = 300, (1 if structure == "binary" else 4)
    y = loss.encode_target(rng.integers(0, 2 if structure == "binary" else K, n))
    raw = rng.normal(0.0, 1.5, size=(n, K)).astype(dtype)
    raw[:20] = 1.0  # v = 0 for the positive entries
    raw[20:40] = np.asarray(1.0 - gamma, dtype=dtype)  # v = gamma
    c = rng.uniform(0.0, 2.0, n).astype(dtype)
    c[::7] = 0.0
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    expected = float(np.dot(c.astype(np.float64), loss.loss(y, raw).astype(np.float64)))
    np.testing.assert_allclose(loss.weighted_value(y, raw, c), expected, rtol=rtol)
    value, g = loss.weighted_value_gradient(y, raw, c)
    assert g.dtype == dtype and g.shape == raw.shape
    np.testing.assert_allclose(value, expected, rtol=rtol)
    np.testing.assert_allclose(g, loss.gradient(y, raw) * c[:, None], rtol=rtol, atol=1e-30)
    raw_d = rng.normal(size=raw.shape).astype(dtype)
    on_line = float(np.dot(c.astype(np.float64),
                           loss.loss(y, (raw + 0.37 * raw_d).astype(np.float64))))
    np.testing.assert_allclose(loss.weighted_value_on_line(y, raw, raw_d, 0.37, c), on_line,
                               rtol=rtol)
    if loss.has_hessian:
        curvature = loss.weighted_curvature(y, raw, c)
        np.testing.assert_allclose(curvature, loss.hessian_operator(y, raw).diagonal()
                                   * c[:, None], rtol=rtol)


@pytest.mark.parametrize("structure", ["binary", "ovr", "weston_watkins"])
def test_in_place_violations_and_pull_back_are_the_plain_ones(structure):
    """``overwrite=True`` (binary, one-vs-rest: the input becomes the result) gives what the
    plain ``violations`` and ``apply_AT`` give, and leaves other structures' inputs alone."""
    rng = np.random.default_rng(1)
    loss = HingeFamilyLoss(structure, 1)
    K = 1 if structure == "binary" else 4
    y = loss.encode_target(rng.integers(0, 2 if structure == "binary" else K, 50))
    raw = rng.normal(size=(50, K))
    expected_v, expected_g = loss.violations(y, raw), loss.apply_AT(y, raw)
    for method, expected in ((loss.violations, expected_v), (loss.apply_AT, expected_g)):
        work = raw.copy()
        out = method(y, work, overwrite=True)
        assert_allclose(out, expected, rtol=1e-15)
        if structure == "weston_watkins":
            assert_allclose(work, raw, rtol=0)
        else:
            assert out is work
