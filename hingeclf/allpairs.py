"""``AllPairsSquaredHingeSVM``: a linear classifier trained on the all-pairs squared hinge.

It lives in its own module, not in :mod:`hingeclf.svm`, because its shape differs from the
estimators there: a pairwise (not per-sample) loss normalised by the number of pairs, no
``class_weight`` (the normalisation by ``P Q`` cancels any per-class factor), binary only, and an
intercept chosen after the fit. The loss kernel and the objective are in
:mod:`hingeclf._allpairs`; validation, solver dispatch and attributes come from
:class:`hingeclf._base.BaseHingeClassifier`.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import _check_sample_weight

from ._allpairs import AllPairsObjective
from ._allpairs_loss import AllPairsSquaredHinge
from ._base import (BaseHingeClassifier, _check_data_scale, _fit_context, _is_dask_collection,
                    encode_labels, scale_limit)
from ._solvers import SOLVERS, check_solver_supports, minimize

__all__ = ["AllPairsSquaredHingeSVM", "balanced_accuracy_threshold"]


def _supported_solvers():
    """The registry's solvers whose needs the all-pairs loss meets (declared, not listed)."""
    out = []
    for name in SOLVERS:
        try:
            check_solver_supports(name, AllPairsSquaredHinge())
        except ValueError:
            continue
        out.append(name)
    return tuple(out)


def balanced_accuracy_threshold(scores, y_pos, sample_weight=None):
    """The threshold ``t`` maximising the weighted balanced accuracy of ``scores > t``.

    Balanced accuracy is ``(TPR + TNR) / 2`` with ``TPR`` the weighted fraction of positives
    scored above ``t`` and ``TNR`` that of negatives at or below it. Only the samples of positive
    weight count, as candidates too: ``t`` is the midpoint between two consecutive distinct
    scores of such samples, or half a gap below the smallest / above the largest. Among equally
    good thresholds the smallest is taken. O(n log n).

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        Decision values.
    y_pos : ndarray of bool of shape (n_samples,)
        True for the positives.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights; both classes need a positive total.

    Returns
    -------
    threshold : float
        The threshold ``t``; predict positive where ``scores > t``.

    See Also
    --------
    AllPairsSquaredHingeSVM : Sets its ``intercept_`` to minus this threshold.

    Examples
    --------
    >>> import numpy as np
    >>> from hingeclf.allpairs import balanced_accuracy_threshold
    >>> t = balanced_accuracy_threshold(np.array([0.1, 0.4, 0.35, 0.8]),
    ...                                 np.array([False, False, True, True]))
    >>> round(float(t), 6)
    0.225
    """
    f = np.asarray(scores, dtype=np.float64).ravel()
    y_pos = np.asarray(y_pos, dtype=bool).ravel()
    s = np.ones(f.shape[0]) if sample_weight is None else np.asarray(sample_weight, np.float64)
    keep = s > 0
    f, y_pos, s = f[keep], y_pos[keep], s[keep]
    P, Q = s[y_pos].sum(), s[~y_pos].sum()
    values, inverse = np.unique(f, return_inverse=True)
    # weight of each class at each distinct score
    pos_at = np.bincount(inverse, weights=np.where(y_pos, s, 0.0), minlength=values.size)
    neg_at = np.bincount(inverse, weights=np.where(y_pos, 0.0, s), minlength=values.size)
    # candidate i = 0 .. len(values): the threshold below values[i] (all of values[i:] positive)
    pos_above = np.concatenate([[P], P - np.cumsum(pos_at)])
    neg_below = np.concatenate([[0.0], np.cumsum(neg_at)])
    balanced = 0.5 * (pos_above / P + neg_below / Q)
    i = int(np.argmax(balanced))
    if values.size == 1:
        return float(values[0] - 0.5) if i == 0 else float(values[0] + 0.5)
    if i == 0:
        return float(values[0] - 0.5 * (values[1] - values[0]))
    if i == values.size:
        return float(values[-1] + 0.5 * (values[-1] - values[-2]))
    return float(0.5 * (values[i - 1] + values[i]))


def _check_scale(problem):
    """Raise ``ValueError`` when the objective overflows the dtype of ``X``.

    As :func:`hingeclf._base._check_data_scale` for the other estimators, with the all-pairs
    loss's curvature in the scores, at most ``l_f`` per sample (``AllPairsSquaredHinge.lipschitz_in_scores``),
    in place of the costs: ``C * l_f * n * max|X|^2`` bounds the curvature. The objective at 0,
    ``C * margin**2``, times the same ``l_f * n`` (a bound on its gradient's factors), must stay
    below the same limit.
    """
    l_f = problem.loss.lipschitz_in_scores(problem.pair_weights)
    weight = problem.C * l_f * problem.n_samples
    _check_data_scale(problem.X, weight)
    exponent = np.log2(weight) + 2.0 * np.log2(problem.loss.margin)
    limit = scale_limit(problem.dtype)
    if exponent > limit:
        raise ValueError(
            f"margin={problem.loss.margin:.3g} with C={problem.C:.3g}: the objective, about "
            f"C * margin**2 * {l_f * problem.n_samples:.3g} = 2**{exponent:.0f}, overflows "
            f"{np.dtype(problem.dtype).name} (this estimator accepts up to 2**{limit:.0f}). The "
            f"fit with margin m is m times the fit with margin 1: use a smaller margin or C.")


