"""The measured frontier of Theorem W's construction: the smallest common copy multiplier k at which the
count chain's success rate reaches a level, found by bisection on k (docs/theory.md §3.8).

The rate at each k is an independent measurement: ``trials`` count-chain trials drawn from child k of
the point's SeedSequence (so a k's rate does not depend on the order in which the search visits it, and
a plain scan with the same sequence sees the same rates). The success probability is non-decreasing in
k (more copies can only add valid copies), so the search brackets the crossing by doubling and then
halves the bracket; every rate it measured is kept in the result, which thereby carries its own
evidence: the rate at the returned width reaches the level and the rate one below does not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .._search import smallest_true
from .._validate import LTHInputError, check_positive_int, check_probability_open
from ..network import ReLUNetwork
from ..stats import Proportion, child_seedseq, proportion
from .simulation import simulate_counts

__all__ = ["RequiredWidth", "required_width"]

Densities = float | Sequence[float] | Callable[[int], Sequence[float]]

MAX_WIDTH = 10**12
"""The search gives up (an error) above this k: the count chain's cost is free of k, but no useful
source is this wide."""


@dataclass(frozen=True)
class RequiredWidth:
    """Smallest k whose measured success rate is ``>= level`` (``width``), with every rate measured on
    the way (``rates``: k -> successes out of ``trials``)."""

    width: int
    level: float
    trials: int
    rates: dict[int, int]

    def rate(self, k: int, confidence: float = 0.95) -> Proportion:
        """The measured rate at a visited k, with its Clopper-Pearson interval."""
        if k not in self.rates:
            raise LTHInputError(
                f"k must be one of the visited widths {sorted(self.rates)}, got {k}"
            )
        return proportion(self.rates[k], self.trials, confidence=confidence)

    @property
    def at(self) -> Proportion:
        """Rate at the returned width (reaches the level)."""
        return self.rate(self.width)

    @property
    def below(self) -> Proportion | None:
        """Rate at ``width - 1`` (below the level), None when ``width`` is 1."""
        return self.rate(self.width - 1) if self.width > 1 else None

    @property
    def evaluations(self) -> int:
        return len(self.rates)


def required_width(
    target: ReLUNetwork,
    densities: Densities,
    delta: float,
    ss: np.random.SeedSequence,
    trials: int = 1000,
    guess: int | None = None,
) -> RequiredWidth:
    """Smallest common k with measured rate >= 1 - ``delta`` (count chain, ``trials`` per k).

    ``densities`` is a layer-density spec for :func:`lththeory.weak.simulate_counts`, or a function of k
    that returns the per-layer densities of the source at that k (a density scheme recomputed for the
    source's shapes). ``guess`` (e.g. Theorem W''s width, which the frontier does not exceed) seeds the
    bracket; the search costs about 2 log2(width) rate measurements without one and fewer with a good one.
    """
    delta = check_probability_open(delta, "delta")
    trials = check_positive_int(trials, "trials")
    level = 1.0 - delta
    dens_at = densities if callable(densities) else (lambda _k: densities)
    counts: dict[int, int] = {}

    def ok(k: int) -> bool:
        if k > MAX_WIDTH:
            raise LTHInputError(
                f"required width exceeds {MAX_WIDTH:.0e}: the rate never reached {level:g} "
                "(densities too small for this target)"
            )
        if k not in counts:
            counts[k] = int(
                simulate_counts(target, k, dens_at(k), child_seedseq(ss, k), trials).sum()
            )
        return counts[k] >= level * trials

    hi = check_positive_int(guess, "guess") if guess is not None else 1
    lo = hi // 2
    if ok(hi):  # walk down from the guess until the rate falls below the level (or k reaches 0)
        while lo >= 1 and ok(lo):
            hi, lo = lo, lo // 2
    else:
        lo = hi
    width = smallest_true(ok, lo, hi)
    return RequiredWidth(
        width=width, level=level, trials=trials, rates=dict(sorted(counts.items()))
    )
