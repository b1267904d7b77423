"""Theorem W' (count thresholds): a sharp union bound for Theorem W's construction
(docs/theory.md §3.6; proof in proofs/weak_tickets.md, section 8).

Levels: 0 holds the d univariate blocks (valid counts V_j ~ Bin(k_0, p_1)); level l = 1..L-1 the blocks
of target layer l (source layer l+1, density p_{l+1}, k_l copies); level L the outputs (k_L = 1).
For thresholds t_0, ..., t_{L-1}, off the events "some block of a lower level has fewer than t valid
copies", each copy of target neuron i of level l is valid independently with probability at least

    q_{l,i} = (1 - (1 - p_{l+1})^{t_{l-1}})^{f_{l,i}},    f_{l,i} = sum_j C_l[i, j]

(C_l the fan-in structure: the support, or kernel-entry counts), so by stochastic domination

    P(fail) <= sum_j P(Bin(k_0, p_1) < t_0) + sum_{l=1}^{L-1} sum_i P(Bin(k_l, q_{l,i}) < t_l)
               + sum_outputs (1 - q_{L,o}).

Every choice of thresholds gives a valid bound; :func:`sharp_thresholds` optimises them. Beside it,
:func:`every_copy_valid_probability` is the exact probability of the event Theorem W controls (every
copy of every block valid), which shows why that event is far stronger than success.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from .._arrays import one_blas_thread
from .._search import smallest_true
from .._validate import LTHInputError, WidthLimitError, check_probability_open
from .theory import fan_in_structure, normalise_densities, normalise_k

__all__ = [
    "SharpBound",
    "every_copy_valid_probability",
    "sharp_common_width",
    "sharp_failure_bound",
    "sharp_terms",
    "sharp_thresholds",
]

#: widths beyond this are refused (the binomial tails are still exact, but no source is that wide)
MAX_WIDTH = 10**15


@dataclass(frozen=True)
class _Structure:
    """What Theorem W' reads from a target: the input count d and the fan-in matrices C_l
    (float, n_l x n_{l-1}) of levels 1..L."""

    d: int
    C: tuple[np.ndarray, ...]

    @property
    def depth(self) -> int:
        return len(self.C)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Blocks per level 0..L-1 (inputs, then the target's hidden layers)."""
        return (self.d,) + tuple(c.shape[0] for c in self.C[:-1])


def _structure(target: object) -> _Structure:
    fan = fan_in_structure(target)
    return _Structure(int(target.input_dim), tuple(c.astype(np.float64) for c in fan))


@dataclass(frozen=True)
class SharpBound:
    """Theorem W''s bound at copy multipliers ``k``: the optimised ``thresholds`` (one array per level
    0..L-1, one threshold per block), the L+1 ``terms`` (level 0 .. outputs) and their sum
    ``failure`` (capped at 1)."""

    k: tuple[int, ...]
    densities: tuple[float, ...]
    thresholds: tuple[np.ndarray, ...]
    terms: tuple[float, ...]

    @property
    def failure(self) -> float:
        return float(min(1.0, sum(self.terms)))


def _log_hit(t: np.ndarray | float, p: float) -> np.ndarray:
    """ln(1 - (1-p)^t): a copy reaches at least one of t valid copies through an ER row."""
    t = np.asarray(t, dtype=np.float64)
    if p >= 1.0:
        return np.zeros_like(t)
    return np.log(-np.expm1(t * np.log1p(-p)))


def _cdf(m: np.ndarray | float, n: float, q: np.ndarray | float) -> np.ndarray:
    """P(Bin(n, q) <= m), elementwise, through the regularised incomplete beta function (exact and
    fast for any n)."""
    m = np.asarray(m, dtype=np.float64)
    with np.errstate(all="ignore"):
        v = special.betainc(np.maximum(n - m, 1e-300), np.maximum(m, 0.0) + 1.0, 1.0 - q)
    return np.where(m < 0, 0.0, np.where(m >= n, 1.0, v))


def _q(st: _Structure, ps, l: int, t_below: np.ndarray) -> np.ndarray:
    """q_{l,i} = prod_j (1 - (1-p_{l+1})^{t_{l-1,j}})^{C_l[i,j]}, the validity floor of a copy; for
    a batch of thresholds (rows of ``t_below``)."""
    return np.exp(_log_hit(t_below, ps[l]) @ st.C[l - 1].T)


def _term(st: _Structure, ks, ps, ts: Sequence[np.ndarray], l: int) -> np.ndarray:
    """Term l of the bound, per row of a batch of thresholds (arrays (batch, n_level)): level 0 (the
    input blocks), a hidden level, or the outputs (l = L)."""
    if l == 0:
        return _cdf(ts[0] - 1, ks[0], ps[0]).sum(axis=-1)
    if l < st.depth:
        return _cdf(ts[l] - 1, ks[l], _q(st, ps, l, ts[l - 1])).sum(axis=-1)
    return (-np.expm1(_log_hit(ts[l - 1], ps[l]) @ st.C[l - 1].T)).sum(axis=-1)


