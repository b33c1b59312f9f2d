"""Shared estimator machinery: validation, labels, weights, solver dispatch, attributes.

Data flow: ``fit(X, y)`` -> validated arrays (X kept in its dtype and layout) -> class indices and
per-sample costs ``c_i = C s_i cw[y_i]`` -> :class:`LinearObjective` with the estimator's loss ->
:func:`hingeclf._solvers.minimize` -> :class:`SolverResult` -> fitted attributes.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.utils import compute_class_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._objective import PENALTIES, LinearObjective, make_penalty, max_abs
from ._parallel import SERIAL, Workers
from ._solvers import SOLVERS, check_solver_supports, minimize, solver_supports

try:  # scikit-learn >= 1.3
    from sklearn.base import _fit_context
except ImportError:  # pragma: no cover
    def _fit_context(**_):
        return lambda f: f


def _is_dask_collection(X):
    """True for a dask array or DataFrame (dask is imported only when ``X`` is one of its
    types: ``hingeclf._dask``)."""
    if (type(X).__module__ or "").split(".")[0] != "dask":
        return False
    from ._dask import is_dask_collection
    return is_dask_collection(X)


def _solver_options():
    return StrOptions({"auto", *SOLVERS})


def _stochastic_solver_selected(estimator):
    """``partial_fit`` exists exactly when the chosen solver is a stochastic one (``sgd``)."""
    spec = SOLVERS.get(estimator.solver)
    return spec is not None and spec.stochastic


# Headroom (a factor 2**SCALE_HEADROOM below the largest float) for the products the solvers form:
# gradients ``sum c |x|`` and curvatures ``sum c x^2`` times the loss's factors (2 for the squared
# losses, up to K - 1 violations per sample).
SCALE_HEADROOM = 10


def scale_limit(dtype):
    """The largest power of two, ``log2(finfo(dtype).max) - SCALE_HEADROOM``, that a bound on
    the objective's products may reach in ``dtype``."""
    return np.log2(np.finfo(dtype).max) - SCALE_HEADROOM


def _check_data_scale(X, cost_sum, workers=SERIAL):
    """Raise ``ValueError`` when the objective's curvature overflows the dtype of ``X``.

    The curvature of the loss part, ``sum_i c_i ||x_i||^2``, is at most
    ``sum(c) * max|X|^2``; the solvers form it (Hessian products, Lipschitz bounds, gradients
    of the first steps). When that bound exceeds ``finfo(X.dtype).max / 2**SCALE_HEADROOM``
    (about 1.8e305 for float64, 3.3e35 for float32), the fit would overflow into inf and
    NaN: the error says so and names the scale instead. The check is in powers of two (no
    overflow in the check itself).
    """
    x_max = max_abs(X, workers)
    if x_max == 0.0 or cost_sum <= 0.0:
        return
    exponent = np.log2(cost_sum) + 2.0 * np.log2(x_max)
    limit = scale_limit(X.dtype)
    if exponent > limit:
        raise ValueError(
            f"X has values up to {x_max:.3g}: the curvature of the objective, about "
            f"C * sum(sample_weight * class_weight) * max|X|^2 = 2**{exponent:.0f}, overflows "
            f"{np.dtype(X.dtype).name} (this estimator accepts up to 2**{limit:.0f}). Scale the "
            f"features (e.g. with StandardScaler) or use a smaller C.")


def _sum_duplicates(X):
    """``X`` with each entry stored once: a sparse matrix may store an entry in several parts,
    meaning their sum, which the compiled kernels (row norms, dual coordinate descent, column
    curvatures) would read as separate entries. Only a matrix not in canonical format is
    copied (and summed); the user's matrix is never modified."""
    if sp.issparse(X) and X.format in ("csr", "csc") and not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


# labels are encoded this many at a time (the temporaries of a search are a block, not all of y)
ENCODE_BLOCK = 65536


