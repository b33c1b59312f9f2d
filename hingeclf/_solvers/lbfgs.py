"""``lbfgs``: scipy's L-BFGS-B on the fused value-and-gradient of the objective."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from ._result import SolverResult

_MAX_RESTARTS = 3


# Data whose largest value is beyond 2**UNIT_FREE_BITS get weights in units of a power of two.
UNIT_FREE_BITS = 20


def _coefficient_unit(objective):
    """Units of the coefficients inside scipy: ``coef = x * unit`` (flat, float64).

    L-BFGS-B's first trial step is ``1 / ||grad||`` in its own variables, which on features of
    size ``s`` moves the decision values by about ``s``; from there its line search cannot
    come back when ``s`` is large (features times 1e50: no decrease, the fit stops at 0). For
    features whose largest value ``x_max`` exceeds ``2**UNIT_FREE_BITS``, the weights (not the
    intercepts) are therefore passed to scipy in units of ``2**-k``, ``k = round(log2 x_max)``.
    A power of two: the change of variables is exact in floating point. Otherwise the unit is 1.
    """
    unit = np.ones(objective.shape)
    x_max = objective.largest_value()
    if x_max > 2.0 ** UNIT_FREE_BITS:
        unit[:, : objective.n_features] = 2.0 ** -int(round(np.log2(x_max)))
    return unit.ravel()


def solve_lbfgs(objective, coef0, *, tol, max_iter, verbose=0, **_):
    """Minimise a smooth objective with ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``.

    Stopping rule: ``||grad P||_inf <= tol * ||grad P(0)||_inf`` (passed to scipy as ``gtol``;
    its relative-decrease test ``ftol`` is set near machine precision so it does not stop first).
    If scipy stops for another reason (line-search failure near the precision limit) before the
    rule holds, the method restarts from the point reached, with a fresh memory, up to three
    times. ``n_iter`` counts L-BFGS iterations over all restarts. On features with values
    beyond ``2**UNIT_FREE_BITS`` the weights are passed to scipy in a power-of-two unit (see
    :func:`_coefficient_unit`); ``gtol`` is then the threshold times the smallest unit, so
    scipy's test implies the rule above, which is checked on the unscaled gradient. The data stay in their dtype:
    only the coefficient vector is float64 inside scipy.
    """
    g_ref = objective.gradient_scale()
    threshold = tol * g_ref
    history = []
    unit = _coefficient_unit(objective)

    def fun(x):
        f, g = objective.value_gradient(x * unit)
        return f, g.ravel().astype(np.float64) * unit

    def callback(intermediate_result):
        history.append(float(intermediate_result.fun))

    x0 = np.asarray(coef0, dtype=np.float64).ravel() / unit
    n_iter = 0
    res = None
    for _restart in range(_MAX_RESTARTS + 1):
        remaining = max_iter - n_iter
        if remaining <= 0 and res is not None:
            break
        res = minimize(fun, x0, jac=True, method="L-BFGS-B", callback=callback,
                       options=dict(maxiter=max(remaining, 0), gtol=threshold * unit.min(),
                                    ftol=64 * np.finfo(np.float64).eps, maxls=40, maxcor=20))
        n_iter += int(res.nit)
        g_norm = float(np.abs(res.jac / unit).max(initial=0.0))
        if verbose > 1:
            print(f"[lbfgs] {res.nit} iterations, objective {res.fun:.10g}, "
                  f"|grad|_inf {g_norm:.3e} ({res.message})")
        if g_norm <= threshold or res.nit == 0:
            break
        x0 = res.x
    g_norm = float(np.abs(res.jac / unit).max(initial=0.0))
    converged = g_norm <= threshold
    coef = (res.x * unit).astype(objective.dtype).reshape(objective.shape)
    if converged:
        message = "gradient criterion met"
    elif n_iter >= max_iter:
        message = f"max_iter={max_iter} iterations reached before the gradient criterion"
    else:
        message = f"stopped before the gradient criterion: {res.message}"

    return SolverResult(coef=coef, n_iter=n_iter, converged=converged, objective=float(res.fun),
                        history=history, message=message)
