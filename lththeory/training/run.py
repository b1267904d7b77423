"""One training trial of one variant, and the summary of a variant over seeds (docs/theory.md §7).

A *variant* is a method, a start (``"dense"`` or ``"er"``) and the ER mask's settings (scheme, mask
kind, first layer dense, exact or reference densities, minimum fan-in, and for pruning methods the
density ``er_density`` of the mask they start from). A trial draws, from its SeedSequence ``ss``:
the init from child 0, the ER mask from child (1, crc32(scheme), float_key(mask density)) and the
batches and method draws from child 2 -- so the same seed gives every variant the same init and
every method the same ER mask (paired comparisons), and nothing depends on the worker.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .._validate import LTHInputError, check_choice, check_density
from ..densities import SCHEMES
from ..stats import child_generator, child_seedseq, float_key, mean_interval
from .data import Dataset
from .loop import Cost, Task, TrainConfig
from .masks import MaskReport, attach_masks, mask_report, planned_densities, sample_er_masks
from .methods import STARTS, load_method, method_entry
from .methods.common import MethodOptions, Setup
from .models import build_model, init_parameters, layer_shapes, positions, torch_generator

__all__ = [
    "ModelSpec",
    "TrialResult",
    "Variant",
    "accuracy_interval",
    "dataset_task",
    "run_trial",
    "summarise",
    "trial_seedseq",
]


@dataclass(frozen=True)
class Variant:
    """What is trained: method, start and the ER mask's settings (see the module docstring)."""

    method: str
    start: str = "er"
    scheme: str = "balanced"
    er_density: float | None = None
    mask: str = "bernoulli"
    dense_first_layer: bool = False
    exact: bool = True
    min_fan_in: int = 0

    def __post_init__(self) -> None:
        entry = method_entry(self.method)
        check_choice(self.start, "--start", STARTS)
        check_choice(self.scheme, "scheme", SCHEMES)
        if self.er_density is not None:
            check_density(self.er_density, "--er-density")
        if self.start == "er" and entry.prunes and self.er_density is None:
            raise LTHInputError(
                f"--method {self.method} --start er needs --er-density (the ER mask it prunes in)"
            )

    def mask_density(self, density: float) -> float | None:
        """Density of the ER mask the trial starts from (None: the dense network)."""
        if self.start == "dense":
            return None
        return float(density) if not method_entry(self.method).prunes else self.er_density

    def check(self, densities: Sequence[float]) -> None:
        """Refuse targets above the ER mask a pruning method starts from."""
        if self.start == "er" and method_entry(self.method).prunes:
            bad = [d for d in densities if d > self.er_density * (1 + 1e-12)]
            if bad:
                raise LTHInputError(
                    f"--density {bad[0]:g} is above --er-density {self.er_density:g}: a method "
                    "inside an ER mask can only remove entries of the mask"
                )

    @property
    def uses_scheme(self) -> bool:
        """Whether the scheme matters: an ER mask, or a layer-wise method (edge-popup)."""
        return self.start == "er" or method_entry(self.method).strong

    def label(self) -> str:
        return f"{self.method} from {self.start}" + (
            f" ({self.scheme})" if self.uses_scheme else ""
        )


@dataclass(frozen=True)
class ModelSpec:
    """``kind`` "mlp" (with ``hidden`` widths) or "cnn" (the small CNN of ``models.small_cnn``)."""

    kind: str = "mlp"
    hidden: tuple[int, ...] = (100, 100)


@dataclass(frozen=True, eq=False)
class TrialResult:
    """One trained network: the variant, the target density, test and validation metrics, the
    realised masks of the result and of the start, the planned layer densities, cost and time."""

    variant: Variant
    target: float
    test: float
    val: float
    report: MaskReport
    start_report: MaskReport
    planned: tuple[float, ...]
    cost: Cost
    seconds: float


def dataset_task(ds: Dataset) -> Task:
    """The classification :class:`Task` of a :class:`~lththeory.training.data.Dataset`."""
    return Task.from_arrays(ds.x_train, ds.y_train, ds.x_val, ds.y_val, ds.x_test, ds.y_test, "ce")


def trial_seedseq(ss: np.random.SeedSequence, trial: int) -> np.random.SeedSequence:
    """Trial ``trial``'s sequence: child ``trial`` of the point's (or run's) sequence."""
    return child_seedseq(ss, trial)


