"""Theorem S: strong tickets in ER sources by random subset sums (docs/theory.md §5.5; proof in
proofs/strong_tickets.md, section 5).

The theorem's construction solves every subset sum over disjoint groups of g candidates (the first
group within its precision serves; at most ``max_groups`` groups), with the error budget's worst-case
amplification A = g. A candidate set with X ~ Bin(k, q) candidates and a fixed target value z fails
with probability at most E[psi+(g, eps'_l; z)^min(floor(X/g), max_groups)] (lemma (a) of
:mod:`lththeory.subset_sum.lemma`, its premise psi+ measured by exact solves at exactly this z, g and
eps'_l), and the union bound over all candidate sets (:func:`candidate_sets`) bounds the failure
probability. A block
needs about g G / q candidates per weight: the width factor is 1/q, i.e. 1/(p_1 p_2) for the first
layer and 1/p above (not rho(p)), and even at p = 1 a block needs k >= 2 g candidates. The bound holds
with confidence at least ``confidence`` over the calibration draws (Bonferroni over the phi+ values it
reads).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .._arrays import to_dense
from .._search import smallest_true
from .._validate import (
    LTHInputError,
    check_positive_int,
    check_positive_real,
    check_probability_open,
)
from ..network import ReLUNetwork, check_network
from ..subset_sum import LEMMA_ALPHA, fixed_target_failure
from .budget import MAX_CANDIDATES, error_budget
from .source import default_k_const, per_layer, source_layer_densities
from .spec import strong_construction

__all__ = [
    "MAX_GROUPS",
    "CandidateSet",
    "TheoremS",
    "bias_values",
    "box_signs",
    "candidate_sets",
    "predicted_ticket_size",
    "set_failure",
    "theorem_s",
    "theorem_s_common_width",
    "theorem_s_failure_bound",
    "weight_values",
]

MAX_GROUPS = 16
"""Most disjoint candidate groups the theorem's construction solves per subset sum."""
GROUP_SIZES = (16, 20, 24)
"""The group sizes g Theorem S tries (the smallest width wins); each solved exactly in one batch."""


def box_signs(box: tuple[float, float]) -> int:
    """How many halves phi(x), phi(-x) of a layer-1 weight the box [a, b] needs (1 or 2)."""
    a, b = box
    return int(max(b, 0) > 0) + int(max(-a, 0) > 0)


@dataclass(frozen=True)
class CandidateSet:
    """One kind of subset-sum candidate set of Theorem S's union bound.

    ``block``: which block size it constrains (``"k"`` index l or ``"k_const"`` index l, 0-based);
    ``q``: the probability that one neuron of that block is a candidate; ``count``: how many such sets
    the construction solves; ``distribution``: ``"uniform"`` or ``"product"``; ``layer``: target layer;
    ``values``: the absolute target values |z| of the sets (a weight or a bias each), every one the
    target of ``count / len(values)`` sets.
    """

    name: str
    block: tuple[str, int]
    layer: int
    q: float
    count: int
    distribution: str
    values: tuple[float, ...] = ()

    @property
    def per_value(self) -> float:
        """How many sets share each target value."""
        return self.count / max(len(self.values), 1)


def weight_values(t: ReLUNetwork, layer: int) -> tuple[float, ...]:
    """|W_l[i, j]| over the nonzero weights of target layer ``layer`` (the sets' target values)."""
    W = to_dense(t.weights[layer - 1])
    return tuple(float(v) for v in np.abs(W[W != 0]))


def bias_values(t: ReLUNetwork, layer: int) -> tuple[float, ...]:
    """|b_l[i]| over the nonzero biases of target layer ``layer``."""
    b = np.asarray(t.biases[layer - 1], dtype=np.float64)
    return tuple(float(v) for v in np.abs(b[b != 0]))


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


def _check_theory_target(t: ReLUNetwork) -> None:
    wmax = max(float(np.abs(to_dense(w)).max()) for w in t.weights)
    bmax = max(float(np.abs(np.asarray(b)).max()) for b in t.biases)
    if wmax > 1.0 or bmax > 1.0:
        raise LTHInputError(
            "target weights and biases must lie in [-1, 1] for Theorem S (subset sums of U[-1, 1] "
            f"draws reach [-1, 1]); got max |W| = {wmax:.3g}, max |b| = {bmax:.3g}: rescale the target"
        )


