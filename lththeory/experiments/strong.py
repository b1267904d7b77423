"""Sweep experiment for Theorem S (strong tickets, claim 3; docs/theory.md §5.6).

Axes: ``width`` (the block size k, the same for every block of the source: univariate neurons per
input, copies per target neuron and constant neurons) and ``sparsity`` (1 - p, the same for every
source layer; p_1 = 1 with ``--dense-first-layer``). Per grid point and trial a fresh lazily generated
ER source (U[-1, 1] weights and biases, or ``--weights normal``) and the explicit construction
(``--construction univariate``: depth L+1, or ``pensia``: depth 2L; both registered in
``lththeory.registry.CONSTRUCTIONS``). With ``--candidates theorem`` (default) it is the theorem's
construction: every subset sum over disjoint groups of g candidates with the worst-case error budget,
g the group size of Theorem S at this sparsity, so the measured rate and the theorem's bound concern
the same construction; ``--candidates practical`` solves over up to 26 candidates at once with the
typical budget (no theorem columns). A trial succeeds when the ticket's certified error and its
estimated sup error are at most ``--eps``. Per grid point: the success rate with its Clopper-Pearson
interval, the median and worst estimated error (of the best-effort ticket when the construction fails),
the median ticket density (successful trials), Theorem S's smallest common width, group size and
guaranteed success probability at this width (docs/theory.md §5.5).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .._validate import as_number, check_choice, check_positive_int, check_positive_real
from ..masks import rho
from ..network import ReLUNetwork
from ..plotting import plt, save_figure
from ..stats import (
    child_generator,
    child_seedseq,
    fit_power_law,
    float_key,
    frontier_fit,
    proportion,
)
from ..strong import (
    TheoremS,
    construct,
    sample_source,
    strong_construction,
    theorem_s_common_width,
    theorem_s_failure_bound,
)
from ..strong.source import WEIGHT_DISTRIBUTIONS
from .base import (
    BASE_COLUMNS,
    BOUND_COLUMNS,
    WidthSparsityExperiment,
    int_axis,
    parse_widths,
    register,
    sparsity_axis,
    target_label,
)

__all__ = ["EXPERIMENT", "StrongExperiment"]

_THEOREMS: dict = {}


def _theorem(key: tuple, construction: str, target: ReLUNetwork) -> TheoremS:
    """Theorem S's smallest common width for (target, seed, densities, eps, delta), memoised."""
    if (key, construction) not in _THEOREMS:
        _, _, dens, eps, delta = key
        _THEOREMS[key, construction] = theorem_s_common_width(
            target, list(dens), eps, delta, construction
        )
    return _THEOREMS[key, construction]