class AllPairsSquaredHingeSVM(BaseHingeClassifier):
    r"""Binary linear classifier trained on the all-pairs squared hinge (an AUC surrogate).

    Meant for unbalanced data: the loss compares every positive with every negative, so the
    minority class weighs as much as the majority, and it rewards ranking (ROC AUC) rather than
    accuracy at one threshold. Minimises

    .. math::

        P(w) = \frac{1}{2}\|w\|^2 + C\, L(Xw), \qquad
        L(f) = \frac{1}{P\,Q} \sum_{j:\,y_j = +} \sum_{k:\,y_k = -}
               s_j s_k \max\bigl(0,\; m - (f_j - f_k)\bigr)^2

    with :math:`P, Q` the total sample weight of the positives (``classes_[1]``) and of the
    negatives (Rust & Hocking, arXiv 2302.11062). Loss and gradient cost O(n log n) time and
    O(n) memory; the pairs are never formed.

    **Scale of C.** :math:`L` is a weighted *mean* over the :math:`p q` pairs (with unit weights,
    divided by ``p * q``), so the data term does not grow with the number of samples, unlike
    :class:`SquaredHingeSVM`'s sum over samples: ``C`` values do not carry over from
    ``LinearSVC``. With :math:`n` samples, ``C`` here is comparable to ``n`` times a
    ``LinearSVC`` ``C``, to within the per-pair size of the losses; tune it.

    **Intercept.** :math:`L` ignores a common shift of the scores, so the fit determines
    ``coef_`` only. With ``fit_intercept=True``, ``intercept_`` is set afterwards to ``-t``
    with ``t`` the threshold maximising the (sample-weighted) balanced accuracy of
    ``X coef_ > t`` on the training data (midpoint between consecutive training scores; see
    :func:`hingeclf.allpairs.balanced_accuracy_threshold`), so ``predict`` thresholds the scores
    at ``t``. With ``fit_intercept=False``, ``intercept_`` is 0 and ``predict`` thresholds at 0,
    which the loss does not calibrate: use ``decision_function`` for ranking then.

    Parameters
    ----------
    C : float, default=1.0
        Weight of the mean pairwise loss against the penalty (see *Scale of C* above).
    margin : float, default=1.0
        The margin :math:`m > 0` a positive should beat each negative by. It only sets the
        scale of the solution: the fit with margin :math:`m` is :math:`m` times the fit with
        margin 1 at the same ``C``, so predictions and rankings do not depend on it.
    solver : {"auto", "lbfgs", "newton", "fgd"}, default="auto"
        The full-batch solvers of the registry whose needs this loss meets (it is smooth and
        has an O(n log n) generalised Hessian-vector product; it is not a sum of per-sample
        terms, so ``"sgd"`` is refused with an error). Each stops on its gradient rule
        ``||grad P||_inf <= tol * ||grad P(0)||_inf``; the fit then counts as converged only
        when the certificate ``duality_gap_`` is at most ``tol * P`` (see ``tol``), the
        solver resuming with a tighter rule until it is. ``"auto"`` is ``"lbfgs"`` (see
        :ref:`design-allpairs-solver`).
    fit_intercept : bool, default=True
        Choose ``intercept_`` after the fit as described above; False leaves it at 0.
    tol : float, default=1e-4
        Relative tolerance on the objective: the fit converges when
        ``||grad P||_2^2 / 2 <= tol * P``, which bounds ``(P - P*) / P`` by ``tol`` (see
        ``duality_gap_``), whatever ``C``. The solver's own gradient rule starts at ``tol``
        and is tightened as that needs.
    max_iter : int, default=1000
        Maximum number of solver iterations.
    warm_start : bool, default=False
        Start from the previous ``coef_`` when refitting with the same number of features.
    random_state : int, RandomState instance or None, default=None
        Not used by the full-batch solvers; kept for a uniform interface.
    verbose : int, default=0
        Print a summary line per fit (``verbose >= 1``) and per iteration (``>= 2``).

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
        Coefficients, in the dtype of the training data.
    intercept_ : ndarray of shape (1,)
        Minus the balanced-accuracy threshold (0 when ``fit_intercept=False``).
    classes_ : ndarray of shape (2,)
        The class labels; ``classes_[1]`` is the positive class.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.
    n_iter_ : int
        Solver iterations.
    objective_ : float
        ``P(coef_)`` at the solution.
    solver_ : str
        The solver that ran.
    converged_ : bool
        Whether the certificate met ``tol`` (``duality_gap_ <= tol * objective_``). A
        ``ConvergenceWarning`` is raised exactly when not.
    duality_gap_ : float
        A certified bound on ``objective_ - P*``: ``||grad P(coef_)||_2^2 / 2``. ``P`` is
        differentiable and 1-strongly convex (the penalty ``1/2 ||w||^2`` plus a convex loss),
        so ``P(v) >= P(w) + grad P(w).(v - w) + 1/2 ||v - w||^2 >= P(w) - ||grad P(w)||^2 / 2``
        for every ``v``, the optimum included. It is not a duality gap, but it plays the same
        role as the other estimators' ``duality_gap_``.

    See Also
    --------
    SquaredHingeSVM : The per-sample squared hinge.
    hingeclf.metrics.all_pairs_squared_hinge_loss : The loss as a metric.

    Notes
    -----
    ``class_weight`` is not offered: the normalisation by :math:`P Q` cancels any factor common
    to a class, so the loss is already balanced between the classes. Sample weights weight pairs
    (pair :math:`(j, k)` weighs :math:`s_j s_k`), so integer weights equal repeated samples.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.metrics import roc_auc_score
    >>> from hingeclf import AllPairsSquaredHingeSVM
    >>> X, y = make_classification(n_samples=2000, weights=[0.95], random_state=0)
    >>> clf = AllPairsSquaredHingeSVM(C=10.0).fit(X, y)
    >>> bool(roc_auc_score(y, clf.decision_function(X)) > 0.8)
    True
    """

    _parameter_constraints: dict = {
        **{k: v for k, v in BaseHingeClassifier._parameter_constraints.items()
           if k != "class_weight"},
        "margin": [Interval(Real, 0.0, None, closed="neither")],
    }

    def __init__(self, C=1.0, *, margin=1.0, solver="auto", fit_intercept=True, tol=1e-4,
                 max_iter=1000, warm_start=False, random_state=None, verbose=0):
        self.C = C
        self.margin = margin
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def _resolve_solver(self, loss, X):
        if self.solver != "auto":
            return self.solver
        return "lbfgs"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to binary training data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 and float64 are kept as they are; CSR and CSC matrices are
            used without conversion (one with duplicate entries is summed on a copy). Range:
            ``C * l * n_samples * max|X|^2`` and ``C * l * n_samples * margin**2``, with
            ``l <= 4`` the loss's curvature per sample, must stay below
            ``finfo(X.dtype).max / 2**10``; beyond it ``fit`` raises a ``ValueError``.
        y : array-like of shape (n_samples,)
            Binary class labels; the larger label (``classes_[1]``) is the positive class.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; pair ``(j, k)`` weighs ``s_j s_k``. Only their ratios within
            each class matter (a factor common to a class cancels), at any scale.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._check_finite_C()
        if _is_dask_collection(X):
            raise ValueError(
                f"{type(self).__name__} cannot be fitted on dask arrays or DataFrames (its loss "
                f"pairs every positive with every negative sample, which is not split over "
                f"chunks): gather the data with X.compute() if it fits in memory, or fit "
                f"SquaredHingeSVM or HingeSVM, which fit data-parallel on dask arrays")
        if not np.isfinite(self.margin):
            raise ValueError(f"margin must be a finite positive number, got {self.margin!r}")
        X, y = self._validate_X_y(X, y, reset=True)
        self.classes_, y_index = encode_labels(y)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; the "
                             f"data contain only one class: {self.classes_[0]!r}")
        if len(self.classes_) > 2:
            raise ValueError(
                f"Only binary classification is supported. {type(self).__name__}'s all-pairs "
                f"loss compares positives with negatives; y has {len(self.classes_)} classes: "
                f"{self.classes_.tolist()!r}")
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        y_pos = y_index == 1
        if not (sw[y_pos].sum() > 0 and sw[~y_pos].sum() > 0):
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes with positive "
                f"sample_weight; got 1 class "
                f"({self.classes_[[int(sw[~y_pos].sum() == 0)]].tolist()})")
        problem = AllPairsObjective(X, y_pos, self.C, sw, self.margin)
        _check_scale(problem)
        solver = self._resolve_solver(problem.loss, X)
        result = minimize(problem, solver, self._initial_coef(problem), tol=self.tol,
                          max_iter=self.max_iter, verbose=self.verbose,
                          random_state=self.random_state)
        self._warm = None
        self._store(problem, result, solver)
        if self.fit_intercept:
            scores = np.asarray(problem.raw(self.coef_)).ravel()
            threshold = balanced_accuracy_threshold(scores, y_pos, sw)
            self.intercept_ = np.array([-threshold], dtype=problem.dtype)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

