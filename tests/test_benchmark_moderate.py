"""The moderate-data benchmark (issue 22 item 4) runs on a tiny scale and records what it says."""

import json

import numpy as np
import scipy.sparse as sp

from benchmarks import moderate


def test_generated_cases_have_the_described_shape():
    X, y = moderate.table(0.01)
    assert X.shape == (540, 20) and set(np.unique(y)) <= set(range(5))
    assert np.all(np.isin(X[:, 10:], (0.0, 1.0))) and np.all(X[:, 10:].sum(axis=1) == 2)
    X, y = moderate.pixels(0.01)
    assert X.shape == (50, 784) and X.min() == 0 and X.max() <= 255
    assert np.array_equal(X, np.round(X))
    X, y = moderate.onehot(0.001)
    assert sp.issparse(X) and X.shape == (300, 26688)
    assert np.all(np.diff(X.indptr) == 10) and set(np.unique(y)) == {0, 1}


def test_runs_and_picks_the_fastest_liblinear_setting_within_reach(tmp_path):
    argv = ["--cases", "table", "--estimators", "SquaredHingeSVM", "--scale", "0.01",
            "--timeout", "120", "--peer-timeout", "60", "--intercept-scalings", "100",
            "--peer-max-iter", "2000", "--out", str(tmp_path)]
    assert moderate.main(argv) == 0
    (record,) = json.loads((tmp_path / "moderate.json").read_text())["records"]
    ours = record["ours"]
    assert ours["converged"] and ours["duality_gap"] <= 1e-4 * ours["objective"]
    within = [s for s in record["settings"]
              if s["finished"] and s["objective"] <= ours["objective"] * (1 + moderate.WITHIN)]
    assert within, "LIBLINEAR reaches our optimum on this small convex problem"
    assert record["peer"]["time_s"] == min(s["time_s"] for s in within)
    assert record["ratio"] == ours["time_s"] / record["peer"]["time_s"]
    # an upper bound of our optimum: no LIBLINEAR model beats our certified objective by more
    # than our gap
    assert record["best_peer_objective"] >= ours["objective"] - ours["duality_gap"]
    assert "SquaredHingeSVM" in (tmp_path / "moderate.md").read_text()
