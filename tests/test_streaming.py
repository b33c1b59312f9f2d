"""The compiled ``sgd`` and the streaming semantics of ``partial_fit``.

- ``partial_fit`` over one block, or over several, equals the documented one-epoch update
  (``hingeclf._solvers.sgd._epoch``, the user guide's "Streaming with partial_fit"), written out
  here sample by sample in numpy: the model, ``objective_`` (the progressive estimate) and
  ``n_samples_seen_``;
- the streaming objective does not depend on the block size: two block sizes over the same data
  reach the same objective within the solver's noise (and a block-size-dependent scaling, the
  earlier semantics, would not);
- the compiled epoch equals the numpy loop of the other losses on the losses both run, dense
  and CSR, float32 read as float32;
- ``early_stopping``, ``validation_fraction`` and ``n_iter_no_change`` of ``fit(solver="sgd")``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

import hingeclf._solvers.sgd as sgd_module
from hingeclf import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM
from hingeclf._loss_kernels import prox_slope
from hingeclf._losses import binary_loss, multiclass_loss
from hingeclf._objective import LinearObjective


def _data(n=300, d=6, n_classes=2, seed=0, offset=2.0):
    X, y = make_classification(n_samples=n, n_features=d, n_informative=4, n_redundant=0,
                               n_classes=n_classes, n_clusters_per_class=1, random_state=seed)
    return X + offset, y


def _term(v, power, gamma):
    if power == 2:
        return np.maximum(v, 0.0) ** 2
    if gamma == 0:
        return np.maximum(v, 0.0)
    return np.where(v >= gamma, v - gamma / 2, np.where(v > 0, v * v / (2 * gamma), 0.0))


def _prox(v, q, power, gamma):
    if power == 2:
        return 2.0 * np.maximum(v, 0.0) / (1.0 + 2.0 * q)
    return np.clip(v / (gamma + q), 0.0, 1.0)


def reference_stream(blocks, C, power, gamma, fit_intercept, seed, n_classes):
    """The documented update, sample by sample: each block in the order
    ``RandomState(seed).permutation(len(block))``; returns ``(coef_, intercept_, objective_,
    n_samples_seen_)`` as the estimator reports them (binary: one output)."""
    K = 1 if n_classes == 2 else n_classes
    X0 = blocks[0][0]
    d = X0.shape[1]
    center = X0.mean(axis=0) if fit_intercept else np.zeros(d)
    W, b = np.zeros((K, d)), np.zeros(K)
    sum_w, sum_b = np.zeros((K, d)), np.zeros(K)
    t = seen = m = 0
    loss0 = progressive = 0.0
    t0 = sgd_module.T0
    for X, y in blocks:
        T = (np.where(y == 1, 1.0, -1.0)[:, None] if K == 1
             else np.where(np.arange(K)[None, :] == y[:, None], 1.0, -1.0))
        for i in np.random.RandomState(seed).permutation(X.shape[0]):
            seen += 1
            loss0 += C * K * float(_term(np.array(1.0), power, gamma))
            eta = 1.0 / (t + t0)
            x = X[i] - center
            v = 1.0 - T[i] * (W @ x + b)
            progressive += C * float(_term(v, power, gamma).sum())
            scale = eta * seen * C
            g = -T[i] * _prox(v, scale * (x @ x + fit_intercept), power, gamma) * scale
            W = (W - np.outer(g, x)) / (1.0 + eta)
            if fit_intercept:
                b = b - g
            norm, radius = np.linalg.norm(W), np.sqrt(2.0 * loss0)
            if norm > radius:
                W *= radius / norm
            t += 1
            m += 1
            sum_w += W
            sum_b += b
    w, bc = sum_w / m, sum_b / m
    return w, bc - w @ center, 0.5 * float(np.sum(w * w)) + progressive, seen


def _blocks(X, y, sizes):
    edges = np.cumsum([0] + list(sizes))
    return [(X[lo:hi], y[lo:hi]) for lo, hi in zip(edges[:-1], edges[1:])]


CASES = [  # (estimator, power, gamma, n_classes)
    (lambda **kw: HingeSVM(**kw), 1, 0.0, 2),
    (lambda **kw: SquaredHingeSVM(**kw), 2, 0.0, 2),
    (lambda **kw: HingeSVM(loss="smooth_hinge", smoothing=0.5, **kw), 1, 0.5, 2),
    (lambda **kw: HingeSVM(**kw), 1, 0.0, 3),
]
CASE_IDS = ["hinge", "squared_hinge", "smooth_hinge", "ovr_hinge"]


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sizes", [[300], [120, 100, 80]], ids=["one_block", "three_blocks"])
@pytest.mark.parametrize("make, power, gamma, n_classes", CASES, ids=CASE_IDS)
def test_partial_fit_equals_the_documented_epoch(make, power, gamma, n_classes, sizes,
                                                 fit_intercept):
    X, y = _data(n_classes=n_classes)
    C = 0.5
    est = make(C=C, solver="sgd", random_state=3, fit_intercept=fit_intercept)
    for Xb, yb in _blocks(X, y, sizes):
        est.partial_fit(Xb, yb, classes=np.arange(n_classes))
    w, b, objective, seen = reference_stream(_blocks(X, y, sizes), C, power, gamma,
                                             fit_intercept, 3, n_classes)
    np.testing.assert_allclose(est.coef_, w, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(est.intercept_, b if fit_intercept else 0.0, rtol=1e-9,
                               atol=1e-10)
    np.testing.assert_allclose(est.objective_, objective, rtol=1e-10)
    assert est.n_samples_seen_ == seen == 300
    assert est.n_iter_ == 1


def test_progressive_objective_is_an_estimate_above_the_value():
    """The progressive estimate is stated to be usually above ``P`` at the model: here it is,
    and ``P`` at the model is that of the fit's objective on all the samples seen."""
    X, y = _data(n=2000)
    est = HingeSVM(C=0.1, solver="sgd", random_state=0).partial_fit(X, y, classes=[0, 1])
    value = _objective(est, X, y, 0.1)
    assert est.objective_ > value


