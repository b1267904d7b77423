"""Models to train inside ER masks: MLPs of any widths and a small CNN, as ``torch.nn.Sequential``
(docs/theory.md §7.2). Prunable layers are the ``Linear`` and ``Conv2d`` weights; biases are never
masked (as in the theory's ER masks, §1).

Initialisation (:func:`init_parameters`) is Kaiming-normal for ReLU with the *kept* fan-in: layer l
with mask density p_l and dense fan-in n gets weights N(0, 2 / max(p_l n, 1)) and zero biases, so a dense
layer gets the usual Kaiming init and a sparse one keeps the same forward variance. Every draw comes
from a ``torch.Generator`` seeded from the run's SeedSequence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .._validate import LTHInputError, check_choice, check_positive_int

__all__ = [
    "MODELS",
    "build_model",
    "init_parameters",
    "layer_shapes",
    "mlp",
    "positions",
    "prunable_layers",
    "small_cnn",
    "torch_generator",
]

MODELS = ("mlp", "cnn")


def torch_generator(ss: np.random.SeedSequence) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with 63 bits drawn from ``ss``."""
    seed = int(ss.generate_state(1, np.uint64)[0]) & (2**63 - 1)
    return torch.Generator().manual_seed(seed)


def mlp(widths: Sequence[int], dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """Flatten, then Linear(n_0, n_1), ReLU, ..., Linear(n_{L-1}, n_L) (no ReLU after the last)."""
    ws = [check_positive_int(w, f"widths[{i}]") for i, w in enumerate(widths)]
    if len(ws) < 2:
        raise LTHInputError(f"widths must list at least 2 layer widths, got {len(ws)}")
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (a, b) in enumerate(zip(ws[:-1], ws[1:], strict=True)):
        layers.append(nn.Linear(a, b, dtype=dtype))
        if i < len(ws) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def small_cnn(
    input_shape: Sequence[int], n_classes: int, channels: Sequence[int] = (16, 32), hidden: int = 64
) -> nn.Sequential:
    """Conv3x3(pad 1)-ReLU-MaxPool2 per entry of ``channels``, then Linear(., hidden)-ReLU-Linear."""
    if len(input_shape) != 3:
        raise LTHInputError(
            f"--model cnn needs image inputs (channels, height, width), got input shape "
            f"{tuple(input_shape)}"
        )
    c, h, w = (int(v) for v in input_shape)
    layers: list[nn.Module] = []
    for out in channels:
        layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        c, h, w = out, h // 2, w // 2
        if h == 0 or w == 0:
            raise LTHInputError(f"input shape {tuple(input_shape)} is too small for {channels}")
    layers += [nn.Flatten(), nn.Linear(c * h * w, hidden), nn.ReLU(), nn.Linear(hidden, n_classes)]
    return nn.Sequential(*layers)


def build_model(
    kind: str, input_shape: Sequence[int], n_classes: int, hidden: Sequence[int] = (100, 100)
) -> nn.Sequential:
    """``"mlp"`` with the given hidden widths, or the ``"cnn"`` of :func:`small_cnn`."""
    check_choice(kind, "--model", MODELS)
    if kind == "mlp":
        return mlp([int(np.prod(input_shape)), *hidden, n_classes])
    return small_cnn(input_shape, n_classes)


def prunable_layers(model: nn.Module) -> list[nn.Module]:
    """The ``Linear`` and ``Conv2d`` modules of ``model``, in forward order."""
    return [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]


def _weight(layer: nn.Module) -> torch.Tensor:
    return layer.weight_orig if hasattr(layer, "weight_orig") else layer.weight


def layer_shapes(model: nn.Module) -> list[tuple[int, ...]]:
    """Weight shapes of the prunable layers: (out, in) or (out, in, kh, kw)."""
    return [tuple(_weight(m).shape) for m in prunable_layers(model)]


def positions(model: nn.Module, input_shape: Sequence[int]) -> list[int]:
    """How often each prunable layer's weights are applied per example: 1 for a Linear layer, the
    number of output positions (H' W') for a convolution (for FLOP counts)."""
    out: list[int] = []
    hooks = []

    def hook(mod, _inp, res):
        out.append(1 if isinstance(mod, nn.Linear) else int(res.shape[-1] * res.shape[-2]))

    for m in prunable_layers(model):
        hooks.append(m.register_forward_hook(hook))
    try:
        dtype = _weight(prunable_layers(model)[0]).dtype
        with torch.no_grad():
            model(torch.zeros((1, *input_shape), dtype=dtype))
    finally:
        for h in hooks:
            h.remove()
    return out


def init_parameters(
    model: nn.Module, densities: Sequence[float], generator: torch.Generator
) -> None:
    """Weights N(0, 2 / max(p_l fan_in, 1)) (Kaiming for ReLU with the kept fan-in), biases 0."""
    layers = prunable_layers(model)
    if len(densities) != len(layers):
        raise LTHInputError(f"densities must hold {len(layers)} values, got {len(densities)}")
    with torch.no_grad():
        for m, p in zip(layers, densities, strict=True):
            w = _weight(m)
            fan_in = int(np.prod(w.shape[1:]))
            std = float(np.sqrt(2.0 / max(float(p) * fan_in, 1.0)))
            w.normal_(0.0, std, generator=generator)
            if m.bias is not None:
                m.bias.zero_()
