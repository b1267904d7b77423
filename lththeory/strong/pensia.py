"""Pensia et al.'s depth 2L strong-ticket construction on the same kind of ER source
(docs/theory.md §5.3).

Target layer l becomes neuron layers 2l-1 (intermediate: block j holds k_l neurons reading only
neuron j of layer 2l-2, plus constant neurons) and 2l (one neuron per target neuron). Neuron i of
layer 2l meets W_l[i, j] by a subset sum of the products eta_iu theta_u over the intermediate
neurons u of block j with both edges surviving: in layer 1 split by the sign of theta_u into the
phi(x_j) and phi(-x_j) halves; above, only theta_u > 0 (their input h_j >= 0 passes the ReLU).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validate import check_positive_int
from ..network import ReLUNetwork
from ..registry import CONSTRUCTIONS
from .budget import (
    MAX_CANDIDATES,
    ErrorBudget,
    error_budget,
    layer_structure,
    planned_candidates,
)
from .results import StrongConstruction
from .rows import (
    LayerContext,
    build_layer,
    check_construction_inputs,
    check_solver_options,
    group_option,
    worker_pool,
)
from .source import StrongSource, block_layout, sample_source
from .spec import StrongConstructionSpec
from .theory import MAX_GROUPS, CandidateSet, bias_values, weight_values
from .ticket import Assembly, Evaluation, finalise

__all__ = ["PENSIA", "construct_pensia"]


def layout(
    widths: Sequence[int], k: Sequence[int], kc: Sequence[int]
) -> tuple[tuple[tuple[int, ...], ...], tuple[bool, ...]]:
    """Neuron blocks: d inputs; per target layer l an intermediate layer (block j: k_l neurons
    reading neuron j, and a constant block where k_c > 0) and a layer of the n_l target neurons."""
    return block_layout(widths, k, kc, target_layers=True)


def candidate_sets(
    t: ReLUNetwork, ks: Sequence[int], ps: Sequence[float], signs: int, m: list, nb: list
) -> list[CandidateSet]:
    """Per weight of layer l one set over the intermediate block, q = p_{2l-1} p_{2l} / 2; per
    bias one set over the constant block, q = p_{2l} / 2 (docs/theory.md §5.5)."""
    out = []
    for l in range(1, t.depth + 1):
        sg = signs if l == 1 else 1
        out.append(
            CandidateSet(
                f"layer {l} (intermediate)",
                ("k", l - 1),
                l,
                ps[2 * l - 2] * ps[2 * l - 1] / 2,
                sg * m[l - 1],
                "product",
                weight_values(t, l),
            )
        )
        if nb[l - 1]:
            out.append(
                CandidateSet(
                    f"bias {l}",
                    ("k_const", l - 1),
                    l,
                    ps[2 * l - 1] / 2,
                    nb[l - 1],
                    "product",
                    bias_values(t, l),
                )
            )
    return out


def error_amplification(S: np.ndarray, A: float, W: np.ndarray) -> float:
    """alpha_l = Lambda_l + 1 with Lambda_l = max_i ||W_l[i, :]||_1: a weight's subset multiplies
    one neuron (rigorous once s_l eps'_l <= 1, which :func:`cap` enforces)."""
    return float(np.abs(W).sum(axis=1).max()) + 1.0


def cap(eps_l: float, fan: int) -> float:
    """eps'_l <= 1 / s_l keeps Lambda_l + s_l eps'_l <= alpha_l."""
    return min(eps_l, 1.0 / max(fan, 1))


def predicted_size(
    t: ReLUNetwork,
    ks: Sequence[int],
    kc: Sequence[int],
    ps: Sequence[float],
    bud: ErrorBudget,
    signs: int,
    candidates: int,
) -> float:
    """Per layer: every weight's and bias's subset-sum edges, and one input edge per kept
    intermediate neuron (the union of the selections, at most the block's surviving neurons)."""
    layers = layer_structure(t)
    size = 0.0
    for l in range(t.depth, 0, -1):
        S, beta = layers[l - 1]
        q_w = ps[2 * l - 2] * ps[2 * l - 1] / 2
        n_w = planned_candidates(bud, l, candidates, ks[l - 1] * q_w)
        n_b = planned_candidates(bud, l, candidates, kc[l - 1] * ps[2 * l - 1] / 2 + 1)
        sg = signs if l == 1 else 1
        size += float(S.sum() * sg * n_w / 2 + beta.sum() * n_b / 2)
        readers = S.sum(axis=0)
        per_j = ks[l - 1] * ps[2 * l - 2] * (1.0 if l == 1 else 0.5)
        size += float(np.minimum(per_j, readers * sg * n_w / 2).sum())
    return float(size)


def construct_pensia(
    target: ReLUNetwork,
    source: StrongSource,
    eps: float,
    *,
    max_candidates: int = MAX_CANDIDATES,
    evaluate: bool = True,
    n_points: int = 4096,
    n_local: int = 4,
    seed: int | np.random.Generator | None = 0,
    jobs: int = 1,
    group_size: int | None = None,
    max_groups: int = MAX_GROUPS,
    objective: str = "threshold",
    engine: str = "auto",
) -> StrongConstruction:
    """Depth 2L strong ticket (Pensia et al. 2020) inside ``source`` (docs/theory.md §5.3-§5.4).

    All selected products of a weight multiply the same h_j, so the amplification is |W_ij + e_ij| and
    the rule of :func:`lththeory.strong.error_budget` (``construction="pensia"``) is rigorous. Success
    needs every target neuron's subset sums within eps'_l (there are no spare copies) and the
    certificate <= eps. ``evaluate``, ``n_points``, ``n_local``, ``seed``, ``jobs``, ``objective``
    and ``engine`` as for :func:`lththeory.strong.construct_univariate`.
    """
    t, eps, nmax = check_construction_inputs(target, source, eps, "pensia", max_candidates)
    jobs = check_positive_int(jobs, "jobs")
    groups = group_option(group_size, max_groups)
    if groups is not None:  # the theorem's construction: worst-case amplification A = g
        nmax = groups[0]
    width = nmax if groups is None else groups[0] * groups[1] + 1
    objective, engine = check_solver_options(objective, engine)
    L = t.depth
    budget = error_budget(t, eps, "pensia", "worst" if groups else "typical", nmax)
    nmax = width
    taus = budget.layer_errors()
    N = source.widths
    results = {}
    path_theta: dict[int, np.ndarray] = {}
    const_vals: dict[int, np.ndarray] = {}
    required: list[tuple[int, np.ndarray, int, float]] = []
    valid_counts: list[np.ndarray] = []
    prev_cert = np.zeros(t.input_dim)
    with worker_pool(jobs) as pool:
        for l in range(1, L + 1):
            li, lo = 2 * l - 1, 2 * l
            n_in = t.widths[l - 1]
            off = source.offsets(li)
            theta = np.zeros(N[li])
            for j in range(n_in):
                w, m = source.block(li, j, j)
                theta[off[j] : off[j + 1]] = np.where(m[:, 0], w[:, 0], 0.0)
            path_theta[li] = theta
            if source.const[li]:
                const_vals[li] = source.block_biases(li, n_in)
            tau = eps if l == L else taus[l - 1]
            ctx = LayerContext.for_layer(
                source,
                t,
                budget,
                l,
                nmax,
                rows_layer=lo,
                cols_layer=li,
                kind="path" if l == 1 else "single",
                keep_all_rows=True,
                tau=tau,
                col_cert=prev_cert,
                theta=theta,
                cvals=const_vals.get(li),
                groups=groups,
                objective=objective,
                engine=engine,
            )
            res = build_layer(ctx, t.widths[l], pool, jobs)
            results[lo] = res
            required.append((lo, res.valid, l, tau))
            valid_counts.append(res.valid.astype(int))
            prev_cert = res.cert
    state = Assembly(
        t,
        source,
        eps,
        budget,
        results,
        path_theta,
        const_vals,
        required,
        valid_counts,
        results[2 * L].cert,
    )
    return finalise(state, Evaluation(evaluate, n_points, n_local, seed))


#: Pensia et al.'s depth 2L construction in the construction registry
PENSIA = CONSTRUCTIONS.register(
    "pensia",
    StrongConstructionSpec(
        name="pensia",
        family="strong",
        description="depth 2L: an intermediate layer per target layer (Pensia et al. 2020)",
        depth=lambda L: 2 * L,
        sample_source=sample_source,
        construct=construct_pensia,
        layout=layout,
        candidate_sets=candidate_sets,
        amplification=error_amplification,
        cap=cap,
        predicted_size=predicted_size,
    ),
)
