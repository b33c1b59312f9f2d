"""In-memory fit against the fit on a dask array over a LocalCluster: ``python -m
benchmarks.dask_fit [--n N] [--d D] [--rows R] [--f64] [--workers 2 [1 ...]] [--repeats K]``.

The data (``N x D``, float32 unless ``--f64``, chunks of ``R`` rows) are generated chunk by chunk
on the workers from a seeded linear model with 5% of the labels flipped. For each estimator
(``SquaredHingeSVM``, ``HingeSVM``, default ``tol`` and ``C``, with intercept) and each cluster
size (``LocalCluster(n_workers=W, threads_per_worker=1)``, worker processes) it times the fit
on the dask array, then gathers the same data into this process and times the in-memory fit
(this process's BLAS threads as the environment sets them; the cluster is idle meanwhile):
medians over the repeats, their ratio, Newton iterations, the objectives' relative difference
and each fit's certified duality gap. The client's memory during a dask fit is measured in a
separate fit under ``tracemalloc`` (the peak of what Python and numpy allocated in this process,
relative to the size of X), and as the growth of this process's resident memory sampled every
10 ms during the timed fits. Writes ``benchmarks/results/dask_fit.{json,md}`` (``--name`` to
change the name).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import tracemalloc

import numpy as np

from .run import machine, write_results


def _block(block_id, rows, n, d, data_type, seed):
    """Rows ``[i R, (i+1) R)`` of the data set: ``x ~ N(0, 1)``, ``y = sign(x . w + 0.3 + e)``
    with 5% of the labels flipped, ``w`` fixed by ``seed``; the block's own generator is seeded
    by ``(seed, block index)``, so the data are the same whatever computes them."""
    i = block_id[0]
    m = min(rows, n - i * rows)
    w = np.random.default_rng(seed).standard_normal(d) / np.sqrt(d)
    rng = np.random.default_rng([seed, i])
    X = rng.standard_normal((m, d)).astype(data_type)
    score = X.astype(np.float64) @ w + 0.3 + 0.5 * rng.standard_normal(m)
    y = (score > 0).astype(np.int64)
    flip = rng.random(m) < 0.05
    y[flip] = 1 - y[flip]
    return X, y


def _x_block(block_id=None, **kw):
    return _block(block_id, **kw)[0]


def _y_block(block_id=None, **kw):
    return _block(block_id, **kw)[1]


def dataset(n, d, rows, dtype, seed=0):
    import dask.array as da

    chunks = tuple(min(rows, n - s) for s in range(0, n, rows))
    kw = dict(rows=rows, n=n, d=d, data_type=dtype, seed=seed)
    X = da.map_blocks(_x_block, chunks=(chunks, (d,)), dtype=dtype, **kw)
    y = da.map_blocks(_y_block, chunks=(chunks,), dtype=np.int64, **kw)
    return X, y


class RSSPeak:
    """The peak resident memory of this process, sampled every 10 ms in a thread."""

    def __init__(self):
        import psutil

        self.process = psutil.Process()
        self.peak = self.start = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def growth(self):
        return self.peak - self.start


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dask_fit")
    parser.add_argument("--n", type=int, default=2_000_000)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--rows", type=int, default=250_000, help="rows per chunk")
    parser.add_argument("--f64", action="store_true", help="float64 data (default float32)")
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-limit", default="4GB", help="per worker")
    parser.add_argument("--name", default="dask_fit")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)

    import dask
    import distributed

    from hingeclf import HingeSVM, SquaredHingeSVM

    dtype = np.float64 if args.f64 else np.float32
    X_size = args.n * args.d * np.dtype(dtype).itemsize
    lines = [f"dense {args.n} x {args.d} {np.dtype(dtype).name} ({X_size / 2**20:.0f} MB), "
             f"chunks of {args.rows} rows, generated on the workers; median of {args.repeats}; "
             f"in-memory fit in the client process (the cluster idle); the machine was shared "
             f"with other jobs (load average below)", "",
             "| estimator | workers | in memory (s) | dask (s) | dask / in memory | n_iter "
             "(mem/dask) | objective rel. diff. | gap (mem/dask) | tol * P | client peak "
             "(tracemalloc) / X | client RSS growth / X |", "|---" * 11 + "|"]
    records = []
    for n_workers in args.workers:
        cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                           processes=True, memory_limit=args.memory_limit,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
        try:
            X, y = dataset(args.n, args.d, args.rows, dtype)
            X, y = dask.persist(X, y)
            distributed.wait([X, y])
            for cls in (SquaredHingeSVM, HingeSVM):
                small = X[:2000].compute(), y[:2000].compute()
                cls().fit(*small)  # compile (or load the JIT cache) outside the timings
                cls().fit(*dataset(2000, args.d, 500, dtype))
                dask_times, rss = [], []
                for _ in range(args.repeats):
                    with RSSPeak() as peak:
                        start = time.perf_counter()
                        on_dask = cls().fit(X, y)
                        dask_times.append(time.perf_counter() - start)
                    rss.append(peak.growth)
                tracemalloc.start()
                cls().fit(X, y)
                traced = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                Xm, ym = dask.compute(X, y)
                mem_times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    in_memory = cls().fit(Xm, ym)
                    mem_times.append(time.perf_counter() - start)
                del Xm, ym
                t_mem, t_dask = float(np.median(mem_times)), float(np.median(dask_times))
                diff = (on_dask.objective_ - in_memory.objective_) / in_memory.objective_
                record = dict(
                    estimator=cls.__name__, workers=n_workers, in_memory_s=t_mem, dask_s=t_dask,
                    ratio=t_dask / t_mem, n_iter_in_memory=in_memory.n_iter_,
                    n_iter_dask=on_dask.n_iter_, objective_in_memory=in_memory.objective_,
                    objective_dask=on_dask.objective_, objective_rel_diff=diff,
                    gap_in_memory=in_memory.duality_gap_, gap_dask=on_dask.duality_gap_,
                    tol_times_objective=cls().tol * in_memory.objective_,
                    converged_dask=on_dask.converged_, client_traced_peak_bytes=traced,
                    client_rss_growth_bytes=float(np.median(rss)), X_bytes=X_size,
                    dask_times_s=dask_times, in_memory_times_s=mem_times)
                records.append(record)
                lines.append(
                    f"| {cls.__name__} | {n_workers} | {t_mem:.2f} | {t_dask:.2f} | "
                    f"{t_dask / t_mem:.1f} | {in_memory.n_iter_}/{on_dask.n_iter_} | "
                    f"{diff:.1e} | {in_memory.duality_gap_:.2g}/{on_dask.duality_gap_:.2g} | "
                    f"{record['tol_times_objective']:.2g} | {traced / X_size:.3f} | "
                    f"{np.median(rss) / X_size:.3f} |")
                print(lines[-1], flush=True)
        finally:
            client.close()
            cluster.close()
    meta = dict(machine=machine(), command="python -m benchmarks.dask_fit " + " ".join(
        argv if argv is not None else sys.argv[1:]), load_average=os.getloadavg())
    write_results(args.out, args.name, meta, records, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
