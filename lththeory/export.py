"""Export to PyTorch and back (docs/theory.md §7.6).

:func:`to_torch` turns a target network (:class:`~lththeory.network.ReLUNetwork`), a weak ticket
(:class:`~lththeory.weak.WeakTicket`), a strong ticket (:class:`~lththeory.strong.StrongTicket`) or
an ER source (:class:`~lththeory.weak.WeakSource`, :class:`~lththeory.strong.StrongSource`) into a
float64 ``torch.nn.Sequential`` of ``Linear`` and ``ReLU`` layers computing the same function
(f(x) = W_L phi(... phi(W_1 x + b_1) ...) + b_L, docs/theory.md §1). Tickets and sources get their
masks with ``torch.nn.utils.prune.custom_from_mask`` (``weight_orig`` / ``weight_mask``);
``bake=True`` multiplies them in and returns plain layers that ``torch.export`` accepts.
:func:`from_torch` reads such a model back as a ``ReLUNetwork`` and its masks.

A weak source has masks but no weights (a weak ticket chooses them): its export draws weights
N(0, 2 / max(kept fan-in, 1)) from a seeded torch generator and zero biases, a student ready to train.
torch is imported here and in :mod:`lththeory.training` only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from torch.nn.utils import prune

from ._arrays import to_dense
from ._validate import LTHInputError, as_generator, check_box
from .network import ReLUNetwork
from .strong import StrongSource, StrongTicket
from .weak import WeakSource, WeakTicket

__all__ = ["from_torch", "network_layers", "to_torch"]


def _dense_mask(m: object) -> np.ndarray:
    return m.toarray().astype(bool) if sp.issparse(m) else np.asarray(m, dtype=bool)


def network_layers(
    obj: object, rng: np.random.Generator | int | None = 0
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray] | None]:
    """(weights, biases, masks or None) of an exportable object as dense float64 / bool arrays;
    ``rng`` seeds the weights of a :class:`WeakSource` (which has none of its own)."""
    if isinstance(obj, ReLUNetwork):
        return [to_dense(w) for w in obj.weights], [np.asarray(b) for b in obj.biases], None
    if isinstance(obj, WeakTicket):
        net = obj.network
        ws = [to_dense(w) for w in net.weights]
        return ws, [np.asarray(b) for b in net.biases], [_dense_mask(m) for m in obj.masks]
    if isinstance(obj, StrongTicket):
        ws = [to_dense(w) for w in obj.weights]
        return ws, [np.asarray(b) for b in obj.biases], [_dense_mask(m) for m in obj.masks]
    if isinstance(obj, StrongSource):
        layers = [obj.dense_layer(l) for l in range(1, obj.depth + 1)]
        return [w for w, _, _ in layers], [b for _, _, b in layers], [m for _, m, _ in layers]
    if isinstance(obj, WeakSource):
        g = as_generator(rng, "rng")
        masks = [_dense_mask(m) for m in obj.masks]
        ws = []
        for m in masks:
            fan = max(float(m.sum()) / m.shape[0], 1.0)
            ws.append(g.normal(0.0, np.sqrt(2.0 / fan), size=m.shape) * m)
        return ws, [np.zeros(m.shape[0]) for m in masks], masks
    raise LTHInputError(
        "obj must be a ReLUNetwork, WeakTicket, StrongTicket, WeakSource or StrongSource, got "
        f"{type(obj).__name__}"
    )


def to_torch(
    obj: object, bake: bool = False, rng: np.random.Generator | int | None = 0
) -> nn.Sequential:
    """A float64 ``nn.Sequential`` (Linear, ReLU, ..., Linear) computing ``obj``'s function.

    Masks (tickets, sources) are attached with ``prune.custom_from_mask``; ``bake=True`` returns
    plain layers with the masks multiplied in. Effective weights are exactly W * mask, so a
    ticket's model has exactly ``ticket.size`` nonzero weights.
    """
    if not isinstance(bake, (bool, np.bool_)):
        raise LTHInputError(f"bake must be True or False, got {bake!r}")
    ws, bs, masks = network_layers(obj, rng)
    layers: list[nn.Module] = []
    for l, (w, b) in enumerate(zip(ws, bs, strict=True)):
        lin = nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
        with torch.no_grad():
            wt = torch.from_numpy(np.array(w, dtype=np.float64))
            if masks is not None:
                wt = wt * torch.from_numpy(masks[l])
            lin.weight.copy_(wt)
            lin.bias.copy_(torch.from_numpy(np.array(b, dtype=np.float64)))
        if masks is not None and not bake:
            prune.custom_from_mask(lin, "weight", torch.from_numpy(masks[l]))
        layers.append(lin)
        if l < len(ws) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _linear_layers(model: nn.Module) -> list[nn.Linear]:
    if not isinstance(model, nn.Sequential):
        raise LTHInputError(f"model must be a torch.nn.Sequential, got {type(model).__name__}")
    mods = [m for m in model if not isinstance(m, nn.Flatten)]
    lins = [m for m in mods if isinstance(m, nn.Linear)]
    if not lins:
        raise LTHInputError("model must contain at least one nn.Linear layer")
    expect: Sequence[type] = [
        nn.Linear if i % 2 == 0 else nn.ReLU for i in range(2 * len(lins) - 1)
    ]
    if len(mods) != len(expect) or any(
        not isinstance(m, t) for m, t in zip(mods, expect, strict=True)
    ):
        names = ", ".join(type(m).__name__ for m in mods)
        raise LTHInputError(
            f"model must alternate Linear and ReLU layers (a ReLU MLP), got {names}"
        )
    return lins


def from_torch(
    model: nn.Module, box: tuple[float, float] = (-1.0, 1.0)
) -> tuple[ReLUNetwork, list[np.ndarray]]:
    """A masked (or plain) torch ReLU MLP as a :class:`ReLUNetwork` on ``box`` and its boolean
    masks (``weight_mask`` where pruned, the support of the weights otherwise)."""
    box = check_box(box)
    weights, biases, masks = [], [], []
    for lin in _linear_layers(model):
        with torch.no_grad():
            if hasattr(lin, "weight_mask"):
                m = lin.weight_mask.detach().cpu().numpy().astype(bool)
                w = (lin.weight_orig * lin.weight_mask).detach().cpu().double().numpy()
            else:
                w = lin.weight.detach().cpu().double().numpy()
                m = w != 0
            b = (
                lin.bias.detach().cpu().double().numpy()
                if lin.bias is not None
                else np.zeros(w.shape[0])
            )
        weights.append(w)
        biases.append(b)
        masks.append(m)
    return ReLUNetwork(tuple(weights), tuple(biases), box), masks
