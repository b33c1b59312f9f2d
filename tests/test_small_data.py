"""Small data (issue 22, item 7): the default fits of ``benchmarks.small``'s data sets take the
array path (fewer than ``COMPILED_MIN_ROWS`` samples) and must reach the same certified optimum
as the compiled path that larger data takes, and one at least as good as LIBLINEAR's point.

Each default fit is checked three ways: its certificate (``converged_``, ``0 <= duality_gap_ <=
tol * objective_``), its ``objective_`` against our objective evaluated independently at its
``coef_`` and ``intercept_`` by the metric functions (``benchmarks.small.objective``), and its
objective against the compiled path's fit of the same problem (``COMPILED_MIN_ROWS = 0``): both
are certified upper bounds of the same optimum, so each must be within the other's gap of it.
``LinearSVC`` (which penalises its intercept) gives a feasible point of our problem: our
objective there must not be lower than ours.
"""

import warnings

import numpy as np
import pytest
from sklearn.svm import LinearSVC

import hingeclf
import hingeclf._products as products
from benchmarks import small

# (data, estimator) pairs whose fits (the default and the compiled reference) take seconds
HEAVY = {("digits", "HingeSVM"), ("digits", "SquaredHingeSVM"),
         ("digits", "MulticlassHingeSVM"), ("wine", "MulticlassHingeSVM"),
         ("breast_cancer", "MulticlassHingeSVM"), ("wine", "HingeSVM")}
CASES = [pytest.param(data, est, marks=[pytest.mark.slow] if (data, est) in HEAVY else [])
         for data in small.DATA for est in small.ESTIMATORS]


def _certified(model):
    assert model.converged_
    assert 0.0 <= model.duality_gap_ <= model.tol * model.objective_ * (1 + 1e-12)


@pytest.mark.parametrize("data, estimator", CASES)
def test_small_path_reaches_the_certified_optimum(data, estimator, monkeypatch):
    X, y = small.load(data)
    assert X.shape[0] < products.COMPILED_MIN_ROWS  # (the array path)
    _, squared, multi_class = small.ESTIMATORS[estimator]
    X_before = X.copy()
    model = getattr(hingeclf, estimator)().fit(X, y)
    np.testing.assert_array_equal(X, X_before)
    _certified(model)
    value = small.objective(model, X, y, squared, multi_class)
    assert model.objective_ == pytest.approx(value, rel=1e-9)

    monkeypatch.setattr(products, "COMPILED_MIN_ROWS", 0)
    compiled = getattr(hingeclf, estimator)().fit(X, y)
    _certified(compiled)
    rounding = 1e-10 * value
    assert value - compiled.objective_ <= compiled.duality_gap_ + rounding
    assert compiled.objective_ - value <= model.duality_gap_ + rounding

    if multi_class == "crammer_singer" and (data, estimator) in HEAVY:
        return  # (LIBLINEAR's Crammer-Singer takes seconds to 100000 iterations there)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (LIBLINEAR stops at max_iter on raw data)
        peer = LinearSVC(**small.ESTIMATORS[estimator][0]).fit(X, y)
    assert value <= small.objective(peer, X, y, squared, multi_class) + rounding


def test_small_benchmark_writes_json_and_table(tmp_path):
    """``python -m benchmarks.small`` on one tiny case writes what it promises (correctness
    only: the timings of such a run are not asserted)."""
    import json

    argv = ["--repeats", "1", "--data", "iris", "--estimators", "SquaredHingeSVM",
            "--n-Cs", "3", "--name", "tiny", "--out", str(tmp_path)]
    assert small.main(argv) == 0
    result = json.loads((tmp_path / "tiny.json").read_text())
    [fit] = result["records"]["fits"]
    assert (fit["data"], fit["estimator"]) == ("iris", "SquaredHingeSVM")
    assert fit["ratio"] == pytest.approx(fit["ours_s"] / fit["peer_s"])
    assert fit["objective_ours"] <= fit["objective_peer"] * (1 + 1e-9)
    assert fit["objective_ours"] == pytest.approx(fit["objective_reported"], rel=1e-9)
    [search] = result["records"]["searches"]
    for side in ("grid", "peer", "path"):
        assert search[side]["time_s"] > 0
    # the same search done two ways picks the same C
    assert search["grid"]["best_C"] == search["path"]["best_C"]
    assert search["path_ratio"] == pytest.approx(search["path"]["time_s"]
                                                 / search["peer"]["time_s"])
    table = (tmp_path / "tiny.md").read_text()
    assert "python -m benchmarks.small --repeats 1" in table and "logspace(-3, 2, 3)" in table
    assert table.count("\n| iris | SquaredHingeSVM |") == 2  # one fit row, one search row


def test_fallback_starts_where_the_first_solver_stopped_and_afresh_if_needed():
    """auto's fallback (Newton after an unconverged dual_cd) runs from the point dual_cd
    reached; only where it does not converge from there does it run again from the start."""
    from types import SimpleNamespace

    from hingeclf._solvers import _fallback_run

    reached, coef0 = np.ones((1, 3)), np.zeros((1, 3))
    for converges_from_reached in (True, False):
        starts = []

        def run(start):
            starts.append(start)
            return SimpleNamespace(converged=converges_from_reached or start is coef0)

        assert _fallback_run(run, reached, coef0).converged
        assert starts == ([reached] if converges_from_reached else [reached, coef0])


def test_raw_wine_fallback_from_dual_cd_point_is_certified():
    """Raw wine: dual_cd (auto's choice: fewer than 10 samples per parameter) leaves every
    one-vs-rest output unconverged, and Newton continues from its point on the whole problem;
    the result is the certified optimum that Newton alone reaches."""
    X, y = small.load("wine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = hingeclf.HingeSVM(solver="dual_cd").fit(X, y)
    assert not alone.converged_
    auto = hingeclf.HingeSVM().fit(X, y)
    assert auto.solver_ == "newton"
    _certified(auto)
    newton = hingeclf.HingeSVM(solver="newton").fit(X, y)
    assert abs(auto.objective_ - newton.objective_) <= auto.duality_gap_ + newton.duality_gap_
