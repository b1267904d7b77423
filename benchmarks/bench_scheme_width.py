"""Benchmark of the scheme-width experiment (issue: LeNet-300-100 x 4 schemes x 8 densities in under
10 minutes on 2 cores).

Run:  python benchmarks/bench_scheme_width.py            (add --quick for a short smoke run)

Part 1 runs the sweep command itself, ``python -m lththeory.sweep density scheme --experiment
scheme-width --target 784,300,100,10 --target-density 0.1 --jobs 2`` (1000 trials per visited k, the
default grid of 8 densities), into a temporary folder, and reports its wall time, the bisection's
measurements and how many count-chain trials the early stop saved. Part 2 times the pieces of one grid
point per scheme at D = 0.1 on one core: Theorem W''s width (the bisection's guess), the bisection with
and without the early stop (same width, by construction).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import _setup

from lththeory.densities import SCHEMES
from lththeory.experiments.targets import sweep_target
from lththeory.stats import point_seedseq
from lththeory.sweep import run_sweep
from lththeory.weak import fc_source_shapes, required_width, scheme_densities, sharp_common_width

TARGET = (784, 300, 100, 10)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--jobs", default="2")
    args = ap.parse_args()
    print("command: python benchmarks/bench_scheme_width.py" + (" --quick" if args.quick else ""))
    print(_setup.machine())
    trials = 300 if args.quick else 1000
    grid = ["--density", "0.05,0.2"] if args.quick else []
    grid += ["--scheme", "uniform,erk"] if args.quick else []
    argv = ["density", "scheme", "--experiment", "scheme-width", "--target", "784,300,100,10"]
    argv += ["--target-density", "0.1", "--trials", str(trials), "--jobs", args.jobs, "--quiet"]
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        res = run_sweep(argv + grid + ["--out", out])
        wall = time.perf_counter() - t0
    rows = res["rows"]
    evals = sum(int(r["evaluations"]) for r in rows)
    drawn = sum(int(r["trials_drawn"]) for r in rows)
    print(
        f"\nsweep: python -m lththeory.sweep {' '.join(argv + grid)}\n"
        f"  {len(rows)} grid points in {wall:.1f} s wall ({args.jobs} jobs); {evals} rate "
        f"measurements, {drawn:,} count-chain trials drawn of {evals * trials:,} "
        f"({1 - drawn / (evals * trials):.0%} saved by the early stop)"
    )
    print("\none grid point per scheme at D = 0.1 (one core):")
    print(
        "| scheme | W' width | W' time s | frontier | bisection s (early stop) | without s | evals |"
    )
    print("|---|---|---|---|---|---|---|")
    t = sweep_target(TARGET, 0, "dense", 0.1)
    for scheme in SCHEMES[:2] if args.quick else SCHEMES:
        dens = scheme_densities(fc_source_shapes(t), 0.1, scheme)
        t0 = time.perf_counter()
        kw = sharp_common_width(t, dens, 0.1)
        t1 = time.perf_counter()
        fast = required_width(t, dens, 0.1, point_seedseq(0, 1), trials, guess=kw, stop_early=True)
        t2 = time.perf_counter()
        full = required_width(t, dens, 0.1, point_seedseq(0, 1), trials, guess=kw)
        t3 = time.perf_counter()
        assert fast.width == full.width
        print(
            f"| {scheme} | {kw} | {t1 - t0:.2f} | {fast.width} | {t2 - t1:.2f} | {t3 - t2:.2f} | "
            f"{fast.evaluations} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
