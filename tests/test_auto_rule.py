"""The rule of ``solver="auto"`` as the estimators' docstrings state it is the rule the code applies.

The ``solver`` parameter of each estimator shows a table (``_AUTO_RULE`` in ``hingeclf/svm.py``):
the first row matching the fit names the solver. These tests parse that table out of each
estimator's docstring and compare its choice with ``BaseHingeClassifier._resolve_solver`` over a
table of cases: dense and sparse data, every loss and formulation the estimator offers, two and
three classes, every penalty, and shapes on both sides of the samples-per-parameter threshold.
"""

import inspect
import itertools
import re
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

from hingeclf import AllPairsSquaredHingeSVM, HingeSVM, MulticlassHingeSVM, SquaredHingeSVM

COLUMNS = ("penalty", "formulation", "loss", "data", "ratio", "solver")


def parse_rule(docstring):
    """The rows of the first simple table headed by ``COLUMNS`` in ``docstring``.

    Each row is a dict from column name to a set of values (``None`` for ``any``), except
    ``ratio`` (``None`` or the ``Fraction`` after ``>=``) and ``solver`` (a string). A line
    whose first column is blank continues the row above it.
    """
    lines = docstring.splitlines()
    border = re.compile(r"^\s*=+(\s+=+)+\s*$")
    starts = [i for i, line in enumerate(lines) if border.match(line)
              and lines[i + 1].split() == list(COLUMNS)]
    assert starts, "no auto-rule table in the docstring"
    top = starts[0]
    spans = [m.span() for m in re.finditer(r"=+", lines[top])]
    assert border.match(lines[top + 2])
    end = next(i for i in range(top + 3, len(lines)) if border.match(lines[i]))

    def cells(line):
        bounds = [(a, spans[k + 1][0] if k + 1 < len(spans) else None)
                  for k, (a, _) in enumerate(spans)]
        return [line[a:b].strip() for a, b in bounds]

    raw = []
    for line in lines[top + 3:end]:
        row = cells(line)
        if row[0]:
            raw.append(row)
        else:  # continuation of the row above
            assert raw, line
            raw[-1] = [f"{old} {new}".strip() for old, new in zip(raw[-1], row)]
    rows = []
    for row in raw:
        entry = dict(zip(COLUMNS, row))
        parsed = {}
        for name in ("penalty", "formulation", "loss", "data"):
            values = {v.strip() for v in entry[name].split(",") if v.strip()}
            parsed[name] = None if values == {"any"} else values
        ratio = entry["ratio"]
        if ratio == "any":
            parsed["ratio"] = None
        else:
            match = re.fullmatch(r">=\s*(\d+)", ratio)
            assert match, f"ratio cell {ratio!r} is neither 'any' nor '>= N'"
            parsed["ratio"] = Fraction(int(match.group(1)))
        parsed["solver"] = entry["solver"]
        rows.append(parsed)
    return rows


def first_matching_row(rows, case):
    """Index of the first row that matches ``case`` (a dict with ``n_samples``, ``n_params``)."""
    for k, row in enumerate(rows):
        if all(row[name] is None or case[name] in row[name]
               for name in ("penalty", "formulation", "loss", "data")):
            if row["ratio"] is None or Fraction(case["n_samples"], case["n_params"]) >= row["ratio"]:
                return k
    raise AssertionError(f"no row of the documented rule matches {case}")


def documented_solver(rows, case):
    """The solver that the documented rule gives for ``case``."""
    return rows[first_matching_row(rows, case)]["solver"]


def _formulation(estimator, n_classes):
    if isinstance(estimator, MulticlassHingeSVM):
        return estimator.multi_class
    return "binary" if n_classes == 2 else "ovr"


def _loss_options(cls):
    if cls is SquaredHingeSVM:
        return ["squared_hinge"]
    if cls is HingeSVM:
        return ["hinge", "smooth_hinge", "psi_hinge"]
    return ["hinge", "squared_hinge", "smooth_hinge", "psi_hinge"]