def _terms(st: _Structure, ks, ps, ts: Sequence[np.ndarray]) -> list[float]:
    """The L+1 terms of the bound for one set of thresholds (ks has k_0..k_{L-1}, k_L = 1)."""
    batch = [np.atleast_2d(t) for t in ts]
    return [float(_term(st, ks, ps, batch, l)[0]) for l in range(st.depth + 1)]


def _largest_within(k: int, q: np.ndarray, budget: np.ndarray) -> np.ndarray:
    """Per entry, the largest t in [1, k] with P(Bin(k, q) < t) <= budget (1 where even t = 1
    exceeds it): vectorised bisection (``budget`` broadcasts against ``q``)."""
    budget = np.broadcast_to(budget, q.shape)
    lo = np.ones(q.shape)
    hi = np.full(q.shape, float(k))
    ok_hi = _cdf(hi - 1, k, q) <= budget
    lo = np.where(ok_hi, hi, lo)
    todo = ~ok_hi & (_cdf(lo - 1, k, q) <= budget)  # term(lo) <= budget < term(hi)
    while np.any(todo & (hi - lo > 1)):
        mid = np.floor((lo + hi) / 2)
        good = _cdf(mid - 1, k, q) <= budget
        lo = np.where(todo & good, mid, lo)
        hi = np.where(todo & ~good, mid, hi)
        todo &= hi - lo > 1
    return lo


def _greedy(st: _Structure, ks, ps, budgets: np.ndarray) -> list[np.ndarray]:
    """Thresholds bottom-up, one row per budget: each block's threshold the largest whose own tail
    stays within the budget."""
    b = np.asarray(budgets, dtype=np.float64)[:, None]
    ts = [_largest_within(ks[0], np.full((b.shape[0], st.d), ps[0]), b)]
    for l in range(1, st.depth):
        ts.append(_largest_within(ks[l], _q(st, ps, l, ts[-1]), b))
    return ts


def _polish(st: _Structure, ks, ps, ts: list[np.ndarray], sweeps: int = 3) -> list[np.ndarray]:
    """Coordinate descent on one scale factor per level (each level's thresholds move only terms l
    and l+1), coarse then fine geometric grids evaluated as one batch, until nothing moves."""
    ts = [np.atleast_2d(t).copy() for t in ts]
    grids = (np.geomspace(0.5, 2.0, 13), np.geomspace(0.92, 1.08, 9))
    for _ in range(sweeps):
        moved = False
        for l in range(st.depth):
            for grid in grids:
                cands = np.clip(np.floor(ts[l] * np.r_[1.0, grid][:, None]), 1, ks[l])
                trial = [np.repeat(t, len(cands), axis=0) for t in ts]
                trial[l] = cands
                vals = _term(st, ks, ps, trial, l) + _term(st, ks, ps, trial, l + 1)
                b = int(np.argmin(vals))
                if vals[b] < vals[0]:
                    ts[l], moved = cands[b : b + 1], True
        if not moved:
            break
    return ts


def _optimise(st: _Structure, ks: Sequence[int], ps: Sequence[float]) -> SharpBound:
    """Thresholds minimising the bound (any thresholds give a valid bound; this only makes it
    small). Candidates: the greedy thresholds (:func:`_greedy`) for per-block budgets B on a grid of
    log B, and half the expected valid count at every level; the three best are polished by
    coordinate descent and the smallest total wins."""
    starts = _greedy(st, ks, ps, 10.0 ** np.linspace(-40, 0, 21))
    half = [np.full((1, st.d), float(np.clip(np.floor(0.5 * ks[0] * ps[0]), 1, ks[0])))]
    for l in range(1, st.depth):
        half.append(np.clip(np.floor(0.5 * ks[l] * _q(st, ps, l, half[-1])), 1, ks[l]))
    starts = [np.vstack([a, b]) for a, b in zip(starts, half, strict=True)]
    totals = sum(_term(st, ks, ps, starts, l) for l in range(st.depth + 1))
    order = np.argsort(totals)
    if totals[order[0]] >= 2.0:  # far below the theorem's width: the bound stays 1
        ts = [t[order[0]] for t in starts]
    else:
        polished = [_polish(st, ks, ps, [t[i] for t in starts]) for i in order[:3]]
        ts = [t[0] for t in min(polished, key=lambda t: sum(_terms(st, ks, ps, t)))]
    return SharpBound(
        tuple(ks), tuple(ps), tuple(t.astype(np.int64) for t in ts), tuple(_terms(st, ks, ps, ts))
    )


def _check(target, k, densities) -> tuple[_Structure, tuple[int, ...], tuple[float, ...]]:
    st = _structure(target)
    ks = normalise_k(k, st.depth)
    if max(ks) > MAX_WIDTH:
        raise LTHInputError(f"k must be an integer in [1, {MAX_WIDTH:.0e}], got {max(ks)}")
    ps = normalise_densities(densities, st.depth)
    return st, ks, ps


