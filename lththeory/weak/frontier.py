"""The measured frontier of Theorem W's construction: the smallest common copy multiplier k at which the
count chain's success rate reaches a level, found by bisection on k (docs/theory.md §3.8).

The rate at each k is an independent measurement: ``trials`` count-chain trials drawn from child k of
the point's SeedSequence (so a k's rate does not depend on the order in which the search visits it, and
a plain scan with the same sequence sees the same rates). The success probability is non-decreasing in
k (more copies can only add valid copies), so the search brackets the crossing by doubling and then
halves the bracket; every rate it measured is kept in the result, which thereby carries its own
evidence: the rate at the returned width reaches the level and the rate one below does not.

Options (docs/theory.md §3.9): ``densities`` may be a function of k (a density scheme recomputed for
the source's shapes at every k); ``simulate`` replaces the count chain by another simulator of the same
signature (explicit masks, fixed-count masks); ``stop_early`` stops a k's measurement as soon as its
verdict is certain (its failures already exceed what the level allows), so a k far below the frontier
costs one block of draws instead of ``trials``; the draws it makes are a prefix of the full
measurement's, so every verdict, and hence the returned width, is the same as without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._search import smallest_true
from .._validate import (
    LTHInputError,
    WidthLimitError,
    check_positive_int,
    check_probability_open,
)
from ..network import ReLUNetwork
from ..stats import Proportion, child_seedseq, proportion
from .simulation import simulate_counts

__all__ = ["RequiredWidth", "allowed_failures", "required_width"]

Densities = float | Sequence[float] | Callable[[int], Sequence[float]]
#: a simulator ``(target, k, densities, ss, trials, max_failures=None) -> success indicators``
Simulator = Callable[..., np.ndarray]

MAX_WIDTH = 10**12
"""The search gives up (an error) above this k: the count chain's cost is free of k, but no useful
source is this wide."""


@dataclass(frozen=True)
class RequiredWidth:
    """Smallest k whose measured success rate is ``>= level`` (``width``), with every rate measured on
    the way (``rates``: k -> successes out of ``drawn[k]`` trials; ``drawn[k]`` is ``trials`` unless
    the measurement stopped early, which only happens at widths whose verdict it decided, never at
    ``width`` or ``width - 1``)."""

    width: int
    level: float
    trials: int
    rates: dict[int, int]
    drawn: dict[int, int] = field(default_factory=dict)

    def trials_at(self, k: int) -> int:
        """Trials drawn at a visited k."""
        return self.drawn.get(k, self.trials)

    def rate(self, k: int, confidence: float = 0.95) -> Proportion:
        """The measured rate at a visited k, with its Clopper-Pearson interval."""
        if k not in self.rates:
            raise LTHInputError(
                f"k must be one of the visited widths {sorted(self.rates)}, got {k}"
            )
        return proportion(self.rates[k], self.trials_at(k), confidence=confidence)

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


def allowed_failures(trials: int, level: float) -> int:
    """The most failures out of ``trials`` with a success rate still ``>= level`` (the verdict of a
    measurement; -1 when even no failure is too many)."""
    trials = check_positive_int(trials, "trials")
    f = int(np.floor(trials * (1.0 - level)))
    while f >= 0 and trials - f < level * trials:
        f -= 1
    while f + 1 <= trials and trials - (f + 1) >= level * trials:
        f += 1
    return f


def required_width(
    target: ReLUNetwork,
    densities: Densities,
    delta: float,
    ss: np.random.SeedSequence,
    trials: int = 1000,
    guess: int | None = None,
    simulate: Simulator | None = None,
    stop_early: bool = False,
) -> RequiredWidth:
    """Smallest common k with measured rate >= 1 - ``delta`` (count chain, ``trials`` per k).

    ``densities`` is a layer-density spec for :func:`lththeory.weak.simulate_counts`, or a function of k
    that returns the per-layer densities of the source at that k (a density scheme recomputed for the
    source's shapes). ``guess`` (e.g. Theorem W''s width, which the frontier does not exceed) seeds the
    bracket; the search costs about 2 log2(width) rate measurements without one and fewer with a good one.
    ``simulate`` (default :func:`lththeory.weak.simulate_counts`) is any simulator with a
    ``max_failures`` keyword (:func:`lththeory.weak.simulate_masks` with ``kind="fixed"`` for
    fixed-count masks); ``stop_early`` lets it stop a measurement once the failures exceed
    :func:`allowed_failures` (same verdicts and width; the rates at ``width`` and ``width - 1`` are
    always full measurements). Raises :class:`WidthLimitError` past ``MAX_WIDTH``.
    """
    delta = check_probability_open(delta, "delta")
    trials = check_positive_int(trials, "trials")
    level = 1.0 - delta
    limit = allowed_failures(trials, level)
    dens_at = densities if callable(densities) else (lambda _k: densities)
    sim = simulate_counts if simulate is None else simulate
    counts: dict[int, int] = {}
    drawn: dict[int, int] = {}

    def measure(k: int, early: bool) -> None:
        ok = sim(
            target,
            k,
            dens_at(k),
            child_seedseq(ss, k),
            trials,
            max_failures=limit if early and limit >= 0 else None,
        )
        counts[k], drawn[k] = int(ok.sum()), int(ok.size)

    def ok(k: int) -> bool:
        if k > MAX_WIDTH:
            raise WidthLimitError(
                f"required width exceeds {MAX_WIDTH:.0e}: the rate never reached {level:g} "
                "(densities too small for this target)"
            )
        if k not in counts:
            measure(k, bool(stop_early))
        return drawn[k] - counts[k] <= limit and drawn[k] == trials

    hi = check_positive_int(guess, "guess") if guess is not None else 1
    lo = hi // 2
    if ok(hi):  # walk down from the guess until the rate falls below the level (or k reaches 0)
        while lo >= 1 and ok(lo):
            hi, lo = lo, lo // 2
    else:
        lo = hi
    width = smallest_true(ok, lo, hi)
    if width > 1 and drawn[width - 1] < trials:  # the evidence one below: a full measurement
        measure(width - 1, False)
    return RequiredWidth(
        width=width,
        level=level,
        trials=trials,
        rates=dict(sorted(counts.items())),
        drawn=dict(sorted(drawn.items())),
    )
