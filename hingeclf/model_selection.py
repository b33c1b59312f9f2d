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
import warnings
from inspect import signature
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.model_selection._search import BaseSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags, indexable
from sklearn.utils.metadata_routing import (MetadataRouter, MethodMapping, _routing_enabled,
                                            process_routing)
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import _safe_split, available_if
from sklearn.utils.validation import (_check_method_params, _check_sample_weight, check_array,
                                      check_is_fitted, column_or_1d)

from ._allpairs import AllPairsObjective
from ._base import (BaseHingeClassifier, _DocLinkMixin, _fit_context, _sum_duplicates,
                    encode_labels)
from .allpairs import AllPairsSquaredHingeSVM

__all__ = ["RegularizationPathCV"]

#: An integer ``Cs`` spans this many decades above the start of the path.
C_DECADES = 4.0

#: While the best ``C`` of an automatic grid is its largest, the grid is extended upwards (one
#: decade at a time, at the grid's spacing) by at most this many decades in all.
C_EXTRA_DECADES = 4.0

# Whether the installed scikit-learn's searches pass ``sample_weight`` to the scorer of each
# held-out fold when metadata routing is off (scikit-learn 1.9 does, when the scorer accepts
# it): RegularizationPathCV does as GridSearchCV does.
_SEARCH_WEIGHTS_SCORES = hasattr(BaseSearchCV, "_check_scorers_accept_sample_weight")


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
    if isinstance(est, AllPairsSquaredHingeSVM):
        if est.classes_.size > 2:
            raise ValueError(f"AllPairsSquaredHingeSVM is binary only; y has "
                             f"{est.classes_.size} classes: {est.classes_.tolist()!r}")
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        problem = AllPairsObjective(X, y_index == 1, 1.0, sw, est.margin)
        centred = True  # the pairwise loss ignores a common shift of the scores
    else:
        problem = est._problem(X, y_index, est._costs(X, y_index, sample_weight,
                                                      est.class_weight))
        centred = est.fit_intercept
    g = problem.gradient(problem.zeros())[:, : problem.n_features].astype(np.float64)
    moves = np.asarray(X @ g.T, dtype=np.float64)
    if centred:
        # centred with the sample weights, so that a weight counts as repeats would
        sw = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
        if sw.sum() > 0:
            moves = moves - (sw @ moves) / sw.sum()
    largest = float(np.abs(moves).max(initial=0.0))
    if not np.isfinite(largest) or largest <= 0.0:
        return 1.0  # no direction to move in (e.g. constant features): an arbitrary anchor
    return 1.0 / largest


def _fold_path(estimator, c_name, Cs, X, y, train, test, scorer, fit_params, score_params, fold,
               n_folds, verbose, progress, start, fitted=None, keep=False):
    """Fit and score one fold along the grid, smallest ``C`` first, each fit warm started.

    ``fitted`` is this fold's estimator from an earlier part of the path (an automatic grid
    being extended): the walk continues from its last solution. Returns ``(scores, fit_times,
    score_times, estimator)``, one entry per ``C`` in the order of ``Cs``; the estimator only
    with ``keep`` (None otherwise, not sent back from a worker for nothing).
    """
    if fitted is None:
        est = clone(estimator)
        final, prefix = _final_step(est)
        if "warm_start" in final.get_params():
            est.set_params(**{prefix + "warm_start": True})
    else:
        est = fitted
    X_train, y_train = _safe_split(est, X, y, train)
    X_test, y_test = _safe_split(est, X, y, test, train)
    fit_params = _check_method_params(X, params=fit_params, indices=train)
    score_params = _check_method_params(X, params=score_params, indices=test)
    scores, fit_times, score_times = [], [], []
    for C in Cs:
        est.set_params(**{c_name: float(C)})
        t0 = time.perf_counter()
        est.fit(X_train, y_train, **fit_params)
        t1 = time.perf_counter()
        score = float(scorer(est, X_test, y_test, **score_params))
        t2 = time.perf_counter()
        scores.append(score)
        fit_times.append(t1 - t0)
        score_times.append(t2 - t1)
        if verbose > 0:
            print(f"[RegularizationPathCV] fold {fold + 1}/{n_folds} C={C:.4g} score={score:.4f} "
                  f"fit {t1 - t0:.3f}s, elapsed {t2 - start:.2f}s", file=sys.stdout, flush=True)
        if progress is not None:
            progress(fold, float(C), score)
    return scores, fit_times, score_times, (est if keep else None)


