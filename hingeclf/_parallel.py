"""Work split over threads: fixed row blocks reduced in a fixed order, and independent tasks.

A fit's ``n_jobs`` (scikit-learn's convention: None is 1, -1 all the cores, ``-k`` all but
``k - 1``) becomes a :class:`Workers` held by the objective. The objective evaluates its
products and loss sums over :func:`row_blocks`: boundaries that depend on the number of rows
only, never on ``n_jobs``, with one partial result per block, combined in block order. So a fit
gives the same result, to the bit, whatever ``n_jobs``: the threads only decide who computes a
block, not how the sums are grouped. The kernels release the GIL (numba ``nogil=True``; numpy's
and BLAS's products do too), so the blocks run in threads; with more than one thread BLAS itself
runs with one thread during the fit (:func:`hingeclf._solvers._single_blas_thread`), so the
threads do not compete with BLAS's own.

The same blocks and the same ordered reduction serve any evaluation over row chunks (a dask
objective reduces its chunks the same way): :func:`row_blocks` and :meth:`Workers.reduce`.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral

# a block has at least this many rows; with fewer rows a product is one block (no threads)
MIN_BLOCK_ROWS = 8192
# at most this many blocks (a power of two, as every block count: the blocks share out evenly
# over 2, 4, 8 ... threads)
MAX_BLOCKS = 16


def available_cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def effective_n_jobs(n_jobs):
    """The number of threads ``n_jobs`` means: None is 1, a positive ``k`` is ``k``, ``-1``
    all the cores, ``-k`` all but ``k - 1`` (at least 1). 0 and non-integers raise
    ``ValueError``."""
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral):
        raise ValueError(f"n_jobs must be None or a non-zero integer, got {n_jobs!r}")
    n_jobs = int(n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning: use None or 1 for one thread, -1 for all "
                         "the cores")
    if n_jobs < 0:
        return max(1, available_cores() + 1 + n_jobs)
    return n_jobs


def row_blocks(n_rows):
    """The row blocks ``[(start, stop), ...]`` of ``n_rows`` rows: one block below
    ``2 * MIN_BLOCK_ROWS`` rows, else the largest power of two (at most :data:`MAX_BLOCKS`)
    of blocks of at least :data:`MIN_BLOCK_ROWS` rows, of equal sizes (to a row). They depend
    on ``n_rows`` only."""
    n_rows = int(n_rows)
    count = n_rows // MIN_BLOCK_ROWS
    if count < 2:
        return [(0, n_rows)]
    count = min(MAX_BLOCKS, 1 << (count.bit_length() - 1))
    edges = [n_rows * b // count for b in range(count + 1)]
    return list(zip(edges[:-1], edges[1:]))


_pools = {}
_pools_lock = threading.Lock()
_inside = threading.local()  # set in the threads while they run a task of Workers.map


def _pool(size):
    with _pools_lock:
        pool = _pools.get(size)
        if pool is None:
            pool = _pools[size] = ThreadPoolExecutor(max_workers=size,
                                                     thread_name_prefix="hingeclf")
        return pool


class _Batch:
    """The items of one :meth:`Workers.map`, handed out one at a time to whichever thread asks
    next (so a thread the system leaves waiting holds up at most its current item), each result
    stored at its item's index."""

    def __init__(self, function, items):
        self.function = function
        self.items = items
        self.results = [None] * len(items)
        self.claimed = self.done = 0
        self.error = None
        self.lock = threading.Lock()
        self.finished = threading.Event()

    def _settle(self):
        # (under the lock) all items done, or every claimed one done after an error
        if self.done == self.claimed and (self.claimed == len(self.items)
                                          or self.error is not None):
            self.finished.set()

    def work(self):
        _inside.active = True
        try:
            while True:
                with self.lock:
                    if self.claimed == len(self.items) or self.error is not None:
                        self._settle()
                        return
                    i = self.claimed
                    self.claimed += 1
                try:
                    result = self.function(self.items[i])
                except BaseException as error:  # (re-raised by the calling thread)
                    result = None
                    with self.lock:
                        if self.error is None:
                            self.error = error
                with self.lock:
                    self.results[i] = result
                    self.done += 1
                    self._settle()
        finally:
            _inside.active = False


class Workers:
    """``n_jobs`` threads for the work of one fit.

    :meth:`map` runs independent tasks (one-vs-rest problems, row blocks) and returns their
    results in the order of the tasks; :meth:`reduce` adds the results of a function over the
    :func:`row_blocks` of ``n_rows`` rows, in block order. A task that itself asks for work
    split runs it in its own thread (no nesting): the results are the same either way.
    """

    def __init__(self, n_jobs=None):
        self.n_jobs = effective_n_jobs(n_jobs)

    def __repr__(self):
        return f"Workers(n_jobs={self.n_jobs})"

    @property
    def parallel(self):
        """True when :meth:`map` may use more than one thread here."""
        return self.n_jobs > 1 and not getattr(_inside, "active", False)

    def map(self, function, items):
        """``[function(item) for item in items]``, the items handed out over the threads one at
        a time, the calling thread among them; it returns once every item is done."""
        items = list(items)
        threads = min(self.n_jobs, len(items)) if self.parallel else 1
        if threads <= 1:
            return [function(item) for item in items]
        batch = _Batch(function, items)
        pool = _pool(self.n_jobs - 1)
        for _ in range(threads - 1):
            pool.submit(batch.work)
        batch.work()
        batch.finished.wait()
        if batch.error is not None:
            raise batch.error
        return batch.results

    def over_rows(self, function, n_rows):
        """``function(start, stop)`` for each row block of ``n_rows`` rows, in block order."""
        return self.map(lambda block: function(*block), row_blocks(n_rows))

    def reduce(self, function, n_rows):
        """The sum, in block order, of ``function(start, stop)`` over the row blocks of
        ``n_rows`` rows (results that support ``+``: floats, arrays)."""
        parts = self.over_rows(function, n_rows)
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total


SERIAL = Workers(None)
