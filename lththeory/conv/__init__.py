"""Convolutional targets and sources (docs/theory.md §8).

Channels play the role of neurons and kernel entries the role of edges:

* :mod:`.network` -- conv networks as plain data (:class:`ConvNetwork`, stride-1 convolutions with
  zero padding, ReLU, an optional pooled linear head; float64 im2col forward), random conv targets
  (:func:`random_conv_target`) and test images with extreme border pixels (:func:`image_points`);
* :mod:`.weak` -- Theorem W for convolutions: explicit ER conv sources with masks per kernel entry
  (:func:`sample_source`), the construction and its ticket (:func:`construct`), the explicit-mask
  simulator (:func:`simulate_masks`) and the source's tensor shapes and density schemes on them
  (:func:`source_shapes`, :func:`source_densities`). The count chain and Theorem W's bounds are those of
  :mod:`lththeory.weak`, which read a conv target through :meth:`ConvNetwork.fan_in`;
* :mod:`.strong` -- strong conv tickets at small sizes with a certified error
  (:func:`sample_strong_source`, :func:`construct_strong`, :func:`interval_bounds`);
* :mod:`.flags` -- the weak sweep's ``--conv``/``--image``/``--padding``/``--head`` flags.
"""

from .network import (
    ConvNetwork,
    check_conv_network,
    image_points,
    parse_kernel,
    parse_padding,
    random_conv_target,
)
from .strong import (
    ConvStrongConstruction,
    ConvStrongSource,
    construct_strong,
    interval_bounds,
    sample_strong_source,
)
from .weak import (
    WEAK_CONV,
    ConvWeakSource,
    construct,
    sample_source,
    simulate_masks,
    source_densities,
    source_kernels,
    source_shapes,
    ticket_shift,
)

__all__ = [
    "WEAK_CONV",
    "ConvNetwork",
    "ConvStrongConstruction",
    "ConvStrongSource",
    "ConvWeakSource",
    "check_conv_network",
    "construct",
    "construct_strong",
    "image_points",
    "interval_bounds",
    "parse_kernel",
    "parse_padding",
    "random_conv_target",
    "sample_source",
    "sample_strong_source",
    "simulate_masks",
    "source_densities",
    "source_kernels",
    "source_shapes",
    "ticket_shift",
]
