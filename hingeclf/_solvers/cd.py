"""``cd``: primal coordinate descent for L1 / elastic-net penalised separable losses.

Two variants, chosen by the number of features ``d``:

- ``d <= NEWTON_MAX_FEATURES`` (256): proximal Newton with an inner coordinate descent
  (Yuan, Ho & Lin 2012, "An improved GLMNET for L1-regularized logistic regression", as
  LIBLINEAR's newGLMNET): per outer iteration one ``(d+1)^2`` generalised Hessian (BLAS, from
  the rows with curvature; built once, then updated by the rows whose curvature changed),
  coordinate descent on the penalised quadratic model (cheap in ``d``) to ``1e-4`` of the
  current violation, an exact solve on the model's sign pattern where it verifies, and a line
  search on the true objective. Few outer iterations, each a pass over ``X`` in its own layout,
  so dense data (C or Fortran order) is read row-block-wise, as efficiently as BLAS allows,
  without a copy. BLAS runs with one thread here (see :func:`solve_cd`). See
  :func:`_solve_newton`.
- otherwise: coordinate descent on the columns of ``X``, as described below.

The column variant is the method of LIBLINEAR's L1-regularised L2-loss SVC (Yuan, Chang, Hsieh & Lin 2010, "A comparison
of optimization methods and software for large-scale L1-regularized linear classification",
section 4.1.1, CDN), compiled with numba. For each binary problem (one for a binary loss, one per
class for one-vs-rest, the classes being separate problems) it minimises

    P(w, b) = l1 ||w||_1 + l2/2 ||w||^2 + sum_i c_i phi(v_i),   v_i = 1 - y_i (x_i . w + b)

with ``phi(v) = max(0, v)^2`` (squared hinge) or the Huberised hinge ``phi = xi_gamma`` (the
smoothed hinge, ``gamma > 0``). The exact hinge is reached by smoothing continuation (the stages
of :func:`hingeclf._solvers._smoothing.solve_by_continuation`, each warm started; the
L2 face solve does not apply to these penalties).

One *outer iteration* visits the intercept (an unpenalised Newton step over all samples) and then
every active coordinate ``j``, cyclically in one random order drawn at the start (LIBLINEAR
draws a new order on every pass; why not here: :ref:`design-cd`):

1. *derivatives* over the stored entries of column ``j`` (the violations ``v`` are maintained):
   ``G = -sum_i c_i phi'(v_i) y_i x_ij + l2 w_j``, ``H = sum_i c_i phi''(v_i) x_ij^2 + l2``
   (plus ``1e-12``; for the Huberised hinge at least ``1e-3`` of the column's Lipschitz constant,
   so a column with no sample in the quadratic zone still gets a finite step);
2. *optimality*: the minimum-norm subgradient ``|G + l1 sign(w_j)|`` (``max(|G| - l1, 0)`` at
   ``w_j = 0``); its maximum over the pass is the stopping quantity;
3. *shrinking* (as LIBLINEAR): a coordinate at zero with ``|G| < l1 - M`` (``M`` the previous
   pass's maximum violation over ``n_samples``) leaves the active set. All coordinates are
   restored (and none is shrunk on that pass) when the active set's largest violation is at
   most ``max(tol_abs, UNSHRINK * V)``, ``V`` the largest violation of the last pass over all
   coordinates (``UNSHRINK = 0.3``). LIBLINEAR restores only once the criterion is met on the
   active set; coordinates shrunk early then come back with large violations, and the active
   set is solved again (the passes it cost: :ref:`design-cd`);
4. *Newton direction* of the one-dimensional quadratic model plus ``l1 |w_j + d|`` (soft
   thresholding: ``d = -w_j`` when the model's minimiser is at zero, which sets exact zeros);
5. *line search*: ``d, d/2, ...`` until the exact change of the objective along the column is at
   most ``sigma t (G d + l1 (|w_j + d| - |w_j|))`` (Tseng & Yun's rule, ``sigma = 0.01``). As in
   LIBLINEAR, the loss change is first bounded above by ``G_loss t d + kappa/2 L_j (t d)^2``
   (``kappa = sup phi''``: 2, or ``1/gamma``; ``L_j = sum_i c_i x_ij^2``, computed once per fit):
   when the bound passes, the step is taken with one pass over the column (the update of the
   violations); otherwise each trial moves the violations and sums the loss in the same pass.

Stops when the largest violation of a pass is at most ``tol * ||r(0)||_inf`` (``r(0)``: the
minimum-norm subgradient at 0, as :meth:`LinearObjective.gradient_scale`) over all coordinates.
``n_iter`` counts outer iterations (the largest over the one-vs-rest problems).

Data access of the column variant. CSC and dense input (C or Fortran order; float32 or float64) are used in
place (a dense ``X`` is read through ``X.T``, with no copy; in C order a column is strided, so
Fortran order is faster). CSR input is converted to CSC ONCE per fit (shared by the
continuation's stages): a copy of the stored values and indices, about ``12 nnz`` bytes for
float64 data and 32-bit indices. The violations ``v_i`` and the signed costs ``c_i y_i`` are kept
side by side in one float64 ``(n_samples, 2)`` array (a column's random accesses then touch one
cache line per sample), the coefficients being updated and ``L_j`` in float64 vectors of length
``n_features``; the result has the dtype of ``X``.

The coordinate order is drawn from a fixed seed (``random_state`` is not used), so fits are
deterministic. The stopping rule is unchanged by shrinking and its restoring: convergence is
only declared on a pass over all coordinates.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from numba import njit

from .._loss_kernels import term, terms
from .._objective import weighted_gram
from ._smoothing import solve_by_continuation
from ._result import SolverResult

SIGMA = 0.01
BETA = 0.5
MAX_LINESEARCH = 30
SEED = 0
# up to this many features, the proximal Newton variant (a (d+1)^2 Hessian per iteration)
NEWTON_MAX_FEATURES = 256
FLOOR = 1e-6
# the column kernel's larger floor of the curvature (why: docs/design_decisions.rst, 'Coordinate
# descent for the L1 penalty')
COLUMN_FLOOR = 1e-3
INNER_MAX_PASSES = 5000
UNSHRINK = 0.3
# the proximal Newton variant rebuilds its Hessian when more than this fraction of rows changed
REBUILD_FRACTION = 0.25
# the inner coordinate descent solves the model to this fraction of the outer violation
INNER_FORCING = 1e-4


@njit(cache=True)
def _column(data, indices, indptr, XT, dense, j):
    """Column ``j``'s stored values and their rows: a row of ``XT`` (dense; ``indices`` then
    holds ``0 .. n-1``) or the CSC slices."""
    if dense:
        return XT[j], indices
    return data[indptr[j]:indptr[j + 1]], indices[indptr[j]:indptr[j + 1]]


@njit(cache=True)
def _column_curvature(data, indices, indptr, XT, dense, c, out):
    """``out[j] = sum_i c_i x_ij^2``: the curvature bound of column ``j`` (one pass over ``X``)."""
    for j in range(out.shape[0]):
        vals, rows = _column(data, indices, indptr, XT, dense, j)
        acc = 0.0
        for k in range(vals.shape[0]):
            x = vals[k]
            acc += c[rows[k]] * x * x
        out[j] = acc


@njit(cache=True)
def _cd_kernel(data, indices, indptr, XT, dense, state, lc, w, bias, fit_intercept, l1, l2,
               power, gamma, tol_abs, max_iter, shrinking, unshrink, seed):
    """Coordinate descent on one binary problem; ``w``, ``bias`` and ``state`` are updated in place.

    Column ``j`` is ``XT[j]`` (with ``indices`` = 0..n-1) when ``dense``, else the CSC slice
    ``data[indptr[j]:indptr[j+1]]`` at rows ``indices[...]``. ``state[i] = (v_i, c_i y_i)``
    side by side (one cache line per sample for the random accesses of a column; ``c_i = |c_i
    y_i|``, ``y_i = sign(c_i y_i)``: a sample without weight never enters the objective, and its
    violation is left as it is). ``lc[j] = sum_i c_i x_ij^2``. Returns
    ``(n_iter, converged, last_max_violation)``.
    """
    n_samples = state.shape[0]
    n_features = w.shape[0]
    np.random.seed(seed)
    index = np.arange(n_features)
    active = n_features
    gmax_old = np.inf
    inner_tol = tol_abs
    converged = False
    gmax_new = 0.0
    # phi(v + e) - phi(v) <= phi'(v) e + kappa e^2 / 2 with kappa = sup phi''
    half_kappa = 1.0 if power == 2 else 0.5 / gamma
    it = 0
    while it < max_iter:
        it += 1
        gmax_new = 0.0
        # ---- the intercept: unpenalised Newton step with line search over all samples
        if fit_intercept:
            g = 0.0
            h = 0.0
            lcb = 0.0
            for i in range(n_samples):
                cy = state[i, 1]
                ci = abs(cy)
                _, slope, curvature = term(state[i, 0], power, gamma)
                g -= cy * slope
                h += ci * curvature
                lcb += ci
            if power == 1:
                h = max(h, COLUMN_FLOOR * lcb / gamma)
            h += 1e-12
            gmax_new = max(gmax_new, abs(g))
            d = -g / h
            if d != 0.0:
                t = 1.0
                for _ in range(MAX_LINESEARCH):
                    td = t * d
                    change = 0.0
                    for i in range(n_samples):
                        cy = state[i, 1]
                        yi = math.copysign(1.0, cy)
                        vi = state[i, 0]
                        change += abs(cy) * (term(vi - td * yi, power, gamma)[0]
                                             - term(vi, power, gamma)[0])
                    if change <= SIGMA * t * g * d:
                        for i in range(n_samples):
                            cy = state[i, 1]
                            yi = math.copysign(1.0, cy)
                            state[i, 0] -= td * yi
                        bias[0] += td
                        break
                    t *= BETA
        # ---- the coefficients, cyclically in one random order drawn on the first pass
        # (Fisher-Yates); shrinking swaps a removed coordinate with the last active one
        # (one order, not one per pass: docs/design_decisions.rst, 'Coordinate descent for
        # the L1 penalty')
        if it == 1:
            for s in range(n_features - 1, 0, -1):
                r = np.random.randint(0, s + 1)
                tmp = index[s]
                index[s] = index[r]
                index[r] = tmp
        threshold = gmax_old / n_samples
        s = 0
        while s < active:
            j = index[s]
            vals, rows = _column(data, indices, indptr, XT, dense, j)
            # G_loss = -sum_i c_i y_i phi'(v_i) x_ij ;  H = sum_i c_i phi''(v_i) x_ij^2 + l2
            g = 0.0
            h = 0.0
            if power == 2:
                for k in range(vals.shape[0]):
                    # branch-free: (v_i)_+ and the indicator of v_i > 0 as selects
                    i = rows[k]
                    vi = state[i, 0]
                    x = vals[k]
                    cy = state[i, 1]
                    pos = vi if vi > 0.0 else 0.0
                    cx = cy * x
                    g -= cx * pos
                    h += (abs(cx) * abs(x)) if vi > 0.0 else 0.0
                g *= 2.0
                h *= 2.0
            else:
                for k in range(vals.shape[0]):
                    i = rows[k]
                    vi = state[i, 0]
                    if vi > 0.0:
                        x = vals[k]
                        cy = state[i, 1]
                        _, slope, curvature = term(vi, power, gamma)
                        g -= cy * slope * x
                        h += abs(cy) * curvature * x * x
                h = max(h, COLUMN_FLOOR * lc[j] / gamma)
            g_loss = g
            wj = w[j]
            g += l2 * wj
            h += l2 + 1e-12
            # minimum-norm subgradient, and shrinking of coordinates that stay at zero
            if wj > 0.0:
                viol = abs(g + l1)
            elif wj < 0.0:
                viol = abs(g - l1)
            else:
                viol = max(g - l1, -l1 - g, 0.0)
                if shrinking and g + l1 > threshold and g - l1 < -threshold:
                    active -= 1
                    index[s] = index[active]
                    index[active] = j
                    continue
            gmax_new = max(gmax_new, viol)
            # Newton direction of  G d + H d^2 / 2 + l1 |w_j + d|
            if g + l1 <= h * wj:
                d = -(g + l1) / h
            elif g - l1 >= h * wj:
                d = -(g - l1) / h
            else:
                d = -wj
            s += 1
            if abs(d) < 1e-12 * max(1.0, abs(wj)):
                continue
            # line search: t = 1, 1/2, ... until the change of the objective along the column is
            # at most SIGMA t delta. The loss change is first bounded above by
            # g_loss t d + kappa/2 lc_j (t d)^2 (no pass over the column); only when that
            # bound fails is it computed, the violations moving with the trial step
            delta = g * d + l1 * (abs(wj + d) - abs(wj))
            t = 1.0
            moved = 0.0  # the step the violations currently reflect
            loss_old = 0.0
            accepted = False
            for _ in range(MAX_LINESEARCH):
                td = t * d
                pen = l1 * (abs(wj + td) - abs(wj)) + 0.5 * l2 * ((wj + td) ** 2 - wj * wj)
                bound = g_loss * td + half_kappa * lc[j] * td * td + pen
                if bound <= SIGMA * t * delta:
                    step = td - moved
                    for k in range(vals.shape[0]):
                        i = rows[k]
                        state[i, 0] -= (step * math.copysign(1.0, state[i, 1])) * vals[k]
                    accepted = True
                    break
                # v_i <- v_i - (td - moved) y_i x_ij, and sum_i c_i phi(v_i) before/after
                step = td - moved
                loss_new = 0.0
                first = moved == 0.0  # the first exact evaluation
                for k in range(vals.shape[0]):
                    i = rows[k]
                    cy = state[i, 1]
                    vi = state[i, 0]
                    ci = abs(cy)
                    if first:
                        loss_old += ci * term(vi, power, gamma)[0]
                    vi -= (step * math.copysign(1.0, cy)) * vals[k]
                    state[i, 0] = vi
                    loss_new += ci * term(vi, power, gamma)[0]
                moved = td
                if loss_new - loss_old + pen <= SIGMA * t * delta:
                    accepted = True
                    break
                t *= BETA
            if accepted:
                w[j] = wj + t * d
            elif moved != 0.0:  # no step accepted: undo the last trial
                for k in range(vals.shape[0]):
                    i = rows[k]
                    state[i, 0] += (moved * math.copysign(1.0, state[i, 1])) * vals[k]
        if active == n_features:  # a pass over every coordinate
            if gmax_new <= tol_abs:
                converged = True
                break
            inner_tol = max(tol_abs, unshrink * gmax_new)
        elif gmax_new <= inner_tol:
            # the active set is solved to a fraction of the last full violation: restore every
            # coordinate (and shrink none on that pass) to find the ones shrunk too early
            active = n_features
            gmax_old = np.inf
            continue
        gmax_old = gmax_new
    return it, converged, gmax_new


@njit(cache=True)
def _quadratic_l1_cd(H, g, w, l1, n_penalised, max_pass, tol):
    """Coordinate descent on the model ``q(u) = g.(u - w) + (u - w).H(u - w)/2 + l1 ||u_pen||_1``.

    Coordinates ``0 .. n_penalised - 1`` carry the L1 term, the others (intercept) none. Exact
    minimisation in each coordinate (soft thresholding; exact zeros), ``H (u - w)`` maintained.
    Stops when the model's largest minimum-norm subgradient entry is at most ``tol``. Returns
    ``(u, passes)``.
    """
    n = g.shape[0]
    u = w.copy()
    hd = np.zeros(n)
    passes = 0
    for p in range(max_pass):
        passes = p + 1
        vmax = 0.0
        for j in range(n):
            gj = g[j] + hd[j]
            h = H[j, j]
            uj = u[j]
            if j < n_penalised:
                if uj > 0.0:
                    viol = abs(gj + l1)
                elif uj < 0.0:
                    viol = abs(gj - l1)
                else:
                    viol = max(gj - l1, -l1 - gj, 0.0)
                if gj + l1 <= h * uj:
                    new = uj - (gj + l1) / h
                elif gj - l1 >= h * uj:
                    new = uj - (gj - l1) / h
                else:
                    new = 0.0
            else:
                viol = abs(gj)
                new = uj - gj / h
            vmax = max(vmax, viol)
            z = new - uj
            if z != 0.0:
                u[j] = new
                for k in range(n):  # hd += z H[:, j] (H symmetric: its row j)
                    hd[k] += z * H[j, k]
        if vmax <= tol:
            break
    return u, passes


# ---------------------------------------------------------------------- the Python side
class _Columns:
    """Column access to ``X`` for the kernel, built once per fit (see the module docstring)."""

    def __init__(self, X):
        self.X = X
        n = X.shape[0]
        if sp.issparse(X):
            csc = X if X.format == "csc" else X.tocsc()  # CSR: one copy (documented)
            if not csc.has_canonical_format:
                # duplicate entries would break the per-entry line search: sum them (a copy)
                csc = csc.copy()
                csc.sum_duplicates()
            self.converted = csc is not X
            self.dense = False
            self.data = csc.data
            self.indices = csc.indices
            self.indptr = csc.indptr
            self.XT = np.zeros((0, 0), dtype=X.dtype)
        else:
            self.converted = False
            self.dense = True
            self.XT = X.T  # a view: column j of X is row j of X.T
            self.data = np.zeros(0, dtype=X.dtype)
            self.indices = np.arange(n, dtype=np.int32)
            self.indptr = np.zeros(1, dtype=np.int32)


def _matvec(X, w):
    """``X w`` in float64, the product in X's dtype (no upcast copy of a float32 X)."""
    return np.asarray(X @ w.astype(X.dtype, copy=False), dtype=np.float64).ravel()


