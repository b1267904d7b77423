"""What every training method receives and returns, and the pruning steps they share
(docs/theory.md §7.3): global top-k inside a mask, training a fixed mask, finishing an outcome."""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..loop import Cost, LayerCost, Task, TrainConfig, evaluate, fit
from ..masks import MaskReport, attach_masks, mask_report, model_masks
from ..models import prunable_layers

__all__ = [
    "MethodOptions",
    "copy_model",
    "Outcome",
    "Setup",
    "effective_weights",
    "finish",
    "fresh_copy",
    "global_topk",
    "layer_cost",
    "train_masked",
]


@dataclass(frozen=True)
class MethodOptions:
    """Method settings: IMP's fraction pruned per round and rewind epoch (0: back to init); SNIP's
    batch; SynFlow's iterations; edge-popup's score learning rate."""

    imp_fraction: float = 0.2
    rewind_epoch: int = 1
    snip_examples: int = 512
    synflow_iterations: int = 100
    score_lr: float = 0.01


@dataclass(frozen=True, eq=False)
class Setup:
    """A method's input: the initialised ``model`` with its ``base`` mask attached (all-ones from
    dense, the ER mask inside one), the task, the global target densities (descending), the
    per-layer target densities of each (for layer-wise methods), the optimiser settings, the
    options, a torch generator for batches and draws, the layers' output positions, and the
    nominal density of the base mask (``start_density``; None: its realised density)."""

    model: nn.Module
    task: Task
    base: Sequence[torch.Tensor]
    targets: Sequence[float]
    layer_targets: Sequence[np.ndarray]
    cfg: TrainConfig
    options: MethodOptions
    generator: torch.Generator
    positions: Sequence[int]
    start_density: float | None = None
    t0: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True, eq=False)
class Outcome:
    """A trained network at one target density: its masks (inside ``base``), its metrics on the
    validation and test splits, what it cost and the seconds since the method started."""

    target: float
    masks: Sequence[torch.Tensor]
    model: nn.Module
    test: float
    val: float
    cost: Cost
    seconds: float

    @property
    def report(self) -> MaskReport:
        return mask_report(self.masks)


def effective_weights(model: nn.Module) -> list[torch.Tensor]:
    """The prunable layers' weights as used in the forward pass (mask applied), detached."""
    out = []
    for layer in prunable_layers(model):
        w = layer.weight_orig * layer.weight_mask if hasattr(layer, "weight_mask") else layer.weight
        out.append(w.detach())
    return out


def global_topk(
    scores: Sequence[torch.Tensor], allowed: Sequence[torch.Tensor], k: int
) -> list[torch.Tensor]:
    """Masks keeping the ``k`` largest ``scores`` over all layers, chosen among ``allowed`` entries
    only (so the result lies inside ``allowed``); all allowed entries when k >= their number."""
    flat = torch.cat(
        [
            torch.where(a.reshape(-1), s.reshape(-1).double(), -torch.inf)
            for s, a in zip(scores, allowed, strict=True)
        ]
    )
    n_allowed = int(sum(int(a.sum()) for a in allowed))
    k = min(max(int(k), 0), n_allowed)
    keep = torch.zeros(flat.numel(), dtype=torch.bool)
    if k:
        keep[torch.topk(flat, k, sorted=False).indices] = True
    out, off = [], 0
    for a in allowed:
        n = a.numel()
        out.append(keep[off : off + n].reshape(a.shape) & a)
        off += n
    return out


def layer_cost(setup: Setup, masks: Sequence[torch.Tensor]) -> LayerCost:
    """Cost of training ``masks`` with every kept weight trainable (and every bias)."""
    kept = [int(m.sum()) for m in masks]
    biases = sum(
        int(layer.bias.numel()) for layer in prunable_layers(setup.model) if layer.bias is not None
    )
    return LayerCost(setup.positions, kept, kept, biases)


def train_masked(
    setup: Setup, model: nn.Module, masks: Sequence[torch.Tensor], start_epoch: int = 0
) -> Cost:
    """Attach ``masks`` to ``model`` and train it (epochs ``start_epoch`` on of the schedule)."""
    attach_masks(model, masks)
    return fit(
        model, setup.task, setup.cfg, setup.generator, layer_cost(setup, masks), None, start_epoch
    )


def finish(setup: Setup, model: nn.Module, target: float, cost: Cost, masks=None) -> Outcome:
    """Evaluate ``model`` and check that its masks lie inside the base mask."""
    masks = model_masks(model) if masks is None else masks
    for i, (m, b) in enumerate(zip(masks, setup.base, strict=True)):
        if bool((m & ~b).any()):
            raise RuntimeError(f"layer {i}: the method kept entries outside its base mask")
    t = setup.task
    return Outcome(
        target,
        [m.clone() for m in masks],
        model,
        evaluate(model, t.x_test, t.y_test, t.loss),
        evaluate(model, t.x_val, t.y_val, t.loss),
        cost,
        time.perf_counter() - setup.t0,
    )


def copy_model(model: nn.Module) -> nn.Module:
    """A deep copy of a (possibly pruned, trained) model. The pruning hook leaves the last forward
    pass's ``weight = weight_orig * weight_mask`` as a graph tensor, which cannot be deep-copied; it
    is recomputed, detached, first."""
    with torch.no_grad():
        for layer in prunable_layers(model):
            if hasattr(layer, "weight_mask"):
                layer.weight = layer.weight_orig * layer.weight_mask
    return copy.deepcopy(model)


def fresh_copy(setup: Setup) -> nn.Module:
    """A deep copy of the initialised model (its weights at init, the base mask attached)."""
    return copy_model(setup.model)
