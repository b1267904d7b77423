"""Measurements: binomial confidence intervals, seeding and power-law fits (docs/theory.md §6).

* Every estimated probability is ``successes / trials`` with a two-sided interval from
  :func:`scipy.stats.binomtest` (Clopper-Pearson "exact" by default, Wilson on request).
* Seeds: a run's integer seed becomes a :class:`numpy.random.SeedSequence`. Every experiment has a
  registered integer key (:data:`SEED_KEYS`, distinct by construction); a grid point's sequence is
  keyed by (experiment key, the point's values) and never by its position in the grid, and every
  trial (or block of trials) draws from a child of it, so results do not depend on ``--jobs``.
* Fits: ``y = c x^b`` on log-log axes with t-intervals, and the log-interpolated crossing of a level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._validate import LTHInputError, check_choice, check_positive_int, check_probability_open

__all__ = [
    "SEED_KEYS",
    "LineFit",
    "PowerFit",
    "Proportion",
    "child_generator",
    "child_seedseq",
    "crossing",
    "experiment_seedseq",
    "fit_line",
    "fit_power_law",
    "float_key",
    "frontier",
    "frontier_fit",
    "point_seedseq",
    "proportion",
    "register_seed_key",
    "trial_generators",
    "trial_quantiles",
]


# --------------------------------------------------------------------------- proportions


@dataclass(frozen=True)
class Proportion:
    """A measured probability: ``successes`` out of ``trials`` with a confidence interval."""

    successes: int
    trials: int
    ci_low: float
    ci_high: float
    confidence: float
    method: str

    @property
    def rate(self) -> float:
        return self.successes / self.trials

    def __str__(self) -> str:
        pct = round(100 * self.confidence)
        return (
            f"{self.rate:.4f} ({self.successes}/{self.trials}; "
            f"{pct}% CI [{self.ci_low:.4f}, {self.ci_high:.4f}])"
        )


def proportion(
    successes: int, trials: int, confidence: float = 0.95, method: str = "exact"
) -> Proportion:
    """Estimate a probability with a two-sided ``confidence`` interval (docs/theory.md §6.1).

    ``method``: ``"exact"`` (Clopper-Pearson) or ``"wilson"``; computed by
    ``scipy.stats.binomtest(successes, trials).proportion_ci``.
    """
    trials = check_positive_int(trials, "trials")
    successes = check_positive_int(successes, "successes", minimum=0)
    if successes > trials:
        raise LTHInputError(f"successes must be in [0, trials={trials}], got {successes}")
    confidence = check_probability_open(confidence, "confidence")
    check_choice(method, "method", ("exact", "wilson"))
    ci = stats.binomtest(successes, trials).proportion_ci(
        confidence_level=confidence, method=method
    )
    return Proportion(successes, trials, float(ci.low), float(ci.high), confidence, method)


# --------------------------------------------------------------------------- seeding

#: The first spawn-key entry of every seed the toolkit derives from a run seed, by the name of what
#: it seeds (docs/theory.md §6.2). Distinct integers; :func:`register_seed_key` adds new ones.
SEED_KEYS: dict[str, int] = {}


def register_seed_key(name: str, key: int) -> int:
    """Reserve ``key`` for ``name``; refuses a name or a key that is already taken."""
    key = check_positive_int(key, "key", minimum=0)
    if name in SEED_KEYS:
        raise ValueError(f"seed key name {name!r} is already registered")
    if key in SEED_KEYS.values():
        other = next(n for n, k in SEED_KEYS.items() if k == key)
        raise ValueError(f"seed key {key} is already registered for {other!r}")
    SEED_KEYS[name] = key
    return key


for _name, _key in (
    ("target", 0),  # the random targets of the weak and strong sweeps (shared on purpose)
    ("weak", 1),
    ("subset-sum", 2),
    ("strong", 3),
    ("lower-bound", 4),
    ("two-hidden", 46),
):
    register_seed_key(_name, _key)


def _key_part(value: object, name: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)) and value >= 0:
        return int(value)
    raise LTHInputError(
        f"{name} must be a non-negative integer (encode floats with float_key), got {value!r}"
    )


def point_seedseq(seed: int, *key: int) -> np.random.SeedSequence:
    """The SeedSequence of one grid point: run seed plus a stable integer key (not grid position)."""
    seed = check_positive_int(seed, "seed", minimum=0)
    return np.random.SeedSequence(
        seed, spawn_key=tuple(_key_part(k, f"key[{i}]") for i, k in enumerate(key))
    )


def experiment_seedseq(seed: int, experiment: str, *values: int) -> np.random.SeedSequence:
    """``point_seedseq(seed, SEED_KEYS[experiment], *values)``: the one place that derives the
    sequence of a grid point of ``experiment`` from the point's (integer-encoded) values."""
    if experiment not in SEED_KEYS:
        raise LTHInputError(
            f"experiment must be one of {', '.join(sorted(SEED_KEYS))} (a registered seed key), "
            f"got {experiment!r}"
        )
    return point_seedseq(seed, SEED_KEYS[experiment], *values)


