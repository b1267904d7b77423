"""The shared base of every sweep experiment (docs/theory.md §6).

An experiment is a registered :class:`Experiment` (``lththeory.registry.EXPERIMENTS``): its axes, its
CSV columns, its flags, and how it runs one grid point, draws its figures and summarises a run. What
every experiment repeats lives here once: the Monte-Carlo columns of a measured proportion, the
one-sided "bound holds" check, the opening of a summary, the seed of a grid point, the random target
and the source densities of a width x sparsity sweep, and a config built without the command line.
The sweep engine (:mod:`lththeory.sweep`) runs experiments; experiments never import it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .._validate import (
    MAX_INT,
    LTHInputError,
    check_density,
    check_positive_int,
    check_probability_open,
    check_seed,
    check_sparsity,
    check_widths,
)
from ..conv.flags import conv_label
from ..network import ReLUNetwork
from ..plotting import phase_diagram
from ..registry import EXPERIMENTS
from ..stats import Proportion, check_failure_bound, experiment_seedseq, frontier
from .targets import parse_support, sweep_target

__all__ = [
    "BASE_COLUMNS",
    "BOUND_COLUMNS",
    "MEMORY_LIMIT",
    "Axis",
    "Experiment",
    "WidthSparsityExperiment",
    "bound_holds",
    "int_axis",
    "measured",
    "parse_widths",
    "register",
    "sharp_check",
    "sparsity_axis",
    "target_density_axis",
    "target_support_axis",
]

MEMORY_LIMIT = 4 * 2**30
"""Bytes of explicit masks one trial may need; larger grid points are refused before they run."""


@dataclass(frozen=True)
class Axis:
    """A sweepable axis: how to parse one value, the default list when swept, the value when fixed."""

    parse: Callable[[str], Any]
    default: str
    fixed: str
    help: str


def int_axis(name: str, default: str, fixed: str, help: str) -> Axis:
    """An axis of positive integers up to 2^62 (``--width 1,2,4``)."""
    return Axis(lambda t: check_positive_int(t, name, maximum=MAX_INT), default, fixed, help)


def sparsity_axis(default: str, fixed: str, help: str) -> Axis:
    """The ``sparsity`` axis (1 - p, in [0, 1)) shared by the width x sparsity experiments."""
    return Axis(lambda t: check_sparsity(t, "sparsity"), default, fixed, help)


#: the columns every width x sparsity experiment writes first
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


def measured(prop: Proportion) -> dict:
    """The Monte-Carlo columns of a measured proportion (docs/theory.md §6.1)."""
    return {
        "trials": prop.trials,
        "successes": prop.successes,
        "rate": prop.rate,
        "ci_low": prop.ci_low,
        "ci_high": prop.ci_high,
    }


def bound_holds(prop: Proportion, width: float, theory_width: float, delta: float) -> int | str:
    """Where the theorem applies (width >= its width): 1 if the measured failures are consistent
    with "failure <= delta" (one-sided exact binomial test at 5 %,
    :func:`lththeory.stats.check_failure_bound`), else 0; "" below the theorem's width
    (docs/theory.md §6.3)."""
    if width < theory_width:
        return ""
    return int(check_failure_bound(prop.trials - prop.successes, prop.trials, delta).holds)


def sharp_check(
    prop: Proportion, width: float, theory_width: float, delta: float
) -> tuple[int | str, float | str]:
    """At and above a theorem's width: (holds, power) of the test "failure <= delta" (5 % false
    positives; power = probability of detecting a failure rate of 2 delta, a bound wrong by 2x);
    ("", "") below it (docs/theory.md §6.3)."""
    if width < theory_width:
        return "", ""
    chk = check_failure_bound(prop.trials - prop.successes, prop.trials, delta)
    return int(chk.holds), chk.power


def parse_widths(text: object, flag: str) -> list[int]:
    """Layer widths from a comma list (``--target 4,8,8,1``)."""
    return list(check_widths([t for t in str(text).split(",") if t.strip()], flag))


def target_label(config: dict) -> str:
    """``4-8-8-1``: the target widths of a config (with ``--conv``: `` conv3x3 8x8 pad1x1``)."""
    return "-".join(map(str, config["target"])) + conv_label(config.get("conv"))


class Experiment:
    """A sweep experiment. Subclasses set the class attributes and implement :meth:`run_point`,
    :meth:`plot` and :meth:`summarize`; :func:`register` adds an instance to the registry.

    ``configure(args, common)`` returns the experiment's validated, JSON-serialisable settings from
    its parsed flags; the engine adds ``trials``, ``seed``, ``delta``, ``experiment`` and ``axes``.
    """

    name: ClassVar[str]
    axes: ClassVar[dict[str, Axis]]
    columns: ClassVar[list[str]]
    default_trials: ClassVar[int] = 200
    #: bytes of per-trial results a grid point holds at once (success flags, errors): the engine
    #: refuses ``--trials`` whose results would not fit in memory before anything runs
    trial_bytes: ClassVar[int] = 32
    #: the figures :meth:`plot` draws: file name -> name of a method (rows, config, path) -> path
    figures: ClassVar[dict[str, str]] = {}

    # --- what an experiment defines
    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the experiment's own flags (values as strings; validated in :meth:`configure`)."""

    def configure(self, args: argparse.Namespace, common: dict) -> dict:
        return {}

    def check_grid(self, points: list[dict], config: dict) -> None:
        """Refuse a grid before it runs (e.g. points whose memory would be absurd)."""

    def run_point(self, point: dict, config: dict) -> dict:
        raise NotImplementedError

    def plot(self, rows: list[dict], config: dict, outdir: Path) -> list[str]:
        """Every figure of :attr:`figures` into ``outdir`` (none without rows); their paths."""
        if not rows:
            return []
        return [
            getattr(self, method)(rows, config, Path(outdir) / fname)
            for fname, method in self.figures.items()
        ]

    def summarize(
        self, rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float
    ) -> str:
        return self.opening(self.name, rows, config, outdir, figures, wall)

    # --- shared
    def seedseq(self, config: dict, *values: int) -> np.random.SeedSequence:
        """The grid point's SeedSequence: run seed, this experiment's registered key, the values."""
        return experiment_seedseq(config["seed"], self.name, *values)

    def opening(
        self,
        what: str,
        rows: list[dict],
        config: dict,
        outdir: Path,
        figures: Sequence[str],
        wall: float,
    ) -> str:
        """ "<what>, N grid points x T trials, seed S, W s): wrote results.csv, meta.json and ..."."""
        return (
            f"{what}, {len(rows)} grid points x {config['trials']} trials, seed {config['seed']}, "
            f"{wall:.1f} s): wrote {Path(outdir) / 'results.csv'}, meta.json and "
            f"{', '.join(Path(f).name for f in figures)}."
        )

    def make_config(
        self, *, trials: int | None = None, seed: int = 0, delta: float = 0.1, **flags: object
    ) -> dict:
        """The config a sweep would build from ``--flag value`` (underscores for dashes; True for a
        switch), for running points from Python (notebooks, tests)."""
        p = argparse.ArgumentParser(prog=self.name, add_help=False, exit_on_error=False)
        self.add_arguments(p)
        argv: list[str] = []
        for key, value in flags.items():
            flag = "--" + key.replace("_", "-")
            if value is True:
                argv.append(flag)
            elif value not in (False, None):
                argv += [flag, str(value)]
        try:
            args = p.parse_args(argv)
        except argparse.ArgumentError as e:
            raise LTHInputError(str(e)) from None
        common = {
            "trials": check_positive_int(
                self.default_trials if trials is None else trials, "trials"
            ),
            "seed": check_seed(seed, "seed"),
            "delta": check_probability_open(delta, "delta"),
        }
        config = self.configure(args, common)
        config.update(common, experiment=self.name, axes=list(self.axes))
        return config

    def run_grid(self, config: dict, **values: Iterable) -> list[dict]:
        """All rows of a grid in process, axis values given as lists (the notebooks' entry point);
        rows in nested order, the first keyword varying slowest; axes not given take their fixed
        default value (as on the command line)."""
        names = list(values)
        fixed = {n: ax.parse(ax.fixed) for n, ax in self.axes.items() if n not in values}
        out = []

        def rec(i: int, point: dict) -> None:
            if i == len(names):
                out.append(self.run_point(dict(point), config))
                return
            for v in values[names[i]]:
                point[names[i]] = v
                rec(i + 1, point)

        rec(0, dict(fixed))
        return out


