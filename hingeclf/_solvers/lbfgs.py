"""``lbfgs``: scipy's L-BFGS-B on the fused value-and-gradient of the objective."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from ._result import SolverResult

_MAX_RESTARTS = 3


def solve_lbfgs(objective, coef0, *, tol, max_iter, verbose=0, **_):
    """Minimise a smooth objective with ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``.

    Stopping rule: ``||grad P||_inf <= tol * ||grad P(0)||_inf`` (passed to scipy as ``gtol``;
    its relative-decrease test ``ftol`` is set near machine precision so it does not stop first).
    If scipy stops for another reason (line-search failure near the precision limit) before the
    rule holds, the method restarts from the point reached, with a fresh memory, up to three
    times. ``n_iter`` counts L-BFGS iterations over all restarts. The data stay in their dtype:
    only the coefficient vector is float64 inside scipy.
    """
    g_ref = objective.gradient_scale()
    threshold = tol * g_ref
    history = []

    def fun(x):
        f, g = objective.value_gradient(x)
        return f, g.ravel().astype(np.float64)

    def callback(intermediate_result):
        history.append(float(intermediate_result.fun))

    x0 = np.asarray(coef0, dtype=np.float64).ravel()
    n_iter = 0
    res = None
    for _restart in range(_MAX_RESTARTS + 1):
        remaining = max_iter - n_iter
        if remaining <= 0 and res is not None:
            break
        res = minimize(fun, x0, jac=True, method="L-BFGS-B", callback=callback,
                       options=dict(maxiter=max(remaining, 0), gtol=threshold,
                                    ftol=64 * np.finfo(np.float64).eps, maxls=40, maxcor=20))
        n_iter += int(res.nit)
        g_norm = float(np.abs(res.jac).max(initial=0.0))
        if verbose > 1:
            print(f"[lbfgs] {res.nit} iterations, objective {res.fun:.10g}, "
                  f"|grad|_inf {g_norm:.3e} ({res.message})")
        if g_norm <= threshold or res.nit == 0:
            break
        x0 = res.x
    g_norm = float(np.abs(res.jac).max(initial=0.0))
    converged = g_norm <= threshold
    coef = res.x.astype(objective.dtype).reshape(objective.shape)
    message = ("gradient criterion met" if converged
               else f"stopped before the gradient criterion: {res.message}")
    return SolverResult(coef=coef, n_iter=n_iter, converged=converged, objective=float(res.fun),
                        history=history, message=message)
