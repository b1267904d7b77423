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

__all__ = [
    "accuracy_band",
    "comparison_figure",
    "error_curves",
    "interval_errors",
    "phase_diagram",
    "plt",
    "save_figure",
]


def save_figure(fig, path) -> str:
    """Save as PNG atomically (rendered in memory, then written and renamed) and close."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    finally:
        plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())
    return str(path)


def interval_errors(
    rows: list[dict], value: str = "accuracy", low: str = "ci_low", high: str = "ci_high"
) -> np.ndarray:
    """The (2, n) ``yerr`` of ``errorbar`` from rows with a value and its interval (no bar where the
    interval is missing, e.g. a single seed)."""
    return np.array(
        [
            [r[value] - r[low], r[high] - r[value]] if r[low] is not None else [0.0, 0.0]
            for r in rows
        ]
    ).T.reshape(2, len(rows))


def accuracy_band(ax, mean: float, low: float | None, high: float | None, label: str) -> None:
    """A reference value as a horizontal line with its interval shaded (the dense network)."""
    if low is not None:
        ax.axhspan(low, high, color="gray", alpha=0.25, label=label)
    ax.axhline(mean, color="gray", lw=1)


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
    more_theory: dict[str, str] | None = None,
    by: str = "sparsity",
    by_label: str = "sparsity 1 - p",
    by_x=None,
    by_xlabel: str = "rho(p) = 1/ln(1/(1-p))",
) -> str:
    """Left: success rate over (width, sparsity) with the theory's width per sparsity, the measured
    frontier (rate >= ``level``) and its power-law fit; right: both against rho(p) on log-log axes.

    ``rows`` need ``width``, ``rate``, ``theory_width`` and the column ``by`` (the vertical axis,
    the sparsity by default); ``more_theory`` maps labels to further width columns drawn beside the
    theory's (e.g. a sharper theorem's width). ``by_x`` maps a value of ``by`` to the right panel's
    abscissa (default rho(1 - sparsity)); the power-law fit is drawn only for the sparsity.
    """
    widths = sorted({r["width"] for r in rows})
    sps = sorted({r[by] for r in rows}, key=lambda v: (isinstance(v, str), v))
    front = frontier(rows, level, by)
    # a theory width may be absent (e.g. the strong sweep's practical construction): drawn as a gap
    theory = {
        r[by]: (np.nan if r["theory_width"] in (None, "") else r["theory_width"]) for r in rows
    }
    by_x = by_x or (lambda s: float(rho(1.0 - s)))
    rhos = {s: float(by_x(s)) for s in sps}
    fit = frontier_fit(rows, level) if by == "sparsity" else None
    grid = np.full((len(sps), len(widths)), np.nan)
    for r in rows:
        grid[sps.index(r[by]), widths.index(r["width"])] = r["rate"]
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
    extra = {label: {r[by]: r[col] for r in rows} for label, col in (more_theory or {}).items()}
    styles = ("D-", "^-", "v-")
    for (label, ws), style in zip(extra.items(), styles, strict=False):
        ax.plot([ws[s] for s in sps], yy, style, color="orange", mec="k", label=label)
    fy = [front[s] for s in sps]
    ax.plot(fy, yy, "s", color="red", mec="k", label=f"measured frontier (rate >= {level:g})")
    if fit is not None:
        ax.plot(
            [fit.c * rhos[s] ** fit.slope for s in sps], yy, "--", color="red", label=fit.label()
        )
    ax.set_xscale("log")
    ax.set_xlim(xe[0], max(xe[-1], 1.3 * np.nanmax([np.nan, xe[-1], *map(float, theory.values())])))
    ax.set_yticks(yy, [s if isinstance(s, str) else f"{s:g}" for s in sps])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(by_label)
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=7, ncol=2)
    ax2 = axes[1]
    xs = np.array([rhos[s] for s in sps])
    ax2.loglog(xs, [theory[s] for s in sps], "o-", color="gray", label=theory_label)
    for (label, ws), style in zip(extra.items(), styles, strict=False):
        ax2.loglog(xs, [ws[s] for s in sps], style, color="orange", label=label)
    ax2.loglog(xs, fy, "s", color="red", label="measured frontier")
    if fit is not None:
        xx = np.geomspace(xs.min(), xs.max(), 50)
        ax2.loglog(xx, fit.c * xx**fit.slope, "--", color="red", label=f"b = {fit.slope:.2f}")
        if unit_fit:
            ax2.loglog(xx, fit.c_unit * xx, ":", color="k", label=f"k = {fit.c_unit:.1f} rho(p)")
    ax2.set_xlabel(by_xlabel)
    ax2.set_ylabel(xlabel.replace(" (log scale)", ""))
    ax2.set_title(f"scaling of the frontier with {by_xlabel.split(' =')[0]}")
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
