"""The depth L+1 strong-ticket construction (univariate first layer; docs/theory.md §5.2).

Source neuron layer 1 holds d blocks of k_0 neurons (block j reads only x_j, its bias deleted) and a
block of k_c "constant" neurons; neuron layer l+1 (l = 1..L-1) holds n_l blocks of k_l *copies* of
target neuron i of layer l plus a constant block; neuron layer L+1 holds the n_L outputs.

* Layer 1 -> 2. A univariate neuron u with weight theta_u > 0 outputs theta_u phi(x_j), one with
  theta_u < 0 outputs |theta_u| phi(-x_j). As x = phi(x) - phi(-x), a copy v of target neuron i meets
  W_1[i, j] x_j with two subset sums over surviving paths x_j -> u -> v: over the positive-theta
  neurons, sum eta_vu theta_u ~ W_1[i, j], and over the negative-theta neurons,
  sum eta_vu |theta_u| ~ -W_1[i, j]. Candidates are products of two U[-1, 1] draws.
* Layer l -> l+1 (l >= 2). Copy v of target neuron i meets W_l[i, j] by a subset sum of its own
  surviving edge weights eta_vu from valid copies u of j (candidates U[-1, 1]).
* Biases. Constant neurons keep their (positive) bias and lose every input, so they output b_c;
  target bias b_l[i] is met by a subset sum over {own bias of v} and {eta_vc b_c}.
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

__all__ = ["UNIVARIATE", "construct_univariate"]


def layout(
    widths: Sequence[int], k: Sequence[int], kc: Sequence[int]
) -> tuple[tuple[tuple[int, ...], ...], tuple[bool, ...]]:
    """Neuron blocks: d inputs; per layer l the copies of target layer l-1 (and a constant block
    where k_c > 0); the outputs."""
    return block_layout(widths, k, kc, target_layers=False)


def candidate_sets(
    t: ReLUNetwork, ks: Sequence[int], ps: Sequence[float], signs: int, m: list, nb: list
) -> list[CandidateSet]:
    """Per input j and copy v of a layer-1 target neuron one set per sign, q = p_1 p_2 / 2; per copy
    of a layer-(l+1) neuron and in-neighbour j one set over the copies of j, q = p_{l+2}; per bias
    one set over the constant block, q = p_{l+1} / 2 (docs/theory.md §5.5)."""
    L = t.depth
    K = list(ks[1:]) + [1]  # copies of target layer l (l = 1..L), outputs 1
    out = [
        CandidateSet(
            "layer 1 (x_j -> u -> v)",
            ("k", 0),
            1,
            ps[0] * ps[1] / 2,
            signs * m[0] * K[0],
            "product",
            weight_values(t, 1),
        )
    ]
    for l in range(2, L + 1):
        out.append(
            CandidateSet(
                f"layer {l} (copies of layer {l - 1})",
                ("k", l - 1),
                l,
                ps[l],
                m[l - 1] * K[l - 1],
                "uniform",
                weight_values(t, l),
            )
        )
    for l in range(1, L + 1):
        if nb[l - 1]:
            out.append(
                CandidateSet(
                    f"bias {l}",
                    ("k_const", l - 1),
                    l,
                    ps[l] / 2,
                    nb[l - 1] * K[l - 1],
                    "product",
                    bias_values(t, l),
                )
            )
    return out


def error_amplification(S: np.ndarray, A: float, W: np.ndarray) -> float:
    """alpha_l = max_i |N_l(i)| A: a weight's selected candidates amplify an error by at most A."""
    return int(S.sum(axis=1).max()) * A


def predicted_size(
    t: ReLUNetwork,
    ks: Sequence[int],
    kc: Sequence[int],
    ps: Sequence[float],
    bud: ErrorBudget,
    signs: int,
    candidates: int,
) -> float:
    """Walking down from the outputs: kept copies of neuron j are min(K, m_j n_l / 2) for m_j kept
    readers of j; every kept copy adds its subset sums' edges, every kept univariate neuron one."""
    L = t.depth
    layers = layer_structure(t)
    size = 0.0
    kept = np.ones(t.widths[L])  # outputs
    for l in range(L, 0, -1):
        S, beta = layers[l - 1]
        p_in = ps[l]  # weight layer l+1
        q_w = ps[0] * ps[1] / 2 if l == 1 else p_in
        n_w = planned_candidates(bud, l, candidates, ks[l - 1] * q_w)
        n_b = planned_candidates(bud, l, candidates, kc[l - 1] * p_in / 2 + 1)
        sg = signs if l == 1 else 1
        size += float(kept @ (S.sum(axis=1) * sg * n_w / 2 + beta * n_b / 2))
        readers = kept @ S  # kept neurons reading each neuron j of layer l-1
        if l > 1:
            kept = np.minimum(ks[l - 1], readers * n_w / 2)
        else:
            size += float(np.minimum(ks[0] * ps[0], readers * sg * n_w / 2).sum())
    return float(size)


