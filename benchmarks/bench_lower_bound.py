"""Benchmark: the exact decision of Theorem LB (matching) for N = 10^4 hidden neurons, n = 10^3
target neurons, p_1 = p_2 = 0.1, on one core (docs/theory.md §4; requirement: < 1 s).

Run from the repository root:  python benchmarks/bench_lower_bound.py [--repeats 7]

Threads are pinned to one (BLAS/OpenMP variables set before numpy loads, and the process bound to
one CPU where the OS allows). Each row times ``decide`` (graph, Hopcroft-Karp matching, and either
the certificate or the ticket with its check) on masks sampled beforehand; the median of the repeats
is reported, with the mask sampling time alongside.
"""

from __future__ import annotations

import argparse
import time

import _setup
import numpy as np

from lththeory.lower_bound import (
    decide,
    hard_instance,
    random_one_hidden_target,
    sample_source_masks,
)

N, n = 10_000, 1_000


def bench(label: str, target, p1: float, p2: float, repeats: int) -> tuple[str, float]:
    """One row: (printed line, median seconds of ``decide``)."""
    rng = np.random.default_rng(0)
    samp, times = [], []
    res = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        masks = sample_source_masks(N, target.d, p1, p2, rng)
        t1 = time.perf_counter()
        res = decide(target, masks)
        t2 = time.perf_counter()
        samp.append(t1 - t0)
        times.append(t2 - t1)
    outcome = (
        f"ticket (error {res.ticket_error:.1e})"
        if res.success
        else f"no ticket: matching {res.matching_size}/{n}, Hall set {res.hall_set.size} "
        f"vs {res.hall_neighbours.size} neighbours"
    )
    line = (
        f"{label:<34} p1={p1:<4g} p2={p2:<4g} edges={res.num_edges:>8d}  "
        f"decide median {1e3 * np.median(times):7.2f} ms (min {1e3 * min(times):.2f}, "
        f"max {1e3 * max(times):.2f})  sampling {1e3 * np.median(samp):.2f} ms  [{outcome}]"
    )
    return line, float(np.median(times))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    pin = _setup.pin(1)
    print(
        "command: python benchmarks/bench_lower_bound.py"
        + (f" --repeats {args.repeats}" if args.repeats != 7 else "")
    )
    print(f"{_setup.machine()}, {pin}; N = {N}, n = {n}, median of {args.repeats} runs")
    rows = [
        ("hard instance (d = 1)", hard_instance(n, seed=0), 0.1, 0.1),
        ("random target d = 4, s = 1", random_one_hidden_target(4, n, 1, seed=0), 0.1, 0.1),
        ("random target d = 8, s = 2", random_one_hidden_target(8, n, 2, seed=0), 0.1, 0.1),
        ("hard instance, succeeding", hard_instance(n, seed=0), 0.5, 0.5),
    ]
    worst = 0.0
    for label, tgt, p1, p2 in rows:
        line, med = bench(label, tgt, p1, p2, args.repeats)
        print(line)
        if p1 == p2 == 0.1:
            worst = max(worst, med)
    verdict = "PASS" if worst < 1.0 else "FAIL"
    print(f"{verdict}: slowest median at p = 0.1 is {1e3 * worst:.2f} ms (requirement < 1000 ms)")
    return 0 if worst < 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
