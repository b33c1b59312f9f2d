"""``fgd``: accelerated (Nesterov) gradient descent with backtracking and adaptive restart."""

from __future__ import annotations

import numpy as np

from .._objective import value_rounding
from ._result import SolverResult

# Recompute the decision values from scratch this often, so that the cheap linear updates
# of ``raw`` do not accumulate rounding error.
_REFRESH_EVERY = 25


def _momentum(t, uphill):
    """``(t, beta)`` of the next accelerated step (Nesterov's sequence); a restart, ``(1, 0)``,
    when the step just taken went uphill."""
    if uphill:
        return 1.0, 0.0
    t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
    return t_new, (t - 1.0) / t_new


def _extrapolate(x_new, x, raw_new, raw_x, beta):
    """The extrapolated point and its decision values (linear in the point)."""
    if not beta:
        return x_new, raw_new
    return x_new + beta * (x_new - x), raw_new + beta * (raw_new - raw_x)


def solve_fgd(objective, coef0, *, tol, max_iter, verbose=0, **_):
    """Minimise a smooth objective by accelerated gradient descent (FISTA without prox).

    Steps, each iteration ``k``:

    1. *convergence check* at the extrapolated point ``y``: stop when
       ``||grad P(y)||_inf <= tol * ||grad P(0)||_inf`` and return ``y``;
    2. *backtracking*: ``x+ = y - grad P(y) / L``, doubling ``L`` until the quadratic upper bound
       ``P(x+) <= P(y) + <g, x+ - y> + L/2 ||x+ - y||^2`` holds; ``L`` then shrinks by 0.9 so the
       step can grow again;
    3. *adaptive restart* (O'Donoghue & Candes 2015, gradient scheme): when
       ``<grad P(y), x+ - x> > 0`` the momentum is reset (this test stays meaningful when
       objective differences are below rounding, unlike the function scheme);
    4. *extrapolation*: ``y = x+ + (t - 1) / t+ (x+ - x)`` with ``t+ = (1 + sqrt(1 + 4 t^2)) / 2``.

    The decision values are updated linearly along each step (``raw(y) = raw(x+) + beta ...``),
    so an iteration costs one product with ``X`` and one with ``X^T`` (plus one ``X`` product per
    extra backtracking step). ``n_iter`` counts iterations (gradient evaluations).

    With a non-smooth penalty (L1, elastic net) the iteration is the proximal one (FISTA,
    Beck & Teboulle 2009): see :func:`solve_prox_fgd`.
    """
    if not objective.penalty.is_smooth:
        return solve_prox_fgd(objective, coef0, tol=tol, max_iter=max_iter, verbose=verbose)
    x = np.asarray(coef0, dtype=objective.dtype).reshape(objective.shape).copy()
    raw_x = objective.raw(x)
    f_x = objective.value(x, raw_x)
    g_ref = objective.gradient_scale()
    threshold = tol * g_ref
    lip = objective.lipschitz_bound()
    # start from an optimistic step: the Frobenius bound is loose by about n_samples
    step_l = 1.0 if lip is None else max(1.0, lip / max(objective.n_samples, 1))

    # objective values carry the rounding of the data's dtype: the sufficient-decrease test
    # must not ask for more
    rounding = value_rounding(objective.dtype, objective.n_samples)
    y, raw_y = x, raw_x
    f_y, g_y = objective.value_gradient(y, raw_y)
    t = 1.0
    history = [f_y]
    converged = False
    k = 0
    while True:
        g_norm = float(np.abs(g_y).max(initial=0.0))
        if g_norm <= threshold:
            converged = True
            break
        if k >= max_iter:
            break
        k += 1
        d_raw = objective.raw_direction(g_y)
        g2 = float(np.dot(g_y.ravel().astype(np.float64), g_y.ravel().astype(np.float64)))
        while True:
            x_new = y - g_y / step_l
            raw_new = raw_y - d_raw / step_l
            f_new = objective.value(x_new, raw_new)
            # upper bound with d = x_new - y = -g / L:  f_y - ||g||^2 / L + ||g||^2 / (2 L)
            if f_new <= f_y - 0.5 * g2 / step_l + rounding * abs(f_y) or step_l > 1e300:
                break
            step_l *= 2.0
        # adaptive restart, gradient scheme: drop the momentum when the step just taken goes
        # uphill for the gradient at y, <grad P(y), x+ - x> > 0 (robust to rounding in P)
        t, beta = _momentum(t, float(np.dot(g_y.ravel(), (x_new - x).ravel())) > 0.0)
        y, raw_y = _extrapolate(x_new, x, raw_new, raw_x, beta)
        x, raw_x, f_x = x_new, raw_new, f_new
        if k % _REFRESH_EVERY == 0:
            raw_x = objective.raw(x)
            raw_y = objective.raw(y)
        f_y, g_y = objective.value_gradient(y, raw_y)
        history.append(f_y)
        step_l *= 0.9
        if verbose > 1:
            print(f"[fgd] iter {k:5d}  objective {f_y:.10g}  |grad|_inf {g_norm:.3e}")
    message = ("gradient criterion met" if converged
               else f"max_iter={max_iter} reached before the gradient criterion")
    return SolverResult(coef=y, n_iter=k, converged=converged, objective=f_y,
                        history=history, message=message)


