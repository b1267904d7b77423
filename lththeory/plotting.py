"""Shared plotting helpers (matplotlib, Agg backend): proportions with confidence intervals and
power-law fits of a measured frontier against a theory variable (THEORY section 6)."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

__all__ = ["PowerFit", "fit_power_law", "crossing", "plt", "save_figure"]


@dataclass(frozen=True)
class PowerFit:
    """Least-squares fit of log y = log c + slope * log x, with 95 % t-intervals.

    ``c_unit`` is the constant of the fit with the slope fixed at 1 (y = c x), with its interval.
    """

    slope: float
    slope_low: float
    slope_high: float
    c: float
    c_unit: float
    c_unit_low: float
    c_unit_high: float
    n: int

    def label(self, xname: str = "rho(p)") -> str:
        return (
            f"fit k = c*{xname}^b: b = {self.slope:.2f} [{self.slope_low:.2f}, {self.slope_high:.2f}]"
            f"; b=1: c = {self.c_unit:.2f} [{self.c_unit_low:.2f}, {self.c_unit_high:.2f}]"
        )


def fit_power_law(x: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> PowerFit | None:
    """Fit y = c x^slope on log-log axes (None with fewer than 2 finite points)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    lx, ly = np.log(x[ok]), np.log(y[ok])
    n = int(ok.sum())
    if n < 2:
        return None
    diff = ly - lx
    if n >= 3 and np.ptp(lx) > 0:
        res = stats.linregress(lx, ly)
        tq = stats.t.ppf(0.5 + confidence / 2, n - 2)
        slope, s_lo, s_hi, c = (
            res.slope,
            res.slope - tq * res.stderr,
            res.slope + tq * res.stderr,
            float(np.exp(res.intercept)),
        )
        tq1 = stats.t.ppf(0.5 + confidence / 2, n - 1)
        se = diff.std(ddof=1) / np.sqrt(n)
    else:
        slope = float((ly[-1] - ly[0]) / (lx[-1] - lx[0])) if np.ptp(lx) > 0 else np.nan
        s_lo = s_hi = np.nan
        c = float(np.exp(np.mean(ly - slope * lx))) if np.isfinite(slope) else np.nan
        tq1, se = np.nan, np.nan
    m = diff.mean()
    return PowerFit(
        float(slope),
        float(s_lo),
        float(s_hi),
        c,
        float(np.exp(m)),
        float(np.exp(m - tq1 * se)),
        float(np.exp(m + tq1 * se)),
        n,
    )


def crossing(x: np.ndarray, rate: np.ndarray, level: float) -> float:
    """Smallest x where ``rate`` first reaches ``level``, interpolated linearly in log x between the
    grid points around the crossing (x sorted ascending); nan when never reached."""
    x, rate = np.asarray(x, float), np.asarray(rate, float)
    hit = np.flatnonzero(rate >= level)
    if hit.size == 0:
        return float("nan")
    i = int(hit[0])
    if i == 0:
        return float(x[0])
    r0, r1 = rate[i - 1], rate[i]
    t = (level - r0) / (r1 - r0) if r1 > r0 else 1.0
    return float(np.exp(np.log(x[i - 1]) + t * (np.log(x[i]) - np.log(x[i - 1]))))


def save_figure(fig, path) -> str:
    """Save atomically (temporary file, then rename) and close."""
    import os
    import tempfile

    path = str(path)
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=d, suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=130, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        plt.close(fig)
    return path


def frontier(rows: list[dict], level: float) -> dict[float, float]:
    """Per sparsity: the smallest width whose success rate reaches ``level`` (log-interpolated)."""
    out = {}
    for s in sorted({r["sparsity"] for r in rows}):
        rs = sorted((r for r in rows if r["sparsity"] == s), key=lambda r: r["width"])
        out[s] = crossing(
            np.array([r["width"] for r in rs]), np.array([r["rate"] for r in rs]), level
        )
    return out


def frontier_fit(rows: list[dict], level: float) -> PowerFit | None:
    """Fit of the measured frontier k*(p) ~ c rho(p)^b over the sparsities of ``rows``."""
    from .weak import rho

    sps = sorted({r["sparsity"] for r in rows})
    front = frontier(rows, level)
    return fit_power_law(np.array([rho(1.0 - s) for s in sps]), np.array([front[s] for s in sps]))


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
    from .weak import rho

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
