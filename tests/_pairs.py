"""Which (estimator configuration, solver) pairs exist: one rule for every test file.

A solver that cannot minimise an estimator's loss is refused at ``fit`` with an error that names
both (tested in ``test_svm.py``); every other pair is tested. The rule is the registry's own
(:func:`hingeclf._solvers.solver_supports`), so a new solver or loss is picked up everywhere.
"""

from hingeclf._solvers import SOLVERS, solver_supports


def supports(estimator, solver, n_classes=3):
    """True when ``solver`` handles ``estimator``'s loss for ``n_classes`` classes."""
    penalty_ok = getattr(estimator, "penalty", "l2") in SOLVERS[solver].penalties
    return penalty_ok and solver_supports(solver, estimator._make_loss(n_classes))


def config_solver_pairs(configs, solvers=None, config_id=None):
    """``(config, solver)`` for every supported pair of ``(cls, params)`` configs and solvers."""
    import pytest

    solvers = list(SOLVERS) if solvers is None else solvers
    out = []
    for config in configs:
        cls, kw = config
        for solver in solvers:
            if supports(cls(**kw), solver) and supports(cls(**kw), solver, n_classes=2):
                ident = f"{config_id(config)}-{solver}" if config_id else None
                out.append(pytest.param(config, solver, id=ident))
    return out
