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
from functools import lru_cache

import numpy as np
from scipy import stats

from ._validate import (
    LTHInputError,
    check_choice,
    check_memory,
    check_positive_int,
    check_probability_open,
    check_seed,
    check_seedseq,
)

__all__ = [
    "SEED_KEYS",
    "MIN_FIT_POINTS",
    "BoundCheck",
    "MeanInterval",
    "LineFit",
    "PowerFit",
    "Proportion",
    "check_failure_bound",
    "child_generator",
    "child_seedseq",
    "crossing",
    "experiment_seedseq",
    "fit_line",
    "fit_power_law",
    "float_key",
    "frontier",
    "frontier_fit",
    "mean_interval",
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
    low, high = _interval(successes, trials, confidence, method)
    return Proportion(successes, trials, low, high, confidence, method)


@lru_cache(maxsize=8192)
def _interval(successes: int, trials: int, confidence: float, method: str) -> tuple[float, float]:
    """The scipy interval, cached: a sweep asks for the same (successes, trials) many times (every
    point at rate 0 or 1, and the one-sided check), and the exact interval costs two root finds."""
    ci = stats.binomtest(successes, trials).proportion_ci(
        confidence_level=confidence, method=method
    )
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class MeanInterval:
    """A mean over ``n`` independent repetitions (seeds) with a two-sided Student-t interval."""

    mean: float
    low: float
    high: float
    std: float
    n: int
    confidence: float

    def __str__(self) -> str:
        pct = round(100 * self.confidence)
        return f"{self.mean:.4f} ({pct}% CI [{self.low:.4f}, {self.high:.4f}], n = {self.n})"


def mean_interval(values: object, confidence: float = 0.95) -> MeanInterval:
    """Mean of ``values`` with the t-interval mean +- t_{n-1} s / sqrt(n) (docs/theory.md §6.1);
    the interval is nan for a single value and collapses to the mean when all values agree."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise LTHInputError(f"values must be a non-empty list of finite numbers, got {values!r}")
    confidence = check_probability_open(confidence, "confidence")
    m = float(x.mean())
    if x.size == 1:
        return MeanInterval(m, float("nan"), float("nan"), float("nan"), 1, confidence)
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1)) * sd / np.sqrt(x.size)
    return MeanInterval(m, m - half, m + half, sd, int(x.size), confidence)


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
    ("subset-sum-calibration", 5),  # the stored draws of the random-subset-sum lemma
    ("scheme-width", 10),  # required width per density scheme (issue 10)
    ("two-hidden", 46),
    ("train", 11),  # training inside ER masks (docs/theory.md §7): sweep grid points
    ("planted", 111),  # planted tickets: teacher, student masks and training
    ("train-compare", 112),  # the three comparisons of claim 4 (benchmarks and their tests)
    ("train-data", 113),  # the train/val/test split of a training run (shared by all of the above)
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
    """The SeedSequence of one grid point: run seed (an integer in [0, 2^63 - 1]) plus a stable
    integer key (not grid position)."""
    seed = check_seed(seed, "seed")
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


def child_seedseq(ss: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The child of ``ss`` with spawn key ``ss.spawn_key + key``, without mutating ``ss``
    (``ss.spawn`` would advance its counter, so the result would depend on call order)."""
    ss = check_seedseq(ss)
    return np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + tuple(key))


def child_generator(ss: np.random.SeedSequence, *key: int) -> np.random.Generator:
    """A PCG64 generator seeded by :func:`child_seedseq`."""
    return np.random.Generator(np.random.PCG64(child_seedseq(ss, *key)))


def trial_generators(
    ss: np.random.SeedSequence, start: int, stop: int
) -> list[np.random.Generator]:
    """Generators of trials ``start..stop-1`` of a point: child ``t`` of ``ss`` for trial ``t``.

    Equivalent to ``ss.spawn(stop)[start:stop]`` without mutating ``ss`` (so chunks are independent
    of which process draws them). The list holds one generator (about 2 KiB) per trial; loops over
    many trials call :func:`child_generator` one trial at a time instead.
    """
    check_seedseq(ss)
    start = check_positive_int(start, "start", minimum=0)
    stop = check_positive_int(stop, "stop", minimum=start)
    check_memory(GENERATOR_BYTES * (stop - start), "stop - start", f"{stop - start} generators")
    return [child_generator(ss, t) for t in range(start, stop)]