def encode_labels(y, classes=None):
    """``(classes, y_index)``: the sorted distinct labels (or ``classes`` as given, sorted, which
    must hold every label of ``y``) and each sample's position among them, in the smallest
    unsigned integer type that holds it (uint8 up to 256 classes).

    The same as ``np.unique(y, return_inverse=True)`` with the index narrowed, at a fraction of
    its memory: the distinct labels come from one sorted copy of ``y``, and the positions are
    searched a block of :data:`ENCODE_BLOCK` labels at a time. Integer (and boolean) labels
    within a range of :data:`ENCODE_BLOCK` values take a faster route without sorting: a table
    over the range marks the labels present, and the positions are looked up in it. Object
    labels (strings) are not sorted either: :func:`_object_labels` numbers them by a dict in one
    pass and sorts only the distinct ones (sorting a million Python strings costs seconds).
    """
    y = np.asarray(y)
    if classes is None and y.ndim == 1 and y.dtype.kind == "O":
        found = _object_labels(y)
        if found is not None:
            return found
    lookup = _integer_lookup(y) if classes is None else None
    if lookup is not None:
        classes, position = lookup
        low = int(classes[0])
    elif classes is None:
        classes = np.unique(y)
    index = np.empty(y.shape[0], dtype=np.min_scalar_type(max(len(classes) - 1, 0)))
    for start in range(0, y.shape[0], ENCODE_BLOCK):
        block = y[start:start + ENCODE_BLOCK]
        if lookup is None:
            index[start:start + ENCODE_BLOCK] = np.searchsorted(classes, block)
        else:
            block = block.astype(np.intp)
            block -= low
            index[start:start + ENCODE_BLOCK] = position[block]
    return classes, index


def _object_labels(y):
    """``(classes, y_index)`` of :func:`encode_labels` for a 1-D object array of hashable labels:
    each label numbered in order of first appearance by one pass through a dict, the distinct
    labels sorted (a ``TypeError`` for labels that do not compare, such as strings and numbers
    mixed, as ``np.unique`` raises), the numbers mapped to sorted positions. ``None`` when a
    label is not hashable (then ``np.unique`` decides)."""
    seen = {}
    try:
        first = np.fromiter((seen.setdefault(label, len(seen)) for label in y),
                            dtype=np.intp, count=y.shape[0])
    except TypeError:  # (an unhashable label)
        return None
    distinct = np.empty(len(seen), dtype=object)
    distinct[:] = list(seen)
    order = np.argsort(distinct, kind="stable")
    rank = np.empty(len(seen), dtype=np.min_scalar_type(max(len(seen) - 1, 0)))
    rank[order] = np.arange(len(seen))
    return distinct[order], rank[first]


def encode_targets(y):
    """``encode_labels(y)`` after scikit-learn's ``check_classification_targets``, which is
    given the distinct labels found by the encoding (attached to a view of ``y`` as
    scikit-learn's ``attach_unique`` attaches them), so that ``y`` is sorted or searched once
    per fit, not once more per check. Labels the encoding cannot order (e.g. strings and
    numbers mixed) get scikit-learn's own error where it has one.

    1-D integer and boolean labels are binary or multiclass targets, which the check accepts:
    they are only encoded."""
    if y.ndim == 1 and y.dtype.kind in "iub":
        return encode_labels(y)
    try:
        classes, y_index = encode_labels(y)
    except TypeError:
        check_classification_targets(y)
        raise
    check_classification_targets(_with_unique(y, classes))
    return classes, y_index


def _with_unique(y, classes):
    """A view of ``y`` whose dtype carries its distinct labels, where scikit-learn's label
    checks (``sklearn.utils._unique.cached_unique``, scikit-learn >= 1.6) look for them
    instead of sorting ``y`` again; ``y`` itself where a view cannot carry them."""
    if not isinstance(y, np.ndarray):
        return y
    try:
        return y.view(np.dtype(y.dtype, metadata={"unique": classes}))
    except (TypeError, ValueError):
        return y


