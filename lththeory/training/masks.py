"""ER masks for a torch model, attached with ``torch.nn.utils.prune.custom_from_mask``
(docs/theory.md §7.2).

Per-layer densities come from :func:`lththeory.densities.layer_densities` (every scheme; exact
redistribution or the reference clamping) on the model's weight shapes; masks are sampled by
:func:`lththeory.masks.sample_mask` (Bernoulli ER, the theory's model, or a fixed count per layer),
convolutions flattened to out x (in x kh x kw). A PyTorch user then sees the usual
``weight_orig`` / ``weight_mask`` reparametrisation. Realised densities are counted from the masks,
never assumed.

``min_fan_in`` (default 0, the reference behaviour: plain ER) adds, to every output unit with fewer
than that many kept in-edges, uniformly chosen missing entries until it has them. It exists because
pyramidal densities p_l = r^l starve the last layer of shallow MLPs (§7.4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

from .._validate import LTHInputError, check_choice, check_density, check_positive_int
from ..densities import layer_densities
from ..masks import sample_mask
from .models import prunable_layers

__all__ = [
    "MASK_KINDS",
    "MaskReport",
    "attach_masks",
    "bake",
    "mask_report",
    "model_masks",
    "planned_densities",
    "sample_er_masks",
]

#: ``--mask`` values -> :func:`lththeory.masks.sample_mask` kinds
MASK_KINDS = {"bernoulli": "bernoulli", "fixed-count": "fixed"}


def planned_densities(
    shapes: Sequence[Sequence[int]],
    density: float,
    scheme: str,
    dense_first_layer: bool = False,
    exact: bool = True,
) -> np.ndarray:
    """p_1..p_L of the scheme at global density ``density`` (docs/theory.md §2); with
    ``dense_first_layer`` p_1 = 1 and the scheme shares ``density`` among the other layers."""
    density = check_density(density, "density")
    if dense_first_layer:
        if len(shapes) == 1:
            return np.ones(1)
        rest = layer_densities([tuple(s) for s in shapes[1:]], density, scheme, exact)
        return np.concatenate([[1.0], rest])
    return layer_densities([tuple(s) for s in shapes], density, scheme, exact)


def _flat_shape(shape: Sequence[int]) -> tuple[int, int]:
    return int(shape[0]), int(np.prod(shape[1:]))


def _fill_fan_in(mask: np.ndarray, m: int, rng: np.random.Generator) -> None:
    """Give every row of ``mask`` at least ``min(m, cols)`` kept entries (added uniformly)."""
    need = min(m, mask.shape[1])
    for r in np.flatnonzero(mask.sum(axis=1) < need):
        free = np.flatnonzero(~mask[r])
        add = need - int(mask[r].sum())
        mask[r, rng.choice(free, size=add, replace=False)] = True


def sample_er_masks(
    shapes: Sequence[Sequence[int]],
    densities: Sequence[float],
    rng: np.random.Generator,
    kind: str = "bernoulli",
    min_fan_in: int = 0,
) -> list[torch.Tensor]:
    """One boolean mask per weight shape: ER(p_l) (``"bernoulli"``) or exactly round(p_l m_l)
    entries (``"fixed-count"``), then at least ``min_fan_in`` in-edges per output unit."""
    check_choice(kind, "--mask", tuple(MASK_KINDS))
    min_fan_in = check_positive_int(min_fan_in, "--min-fan-in", minimum=0)
    if len(densities) != len(shapes):
        raise LTHInputError(f"densities must hold {len(shapes)} values, got {len(densities)}")
    out = []
    for shape, p in zip(shapes, densities, strict=True):
        flat = _flat_shape(shape)
        m = sample_mask(flat, float(p), rng, MASK_KINDS[kind]).toarray()
        if min_fan_in:
            _fill_fan_in(m, min_fan_in, rng)
        out.append(torch.from_numpy(m.reshape(tuple(shape))))
    return out


def attach_masks(model: nn.Module, masks: Sequence[torch.Tensor]) -> None:
    """Attach ``masks`` to the prunable layers with ``prune.custom_from_mask`` (the first time) or
    overwrite the existing ``weight_mask`` buffers (later changes of the mask)."""
    layers = prunable_layers(model)
    if len(masks) != len(layers):
        raise LTHInputError(f"masks must hold {len(layers)} tensors, got {len(masks)}")
    for layer, mask in zip(layers, masks, strict=True):
        if hasattr(layer, "weight_mask"):
            with torch.no_grad():
                layer.weight_mask.copy_(mask.to(layer.weight_mask.dtype))
        else:
            prune.custom_from_mask(layer, "weight", mask.to(torch.bool))


def model_masks(model: nn.Module) -> list[torch.Tensor]:
    """The boolean masks of the prunable layers (all-ones where none is attached)."""
    out = []
    for layer in prunable_layers(model):
        if hasattr(layer, "weight_mask"):
            out.append(layer.weight_mask.detach().to(torch.bool).clone())
        else:
            out.append(torch.ones_like(layer.weight, dtype=torch.bool))
    return out


def bake(model: nn.Module) -> nn.Module:
    """Make the pruning permanent (``prune.remove``): plain ``weight`` tensors with zeros."""
    for layer in prunable_layers(model):
        if hasattr(layer, "weight_mask"):
            prune.remove(layer, "weight")
    return model


@dataclass(frozen=True)
class MaskReport:
    """Kept entries, sizes and densities per layer, and the global density, counted from masks."""

    kept: tuple[int, ...]
    sizes: tuple[int, ...]

    @property
    def densities(self) -> tuple[float, ...]:
        return tuple(k / s for k, s in zip(self.kept, self.sizes, strict=True))

    @property
    def density(self) -> float:
        """sum_l kept_l / sum_l m_l."""
        return sum(self.kept) / sum(self.sizes)

    @property
    def nnz(self) -> int:
        return int(sum(self.kept))

    def label(self) -> str:
        """The per-layer densities joined by ";" (a CSV cell)."""
        return ";".join(f"{d:.6g}" for d in self.densities)


def mask_report(masks: Sequence[torch.Tensor]) -> MaskReport:
    """The realised densities of ``masks``."""
    return MaskReport(tuple(int(m.sum()) for m in masks), tuple(int(m.numel()) for m in masks))