def set_failure(k: int, q: float, g: int, phi: float, max_groups: int = MAX_GROUPS) -> float:
    """E[phi^min(floor(X/g), max_groups)] for X ~ Bin(k, q): a candidate set's failure bound
    (docs/theory.md §5.5). Summed exactly over the binomial's mass within 40 standard deviations of
    its mean; the mass below counts as failure (phi^. <= 1), the mass above at the window's edge, so
    the value is an upper bound of the exact expectation."""
    if phi >= 1.0 or k < g:
        return 1.0
    mean, sd = k * q, math.sqrt(k * q * (1.0 - q))
    lo, hi = max(0, int(mean - 40 * sd) - 1), min(k, int(mean + 40 * sd) + 1)
    x = np.arange(lo, hi + 1)
    groups = np.minimum(x // g, max_groups)
    vals = np.where(groups > 0, phi ** groups.astype(np.float64), 1.0)
    below = float(stats.binom.cdf(lo - 1, k, q)) if lo > 0 else 0.0
    above = float(stats.binom.sf(hi, k, q)) * float(vals[-1])
    return float(min(1.0, below + float(stats.binom.pmf(x, k, q) @ vals) + above))


@dataclass(frozen=True)
class TheoremS:
    """Theorem S at block size ``k`` (every block, constant blocks included): the construction,
    group size g, at most ``max_groups`` groups, the per-layer precisions eps'_l (the error budget with
    amplification A = g), per candidate set kind the largest psi+ over its target values (``phi``)
    and the mean failure bound of one of its sets (``set_failures``), the union bound ``failure`` and
    the ``confidence`` over the measured premises at which it holds."""

    construction: str
    k: int
    group_size: int
    max_groups: int
    eps: float
    eps_prime: tuple[float, ...]
    sets: tuple[CandidateSet, ...]
    phi: tuple[float, ...]
    set_failures: tuple[float, ...]
    alpha: float
    confidence: float

    @property
    def failure(self) -> float:
        total = sum(s.count * f for s, f in zip(self.sets, self.set_failures, strict=True))
        return float(min(1.0, total))


def _inputs(target, densities, eps, construction, alpha):
    t = check_network(target)
    _check_theory_target(t)
    eps = check_positive_real(eps, "eps")
    spec = strong_construction(construction)
    ps = source_layer_densities(densities, spec.depth(t.depth))
    alpha = check_probability_open(alpha, "alpha")
    return t, eps, spec, ps, alpha


def _sizes(g: int | None) -> tuple[int, ...]:
    if g is None:
        return GROUP_SIZES
    g = check_positive_int(g, "group_size")
    if not 1 <= g <= MAX_CANDIDATES - 1:
        raise LTHInputError(f"group_size must be in [1, {MAX_CANDIDATES - 1}], got {g}")
    return (g,)


def _theorem(t, k, ps, eps, spec, g, max_groups, alpha, n_sizes) -> TheoremS:
    bud = error_budget(t, eps, spec.name, "worst", g)
    sets = tuple(candidate_sets(t, k, ps, spec.name))
    psi, fails = [], []
    for s in sets:  # lemma (a) at every target value: psi+(g, eps'_l; z) from exact draws
        e = bud.eps_prime[s.layer - 1]
        ps_z = [fixed_target_failure(z, g, e, s.distribution, alpha) for z in s.values]
        psi.append(max(ps_z))
        fails.append(sum(set_failure(k, s.q, g, f, max_groups) for f in ps_z) / len(ps_z))
    reads = sum(len(set(s.values)) for s in sets) * n_sizes
    return TheoremS(
        spec.name,
        int(k),
        g,
        max_groups,
        eps,
        bud.eps_prime,
        sets,
        tuple(psi),
        tuple(fails),
        alpha,
        max(0.0, 1.0 - alpha * reads),
    )


def theorem_s(
    target: ReLUNetwork,
    k: int,
    densities: float | Sequence[float],
    eps: float,
    construction: str = "univariate",
    group_size: int | None = None,
    max_groups: int = MAX_GROUPS,
    alpha: float = LEMMA_ALPHA,
) -> TheoremS:
    """Theorem S's bound at common block size k (docs/theory.md §5.5), for the given group size or,
    by default, the calibrated size with the smallest bound."""
    t, eps, spec, ps, alpha = _inputs(target, densities, eps, construction, alpha)
    k = check_positive_int(k, "k")
    max_groups = check_positive_int(max_groups, "max_groups")
    sizes = _sizes(group_size)
    results = [_theorem(t, k, ps, eps, spec, g, max_groups, alpha, len(sizes)) for g in sizes]
    return min(results, key=lambda r: (r.failure, r.group_size))


def theorem_s_failure_bound(
    target: ReLUNetwork,
    k: int,
    densities: float | Sequence[float],
    eps: float,
    construction: str = "univariate",
    group_size: int | None = None,
    max_groups: int = MAX_GROUPS,
    alpha: float = LEMMA_ALPHA,
) -> float:
    """Theorem S's bound on P(the theorem's construction fails) at common block size k."""
    return theorem_s(target, k, densities, eps, construction, group_size, max_groups, alpha).failure


def theorem_s_common_width(
    target: ReLUNetwork,
    densities: float | Sequence[float],
    eps: float,
    delta: float = 0.1,
    construction: str = "univariate",
    group_size: int | None = None,
    max_groups: int = MAX_GROUPS,
    alpha: float = LEMMA_ALPHA,
) -> TheoremS:
    """The smallest common block size k whose bound is at most delta (exponential search then
    bisection on k; for each calibrated group size, the smallest width wins), returned as the
    theorem at that k (``.k``, ``.group_size``, ``.failure``)."""
    t, eps, spec, ps, alpha = _inputs(target, densities, eps, construction, alpha)
    delta = check_probability_open(delta, "delta")
    max_groups = check_positive_int(max_groups, "max_groups")
    sizes = _sizes(group_size)
    best = None
    q_min = min(s.q for s in candidate_sets(t, 1, ps, spec.name))
    for g in sizes:
        # at a width where almost every set has max_groups full groups, a bound still above delta
        # means this group size cannot reach it (psi+ too large at its precision)
        k_feas = math.ceil(4 * g * max_groups / q_min)
        if _theorem(t, k_feas, ps, eps, spec, g, max_groups, alpha, 1).failure > delta:
            continue

        def ok(k: int, g: int = g) -> bool:
            return _theorem(t, k, ps, eps, spec, g, max_groups, alpha, len(sizes)).failure <= delta

        k = smallest_true(ok, g - 1, 2 * g)
        th = _theorem(t, k, ps, eps, spec, g, max_groups, alpha, len(sizes))
        if best is None or th.k < best.k:
            best = th
    if best is None:
        raise LTHInputError(
            f"eps = {eps:g} is below what groups of {sizes} candidates reach for this target with "
            f"at most max_groups = {max_groups} groups (psi+ too close to 1): use a larger eps or "
            "max_groups"
        )
    return best


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
    input edge. A count estimate; Theorem S's worst case is the sum over its candidate sets of the
    candidates it needs (:class:`TheoremS`).
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
