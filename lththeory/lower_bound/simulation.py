"""Theorem LB's measurement: Monte-Carlo over ER sources of the exact decision, with one
generator per trial (docs/theory.md §4.5)."""

from __future__ import annotations

import numpy as np

from .._validate import check_density, check_memory, check_positive_int, check_seedseq
from ..network import ReLUNetwork
from ..stats import Proportion, child_generator, proportion
from .decision import has_full_matching, sample_source_masks
from .targets import OneHiddenTarget, check_one_hidden_target

__all__ = ["simulate_success", "success_rate"]


def simulate_success(
    target: ReLUNetwork | OneHiddenTarget,
    N: int,
    p1: float,
    p2: float,
    ss: np.random.SeedSequence,
    trials: int,
    start: int = 0,
) -> np.ndarray:
    """Success indicator per trial: sample ER masks (generator child t of ``ss`` for trial t) and
    decide exactly by matching (no ticket built)."""
    check_seedseq(ss, "ss")
    t = check_one_hidden_target(target)
    N = check_positive_int(N, "N (hidden width)")
    p1 = check_density(p1, "p1")
    p2 = check_density(p2, "p2")
    trials = check_positive_int(trials, "trials")
    start = check_positive_int(start, "start", minimum=0)
    check_memory(float(trials), "trials", f"the success indicators of {trials} trials")
    out = np.empty(trials, dtype=bool)
    for k in range(trials):
        g = child_generator(ss, start + k)
        out[k] = has_full_matching(t, *sample_source_masks(N, t.d, p1, p2, g))
    return out


def success_rate(
    target: ReLUNetwork | OneHiddenTarget,
    N: int,
    p1: float,
    p2: float,
    ss: np.random.SeedSequence,
    trials: int,
    confidence: float = 0.95,
) -> Proportion:
    """Monte-Carlo estimate of P(the source contains a weak ticket), Clopper-Pearson interval."""
    ok = simulate_success(target, N, p1, p2, ss, trials)
    return proportion(int(ok.sum()), int(ok.size), confidence=confidence)
