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


def test_memory_warm_up_resolves_auto_as_on_the_whole_data():
    """The memory subprocess warms up with the solver ``auto`` picks on the whole data: on a
    200-row slice ``HingeSVM`` would pick ``dual_cd`` (fewer than 10 samples per parameter)
    where the whole data gets ``newton``; an explicit solver and a peer are left as they are."""
    from sklearn.datasets import make_classification
    from sklearn.svm import LinearSVC

    from benchmarks.run import _same_solver
    from hingeclf import HingeSVM

    X, y = make_classification(n_samples=3000, n_features=20, random_state=0)
    model = HingeSVM()
    assert model._resolve_solver(model._make_loss(2), X[:200]) == "dual_cd"
    assert _same_solver(HingeSVM(), X, y).solver == "newton"
    assert _same_solver(HingeSVM(solver="lbfgs"), X, y).solver == "lbfgs"
    peer = LinearSVC()
    assert _same_solver(peer, X, y) is peer


def test_products_benchmark_runs_on_small_shapes(tmp_path):
    """``python -m benchmarks.products`` checks the compiled products against numpy, and the
    Gram products' two paths against each other, before it times them; it writes one row per
    shape, dtype and number of outputs, and one Gram row per shape and dtype."""
    from benchmarks.products import main as products

    products(["--shapes", "500x7,300x3", "--repeats", "1", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "products.json").read_text())
    products = [r for r in data["records"] if r["outputs"] is not None]
    grams = [r for r in data["records"] if r["outputs"] is None]
    assert len(products) == 2 * 2 * 4 and len(grams) == 2 * 2
    assert all(r["rows_times_s"] > 0 and r["numpy_columns_times_s"] > 0 for r in products)
    assert all(r["gram_numpy_s"] > 0 and r["gram_scipy_s"] > 0 for r in grams)
    # each table: header, separator, rows
    assert (tmp_path / "products.md").read_text().count("\n|") == (16 + 2) + (4 + 2)
