"""The random-subset-sum lemma, with its premise measured where it is used (docs/theory.md §5.1;
proof in proofs/strong_tickets.md, section 4).

Lemma (our formulation). For g iid candidates of a distribution D let
psi(g, e; z) = P(no subset sum within e of z) for a fixed z, and
phi(g, e) = P(some z in [-1, 1] is farther than e from every subset sum) >= psi(g, e; z). Then

(a) for a FIXED z and G disjoint groups of g candidates, P(no group has a subset sum within e of z)
    = psi(g, e; z)^G <= psi+(g, e; z)^G;
(b) for n = G g candidates, P(some z in [-1, 1] has no subset sum within eps) <= M phi+(g, eps/2)^G
    with M = ceil(2/eps) + 1 (a net of [-1, 1] with spacing eps: every z is within eps/2 of a net
    point, and (a) holds at each).

The premises are measured, never extrapolated: psi+ (:func:`fixed_target_failure`) is a one-sided
Clopper-Pearson bound on exact solves of seeded draws at exactly the z, g and e used (the
strong-ticket construction: every subset sum has a fixed target weight); phi+ is read from stored
exact worst errors at the group sizes where they were measured
(:mod:`lththeory.subset_sum.calibration`; :func:`required_candidates` uses it).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import stats

from .._validate import (
    LTHInputError,
    check_choice,
    check_positive_int,
    check_positive_real,
    check_probability_open,
)
from ..stats import experiment_seedseq, float_key
from .batch import MAX_BATCH_N, solve_batch
from .calibration import CALIBRATION_SEED, calibrated_sizes, group_failure
from .lueker import DISTRIBUTIONS, sample_values

__all__ = [
    "FIXED_TARGET_TRIALS",
    "LEMMA_ALPHA",
    "fixed_target_errors",
    "fixed_target_failure",
    "net_size",
    "required_candidates",
]

LEMMA_ALPHA = 1e-4
"""Default one-sided error level of each measured psi+ or phi+ value (Clopper-Pearson)."""
FIXED_TARGET_TRIALS = 2000
"""Seeded draws behind each psi+ value."""
_DIST_KEY = {"uniform": 0, "product": 1}


@lru_cache(maxsize=4096)
def _fixed_target_errors(z: float, g: int, distribution: str, trials: int, seed: int) -> np.ndarray:
    ss = experiment_seedseq(
        seed, "subset-sum-calibration", g, _DIST_KEY[distribution], 1, float_key(z, 1e12)
    )
    rng = np.random.Generator(np.random.PCG64(ss))
    V = sample_values(g * trials, distribution, rng).reshape(trials, g)
    err = np.sort(solve_batch(V, np.full(trials, z)).errors)
    err.flags.writeable = False
    return err


def fixed_target_errors(
    z: float,
    g: int,
    distribution: str = "uniform",
    trials: int = FIXED_TARGET_TRIALS,
    seed: int = CALIBRATION_SEED,
) -> np.ndarray:
    """Sorted exact errors min_S |z - sum_S a| of ``trials`` seeded draws of g candidates
    (the distribution is symmetric, so only |z| matters and |z| is used)."""
    z = abs(float(z))
    if not (np.isfinite(z) and z <= 1.0):
        raise LTHInputError(f"z must be a target value in [-1, 1], got {z!r}")
    g = check_positive_int(g, "g")
    if g > MAX_BATCH_N:
        raise LTHInputError(f"g must be in [1, {MAX_BATCH_N}] (the exact batched solver), got {g}")
    check_choice(distribution, "distribution", DISTRIBUTIONS)
    trials = check_positive_int(trials, "trials")
    return _fixed_target_errors(z, g, distribution, trials, int(seed))


def fixed_target_failure(
    z: float,
    g: int,
    e: float,
    distribution: str = "uniform",
    alpha: float = LEMMA_ALPHA,
    trials: int = FIXED_TARGET_TRIALS,
) -> float:
    """psi+(g, e; z): a one-sided (1 - alpha) Clopper-Pearson upper bound on the probability that
    no subset of g candidates is within e of z, from :func:`fixed_target_errors`. Lemma (a): G
    disjoint groups all miss with probability at most psi+^G."""
    alpha = check_probability_open(alpha, "alpha")
    err = fixed_target_errors(z, g, distribution, trials)
    F = int(err.size - np.searchsorted(err, float(e), side="right"))
    if F >= err.size:
        return 1.0
    return float(stats.beta.ppf(1.0 - alpha, F + 1, err.size - F))


def net_size(eps: float) -> int:
    """M = ceil(2/eps) + 1: points of [-1, 1] spaced eps (the last clipped to 1)."""
    eps = check_positive_real(eps, "eps")
    return math.ceil(2.0 / eps) + 1


def required_candidates(
    eps: float, delta: float, distribution: str = "uniform", alpha: float = LEMMA_ALPHA
) -> int:
    """The smallest n = g G (g a calibrated group size) for which lemma (b) guarantees
    P(some z in [-1, 1] has no subset sum within eps) <= delta, i.e. M phi+(g, eps/2)^G <= delta.

    Valid with confidence at least 1 - alpha * (number of calibrated sizes) over the calibration
    draws. Raises when no calibrated size reaches eps/2 (phi+ = 1 for every g).
    """
    eps = check_positive_real(eps, "eps")
    if eps >= 1.0:
        return 0  # the empty sum 0 is within eps of every z in [-1, 1]
    delta = check_probability_open(delta, "delta")
    if distribution not in DISTRIBUTIONS:
        raise LTHInputError(
            f"distribution must be one of {', '.join(map(repr, DISTRIBUTIONS))}, got {distribution!r}"
        )
    M = net_size(eps)
    best = None
    for g in calibrated_sizes(distribution):
        phi = group_failure(g, eps / 2.0, distribution, alpha)
        if phi >= 1.0:
            continue
        G = 1 if M * phi <= delta else math.ceil(math.log(M / delta) / math.log(1.0 / phi))
        n = g * G
        best = n if best is None else min(best, n)
    if best is None:
        raise LTHInputError(
            f"eps must be large enough for the calibrated group sizes {calibrated_sizes(distribution)} "
            f"to reach eps/2 = {eps / 2:g} ({distribution}), got eps = {eps:g}"
        )
    return best
