"""Benchmark of Theorem W's two simulators (issue: counts >= 1e4 trials/s; one masks trial of a
source with 1e8 potential edges at density 0.01 in < 5 s on one core).

Run:  python benchmarks/bench_weak.py            (add --quick for a short smoke run)

Target: dense random 10-50-50-1. Widths: Theorem W's per-layer widths (k_0, k_1, k_2) at delta = 0.1
(the common width, max of those, is also reported). Peak memory of ``masks`` is measured with
tracemalloc (numpy reports its buffers to it).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import _setup
import numpy as np

from lththeory import random_target
from lththeory.stats import point_seedseq
from lththeory.weak import (
    construct,
    sample_source,
    simulate_counts,
    source_widths,
    theorem_w_common_width,
    theorem_w_widths,
)


def potential_edges(widths, k):
    N = source_widths(widths, k)
    return sum(N[i] * N[i + 1] for i in range(len(N) - 1))


def time_masks_trial(target, k, p, seed=0):
    tracemalloc.start()
    t0 = time.perf_counter()
    src = sample_source(target, k, p, np.random.default_rng(seed))
    res = construct(target, src, build_ticket=False)
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return dt, peak, res.success, sum(m.nnz for m in src.masks)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print("command: python benchmarks/bench_weak.py" + (" --quick" if args.quick else ""))
    print(_setup.machine())
    target = random_target((10, 50, 50, 1), seed=0)
    trials = 2000 if args.quick else 20000
    print(
        "\n| sparsity | per-layer k (Thm W) | common k | counts trials/s | masks trials/s | masks peak MiB |"
    )
    print("|---|---|---|---|---|---|")
    for s in (0.9, 0.99):
        p = 1 - s
        ks = theorem_w_widths(target, p, 0.1)
        kc = theorem_w_common_width(target, p, 0.1)
        best = 0.0
        for rep in range(3):
            t0 = time.perf_counter()
            ok = simulate_counts(target, ks, p, point_seedseq(rep, 1), trials)
            best = max(best, trials / (time.perf_counter() - t0))
        pe = potential_edges(target.widths, ks)
        nnz_est = pe * p
        if (
            nnz_est * 12 < 4 * 2**30
        ):  # int64 flat index + int32 column + bool: ~12 bytes per kept entry
            reps = 2 if args.quick else 5
            times, peaks = [], []
            for r in range(reps):
                dt, peak, _, _ = time_masks_trial(target, ks, p, r)
                times.append(dt)
                peaks.append(peak)
            masks = f"{1 / np.median(times):.2f}"
            mem = f"{max(peaks) / 2**20:.0f}"
        else:
            masks = f"n/a ({pe:.1e} potential edges, ~{nnz_est * 12 / 2**30:.0f} GiB of masks)"
            mem = "n/a"
        print(f"| {s} | {ks} | {kc} | {best:,.0f} (success {ok.mean():.3f}) | {masks} | {mem} |")
    # the 1e8-potential-edge floor at density 0.01
    k = 182
    pe = potential_edges(target.widths, (k, k, k))
    times = []
    for r in range(1 if args.quick else 3):
        dt, peak, succ, nnz = time_masks_trial(target, k, 0.01, r)
        times.append(dt)
    print(
        f"\nmasks, one trial, 10-50-50-1 with k = {k} ({pe:.2e} potential edges) at density 0.01: "
        f"median {np.median(times):.2f} s, {nnz:,} kept edges, peak {peak / 2**20:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
