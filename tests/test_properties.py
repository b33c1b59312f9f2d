"""Property-based tests (Hypothesis) on random small problems (issue 7, part 5).

Problems have 6-30 samples, 1-6 features and 2-4 classes; each example also draws dense or sparse
(CSR or CSC) input, with or without an intercept, with or without sample weights, and ``C``
(the solver comparisons also draw badly scaled features and extreme ``C``). The properties:

- every loss of the hinge family (binary, one-vs-rest, Weston-Watkins, Crammer-Singer; power 1
  and 2; exact and smoothed) is >= 0, and its gradient matches central finite differences away
  from the kinks;
- the full-batch solvers of an estimator agree on ``objective_``, and a reported
  ``duality_gap_`` is >= 0 and at rounding level;
- with the default settings, the default solver converges on these small problems;
- relabelling the classes (a permutation, and ints to strings) permutes the model;
- integer sample weights equal repeated rows;
- multiplying ``C`` by ``k`` and the sample weights by ``1 / k`` gives the same model;
- sparse input gives the model of dense input;
- no fit emits a numpy RuntimeWarning (a NaN or an overflow along the way);
- every reported ``duality_gap_`` bounds the true error at any ``C`` (1e-12 to 1e6): it is not
  negative beyond rounding and no fit's ``objective_ - duality_gap_`` exceeds another fit's
  objective (an upper bound on ``P*``); ``AllPairsSquaredHingeSVM``'s certificate bounds its
  distance to an explicit-pairs Newton reference optimum, and a converged fit is within ``tol``.

Solvers are compared only where they report ``converged_``: ``ConvergenceWarning`` and
``converged_`` are tested in ``test_reliability.py``. Models are compared by ``objective_``,
``coef_`` (unique: the penalty is strongly convex in the weights) and the decision function
(centred per sample for Crammer-Singer and Weston-Watkins, which ignore a common shift of the
scores); with the hinge losses and an intercept the optimal intercepts need not be unique, so
there the decision function is compared without them (``objective_`` then shows that both
intercepts are optimal). The metrics are compared with scikit-learn and naive loops on random inputs in
``test_metrics.py``.

The number of examples comes from the Hypothesis profile (``tests/conftest.py``): ``default``
in a normal run, ten times more with ``HYPOTHESIS_PROFILE=thorough`` (or
``--hypothesis-profile=thorough``).
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from hingeclf import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM
from hingeclf._losses import MULTICLASS_STRUCTURES, HingeFamilyLoss
from hingeclf._solvers import SOLVERS, check_solver_supports

FULL_BATCH = [name for name, spec in SOLVERS.items() if not spec.stochastic]
STRUCTURES = ("binary", *MULTICLASS_STRUCTURES)

H = 1e-6  # finite-difference step
FD_RTOL = 1e-5  # relative error allowed between the gradient and its finite difference
KINK_GAP = 1e-4  # points whose violations are closer than this to a kink are left out
OBJ_RTOL = 1e-6  # agreement of objectives
DEC_RTOL, DEC_ATOL = 1e-6, 1e-8  # agreement of decision functions
TOL = 1e-8  # solver tolerance for the comparisons

CONFIGS = [(HingeSVM, {}), (SquaredHingeSVM, {})] + [
    (MulticlassHingeSVM, dict(multi_class=mc, loss=loss))
    for mc in MULTICLASS_STRUCTURES for loss in ("hinge", "squared_hinge")]

# a NaN or an overflow inside a fit (numpy's RuntimeWarning) fails the example
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

finite = dict(allow_nan=False, allow_infinity=False, allow_subnormal=False)


# =============================================================================================
# Strategies
# =============================================================================================
@st.composite
def loss_points(draw):
    """A loss and a batch of ``(y, raw)``: targets and decision values."""
    structure = draw(st.sampled_from(STRUCTURES))
    loss = HingeFamilyLoss(structure, draw(st.sampled_from([1, 2])),
                           draw(st.sampled_from([0.0, 0.5])))
    n = draw(st.integers(1, 8))
    n_out = 1 if structure == "binary" else draw(st.integers(2, 4))
    raw = draw(hnp.arrays(np.float64, (n, n_out), elements=st.floats(-3, 3, **finite)))
    if structure == "binary":
        y = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([-1.0, 1.0])))
    else:
        y = draw(hnp.arrays(np.intp, n, elements=st.integers(0, n_out - 1)))
    return loss, y, raw


@st.composite
def problems(draw, weights="float", wide=False):
    """A small classification problem: ``(X, y, sample_weight, fit_intercept, C)``.

    Features in [-4, 4], ``C`` in {0.1, 1, 10}; ``wide``: features also times 0.01 or 100, and
    ``C`` also 1e-3 or 1e3 (ill-conditioned problems, where only objectives are compared: the
    decision functions of two certified fits then differ by more than the fixed tolerances).
    Every class is present. ``weights``: "float" draws None or positive weights, "int"
    integer weights 0-3 (every class keeps a positive weight), "positive" positive weights.
    """
    n = draw(st.integers(6, 30))
    d = draw(st.integers(1, 6))
    k = draw(st.integers(2, 4))
    X = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-4, 4, **finite)))
    if wide:  # units of the features
        X = X * draw(st.sampled_from([1.0, 1e-2, 1e2]))
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    y[draw(st.permutations(range(n)))[:k]] = np.arange(k)  # every class present
    if weights == "int":
        sw = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3)))
        assume(all(sw[y == c].sum() > 0 for c in range(k)))
    elif weights == "positive" or draw(st.booleans()):
        sw = draw(hnp.arrays(np.float64, n, elements=st.floats(0.1, 5.0, **finite)))
    else:
        sw = None
    fit_intercept = draw(st.booleans())
    C = draw(st.sampled_from([1.0, 0.1, 10.0, 1e-3, 1e3] if wide else [1.0, 0.1, 10.0]))
    return X, y, sw, fit_intercept, C


layouts = st.sampled_from(["dense", "csr", "csc"])
configs = st.sampled_from(CONFIGS)
full_batch_solvers = st.sampled_from(FULL_BATCH)


def _supports(config, solver, n_classes):
    """Whether the registry says ``solver`` can minimise the loss of ``config``."""
    cls, kw = config
    if getattr(cls(**kw), "penalty", "l2") not in SOLVERS[solver].penalties:
        return False
    try:
        check_solver_supports(solver, cls(**kw)._make_loss(n_classes))
    except ValueError:
        return False
    return True


def _w_slack(est):
    """How far the weights of a fit may be from the optimum by its own certificate: 1-strong
    convexity in ``W`` gives ``||W - W*|| <= sqrt(2 gap)``. Solvers that stop on a relative
    duality gap ``<= tol`` are only that accurate; 0 below ``DEC_ATOL`` or without a gap (then
    the fixed tolerances apply)."""
    gap = est.duality_gap_
    slack = float(np.sqrt(2.0 * max(gap, 0.0))) if gap is not None else 0.0
    return slack if slack > DEC_ATOL else 0.0


def _as(layout, X):
    return {"dense": np.asarray, "csr": sp.csr_matrix, "csc": sp.csc_matrix}[layout](X)


def _fit(config, X, y, sample_weight=None, **params):
    cls, kw = config
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cls(**kw, **params).fit(X, y, sample_weight=sample_weight)


def _describe(config, est):
    note(f"{config[0].__name__}({config[1]}) {est.get_params()}: converged_={est.converged_} "
         f"n_iter_={est.n_iter_} objective_={est.objective_!r} gap={est.duality_gap_!r}")


def _scores(est, X, intercept=True):
    """Decision values as ``(n, K)`` in the order of ``classes_`` (without the intercept if
    ``intercept`` is False); rows centred where only differences of scores matter (and for two
    classes, whose one column is a difference)."""
    d = np.asarray(X @ est.coef_.T)
    if intercept:
        d = d + est.intercept_
    if d.shape[1] == 1:
        return np.column_stack([-d[:, 0], d[:, 0]]) / 2.0
    if getattr(est, "multi_class", "ovr") != "ovr":
        d = d - d.mean(axis=1, keepdims=True)
    return d


def _unique_intercept(config, est):
    """Whether the optimal intercepts are unique (up to the common shift removed by
    ``_scores``): with the hinge (piecewise linear) losses they can fill an interval, e.g. when
    the data do not depend on the features; the weights are always unique."""
    power = 1 if config[0] is HingeSVM or config[1].get("loss") == "hinge" else 2
    return power == 2 or not est.fit_intercept


def assert_same_model(config, a, b, X, X_b=None, column_of=None):
    """``b`` is the model ``a``: same objective, weights and decision function (the part of it
    that is unique), with ``b``'s columns reordered by ``column_of[j]`` (the column of ``b`` for
    column ``j`` of ``a``)."""
    X_b = X if X_b is None else X_b
    assert_allclose(b.objective_, a.objective_, rtol=OBJ_RTOL, atol=1e-12)
    slack = _w_slack(a) + _w_slack(b)
    if slack:  # certified by a gap: weights within its strong-convexity bound (not intercepts)
        x_norm = float(np.max(np.sqrt(np.asarray(abs(X).power(2).sum(axis=1)) if sp.issparse(X)
                                      else (np.asarray(X) ** 2).sum(axis=1)), initial=0.0))
        if column_of is None:
            assert np.sqrt(np.sum((b.coef_ - a.coef_) ** 2)) <= slack + DEC_ATOL
        sa, sb = _scores(a, X, intercept=False), _scores(b, X_b, intercept=False)
        if column_of is not None:
            sb = sb[:, column_of]
        assert np.abs(sb - sa).max() <= 2 * slack * x_norm + DEC_ATOL
        return
    full = _unique_intercept(config, a)
    sa, sb = _scores(a, X, intercept=full), _scores(b, X_b, intercept=full)
    if column_of is not None:
        sb = sb[:, column_of]
    assert_allclose(sb, sa, rtol=DEC_RTOL, atol=DEC_ATOL)
    if column_of is None:
        scale = max(1.0, float(np.abs(a.coef_).max()))
        assert_allclose(b.coef_, a.coef_, rtol=DEC_RTOL, atol=DEC_ATOL * scale)


# =============================================================================================
# Losses
# =============================================================================================
def _capped_simplex_tau(u):
    """``tau >= 0`` with ``sum max(u - tau, 0) == 1`` if ``sum max(u, 0) > 1``, else 0."""
    if np.maximum(u, 0.0).sum() <= 1.0:
        return 0.0
    lo, hi = 0.0, float(u.max())
    for _ in range(200):  # bisection, independent of the package's sort-based projection
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.maximum(u - mid, 0.0).sum() > 1.0 else (lo, mid)
    support = u > 0.5 * (lo + hi)
    return (u[support].sum() - 1.0) / support.sum()


def kink_distance(loss, y, raw):
    """Per sample, the distance in violation units to the nearest kink of the gradient.

    Every violation's distance to 0 and to ``gamma``; for Crammer-Singer also, exact: the gap
    between the two largest violations when the largest is positive (the active piece
    switches); smoothed: each violation's distance to ``gamma * tau`` (a piece joins or leaves
    the capped-simplex support) and ``|sum max(v, 0) - gamma|`` (the cap switches on).
    """
    v = loss.violations(y, raw)
    valid = loss.valid_entries(y, v.shape[1])
    g = loss.gamma
    dist = np.empty(v.shape[0])
    for i in range(v.shape[0]):
        pieces = v[i][valid[i]]
        cands = list(np.abs(pieces))
        if g > 0:
            cands += list(np.abs(pieces - g))
        if loss.grouped and g == 0 and len(pieces) > 1:
            top = np.sort(pieces)[::-1]
            if top[0] > 0:
                cands.append(top[0] - top[1])
        elif loss.grouped and g > 0:
            tau = _capped_simplex_tau(pieces / g)
            cands += list(np.abs(pieces - g * tau))
            cands.append(abs(np.maximum(pieces, 0.0).sum() - g))
        dist[i] = min(cands)
    return dist


@given(loss_points())
def test_loss_is_non_negative(point):
    loss, y, raw = point
    value = loss.loss(y, raw)
    assert value.shape == (raw.shape[0],)
    assert np.all(np.isfinite(value))
    assert np.all(value >= 0), (loss, value)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(loss_points())
def test_loss_gradient_matches_finite_differences(point):
    loss, y, raw = point
    keep = kink_distance(loss, y, raw) >= KINK_GAP
    assume(keep.any())
    y, raw = y[keep], raw[keep]
    grad = loss.gradient(y, raw)
    assert grad.shape == raw.shape
    fd = np.empty_like(raw)
    for j in range(raw.shape[1]):
        step = np.zeros_like(raw)
        step[:, j] = H
        fd[:, j] = (loss.loss(y, raw + step) - loss.loss(y, raw - step)) / (2 * H)
    # relative error per sample, in the max-norm of its row
    err = np.abs(grad - fd).max(axis=1)
    size = np.maximum(np.maximum(np.abs(grad).max(axis=1), np.abs(fd).max(axis=1)), 1e-12)
    note(f"{loss!r}\ngradient {grad}\nfinite differences {fd}")
    assert np.all(err / size < FD_RTOL), err / size
    # the fused evaluation agrees with the separate ones
    value2, grad2 = loss.loss_gradient(y, raw)
    assert_array_equal(value2, loss.loss(y, raw))
    assert_array_equal(grad2, grad)


# =============================================================================================
# Estimators
# =============================================================================================
@given(configs, problems(wide=True), layouts)
def test_full_batch_solvers_agree_and_gaps_are_certificates(config, problem, layout):
    X, y, sw, fit_intercept, C = problem
    fits = {}
    for solver in FULL_BATCH:
        if not _supports(config, solver, len(np.unique(y))):
            continue
        est = _fit(config, _as(layout, X), y, sw, C=C, solver=solver, tol=TOL,
                   fit_intercept=fit_intercept)
        _describe(config, est)
        assert np.isfinite(est.objective_) and np.all(np.isfinite(est.coef_))
        if est.duality_gap_ is not None:
            # a gap is >= 0; it certifies the optimum only when the fit converged (dual_cd
            # reports its gap at any stop)
            assert est.duality_gap_ >= -1e-12 * max(abs(est.objective_), 1e-300), \
                est.duality_gap_  # rounding only
            if est.converged_:
                assert est.duality_gap_ <= 1e-6 * abs(est.objective_), est.duality_gap_
        if est.converged_:
            fits[solver] = est
    objectives = {s: est.objective_ for s, est in fits.items()}
    if objectives:
        best = min(objectives.values())
        for solver, value in objectives.items():
            assert value <= best + OBJ_RTOL * max(abs(best), 1e-12), (solver, objectives)


@given(configs, problems(wide=True), layouts)
def test_default_solver_converges_on_small_problems(config, problem, layout):
    X, y, sw, fit_intercept, C = problem
    est = _fit(config, _as(layout, X), y, sw, C=C, fit_intercept=fit_intercept)
    _describe(config, est)
    assert est.converged_


@given(configs, problems(), full_batch_solvers, st.randoms(use_true_random=False))
def test_relabelling_classes_permutes_the_model(config, problem, solver, rnd):
    X, y, sw, fit_intercept, C = problem
    assume(_supports(config, solver, len(np.unique(y))))
    k = len(np.unique(y))
    perm = list(range(k))
    rnd.shuffle(perm)
    names = np.array([f"class_{p}" for p in perm])  # ints -> strings, in a permuted order
    params = dict(C=C, solver=solver, tol=TOL, fit_intercept=fit_intercept)
    a = _fit(config, X, y, sw, **params)
    b = _fit(config, X, names[y], sw, **params)
    _describe(config, a)
    _describe(config, b)
    assume(a.converged_ and b.converged_)
    assert_array_equal(b.classes_, np.sort(names))
    column_of = [int(np.searchsorted(b.classes_, names[c])) for c in a.classes_]
    assert_same_model(config, a, b, X, column_of=column_of)
    # predictions map accordingly, away from ties of the top two scores
    if _unique_intercept(config, a):
        sa = np.sort(_scores(a, X), axis=1)
        clear = sa[:, -1] - sa[:, -2] > 1e-6 * max(1.0, float(np.abs(sa).max()))
        assert_array_equal(b.predict(X)[clear], names[a.predict(X)][clear])


@given(configs, problems(weights="int"), full_batch_solvers)
def test_integer_sample_weights_equal_repeated_rows(config, problem, solver):
    X, y, sw, fit_intercept, C = problem
    assume(_supports(config, solver, len(np.unique(y))))
    params = dict(C=C, solver=solver, tol=TOL, fit_intercept=fit_intercept)
    a = _fit(config, X, y, sw, **params)
    b = _fit(config, np.repeat(X, sw, axis=0), np.repeat(y, sw), None, **params)
    _describe(config, a)
    _describe(config, b)
    assume(a.converged_ and b.converged_)
    assert_same_model(config, a, b, X)


@given(configs, problems(weights="positive"), full_batch_solvers,
       st.sampled_from([0.1, 0.125, 8.0, 10.0]))
def test_scaling_C_and_weights_inversely_gives_the_same_model(config, problem, solver, k):
    X, y, sw, fit_intercept, C = problem
    assume(_supports(config, solver, len(np.unique(y))))
    params = dict(solver=solver, tol=TOL, fit_intercept=fit_intercept)
    a = _fit(config, X, y, sw, C=C, **params)
    b = _fit(config, X, y, sw / k, C=C * k, **params)
    _describe(config, a)
    _describe(config, b)
    assume(a.converged_ and b.converged_)
    assert_same_model(config, a, b, X)


@given(configs, problems(), full_batch_solvers, st.sampled_from(["csr", "csc"]))
def test_sparse_input_gives_the_dense_model(config, problem, solver, layout):
    X, y, sw, fit_intercept, C = problem
    assume(_supports(config, solver, len(np.unique(y))))
    params = dict(C=C, solver=solver, tol=TOL, fit_intercept=fit_intercept)
    a = _fit(config, X, y, sw, **params)
    b = _fit(config, _as(layout, X), y, sw, **params)
    _describe(config, a)
    _describe(config, b)
    assume(a.converged_ and b.converged_)
    assert_same_model(config, a, b, X, X_b=_as(layout, X))


# =============================================================================================
# Certificates bound the true error (issue "No silently wrong answers")
# =============================================================================================
GAP_ROUNDING = 1e-9  # relative slack of a certificate's lower bound for rounding
EXTREME_C = [1e-12, 1e-9, 1e-6, 1.0, 1e3, 1e6]


@st.composite
def extreme_problems(draw):
    """A small problem of :func:`problems` with ``C`` from tiny to huge and the classes often
    unbalanced (a tiny ``C`` leaves the intercepts to decide the objective)."""
    X, y, sw, fit_intercept, _ = draw(problems())
    return X, y, sw, fit_intercept, draw(st.sampled_from(EXTREME_C))


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(configs, extreme_problems())
def test_duality_gaps_bound_the_true_error_at_any_C(config, problem):
    # every fit's objective bounds P* from above, so each certificate's lower bound
    # objective_ - duality_gap_ must stay below all of them: Crammer-Singer dual_cd at C = 1e-12
    # certified 105 C where newton reached 90 C
    X, y, sw, fit_intercept, C = problem
    fits = []
    for solver in [*FULL_BATCH, "auto"]:
        if solver != "auto" and not _supports(config, solver, len(np.unique(y))):
            continue
        est = _fit(config, X, y, sw, C=C, solver=solver, tol=1e-6, max_iter=300,
                   fit_intercept=fit_intercept)
        _describe(config, est)
        assert np.isfinite(est.objective_)
        fits.append(est)
    upper = min(est.objective_ for est in fits)  # >= P*
    for est in fits:
        gap = est.duality_gap_
        if gap is None:
            continue
        assert gap >= -GAP_ROUNDING * abs(est.objective_), (est.solver_, gap)
        assert est.objective_ - gap <= upper + GAP_ROUNDING * abs(upper), \
            (est.solver_, est.objective_, gap, upper)
        if est.converged_:
            assert est.objective_ <= upper * (1 + 1e-6) + 1e-300, (est.solver_, upper)


@settings(max_examples=15, deadline=None)
@given(extreme_problems(), st.sampled_from(["lbfgs", "fgd", "newton"]),
       st.sampled_from([0.5, 1.0, 2.0]))
def test_all_pairs_certificate_bounds_the_true_error(problem, solver, margin):
    from test_no_silent_errors import reference_optimum

    from hingeclf import AllPairsSquaredHingeSVM
    X, y, sw, _, C = problem
    y = y == y.max()  # binary: the largest class against the others
    if sw is not None:
        assume(sw[y].sum() > 0 and sw[~y].sum() > 0)
    p_star, _ = reference_optimum(X, y, C, margin, sw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = AllPairsSquaredHingeSVM(C=C, margin=margin, solver=solver, tol=1e-6).fit(
            X, y, sample_weight=sw)
    note(f"C={C} margin={margin} solver={solver} P*={p_star!r} objective_={est.objective_!r} "
         f"gap={est.duality_gap_!r} converged_={est.converged_}")
    gap = est.duality_gap_
    assert gap >= 0
    # the certificate bounds the true error; a converged fit is within tol of the optimum
    assert est.objective_ - gap <= p_star * (1 + GAP_ROUNDING)
    assert est.objective_ >= p_star * (1 - GAP_ROUNDING)
    if est.converged_:
        assert est.objective_ <= p_star * (1 + est.tol)
