"""The public estimators: thin classes that choose a loss; the machinery is in ``_base``."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import SGD_STOPPING_CONSTRAINTS, BaseHingeClassifier
from ._losses import MULTICLASS_STRUCTURES, SMOOTH_LOSSES, binary_loss, multiclass_loss

__all__ = ["HingeSVM", "SquaredHingeSVM", "MulticlassHingeSVM"]

# The rule of ``solver="auto"`` (``BaseHingeClassifier._resolve_solver``), row by row, as the
# estimators' docstrings show it; tests/test_auto_rule.py parses it and checks it against the code.
_AUTO_RULE = """
          ==============  ==============  ==============  ======  =====  =======
          penalty         formulation     loss            data    ratio  solver
          ==============  ==============  ==============  ======  =====  =======
          l1, elasticnet  binary, ovr     hinge,          any     any    cd
                                          squared_hinge,
                                          smooth_hinge
          l1, elasticnet  any             any             any     any    fgd
          l2              any             smooth_hinge,   any     any    lbfgs
                                          psi_hinge
          l2              binary, ovr     squared_hinge   sparse  any    dual_cd
          l2              any             squared_hinge   dense   >= 1   newton
          l2              binary, ovr     squared_hinge   any     any    dual_cd
          l2              any             squared_hinge   any     any    newton
          l2              any             hinge           dense   >= 10  newton
          l2              binary, ovr,    hinge           any     any    dual_cd
                          crammer_singer
          l2              weston_watkins  hinge           any     any    newton
          ==============  ==============  ==============  ======  =====  =======
