"""Assembling a strong ticket: top-down pruning of the rows a construction built, then the verdict
from the certificates and the sampled error (docs/theory.md §5.4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..network import ReLUNetwork
from .budget import ErrorBudget
from .certificates import LayerResult
from .estimate import estimate_error
from .results import StrongConstruction, StrongTicket, WeightFailure
from .source import StrongSource

__all__ = ["Assembly", "Evaluation", "finalise"]


@dataclass(frozen=True, eq=False)
class Assembly:
    """Everything a construction hands over for pruning and the verdict.

    ``results[l]``: the rows of source layer l built by subset sums; ``path_theta[l]``: the path
    weights of a layer whose neurons keep one edge each (univariate / intermediate layers);
    ``const_vals[l]``: the outputs of layer l's constant neurons; ``required``: per checked layer
    (source layer, validity, target layer, budget) -- success needs every entry valid;
    ``valid_counts``: valid copies per target neuron; ``out_cert``: the outputs' certificates;
    ``context``: appended to a failure message.
    """

    target: ReLUNetwork
    source: StrongSource
    eps: float
    budget: ErrorBudget
    results: dict[int, LayerResult]
    path_theta: dict[int, np.ndarray]
    const_vals: dict[int, np.ndarray]
    required: list[tuple[int, np.ndarray, int, float]]
    valid_counts: list[np.ndarray]
    out_cert: np.ndarray
    context: str = ""


@dataclass(frozen=True)
class Evaluation:
    """Whether and how to estimate the ticket's sup error (:func:`estimate_error`)."""

    evaluate: bool = True
    n_points: int = 4096
    n_local: int = 4
    seed: object = 0


def _prune(state: Assembly) -> StrongTicket:
    """The ticket: from the outputs down, the kept rows' selected edges with their source values."""
    source, results, path_theta, const_vals = (
        state.source,
        state.results,
        state.path_theta,
        state.const_vals,
    )
    D = source.depth
    N = source.widths
    kept: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * (D + 1)
    kept[D] = np.arange(N[D], dtype=np.int64)
    entries: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for ls in range(D, 0, -1):
        rows_k = kept[ls]
        if ls in results:
            r, c, v = results[ls].edges()
            m = np.isin(r, rows_k)
            entries[ls] = (r[m], c[m], v[m])
            kept[ls - 1] = np.unique(c[m])
        else:  # a path layer: each kept non-constant neuron keeps its single edge from its block
            th = path_theta[ls]
            off = source.offsets(ls)
            nonconst = rows_k[th[rows_k] != 0]
            blk = np.searchsorted(off, nonconst, side="right") - 1
            entries[ls] = (nonconst, blk.astype(np.int64), th[nonconst])
            kept[ls - 1] = np.unique(blk)
    kept[0] = np.arange(N[0], dtype=np.int64)
    weights, masks, biases = [], [], []
    for ls in range(1, D + 1):
        r, c, v = entries[ls]
        shape = (N[ls], N[ls - 1])
        Wl = sp.csr_array((v, (r, c)), shape=shape)
        Wl.sort_indices()
        Ml = sp.csr_array((np.ones(r.size, dtype=bool), (r, c)), shape=shape)
        Ml.sort_indices()
        if Wl.nnz != r.size:
            raise RuntimeError(f"ticket layer {ls} holds a duplicate edge (internal error)")
        weights.append(Wl)
        masks.append(Ml)
        bvec = np.zeros(N[ls])
        if ls in results:
            rows_b = kept[ls][results[ls].own_bias[kept[ls]]]
            bvec[rows_b] = fetch_biases(source, ls, rows_b)
        if ls in const_vals:
            c0 = source.offsets(ls)[len(source.blocks[ls]) - 1]
            kc = kept[ls][kept[ls] >= c0]
            bvec[kc] = const_vals[ls][kc - c0]
        biases.append(bvec)
    # the same function on the kept neurons only (an empty layer is represented by one unkept
    # neuron: its row is empty and its bias 0, so it outputs 0 and changes nothing)
    idx = [k if k.size else np.zeros(1, dtype=np.int64) for k in kept]
    cw, cb = [], []
    for ls in range(1, D + 1):
        Wl = weights[ls - 1][idx[ls], :][:, idx[ls - 1]]
        cw.append(sp.csr_array(Wl))
        cb.append(biases[ls - 1][idx[ls]])
    compact = ReLUNetwork(tuple(cw), tuple(cb), state.target.box)
    return StrongTicket(
        tuple(masks), tuple(weights), tuple(biases), tuple(kept), compact, source.num_weights()
    )


