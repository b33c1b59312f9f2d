"""Time of the fused loss kernels per call: ``python -m benchmarks.kernels [--n N]``.

Times (best of 7, one thread) each kernel of :mod:`hingeclf._loss_kernels` on ``N`` random
decision values (``N x 1`` binary, ``N x 10`` one-vs-rest), float64 and float32, smoothed
(``gamma = 0.01``) and exact hinge, next to a reference written with one branch per piece of
the loss (the form the kernels had before they were made branch-free). Both must agree to
rounding; the table says how many times faster the kernel is. Writes
``benchmarks/results/kernels.{json,md}``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numba
import numpy as np

from hingeclf import _loss_kernels as kernels

from .run import machine, write_results


@numba.njit(cache=True, nogil=True)
def _branchy_value_on_line(y, raw, raw_d, step, c, power, gamma, ovr):
    """Reference: the value along a line with a branch per piece of the loss."""
    total = 0.0
    for i in range(raw.shape[0]):
        ci = float(c[i])
        if ci == 0.0:
            continue
        s = 0.0
        for k in range(raw.shape[1]):
            t = (1.0 if k == y[i] else -1.0) if ovr else float(y[i])
            v = 1.0 - t * (float(raw[i, k]) + step * float(raw_d[i, k]))
            if gamma > 0.0:
                if v >= gamma:
                    xi = v - 0.5 * gamma
                elif v > 0.0:
                    xi = v * v / (2.0 * gamma)
                else:
                    xi = 0.0
            else:
                xi = max(v, 0.0)
            s += xi if power == 1 else xi * xi
        total += ci * s
    return total


def _best(f, repeats=7):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kernels")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    lines = ["| dtype | columns | power | gamma | value on line (ms) | branchy reference (ms) "
             "| speed-up | value + gradient (ms) | curvature (ms) |",
             "|---|---|---|---|---|---|---|---|---|"]
    records = []
    for dtype in (np.float64, np.float32):
        for columns in (1, 10):
            ovr = columns > 1
            raw = rng.normal(size=(args.n, columns)).astype(dtype)
            raw_d = rng.normal(size=raw.shape).astype(dtype)
            y = (rng.integers(0, columns, args.n).astype(np.uint8) if ovr
                 else np.where(rng.random(args.n) < 0.5, 1, -1).astype(np.int8))
            c = np.ones(args.n, dtype=dtype)
            out = np.empty_like(raw)
            for power in (1, 2):
                for gamma in (0.01, 0.0):
                    a = (y, raw, raw_d, 0.3, c, power, gamma, ovr)
                    fused = kernels.weighted_value_on_line(*a)
                    reference = _branchy_value_on_line(*a)
                    if not np.isclose(fused, reference, rtol=1e-10):
                        raise AssertionError(f"kernel {fused} != reference {reference}")
                    t_line = _best(lambda: kernels.weighted_value_on_line(*a))
                    t_ref = _best(lambda: _branchy_value_on_line(*a))
                    t_grad = _best(lambda: kernels.weighted_value_gradient(
                        y, raw, c, power, gamma, ovr, out))
                    t_curv = _best(lambda: kernels.weighted_curvature(
                        y, raw, c, power, gamma, ovr, out))
                    records.append(dict(dtype=np.dtype(dtype).name, columns=columns,
                                        power=power, gamma=gamma, on_line_s=t_line,
                                        reference_s=t_ref, value_gradient_s=t_grad,
                                        curvature_s=t_curv))
                    lines.append(f"| {np.dtype(dtype).name} | {columns} | {power} | {gamma} | "
                                 f"{1e3 * t_line:.2f} | {1e3 * t_ref:.2f} | "
                                 f"{t_ref / t_line:.1f}x | {1e3 * t_grad:.2f} | "
                                 f"{1e3 * t_curv:.2f} |")
    meta = dict(machine=machine(), command="python -m benchmarks.kernels " + " ".join(
        argv if argv is not None else sys.argv[1:]), load_average=os.getloadavg())
    write_results(args.out, "kernels", meta, records, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
