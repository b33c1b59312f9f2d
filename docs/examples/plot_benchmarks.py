"""
Benchmark results
=================

A bar chart of the fit times recorded by the benchmark runner (``python -m benchmarks``), read
from ``benchmarks/results/full.json`` when the full suite has been run and from
``benchmarks/results/quick.json`` otherwise. Nothing here is typed in: the file, the command
that wrote it and the machine are printed from the file itself. The table of all columns is on
the :doc:`/benchmarks` page.
"""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

# the build runs this script from docs/examples
results_dir = Path("..", "..", "benchmarks", "results")
path = next(p for p in (results_dir / "full.json", results_dir / "quick.json") if p.exists())
data = json.loads(path.read_text())
meta, records = data["meta"], data["records"]
print(f"file: benchmarks/results/{path.name}")
print(f"command: {meta['command']}")
print(f"machine: {meta['machine']}, {meta['repeats']} repeat(s)")

# %%
# Median fit time of each configuration that finished, one panel per case (log scale). The
# label gives the objective reached relative to the best configuration on the same loss and
# data.
cases = list(dict.fromkeys(r["case"] for r in records))
fig, axes = plt.subplots(len(cases), 1, figsize=(9, 2.2 + 0.45 * len(records)),
                         layout="constrained", squeeze=False)
for ax, case in zip(axes[:, 0], cases):
    # configurations that did not finish within the runner's timeout have no time
    rows = [r for r in records if r["case"] == case and r.get("finished", True)]
    names = [r["solver"] for r in rows]
    times = np.array([r["time_s"] for r in rows])
    colors = ["C0" if n.startswith("hingeclf") else "C7" for n in names]
    bars = ax.barh(np.arange(len(rows)), times, color=colors)
    ax.set_yticks(np.arange(len(rows)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    for bar, r in zip(bars, rows):
        ax.annotate(f" gap {r['rel_objective_gap']:.0e}", (bar.get_width(), bar.get_y() + 0.4),
                    va="center", fontsize=7)
    ax.set_title(f"{case} ({rows[0]['n_samples']} x {rows[0]['n_features']}, "
                 f"{rows[0]['dtype']})", fontsize=9)
    ax.set_xlim(right=times.max() * 20)
axes[-1, 0].set_xlabel("median fit time (s)")
# the command (several runs joined, hundreds of characters) is printed above; a title of that
# length would not fit the figure's width
fig.suptitle(f"median fit times from benchmarks/results/{path.name}", fontsize=10)
plt.show()
