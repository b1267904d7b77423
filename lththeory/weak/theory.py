"""Theorem W's theory: the union bound and the smallest widths meeting its conditions
(docs/theory.md §3.4; proof in proofs/weak_tickets.md).

The analytic side of claim 1, comparable with the measurements of :mod:`lththeory.weak.simulation`:
:func:`theorem_w_failure_bound` is the guaranteed failure probability at copy multipliers k, as
:func:`lththeory.weak.simulation.simulate_counts` measures the success rate at the same k.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from .._search import smallest_true
from .._validate import (
    MAX_INT,
    LTHInputError,
    check_density,
    check_positive_int,
    check_probability_open,
)
from ..masks import rho
from ..network import ReLUNetwork, check_network

__all__ = [
    "normalise_densities",
    "normalise_k",
    "fan_in_structure",
    "target_supports",
    "theorem_w_common_width",
    "theorem_w_failure_bound",
    "theorem_w_terms",
    "theorem_w_widths",
]


def target_supports(target: ReLUNetwork) -> list[np.ndarray]:
    """The boolean supports W_l != 0 of a target (which must be a :class:`ReLUNetwork`)."""
    return check_network(target).supports()


def fan_in_structure(target: object) -> list[np.ndarray]:
    """C_l (l = 1..L, int arrays n_l x n_{l-1}): the mask edges a copy of neuron i of target layer l
    needs into copies of neuron j of layer l-1 (docs/theory.md §3.3). Theorem W's count chain and
    bounds depend on the target only through these and ``target.input_dim``: any target with a
    ``fan_in()`` method qualifies (a :class:`ReLUNetwork`: its supports; convolutions: the nonzero
    kernel entries between two channels)."""
    if not callable(getattr(target, "fan_in", None)) or not hasattr(target, "input_dim"):
        raise LTHInputError(
            f"target must be a ReLUNetwork (or provide fan_in() and input_dim), got "
            f"{type(target).__name__}"
        )
    return [np.asarray(c, dtype=np.int64) for c in target.fan_in()]


def normalise_k(k: int | Sequence[int], depth: int) -> tuple[int, ...]:
    """Copy multipliers (k_0, ..., k_{L-1}); a single int means the same k for every layer."""
    if isinstance(k, (int, np.integer)) or np.ndim(k) == 0:
        kk = check_positive_int(k, "k", maximum=MAX_INT)
        return (kk,) * depth
    ks = tuple(check_positive_int(v, f"k[{i}]", maximum=MAX_INT) for i, v in enumerate(k))
    if len(ks) != depth:
        raise LTHInputError(f"k must hold {depth} values (k_0..k_{{L-1}}), got {len(ks)}")
    return ks


def normalise_densities(densities: float | Sequence[float], depth: int) -> tuple[float, ...]:
    """Source densities (p_1, ..., p_{L+1}); a single float means the same density everywhere."""
    if np.ndim(densities) == 0:
        p = check_density(densities, "densities")
        return (p,) * (depth + 1)
    ps = tuple(check_density(v, f"densities[{i}]") for i, v in enumerate(densities))
    if len(ps) != depth + 1:
        raise LTHInputError(
            f"densities must hold L+1 = {depth + 1} values (p_1..p_{{L+1}}), got {len(ps)}"
        )
    return ps


def _active_terms(m: Sequence[int], ps: Sequence[float]) -> list[bool]:
    """Which of the L+1 union-bound terms can be nonzero: the Chernoff term only when p_1 < 1, the
    term of target layer l only when m_l > 0 and p_{l+1} < 1 (docs/theory.md §3.4)."""
    return [ps[0] < 1.0] + [m[l - 1] > 0 and ps[l] < 1.0 for l in range(1, len(m) + 1)]


def theorem_w_terms(
    target: ReLUNetwork, k: int | Sequence[int], densities: float | Sequence[float]
) -> np.ndarray:
    """The L+1 terms of Theorem W's union bound at copy multipliers k (docs/theory.md §3.4).

    term_0 = d exp(-k_0 p_1 / 8) (Chernoff; 0 when p_1 = 1), term_1 = k_1 m_1 (1-p_2)^{k_0 p_1 / 2}
    (with k_0 in the exponent when p_1 = 1: every univariate neuron is valid),
    term_l = k_l m_l (1-p_{l+1})^{k_{l-1}} for l = 2..L with k_L = 1.
    """
    fan = fan_in_structure(target)
    L = len(fan)
    ks = normalise_k(k, L) + (1,)
    ps = normalise_densities(densities, L)
    m = [int(c.sum()) for c in fan]
    d = target.input_dim
    terms = np.zeros(L + 1)
    if ps[0] < 1.0:
        terms[0] = d * np.exp(-ks[0] * ps[0] / 8.0)
    with np.errstate(divide="ignore"):
        log_miss = [np.log1p(-p) if p < 1 else -np.inf for p in ps]
    valid_0 = ks[0] * ps[0] / 2.0 if ps[0] < 1.0 else float(ks[0])
    for l in range(1, L + 1):
        if m[l - 1] > 0:
            below = valid_0 if l == 1 else ks[l - 1]
            terms[l] = ks[l] * m[l - 1] * np.exp(below * log_miss[l])
    return terms


def theorem_w_failure_bound(
    target: ReLUNetwork, k: int | Sequence[int], densities: float | Sequence[float]
) -> float:
    """Theorem W's bound on P(no weak ticket): min(1, sum of the union-bound terms)."""
    return float(min(1.0, theorem_w_terms(target, k, densities).sum()))