def _rmatvec(X, r):
    return np.asarray(X.T @ r.astype(X.dtype, copy=False), dtype=np.float64).ravel()


def _model_on_support(H, g, w, u, l1, n_penalised):
    """The exact minimiser of the quadratic model on the sign pattern of ``u``, if it is one.

    With ``S`` the non-zero (and unpenalised) coordinates of ``u`` and ``s`` their signs, the
    model's stationarity on ``S`` is the linear system
    ``H_SS (z_S - w_S) = H_SN w_N - g_S - l1 s_S`` (``z_N = 0``). Its solution is the model's
    minimiser when the signs hold and ``|g_j + (H (z - w))_j| <= l1`` off ``S``; then it is
    returned (coordinate descent on an ill-conditioned model converges slowly, the solve does
    not). Otherwise ``u`` is returned unchanged.
    """
    n = g.shape[0]
    pen = np.arange(n) < n_penalised
    support = (u != 0) | ~pen
    if not support.any():
        return u
    sgn = np.where(pen, np.sign(u), 0.0)
    S = np.flatnonzero(support)
    N = np.flatnonzero(~support)
    rhs = -g[S] - l1 * sgn[S] + H[np.ix_(S, N)] @ w[N]
    try:
        step_s = scipy.linalg.solve(H[np.ix_(S, S)], rhs, assume_a="pos", check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        return u
    z = np.zeros(n)
    z[S] = w[S] + step_s
    ok_sign = np.all((np.sign(z[S]) == sgn[S]) | ~pen[S])
    if not ok_sign or not np.all(np.isfinite(z)):
        return u
    if N.size:
        grad_n = g[N] + H[N] @ (z - w)
        if np.any(np.abs(grad_n) > l1 * (1 + 1e-9)):
            return u
    return z


def _solve_newton(X, y, c, w, b, fit_intercept, l1, l2, power, gamma, tol_abs, max_iter):
    """Proximal Newton with an inner coordinate descent (Yuan, Ho & Lin 2012, newGLMNET).

    Each outer iteration: the gradient of the smooth part and its generalised Hessian
    ``H = [X, 1]^T diag(c phi''(v)) [X, 1] + l2 I`` (a ``(d+1)^2`` matrix: used for few
    features), the minimiser of the L1-penalised quadratic model by
    :func:`_quadratic_l1_cd` (to a tenth of the current violation, at most
    ``INNER_MAX_PASSES`` passes of ``d^2`` each; then :func:`_model_on_support`), and a
    backtracking line search on the true objective along the model's step (one product with
    ``X``). The step of length 1 lands on the model's exact zeros. For the Huberised hinge the
    curvature of each sample is at least ``FLOOR c_i / gamma``, so a model whose samples all sit
    in the linear zones still has a finite step. Returns ``(w, b, n_iter, converged, violation)``.
    """
    d = w.shape[0]
    raw = _matvec(X, w) + b
    v = 1.0 - y * raw
    converged = False
    viol = np.inf
    it = 0
    rounding = 10 * np.finfo(X.dtype).eps
    H_loss = D_prev = None
    while it < max_iter:
        phi, dphi, ddphi = terms(v, power, gamma)
        g_raw = -c * dphi * y
        gw = _rmatvec(X, g_raw) + l2 * w
        gb = g_raw.sum()
        soft = np.sign(gw) * np.maximum(np.abs(gw) - l1, 0.0)
        res = np.where(w != 0, gw + l1 * np.sign(w), soft)
        viol = max(float(np.abs(res).max(initial=0.0)), abs(gb) if fit_intercept else 0.0)
        if viol <= tol_abs:
            converged = True
            break
        it += 1
        D = c * ddphi
        if power == 1:  # Huberised hinge: a column with no sample in the band has no curvature
            D = np.maximum(D, FLOOR * c / gamma)
        # the loss part of the Hessian: computed once, then updated by the rows whose curvature
        # changed (few, once the margins settle), unless they are many
        changed = None if H_loss is None else np.flatnonzero(D != D_prev)
        if changed is None or changed.size > REBUILD_FRACTION * D.size:
            H_loss = weighted_gram(X, D, fit_intercept)
        elif changed.size:
            H_loss += weighted_gram(X, D - D_prev, fit_intercept, rows=changed)
        D_prev = D
        H = H_loss.copy()
        H[np.arange(d), np.arange(d)] += l2
        H[np.diag_indices_from(H)] += 1e-12 + 1e-10 * float(np.abs(H.diagonal()).max(initial=0.0))
        g = np.append(gw, gb) if fit_intercept else gw
        wb = np.append(w, b) if fit_intercept else w
        u, _ = _quadratic_l1_cd(H, g, wb, l1, d, INNER_MAX_PASSES, INNER_FORCING * viol)
        u = _model_on_support(H, g, wb, u, l1, d)
        step = u - wb
        dv = -y * (_matvec(X, step[:d]) + (step[d] if fit_intercept else 0.0))
        u_w = u[:d]
        p0 = float(np.dot(c, phi)) + l1 * float(np.abs(w).sum()) + 0.5 * l2 * float(w @ w)
        delta = float(g @ step) + l1 * (float(np.abs(u_w).sum()) - float(np.abs(w).sum()))
        if not delta < 0:
            break  # the model offers no descent: stop, unconverged (rounding level)
        t = 1.0
        accepted = False
        for _ in range(MAX_LINESEARCH):
            wn = u_w if t == 1.0 else w + t * step[:d]
            vn = v + t * dv
            pn = (float(np.dot(c, terms(vn, power, gamma)[0])) + l1 * float(np.abs(wn).sum())
                  + 0.5 * l2 * float(wn @ wn))
            if pn - p0 <= SIGMA * t * delta + rounding * abs(p0):
                accepted = True
                break
            t *= BETA
        if not accepted:
            break
        w = wn.copy()
        if fit_intercept:
            b = b + t * step[d]
        v = vn
    return w, b, it, converged, viol


def _binary_targets(objective):
    """``(n_out, n)`` float64 signs ``y_ik`` of the separate binary problems."""
    return objective.loss.target_signs(objective.y, objective.n_out, np.float64).T.copy()


def solve_cd(objective, coef0, *, tol, max_iter, verbose=0, shrinking=True, **kwargs):
    """Minimise an L1 / elastic-net penalised binary or one-vs-rest objective by coordinate descent.

    See the module docstring for the method. Smooth losses (squared hinge, Huberised hinge) are
    solved directly; the exact hinge through smoothing continuation, with the column access
    built once for all the stages.
    """
    loss = objective.loss
    if objective.penalty.l1 == 0 and objective.penalty.l2 == 0:  # pragma: no cover - defensive
        raise ValueError("solver='cd' needs a penalty")
    columns = kwargs.pop("columns", None)
    if columns is None and objective.n_features > NEWTON_MAX_FEATURES:
        columns = _Columns(objective.X)
    if not loss.is_smooth:
        return solve_by_continuation(solve_cd, objective, coef0, tol=tol, max_iter=max_iter,
                                     verbose=verbose, shrinking=shrinking, columns=columns,
                                     **kwargs)
    pen = objective.penalty
    d = objective.n_features
    coef = np.array(np.asarray(coef0).reshape(objective.shape), dtype=np.float64, copy=True)
    tol_abs = tol * objective.gradient_scale()
    newton_path = d <= NEWTON_MAX_FEATURES
    raw = (None if newton_path else
           np.asarray(objective.raw(coef.astype(objective.dtype)), dtype=np.float64))
    targets = _binary_targets(objective)
    c = np.asarray(objective.weights, dtype=np.float64)
    n_iter = 0
    converged = True
    violation = 0.0
    newton = newton_path
    if not newton:
        lc = np.empty(d)
        _column_curvature(columns.data, columns.indices, columns.indptr, columns.XT,
                          columns.dense, c, lc)
    for k in range(objective.n_out):
        y = targets[k]
        if newton:
            # one BLAS thread for the (d+1)^2 Gram matrices of row chunks
            # (docs/design_decisions.rst, 'Single-threaded BLAS for small products')
            from . import _single_blas_thread  # the registry imports this module
            with _single_blas_thread():
                w, b, it, ok, viol = _solve_newton(
                    objective.X, y, c, coef[k, :d].copy(),
                    coef[k, d] if objective.fit_intercept else 0.0, objective.fit_intercept,
                    float(pen.l1), float(pen.l2), *loss.kernel_parameters,
                    float(tol_abs), int(max_iter))
            coef[k, :d] = w
            if objective.fit_intercept:
                coef[k, d] = b
        else:
            state = np.empty((y.shape[0], 2))
            state[:, 0] = 1.0 - y * raw[:, k]
            state[:, 1] = c * y
            w = np.ascontiguousarray(coef[k, :d])
            bias = np.array([coef[k, d] if objective.fit_intercept else 0.0])
            it, ok, viol = _cd_kernel(columns.data, columns.indices, columns.indptr,
                                      columns.XT, columns.dense, state, lc, w, bias,
                                      objective.fit_intercept, float(pen.l1), float(pen.l2),
                                      *loss.kernel_parameters, float(tol_abs),
                                      int(max_iter), bool(shrinking), float(UNSHRINK), SEED)
            coef[k, :d] = w
            if objective.fit_intercept:
                coef[k, d] = bias[0]
        n_iter = max(n_iter, int(it))
        converged &= bool(ok)
        violation = max(violation, float(viol))
    out = coef.astype(objective.dtype)
    value = objective.value(out)
    gap = None if loss.is_smoothed else objective.duality_gap(out)
    if verbose:
        print(f"[cd] {objective.loss.name}: {n_iter} outer iterations, objective {value:.10g}, "
              f"max violation {violation:.3e} (threshold {tol_abs:.3e})")
    message = ("optimality criterion met" if converged
               else f"max_iter={max_iter} reached before the optimality criterion")
    return SolverResult(coef=out, n_iter=max(n_iter, 1), converged=converged, objective=value,
                        history=[value], gap=gap, message=message)
