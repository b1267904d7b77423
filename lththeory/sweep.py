"""``python -m lththeory.sweep AXIS [AXIS] --experiment NAME ...``: Monte-Carlo sweeps over a grid.

The positional words name the swept axes (for the weak-ticket experiment ``width sparsity``); each
axis takes its values from the flag of its own name as a comma-separated list (``--width 1,2,4``).
Every grid point is one task with its own SeedSequence (run seed + a stable key of the point's values),
so the rows do not depend on ``--jobs``. ``results.csv`` is rewritten atomically after every finished
point (a Ctrl-C keeps every finished row); ``meta.json`` records the parameters, version, seed and wall
time; the experiment then draws its figures and prints a one-paragraph summary.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from types import ModuleType
from typing import Any

from ._validate import LTHInputError, check_positive_int

__all__ = [
    "Axis",
    "BASE_COLUMNS",
    "BOUND_COLUMNS",
    "sparsity_axis",
    "EXPERIMENTS",
    "main",
    "run_sweep",
    "write_csv_atomic",
    "read_csv",
]


def _discover() -> dict[str, str]:
    import pkgutil

    from . import experiments

    found = {}
    for info in pkgutil.iter_modules(experiments.__path__):
        if not info.name.startswith("_"):
            found[info.name.replace("_", "-")] = f"lththeory.experiments.{info.name}"
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != "weak", kv[0])))


#: experiment name -> module implementing it: every module of lththeory/experiments
#: (``lower_bound.py`` is ``--experiment lower-bound``)
EXPERIMENTS: dict[str, str] = _discover()


@dataclass(frozen=True)
class Axis:
    """A sweepable axis: how to parse one value, the default list when swept, the value when fixed."""

    parse: Callable[[str], Any]
    default: str
    fixed: str
    help: str


#: the columns every width x sparsity experiment writes first (issue: results.csv)
BASE_COLUMNS = [
    "experiment",
    "width",
    "sparsity",
    "trials",
    "successes",
    "rate",
    "ci_low",
    "ci_high",
    "theory_width",
    "seed",
]


#: the theorem-bound columns of the weak and strong experiments (after their BASE_COLUMNS)
BOUND_COLUMNS = [
    "density",
    "first_layer_density",
    "method",
    "delta",
    "target",
    "bound_success",
    "bound_holds",
]


def sparsity_axis(default: str, fixed: str, help: str) -> Axis:
    """The ``sparsity`` axis (1 - p, in [0, 1)) shared by the width x sparsity experiments."""
    from ._validate import check_sparsity

    return Axis(
        parse=lambda t: check_sparsity(t, "sparsity"), default=default, fixed=fixed, help=help
    )


def _load(name: str) -> ModuleType:
    if name not in EXPERIMENTS:
        raise LTHInputError(
            f"--experiment must be one of {', '.join(sorted(EXPERIMENTS))}, got {name!r}"
        )
    return importlib.import_module(EXPERIMENTS[name])


def parse_list(flag: str, text: str, parse: Callable[[str], Any]) -> list[Any]:
    """Parse a comma-separated flag value; errors name the flag."""
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not items:
        raise LTHInputError(f"--{flag} needs at least one value, got {text!r}")
    out = []
    for t in items:
        try:
            out.append(parse(t))
        except LTHInputError as e:
            raise LTHInputError(f"--{flag}: {e}") from None
    if len(set(out)) != len(out):
        raise LTHInputError(f"--{flag} lists a value twice: {text!r}")
    return out


def write_csv_atomic(path: Path, columns: Sequence[str], rows: Sequence[dict]) -> None:
    """Write a CSV by writing a temporary file in the same folder and renaming it over ``path``."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: ("" if r.get(c) is None else r.get(c)) for c in columns})
    _write_text_atomic(path, buf.getvalue())


