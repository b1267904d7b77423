"""Benchmark of the sweep engine's per-point overhead (issue 9): points per second and the time per
point that is not simulation, on a 3,000-point weak-ticket grid with tiny trials (so the simulation
is cheap and the bookkeeping shows), for this checkout and, when git is available, for an earlier
commit of the engine ("before") unpacked into a temporary folder with ``git archive``.

Run:  python benchmarks/bench_sweep.py                 (3,000 points; add --quick for 300)
      python benchmarks/bench_sweep.py --default       (the default sweep: 231 points x 500)
      python benchmarks/bench_sweep.py --before REV    (compare with commit REV; default 0f205f0,
                                                        the engine before issue 9; --before '' skips)

Grid: widths 1..100 x 30 sparsities in [0.5, 0.99], target 4-8-8-1, --trials 4, --jobs 1, counts
method. "loop s" is the sweep's own ``wall_time_s`` in meta.json (the grid points and their saving,
not the figure); "simulation s" the same simulate_counts calls made directly; the overhead per point is
their difference over the number of points.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _setup
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def grid(quick: bool, default: bool) -> tuple[list[int], list[float]]:
    """The benchmark grid, or (``default``) the weak sweep's default axes."""
    if default:
        from lththeory.experiments import weak as weak_exp

        axes = weak_exp.EXPERIMENT.axes
        return [int(w) for w in axes["width"].default.split(",")], [
            float(x) for x in axes["sparsity"].default.split(",")
        ]
    widths = list(range(1, 11 if quick else 101))
    sparsities = [round(float(s), 4) for s in np.linspace(0.5, 0.99, 30)]
    return widths, sparsities


def sweep_argv(widths: list[int], sparsities: list[float], trials: int, out: Path) -> list[str]:
    return [
        "width",
        "sparsity",
        "--width",
        ",".join(map(str, widths)),
        "--sparsity",
        ",".join(map(str, sparsities)),
        "--trials",
        str(trials),
        "--quiet",
        "--out",
        str(out),
    ]


def run_sweep(src: Path, argv: list[str], out: Path) -> tuple[float, float]:
    """(loop seconds from meta.json, process wall seconds) of ``python -m lththeory.sweep`` run
    with ``src`` first on the import path."""
    env = dict(os.environ, PYTHONPATH=str(src), MPLBACKEND="Agg")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "lththeory.sweep", *argv],
        cwd=str(src),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"sweep failed in {src}:\n{proc.stderr[-2000:]}")
    return float(json.loads((out / "meta.json").read_text())["wall_time_s"]), wall


def simulation_seconds(widths: list[int], sparsities: list[float], trials: int) -> float:
    """The grid's simulate_counts calls alone (this checkout; the same draws as the sweep)."""
    from lththeory.experiments import weak as weak_exp
    from lththeory.stats import float_key
    from lththeory.weak import simulate_counts

    exp = weak_exp.EXPERIMENT
    config = exp.make_config(trials=trials)
    target = exp.target(config)
    t0 = time.perf_counter()
    for k in widths:
        for s in sparsities:
            dens = exp.densities(config, s)
            simulate_counts(target, k, dens, exp.seedseq(config, k, float_key(s)), trials)
    return time.perf_counter() - t0


def unpack(rev: str, into: Path) -> Path | None:
    """The package at commit ``rev`` (``git archive``), or None when git cannot provide it."""
    try:
        data = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "lththeory"],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    subprocess.run(["tar", "-x", "-C", str(into)], input=data, check=True)
    return into


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="300 points instead of 3,000")
    ap.add_argument("--trials", type=int, default=None, help="default 4 (500 with --default)")
    ap.add_argument(
        "--default", action="store_true", help="the default sweep's grid and trials instead"
    )
    ap.add_argument("--before", default="0f205f0", help="commit to compare with ('' to skip)")
    ap.add_argument("--cpu", type=int, default=None, help="pin to this many CPUs")
    args = ap.parse_args()
    if args.trials is None:
        args.trials = 500 if args.default else 4
    cmd = "python benchmarks/bench_sweep.py" + (" --quick" if args.quick else "")
    cmd += " --default" if args.default else ""
    if args.before != "0f205f0":
        cmd += f" --before '{args.before}'"
    print(f"command: {cmd}")
    print(_setup.machine(), "|", _setup.pin(args.cpu))
    widths, sparsities = grid(args.quick, args.default)
    n = len(widths) * len(sparsities)
    print(
        f"grid: {len(widths)} widths x {len(sparsities)} sparsities = {n} points, "
        f"{args.trials} trials each, --jobs 1"
    )
    sim = simulation_seconds(widths, sparsities, args.trials)
    print(f"simulation alone: {sim:.2f} s ({1e3 * sim / n:.3f} ms per point)\n")
    print("| code | loop s | process s | points/s | overhead ms/point |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        runs = [("this checkout", ROOT)]
        if args.before:
            (tmp / "before").mkdir()
            old = unpack(args.before, tmp / "before")
            if old is None:
                print(f"(no comparison: git archive {args.before} failed)")
            else:
                runs.append((f"before ({args.before})", old))
        for label, src in runs:
            out = tmp / f"out-{len(label)}"
            loop, wall = run_sweep(src, sweep_argv(widths, sparsities, args.trials, out), out)
            over = 1e3 * (loop - sim) / n
            print(f"| {label} | {loop:.2f} | {wall:.2f} | {n / loop:,.0f} | {over:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
