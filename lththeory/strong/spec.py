"""The registry entry of a strong-ticket construction: the hooks that differ between the depth
L+1 construction and Pensia et al.'s depth 2L one (docs/theory.md §5.2-§5.3).

Generic code (sources, the error budget, Theorem S, the predicted ticket size) looks a construction
up by name with :func:`strong_construction` and calls its hooks, instead of branching on the name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._validate import LTHInputError
from ..registry import CONSTRUCTIONS, Construction

__all__ = ["StrongConstructionSpec", "strong_construction", "strong_construction_names"]


@dataclass(frozen=True)
class StrongConstructionSpec(Construction):
    """A strong-ticket construction (``family == "strong"``) and its theory hooks.

    * ``layout(widths, k, k_const) -> (blocks, const)``: neuron blocks of every source layer;
    * ``candidate_sets(target, k, densities, signs, m, nb) -> list[CandidateSet]``: Theorem S's sets;
    * ``amplification(S, A, W) -> alpha_l``: the error amplification of target layer l >= 2
      (S its support, A the per-weight amplification, W its dense weights);
    * ``cap(eps_l, fan) -> eps_l``: a cap on the layer's precision (identity where none);
    * ``predicted_size(target, k, k_const, densities, budget, signs, candidates) -> float``.
    """

    layout: Callable[..., Any]
    candidate_sets: Callable[..., Any]
    amplification: Callable[..., float]
    cap: Callable[[float, int], float]
    predicted_size: Callable[..., float]


def strong_construction_names() -> tuple[str, ...]:
    """The registered strong constructions (``"univariate"``, ``"pensia"``)."""
    return CONSTRUCTIONS.names(lambda c: c.family == "strong")


def strong_construction(name: object, param: str = "construction") -> StrongConstructionSpec:
    """The registered strong construction called ``name``; one-line error naming ``param``."""
    names = strong_construction_names()
    if not isinstance(name, str) or name not in names:
        allowed = ", ".join(repr(n) for n in names)
        raise LTHInputError(f"{param} must be one of {allowed}, got {name!r}")
    return CONSTRUCTIONS.get(name)
