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
