"""Throughput of the subset-sum solvers (docs/theory.md §5.1).

One instance = n fresh candidates iid U[-1, 1] and one target z ~ U[-1, 1], eps = 1e-4.
Exact (``solve``: hash-filtered meet in the middle, sorted fallback), MILP (scipy.optimize.milp /
HiGHS, time limit per instance) and brute force (all 2^n subsets, only where it takes under a few
seconds). Single process; ``--cpu K`` pins it to core K (Linux).

Exact: every instance is timed on its own; the rate is 1 / median time, best of ``--repeats`` passes
over the same instances (robust to other processes sharing the core); the CPU-time rate is instances
per second of process CPU time, also the best of the passes.

    python benchmarks/bench_subset_sum.py [--seed 0] [--cpu 0] [--repeats 3] [--milp-instances 2]
        [--milp-time-limit 5]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

import _setup
import numpy as np

from lththeory import subset_sum as ss

EPS = 1e-4
EXACT_INSTANCES = {20: 2000, 30: 2000, 40: 6}
BRUTE_FORCE_BUDGET_S = 3.0


def _instances(n: int, count: int, rng: np.random.Generator) -> list[tuple[np.ndarray, float]]:
    return [(rng.uniform(-1.0, 1.0, n), float(rng.uniform(-1.0, 1.0))) for _ in range(count)]


def bench_exact(
    n: int, count: int, repeats: int, rng: np.random.Generator
) -> tuple[float, float, float, float]:
    """(1 / median seconds per instance, instances per CPU second, share with err <= eps, max err)."""
    inst = _instances(n, count, rng)
    ss.solve(*inst[0], EPS)  # warm the workspace
    ok = 0
    worst = 0.0
    best_rate = best_cpu = 0.0
    times = np.empty(count)
    for rep in range(repeats):
        c0 = time.process_time()
        for k, (a, z) in enumerate(inst):
            t0 = time.perf_counter()
            r = ss.solve(a, z, EPS)
            times[k] = time.perf_counter() - t0
            if rep == 0:
                ok += int(r.ok[0])
                worst = max(worst, float(r.errors[0]))
        cpu = time.process_time() - c0
        best_rate = max(best_rate, 1.0 / float(np.median(times)))
        best_cpu = max(best_cpu, count / cpu)
    return best_rate, best_cpu, ok / count, worst


def bench_milp(
    n: int, count: int, time_limit: float, rng: np.random.Generator
) -> tuple[float, str, float]:
    inst = _instances(n, count, rng)
    statuses: list[str] = []
    gap = 0.0  # MILP error minus exact error (>= 0; 0 when MILP proves optimality)
    t0 = time.perf_counter()
    for a, z in inst:
        r = ss.solve_milp(a, z, EPS, time_limit=time_limit)
        statuses.append(r.status[0])
        gap = max(gap, float(r.errors[0]) - float(ss.solve(a, z).errors[0]))
    dt = time.perf_counter() - t0  # includes the (negligible) exact reference solves
    summary = ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
    return count / dt, summary, gap


def bench_brute_force(n: int, rng: np.random.Generator) -> str:
    if n > ss.MAX_BRUTE_FORCE_N:
        return "n/a"
    a, z = _instances(n, 1, rng)[0]
    t0 = time.perf_counter()
    ss.solve_brute_force(a, z, EPS)
    dt = time.perf_counter() - t0
    if dt > BRUTE_FORCE_BUDGET_S:
        return "n/a"
    reps = max(1, min(50, int(BRUTE_FORCE_BUDGET_S / max(dt, 1e-6))))
    t0 = time.perf_counter()
    for a, z in _instances(n, reps, rng):
        ss.solve_brute_force(a, z, EPS)
    return f"{reps / (time.perf_counter() - t0):.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--milp-instances", type=int, default=2)
    ap.add_argument("--milp-time-limit", type=float, default=5.0)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 30, 40])
    ap.add_argument("--repeats", type=int, default=3, help="passes over the exact instances")
    ap.add_argument("--cpu", type=int, default=None, help="pin the process to this core")
    args = ap.parse_args(argv)
    args.repeats = max(1, args.repeats)
    pinned = _setup.pin(None if args.cpu is None else [args.cpu])
    print("command:", shlex.join([sys.executable.rsplit("/", 1)[-1], *sys.argv]))
    print(
        f"one instance = n iid U[-1, 1] candidates + one target U[-1, 1]; eps = {EPS:g}; 1 process"
    )
    rng = np.random.default_rng(args.seed)
    header = (
        f"{'n':>3} | {'exact inst/s':>12} | {'(CPU time)':>10} | {'ok (err<=eps)':>13} | {'max err':>9} | "
        f"{'MILP inst/s':>11} | {'MILP status':<22} | {'MILP-exact':>10} | {'brute inst/s':>12}"
    )
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        count = EXACT_INSTANCES.get(n, 20)
        rate, cpu_rate, ok, worst = bench_exact(n, count, args.repeats, rng)
        mrate, mstat, gap = bench_milp(n, args.milp_instances, args.milp_time_limit, rng)
        brute = bench_brute_force(n, rng)
        print(
            f"{n:>3} | {rate:>12.1f} | {cpu_rate:>10.1f} | {ok:>13.3f} | {worst:>9.2e} | "
            f"{mrate:>11.3f} | "
            f"{mstat:<22} | {gap:>10.2e} | {brute:>12}"
        )
    print(
        f"exact inst/s: 1 / median wall time per instance, best of {args.repeats} passes; (CPU time): "
        f"instances per CPU second, best pass ({_setup.machine()}; {pinned})"
    )
    print(
        f"exact: {EXACT_INSTANCES} instances per n; MILP: {args.milp_instances} per n, time limit "
        f"{args.milp_time_limit:g} s (MILP-exact = largest excess error of the MILP incumbent)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