@one_blas_thread
def sharp_terms(
    target: object,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    thresholds: Sequence[int | Sequence[int]],
) -> tuple[float, ...]:
    """The L+1 terms of Theorem W''s bound at given thresholds: one entry per level 0..L-1, each a
    single threshold for every block of the level or one per block, in [1, k_l]."""
    st, ks, ps = _check(target, k, densities)
    if len(thresholds) != st.depth:
        raise LTHInputError(f"thresholds must hold L = {st.depth} levels, got {len(thresholds)}")
    ts = []
    for l, (t, kk, n) in enumerate(zip(thresholds, ks, st.sizes, strict=True)):
        arr = np.broadcast_to(np.asarray(t, dtype=np.float64), (n,)).copy()
        if not (np.all(arr == np.floor(arr)) and np.all((arr >= 1) & (arr <= kk))):
            raise LTHInputError(f"thresholds[{l}] must be integers in [1, k_{l} = {kk}], got {t}")
        ts.append(arr)
    return tuple(_terms(st, ks, ps, ts))


@one_blas_thread
def sharp_thresholds(
    target: object, k: int | Sequence[int], densities: float | Sequence[float]
) -> SharpBound:
    """Theorem W''s bound at copy multipliers k with optimised thresholds (docs/theory.md §3.6)."""
    st, ks, ps = _check(target, k, densities)
    return _optimise(st, ks, ps)


def sharp_failure_bound(
    target: object, k: int | Sequence[int], densities: float | Sequence[float]
) -> float:
    """Theorem W''s bound on P(the construction fails) at k, thresholds optimised."""
    return sharp_thresholds(target, k, densities).failure


@one_blas_thread
def sharp_common_width(
    target: object,
    densities: float | Sequence[float] | Callable[[int], Sequence[float]],
    delta: float = 0.1,
) -> int:
    """Smallest common k (k_0 = ... = k_{L-1}) at which Theorem W''s optimised bound is <= delta.

    Exponential search then bisection on k (O(log k) bound evaluations, memory free of k). The bound
    at the returned k is <= delta by construction; smallest means the smallest the search finds (the
    optimised bound falls with k). ``densities`` may be a function of k returning the source's
    per-layer densities at that k (a density scheme on the source's shapes, docs/theory.md §3.9):
    the bound at k then uses the densities at k. Raises :class:`WidthLimitError` past ``MAX_WIDTH``.
    """
    st = _structure(target)
    if callable(densities):
        dens_at = lambda k: normalise_densities(densities(k), st.depth)  # noqa: E731
    else:
        ps = normalise_densities(densities, st.depth)
        dens_at = lambda _k: ps  # noqa: E731
    delta = check_probability_open(delta, "delta")

    def ok(k: int) -> bool:
        if k > MAX_WIDTH:
            raise WidthLimitError(
                f"Theorem W' needs a width beyond {MAX_WIDTH:.0e} at densities "
                f"{dens_at(k)}: too sparse"
            )
        return _optimise(st, (k,) * st.depth, dens_at(k)).failure <= delta

    return smallest_true(ok, 0, 1)


@one_blas_thread
def every_copy_valid_probability(
    target: object, k: int | Sequence[int], densities: float | Sequence[float]
) -> float:
    """Exactly P(every copy of every target neuron is valid), the event G2 that Theorem W's union
    bound controls (docs/theory.md §3.6). With c_j = sum_i C_1[i, j] (copies of layer 1 reading input
    j) and f_{l,i} = sum_j C_l[i, j]:

        P = prod_j E[(1 - (1-p_2)^{V_j})^{c_j k_1}]  x  prod_{l >= 2} prod_i (1 - (1-p_{l+1})^{k_{l-1}})^{f_{l,i} k_l}

    with V_j ~ Bin(k_0, p_1) (the expectation summed over the binomial's support where its mass is
    not negligible). Once every copy of level l-1 is valid, level l sees exactly k_{l-1} valid copies.
    """
    st, ks, ps = _check(target, k, densities)
    kk = tuple(ks) + (1,)
    C1 = fan_in_structure(target)[0]
    c = C1.sum(axis=0).astype(np.float64)
    mean, sd = kk[0] * ps[0], np.sqrt(kk[0] * ps[0] * (1 - ps[0]))
    lo, hi = max(0, int(mean - 40 * sd - 2)), min(kk[0], int(mean + 40 * sd + 2))
    v = np.arange(lo, hi + 1, dtype=np.float64)
    logpmf = stats.binom.logpmf(v, kk[0], ps[0])
    with np.errstate(divide="ignore"):
        loghit = (
            np.zeros_like(v) if ps[1] >= 1 else np.log(-np.expm1(v * np.log1p(-ps[1])))
        )  # ln(1 - (1-p_2)^v); -inf at v = 0
    log_p = 0.0
    for cj in np.unique(c):
        if cj == 0:
            continue
        with np.errstate(invalid="ignore"):
            inner = np.where(np.isfinite(loghit), cj * kk[1] * loghit, -np.inf)
        log_e = float(np.logaddexp.reduce(logpmf + inner))
        log_p += log_e * float((c == cj).sum())
    for l in range(2, st.depth + 1):
        f = st.C[l - 1].sum(axis=1)
        log_p += float(f.sum() * kk[l] * _log_hit(kk[l - 1], ps[l]))
    return float(np.exp(log_p))
