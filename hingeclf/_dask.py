"""Fitting on dask collections: the objective summed over the chunks of a dask array.

``fit(X, y)`` with ``X`` a dask array (or a dask DataFrame of numeric columns) builds a
:class:`ChunkedObjective` and hands it to the same solver pipeline as in-memory data
(:func:`hingeclf._solvers.minimize`): the full-batch solvers (``newton``, ``lbfgs``, ``fgd``),
the smoothing continuation of the hinge and the duality-gap certificate. The chunks of ``X``,
the target and the per-sample costs stay on the workers (persisted once); each value, gradient,
Hessian product or Gram block, and each term of the duality gap, is one task per chunk (the
formulas of :class:`~hingeclf._objective.LinearObjective` over the chunk's rows, without the
penalty) whose results are summed in a tree. The client holds the coefficients and what is of
their size (``O(K d)`` vectors, ``O(K d^2)`` Hessian blocks); the decision values, as long as
the data, are dask arrays persisted on the workers too. Solvers that visit the rows one by one
(``dual_cd``, ``cd``, ``sgd``) are refused, as are the face solves and path walks, which select
rows (:attr:`~hingeclf._objective.Objective.holds_rows`).

dask is imported only here, and this module only when a dask collection is given.
"""

from __future__ import annotations

import uuid

import dask
import dask.array as da
import numpy as np
import scipy.sparse as sp
from dask.delayed import Delayed

from ._objective import L2Penalty, LinearObjective, Objective, HessianOperator
from ._solvers import SOLVERS, minimize, solver_supports

# partial results combined per task of the reduction tree
TREE_FAN_IN = 8


def is_dask_collection(obj):
    """True for a dask collection (array, DataFrame, Series). (The estimators check the
    object's module before importing this module, so that dask is imported only for dask
    input.)"""
    module = type(obj).__module__ or ""
    if module.split(".")[0] != "dask":
        return False
    return dask.is_dask_collection(obj)


class _NoPenalty:
    """The zero penalty of a chunk's objective: the chunked objective adds the penalty once."""

    name = "none"
    is_smooth = True
    l1 = 0.0
    l2 = 0.0

    def value(self, w):
        return 0.0

    smooth_value = value

    def gradient(self, w):
        return np.zeros_like(w)

    smooth_gradient = gradient
    hessp = gradient


_NO_PENALTY = _NoPenalty()


def _rows(loss, X, y, weights, n_out, fit_intercept):
    """The objective of one chunk's rows (its loss part: no penalty)."""
    return LinearObjective(loss, X, y, weights, n_out, fit_intercept, _NO_PENALTY)


def _combine(parts, maxima):
    """The sum (the maximum at the positions in ``maxima``) of a list of tuples of partial
    results (floats and float64 arrays)."""
    first = parts[0]
    out = []
    for j in range(len(first)):
        values = [p[j] for p in parts]
        if j in maxima:
            out.append(max(values))
        elif isinstance(values[0], np.ndarray):
            total = np.array(values[0], dtype=np.float64, copy=True)
            for v in values[1:]:
                total += v
            out.append(total)
        else:
            out.append(float(sum(values)))
    return tuple(out)


def _on_chunk(function, spec, blocks, no_raw, args):
    """``function`` on one chunk's objective (``blocks``: the chunk of ``X``, ``y``, the costs,
    then of each array of decision values), its partial results as float64 (or floats)."""
    X, y, weights, *raws = blocks
    rows = _rows(spec[0], X, y, weights, spec[1], spec[2])
    parts = function(rows, *(raws if not no_raw else [None]), *args)
    return tuple(np.asarray(p, dtype=np.float64) if isinstance(p, np.ndarray) else float(p)
                 for p in parts)


def _flat_keys(array):
    """The keys of a dask array's chunks, in the order of its rows."""
    keys = array.__dask_keys__()
    while keys and isinstance(keys[0], list):
        keys = [k for sub in keys for k in sub]
    return keys


def _chunk_raw(X, coef, spec):
    """The decision values of one chunk at ``coef``."""
    rows = _rows(spec[0], X, np.zeros(0), np.zeros(0), spec[1], spec[2])
    return rows.raw(coef)


