"""The depth L+1 construction and Pensia et al.'s depth 2L one side by side (docs/theory.md §5.7):
width, kept weights and error on the same target, at the same block sizes and densities, with the
same trial seeds (:func:`lththeory.strong.compare_constructions`).

    python benchmarks/compare_constructions.py [--target 4,8,8,1] [--width 64,128,256,512]
        [--sparsity 0.5,0.8,0.9] [--trials 10] [--eps 0.01] [--objective min-error]
        [--dense-first-layer] [--out results/compare]

Writes ``comparison.csv`` and ``comparison.png`` (left: certified and sampled error against k; right:
kept weights against k) into ``--out`` and prints a Markdown table and the wall time.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import _setup
import numpy as np

from lththeory import random_target
from lththeory.plotting import comparison_figure
from lththeory.stats import experiment_seedseq
from lththeory.strong import compare_constructions


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default="4,8,8,1")
    ap.add_argument("--width", default="64,128,256,512")
    ap.add_argument("--sparsity", default="0.5,0.8,0.9")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--eps", type=float, default=0.01)
    ap.add_argument("--objective", default="min-error")
    ap.add_argument("--dense-first-layer", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="worker processes per construction")
    ap.add_argument("--out", default="results/compare")
    args = ap.parse_args(argv)
    widths = [int(t) for t in args.target.split(",")]
    # the sweeps' random target: the same one the strong sweep builds for this seed
    target = random_target(
        widths, seed=np.random.default_rng(experiment_seedseq(args.seed, "target"))
    )
    ks = [int(t) for t in args.width.split(",")]
    ps = [1.0 - float(t) for t in args.sparsity.split(",")]
    t0 = time.perf_counter()
    rows = compare_constructions(
        target,
        ks,
        ps,
        args.eps,
        trials=args.trials,
        seed=args.seed,
        objective=args.objective,
        dense_first_layer=args.dense_first_layer,
        jobs=args.jobs,
    )
    wall = time.perf_counter() - t0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "comparison.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    fl = ", p_1 = 1" if args.dense_first_layer else ""
    title = (
        f"univariate (depth L+1) vs Pensia (depth 2L): target {args.target.replace(',', '-')}, "
        f"objective {args.objective}{fl}, {args.trials} trials/point"
    )
    comparison_figure(rows, out / "comparison.png", title=title, eps=args.eps)
    print(
        "| construction | depth | sparsity | k | source neurons | kept weights | certified error "
        "(q10-q90) | sampled error | success |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['construction']} | {r['depth']} | {1 - r['density']:g} | {r['width']} | "
            f"{r['source_neurons']:,} | {r['ticket_weights']:,.0f} | {r['certified_error']:.2g} "
            f"({r['certified_error_q10']:.2g}-{r['certified_error_q90']:.2g}) | "
            f"{r['sampled_error']:.2g} | {r['successes']}/{r['trials']} |"
        )
    print(
        f"wrote {out / 'comparison.csv'} and {out / 'comparison.png'}; {wall:.1f} s; {_setup.machine()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
