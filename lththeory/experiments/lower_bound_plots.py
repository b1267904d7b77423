"""The figures of the lower-bound experiment (docs/theory.md §4.5): the measured rate against the
closed form and the bounds per sparsity, and the threshold N*/n against 1/p_2, 1/(p_1 p_2) and
rho(p_2). Methods of :class:`lththeory.experiments.lower_bound.LowerBoundExperiment`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..plotting import plt, save_figure
from ..stats import MIN_FIT_POINTS

__all__ = ["fit_text", "plot_phase", "plot_threshold"]


def fit_text(f) -> str:
    """A fitted slope with its 95 % interval, or why there is none."""
    if f is None:
        return f"no fit (fewer than {MIN_FIT_POINTS} thresholds)"
    return f"b = {f.slope:.2f} [{f.slope_low:.2f}, {f.slope_high:.2f}]"


def plot_phase(self, rows: list[dict], config: dict, path: Path | str) -> str:
    """Measured rate (95 % CI bars) against N/n, one panel per sparsity, with the exact curve
    (equal supports), the upper bounds P(Bin(N, p_2) >= n) and with the input mask, and the block
    lower bound."""
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
            xs,
            th["upper_bound_masked"],
            "--",
            color="tab:orange",
            lw=1.2,
            label="upper bound with the input mask",
        )
        ax.plot(xs, th["lower_bound"], "-", color="tab:green", lw=1.2, label="block lower bound")
        if th["exact"] is not None:
            ax.plot(xs, th["exact"], "-", color="k", lw=1.5, label="exact (equal supports)")
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
        ax.axvline(1.0 / p2, color="gray", ls=":", lw=1, label="1/p2")
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
    fig.legend(handles, labels, loc="lower center", ncol=5, fontsize=8, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle("Theorem LB (our formulation): " + self._title(config, rows), fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 0.97))
    return save_figure(fig, path)


def plot_threshold(self, rows: list[dict], config: dict, path: Path | str) -> str:
    """N*/n (measured with the CI-crossing interval, closed form, necessary and sufficient widths)
    against 1/p_2, 1/(p_1 p_2) and rho(p_2), log-log, with the fitted slopes in the legends."""
    table = self.threshold_table(rows, config)
    fits = self.threshold_fits(table)
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.8))
    meas = np.array([t["measured"] for t in table], float)
    lo = np.array([t["measured_low"] for t in table], float)
    hi = np.array([t["measured_high"] for t in table], float)
    yerr = np.vstack([np.clip(meas - lo, 0, None), np.clip(hi - meas, 0, None)])
    yerr = np.where(np.isfinite(yerr), yerr, 0.0)
    for ax, key, xlabel in (
        (axes[0], "inv_p2", "1/p2 (the necessary factor)"),
        (axes[1], "inv_p1p2", "1/(p1 p2)"),
        (axes[2], "rho", "rho(p2) = 1/ln(1/(1-p2))"),
    ):
        x = np.array([t[key] for t in table])
        kind = key
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
            [t["necessary_any"] for t in table],
            "-",
            color="tab:red",
            lw=1,
            label="necessary, any target (P(Bin(N,p2)>=n) = 1/2)",
        )
        ax.plot(
            x,
            [t["necessary"] for t in table],
            "--",
            color="tab:orange",
            lw=1,
            label="necessary, this target (masked bound = 1/2)",
        )
        ax.plot(
            x,
            [t["sufficient"] for t in table],
            "-",
            color="tab:green",
            lw=1,
            label="sufficient (block bound crosses 1/2)",
        )
        if key == "inv_p2":
            ax.plot(x, x, ":", color="gray", label="N*/n = 1/p2")
        if key == "inv_p1p2":
            ax.plot(x, x, ":", color="gray", label="N*/n = 1/(p1 p2)")
            if config["support"] > 1:
                xs_ = [1.0 / (t["p2"] * t["p1"] ** config["support"]) for t in table]
                ax.plot(x, xs_, "-.", color="gray", label=f"N*/n = 1/(p2 p1^{config['support']})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("threshold N*/n (P = 1/2)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.suptitle("Threshold width, " + self._title(config, rows), fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
