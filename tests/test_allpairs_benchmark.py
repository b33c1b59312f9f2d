"""The all-pairs scaling benchmark runs (tiny sizes) and writes what it promises; no timing
assertions (speed is measured by running the benchmark, not by the tests)."""

import json

import numpy as np

from benchmarks.allpairs_scaling import QUICK_SIZES, main, make_data, slope


def test_quick_scaling_benchmark_writes_json_and_table(tmp_path):
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "allpairs_scaling_quick.json").read_text())
    records = data["records"]
    assert [r["n_samples"] for r in records] == QUICK_SIZES
    for r in records:
        assert r["converged"] and r["solver"] == "lbfgs"
        assert r["time_s"] > 0 and r["eval_s"] > 0 and r["n_iter"] >= 1
        assert r["n_positives"] == round(0.02 * r["n_samples"])
        n = r["n_samples"]
        assert np.isclose(r["ns_per_n_log2_n"], 1e9 * r["time_s"] / (n * np.log2(n)))
    assert np.isclose(data["meta"]["slope_fit_time"], slope(records, "time_s"))
    table = (tmp_path / "allpairs_scaling_quick.md").read_text()
    assert table.count("\n|") == len(records) + 2
    assert "python -m benchmarks.allpairs_scaling --quick" in table


def test_slope_recovers_known_exponents():
    records = [dict(n_samples=n, t=3.0 * n**1.5) for n in (10, 100, 1000)]
    assert np.isclose(slope(records, "t"), 1.5)


def test_data_are_reproducible_and_unbalanced():
    X1, y1 = make_data(1000)
    X2, y2 = make_data(1000)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert y1.sum() == 20 and X1.dtype == np.float64