def float_key(x: float, scale: float = 1e9) -> int:
    """An axis value as a stable seed-key integer: ``round(x * scale)`` (x >= 0)."""
    v = float(x)
    if not (np.isfinite(v) and v >= 0):
        raise LTHInputError(f"a seed-key value must be a finite number >= 0, got {x!r}")
    return int(round(v * scale))


def _check_seedseq(ss: object) -> np.random.SeedSequence:
    if not isinstance(ss, np.random.SeedSequence):
        raise LTHInputError(
            "ss must be a numpy.random.SeedSequence (e.g. point_seedseq(seed)), "
            f"got {type(ss).__name__}"
        )
    return ss


def child_seedseq(ss: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The child of ``ss`` with spawn key ``ss.spawn_key + key``, without mutating ``ss``
    (``ss.spawn`` would advance its counter, so the result would depend on call order)."""
    ss = _check_seedseq(ss)
    return np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + tuple(key))


def child_generator(ss: np.random.SeedSequence, *key: int) -> np.random.Generator:
    """A PCG64 generator seeded by :func:`child_seedseq`."""
    return np.random.Generator(np.random.PCG64(child_seedseq(ss, *key)))


def trial_generators(
    ss: np.random.SeedSequence, start: int, stop: int
) -> list[np.random.Generator]:
    """Generators of trials ``start..stop-1`` of a point: child ``t`` of ``ss`` for trial ``t``.

    Equivalent to ``ss.spawn(stop)[start:stop]`` without mutating ``ss`` (so chunks are independent
    of which process draws them).
    """
    _check_seedseq(ss)
    start = check_positive_int(start, "start", minimum=0)
    stop = check_positive_int(stop, "stop", minimum=start)
    return [child_generator(ss, t) for t in range(start, stop)]


# --------------------------------------------------------------------------- fits


@dataclass(frozen=True)
class PowerFit:
    """Least-squares fit of log y = log c + slope * log x, with 95 % t-intervals (docs/theory.md §6.4).

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


def trial_quantiles(x: np.ndarray) -> tuple[float, float, float]:
    """(median, 10 %, 90 %) of per-trial values: empirical quantiles (inverted CDF, no
    interpolation, so an infinite value stays a value; docs/theory.md §6.1)."""
    q = np.quantile(np.asarray(x, float), [0.5, 0.1, 0.9], method="inverted_cdf")
    return float(q[0]), float(q[1]), float(q[2])


@dataclass(frozen=True)
class LineFit:
    """Least-squares line y = intercept + slope * x with a t-interval for the slope
    (``confidence``, n - 2 degrees of freedom; docs/theory.md §6.4)."""

    slope: float
    slope_low: float
    slope_high: float
    intercept: float
    n: int

    def label(self, yname: str = "y", xname: str = "x") -> str:
        return (
            f"d {yname} / d {xname} = {self.slope:.3g} [{self.slope_low:.3g}, "
            f"{self.slope_high:.3g}] ({self.n} points)"
        )


def fit_line(x: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> LineFit | None:
    """Fit y = a + b x over the finite points; None with fewer than 3 of them or a single x
    (a fit without an interval is not reported)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    n = int(ok.sum())
    if n < 3 or np.ptp(x[ok]) == 0:
        return None
    res = stats.linregress(x[ok], y[ok])
    tq = stats.t.ppf(0.5 + confidence / 2, n - 2)
    half = tq * res.stderr
    return LineFit(
        float(res.slope),
        float(res.slope - half),
        float(res.slope + half),
        float(res.intercept),
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


def frontier(rows: list[dict], level: float) -> dict[float, float]:
    """Per sparsity: the smallest width whose success rate reaches ``level`` (log-interpolated).

    ``rows``: dicts with ``width``, ``sparsity`` and ``rate`` (one per grid point).
    """
    out = {}
    for s in sorted({r["sparsity"] for r in rows}):
        rs = sorted((r for r in rows if r["sparsity"] == s), key=lambda r: r["width"])
        out[s] = crossing(
            np.array([r["width"] for r in rs]), np.array([r["rate"] for r in rs]), level
        )
    return out


def frontier_fit(rows: list[dict], level: float) -> PowerFit | None:
    """Fit of the measured frontier k*(p) ~ c rho(p)^b over the sparsities of ``rows``."""
    from .masks import rho

    sps = sorted({r["sparsity"] for r in rows})
    front = frontier(rows, level)
    return fit_power_law(np.array([rho(1.0 - s) for s in sps]), np.array([front[s] for s in sps]))