"""

_COMMON_PARAMETERS = """
    solver : {"auto", "dual_cd", "fgd", "lbfgs", "newton", "sgd", "cd"}, default="auto"
        Optimisation algorithm:

        - ``"dual_cd"``: dual coordinate descent (Hsieh et al. 2008; for Crammer-Singer the
          sequential dual method of Keerthi et al. 2008), compiled with numba, on dense or CSR
          data as given (CSC is converted to CSR). For the binary and one-vs-rest hinge and
          squared hinge and the Crammer-Singer hinge; the unpenalised intercept is kept exact
          by the method of multipliers. Stops when the relative duality gap
          ``(P - D) / P <= tol`` (reported as ``duality_gap_``), or earlier when the dual point
          identifies the optimum's face and the exact solution on it is verified. ``n_iter_``
          counts epochs (the largest over one-vs-rest problems); for Crammer-Singer, which
          shrinks per (sample, class) pair, passes over the data (the entries whose gradient
          an epoch computes, over ``n_samples * n_classes``), which ``max_iter`` bounds.

        - ``"lbfgs"``: L-BFGS-B on the fused loss and gradient. Stops when
          ``||grad P||_inf <= tol * ||grad P(0)||_inf``.
        - ``"newton"``: truncated Newton-CG with the generalised Hessian (matrix products
          only); same stopping rule.
        - ``"fgd"``: accelerated gradient descent with backtracking and adaptive restart;
          same stopping rule.
        - ``"sgd"``: averaged stochastic subgradient descent with implicit (proximal)
          per-sample steps of Pegasos size, compiled for the binary and one-vs-rest losses
          (dense and CSR data, float32 read as float32); stops when ``n_iter_no_change``
          epochs in a row improve the objective by less than ``tol`` relative (with
          ``early_stopping``, the validation accuracy by less than ``tol``); enables
          ``partial_fit``, whose streaming objective is that of all the samples seen (see
          ``partial_fit``). An approximate solver.
        - ``"cd"``: coordinate descent for ``penalty="l1"``/``"elasticnet"`` and the binary or
          one-vs-rest losses only: up to 256 features a proximal Newton method with an inner
          coordinate descent (as LIBLINEAR's newGLMNET), above that Newton coordinate descent
          on the columns with shrinking (as LIBLINEAR's L1-regularised SVC, in a cyclic order;
          CSR input is then converted to CSC once per fit, a copy). Stops when the largest
          minimum-norm subgradient entry is at most ``tol`` times its value at 0.
        - ``"auto"``: the solver of the first row of the table below that matches the fit
          (``any`` matches every value). ``formulation`` is ``binary`` for ``HingeSVM`` and
          ``SquaredHingeSVM`` on two classes and ``ovr`` on more, and ``multi_class`` for
          ``MulticlassHingeSVM`` whatever the number of classes; ``ratio`` is the number of
          samples per parameter, ``n_samples / (n_out * (n_features + 1))``, where
          ``n_out`` is 1 for ``binary`` and the number of classes otherwise; ``data`` is
          ``sparse`` for a scipy sparse matrix. If ``"dual_cd"`` was chosen and stops
          unconverged, the fit continues with ``"newton"``: for the binary and one-vs-rest
          losses from the point ``"dual_cd"`` reached (from the start where Newton does not
          converge from there), on the unconverged outputs' own problems where some output
          converged (``solver_`` stays ``"dual_cd"``) and on the whole problem where none
          did; for Crammer-Singer on the whole problem, from the start (``solver_`` is then
          ``"newton"`` on the whole problem).
          The measurements behind these choices: :ref:`design-auto-solver`.
""" + _AUTO_RULE + """
        With ``penalty="l1"``/``"elasticnet"`` only ``"cd"`` and ``"fgd"`` apply; ``"fgd"`` then
        takes proximal (soft-thresholding) steps and stops on the gradient mapping,
        ``L ||x - prox(x - grad / L)||_inf <= tol`` times the minimum-norm subgradient at 0.

        Non-smooth losses (the hinge losses, squared Crammer-Singer) reach ``"lbfgs"``,
        ``"newton"`` and ``"fgd"`` through smoothing continuation: the loss is replaced by a
        smoothed one whose smoothing decreases tenfold per stage. Each stage tries to identify
        the face of the optimum and solve the exact problem on it; success is verified by the
        optimality conditions and a duality gap of at most ``1e-6 * P`` (``duality_gap_``). Failing
        that, the run stops when the smoothing gap ``P(theta) - P_gamma(theta) <= tol *
        P(theta)`` (a bound that relies on the stage being solved accurately). Full-batch fits
        of the exact squared losses get the same exact finish when their active set is small
        (at most 300 entries).
    fit_intercept : bool, default=True
        Fit an intercept, which is NOT penalised (unlike ``LinearSVC``).
    tol : float, default=1e-4
        Tolerance of the solver's stopping rule (see ``solver``).
    max_iter : int, default=1000
        Maximum number of iterations (epochs for ``"sgd"`` and ``"dual_cd"``; for non-smooth
        losses with ``"lbfgs"``, ``"newton"`` or ``"fgd"``, of each smoothing stage).
    class_weight : dict, "balanced" or None, default=None
        Non-negative weights ``cw[y]`` of the classes in the objective (a negative weight is
        refused with a ``ValueError``); ``"balanced"`` uses
        ``sum(sample_weight) / (n_classes * sum(sample_weight of class y))``, scikit-learn's
        ``compute_class_weight`` with ``sample_weight`` (without sample weights,
        ``n_samples / (n_classes * count(y))``), so integer sample weights give the fit of
        repeated rows.
    warm_start : bool, default=False
        Start from the previous solution when refitting with the same shapes. For the hinge
        at a new ``C`` (or new sample weights), ``"dual_cd"``, ``"fgd"`` and ``"lbfgs"``
        first follow the exact solution path from the previous optimum (see the user guide,
        "Warm starts along the solution path").
    random_state : int, RandomState instance or None, default=None
        Seeds the sample order of ``"sgd"``; the full-batch solvers do not use it
        (``"dual_cd"`` visits the samples in a fixed pseudo-random order).
    verbose : int, default=0
        Print a summary line per fit (``verbose >= 1``) and per iteration (``>= 2``).
    penalty : {"l2", "l1", "elasticnet"}, default="l2"
        The penalty on the coefficients (never on the intercept):

        - ``"l2"``: :math:`\\frac{1}{2}\\|W\\|_F^2`;
        - ``"l1"``: :math:`\\|W\\|_1` (no factor 1/2: the objective of
          ``LinearSVC(penalty="l1")``, so ``C`` carries over). Sparse solutions, with exact zeros in
          ``coef_``, for feature selection (``SelectFromModel``);
        - ``"elasticnet"``: :math:`\\rho \\|W\\|_1 + \\frac{1 - \\rho}{2} \\|W\\|_F^2` with
          :math:`\\rho` = ``l1_ratio`` (``l1_ratio=1`` is ``"l1"``, ``l1_ratio=0`` is ``"l2"``).
    l1_ratio : float, default=0.5
        The mixing :math:`\\rho` in [0, 1] of ``penalty="elasticnet"``; ignored otherwise.
    early_stopping : bool, default=False
        ``solver="sgd"`` only (a ``ValueError`` with another solver): hold out
        ``validation_fraction`` of the samples (a stratified split seeded by
        ``random_state``), fit on the rest, and stop when ``n_iter_no_change`` epochs in a row
        did not raise the best (weighted) accuracy on the held-out samples by more than
        ``tol``. As ``SGDClassifier``'s; ``objective_`` is then that of the training part.
        Not used by ``partial_fit``.
    validation_fraction : float in (0, 1), default=0.1
        The share of the samples held out by ``early_stopping``; ignored otherwise.
    n_iter_no_change : int >= 1, default=5
        Epochs without improvement before ``solver="sgd"`` stops; ignored by the other
        solvers.
    n_jobs : int or None, default=None
        Threads of the fit: None means 1, -1 all the cores, ``-k`` all but ``k - 1``
        (scikit-learn's convention; 0 raises ``ValueError``). The full-batch solvers evaluate
        their products with ``X`` (``X W^T``, ``G^T X``, the Hessian's Gram products), the
        loss sums and the certificate's sums over fixed blocks of rows of dense or CSR data
        (from 16384 rows), and the one-vs-rest problems' Hessian blocks (Newton) or binary
        problems (``dual_cd``) are shared out; the blocks do not depend on ``n_jobs`` and are
        added in a fixed order, so the fitted model is the same, to the bit, whatever
        ``n_jobs``, but where BLAS's own threads run ``n_jobs=1``'s products (more than three
        outputs, at least two million stored entries): then to rounding. Above 1, BLAS runs
        with one thread during the fit. Speed-ups: the user guide, "Multiple cores".
"""

_ATTRIBUTES = """
    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients, in the dtype of the training data (float32 stays float32).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zero when ``fit_intercept=False``).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.
    n_iter_ : int
        Iterations of the solver: L-BFGS, Newton or accelerated-gradient iterations (summed
        over the smoothing stages for non-smooth losses, so up to ``max_iter`` per stage);
        epochs for ``"sgd"`` (1 after each ``partial_fit``) and ``"dual_cd"``.
    objective_ : float
        Value of the minimised objective at the solution, for comparing solvers. After
        ``partial_fit``, the progressive estimate of the streaming objective instead (see
        ``partial_fit``).
    n_samples_seen_ : int
        After ``solver="sgd"``: the samples of the fit plus those of every ``partial_fit``
        call since (the streaming objective's sum runs over them).
    solver_ : str
        The solver that ran (``"auto"`` resolved).
    converged_ : bool
        Whether the stopping rule was met. A ``ConvergenceWarning`` is raised exactly when not.
    duality_gap_ : float or None
        Duality gap certified at the solution, where one was computed.
"""


_SMOOTHING_DOC = """
    smoothing : float or None, default=None
        The smoothing parameter of the smoothed hinges; used ONLY with
        ``loss="smooth_hinge"`` (its ``gamma``) or ``loss="psi_hinge"`` (its ``sigma``), where
        None means 1.0. With another loss it has no effect, and setting it (to anything but
        None) raises a ``UserWarning`` saying so. A smaller value follows the hinge more
        closely and makes the problem worse conditioned (gradient Lipschitz constant
        ``1 / gamma`` or ``1 / (2 sigma)`` per term, in the scores)."""

_SMOOTH_LOSSES_DOC = r"""
        - ``"smooth_hinge"``: the Huberised hinge with ``gamma = smoothing``: ``1 - m - gamma/2``
          for margins ``m < 1 - gamma``, ``(1 - m)^2 / (2 gamma)`` up to ``m = 1``, then 0. It
          lies between ``hinge - gamma/2`` and the hinge; ``gamma = 1`` is Rennie's smooth
          hinge.
        - ``"psi_hinge"``: the infinitely smooth :math:`\psi(u) = (u + \sqrt{u^2 +
          \sigma^2}) / 2` of Luo, Qiao & Zhang (2021) with ``u = 1 - m``,
          ``sigma = smoothing``. It lies between the hinge and ``hinge + sigma/2``, and its
          second derivative is at most ``1 / (2 sigma)``.

        The smoothed hinges are smooth, so ``solver="auto"`` uses ``"lbfgs"`` (with the L2
        penalty) and no smoothing continuation runs: the problem solved is the smoothed one,
        as stated."""


def _smoothing(estimator):
    """The smoothing parameter of ``estimator.loss``: ``smoothing`` (None -> 1.0) for the
    smoothed hinges; for the other losses 0, with a warning when ``smoothing`` was set."""
    if estimator.loss in SMOOTH_LOSSES:
        # validated by _parameter_constraints: a number in (0, inf), or None
        return 1.0 if estimator.smoothing is None else float(estimator.smoothing)
    if estimator.smoothing is not None:
        warnings.warn(
            f"smoothing={estimator.smoothing!r} has no effect with loss={estimator.loss!r}: it is "
            f"only used by loss={' or '.join(map(repr, SMOOTH_LOSSES))}", UserWarning,
            stacklevel=4)
    return 0.0


class _BinaryLossSVM(BaseHingeClassifier):
    """Binary loss; more than two classes by one-vs-rest in one joint objective."""

    _loss_name = None

    _parameter_constraints: dict = {**BaseHingeClassifier._parameter_constraints,
                                    **SGD_STOPPING_CONSTRAINTS, "n_jobs": [Integral, None]}

    def __init__(self, C=1.0, *, solver="auto", fit_intercept=True, tol=1e-4, max_iter=1000,
                 class_weight=None, warm_start=False, random_state=None, verbose=0,
                 penalty="l2", l1_ratio=0.5, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, n_jobs=None):
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.C = C
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.n_jobs = n_jobs

    def _make_loss(self, n_classes):
        if n_classes == 2:
            return binary_loss(self._loss_name)
        return multiclass_loss("ovr", self._loss_name)


def _binary_docstring(name, title, power, other, other_loss, extra_parameters=""):
    square = "^2" if power == 2 else ""
    return rf"""Linear SVM with the {title} loss and an unpenalised intercept.

    Minimises

    .. math::

        P(w, b) = \frac{{1}}{{2}}\|w\|^2 + C \sum_i s_i\, cw_{{y_i}}
        \max(0, 1 - y_i (x_i^\top w + b)){square}

    with ``C`` on the scale of :class:`sklearn.svm.LinearSVC`. More than two classes are handled
    by one-vs-rest: one such problem per class, solved jointly.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength (weight of the loss against the penalty).""" \
        + extra_parameters + _COMMON_PARAMETERS + _ATTRIBUTES + f"""
    See Also
    --------
    {other} : The same model with the {other_loss} loss.
    MulticlassHingeSVM : Crammer-Singer and Weston-Watkins multiclass formulations.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from hingeclf import {name}
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), {name}(C=0.1)).fit(X, y)
    >>> bool(clf.score(X, y) > 0.95)
    True
    >>> clf[-1].converged_
    True
    """


class HingeSVM(_BinaryLossSVM):
    __doc__ = _binary_docstring("HingeSVM", "hinge", 1, "SquaredHingeSVM", "squared hinge", """
    loss : {"hinge", "smooth_hinge", "psi_hinge"}, default="hinge"
        The margin loss. ``"hinge"`` is the formula above; the smoothed hinges replace it by a
        smooth approximation (see the user guide,
        :ref:`math-smoothed-hinges`):
""" + _SMOOTH_LOSSES_DOC + _SMOOTHING_DOC)

    _parameter_constraints: dict = {
        **_BinaryLossSVM._parameter_constraints,
        "loss": [StrOptions({"hinge", *SMOOTH_LOSSES})],
        "smoothing": [Interval(Real, 0.0, None, closed="neither"), None],
    }

    def __init__(self, C=1.0, *, loss="hinge", smoothing=None, solver="auto",
                 fit_intercept=True, tol=1e-4, max_iter=1000, class_weight=None,
                 warm_start=False, random_state=None, verbose=0, penalty="l2", l1_ratio=0.5,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=5,
                 n_jobs=None):
        self.loss = loss
        self.smoothing = smoothing
        super().__init__(C, solver=solver, fit_intercept=fit_intercept, tol=tol,
                         max_iter=max_iter, class_weight=class_weight, warm_start=warm_start,
                         random_state=random_state, verbose=verbose, penalty=penalty,
                         l1_ratio=l1_ratio, early_stopping=early_stopping,
                         validation_fraction=validation_fraction,
                         n_iter_no_change=n_iter_no_change, n_jobs=n_jobs)

    def _make_loss(self, n_classes):
        gamma = _smoothing(self)
        if n_classes == 2:
            return binary_loss(self.loss, gamma)
        return multiclass_loss("ovr", self.loss, gamma)


class SquaredHingeSVM(_BinaryLossSVM):
    __doc__ = _binary_docstring("SquaredHingeSVM", "squared hinge", 2, "HingeSVM", "hinge")
    _loss_name = "squared_hinge"


class MulticlassHingeSVM(BaseHingeClassifier):
    # assigned, not a literal: a concatenated string is not a docstring
    __doc__ = r"""Multiclass linear SVM: Crammer-Singer, Weston-Watkins or one-vs-rest, hinge or squared.

    With scores :math:`f_i = W x_i + b` (one per class) minimises

    .. math::

        P(W, b) = \frac{1}{2}\|W\|_F^2 + C \sum_i s_i\, cw_{y_i}\, \ell(f_i, y_i)

    where, with :math:`\phi(m) = \max(0, 1 - m)` or its square,

    - ``crammer_singer``: :math:`\ell = \phi(\min_{j \ne y} (f_y - f_j))`,
    - ``weston_watkins``: :math:`\ell = \sum_{j \ne y} \phi(f_y - f_j)`,
    - ``ovr``: :math:`\ell = \sum_c \phi(t_c f_c)`, :math:`t_c = +1` if :math:`c = y` else -1.

    With two classes the problem is solved with two score functions and ``coef_`` holds their
    difference (shape ``(1, n_features)``).

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength (weight of the loss against the penalty).
    multi_class : {"crammer_singer", "weston_watkins", "ovr"}, default="crammer_singer"
        The multiclass formulation.
    loss : {"hinge", "squared_hinge", "smooth_hinge", "psi_hinge"}, default="hinge"
        The margin loss :math:`\phi`. The smoothed hinges (see the user guide,
        :ref:`math-smoothed-hinges`):
""" + _SMOOTH_LOSSES_DOC + r"""

        ``"psi_hinge"`` needs terms of one piece: it is refused (``ValueError`` at ``fit``) with
        ``multi_class="crammer_singer"``, whose term is the max over ``K - 1`` classes; the
        Huber ``"smooth_hinge"`` applies there (the max is smoothed as a whole).""" \
        + _SMOOTHING_DOC + _COMMON_PARAMETERS + _ATTRIBUTES + r"""
    See Also
    --------
    HingeSVM : Binary hinge, one-vs-rest for more classes.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from hingeclf import MulticlassHingeSVM
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MulticlassHingeSVM(C=1.0, multi_class="crammer_singer").fit(X, y)
    >>> clf.coef_.shape
    (3, 4)
    >>> bool(clf.score(X, y) > 0.9)
    True
    >>> clf.converged_
    True
    """

    _parameter_constraints: dict = {
        **BaseHingeClassifier._parameter_constraints,
        "multi_class": [StrOptions(set(MULTICLASS_STRUCTURES))],
        "loss": [StrOptions({"hinge", "squared_hinge", *SMOOTH_LOSSES})],
        "smoothing": [Interval(Real, 0.0, None, closed="neither"), None],
        **SGD_STOPPING_CONSTRAINTS,
        "n_jobs": [Integral, None],
    }

    def __init__(self, C=1.0, *, multi_class="crammer_singer", loss="hinge", smoothing=None,
                 solver="auto", fit_intercept=True, tol=1e-4, max_iter=1000, class_weight=None,
                 warm_start=False, random_state=None, verbose=0, penalty="l2", l1_ratio=0.5,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=5,
                 n_jobs=None):
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.C = C
        self.multi_class = multi_class
        self.loss = loss
        self.smoothing = smoothing
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.n_jobs = n_jobs

    def _make_loss(self, n_classes):
        return multiclass_loss(self.multi_class, self.loss, _smoothing(self))
