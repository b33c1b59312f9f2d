"""Reading CSV files with the command line's reader: ``python -m benchmarks.csv_read [--quick]
[--repeats R] [--out DIR]``.

Times :func:`hingeclf.cli.load_data` on long files (rows of 20 numbers and a label) and on
wide ones (one line of numbers, which ``hingeclf train`` must reject: a single row has a single
class), the wide ones also end to end as ``hingeclf train FILE`` up to its error. The reading
should be linear in the file's size whatever its shape: the seconds per MB are the column to
compare. The numbers are written with 4 decimals (a field of about 7 bytes). The files are
written to a temporary directory and removed. ``--quick`` (what a test runs): tiny files, into
``csv_read_quick.*``. Writes ``benchmarks/results/csv_read.{json,md}``.

Two columns compare other readers on the same files: "row by row", the same reader with every
row converted on its own by ``float`` (``hingeclf.cli._load_csv(..., bulk=False)``: the reader
before blocks were converted at once, and still the one for a block with a problem to name);
and, when pandas is installed, "pandas", the ``pandas.read_csv`` call of the reader before that
(``skipinitialspace=True``, features by ``.to_numpy(dtype=float64)``, labels stripped), on long
files only: it spends some 25 µs per column, so a line of 1.5M numbers would take it minutes.
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


def _seconds(value):
    return "" if value is None else f"{value:.2f}"


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _row_by_row(path):
    return cli._load_csv(path, lambda s: cli._columns_for_training(s.columns, None, path, s.sep), bulk=False)


def _pandas_read(pd, path):
    """The previous pandas reader's parsing: features (the columns but the last) and labels."""
    frame = pd.read_csv(path, skipinitialspace=True, encoding="utf-8")
    labels = frame.iloc[:, -1].astype(str).str.strip().to_list()
    return frame.iloc[:, :-1].to_numpy(dtype=np.float64), labels


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
             "| file | MB | fields | read (s) | s per MB | µs per field | train rejects (s) "
             "| row by row (s) | row by row / read | pandas (s) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    try:
        import pandas as pd
    except ImportError:
        pd = None
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
            rows = _median_time(lambda: _row_by_row(path), args.repeats)
            pandas = _median_time(lambda: _pandas_read(pd, path), args.repeats) if pd and shape == "long" else None
            records.append(dict(file=name, shape=shape, mb=size_mb, fields=n_fields, read_s=read,
                                s_per_mb=read / size_mb, us_per_field=1e6 * read / n_fields,
                                train_rejects_s=reject, row_by_row_s=rows, pandas_s=pandas))
            lines.append(f"| {name} | {size_mb:.1f} | {n_fields} | {read:.2f} | {read / size_mb:.3f} | "
                         f"{1e6 * read / n_fields:.2f} | {_seconds(reject)} | {rows:.2f} | {rows / read:.1f} | "
                         f"{_seconds(pandas)} |")
            os.remove(path)
    command = " ".join(["python -m benchmarks.csv_read", *(argv if argv is not None else sys.argv[1:])])
    meta = dict(machine=machine(), command=command, load_average=os.getloadavg())
    write_results(args.out, "csv_read_quick" if args.quick else "csv_read", meta, records,
                  "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