# ---------------------------------------------------------------------- per-chunk functions
def _value_of_rows(rows, raw, coef):
    return (rows.value(coef, raw),)


def _value_on_line_of_rows(rows, raw, raw_d, coef, step):
    return (rows.value_on_line(coef, raw, raw_d, step),)


def _value_gradient_of_rows(rows, raw, coef):
    value, grad = rows.value_gradient(coef, raw)
    return value, grad


def _hessp_of_rows(rows, raw, coef, direction):
    return (rows.hessian_operator(coef, raw)(direction),)


def _diagonal_of_rows(rows, raw, coef):
    return (rows.hessian_operator(coef, raw).diagonal(),)


def _blocks_of_rows(rows, raw, coef):
    blocks = rows.hessian_operator(coef, raw).blocks()
    return (np.stack(blocks),)


def _matrix_of_rows(rows, raw, coef):
    return (rows.hessian_operator(coef, raw).matrix(),)


def _column_sums_of_rows(rows, raw):
    return (np.asarray(rows.X.sum(axis=0), dtype=np.float64).ravel(),)


def _data_sums_of_rows(rows, raw):
    """``(sum x_ij^2, max c_i, max |x_ij|)`` of one chunk."""
    X = rows.X
    if sp.issparse(X):
        data = X.data.astype(np.float64)
        fro2 = float(np.dot(data, data))
        x_max = float(np.abs(data).max(initial=0.0))
    else:
        fro2 = float(np.einsum("ij,ij->", X, X, dtype=np.float64))
        x_max = float(np.abs(X).max(initial=0.0)) if X.size else 0.0
    return fro2, float(np.max(rows.weights, initial=0.0)), x_max


