"""Theorem W: weak lottery tickets inside ER source networks (claim 1; docs/theory.md §3).

Three modules, side by side and with comparable signatures:

* :mod:`.construction` -- explicit ER sources (:func:`sample_source`) and the construction
  (:func:`construct`): validity layer by layer and the explicit ticket, equal to the target on the box;
* :mod:`.simulation` -- the exact count chain (:func:`simulate_counts`, cost free of k) and the
  explicit-mask simulator (:func:`simulate_masks`);
* :mod:`.theory` -- Theorem W, the paper-shaped union bound (:func:`theorem_w_failure_bound`) and
  the smallest widths that meet its conditions (:func:`theorem_w_widths`, :func:`theorem_w_common_width`);
* :mod:`.sharp` -- Theorem W', the count-threshold bound (:func:`sharp_failure_bound`,
  :func:`sharp_common_width`), and the exact probability of Theorem W's event
  (:func:`every_copy_valid_probability`);
* :mod:`.frontier` -- the measured frontier: the smallest k whose count-chain rate reaches a level
  (:func:`required_width`, bisection on k);
* :mod:`.schemes` -- the same per layer-wise density scheme of the source, with Theorem W''s width
  beside it (:func:`scheme_width`, docs/theory.md §3.9).
"""

from ..masks import rho
from ..registry import CONSTRUCTIONS, Construction
from .construction import (
    WeakConstruction,
    WeakSource,
    WeakTicket,
    construct,
    sample_source,
    source_widths,
)
from .frontier import RequiredWidth, allowed_failures, required_width
from .schemes import (
    SchemeWidth,
    expected_weights,
    fc_source_shapes,
    scheme_densities,
    scheme_width,
)
from .sharp import (
    SharpBound,
    every_copy_valid_probability,
    sharp_common_width,
    sharp_failure_bound,
    sharp_terms,
    sharp_thresholds,
)
from .simulation import COUNTS_BLOCK, count_chain, simulate_counts, simulate_masks
from .theory import (
    fan_in_structure,
    normalise_densities,
    normalise_k,
    target_supports,
    theorem_w_common_width,
    theorem_w_failure_bound,
    theorem_w_terms,
    theorem_w_widths,
)

__all__ = [
    "COUNTS_BLOCK",
    "RequiredWidth",
    "SchemeWidth",
    "SharpBound",
    "WEAK",
    "WeakConstruction",
    "WeakSource",
    "WeakTicket",
    "allowed_failures",
    "construct",
    "count_chain",
    "every_copy_valid_probability",
    "expected_weights",
    "fan_in_structure",
    "fc_source_shapes",
    "normalise_densities",
    "normalise_k",
    "rho",
    "required_width",
    "sample_source",
    "scheme_densities",
    "scheme_width",
    "sharp_common_width",
    "sharp_failure_bound",
    "sharp_terms",
    "sharp_thresholds",
    "simulate_counts",
    "simulate_masks",
    "source_widths",
    "target_supports",
    "theorem_w_common_width",
    "theorem_w_failure_bound",
    "theorem_w_terms",
    "theorem_w_widths",
]

#: Theorem W's block construction (depth L+1) in the construction registry
WEAK = CONSTRUCTIONS.register(
    "weak",
    Construction(
        name="weak",
        family="weak",
        description="Theorem W's block construction: univariate layer, then k copies per neuron",
        depth=lambda L: L + 1,
        sample_source=sample_source,
        construct=construct,
    ),
)
