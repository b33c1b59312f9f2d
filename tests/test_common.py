"""scikit-learn's estimator checks over every public estimator and every solver it supports."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from hingeclf import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM
from hingeclf._losses import MULTICLASS_STRUCTURES
from hingeclf._solvers import SOLVERS

from _pairs import supports


def _instances():
    for solver in SOLVERS:
        kw = dict(solver=solver, random_state=0)
        candidates = [HingeSVM(**kw), SquaredHingeSVM(**kw)] + [
            MulticlassHingeSVM(multi_class=multi_class, loss=loss, **kw)
            for multi_class in MULTICLASS_STRUCTURES for loss in ("hinge", "squared_hinge")]
        yield from (est for est in candidates if supports(est, solver))


SGD_EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data":
        "stochastic: weighting a sample and repeating it change the random sample order",
    "check_sample_weight_equivalence_on_sparse_data":
        "stochastic: weighting a sample and repeating it change the random sample order",
}


def _expected_failures(estimator):
    if SOLVERS[estimator.solver].stochastic:
        return SGD_EXPECTED_FAILURES
    return {}


@parametrize_with_checks(list(_instances()), expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