def _objective(est, X, y, C, loss=None):
    loss = binary_loss("hinge") if loss is None else loss
    target = loss.encode_target(np.searchsorted(est.classes_, y))
    problem = LinearObjective(loss, X, target, np.full(X.shape[0], C), 1, est.fit_intercept)
    coef = est.coef_.ravel()
    if est.fit_intercept:
        coef = np.append(coef, est.intercept_)
    return problem.value(coef.astype(X.dtype))


def test_two_block_sizes_reach_the_same_objective():
    """``C`` means the same whatever the blocks: one block of 4000 and 40 blocks of 100 over
    the same samples end within 1% of each other (the solver's noise: the blocks' orders
    differ), both within 3% of the optimum of ``fit`` at the same ``C``."""
    X, y = make_classification(n_samples=4000, n_features=10, n_informative=5, flip_y=0.1,
                               random_state=1)
    X = StandardScaler().fit_transform(X)
    C = 0.05
    values = []
    for block in (4000, 100):
        est = HingeSVM(C=C, solver="sgd", random_state=0)
        for lo in range(0, 4000, block):
            est.partial_fit(X[lo:lo + block], y[lo:lo + block], classes=[0, 1])
        values.append(_objective(est, X, y, C))
    best = HingeSVM(C=C, solver="newton", tol=1e-8).fit(X, y).objective_
    assert abs(values[0] - values[1]) <= 0.01 * best
    assert best * (1 - 1e-9) <= min(values) and max(values) <= 1.03 * best