def _theory_inputs(
    target: ReLUNetwork, densities: float | Sequence[float], delta: float
) -> tuple[int, int, list[int], tuple[float, ...], float]:
    """(L, d, m_l, p_l, delta) validated: what Theorem W's conditions read from a target."""
    fan = fan_in_structure(target)
    L = len(fan)
    ps = normalise_densities(densities, L)
    delta = check_probability_open(delta, "delta")
    return L, target.input_dim, [int(c.sum()) for c in fan], ps, delta


def theorem_w_widths(
    target: ReLUNetwork, densities: float | Sequence[float], delta: float = 0.1
) -> tuple[int, ...]:
    """Smallest per-layer (k_0, ..., k_{L-1}) meeting Theorem W's conditions: each of the T active
    terms (:func:`theorem_w_terms`) at most delta / T (docs/theory.md §3.4).

    Solved top-down: k_L = 1, k_{l-1} = ceil(ln(T k_l m_l / delta) rho(p_{l+1})), then k_0 the larger
    of the Chernoff and the layer-2 condition (without the factor 2 / p_1 when p_1 = 1).
    """
    L, d, m, ps, delta = _theory_inputs(target, densities, delta)
    active = _active_terms(m, ps)
    T = max(1, sum(active))
    ks = [1] * (L + 1)
    for l in range(L, 1, -1):
        if active[l]:
            need = np.log(T * ks[l] * m[l - 1] / delta) * rho(ps[l])
            ks[l - 1] = max(1, int(np.ceil(need - 1e-12)))
    k0 = 1.0
    if active[0]:
        k0 = max(k0, 8.0 * np.log(T * d / delta) / ps[0])
    if active[1]:
        need = np.log(T * ks[1] * m[0] / delta) * rho(ps[1])
        k0 = max(k0, 2.0 * need / ps[0] if ps[0] < 1.0 else need)
    ks[0] = max(1, int(np.ceil(k0 - 1e-12)))
    return tuple(ks[:L])


