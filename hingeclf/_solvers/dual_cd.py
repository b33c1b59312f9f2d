"""``dual_cd``: dual coordinate descent (Hsieh et al. 2008) with a duality-gap certificate.

For the binary and one-vs-rest losses (hinge, its Huberised smoothing, squared hinge). Each
binary problem ``k`` has the dual of the user guide's :ref:`math-duals`, in the variables
``a_i = c_i mu_i``::

    min_a  1/2 ||sum_i a_i y_i x_i||^2 + 1/2 sum_i diag_i a_i^2 - sum_i a_i
    s.t.   0 <= a_i <= upper_i,   sum_i a_i y_i = 0  (only with an intercept)

    hinge (smoothing gamma >= 0): upper_i = c_i,   diag_i = gamma / c_i
    squared hinge:                upper_i = inf,   diag_i = 1 / (2 c_i)

with ``w = sum_i a_i y_i x_i``. The intercept's equality constraint is handled by the method of
multipliers (see the user guide, :ref:`math-intercept`): the multiplier is the intercept ``b``,
the penalty ``rho`` is 0.1 times the mean squared row norm (the scale of ``Q``'s diagonal), and ``b``
moves after every epoch. Nothing of the objective is changed: the result is the optimum of the
problem with an unpenalised intercept.

Stopping rule, per binary problem: the relative duality gap ``(P - D) / P <= tol``, where
``P = P(w, b*)`` with ``b*`` the exact minimiser over the intercept for the current ``w``, and
``D`` is the dual value at the current ``a`` made feasible for ``sum a y = 0`` by scaling down
the larger class's side (every ``a`` stays in its box, so ``D <= P*``). The gap is checked each
time the compiled epochs stop: when the projected-gradient spread of an epoch falls below
``eps`` (LIBLINEAR's rule, ``eps`` starting at 0.1 and divided by 10 each time the gap does not
certify yet) or after a budget of epochs that doubles. At a check, the exact solve on the face of
the current dual point (:func:`~hingeclf._solvers._face.polish_on_face`) is tried once that face
has settled (each variable at the same bound, or strictly inside, as at the previous check) and
its solve has not failed already, and always at a certified gap or the last check. ``n_iter``
counts epochs (the largest over the one-vs-rest problems, as scikit-learn's ``LinearSVC``);
``max_iter`` bounds them per problem.
The result reports each problem's objective, gap and convergence (``outputs``), so that a
fallback solver can continue only the problems left unconverged.

Warm start: the result carries the dual point it ended at (``DualState``: the dual
variables over the costs, ``mu = a / c``, and the costs; after an exact face finish, the
optimum's, from its margins). Passed back as ``dual_state`` for the same data (same labels and
row norms), the next fit starts from it as :func:`_warm_alpha` maps it to the new costs (the
squared and smoothed hinges' variables scale with the cost, the hinge's are kept), with the
intercepts of ``coef0``; otherwise a warm ``coef0`` is turned into dual variables by the loss's
derivative. Before either, a fit of the hinge given ``path_start`` (the costs at which ``coef0``
is optimal, and a budget) follows the solution path from those costs to the new ones
(:mod:`hingeclf._solvers._path`); the epochs start only where that walk gives up, and ``n_iter``
counts its face solves besides them (``max_iter`` bounds the epochs). A warm point is checked (gap
and face finish) before the first epoch; from a dual state, the binary problems' face finish
starts from the previous optimum's face. The stopping rule is the same as for a cold start.
``python -m benchmarks.warm_path`` compares warm and cold paths of ``C``
(``benchmarks/results/warm_path.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._lazy import lazy_function, lazy_module
from .._certificate import circulation_scale
from ._face import polish_on_face, tie_tolerance
from ._finish import FINISH_MAX_FREE, polish_result
from ._path import WALK_PROBE, walk_costs, walked_result
from ._result import OutputParts, SolverResult

# the compiled kernels (and numba) are imported on their first use (hingeclf._lazy)
kernels = lazy_module("hingeclf._solvers._dual_kernels")
terms = lazy_function("hingeclf._loss_kernels", "terms")

EPS_START = 0.1
EPS_FACTOR = 0.1
EPS_MIN = 1e-14
CHUNK_START = 10
CHUNK_MAX = 640
# passes of the Crammer-Singer kernel between two checks of the gap: a check costs about one
# pass, and the shrinking state carries over
CS_CHUNK_MAX = 20
# up to this many entries (samples times classes) the face is tried at every check: the solve
# is cheap there (on digits, 18k entries, a failed one cost about 0.2 s)
CS_FACE_EVERY_CHECK = 2000
# a warm Crammer-Singer fit walks the solution path only after a fit whose own work took at
# least this many passes (twice the walk's probe). Along tests/test_dual_cd.py's path of C on
# iris with an intercept, walks that gave up cost 11 solves each: warm 141 passes against cold
# 98; without them, and with b = 0 at new costs, 62 against 98 (warm 86 with the old b)
CS_WALK_MIN_PASSES = 2 * WALK_PROBE
# the augmented Lagrangian's penalty, relative to the mean squared row norm (why 0.1:
# docs/design_decisions.rst, 'Dual coordinate descent kernels')
RHO_FACTOR = 0.1



@dataclass
class DualState:
    """The dual point a ``dual_cd`` fit ended at, kept for a warm start.

    ``mu`` holds the dual variables over the costs, ``alpha / c`` (shape ``(n_samples, n_out)``
    for the binary and one-vs-rest problems, ``(n_samples, K)`` for Crammer-Singer), and
    ``costs`` the costs ``c`` of that fit; :func:`_warm_alpha` maps them to a new ``C`` or new
    sample weights (the intercepts, the multipliers of the constraints
    ``sum_i alpha_i y_i = 0``, come with the previous coefficients). ``targets`` and ``norms``
    (the encoded labels and the squared row norms) identify the data: a state from other data
    is not used.
    """

    loss: object
    fit_intercept: bool
    mu: np.ndarray
    costs: np.ndarray
    targets: np.ndarray
    norms: np.ndarray

    def matches(self, objective, norms):
        """True when this state belongs to ``objective``'s data and loss."""
        return (self.loss == objective.loss and self.fit_intercept == objective.fit_intercept
                and self.mu.shape[0] == objective.n_samples
                and self.targets.shape == np.shape(objective.y)
                and np.array_equal(self.targets, np.asarray(objective.y))
                and np.allclose(self.norms, norms, rtol=1e-10, atol=0.0))