@pytest.mark.parametrize("make, power, gamma, n_classes", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("layout", ["dense", "csr", "dense_f32"])
def test_compiled_epoch_equals_the_numpy_loop(monkeypatch, make, power, gamma, n_classes,
                                              layout):
    """Three epochs of ``fit`` (the running count, then the data's size; averaged) by the
    compiled kernel and by the numpy loop that the other losses run."""
    X, y = _data(n_classes=n_classes)
    X = {"dense": X, "csr": sp.csr_matrix(X), "csc": sp.csc_matrix(X),
         "dense_f32": X.astype(np.float32)}[layout]
    fits = []
    for compiled in (True, False):
        if not compiled:
            monkeypatch.setattr(sgd_module, "compiled", lambda objective: False)
        est = make(C=0.5, solver="sgd", random_state=0, max_iter=3)
        with pytest.warns(Warning):  # (3 epochs: max_iter reached)
            fits.append(est.fit(X, y))
    rtol = 2e-4 if layout == "dense_f32" else 1e-9
    np.testing.assert_allclose(fits[0].coef_, fits[1].coef_, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(fits[0].intercept_, fits[1].intercept_, rtol=rtol, atol=rtol)
    assert fits[0].coef_.dtype == X.dtype


def test_float32_is_read_as_float32_and_agrees_with_float64():
    X, y = _data()
    f64 = HingeSVM(solver="sgd", random_state=0).partial_fit(X, y, classes=[0, 1])
    f32 = HingeSVM(solver="sgd", random_state=0).partial_fit(X.astype(np.float32), y,
                                                             classes=[0, 1])
    assert f32.coef_.dtype == np.float32
    np.testing.assert_allclose(f32.coef_, f64.coef_, rtol=1e-4, atol=1e-5)


def test_sparse_and_dense_streams_are_the_same():
    X, y = _data(n=400, d=30)
    X[np.abs(X - 2.0) < 0.8] = 0.0
    dense = HingeSVM(solver="sgd", random_state=0)
    csr = HingeSVM(solver="sgd", random_state=0)
    for lo in range(0, 400, 150):
        dense.partial_fit(X[lo:lo + 150], y[lo:lo + 150], classes=[0, 1])
        csr.partial_fit(sp.csr_matrix(X[lo:lo + 150]), y[lo:lo + 150], classes=[0, 1])
    np.testing.assert_allclose(csr.coef_, dense.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(csr.intercept_, dense.intercept_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("power, gamma", [(1, 0.0), (1, 0.3), (2, 0.0)])
def test_compiled_prox_slope_is_the_loss_prox_weights(power, gamma):
    loss = binary_loss("smooth_hinge", gamma) if gamma else binary_loss(
        {1: "hinge", 2: "squared_hinge"}[power])
    rng = np.random.default_rng(0)
    v = rng.normal(scale=2.0, size=200)
    a = rng.exponential(size=200)
    expected = loss.prox_weights(v[:, None], a[:, None])[:, 0]
    got = np.array([prox_slope(vi, ai, power, gamma) for vi, ai in zip(v, a)])
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-15)


def test_numpy_loop_serves_the_other_multiclass_losses():
    """Weston-Watkins and Crammer-Singer run the numpy loop with the same streaming count."""
    X, y = _data(n=150, n_classes=3)
    for structure in ("weston_watkins", "crammer_singer"):
        est = MulticlassHingeSVM(multi_class=structure, solver="sgd", random_state=0)
        for lo in range(0, 150, 50):
            est.partial_fit(X[lo:lo + 50], y[lo:lo + 50], classes=[0, 1, 2])
        assert est.n_samples_seen_ == 150
        assert not sgd_module.compiled(LinearObjective(
            multiclass_loss(structure, "hinge"), X, y, np.ones(150), 3, True))
        assert est.score(X, y) > 0.6


def test_fit_then_partial_fit_counts_the_fit_samples():
    X, y = _data()
    est = HingeSVM(solver="sgd", random_state=0, max_iter=2)
    with pytest.warns(Warning):
        est.fit(X[:200], y[:200])
    assert est.n_samples_seen_ == 200
    est.partial_fit(X[200:], y[200:])
    assert est.n_samples_seen_ == 300


# ----------------------------------------------------------------------------- early stopping
def test_early_stopping_holds_out_a_stratified_share_and_stops_on_it():
    X, y = make_classification(n_samples=1000, n_features=10, random_state=0)
    X = StandardScaler().fit_transform(X)
    est = HingeSVM(solver="sgd", early_stopping=True, validation_fraction=0.2,
                   n_iter_no_change=3, random_state=0, max_iter=200).fit(X, y)
    assert est.converged_
    assert est.n_samples_seen_ == 800
    # it stopped on the validation score: the objective rule alone runs longer here
    plain = HingeSVM(solver="sgd", n_iter_no_change=3, random_state=0, max_iter=200).fit(X, y)
    assert est.n_iter_ != plain.n_iter_ or est.objective_ != plain.objective_
    assert est.score(X, y) > 0.8
    # n_iter_no_change bounds the epochs after the best one
    quick = HingeSVM(solver="sgd", early_stopping=True, n_iter_no_change=1,
                     random_state=0, max_iter=200).fit(X, y)
    assert quick.n_iter_ <= est.n_iter_


def test_n_iter_no_change_sets_the_objective_rule():
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    X = StandardScaler().fit_transform(X)
    one = HingeSVM(solver="sgd", n_iter_no_change=1, random_state=0).fit(X, y)
    five = HingeSVM(solver="sgd", random_state=0).fit(X, y)
    assert one.n_iter_ < five.n_iter_


@pytest.mark.parametrize("params, message", [
    (dict(early_stopping=True, solver="newton"), "early_stopping=True applies to solver='sgd'"),
    (dict(early_stopping=True, solver="auto"), "early_stopping=True applies to solver='sgd'"),
    (dict(solver="sgd", validation_fraction=0.0), "validation_fraction"),
    (dict(solver="sgd", validation_fraction=1.0), "validation_fraction"),
    (dict(solver="sgd", n_iter_no_change=0), "n_iter_no_change"),
    (dict(solver="sgd", early_stopping="yes"), "early_stopping"),
    (dict(solver="sgd", early_stopping=True, validation_fraction=0.001),
     "cannot hold out validation_fraction=0.001"),
])
def test_stopping_parameters_are_validated(params, message):
    X, y = _data(n=100)
    for cls in (HingeSVM, SquaredHingeSVM, MulticlassHingeSVM):
        with pytest.raises(ValueError, match=message):
            cls(**params).fit(X, y)
