"""``synflow``: iterative, data-free pruning by synaptic flow (docs/theory.md §7.3).

With every weight replaced by |w|, biases by 0 and the input by ones, R = 1^T f(1) is the sum over
input-output paths of the product of their |weights| (ReLU is the identity on this network). The
score of w is |w dR/dw|; over ``synflow_iterations`` rounds the kept count follows the exponential
schedule d_k = d_0 (D / d_0)^(k / n), each round keeping the largest scores among the current mask's
entries (so inside an ER mask only ER entries survive). No training data is read; the rounds' forward
and backward passes (one example each, float64) are counted in ``Cost.extra_flops``.
"""

from __future__ import annotations

import torch

from ..._validate import check_positive_int
from ..loop import Cost
from ..masks import attach_masks, mask_report
from ..models import prunable_layers
from .common import Outcome, Setup, finish, fresh_copy, global_topk, layer_cost, train_masked

__all__ = ["run", "synflow_masks"]


def synflow_masks(setup: Setup, target: float) -> tuple[list[torch.Tensor], float]:
    """The SynFlow masks at global density ``target`` and the FLOPs their rounds cost."""
    n = check_positive_int(setup.options.synflow_iterations, "--synflow-iterations")
    net = fresh_copy(setup).double()
    with torch.no_grad():
        for layer in prunable_layers(net):
            layer.weight_orig.abs_()
            if layer.bias is not None:
                layer.bias.zero_()
    masks = [b.clone() for b in setup.base]
    rep = mask_report(masks)
    total, d0 = sum(rep.sizes), rep.density
    ones = torch.ones((1, *setup.task.input_shape), dtype=torch.float64)
    flops = 0.0
    for k in range(1, n + 1):
        attach_masks(net, masks)
        net.zero_grad(set_to_none=True)
        net(ones).sum().backward()
        scores = [
            (layer.weight_orig.grad * layer.weight_orig).abs().detach()
            for layer in prunable_layers(net)
        ]
        flops += layer_cost(setup, masks).flops_per_example()
        d_k = d0 * (target / d0) ** (k / n)
        masks = global_topk(scores, masks, round(d_k * total))
    return masks, flops


def run(setup: Setup) -> list[Outcome]:
    """Prune to each target without data, then train."""
    out = []
    for t in setup.targets:
        masks, flops = synflow_masks(setup, t)
        model = fresh_copy(setup)
        cost = Cost(extra_flops=flops).add(train_masked(setup, model, masks))
        out.append(finish(setup, model, t, cost))
    return out