def kernel_matrix(X):
    """``X`` as the compiled kernels take it: a dense array as is, CSR as its three arrays.

    CSC is converted to CSR (a copy: dual coordinate descent reads rows).
    """
    if sp.issparse(X):
        X = X.tocsr() if X.format != "csr" else X
        return (X.data, X.indices, X.indptr)
    return X


def best_intercept(r, y, c, power, gamma, b0):
    """The exact minimiser over ``b`` of ``sum_i c_i loss(y_i (r_i + b))``.

    With ``t_i = y_i - r_i`` the violation is ``y_i (t_i - b)``, active for ``b < t_i``
    (``y_i = +1``) or ``b > t_i`` (``y_i = -1``); the derivative in ``b`` is monotone and
    piecewise constant (hinge) or piecewise linear (squared hinge) between the sorted ``t``, so
    one sort and cumulative sums locate its zero (the middle of the interval of minimisers when
    the hinge's is not unique). The Huberised hinge has twice the
    breakpoints; it is minimised by a bounded scalar search instead. ``b0`` is returned when no
    minimiser exists (all weight on one side).
    """
    keep = c > 0
    t = (y - r)[keep]
    yk = y[keep]
    ck = c[keep]
    pos = yk > 0
    if not pos.any() or pos.all():
        return b0
    if power == 1 and gamma > 0:
        from scipy.optimize import minimize_scalar

        def f(b):
            return float(np.dot(ck, terms(yk * (t - b), 1, gamma)[0]))
        lo, hi = float(t.min()) - gamma, float(t.max()) + gamma
        return float(minimize_scalar(f, bounds=(lo, hi), method="bounded",
                                     options=dict(xatol=1e-12 * max(1.0, abs(lo), abs(hi)))).x)
    order = np.argsort(t, kind="stable")
    t, pos, ck = t[order], pos[order], ck[order]
    c_pos = np.where(pos, ck, 0.0)
    c_neg = ck - c_pos
    # interval j = (t_{j-1}, t_j), j = 0 .. m: negatives with index < j and positives with
    # index >= j are active
    neg_before = np.concatenate([[0.0], np.cumsum(c_neg)])
    pos_after = np.concatenate([[0.0], np.cumsum(c_pos[::-1])])[::-1]
    if power == 1:
        slope = neg_before - pos_after  # f'(b) on each interval, nondecreasing
        j = int(np.searchsorted(slope, 0.0, side="left"))
        # f' < 0 left of t_{j-1}, >= 0 right of it: the minimum is at that breakpoint, or, when
        # f' is exactly 0 on the next interval, anywhere on it: take its middle
        left = float(t[max(j - 1, 0)])
        if j < len(slope) - 1 and slope[j] == 0.0:
            return 0.5 * (left + float(t[j]))
        return left
    ct = ck * t
    a = neg_before + pos_after  # sum of active c per interval
    bsum = (np.concatenate([[0.0], np.cumsum(np.where(pos, 0.0, ct))])
            + np.concatenate([[0.0], np.cumsum(np.where(pos, ct, 0.0)[::-1])])[::-1])
    # f'(b) = 2 (a b - bsum) on each interval: its root if it falls inside
    with np.errstate(divide="ignore", invalid="ignore"):
        root = bsum / a
    lo = np.concatenate([[-np.inf], t])
    hi = np.concatenate([t, [np.inf]])
    inside = (a > 0) & (root >= lo) & (root <= hi)
    if inside.any():
        return float(root[np.flatnonzero(inside)[0]])
    return b0  # pragma: no cover - f' is continuous and changes sign


