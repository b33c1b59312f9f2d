"""Time of the data-model products per call: ``python -m benchmarks.products [--repeats R]
[--threads T] [--out DIR]``.

Times (best of ``R``, one BLAS thread as the full suite runs, or ``--threads T``) ``X W^T`` and ``G^T X`` on
C-ordered dense data of the full suite's shapes (1M x 50, 100k x 100), float64 and float32,
for 1, 2, 3 and 10 outputs: the compiled loops of :mod:`hingeclf._products` (called directly,
whatever the number of outputs) next to numpy's ``@`` (OpenBLAS), after checking that both
agree to rounding. A second table times the Gram products of Newton's explicit Hessian
(:func:`hingeclf._objective.weighted_gram`) over the same rows: ``B^T B`` of each block ``B``
of :data:`~hingeclf._objective.GRAM_CHUNK` rows added into a float64 sum, by numpy's matmul
(which calls BLAS's ``syrk`` for a transposed view times itself, the path used) and by scipy's
``dsyrk``/``ssyrk`` (the path used before). Writes ``benchmarks/results/products.{json,md}``.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from scipy.linalg.blas import dsyrk, ssyrk
from threadpoolctl import threadpool_limits

from hingeclf import _products
from hingeclf._objective import GRAM_CHUNK

from .kernels import _best
from .run import machine, write_results


def _rows_times(X, W):
    out = np.empty((X.shape[0], W.shape[0]), dtype=X.dtype)
    _products._rows_times(X, W, out)
    return out


def _columns_times(X, G):
    out = np.zeros((G.shape[1], X.shape[1]))
    _products._columns_times(X, G, out, _products.BLOCK)
    return out


def _blocks(X):
    return [X[start:start + GRAM_CHUNK] for start in range(0, X.shape[0], GRAM_CHUNK)]


def _gram_numpy(blocks):
    G = np.zeros((blocks[0].shape[1],) * 2)
    for B in blocks:
        G += B.T @ B
    return G


def _gram_scipy(blocks):
    """The upper triangle of the sum, as scipy's syrk leaves it (mirrored at the end)."""
    G = np.zeros((blocks[0].shape[1],) * 2, order="F")
    for B in blocks:
        if B.dtype == np.float32:
            G += ssyrk(1.0, B.T, trans=0, lower=0)
        else:
            G = dsyrk(1.0, B.T, beta=1.0, c=G, trans=0, lower=0, overwrite_c=1)
    return np.triu(G) + np.triu(G, 1).T


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.products")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument("--shapes", default="1000000x50,100000x100")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    lines = ["| shape | dtype | outputs | X W^T compiled (ms) | X W^T numpy (ms) | "
             "G^T X compiled (ms) | G^T X numpy (ms) |", "|---|---|---|---|---|---|---|"]
    gram_lines = ["| shape | dtype | Gram numpy matmul (ms) | Gram scipy syrk (ms) |",
                  "|---|---|---|---|"]
    records = []
    with threadpool_limits(args.threads):
        for shape in args.shapes.split(","):
            n, d = (int(v) for v in shape.split("x"))
            X64 = rng.normal(size=(n, d))
            for dtype in (np.float64, np.float32):
                X = X64.astype(dtype, copy=False)
                for n_out in (1, 2, 3, 10):
                    W = rng.normal(size=(n_out, d)).astype(dtype)
                    G = rng.normal(size=(n, n_out)).astype(dtype)
                    rtol = 1e-10 if dtype == np.float64 else 1e-3
                    for ours, theirs in ((_rows_times(X, W), X @ W.T),
                                         (_columns_times(X, G), (X.T @ G).T)):
                        scale = float(np.abs(theirs).max())
                        if not np.allclose(ours, theirs, rtol=0, atol=rtol * scale):
                            raise AssertionError(f"{shape} {np.dtype(dtype).name}: products "
                                                 "disagree")
                    times = [_best(f, args.repeats) for f in (
                        lambda: _rows_times(X, W), lambda: X @ W.T,
                        lambda: _columns_times(X, G), lambda: X.T @ G)]
                    records.append(dict(shape=shape, dtype=np.dtype(dtype).name,
                                        outputs=n_out, rows_times_s=times[0],
                                        numpy_rows_times_s=times[1], columns_times_s=times[2],
                                        numpy_columns_times_s=times[3]))
                    lines.append(f"| {shape} | {np.dtype(dtype).name} | {n_out} | " + " | ".join(
                        f"{1e3 * t:.2f}" for t in times) + " |")
                blocks = _blocks(X)
                ours, theirs = _gram_numpy(blocks), _gram_scipy(blocks)
                rtol = 1e-10 if dtype == np.float64 else 1e-4
                if not np.allclose(ours, theirs, rtol=0, atol=rtol * float(np.abs(theirs).max())):
                    raise AssertionError(f"{shape} {np.dtype(dtype).name}: Gram products "
                                         "disagree")
                times = [_best(f, args.repeats) for f in (lambda: _gram_numpy(blocks),
                                                          lambda: _gram_scipy(blocks))]
                records.append(dict(shape=shape, dtype=np.dtype(dtype).name, outputs=None,
                                    gram_numpy_s=times[0], gram_scipy_s=times[1]))
                gram_lines.append(f"| {shape} | {np.dtype(dtype).name} | " + " | ".join(
                    f"{1e3 * t:.2f}" for t in times) + " |")
            del X64, X
    meta = dict(machine=machine(), command="python -m benchmarks.products " + " ".join(
        argv if argv is not None else sys.argv[1:]), load_average=os.getloadavg())
    name = "products" if args.threads == 1 else f"products-{args.threads}-threads"
    table = "\n".join(lines) + "\n\nGram products, blocks of " + str(GRAM_CHUNK) + " rows:\n\n" \
        + "\n".join(gram_lines) + "\n"
    write_results(args.out, name, meta, records, table)


if __name__ == "__main__":
    main()
