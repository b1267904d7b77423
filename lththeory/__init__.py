"""lththeory: explicit constructions and numerical checks of the theory of
"Why Random Pruning Is All We Need to Start Sparse" (Gadhikar, Mukherjee, Burkholz, ICML 2023),
in this project's own formulation (see ../shared/THEORY.md and proofs/).

Conventions: *density* p is the fraction of weights kept, *sparsity* 1 - p the fraction removed.
Every function takes densities unless its argument is named ``sparsity``.
"""

from ._validate import LTHInputError
from .masks import bernoulli_mask, er_masks, fixed_count_mask, sample_mask
from .network import ReLUNetwork, box_corners, box_points, random_target
from .stats import Proportion, point_seedseq, proportion, trial_generators
from .weak import (
    construct,
    rho,
    sample_source,
    simulate_counts,
    simulate_masks,
    theorem_w_common_width,
    theorem_w_failure_bound,
    theorem_w_widths,
)

__version__ = "0.1.0"

__all__ = [
    "LTHInputError",
    "Proportion",
    "ReLUNetwork",
    "__version__",
    "bernoulli_mask",
    "box_corners",
    "box_points",
    "er_masks",
    "construct",
    "fixed_count_mask",
    "layer_densities",
    "point_seedseq",
    "proportion",
    "random_target",
    "realised_density",
    "rho",
    "sample_source",
    "simulate_counts",
    "simulate_masks",
    "theorem_w_common_width",
    "theorem_w_failure_bound",
    "theorem_w_widths",
    "sample_mask",
    "trial_generators",
]


def __getattr__(name: str):
    # imported lazily so that ``python -m lththeory.densities`` does not find its module pre-imported
    if name in ("layer_densities", "realised_density"):
        from . import densities

        return getattr(densities, name)
    raise AttributeError(f"module 'lththeory' has no attribute {name!r}")
