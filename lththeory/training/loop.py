"""The training loop shared by every method, its evaluation, and what training costs
(docs/theory.md §7.3).

Cost is counted, not timed: per example a weight layer applied at ``pos`` positions with ``active``
kept weights in the forward pass and ``trainable`` weights (or scores) receiving gradients costs
``2 pos (2 active + trainable)`` FLOPs (forward 2 pos active; gradient to the inputs 2 pos active;
gradient to the trainable entries 2 pos trainable), the usual count for sparse training (a static
mask: 6 pos nnz). A step *updates* its trainable entries and biases. Biases' FLOPs are left out. torch
runs the masked layers dense on the CPU; the counts are what a sparse kernel would do, so they compare
methods, not wall times (``train_seconds`` is reported beside them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._validate import LTHInputError, check_choice, check_positive_int, check_positive_real

__all__ = ["Cost", "LayerCost", "Task", "TrainConfig", "evaluate", "fit", "loss_value"]


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser settings: Adam (or SGD with momentum) at ``lr`` with a cosine decay to 0 over
    ``epochs`` (or a constant rate), minibatches of ``batch_size`` reshuffled every epoch."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    schedule: str = "cosine"
    momentum: float = 0.9
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        check_positive_int(self.epochs, "--epochs")
        check_positive_int(self.batch_size, "--batch-size")
        check_positive_real(self.lr, "--lr")
        check_choice(self.optimizer, "optimizer", ("adam", "sgd"))
        check_choice(self.schedule, "schedule", ("cosine", "constant"))


@dataclass(frozen=True, eq=False)
class Task:
    """Training data as tensors and the loss: ``"ce"`` (classification; the metric is accuracy) or
    ``"mse"`` (regression; the metric is the mean squared error)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    loss: str = "ce"

    @classmethod
    def from_arrays(cls, x_tr, y_tr, x_va, y_va, x_te, y_te, loss: str = "ce") -> Task:
        """Tensors from numpy arrays (labels as int64 for ``"ce"``)."""
        check_choice(loss, "loss", ("ce", "mse"))

        def tx(a) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(a))

        def ty(a) -> torch.Tensor:
            return tx(a).long() if loss == "ce" else tx(a)

        return cls(tx(x_tr), ty(y_tr), tx(x_va), ty(y_va), tx(x_te), ty(y_te), loss)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


@dataclass(frozen=True)
class LayerCost:
    """Per prunable layer: output positions per example, weights active in the forward pass and
    entries trained (weights or scores)."""

    positions: Sequence[int]
    active: Sequence[int]
    trainable: Sequence[int]
    biases: int = 0

    def flops_per_example(self) -> float:
        return float(
            sum(
                2 * p * (2 * a + t)
                for p, a, t in zip(self.positions, self.active, self.trainable, strict=True)
            )
        )

    def updates_per_step(self) -> int:
        return int(sum(self.trainable)) + int(self.biases)


@dataclass
class Cost:
    """What training spent: optimiser steps, examples seen, FLOPs and entries updated."""

    steps: int = 0
    examples: int = 0
    flops: float = 0.0
    updates: int = 0
    epochs: int = 0
    extra_flops: float = field(default=0.0)

    def add(self, other: Cost) -> Cost:
        return Cost(
            self.steps + other.steps,
            self.examples + other.examples,
            self.flops + other.flops,
            self.updates + other.updates,
            self.epochs + other.epochs,
            self.extra_flops + other.extra_flops,
        )

    @property
    def total_flops(self) -> float:
        """Training FLOPs plus the FLOPs of computing pruning scores (SNIP, SynFlow)."""
        return self.flops + self.extra_flops


def loss_value(out: torch.Tensor, y: torch.Tensor, kind: str) -> torch.Tensor:
    """Cross-entropy (``"ce"``) or mean squared error (``"mse"``) of a batch."""
    if kind == "ce":
        return F.cross_entropy(out, y)
    return F.mse_loss(out.reshape(y.shape), y)


def fit(
    model: nn.Module,
    task: Task,
    cfg: TrainConfig,
    generator: torch.Generator,
    cost: LayerCost,
    params: Sequence[torch.Tensor] | None = None,
    start_epoch: int = 0,
    stop_epoch: int | None = None,
) -> Cost:
    """Train ``params`` (default: every parameter that requires a gradient) for epochs
    ``start_epoch..stop_epoch-1`` (default: to the end) of the ``cfg.epochs``-epoch schedule;
    returns the cost of those epochs."""
    start_epoch = check_positive_int(start_epoch, "start_epoch", minimum=0)
    stop = cfg.epochs if stop_epoch is None else min(int(stop_epoch), cfg.epochs)
    if start_epoch >= stop:
        return Cost()
    ps = [p for p in (model.parameters() if params is None else params) if p.requires_grad]
    if not ps:
        raise LTHInputError("fit: nothing to train (no parameter requires a gradient)")
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(ps, lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.SGD(ps, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    n = len(task.y_train)
    bs = min(cfg.batch_size, n)
    per_epoch = math.ceil(n / bs)
    total = cfg.epochs * per_epoch
    model.train()
    steps = 0
    for epoch in range(start_epoch, stop):
        order = torch.randperm(n, generator=generator)
        for b in range(per_epoch):
            if cfg.schedule == "cosine":
                t = (epoch * per_epoch + b) / total
                for g in opt.param_groups:
                    g["lr"] = cfg.lr * 0.5 * (1.0 + math.cos(math.pi * t))
            idx = order[b * bs : (b + 1) * bs]
            opt.zero_grad(set_to_none=True)
            loss_value(model(task.x_train[idx]), task.y_train[idx], task.loss).backward()
            opt.step()
            steps += 1
    epochs = stop - start_epoch
    return Cost(
        steps=steps,
        examples=epochs * n,
        flops=epochs * n * cost.flops_per_example(),
        updates=steps * cost.updates_per_step(),
        epochs=epochs,
    )


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str = "ce") -> float:
    """Accuracy (``loss="ce"``) or mean squared error (``"mse"``) of ``model`` on (x, y)."""
    model.eval()
    outs = [model(x[i : i + 4096]) for i in range(0, len(x), 4096)]
    out = torch.cat(outs) if outs else torch.empty(0)
    model.train()
    if loss == "ce":
        return float((out.argmax(dim=1) == y).double().mean())
    return float(F.mse_loss(out.reshape(y.shape), y))
