"""The A/B comparison runs (HEAD against itself, one tiny case) and writes what it promises."""

import json
import os

import pytest

from benchmarks.compare import configurations, main
from benchmarks.cases import QUICK

CASE = "dense-2k-x-20-f64"


@pytest.mark.slow
def test_compare_head_with_itself(tmp_path):
    before = set(_worktrees())  # (another comparison running at the same time keeps its own)
    assert main(["--base", "HEAD", "--head", "HEAD", "--quick", "--cases", CASE,
                 "--repeats", "2", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "compare.json").read_text())
    meta, records = data["meta"], data["records"]
    assert meta["base_commit"] == meta["head_commit"] and len(meta["head_commit"]) == 40
    loader, family = QUICK[CASE]
    names = [name for name, _ in configurations(family, loader()[0].shape[0])]
    # the hingeclf configurations only, in the cases' order
    assert [r["solver"] for r in records] == names
    assert all(name.startswith("hingeclf") for name in names)
    for r in records:
        assert r["case"] == CASE
        for side in ("base", "head"):
            assert r[f"finished_{side}"] and not r[f"timed_out_{side}"]
            assert len(r[f"times_s_{side}"]) == 2 and r[f"time_s_{side}"] > 0
            assert not any(r[f"compiled_in_timed_fit_{side}"])
            # each side imported the hingeclf of its own temporary worktree
            assert r[f"hingeclf_{side}"].endswith(os.path.join(side, "hingeclf", "__init__.py"))
        assert r["ratio"] == r["time_s_head"] / r["time_s_base"]
        # the same revision reaches the same objective and certificate, fit after fit
        assert r["objective_base"] == r["objective_head"] and r["objective_rel_change"] == 0
        assert len(set(r["objectives_base"] + r["objectives_head"])) == 1
        for key in ("duality_gap", "converged", "n_iter", "solver_used"):
            assert r[f"{key}_base"] == r[f"{key}_head"]
    table = (tmp_path / "compare.md").read_text()
    assert table.startswith("Machine: ") and meta["head_commit"] in table.splitlines()[0]
    assert table.count(f"\n| {CASE} |") == len(records)
    # the temporary worktrees this run made are gone
    assert not any(os.path.basename(p).startswith("hingeclf-compare-")
                   for p in set(_worktrees()) - before)


def _worktrees():
    import subprocess

    out = subprocess.run(["git", "worktree", "list", "--porcelain"], capture_output=True,
                         text=True, check=True, cwd=os.path.dirname(__file__)).stdout
    return [os.path.dirname(line.split(" ", 1)[1]) for line in out.splitlines()
            if line.startswith("worktree ")]