def _binary_gap(Xk, n, y, c, upper, diag, alpha, w, w_raw, b0, fit_intercept, power, gamma):
    """``(P, D, b)``: ``P`` at the primal ``w`` with its best intercept, ``D`` at ``alpha`` made
    feasible; ``w_raw = sum_i alpha_i y_i x_i`` (see the module docstring)."""
    r = kernels.rows_dot(Xk, w, n)
    b = best_intercept(r, y, c, power, gamma, b0) if fit_intercept else 0.0
    primal = 0.5 * float(np.dot(w, w)) + float(np.dot(c, terms(1.0 - y * (r + b),
                                                                  power, gamma)[0]))
    feasible = alpha
    w_dual = w_raw  # on the constraint, centred and raw rows give the same weights
    if fit_intercept:
        pos = y > 0
        s_pos = float(alpha[pos].sum())
        s_neg = float(alpha[~pos].sum())
        if s_pos != s_neg:
            big = pos if s_pos > s_neg else ~pos
            ratio = min(s_pos, s_neg) / max(s_pos, s_neg)
            shrink = np.where(big, alpha * (ratio - 1.0), 0.0)
            feasible = alpha + shrink
            w_dual = w_raw.copy()
            kernels.weighted_row_sum(Xk, shrink * y, w_dual)
    dual = (float(feasible.sum()) - 0.5 * float(np.dot(w_dual, w_dual))
            - 0.5 * float(np.dot(diag, feasible * feasible)))
    return primal, dual, b


def _initial_alpha(y, c, raw, power, gamma):
    """The dual point implied by a primal one: ``a_i = c_i`` times the loss's derivative."""
    return c * terms(1.0 - y * raw, power, gamma)[1]


# the sample order of every epoch is a pseudo-random permutation drawn from this fixed seed (plus
# the epoch's number): the solver is full-batch, so its result must not depend on random_state
ORDER_SEED = 0


def _centring(X, Xk, n, d, fit_intercept):
    """``(m, xm, ||x_i - m||^2)``: the mean row (zero without intercept) and what the kernels
    need to centre the rows implicitly."""
    norms = kernels.row_norms2(Xk, n)
    if not fit_intercept:
        return np.zeros(d), np.zeros(n), norms
    center = np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
    xm = kernels.rows_dot(Xk, center, n)
    return center, xm, np.maximum(norms - 2.0 * xm + float(np.dot(center, center)), 0.0)


def _penalty_rho(norms, c, fit_intercept):
    if not fit_intercept:
        return 0.0
    scale = float(norms[c > 0].mean()) if np.any(c > 0) else 1.0
    return RHO_FACTOR * max(scale, 1e-300)


