"""lththeory: explicit constructions and numerical checks of the theory of
"Why Random Pruning Is All We Need to Start Sparse" (Gadhikar, Mukherjee, Burkholz, ICML 2023),
in this project's own formulation (docs/theory.md; proofs in proofs/).

Conventions: *density* p is the fraction of weights kept, *sparsity* 1 - p the fraction removed.
Every function takes densities unless its argument is named ``sparsity``.

One subpackage per theorem, each with its construction, its theory and its measurement side by side:
:mod:`lththeory.weak` (Theorem W, claim 1), :mod:`lththeory.lower_bound` (Theorem LB, claim 2),
:mod:`lththeory.strong` and :mod:`lththeory.subset_sum` (Theorem S, claim 3), :mod:`lththeory.conv`
(convolutional targets and sources, Theorem W for convolutions), :mod:`lththeory.densities`
(layer-wise density schemes); sweeps in :mod:`lththeory.sweep` over :mod:`lththeory.experiments`.
Claim 4 (training inside fixed ER masks) lives in :mod:`lththeory.training` and
:mod:`lththeory.export`, which need the ``[train]`` extra and are not imported here.
Constructions with the same verb live under their theorem's name: ``lththeory.weak.construct``,
``lththeory.strong.construct``.
"""

from . import conv, densities, lower_bound, strong, subset_sum, weak
from ._validate import LTHInputError
from .densities import layer_densities, realised_density
from .masks import bernoulli_mask, er_masks, fixed_count_mask, rho, sample_mask
from .network import ReLUNetwork, box_corners, box_points, random_target
from .stats import Proportion, point_seedseq, proportion, trial_generators
from .weak import theorem_w_common_width, theorem_w_failure_bound, theorem_w_widths

__version__ = "0.1.0"

__all__ = [
    "LTHInputError",
    "Proportion",
    "ReLUNetwork",
    "__version__",
    "bernoulli_mask",
    "box_corners",
    "box_points",
    "conv",
    "densities",
    "er_masks",
    "fixed_count_mask",
    "layer_densities",
    "lower_bound",
    "point_seedseq",
    "proportion",
    "random_target",
    "realised_density",
    "rho",
    "sample_mask",
    "strong",
    "subset_sum",
    "theorem_w_common_width",
    "theorem_w_failure_bound",
    "theorem_w_widths",
    "trial_generators",
    "weak",
]