def target_density_axis(default: str) -> Axis:
    """The ``target_density`` axis (``--target-density q``): the density q in (0, 1] of a random
    sparse target (every neuron keeps at least one in-edge); 1 is the dense target."""
    return Axis(
        parse=lambda t: check_density(t, "target_density"),
        default=default,
        fixed="1",
        help="density q of the random target's weights (every neuron keeps an in-edge; 1 = dense)",
    )


def target_support_axis() -> Axis:
    """The ``target_support`` axis (``--target-support s``)."""
    return Axis(
        parse=parse_support,
        default="1,2,4,8",
        fixed="dense",
        help="inputs each first-layer target neuron reads: 'dense' or s >= 1 (comma list)",
    )


def register(experiment: Experiment) -> Experiment:
    """Register ``experiment`` under its ``name`` (``--experiment NAME``) and return it."""
    return EXPERIMENTS.register(experiment.name, experiment)


class WidthSparsityExperiment(Experiment):
    """A sweep over the copy multiplier (``width``) and the sparsity of a random target's ER source
    (the weak and strong tickets): the target, the source densities, the bound check and the
    frontier with its fit."""

    theorem: ClassVar[str]
    default_target: ClassVar[str] = "4,8,8,1"

    def add_target_arguments(self, p: argparse.ArgumentParser, target_help: str) -> None:
        p.add_argument("--target", default=self.default_target, help=target_help)
        p.add_argument(
            "--dense-first-layer",
            action="store_true",
            help="keep the first source layer dense (p_1 = 1)",
        )

    def source_depth(self, config: dict) -> int:
        """Number of source weight layers for the config's target (depth L+1 by default)."""
        return len(config["target"])

    def densities(self, config: dict, sparsity: float) -> list[float]:
        """p_1..p_D: every source layer 1 - sparsity (p_1 = 1 with --dense-first-layer)."""
        p = 1.0 - sparsity
        D = self.source_depth(config)
        return [1.0 if config["dense_first_layer"] else p] + [p] * (D - 1)

    def target(self, config: dict) -> ReLUNetwork:
        """The sweep's random target (U[-1, 1] weights, U[-1/2, 1/2] biases, box [-1, 1]^d), seeded
        by the run seed and the shared ``"target"`` key (the same for the weak and strong sweeps)."""
        return sweep_target(tuple(config["target"]), config["seed"])

    def bound_row(
        self,
        point: tuple[int, float],
        prop: Proportion,
        theory_width: int | None,
        bound_success: float | None,
        densities: Sequence[float],
        config: dict,
    ) -> dict:
        """The columns BASE_COLUMNS + BOUND_COLUMNS of grid point (width, sparsity); the theorem's
        columns are blank where ``theory_width`` is None (no theorem for this construction)."""
        k, s = point
        return {
            "experiment": self.name,
            "width": k,
            "sparsity": s,
            **measured(prop),
            "theory_width": theory_width,
            "seed": config["seed"],
            "density": densities[1],
            "first_layer_density": densities[0],
            "method": config["method"],
            "delta": config["delta"],
            "target": target_label(config),
            "bound_success": bound_success,
            "bound_holds": (
                "" if theory_width is None else bound_holds(prop, k, theory_width, config["delta"])
            ),
        }

    def bound_lines(self, rows: list[dict], config: dict) -> list[str]:
        """How many points at or above the theorem's width meet its bound; the width ratio."""
        level = 1.0 - config["delta"]
        front = frontier(rows, level)
        applicable = [r for r in rows if r["bound_holds"] not in ("", None)]
        holds = sum(int(r["bound_holds"]) for r in applicable)
        ratios = [
            r["theory_width"] / front[r["sparsity"]]
            for r in rows
            if np.isfinite(front[r["sparsity"]]) and r["theory_width"] not in (None, "")
        ]
        if not any(r["theory_width"] not in (None, "") for r in rows):
            return [
                f"No {self.theorem} columns: this construction is not the one the theorem bounds."
            ]
        out = [
            f"{holds} of {len(applicable)} grid points at or above {self.theorem}'s width meet the "
            f"bound (failure <= delta = {config['delta']:g}, one-sided 95%)."
        ]
        if ratios:
            out.append(
                f"Tightness: the theorem's width is {min(ratios):.1f}x to {max(ratios):.1f}x the "
                "measured frontier."
            )
        return out

    def phase(self, rows: list[dict], config: dict, path: Path | str, title: str, **kw) -> str:
        """The phase diagram with the theorem's width (:func:`lththeory.plotting.phase_diagram`)."""
        return phase_diagram(
            rows,
            1.0 - config["delta"],
            path,
            title=title,
            theory_label=f"{self.theorem} width",
            **kw,
        )