def solve_dual_cd(objective, coef0, *, tol, max_iter, verbose=0, random_state=None,
                  warm_state=None, path_start=None, **_):
    """Minimise by dual coordinate descent; see the module docstring for the rule.

    ``random_state`` is accepted and ignored: the sample order comes from :data:`ORDER_SEED`,
    so that, as for the other full-batch solvers, the model depends on the data and the
    parameters only. ``warm_state`` is an earlier fit's :class:`DualState`, used when it
    belongs to this data and loss.
    """
    dual_state = warm_state
    if objective.loss.has_multi_piece_terms:
        return _solve_crammer_singer(objective, coef0, tol=tol, max_iter=max_iter,
                                     verbose=verbose, seed=ORDER_SEED, dual_state=dual_state,
                                     path_start=path_start)
    loss = objective.loss
    X = objective.X
    n, d = objective.n_samples, objective.n_features
    Xk = kernel_matrix(X)
    c = np.asarray(objective.weights, dtype=np.float64)
    upper, diag = loss.dual_box(c)
    fit_intercept = objective.fit_intercept
    center, xm, norms = _centring(X, Xk, n, d, fit_intercept)
    rho = _penalty_rho(norms, c, fit_intercept)
    qd = norms + diag + rho
    targets = loss.target_signs(objective.y, objective.n_out, np.float64)
    coef0 = np.asarray(coef0).reshape(objective.shape)
    warm = bool(np.any(coef0))
    from_state = _usable(dual_state, objective, norms)
    alpha_state = _warm_alpha(dual_state, c, loss) if from_state else None
    done, walked = _walk(objective, coef0, path_start, max_iter, norms)
    if done is not None:
        return done
    raw0 = objective.raw(coef0) if warm and not from_state else None
    seed = ORDER_SEED
    tie = tie_tolerance(objective.dtype)

    coef = np.zeros(objective.shape)
    mu_out = np.zeros((n, objective.n_out))
    safe_c = np.where(c > 0, c, 1.0)
    exact_faces = 0
    out_p = np.zeros(objective.n_out)
    out_gap = np.zeros(objective.n_out)
    out_converged = np.ones(objective.n_out, dtype=bool)
    n_iter = 0
    messages = []

    def solve_output(k):
        """One output's binary problem: ``(w, b, primal, dual, epochs, exact, unmet)``
        (``unmet``: the message of a problem left unconverged, else None). It writes column
        ``k`` of ``mu_out`` only, so the outputs run over the objective's workers."""
        exact, unmet = None, None
        y = np.ascontiguousarray(targets[:, k])
        column = objective.output_problem(k, y)
        if from_state:
            alpha = np.minimum(np.maximum(alpha_state[:, k], 0.0), upper)
        elif warm:
            alpha = _initial_alpha(y, c, raw0[:, k].astype(np.float64),
                                   *loss.kernel_parameters)
        else:
            alpha = np.zeros(n)
        # the kernel's intercept is that of the centred rows: b + m . w
        b0 = (float(coef0[k, -1]) + float(np.dot(center, coef0[k, :d]))
              if warm and fit_intercept else 0.0)
        w = np.zeros(d)
        kernels.weighted_row_sum(Xk, alpha * y, w)
        state = np.array([b0, float(np.dot(alpha, y))])
        eps, chunk, epochs = EPS_START, CHUNK_START, 0
        met = False
        check_first = warm or from_state
        last_face = failed_face = None
        while True:
            # a fit from a dual state guesses the previous optimum's face first (mu itself:
            # the hinge's kept variables a = mu c_old, over the new costs, would mark the
            # terms at their bound as free)
            face = dual_state.mu[:, k] if check_first and from_state else None
            if not check_first:
                # (a warm start is checked before its first epoch: it may be optimal already)
                budget = min(chunk, max_iter - epochs)
                ran, met = kernels.binary_dual_cd(Xk, y, upper, diag, qd, alpha, w, state, rho,
                                                  eps, budget, seed + epochs, center, xm)
                epochs += ran
            check_first = False
            w_primal = w - state[1] * center  # the centred weights
            primal, dual, b = _binary_gap(Xk, n, y, c, upper, diag, alpha, w_primal, w,
                                          state[0] - float(np.dot(center, w_primal)),
                                          fit_intercept, *loss.kernel_parameters)
            gap = primal - dual
            if verbose > 1:
                print(f"[dual_cd] problem {k}: {epochs} epochs, eps {eps:.1e}, primal "
                      f"{primal:.10g}, gap {gap:.3e}")
            certified = gap <= tol * max(primal, np.finfo(np.float64).tiny)
            # the face of the current dual point may be the optimum's: solved exactly there
            # (verified) when it is small, whether the gap already certifies or not; tried
            # once the face has settled (the same as at the previous check), as a face solve
            # costs as much as several epochs and corrects a rough face a piece at a time
            kernel_face = _face_signature(alpha, upper)
            # (a settled face whose solve failed is not solved again until it changes)
            settled = (face is not None or certified or epochs >= max_iter
                       or (np.array_equal(kernel_face, last_face)
                           and not np.array_equal(kernel_face, failed_face)))
            last_face = kernel_face
            if face is None:
                face = alpha / safe_c
            exact = (polish_on_face(column, _column_coef(w_primal, b, fit_intercept),
                                    face[:, None], max_free=FINISH_MAX_FREE)
                     if settled else None)
            if exact is None and settled:
                failed_face = kernel_face
            if exact is None and certified:
                mu_out[:, k] = alpha / safe_c
                break
            if exact is not None:
                col_coef, primal, gap, _ = exact
                w_primal = col_coef[0, :d].astype(np.float64)
                b = float(col_coef[0, d]) if fit_intercept else 0.0
                dual = primal - gap
                # keep the optimum's dual point (the kernel's may be far from it)
                raw = kernels.rows_dot(Xk, w_primal, n) + b
                mu_out[:, k] = _mu_at_optimum(y, c, raw, alpha / safe_c, loss, tie)
                break
            if epochs >= max_iter:
                unmet = (f"max_iter={max_iter} epochs reached in problem {k} with "
                         f"relative gap {gap / max(primal, 1e-300):.3e} > tol")
                mu_out[:, k] = alpha / safe_c
                break
            if met:
                eps = max(eps * EPS_FACTOR, EPS_MIN)
            if epochs > 0:
                chunk = min(2 * chunk, CHUNK_MAX)
        return w_primal, b, primal, dual, epochs, exact is not None, unmet

    # (the outputs' results combined in output order: the same whatever the threads)
    for k, (w_primal, b, primal, dual, epochs, exact, unmet) in enumerate(
            objective.workers.map(solve_output, range(objective.n_out))):
        coef[k, :d] = w_primal
        if fit_intercept:
            coef[k, d] = b
        out_p[k] = primal
        out_gap[k] = primal - dual
        n_iter = max(n_iter, epochs)
        exact_faces += int(exact)
        if unmet is not None:
            out_converged[k] = False
            messages.append(unmet)
    message = "; ".join(messages) if messages else "relative duality gap below tol"
    if exact_faces:
        message += f"; {exact_faces} problem(s) finished exactly on their face"
    total_p = float(out_p.sum())
    return SolverResult(coef=coef.astype(objective.dtype), n_iter=max(n_iter, 1) + walked,
                        walked=walked, converged=bool(out_converged.all()), objective=total_p,
                        history=[total_p], gap=float(out_gap.sum()), message=message,
                        state=_state(objective, mu_out, norms),
                        outputs=OutputParts(out_p, out_gap, out_converged))


