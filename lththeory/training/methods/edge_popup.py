"""``edge-popup``: strong tickets by scores on frozen random weights (docs/theory.md §7.3).

The weights stay at their random init (Kaiming-normal for the kept fan-in, zero biases, all frozen);
every *entry of the base mask* carries one score, and the forward pass of layer l uses the k_l
entries with the largest |score| (k_l = round(p_l m_l) for the scheme's layer density p_l at the
target, at most the mask's entries), with the straight-through gradient to the scores. Scores live
on the mask's entries only -- a flat vector indexed by the mask's flat entry indices -- so an entry
outside the ER mask can never be chosen, whatever the scores. (The reference code's ``GetSubnetER``
indexes the mask by output channel instead, so its "ER" tickets are not restricted to the mask.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..loop import LayerCost, fit
from ..masks import attach_masks
from ..models import init_parameters, prunable_layers
from .common import Outcome, Setup, finish, fresh_copy

__all__ = ["EdgePopup", "run", "subnet_counts"]


class _TopK(torch.autograd.Function):
    """1 on the k largest entries of a vector, 0 elsewhere; straight-through gradient."""

    @staticmethod
    def forward(ctx, scores: torch.Tensor, k: int) -> torch.Tensor:
        out = torch.zeros_like(scores)
        if k > 0:
            out[torch.topk(scores, k, sorted=False).indices] = 1.0
        return out

    @staticmethod
    def backward(ctx, g: torch.Tensor):
        return g, None


def subnet_counts(base: Sequence[torch.Tensor], layer_densities: Sequence[float]) -> list[int]:
    """k_l = min(round(p_l m_l), entries of the base mask in layer l)."""
    return [
        min(int(round(float(p) * b.numel())), int(b.sum()))
        for b, p in zip(base, layer_densities, strict=True)
    ]


class EdgePopup(nn.Module):
    """A frozen ``nn.Sequential`` whose prunable layers compute with weight * subnet(scores).

    ``entries[l]`` are the flat indices of the base mask's entries of layer l; ``scores[l]`` has one
    score per entry (nothing else is trainable); ``k[l]`` entries are kept.
    """

    def __init__(
        self,
        net: nn.Sequential,
        base: Sequence[torch.Tensor],
        k: Sequence[int],
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        self.net = net
        for p in net.parameters():
            p.requires_grad_(False)
        self.layers = prunable_layers(net)
        self.k = [int(v) for v in k]
        for i, b in enumerate(base):
            self.register_buffer(f"entries_{i}", torch.nonzero(b.reshape(-1)).flatten())
        scores = []
        for b in base:
            fan_in = int(np.prod(b.shape[1:]))
            bound = 1.0 / np.sqrt(fan_in)
            s = torch.empty(int(b.sum()), dtype=torch.float32)
            s.uniform_(-bound, bound, generator=generator)
            scores.append(nn.Parameter(s))
        self.scores = nn.ParameterList(scores)

    def entries(self, i: int) -> torch.Tensor:
        return getattr(self, f"entries_{i}")

    def _mask(self, i: int) -> torch.Tensor:
        w = self.layers[i].weight_orig
        sub = _TopK.apply(self.scores[i].abs(), self.k[i])
        flat = torch.zeros(w.numel(), dtype=w.dtype).index_put((self.entries(i),), sub.to(w.dtype))
        return flat.reshape(w.shape)

    def subnet_masks(self) -> list[torch.Tensor]:
        """The boolean masks of the current subnetwork (inside the base mask by construction)."""
        with torch.no_grad():
            return [self._mask(i) > 0 for i in range(len(self.layers))]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        i = 0
        for mod in self.net:
            if isinstance(mod, nn.Linear):
                x = F.linear(x, mod.weight_orig * self._mask(i), mod.bias)
                i += 1
            elif isinstance(mod, nn.Conv2d):
                x = mod._conv_forward(x, mod.weight_orig * self._mask(i), mod.bias)
                i += 1
            else:
                x = mod(x)
        return x


def run(setup: Setup) -> list[Outcome]:
    """Train the scores for each target; the outcome is the frozen network on its subnetwork."""
    out = []
    for t, dens in zip(setup.targets, setup.layer_targets, strict=True):
        net = fresh_copy(setup)
        init_parameters(net, list(dens), setup.generator)
        k = subnet_counts(setup.base, dens)
        model = EdgePopup(net, setup.base, k, setup.generator)
        cost = LayerCost(setup.positions, k, [int(b.sum()) for b in setup.base], 0)
        cfg = replace(setup.cfg, lr=setup.options.score_lr)
        spent = fit(model, setup.task, cfg, setup.generator, cost, list(model.scores))
        masks = model.subnet_masks()
        attach_masks(net, masks)
        out.append(finish(setup, net, t, spent, masks))
    return out