def _conditions(
    L: int, d: int, m: Sequence[int], ps: Sequence[float], delta: float
) -> list[tuple[Callable[[int], bool], float]]:
    """Theorem W's active conditions at a common k, one (predicate, B) pair each: the predicate is the
    condition at integer k, and it reads k >= A (B = 0) or k >= B ln(C k) (docs/theory.md §3.4).
    Inactive terms (:func:`_active_terms`) impose nothing; T counts the active ones."""
    active = _active_terms(m, ps)
    n = max(1, sum(active))
    out: list[tuple[Callable[[int], bool], float]] = []
    if active[0]:
        a0 = 8.0 * np.log(n * d / delta) / ps[0]
        out.append((lambda k: float(k) >= a0, 0.0))
    if active[1]:
        b1 = rho(ps[1]) * (2.0 / ps[0] if ps[0] < 1.0 else 1.0)
        if L >= 2:
            out.append((lambda k: float(k) >= np.log(n * float(k) * m[0] / delta) * b1, b1))
        else:
            a1 = np.log(n * 1.0 * m[0] / delta) * b1
            out.append((lambda k: float(k) >= a1, 0.0))
    for l in range(2, L + 1):
        if not active[l]:
            continue
        bl = rho(ps[l])
        if l < L:
            out.append(
                (lambda k, c=m[l - 1], b=bl: float(k) >= np.log(n * float(k) * c / delta) * b, bl)
            )
        else:
            al = np.log(n * 1.0 * m[l - 1] / delta) * bl
            out.append((lambda k, a=al: float(k) >= a, 0.0))
    return out


def _holds_from(pred: Callable[[int], bool], B: float, guess: int) -> int:
    """Smallest integer k >= 1 from which ``pred`` holds at every larger integer, for a condition
    k >= B ln(C k) (or k >= A when B = 0): k - B ln(C k) is convex in k with its minimum at k = B,
    so it fails on one interval and the answer is one past that interval's last integer. O(log k)
    evaluations via :func:`lththeory._search.smallest_true`."""
    km = max(1, math.ceil(B))  # the condition's slack is nondecreasing on the integers >= km
    if pred(km):
        # integers below km lie where the slack decreases: they hold iff km - 1 does
        return km if km > 1 and not pred(km - 1) else 1
    return smallest_true(pred, km, max(guess, km + 1))


def theorem_w_common_width(
    target: ReLUNetwork, densities: float | Sequence[float], delta: float = 0.1
) -> int:
    """Smallest common k (k_0 = ... = k_{L-1} = k) from which all of Theorem W's conditions hold
    for every larger k.

    k appears inside the logarithms, so each condition is k >= A or k >= B ln(C k); the slack
    k - B ln(C k) is convex in k, so each condition fails on one interval of k and holds from one
    past it onwards. The answer is the largest of these per-condition thresholds, found by
    exponential search and bisection in O(log k) evaluations with memory independent of k
    (docs/theory.md §3.4). It is also the smallest k at which all conditions hold whenever no
    k-dependent condition holds at some k below its failing interval; that can happen only at k = 1
    (k >= 2 and k < B with C k > e would need k >= B ln(C k) > B), which the Chernoff condition (W1)
    excludes whenever it is active beside another term (it needs k >= 8 ln 2 > 1). Without (W1)
    (p_1 = 1) the width is the start of the range where every condition holds.
    """
    L, d, m, ps, delta = _theory_inputs(target, densities, delta)
    return _common_width(L, d, tuple(m), ps, delta)


@lru_cache(maxsize=4096)
def _common_width(L: int, d: int, m: tuple[int, ...], ps: tuple[float, ...], delta: float) -> int:
    """:func:`theorem_w_common_width` from what it reads of the target (cached: a sweep asks for
    the same densities at every width)."""
    active = _active_terms(m, ps)
    T = max(1, sum(active))
    ks = [1] * (L + 1)  # the largest per-layer width (theorem_w_widths' recursion) as a first guess
    for l in range(L, 1, -1):
        if active[l]:
            need = np.log(T * ks[l] * m[l - 1] / delta) * rho(ps[l])
            ks[l - 1] = max(1, int(np.ceil(need - 1e-12)))
    guess = max(ks)
    conds = _conditions(L, d, m, ps, delta)
    with np.errstate(divide="ignore"):
        return max((_holds_from(pred, B, guess) for pred, B in conds), default=1)