def run_trial(
    task: Task,
    n_classes: int,
    variant: Variant,
    densities: Sequence[float],
    model: ModelSpec,
    cfg: TrainConfig,
    options: MethodOptions,
    ss: np.random.SeedSequence,
) -> list[TrialResult]:
    """Train ``variant`` once per target in ``densities`` (IMP shares one trajectory); one thread."""
    torch.set_num_threads(1)
    targets = sorted((check_density(d, "density") for d in densities), reverse=True)
    variant.check(targets)
    if not method_entry(variant.method).prunes and variant.start == "er" and len(targets) > 1:
        return [
            r
            for d in targets
            for r in run_trial(task, n_classes, variant, [d], model, cfg, options, ss)
        ]
    net = build_model(model.kind, task.input_shape, n_classes, model.hidden)
    shapes = layer_shapes(net)

    def plan(d: float) -> np.ndarray:
        return planned_densities(
            shapes, d, variant.scheme, variant.dense_first_layer, variant.exact
        )

    layer_targets = [plan(d) for d in targets]
    d_mask = variant.mask_density(targets[0])
    if d_mask is None:
        base = [torch.ones(s, dtype=torch.bool) for s in shapes]
    else:
        rng = child_generator(ss, 1, zlib.crc32(variant.scheme.encode()), float_key(d_mask))
        base = sample_er_masks(shapes, plan(d_mask), rng, variant.mask, variant.min_fan_in)
    start = mask_report(base)
    init_parameters(net, start.densities, torch_generator(child_seedseq(ss, 0)))
    attach_masks(net, base)
    setup = Setup(
        net,
        task,
        base,
        targets,
        layer_targets,
        cfg,
        options,
        torch_generator(child_seedseq(ss, 2)),
        positions(net, task.input_shape),
        start_density=1.0 if d_mask is None else float(d_mask),
    )
    outcomes = load_method(variant.method)(setup)
    by_target = dict(zip(targets, layer_targets, strict=True))
    return [
        TrialResult(
            variant,
            o.target,
            o.test,
            o.val,
            o.report,
            start,
            tuple(float(p) for p in by_target.get(o.target, layer_targets[0])),
            o.cost,
            o.seconds,
        )
        for o in outcomes
    ]


def accuracy_interval(
    values: Sequence[float], confidence: float = 0.95
) -> tuple[float, float, float]:
    """(mean, low, high): the t-interval of accuracies over seeds clipped to [0, 1] (an accuracy
    lies there, so clipping loses no coverage); nan bounds for one seed."""
    a = mean_interval(list(values), confidence)
    return a.mean, max(a.low, 0.0), min(a.high, 1.0)


def summarise(results: Sequence[TrialResult], confidence: float = 0.95, clip: bool = True) -> dict:
    """The columns of a variant at one target over its seeds: test accuracy with its t-interval
    (clipped to [0, 1] when ``clip``; None for one seed), validation metric, realised densities,
    epochs, seconds, FLOPs and updates (means over seeds)."""
    if not results:
        raise LTHInputError("summarise needs at least one trial result")
    acc = mean_interval([r.test for r in results], confidence)
    if acc.n < 2:
        low = high = None
    elif clip:  # an accuracy lies in [0, 1]: clipping the t-interval loses no coverage
        low, high = max(acc.low, 0.0), min(acc.high, 1.0)
    else:
        low, high = acc.low, acc.high
    layers = np.mean([r.report.densities for r in results], axis=0)
    return {
        "trials": len(results),
        "accuracy": acc.mean,
        "ci_low": low,
        "ci_high": high,
        "accuracy_std": acc.std if acc.n > 1 else None,
        "val_accuracy": float(np.mean([r.val for r in results])),
        "realised_density": float(np.mean([r.report.density for r in results])),
        "layer_densities": ";".join(f"{d:.6g}" for d in layers),
        "start_density": float(np.mean([r.start_report.density for r in results])),
        "epochs": float(np.mean([r.cost.epochs for r in results])),
        "train_seconds": float(np.mean([r.seconds for r in results])),
        "train_flops": float(np.mean([r.cost.total_flops for r in results])),
        "weight_updates": float(np.mean([r.cost.updates for r in results])),
    }