def _failures(state: Assembly) -> tuple[list[WeightFailure], list[str]]:
    """Per failing checked layer: a note, the weight with the largest term of the worst certificate
    and the first weights that missed their precision."""
    failures: list[WeightFailure] = []
    notes = []
    for ls, v, layer, tau in state.required:
        if v.all():
            continue
        res = state.results[ls]
        bad = np.flatnonzero(~v)
        worst = int(bad[np.argmax(res.cert[bad])])
        notes.append(
            f"{bad.size} neuron(s) of target layer {layer} exceed their error budget {tau:.3g} "
            f"(worst certificate {res.cert[worst]:.3g})"
        )
        if res.terms:
            terms = {k: np.concatenate([p[k] for p in res.terms]) for k in res.terms[0]}
            m = np.flatnonzero(terms["row"] == worst)
            if m.size:
                p = m[int(np.argmax(terms["term"][m]))]
                failures.append(
                    WeightFailure(
                        layer,
                        int(terms["i"][p]),
                        int(terms["j"][p]),
                        int(terms["sign"][p]),
                        worst,
                        float(terms["z"][p]),
                        float(terms["err"][p]),
                        state.budget.eps_prime[layer - 1],
                        int(terms["cnt"][p]),
                        note=(
                            f"the largest term, {terms['term'][p]:.3g}, of the certificate "
                            f"{res.cert[worst]:.3g} > {tau:.3g}"
                        ),
                    )
                )
        failures.extend(res.failures)
    return failures, notes


def finalise(state: Assembly, evaluation: Evaluation) -> StrongConstruction:
    """Prune into the ticket, estimate its error and decide success: every checked row valid and
    the outputs' certificate (a rigorous bound on the sup error over the box) at most eps."""
    eps = state.eps
    ticket = _prune(state)
    failures, notes = _failures(state)
    all_valid = all(bool(v.all()) for _, v, _, _ in state.required)
    cert = float(state.out_cert.max()) if state.out_cert.size else 0.0
    est = None
    if evaluation.evaluate:
        est = estimate_error(
            ticket.network,
            state.target,
            n_points=evaluation.n_points,
            n_local=evaluation.n_local,
            seed=evaluation.seed,
        )
    # margin for the floating-point rounding of the certificate's own sums
    success = all_valid and cert * (1.0 + 1e-9) <= eps
    if success and est is not None and not est.max_error <= eps:
        success = False
        notes.append(
            f"measured error {est.max_error:.3g} exceeds eps = {eps:g} although certified "
            f"({cert:.3g}): internal error"
        )
    if success:
        msg = (
            f"strong ticket found: certified error {cert:.3g} <= eps = {eps:g}"
            + (f", measured {est.max_error:.3g}" if est is not None else "")
            + f"; {ticket.size} weights ({ticket.density:.3g} of the dense source)"
        )
    else:
        first = f"; first failing: {failures[0].describe()}" if failures else ""
        msg = "no strong ticket within eps: " + "; ".join(notes) + first + state.context
    return StrongConstruction(
        success,
        eps,
        state.budget,
        cert,
        est,
        ticket,
        tuple(state.valid_counts),
        tuple(failures),
        msg,
        state.source,
        int(sum(r.n_problems for r in state.results.values())),
    )


def fetch_biases(source: StrongSource, ls: int, rows: np.ndarray) -> np.ndarray:
    """Source biases of the given (sorted) rows of neuron layer ls, one block at a time."""
    if rows.size == 0:
        return np.empty(0)
    off = source.offsets(ls)
    blk = np.searchsorted(off, rows, side="right") - 1
    out = np.empty(rows.size)
    for r in np.unique(blk):
        sel = blk == r
        out[sel] = source.block_biases(ls, int(r))[rows[sel] - off[r]]
    return out
