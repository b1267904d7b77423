"""Sweep experiment for Theorem W (weak tickets, claim 1; docs/theory.md §3.5).

Axes: ``width`` (the copy multiplier k, the same for every layer) and ``sparsity`` (1 - p, the same for
every source layer; p_1 = 1 with ``--dense-first-layer``). Per grid point: the success rate of the
construction with its Clopper-Pearson interval, the theorem's smallest common width and its guaranteed
success probability at this width.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .._validate import LTHInputError, check_choice
from ..conv import simulate_masks as simulate_conv_masks
from ..conv import source_shapes
from ..conv.flags import add_conv_arguments, conv_spec, conv_target
from ..masks import rho
from ..stats import experiment_seedseq, fit_power_law, float_key, frontier, proportion
from ..weak import (
    simulate_counts,
    simulate_masks,
    source_widths,
    theorem_w_common_width,
    theorem_w_failure_bound,
)
from .base import (
    BASE_COLUMNS,
    BOUND_COLUMNS,
    MEMORY_LIMIT,
    WidthSparsityExperiment,
    int_axis,
    parse_widths,
    register,
    sparsity_axis,
    target_label,
)

__all__ = ["EXPERIMENT", "WeakExperiment"]

_WIDTHS = ",".join(str(int(round(2 ** (e / 2)))) for e in range(2, 35))
SIMULATORS = {"counts": simulate_counts, "masks": simulate_masks}


class WeakExperiment(WidthSparsityExperiment):
    """``--experiment weak``: the construction's success rate against Theorem W."""

    name = "weak"
    theorem = "Theorem W"
    default_trials = 500
    axes = {
        "width": int_axis(
            "width", _WIDTHS, "64", "copy multiplier k of the source (comma-separated list)"
        ),
        "sparsity": sparsity_axis(
            default="0.5,0.7,0.8,0.9,0.95,0.98,0.99",
            fixed="0.9",
            help="sparsity 1 - p of every source layer (comma-separated list)",
        ),
    }
    columns = [*BASE_COLUMNS, *BOUND_COLUMNS]
    figures = {"phase.png": "plot_phase"}

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        self.add_target_arguments(p, "target widths, input first (dense random)")
        p.add_argument("--method", default="counts", help="counts (exact count chain) or masks")
        add_conv_arguments(p)

    def configure(self, args: argparse.Namespace, common: dict) -> dict:
        config = {
            "target": parse_widths(args.target, "--target"),
            "method": check_choice(args.method, "--method", tuple(SIMULATORS)),
            "dense_first_layer": bool(args.dense_first_layer),
        }
        spec = conv_spec(args, config["target"])
        if spec is not None:  # conv targets only: FC configs (and their --resume) are unchanged
            config["conv"] = spec
        return config

    def target(self, config: dict):
        """The sweep's random target: dense FC (the base's), or with ``--conv`` a dense random conv
        target (docs/theory.md §8.6) from the same seed key."""
        if not config.get("conv"):
            return super().target(config)
        rng = np.random.default_rng(experiment_seedseq(config["seed"], "target"))
        return conv_target(config["conv"], config["target"], rng)

    def simulator(self, config: dict):
        """The point's simulator: the count chain reads any target's fan-in; explicit masks need
        the conv source for conv targets."""
        if config["method"] == "masks" and config.get("conv"):
            return simulate_conv_masks
        return SIMULATORS[config["method"]]

    def check_grid(self, points: list[dict], config: dict) -> None:
        """Refuse --method masks grid points whose explicit masks would not fit in memory."""
        if config["method"] != "masks":
            return
        L = len(config["target"]) - 1
        target = self.target(config) if config.get("conv") else None
        for pt in points:
            k = pt["width"]
            dens = self.densities(config, pt["sparsity"])
            if target is not None:
                sizes = [float(np.prod(s)) for s in source_shapes(target, [k] * L)]
            else:
                N = source_widths(config["target"], [k] * L)
                sizes = [N[i] * N[i + 1] for i in range(L + 1)]
            nnz = sum(sz * p for sz, p in zip(sizes, dens, strict=True))
            if 12 * nnz > MEMORY_LIMIT:
                raise LTHInputError(
                    f"--width {k} at sparsity {pt['sparsity']:g} needs about "
                    f"{12 * nnz / 2**30:.0f} GiB of explicit masks with --method masks (limit "
                    f"{MEMORY_LIMIT / 2**30:.0f} GiB): use --method counts (same law, cost free "
                    "of k) or smaller widths"
                )

    def run_point(self, point: dict, config: dict) -> dict:
        k, s = int(point["width"]), float(point["sparsity"])
        target = self.target(config)
        dens = self.densities(config, s)
        ss = self.seedseq(config, k, float_key(s))
        ok = self.simulator(config)(target, k, dens, ss, config["trials"])
        prop = proportion(int(ok.sum()), len(ok))
        tw = theorem_w_common_width(target, dens, config["delta"])
        bound = 1.0 - theorem_w_failure_bound(target, k, dens)
        return self.bound_row((k, s), prop, tw, bound, dens, config)

    def plot_phase(self, rows: list[dict], config: dict, path: Path | str) -> str:
        """Success rate over (width, sparsity) with Theorem W's width and the measured frontier."""
        fl = "p_1 = 1, " if config["dense_first_layer"] else ""
        title = (
            f"Weak tickets: target {target_label(config)}, {fl}"
            f"{rows[0]['trials']} trials/point ({config['method']})"
        )
        return self.phase(rows, config, path, title)

    def summarize(
        self, rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float
    ) -> str:
        level = 1.0 - config["delta"]
        sps = sorted({r["sparsity"] for r in rows})
        front = frontier(rows, level)
        fit = fit_power_law(
            np.array([rho(1.0 - s) for s in sps]), np.array([front[s] for s in sps])
        )
        what = f"Weak-ticket sweep ({config['method']}, target {target_label(config)}"
        parts = [self.opening(what, rows, config, outdir, figures, wall)]
        if fit is not None:
            parts.append(
                f"Measured frontier (smallest k with success >= {level:g}) ~ c*rho(p)^b with "
                f"b = {fit.slope:.2f} [{fit.slope_low:.2f}, {fit.slope_high:.2f}] (95%, {fit.n} "
                f"sparsities); with b fixed at 1, c = {fit.c_unit:.2f} [{fit.c_unit_low:.2f}, "
                f"{fit.c_unit_high:.2f}]."
            )
        else:
            parts.append("Too few sparsities reach the success level for a fit.")
        parts += self.bound_lines(rows, config)
        return " ".join(parts)


EXPERIMENT = register(WeakExperiment())
