"""Cross-validated tuning of ``C`` along a warm-started regularisation path.

:class:`RegularizationPathCV` scores the same candidates on the same folds as
``GridSearchCV(estimator, {"C": Cs}, cv=cv, scoring=scoring)``, and reports them in the same
``cv_results_`` format. What differs is the order of the work: the folds are drawn once, and
within each fold the ``C`` grid is walked from small to large, each fit warm started from the
solution at the previous ``C`` of the same fold. Small ``C`` is the easy end (strong
regularisation, few support vectors), and neighbouring ``C`` have neighbouring solutions.
"""

from __future__ import annotations

import sys
import time
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags, indexable
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import _safe_split, available_if
from sklearn.utils.validation import (_check_method_params, check_array, check_is_fitted,
                                      column_or_1d)

from ._base import BaseHingeClassifier, _fit_context, _sum_duplicates, encode_labels

__all__ = ["RegularizationPathCV"]

#: An integer ``Cs`` spans this many decades above the start of the path.
C_DECADES = 4.0


def _final_step(estimator):
    """The hingeclf estimator and the prefix of its parameter names (``""`` or ``"step__"``)."""
    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        return last, f"{name}__"
    return estimator, ""


def _path_start(estimator, X, y, sample_weight):
    """The smallest ``C`` of an automatic grid, from the training data.

    For small ``C`` the solution is close to ``W = -C G``, with ``G`` the loss's gradient in
    ``W`` at ``W = 0, b = 0`` for ``C = 1``: every sample sits on the linear part of its loss and
    the classifier only scales. That approximation breaks down once some sample's (centred)
    decision value moves by 1, i.e. at ``C = 1 / max_ik |(x_i - mean) . G_k|``. The path starts
    there.
    """
    final, _ = _final_step(estimator)
    if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        X = clone(estimator[:-1]).fit_transform(X, y)
    X = _sum_duplicates(check_array(X, accept_sparse=("csr", "csc"),
                                    dtype=(np.float64, np.float32)))
    est = clone(final).set_params(C=1.0)
    est.classes_, y_index = encode_labels(y)
    if est.classes_.size < 2:
        raise ValueError(f"RegularizationPathCV needs samples of at least 2 classes; the data "
                         f"contain only one class: {est.classes_[0]!r}")
    costs = est._costs(X, y_index, sample_weight, est.class_weight)
    problem = est._problem(X, y_index, costs)
    g = problem.gradient(problem.zeros())[:, : problem.n_features].astype(np.float64)
    moves = np.asarray(X @ g.T, dtype=np.float64)
    if est.fit_intercept:
        # centred with the sample weights, so that a weight counts as repeats would
        sw = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
        if sw.sum() > 0:
            moves = moves - (sw @ moves) / sw.sum()
    largest = float(np.abs(moves).max(initial=0.0))
    if not np.isfinite(largest) or largest <= 0.0:
        return 1.0  # no direction to move in (e.g. constant features): an arbitrary anchor
    return 1.0 / largest


def _fold_path(estimator, c_name, Cs, X, y, train, test, scorer, fit_params, fold, n_folds,
               verbose, progress, start):
    """Fit and score one fold along the grid, smallest ``C`` first, each fit warm started.

    Returns ``(scores, fit_times, score_times)``, one entry per ``C`` in the order of ``Cs``.
    """
    est = clone(estimator)
    final, prefix = _final_step(est)
    if "warm_start" in final.get_params():
        est.set_params(**{prefix + "warm_start": True})
    X_train, y_train = _safe_split(est, X, y, train)
    X_test, y_test = _safe_split(est, X, y, test, train)
    fit_params = _check_method_params(X, params=fit_params, indices=train)
    scores, fit_times, score_times = [], [], []
    for C in Cs:
        est.set_params(**{c_name: float(C)})
        t0 = time.perf_counter()
        est.fit(X_train, y_train, **fit_params)
        t1 = time.perf_counter()
        score = float(scorer(est, X_test, y_test))
        t2 = time.perf_counter()
        scores.append(score)
        fit_times.append(t1 - t0)
        score_times.append(t2 - t1)
        if verbose > 0:
            print(f"[RegularizationPathCV] fold {fold + 1}/{n_folds} C={C:.4g} score={score:.4f} "
                  f"fit {t1 - t0:.3f}s, elapsed {t2 - start:.2f}s", file=sys.stdout, flush=True)
        if progress is not None:
            progress(fold, float(C), score)
    return scores, fit_times, score_times


def _estimator_has(attr):
    """``available_if`` check: the refitted estimator (or, before fit, the estimator) has it."""
    def check(self):
        if hasattr(self, "best_estimator_"):
            return hasattr(self.best_estimator_, attr)
        return hasattr(self.estimator, attr)
    return check


def _refitted(self):
    if not self.refit:
        raise AttributeError("this RegularizationPathCV was created with refit=False: there is "
                             "no best_estimator_ to predict with")
    return True


