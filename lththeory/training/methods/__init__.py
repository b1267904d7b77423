"""Training methods, one module each, registered by name in ``lththeory.registry.TRAINING_METHODS``
(docs/theory.md §7.3). This module is torch-free: it holds the entries, and :func:`load_method`
imports a method's module (and torch) only when it runs.

Each method runs from the dense network (``start="dense"``) or inside a fixed ER mask
(``start="er"``, the sparse-to-sparse variant); a restricted method only removes entries of the
mask it starts from.

* ``static``: train the fixed mask (an ER mask at the target density; the dense network from dense).
* ``imp``: iterative magnitude pruning with weight rewinding: global magnitude, a fixed fraction per
  round (the round that reaches a requested density prunes less, to land on it).
* ``snip``: single-shot connection sensitivity |g * w| on one batch at init, then training.
* ``synflow``: iterative data-free synaptic flow pruning (exponential schedule), then training.
* ``edge-popup``: strong tickets: weights frozen at init, scores on the mask's entries only, top-k
  per layer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from ...registry import TRAINING_METHODS

__all__ = ["METHODS", "STARTS", "MethodEntry", "load_method", "method_entry"]

METHODS = TRAINING_METHODS
STARTS = ("dense", "er")


@dataclass(frozen=True)
class MethodEntry:
    """A registered training method: its module under this package, whether it removes weights
    (``prunes``; a non-pruning method trains the mask it is given) and whether its weights stay
    frozen at their random init (``strong``: edge-popup)."""

    name: str
    module: str
    description: str
    prunes: bool
    strong: bool = False


for _e in (
    MethodEntry("static", "static", "train the fixed mask", prunes=False),
    MethodEntry("imp", "imp", "iterative magnitude pruning with weight rewinding", prunes=True),
    MethodEntry("snip", "snip", "single-shot connection sensitivity at init", prunes=True),
    MethodEntry("synflow", "synflow", "iterative data-free synaptic flow", prunes=True),
    MethodEntry(
        "edge-popup", "edge_popup", "scores on frozen random weights", prunes=True, strong=True
    ),
):
    METHODS.register(_e.name, _e)


def method_entry(name: object) -> MethodEntry:
    """The registered entry of ``name`` (one line naming ``--method`` otherwise)."""
    return METHODS.get(name, "--method")


def load_method(name: str) -> Callable:
    """The ``run(setup) -> list[Outcome]`` function of method ``name`` (imports torch)."""
    entry = method_entry(name)
    return importlib.import_module(f"{__name__}.{entry.module}").run
