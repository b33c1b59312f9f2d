"""Non-smooth losses through smooth solvers: smoothing continuation and face identification.

A smooth solver (``fgd``, ``lbfgs``) cannot minimise the hinge directly. It minimises the smoothed
loss ``xi_gamma`` of :mod:`hingeclf._losses` for ``gamma = 1, 0.1, 0.01, ...``, each stage warm
started from the last. Since ``0 <= xi - xi_gamma`` (and ``xi^2 - xi_gamma^2 >= 0``) the smoothed
optimum lower-bounds the true one, ``P_gamma* <= P*``, so at the point ``theta`` a stage returns::

    P(theta) - P*  <=  P(theta) - P_gamma(theta)  +  (P_gamma(theta) - P_gamma*)

The first term is computed exactly; the second is the inner solve's residual, made small by its
own gradient criterion (each stage is solved to ``max(tol, 0.01 gamma)``, and the last one to
``tol``). The continuation stops when ``P(theta) - P_gamma(theta) <= tol * P(theta)``
with the inner solve converged.

Each stage first tries to *identify the face* of the optimum from the smoothed solution and to
solve the exact problem on it (:func:`polish_on_face`); when that succeeds, the optimality
conditions are verified and the duality gap is at rounding level, and the continuation stops.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from ._result import SolverResult

GAMMA_START = 1.0
GAMMA_FACTOR = 0.1
GAMMA_MIN = 1e-12
MAX_FREE = 1500
INNER_TOL_FACTOR = 1e-2


def solve_by_continuation(inner, objective, coef0, *, tol, max_iter, verbose=0, **kwargs):
    """Minimise an objective with a non-smooth loss by smoothing continuation with ``inner``.

    ``n_iter`` is the sum of the inner solver's iterations over all stages; ``max_iter`` bounds
    that sum.
    """
    loss = objective.loss
    coef = np.asarray(coef0, dtype=objective.dtype).reshape(objective.shape)
    gamma = GAMMA_START
    n_iter = 0
    history = []
    converged = False
    value = objective.value(coef)
    message = ""
    gap = None
    while True:
        smooth = objective.with_loss(loss.smoothed(gamma))
        # early stages only locate the optimum's face: no need to solve them to ``tol``
        inner_tol = max(tol, INNER_TOL_FACTOR * gamma)
        res = inner(smooth, coef, tol=inner_tol, max_iter=max(max_iter - n_iter, 0),
                    verbose=verbose, **kwargs)
        n_iter += res.n_iter
        coef = res.coef
        value = objective.value(coef)
        history.extend(res.history)
        if loss.gamma == 0:
            hint = loss.smoothed(gamma).term_weights(loss.violations(objective.y,
                                                                      objective.raw(coef)))
            polished = polish_on_face(objective, coef, hint)
            if polished is not None:
                coef, value, gap = polished
                converged = True
                message = f"face identified at gamma={gamma:g}; optimality verified"
                break
        smoothing_gap = value - res.objective
        if verbose > 1:
            print(f"[continuation] gamma {gamma:.1e}: {res.n_iter} iterations, objective "
                  f"{value:.10g}, smoothing gap {smoothing_gap:.3e}")
        if res.converged and smoothing_gap <= tol * max(abs(value), np.finfo(float).tiny):
            if inner_tol > tol:
                # the bound also needs the smoothed problem solved to ``tol``: finish this stage
                res = inner(smooth, coef, tol=tol, max_iter=max(max_iter - n_iter, 0),
                            verbose=verbose, **kwargs)
                n_iter += res.n_iter
                coef = res.coef
                value = objective.value(coef)
                history.extend(res.history)
                smoothing_gap = value - res.objective
            if res.converged and smoothing_gap <= tol * max(abs(value), np.finfo(float).tiny):
                converged = True
                message = f"smoothing gap below tol at gamma={gamma:g}"
                break
        if n_iter >= max_iter:
            message = f"max_iter={max_iter} reached during continuation (gamma={gamma:g})"
            break
        if gamma <= GAMMA_MIN:
            message = "smoothing parameter reached its floor before the criterion"
            break
        gamma *= GAMMA_FACTOR
    history.append(value)
    return SolverResult(coef=coef, n_iter=max(n_iter, 1), converged=converged, objective=value,
                        history=history, gap=gap, message=message)


def finish_on_face(objective, result):
    """Try to replace a smooth solver's result on an exact squared loss by the exact optimum.

    The active set (entries with ``v > 0``) at the solver's point is taken as the face; when
    :func:`polish_on_face` verifies the solution, the result becomes that solution with its
    duality gap, and it counts as converged (optimality is certified, which is stronger than the
    gradient rule). Otherwise the solver's result stands as it was.
    """
    loss = objective.loss
    if loss.gamma != 0 or loss.power != 2:
        return result
    hint = loss.term_weights(loss.violations(objective.y, objective.raw(result.coef)))
    polished = polish_on_face(objective, result.coef, hint)
    if polished is None:
        return result
    coef, value, gap = polished
    return SolverResult(coef=coef, n_iter=result.n_iter, converged=True, objective=value,
                        history=result.history + [value], gap=gap,
                        message=result.message + "; active set identified, optimality verified")


def polish_on_face(objective, coef, lam_hint):
    """Solve the problem exactly on the face that ``lam_hint`` points to, and verify it.

    ``lam_hint`` holds weights of the violation entries in ``[0, 1]`` (from a smoothed or an
    approximate solution); it says which entries are *tied*: for the hinge (power 1), entries
    with ``0 < lambda < 1`` of single-piece terms, or the pieces with ``lambda > 0`` of a
    Crammer-Singer term that has several (counting the zero piece when ``sum(lambda) < 1``);
    for the squared losses (power 2), every entry with ``lambda > 0``.

    With the ties fixed, the dual restricted to the face is an equality-constrained quadratic
    (MATH.md section 3: ``W = -(c A^T mu)^T X``, intercept constraint ``sum_i c_i (A^T mu)_i =
    0``), so its KKT conditions are one symmetric linear system of the size of the number of
    tied entries; its multipliers are the intercepts. In the scaled unknowns ``u = c mu``:

    - power 1: tied entries sit exactly at the kink, ``v = 0`` (a Crammer-Singer term without its
      zero piece: its tied violations are equal, with weights summing to 1);
    - power 2: active entries satisfy ``v = xi = sum_{term} u / (2 c)``, the extra block being
      the ``D = 1 / (2 c)`` of the squared-hinge dual.

    The candidate is accepted only if it is optimal: weights within their bounds and consistent
    with the violations they sit on (complementarity, the primal KKT conditions) and a duality
    gap ``P - D`` at rounding level. Returns ``(coef, value, gap)`` or None.
    """
    loss, X, y = objective.loss, objective.X, objective.y
    power = loss.power
    c = objective.weights.astype(np.float64)
    n_out = objective.n_out
    lam = np.asarray(lam_hint, dtype=np.float64)
    active = c > 0
    group_rows = np.zeros(0, dtype=np.intp)
    if power == 2:
        free = (lam > 0) & active[:, None]
        fixed = np.zeros_like(lam)
    elif not loss.grouped:
        free = (lam > 0) & (lam < 1) & active[:, None]
        fixed = np.where(lam >= 1, 1.0, 0.0)
    else:
        total = lam.sum(axis=1)
        zero_tied = total < 1.0 - 1e-12
        n_pos = (lam > 0).sum(axis=1)
        tied = (n_pos + zero_tied >= 2) & active
        free = (lam > 0) & tied[:, None]
        fixed = np.where(tied[:, None], 0.0, (lam > 0).astype(np.float64))
        group_rows = np.flatnonzero(tied & ~zero_tied)
    fixed[free] = 0.0
    rows, cols = np.nonzero(free)
    n_free = rows.size
    if n_free > MAX_FREE:
        return None

    # the part of W fixed by the non-tied entries
    cg_fixed = c[:, None] * loss.apply_AT(y, fixed)
    w_fixed = -np.asarray(X.T @ cg_fixed.astype(X.dtype)).T.astype(np.float64)

    e = loss.directions(y, rows, cols, n_out)  # (n_free, n_out)
    xs = X[rows]
    if sp.issparse(xs):
        gram = np.asarray((xs @ xs.T).toarray(), dtype=np.float64)
        xs_w = np.asarray(xs @ w_fixed.T, dtype=np.float64)
    else:
        xs = np.asarray(xs, dtype=np.float64)
        gram = xs @ xs.T
        xs_w = xs @ w_fixed.T
    s_mat = gram * (e @ e.T)
    if power == 2:
        # v = xi: entries of the same term share xi (one row for Crammer-Singer)
        same = (rows[:, None] == rows[None, :]) if loss.grouped else np.eye(n_free, dtype=bool)
        s_mat = s_mat + same / (2.0 * c[rows])[:, None]
    rhs_free = 1.0 + np.einsum("ij,ij->i", e, xs_w)

    n_b = n_out if objective.fit_intercept else 0
    n_g = len(group_rows)
    size = n_free + n_b + n_g
    if size == 0:
        return None
    m = np.zeros((size, size))
    rhs = np.zeros(size)
    m[:n_free, :n_free] = s_mat
    rhs[:n_free] = rhs_free
    if n_b:
        m[:n_free, n_free:n_free + n_b] = -e
        m[n_free:n_free + n_b, :n_free] = -e.T
        rhs[n_free:n_free + n_b] = cg_fixed.sum(axis=0)
    if n_g:
        group_of_row = np.full(lam.shape[0], -1)
        group_of_row[group_rows] = np.arange(n_g)
        g_of = group_of_row[rows]
        member = np.flatnonzero(g_of >= 0)
        m[member, n_free + n_b + g_of[member]] = 1.0
        m[n_free + n_b + g_of[member], member] = 1.0
        rhs[n_free + n_b:] = c[group_rows]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
            sol = scipy.linalg.solve(m, rhs, assume_a="sym", check_finite=False)
        if not np.all(np.isfinite(sol)):
            raise np.linalg.LinAlgError
    except (np.linalg.LinAlgError, ValueError, scipy.linalg.LinAlgWarning):
        # singular face (duplicated or degenerate ties): the least-norm solution, checked below
        sol = scipy.linalg.lstsq(m, rhs, check_finite=False)[0]
    mu_free = sol[:n_free] / c[rows]
    b = sol[n_free:n_free + n_b]

    slack = 1e-9
    upper = 1 + slack if power == 1 else np.inf
    if mu_free.size and (mu_free.min() < -slack or mu_free.max() > upper):
        return None
    mu = fixed.copy()
    mu[rows, cols] = np.clip(mu_free, 0.0, 1.0 if power == 1 else None)
    if power == 1 and loss.grouped and np.any(mu.sum(axis=1) > 1 + slack):
        return None

    cg = c[:, None] * loss.apply_AT(y, mu)
    w = -np.asarray(X.T @ cg.astype(X.dtype)).T.astype(np.float64)
    new = np.hstack([w, b[:, None]]) if objective.fit_intercept else w
    new = new.astype(objective.dtype)
    raw_new = objective.raw(new)
    v_new = loss.violations(y, raw_new).astype(np.float64)

    # complementarity: weights consistent with the violations they sit on
    eps = 1e-9 if objective.dtype == np.float64 else 1e-4
    check = active[:, None]
    if power == 2:
        xi = mu.sum(axis=1, keepdims=True) / 2.0 if loss.grouped else mu / 2.0
        bad = check & (((mu > 0) & (np.abs(v_new - xi) > eps * np.maximum(1.0, xi)))
                       | ((mu == 0) & (v_new > xi + eps)))
    elif not loss.grouped:
        bad = check & (((mu > slack) & (v_new < -eps)) | ((mu < 1 - slack) & (v_new > eps)))
    else:
        top = np.maximum(v_new.max(axis=1), 0.0)[:, None]
        zero_w = 1.0 - mu.sum(axis=1)
        bad = check & (mu > slack) & (v_new < top - eps)
        bad |= (check[:, 0] & (zero_w > slack) & (top[:, 0] > eps))[:, None]
    if np.any(bad):
        return None

    value = objective.value(new, raw_new)
    dual = float(np.sum(c * mu.sum(axis=1))) - objective.penalty.value(w)
    if power == 2:
        per_term = mu.sum(axis=1) ** 2 if loss.grouped else (mu * mu).sum(axis=1)
        dual -= float(np.sum(c * per_term)) / 4.0
    gap = value - dual
    if not gap <= 1e-6 * max(abs(value), 1.0):
        return None
    return new, value, max(gap, 0.0)
