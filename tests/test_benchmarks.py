"""The benchmark runner runs (tiny sizes, as CI does) and writes what it promises."""

import json

from benchmarks.run import main

CASES = ["dense-2k-x-20-f32", "sparse-2k-x-2k-1%"]


def test_quick_benchmark_writes_json_and_table(tmp_path):
    assert main(["--quick", "--cases", *CASES, "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "quick.json").read_text())
    records = data["records"]
    assert {r["case"] for r in records} == set(CASES)
    solvers = {r["solver"] for r in records}
    assert any(s.startswith("hingeclf") for s in solvers)
    assert any(s.startswith("LinearSVC") for s in solvers)
    assert any(s.startswith("SGDClassifier") for s in solvers)
    for r in records:
        assert r["time_s"] > 0 and r["objective"] > 0
        assert r["rel_objective_gap"] >= 0
        assert 0 <= r["accuracy"] <= 1
        assert r["peak_extra_mb"] >= 0
    # the best objective of each loss has gap 0, and ours is certified where it says so
    for loss in {r["loss"] for r in records}:
        assert min(r["rel_objective_gap"] for r in records if r["loss"] == loss) == 0
    table = (tmp_path / "quick.md").read_text()
    assert table.count("\n|") == len(records) + 2  # header, separator, one row per record