class ChunkedObjective(Objective):
    """``P(coef) = penalty(W) + sum over chunks of sum_i c_i loss_i(X W^T + b)`` on dask arrays.

    The same objective as :class:`~hingeclf._objective.LinearObjective` (the L2 penalty) on
    data held in chunks of rows on dask's workers: ``X`` (one chunk of columns), the target
    ``y`` and the costs ``weights`` chunked alike and persisted. Each method is one task per
    chunk, the chunk's :class:`LinearObjective` without penalty evaluated on its rows, and a
    tree sum of the results (:meth:`reduce_rows`); the penalty's terms are added on the
    client. The decision values (``raw``) are dask arrays of shape ``(n_samples, n_out)``
    chunked as the rows of ``X`` and persisted on the workers.
    """

    def __init__(self, loss, X, y, weights, n_out, fit_intercept, penalty=None, data_sums=None):
        self.loss = loss
        self.X = X
        self.y = y
        self.weights = weights
        self.n_out = int(n_out)
        self.fit_intercept = bool(fit_intercept)
        self.penalty = L2Penalty() if penalty is None else penalty
        if self.penalty.name != "l2":
            raise ValueError("fits on dask arrays support penalty='l2' only")
        self.dtype = X.dtype
        self.n_samples, self.n_features = X.shape
        self.shape = (self.n_out, self.n_features + int(self.fit_intercept))
        self._spec = (loss, self.n_out, self.fit_intercept)
        # sums over the data computed once and shared with the objectives of other losses
        self._data_sums = {} if data_sums is None else data_sums

    def with_loss(self, loss):
        return ChunkedObjective(loss, self.X, self.y, self.weights, self.n_out,
                                self.fit_intercept, self.penalty, self._data_sums)

    @property
    def holds_rows(self):
        return False

    # ------------------------------------------------------------------ the chunks
    def _coef(self, coef):
        return np.asarray(coef).reshape(self.shape).astype(self.dtype, copy=False)

    def reduce_rows(self, function, raw, *args, maxima=()):
        """``function(rows, raw_rows, *args)`` on each chunk (``rows`` its objective without
        penalty), the tuples of results summed (at ``maxima``, their maximum) in a tree of
        :data:`TREE_FAN_IN` by tasks on the workers; one ``compute``. ``raw`` may be None
        (``function`` then gets None), or a dask array or a tuple of them chunked as the
        rows (``function`` then gets one argument per array)."""
        raws = () if raw is None else raw if isinstance(raw, tuple) else (raw,)
        arrays = (self.X, self.y, self.weights) + raws
        graph = {}
        for array in arrays:  # (persisted: the graphs hold one key per chunk)
            graph.update(array.__dask_graph__())
        keys = [list(_flat_keys(array)) for array in arrays]
        name = f"hingeclf-rows-{uuid.uuid4().hex}"
        spec, maxima = self._spec, tuple(maxima)
        level = []
        for i in range(len(keys[0])):
            key = (name, 0, i)
            graph[key] = (_on_chunk, function, spec, [k[i] for k in keys], raw is None, args)
            level.append(key)
        depth = 0
        while len(level) > 1:
            depth += 1
            upper = []
            for j, start in enumerate(range(0, len(level), TREE_FAN_IN)):
                key = (name, depth, j)
                graph[key] = (_combine, level[start:start + TREE_FAN_IN], maxima)
                upper.append(key)
            level = upper
        return Delayed(level[0], graph).compute()

    def raw(self, coef):
        """The decision values at ``coef``: a dask array persisted on the workers."""
        raw = da.map_blocks(_chunk_raw, self.X, self._coef(coef), self._spec,
                            chunks=(self.X.chunks[0], (self.n_out,)), dtype=self.dtype)
        return raw.persist()

    def move_raw(self, raw, step, raw_d):
        return (raw + self.dtype.type(step) * raw_d).persist()

    # ------------------------------------------------------------------ value and derivatives
    def value(self, coef, raw=None):
        coef = self._coef(coef)
        if raw is None:
            raw = self.raw(coef)
        loss = self.reduce_rows(_value_of_rows, raw, coef)[0]
        return self.penalty.value(coef[:, :self.n_features]) + loss

    def value_on_line(self, coef, raw, raw_d, step):
        coef = self._coef(coef)
        loss = self.reduce_rows(_value_on_line_of_rows, (raw, raw_d), coef, float(step))[0]
        return self.penalty.value(coef[:, :self.n_features]) + loss

    def value_gradient(self, coef, raw=None):
        coef = self._coef(coef)
        if raw is None:
            raw = self.raw(coef)
        loss, grad = self.reduce_rows(_value_gradient_of_rows, raw, coef)
        w = coef[:, :self.n_features]
        grad[:, :self.n_features] += self.penalty.gradient(w)
        return self.penalty.value(w) + loss, grad.astype(self.dtype)

    # (the L2 penalty is smooth: the composite view is the objective itself)
    smooth_value_gradient = value_gradient

    def smooth_value(self, coef, raw=None):
        return self.value(coef, raw)

    def optimality_residual(self, coef, smooth_grad=None):
        if smooth_grad is None:
            smooth_grad = self.value_gradient(coef)[1]
        return np.asarray(smooth_grad, dtype=np.float64).reshape(self.shape)

    def hessian_operator(self, coef, raw=None):
        """The Hessian at ``coef`` as products, diagonal, blocks and matrix, each summed over
        the chunks (the chunks' curvature is formed in their tasks, never on the client)."""
        coef = self._coef(coef)
        if raw is None:
            raw = self.raw(coef)
        if not self.loss.has_hessian:
            raise ValueError(f"the {self.loss.name} objective has no Hessian")
        n = self.n_features
        l2 = self.penalty.l2

        def apply(direction):
            direction = self._coef(direction)
            out = self.reduce_rows(_hessp_of_rows, raw, coef, direction)[0]
            out[:, :n] += self.penalty.hessp(direction[:, :n])
            return out.astype(self.dtype)

        def diagonal():
            out = self.reduce_rows(_diagonal_of_rows, raw, coef)[0]
            out[:, :n] += l2
            return out

        def blocks(grams=None):
            if not self.loss.has_binary_terms:
                return None
            stacked = self.reduce_rows(_blocks_of_rows, raw, coef)[0]
            idx = np.arange(n)
            out = []
            for H in stacked:
                H = np.array(H)
                H[idx, idx] += l2
                out.append(H)
            return out

        def matrix():
            H = self.reduce_rows(_matrix_of_rows, raw, coef)[0]
            p = self.shape[1]
            idx = np.concatenate([k * p + np.arange(n) for k in range(self.n_out)])
            H[idx, idx] += l2
            return H
        return HessianOperator(apply, diagonal=diagonal, blocks=blocks, matrix=matrix)

    def largest_value(self):
        return self._sums()["x_max"]

    def column_means(self):
        sums = self.reduce_rows(_column_sums_of_rows, None)[0]
        return (sums / self.n_samples).astype(self.dtype)

    def _sums(self):
        if not self._data_sums:
            fro2, c_max, x_max = self.reduce_rows(_data_sums_of_rows, None, maxima=(1, 2))
            self._data_sums.update(fro2=fro2, c_max=c_max, x_max=x_max)
        return self._data_sums

    def lipschitz_bound(self):
        l_loss = self.loss.lipschitz(self.n_out)
        if l_loss is None:
            return None
        sums = self._sums()
        fro2 = sums["fro2"] + (self.n_samples if self.fit_intercept else 0)
        return self.penalty.l2 + sums["c_max"] * l_loss * fro2

    def gradient_scale(self):
        g = self.value_gradient(self.zeros())[1]
        return max(float(np.abs(g).max(initial=0.0)), np.finfo(np.float64).tiny)

    # the same duality gap as in memory: its terms are row sums (Objective.reduce_rows)
    suboptimality_bound = LinearObjective.suboptimality_bound


