"""Planted tickets: does training find the ticket that Theorem W says exists? (docs/theory.md §7.5)

The teacher is a target network f_T; the student is the ER source of Theorem W at copy multiplier k
(depth L+1, masks from :func:`lththeory.weak.sample_source`), exported with
:func:`lththeory.export.to_torch` (weights N(0, 2 / kept fan-in), zero biases); the data are the
teacher's outputs on uniform points of the box (the corners added to the training set). The student
*reaches the teacher's loss* (which is 0) when its relative test error
MSE / Var(f_T) on fresh box points is at most ``tolerance`` (default 0.01: it explains at least 99 %
of the teacher's variance). Two ways to train it: ``static`` (every weight of the ER mask) and
``imp`` inside the mask (magnitude pruning down to ``imp_keep`` of the mask's entries, rewinding).
On the same masks :func:`lththeory.weak.construct` says whether the construction's ticket exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .._validate import check_positive_int, check_positive_real, check_probability_open
from ..export import to_torch
from ..network import ReLUNetwork, box_points
from ..stats import child_generator, child_seedseq
from ..weak import WeakSource, construct
from .loop import Task, TrainConfig, evaluate
from .masks import mask_report, model_masks
from .methods import load_method
from .methods.common import MethodOptions, Setup
from .models import positions, torch_generator

__all__ = ["PlantedConfig", "PlantedTrial", "planted_task", "relative_error", "train_student"]


@dataclass(frozen=True)
class PlantedConfig:
    """Data sizes, optimiser settings, the tolerance on the relative error, and IMP's settings."""

    n_train: int = 2048
    n_test: int = 1024
    epochs: int = 100
    batch_size: int = 256
    lr: float = 3e-3
    tolerance: float = 0.01
    imp_keep: float = 0.5
    imp_fraction: float = 0.5
    rewind_epoch: int = 1

    def __post_init__(self) -> None:
        check_positive_int(self.n_train, "--n-train")
        check_positive_int(self.n_test, "--n-test")
        check_positive_real(self.tolerance, "--tolerance")
        check_probability_open(self.imp_keep, "--imp-keep")
        check_probability_open(self.imp_fraction, "--imp-fraction")

    def train_config(self) -> TrainConfig:
        return TrainConfig(self.epochs, self.batch_size, self.lr)


@dataclass(frozen=True)
class PlantedTrial:
    """One student: relative test errors after static and IMP training, whether each reached the
    teacher's loss, whether the construction finds a ticket in the same masks, and sizes."""

    static_error: float
    imp_error: float
    static_reached: bool
    imp_reached: bool
    ticket_in_mask: bool
    mask_weights: int
    imp_weights: int


def planted_task(teacher: ReLUNetwork, cfg: PlantedConfig, rng: np.random.Generator) -> Task:
    """Teacher outputs on ``n_train`` uniform box points plus the corners (train), ``n_test`` fresh
    points (validation and test: the same draw), float64."""
    d = teacher.input_dim
    x_tr = box_points(d, cfg.n_train, teacher.box, rng, corners=True)
    x_te = box_points(d, cfg.n_test, teacher.box, rng, corners=False)
    y_tr, y_te = teacher(x_tr), teacher(x_te)
    return Task.from_arrays(x_tr, y_tr, x_te, y_te, x_te, y_te, loss="mse")


def relative_error(mse: float, y: torch.Tensor) -> float:
    """MSE / Var(y) (variance over points and outputs; 0 for a constant teacher is mapped to mse)."""
    var = float(((y - y.mean(dim=0)) ** 2).mean())
    return mse / var if var > 0 else mse


def train_student(
    teacher: ReLUNetwork,
    source: WeakSource,
    task: Task,
    cfg: PlantedConfig,
    ss: np.random.SeedSequence,
) -> PlantedTrial:
    """Train the masked student of ``source`` on ``task`` both ways (init from child 0 of ``ss``,
    batches from child 1); one torch thread."""
    torch.set_num_threads(1)
    model = to_torch(source, rng=child_generator(ss, 0))
    base = model_masks(model)
    rep = mask_report(base)
    keep = max(cfg.imp_keep * rep.density, 1.0 / sum(rep.sizes))
    tc = cfg.train_config()
    opts = MethodOptions(imp_fraction=cfg.imp_fraction, rewind_epoch=cfg.rewind_epoch)
    errors = {}
    sizes = {}
    for method, targets in (("static", [rep.density]), ("imp", [keep])):
        setup = Setup(
            model,
            task,
            base,
            targets,
            [np.array(rep.densities)],
            tc,
            opts,
            torch_generator(child_seedseq(ss, 1)),
            positions(model, task.input_shape),
        )
        out = load_method(method)(setup)[-1]
        errors[method] = relative_error(
            evaluate(out.model, task.x_test, task.y_test, "mse"), task.y_test
        )
        sizes[method] = out.report.nnz
    exists = construct(teacher, source, build_ticket=False).success
    tol = cfg.tolerance
    return PlantedTrial(
        errors["static"],
        errors["imp"],
        bool(errors["static"] <= tol),
        bool(errors["imp"] <= tol),
        bool(exists),
        sizes["static"],
        sizes["imp"],
    )
