"""Theorem LB's theory: closed forms and bounds from scipy.stats.binom (docs/theory.md §4.2-§4.3).

Comparable with :func:`lththeory.lower_bound.simulation.success_rate` at the same (N, n, p_1, p_2):
the exact success probability of the hard instance, the upper bound for any target, the block
construction's lower bound, a Chernoff form and the thresholds where they cross a level.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .._search import smallest_true
from .._validate import LTHInputError, check_density, check_positive_int, check_probability_open

__all__ = [
    "block_lower_bound",
    "block_threshold_k",
    "chernoff_bound",
    "exact_success_probability_hard",
    "threshold_width",
    "upper_bound",
]


def _q(name: str, p: float) -> float:
    return check_density(p, name)


def exact_success_probability_hard(
    N: int | np.ndarray, n: int, p1: float, p2: float
) -> float | np.ndarray:
    """Hard instance, exactly: P(success) = P(Binomial(N, p_1 p_2) >= n) (docs/theory.md §4).

    Every hidden neuron with both mask edges can serve every target, so a matching exists iff at
    least n neurons have both edges.
    """
    n = check_positive_int(n, "n (target neurons)")
    q = _q("p1", p1) * _q("p2", p2)
    res = stats.binom.sf(n - 1, _widths(N), q)
    return float(res) if np.ndim(res) == 0 else res


def upper_bound(N: int | np.ndarray, n: int, p2: float) -> float | np.ndarray:
    """Any target: P(success) <= P(Binomial(N, p_2) >= n): every target needs its own output edge."""
    n = check_positive_int(n, "n (target neurons)")
    res = stats.binom.sf(n - 1, _widths(N), _q("p2", p2))
    return float(res) if np.ndim(res) == 0 else res


def block_lower_bound(
    k: int | np.ndarray, n: int, p1: float, p2: float, s: int = 1
) -> float | np.ndarray:
    """Block construction (N = k n; block i reserved for target i): P(success) >= 1 - n (1 - p_2 p_1^s)^k,
    clipped at 0; s = max_i |supp(w_i)| (union bound over the n blocks)."""
    n = check_positive_int(n, "n (target neurons)")
    s = check_positive_int(s, "s (support size)")
    q = _q("p2", p2) * _q("p1", p1) ** s
    k_arr = np.asarray(k)
    if np.any(k_arr < 0) or not np.all(np.equal(np.mod(k_arr, 1), 0)):
        raise LTHInputError(f"k (neurons per block) must be integers >= 0, got {k}")
    k_arr = k_arr.astype(np.float64)
    with np.errstate(divide="ignore"):
        miss = np.exp(k_arr * np.log1p(-q)) if q < 1 else (k_arr == 0).astype(np.float64)
    res = np.maximum(0.0, 1.0 - n * miss)
    return float(res) if np.ndim(res) == 0 else res


def block_threshold_k(n: int, p1: float, p2: float, s: int = 1, level: float = 0.5) -> int:
    """Smallest k with 1 - n (1 - p_2 p_1^s)^k >= level: k = ceil(ln(n/(1-level)) / ln(1/(1 - p_2 p_1^s)))."""
    n = check_positive_int(n, "n (target neurons)")
    s = check_positive_int(s, "s (support size)")
    level = check_probability_open(level, "level")
    q = _q("p2", p2) * _q("p1", p1) ** s
    if q >= 1.0:
        return 1
    k = int(np.ceil(np.log(n / (1.0 - level)) / -np.log1p(-q) - 1e-12))
    while block_lower_bound(k, n, p1, p2, s) < level:  # guard against rounding
        k += 1
    return max(k, 1)


def chernoff_bound(N: int | np.ndarray, n: int, p2: float) -> float | np.ndarray:
    """P(Binomial(N, p_2) >= n) <= exp(-n (-eta - ln(1 - eta))) <= exp(-n eta^2 / 2) where
    N p_2 = (1 - eta) n, 0 < eta <= 1; 1 when N p_2 >= n (proofs/lower_bound.md)."""
    n = check_positive_int(n, "n (target neurons)")
    p2 = _q("p2", p2)
    mu = _widths(N).astype(np.float64) * p2
    eta = 1.0 - mu / n
    with np.errstate(divide="ignore", invalid="ignore"):
        expo = np.where(eta >= 1.0, -np.inf, -n * (-eta - np.log1p(-np.minimum(eta, 1.0 - 1e-300))))
    res = np.where(eta > 0, np.exp(expo), 1.0)
    return float(res) if np.ndim(res) == 0 else res


def _widths(N: int | np.ndarray) -> np.ndarray:
    arr = np.asarray(N)
    if np.any(arr < 0) or not np.all(np.equal(np.mod(arr, 1), 0)):
        raise LTHInputError(f"N (hidden width) must be integers >= 0, got {N}")
    return arr.astype(np.int64)


def threshold_width(n: int, p1: float, p2: float, level: float = 0.5) -> int:
    """Closed-form threshold N*: the smallest N with P(Binomial(N, p_1 p_2) >= n) >= level.

    Exact integer search (exponential then binary) over N with scipy.stats.binom; the probability is
    increasing in N. N* is about n / (p_1 p_2) at level 1/2. With p_1 = 1 this is the threshold of the
    general upper bound, a proven lower bound on any target's N*.
    """
    n = check_positive_int(n, "n (target neurons)")
    level = check_probability_open(level, "level")
    q = _q("p1", p1) * _q("p2", p2)
    if q >= 1.0:
        return n

    def ok(N: int) -> bool:
        return bool(stats.binom.sf(n - 1, N, q) >= level)

    # P = 0 at N = n - 1; a first guess at n / q
    return smallest_true(ok, n - 1, max(n, int(np.ceil(n / q))))