# ---------------------------------------------------------------------- the estimators' side
FULL_BATCH = ("newton", "lbfgs", "fgd")


def _as_dask_array(obj, name):
    """A dask array from a dask array, DataFrame or Series (with known chunk sizes)."""
    import dask.dataframe as dd

    if isinstance(obj, (dd.DataFrame, dd.Series)):
        if isinstance(obj, dd.DataFrame):
            bad = [c for c, t in obj.dtypes.items()
                   if not (isinstance(t, np.dtype) and t.kind in "biuf")]
            if bad:
                raise ValueError(f"{name}: a dask DataFrame must have numeric columns only; "
                                 f"not numeric: {bad!r}")
        return obj.to_dask_array(lengths=True)
    if not isinstance(obj, da.Array):
        raise TypeError(f"{name} must be a dask array, DataFrame or Series, got "
                        f"{type(obj).__name__}")
    if any(np.isnan(s) for sizes in obj.chunks for s in sizes):
        obj = obj.compute_chunk_sizes()
    return obj


def _aligned(values, rows, name, n):
    """``values`` (dask or array-like, 1-D of length ``n``) as a dask array chunked as ``rows``."""
    if is_dask_collection(values):
        values = _as_dask_array(values, name)
    else:
        values = da.from_array(np.asarray(values), chunks=(rows,))
    if values.ndim != 1 or values.shape[0] != n:
        raise ValueError(f"{name} must be 1-D with {n} entries (the rows of X), got shape "
                         f"{values.shape}")
    return values.rechunk((rows,))


def _canonical_csr(block):
    block = sp.csr_matrix(block)
    if not block.has_canonical_format:
        block = block.copy()
        block.sum_duplicates()
    return block


def _all_finite(block):
    values = block.data if sp.issparse(block) else block
    return np.array([[bool(np.isfinite(values).all())]])


def _encode(y, classes):
    return np.searchsorted(classes, y).astype(np.min_scalar_type(max(len(classes) - 1, 0)))


def _target(y_index, loss):
    return loss.encode_target(y_index)


def _chunk_costs(y_index, per_class, sample_weight, dtype):
    costs = per_class[y_index]
    if sample_weight is not None:
        costs = costs * sample_weight
    return costs.astype(dtype, copy=False)


def _check_sample_weight_block(s):
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("sample_weight must be finite and non-negative")
    return s.astype(np.float64, copy=False)


def _class_counts(y_index, sample_weight, n_classes):
    return np.bincount(y_index, weights=sample_weight, minlength=n_classes)[None, :]


