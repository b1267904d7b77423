"""Theorem S: strong lottery tickets inside ER source networks (claim 3; docs/theory.md §5).

A *strong* ticket keeps the source's random weights and biases exactly as drawn; it may only delete
them. Two registered constructions (``lththeory.registry.CONSTRUCTIONS``, family ``"strong"``) live
on the same lazily generated ER sources (:func:`sample_source`):

* ``"univariate"`` (:func:`construct_univariate`, :mod:`.univariate`): depth L+1, univariate first
  layer, subset sums over copies (docs/theory.md §5.2);
* ``"pensia"`` (:func:`construct_pensia`, :mod:`.pensia`): depth 2L (Pensia et al. 2020, §5.3).

:func:`construct` runs the construction the source was drawn for. Every subset sum is solved
exactly; success means a *certified* bound on sup |f_P - f_T| over the whole box (:mod:`.budget`,
:mod:`.certificates`, docs/theory.md §5.4); :func:`estimate_error` gives the matching lower bound.
Theorem S (:mod:`.theory`) is the union bound over all candidate sets of the theorem's construction
(``group_size=g``: disjoint groups of g candidates, worst-case amplification), its premise measured by
the random-subset-sum lemma at the group size and precision where it is used (docs/theory.md §5.5).

Modules: :mod:`.source` (sources), :mod:`.budget` (error propagation), :mod:`.theory` (Theorem S),
:mod:`.error_curve` (the predicted error curve), :mod:`.compare` (the two constructions side by side),
:mod:`.certificates` and :mod:`.rows` (subset-sum problems and their certificates), :mod:`.ticket`
(pruning and verdict), :mod:`.results`, :mod:`.estimate`, :mod:`.spec` (the registry entry).
"""

from __future__ import annotations

from .budget import MAX_CANDIDATES, ErrorBudget, error_budget, interval_bounds
from .certificates import OBJECTIVES
from .compare import compare_constructions
from .error_curve import expected_candidates, predicted_error
from .estimate import estimate_error
from .pensia import PENSIA, construct_pensia
from .results import ErrorEstimate, StrongConstruction, StrongTicket, WeightFailure
from .source import MAX_BLOCK_ENTRIES, StrongSource, sample_source, source_densities
from .spec import StrongConstructionSpec, strong_construction, strong_construction_names
from .theory import (
    MAX_GROUPS,
    CandidateSet,
    TheoremS,
    candidate_sets,
    predicted_ticket_size,
    set_failure,
    theorem_s,
    theorem_s_common_width,
    theorem_s_failure_bound,
)
from .univariate import UNIVARIATE, construct_univariate

__all__ = [
    "MAX_BLOCK_ENTRIES",
    "MAX_CANDIDATES",
    "MAX_GROUPS",
    "OBJECTIVES",
    "PENSIA",
    "UNIVARIATE",
    "CandidateSet",
    "ErrorBudget",
    "ErrorEstimate",
    "StrongConstruction",
    "StrongConstructionSpec",
    "StrongSource",
    "StrongTicket",
    "TheoremS",
    "WeightFailure",
    "candidate_sets",
    "compare_constructions",
    "construct",
    "construct_pensia",
    "construct_univariate",
    "error_budget",
    "estimate_error",
    "expected_candidates",
    "interval_bounds",
    "predicted_error",
    "predicted_ticket_size",
    "sample_source",
    "source_densities",
    "strong_construction",
    "set_failure",
    "strong_construction_names",
    "theorem_s",
    "theorem_s_common_width",
    "theorem_s_failure_bound",
]


def construct(target, source, eps, **options) -> StrongConstruction:
    """The strong ticket of ``source``'s own construction (``source.construction``: the registered
    ``"univariate"`` or ``"pensia"``); ``options`` go to that construction's function."""
    if not isinstance(source, StrongSource):
        from .._validate import LTHInputError

        raise LTHInputError(f"source must be a StrongSource, got {type(source).__name__}")
    return strong_construction(source.construction).construct(target, source, eps, **options)
