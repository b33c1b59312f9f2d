"""``newton``: Newton's method on the primal with the generalised Hessian, the direction
solved exactly from the explicit Hessian for few parameters and by conjugate gradients (truncated
Newton) otherwise."""

from __future__ import annotations

import numpy as np
import scipy.linalg

from .._objective import CurvatureGrams, max_abs, value_rounding
from ._result import SolverResult

ARMIJO = 1e-4
MAX_HALVINGS = 40
STEP_REACH = 1e3
# a run is at the precision of its data when, over this many iterations, the objective fell by
# no more than its rounding allowance and the gradient's max-norm did not halve: in float32 a
# smoothed hinge stage at small smoothing hovers there (decision values carry errors of about
# 1e-6 that its steep dual weights magnify), and more iterations only add noise
STALL_WINDOW = 10
# per output, at most this many parameters (features + intercept): the Newton direction is
# solved exactly from the explicit Hessian blocks (one Gram product over the rows with
# curvature, then a Cholesky solve) instead of by conjugate gradients (see _explicit_direction;
# why: docs/design_decisions.rst, "Newton's method")
EXPLICIT_MAX_PARAMS = 512
# the same for the losses whose outputs couple (Weston-Watkins, Crammer-Singer): one matrix of
# all parameters, at most this many
EXPLICIT_MAX_MATRIX = 2048


def _conjugate_gradient(hessp, b, rtol, maxiter, inv_diag=None):
    """Solve ``H d = b`` approximately by (Jacobi-preconditioned) conjugate gradients.

    ``H`` is given as a product; ``inv_diag`` is ``1 / diag(H)`` or None. Stops when
    ``||H d - b|| <= rtol ||b||`` or after ``maxiter`` products; returns ``d`` and the number
    of products used.
    """
    d = np.zeros_like(b)
    r = b.copy()
    z = r * inv_diag if inv_diag is not None else r
    p = z.copy()
    rz = float(np.dot(r, z))
    target = (rtol ** 2) * float(np.dot(r, r))
    n_products = 0
    while n_products < maxiter and float(np.dot(r, r)) > target:
        hp = hessp(p)
        n_products += 1
        curvature = float(np.dot(p, hp))
        if curvature <= 1e-14 * float(np.dot(p, p)):  # flat direction: keep what we have
            break
        alpha = rz / curvature
        d += alpha * p
        r -= alpha * hp
        z = r * inv_diag if inv_diag is not None else r
        rz_new = float(np.dot(r, z))
        p = z + (rz_new / rz) * p
        rz = rz_new
    return d, n_products


def _explicit_direction(hessian, g, damping, full=False, grams=None):
    """The Newton direction ``-H^-1 g`` from the explicit Hessian: its blocks (one per output,
    for the separable losses) or, with ``full``, the whole matrix where the outputs couple;
    each intercept's diagonal entry gets ``damping``. None when neither applies or a matrix is
    not numerically positive definite (then CG takes over)."""
    blocks = hessian.blocks(grams)
    H = hessian.matrix() if blocks is None and full else None
    if H is not None:
        if damping:
            p = g.shape[1]
            H[np.arange(p - 1, H.shape[0], p), np.arange(p - 1, H.shape[0], p)] += damping
        try:
            factor = scipy.linalg.cho_factor(H, lower=False, check_finite=True)
        except (np.linalg.LinAlgError, ValueError):
            return None
        out = -scipy.linalg.cho_solve(factor, np.asarray(g, dtype=np.float64).ravel())
        return out if np.all(np.isfinite(out)) else None
    if blocks is None:
        return None
    out = np.empty(g.shape, dtype=np.float64)
    for k, H in enumerate(blocks):
        if damping:
            H[-1, -1] += damping
        try:
            # (the block is ours: factored in its place, without a copy where it is
            # Fortran-ordered)
            factor = scipy.linalg.cho_factor(H, lower=False, overwrite_a=True,
                                              check_finite=True)
        except (np.linalg.LinAlgError, ValueError):
            return None
        out[k] = -scipy.linalg.cho_solve(factor, np.asarray(g[k], dtype=np.float64))
    if not np.all(np.isfinite(out)):
        return None
    return out.ravel()


