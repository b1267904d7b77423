"""Sweep experiment ``scheme-width``: the width Theorem W's construction needs under each layer-wise
density scheme of the source (docs/theory.md §3.9).

``python -m lththeory.sweep density scheme --experiment scheme-width --target 784,300,100,10
--target-density 0.1``. Axes: ``density`` (the global density D of the source: every weight layer of
the depth L+1 source counts), ``scheme`` (uniform, erk, balanced, pyramidal; exact redistribution by
default, ``--reference-densities`` for the reference code's clamp-only variant), ``target_density`` (q:
a random sparse target, every neuron keeping at least one in-edge) and ``target_support`` (s: every
first-layer target neuron reads exactly s inputs). Per grid point: the smallest common copy multiplier
k whose measured success rate reaches 1 - delta (``required_width``: bisection on k with the count
chain, the scheme's densities recomputed for the source's shapes at every k;
:func:`lththeory.weak.scheme_width`) and Theorem W''s width for the same scheme (``sharp_width``), with
the expected kept source weights at each, the per-layer densities and the measured rates at the width
and one below; at Theorem W''s width the measured rate and the one-sided test "failure <= delta"
(``sharp_holds``, 5 % false positives; ``sharp_check_power``: its probability of detecting a failure
rate of 2 delta). ``--mask fixed-count`` (explicit masks only) measures the same frontier for masks with
exactly round(p * size) kept entries per layer. Grid points at the same (D, q, s) share their random
draws across schemes (common random numbers): schemes with equal densities get equal widths.
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

import numpy as np

from .._validate import check_choice, check_density
from ..conv import source_shapes
from ..conv.flags import add_conv_arguments, conv_spec
from ..densities import SCHEMES
from ..stats import check_failure_bound, float_key
from ..weak import SchemeWidth, fc_source_shapes, scheme_width
from ..weak.frontier import MAX_WIDTH
from .base import (
    Axis,
    Experiment,
    parse_widths,
    register,
    target_density_axis,
    target_label,
    target_support_axis,
)
from .mask_kinds import add_mask_arguments, mask_config, mask_note, simulator
from .scheme_width_plots import plot_contained, plot_phase, ranking_lines
from .targets import check_supports, config_target

__all__ = ["EXPERIMENT", "SchemeWidthExperiment"]

COLUMNS = [
    "experiment",
    "density",
    "scheme",
    "target_density",
    "target_support",
    "required_width",
    "sharp_width",
    "source_weights",
    "sharp_source_weights",
    "target_weights",
    "dense_target_weights",
    "layer_densities",
    "sharp_layer_densities",
    "realised_density",
    "rate",
    "ci_low",
    "ci_high",
    "rate_below",
    "sharp_rate",
    "sharp_holds",
    "sharp_check_power",
    "evaluations",
    "trials_drawn",
    "trials",
    "delta",
    "seed",
    "method",
    "mask",
    "densities_mode",
    "target",
    "note",
]


def _dense_weights(target) -> int:
    """Weights of the target's architecture when dense (kernel entries for convolutions, and the
    head's weights)."""
    head = getattr(target, "head", None)
    extra = 0 if head is None else int(np.prod(head[0].shape))
    return extra + sum(int(np.prod(w.shape)) for w in target.weights)


def _joined(ps: tuple[float, ...] | None) -> str:
    return "" if ps is None else ";".join(f"{p:.6g}" for p in ps)


