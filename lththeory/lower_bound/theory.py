"""Theorem LB's theory: closed forms and bounds from scipy.stats.binom (docs/theory.md §4.2-§4.3).

Comparable with :func:`lththeory.lower_bound.simulation.success_rate` at the same (N, n, p_1, p_2):
the exact success probability of equal-support targets (the hard instance among them), the upper
bound for any target and its sharper form that uses the input mask, the block construction's lower
bound, a Chernoff form and the thresholds where they cross a level. The necessary width factor is
1/p_2 (= rho(p_2) + c with c in [0, 1]), and 1/(p_2 p_1^s) for equal supports of size s.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import stats

from .._search import smallest_true
from .._validate import LTHInputError, check_density, check_positive_int, check_probability_open

__all__ = [
    "MAX_EXACT_CLASSES",
    "block_lower_bound",
    "block_threshold_k",
    "chernoff_bound",
    "exact_success_probability",
    "exact_success_probability_hard",
    "masked_threshold_width",
    "masked_upper_bound",
    "support_classes",
    "threshold_width",
    "upper_bound",
    "usable_probability",
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


# --------------------------------------------------------------------------- target-aware bounds


def support_classes(target: object) -> list[tuple[frozenset[int], int]]:
    """The distinct supports T = supp(w_i) of a one-hidden-layer target with how many target
    neurons have each (docs/theory.md §4.3)."""
    from .targets import check_one_hidden_target

    S = check_one_hidden_target(target).support
    pats, counts = np.unique(S, axis=0, return_counts=True)
    return [
        (frozenset(np.flatnonzero(p).tolist()), int(c)) for p, c in zip(pats, counts, strict=True)
    ]


#: inclusion-exclusion over at most this many distinct supports (2^16 terms); beyond, a union bound
MAX_EXACT_CLASSES = 16


def usable_probability(target: object, p1: float) -> float:
    """pi = P(the input mask of a hidden neuron contains the support of at least one target
    neuron), exactly by inclusion-exclusion over the distinct supports (P(all of a family) =
    p_1^{|union|}) when there are at most :data:`MAX_EXACT_CLASSES`, else min(1, sum_T p_1^{|T|})."""
    p1 = _q("p1", p1)
    classes = [T for T, _ in support_classes(target)]
    if len(classes) > MAX_EXACT_CLASSES:
        return float(min(1.0, sum(p1 ** len(T) for T in classes)))
    total = 0.0
    for r in range(1, len(classes) + 1):
        for fam in itertools.combinations(classes, r):
            total += (-1) ** (r + 1) * p1 ** len(frozenset().union(*fam))
    return float(min(1.0, max(0.0, total)))


def masked_upper_bound(
    target: object, N: int | np.ndarray, p1: float, p2: float
) -> float | np.ndarray:
    """An upper bound on P(success) that uses the input mask (docs/theory.md §4.3): the smaller of

    * P(Bin(N, p_2 pi) >= n): every target neuron needs its own hidden neuron with an output edge
      and an input mask containing some target's support (probability p_2 pi each, independently);
    * min over supports T of P(Bin(N, p_2 p_1^{|T|}) >= n_T): the n_T targets of support T need n_T
      hidden neurons whose masks contain T.

    Exact (equal to the success probability) when every target has the same support.
    """
    from .targets import check_one_hidden_target

    t = check_one_hidden_target(target)
    p1, p2 = _q("p1", p1), _q("p2", p2)
    NN = _widths(N)
    best = stats.binom.sf(t.n - 1, NN, p2 * usable_probability(t, p1))
    for T, n_T in support_classes(t):
        best = np.minimum(best, stats.binom.sf(n_T - 1, NN, p2 * p1 ** len(T)))
    return float(best) if np.ndim(best) == 0 else best


def exact_success_probability(
    target: object, N: int | np.ndarray, p1: float, p2: float
) -> float | np.ndarray | None:
    """Exactly P(success) when every target neuron has the same support S (|S| = s): any hidden
    neuron with S inside its input mask and an output edge can serve any target neuron, so
    P(success) = P(Bin(N, p_2 p_1^s) >= n) (docs/theory.md §4.2). None for other targets."""
    from .targets import check_one_hidden_target

    t = check_one_hidden_target(target)
    classes = support_classes(t)
    if len(classes) != 1:
        return None
    s = len(classes[0][0])
    res = stats.binom.sf(t.n - 1, _widths(N), _q("p2", p2) * _q("p1", p1) ** s)
    return float(res) if np.ndim(res) == 0 else res


def masked_threshold_width(target: object, p1: float, p2: float, level: float = 0.5) -> int:
    """The smallest N at which :func:`masked_upper_bound` reaches ``level``: no source narrower than
    this contains a ticket for this target with probability ``level`` (a proven necessary width)."""
    from .targets import check_one_hidden_target

    t = check_one_hidden_target(target)
    level = check_probability_open(level, "level")
    return smallest_true(lambda N: masked_upper_bound(t, N, p1, p2) >= level, t.n - 1, t.n)
