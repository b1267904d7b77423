"""``python -m lththeory.sweep AXIS [AXIS] --experiment NAME ...``: the command line of a sweep.

The positional words name the swept axes (for the weak-ticket experiment ``width sparsity``); each
axis takes its values from the flag of its own name as a comma-separated list (``--width 1,2,4``).
Every grid point is one task with its own SeedSequence (run seed + a stable key of the point's values),
so the rows do not depend on ``--jobs`` or on the launcher (this process, worker processes or a Dask
cluster with ``--scheduler``). Output goes to ``results/<experiment>`` (``--out``), locked for the
run: every finished point is appended durably to ``journal.jsonl``, ``results.csv`` (grid order) is
written at the end and on interruption, ``meta.json`` holds the parameters and the status
(running, interrupted, failed, complete). ``--resume`` continues an interrupted run with the same
parameters and gives the bytes of an uninterrupted one. Bad input exits 2 with one line naming the
flag; SIGINT exits 130 and SIGTERM 143, keeping every finished row (docs/theory.md §6.2).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence

from .._validate import (
    MAX_INT,
    LTHInputError,
    check_memory,
    check_positive_int,
    check_probability_open,
    check_seed,
)
from ..experiments import EXPERIMENTS
from ..experiments.base import Experiment
from .grid import build_grid, grid_values
from .launchers import LAUNCHERS, Pool
from .lock import FolderLock
from .output import prepare_folder
from .runner import PointFailed, run_points
from .signals import EXIT_STATUS, InterruptGuard
from .state import RunFolder, now

__all__ = ["build_parser", "experiment_names", "main", "run_sweep"]


def experiment_names() -> list[str]:
    """The registered experiments, ``weak`` first."""
    return sorted(EXPERIMENTS, key=lambda n: (n != "weak", n))


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors (unknown flags, missing values) are one-line
    :class:`LTHInputError` messages instead of a usage block and ``SystemExit(2)``."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise LTHInputError(f"{message} (see --help)")


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: X)`` after every flag that has a default and does not state it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default is None or isinstance(action.default, bool) or "default" in text:
            return text
        return super()._get_help_string(action) or text


def _load(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise LTHInputError(
            f"--experiment must be one of {', '.join(sorted(EXPERIMENTS))}, got {name!r}"
        )
    return EXPERIMENTS.get(name)


def build_parser(exp: Experiment | None) -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="python -m lththeory.sweep",
        description="Monte-Carlo sweep of an lththeory experiment over one or two axes.",
        formatter_class=_DefaultsFormatter,
    )
    p.add_argument("axes", nargs="+", metavar="AXIS", help="the swept axes, e.g. 'width sparsity'")
    p.add_argument("--experiment", default="weak", help=f"one of {', '.join(experiment_names())}")
    default_trials = str(getattr(exp, "default_trials", 200))
    p.add_argument("--trials", default=default_trials, help="Monte-Carlo trials per grid point")
    p.add_argument("--delta", default="0.1", help="failure budget delta in (0, 1)")
    p.add_argument("--seed", default="0", help="run seed, an integer in [0, 2^63 - 1]")
    p.add_argument("--out", default=None, help="output folder (default: results/<experiment>)")
    p.add_argument(
        "--jobs",
        default="1",
        help="worker processes on this machine (at most 4 x the CPUs and at most the grid points)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the grid points on the Dask cluster at ADDRESS, e.g. tcp://10.0.0.1:8786 "
        "(pip install -e '.[cluster]'; default: this machine)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the interrupted run in --out (the same parameters, or exit 2 naming the "
        "first one that differs)",
    )
    if exp is not None:
        for name, ax in exp.axes.items():
            dashed = [f"--{name.replace('_', '-')}"] if "_" in name else []
            p.add_argument(
                f"--{name}",
                *dashed,  # --target-support as well as --target_support
                default=None,
                help=f"{ax.help} (default when swept: {ax.default}; when fixed: {ax.fixed})",
            )
        exp.add_arguments(p)
    return p


def _common(args: argparse.Namespace, exp: Experiment) -> dict:
    """The engine's own parameters, validated: trials, seed, delta, jobs, scheduler."""
    trials = check_positive_int(args.trials, "--trials", maximum=MAX_INT)
    check_memory(
        float(trials) * exp.trial_bytes,
        "--trials",
        f"the per-trial results of {trials} trials at one grid point",
    )
    cpus = os.cpu_count() or 1
    jobs = check_positive_int(args.jobs, "--jobs")
    if jobs > 4 * cpus:
        raise LTHInputError(
            f"--jobs must be an integer >= 1 and <= {4 * cpus} (4 x the {cpus} CPUs of this "
            f"machine), got {args.jobs}"
        )
    scheduler = args.scheduler
    if scheduler is not None:
        if not str(scheduler).strip():
            raise LTHInputError("--scheduler must be a Dask scheduler address, got ''")
        if jobs != 1:
            raise LTHInputError(
                "--jobs is for worker processes on this machine; with --scheduler the cluster's "
                "workers run the points (drop --jobs)"
            )
    return {
        "trials": trials,
        "seed": check_seed(args.seed, "--seed"),
        "jobs": jobs,
        "scheduler": scheduler,
        "delta": check_probability_open(args.delta, "--delta"),
    }


