"""``python -m lththeory.sweep AXIS [AXIS] --experiment NAME ...``: the command line of a sweep.

The positional words name the swept axes (for the weak-ticket experiment ``width sparsity``); each
axis takes its values from the flag of its own name as a comma-separated list (``--width 1,2,4``).
Every grid point is one task with its own SeedSequence (run seed + a stable key of the point's values),
so the rows do not depend on ``--jobs``. ``results.csv`` is rewritten atomically after every finished
point (a Ctrl-C keeps every finished row); ``meta.json`` records the parameters, version, seed and wall
time; the experiment then draws its figures and prints a one-paragraph summary.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .._validate import LTHInputError, check_positive_int, check_probability_open
from ..experiments import EXPERIMENTS
from ..experiments.base import Experiment
from .grid import build_grid
from .output import parse_value, read_csv, write_csv_atomic, write_meta
from .runner import run_points

__all__ = ["build_parser", "experiment_names", "main", "run_sweep"]


def experiment_names() -> list[str]:
    """The registered experiments, ``weak`` first."""
    return sorted(EXPERIMENTS, key=lambda n: (n != "weak", n))


def _load(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise LTHInputError(
            f"--experiment must be one of {', '.join(sorted(EXPERIMENTS))}, got {name!r}"
        )
    return EXPERIMENTS.get(name)


def build_parser(exp: Experiment | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m lththeory.sweep",
        description="Monte-Carlo sweep of an lththeory experiment over one or two axes.",
    )
    p.add_argument("axes", nargs="+", metavar="AXIS", help="the swept axes, e.g. 'width sparsity'")
    p.add_argument("--experiment", default="weak", help=f"one of {', '.join(experiment_names())}")
    default_trials = str(getattr(exp, "default_trials", 200))
    p.add_argument("--trials", default=default_trials, help="Monte-Carlo trials per grid point")
    p.add_argument("--delta", default="0.1", help="failure budget delta in (0, 1)")
    p.add_argument("--seed", default="0", help="run seed (non-negative integer)")
    p.add_argument("--out", default="results/sweep", help="output folder")
    p.add_argument("--jobs", default="1", help="worker processes")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--resume",
        action="store_true",
        help="keep rows of an earlier run in --out with the same parameters, compute the rest",
    )
    if exp is not None:
        for name, ax in exp.axes.items():
            p.add_argument(
                f"--{name}", default=None, help=f"{ax.help} (default when swept: {ax.default})"
            )
        exp.add_arguments(p)
    return p


def _resumed_rows(
    exp: Experiment, points: list[dict], csv_path: Path, meta_path: Path, meta: dict
) -> dict[int, dict]:
    """Rows of an earlier run with the same config, matched to grid points by their axis values."""
    done: dict[int, dict] = {}
    if not (csv_path.exists() and meta_path.exists()):
        return done
    old = json.loads(meta_path.read_text())
    if old.get("config") != meta["config"]:
        return done
    names = list(exp.axes)
    keys = {tuple(exp.axes[n].parse(r[n]) for n in names): r for r in read_csv(csv_path)}
    for i, pt in enumerate(points):
        r = keys.get(tuple(pt[n] for n in names))
        if r is not None:
            done[i] = {c: parse_value(v) for c, v in r.items()}
    return done


def run_sweep(argv: Sequence[str] | None = None) -> dict:
    """Run a sweep from command-line words; returns a dict with the rows, paths and summary."""
    argv = list(sys.argv[1:] if argv is None else argv)
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--experiment", default="weak")
    known, _ = pre.parse_known_args(argv)
    exp = _load(known.experiment)
    args = build_parser(exp).parse_args(argv)
    swept, points = build_grid(exp, args)
    common = {
        "trials": check_positive_int(args.trials, "--trials"),
        "seed": check_positive_int(args.seed, "--seed", minimum=0),
        "jobs": check_positive_int(args.jobs, "--jobs"),
        "delta": check_probability_open(args.delta, "--delta"),
    }
    config = exp.configure(args, common)
    config.update(common)
    config["experiment"] = exp.name
    config["axes"] = swept
    exp.check_grid(points, config)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, meta_path = out / "results.csv", out / "meta.json"
    from .. import __version__

    meta = {
        "command": "python -m lththeory.sweep " + " ".join(argv),
        "version": __version__,
        "python": platform.python_version(),
        "config": {k: v for k, v in config.items() if k != "jobs"},
        "jobs": config["jobs"],
        "points": len(points),
    }
    done = _resumed_rows(exp, points, csv_path, meta_path, meta) if args.resume else {}
    t0 = time.perf_counter()
    meta.update(status="running", started=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    write_meta(meta_path, meta)

    def flush() -> None:
        write_csv_atomic(csv_path, exp.columns, [done[i] for i in sorted(done)])

    todo = [i for i in range(len(points)) if i not in done]
    status = "complete"
    try:
        from tqdm import tqdm

        bar = tqdm(
            total=len(points),
            initial=len(done),
            disable=args.quiet,
            file=sys.stderr,
            desc=f"{exp.name} sweep",
            unit="pt",
        )

        def finished(batch: list[tuple[int, dict]]) -> None:
            for i, row in batch:
                done[i] = row
            flush()
            bar.update(len(batch))

        run_points(exp.name, points, todo, config, config["jobs"], finished)
        bar.close()
    except KeyboardInterrupt:
        status = "interrupted"
    flush()
    rows = [done[i] for i in sorted(done)]
    meta.update(status=status, completed=len(rows), wall_time_s=round(time.perf_counter() - t0, 3))
    write_meta(meta_path, meta)
    result = {"rows": rows, "csv": csv_path, "meta": meta_path, "status": status, "figures": []}
    if status == "interrupted":
        result["summary"] = (
            f"Interrupted: {len(rows)} of {len(points)} grid points kept in {csv_path} "
            f"(rerun with --resume to finish)."
        )
        return result
    figs = exp.plot(rows, config, out)
    result["figures"] = figs
    result["summary"] = exp.summarize(rows, config, out, figs, meta["wall_time_s"])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: exit 0 on success, 2 on bad input, 130 when interrupted."""
    try:
        res = run_sweep(argv)
    except LTHInputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted before any grid point finished", file=sys.stderr)
        return 130
    print(res["summary"])
    return 130 if res["status"] == "interrupted" else 0
