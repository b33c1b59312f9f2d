"""The linear-model objective: one loss, one penalty, the data and the weights.

Conventions (docs/user_guide/objective.rst):

- Coefficients are held as one array ``coef`` of shape ``(n_out, n_features + fit_intercept)``:
  row ``k`` is ``[w_k, b_k]``, the intercept LAST, and solvers may pass it flattened (C order).
- The objective is a SUM over samples, not a mean::

      P(W, b) = penalty(W) + sum_i c_i * loss_i(W x_i + b),   c_i = C * s_i * cw[y_i]

  with the L2 penalty ``1/2 ||W||_F^2`` by default, or the L1 / elastic-net penalty
  ``l1 ||W||_1 + l2/2 ||W||_F^2`` (:class:`ElasticNetPenalty`). The intercept is NOT penalised.
- For a non-smooth penalty, ``value_gradient`` returns a subgradient; proximal and coordinate
  solvers use the *smooth part* ``F = loss + l2/2 ||W||^2`` (:meth:`LinearObjective.smooth_value_gradient`),
  the penalty's proximal map, and :meth:`LinearObjective.optimality_residual` (the minimum-norm
  subgradient, zero exactly at an optimum).
- The subgradient at a kink is the one of :mod:`hingeclf._losses` (zero at margin exactly 1).
- Every array that grows with ``n`` (decision values, gradients in them) is kept in the dtype of
  ``X``; scalars are accumulated in float64. ``X`` is never copied.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ._certificate import certified_gap
from ._lazy import lazy_function, njit
from ._parallel import SERIAL, row_blocks
from ._products import compiled_rows, decision_values, pulled_back

add_scaled = lazy_function("hingeclf._loss_kernels", "add_scaled")

# rows per block of the explicit Hessian's Gram products: the temporary is a block of rows of
# ``X``, never a copy of ``X``
GRAM_CHUNK = 1024


def value_rounding(dtype, n_samples):
    """The relative rounding allowed for in comparisons of objective values (sufficient-decrease
    tests): ``10 eps / sqrt(n)`` for the data's dtype, at least ``1e-12``.

    An objective value is a float64 sum of ``n`` terms computed in the data's dtype, each with a
    relative rounding error of about ``eps``; independent errors add up to about
    ``eps sqrt(n)`` on a sum of size ``n``. (``10 eps`` without the ``1 / sqrt(n)``, tried
    first, let float32 line searches accept increases larger than a Newton step's gain:
    docs/design_decisions.rst, "Newton's method".)
    """
    eps = float(np.finfo(dtype).eps)
    return max(1e-12, 10.0 * eps / np.sqrt(max(int(n_samples), 1)))


def max_abs(X, workers=SERIAL):
    """``max |x_ij|`` of a dense or sparse ``X`` (its stored values), 0 when empty, NaN when
    one is NaN; no temporary the size of ``X``: one compiled pass over contiguous values
    (over the :func:`hingeclf._parallel.row_blocks` of their ``workers``: a maximum, the same
    whatever the blocks), else two reductions (one over the chunks of a dask array)."""
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return 0.0
    if not isinstance(values, np.ndarray):  # a dask array: one reduction over its chunks
        return float(abs(values).max())
    if not compiled_rows(X.shape[0]):  # (few rows: one small temporary, NaN kept)
        return float(np.max(np.abs(values)))
    if values.dtype.kind == "f" and (values.flags.c_contiguous or values.flags.f_contiguous):
        flat = values.ravel(order="K")
        if workers.n_jobs == 1:
            return float(_max_abs_flat(flat))
        # (one maximum per block of the flat values, a NaN kept by np.max)
        return float(np.max(workers.over_rows(
            lambda start, stop: _max_abs_flat(flat[start:stop]), flat.size)))
    return max(float(np.max(values)), -float(np.min(values)))


@njit(cache=True, nogil=True)
def _max_abs_flat(values):
    """``max |v|`` of a 1-d float array in one pass (NaN if one is NaN): four independent
    maxima, so that the comparisons do not wait on each other."""
    m0 = m1 = m2 = m3 = 0.0
    n = values.shape[0]
    nan = False
    stop = n - n % 4
    for i in range(0, stop, 4):
        a0 = abs(float(values[i]))
        a1 = abs(float(values[i + 1]))
        a2 = abs(float(values[i + 2]))
        a3 = abs(float(values[i + 3]))
        m0 = a0 if a0 > m0 else m0
        m1 = a1 if a1 > m1 else m1
        m2 = a2 if a2 > m2 else m2
        m3 = a3 if a3 > m3 else m3
        nan |= (a0 != a0) | (a1 != a1) | (a2 != a2) | (a3 != a3)
    for i in range(stop, n):
        a0 = abs(float(values[i]))
        m0 = a0 if a0 > m0 else m0
        nan |= a0 != a0
    if nan:
        return np.nan
    return max(max(m0, m1), max(m2, m3))


def weighted_gram(X, D, fit_intercept, rows=None, workers=SERIAL):
    """``[X, 1]^T diag(D) [X, 1]`` (float64, ``d + fit_intercept`` square) over ``rows``
    (default: the rows with ``D != 0``); ``D`` may have either sign and any float dtype.

    Dense ``X``: the rows with ``D != 0`` are gathered, scaled by ``sqrt(|D|)``, into a buffer
    of :data:`GRAM_CHUNK` rows in the dtype of ``X`` (those of positive ``D`` from its front,
    those of negative ``D`` from its back) by a compiled loop (:func:`_gather_scaled_rows`,
    which also sums the intercept's column), and each full buffer's ``B^T B`` (numpy's matmul
    of a transposed view with itself calls BLAS's ``syrk``, in the dtype of ``X``) is added
    into the float64 sum, so the temporary is the buffer, never a copy of ``X`` or an index of
    all the rows (scipy's ``dsyrk``/``ssyrk``, used before, took longer: Gram table of
    benchmarks/results/products.md); below :data:`hingeclf._products.COMPILED_MIN_ROWS` rows the
    same blocks are gathered by numpy (:func:`_gram_by_blocks`). On the compiled path the rows
    (or the positions of ``rows``) are split into the fixed blocks of
    :func:`hingeclf._parallel.row_blocks`, one float64 sum each, run over ``workers`` and added
    in block order (the same result whatever the number of threads). Sparse: the product of
    the selected rows. Used by Newton's explicit Hessian and by the L1 solver's proximal
    Newton.
    """
    d = X.shape[1]
    n1 = d + int(fit_intercept)
    D = np.asarray(D)
    col = np.zeros(d)
    total = 0.0
    if sp.issparse(X):
        H = np.zeros((n1, n1))
        if rows is None:
            rows = np.flatnonzero(D)
        whole = rows.size == X.shape[0]
        XA = X if whole else X[rows]
        DA = (D if whole else D[rows]).astype(np.float64, copy=False)
        H[:d, :d] = np.asarray((XA.T @ XA.multiply(DA[:, None]).tocsr()).toarray())
        if fit_intercept:
            col = np.asarray(XA.T @ DA.astype(X.dtype, copy=False), dtype=np.float64).ravel()
            total = float(DA.sum())
    elif not compiled_rows(X.shape[0]):
        H, col, total = _gram_by_blocks(X, D, fit_intercept, rows)
    else:
        use_rows = rows is not None
        rows = np.asarray(rows, dtype=np.intp) if use_rows else np.zeros(0, dtype=np.intp)
        stop = rows.size if use_rows else X.shape[0]
        return workers.reduce(lambda first, last: _dense_gram(
            X, D, fit_intercept, rows, use_rows, first, last), stop)
    if fit_intercept:
        H[:d, d] = col
        H[d, :d] = col
        H[d, d] = total
    return H


def _dense_gram(X, D, fit_intercept, rows, use_rows, start, stop):
    """:func:`weighted_gram` of a dense ``X`` over the positions ``start`` to ``stop`` (of
    ``rows``, or of the rows of ``X``), by the compiled gather."""
    d = X.shape[1]
    n1 = d + int(fit_intercept)
    col = np.zeros(d)
    total = 0.0
    chunk = max(1, min(GRAM_CHUNK, stop - start))
    # one buffer of rows, C-ordered so the gather writes rows (why not Fortran order:
    # docs/design_decisions.rst, 'Compiled products and Gram matrices'): the
    # rows of positive D fill it from the front, those of negative D from the back
    buffer = np.empty((chunk, d), dtype=X.dtype)
    H = np.zeros((n1, n1))
    G = H[:d, :d]  # (a view: the products are added into H itself)
    n_pos = n_neg = 0
    while start < stop:
        start, n_pos, n_neg, part = _gather_scaled_rows(
            X, D, rows, use_rows, start, stop, buffer, n_pos, n_neg, col, fit_intercept)
        total += part
        if n_pos + n_neg < chunk and start < stop:
            continue  # (the buffer is added when full, or at the end)
        # block^T block: numpy's matmul sees the transposed view of one operand and calls
        # BLAS's syrk (then mirrors the triangle); in the dtype of X, added into float64
        if n_pos:
            block = buffer[:n_pos]
            G += block.T @ block
        if n_neg:
            block = buffer[chunk - n_neg:]
            G -= block.T @ block
        n_pos = n_neg = 0
    if fit_intercept:
        H[:d, d] = col
        H[d, :d] = col
        H[d, d] = total
    return H


def _gram_by_blocks(X, D, fit_intercept, rows):
    """:func:`weighted_gram`'s dense product in numpy, for data below
    :data:`hingeclf._products.COMPILED_MIN_ROWS` rows: the same blocks of :data:`GRAM_CHUNK`
    rows scaled by ``sqrt(|D_i|)`` (fancy-indexed copies instead of the compiled gather).
    Returns ``(H, col, total)``, the intercept's column and corner not yet placed in ``H``."""
    d = X.shape[1]
    index = np.arange(X.shape[0]) if rows is None else np.asarray(rows, dtype=np.intp)
    Dsel = D[index]
    keep = Dsel != 0
    index = index[keep]
    Dsel = Dsel[keep].astype(np.float64)
    H = np.zeros((d + int(fit_intercept),) * 2)
    G = H[:d, :d]
    col = np.zeros(d)
    for start in range(0, index.size, GRAM_CHUNK):
        part = Dsel[start:start + GRAM_CHUNK]
        block = X[index[start:start + GRAM_CHUNK]]
        if fit_intercept:
            col += part @ block
        block *= np.sqrt(np.abs(part)).astype(X.dtype)[:, None]
        positive = part > 0
        for sign, rows_of in ((1.0, positive), (-1.0, ~positive)):
            if rows_of.any():
                B = block[rows_of]
                G += sign * (B.T @ B)
    return H, col, float(Dsel.sum())


class CurvatureGrams:
    """The loss parts ``[X, 1]^T diag(D_k) [X, 1]`` of Newton's explicit Hessian blocks, kept
    from one iteration to the next with the curvature ``D`` they were formed from.

    Near the optimum few rows change their curvature (rows entering or leaving the squared
    hinge's active set, the smoothed hinge's band): each block is then the previous one plus
    the Gram product of the change ``D - D_prev``, over the changed rows only, instead of a
    product over all the rows with curvature. It is formed afresh when at least as many rows
    changed as have curvature now (the update would cost more, and the rounding of the
    previous sum would weigh more than the new sum's own). The store is one array of the
    curvature's shape and dtype (the previous ``D``; it holds the change during an update, so
    no other array as long as the data is made) and one float64 matrix per block.
    """

    def __init__(self):
        self.previous = None
        self.sums = {}

    def prepare(self, D):
        """Make the store fit the curvature ``D`` (before :meth:`gram` runs for several
        columns at once, in threads: each then touches its own column and sum only)."""
        if self.previous is None or self.previous.shape != D.shape \
                or self.previous.dtype != D.dtype:
            self.previous = np.empty_like(D)
            self.sums = {}

    def gram(self, X, D, k, fit_intercept, workers=SERIAL):
        """The Gram product of column ``k`` of the curvature ``D`` (a new float64 array)."""
        self.prepare(D)
        column = D[:, k]
        previous = self.previous[:, k]
        H = None
        kept = self.sums.get(k)
        if kept is not None:
            def change(start, stop):
                # the change, in place; the rows it touches and those with curvature
                np.subtract(column[start:stop], previous[start:stop], out=previous[start:stop])
                return np.array([np.count_nonzero(previous[start:stop]),
                                 np.count_nonzero(column[start:stop])])
            changed, present = workers.reduce(change, column.shape[0])
            if changed < present:
                H = weighted_gram(X, previous, fit_intercept, workers=workers)
                H += kept
        if H is None:
            H = weighted_gram(X, column, fit_intercept, workers=workers)

        def keep(start, stop):
            previous[start:stop] = column[start:stop]
        workers.over_rows(keep, column.shape[0])
        if kept is None:
            self.sums[k] = H.copy()
        else:
            kept[...] = H  # (in place: no second matrix kept)
        return H


@njit(cache=True, nogil=True)
def _gather_scaled_rows(X, D, rows, use_rows, start, stop, buffer, n_pos, n_neg, col,
                        with_col):
    """From position ``start`` (of ``rows``, or of the rows of ``X``), copy each row ``x_i``
    with ``D_i != 0`` as ``sqrt(|D_i|) x_i`` into ``buffer``: after its first ``n_pos`` rows
    where ``D_i > 0``, before its last ``n_neg`` rows otherwise, until ``stop`` or the buffer is
    full; with ``with_col``, add ``D_i x_i`` to ``col``. Returns ``(next position, rows at the
    front, rows at the back, sum of the new D_i)``."""
    total = 0.0
    d = X.shape[1]
    size = buffer.shape[0]
    j = start
    while j < stop and n_pos + n_neg < size:
        i = rows[j] if use_rows else j
        j += 1
        Di = float(D[i])
        if Di == 0.0:
            continue
        total += Di
        # (in the buffer's dtype: float32 rows are scaled without a round trip through float64)
        scale = buffer.dtype.type(math.sqrt(abs(Di)))
        if Di > 0.0:
            row = n_pos
            n_pos += 1
        else:
            n_neg += 1
            row = size - n_neg
        for f in range(d):
            buffer[row, f] = X[i, f] * scale
        if with_col:
            for f in range(d):
                col[f] += Di * X[i, f]
    return j, n_pos, n_neg, total


class L2Penalty:
    """``1/2 ||W||_F^2`` on the coefficients, never on the intercept."""

    name = "l2"
    is_smooth = True
    l1 = 0.0
    l2 = 1.0

    def value(self, w):
        w = w.ravel().astype(np.float64, copy=False)
        return 0.5 * float(np.dot(w, w))

    def smooth_value(self, w):
        return self.value(w)

    def gradient(self, w):
        return w

    smooth_gradient = gradient

    def hessp(self, v_w):
        return v_w

    def prox(self, w, step):
        """The proximal map of the non-smooth part (none here): the identity."""
        return w

    def residual(self, w, g):
        """Minimum-norm element of ``g + dh(w)`` (``g`` the smooth part's gradient)."""
        return g


class ElasticNetPenalty:
    r"""``l1_ratio ||W||_1 + (1 - l1_ratio) / 2 ||W||_F^2`` on the coefficients (never the intercept).

    ``l1_ratio = 1`` is the L1 penalty ``||W||_1`` of LIBLINEAR's L1-regularised SVM (no factor
    1/2: with the loss term ``C sum_i s_i loss_i`` this is the objective of
    ``LinearSVC(penalty="l1")``, so ``C`` carries over), and ``l1_ratio = 0`` is the L2 penalty
    ``1/2 ||W||^2`` of the other estimators. The penalty splits into a *smooth* part
    ``l2/2 ||W||^2`` (``l2 = 1 - l1_ratio``), which solvers treat with the loss, and the
    non-smooth part ``l1 ||W||_1`` (``l1 = l1_ratio``), which they treat by its proximal map
    (soft thresholding) or coordinate-wise in closed form.

    Optimality: ``W`` minimises ``F(W) + l1 ||W||_1`` (``F`` smooth, gradient ``G``) iff the
    minimum-norm subgradient :meth:`residual` vanishes: ``G_j + l1 sign(W_j)`` where
    ``W_j != 0``, and ``sign(G_j) max(|G_j| - l1, 0)`` where ``W_j == 0``. Its dual norm, used by
    the duality gap of :meth:`LinearObjective.duality_gap`, is the max-norm (scaled by ``1/l1``).
    """

    def __init__(self, l1_ratio=0.5):
        l1_ratio = float(l1_ratio)
        if not 0.0 <= l1_ratio <= 1.0:
            raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}")
        self.l1_ratio = l1_ratio
        self.l1 = l1_ratio
        self.l2 = 1.0 - l1_ratio

    name = "elasticnet"

    @property
    def is_smooth(self):
        return self.l1 == 0.0

    def __repr__(self):
        return f"{type(self).__name__}(l1_ratio={self.l1_ratio!r})"

    def value(self, w):
        w = w.ravel().astype(np.float64, copy=False)
        return self.l1 * float(np.abs(w).sum()) + 0.5 * self.l2 * float(np.dot(w, w))

    def smooth_value(self, w):
        w = w.ravel().astype(np.float64, copy=False)
        return 0.5 * self.l2 * float(np.dot(w, w))

    def smooth_gradient(self, w):
        return self.l2 * w

    def gradient(self, w):
        """A subgradient of the whole penalty (``l1 sign(w) + l2 w``, 0 in the L1 part at 0)."""
        return self.l1 * np.sign(w) + self.l2 * w

    def hessp(self, v_w):
        return self.l2 * v_w

    def prox(self, w, step):
        """``argmin_u ||u - w||^2 / (2 step) + l1 ||u||_1``: soft thresholding at ``step l1``.

        Exact zeros where ``|w| <= step * l1``.
        """
        thr = step * self.l1
        return np.sign(w) * np.maximum(np.abs(w) - thr, 0.0).astype(w.dtype, copy=False)

    def residual(self, w, g):
        """Minimum-norm element of ``g + l1 d||w||_1`` (``g``: the smooth part's gradient)."""
        soft = np.sign(g) * np.maximum(np.abs(g) - self.l1, 0.0)
        return np.where(w != 0, g + self.l1 * np.sign(w), soft)


class L1Penalty(ElasticNetPenalty):
    """``||W||_1`` on the coefficients, never on the intercept (LIBLINEAR's scaling)."""

    name = "l1"

    def __init__(self):
        super().__init__(1.0)

    def __repr__(self):
        return "L1Penalty()"


PENALTIES = ("l2", "l1", "elasticnet")


def make_penalty(name, l1_ratio=0.5):
    """The penalty object called ``name`` (``l1_ratio`` is used by ``"elasticnet"`` only)."""
    if name == "l2":
        return L2Penalty()
    if name == "l1":
        return L1Penalty()
    if name == "elasticnet":
        return ElasticNetPenalty(l1_ratio)
    raise ValueError(f"penalty must be one of {PENALTIES}, got {name!r}")


class HessianOperator:
    """The (generalised) Hessian of an objective at one point, as an operator.

    ``H(direction)`` is the product ``H @ direction`` (shape of the coefficients). What else an
    objective can form cheaply it passes as functions; each method returns None where it was
    not given, so a solver asks for a form and falls back when there is none:

    - :meth:`diagonal`: ``diag(H)`` (a preconditioner);
    - :meth:`blocks`: one dense float64 block per output (the separable losses, whose outputs do
      not couple), or None where the outputs couple;
    - :meth:`matrix`: the whole dense float64 matrix, in the order of ``coef.ravel()``.
    """

    def __init__(self, apply, *, diagonal=None, blocks=None, matrix=None):
        self._apply = apply
        self._diagonal = diagonal
        self._blocks = blocks
        self._matrix = matrix

    def __call__(self, direction):
        return self._apply(direction)

    def diagonal(self):
        """``diag(H)`` in the shape of the coefficients, or None."""
        return None if self._diagonal is None else self._diagonal()

    def blocks(self, grams=None):
        """The per-output blocks (``grams``: a :class:`CurvatureGrams` kept between calls by
        the caller, to update the Gram products instead of forming them anew), or None."""
        return None if self._blocks is None else self._blocks(grams)

    def matrix(self):
        """The whole Hessian as a dense float64 matrix, or None."""
        return None if self._matrix is None else self._matrix()


class Objective:
    """The interface every objective offers the solvers.

    An objective holds the data, the loss, the penalty and the costs; the solvers see it only
    through these methods and attributes. ``coef`` has shape :attr:`shape` (``(n_out,
    n_features + fit_intercept)``, the intercept last) and may be passed flattened; ``raw``
    are the decision values at ``coef`` (shape ``(n_samples, n_out)``), which a caller that
    has them passes to save a product with ``X``.

    Attributes every objective sets: ``loss``, ``penalty``, ``X``, ``y``, ``weights`` (the
    per-sample costs ``c_i``), ``n_out``, ``fit_intercept``, ``dtype``, ``n_samples``,
    ``n_features``, ``shape``. ``workers`` (a :class:`hingeclf._parallel.Workers`, the
    estimators' ``n_jobs``) are the threads over which an objective evaluates its products;
    one thread where it does not split them.
    """

    workers = SERIAL

    def zeros(self):
        """The zero coefficients."""
        return np.zeros(self.shape, dtype=self.dtype)

    @property
    def fused(self):
        """Whether the loss's weighted sums run in its compiled one-pass kernels
        (``weighted_value`` and the others): losses with ``has_compiled_terms`` on at least
        :data:`hingeclf._products.COMPILED_MIN_ROWS` samples, and always where the rows are
        not held here (the chunks decide for themselves). Otherwise the loss's array
        formulas (``loss``, ``loss_gradient``, ``hessian_operator``) serve, which agree with
        the kernels to rounding and compile nothing."""
        return self.loss.has_compiled_terms and (not self.holds_rows
                                                 or compiled_rows(self.n_samples))

    def with_loss(self, loss):  # pragma: no cover - abstract
        """The same objective with another loss (the continuation's smoothed losses)."""
        raise NotImplementedError

    def raw(self, coef):  # pragma: no cover - abstract
        """The decision values at ``coef``."""
        raise NotImplementedError

    def raw_direction(self, direction):
        """The change of the decision values along ``direction`` (linear in it)."""
        return self.raw(direction)

    def value(self, coef, raw=None):  # pragma: no cover - abstract
        """The objective's value (a Python float)."""
        raise NotImplementedError

    def value_on_line(self, coef, raw, raw_d, step):
        """The value at ``coef``, whose decision values are ``raw + step raw_d``."""
        return self.value(coef, raw + step * raw_d)

    def value_gradient(self, coef, raw=None):  # pragma: no cover - abstract
        """The value and the gradient (shape :attr:`shape`), in one pass."""
        raise NotImplementedError

    def gradient(self, coef, raw=None):
        """The gradient (a subgradient where the loss has kinks)."""
        return self.value_gradient(coef, raw)[1]

    def hessian_operator(self, coef, raw=None):
        """The :class:`HessianOperator` at ``coef`` (losses with ``has_hessian``)."""
        raise ValueError(f"the {self.loss.name} objective has no Hessian")

    def hessp(self, coef, direction, raw=None):
        """The Hessian at ``coef`` applied to ``direction``."""
        return self.hessian_operator(coef, raw)(direction)

    def lipschitz_bound(self):
        """An upper bound of the gradient's Lipschitz constant, or None."""
        return None

    def gradient_scale(self):  # pragma: no cover - abstract
        """The scale of the gradient that relative stopping rules compare with (> 0)."""
        raise NotImplementedError

    def duality_gap(self, coef):
        """A duality gap at ``coef`` that bounds ``P(coef) - P*``, where the objective has one
        of its own, else None."""
        return None

    def suboptimality_bound(self, coef, primal=None):
        """``(bound, P(coef))`` with ``bound >= P(coef) - P*`` computed from ``coef`` alone (the
        certificate of a primal solver's result), or None where the objective offers none.
        ``primal``, where the caller has it, saves computing ``P(coef)``."""
        return None

    def gradient_rule_for(self, bound):
        """The relative gradient rule ``tol`` (``||grad P||_inf <= tol * gradient_scale()``)
        under which :meth:`suboptimality_bound` is at most ``bound``, where the bound follows
        from the gradient; else None."""
        return None

    # where the rows live: in this process (every objective here), or spread over chunks that
    # only per-chunk tasks read (``hingeclf._dask.ChunkedObjective``)
    @property
    def holds_rows(self):
        """True when the rows of ``X`` and the arrays as long as them are in this process, so
        that a face solve or a path walk may select rows of them; False where they are only
        reached through :meth:`reduce_rows` and the methods above."""
        return True

    def reduce_rows(self, function, raw, *args, maxima=()):
        """``function(rows, raw_rows, *args)`` summed over the blocks of rows: ``rows`` is an
        objective over one block (its data, target, costs and loss; ``function`` does not use
        its penalty), ``raw_rows`` the block's decision values. ``function`` returns a tuple of
        floats and arrays; the entries whose positions are in ``maxima`` are combined by their
        maximum instead of their sum. Here one block holds all the rows."""
        return function(self, raw, *args)

    def largest_value(self):
        """``max |x_ij|`` over the data (:func:`max_abs` of ``X``)."""
        return max_abs(self.X)

    def column_means(self):
        """The mean row of ``X`` (shape ``(n_features,)``, in the data's dtype): the centre of
        :class:`CenteredObjective`."""
        return np.asarray(self.X.mean(axis=0), dtype=self.dtype).ravel()

    def move_raw(self, raw, step, raw_d):
        """The decision values ``raw + step raw_d`` (those at ``coef + step d`` when ``raw``
        are at ``coef`` and ``raw_d`` along ``d``), formed in ``raw``'s place where it can."""
        if self.fused:
            add_scaled(raw, step, raw_d)
        else:
            raw += step * raw_d
        return raw

    # a change of variables (:class:`CenteredObjective`) maps its coefficients to those of the
    # objective in the data's own coordinates; elsewhere these are the identity
    def original(self):
        """The objective in the data's own coordinates."""
        return self

    def to_base(self, coef):
        """``coef`` in the coordinates of :meth:`original`."""
        return coef

    def from_base(self, coef):
        """The inverse of :meth:`to_base`."""
        return coef


class LinearObjective(Objective):
    """``P(coef) = penalty(W) + sum_i c_i loss_i(X W^T + b)`` for one data set.

    Parameters
    ----------
    loss : HingeFamilyLoss
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Used as given (any order, float32 or float64, CSR or CSC).
    y : ndarray
        Target as encoded by ``loss.encode_target``.
    weights : ndarray of shape (n_samples,)
        ``c_i = C * sample_weight_i * class_weight[y_i]``.
    n_out : int
        Decision values per sample.
    fit_intercept : bool
    penalty : object with ``value``, ``gradient`` and ``hessp``, default L2Penalty()
    workers : hingeclf._parallel.Workers, default one thread
        The threads over which the products with ``X`` and the loss sums run, in the fixed
        row blocks of :func:`hingeclf._parallel.row_blocks` (dense and CSR ``X``; CSC in one
        block), added in block order: the results do not depend on the number of threads.
    """

    def __init__(self, loss, X, y, weights, n_out, fit_intercept, penalty=None, workers=None,
                 _row_views=None):
        self.workers = SERIAL if workers is None else workers
        # the CSR matrices of the row blocks (views of X's arrays), shared with the copies
        # made by with_loss, with_weights and output_problem
        self._row_views = {} if _row_views is None else _row_views
        self.loss = loss
        self.X = X
        self.y = y
        self.weights = weights
        self.n_out = int(n_out)
        self.fit_intercept = bool(fit_intercept)
        self.penalty = L2Penalty() if penalty is None else penalty
        self.dtype = X.dtype
        self.n_samples, self.n_features = X.shape
        self.shape = (self.n_out, self.n_features + int(self.fit_intercept))

    def with_loss(self, loss):
        """The same data, weights and penalty with another loss (e.g. a smoothed one)."""
        return LinearObjective(loss, self.X, self.y, self.weights, self.n_out,
                               self.fit_intercept, self.penalty, self.workers, self._row_views)

    def with_weights(self, weights):
        """The same data, loss and penalty with other per-sample costs (in the data's dtype)."""
        return LinearObjective(self.loss, self.X, self.y,
                               np.asarray(weights).astype(self.dtype, copy=False), self.n_out,
                               self.fit_intercept, self.penalty, self.workers, self._row_views)

    def output_problem(self, k, signs=None):
        """Output ``k``'s own binary problem, for losses with ``has_binary_terms`` (whose
        outputs are independent problems): the loss's ``output_loss()`` on targets ``+-1``
        (``signs``, that output's column of ``loss.target_signs``, where already formed), the
        same data, costs, intercept and penalty. Its objective is this one's term of output
        ``k``: they sum to this objective."""
        if signs is None:
            signs = self.loss.target_signs(self.y, self.n_out, self.dtype)[:, k]
        return LinearObjective(self.loss.output_loss(), self.X,
                               np.asarray(signs).astype(self.dtype), self.weights, 1,
                               self.fit_intercept, self.penalty, self.workers, self._row_views)

    def reduce_rows(self, function, raw, *args, maxima=()):
        """:meth:`Objective.reduce_rows` over the row blocks of :meth:`_over_rows` (run over
        :attr:`workers`): ``function`` on each block's objective, the tuples of results added
        in block order (their maximum at the positions in ``maxima``)."""
        if not self._rows_split() or len(row_blocks(self.n_samples)) == 1:
            return function(self, raw, *args)

        def on_block(start, stop):
            rows = LinearObjective(self.loss, self._rows(start, stop), self.y[start:stop],
                                   self.weights[start:stop], self.n_out, self.fit_intercept,
                                   self.penalty)
            if isinstance(raw, tuple):
                return function(rows, tuple(r[start:stop] for r in raw), *args)
            return function(rows, None if raw is None else raw[start:stop], *args)
        parts = self._over_rows(on_block)
        out = []
        for j in range(len(parts[0])):
            values = [part[j] for part in parts]
            if j in maxima:
                out.append(max(values))
                continue
            total = values[0]
            for value in values[1:]:
                total = total + value
            out.append(total)
        return tuple(out)

    def largest_value(self):
        """``max |x_ij|`` over the data (:func:`max_abs` over :attr:`workers`)."""
        return max_abs(self.X, self.workers)

    def move_raw(self, raw, step, raw_d):
        """:meth:`Objective.move_raw` over the row blocks (element by element: the same
        whatever the blocks)."""
        if not self._rows_split():
            return super().move_raw(raw, step, raw_d)
        self._over_rows(lambda start, stop: add_scaled(raw[start:stop], step,
                                                       raw_d[start:stop]))
        return raw

    def column_means(self):
        """The mean row of ``X``: the float64 sums of the row blocks, added in block order."""
        if not self._rows_split():
            return super().column_means()
        total = self._sum_over_rows(lambda start, stop: np.asarray(
            self._rows(start, stop).sum(axis=0, dtype=np.float64)).ravel())
        return (total / self.n_samples).astype(self.dtype)

    # ------------------------------------------------------------------ layout
    def _split(self, coef):
        coef = np.asarray(coef).reshape(self.shape)
        if coef.dtype != self.dtype:
            coef = coef.astype(self.dtype)
        if self.fit_intercept:
            return coef, coef[:, :-1], coef[:, -1]
        return coef, coef, None

    # ------------------------------------------------------------------ row blocks
    def _rows_split(self):
        """True when ``X``'s rows split into blocks without a copy (dense, CSR) and the data
        takes the compiled paths (:func:`hingeclf._products.compiled_rows`; fewer rows are one
        block anyway)."""
        return compiled_rows(self.n_samples) and (not sp.issparse(self.X)
                                                  or self.X.format == "csr")

    def _rows(self, start, stop):
        """The rows ``start:stop`` of ``X``: a view (dense), or a CSR matrix on views of
        ``X``'s arrays, kept for the next call."""
        X = self.X
        if start == 0 and stop == X.shape[0]:
            return X  # (slicing a sparse matrix would copy it)
        if not sp.issparse(X):
            return X[start:stop]
        view = self._row_views.get((start, stop))
        if view is None:
            first, last = X.indptr[start], X.indptr[stop]
            view = sp.csr_matrix((X.data[first:last], X.indices[first:last],
                                  X.indptr[start:stop + 1] - first),
                                 shape=(stop - start, X.shape[1]))
            self._row_views[(start, stop)] = view
        return view

    def _over_rows(self, function):
        """``function(start, stop)`` over the row blocks (one block where ``X`` does not
        split), in block order; their results as a list."""
        if not self._rows_split():
            return [function(0, self.n_samples)]
        return self.workers.over_rows(function, self.n_samples)

    def _sum_over_rows(self, function):
        """The sum of ``function(start, stop)`` over the row blocks, in block order."""
        parts = self._over_rows(function)
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total

    def raw(self, coef):
        """Decision values ``X W^T + b``, shape ``(n_samples, n_out)``."""
        _, w, b = self._split(coef)
        if not self._rows_split():
            raw = decision_values(self.X, w)
            if b is not None:
                raw += b  # a fresh product: no copy
            return raw
        raw = np.empty((self.n_samples, w.shape[0]), dtype=self.dtype)

        def rows(start, stop):
            part = decision_values(self._rows(start, stop), w, out=raw[start:stop])
            if b is not None:
                part += b  # (in place: no copy)
        self._over_rows(rows)
        return raw

    def _pull_back(self, g_raw):
        """Chain rule through the linear model: ``[G^T X, sum G]`` of shape ``shape``."""
        if not self._rows_split():
            gw = pulled_back(self.X, g_raw).astype(self.dtype, copy=False)
            if self.fit_intercept:
                return np.hstack([gw, g_raw.sum(axis=0, dtype=np.float64)[:, None]
                                  .astype(self.dtype)])
            return np.ascontiguousarray(gw)

        def rows(start, stop):
            part = np.asarray(pulled_back(self._rows(start, stop), g_raw[start:stop]),
                              dtype=np.float64)
            if not self.fit_intercept:
                return part
            return np.hstack([part, g_raw[start:stop].sum(axis=0, dtype=np.float64)[:, None]])
        return np.ascontiguousarray(self._sum_over_rows(rows).astype(self.dtype, copy=False))

    def _weighted(self, per_sample):
        return per_sample * self.weights[:, None]

    # ------------------------------------------------------------------ value and derivatives
    def value(self, coef, raw=None):
        """Objective value (a Python float)."""
        _, w, _ = self._split(coef)
        if raw is None:
            raw = self.raw(coef)
        return self.penalty.value(w) + self._loss_value(raw)

    def _loss_value(self, raw):
        """``sum_i c_i loss_i`` (float64)."""
        if self.fused:
            y, c = self.y, self.weights
            return self._sum_over_rows(lambda start, stop: self.loss.weighted_value(
                y[start:stop], raw[start:stop], c[start:stop]))
        loss = self.loss.loss(self.y, raw)
        return float(np.dot(self.weights.astype(np.float64, copy=False),
                            loss.astype(np.float64, copy=False)))

    def _loss_value_gradient(self, raw):
        """``sum_i c_i loss_i`` and its gradient in the decision values, ``c_i dloss_i/draw``."""
        if self.fused:
            y, c = self.y, self.weights
            out = np.empty(raw.shape, dtype=raw.dtype)
            value = self._sum_over_rows(lambda start, stop: self.loss.weighted_value_gradient(
                y[start:stop], raw[start:stop], c[start:stop], out=out[start:stop])[0])
            return value, out
        loss, g_raw = self.loss.loss_gradient(self.y, raw)
        value = float(np.dot(self.weights.astype(np.float64, copy=False),
                             loss.astype(np.float64, copy=False)))
        return value, self._weighted(g_raw)

    def value_on_line(self, coef, raw, raw_d, step):
        """The objective at ``coef`` whose decision values are ``raw + step raw_d`` (a trial
        point of a line search), without forming them where the loss is :attr:`fused`."""
        _, w, _ = self._split(coef)
        if self.fused:
            y, c = self.y, self.weights
            return self.penalty.value(w) + self._sum_over_rows(
                lambda start, stop: self.loss.weighted_value_on_line(
                    y[start:stop], raw[start:stop], raw_d[start:stop], step, c[start:stop]))
        return self.value(coef, raw + step * raw_d)

    def value_gradient(self, coef, raw=None):
        """Objective value and gradient in one pass over the data."""
        full, w, _ = self._split(coef)
        if raw is None:
            raw = self.raw(full)
        value, g_raw = self._loss_value_gradient(raw)
        value += self.penalty.value(w)
        grad = self._pull_back(g_raw)
        del g_raw
        grad[:, : self.n_features] += self.penalty.gradient(w)
        return value, grad

    def hessian_operator(self, coef, raw=None):
        """The map ``direction -> H direction`` at ``coef``; the loss curvature is computed once.

        ``H v = penalty''(v) + [X, 1]^T diag(c) l''(raw) [X, 1] v``: two passes over ``X`` per
        product, no matrix formed.
        """
        full, _, _ = self._split(coef)
        if raw is None:
            raw = self.raw(full)
        if self.fused and self.loss.has_hessian:  # (the others raise below)
            # separable: the curvature is diagonal in the decision values, computed once
            y, c = self.y, self.weights
            curvature = np.empty(raw.shape, dtype=raw.dtype)
            self._over_rows(lambda start, stop: self.loss.weighted_curvature(
                y[start:stop], raw[start:stop], c[start:stop], out=curvature[start:stop]))

            def weighted_h(d_raw):
                return curvature * d_raw

            def weighted_diagonal():
                return curvature
        else:
            loss_h = self.loss.hessian_operator(self.y, raw)

            def weighted_h(d_raw):
                return self._weighted(loss_h(d_raw))

            def weighted_diagonal():
                return self._weighted(loss_h.diagonal())

        def apply(direction):
            d_raw = self.raw_direction(direction)
            out = self._pull_back(weighted_h(d_raw))
            _, d_w, _ = self._split(direction)
            out[:, : self.n_features] += self.penalty.hessp(d_w)
            return out

        def diagonal():
            """``diag(H)``: ``1 + sum_i c_i h_i x_ij^2`` (``sum_i c_i h_i`` for intercepts)."""
            ch = weighted_diagonal()
            X = self.X
            if sp.issparse(X):
                # squares of the stored values only, sharing the index arrays
                x2 = type(X)((X.data * X.data, X.indices, X.indptr), shape=X.shape)
                dw = np.asarray(x2.T @ ch).T
            else:
                dw = np.einsum("ij,ij,ik->kj", X, X, ch)
            dw = dw + self.penalty.l2  # the quadratic part of the penalty
            if self.fit_intercept:
                return np.hstack([dw, ch.sum(axis=0)[:, None]])
            return dw

        def blocks(grams=None):
            """The Hessian as ``n_out`` dense blocks (float64, ``shape[1]`` square), one per
            output, or None where the outputs couple (Weston-Watkins, Crammer-Singer): the
            separable losses' curvature is diagonal in the decision values, so the Hessian is
            block diagonal with blocks ``[X, 1]^T diag(c h_k) [X, 1] + penalty''``. With
            ``grams`` (a :class:`CurvatureGrams` kept by the caller between calls), the Gram
            products are updated from the previous call's by the rows whose curvature changed."""
            if not self.loss.has_binary_terms:
                return None
            ch = weighted_diagonal()
            if grams is not None:
                grams.prepare(ch)
            workers = self.workers

            def block(k):
                # (the outputs' blocks are independent: over the threads when there are
                # several, else each over row blocks)
                if grams is None:
                    H = weighted_gram(self.X, ch[:, k], self.fit_intercept, workers=workers)
                else:
                    H = grams.gram(self.X, ch, k, self.fit_intercept, workers=workers)
                idx = np.arange(self.n_features)
                H[idx, idx] += self.penalty.l2
                return H
            return workers.map(block, range(self.n_out))

        def matrix():
            """The whole Hessian (float64, ``size x size`` in the order of ``coef.ravel()``),
            for any loss: the curvature of each sample in its decision values is the ``K x K``
            matrix ``M_i`` (column ``l`` is the raw-space Hessian applied to ``e_l``, one
            product for all samples), and block ``(k, l)`` is
            ``[X, 1]^T diag(c M_kl) [X, 1]`` over the rows where ``M_kl != 0``."""
            K, p = self.n_out, self.shape[1]
            H = np.zeros((K * p, K * p))
            for col in range(K):
                probe = np.zeros((self.n_samples, K), dtype=self.dtype)
                probe[:, col] = 1.0
                weighted = np.asarray(weighted_h(probe), dtype=np.float64)
                for row in range(col, K):
                    block = weighted_gram(self.X, weighted[:, row], self.fit_intercept)
                    H[row * p:(row + 1) * p, col * p:(col + 1) * p] = block
                    H[col * p:(col + 1) * p, row * p:(row + 1) * p] = block.T
            idx = np.concatenate([k * p + np.arange(self.n_features) for k in range(K)])
            H[idx, idx] += self.penalty.l2
            return H
        return HessianOperator(apply, diagonal=diagonal, blocks=blocks, matrix=matrix)

    def lipschitz_bound(self):
        """An upper bound of the gradient's Lipschitz constant, or None (non-smooth loss).

        ``1 + max(c) * L_loss * ||[X, 1]||_2^2``, with the squared spectral norm bounded by the
        squared Frobenius norm (cheap, and only ever used as a first step size).
        """
        l_loss = self.loss.lipschitz(self.n_out)
        if l_loss is None:
            return None
        if sp.issparse(self.X):
            fro2 = float(np.dot(self.X.data.astype(np.float64), self.X.data.astype(np.float64)))
        else:
            fro2 = float(np.einsum("ij,ij->", self.X, self.X, dtype=np.float64))
        if self.fit_intercept:
            fro2 += self.n_samples
        return self.penalty.l2 + float(self.weights.max(initial=0.0)) * l_loss * fro2

    def gradient_scale(self):
        """``||grad P(0)||_inf``: the reference of the relative gradient stopping rule.

        For a non-smooth penalty, the minimum-norm subgradient at 0 (:meth:`optimality_residual`).
        """
        g = self.optimality_residual(self.zeros())
        return max(float(np.abs(g).max(initial=0.0)), np.finfo(np.float64).tiny)

    # ------------------------------------------------------------------ composite (smooth + prox) view
    def smooth_value(self, coef, raw=None):
        """``F = sum_i c_i loss_i + smooth part of the penalty`` (all of it for L2)."""
        _, w, _ = self._split(coef)
        if raw is None:
            raw = self.raw(coef)
        return self.penalty.smooth_value(w) + self._loss_value(raw)

    def smooth_value_gradient(self, coef, raw=None):
        """``F`` and its gradient in one pass over the data."""
        full, w, _ = self._split(coef)
        if raw is None:
            raw = self.raw(full)
        value, g_raw = self._loss_value_gradient(raw)
        value += self.penalty.smooth_value(w)
        grad = self._pull_back(g_raw)
        del g_raw
        grad[:, : self.n_features] += self.penalty.smooth_gradient(w)
        return value, grad

    def prox(self, coef, step):
        """Proximal map of ``step`` times the non-smooth part of the penalty (intercept untouched)."""
        full = np.array(np.asarray(coef).reshape(self.shape), dtype=self.dtype, copy=True)
        full[:, : self.n_features] = self.penalty.prox(full[:, : self.n_features], step)
        return full

    def nonsmooth_value(self, coef):
        """``P - F``: the non-smooth part of the penalty at ``coef``."""
        _, w, _ = self._split(coef)
        return self.penalty.value(w) - self.penalty.smooth_value(w)

    def optimality_residual(self, coef, smooth_grad=None):
        """Minimum-norm subgradient of ``P`` at ``coef`` (the gradient for a smooth penalty).

        Zero exactly at a minimiser; its max-norm is the stopping rule of the proximal and
        coordinate solvers. The intercept entries are plain partial derivatives.
        """
        full, w, _ = self._split(coef)
        if smooth_grad is None:
            smooth_grad = self.smooth_value_gradient(full)[1]
        out = np.array(smooth_grad, dtype=np.float64).reshape(self.shape)
        out[:, : self.n_features] = self.penalty.residual(
            w.astype(np.float64), out[:, : self.n_features])
        return out

    def duality_gap(self, coef):
        """``P(coef) - D(alpha(coef))`` for the L1 / elastic-net penalty, or None.

        Defined for the exact hinge and squared hinge of the separable structures (binary,
        one-vs-rest) without an intercept (with one, the dual has the constraint
        ``sum_i alpha_i y_i = 0``, which the candidate below does not meet exactly). With the
        dual variables ``alpha_ik = -c_i dloss/draw_ik`` taken at ``coef`` (clipped to the hinge's
        box ``[0, c_i]``), ``U = X^T alpha`` and the dual

            D(alpha) = sum alpha (- sum alpha^2 / (4 c) for the squared hinge)
                       - sum_jk max(|U_jk| - l1, 0)^2 / (2 l2)          (l2 > 0)
            D(alpha) = same with alpha scaled into ||U||_inf <= l1     (l2 = 0)

        a lower bound of the optimum for every feasible ``alpha``: ``P - D >= P - P*``.
        """
        pen, loss = self.penalty, self.loss
        if (pen.is_smooth or self.fit_intercept or not loss.has_compiled_terms
                or not loss.has_exact_faces):
            return None
        full, w, _ = self._split(coef)
        raw = self.raw(full)
        value = self.value(full, raw)
        c = self.weights.astype(np.float64, copy=False)
        g_raw = loss.gradient(self.y, raw).astype(np.float64)  # dloss/draw, sign -y
        alpha_signed = -c[:, None] * g_raw                    # alpha_ik * t_ik
        t = loss.target_signs(self.y, self.n_out, np.float64)
        alpha = alpha_signed * t                              # >= 0
        U = np.asarray(self.X.T @ alpha_signed.astype(self.dtype), dtype=np.float64)  # (d, K)
        if pen.l2 > 0:
            scale = 1.0
            quad = float(np.sum(np.maximum(np.abs(U) - pen.l1, 0.0) ** 2)) / (2.0 * pen.l2)
        else:
            u_max = float(np.abs(U).max(initial=0.0))
            scale = min(1.0, pen.l1 / u_max) if u_max > 0 else 1.0
            quad = 0.0
        alpha = alpha * scale
        dual = float(alpha.sum())
        if loss.has_squared_terms:
            pos = c > 0
            dual -= float(np.sum((alpha[pos] ** 2) / (4.0 * c[pos, None])))
        return value - (dual - quad)

    def suboptimality_bound(self, coef, primal=None):
        """The duality gap ``P(coef) - D(mu(coef))`` of the L2 problem, where a dual point
        follows from the primal one (:func:`hingeclf._certificate.certified_gap`), and
        ``P(coef)``; None for the other losses and penalties (the L1 fits carry
        :meth:`duality_gap` from their solvers)."""
        if self.penalty.name != "l2" or not self.loss.has_dual_from_gradient:
            return None
        return certified_gap(self, coef, primal)


class CenteredObjective(Objective):
    """The same objective in the centred parametrisation ``[w, b']`` with ``b' = b + m . w``.

    ``m`` is the mean row of ``X``. In these coordinates the intercept no longer couples with
    the coefficients through the data's offset, so first-order and quasi-Newton solvers are as
    well conditioned on data far from the origin as on centred data; ``X`` itself is untouched
    (the decision values are ``X w + (b' - m . w)``). The map is linear:
    ``to_base([w, b']) = [w, b' - m . w]``, and gradients pull back through its transpose.
    """

    def __init__(self, base, center=None):
        self.base = base
        if center is None:
            center = base.column_means()
        self.center = center
        for name in ("loss", "X", "y", "weights", "n_out", "fit_intercept", "penalty", "dtype",
                     "n_samples", "n_features", "shape", "workers"):
            setattr(self, name, getattr(base, name))

    def with_loss(self, loss):
        return CenteredObjective(self.base.with_loss(loss), self.center)

    def original(self):
        return self.base

    def zeros(self):
        return self.base.zeros()

    # ------------------------------------------------------------------ the change of variables
    def to_base(self, coef):
        out = np.array(np.asarray(coef).reshape(self.shape), dtype=self.dtype, copy=True)
        out[:, -1] -= out[:, :-1] @ self.center
        return out

    def from_base(self, coef):
        out = np.array(np.asarray(coef).reshape(self.shape), dtype=self.dtype, copy=True)
        out[:, -1] += out[:, :-1] @ self.center
        return out

    def _pull(self, grad):
        """Transpose of ``to_base``: ``[g_w - g_b m, g_b]``."""
        out = grad.copy()
        out[:, :-1] -= grad[:, -1:] * self.center[None, :]
        return out

    # ------------------------------------------------------------------ the objective's interface
    def raw(self, coef):
        return self.base.raw(self.to_base(coef))

    def raw_direction(self, direction):
        return self.base.raw_direction(self.to_base(direction))

    def value(self, coef, raw=None):
        return self.base.value(self.to_base(coef), raw)

    def value_on_line(self, coef, raw, raw_d, step):
        return self.base.value_on_line(self.to_base(coef), raw, raw_d, step)

    def value_gradient(self, coef, raw=None):
        value, grad = self.base.value_gradient(self.to_base(coef), raw)
        return value, self._pull(grad)

    def hessian_operator(self, coef, raw=None):
        base_h = self.base.hessian_operator(self.to_base(coef), raw)

        def apply(direction):
            return self._pull(base_h(self.to_base(direction)))

        def blocks(grams=None):
            """The base blocks ``[[A, a], [a^T, s]]`` in the centred coordinates: ``T^T H T``
            with ``T = [[I, 0], [-m^T, 1]]``, i.e. ``A - a m^T - m a^T + s m m^T`` and
            ``a - s m``."""
            base_blocks = base_h.blocks(grams)
            if base_blocks is None or not self.fit_intercept:
                return base_blocks
            m = np.asarray(self.center, dtype=np.float64)
            out = []
            for H in base_blocks:
                A, a, s = H[:-1, :-1], H[:-1, -1], H[-1, -1]
                Hc = np.empty_like(H)
                Hc[:-1, :-1] = A - np.outer(a, m) - np.outer(m, a) + s * np.outer(m, m)
                Hc[:-1, -1] = Hc[-1, :-1] = a - s * m
                Hc[-1, -1] = s
                out.append(Hc)
            return out

        def matrix():
            """The base matrix in the centred coordinates: ``T_K^T H T_K``, block by block
            (``T_K`` repeats ``T`` for each output)."""
            H = base_h.matrix()
            if not self.fit_intercept:
                return H
            K, p = self.n_out, self.shape[1]
            T = np.eye(p)
            T[-1, :-1] = -np.asarray(self.center, dtype=np.float64)
            blocks4 = H.reshape(K, p, K, p)
            return np.einsum("ai,kalb,bj->kilj", T, blocks4, T).reshape(K * p, K * p)
        # a preconditioner only needs to be close: the base diagonal (exact for the intercepts;
        # for the weights, the curvature of x - m is at most that of x plus a rank-one term)
        return HessianOperator(apply, diagonal=base_h.diagonal, blocks=blocks, matrix=matrix)

    def lipschitz_bound(self):
        return self.base.lipschitz_bound()

    @property
    def holds_rows(self):
        return self.base.holds_rows

    def reduce_rows(self, function, raw, *args, maxima=()):
        return self.base.reduce_rows(function, raw, *args, maxima=maxima)

    def move_raw(self, raw, step, raw_d):
        return self.base.move_raw(raw, step, raw_d)

    def largest_value(self):
        return self.base.largest_value()

    def gradient_scale(self):
        g = self.optimality_residual(self.zeros())
        return max(float(np.abs(g).max(initial=0.0)), np.finfo(np.float64).tiny)

    def suboptimality_bound(self, coef, primal=None):
        return self.base.suboptimality_bound(self.to_base(coef), primal)

    # the composite view: the penalty acts on ``w``, which the change of variables leaves alone
    def smooth_value(self, coef, raw=None):
        return self.base.smooth_value(self.to_base(coef), raw)

    def smooth_value_gradient(self, coef, raw=None):
        value, grad = self.base.smooth_value_gradient(self.to_base(coef), raw)
        return value, self._pull(grad)

    def prox(self, coef, step):
        return self.base.prox(coef, step)

    def nonsmooth_value(self, coef):
        return self.base.nonsmooth_value(coef)

    def optimality_residual(self, coef, smooth_grad=None):
        if smooth_grad is None:
            smooth_grad = self.smooth_value_gradient(coef)[1]
        return self.base.optimality_residual(coef, smooth_grad)
