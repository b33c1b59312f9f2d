"""The L1 benchmark runs at tiny sizes (as CI does) and writes what it promises."""

import json

import numpy as np

from benchmarks.l1 import QUICK, REFERENCE, configurations, main, objective


def test_quick_l1_benchmark_writes_json_and_table(tmp_path):
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "l1-quick.json").read_text())
    records = data["records"]
    names = [n for n, _ in configurations()]
    assert {r["case"] for r in records} == set(QUICK)
    assert len(records) == len(QUICK) * len(names)
    for case in QUICK:
        rows = [r for r in records if r["case"] == case]
        assert [r["solver"] for r in rows] == names
        assert min(r["rel_objective_gap"] for r in rows) == 0
        ref = next(r for r in rows if r["solver"] == REFERENCE)
        assert ref["time_ratio_to_linearsvc"] == 1.0
        for r in rows:
            assert r["time_s"] > 0 and r["objective"] > 0 and r["rel_objective_gap"] >= 0
            assert r["time_ratio_to_linearsvc"] == r["time_s"] / ref["time_s"]
            assert 0 < r["nonzeros"] <= r["n_features"]
            # every solver minimises the same objective: all land near the best
            assert r["rel_objective_gap"] < 1e-3
    table = (tmp_path / "l1-quick.md").read_text()
    assert table.count("\n|") == len(records) + 2


def test_objective_is_the_l1_squared_hinge_objective():
    X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    y = np.array([0, 1, 1])
    w = np.array([[0.5, -0.25]])
    # margins: t = [-1, 1, 1]; X w = [0.5, -0.5, 0.25]; hinge = [1.5, 1.5, 0.75]
    assert objective(X, y, w) == np.abs(w).sum() + 1.5 ** 2 + 1.5 ** 2 + 0.75 ** 2
