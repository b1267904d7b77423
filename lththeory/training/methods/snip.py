"""``snip``: single-shot pruning at init by connection sensitivity (docs/theory.md §7.3).

On one batch of training examples drawn at init, the score of weight w is |dL/dw * w| (the loss's
first-order change when w is removed); the largest scores over all layers are kept, among the base
mask's entries only, and the pruned network is trained. Scoring costs one forward and backward pass
of the batch through the base mask (counted in ``Cost.extra_flops``).
"""

from __future__ import annotations

import torch

from ..._validate import check_positive_int
from ..loop import Cost, loss_value
from ..masks import mask_report
from ..models import prunable_layers
from .common import Outcome, Setup, finish, fresh_copy, global_topk, layer_cost, train_masked

__all__ = ["run", "snip_scores"]


def snip_scores(setup: Setup) -> tuple[list[torch.Tensor], int]:
    """|g * w| per prunable layer at init (zero outside the base mask) and the batch size used."""
    n = check_positive_int(setup.options.snip_examples, "--snip-examples")
    task = setup.task
    idx = torch.randperm(len(task.y_train), generator=setup.generator)[:n]
    model = fresh_copy(setup)
    model.zero_grad(set_to_none=True)
    loss_value(model(task.x_train[idx]), task.y_train[idx], task.loss).backward()
    scores = []
    for layer in prunable_layers(model):
        w = layer.weight_orig
        scores.append((w.grad * w).abs().detach() * layer.weight_mask)
    return scores, len(idx)


def run(setup: Setup) -> list[Outcome]:
    """Score once, then prune to each target and train."""
    scores, batch = snip_scores(setup)
    score_flops = batch * layer_cost(setup, setup.base).flops_per_example()
    total = sum(mask_report(setup.base).sizes)
    out = []
    for t in setup.targets:
        masks = global_topk(scores, setup.base, round(t * total))
        model = fresh_copy(setup)
        cost = Cost(extra_flops=score_flops).add(train_masked(setup, model, masks))
        out.append(finish(setup, model, t, cost))
    return out
