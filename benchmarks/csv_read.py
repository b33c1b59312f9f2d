"""Reading CSV files with the command line's reader: ``python -m benchmarks.csv_read [--quick]
[--repeats R] [--out DIR]``.

Times :func:`hingeclf.cli.load_data` on long files (rows of 20 numbers and a label) and on
wide ones (one line of numbers, which ``hingeclf train`` must reject: a single row has a single
class), the wide ones also end to end as ``hingeclf train FILE`` up to its error. The reading
should be linear in the file's size whatever its shape: the seconds per MB are the column to
compare. The numbers are written with 4 decimals (a field of about 7 bytes). The files are
written to a temporary directory and removed. ``--quick`` (what a test runs): tiny files, into
``csv_read_quick.*``. Writes ``benchmarks/results/csv_read.{json,md}``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time

import numpy as np

from hingeclf import cli

from .run import machine, write_results

LONG_ROWS = (125_000, 250_000, 500_000)
WIDE_FIELDS = (75_000, 150_000, 600_000, 1_500_000)
LONG_COLUMNS = 20


def _write_long(path, n_rows, rng, chunk=50_000):
    with open(path, "w") as f:
        f.write(",".join(f"f{k}" for k in range(LONG_COLUMNS)) + ",label\n")
        for start in range(0, n_rows, chunk):
            n = min(chunk, n_rows - start)
            X = rng.standard_normal((n, LONG_COLUMNS))
            labels = rng.integers(0, 3, n)
            f.writelines(",".join(f"{v:.4f}" for v in row) + f",c{k}\n" for row, k in zip(X, labels))


def _write_wide(path, n_fields, rng):
    with open(path, "w") as f:
        f.write(",".join(f"{v:.4f}" for v in rng.standard_normal(n_fields)) + "\n")


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _train_rejects(path):
    """``hingeclf train PATH``, which must end with its one-line error."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["train", path])
    assert code == cli.EXIT_USAGE and "need at least 2 classes" in err.getvalue(), err.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.csv_read")
    parser.add_argument("--quick", action="store_true", help="tiny files (a smoke test)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    long_rows = (500, 1000) if args.quick else LONG_ROWS
    wide_fields = (1000, 2000) if args.quick else WIDE_FIELDS
    rng = np.random.default_rng(0)
    lines = [f"`hingeclf.cli.load_data`, median of {args.repeats}; wide files also as `hingeclf train FILE` "
             "up to its error", "",
             "| file | MB | fields | read (s) | s per MB | µs per field | train rejects (s) |",
             "|---|---|---|---|---|---|---|"]
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("long", n, n * (LONG_COLUMNS + 1)) for n in long_rows]
        cases += [("wide", n, n) for n in wide_fields]
        for shape, n, n_fields in cases:
            path = os.path.join(tmp, f"{shape}-{n}.csv")
            if shape == "long":
                _write_long(path, n, rng)
                name = f"{n} rows x {LONG_COLUMNS + 1} columns"
            else:
                _write_wide(path, n, rng)
                name = f"1 line of {n} numbers"
            size_mb = os.path.getsize(path) / 1e6
            read = _median_time(lambda: cli.load_data(path), args.repeats)
            reject = _median_time(lambda: _train_rejects(path), args.repeats) if shape == "wide" else None
            records.append(dict(file=name, shape=shape, mb=size_mb, fields=n_fields, read_s=read,
                                s_per_mb=read / size_mb, us_per_field=1e6 * read / n_fields,
                                train_rejects_s=reject))
            lines.append(f"| {name} | {size_mb:.1f} | {n_fields} | {read:.2f} | {read / size_mb:.3f} | "
                         f"{1e6 * read / n_fields:.2f} | {'' if reject is None else f'{reject:.2f}'} |")
            os.remove(path)
    command = " ".join(["python -m benchmarks.csv_read", *(argv if argv is not None else sys.argv[1:])])
    meta = dict(machine=machine(), command=command, load_average=os.getloadavg())
    write_results(args.out, "csv_read_quick" if args.quick else "csv_read", meta, records,
                  "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
