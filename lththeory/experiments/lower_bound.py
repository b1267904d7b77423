"""Sweep experiment for Theorem LB (the 3-layer lower bound, claim 2; docs/theory.md §4.5).

Axes: ``width`` = N / n (hidden width over target neurons; N = round(width * n)) and ``sparsity``
(1 - p, applied to both source layers: p_1 = p_2 = p; p_1 = 1 with ``--dense-first-layer``).
``--instance hard`` is f_T(x) = c + sum_i v_i phi(x_1 - c_i); ``--instance random`` a random
one-hidden-layer target whose w_i have ``--support`` s nonzeros among ``--input-dim`` d inputs.

Per grid point: the Monte-Carlo success rate of the exact decision (matching) with its
Clopper-Pearson interval, next to the theory: ``exact`` = P(Binomial(N, p_1 p_2) >= n) (hard instance
only, blank otherwise), ``upper_bound`` = P(Binomial(N, p_2) >= n) (any target) and ``lower_bound`` =
1 - n (1 - p_2 p_1^s)^floor(N/n) clipped at 0 (the block construction on the first floor(N/n) n neurons).

``theory_width`` is N*/n where the theory's probability first reaches 1/2: for the hard instance the
closed form's exact threshold; for random targets the threshold of the upper bound, i.e. the proven
necessary width (no random target reaches 1/2 below it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .._validate import LTHInputError, check_choice, check_positive_int, check_positive_real
from ..lower_bound import (
    OneHiddenTarget,
    block_lower_bound,
    block_threshold_k,
    exact_success_probability_hard,
    hard_instance,
    random_one_hidden_target,
    success_rate,
    threshold_width,
    upper_bound,
)
from ..masks import rho
from ..plotting import plt, save_figure
from ..stats import MIN_FIT_POINTS, crossing, fit_power_law, float_key
from .base import (
    BASE_COLUMNS,
    MEMORY_LIMIT,
    Axis,
    Experiment,
    measured,
    register,
    sparsity_axis,
)

__all__ = ["EXPERIMENT", "LowerBoundExperiment", "agreement", "fit_text", "hidden_width"]

LEVEL = 0.5  # the threshold N* is where the success probability crosses 1/2

_WIDTHS = ",".join(f"{2 ** (e / 4):.3g}" for e in range(0, 30))


def hidden_width(width: float, n: int) -> int:
    """N = round(width * n), at least 1."""
    return max(1, int(round(width * n)))


def fit_text(f) -> str:
    """A fitted slope with its 95 % interval, or why there is none."""
    if f is None:
        return f"no fit (fewer than {MIN_FIT_POINTS} thresholds)"
    return f"b = {f.slope:.2f} [{f.slope_low:.2f}, {f.slope_high:.2f}]"


def agreement(rows: list[dict]) -> dict:
    """How the measurement sits against the theory: exact value inside the CI, bound violations."""
    ex = [r for r in rows if r["exact"] is not None]
    inside = sum(r["ci_low"] <= r["exact"] <= r["ci_high"] for r in ex)
    above_upper = sum(r["ci_low"] > r["upper_bound"] for r in rows)
    below_lower = sum(r["ci_high"] < r["lower_bound"] for r in rows)
    return {
        "with_exact": len(ex),
        "inside": inside,
        "above_upper": above_upper,
        "below_lower": below_lower,
    }


class LowerBoundExperiment(Experiment):
    """``--experiment lower-bound``: the exact decision's success rate against Theorem LB."""

    name = "lower-bound"
    axes = {
        "width": Axis(
            parse=lambda t: check_positive_real(t, "width"),
            default=_WIDTHS,
            fixed="8",
            help="hidden width over target neurons, N/n (comma-separated list)",
        ),
        "sparsity": sparsity_axis(
            default="0.5,0.6,0.7,0.8,0.9",
            fixed="0.8",
            help="sparsity 1 - p of both source layers (comma-separated list)",
        ),
    }

    figures = {"phase.png": "plot_phase", "threshold.png": "plot_threshold"}
    columns = [
        *BASE_COLUMNS,
        "hidden_width",
        "target_neurons",
        "density",
        "exact",
        "upper_bound",
        "lower_bound",
        "first_layer_density",
        "instance",
        "input_dim",
        "support",
    ]

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--instance", default="hard", help="hard (closed form) or random (general)")
        p.add_argument("--target-neurons", default="50", help="n, the target's hidden neurons")
        p.add_argument("--support", default="1", help="s = |supp(w_i)| of random targets (1..d)")
        p.add_argument(
            "--input-dim", default=None, help="d (default: 1 for the hard instance, 4 for random)"
        )
        p.add_argument(
            "--dense-first-layer",
            action="store_true",
            help="keep the input->hidden mask dense (p_1 = 1): the threshold becomes n/p_2",
        )

    def configure(self, args: argparse.Namespace, common: dict) -> dict:
        instance = check_choice(args.instance, "--instance", ("hard", "random"))
        n = check_positive_int(args.target_neurons, "--target-neurons")
        s = check_positive_int(args.support, "--support")
        if args.input_dim is None:
            d = 1 if instance == "hard" else 4
        else:
            d = check_positive_int(args.input_dim, "--input-dim")
        if instance == "hard" and s != 1:
            raise LTHInputError(f"--support must be 1 for --instance hard (w_i = e_1), got {s}")
        if s > d:
            raise LTHInputError(f"--support must be in [1, --input-dim = {d}], got {s}")
        return {
            "instance": instance,
            "target_neurons": n,
            "support": s,
            "input_dim": d,
            "dense_first_layer": bool(args.dense_first_layer),
        }

    def check_grid(self, points: list[dict], config: dict) -> None:
        """Refuse grid points whose sampled masks (N x d input mask, 1 x N output mask) would not fit."""
        n, d = config["target_neurons"], config["input_dim"]
        for pt in points:
            N = hidden_width(float(pt["width"]), n)
            p1, p2 = self.densities(config, float(pt["sparsity"]))
            need = 12 * (N * d * p1 + N * p2) + 16 * N
            if need > MEMORY_LIMIT:
                raise LTHInputError(
                    f"--width {pt['width']:g} means N = {N:,} hidden neurons, about "
                    f"{need / 2**30:.0f} GiB of masks per trial (limit {MEMORY_LIMIT / 2**30:.0f} GiB): "
                    "use smaller widths or fewer --target-neurons"
                )

    def target(self, config: dict) -> OneHiddenTarget:
        """The sweep's target, fixed for the whole run (seeded by the run seed)."""
        rng = np.random.default_rng(self.seedseq(config, 0))
        if config["instance"] == "hard":
            return hard_instance(config["target_neurons"], seed=rng, d=config["input_dim"])
        return random_one_hidden_target(
            config["input_dim"], config["target_neurons"], config["support"], seed=rng
        )

    def densities(self, config: dict, sparsity: float) -> tuple[float, float]:
        """(p_1, p_2) for a sparsity."""
        p = 1.0 - sparsity
        return (1.0 if config["dense_first_layer"] else p), p

    def theory_width(self, config: dict, sparsity: float) -> float:
        """N*/n at level 1/2: exact closed form (hard) or the upper bound's threshold (random)."""
        p1, p2 = self.densities(config, sparsity)
        n = config["target_neurons"]
        if config["instance"] == "hard":
            return threshold_width(n, p1, p2, LEVEL) / n
        return threshold_width(n, 1.0, p2, LEVEL) / n

    def theory_curves(
        self, config: dict, sparsity: float, N: np.ndarray
    ) -> dict[str, np.ndarray | None]:
        """The theory objects at hidden widths N: exact (hard only), upper bound, block lower bound."""
        p1, p2 = self.densities(config, sparsity)
        n = config["target_neurons"]
        N = np.asarray(N, dtype=np.int64)
        return {
            "exact": (
                np.asarray(exact_success_probability_hard(N, n, p1, p2))
                if config["instance"] == "hard"
                else None
            ),
            "upper_bound": np.asarray(upper_bound(N, n, p2)),
            "lower_bound": np.asarray(block_lower_bound(N // n, n, p1, p2, config["support"])),
        }

    def run_point(self, point: dict, config: dict) -> dict:
        width, s = float(point["width"]), float(point["sparsity"])
        n = config["target_neurons"]
        N = hidden_width(width, n)
        p1, p2 = self.densities(config, s)
        target = self.target(config)
        ss = self.seedseq(config, float_key(width, 1e6), float_key(s))
        prop = success_rate(target, N, p1, p2, ss, config["trials"])
        th = self.theory_curves(config, s, np.array([N]))
        return {
            "experiment": self.name,
            "width": width,
            "sparsity": s,
            **measured(prop),
            "theory_width": self.theory_width(config, s),
            "seed": config["seed"],
            "hidden_width": N,
            "target_neurons": n,
            "density": p2,
            "exact": None if th["exact"] is None else float(th["exact"][0]),
            "upper_bound": float(th["upper_bound"][0]),
            "lower_bound": float(th["lower_bound"][0]),
            "first_layer_density": p1,
            "instance": config["instance"],
            "input_dim": config["input_dim"],
            "support": config["support"],
        }

    def threshold_table(self, rows: list[dict], config: dict) -> list[dict]:
        """Per sparsity: p_1, p_2, rho(p), the measured N*/n (rate crosses 1/2, log-interpolated) with the
        interval where the pointwise 95 % CIs cross 1/2, the closed-form N*/n (hard only), the necessary
        N*/n of the upper bound and the sufficient N*/n of the block construction."""
        n = config["target_neurons"]
        out = []
        for s in sorted({r["sparsity"] for r in rows}):
            rs = sorted((r for r in rows if r["sparsity"] == s), key=lambda r: r["width"])
            w = np.array([r["width"] for r in rs])
            p1, p2 = self.densities(config, s)
            out.append(
                {
                    "sparsity": s,
                    "p1": p1,
                    "p2": p2,
                    "inv_p1p2": 1.0 / (p1 * p2),
                    "rho": float(rho(p2)),
                    "measured": crossing(w, np.array([r["rate"] for r in rs]), LEVEL),
                    "measured_low": crossing(w, np.array([r["ci_high"] for r in rs]), LEVEL),
                    "measured_high": crossing(w, np.array([r["ci_low"] for r in rs]), LEVEL),
                    "exact": (
                        threshold_width(n, p1, p2, LEVEL) / n
                        if config["instance"] == "hard"
                        else None
                    ),
                    "necessary": threshold_width(n, 1.0, p2, LEVEL) / n,
                    "sufficient": float(block_threshold_k(n, p1, p2, config["support"], LEVEL)),
                }
            )
        return out

    def threshold_fits(self, table: list[dict]) -> dict:
        """Power-law fits N*/n = c x^b of the measured (and closed-form) thresholds, x = 1/(p_1 p_2) or rho(p)."""
        meas = np.array([t["measured"] for t in table], float)
        x1 = np.array([t["inv_p1p2"] for t in table])
        x2 = np.array([t["rho"] for t in table])
        fits = {
            "measured_vs_inv_p1p2": fit_power_law(x1, meas),
            "measured_vs_rho": fit_power_law(x2, meas),
        }
        if all(t["exact"] is not None for t in table):
            ex = np.array([t["exact"] for t in table], float)
            fits["exact_vs_inv_p1p2"] = fit_power_law(x1, ex)
            fits["exact_vs_rho"] = fit_power_law(x2, ex)
        return fits

    def _title(self, config: dict, rows: list[dict]) -> str:
        inst = (
            "hard instance c + sum v_i phi(x_1 - c_i)"
            if config["instance"] == "hard"
            else f"random target, d = {config['input_dim']}, s = {config['support']}"
        )
        fl = ", p_1 = 1" if config["dense_first_layer"] else ", p_1 = p_2 = p"
        return f"{inst}; n = {config['target_neurons']}{fl}; {rows[0]['trials']} trials/point"

    def plot_phase(self, rows: list[dict], config: dict, path: Path | str) -> str:
        """Measured rate (95 % CI bars) against N/n, one panel per sparsity, with the exact curve
        (hard instance), the upper bound P(Bin(N, p_2) >= n) and the block lower bound."""
        sps = sorted({r["sparsity"] for r in rows})
        n = config["target_neurons"]
        ncol = min(3, len(sps))
        nrow = -(-len(sps) // ncol)
        fig, axes = plt.subplots(
            nrow, ncol, figsize=(4.6 * ncol, 3.6 * nrow), squeeze=False, sharey=True
        )
        for ax, s in zip(axes.ravel(), sps, strict=False):
            rs = sorted((r for r in rows if r["sparsity"] == s), key=lambda r: r["width"])
            w = np.array([r["width"] for r in rs])
            rate = np.array([r["rate"] for r in rs])
            lo = np.array([r["ci_low"] for r in rs])
            hi = np.array([r["ci_high"] for r in rs])
            Ns = np.unique(np.round(np.geomspace(w.min(), w.max(), 600) * n).astype(np.int64))
            Ns = Ns[Ns >= 1]
            th = self.theory_curves(config, s, Ns)
            xs = Ns / n
            ax.plot(
                xs,
                th["upper_bound"],
                "-",
                color="tab:red",
                lw=1.2,
                label="upper bound P(Bin(N,p2)>=n)",
            )
            ax.plot(
                xs, th["lower_bound"], "-", color="tab:green", lw=1.2, label="block lower bound"
            )
            if th["exact"] is not None:
                ax.plot(xs, th["exact"], "-", color="k", lw=1.5, label="exact P(Bin(N,p1 p2)>=n)")
            ax.errorbar(
                w,
                rate,
                yerr=[rate - lo, hi - rate],
                fmt="o",
                ms=3.5,
                color="tab:blue",
                ecolor="tab:blue",
                capsize=2,
                label="measured (95% CI)",
            )
            p1, p2 = self.densities(config, s)
            ax.axvline(1.0 / (p1 * p2), color="gray", ls=":", lw=1, label="1/(p1 p2)")
            ax.set_xscale("log")
            ax.set_ylim(-0.03, 1.03)
            ax.set_title(f"sparsity {s:g} (p1 = {p1:g}, p2 = {p2:g})", fontsize=9)
            ax.set_xlabel("width N/n")
            ax.grid(alpha=0.3, which="both")
        for ax in axes[:, 0]:
            ax.set_ylabel("P(ticket exists)")
        for ax in axes.ravel()[len(sps) :]:
            ax.axis("off")
        handles, labels = axes.ravel()[0].get_legend_handles_labels()
        fig.legend(
            handles, labels, loc="lower center", ncol=5, fontsize=8, bbox_to_anchor=(0.5, -0.02)
        )
        fig.suptitle("Theorem LB (our formulation): " + self._title(config, rows), fontsize=10)
        fig.tight_layout(rect=(0, 0.05, 1, 0.97))
        return save_figure(fig, path)

    def plot_threshold(self, rows: list[dict], config: dict, path: Path | str) -> str:
        """N*/n (measured with the CI-crossing interval, closed form, necessary and sufficient widths)
        against 1/(p_1 p_2) and against rho(p), log-log, with the fitted slopes in the legends."""
        table = self.threshold_table(rows, config)
        fits = self.threshold_fits(table)
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
        meas = np.array([t["measured"] for t in table], float)
        lo = np.array([t["measured_low"] for t in table], float)
        hi = np.array([t["measured_high"] for t in table], float)
        yerr = np.vstack([np.clip(meas - lo, 0, None), np.clip(hi - meas, 0, None)])
        yerr = np.where(np.isfinite(yerr), yerr, 0.0)
        for ax, key, xlabel in (
            (axes[0], "inv_p1p2", "1/(p1 p2)"),
            (axes[1], "rho", "rho(p) = 1/ln(1/(1-p)),  p = p2"),
        ):
            x = np.array([t[key] for t in table])
            kind = "inv_p1p2" if key == "inv_p1p2" else "rho"
            fm = fits[f"measured_vs_{kind}"]
            ax.errorbar(
                x,
                meas,
                yerr=yerr,
                fmt="o",
                color="tab:blue",
                capsize=3,
                label=f"measured N*/n; fit {fit_text(fm)}",
            )
            if fm is not None and np.isfinite(fm.slope):
                xx = np.geomspace(x.min(), x.max(), 50)
                ax.plot(xx, fm.c * xx**fm.slope, "--", color="tab:blue", lw=1)
            if f"exact_vs_{kind}" in fits:
                ex = np.array([t["exact"] for t in table], float)
                ax.plot(
                    x,
                    ex,
                    "-",
                    color="k",
                    label=f"closed form N*/n; {fit_text(fits[f'exact_vs_{kind}'])}",
                )
            ax.plot(
                x,
                [t["necessary"] for t in table],
                "-",
                color="tab:red",
                lw=1,
                label="necessary (upper bound crosses 1/2)",
            )
            ax.plot(
                x,
                [t["sufficient"] for t in table],
                "-",
                color="tab:green",
                lw=1,
                label="sufficient (block bound crosses 1/2)",
            )
            if key == "inv_p1p2":
                ax.plot(x, x, ":", color="gray", label="N*/n = 1/(p1 p2)")
                if config["support"] > 1:
                    xs_ = [1.0 / (t["p2"] * t["p1"] ** config["support"]) for t in table]
                    ax.plot(
                        x, xs_, "-.", color="gray", label=f"N*/n = 1/(p2 p1^{config['support']})"
                    )
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("threshold N*/n (P = 1/2)")
            ax.grid(alpha=0.3, which="both")
            ax.legend(fontsize=7)
        fig.suptitle("Threshold width, " + self._title(config, rows), fontsize=10)
        fig.tight_layout()
        return save_figure(fig, path)

    def summarize(
        self, rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float
    ) -> str:
        n = config["target_neurons"]
        inst = (
            "hard instance"
            if config["instance"] == "hard"
            else (f"random targets, s = {config['support']}")
        )
        parts = [
            f"Lower-bound sweep ({inst}, n = {n}, d = {config['input_dim']}, {len(rows)} grid points x "
            f"{config['trials']} trials, seed {config['seed']}, {wall:.1f} s): wrote "
            f"{Path(outdir) / 'results.csv'}, meta.json and {', '.join(Path(f).name for f in figures)}."
        ]
        ag = agreement(rows)
        if ag["with_exact"]:
            parts.append(
                f"The exact P(Bin(N, p1 p2) >= n) lies inside the measured 95% CI at {ag['inside']} of "
                f"{ag['with_exact']} points."
            )
        parts.append(
            f"Measured 95% CIs entirely above the upper bound: {ag['above_upper']}; entirely below the "
            f"block lower bound: {ag['below_lower']} (each a one-sided miss of probability <= 2.5% per "
            f"point where the bound is tight, far less elsewhere)."
        )
        table = self.threshold_table(rows, config)
        fits = self.threshold_fits(table)
        found = [t for t in table if np.isfinite(t["measured"])]
        parts.append(
            f"Threshold N*/n (rate crosses 1/2) found at {len(found)} of {len(table)} sparsities; "
            f"fit N*/n ~ c x^b: against x = 1/(p1 p2) {fit_text(fits['measured_vs_inv_p1p2'])}, "
            f"against x = rho(p) {fit_text(fits['measured_vs_rho'])} (95%)."
        )
        if "exact_vs_rho" in fits:
            parts.append(
                f"Closed form over the same sparsities: {fit_text(fits['exact_vs_inv_p1p2'])} against "
                f"1/(p1 p2), {fit_text(fits['exact_vs_rho'])} against rho(p)."
            )
        return " ".join(parts)


EXPERIMENT = register(LowerBoundExperiment())
