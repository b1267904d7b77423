"""Sweep experiment for the Lueker experiment (random subset sum; docs/theory.md §5.1, §6).

Axes: ``n`` (number of iid candidates, 1..24) and ``eps``. A trial draws n values (``--distribution
uniform``: U[-1, 1]; ``product``: products of two U[-1, 1]) and succeeds when the worst error over
every z in [-1, 1], sup_z min_S |z - sum_S a|, is at most eps (exact, from the sorted subset sums:
:func:`lththeory.subset_sum.worst_error`). The draws of trial t depend on (seed, n, distribution) only,
so all eps share them (common random numbers, as in :func:`lththeory.subset_sum.lueker_success_rate`).
Per grid point: the success rate with its Clopper-Pearson interval. The summary reports Lueker's
constant C in n = C log2(1/eps), fitted by :func:`lththeory.subset_sum.fit_lueker_constant` on the
sweep's eps values, trials, delta and seed (n scanned over 1..24, beyond the grid when needed).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._io import write_text_atomic
from .._validate import (
    LTHInputError,
    as_number,
    check_choice,
    check_positive_int,
    check_positive_real,
)
from ..plotting import plt, save_figure
from ..stats import proportion
from ..subset_sum import (
    DISTRIBUTIONS,
    MAX_LUEKER_N,
    LuekerFit,
    fit_lueker_constant,
    lueker_worst_errors,
)
from .base import Axis, Experiment, measured, register

__all__ = ["EXPERIMENT", "SubsetSumExperiment"]


def _parse_n(text: str) -> int:
    n = check_positive_int(text, "n")
    if n > MAX_LUEKER_N:
        raise LTHInputError(
            f"n must be in [1, {MAX_LUEKER_N}] (all 2^n subset sums are held), got {n}"
        )
    return n


def _parse_eps(text: str) -> float:
    e = check_positive_real(as_number(text), "eps")
    if e >= 1.0:
        raise LTHInputError(f"eps must be in (0, 1), got {text}")
    return e


@lru_cache(maxsize=64)
def _worst(n: int, distribution: str, trials: int, seed: int) -> np.ndarray:
    """The worst errors of the trials of size n (shared by every eps of the grid)."""
    return lueker_worst_errors(n, distribution, trials, seed)


@lru_cache(maxsize=8)
def _fit_cached(
    eps: tuple[float, ...], distribution: str, trials: int, delta: float, seed: int, n_max: int
) -> LuekerFit:
    return fit_lueker_constant(eps, distribution, trials, delta, seed, n_max)


def _write_fit(f: LuekerFit, path: Path) -> None:
    """Save the fitted constant next to results.csv (fit.json, written atomically)."""

    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    data = {k: clean(v) for k, v in dataclasses.asdict(f).items()}
    data["model"] = (
        "n = C log2(1/eps) (through the origin); affine: n = slope_affine log2(1/eps) + intercept"
    )
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


class SubsetSumExperiment(Experiment):
    """``--experiment subset-sum``: P(every z in [-1, 1] within eps) for n random candidates."""

    name = "subset-sum"
    figures = {"lueker.png": "plot_lueker"}
    axes = {
        "n": Axis(
            parse=_parse_n,
            default="4,6,8,10,12,14,16,18,20",
            fixed="16",
            help=f"number of candidates n in [1, {MAX_LUEKER_N}] (comma-separated list)",
        ),
        "eps": Axis(
            parse=_parse_eps,
            default="0.1,0.01,0.001",
            fixed="0.01",
            help="precision eps in (0, 1) (comma-separated list)",
        ),
    }
    columns = [
        "experiment",
        "n",
        "eps",
        "distribution",
        "trials",
        "successes",
        "rate",
        "ci_low",
        "ci_high",
        "seed",
    ]

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--distribution",
            default="uniform",
            help="candidates: uniform U[-1,1] or product of two",
        )

    def configure(self, args: argparse.Namespace, common: dict) -> dict:
        return {"distribution": check_choice(args.distribution, "--distribution", DISTRIBUTIONS)}

    def run_point(self, point: dict, config: dict) -> dict:
        n, eps = int(point["n"]), float(point["eps"])
        w = _worst(n, config["distribution"], config["trials"], config["seed"])
        prop = proportion(int((w <= eps).sum()), w.size)
        return {
            "experiment": self.name,
            "n": n,
            "eps": eps,
            "distribution": config["distribution"],
            **measured(prop),
            "seed": config["seed"],
        }

    def fit(self, rows: list[dict], config: dict) -> LuekerFit:
        """Lueker's C for the sweep's eps values: per eps the smallest n reaching success
        1 - delta, scanned over n = 1..24 on the same draws as the grid (so it does not depend on
        the grid's n), then :func:`lththeory.subset_sum.fit_lueker_constant`'s fit through the
        origin and t-interval."""
        eps = tuple(sorted({r["eps"] for r in rows}, reverse=True))
        return _fit_cached(
            eps,
            config["distribution"],
            config["trials"],
            config["delta"],
            config["seed"],
            MAX_LUEKER_N,
        )

    def plot_lueker(self, rows: list[dict], config: dict, path: Path | str) -> str:
        """Success rate against n, one line per eps, with Clopper-Pearson intervals and the fitted
        n = C log2(1/eps) marked for each eps."""
        f = self.fit(rows, config)
        eps_list = sorted({r["eps"] for r in rows}, reverse=True)
        fig, ax = plt.subplots(figsize=(7.5, 5))
        colors = plt.cm.viridis(np.linspace(0, 0.9, max(len(eps_list), 1)))
        for e, c in zip(eps_list, colors, strict=False):
            rs = sorted((r for r in rows if r["eps"] == e), key=lambda r: r["n"])
            x = np.array([r["n"] for r in rs])
            y = np.array([r["rate"] for r in rs])
            lo = y - np.array([r["ci_low"] for r in rs])
            hi = np.array([r["ci_high"] for r in rs]) - y
            ax.errorbar(x, y, yerr=[lo, hi], fmt="o-", color=c, capsize=3, label=f"eps = {e:g}")
            if math.isfinite(f.C):
                ax.axvline(f.C * math.log2(1 / e), color=c, ls=":", lw=1)
        ax.axhline(
            1 - config["delta"],
            color="gray",
            ls="--",
            lw=1,
            label=f"1 - delta = {1 - config['delta']:g}",
        )
        ax.set_xlabel("number of candidates n")
        ax.set_ylabel("P(every z in [-1, 1] within eps)")
        title = f"Random subset sum ({config['distribution']}), {rows[0]['trials']} trials/point"
        if math.isfinite(f.C):
            title += (
                f"\nfit n = C log2(1/eps): C = {f.C:.2f} [{f.ci_low:.2f}, {f.ci_high:.2f}] (dotted)"
            )
        ax.set_title(title, fontsize=10)
        ax.set_ylim(-0.03, 1.03)
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        return save_figure(fig, path)

    def plot(self, rows: list[dict], config: dict, outdir: Path) -> list[str]:
        """fit.json (the fitted constant) and lueker.png."""
        if rows:
            _write_fit(self.fit(rows, config), Path(outdir) / "fit.json")
        return super().plot(rows, config, outdir)

    def summarize(
        self, rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float
    ) -> str:
        f = self.fit(rows, config)
        parts = [
            self.opening(
                f"Lueker sweep ({config['distribution']}", rows, config, outdir, figures, wall
            )
        ]
        need = ", ".join(
            f"eps {e:g}: n = {n}" if n > 0 else f"eps {e:g}: not reached by n = {MAX_LUEKER_N}"
            for e, n in zip(f.eps, f.n_required, strict=True)
        )
        parts.append(
            f"Smallest n with success >= {1 - f.delta:g} (same draws, n = 1..{MAX_LUEKER_N}): {need}."
        )
        if math.isfinite(f.C):
            ci = (
                f" [{f.ci_low:.2f}, {f.ci_high:.2f}] ({round(100 * f.confidence)}% t-interval)"
                if math.isfinite(f.ci_low)
                else " (one eps: no interval)"
            )
            parts.append(f"Fitted constant: n = C log2(1/eps) with C = {f.C:.2f}{ci}.")
        else:
            parts.append("No eps reached the success level: no fitted constant.")
        return " ".join(parts)


EXPERIMENT = register(SubsetSumExperiment())