GENERATOR_BYTES = 2048
"""Upper estimate of the memory of one numpy Generator with its PCG64 and SeedSequence."""


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


MIN_FIT_POINTS = 3
"""A slope is fitted (and printed) only from at least this many points with distinct x."""


def fit_power_law(x: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> PowerFit | None:
    """Fit y = c x^slope on log-log axes with t-intervals; None with fewer than
    :data:`MIN_FIT_POINTS` finite points of distinct x (two points give a line but no interval)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    lx, ly = np.log(x[ok]), np.log(y[ok])
    n = int(ok.sum())
    if n < MIN_FIT_POINTS or np.unique(lx).size < MIN_FIT_POINTS:
        return None
    diff = ly - lx
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


def frontier(rows: list[dict], level: float, by: str = "sparsity") -> dict:
    """Per value of ``by`` (the sparsity by default): the smallest width whose success rate reaches
    ``level`` (log-interpolated).

    ``rows``: dicts with ``width``, ``rate`` and ``by`` (one per grid point).
    """
    out = {}
    for s in sorted({r[by] for r in rows}, key=_sort_key):
        rs = sorted((r for r in rows if r[by] == s), key=lambda r: r["width"])
        out[s] = crossing(
            np.array([r["width"] for r in rs]), np.array([r["rate"] for r in rs]), level
        )
    return out


def _sort_key(v: object) -> tuple:
    """Numbers in order, then words (e.g. the support 'dense' after every number)."""
    return (0, v, "") if isinstance(v, (int, float, np.number)) else (1, 0, str(v))


def frontier_fit(rows: list[dict], level: float) -> PowerFit | None:
    """Fit of the measured frontier k*(p) ~ c rho(p)^b over the sparsities of ``rows``."""
    from .masks import rho

    sps = sorted({r["sparsity"] for r in rows})
    front = frontier(rows, level)
    return fit_power_law(np.array([rho(1.0 - s) for s in sps]), np.array([front[s] for s in sps]))


# --------------------------------------------------------------------------- bound checks


@dataclass(frozen=True)
class BoundCheck:
    """A one-sided exact binomial test of "P(failure) <= bound" on ``failures`` out of ``trials``
    (docs/theory.md §6.3).

    ``holds`` is False when ``failures > critical``, where ``critical`` is the smallest c with
    P(Bin(trials, bound) > c) <= alpha: if the bound is true the check fails with probability at most
    ``alpha`` (its false-positive rate). ``power`` = P(Bin(trials, min(1, violation * bound)) >
    critical): the probability that the check detects a bound that is wrong by the factor
    ``violation`` (the true failure rate being ``violation`` times the bound).
    """

    holds: bool
    failures: int
    trials: int
    bound: float
    critical: int
    alpha: float
    violation: float
    power: float


def check_failure_bound(
    failures: int, trials: int, bound: float, alpha: float = 0.05, violation: float = 2.0
) -> BoundCheck | None:
    """Test a theorem's failure bound against a measurement; None when the bound is vacuous
    (>= 1): then there is nothing to check."""
    trials = check_positive_int(trials, "trials")
    failures = check_positive_int(failures, "failures", minimum=0)
    if failures > trials:
        raise LTHInputError(f"failures must be in [0, trials={trials}], got {failures}")
    alpha = check_probability_open(alpha, "alpha")
    b = float(bound)
    if not (b >= 0.0):
        raise LTHInputError(f"bound must be a probability >= 0, got {bound!r}")
    if b >= 1.0:
        return None
    critical = int(stats.binom.isf(alpha, trials, b))  # P(Bin > critical) <= alpha
    while critical > 0 and stats.binom.sf(critical - 1, trials, b) <= alpha:
        critical -= 1
    power = float(stats.binom.sf(critical, trials, min(1.0, violation * b)))
    return BoundCheck(failures <= critical, failures, trials, b, critical, alpha, violation, power)
