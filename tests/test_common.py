"""scikit-learn's estimator checks over every public estimator and every solver it supports."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from hingeclf import HingeSVM, MulticlassHingeSVM, SquaredHingeSVM
from hingeclf._losses import MULTICLASS_STRUCTURES
from hingeclf._solvers import SOLVERS

from _pairs import supports


def _instances():
    for solver, spec in SOLVERS.items():
        if "l2" not in spec.penalties:
            continue
        kw = dict(solver=solver, random_state=0)
        candidates = [HingeSVM(**kw), SquaredHingeSVM(**kw)] + [
            MulticlassHingeSVM(multi_class=multi_class, loss=loss, **kw)
            for multi_class in MULTICLASS_STRUCTURES for loss in ("hinge", "squared_hinge")]
        yield from (est for est in candidates if supports(est, solver))
    # the sparse penalties: each with its solvers, on the squared hinge (coordinate descent and
    # proximal gradient), the hinge (continuation) and a non-separable multiclass loss (fgd)
    for penalty, extra in (("l1", {}), ("elasticnet", dict(l1_ratio=0.5))):
        kw = dict(penalty=penalty, random_state=0, **extra)
        yield SquaredHingeSVM(solver="cd", **kw)
        # scikit-learn's weight-equivalence checks compare decision values to rtol=1e-7: the
        # proximal gradient (first order) is run to a tolerance that resolves them
        yield SquaredHingeSVM(solver="fgd", tol=1e-10, max_iter=20_000, **kw)
        yield HingeSVM(**kw)
        yield MulticlassHingeSVM(multi_class="crammer_singer", loss="squared_hinge", **kw)
        yield MulticlassHingeSVM(multi_class="ovr", loss="squared_hinge", **kw)


SGD_EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data":
        "stochastic: weighting a sample and repeating it change the random sample order",
    "check_sample_weight_equivalence_on_sparse_data":
        "stochastic: weighting a sample and repeating it change the random sample order",
}


SMOOTHED_L1_EXPECTED_FAILURES = {
    check: "squared Crammer-Singer with an L1 / elastic-net penalty is solved by smoothing "
           "continuation with no exact face solve (that one is for the L2 dual): decision values "
           "agree to about the tolerance, not to the check's rtol=1e-7"
    for check in ("check_sample_weight_equivalence_on_dense_data",
                  "check_sample_weight_equivalence_on_sparse_data")
}


def _expected_failures(estimator):
    if (getattr(estimator, "penalty", "l2") != "l2"
            and getattr(estimator, "multi_class", None) == "crammer_singer"):
        return SMOOTHED_L1_EXPECTED_FAILURES
    spec = SOLVERS.get(estimator.solver)  # None for "auto"
    if spec is not None and spec.stochastic:
        return SGD_EXPECTED_FAILURES
    return {}


@parametrize_with_checks(list(_instances()), expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