def construct_univariate(
    target: ReLUNetwork,
    source: StrongSource,
    eps: float,
    *,
    max_candidates: int = MAX_CANDIDATES,
    amplification: str | float = "typical",
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
    """Depth L+1 strong ticket for ``target`` inside ``source`` (docs/theory.md §5.2, §5.4).

    Bottom-up, block by block: every copy of every target neuron solves its subset sums exactly over at
    most ``max_candidates`` candidates (valid copies of the layer below are offered in order of
    increasing certificate). A copy is *valid* when its certificate E(v) is at most E_l, the rule's
    error for layer l (:func:`lththeory.strong.error_budget` with ``amplification``); the outputs need
    E(o) <= eps. Hidden copies that are not valid are never used. The ticket keeps, top-down from the
    outputs, the selected edges of the kept neurons with their source values unchanged. Certificates:
    layer 1 E(v) = max(e_b + sum_j max(0, e_j+ R_+, e_j- R_-), -(e_b + sum_j min(0, e_j+ R_+, e_j- R_-)))
    (signed errors; the exact sup of the pre-activation error over the box); above,
    E(v) = |e_b| + sum_j [|e_vj| H_{l-1,j} + sum_{u in S_vj} |eta_vu| E(u)].
    ``evaluate``: also estimate the error (:func:`lththeory.strong.estimate_error` with ``n_points``,
    ``n_local``, ``seed``). ``jobs``: worker processes over the target neurons of a layer (the result
    does not depend on it). ``objective``: ``"threshold"`` (default: a subset sum gets more candidates
    only while its copy misses its budget) or ``"min-error"`` (every subset sum solved to its best
    error over all its candidates up to ``max_candidates``; validity is unchanged, so the certified
    error is the best this construction reaches at this width). ``engine``: the subset-sum engine
    (:func:`lththeory.subset_sum.solve_batch`; the ticket does not depend on it up to ties).
    """
    t, eps, nmax = check_construction_inputs(target, source, eps, "univariate", max_candidates)
    jobs = check_positive_int(jobs, "jobs")
    groups = group_option(group_size, max_groups)
    if groups is not None:  # the theorem's construction: worst-case amplification A = g
        amplification, nmax = "worst", groups[0]
    width = nmax if groups is None else groups[0] * groups[1] + 1
    objective, engine = check_solver_options(objective, engine)
    L = t.depth
    d = t.input_dim
    budget = error_budget(t, eps, "univariate", amplification, nmax)
    nmax = width
    taus = budget.layer_errors()
    N = source.widths
    # ---- neuron layer 1: univariate neurons (exact) and constant neurons
    off1 = source.offsets(1)
    theta = np.zeros(N[1])
    uvalid = np.zeros(N[1], dtype=bool)
    for j in range(d):
        w, m = source.block(1, j, j)
        theta[off1[j] : off1[j + 1]] = w[:, 0]
        uvalid[off1[j] : off1[j + 1]] = m[:, 0] & (w[:, 0] != 0)
    theta[~uvalid] = 0.0
    valid, cert = uvalid, np.zeros(N[1])
    const_vals: dict[int, np.ndarray] = {}
    for l in range(1, L + 1):  # constant neurons of neuron layer l (serve target layer l's biases)
        if source.const[l]:
            const_vals[l] = source.block_biases(l, len(source.blocks[l]) - 1)
    results = {}
    valid_counts: list[np.ndarray] = []
    with worker_pool(jobs) as pool:
        for l in range(1, L + 1):  # target layer l -> source weight layer l+1
            ls = l + 1
            ctx = LayerContext.for_layer(
                source,
                t,
                budget,
                l,
                nmax,
                rows_layer=ls,
                cols_layer=l,
                kind="path" if l == 1 else "copies",
                keep_all_rows=l == L,
                tau=eps if l == L else taus[l - 1],
                col_valid=valid,
                col_cert=cert,
                theta=theta,
                cvals=const_vals.get(l),
                groups=groups,
                objective=objective,
                engine=engine,
            )
            res = build_layer(ctx, t.widths[l], pool, jobs)
            if l < L:
                roff = source.offsets(ls)
                valid = res.valid.copy()
                valid[roff[t.widths[l]] :] = False  # constant neurons are no copies
                cert = np.where(valid, res.cert, np.inf)
                valid_counts.append(
                    np.add.reduceat(valid[: roff[t.widths[l]]], roff[: t.widths[l]]).astype(int)
                )
            results[ls] = res
    out_res = results[L + 1]
    context = ""
    if not out_res.valid.all() and L >= 2:
        zero = [int(i) for i in np.flatnonzero(valid_counts[-1] == 0)[:5]]
        context = (
            f" (valid copies per neuron of layer {L - 1}: min {int(valid_counts[-1].min())}"
            + (f", none for neurons {zero}" if zero else "")
            + ")"
        )
    state = Assembly(
        t,
        source,
        eps,
        budget,
        results,
        {1: theta},
        const_vals,
        [(L + 1, out_res.valid, L, eps)],
        valid_counts,
        out_res.cert,
        context,
    )
    return finalise(state, Evaluation(evaluate, n_points, n_local, seed))


#: the depth L+1 construction in the construction registry
UNIVARIATE = CONSTRUCTIONS.register(
    "univariate",
    StrongConstructionSpec(
        name="univariate",
        family="strong",
        description="depth L+1: univariate first layer, subset sums over copies (Burkholz 2022)",
        depth=lambda L: L + 1,
        sample_source=sample_source,
        construct=construct_univariate,
        layout=layout,
        candidate_sets=candidate_sets,
        amplification=error_amplification,
        cap=lambda eps_l, fan: eps_l,
        predicted_size=predicted_size,
    ),
)