def _at_precision(history, g_history, rounding):
    """True when the last :data:`STALL_WINDOW` iterations lowered the objective by at most
    ``rounding`` relative to it and did not halve the gradient's smallest max-norm."""
    f_then, f_now = history[-1 - STALL_WINDOW], history[-1]
    if f_then - f_now > rounding * abs(f_now):
        return False
    return min(g_history[-STALL_WINDOW:]) > 0.5 * min(g_history[:-STALL_WINDOW])


def solve_newton(objective, coef0, *, tol, max_iter, verbose=0, state=None, **_):
    """Minimise a smooth objective by truncated Newton-CG with a backtracking line search.

    Steps, each iteration:

    1. *convergence check*: stop when ``||grad P||_inf <= tol * ||grad P(0)||_inf``;
    2. *direction*: ``H d = -grad P`` with the (generalised) Hessian
       ``H v = v + X^T diag(c l'') X v`` (intercept row and column included); the unpenalised
       intercepts get a Levenberg-Marquardt term ``||grad P|| I`` (their block is zero where no
       sample has curvature). With few parameters (at most ``EXPLICIT_MAX_PARAMS`` per output
       for the separable losses, whose Hessian is block diagonal, or ``EXPLICIT_MAX_MATRIX`` in
       all where the outputs couple) ``H`` is formed explicitly, one Gram product over the rows
       with curvature (:func:`hingeclf._objective.weighted_gram`, in blocks of rows, no copy of
       ``X``; for the separable losses updated from the last iteration's by the rows whose
       curvature changed, :class:`~hingeclf._objective.CurvatureGrams`), and the direction is
       exact (Cholesky); otherwise by conjugate gradients with
       ``H`` given only as products, two passes over ``X`` each, preconditioned by ``diag(H)``
       (from the squares of the stored values of ``X``, no squared copy of a dense ``X``),
       stopped at the relative residual ``min(0.5, sqrt(||g|| / ||g0||))`` (Eisenstat-Walker
       forcing) or after ``n_params`` products;
    3. *line search*: Armijo backtracking (halving) from the full step, or from the step that
       moves no decision value by more than ``STEP_REACH * max(1, ||raw||_inf)`` if shorter
       (where the generalised Hessian misses curvature, e.g. all margins at a kink of the first
       smoothing stage, the full step can be too long by more orders of magnitude than
       ``MAX_HALVINGS`` halvings recover); the decision values move linearly along the step
       (``raw + t X d``), so each trial costs no product with ``X``.

    ``n_iter`` counts Newton iterations. The data stay in their dtype; no copy of ``X``. The
    result's ``state`` holds the explicit Hessian's Gram products (:class:`CurvatureGrams`);
    passed back as ``state`` on the same objective's data, a resumed run updates them instead
    of forming them afresh.
    """
    x = np.asarray(coef0, dtype=objective.dtype).reshape(objective.shape).copy()
    g_ref = objective.gradient_scale()  # (before raw: its temporaries are as long as raw)
    raw = objective.raw(x)
    f, g = objective.value_gradient(x, raw)
    threshold = tol * g_ref
    g0_norm = max(float(np.linalg.norm(g)), np.finfo(float).tiny)
    history = [f]
    converged = False
    stalled = False
    k = 0
    n_params = x.size
    rounding = value_rounding(objective.dtype, objective.n_samples)
    g_history = []
    # the explicit Hessian's Gram products, updated between iterations (and from the previous
    # run's, when the certificate resumes a run: ``state``)
    grams = state if isinstance(state, CurvatureGrams) else CurvatureGrams()
    while True:
        g_inf = float(np.abs(g).max(initial=0.0))
        if g_inf <= threshold:
            converged = True
            break
        if k >= max_iter:
            break
        g_history.append(g_inf)
        if k >= STALL_WINDOW and _at_precision(history, g_history, rounding):
            stalled = True
            break
        k += 1
        g_flat = g.ravel().astype(np.float64)
        g_norm = float(np.linalg.norm(g_flat))
        forcing = min(0.5, np.sqrt(g_norm / g0_norm))

        hessian = objective.hessian_operator(x, raw)
        # Levenberg-Marquardt term on the unpenalised intercepts: where no sample has curvature
        # their Hessian block is zero; ``||g||`` vanishes at the optimum, keeping fast local
        # convergence where there is curvature
        damping = g_norm

        def hessp(v, hessian=hessian, damping=damping):
            v = v.astype(objective.dtype).reshape(objective.shape)
            hv = hessian(v)
            if objective.fit_intercept:
                hv[:, -1] += damping * v[:, -1]
            return hv.ravel().astype(np.float64)

        d_flat = None
        if objective.shape[1] <= EXPLICIT_MAX_PARAMS:
            d_flat = _explicit_direction(hessian, g, damping if objective.fit_intercept
                                         else 0.0, full=n_params <= EXPLICIT_MAX_MATRIX,
                                         grams=grams)
            n_cg = 0
        if d_flat is None:
            diag = hessian.diagonal().astype(np.float64)
            if objective.fit_intercept:
                diag[:, -1] += damping
            inv_diag = 1.0 / np.maximum(diag.ravel(), 1e-12 * max(float(diag.max()), 1.0))
            d_flat, n_cg = _conjugate_gradient(hessp, -g_flat, forcing, maxiter=n_params,
                                               inv_diag=inv_diag)
        del hessian, hessp  # the curvature is an array as long as the data: not kept
        slope = float(np.dot(g_flat, d_flat))
        if not slope < 0:  # no descent direction: fall back to the gradient
            d_flat, slope = -g_flat, -g_norm ** 2
        d = d_flat.astype(objective.dtype).reshape(objective.shape)
        raw_d = objective.raw_direction(d)
        # the losses change their pieces at margins of order 1: a first trial that moves some
        # decision value by far more than the values themselves (more than STEP_REACH times)
        # comes from a Hessian that misses curvature, so it starts shorter
        reach = max_abs(raw_d)  # (two reductions: no temporary as long as the data)
        limit = STEP_REACH * max(1.0, max_abs(raw))
        step = 1.0 if not reach > limit else limit / reach
        for _ in range(MAX_HALVINGS):
            x_new = x + step * d
            with np.errstate(over="ignore", invalid="ignore"):
                # a trial step far too long may overflow: it is rejected like any other
                f_new = objective.value_on_line(x_new, raw, raw_d, step)
            if f_new <= f + ARMIJO * step * slope + rounding * abs(f):
                break
            step *= 0.5
        else:
            stalled = True  # no decrease possible at this precision
            break
        x = x_new
        if k % 10 == 0:  # afresh now and then: the updates below accumulate rounding
            del raw
            raw = objective.raw(x)
        else:
            raw = objective.move_raw(raw, step, raw_d)
        del raw_d
        f, g = objective.value_gradient(x, raw)
        history.append(f)
        if verbose > 1:
            print(f"[newton] iter {k:4d}  objective {f:.10g}  |grad|_inf {g_inf:.3e}  "
                  f"cg {n_cg}  step {step:.3g}")
    if converged:
        message = "gradient criterion met"
    elif stalled:
        message = (f"no decrease at the precision of the objective in iteration {k} (line "
                   f"search, or the last {STALL_WINDOW} iterations) before the gradient "
                   f"criterion")
    else:
        message = f"max_iter={max_iter} iterations reached before the gradient criterion"

    return SolverResult(coef=x, n_iter=k, converged=converged, objective=f, history=history,
                        message=message, state=grams)
