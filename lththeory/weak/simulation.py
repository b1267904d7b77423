"""Theorem W's measurements: the exact count chain and the explicit-mask simulator
(docs/theory.md §3.3).

Given the valid counts v_j of the layer below, the number of valid copies of target neuron i is
Binomial(k, prod_{j in N(i)} (1-(1-p)^{v_j})), independently across i: :func:`count_chain` samples
exactly the construction's law at a cost free of k; :func:`simulate_masks` samples explicit ER masks
and runs :func:`lththeory.weak.construction.construct`. Both must agree (tests/test_weak.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validate import check_choice, check_positive_int
from ..network import ReLUNetwork
from ..stats import child_generator, trial_generators
from .construction import construct, sample_source
from .theory import fan_in_structure, normalise_densities, normalise_k

__all__ = ["COUNTS_BLOCK", "count_chain", "simulate_counts", "simulate_masks"]


COUNTS_BLOCK = 256
"""Trials per random block of :func:`simulate_counts` (part of the seeding scheme: block b of a point uses
child b of the point's SeedSequence, so results do not depend on how blocks are spread over jobs)."""


def _count_chain_block(
    rng: np.random.Generator,
    trials: int,
    d: int,
    sup_t: Sequence[np.ndarray],
    ks: Sequence[int],
    log_miss: Sequence[float],
    p1: float,
) -> list[np.ndarray]:
    """Valid counts of every layer for ``trials`` independent trials (arrays of shape (trials, n_l))."""
    v = rng.binomial(ks[0], p1, size=(trials, d))
    counts = [v]
    for l, St in enumerate(sup_t, start=1):
        pos = v > 0
        logt = np.zeros(v.shape)
        if np.isfinite(log_miss[l]):
            logt[pos] = np.log1p(-np.exp(v[pos] * log_miss[l]))
        q = np.exp(logt @ St)
        q[(~pos).astype(np.float64) @ St > 0] = 0.0
        v = rng.binomial(ks[l], np.minimum(q, 1.0))
        counts.append(v)
    return counts


def count_chain(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    ss: np.random.SeedSequence,
    trials: int,
    block: int = COUNTS_BLOCK,
) -> list[np.ndarray]:
    """Valid-copy counts of every layer (arrays (trials, n_l), l = 0..L) from the exact count chain.

    Layer 0 (input blocks): v_j ~ Binomial(k_0, p_1). Layer l: v_i ~ Binomial(k_l, q_i) with
    q_i = prod_j (1-(1-p_{l+1})^{v_j})^{C_l[i, j]}, independently given the layer below, where C_l is
    the target's fan-in structure (:func:`lththeory.weak.theory.fan_in_structure`; the support for
    fully connected layers) (docs/theory.md §3.3).
    Trials are drawn in blocks of ``block``; block b uses generator child b of ``ss``.
    """
    fan = fan_in_structure(target)
    L = len(fan)
    ks = normalise_k(k, L) + (1,)
    ps = normalise_densities(densities, L)
    trials = check_positive_int(trials, "trials")
    log_miss = [float(np.log1p(-p)) if p < 1 else -np.inf for p in ps]
    sup_t = [np.ascontiguousarray(c.T, dtype=np.float64) for c in fan]
    parts: list[list[np.ndarray]] = []
    nblocks = -(-trials // block)
    for b in range(nblocks):
        rng = child_generator(ss, b)
        n = min(block, trials - b * block)
        parts.append(_count_chain_block(rng, n, target.input_dim, sup_t, ks, log_miss, ps[0]))
    return [np.concatenate([p[l] for p in parts]) for l in range(L + 1)]


def simulate_counts(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    ss: np.random.SeedSequence,
    trials: int,
) -> np.ndarray:
    """Success indicator per trial from the exact count chain: success iff every output is valid.

    Same distribution as :func:`simulate_masks`; cost O(sum_l (n_l + m_l)) per trial, free of k.
    """
    return np.all(count_chain(target, k, densities, ss, trials)[-1] > 0, axis=1)


def simulate_masks(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    ss: np.random.SeedSequence,
    trials: int,
    kind: str = "bernoulli",
) -> np.ndarray:
    """Success indicator per trial from explicit ER masks and the construction (no ticket built).

    Trial t samples its masks from generator child t of ``ss``.
    """
    check_choice(kind, "kind", ("bernoulli", "fixed"))
    trials = check_positive_int(trials, "trials")
    out = np.empty(trials, dtype=bool)
    for t, g in enumerate(trial_generators(ss, 0, trials)):
        src = sample_source(target, k, densities, g, kind)
        out[t] = construct(target, src, build_ticket=False).success
    return out