def _integer_lookup(y):
    """For 1-D integer or boolean ``y`` whose values span at most :data:`ENCODE_BLOCK` integers
    (and at most ``len(y)``, so the table is never the larger): ``(classes, position)``, the
    sorted distinct labels in the dtype of ``y`` and a table giving each value ``v`` its index
    among them at ``v - min(y)``. ``None`` otherwise (other dtypes, empty ``y``, a wider
    range, unsigned labels beyond the index type's range)."""
    if y.ndim != 1 or y.dtype.kind not in "iub" or y.shape[0] == 0:
        return None
    low, high = int(y.min()), int(y.max())
    if high - low >= min(y.shape[0], ENCODE_BLOCK) or high > np.iinfo(np.intp).max:
        return None  # (the table would be too large, or the labels do not fit an index)
    present = np.zeros(high - low + 1, dtype=bool)
    for start in range(0, y.shape[0], ENCODE_BLOCK):
        block = y[start:start + ENCODE_BLOCK].astype(np.intp)
        block -= low
        present[block] = True
    values = np.flatnonzero(present)
    position = np.cumsum(present, dtype=np.intp) - 1
    return (values + low).astype(y.dtype), position


def _class_weights(class_weight, classes, y_index, sample_weight=None, counts=None):
    """The weight of each class (shape ``(K,)``, float64): ones for None, the dict's values, or
    for ``"balanced"`` scikit-learn's ``compute_class_weight`` over the weighted class counts
    (``sum(s) / (K * sum_{y_i = k} s_i)``, so that integer sample weights count as repeated
    rows, as in scikit-learn >= 1.6). The counts come from ``y_index`` by ``bincount``; the
    labels are not formed again: ``compute_class_weight`` is given one row per class weighted
    by its count, which has the same weighted counts. A class whose samples all weigh 0 gets
    weight 0 (its samples have no cost anyway). ``counts``, where given, are those weighted
    class counts (a fit on dask arrays sums them over its chunks)."""
    if isinstance(class_weight, str) and class_weight == "balanced":
        if counts is None:
            counts = np.bincount(y_index, weights=sample_weight, minlength=len(classes))
        counts = np.asarray(counts, dtype=np.float64)
        present = counts > 0
        weights = np.zeros(len(classes), dtype=np.float64)
        index = np.arange(int(present.sum()))
        weights[present] = compute_class_weight("balanced", classes=index, y=index,
                                                sample_weight=counts[present])
        # (K is then the number of classes of positive weight, as with repeated rows, where
        # a class of weight 0 has no row)
        return weights
    return np.asarray(compute_class_weight(class_weight, classes=classes, y=classes),
                      dtype=np.float64)


def _check_class_weight_keys(class_weight, classes):
    """Raise ``ValueError`` naming the keys of a ``class_weight`` dict that are not classes,
    or the classes given a negative weight (a negative cost would reward errors).

    scikit-learn's ``compute_class_weight`` ignores such keys when every class has a weight
    (and otherwise names only the classes without one); a misspelt or absent class is more
    likely a mistake than an intent, so it is an error here. Keys are matched as
    ``compute_class_weight`` matches them (classes as ``int``, or ``str`` for non-numbers).
    """
    if not isinstance(class_weight, dict):
        return
    known = set()
    for c in classes:
        try:
            known.add(int(c))
        except (TypeError, ValueError):
            known.add(str(c))
    unknown = [k for k in class_weight if k not in known]
    if unknown:
        raise ValueError(f"class_weight names classes that are not in the data: {unknown!r} "
                         f"(the classes are {np.asarray(classes).tolist()!r})")
    negative = {k: v for k, v in class_weight.items() if _is_negative(v)}
    if negative:
        named = ", ".join(f"class {k!r} has weight {v!r}" for k, v in negative.items())
        raise ValueError(f"class_weight must be non-negative: {named}")


def _is_negative(value):
    try:
        return float(value) < 0
    except (TypeError, ValueError):  # not a number: compute_class_weight reports it
        return False


