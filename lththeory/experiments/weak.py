"""Sweep experiment for Theorem W (weak tickets, claim 1; docs/theory.md §3.5).

Axes: ``width`` (the copy multiplier k, the same for every layer), ``sparsity`` (1 - p, the same for
every source layer; p_1 = 1 with ``--dense-first-layer``), ``target_support`` (``dense``, or s: every
neuron of the first target layer reads exactly s inputs, the fan-in that sets the construction's
scaling, docs/theory.md §3.7) and ``target_density`` (q: a random sparse target whose neurons each keep
at least one in-edge; docs/theory.md §3.9). ``--mask fixed-count`` draws masks with exactly
round(p * size) entries per layer and runs explicit masks only. Per grid point: the success rate of the construction with its
Clopper-Pearson interval; Theorem W's smallest common width and guaranteed success probability
(``theory_width``, ``bound_success``, ``bound_holds``); the same for Theorem W' (``sharp_width``,
``sharp_bound_success``; ``sharp_bound_holds`` tests "failure <= delta" at and above its width, and
``sharp_check_power`` is that test's probability of detecting a failure rate of 2 delta; docs/theory.md
§3.6); and the exact probability that every copy is valid (``every_copy_valid``), the event Theorem W
controls.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._validate import LTHInputError
from ..conv import source_shapes
from ..conv.flags import add_conv_arguments, conv_spec
from ..masks import mask_bytes, rho
from ..stats import (
    check_failure_bound,
    fit_power_law,
    float_key,
    frontier,
    proportion,
)
from ..weak import (
    every_copy_valid_probability,
    sharp_common_width,
    sharp_failure_bound,
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
    sharp_check,
    sparsity_axis,
    target_density_axis,
    target_label,
    target_support_axis,
)
from .mask_kinds import add_mask_arguments, mask_config, mask_kind, mask_note, simulator
from .targets import check_supports, config_target, sweep_conv_target, sweep_target

__all__ = ["EXPERIMENT", "WeakExperiment"]

_WIDTHS = ",".join(str(int(round(2 ** (e / 2)))) for e in range(2, 35))
SHARP_COLUMNS = [
    "target_support",
    "sharp_width",
    "sharp_bound_success",
    "sharp_bound_holds",
    "sharp_check_power",
    "every_copy_valid",
]
#: the columns of issue 10: the target's density and the mask kind
TARGET_COLUMNS = ["target_density", "mask"]


@lru_cache(maxsize=1024)
def _widths(
    conv: str,
    widths: tuple[int, ...],
    seed: int,
    support: str | int,
    q: float,
    dens: tuple[float, ...],
    delta: float,
) -> tuple[int, int]:
    """(Theorem W's, Theorem W-prime's) smallest common widths, computed once per sparsity."""
    t = sweep_conv_target(conv, widths, seed, q) if conv else sweep_target(widths, seed, support, q)
    return theorem_w_common_width(t, dens, delta), sharp_common_width(t, dens, delta)


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
        "target_support": target_support_axis(),
        "target_density": target_density_axis("0.05,0.1,0.2,0.5,1"),
    }
    columns = [*BASE_COLUMNS, *BOUND_COLUMNS, *SHARP_COLUMNS, *TARGET_COLUMNS]
    figures = {"phase.png": "plot_phase"}

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        self.add_target_arguments(p, "target widths, input first (dense random)")
        add_mask_arguments(p)
        add_conv_arguments(p)

    def configure(self, args: argparse.Namespace, common: dict) -> dict:
        config = {
            "target": parse_widths(args.target, "--target"),
            **mask_config(args),
            "dense_first_layer": bool(args.dense_first_layer),
        }
        spec = conv_spec(args, config["target"])
        if spec is not None:  # conv targets only: FC configs (and their --resume) are unchanged
            config["conv"] = spec
        return config

    def check_grid(self, points: list[dict], config: dict) -> None:
        """Refuse supports beyond the inputs, and --method masks grid points whose explicit masks
        would not fit in memory."""
        check_supports(points, config)
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
            need = 12 * nnz
            if mask_kind(config) == "fixed":  # the sampling peak of numpy's choice per layer
                need += max(
                    mask_bytes((1, max(1, int(sz))), p, "fixed")
                    for sz, p in zip(sizes, dens, strict=True)
                )
            if need > MEMORY_LIMIT:
                raise LTHInputError(
                    f"--width {k} at sparsity {pt['sparsity']:g} needs about "
                    f"{need / 2**30:.0f} GiB of explicit masks with --method masks (limit "
                    f"{MEMORY_LIMIT / 2**30:.0f} GiB): use --method counts (same law, cost free "
                    "of k) or smaller widths"
                )

    def target(self, config: dict, support: str | int = "dense", q: float = 1.0):
        """The sweep's random target: FC (dense, with first-layer support s and/or target density q),
        or with ``--conv`` a random conv target (docs/theory.md §8.6) from the same seed key."""
        return config_target(config, support, q)

    def widths(
        self, config: dict, support: str | int, dens: Sequence[float], q: float = 1.0
    ) -> tuple[int, int]:
        """(Theorem W's, Theorem W''s) smallest common widths at the point's densities (cached)."""
        conv = json.dumps(config["conv"], sort_keys=True) if config.get("conv") else ""
        return _widths(
            conv, tuple(config["target"]), config["seed"], support, q, tuple(dens), config["delta"]
        )

    def run_point(self, point: dict, config: dict) -> dict:
        k, s = int(point["width"]), float(point["sparsity"])
        sup = point.get("target_support", "dense")
        q = float(point.get("target_density", 1.0))
        target = self.target(config, sup, q)
        dens = self.densities(config, s)
        key = (k, float_key(s)) + (() if sup == "dense" else (sup,))
        if q < 1.0:  # sparse targets: their own streams (dense points keep their seeds)
            key = (k, float_key(s), 0 if sup == "dense" else sup, float_key(q))
        ok = simulator(config)(target, k, dens, self.seedseq(config, *key), config["trials"])
        prop = proportion(int(ok.sum()), len(ok))
        tw, sw = self.widths(config, sup, dens, q)
        bound = 1.0 - theorem_w_failure_bound(target, k, dens)
        sharp = 1.0 - sharp_failure_bound(target, k, dens)
        holds, power = sharp_check(prop, k, sw, config["delta"])
        row = self.bound_row((k, s), prop, tw, bound, dens, config)
        if mask_kind(config) == "fixed":  # the theorems are proven for Bernoulli masks only
            row["bound_holds"] = holds = power = ""
        return {
            **row,
            "target_support": sup,
            "sharp_width": sw,
            "sharp_bound_success": sharp,
            "sharp_bound_holds": holds,
            "sharp_check_power": power,
            "every_copy_valid": every_copy_valid_probability(target, k, dens),
            "target_density": q,
            "mask": config.get("mask", "bernoulli"),
        }

    def _by(self, config: dict) -> str:
        """The frontier's grouping: the swept axis other than the width (the sparsity by default)."""
        other = [a for a in config.get("axes", []) if a != "width"]
        return other[0] if other else "sparsity"

    def plot_phase(self, rows: list[dict], config: dict, path: Path | str) -> str:
        """Success rate over (width, sparsity or support) with the widths of Theorems W and W' and the
        measured frontier."""
        fl = "p_1 = 1, " if config["dense_first_layer"] else ""
        title = (
            f"Weak tickets: target {target_label(config)}, {fl}"
            f"{rows[0]['trials']} trials/point ({config['method']})"
        )
        extra: dict = {"more_theory": {"Theorem W' width": "sharp_width"}}
        if self._by(config) == "target_support":
            d = config["target"][0]
            extra |= {
                "by": "target_support",
                "by_label": "first-layer fan-in s",
                "by_x": lambda v: d if v == "dense" else v,
                "by_xlabel": "s = inputs read by each first-layer target neuron",
            }
        if self._by(config) == "target_density":
            extra |= {
                "by": "target_density",
                "by_label": "target density q",
                "by_x": float,
                "by_xlabel": "q = density of the random target's weights",
            }
        return self.phase(rows, config, path, title, **extra)

    def summarize(
        self, rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float
    ) -> str:
        level = 1.0 - config["delta"]
        by = self._by(config)
        front = frontier(rows, level, by)
        kind = ", fixed-count masks" if config.get("mask") == "fixed-count" else ""
        what = f"Weak-ticket sweep ({config['method']}{kind}, target {target_label(config)}"
        parts = [self.opening(what, rows, config, outdir, figures, wall)]
        if by == "sparsity":
            sps = sorted(front)
            y = np.array([front[s] for s in sps])
            fit = fit_power_law(np.array([rho(1.0 - s) for s in sps]), y)
            fit_p = fit_power_law(1.0 / (1.0 - np.array(sps)), y)
            if fit is not None and fit_p is not None:
                parts.append(
                    f"Measured frontier (smallest k with success >= {level:g}) ~ c*rho(p)^b with "
                    f"b = {fit.slope:.2f} [{fit.slope_low:.2f}, {fit.slope_high:.2f}], and "
                    f"~ c*(1/p)^b with b = {fit_p.slope:.2f} [{fit_p.slope_low:.2f}, "
                    f"{fit_p.slope_high:.2f}] (95%, {fit.n} sparsities)."
                )
            else:
                parts.append("Fewer than 3 sparsities reach the success level: no slope.")
        widths = {r[by]: (r["theory_width"], r["sharp_width"]) for r in rows}
        ratios = {v: widths[v][1] / f for v, f in front.items() if np.isfinite(f)}
        if ratios:
            lo, hi = min(ratios.values()), max(ratios.values())
            w_lo = min(widths[v][0] / front[v] for v in ratios)
            w_hi = max(widths[v][0] / front[v] for v in ratios)
            parts.append(
                f"Tightness: the width of Theorem W' is {lo:.2f}x to {hi:.2f}x the measured "
                f"frontier (Theorem W's: {w_lo:.1f}x to {w_hi:.1f}x)."
            )
        if mask_kind(config) == "fixed":
            parts.append(mask_note(config))
        else:
            parts += self.check_lines(rows, config)
        return " ".join(parts)

    def check_lines(self, rows: list[dict], config: dict) -> list[str]:
        """The bound checks (one-sided exact binomial tests, 5 % false positives each): failure <=
        delta at and above each theorem's width, with the power against 2 delta; and the bound value
        of Theorem W', 1 - sharp_bound_success, at every point where it is not vacuous."""
        delta = config["delta"]
        w_rows = [r for r in rows if r["bound_holds"] not in ("", None)]
        s_rows = [r for r in rows if r["sharp_bound_holds"] not in ("", None)]
        values = [
            check_failure_bound(
                r["trials"] - r["successes"], r["trials"], 1 - r["sharp_bound_success"]
            )
            for r in rows
        ]
        values = [c for c in values if c is not None]
        out = [
            f"Failure <= delta = {delta:g} holds at {sum(int(r['bound_holds']) for r in w_rows)} of "
            f"{len(w_rows)} points at or above Theorem W's width and at "
            f"{sum(int(r['sharp_bound_holds']) for r in s_rows)} of {len(s_rows)} at or above the "
            "width of Theorem W'"
        ]
        if s_rows:
            power = min(float(r["sharp_check_power"]) for r in s_rows)
            out[-1] += (
                f" (each test detects a failure rate of 2 delta with probability >= {power:.2f})"
            )
        out[-1] += (
            f"; the bound value of Theorem W' holds at {sum(c.holds for c in values)} of {len(values)} "
            "points where it is not vacuous (one-sided exact binomial tests, 5% false positives "
            "each)."
        )
        return out


EXPERIMENT = register(WeakExperiment())