class SchemeWidthExperiment(Experiment):
    """``--experiment scheme-width``: required width and source weights per density scheme."""

    name = "scheme-width"
    default_trials = 1000
    axes = {
        "density": Axis(
            parse=lambda t: check_density(t, "density"),
            default="0.01,0.02,0.05,0.1,0.2,0.3,0.5,0.8",
            fixed="0.1",
            help="global density D of the source: fraction of all its weights kept (comma list)",
        ),
        "scheme": Axis(
            parse=lambda t: check_choice(t, "scheme", SCHEMES),
            default=",".join(SCHEMES),
            fixed="uniform",
            help="layer-wise density scheme of the source: " + ", ".join(SCHEMES),
        ),
        "target_density": target_density_axis("0.02,0.05,0.1,0.2,0.5,1"),
        "target_support": target_support_axis(),
    }
    columns = COLUMNS

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--target", default="784,300,100,10", help="target widths, input first (random)"
        )
        p.add_argument(
            "--reference-densities",
            action="store_true",
            help="the reference code's clamp-only ERK and balanced densities (realised global "
            "density below D) instead of exact redistribution",
        )
        add_mask_arguments(p)
        add_conv_arguments(p)

    def configure(self, args: argparse.Namespace, common: dict) -> dict:
        config = {
            "target": parse_widths(args.target, "--target"),
            **mask_config(args),
            "reference_densities": bool(args.reference_densities),
        }
        spec = conv_spec(args, config["target"])
        if spec is not None:
            config["conv"] = spec
        return config

    def check_grid(self, points: list[dict], config: dict) -> None:
        """Refuse supports beyond the inputs, and supports with conv targets."""
        check_supports(points, config)

    def target(self, config: dict, support: str | int = "dense", q: float = 1.0):
        """The run's random target (FC, or with ``--conv`` a conv target; the weak sweep's seeds)."""
        return config_target(config, support, q)

    def measure(self, point: dict, config: dict) -> SchemeWidth:
        """The point's :class:`lththeory.weak.SchemeWidth` (its seed: the run seed, this
        experiment's key, D, s and q; not the scheme, so schemes share draws)."""
        D, scheme = float(point["density"]), point["scheme"]
        sup, q = point["target_support"], float(point["target_density"])
        target = self.target(config, sup, q)
        shapes = partial(source_shapes, target) if config.get("conv") else fc_source_shapes(target)
        ss = self.seedseq(config, float_key(D), 0 if sup == "dense" else sup, float_key(q))
        return scheme_width(
            target,
            D,
            scheme,
            config["delta"],
            ss,
            config["trials"],
            exact=not config["reference_densities"],
            shapes=shapes,
            simulate=simulator(config),
        )

    def run_point(self, point: dict, config: dict) -> dict:
        res = self.measure(point, config)
        target = self.target(config, point["target_support"], float(point["target_density"]))
        row = {
            "experiment": self.name,
            "density": float(point["density"]),
            "scheme": point["scheme"],
            "target_density": float(point["target_density"]),
            "target_support": point["target_support"],
            "required_width": res.width,
            "sharp_width": res.sharp_width,
            "source_weights": res.source_weights,
            "sharp_source_weights": res.sharp_source_weights,
            "target_weights": target.num_weights(),
            "dense_target_weights": _dense_weights(target),
            "layer_densities": _joined(res.densities),
            "sharp_layer_densities": _joined(res.sharp_densities),
            "realised_density": res.realised,
            "trials": config["trials"],
            "delta": config["delta"],
            "seed": config["seed"],
            "method": config["method"],
            "mask": config.get("mask", "bernoulli"),
            "densities_mode": "reference" if config["reference_densities"] else "exact",
            "target": target_label(config),
            "note": "",
        }
        req = res.required
        if req is None:
            row["note"] = f"required width beyond {MAX_WIDTH:.0e}"
            return row
        at = req.at
        below = req.below
        row |= {
            "rate": at.rate,
            "ci_low": at.ci_low,
            "ci_high": at.ci_high,
            "rate_below": None if below is None else below.rate,
            "evaluations": req.evaluations,
            "trials_drawn": sum(req.drawn.values()),
        }
        if res.sharp_width is None:
            row["note"] = "Theorem W' width beyond its limit"
        elif res.sharp_rate is not None:
            sr = res.sharp_rate
            row["sharp_rate"] = sr.rate
            if config.get("mask") != "fixed-count":  # Theorem W' holds for Bernoulli masks
                chk = check_failure_bound(sr.trials - sr.successes, sr.trials, config["delta"])
                row["sharp_holds"], row["sharp_check_power"] = int(chk.holds), chk.power
        return row

    def plot(self, rows: list[dict], config: dict, outdir: Path) -> list[str]:
        """``phase.png`` always; ``contained.png`` when density and target_density are swept."""
        if not rows:
            return []
        out = [plot_phase(rows, config, Path(outdir) / "phase.png")]
        axes = config.get("axes", [])
        if "density" in axes and "target_density" in axes:
            out.append(plot_contained(rows, config, Path(outdir) / "contained.png"))
        return out

    def summarize(
        self, rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float
    ) -> str:
        mode = "reference clamp-only" if config["reference_densities"] else "exact"
        what = (
            f"Scheme-width sweep ({config['method']}, {mode} densities, target "
            f"{target_label(config)}"
        )
        parts = [self.opening(what, rows, config, outdir, figures, wall)]
        parts += ranking_lines(rows, config)
        if config.get("mask") == "fixed-count":
            parts.append(mask_note(config, checks=False))
        return " ".join(parts)


EXPERIMENT = register(SchemeWidthExperiment())