class RegularizationPathCV(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Tune ``C`` of a hingeclf estimator by cross-validation along a warm-started path.

    Scores the same candidates on the same folds as ``GridSearchCV(estimator, {"C": Cs})``, but
    within each fold walks the ``C`` grid from small to large, warm starting each fit from the
    solution at the previous ``C`` (``warm_start=True`` on a clone per fold). The folds are drawn
    once, before any fit, so each warm start comes from the same training set. Folds run in
    parallel through joblib: under ``joblib.parallel_config(backend="dask")`` with a
    ``dask.distributed`` client they spread over the cluster.

    Parameters
    ----------
    estimator : estimator object
        A hingeclf estimator (``HingeSVM``, ``SquaredHingeSVM``, ``MulticlassHingeSVM``), or a
        :class:`~sklearn.pipeline.Pipeline` ending in one (its ``C`` is then tuned as
        ``<step>__C``, and the other steps are refitted per fit).
    Cs : int or array-like of float, default=10
        The grid. An int gives that many values log-spaced over ``C_DECADES`` (4) decades from
        the point where the solution stops being trivial: ``C_min = 1 / max_ik |(x_i - mean)
        . G_k|``, with ``G`` the gradient of the loss in ``W`` at zero for ``C = 1`` (below
        ``C_min`` every sample sits on the linear part of its loss and ``W`` only scales with
        ``C``). It is computed once, on the whole of the data passed to ``fit`` (after the
        pipeline's transformers). An array gives the values themselves; either way they are
        sorted in increasing order and duplicates dropped.
    cv : int, cross-validation generator or iterable, default=5
        As in :class:`~sklearn.model_selection.GridSearchCV` (``check_cv``: stratified K-fold
        for an int). The splits are computed once.
    scoring : str, callable or None, default=None
        Score to maximise on the held-out folds, as in ``GridSearchCV`` (None: the estimator's
        ``score``, accuracy). A single metric.
    n_jobs : int or None, default=None
        Folds fitted in parallel (one joblib task per fold; ``None`` means 1 unless in a
        ``joblib.parallel_config`` context).
    refit : bool, default=True
        Refit the estimator with the best ``C`` on the whole data (from scratch, as
        ``GridSearchCV`` does); enables ``predict``, ``decision_function`` and ``score``.
    verbose : int, default=0
        With ``verbose > 0``, one line per fold and ``C`` (score, fit time and elapsed time).

    Attributes
    ----------
    Cs_ : ndarray of shape (n_Cs,)
        The grid, in increasing order.
    cv_results_ : dict of ndarray
        In the format of ``GridSearchCV.cv_results_``: ``mean_fit_time``, ``std_fit_time``,
        ``mean_score_time``, ``std_score_time``, ``param_<name>``, ``params``,
        ``split{k}_test_score``, ``mean_test_score``, ``std_test_score``, ``rank_test_score``;
        one entry per ``C`` of ``Cs_``.
    best_index_ : int
        Index of the best ``C`` in ``cv_results_`` (the smallest ``C`` among ties, as
        ``GridSearchCV`` takes the first best candidate).
    best_params_ : dict
        ``{param_name: best C}``.
    best_score_ : float
        Mean cross-validated score of the best ``C``.
    best_estimator_ : estimator
        The estimator refitted on the whole data with the best ``C`` (when ``refit=True``).
    refit_time_ : float
        Seconds spent refitting (when ``refit=True``).
    scorer_ : callable
        The scorer used.
    n_splits_ : int
        Number of folds.
    classes_ : ndarray of shape (n_classes,)
        Class labels (from ``best_estimator_``, or from ``y`` when ``refit=False``).
    n_features_in_ : int
        Number of features seen during fit (when ``refit=True``).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when the refitted estimator recorded them.

    See Also
    --------
    sklearn.model_selection.GridSearchCV : The same search, each fit from scratch.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from hingeclf import SquaredHingeSVM
    >>> from hingeclf.model_selection import RegularizationPathCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), SquaredHingeSVM())
    >>> search = RegularizationPathCV(model, Cs=[0.001, 0.01, 0.1, 1.0], cv=3).fit(X, y)
    >>> sorted(search.best_params_)
    ['squaredhingesvm__C']
    >>> bool(search.best_score_ > 0.95)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "n_jobs": [Integral, None],
        "refit": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(self, estimator, *, Cs=10, cv=5, scoring=None, n_jobs=None, refit=True,
                 verbose=0):
        self.estimator = estimator
        self.Cs = Cs
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.verbose = verbose

    def _check_estimator(self):
        final, prefix = _final_step(self.estimator)
        if not isinstance(final, BaseHingeClassifier):
            raise TypeError(
                "RegularizationPathCV needs a hingeclf estimator (HingeSVM, SquaredHingeSVM, "
                f"MulticlassHingeSVM) or a Pipeline ending in one; got {type(final).__name__}")
        return prefix + "C"

    def _grid(self, X, y, sample_weight):
        if isinstance(self.Cs, Integral):
            start = _path_start(self.estimator, X, y, sample_weight)
            return np.logspace(np.log10(start), np.log10(start) + C_DECADES, int(self.Cs))
        Cs = np.asarray(self.Cs, dtype=np.float64).ravel()
        if Cs.size == 0:
            raise ValueError("Cs is empty: give an int or at least one positive C")
        if not np.all(np.isfinite(Cs) & (Cs > 0)):
            raise ValueError(f"Cs must hold positive finite numbers, got {self.Cs!r}")
        return np.unique(Cs)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Score every ``C`` of the grid on every fold, then refit the best.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the estimator's ``fit`` (restricted to each training fold); the held-out
            scores are unweighted, as in ``GridSearchCV``.
        groups : array-like of shape (n_samples,), default=None
            Group labels for group-aware splitters such as ``GroupKFold``.

        Returns
        -------
        self : object
            The fitted search.
        """
        return self._fit(X, y, sample_weight=sample_weight, groups=groups)

    def _fit(self, X, y, sample_weight=None, groups=None, progress=None):
        """``fit`` with an optional ``progress(fold, C, score)`` callback (serial runs only)."""
        c_name = self._check_estimator()
        if y is None:
            raise ValueError("RegularizationPathCV requires y to be passed, but the target y is "
                             "None")
        y = column_or_1d(y, warn=True)
        X, y, groups = indexable(X, y, groups)
        fit_params = {}
        if sample_weight is not None:
            _, prefix = _final_step(self.estimator)
            fit_params[prefix + "sample_weight"] = sample_weight
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        cv = check_cv(self.cv, y, classifier=True)
        splits = list(cv.split(X, y, groups))  # fixed once: every C of a fold sees the same data
        self.n_splits_ = len(splits)
        Cs = self._grid(X, y, sample_weight)
        self.Cs_ = Cs
        start = time.perf_counter()
        out = Parallel(n_jobs=self.n_jobs)(
            delayed(_fold_path)(self.estimator, c_name, Cs, X, y, train, test, self.scorer_,
                                fit_params, k, len(splits), self.verbose, progress, start)
            for k, (train, test) in enumerate(splits))
        scores = np.array([o[0] for o in out])       # (n_splits, n_Cs)
        fit_times = np.array([o[1] for o in out])
        score_times = np.array([o[2] for o in out])
        self.cv_results_ = self._results(c_name, Cs, scores, fit_times, score_times)
        self.best_index_ = int(np.flatnonzero(self.cv_results_["rank_test_score"] == 1)[0])
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        self.best_params_ = {c_name: float(Cs[self.best_index_])}
        if self.refit:
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            t0 = time.perf_counter()
            self.best_estimator_.fit(X, y, **fit_params)
            self.refit_time_ = time.perf_counter() - t0
            self.classes_ = self.best_estimator_.classes_
            if hasattr(self.best_estimator_, "n_features_in_"):
                self.n_features_in_ = self.best_estimator_.n_features_in_
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_
        else:
            self.classes_ = np.unique(np.asarray(y))
        return self

    @staticmethod
    def _results(c_name, Cs, scores, fit_times, score_times):
        results = {
            "mean_fit_time": fit_times.mean(axis=0),
            "std_fit_time": fit_times.std(axis=0),
            "mean_score_time": score_times.mean(axis=0),
            "std_score_time": score_times.std(axis=0),
            f"param_{c_name}": np.ma.MaskedArray(Cs.copy(), mask=np.zeros(Cs.size, dtype=bool)),
            "params": [{c_name: float(C)} for C in Cs],
        }
        for k, row in enumerate(scores):
            results[f"split{k}_test_score"] = row
        mean = scores.mean(axis=0)
        results["mean_test_score"] = mean
        results["std_test_score"] = scores.std(axis=0)
        if np.isnan(mean).all():
            rank = np.ones(mean.size, dtype=np.int32)
        else:
            # as GridSearchCV: NaN scores rank last, ties share the smallest rank
            filled = np.where(np.isnan(mean), np.nanmin(mean) - 1.0, mean)
            rank = rankdata(-filled, method="min").astype(np.int32)
        results["rank_test_score"] = rank
        return results

    # ------------------------------------------------------------------ delegation
    @available_if(lambda self: _refitted(self) and _estimator_has("predict")(self))
    def predict(self, X):
        """Predict with the refitted best estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @available_if(lambda self: _refitted(self) and _estimator_has("decision_function")(self))
    def decision_function(self, X):
        """Decision values of the refitted best estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            As the estimator's ``decision_function``.
        """
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    @available_if(_refitted)
    def score(self, X, y, sample_weight=None):
        """Score of the refitted best estimator with ``scorer_`` (as ``GridSearchCV.score``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the scorer when given.

        Returns
        -------
        score : float
            The score (accuracy when ``scoring=None``).
        """
        check_is_fitted(self)
        if sample_weight is None:
            return self.scorer_(self.best_estimator_, X, y)
        return self.scorer_(self.best_estimator_, X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        sub = get_tags(self.estimator)
        tags.input_tags.sparse = sub.input_tags.sparse
        tags.input_tags.allow_nan = sub.input_tags.allow_nan
        return tags
