"""The path-CV benchmark runs at a tiny size and writes what it promises (correctness only: the
timings of a tiny run mean nothing and are not asserted)."""

import json

import pytest

from benchmarks import path_cv


def test_quick_path_cv_benchmark_writes_json_and_table(tmp_path):
    assert path_cv.main(["--quick", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "path_cv_quick.json").read_text())
    records = {r["search"]: r for r in result["records"]}
    assert set(records) == {"RegularizationPathCV(SquaredHingeSVM)",
                            "GridSearchCV(SquaredHingeSVM)", "GridSearchCV(LinearSVC)"}
    assert result["shape"] == [2000, 20]
    for r in records.values():
        assert r["time_s"] > 0
        assert len(r["mean_test_score"]) == len(path_cv.CS)
    path = records["RegularizationPathCV(SquaredHingeSVM)"]
    grid = records["GridSearchCV(SquaredHingeSVM)"]
    # the same search, done two ways: same choice, same scores
    assert path["best_C"] == grid["best_C"]
    assert path["mean_test_score"] == pytest.approx(grid["mean_test_score"], abs=1e-3)
    # the ratios are those of the recorded times
    ratios = result["ratios"]
    assert ratios["path / grid (same estimator)"] == pytest.approx(path["time_s"] / grid["time_s"])
    assert ratios["path / grid (LinearSVC)"] == pytest.approx(
        path["time_s"] / records["GridSearchCV(LinearSVC)"]["time_s"])
    table = (tmp_path / "path_cv_quick.md").read_text()
    assert table.count("\n| ") == 3 + 2 + 2  # searches, ratios, and their two header rows
    assert "python -m benchmarks.path_cv --quick" in table
