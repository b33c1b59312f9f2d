"""The solver layer: one registry, one result type, one entry point.

A solver is a function ``solve(objective, coef0, *, tol, max_iter, verbose, random_state, ...)``
returning a :class:`SolverResult`. It knows nothing of estimators. Its :class:`SolverSpec` says
what it needs from a loss; :func:`minimize` checks that, and routes non-smooth losses through
smoothing continuation for the solvers that need smoothness. Full-batch solvers with an
intercept run in the centred parametrisation (``CenteredObjective``). Full-batch solvers on the exact
piecewise-quadratic losses end with an exact finish (``hingeclf._solvers._finish``), and their
results are certified by the objective's suboptimality bound, or resumed until they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from typing import Callable

import threading
from contextlib import contextmanager, nullcontext

from threadpoolctl import ThreadpoolController

from .._losses import Loss
from .._objective import CenteredObjective
from ._finish import finish
from ._smoothing import solve_by_continuation
from ._path import PathStart, walk_costs, walked_result
from ._result import SolverResult, WarmStart
from .dual_cd import solve_dual_cd
from .fgd import solve_fgd
from .lbfgs import solve_lbfgs
from .newton import solve_newton
from .._lazy import announce_compiling, lazy_function

# (cd's and sgd's compiled kernels, and numba, are imported on first use: hingeclf._lazy)
solve_cd = lazy_function("hingeclf._solvers.cd", "solve_cd")
solve_sgd = lazy_function("hingeclf._solvers.sgd", "solve_sgd")

__all__ = ["SOLVERS", "SolverSpec", "SolverResult", "WarmStart", "minimize",
           "check_solver_supports", "solver_supports"]


@dataclass(frozen=True)
class SolverSpec:
    """What the registry knows of a solver.

    ``requires`` names the capabilities the solver asks of a loss: boolean properties of
    :class:`hingeclf._losses.Loss` (its ``CAPABILITIES``). ``smooth_only`` solvers need
    ``is_smooth`` and get a non-smooth but ``is_smoothable`` loss through smoothing
    continuation; ``stochastic`` solvers use ``random_state`` and support ``partial_fit``;
    ``dual`` solvers work on the dual of the objective as given (no change of variables, no
    primal finish) and certify their result by the duality gap. ``penalties`` lists the
    penalties the solver minimises (names of :func:`hingeclf._objective.make_penalty`);
    ``centred`` says whether a full-batch fit with an intercept runs in the centred
    parametrisation (coordinate solvers work on the data's own columns and do not).
    ``walks_path`` solvers start a warm fit of the exact hinge at new costs by following its
    solution path (:mod:`hingeclf._solvers._path`): the first-order ones, whose fits take
    hundreds of cheap iterations, not Newton, whose fits take tens (``python -m
    benchmarks.warm_path``, benchmarks/results/warm_path.md). ``compiled`` solvers run
    compiled kernels on every problem (the others only where the objective is ``fused``).
    """

    name: str
    function: Callable
    requires: tuple = ()
    smooth_only: bool = False
    stochastic: bool = False
    dual: bool = False
    summary: str = ""
    penalties: frozenset = frozenset({"l2"})
    centred: bool = True
    walks_path: bool = False
    compiled: bool = False

    def __post_init__(self):
        unknown = set(self.requires) - set(Loss.CAPABILITIES)
        if unknown:
            raise ValueError(f"solver {self.name!r} requires unknown loss capabilities "
                             f"{sorted(unknown)}; known: {Loss.CAPABILITIES}")


SOLVERS = {
    "fgd": SolverSpec("fgd", solve_fgd, smooth_only=True,
                      summary="accelerated (proximal) gradient with backtracking and restart",
                      penalties=frozenset({"l2", "l1", "elasticnet"}), walks_path=True),
    "lbfgs": SolverSpec("lbfgs", solve_lbfgs, smooth_only=True,
                        summary="scipy L-BFGS-B on the fused loss and gradient", walks_path=True),
    "newton": SolverSpec("newton", solve_newton, requires=("has_hessian",), smooth_only=True,
                         summary="Newton with the generalised Hessian (explicit or CG)"),
    "sgd": SolverSpec("sgd", solve_sgd, requires=("has_per_sample_terms",), stochastic=True,
                      summary="averaged mini-batch stochastic subgradient (Pegasos steps)"),
    "dual_cd": SolverSpec("dual_cd", solve_dual_cd, requires=("has_box_dual",), dual=True,
                          summary="dual coordinate descent (compiled), duality-gap stopping",
                          walks_path=True, compiled=True),
    # cd runs the smoothing continuation of the exact hinge itself (smooth_only=False), so that
    # its column access (a CSC conversion of CSR input) is built once for all the stages
    "cd": SolverSpec("cd", solve_cd, requires=("has_compiled_terms",),
                     penalties=frozenset({"l1", "elasticnet"}), centred=False, compiled=True,
                     summary="primal coordinate descent with Newton steps (L1, Yuan et al. 2010)"),
}


def check_solver_supports(solver, loss, penalty=None):
    """Raise ``ValueError`` naming both when ``solver`` cannot minimise ``loss`` (with ``penalty``).

    The loss's capabilities are checked by the names the solver's :class:`SolverSpec` lists.
    A ``smooth_only`` solver only ever sees the smoothed losses of the continuation of a
    non-smooth loss, so it is their capabilities that count.
    """
    spec = SOLVERS[solver]
    if penalty is not None and penalty.name not in spec.penalties:
        able = sorted(name for name, s in SOLVERS.items() if penalty.name in s.penalties)
        raise ValueError(f"solver={solver!r} does not support penalty={penalty.name!r} (it "
                         f"supports {', '.join(sorted(spec.penalties))}); solvers for "
                         f"penalty={penalty.name!r}: {', '.join(able)}")
    seen = loss
    if spec.smooth_only and not loss.is_smooth and loss.is_smoothable:
        seen = loss.smoothed(1.0)
    required = spec.requires + (("is_smooth",) if spec.smooth_only else ())
    missing = [name for name in required if not getattr(seen, name)]
    if missing:
        raise ValueError(f"solver={solver!r} cannot handle the {loss.name} loss: it needs "
                         f"{', '.join(missing)}, which that loss does not provide")


def solver_supports(solver, loss):
    """True when ``solver`` can minimise ``loss`` (:func:`check_solver_supports` would pass)."""
    try:
        check_solver_supports(solver, loss)
    except ValueError:
        return False
    return True


# Below this many stored entries of X, BLAS runs single-threaded during a fit: on small products
# the thread hand-off costs more than it saves (docs/design_decisions.rst, 'Single-threaded
# BLAS for small products')
SINGLE_THREAD_BELOW = 2_000_000


def _stored_entries(X):
    return X.nnz if sp.issparse(X) else X.size


_blas_lock = threading.Lock()
_blas_fits = 0  # small fits running, in any thread
# the process's thread pools, found once: finding them scans the loaded libraries, which costs
# more than a small fit (see docs/design_decisions.rst, 'Single-threaded BLAS for small products')
_blas_controller = None


def _blas_pools():
    global _blas_controller
    if _blas_controller is None:
        _blas_controller = ThreadpoolController()
    return _blas_controller


@contextmanager
def _single_blas_thread():
    """Limit BLAS to one thread during a small fit, unless another fit is running.

    BLAS limits are process-wide, and threadpoolctl lets only the thread that set an OpenBLAS
    limit change it again (limits set from other threads are silently ignored). So a limit is
    only ever set and restored by the same fit, in the same thread, with one
    ``ThreadpoolController.limit`` context: the fit that starts while no other fit runs. Fits that start
    while another runs leave the limits alone and run under whatever setting is in force (one
    thread while the first fit runs, the user's setting after it): that changes their speed
    only, never their result or the setting left behind.
    """
    global _blas_fits
    with _blas_lock:
        owner = _blas_fits == 0
        _blas_fits += 1
    try:
        if owner:
            with _blas_pools().limit(limits=1, user_api="blas"):
                yield
        else:
            yield
    finally:
        with _blas_lock:
            _blas_fits -= 1


def minimize(objective, solver, coef0, *, tol, max_iter, verbose=0, random_state=None,
             warm=None, fallback=None, **kwargs):
    """Run the registered ``solver`` on ``objective`` from ``coef0``: the one pipeline around
    every solver.

    ``warm`` is the :class:`WarmStart` of an earlier result (or None): its solver state goes
    to the solver, which uses it only if it is its own and fits the data, and its path start
    to the solvers that walk the exact hinge's path. ``fallback`` names a solver that runs
    when ``solver`` stops unconverged: on the whole objective, or, where the result solved
    the independent outputs one by one (its ``outputs``) and some converged, on each
    unconverged output's own problem only (:func:`_fallback_outputs`). Where the result has
    ``outputs`` the fallback starts from the point ``solver`` reached (and afresh from
    ``coef0`` if it does not converge from there); otherwise afresh. The steps, each in its
    own function:

    1. :func:`_solve`: check that the solver supports the loss and penalty, then run it as its
       :class:`SolverSpec` says: a dual solver as it is; a smooth-only solver on a non-smooth
       loss along the exact hinge's solution path (:func:`~._path.walk_costs`) or by
       smoothing continuation (:func:`~._smoothing.solve_by_continuation`); any other
       full-batch solver, then its exact finish (:func:`~._finish.finish`) and its
       certificate (:func:`_certify`); a stochastic solver as it is. Full-batch
       solvers with an intercept run in the centred parametrisation (:func:`_centred`).
    2. the fallback, where ``solver`` did not converge;
    3. the result's ``solver`` and ``warm`` (its solver state and the start of a path walk).

    Small fits run with one BLAS thread (:func:`_single_blas_thread`), except those of the
    stochastic solvers, which call no BLAS (setting the limit cost a ``partial_fit`` call
    about 10 ms); so do the fits of objectives that split their work over threads of their
    own (``objective.workers``, the estimators' ``n_jobs`` above 1): their threads, not
    BLAS's, use the cores.
    """
    context = (_single_blas_thread() if objective.workers.n_jobs > 1
               or (_stored_entries(objective.X) < SINGLE_THREAD_BELOW
                   and not SOLVERS[solver].stochastic) else nullcontext())
    options = dict(tol=tol, max_iter=max_iter, verbose=verbose, random_state=random_state,
                   **kwargs)
    with context:
        result = _solve(objective, solver, coef0, warm, **options)
        if fallback is not None and not result.converged:
            if verbose:
                print(f"[minimize] {solver} did not converge ({result.message}); continuing "
                      f"with {fallback}")
            if result.outputs is not None and result.outputs.converged.any():
                result = _fallback_outputs(objective, result, fallback, coef0, options)
            else:  # (no output converged: the whole problem is the fallback's)
                # from the reached point where the outputs are independent problems; afresh
                # otherwise (Crammer-Singer), where that start measured slower on some data
                # (docs/design_decisions.rst, 'Fallback')
                reached = coef0 if result.outputs is None else result.coef
                solver, result = fallback, _fallback_run(
                    lambda start: _solve(objective, fallback, start, None, **options),
                    reached, coef0)
    result.solver = solver
    result.warm = WarmStart(result.state, PathStart.after(
        objective, result, None if warm is None else warm.path))
    return result


def _fallback_run(run, reached, coef0):
    """The fallback's ``run(start)`` from the point the first solver ``reached``, which
    saves most of its work where that point is close to the optimum (``python -m
    benchmarks.small``: docs/design_decisions.rst, 'Fallback'), and afresh from ``coef0``
    where it does not converge from there."""
    result = run(reached)
    if not result.converged:
        result = run(coef0)
    return result


def _fallback_outputs(objective, result, fallback, coef0, options):
    """``result`` with each output its solver left unconverged solved by ``fallback`` (from
    that output's unconverged point, as :func:`_fallback_run` says) on that output's own
    problem (``objective.output_problem``); the outputs are independent,
    so the others' solutions, objectives and gaps stand. The result is converged when every
    output is; its ``objective`` and ``gap`` are the sums over the outputs, ``n_iter`` the
    largest of any output's, and it keeps ``solver``'s state (for a warm start)."""
    parts = result.outputs
    coef = np.array(result.coef, copy=True)
    coef0 = np.asarray(coef0).reshape(objective.shape)
    signs = objective.loss.target_signs(objective.y, objective.n_out, objective.dtype)
    redone = np.flatnonzero(~parts.converged)
    unmet = []  # how the fallback's unconverged runs stopped
    for k in redone:
        own = _fallback_run(lambda start: _solve(objective.output_problem(k, signs[:, k]),
                                                 fallback, start, None, **options),
                            coef[k:k + 1].copy(), coef0[k:k + 1])
        coef[k] = np.asarray(own.coef).reshape(-1)
        parts.objective[k] = own.objective
        parts.gap[k] = np.nan if own.gap is None else own.gap  # (nan: no certificate)
        parts.converged[k] = own.converged
        if not own.converged:
            unmet.append(f"output {k}: {own.message}")
        result.n_iter = max(result.n_iter, own.n_iter)
    result.coef = coef.astype(objective.dtype, copy=False)
    result.objective = float(parts.objective.sum())
    result.gap = None if np.isnan(parts.gap).any() else float(parts.gap.sum())
    result.converged = bool(parts.converged.all())
    result.message += (f"; {fallback} solved output(s) {redone.tolist()} again, "
                       f"{int(parts.converged[redone].sum())} of {redone.size} converged")
    if unmet:
        result.message += " (" + "; ".join(unmet) + ")"
    return result


def _solve(objective, solver, coef0, warm, *, tol, max_iter, verbose, random_state,
           **kwargs):
    """Step 1 of :func:`minimize`: one solver's run, as its :class:`SolverSpec` says."""
    check_solver_supports(solver, objective.loss, objective.penalty)
    spec = SOLVERS[solver]
    if verbose and (spec.compiled or objective.fused):
        announce_compiling(solver)
    run_options = dict(tol=tol, max_iter=max_iter, verbose=verbose,
                       random_state=random_state, **kwargs)
    path_start = None
    if warm is not None:
        run_options["warm_state"] = warm.state
        if spec.walks_path and warm.path is not None and warm.path.usable(objective):
            path_start = warm.path
    if spec.dual:
        return spec.function(objective, coef0, path_start=path_start, **run_options)
    if spec.stochastic:
        return spec.function(objective, coef0, **run_options)
    centred = _centred if spec.centred else (lambda obj, c0, run: run(obj, c0))
    if spec.smooth_only and not objective.loss.is_smooth:
        walked = 0
        if path_start is not None:
            # the exact hinge from the optimum at other costs: follow its path
            found, walked, _ = walk_costs(objective, coef0, path_start.costs,
                                          max_steps=path_start.budget(max_iter))
            if found is not None:
                return walked_result(found, walked)
        result = centred(objective, coef0, lambda obj, c0: solve_by_continuation(
            spec.function, obj, c0, **run_options))
        result.n_iter += walked
        result.walked = walked
        return result

    def run(start, inner_tol, budget, state=None):
        resume = {} if state is None else {"state": state}
        options = dict(run_options, tol=inner_tol, max_iter=budget, **resume)
        return centred(objective, start, lambda obj, c0: finish(
            obj, spec.function(obj, c0, **options), inner_tol))
    result = _certify(objective, run, run(coef0, tol, max_iter), tol, max_iter)
    result.state = None  # (what a resumed run would reuse; not kept with the model)
    return result


# a primal solver's gradient rule can be met far from the optimum on badly scaled data
# (docs/design_decisions.rst, 'Smoothing continuation and face solves'): the certificate is
# checked, and the solve resumed with a tighter rule, at most this often
MAX_REFINES = 4
REFINE_FACTOR = 1e-2


def _certify(objective, run, result, tol, max_iter):
    """Certify a primal solver's result by the objective's suboptimality bound, or resume the
    solver until it is certified.

    Where the objective offers a bound (:meth:`~hingeclf._objective.Objective.suboptimality_bound`:
    the duality gap of the squared and smoothed losses of the family, ``||grad P||^2 / 2`` for
    the all-pairs loss), the result counts as converged exactly when ``bound <= tol * P``, which
    is reported as its ``gap``. Otherwise, where the solver's own rule was met, it resumes from
    the result (``run(coef, inner_tol, budget, state)``, at most :data:`MAX_REFINES` times within
    ``max_iter``) with its rule
    tightened by :data:`REFINE_FACTOR`, or to the rule the bound names
    (:meth:`~hingeclf._objective.Objective.gradient_rule_for`) where that is tighter. Results
    already certified (an exact face solve, or the continuation of the non-smooth losses, which
    stops on its own certified gap) are returned as they are.
    """
    if result.gap is not None:
        return result
    certificate = objective.suboptimality_bound(result.coef, result.objective)
    if certificate is None:
        return result
    n_iter, inner_tol = result.n_iter, tol
    for attempt in range(MAX_REFINES + 1):
        gap, primal = certificate
        target = tol * max(abs(primal), np.finfo(np.float64).tiny)
        if (gap <= target or attempt == MAX_REFINES or n_iter >= max_iter
                or not result.converged or not np.isfinite(gap)):
            break  # certified, or out of budget, or stalled: a resume would not fix a stall
        inner_tol *= REFINE_FACTOR
        rule = objective.gradient_rule_for(target)
        if rule is not None:
            inner_tol = min(inner_tol, rule)
        result = run(result.coef, inner_tol, max_iter - n_iter, result.state)
        n_iter += result.n_iter
        if result.gap is not None:  # certified by its finish
            result.n_iter = n_iter
            return result
        certificate = objective.suboptimality_bound(result.coef, result.objective)
    result.n_iter = n_iter
    result.gap = max(gap, 0.0)
    result.objective = primal
    result.converged = bool(gap <= target)
    if result.converged:
        result.message += "; certified: the suboptimality bound is below tol * P"
    else:
        result.message += (f"; the suboptimality bound {gap:.3e} exceeds tol * P = "
                           f"{target:.3e}")
        if n_iter >= max_iter:
            result.message += f" (max_iter={max_iter} reached)"
    return result


def _centred(objective, coef0, run):
    """Run a full-batch solve in the centred parametrisation and map the result back."""
    if not objective.fit_intercept:
        return run(objective, coef0)
    centred = CenteredObjective(objective)
    result = run(centred, centred.from_base(coef0))
    result.coef = centred.to_base(result.coef)
    return result
