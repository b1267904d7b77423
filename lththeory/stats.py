"""Binomial confidence intervals and seeding, shared by every measurement (THEORY section 6).

Every estimated probability is reported as ``successes / trials`` with a two-sided interval from
:func:`scipy.stats.binomtest` (Clopper-Pearson "exact" by default, Wilson on request).
Seeds: a run's integer seed becomes a :class:`numpy.random.SeedSequence`; every grid point gets a
child keyed by stable integers and every trial a child of that (``SeedSequence.spawn``), so a result
does not depend on how trials are split across processes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._validate import LTHInputError, check_choice, check_positive_int, check_probability_open

__all__ = ["Proportion", "proportion", "point_seedseq", "trial_generators"]


@dataclass(frozen=True)
class Proportion:
    """A measured probability: ``successes`` out of ``trials`` with a confidence interval."""

    successes: int
    trials: int
    ci_low: float
    ci_high: float
    confidence: float
    method: str

    @property
    def rate(self) -> float:
        return self.successes / self.trials

    def __str__(self) -> str:
        pct = round(100 * self.confidence)
        return (
            f"{self.rate:.4f} ({self.successes}/{self.trials}; "
            f"{pct}% CI [{self.ci_low:.4f}, {self.ci_high:.4f}])"
        )


def proportion(
    successes: int, trials: int, confidence: float = 0.95, method: str = "exact"
) -> Proportion:
    """Estimate a probability with a two-sided ``confidence`` interval.

    ``method``: ``"exact"`` (Clopper-Pearson) or ``"wilson"``; computed by
    ``scipy.stats.binomtest(successes, trials).proportion_ci``.
    """
    trials = check_positive_int(trials, "trials")
    successes = check_positive_int(successes, "successes", minimum=0)
    if successes > trials:
        raise LTHInputError(f"successes must be in [0, trials={trials}], got {successes}")
    confidence = check_probability_open(confidence, "confidence")
    check_choice(method, "method", ("exact", "wilson"))
    ci = stats.binomtest(successes, trials).proportion_ci(
        confidence_level=confidence, method=method
    )
    return Proportion(successes, trials, float(ci.low), float(ci.high), confidence, method)


def point_seedseq(seed: int, *key: int) -> np.random.SeedSequence:
    """The SeedSequence of one grid point: run seed plus stable integer key (not grid position)."""
    seed = check_positive_int(seed, "seed", minimum=0)
    return np.random.SeedSequence(seed, spawn_key=tuple(int(k) for k in key))


def trial_generators(
    ss: np.random.SeedSequence, start: int, stop: int
) -> list[np.random.Generator]:
    """Generators of trials ``start..stop-1`` of a point: child ``t`` of ``ss`` for trial ``t``.

    Equivalent to ``ss.spawn(stop)[start:stop]`` without mutating ``ss`` (so chunks are independent
    of which process draws them).
    """
    if not isinstance(ss, np.random.SeedSequence):
        raise LTHInputError(
            f"ss must be a numpy.random.SeedSequence (e.g. point_seedseq(seed)), got {type(ss).__name__}"
        )
    start = check_positive_int(start, "start", minimum=0)
    stop = check_positive_int(stop, "stop", minimum=start)
    return [
        np.random.Generator(
            np.random.PCG64(
                np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (t,))
            )
        )
        for t in range(start, stop)
    ]