def _face_signature(alpha, upper):
    """Each dual variable's place: 0 at its lower bound, 2 at its upper bound, 1 between."""
    return (alpha > 0).view(np.int8) + (alpha >= upper).view(np.int8)


def _warm_alpha(state, c, loss, y=None):
    """The dual variables that start a fit with costs ``c`` from an earlier fit's ``state``.

    The squared and the smoothed hinge scale them with the costs, ``a = mu c`` (at unchanged
    margins ``a = 2 c u`` and ``a = c u / gamma``): then ``w`` grows with ``C``, as their
    solutions do. The hinge keeps them, ``a = mu c_old``, scaled into a smaller new box where
    needed (by rows for Crammer-Singer, whose entries sum to 0): its free terms are fixed by
    their margins, not by the cost. Keeping them took the fewest epochs along the hinge paths
    of ``tests/test_dual_cd.py`` (docs/design_decisions.rst, 'Dual coordinate descent kernels').
    """
    mu = state.mu
    if not loss.is_piecewise_linear:
        return mu * c[:, None]
    kept = mu * state.costs[:, None]
    if y is None:  # binary and one-vs-rest: one variable per term, in [0, c]
        return np.minimum(kept, c[:, None])
    top = kept[np.arange(mu.shape[0]), y]  # Crammer-Singer: the row's largest entry, <= c
    shrink = np.where(top > c, c / np.where(top > 0, top, 1.0), 1.0)
    return kept * shrink[:, None]


