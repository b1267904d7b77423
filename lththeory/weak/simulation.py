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

from .._validate import check_choice, check_memory, check_positive_int, check_seedseq
from ..network import ReLUNetwork
from ..stats import child_generator
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


def _chain_inputs(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    ss: np.random.SeedSequence,
    trials: int,
) -> tuple[list[np.ndarray], tuple[int, ...], tuple[float, ...], list[float], int]:
    """Validated (transposed fan-in, k, densities, log(1-p), trials) of a count-chain call."""
    check_seedseq(ss, "ss")
    fan = fan_in_structure(target)
    L = len(fan)
    ks = normalise_k(k, L) + (1,)
    ps = normalise_densities(densities, L)
    trials = check_positive_int(trials, "trials")
    log_miss = [float(np.log1p(-p)) if p < 1 else -np.inf for p in ps]
    sup_t = [np.ascontiguousarray(c.T, dtype=np.float64) for c in fan]
    return sup_t, ks, ps, log_miss, trials


def _blocks(
    target: ReLUNetwork,
    ss: np.random.SeedSequence,
    trials: int,
    block: int,
    chain: tuple[list[np.ndarray], tuple[int, ...], tuple[float, ...], list[float]],
):
    """The count chain's blocks in order: block b (``block`` trials, the last one shorter) drawn
    from generator child b of ``ss``."""
    sup_t, ks, ps, log_miss = chain
    for b in range(-(-trials // block)):
        n = min(block, trials - b * block)
        yield _count_chain_block(
            child_generator(ss, b), n, target.input_dim, sup_t, ks, log_miss, ps[0]
        )


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
    sup_t, ks, ps, log_miss, trials = _chain_inputs(target, k, densities, ss, trials)
    block = check_positive_int(block, "block")
    per_trial = 8 * (target.input_dim + sum(s.shape[1] for s in sup_t))
    check_memory(2.0 * per_trial * trials, "trials", f"the counts of {trials} trials")
    parts = list(_blocks(target, ss, trials, block, (sup_t, ks, ps, log_miss)))
    return [np.concatenate([p[l] for p in parts]) for l in range(len(sup_t) + 1)]


def _check_max_failures(max_failures: int | None) -> int | None:
    if max_failures is None:
        return None
    return check_positive_int(max_failures, "max_failures", minimum=0)


def simulate_counts(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    ss: np.random.SeedSequence,
    trials: int,
    max_failures: int | None = None,
) -> np.ndarray:
    """Success indicator per trial from the exact count chain: success iff every output is valid.

    Same distribution as :func:`simulate_masks`; cost O(sum_l (n_l + m_l)) per trial, free of k;
    memory one block of counts plus one byte per trial (the same draws as :func:`count_chain`).
    With ``max_failures`` the draws stop after the first block in which the failures exceed it: the
    result is then a prefix (whole blocks) of the full run's indicators, enough to decide
    "failures <= max_failures" exactly (docs/theory.md §3.9).
    """
    sup_t, ks, ps, log_miss, trials = _chain_inputs(target, k, densities, ss, trials)
    max_failures = _check_max_failures(max_failures)
    check_memory(float(trials), "trials", f"the success indicators of {trials} trials")
    out = np.empty(trials, dtype=bool)
    pos = 0
    for counts in _blocks(target, ss, trials, COUNTS_BLOCK, (sup_t, ks, ps, log_miss)):
        n = counts[-1].shape[0]
        out[pos : pos + n] = np.all(counts[-1] > 0, axis=1)
        pos += n
        if max_failures is not None and pos - int(out[:pos].sum()) > max_failures:
            break
    return out[:pos]


def simulate_masks(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    ss: np.random.SeedSequence,
    trials: int,
    kind: str = "bernoulli",
    max_failures: int | None = None,
) -> np.ndarray:
    """Success indicator per trial from explicit masks and the construction (no ticket built):
    ER masks (``kind="bernoulli"``, the theory's model) or exactly round(p * size) kept entries per
    layer (``"fixed"``, what pruning libraries produce; the count chain does not describe them).

    Trial t samples its masks from generator child t of ``ss``. With ``max_failures`` the trials stop
    once the failures exceed it (the result is a prefix of the full run's indicators).
    """
    check_seedseq(ss, "ss")
    check_choice(kind, "kind", ("bernoulli", "fixed"))
    trials = check_positive_int(trials, "trials")
    max_failures = _check_max_failures(max_failures)
    check_memory(float(trials), "trials", f"the success indicators of {trials} trials")
    out = np.empty(trials, dtype=bool)
    failures = 0
    for t in range(trials):
        src = sample_source(target, k, densities, child_generator(ss, t), kind)
        out[t] = construct(target, src, build_ticket=False).success
        failures += not out[t]
        if max_failures is not None and failures > max_failures:
            return out[: t + 1]
    return out