def solve_prox_fgd(objective, coef0, *, tol, max_iter, verbose=0):
    """Minimise ``F + h`` (``F`` smooth: loss and quadratic penalty; ``h = l1 ||W||_1``) by FISTA.

    Steps, each iteration ``k``, from the extrapolated point ``y``:

    1. *backtracking*: ``x+ = prox_{h/L}(y - grad F(y) / L)`` (soft thresholding of the
       coefficients, a plain step on the intercept), doubling ``L`` until
       ``F(x+) <= F(y) + <grad F(y), x+ - y> + L/2 ||x+ - y||^2``; ``L`` then shrinks by 0.9;
    2. *convergence check*: the gradient mapping ``G = L (y - x+)`` satisfies
       ``||G||_inf <= tol * ||r(0)||_inf``, with ``r(0)`` the minimum-norm subgradient of the
       objective at 0; then ``x+`` is returned (its zeros are exact zeros of the prox). Since
       ``grad F(x+) - grad F(y) + G`` is a subgradient of the objective at ``x+``, this bounds its
       optimality residual by ``(1 + L_F / L) ||G||``;
    3. *adaptive restart* (gradient scheme): momentum is reset when ``<y - x+, x+ - x> > 0``;
    4. *extrapolation*: ``y = x+ + (t - 1) / t+ (x+ - x)``.

    One product with ``X`` (at ``x+``, the prox being non-linear) and one with ``X^T`` (at ``y``)
    per iteration, plus one ``X`` product per extra backtracking step. ``n_iter`` counts iterations.
    """
    x = np.asarray(coef0, dtype=objective.dtype).reshape(objective.shape).copy()
    raw_x = objective.raw(x)
    threshold = tol * objective.gradient_scale()
    lip = objective.lipschitz_bound()
    step_l = 1.0 if lip is None else max(1.0, lip / max(objective.n_samples, 1))
    rounding = value_rounding(objective.dtype, objective.n_samples)
    y, raw_y = x, raw_x
    f_y, g_y = objective.smooth_value_gradient(y, raw_y)
    value = f_y + objective.nonsmooth_value(x)
    t = 1.0
    history = [value]
    converged = False
    k = 0
    while k < max_iter:
        k += 1
        while True:
            x_new = objective.prox(y - g_y / step_l, 1.0 / step_l)
            raw_new = objective.raw(x_new)
            f_new = objective.smooth_value(x_new, raw_new)
            d = (x_new - y).ravel().astype(np.float64)
            bound = f_y + float(np.dot(g_y.ravel(), d)) + 0.5 * step_l * float(np.dot(d, d))
            if f_new <= bound + rounding * abs(f_y) or step_l > 1e300:
                break
            step_l *= 2.0
        value = f_new + objective.nonsmooth_value(x_new)
        history.append(value)
        g_map = step_l * float(np.abs(d).max(initial=0.0))
        if verbose > 1:
            print(f"[fgd-prox] iter {k:5d}  objective {value:.10g}  |G|_inf {g_map:.3e}")
        if g_map <= threshold:
            x, raw_x = x_new, raw_new
            converged = True
            break
        t, beta = _momentum(t, float(np.dot(-d, (x_new - x).ravel())) > 0.0)
        y, raw_y = _extrapolate(x_new, x, raw_new, raw_x, beta)
        x, raw_x = x_new, raw_new
        if k % _REFRESH_EVERY == 0:
            raw_y = objective.raw(y)
        f_y, g_y = objective.smooth_value_gradient(y, raw_y)
        step_l *= 0.9
    value = objective.value(x, raw_x)
    message = ("gradient-mapping criterion met" if converged
               else f"max_iter={max_iter} reached before the gradient-mapping criterion")
    gap = objective.duality_gap(x)
    return SolverResult(coef=x, n_iter=k, converged=converged, objective=value,
                        history=history, gap=gap, message=message)
