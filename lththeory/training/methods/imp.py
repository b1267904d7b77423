"""``imp``: iterative magnitude pruning with weight rewinding (docs/theory.md §7.3).

Train the base mask for the whole schedule, keeping the weights after ``rewind_epoch`` epochs (0:
the init). Then, round after round: keep the largest |w| over all layers among the current mask's
entries (global magnitude), pruning a fixed fraction q of the remaining weights, rewind the kept
weights and train again from the rewind epoch. Densities follow d_{r+1} = (1 - q) d_r, except that a
round which would pass a requested density lands on it (:func:`imp_schedule`); one trajectory
serves every requested density, each reported with the cost spent up to it. Inside an ER mask the
first mask is the ER mask, so every round removes only entries of it; the schedule starts at the
mask's nominal density (``Setup.start_density``), so a Bernoulli mask's sampling noise does not add
a round (the first round then prunes q up to that noise).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..._validate import LTHInputError, check_density, check_positive_int
from ..loop import fit
from ..masks import attach_masks, mask_report
from .common import (
    Outcome,
    Setup,
    copy_model,
    effective_weights,
    finish,
    fresh_copy,
    global_topk,
    layer_cost,
)

__all__ = ["imp_schedule", "run"]


def imp_schedule(start: float, targets: Sequence[float], fraction: float) -> list[float]:
    """The densities of IMP's rounds from ``start`` down to the smallest target: each round keeps
    (1 - fraction) of the last density, except that a round that would pass a target lands on it."""
    if not 0.0 < fraction < 1.0:
        raise LTHInputError(f"--imp-fraction must be in (0, 1), got {fraction}")
    d = check_density(start, "start")
    out: list[float] = []
    for t in sorted((check_density(x, "target") for x in targets), reverse=True):
        if t > d * (1 + 1e-12):
            raise LTHInputError(f"target density {t:g} is above IMP's starting density {d:g}")
        while d * (1.0 - fraction) > t * (1 + 1e-12):
            d *= 1.0 - fraction
            out.append(d)
        if t < d * (1 - 1e-12):
            out.append(t)
        d = t
    return out


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items() if "mask" not in k}


def _rewind(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    with torch.no_grad():
        own = model.state_dict()
        for k, v in state.items():
            own[k].copy_(v)


def _train(setup: Setup, model, masks, start: int = 0, stop: int | None = None):
    return fit(
        model, setup.task, setup.cfg, setup.generator, layer_cost(setup, masks), None, start, stop
    )


def run(setup: Setup) -> list[Outcome]:
    """IMP from the base mask down to every target (one shared trajectory)."""
    opts = setup.options
    rewind_epoch = check_positive_int(opts.rewind_epoch, "--rewind-epoch", minimum=0)
    if rewind_epoch >= setup.cfg.epochs:
        raise LTHInputError(
            f"--rewind-epoch must be below --epochs = {setup.cfg.epochs}, got {rewind_epoch}"
        )
    model = fresh_copy(setup)
    masks = [b.clone() for b in setup.base]
    start = mask_report(masks)
    total = sum(start.sizes)
    d0 = start.density if setup.start_density is None else setup.start_density
    cost = _train(setup, model, masks, 0, rewind_epoch)
    rewind_state = _snapshot(model)
    cost = cost.add(_train(setup, model, masks, rewind_epoch))
    out: list[Outcome] = []
    targets = sorted(setup.targets, reverse=True)
    # a target at the starting density needs no pruning round
    while targets and targets[0] >= d0 * (1 - 1e-12):
        out.append(finish(setup, copy_model(model), targets.pop(0), cost))
    for d in imp_schedule(d0, targets, opts.imp_fraction):
        masks = global_topk([w.abs() for w in effective_weights(model)], masks, round(d * total))
        _rewind(model, rewind_state)
        attach_masks(model, masks)
        cost = cost.add(_train(setup, model, masks, rewind_epoch))
        if any(abs(d - t) <= 1e-12 * t for t in targets):
            out.append(finish(setup, copy_model(model), d, cost))
    return out
