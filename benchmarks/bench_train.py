"""Claim 4's headline: the paper's three comparisons on Fashion-MNIST with LeNet-300-100
(784-300-100-10), side by side in one run (docs/theory.md §7.4).

(a) IMP, SNIP and SynFlow from the dense network vs inside ER masks (balanced, and ERK, which the
scheme-width experiment ranks first; density 0.2) at target densities 0.1, 0.05, 0.02; (b) static training of ER masks, the four schemes, at
densities 0.2 down to 0.01; (c) edge-popup strong tickets inside ER masks vs from dense. Every
accuracy is a mean over 3 seeds with its 95 % t-interval; FLOPs and weight updates are counted
(lththeory.training.loop). The dense network must reach >= 88 % test accuracy (sanity floor; the
script exits 1 otherwise).

Run (from the repository root; needs ``pip install -e ".[train]"`` and
``apt-get install dataset-fashion-mnist``):

    python benchmarks/bench_train.py --jobs 2                 # the headline, under an hour on 2 cores
    python benchmarks/bench_train.py --preset quick           # a smoke run plus the full run's estimate
    python benchmarks/bench_train.py --preset digits --jobs 2 # the small versions (minutes)
    python benchmarks/bench_train.py --preset mnist1d --jobs 2

Writes ``compare.csv`` and ``compare.png`` to ``--out`` (default ``results/bench_train/<preset>``).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import replace
from pathlib import Path

import _setup

from lththeory.training.compare import ComparisonPlan, estimated_epochs, run_comparisons
from lththeory.training.compare_report import comparison_figure, comparison_tables
from lththeory.training.loop import TrainConfig
from lththeory.training.methods.common import MethodOptions
from lththeory.training.run import ModelSpec

HEADLINE = ComparisonPlan(
    dataset="fashion-mnist",
    model=ModelSpec("mlp", (300, 100)),
    cfg=TrainConfig(epochs=6, batch_size=128, lr=3e-3),
    options=MethodOptions(imp_fraction=0.2, rewind_epoch=1, synflow_iterations=100),
    seeds=3,
    a_densities=(0.1, 0.05, 0.02),
    er_density=0.2,
    b_densities=(0.2, 0.1, 0.05, 0.02, 0.01),
    c_densities=(0.1, 0.05, 0.02),
)
PRESETS = {
    "fashion": HEADLINE,
    "quick": replace(
        HEADLINE,
        cfg=TrainConfig(epochs=2, batch_size=128, lr=3e-3),
        options=MethodOptions(imp_fraction=0.5, rewind_epoch=1, synflow_iterations=10),
        seeds=2,
        a_densities=(0.05,),
        b_densities=(0.1, 0.01),
        c_densities=(0.05,),
        max_train=2000,
    ),
    "digits": ComparisonPlan(
        dataset="digits",
        model=ModelSpec("mlp", (100, 100)),
        cfg=TrainConfig(epochs=20, batch_size=64, lr=0.01),
        options=MethodOptions(imp_fraction=0.2, rewind_epoch=1, synflow_iterations=100),
        seeds=5,
    ),
    "mnist1d": ComparisonPlan(
        dataset="mnist1d",
        model=ModelSpec("mlp", (100, 100)),
        cfg=TrainConfig(epochs=20, batch_size=64, lr=3e-3),
        options=MethodOptions(imp_fraction=0.2, rewind_epoch=1, synflow_iterations=100),
        seeds=3,
    ),
}
SANITY_FLOOR = 0.88


def seconds_per_epoch(plan: ComparisonPlan) -> float:
    """Wall time of one epoch of the dense network on the plan's full training set (one thread),
    timed after a warm-up epoch (the first epoch of a process is about 2x slower)."""
    import numpy as np

    from lththeory.training.data import load_dataset
    from lththeory.training.run import Variant, dataset_task, run_trial

    ds = load_dataset(plan.dataset, np.random.default_rng(0), plan.data_dir)
    task = dataset_task(ds)
    cfg = replace(plan.cfg, epochs=1)
    variant = Variant("static", "dense", "uniform")
    for _ in range(2):  # the second run is timed
        t0 = time.perf_counter()
        run_trial(
            task,
            ds.n_classes,
            variant,
            [1.0],
            plan.model,
            cfg,
            plan.options,
            np.random.SeedSequence(0),
        )
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="fashion", choices=sorted(PRESETS))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", default=None, help="folder of the Fashion-MNIST IDX files")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    plan = replace(PRESETS[args.preset], seed=args.seed, data_dir=args.data_dir)
    out = Path(args.out or f"results/bench_train/{args.preset}")
    out.mkdir(parents=True, exist_ok=True)
    print("command: python benchmarks/bench_train.py " + " ".join(a for a in sys.argv[1:]))
    print(_setup.machine())
    full = replace(HEADLINE, seed=args.seed, data_dir=args.data_dir)
    if args.preset == "quick":
        spe = seconds_per_epoch(full)
        est = estimated_epochs(full) * spe / max(args.jobs, 1)
        print(
            f"full headline: {estimated_epochs(full):.0f} epoch-equivalents x {spe:.2f} s per "
            f"LeNet-300-100 epoch (measured now, one thread) / {args.jobs} jobs = about "
            f"{est / 60:.0f} min"
        )
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        print(f"  {done}/{total} jobs, {time.perf_counter() - t0:.0f} s", file=sys.stderr)

    rows = run_comparisons(plan, jobs=args.jobs, progress=progress)
    wall = time.perf_counter() - t0
    with open(out / "compare.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    fig = comparison_figure(
        rows,
        out / "compare.png",
        f"{plan.dataset}, mlp {'-'.join(map(str, plan.model.hidden))}, {plan.seeds} seeds, "
        f"{plan.cfg.epochs} epochs",
    )
    print(
        f"\n{plan.dataset} ({args.preset}): {len(rows)} rows in {wall:.0f} s with {args.jobs} "
        f"jobs; wrote {out / 'compare.csv'} and {fig}\n"
    )
    print(comparison_tables(rows))
    dense = next(r for r in rows if r["comparison"] == "dense")
    if args.preset == "fashion" and dense["accuracy"] < SANITY_FLOOR:
        print(
            f"\nSANITY FLOOR FAILED: dense LeNet-300-100 reached {dense['accuracy']:.4f} < "
            f"{SANITY_FLOOR}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