def _walk(objective, coef0, path_start, max_iter, norms):
    """``(result, n_solves)``: the exact hinge's optimum at the new costs, reached by following
    its solution path from ``path_start``'s costs, where ``coef0`` is the optimum
    (:func:`~hingeclf._solvers._path.walk_costs`); the result is None where there is no walk
    or it gives up (``n_solves`` face solves were spent, counted in ``n_iter``)."""
    if path_start is None:
        return None, 0
    found, walked, mu = walk_costs(objective, coef0, path_start.costs,
                                   max_steps=path_start.budget(max_iter))
    if found is None:
        return None, walked
    if objective.loss.has_multi_piece_terms:
        # the state holds alpha / c: the violation entries' weights negated, and their sum at
        # the sample's class
        rows = np.arange(mu.shape[0])
        y = np.asarray(objective.y, dtype=np.intp)
        total = mu.sum(axis=1)
        mu = -mu
        mu[rows, y] = total
    result = walked_result(found, walked)
    result.state = _state(objective, mu, norms)
    return result, walked


def _state(objective, mu, norms):
    loss = objective.loss
    return DualState(loss=loss, fit_intercept=objective.fit_intercept, mu=mu,
                     costs=np.array(objective.weights, dtype=np.float64, copy=True),
                     targets=np.array(objective.y, copy=True), norms=norms)


def _usable(dual_state, objective, norms):
    """True when ``dual_state`` (an earlier fit's) can start this one (:meth:`DualState.matches`)."""
    return (isinstance(dual_state, DualState) and dual_state.matches(objective, norms)
            and dual_state.mu.shape[1] == objective.n_out)


def _mu_at_optimum(y, c, raw, mu_kernel, loss, tie):
    """The dual variables over ``c`` at an exact optimum with decision values ``raw``.

    They follow from the margins (``mu = -loss'(z)``): ``2 max(u, 0)`` for the squared hinge,
    ``clip(u / gamma, 0, 1)`` for the smoothed hinge, ``1[u > 0]`` for the hinge, with
    ``u = 1 - y raw``; except for the hinge's ties (``|u| <= tie``, the free support vectors),
    whose value the margins do not fix: the kernel's ``mu_kernel`` (clipped to ``[0, 1]``)
    is kept there.
    """
    u = 1.0 - y * raw
    mu = _initial_alpha(y, c, raw, *loss.kernel_parameters) / np.where(c > 0, c, 1.0)
    if loss.is_piecewise_linear:
        mu = np.where(np.abs(u) <= tie, np.clip(mu_kernel, 0.0, 1.0), mu)
    return np.where(c > 0, mu, 0.0)


def _column_coef(w, b, fit_intercept):
    return (np.append(w, b) if fit_intercept else w.copy())[None, :]


def _finish_exactly(objective, result, mu):
    """Replace the result by the exact optimum when the dual point identifies its face.

    ``mu`` (the dual variables over ``c``) says which pieces of each term are active; when the
    face is small enough (:data:`FINISH_MAX_FREE` free entries), :func:`polish_on_face` solves
    the problem exactly on it and verifies the optimality conditions and the duality gap.
    Otherwise the gap-certified result stands.
    """
    return polish_result(objective, result, mu, "face identified")


def _crammer_singer_feasible(alpha, y, K):
    """Scale ``alpha`` down to meet ``sum_i alpha_ik = 0`` for every class ``k``.

    Read ``-alpha_ik`` (``k != y_i``) as a flow from class ``y_i`` to class ``k``; the
    constraints say every class's inflow equals its outflow (a circulation). The largest
    circulation within the current class-to-class flows is a small linear program (K^2
    variables); each flow ``a -> k`` is scaled by its share of it, and ``alpha_iy`` follows
    from ``sum_k alpha_ik = 0``. Every variable stays within its bounds, so the dual value at
    the result bounds the optimum from below.
    """
    flows = np.zeros((K, K))
    np.add.at(flows, y, -alpha)
    np.fill_diagonal(flows, 0.0)
    scale = circulation_scale(flows)
    rows = np.arange(alpha.shape[0])
    out = alpha * scale[y]
    out[rows, y] = 0.0
    out[rows, y] = -out.sum(axis=1)
    return out


def _crammer_singer_box(alpha, y, c):
    """``alpha`` brought into its box: ``alpha_ik <= 0`` off the true class, each row scaled so
    that ``alpha_iy = -sum_{k != y_i} alpha_ik <= c_i``.

    The kernel's updates are differences of O(1) gradients divided by ``||x_i||^2``: at a tiny
    ``C`` their rounding is large against ``c_i`` (measured: rows at ``1 + 3e-5`` times
    ``c_i``, C = 1e-12), and a point outside the box does not bound the optimum from below.
    """
    rows = np.arange(alpha.shape[0])
    out = np.minimum(alpha, 0.0)
    out[rows, y] = 0.0
    total = -out.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = np.where(total > c, c / total, 1.0)
    out *= np.where(c > 0, shrink, 0.0)[:, None]
    out[rows, y] = -out.sum(axis=1)
    return out