#: Root of the published documentation; the HTML representation of an estimator links to its
#: API page there, ``generated/hingeclf.<Estimator>.html`` (docs/api.rst: Sphinx autosummary
#: writes one page per name of ``hingeclf.__all__`` under ``generated/``).
DOCS_URL = "https://hingeclf.readthedocs.io/en/latest/"


class _DocLinkMixin:
    """Links of the HTML representation (scikit-learn's ``_get_doc_link``) to hingeclf's API
    pages: every public estimator is exported by ``hingeclf`` and documented as
    ``hingeclf.<name>``, whichever module defines it."""

    _doc_link_module = "hingeclf"
    _doc_link_template = DOCS_URL + "generated/hingeclf.{estimator_name}.html"

    def _doc_link_url_param_generator(self):
        return {"estimator_name": type(self).__name__}


#: The stopping parameters of ``solver="sgd"`` (``SGDClassifier``'s), for the estimators that
#: take them.
SGD_STOPPING_CONSTRAINTS = {
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0.0, 1.0, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
}


# ``auto`` picks the primal Newton for the non-smooth losses on dense data with at least this
# many samples per parameter (see ``_resolve_solver``)
PRIMAL_MIN_RATIO = 10


class BaseHingeClassifier(_DocLinkMixin, LinearClassifierMixin, SparseCoefMixin, BaseEstimator):
    """Linear classifier minimising ``1/2 ||W||^2 + C sum_i s_i cw[y_i] loss_i`` (shared code).

    Subclasses define ``_make_loss(n_classes)`` and their ``__init__``. ``densify`` and
    ``sparsify`` (scikit-learn's ``SparseCoefMixin``, as in ``LinearSVC``) convert ``coef_``
    between a dense array and a sparse matrix; warm starts use a separate copy of the solution.
    """

    _parameter_constraints: dict = {
        "C": [Interval(Real, 0.0, None, closed="neither")],
        "solver": [_solver_options()],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "penalty": [StrOptions(set(PENALTIES))],
        "l1_ratio": [Interval(Real, 0.0, 1.0, closed="both")],
    }

    # ------------------------------------------------------------------ hooks
    def _make_loss(self, n_classes):  # pragma: no cover - abstract
        raise NotImplementedError

    def _resolve_solver(self, loss, X):
        """The solver that ``solver="auto"`` stands for, on the loss ``loss`` and the data ``X``.

        With ``penalty="l1"`` or ``"elasticnet"``: ``cd`` where it applies (the binary and
        one-vs-rest losses but the psi hinge), ``fgd`` otherwise. With the L2 penalty:
        ``lbfgs`` for the smoothed hinges; for the smooth squared hinges (binary, one-vs-rest,
        Weston-Watkins) ``dual_cd`` where it applies (binary, one-vs-rest) on sparse data or on
        dense data with fewer samples than parameters, ``newton`` otherwise; for the non-smooth
        losses ``newton`` on dense data with at least ``PRIMAL_MIN_RATIO`` samples per
        parameter (``n_out * (n_features + 1)`` parameters), else ``dual_cd`` where it applies
        (binary, one-vs-rest, Crammer-Singer hinge) and ``newton`` for the rest
        (Weston-Watkins hinge, squared Crammer-Singer).

        The estimators' docstrings state this rule as a table (``_AUTO_RULE`` in
        ``hingeclf/svm.py``), which ``tests/test_auto_rule.py`` checks against this method.
        The measurements behind each choice are in :ref:`design-auto-solver`.
        """
        if self.solver != "auto":
            return self.solver
        if getattr(self, "penalty", "l2") != "l2":
            return "cd" if solver_supports("cd", loss) else "fgd"
        # outputs of the fitted problem (an unfitted estimator, as in the docs' table: one)
        classes = getattr(self, "classes_", None)
        n_out = 1 if classes is None else loss.n_outputs(len(classes))
        n_params = n_out * (X.shape[1] + 1)
        if loss.is_smooth:
            squared = loss.has_squared_terms and not loss.is_smoothed
            if (squared and (sp.issparse(X) or X.shape[0] < n_params)
                    and solver_supports("dual_cd", loss)):
                return "dual_cd"
            return "newton" if squared else "lbfgs"
        if not sp.issparse(X) and X.shape[0] >= PRIMAL_MIN_RATIO * n_params:
            return "newton"
        return "dual_cd" if solver_supports("dual_cd", loss) else "newton"

    # ------------------------------------------------------------------ validation
    def _validate_X_y(self, X, y, reset, check_targets=True):
        """Validated ``X`` and ``y``; with ``check_targets`` also scikit-learn's check of the
        labels (``fit`` checks them as it encodes them instead: :func:`encode_targets`)."""
        if getattr(X, "dtype", None) == np.float16:
            X = X.astype(np.float32)
        X, y = validate_data(self, X, y, reset=reset, accept_sparse=("csr", "csc"),
                             dtype=(np.float64, np.float32), accept_large_sparse=True)
        X = _sum_duplicates(X)
        if check_targets and not (y.ndim == 1 and y.dtype.kind in "iub"):
            # (1-D integer labels are binary or multiclass targets, which it accepts: on a
            # million labels the check takes about as long as encoding them)
            check_classification_targets(y)
        return X, y

    def _check_finite_C(self):
        if not np.isfinite(self.C):
            raise ValueError(f"C must be a finite positive number, got {self.C!r}")

    def _costs(self, X, y_index, sample_weight, class_weight, require_two_classes=True):
        """``c_i = C * sample_weight_i * class_weight[y_i]`` in the dtype of ``X``.

        Raises ``ValueError`` when ``class_weight`` names a class that is not in ``classes_``,
        when the costs (or their sum) are not finite, and, with ``require_two_classes``, when
        fewer than two classes keep a positive weight. One array of length ``n`` (two with
        ``sample_weight``, three for float32 data) is formed: ``C * class_weight`` per class,
        gathered by class, times the sample weights in place.
        """
        _check_class_weight_keys(class_weight, self.classes_)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
        with np.errstate(over="ignore", invalid="ignore"):
            per_class = self.C * _class_weights(class_weight, self.classes_, y_index,
                                                sample_weight)
            costs = per_class[y_index]
            if sample_weight is not None:
                costs *= sample_weight
            total = float(np.sum(costs))
        if not (np.isfinite(total) and total <= np.finfo(X.dtype).max
                and np.all(np.isfinite(costs))):
            raise ValueError("C * sample_weight * class_weight is not finite (or its sum "
                             f"overflows {np.dtype(X.dtype).name}); check the scale of "
                             "sample_weight and C")
        _check_data_scale(X, total, Workers(getattr(self, "n_jobs", None)))
        if require_two_classes:
            present = np.unique(y_index[costs > 0])
            if present.size < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes with positive "
                    f"sample_weight; got 1 class ({self.classes_[present].tolist()})")
        return costs.astype(X.dtype, copy=False)

    # ------------------------------------------------------------------ fitting
    def _problem(self, X, y_index, costs):
        n_classes = len(self.classes_)
        loss = self._make_loss(n_classes)
        target = loss.encode_target(y_index)
        penalty = make_penalty(getattr(self, "penalty", "l2"), getattr(self, "l1_ratio", 0.5))
        return LinearObjective(loss, X, target, costs, loss.n_outputs(n_classes),
                               self.fit_intercept, penalty,
                               Workers(getattr(self, "n_jobs", None)))

    def _initial_coef(self, problem):
        prev = getattr(self, "_coef_internal", None)
        if self.warm_start and prev is not None and prev.shape == problem.shape:
            return prev.astype(problem.dtype)
        return problem.zeros()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to the training data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 and float64 are kept as they are (float16 becomes float32);
            CSR and CSC matrices are used without conversion. Range: the curvature bound
            ``C * sum(sample_weight * class_weight) * max|X|^2`` must stay below
            ``finfo(X.dtype).max / 2**10`` (about 1.8e305 for float64, 3.3e35 for float32);
            beyond it ``fit`` raises a ``ValueError`` (scale the features). A dask array or
            DataFrame is fitted over its chunks, on its cluster (:doc:`/scaling`).
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights ``s_i`` of the samples in the objective.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if _is_dask_collection(X):  # data-parallel over the chunks (hingeclf._dask)
            from . import _dask
            return _dask.fit(self, X, y, sample_weight)
        self._check_finite_C()
        X, y = self._validate_X_y(X, y, reset=True, check_targets=False)
        self.classes_, y_index = encode_targets(y)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; the "
                             f"data contain only one class: {self.classes_[0]!r}")
        X, y_index, sample_weight, options = self._sgd_stopping(X, y_index, sample_weight)
        costs = self._costs(X, y_index, sample_weight, self.class_weight)
        problem = self._problem(X, y_index, costs)
        del costs, y_index  # the problem holds what the solvers need
        solver = self._resolve_solver(problem.loss, X)
        check_solver_supports(solver, problem.loss, problem.penalty)
        result = minimize(problem, solver, self._initial_coef(problem), tol=self.tol,
                          max_iter=self.max_iter, verbose=self.verbose,
                          random_state=self.random_state,
                          warm=getattr(self, "_warm", None) if self.warm_start else None,
                          fallback=self._fallback_solver(solver), **options)
        # what the next fit may start from: kept for a warm start (a dual state is as large as
        # the data's rows) and for partial_fit after a stochastic fit
        self._warm = (result.warm if self.warm_start or SOLVERS[result.solver].stochastic
                      else None)
        self._store(problem, result, result.solver)
        if SOLVERS[result.solver].stochastic:
            self.n_samples_seen_ = problem.n_samples  # (where a partial_fit continues)
        return self

    def _sgd_stopping(self, X, y_index, sample_weight):
        """``(X, y_index, sample_weight, options)`` of a fit: with ``solver="sgd"``, its
        stopping options (``n_iter_no_change``, and with ``early_stopping`` the validation
        score), and with ``early_stopping`` the training part of a stratified split that
        holds out ``validation_fraction`` of the samples (scikit-learn's
        ``StratifiedShuffleSplit`` seeded by ``random_state``). Raises ``ValueError`` when
        ``early_stopping`` is asked of another solver."""
        if "n_iter_no_change" not in self.get_params():
            return X, y_index, sample_weight, {}
        if self.solver != "sgd":
            if self.early_stopping:
                raise ValueError(f"early_stopping=True applies to solver='sgd' only; got "
                                 f"solver={self.solver!r}")
            return X, y_index, sample_weight, {}
        options = {"n_iter_no_change": self.n_iter_no_change}
        if not self.early_stopping:
            return X, y_index, sample_weight, options
        from sklearn.model_selection import StratifiedShuffleSplit

        split = StratifiedShuffleSplit(n_splits=1, test_size=self.validation_fraction,
                                       random_state=self.random_state)
        try:
            train, held = next(split.split(np.zeros((len(y_index), 1)), y_index))
        except ValueError as error:
            raise ValueError(f"early_stopping: cannot hold out validation_fraction="
                             f"{self.validation_fraction} of {len(y_index)} samples with "
                             f"{len(self.classes_)} classes in every part ({error})") from None
        train.sort()
        held.sort()
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
        X_held, y_held = X[held], y_index[held]
        w_held = None if sample_weight is None else sample_weight[held]

        def validation_score(coef):
            """The (weighted) accuracy on the held-out samples of the model ``coef``."""
            coef = np.asarray(coef).reshape(-1, X.shape[1] + int(self.fit_intercept))
            raw = np.asarray(X_held @ coef[:, :X.shape[1]].T, dtype=np.float64)
            if self.fit_intercept:
                raw += coef[:, -1]
            predicted = ((raw[:, 0] > 0).astype(np.intp) if raw.shape[1] == 1
                         else np.argmax(raw, axis=1))
            return float(np.average(predicted == y_held, weights=w_held))

        options["validation_score"] = validation_score
        sample_weight = None if sample_weight is None else sample_weight[train]
        return X[train], y_index[train], sample_weight, options

    def _fallback_solver(self, solver):
        """The solver that continues a fit ``solver`` left unconverged, or None: ``newton``
        after ``auto``'s ``dual_cd``, which slows down on badly scaled features where
        Newton's continuation does not (the user guide's "Solvers" page)."""
        return "newton" if self.solver == "auto" and solver == "dual_cd" else None

    def _store(self, problem, result, solver):
        coef = np.asarray(result.coef, dtype=problem.dtype).reshape(problem.shape)
        self._coef_internal = coef
        d = problem.n_features
        w = coef[:, :d]
        b = coef[:, d] if problem.fit_intercept else np.zeros(problem.n_out, dtype=problem.dtype)
        if problem.n_out == 2:
            # two classes with a multiclass loss: report the difference of the two score
            # functions, which is what decides the class (shape (1, d) as in scikit-learn).
            w = (w[1] - w[0])[None, :]
            b = np.atleast_1d(b[1] - b[0])
        self.coef_ = np.ascontiguousarray(w)
        self.intercept_ = np.asarray(b, dtype=problem.dtype).copy()
        self.n_iter_ = int(result.n_iter)
        self.objective_ = float(result.objective)
        self.solver_ = solver
        self.converged_ = bool(result.converged)
        self.duality_gap_ = result.gap
        if self.verbose:
            print(f"[{type(self).__name__}] solver={solver} loss={problem.loss.name} "
                  f"n_iter={self.n_iter_} objective={self.objective_:.10g} "
                  f"converged={self.converged_} ({result.message})")
        if not result.converged:
            advice = ("Increase max_iter, or loosen tol." if "max_iter" in result.message
                      else "Standardising the features, or a smaller C, may help.")
            if problem.dtype == np.float32 and "precision" in result.message:
                # (float32 coefficients' rounding bounds how close a hinge fit can get)
                advice += " So may float64 data, or a looser tol (the fit is float32)."
            warnings.warn(
                f"{type(self).__name__} with solver={solver!r} did not meet its stopping rule "
                f"with tol={self.tol}: {result.message}. {advice}",
                ConvergenceWarning, stacklevel=3)

    # ------------------------------------------------------------------ partial_fit (sgd)
    @available_if(_stochastic_solver_selected)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of ``sgd`` over a block of data (only with ``solver="sgd"``).

        The streaming objective: after blocks of ``n_samples_seen_`` samples in all (every
        call's samples count as new samples, also when a block is passed again), the model
        estimates the minimiser of the objective of ``fit`` on all of them,

        ``P(W, b) = 1/2 ||W||^2 + C sum_{i seen} s_i cw[y_i] loss_i``,

        so ``C`` means the same whatever the block sizes (the user guide's "Solvers" page,
        "Streaming with partial_fit"). A call visits its block once, in the order
        ``check_random_state(random_state).permutation(n_block)``; the ``t``-th sample seen
        takes the step of :func:`hingeclf._solvers.sgd._epoch` with the running count ``t``
        as the number of samples; the model is the average of the iterates. Where the blocks
        are cut does not change the steps (the model is a function of the sequence of samples
        visited; with an intercept also of the first block, whose mean row centres the
        steps). ``objective_`` is then the progressive estimate of ``P``: ``1/2 ||W||^2``
        at the model plus the sum of ``c_i loss_i`` of every sample seen, each at the
        model it met on arrival (an estimate, usually above ``P`` at the model; it is exact
        for no particular block). ``early_stopping`` does not apply to ``partial_fit``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A block of training data (float32 and float64 read as they are; CSC is
            converted to CSR).
        y : array-like of shape (n_samples,)
            Class labels of the block.
        classes : array-like of shape (n_classes,), default=None
            All the classes that will ever be seen; required on the first call, and must
            match ``classes_`` on later calls if given.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples of the block.

        Returns
        -------
        self : object
            The updated estimator, with ``n_samples_seen_``, the running count of samples.
        """
        self._validate_params()
        self._check_finite_C()
        first = getattr(self, "_warm", None) is None
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            self.classes_ = unique_labels(classes)
            if len(self.classes_) < 2:
                raise ValueError("partial_fit needs at least 2 classes in `classes`")
        elif classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
            raise ValueError(f"`classes`={unique_labels(classes)!r} differs from the classes of "
                             f"the first call to partial_fit, {self.classes_!r}")
        if self.class_weight == "balanced":
            raise ValueError("class_weight='balanced' is not supported by partial_fit: it needs "
                             "the class frequencies of all the data; pass a dict instead")
        X, y = self._validate_X_y(X, y, reset=first)
        y_index = np.searchsorted(self.classes_, y)
        # (one pass instead of np.unique's sort: the labels that are not classes)
        known = self.classes_[np.minimum(y_index, len(self.classes_) - 1)] == y
        if not np.all(known):
            unknown = np.unique(np.asarray(y)[~known])
            raise ValueError(f"y contains labels not declared in `classes`: {unknown.tolist()}")
        y_index = y_index.astype(np.min_scalar_type(len(self.classes_) - 1))
        costs = self._costs(X, y_index, sample_weight, self.class_weight,
                            require_two_classes=False)
        problem = self._problem(X, y_index, costs)
        coef0 = problem.zeros()  # ignored when continuing from a state
        result = minimize(problem, self.solver, coef0, tol=self.tol, max_iter=1,
                          random_state=self.random_state, warm=getattr(self, "_warm", None),
                          n_epochs=1)
        self._warm = result.warm
        self._store(problem, result, result.solver)
        self.n_samples_seen_ = (0 if first else self.n_samples_seen_) + problem.n_samples
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the given data and labels, as scikit-learn's ``accuracy_score``.

        scikit-learn's checks of the labels (``accuracy_score``) are given the distinct labels
        of ``y`` and of the predictions, found without sorting either (:func:`encode_labels`
        for ``y``; the predicted classes' indices for the predictions): sorting a large array of
        string labels costs more than the prediction.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        score : float
            The (weighted) fraction of samples whose label is predicted.
        """
        from sklearn.metrics import accuracy_score

        index = self._predicted_index(X)
        y_pred = self.classes_[index]
        present = np.flatnonzero(np.bincount(index, minlength=len(self.classes_)))
        y_true = np.asarray(y)
        if y_true.ndim == 1:
            try:
                y_true = _with_unique(y_true, encode_labels(y_true)[0])
            except TypeError:  # labels that do not compare: accuracy_score says so
                pass
        return float(accuracy_score(y_true, _with_unique(y_pred, self.classes_[present]),
                                    sample_weight=sample_weight))

    def _predicted_index(self, X):
        """The index in ``classes_`` of each sample's predicted class (as ``predict``)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return (scores > 0).astype(np.intp)
        return np.argmax(scores, axis=1)

    def decision_function(self, X):
        """Decision values ``X coef_^T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, positive values favour ``classes_[1]``; otherwise one column per
            class, the largest deciding.
        """
        check_is_fitted(self)
        if _is_dask_collection(X):  # lazy, chunk by chunk
            from . import _dask
            return _dask.decision_function(self, X)
        return super().decision_function(_sum_duplicates(X))

    def predict(self, X):
        """Class labels of the samples of ``X`` (a lazy dask array for a dask ``X``).

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        labels : ndarray (or dask array) of shape (n_samples,)
            The class of each sample, among ``classes_``.
        """
        check_is_fitted(self)
        if _is_dask_collection(X):
            from . import _dask
            return _dask.predict(self, X)
        return super().predict(X)