def _write_text_atomic(path: Path, text: str) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def parse_value(text: str) -> int | float | str | None:
    """A CSV cell back as written: "" -> None, then int, then float, else the string itself."""
    if text in ("", None):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def read_csv(path: Path | str) -> list[dict[str, str]]:
    """Rows of a results.csv as dicts of strings."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _run_point(module: str, point: dict, config: dict) -> dict:
    mod = importlib.import_module(module)
    return mod.run_point(point, config)


def build_parser(exp: ModuleType | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m lththeory.sweep",
        description="Monte-Carlo sweep of an lththeory experiment over one or two axes.",
    )
    p.add_argument("axes", nargs="+", metavar="AXIS", help="the swept axes, e.g. 'width sparsity'")
    p.add_argument("--experiment", default="weak", help=f"one of {', '.join(EXPERIMENTS)}")
    default_trials = str(getattr(exp, "DEFAULT_TRIALS", 200))
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
        for name, ax in exp.AXES.items():
            p.add_argument(
                f"--{name}", default=None, help=f"{ax.help} (default when swept: {ax.default})"
            )
        exp.add_arguments(p)
    return p


def _grid(exp: ModuleType, args: argparse.Namespace) -> tuple[list[str], list[dict]]:
    swept = list(args.axes)
    if len(swept) > 2:
        raise LTHInputError(f"AXIS: give one or two axes, got {len(swept)}: {' '.join(swept)}")
    for a in swept:
        if a not in exp.AXES:
            raise LTHInputError(
                f"AXIS must be one of {', '.join(exp.AXES)} for --experiment {exp.NAME}, got {a!r}"
            )
    if len(set(swept)) != len(swept):
        raise LTHInputError(f"AXIS: an axis is named twice: {' '.join(swept)}")
    values: dict[str, list] = {}
    for name, ax in exp.AXES.items():
        raw = getattr(args, name)
        if name in swept:
            values[name] = parse_list(name, ax.default if raw is None else raw, ax.parse)
        else:
            vals = parse_list(name, ax.fixed if raw is None else raw, ax.parse)
            if len(vals) != 1:
                raise LTHInputError(
                    f"--{name} takes a single value unless '{name}' is a swept AXIS, got {raw!r}"
                )
            values[name] = vals
    names = list(exp.AXES)
    points = [
        dict(zip(names, combo, strict=True)) for combo in product(*(values[n] for n in names))
    ]
    order = swept + [n for n in names if n not in swept]
    points.sort(key=lambda pt: tuple(values[n].index(pt[n]) for n in order))
    return swept, points


def run_sweep(argv: Sequence[str] | None = None) -> dict:
    """Run a sweep from command-line words; returns a dict with the rows, paths and summary."""
    argv = list(sys.argv[1:] if argv is None else argv)
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--experiment", default="weak")
    known, _ = pre.parse_known_args(argv)
    exp = _load(known.experiment)
    args = build_parser(exp).parse_args(argv)
    swept, points = _grid(exp, args)
    common = {
        "trials": check_positive_int(args.trials, "--trials"),
        "seed": check_positive_int(args.seed, "--seed", minimum=0),
        "jobs": check_positive_int(args.jobs, "--jobs"),
    }
    from ._validate import check_probability_open

    common["delta"] = check_probability_open(args.delta, "--delta")
    config = exp.configure(args, common)
    config.update(common)
    config["experiment"] = exp.NAME
    config["axes"] = swept
    if hasattr(exp, "check_grid"):
        exp.check_grid(points, config)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, meta_path = out / "results.csv", out / "meta.json"
    from . import __version__

    meta = {
        "command": "python -m lththeory.sweep " + " ".join(argv),
        "version": __version__,
        "python": platform.python_version(),
        "config": {k: v for k, v in config.items() if k != "jobs"},
        "jobs": config["jobs"],
        "points": len(points),
    }
    done: dict[int, dict] = {}
    if args.resume and csv_path.exists() and meta_path.exists():
        old = json.loads(meta_path.read_text())
        if old.get("config") == meta["config"]:
            old_rows = read_csv(csv_path)
            names = list(exp.AXES)
            keys = {tuple(exp.AXES[n].parse(r[n]) for n in names): r for r in old_rows}
            for i, pt in enumerate(points):
                r = keys.get(tuple(pt[n] for n in names))
                if r is not None:
                    done[i] = {c: parse_value(v) for c, v in r.items()}
    t0 = time.perf_counter()
    meta.update(status="running", started=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    _write_text_atomic(meta_path, json.dumps(meta, indent=2) + "\n")

    def flush() -> None:
        write_csv_atomic(csv_path, exp.COLUMNS, [done[i] for i in sorted(done)])

    todo = [i for i in range(len(points)) if i not in done]
    status = "complete"
    try:
        from tqdm import tqdm

        bar = tqdm(
            total=len(points),
            initial=len(done),
            disable=args.quiet,
            file=sys.stderr,
            desc=f"{exp.NAME} sweep",
            unit="pt",
        )
        if config["jobs"] == 1 or len(todo) <= 1:
            for i in todo:
                done[i] = exp.run_point(points[i], config)
                flush()
                bar.update(1)
        else:
            with ProcessPoolExecutor(max_workers=config["jobs"]) as pool:
                futs = {
                    pool.submit(_run_point, EXPERIMENTS[exp.NAME], points[i], config): i
                    for i in todo
                }
                try:
                    pending = set(futs)
                    while pending:
                        fin, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for f in fin:
                            done[futs[f]] = f.result()
                        flush()
                        bar.update(len(fin))
                except BaseException:
                    for f in futs:
                        f.cancel()
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
        bar.close()
    except KeyboardInterrupt:
        status = "interrupted"
    flush()
    rows = [done[i] for i in sorted(done)]
    meta.update(status=status, completed=len(rows), wall_time_s=round(time.perf_counter() - t0, 3))
    _write_text_atomic(meta_path, json.dumps(meta, indent=2) + "\n")
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


if __name__ == "__main__":
    raise SystemExit(main())
