"""The declared loss interface: a loss outside the package is one class.

A toy loss defined here (the logistic loss, which no estimator of the package offers) declares
what it provides through the capabilities of :class:`hingeclf._losses.Loss`. Every registered
solver whose requirements it meets fits it to the optimum of a reference solver; every other
solver refuses it with an error that names the solver and the capability it lacks.
"""

import numpy as np
import pytest
from scipy.optimize import minimize as scipy_minimize
from scipy.special import expit
from sklearn.datasets import make_classification

from hingeclf._losses import HingeFamilyLoss, Loss
from hingeclf._objective import HessianOperator, LinearObjective, make_penalty
from hingeclf._solvers import SOLVERS, check_solver_supports, minimize, solver_supports


class LogisticLoss(Loss):
    """``log(1 + exp(-y raw))`` with ``y`` in {-1, +1}: smooth, with a Hessian."""

    name = "toy_logistic"

    def encode_target(self, y_index):
        return np.where(np.asarray(y_index) == 1, 1.0, -1.0)

    def loss(self, y, raw):
        return np.logaddexp(0.0, -y * raw[:, 0])

    def loss_gradient(self, y, raw):
        z = y * raw[:, 0]
        return np.logaddexp(0.0, -z), (-y * expit(-z))[:, None].astype(raw.dtype)

    @property
    def is_smooth(self):
        return True

    @property
    def has_hessian(self):
        return True

    def lipschitz(self, n_out):
        return 0.25

    def hessian_operator(self, y, raw):
        p = expit(raw[:, 0])
        curvature = (p * (1.0 - p))[:, None].astype(raw.dtype)
        return HessianOperator(lambda d_raw: curvature * d_raw, diagonal=lambda: curvature)


def _problem(fit_intercept, penalty="l2"):
    X, y = make_classification(n_samples=120, n_features=6, n_informative=4, random_state=0)
    X[:, 0] += 3.0  # off the origin: the intercept matters
    loss = LogisticLoss()
    weights = np.full(X.shape[0], 0.5)
    return LinearObjective(loss, X, loss.encode_target(y), weights, 1, fit_intercept,
                           make_penalty(penalty))


def _reference_optimum(objective):
    """The optimum by scipy's L-BFGS on a formula written here, not the package's."""
    X, y, c = objective.X, objective.y, objective.weights
    d = X.shape[1]

    def f(theta):
        w, b = theta[:d], (theta[d] if objective.fit_intercept else 0.0)
        z = y * (X @ w + b)
        value = 0.5 * w @ w + c @ np.logaddexp(0.0, -z)
        r = -c * y * expit(-z)
        grad = np.concatenate([w + X.T @ r, [r.sum()] if objective.fit_intercept else []])
        return value, grad

    res = scipy_minimize(f, np.zeros(objective.shape[1]), jac=True, method="L-BFGS-B",
                         options=dict(gtol=1e-12, ftol=1e-15, maxiter=10_000))
    return res.fun


ACCEPTING = [name for name in SOLVERS if solver_supports(name, LogisticLoss())]
REFUSING = [name for name in SOLVERS if name not in ACCEPTING]


def test_the_toy_loss_splits_the_registry():
    # the smooth solvers take it; those needing a box dual, compiled terms or per-sample
    # violation terms refuse it
    assert set(ACCEPTING) == {"fgd", "lbfgs", "newton"}
    assert set(REFUSING) == {"sgd", "dual_cd", "cd"}


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("solver", ACCEPTING)
def test_every_accepting_solver_reaches_the_reference_optimum(solver, fit_intercept):
    objective = _problem(fit_intercept)
    result = minimize(objective, solver, objective.zeros(), tol=1e-8, max_iter=5000)
    reference = _reference_optimum(objective)
    assert result.converged
    assert result.objective == pytest.approx(reference, rel=1e-8)
    # and the gradient there is at rounding level relative to its size at 0
    g = objective.gradient(result.coef)
    assert np.abs(g).max() <= 1e-6 * objective.gradient_scale()


@pytest.mark.parametrize("solver", REFUSING)
def test_every_other_solver_refuses_it_naming_both(solver):
    missing = [name for name in SOLVERS[solver].requires if not getattr(LogisticLoss(), name)]
    assert missing
    with pytest.raises(ValueError) as info:
        check_solver_supports(solver, LogisticLoss())
    message = str(info.value)
    assert f"solver={solver!r}" in message and "toy_logistic" in message
    assert all(name in message for name in missing)
    objective = _problem(False, penalty=min(SOLVERS[solver].penalties))
    with pytest.raises(ValueError, match="toy_logistic"):
        minimize(objective, solver, objective.zeros(), tol=1e-6, max_iter=10)


def test_capabilities_are_declared_names():
    # every requirement of every solver is a declared capability of the interface
    for spec in SOLVERS.values():
        assert set(spec.requires) <= set(Loss.CAPABILITIES)
    assert LogisticLoss().capabilities() == {"is_smooth", "has_hessian"}
    hinge = HingeFamilyLoss("binary", 1)
    assert {"has_box_dual", "has_compiled_terms", "is_smoothable"} <= hinge.capabilities()
    assert "is_smooth" not in hinge.capabilities()


def test_psi_hinge_is_refused_by_cd():
    # cd evaluates its terms with the compiled Huber term: the psi smoother is not one
    psi = HingeFamilyLoss("binary", 1, 0.5, smoother="psi")
    with pytest.raises(ValueError, match="has_compiled_terms"):
        check_solver_supports("cd", psi)


def _package_imports(module):
    """The modules of the package that ``module``'s source imports (relative imports)."""
    import ast
    import importlib

    path = importlib.import_module(f"hingeclf.{module}").__file__
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.module:
                found.add(node.module.split(".")[0])
            else:  # from . import name
                found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("module", ["metrics", "_losses", "_allpairs_loss", "_loss_kernels"])
def test_metrics_and_losses_import_no_objective_nor_solver(module):
    # metrics evaluate losses, they never fit: the loss layer sits below objectives and solvers
    # (_lazy defers the import of the compiled kernels; it imports nothing of the package)
    assert _package_imports(module) <= {"_losses", "_allpairs_loss", "_loss_kernels", "_lazy"}
    assert _package_imports("_lazy") == set()
