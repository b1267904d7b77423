"""Theorem S: strong tickets in ER sources by random subset sums (docs/theory.md §5.5; proof in
proofs/strong_tickets.md, section 5).

The union bound over all subset-sum candidate sets of a construction (:func:`candidate_sets`) with
Lueker's premise n >= C log2(1/min(eps', delta')) (C measured by the subset-sum sweep, so the widths
are calibrated, not proven); the analytic side of :func:`lththeory.strong.construct`'s measured success.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .._arrays import to_dense
from .._search import smallest_true
from .._validate import LTHInputError, check_positive_real, check_probability_open
from ..network import ReLUNetwork, check_network
from .budget import MAX_CANDIDATES, error_budget
from .source import default_k_const, per_layer, source_layer_densities
from .spec import strong_construction

__all__ = [
    "LUEKER_C",
    "CandidateSet",
    "StrongWidths",
    "box_signs",
    "candidate_sets",
    "conditions_hold",
    "lueker_candidates",
    "predicted_ticket_size",
    "reachable_eps",
    "theorem_s_common_width",
    "theorem_s_failure_bound",
    "theorem_s_widths",
]

LUEKER_C: dict[str, float] = {"uniform": 2.03, "product": 2.61}
"""Lueker constants C in n = C log2(1/eps), measured with
``fit_lueker_constant((0.1, 0.03, 0.01, 0.003, 0.001), distribution, trials=200, delta=0.1, seed=0)``
(95% intervals: uniform [1.54, 2.53], product [1.57, 3.66]); rerun with
``python -m lththeory.sweep n eps --experiment subset-sum``."""


def box_signs(box: tuple[float, float]) -> int:
    """How many halves phi(x), phi(-x) of a layer-1 weight the box [a, b] needs (1 or 2)."""
    a, b = box
    return int(max(b, 0) > 0) + int(max(-a, 0) > 0)


def lueker_candidates(eps: float, delta: float, C: float) -> int:
    """n = ceil(C log2(1/min(eps, delta))): candidates after which (Lueker's assumption, constant C)
    a random subset sum meets every z in [-1, 1] within eps with probability >= 1 - delta."""
    eps = check_positive_real(eps, "eps")
    delta = check_probability_open(delta, "delta")
    C = check_positive_real(C, "C")
    return max(1, math.ceil(C * math.log2(1.0 / min(eps, delta, 0.5)) - 1e-9))


def reachable_eps(n: int | float, C: float) -> float:
    """Inverse of :func:`lueker_candidates` in eps: eps = 2^(-n/C) (the precision n candidates reach)."""
    n = check_positive_real(n, "n")
    C = check_positive_real(C, "C")
    return float(2.0 ** (-n / C))


@dataclass(frozen=True)
class CandidateSet:
    """One kind of subset-sum candidate set of Theorem S's union bound.

    ``block``: which block size it constrains (``"k"`` index l or ``"k_const"`` index l, 0-based);
    ``q``: the probability that one neuron of that block is a candidate; ``count``: how many such sets
    the construction solves; ``distribution``: ``"uniform"`` or ``"product"``; ``layer``: target layer.
    """

    name: str
    block: tuple[str, int]
    layer: int
    q: float
    count: int
    distribution: str


def candidate_sets(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    construction: str = "univariate",
) -> list[CandidateSet]:
    """The candidate sets of Theorem S at block sizes ``k`` (docs/theory.md §5.5).

    Depth L+1 (K_l = k_l copies of target layer l, K_L = 1): per input j and copy v of a layer-1 target
    neuron, one set per sign with q = p_1 p_2 / 2 (mask x_j -> u, sign of theta_u, mask u -> v);
    per copy v of a layer-(l+1) target neuron and j in N(i), one set over the copies of j with
    q = p_{l+2} (given the copies are valid); per bias one set over the constant block with
    q = p_{l+1} / 2 (a positive bias and a surviving edge). Pensia: per weight of layer l one set over
    the intermediate block with q = p_{2l-1} p_{2l} / 2, per bias q = p_{2l} / 2.
    """
    t = check_network(target)
    spec = strong_construction(construction)
    L = t.depth
    ks = per_layer(k, L, "k")
    ps = source_layer_densities(densities, spec.depth(L))
    m = [int(s.sum()) for s in t.supports()]
    nb = [int(np.count_nonzero(np.asarray(bb))) for bb in t.biases]
    out = spec.candidate_sets(t, ks, ps, box_signs(t.box), m, nb)
    return [s for s in out if s.count > 0]


@dataclass(frozen=True)
class StrongWidths:
    """Theorem S's block sizes: ``k`` (one per target layer), ``k_const`` (constant blocks), with the
    candidates ``n_required`` per set kind, the per-set failure budget and the precisions used."""

    k: tuple[int, ...]
    k_const: tuple[int, ...]
    n_required: dict[str, int]
    delta_set: float
    eps_prime: tuple[float, ...]
    sets: tuple[CandidateSet, ...]


def _set_width(q: float, n_req: int, delta_set: float) -> int:
    """Smallest k with k >= (2/q) max(n_req, 4 ln(2/delta_set)) (Chernoff, proofs section 5)."""
    return max(1, math.ceil(2.0 / q * max(n_req, 4.0 * math.log(2.0 / delta_set)) - 1e-9))


def _lueker_c(C: float | dict | None, dist: str) -> float:
    if C is None:
        return LUEKER_C[dist]
    if isinstance(C, dict):
        if dist not in C:
            raise LTHInputError(
                f"C must give a constant for {dist!r} (keys 'uniform', 'product'), got {sorted(C)}"
            )
        return check_positive_real(C[dist], f"C[{dist!r}]")
    return check_positive_real(C, "C")


def _check_theory_target(t: ReLUNetwork) -> None:
    wmax = max(float(np.abs(to_dense(w)).max()) for w in t.weights)
    bmax = max(float(np.abs(np.asarray(b)).max()) for b in t.biases)
    if wmax > 1.0 or bmax > 1.0:
        raise LTHInputError(
            "target weights and biases must lie in [-1, 1] for Theorem S (subset sums of U[-1, 1] "
            f"draws reach [-1, 1]); got max |W| = {wmax:.3g}, max |b| = {bmax:.3g}: rescale the target"
        )


def theorem_s_widths(
    target: ReLUNetwork,
    densities: float | Sequence[float],
    eps: float,
    delta: float = 0.1,
    C: float | dict | None = None,
    construction: str = "univariate",
) -> StrongWidths:
    """Smallest block sizes meeting Theorem S's conditions (docs/theory.md §5.5, proofs/strong_tickets.md section 5).

    Every candidate set (:func:`candidate_sets`) gets the failure budget delta_set = delta / S (S the
    total number of sets); it needs n = C log2(1/min(eps'_l, delta_set / 2)) candidates (Lueker,
    failure delta_set / 2) and its block k >= (2/q) max(n, 4 ln(2/delta_set)) (Chernoff: fewer than n
    candidates with probability <= delta_set / 2). eps'_l is the rigorous rule of :func:`error_budget`
    (``amplification="worst"`` with n candidates). S and n grow with k only through logarithms: the
    smallest consistent sizes are a fixed point, found by iterating from k = 1.
    """
    t = check_network(target)
    _check_theory_target(t)
    eps = check_positive_real(eps, "eps")
    delta = check_probability_open(delta, "delta")
    spec = strong_construction(construction)
    construction = spec.name
    L = t.depth
    ps = source_layer_densities(densities, spec.depth(L))
    k = [1] * L
    kc = [1] * L
    n_used = MAX_CANDIDATES
    for _ in range(200):
        sets = candidate_sets(t, k, ps, construction)
        S = sum(s.count for s in sets)
        dset = delta / S
        bud = error_budget(t, eps, construction, "worst", n_used)
        need: dict[str, int] = {}
        new_k, new_kc = [1] * L, [0] * L
        for s in sets:
            n_req = lueker_candidates(
                bud.eps_prime[s.layer - 1], dset / 2, _lueker_c(C, s.distribution)
            )
            need[s.name] = n_req
            w = _set_width(s.q, n_req, dset)
            kind, idx = s.block
            if kind == "k":
                new_k[idx] = max(new_k[idx], w)
            else:
                new_kc[idx] = max(new_kc[idx], w)
        n_new = max(need.values())
        if new_k == k and new_kc == kc and n_new == n_used:
            break
        k, kc, n_used = new_k, new_kc, n_new
    nb = [np.count_nonzero(np.asarray(b)) for b in t.biases]
    kc_out = tuple(kc[i] if nb[i] else 0 for i in range(L))
    return StrongWidths(tuple(k), kc_out, need, dset, bud.eps_prime, tuple(sets))


def conditions_hold(
    t: ReLUNetwork, kk: int, ps, eps: float, delta: float, C, construction: str
) -> bool:
    """Do all of Theorem S's conditions hold with every block of size ``kk``?"""
    sets = candidate_sets(t, kk, ps, construction)
    dset = delta / sum(s.count for s in sets)
    n_all, ns = MAX_CANDIDATES, []
    for _ in range(50):  # eps' depends on n through the worst-case amplification: fixed point
        bud = error_budget(t, eps, construction, "worst", n_all)
        ns = [
            lueker_candidates(bud.eps_prime[s.layer - 1], dset / 2, _lueker_c(C, s.distribution))
            for s in sets
        ]
        if max(ns) == n_all:
            break
        n_all = max(ns)
    return all(kk >= _set_width(s.q, n, dset) for s, n in zip(sets, ns, strict=True))


def theorem_s_common_width(
    target: ReLUNetwork,
    densities: float | Sequence[float],
    eps: float,
    delta: float = 0.1,
    C: float | dict | None = None,
    construction: str = "univariate",
) -> int:
    """Smallest common block size k (every k_l and every constant block equal to k) meeting all of
    Theorem S's conditions (:func:`theorem_s_widths`), by doubling and bisection (the conditions are
    k >= A ln(B k)-type and hold from their smallest solution upwards)."""
    t = check_network(target)
    _check_theory_target(t)
    eps = check_positive_real(eps, "eps")
    delta = check_probability_open(delta, "delta")
    spec = strong_construction(construction)
    construction = spec.name
    ps = source_layer_densities(densities, spec.depth(t.depth))
    hi = max(max(theorem_s_widths(t, ps, eps, delta, C, construction).k), 1)
    while not conditions_hold(t, hi, ps, eps, delta, C, construction):
        hi *= 2
    # the conditions fail at k = 0 (impossible) and hold at hi: bisection in between
    return smallest_true(lambda kk: conditions_hold(t, kk, ps, eps, delta, C, construction), 0, hi)


def _failure_total(t, ks, ps, eps, C, construction: str, A: int) -> float:
    """Union bound when every set uses at most A candidates (so the amplification is <= A)."""
    bud = error_budget(t, eps, construction, "worst", A)
    total = 0.0
    for s in candidate_sets(t, ks, ps, construction):
        kk = ks[s.block[1]]
        Cd = _lueker_c(C, s.distribution)
        n0 = max(1, math.ceil(Cd * math.log2(1.0 / min(bud.eps_prime[s.layer - 1], 0.5)) - 1e-9))
        if n0 > min(kk, A):
            return 1.0
        n = np.arange(n0, min(kk, A) + 1)
        per = stats.binom.cdf(n - 1, kk, s.q) + 2.0 ** (-n / Cd)
        total += s.count * float(per.min())
        if total >= 1.0:
            return 1.0
    return total


def theorem_s_failure_bound(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    eps: float,
    C: float | dict | None = None,
    construction: str = "univariate",
) -> float:
    """Theorem S's bound on P(no strong ticket) at block sizes ``k`` (constant blocks of size k too).

    For a cap A on the candidates a set may use (so eps'_l is the rigorous rule with amplification A),
    union bound over the candidate sets: a set with X ~ Binomial(k, q) candidates fails with
    probability <= min over C log2(1/eps'_l) <= n <= A of [P(X < n) + 2^(-n/C)] (Lueker's assumption
    at failure 2^(-n/C); exact binomial tails from scipy). Every A gives a valid bound; the smallest
    over A = 1..max(k) + 1 (at most 200 values tried) is returned.
    """
    t = check_network(target)
    _check_theory_target(t)
    eps = check_positive_real(eps, "eps")
    spec = strong_construction(construction)
    construction = spec.name
    L = t.depth
    ks = per_layer(k, L, "k")
    ps = source_layer_densities(densities, spec.depth(L))
    best = 1.0
    for A in range(1, min(max(ks) + 1, 200) + 1):
        best = min(best, _failure_total(t, ks, ps, eps, C, construction, A))
    return float(best)


def predicted_ticket_size(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    eps: float,
    construction: str = "univariate",
    candidates: int = MAX_CANDIDATES,
    k_const: int | Sequence[int] | None = None,
) -> float:
    """Predicted number of weights of the constructed ticket at block sizes ``k``.

    Each subset sum is first tried with n_l = min(ceil(log2(1/eps'_l)) + 1, ``candidates``, expected
    candidates k q) candidates (eps'_l: the rule with the typical amplification) and an optimal random
    subset sum keeps about half of them. Walking down from the outputs, the kept copies of neuron j are
    min(K, m_j n_l / 2) for m_j kept readers of j (the union of their selections, at most the block);
    every kept copy adds its subset sums' edges, every kept univariate (or intermediate) neuron one
    input edge. A count estimate; Theorem S's worst case is sum over sets of n (:func:`theorem_s_widths`).
    """
    t = check_network(target)
    eps = check_positive_real(eps, "eps")
    spec = strong_construction(construction)
    L = t.depth
    ks = per_layer(k, L, "k")
    kc = default_k_const(t, ks) if k_const is None else per_layer(k_const, L, "k_const", minimum=0)
    ps = source_layer_densities(densities, spec.depth(L))
    bud = error_budget(t, eps, spec.name, "typical", candidates)
    return float(spec.predicted_size(t, ks, kc, ps, bud, box_signs(t.box), candidates))