def _cases(cls):
    """``(estimator, n_classes, X, case)`` for every combination of the estimator's options."""
    multi_classes = ["crammer_singer", "weston_watkins", "ovr"] if cls is MulticlassHingeSVM \
        else [None]
    n_features = 3
    for multi_class, loss, penalty, n_classes, data in itertools.product(
            multi_classes, _loss_options(cls), ["l2", "l1", "elasticnet"], [2, 3],
            ["dense", "csr", "csc"]):
        params = {"penalty": penalty}
        if cls is not SquaredHingeSVM:
            params["loss"] = loss
        if multi_class is not None:
            params["multi_class"] = multi_class
        estimator = cls(**params)
        try:
            estimator._make_loss(n_classes)
        except ValueError:  # psi_hinge with crammer_singer: refused by fit
            continue
        formulation = _formulation(estimator, n_classes)
        n_out = 1 if formulation == "binary" else n_classes
        threshold = 10 * n_out * (n_features + 1)
        # one sample short of the threshold, on it, above it, and wide data
        for n_samples, d in [(threshold - 1, n_features), (threshold, n_features),
                             (threshold + 7, n_features), (5, 40)]:
            X = np.zeros((n_samples, d))
            if data != "dense":
                X = sp.csr_matrix(X) if data == "csr" else sp.csc_matrix(X)
            case = {"penalty": penalty, "formulation": formulation, "loss": loss,
                    "data": "dense" if data == "dense" else "sparse",
                    "n_samples": n_samples, "n_params": n_out * (d + 1)}
            yield estimator, n_classes, X, case


ESTIMATORS = [HingeSVM, SquaredHingeSVM, MulticlassHingeSVM]


def mismatches(cls, rows):
    """The cases of ``cls`` where ``rows`` and ``_resolve_solver`` disagree."""
    out = []
    for estimator, n_classes, X, case in _cases(cls):
        estimator.classes_ = np.arange(n_classes)  # as fit sets it before resolving
        actual = estimator._resolve_solver(estimator._make_loss(n_classes), X)
        expected = documented_solver(rows, case)
        if actual != expected:
            out.append(f"{case}: docstring {expected!r}, code {actual!r}")
    return out


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_docstring_states_the_auto_rule(cls):
    found = mismatches(cls, parse_rule(inspect.getdoc(cls)))
    assert not found, "\n".join(found)


def test_a_wrong_table_is_caught():
    """The comparison is not vacuous: moving the threshold or swapping a solver fails it."""
    rows = parse_rule(inspect.getdoc(HingeSVM))
    moved = [dict(row, ratio=row["ratio"] + 1) if row["ratio"] else row for row in rows]
    assert mismatches(HingeSVM, moved)
    swapped = [dict(row, solver="lbfgs") if row["solver"] == "dual_cd" else row for row in rows]
    assert mismatches(SquaredHingeSVM, swapped)


def test_the_cases_cover_every_row():
    """Every row of the table decides at least one case, so none is dead text."""
    rows = parse_rule(inspect.getdoc(HingeSVM))
    used = {first_matching_row(rows, case)
            for cls in ESTIMATORS for _, _, _, case in _cases(cls)}
    assert used == set(range(len(rows)))


def test_the_three_estimators_show_the_same_table():
    tables = [parse_rule(inspect.getdoc(cls)) for cls in ESTIMATORS]
    assert tables[0] == tables[1] == tables[2]
    assert len(tables[0]) >= 8


def test_explicit_solver_is_kept():
    estimator = HingeSVM(solver="sgd")
    estimator.classes_ = np.arange(2)
    assert estimator._resolve_solver(estimator._make_loss(2), np.zeros((100, 2))) == "sgd"


def test_all_pairs_auto_is_lbfgs():
    """``AllPairsSquaredHingeSVM``'s docstring says ``"auto"`` is ``"lbfgs"``."""
    doc = inspect.getdoc(AllPairsSquaredHingeSVM)
    assert re.search(r'``"auto"`` is ``"lbfgs"``', doc)
    estimator = AllPairsSquaredHingeSVM()
    for X in (np.zeros((50, 3)), sp.csr_matrix((50, 3)), np.zeros((5, 40))):
        assert estimator._resolve_solver(None, X) == "lbfgs"