class StrongExperiment(WidthSparsityExperiment):
    """``--experiment strong``: certified strong tickets against Theorem S."""

    name = "strong"
    theorem = "Theorem S"
    default_trials = 20
    default_target = "2,4,1"
    axes = {
        "width": int_axis(
            "width",
            "16,32,64,128,256,512,1024",
            "256",
            "block size k of the source (comma-separated list)",
        ),
        "sparsity": sparsity_axis(
            default="0.1,0.3,0.5,0.7",
            fixed="0.5",
            help="sparsity 1 - p of every source layer (comma-separated list)",
        ),
    }
    columns = [
        *BASE_COLUMNS,
        *BOUND_COLUMNS,
        "eps",
        "median_error",
        "max_error",
        "ticket_density",
        "candidates",
        "group_size",
        "confidence",
    ]
    figures = {"phase.png": "plot_phase", "error.png": "plot_error"}

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--eps", default="0.01", help="target sup-norm error eps > 0 (default 0.01)")
        self.add_target_arguments(p, "target widths, input first (random, U[-1, 1] weights)")
        p.add_argument(
            "--construction",
            default="univariate",
            help="univariate (depth L+1, default) or pensia (depth 2L)",
        )
        p.add_argument(
            "--weights", default="uniform", help="source weights: uniform U[-1,1] or normal"
        )
        p.add_argument(
            "--points", default="512", help="random points per error estimate (plus corners)"
        )
        p.add_argument(
            "--candidates",
            default="theorem",
            help="theorem (grouped, the construction Theorem S bounds) or practical (up to 26)",
        )

    def configure(self, args: argparse.Namespace, common: dict) -> dict:
        return {
            "target": parse_widths(args.target, "--target"),
            "eps": check_positive_real(as_number(args.eps), "--eps"),
            "method": strong_construction(args.construction, "--construction").name,
            "weights": check_choice(args.weights, "--weights", WEIGHT_DISTRIBUTIONS),
            "points": check_positive_int(args.points, "--points"),
            "candidates": check_choice(args.candidates, "--candidates", ("theorem", "practical")),
            "dense_first_layer": bool(args.dense_first_layer),
        }

    def source_depth(self, config: dict) -> int:
        return strong_construction(config["method"]).depth(len(config["target"]) - 1)

    def theorem_at(self, target: ReLUNetwork, dens: list[float], config: dict) -> TheoremS:
        """Theorem S at its smallest common width for these densities (cached per sparsity)."""
        key = (tuple(config["target"]), config["seed"], tuple(dens), config["eps"], config["delta"])
        return _theorem(key, config["method"], target)

    def run_trials(
        self,
        target: ReLUNetwork,
        k: int,
        dens: list[float],
        config: dict,
        ss: np.random.SeedSequence,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Success, estimated error and ticket density per trial; trial t draws its source from child
        (t,) of ``ss`` and its error-estimation points from child (t, 2^31)."""
        trials = config["trials"]
        ok = np.zeros(trials, dtype=bool)
        err = np.empty(trials)
        dens_t = np.full(trials, np.nan)
        options = {}
        if config["candidates"] == "theorem":
            options["group_size"] = self.theorem_at(target, dens, config).group_size
        for t in range(trials):
            src = sample_source(
                target,
                k,
                dens,
                seed=child_seedseq(ss, t),
                weights=config["weights"],
                construction=config["method"],
            )
            res = construct(
                target,
                src,
                config["eps"],
                n_points=config["points"],
                n_local=2,
                seed=child_generator(ss, t, 2**31),
                **options,
            )
            ok[t] = res.success
            err[t] = res.measured_error
            if res.success:
                dens_t[t] = res.density
        return ok, err, dens_t

    def run_point(self, point: dict, config: dict) -> dict:
        k, s = int(point["width"]), float(point["sparsity"])
        target = self.target(config)
        dens = self.densities(config, s)
        ss = self.seedseq(config, k, float_key(s))
        ok, err, dens_t = self.run_trials(target, k, dens, config, ss)
        prop = proportion(int(ok.sum()), len(ok))
        eps = config["eps"]
        ok_d = dens_t[np.isfinite(dens_t)]
        if config["candidates"] == "theorem":
            th = self.theorem_at(target, dens, config)
            bound = 1.0 - theorem_s_failure_bound(
                target, k, dens, eps, config["method"], group_size=th.group_size
            )
            row = self.bound_row((k, s), prop, th.k, bound, dens, config)
            row |= {"group_size": th.group_size, "confidence": th.confidence}
        else:
            row = self.bound_row((k, s), prop, None, None, dens, config)
        return {
            **row,
            "eps": eps,
            "median_error": float(np.median(err)),
            "max_error": float(np.max(err)),
            "ticket_density": float(np.median(ok_d)) if ok_d.size else None,
            "candidates": config["candidates"],
        }

    def plot_phase(self, rows: list[dict], config: dict, path: Path | str) -> str:
        """Success rate over (width, sparsity) with Theorem S's width and the measured frontier;
        right: the frontier against rho(p) on log-log axes with the fitted slope."""
        fl = "p_1 = 1, " if config["dense_first_layer"] else ""
        title = (
            f"Strong tickets ({config['method']}): target {target_label(config)}, "
            f"eps = {config['eps']:g}, {fl}{rows[0]['trials']} trials/point"
        )
        return self.phase(
            rows,
            config,
            path,
            title,
            xlabel="block size k (log scale)",
            rate_label="success rate (error <= eps)",
            unit_fit=False,
        )

    def plot_error(self, rows: list[dict], config: dict, path: Path | str) -> str:
        """Estimated sup error against the block size (log-log), one line per sparsity (median,
        with the worst trial as a band), and the eps line."""
        sps = sorted({r["sparsity"] for r in rows})
        fig, ax = plt.subplots(figsize=(7.5, 5))
        colors = plt.cm.viridis(np.linspace(0, 0.9, max(len(sps), 1)))
        for s, c in zip(sps, colors, strict=False):
            rs = sorted((r for r in rows if r["sparsity"] == s), key=lambda r: r["width"])
            x = [r["width"] for r in rs]
            ax.loglog(x, [r["median_error"] for r in rs], "o-", color=c, label=f"sparsity {s:g}")
            ax.fill_between(
                x,
                [r["median_error"] for r in rs],
                [r["max_error"] for r in rs],
                color=c,
                alpha=0.15,
            )
        ax.axhline(config["eps"], color="red", ls="--", label=f"eps = {config['eps']:g}")
        ax.set_xlabel("block size k")
        ax.set_ylabel("sup |f_P - f_T| (estimated; median, band to worst)")
        ax.set_title(f"Strong-ticket error ({config['method']}, target {target_label(config)})")
        ax.legend(fontsize=8)
        fig.tight_layout()
        return save_figure(fig, path)

    def summarize(
        self, rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float
    ) -> str:
        level = 1.0 - config["delta"]
        fit = frontier_fit(rows, level)
        what = (
            f"Strong-ticket sweep ({config['method']}, target {target_label(config)}, "
            f"eps {config['eps']:g}"
        )
        parts = [self.opening(what, rows, config, outdir, figures, wall)]
        if fit is not None:
            # the shape the construction predicts: layer-1 candidates need both mask edges
            sps = sorted({r["sparsity"] for r in rows})
            q = [np.prod(self.densities(config, sp)[:2]) for sp in sps]
            ref = fit_power_law(np.array([rho(1.0 - sp) for sp in sps]), 1.0 / np.array(q))
            expect = f"{ref.slope:.2f} for k ~ 1/(p_1 p_2) over these sparsities" if ref else "n/a"
            parts.append(
                f"Measured frontier (smallest k with success >= {level:g}) ~ c*rho(p)^b with "
                f"b = {fit.slope:.2f} [{fit.slope_low:.2f}, {fit.slope_high:.2f}] (95%, {fit.n} "
                f"sparsities; expected {expect})."
            )
        else:
            parts.append("Too few sparsities reach the success level for a fit.")
        best = [r for r in rows if r["successes"] > 0]
        if best:
            med = np.nanmedian([r["ticket_density"] for r in best])
            parts.append(
                f"Median ticket density over successful points: {med:.3g} of the dense source."
            )
        parts += self.bound_lines(rows, config)
        if config["weights"] != "uniform":
            parts.append(
                "Note: Theorem S is stated for U[-1, 1] source weights; with --weights "
                f"{config['weights']} its width and bound are shown for reference only."
            )
        return " ".join(parts)


EXPERIMENT = register(StrongExperiment())
