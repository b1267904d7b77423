"""Required width per layer-wise density scheme (docs/theory.md §3.9).

A source of global density D under a scheme of docs/theory.md §2 has per-layer densities that depend
on its shapes, and so on the copy multiplier k: Theorem W's source for a target of widths
(n_0 = d, ..., n_L) has weight layers of shapes (d k, d), (n_1 k, d k), ..., (n_L, n_{L-1} k), so the
first and last layers grow like k and the others like k^2. :func:`scheme_densities` recomputes the
scheme at every k; :func:`scheme_width` finds, side by side, the smallest k whose measured success rate
(count chain, bisection on k: :func:`lththeory.weak.required_width`) reaches 1 - delta and the smallest
k at which Theorem W''s bound is at most delta (:func:`lththeory.weak.sharp_common_width`), each with
the densities at its own k, and the expected number of source weights there,
sum_l p_l(k) m_l(k) (= D sum_l m_l(k) in the exact mode).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._validate import LTHInputError, WidthLimitError, check_density
from ..densities import SCHEMES, layer_densities
from ..stats import Proportion, child_seedseq, proportion
from .construction import source_widths
from .frontier import RequiredWidth, Simulator, required_width
from .sharp import sharp_common_width
from .simulation import simulate_counts
from .theory import fan_in_structure

__all__ = [
    "SchemeWidth",
    "expected_weights",
    "fc_source_shapes",
    "scheme_densities",
    "scheme_width",
]

Shapes = Callable[[int], Sequence[Sequence[int]]]


def fc_source_shapes(target: object) -> Shapes:
    """k -> the weight shapes (N_{l+1}, N_l) of Theorem W's source for a fully connected target at a
    common copy multiplier k (docs/theory.md §3.1)."""
    fan = fan_in_structure(target)
    widths = (int(target.input_dim),) + tuple(int(c.shape[0]) for c in fan)
    L = len(fan)

    def shapes(k: int) -> list[tuple[int, int]]:
        N = source_widths(widths, [int(k)] * L)
        return [(N[i + 1], N[i]) for i in range(L + 1)]

    return shapes


def expected_weights(shapes: Sequence[Sequence[int]], densities: Sequence[float]) -> float:
    """sum_l p_l m_l, the expected number of kept source weights (m_l = product of the dims)."""
    m = [float(np.prod(np.asarray(s, dtype=np.float64))) for s in shapes]
    return float(np.dot(m, np.asarray(densities, dtype=np.float64)))


def scheme_densities(
    shapes: Shapes, density: float, scheme: str, exact: bool = True
) -> Callable[[int], tuple[float, ...]]:
    """k -> the per-layer densities of ``scheme`` at global density ``density`` on ``shapes(k)``
    (:func:`lththeory.densities.layer_densities`; ``exact=False`` is the reference code's clamp-only
    variant), cached per k."""
    density = check_density(density)
    if scheme not in SCHEMES:
        raise LTHInputError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")

    @lru_cache(maxsize=4096)
    def at(k: int) -> tuple[float, ...]:
        return tuple(float(p) for p in layer_densities(shapes(k), density, scheme, exact))

    return at


@dataclass(frozen=True)
class SchemeWidth:
    """The required width of one (global density, scheme) point and Theorem W''s width beside it.

    ``required`` is the measured frontier (None when it lies beyond the search's limit); ``densities``
    and ``source_weights`` are the per-layer densities and the expected kept source weights at its
    width; ``sharp_*`` the same at Theorem W''s width (None when not computed or beyond its limit),
    ``sharp_rate`` the measured rate there (a full measurement from the same stream: the bound says
    it is >= 1 - delta up to noise, for Bernoulli masks).
    ``realised`` is the realised global density at the required width (below ``density`` only for
    the clamp-only reference variant).
    """

    density: float
    scheme: str
    exact: bool
    required: RequiredWidth | None
    densities: tuple[float, ...] | None
    source_weights: float | None
    realised: float | None
    sharp_width: int | None
    sharp_densities: tuple[float, ...] | None
    sharp_source_weights: float | None
    sharp_rate: Proportion | None = None

    @property
    def width(self) -> int | None:
        return None if self.required is None else self.required.width


def scheme_width(
    target: object,
    density: float,
    scheme: str,
    delta: float,
    ss: np.random.SeedSequence,
    trials: int = 1000,
    exact: bool = True,
    shapes: Shapes | None = None,
    simulate: Simulator | None = None,
    sharp: bool = True,
) -> SchemeWidth:
    """Measured frontier and Theorem W''s width for a source of global density ``density`` under
    ``scheme`` (docs/theory.md §3.9).

    ``shapes`` maps k to the source's weight shapes (default :func:`fc_source_shapes`; for conv
    targets :func:`lththeory.conv.source_shapes`). Theorem W''s width (``sharp``) is computed first and
    seeds the bisection (the true frontier does not exceed it for Bernoulli masks); it changes the
    search path, never a rate, since each k's rate is drawn from child k of ``ss``. ``simulate`` is
    the count chain by default (any simulator with ``max_failures``; see
    :func:`lththeory.weak.required_width`); measurements stop early once their verdict is certain.
    """
    shapes = fc_source_shapes(target) if shapes is None else shapes
    dens_at = scheme_densities(shapes, density, scheme, exact)
    sharp_width = sharp_dens = sharp_weights = None
    if sharp:
        try:
            sharp_width = sharp_common_width(target, dens_at, delta)
            sharp_dens = dens_at(sharp_width)
            sharp_weights = expected_weights(shapes(sharp_width), sharp_dens)
        except WidthLimitError:
            pass
    try:
        req = required_width(
            target,
            dens_at,
            delta,
            ss,
            trials,
            guess=sharp_width,
            simulate=simulate,
            stop_early=True,
        )
    except WidthLimitError:
        req = None
    dens = weights = realised = sharp_rate = None
    if req is not None and sharp_width is not None:
        if sharp_width in req.rates and req.trials_at(sharp_width) == req.trials:
            sharp_rate = req.rate(sharp_width)
        else:  # stopped early (or not visited): complete it from the same child stream
            sim = simulate_counts if simulate is None else simulate
            ok = sim(target, sharp_width, sharp_dens, child_seedseq(ss, sharp_width), trials)
            sharp_rate = proportion(int(ok.sum()), int(ok.size))
    if req is not None:
        dens = dens_at(req.width)
        weights = expected_weights(shapes(req.width), dens)
        realised = weights / expected_weights(shapes(req.width), [1.0] * len(dens))
    return SchemeWidth(
        density=float(density),
        scheme=scheme,
        exact=bool(exact),
        required=req,
        densities=dens,
        source_weights=weights,
        realised=realised,
        sharp_width=sharp_width,
        sharp_densities=sharp_dens,
        sharp_source_weights=sharp_weights,
        sharp_rate=sharp_rate,
    )
