"""The smoothed hinges in the estimators: ``HingeSVM(loss="smooth_hinge" | "psi_hinge")`` and
``MulticlassHingeSVM(loss=...)`` with ``smoothing``.

Checked: the objective minimised is the stated one (a naive formula at the solution, and a
gradient at the optimum small against the gradient at 0), every full-batch solver reaches the
same optimum, ``solver="auto"`` picks a smooth solver, the smoothing parameter is validated and
never silently ignored, and the combinations that do not exist are refused with clear errors.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from hingeclf import HingeSVM, MulticlassHingeSVM
from hingeclf._losses import binary_loss, multiclass_loss
from hingeclf._objective import LinearObjective
from _pairs import supports
from hingeclf._solvers import SOLVERS

FULL_BATCH = [name for name, spec in SOLVERS.items() if not spec.stochastic]
SMOOTH = ["smooth_hinge", "psi_hinge"]


def _binary_data():
    X, y = make_classification(n_samples=200, n_features=5, n_informative=3, random_state=0)
    return X, y


def _naive_term(u, s, loss):
    if loss == "psi_hinge":
        return 0.5 * (u + np.sqrt(u * u + s * s))
    return np.where(u >= s, u - s / 2, np.where(u > 0, u * u / (2 * s), 0.0))


@pytest.mark.parametrize("loss", SMOOTH)
@pytest.mark.parametrize("smoothing", [None, 0.2, 3.0])
def test_binary_objective_is_the_stated_one_and_certified(loss, smoothing):
    X, y = _binary_data()
    C = 0.5
    clf = HingeSVM(C=C, loss=loss, smoothing=smoothing, tol=1e-8).fit(X, y)
    assert clf.solver_ == "lbfgs"  # auto: a smooth solver, no continuation
    s = 1.0 if smoothing is None else smoothing
    w, b = clf.coef_.ravel(), clf.intercept_[0]
    u = 1.0 - np.where(y == 1, 1.0, -1.0) * (X @ w + b)
    naive = 0.5 * w @ w + C * _naive_term(u, s, loss).sum()
    assert clf.objective_ == pytest.approx(naive, rel=1e-12)
    problem = LinearObjective(binary_loss(loss, s), X, np.where(y == 1, 1.0, -1.0),
                              np.full(len(y), C), 1, True)
    coef = np.hstack([w, b])[None, :]
    g = np.abs(problem.gradient(coef)).max()
    assert g <= 1e-7 * problem.gradient_scale()


@pytest.mark.parametrize("loss", SMOOTH)
def test_every_full_batch_solver_reaches_the_same_optimum(loss):
    X, y = _binary_data()
    # every solver that supports the loss; a dual solver stops on a relative duality gap of
    # tol, so it gets a tol that puts its objective within the 1e-8 compared here
    fits = [HingeSVM(C=2.0, loss=loss, smoothing=0.5, solver=solver,
                     tol=1e-10 if SOLVERS[solver].dual else 1e-7, max_iter=10**5).fit(X, y)
            for solver in FULL_BATCH if supports(HingeSVM(loss=loss), solver, n_classes=2)]
    for f in fits:
        assert f.converged_
        assert f.objective_ == pytest.approx(fits[0].objective_, rel=1e-8)
        # the smoothed objectives are flat along some directions: coefficients agree less
        # closely than objective values
        np.testing.assert_allclose(f.coef_, fits[0].coef_, rtol=1e-4, atol=1e-5)
    sgd = HingeSVM(C=2.0, loss=loss, smoothing=0.5, solver="sgd", random_state=0,
                   max_iter=50).fit(X, y)
    assert sgd.objective_ <= 1.05 * fits[0].objective_  # approximate solver


def test_small_smoothing_approaches_the_hinge():
    X, y = _binary_data()
    exact = HingeSVM(C=1.0, tol=1e-10).fit(X, y).objective_
    for loss in SMOOTH:
        approx = HingeSVM(C=1.0, loss=loss, smoothing=1e-4, tol=1e-6).fit(X, y).objective_
        # |P_s - P| <= C * n * s / 2 at any point, so also between the optima
        assert abs(approx - exact) <= 1.0 * len(y) * 1e-4 / 2 * (1 + 1e-6)


@pytest.mark.parametrize("multi_class, loss", [("weston_watkins", "psi_hinge"),
                                               ("ovr", "psi_hinge"),
                                               ("crammer_singer", "smooth_hinge"),
                                               ("weston_watkins", "smooth_hinge")])
def test_multiclass_smooth_losses(multi_class, loss):
    X, y = load_iris(return_X_y=True)
    clf = MulticlassHingeSVM(C=1.0, multi_class=multi_class, loss=loss, smoothing=0.5,
                             tol=1e-8).fit(X, y)
    assert clf.solver_ == "lbfgs" and clf.converged_
    assert clf.score(X, y) > 0.9
    ref = MulticlassHingeSVM(C=1.0, multi_class=multi_class, loss=loss, smoothing=0.5,
                             solver="newton", tol=1e-8).fit(X, y)
    assert ref.objective_ == pytest.approx(clf.objective_, rel=1e-8)
    problem = LinearObjective(multiclass_loss(multi_class, loss, 0.5), X, y,
                              np.ones(len(y)), 3, True)
    coef = np.hstack([clf.coef_, clf.intercept_[:, None]])
    assert problem.value(coef) == pytest.approx(clf.objective_, rel=1e-12)


def test_psi_with_crammer_singer_is_refused():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="Crammer-Singer.*smooth_hinge"):
        MulticlassHingeSVM(multi_class="crammer_singer", loss="psi_hinge").fit(X, y)


@pytest.mark.parametrize("cls, kw", [(HingeSVM, {}), (MulticlassHingeSVM, {}),
                                     (MulticlassHingeSVM, dict(loss="squared_hinge"))])
def test_smoothing_with_an_exact_loss_warns(cls, kw):
    X, y = _binary_data()
    with pytest.warns(UserWarning, match="smoothing=0.5 has no effect with loss="):
        a = cls(smoothing=0.5, **kw).fit(X, y)
    b = cls(**kw).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cls(**kw).fit(X, y)  # the default (None) never warns


@pytest.mark.parametrize("cls", [HingeSVM, MulticlassHingeSVM])
@pytest.mark.parametrize("value", [0.0, -1.0, "1"])
def test_invalid_smoothing_is_refused(cls, value):
    X, y = _binary_data()
    with pytest.raises(InvalidParameterError, match="smoothing"):
        cls(loss="smooth_hinge", smoothing=value).fit(X, y)


def test_infinite_smoothing_is_refused():
    X, y = _binary_data()
    with pytest.raises(InvalidParameterError, match="smoothing"):
        HingeSVM(loss="psi_hinge", smoothing=np.inf).fit(X, y)


def test_unknown_loss_is_refused():
    X, y = _binary_data()
    with pytest.raises(InvalidParameterError, match="loss"):
        HingeSVM(loss="squared_hinge").fit(X, y)  # that is SquaredHingeSVM


def test_grid_search_over_loss_and_smoothing():
    X, y = make_classification(n_samples=200, n_features=5, n_informative=3, class_sep=2.0,
                               random_state=0)
    grid = [{"loss": ["hinge"]},
            {"loss": SMOOTH, "smoothing": [0.1, 1.0]}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the list-of-dicts grid never sets smoothing for hinge
        search = GridSearchCV(HingeSVM(), grid, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 5
    assert search.best_score_ > 0.8


def test_more_than_two_classes_with_a_smooth_binary_loss_is_one_vs_rest():
    X, y = load_iris(return_X_y=True)
    a = HingeSVM(loss="psi_hinge", smoothing=0.3).fit(X, y)
    b = MulticlassHingeSVM(multi_class="ovr", loss="psi_hinge", smoothing=0.3).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-5, atol=1e-6)