def _flag_names(args: argparse.Namespace) -> dict[str, str]:
    """Config key -> the flag that sets it (argparse's dest rule: ``--dense-first-layer`` sets
    ``dense_first_layer``), for --resume's messages."""
    out = {k: "--" + k.replace("_", "-") for k in vars(args) if k != "axes"}
    out["axes"] = "AXIS"
    return out


def run_sweep(argv: Sequence[str] | None = None, exiting: bool = False) -> dict:
    """Run a sweep from command-line words; returns a dict with the rows, paths, status and
    summary. Raises :class:`LTHInputError` for bad input (also when a grid point refuses its
    input; ``meta.json`` then says ``failed``). ``exiting``: the process ends after the sweep, so
    signals stay shielded after it (a late second Ctrl-C cannot change the exit status)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    pre = OneLineParser(add_help=False)
    pre.add_argument("--experiment", default="weak")
    known, _ = pre.parse_known_args(argv)
    exp = _load(known.experiment)
    parser = build_parser(exp)
    args = parser.parse_args(argv)
    swept, points = build_grid(exp, args)
    common = _common(args, exp)
    config = exp.configure(args, common)
    config.update({k: v for k, v in common.items() if k not in ("jobs", "scheduler")})
    config["experiment"] = exp.name
    config["axes"] = swept
    exp.check_grid(points, config)
    out = prepare_folder(f"results/{exp.name}" if args.out is None else args.out)
    from .. import __version__

    meta = {
        "command": "python -m lththeory.sweep " + " ".join(argv),
        "version": __version__,
        "python": platform.python_version(),
        "points": len(points),
        "jobs": common["jobs"],
        "scheduler": common["scheduler"],
    }
    # connect to a cluster before touching the folder: a bad --scheduler changes nothing
    cluster = LAUNCHERS.get("dask")(1, common["scheduler"]) if common["scheduler"] else None
    try:
        with FolderLock(out), InterruptGuard(restore=not exiting) as guard:
            grid = grid_values(exp, points)
            run = RunFolder(out, exp, config, grid, points, meta, _flag_names(args))
            try:
                return _run(exp, run, points, config, common, args, guard, cluster)
            finally:
                cluster = None  # _run closed it
                run.close()
    finally:
        if cluster is not None:
            cluster.close(True)


def _run(
    exp: Experiment,
    run: RunFolder,
    points: list[dict],
    config: dict,
    common: dict,
    args: argparse.Namespace,
    guard: InterruptGuard,
    cluster: Pool | None,
) -> dict:
    """Open the run, compute the missing points on the launcher (``cluster`` when connected to
    one already), save, then plot and summarise."""
    t0 = time.perf_counter()
    status, sig, error, pool, bar = "complete", None, None, cluster, None
    try:
        run.open(args.resume)  # a refused --resume leaves the folder as it was
    except BaseException:
        if pool is not None:
            pool.close(True)
        raise
    try:
        todo = [i for i in range(len(points)) if i not in run.rows]
        workers = min(common["jobs"], max(len(todo), 1))
        if pool is None:
            pool = LAUNCHERS.get("process" if workers > 1 else "local")(workers, None)
        run.set_status("running", launcher=pool.name, workers=pool.workers, **pool.info)
        from tqdm import tqdm

        bar = tqdm(
            total=len(points),
            initial=len(run.rows),
            disable=args.quiet,
            file=sys.stderr,
            desc=f"{exp.name} sweep",
            unit="pt",
        )

        def finished(batch: list[tuple[int, dict]]) -> None:
            with guard.deferred():
                run.record(batch)
            bar.update(len(batch))

        run_points(exp.name, points, todo, config, pool, finished)
        with guard.deferred():
            p, pool = pool, None
            p.close(False)
    except KeyboardInterrupt as e:
        guard.shield()
        status, sig = "interrupted", getattr(e, "signal_name", "SIGINT")
    except BaseException as e:  # a failing point or launcher: keep the rows, then report
        guard.shield()
        status, error = "failed", e
    finally:
        if pool is not None:
            pool.close(True)  # ends every worker at once
        if bar is not None:
            bar.close()
    run.write_results()
    wall = round(time.perf_counter() - t0, 3)
    rows = run.ordered_rows()
    result = {"rows": rows, "csv": run.csv, "meta": run.meta_path, "figures": [], "signal": sig}
    files: list[str] = []
    if status == "complete":
        started = time.time() - 1.0  # file times may be truncated to the second
        guard.unshield()
        try:
            result["figures"] = exp.plot(rows, config, run.folder)
            result["summary"] = exp.summarize(rows, config, run.folder, result["figures"], wall)
        except KeyboardInterrupt as e:
            status, sig = "interrupted", getattr(e, "signal_name", "SIGINT")
            result["signal"] = sig
        guard.shield()
        files = _written_since(run, started)
    run.set_status(status, wall_time_s=wall, files=files, signal=sig, finished=now())
    result["status"] = status
    if status == "interrupted":
        result["summary"] = (
            f"Interrupted by {sig}: kept {len(rows)} of {len(points)} grid points in {run.csv} "
            "(rerun with --resume to finish)."
        )
    if status == "failed":
        _raise_failure(error, run, len(rows), len(points))
    return result


def _written_since(run: RunFolder, since: float) -> list[str]:
    """The files the experiment wrote into the folder (figures, fit.json, ...): what a later
    fresh run removes first, so that nothing stale stays beside its results."""
    own = {run.csv.name, run.meta_path.name, run.journal_path.name}
    return sorted(
        p.name
        for p in run.folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and p.name not in own
        and p.stat().st_mtime >= since
    )


def _raise_failure(error: BaseException | None, run: RunFolder, kept: int, total: int) -> None:
    """Re-raise a failed run's error: bad input at a point as one-line LTHInputError."""
    where = ""
    cause = error
    if isinstance(error, PointFailed):
        pt = ", ".join(f"{k}={v}" for k, v in error.point.items())
        where = f" (grid point {pt}; kept {kept} of {total} rows in {run.csv})"
        cause = error.__cause__ or error
    if isinstance(cause, LTHInputError):
        raise LTHInputError(f"{cause}{where}") from None
    if isinstance(cause, MemoryError):
        raise LTHInputError(f"out of memory{where}: use fewer --trials or smaller widths") from None
    assert cause is not None
    raise cause


def main(argv: Sequence[str] | None = None, exiting: bool = False) -> int:
    """Command-line entry point: exit 0 on success, 2 on bad input (one ``error: ...`` line),
    130 on SIGINT and 143 on SIGTERM (every finished row kept). ``exiting``: see
    :func:`run_sweep` (``python -m lththeory.sweep`` sets it)."""
    try:
        try:
            res = run_sweep(argv, exiting=exiting)
        except LTHInputError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted before the sweep started: nothing was written", file=sys.stderr)
            return 130
        except SystemExit as e:  # --help
            return int(e.code or 0) if not isinstance(e.code, str) else 2
        if res["status"] == "interrupted":
            print(res["summary"], file=sys.stderr)
            return EXIT_STATUS.get(res["signal"] or "SIGINT", 130)
        print(res["summary"])
        sys.stdout.flush()
        return 0
    except BrokenPipeError:  # stdout closed early (piped to head): exit quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