def _extension(Cs, n_extra):
    """The values that extend an automatic grid upwards: the grid's own spacing (one decade
    for a grid of one value), up to one decade at a time, and in all at most
    ``C_EXTRA_DECADES`` above the grid's original top (``n_extra`` values already added)."""
    n_original = Cs.size - n_extra
    step = C_DECADES / (n_original - 1) if n_original > 1 else 1.0
    cap = int(np.floor(C_EXTRA_DECADES / step + 1e-9))
    n_new = min(max(1, int(np.floor(1.0 / step + 1e-9))), cap - n_extra)
    if n_new <= 0:
        return Cs[:0]
    return Cs[-1] * 10.0 ** (step * np.arange(1, n_new + 1))


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


class RegularizationPathCV(_DocLinkMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Tune ``C`` of a hingeclf estimator by cross-validation along a warm-started path.

    Scores the same candidates on the same folds as ``GridSearchCV(estimator, {"C": Cs})``
    (with the same metadata: ``sample_weight``, ``groups``, routed or not), but
    within each fold walks the ``C`` grid from small to large, warm starting each fit from the
    solution at the previous ``C`` (``warm_start=True`` on a clone per fold). The folds are drawn
    once, before any fit, so each warm start comes from the same training set. Folds run in
    parallel through joblib: under ``joblib.parallel_config(backend="dask")`` with a
    ``dask.distributed`` client they spread over the cluster.

    Parameters
    ----------
    estimator : estimator object
        A hingeclf estimator (``HingeSVM``, ``SquaredHingeSVM``, ``MulticlassHingeSVM``,
        ``AllPairsSquaredHingeSVM``), or a :class:`~sklearn.pipeline.Pipeline` ending in one
        (its ``C`` is then tuned as ``<step>__C``, and the other steps are refitted per fit).
        Other estimators are refused with a ``TypeError``.
    Cs : int or array-like of float, default=10
        The grid. An int gives that many values log-spaced over ``C_DECADES`` (4) decades from
        the point where the solution stops being trivial: ``C_min = 1 / max_ik |(x_i - mean)
        . G_k|``, with ``G`` the gradient of the loss in ``W`` at zero for ``C = 1`` (below
        ``C_min`` every sample sits on the linear part of its loss and ``W`` only scales with
        ``C``). It is computed once, on the whole of the data passed to ``fit`` (after the
        pipeline's transformers). While the best ``C`` of this automatic grid is its largest,
        the grid is extended upwards at its own spacing (a decade for ``Cs=1``), up to one
        decade at a time, each fold's path continuing from its last fit; at most
        ``C_EXTRA_DECADES`` (4) decades are added, and a ``UserWarning`` says so when the best
        ``C`` is still the largest then.
        An array gives the values themselves (never extended; a ``UserWarning`` says when the
        best ``C`` is the smallest or the largest of several values). Either way they are
        sorted in increasing order and duplicates dropped.
    cv : int, cross-validation generator or iterable, default=5
        As in :class:`~sklearn.model_selection.GridSearchCV` (``check_cv``: stratified K-fold
        for an int). The splits are computed once.
    scoring : str, callable or None, default=None
        Score to maximise on the held-out folds, as in ``GridSearchCV`` (None: the estimator's
        ``score``, accuracy). A single metric. With ``sample_weight`` passed to ``fit``, the
        scores of the held-out folds are weighted as ``GridSearchCV`` weights them (see
        ``fit``).
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
        The grid, in increasing order (an automatic grid with its extension, if any).
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
                "MulticlassHingeSVM, AllPairsSquaredHingeSVM) or a Pipeline ending in one; got "
                f"{type(final).__name__}")
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

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``fit`` routes its metadata to the estimator's ``fit``, to the scorer (on each
        held-out fold) and to the splitter's ``split``; ``score`` routes to the scorer. See
        scikit-learn's user guide on metadata routing.

        Returns
        -------
        routing : MetadataRouter
            The routing of ``fit`` and ``score`` to the estimator, scorer and splitter.
        """
        router = MetadataRouter(owner=self)
        router.add(estimator=self.estimator,
                   method_mapping=MethodMapping().add(caller="fit", callee="fit"))
        router.add(scorer=check_scoring(self.estimator, scoring=self.scoring),
                   method_mapping=MethodMapping().add(caller="fit", callee="score")
                   .add(caller="score", callee="score"))
        router.add(splitter=self.cv,
                   method_mapping=MethodMapping().add(caller="fit", callee="split"))
        return router

    def _scorer_accepts_sample_weight(self):
        scorer = self.scorer_
        if hasattr(scorer, "_accept_sample_weight"):
            accepts = scorer._accept_sample_weight()
        else:
            accepts = "sample_weight" in signature(scorer).parameters
        if not accepts:
            warnings.warn(f"The scorer {scorer} does not accept sample_weight: the held-out "
                          f"scores of RegularizationPathCV are unweighted although the fits "
                          f"are weighted", UserWarning, stacklevel=4)
        return accepts

    def _route(self, params):
        """``(fit_params, score_params, split_params, sample_weight)``: the metadata of the
        estimator's ``fit``, the scorer and the splitter, and the sample weights the final
        step's ``fit`` receives (for the automatic grid's start)."""
        final, prefix = _final_step(self.estimator)
        if _routing_enabled():
            routed = process_routing(self, "fit", **params)
            fit_params = dict(routed.estimator.fit)
            if isinstance(self.estimator, Pipeline):
                name = self.estimator.steps[-1][0]
                inner = process_routing(self.estimator, "fit", **fit_params)
                sample_weight = inner[name].fit.get("sample_weight")
            else:
                sample_weight = fit_params.get("sample_weight")
            return (fit_params, dict(routed.scorer.score), dict(routed.splitter.split),
                    sample_weight)
        # without routing, as GridSearchCV: ``groups`` goes to the splitter, everything else
        # to the estimator's fit; ``sample_weight`` to the final step of a pipeline, and to
        # the scorer when it accepts it (and the installed scikit-learn's searches do so)
        fit_params = dict(params)
        split_params = {"groups": fit_params.pop("groups", None)}
        sample_weight = fit_params.pop("sample_weight", None)
        score_params = {}
        if sample_weight is not None:
            if prefix + "sample_weight" in fit_params:
                raise ValueError(f"sample_weight and {prefix}sample_weight were both passed: "
                                 f"pass one")
            fit_params[prefix + "sample_weight"] = sample_weight
            if _SEARCH_WEIGHTS_SCORES and self._scorer_accepts_sample_weight():
                score_params["sample_weight"] = sample_weight
        return fit_params, score_params, split_params, fit_params.get(prefix + "sample_weight")

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **params):
        """Score every ``C`` of the grid on every fold, then refit the best.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        **params : dict of str -> object
            Metadata, as for ``GridSearchCV.fit``. With metadata routing enabled
            (``sklearn.set_config(enable_metadata_routing=True)``), each is routed to the
            estimator's ``fit``, the scorer and the splitter as they request it. Without it,
            ``groups`` goes to the splitter (for group-aware splitters such as ``GroupKFold``),
            ``sample_weight`` to the estimator's ``fit`` (to the last step of a pipeline) and,
            as the installed scikit-learn's ``GridSearchCV`` does (1.9), to the scorer on each
            held-out fold when the scorer accepts it, so that the fold scores are weighted (a
            warning says when it does not); any other parameter goes to the estimator's
            ``fit`` (e.g. ``<step>__sample_weight`` for a pipeline, which weights the fits
            only). Array-likes of length ``n_samples`` are split with the folds.

        Returns
        -------
        self : object
            The fitted search.
        """
        return self._fit(X, y, **params)

    def _fit(self, X, y, progress=None, **params):
        """``fit`` with an optional ``progress(fold, C, score)`` callback (serial runs only)."""
        c_name = self._check_estimator()
        if y is None:
            raise ValueError("RegularizationPathCV requires y to be passed, but the target y is "
                             "None")
        y = column_or_1d(y, warn=True)
        X, y = indexable(X, y)
        params = _check_method_params(X, params=params)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        fit_params, score_params, split_params, sample_weight = self._route(params)
        cv = check_cv(self.cv, y, classifier=True)
        # fixed once: every C of a fold sees the same data
        splits = list(cv.split(X, y, **split_params))
        self.n_splits_ = len(splits)
        automatic = isinstance(self.Cs, Integral)
        Cs = self._grid(X, y, sample_weight)
        start = time.perf_counter()
        parts, fitted, n_extra = [], [None] * len(splits), 0
        new = Cs
        while new.size:
            out = Parallel(n_jobs=self.n_jobs)(
                delayed(_fold_path)(self.estimator, c_name, new, X, y, train, test,
                                    self.scorer_, fit_params, score_params, k, len(splits),
                                    self.verbose, progress, start, fitted[k], automatic)
                for k, (train, test) in enumerate(splits))
            parts.append(out)
            fitted = [o[3] for o in out]
            scores = np.hstack([[o[0] for o in part] for part in parts])  # (n_splits, n_Cs)
            mean = scores.mean(axis=0)
            new = new[:0]
            if automatic and np.nanargmax(np.where(np.isnan(mean), -np.inf, mean)) == Cs.size - 1:
                # the best C is the grid's largest: the scores may still rise above it
                new = _extension(Cs, n_extra)
                n_extra += new.size
                Cs = np.concatenate([Cs, new])
        del fitted
        fit_times = np.hstack([[o[1] for o in part] for part in parts])
        score_times = np.hstack([[o[2] for o in part] for part in parts])
        self.Cs_ = Cs
        self.cv_results_ = self._results(c_name, Cs, scores, fit_times, score_times)
        self.best_index_ = int(np.flatnonzero(self.cv_results_["rank_test_score"] == 1)[0])
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        self.best_params_ = {c_name: float(Cs[self.best_index_])}
        self._warn_at_edge(Cs, automatic, n_extra)
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

    def _warn_at_edge(self, Cs, automatic, n_extra):
        """Warn when the best ``C`` is at an edge where a ``C`` beyond it might score higher:
        either edge of a given grid of several values, the top of an automatic grid that
        reached its cap."""
        best, C = self.best_index_, Cs[self.best_index_]
        if not np.isfinite(self.best_score_) or Cs.size < 2:
            return
        if automatic and best == Cs.size - 1:
            warnings.warn(
                f"The best C ({C:.4g}) is still the largest of the automatic grid after "
                f"extending it by {n_extra} values up to C_EXTRA_DECADES = {C_EXTRA_DECADES:g} "
                f"decades above its first top: a larger C may score higher. Give Cs as a list "
                f"of values reaching above it.", UserWarning, stacklevel=5)
        elif not automatic and best in (0, Cs.size - 1):
            edge, beyond = ("smallest", "smaller") if best == 0 else ("largest", "larger")
            warnings.warn(
                f"The best C ({C:.4g}) is the {edge} value of the given Cs "
                f"({Cs[0]:.4g} to {Cs[-1]:.4g}): a {beyond} C may score higher. Extend Cs "
                f"beyond it (or pass an int for an automatic grid).", UserWarning,
                stacklevel=5)

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
