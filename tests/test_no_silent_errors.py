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

from hingeclf import MulticlassHingeSVM
from hingeclf._solvers._certificate import circulation_scale


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