def _solve_crammer_singer(objective, coef0, *, tol, max_iter, verbose, seed, dual_state=None,
                          path_start=None):
    """The sequential dual method (:func:`kernels.crammer_singer_dual_cd`) with the gap rule."""
    X = objective.X
    n, d, K = objective.n_samples, objective.n_features, objective.n_out
    Xk = kernel_matrix(X)
    y = np.asarray(objective.y, dtype=np.intp)
    c = np.asarray(objective.weights, dtype=np.float64)
    fit_intercept = objective.fit_intercept
    center, xm, norms = _centring(X, Xk, n, d, fit_intercept)
    rho = _penalty_rho(norms, c, fit_intercept)
    qd = norms + rho
    rows = np.arange(n)
    coef0 = np.asarray(coef0).reshape(objective.shape)
    alpha = np.zeros((n, K))
    b = np.zeros(K)
    warm = bool(np.any(coef0))
    if path_start is not None and path_start.n_iter < CS_WALK_MIN_PASSES:
        # a walk that gives up has spent WALK_PROBE face solves, each costlier than a pass
        path_start = None
    done, walked = _walk(objective, coef0, path_start, max_iter, norms)
    if done is not None:
        return done
    new_costs = False
    if _usable(dual_state, objective, norms):
        alpha = _warm_alpha(dual_state, c, objective.loss, y)
        new_costs = not np.array_equal(dual_state.costs, c)
    elif warm:
        # the dual point of the warm primal: +c_i at y_i, -c_i at the largest violation
        v = objective.loss.violations(y, objective.raw(coef0))
        j = np.argmax(v, axis=1)
        on = (v[rows, j] > 0) & (c > 0)
        alpha[rows[on], y[on]] = c[on]
        alpha[rows[on], j[on]] = -c[on]
    W = np.zeros((d, K))
    kernels.weighted_row_sum_multi(Xk, alpha, W)
    WT = np.ascontiguousarray(W.T)  # the kernel's layout: one row per class
    ssum = alpha.sum(axis=0)
    if warm and fit_intercept and not new_costs:
        # the multipliers whose effective intercepts b + rho ssum - w . m are the warm ones
        # (from a dual state at other costs b starts at 0: CS_WALK_MIN_PASSES's measurement)
        b = (coef0[:, -1].astype(np.float64) + coef0[:, :d].astype(np.float64) @ center
             - rho * ssum)
    eps, chunk, epochs, passes = EPS_START, CHUNK_START, 0, 0.0
    converged = met = False
    tie = tie_tolerance(objective.dtype)
    safe_c = np.where(c > 0, c, 1.0)[:, None]
    check_first = warm
    last_face = None
    shrink = kernels.crammer_singer_shrink_state(n, K)
    while True:
        if not check_first:
            # (a warm start is checked before its first epoch: it may be optimal already)
            budget = min(chunk, max_iter - passes)
            ran, work, met = kernels.crammer_singer_dual_cd(Xk, y, c, qd, alpha, WT, b, ssum,
                                                            rho, eps, budget, seed + epochs,
                                                            center, xm, *shrink)
            epochs += ran
            passes += work
        check_first = False
        # the primal point: centred weights and the multipliers' intercepts, in X's coordinates
        W = WT.T
        w_primal = (W - center[:, None] * ssum[None, :]).T
        coef = w_primal
        if fit_intercept:
            b_eff = b + rho * ssum - w_primal @ center
            coef = np.hstack([w_primal, b_eff[:, None]])
        primal = objective.value(coef.astype(objective.dtype))
        feasible = _crammer_singer_box(alpha, y, c)
        if fit_intercept:
            feasible = _crammer_singer_feasible(feasible, y, K)
        W_dual = np.ascontiguousarray(W)  # (a copy)
        if fit_intercept:
            kernels.weighted_row_sum_multi(Xk, feasible - alpha, W_dual)
        dual = float(np.sum(feasible[rows, y])) - 0.5 * float(np.sum(W_dual * W_dual))
        gap = primal - dual
        if verbose > 1:
            print(f"[dual_cd] crammer_singer: {epochs} epochs ({passes:.1f} passes), eps "
                  f"{eps:.1e}, primal {primal:.10g}, gap {gap:.3e}")
        converged = gap <= tol * max(primal, np.finfo(np.float64).tiny)
        # the face of the current dual point, solved exactly when it is the previous check's
        # too (identified: on larger data a face solve that fails costs several epochs' time),
        # at every check of a warm fit (near the previous optimum's face, as on a path of C)
        # and of a small problem (CS_FACE_EVERY_CHECK entries at most)
        mu = _cs_mu(alpha, c, y)
        face = _cs_face_key(mu)
        if face == last_face or warm or n * K <= CS_FACE_EVERY_CHECK:
            exact = _finish_exactly(objective, SolverResult(
                coef=coef.astype(objective.dtype), n_iter=_passes(passes), converged=False,
                objective=primal, history=[primal], gap=gap, message=""), mu)
            if exact.converged:
                exact.n_iter += walked
                exact.walked = walked
                exact.message = "face identified, optimality verified"
                mu = _cs_alpha_at_optimum(objective, exact.coef, alpha, tie) / safe_c
                exact.state = _state(objective, mu, norms)
                return exact
        last_face = face
        if converged or passes >= max_iter:
            break
        if met:
            # the next stage starts from every entry (the met state may have shrunk them all)
            eps = max(eps * EPS_FACTOR, EPS_MIN)
            shrink = kernels.crammer_singer_shrink_state(n, K)
        if epochs > 0:
            chunk = min(2 * chunk, CS_CHUNK_MAX)
    message = ("relative duality gap below tol" if converged else
               f"max_iter={max_iter} passes reached with relative gap "
               f"{gap / max(primal, 1e-300):.3e} > tol")
    result = SolverResult(coef=coef.astype(objective.dtype), n_iter=_passes(passes) + walked,
                          converged=converged, objective=primal, history=[primal], gap=gap,
                          message=message, walked=walked)
    if not converged:
        finished = _finish_exactly(objective, result, mu)
        if finished is not result:  # the exact optimum: keep its dual point
            alpha = _cs_alpha_at_optimum(objective, finished.coef, alpha, tie)
        result = finished
    result.state = _state(objective, alpha / safe_c, norms)
    return result


