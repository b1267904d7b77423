"""Shared figures (matplotlib, Agg backend): saved atomically; the phase diagram of a width x
sparsity sweep with the theory's width, the measured frontier and its power-law fit
(docs/theory.md §6). The statistics they draw live in :mod:`lththeory.stats`."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ._io import write_bytes_atomic  # noqa: E402
from .masks import rho  # noqa: E402
from .stats import frontier, frontier_fit  # noqa: E402

__all__ = ["comparison_figure", "error_curves", "phase_diagram", "plt", "save_figure"]


def save_figure(fig, path) -> str:
    """Save as PNG atomically (rendered in memory, then written and renamed) and close."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    finally:
        plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())
    return str(path)


def phase_diagram(
    rows: list[dict],
    level: float,
    path,
    *,
    title: str,
    theory_label: str,
    xlabel: str = "copy multiplier k (log scale)",
    rate_label: str = "success rate",
    unit_fit: bool = True,
) -> str:
    """Left: success rate over (width, sparsity) with the theory's width per sparsity, the measured
    frontier (rate >= ``level``) and its power-law fit; right: both against rho(p) on log-log axes.

    ``rows`` need ``width``, ``sparsity``, ``rate`` and ``theory_width``.
    """
    widths = sorted({r["width"] for r in rows})
    sps = sorted({r["sparsity"] for r in rows})
    front = frontier(rows, level)
    theory = {r["sparsity"]: r["theory_width"] for r in rows}
    rhos = {s: float(rho(1.0 - s)) for s in sps}
    fit = frontier_fit(rows, level)
    grid = np.full((len(sps), len(widths)), np.nan)
    for r in rows:
        grid[sps.index(r["sparsity"]), widths.index(r["width"])] = r["rate"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.5, 1]})
    ax = axes[0]
    w = np.array(widths, float)
    if len(w) > 1:
        mids = np.sqrt(w[1:] * w[:-1])
        xe = np.concatenate([[w[0] ** 2 / mids[0]], mids, [w[-1] ** 2 / mids[-1]]])
    else:
        xe = np.array([w[0] / 1.5, w[0] * 1.5])
    ye = np.arange(len(sps) + 1) - 0.5
    mesh = ax.pcolormesh(xe, ye, grid, cmap="viridis", vmin=0, vmax=1, shading="flat")
    fig.colorbar(mesh, ax=ax, label=rate_label)
    yy = np.arange(len(sps))
    ax.plot([theory[s] for s in sps], yy, "o-", color="white", mec="k", label=theory_label)
    fy = [front[s] for s in sps]
    ax.plot(fy, yy, "s", color="red", mec="k", label=f"measured frontier (rate >= {level:g})")
    if fit is not None:
        ax.plot(
            [fit.c * rhos[s] ** fit.slope for s in sps], yy, "--", color="red", label=fit.label()
        )
    ax.set_xscale("log")
    ax.set_xlim(xe[0], max(xe[-1], 1.3 * max(theory.values())))
    ax.set_yticks(yy, [f"{s:g}" for s in sps])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("sparsity 1 - p")
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=7, ncol=2)
    ax2 = axes[1]
    xs = np.array([rhos[s] for s in sps])
    ax2.loglog(xs, [theory[s] for s in sps], "o-", color="gray", label=theory_label)
    ax2.loglog(xs, fy, "s", color="red", label="measured frontier")
    if fit is not None:
        xx = np.geomspace(xs.min(), xs.max(), 50)
        ax2.loglog(xx, fit.c * xx**fit.slope, "--", color="red", label=f"b = {fit.slope:.2f}")
        if unit_fit:
            ax2.loglog(xx, fit.c_unit * xx, ":", color="k", label=f"k = {fit.c_unit:.1f} rho(p)")
    ax2.set_xlabel("rho(p) = 1/ln(1/(1-p))")
    ax2.set_ylabel(xlabel.replace(" (log scale)", ""))
    ax2.set_title("scaling of the frontier with rho(p)")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def error_curves(
    rows: list[dict],
    path,
    *,
    title: str,
    eps: float | None = None,
    predicted: str | None = "predicted_error",
    fits: dict[float, str] | None = None,
) -> str:
    """Certified (solid, band: 10-90 % quantiles over trials) and sampled (dashed) sup error against
    the block size k on a log scale, one colour per sparsity; the predicted curve (dotted, column
    ``predicted``) beside them; ``fits[s]`` (a fitted decay rate) in the legend of sparsity s.

    ``rows`` need ``width``, ``sparsity``, ``certified_error`` (+ ``_q10``, ``_q90``) and
    ``sampled_error``.
    """
    sps = sorted({r["sparsity"] for r in rows})
    fig, ax = plt.subplots(figsize=(8, 5.2))
    colors = plt.cm.viridis(np.linspace(0, 0.9, max(len(sps), 1)))

    def col(rs: list[dict], key: str) -> np.ndarray:
        return np.array([np.nan if r.get(key) in (None, "") else float(r[key]) for r in rs])

    for s, c in zip(sps, colors, strict=False):
        rs = sorted((r for r in rows if r["sparsity"] == s), key=lambda r: r["width"])
        x = np.array([r["width"] for r in rs], float)
        label = f"sparsity {s:g}: certified" + (f" ({fits[s]})" if fits and s in fits else "")
        ax.semilogy(x, col(rs, "certified_error"), "o-", color=c, label=label)
        ax.fill_between(
            x, col(rs, "certified_error_q10"), col(rs, "certified_error_q90"), color=c, alpha=0.15
        )
        ax.semilogy(x, col(rs, "sampled_error"), "x--", color=c, alpha=0.8, label="sampled")
        if predicted and predicted in rs[0]:
            ax.semilogy(x, col(rs, predicted), ":", color=c, lw=2, label="predicted (lemma)")
    if eps is not None:
        ax.axhline(eps, color="red", ls="--", lw=1, label=f"eps = {eps:g}")
    ax.set_xlabel("block size k")
    ax.set_ylabel("sup |f_P - f_T| (median over trials)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return save_figure(fig, path)


_MARKERS = "osd^v<>"


def comparison_figure(rows: list[dict], path, *, title: str, eps: float | None = None) -> str:
    """Constructions side by side (rows of :func:`lththeory.strong.compare_constructions`): left,
    certified (solid) and sampled (dotted) error against k; right, kept weights against k; one
    colour per construction, one marker per sparsity."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5))
    dens = sorted({r["density"] for r in rows}, reverse=True)
    for ci, name in enumerate(dict.fromkeys(r["construction"] for r in rows)):
        color = f"C{ci}"
        for di, p in enumerate(dens):
            rs = sorted(
                (r for r in rows if r["construction"] == name and r["density"] == p),
                key=lambda r: r["width"],
            )
            k = [r["width"] for r in rs]
            m = _MARKERS[di % len(_MARKERS)]
            lab = f"{name}, sparsity {1 - p:g}"
            ax.semilogy(k, [r["certified_error"] for r in rs], m + "-", color=color, label=lab)
            ax.semilogy(k, [r["sampled_error"] for r in rs], m + ":", color=color, alpha=0.7)
            bx.loglog(
                k, [max(r["ticket_weights"], 0.5) for r in rs], m + "-", color=color, label=lab
            )
    if eps is not None:
        ax.axhline(eps, color="red", ls="--", lw=1, label=f"eps = {eps:g}")
    ax.set_xscale("log")
    ax.set_xlabel("block size k")
    ax.set_ylabel("sup error: certified (solid), sampled (dotted); median")
    bx.set_xlabel("block size k")
    bx.set_ylabel("kept weights (median)")
    ax.legend(fontsize=7)
    bx.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
