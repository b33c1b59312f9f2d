"""The warm-start benchmark runs (on its quick subset) and records what its table shows."""

import json

from benchmarks.warm_path import main


def test_warm_path_quick_writes_its_records(tmp_path):
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "warm_path_quick.json").read_text())
    records = data["records"]
    assert {r["solver"] for r in records} == {"newton", "lbfgs", "fgd", "dual_cd"}
    for r in records:
        assert r["problem"] == "iris, Crammer-Singer"
        assert r["warm"] >= 1 and r["cold"] >= 1
        assert r["warm_seconds"] > 0 and r["cold_seconds"] > 0
    table = (tmp_path / "warm_path_quick.md").read_text()
    assert "python -m benchmarks.warm_path --quick" in table
    assert table.count("| iris, Crammer-Singer |") == len(records)