def resolve_solver(estimator, loss):
    """The solver of a fit on dask arrays: ``newton`` for ``"auto"`` where the loss has a
    Hessian (``lbfgs`` otherwise); a solver that visits the rows one by one is refused."""
    solver = estimator.solver
    if solver == "auto":
        return "newton" if solver_supports("newton", loss) else "lbfgs"
    if solver not in FULL_BATCH:
        kind = ("stochastic" if SOLVERS[solver].stochastic else
                "dual" if SOLVERS[solver].dual else "coordinate")
        raise ValueError(
            f"solver={solver!r} cannot fit a dask array: it is a {kind} solver that visits the "
            f"rows one by one; the fits on dask arrays run the full-batch solvers "
            f"{', '.join(FULL_BATCH)} (or solver='auto') over the chunks")
    return solver


def fit(estimator, X, y, sample_weight=None):
    """``estimator.fit(X, y, sample_weight)`` for a dask ``X`` (see the module docstring)."""
    from ._base import _check_class_weight_keys, _check_data_scale, _class_weights

    estimator._check_finite_C()
    if getattr(estimator, "penalty", "l2") != "l2":
        raise ValueError(f"fits on dask arrays support penalty='l2' only, got "
                         f"penalty={estimator.penalty!r}")
    columns = getattr(X, "columns", None)
    X = _as_dask_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got a dask array of shape {X.shape}")
    sparse = sp.issparse(getattr(X, "_meta", None))
    if X.dtype == np.float16:
        X = X.astype(np.float32)
    elif X.dtype not in (np.float32, np.float64):
        if X.dtype.kind not in "biuf":
            raise ValueError(f"X must be numeric, got dtype {X.dtype}")
        X = X.astype(np.float64)
    n, d = X.shape
    if n == 0 or d == 0:
        raise ValueError(f"X has shape {X.shape}: at least one sample and one feature are "
                         f"needed")
    X = X.rechunk({1: -1})
    if sparse:  # each chunk in CSR with each entry stored once (as _sum_duplicates in memory)
        X = X.map_blocks(_canonical_csr, dtype=X.dtype,
                         meta=sp.csr_matrix((0, 0), dtype=X.dtype))
    rows = X.chunks[0]
    y = _aligned(y, rows, "y", n)
    if y.dtype.kind == "f":
        bad = da.isnan(y).any()
        if bool(bad.compute()):
            raise ValueError("y contains NaN")
    finite = X.map_blocks(_all_finite, chunks=((1,) * len(rows), (1,)), dtype=bool).all()
    classes = da.unique(y)
    finite, classes = dask.compute(finite, classes)
    if not finite:
        raise ValueError("X contains NaN or infinity")
    classes = np.asarray(classes)
    if len(classes) < 2:
        raise ValueError(f"{type(estimator).__name__} needs samples of at least 2 classes; "
                         f"the data contain only one class: {classes[0]!r}")
    estimator.classes_ = classes
    estimator.n_features_in_ = d
    if columns is not None:
        estimator.feature_names_in_ = np.asarray([str(c) for c in columns], dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    K = len(classes)
    index_dtype = np.min_scalar_type(max(K - 1, 0))
    y_index = y.map_blocks(_encode, classes, dtype=index_dtype)
    if sample_weight is not None:
        sample_weight = _aligned(sample_weight, rows, "sample_weight", n).map_blocks(
            _check_sample_weight_block, dtype=np.float64)
    class_weight = estimator.class_weight
    _check_class_weight_keys(class_weight, classes)
    counts = None
    if isinstance(class_weight, str) and class_weight == "balanced":
        # the (weighted) class counts, the only statistic of y that "balanced" uses
        parts = da.map_blocks(_class_counts, y_index, sample_weight, K, dtype=np.float64,
                              chunks=((1,) * len(rows), (K,)), new_axis=1)
        counts = parts.sum(axis=0).compute()
    per_class = estimator.C * _class_weights(class_weight, classes, None, sample_weight,
                                             counts=counts)
    costs = da.map_blocks(_chunk_costs, y_index, per_class, sample_weight, X.dtype,
                          dtype=X.dtype)
    loss = estimator._make_loss(K)
    target = y_index.map_blocks(_target, loss, dtype=loss.encode_target(
        np.zeros(1, dtype=index_dtype)).dtype)
    X, target, costs = dask.persist(X, target, costs)
    weighted = da.map_blocks(_class_counts, y_index, costs.astype(np.float64), K,
                             dtype=np.float64, chunks=((1,) * len(rows), (K,)), new_axis=1)
    per_class_cost, costs_finite = dask.compute(weighted.sum(axis=0), da.isfinite(costs).all())
    total = float(per_class_cost.sum())
    if not (costs_finite and np.isfinite(total) and total <= np.finfo(X.dtype).max):
        raise ValueError("C * sample_weight * class_weight is not finite (or its sum "
                         f"overflows {np.dtype(X.dtype).name}); check the scale of "
                         "sample_weight and C")
    if np.count_nonzero(per_class_cost > 0) < 2:
        raise ValueError(f"{type(estimator).__name__} needs samples of at least 2 classes with "
                         f"positive sample_weight")
    if not loss.has_compiled_terms:
        raise ValueError(f"the {loss.name} loss cannot be fitted on dask arrays: only the "
                         f"binary and one-vs-rest losses are (their terms are separable)")
    problem = ChunkedObjective(loss, X, target, costs, loss.n_outputs(K),
                               estimator.fit_intercept)
    _check_data_scale_chunked(problem, total, _check_data_scale)
    solver = resolve_solver(estimator, loss)
    result = minimize(problem, solver, estimator._initial_coef(problem), tol=estimator.tol,
                      max_iter=estimator.max_iter, verbose=estimator.verbose,
                      random_state=estimator.random_state)
    estimator._warm = None
    estimator._store(problem, result, result.solver)
    return estimator


def _check_data_scale_chunked(problem, total, check):
    """The overflow check of the in-memory fit (``_check_data_scale``) on the chunks' largest
    value (one reduction, shared with the Lipschitz bound's)."""
    x_max = problem._sums()["x_max"]
    check(np.array([[x_max]], dtype=problem.dtype), total)


# ---------------------------------------------------------------------- prediction
def _chunk_decision(X, coef, intercept):
    X = np.asarray(X) if not sp.issparse(X) else X
    scores = X @ coef.T + intercept
    scores = np.asarray(scores)
    return scores.ravel() if scores.shape[1] == 1 else scores


def _chunk_predict(X, coef, intercept, classes):
    scores = _chunk_decision(X, coef, intercept)
    index = (scores > 0).astype(np.intp) if scores.ndim == 1 else scores.argmax(axis=1)
    return classes[index]


def _prediction_input(estimator, X):
    X = X.to_dask_array() if not isinstance(X, da.Array) else X
    if X.ndim != 2 or X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {X.shape[1] if X.ndim == 2 else X.shape} features, but "
                         f"{type(estimator).__name__} is expecting "
                         f"{estimator.n_features_in_} features as input")
    return X.rechunk({1: -1})


def decision_function(estimator, X):
    """Decision values of a dask ``X``: a lazy dask array, one task per chunk of rows."""
    X = _prediction_input(estimator, X)
    coef = np.asarray(estimator.coef_.toarray() if sp.issparse(estimator.coef_)
                      else estimator.coef_)
    coef = coef.astype(np.result_type(X.dtype, coef.dtype), copy=False)
    if coef.shape[0] == 1:
        return X.map_blocks(_chunk_decision, coef, estimator.intercept_, drop_axis=1,
                            dtype=coef.dtype)
    return X.map_blocks(_chunk_decision, coef, estimator.intercept_,
                        chunks=(X.chunks[0], (coef.shape[0],)), dtype=coef.dtype)


def predict(estimator, X):
    """Class labels of a dask ``X``: a lazy dask array, one task per chunk of rows."""
    X = _prediction_input(estimator, X)
    coef = np.asarray(estimator.coef_.toarray() if sp.issparse(estimator.coef_)
                      else estimator.coef_)
    return X.map_blocks(_chunk_predict, coef, estimator.intercept_, estimator.classes_,
                        drop_axis=1, dtype=estimator.classes_.dtype)
