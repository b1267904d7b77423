"""The Lueker experiment: how many random candidates meet every z in [-1, 1] within eps
(docs/theory.md §5.1). :func:`worst_error` is exact from the sorted subset sums;
:func:`lueker_success_rate` estimates P(worst error <= eps) with a binomial interval and
:func:`fit_lueker_constant` fits n = C log2(1/eps) (a calibrated constant, not a proven one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .._validate import (
    LTHInputError,
    check_choice,
    check_positive_int,
    check_positive_real,
    check_probability_open,
)
from ..stats import Proportion, experiment_seedseq, proportion, trial_generators
from ._kernels import enumerate_into
from .solvers import check_values

__all__ = [
    "DISTRIBUTIONS",
    "MAX_LUEKER_N",
    "LuekerFit",
    "fit_lueker_constant",
    "lueker_success_rate",
    "lueker_trial",
    "lueker_worst_errors",
    "sample_values",
    "subset_sums",
    "worst_error",
]

MAX_LUEKER_N = 24
"""Largest n for :func:`worst_error` (all 2^24 subset sums held in memory, 128 MiB)."""
DISTRIBUTIONS = ("uniform", "product")
"""Sample distributions: iid U[-1, 1], or iid products of two independent U[-1, 1]."""

_DIST_KEY = {"uniform": 0, "product": 1}


# --------------------------------------------------------------------------------------------------
# Lueker experiment


def subset_sums(values: object) -> np.ndarray:
    """All ``2^n`` subset sums of ``values`` (n <= MAX_LUEKER_N); entry k is the subset with bitmask k.

    docs/theory.md §5.1: the candidate set of the random subset-sum problem.
    """
    a = check_values(values, MAX_LUEKER_N)
    return enumerate_into(a, np.empty(1 << a.size))


def sample_values(n: int, distribution: str, rng: np.random.Generator) -> np.ndarray:
    """n iid candidates: ``"uniform"`` U[-1, 1], or ``"product"`` u * v with u, v iid U[-1, 1].

    docs/theory.md §5.1 (products arise as first- times second-layer weights along a path).
    """
    n = check_positive_int(n, "n", minimum=0)
    check_choice(distribution, "distribution", DISTRIBUTIONS)
    if distribution == "uniform":
        return rng.uniform(-1.0, 1.0, n)
    u = rng.uniform(-1.0, 1.0, (2, n))
    return u[0] * u[1]


def worst_error(values: object) -> float:
    """``sup_{z in [-1, 1]} min_S |z - sum_S a|``, exact (docs/theory.md §5.1).

    From the sorted subset sums: the sup is attained at -1, at 1, or at the midpoint of two consecutive
    sums (half their gap), the midpoint clipped to [-1, 1] when the gap straddles an end. Only the sums
    inside [-1, 1] and the nearest one on each side are sorted.
    """
    a = check_values(values, MAX_LUEKER_N, " for worst_error")
    S = enumerate_into(a, np.empty(1 << a.size))
    inside = S[(S >= -1.0) & (S <= 1.0)]
    below = S[S < -1.0]
    above = S[S > 1.0]
    parts = [inside]
    if below.size:
        parts.insert(0, np.array([below.max()]))
    if above.size:
        parts.append(np.array([above.min()]))
    s = np.sort(np.concatenate(parts))
    cand = [0.0]
    if s[0] > -1.0:  # nothing at or below -1: z = -1 is nearest to s[0]
        cand.append(s[0] + 1.0)
    if s[-1] < 1.0:
        cand.append(1.0 - s[-1])
    if s.size > 1:
        lo, hi = s[:-1], s[1:]
        u = np.maximum(lo, -1.0)
        v = np.minimum(hi, 1.0)
        keep = u <= v
        lo, hi, u, v = lo[keep], hi[keep], u[keep], v[keep]
        if lo.size:
            mid = np.clip(0.5 * (lo + hi), u, v)
            cand.append(float(np.minimum(mid - lo, hi - mid).max()))
    return float(max(cand))


def _check_eps_value(eps: object) -> float:
    return check_positive_real(eps, "eps")


def lueker_trial(
    n: int, eps: float, distribution: str, rng: np.random.Generator
) -> tuple[float, bool]:
    """One draw of n samples: ``(worst_error, worst_error <= eps)`` (docs/theory.md §5.1)."""
    n = check_positive_int(n, "n")
    if n > MAX_LUEKER_N:
        raise LTHInputError(f"n must be in [1, {MAX_LUEKER_N}] for the Lueker experiment, got {n}")
    e = _check_eps_value(eps)
    w = worst_error(sample_values(n, distribution, rng))
    return w, bool(w <= e)


def lueker_worst_errors(n: int, distribution: str, trials: int, seed: int = 0) -> np.ndarray:
    """Worst errors of ``trials`` independent draws of n samples (docs/theory.md §5.1).

    Trial t uses child t of ``experiment_seedseq(seed, "subset-sum", n, distribution key)``; the draws do not depend on
    eps, so every eps is evaluated on the same samples (common random numbers).
    """
    n = check_positive_int(n, "n")
    if n > MAX_LUEKER_N:
        raise LTHInputError(f"n must be in [1, {MAX_LUEKER_N}] for the Lueker experiment, got {n}")
    check_choice(distribution, "distribution", DISTRIBUTIONS)
    trials = check_positive_int(trials, "trials")
    gens = trial_generators(
        experiment_seedseq(seed, "subset-sum", n, _DIST_KEY[distribution]), 0, trials
    )
    return np.array([worst_error(sample_values(n, distribution, g)) for g in gens])


def lueker_success_rate(
    n: int,
    eps: float,
    distribution: str = "uniform",
    trials: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
) -> Proportion:
    """Estimate ``P(sup_z min_S |z - sum_S a| <= eps)`` for n samples (docs/theory.md §5.1).

    Clopper-Pearson interval from :func:`lththeory.stats.proportion`; seeding as in
    :func:`lueker_worst_errors`.
    """
    e = _check_eps_value(eps)
    w = lueker_worst_errors(n, distribution, trials, seed)
    return proportion(int((w <= e).sum()), w.size, confidence=confidence)


@dataclass(frozen=True)
class LuekerFit:
    """Fit of ``n*(eps) = C log2(1/eps)`` through the origin (docs/theory.md §5.1).

    ``n_required[k]``: the smallest n whose success rate reached ``1 - delta`` at ``eps[k]`` (``-1`` if
    none up to ``n_max``, such points are left out of the fit); ``ci_low``, ``ci_high``: t-interval of the
    regression slope at ``confidence`` (k - 1 degrees of freedom; nan with fewer than 2 points).
    ``slope_affine``, ``intercept``: the ordinary least-squares fit ``n = slope log2(1/eps) + intercept``
    for comparison (nan with fewer than 2 distinct eps): covering all of [-1, 1] needs a minimum n
    whatever eps, so the fit through the origin overstates C at large eps.
    """

    C: float
    ci_low: float
    ci_high: float
    eps: tuple[float, ...]
    n_required: tuple[int, ...]
    delta: float
    trials: int
    distribution: str
    confidence: float
    slope_affine: float
    intercept: float
    method: str = "t-interval of the least-squares slope through the origin"


def fit_lueker_constant(
    eps_grid: tuple[float, ...] = (0.1, 0.03, 0.01, 0.003),
    distribution: str = "uniform",
    trials: int = 200,
    delta: float = 0.1,
    seed: int = 0,
    n_max: int = MAX_LUEKER_N,
    confidence: float = 0.95,
) -> LuekerFit:
    """Measure C in ``n = C log2(1/eps)`` (docs/theory.md §5.1).

    For each eps the smallest n with empirical ``P(worst_error <= eps) >= 1 - delta`` (n scanned upward
    from 1, ``trials`` draws per n, shared by all eps); then least squares through the origin,
    ``C = sum x n / sum x^2`` with ``x = log2(1/eps)``, and a t-interval for C from the residuals. The
    interval treats the points as independent, which the shared draws make only approximately true.
    """
    eps_list = [_check_eps_value(e) for e in eps_grid]
    if not eps_list:
        raise LTHInputError("eps_grid must contain at least one eps value")
    if any(e >= 1.0 for e in eps_list):
        raise LTHInputError(f"eps_grid values must be in (0, 1), got {eps_list}")
    check_choice(distribution, "distribution", DISTRIBUTIONS)
    trials = check_positive_int(trials, "trials")
    delta = check_probability_open(delta, "delta")
    confidence = check_probability_open(confidence, "confidence")
    n_max = check_positive_int(n_max, "n_max")
    if n_max > MAX_LUEKER_N:
        raise LTHInputError(f"n_max must be in [1, {MAX_LUEKER_N}], got {n_max}")
    need = [-1] * len(eps_list)
    for n in range(1, n_max + 1):
        w = lueker_worst_errors(n, distribution, trials, seed)
        for k, e in enumerate(eps_list):
            if need[k] < 0 and np.mean(w <= e) >= 1.0 - delta:
                need[k] = n
        if all(v > 0 for v in need):
            break
    x = np.array([math.log2(1.0 / e) for e, v in zip(eps_list, need, strict=True) if v > 0])
    y = np.array([v for v in need if v > 0], dtype=float)
    if x.size == 0:
        C = lo = hi = float("nan")
    else:
        C = float(x @ y / (x @ x))
        if x.size >= 2:
            resid = y - C * x
            se = math.sqrt(float(resid @ resid) / (x.size - 1) / float(x @ x))
            t = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1))
            lo, hi = C - t * se, C + t * se
        else:
            lo = hi = float("nan")
    slope = icpt = float("nan")
    if np.unique(x).size >= 2:
        slope, icpt = (float(c) for c in np.polyfit(x, y, 1))
    return LuekerFit(
        C,
        lo,
        hi,
        tuple(eps_list),
        tuple(need),
        delta,
        trials,
        distribution,
        confidence,
        slope,
        icpt,
    )