def _passes(passes):
    """``n_iter`` of a Crammer-Singer fit: its work in passes over the data, rounded up."""
    return max(int(np.ceil(passes - 1e-9)), 1)


def _cs_face_key(mu):
    """Which violation entries have a weight and which are at their bound: the face."""
    return (np.packbits(mu > 0.0).tobytes(), np.packbits(mu >= 1.0).tobytes())


def _cs_alpha_at_optimum(objective, coef, alpha_kernel, tie):
    """The Crammer-Singer dual variables at an exact optimum ``coef``.

    A sample whose largest violation ``v`` is below ``-tie`` has ``alpha_i = 0``; one whose
    largest violation exceeds ``tie`` and the runner-up by more than ``tie`` has ``c_i`` at
    its class and ``-c_i`` at that violation. The others (ties, the free support vectors) keep
    the kernel's ``alpha_kernel``, which the margins do not fix.
    """
    y = np.asarray(objective.y, dtype=np.intp)
    c = np.asarray(objective.weights, dtype=np.float64)
    n = y.shape[0]
    rows = np.arange(n)
    v = objective.loss.violations(y, objective.raw(coef)).astype(np.float64)
    v[rows, y] = -np.inf
    order = np.argsort(v, axis=1)
    top_j = order[:, -1]
    top = v[rows, top_j]
    second = v[rows, order[:, -2]] if v.shape[1] > 2 else np.full(n, -np.inf)
    out = alpha_kernel.copy()
    zero = (top < -tie) | (c <= 0)
    out[zero] = 0.0
    on = (top > tie) & (second < top - tie) & (c > 0)
    out[on] = 0.0
    out[rows[on], y[on]] = c[on]
    out[rows[on], top_j[on]] = -c[on]
    return out


def _cs_mu(alpha, c, y):
    """The weights of the violation entries, ``-alpha_ik / c_i`` off the true class."""
    mu = -alpha / np.where(c > 0, c, 1.0)[:, None]
    mu[np.arange(len(y)), y] = 0.0
    return np.clip(mu, 0.0, 1.0)
