"""Theorem W's construction on explicit ER sources (docs/theory.md §3.1-§3.2).

Source of depth L+1 for a target of depth L: layer 1 holds d blocks of k_0 neurons (block j reads
input j), layer l+1 holds n_l blocks of k_l copies of target layer l (l = 1..L-1), layer L+1 the n_L
outputs; mask l has density p_l (l = 1..L+1). :func:`construct` computes validity layer by layer and
builds the explicit ticket, a subnetwork equal to the target on the box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._arrays import concat_ranges, csr_coo, to_dense
from .._validate import LTHInputError, as_generator, check_choice
from ..masks import check_mask_memory, sample_mask
from ..network import ReLUNetwork
from .theory import normalise_densities, normalise_k, target_supports

__all__ = [
    "WeakConstruction",
    "WeakSource",
    "WeakTicket",
    "construct",
    "sample_source",
    "source_widths",
]


def source_widths(target_widths: Sequence[int], k: Sequence[int]) -> list[int]:
    """(N_0, ..., N_{L+1}) of the block source: d, d k_0, n_1 k_1, ..., n_{L-1} k_{L-1}, n_L."""
    w = list(target_widths)
    L = len(w) - 1
    return [w[0], w[0] * k[0]] + [w[l] * k[l] for l in range(1, L)] + [w[L]]


@dataclass(frozen=True)
class WeakSource:
    """An explicit ER source for Theorem W's block construction.

    ``masks[l]`` (l = 0..L) is the boolean CSR mask of source layer l+1 with shape (N_{l+1}, N_l);
    N_0 = d, N_1 = d k_0, N_{l+1} = n_l k_l, N_{L+1} = n_L. Neuron ``u`` of source layer l+1 (l < L)
    belongs to block ``u // k_l``.
    """

    target_widths: tuple[int, ...]
    k: tuple[int, ...]
    densities: tuple[float, ...]
    masks: tuple[sp.csr_array, ...]

    @property
    def widths(self) -> tuple[int, ...]:
        """(N_0, ..., N_{L+1})."""
        return (self.masks[0].shape[1],) + tuple(m.shape[0] for m in self.masks)

    @property
    def block_sizes(self) -> tuple[int, ...]:
        """Copies per block of source layers 1..L+1 (outputs: 1)."""
        return self.k + (1,)


def sample_source(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    rng: np.random.Generator | int | None = None,
    kind: str = "bernoulli",
) -> WeakSource:
    """Draw the source's masks: ER ("bernoulli", the theory's model) or "fixed" count per layer."""
    sup = target_supports(target)
    L = len(sup)
    ks = normalise_k(k, L)
    ps = normalise_densities(densities, L)
    rng = as_generator(rng, "rng")
    check_choice(kind, "kind", ("bernoulli", "fixed"))
    widths = target.widths
    N = source_widths(widths, ks)
    shapes = [(N[l + 1], N[l]) for l in range(L + 1)]
    check_mask_memory(shapes, ps, "k", kind)  # before anything is drawn
    masks = tuple(sample_mask(shapes[l], ps[l], rng, kind) for l in range(L + 1))
    return WeakSource(tuple(widths), ks, ps, masks)


@dataclass(frozen=True)
class WeakTicket:
    """An explicit weak ticket: a subnetwork of the source with chosen weights.

    ``network`` has the source's widths and sparse weights whose support ``masks`` lies inside the ER
    masks; ``kept[l]`` lists the neurons of source layer l+1 it uses.
    """

    network: ReLUNetwork
    masks: tuple[sp.csr_array, ...]
    kept: tuple[np.ndarray, ...]

    @property
    def size(self) -> int:
        """Number of weights kept."""
        return int(sum(m.nnz for m in self.masks))


@dataclass(frozen=True)
class WeakConstruction:
    """Outcome of the construction on one source.

    ``valid[l]`` (l = 0..L) is the boolean validity of source layer l+1's neurons; ``valid_counts[l]``
    the number of valid copies per block (per input for l = 0, per target neuron of layer l otherwise).
    On failure ``failed`` is the lowest (layer, neuron) of the target with no valid copy
    (layer 0 = an input block) and ``ticket`` is None.
    """

    success: bool
    valid: tuple[np.ndarray, ...]
    valid_counts: tuple[np.ndarray, ...]
    ticket: WeakTicket | None
    failed: tuple[int, int] | None


def _layer_validity(
    mask: sp.csr_array,
    valid_prev: np.ndarray,
    kprev: int,
    support: np.ndarray,
    kcur: int,
) -> np.ndarray:
    """Source neuron u (block i = u // kcur) is valid iff for every j in N(i) it has a mask edge to a
    valid neuron of block j of the layer below (block size kprev)."""
    n_prev = support.shape[1]
    rows, cols = csr_coo(mask)
    keep = valid_prev[cols]
    has = np.zeros(mask.shape[0] * n_prev, dtype=bool)
    has[rows[keep] * n_prev + cols[keep] // kprev] = True
    has = has.reshape(mask.shape[0], n_prev)
    need = support[np.arange(mask.shape[0]) // kcur]
    return ~np.any(need & ~has, axis=1)


def _greedy_cover(parent: np.ndarray, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Greedy set cover: pick few candidates so every parent has an edge to a picked one.

    ``(parent[e], cand[e])`` are the edges. Returns (unique parents, the candidate chosen for each).
    """
    pu, pl = np.unique(parent, return_inverse=True)
    cu, cl = np.unique(cand, return_inverse=True)
    by_c = np.argsort(cl, kind="stable")
    c_ptr = np.searchsorted(cl[by_c], np.arange(len(cu) + 1))
    by_p = np.argsort(pl, kind="stable")
    p_ptr = np.searchsorted(pl[by_p], np.arange(len(pu) + 1))
    counts = np.bincount(cl, minlength=len(cu)).astype(np.int64)
    covered = np.zeros(len(pu), dtype=bool)
    choice = np.full(len(pu), -1, dtype=np.int64)
    remaining = len(pu)
    while remaining:
        c = int(np.argmax(counts))
        ps = pl[by_c[c_ptr[c] : c_ptr[c + 1]]]
        ps = ps[~covered[ps]]
        covered[ps] = True
        choice[ps] = c
        remaining -= len(ps)
        edges = by_p[concat_ranges(p_ptr[ps], p_ptr[ps + 1])]
        counts -= np.bincount(cl[edges], minlength=len(cu))
    return pu, cu[choice]


def construct(
    target: ReLUNetwork, source: WeakSource, build_ticket: bool = True
) -> WeakConstruction:
    """Run Theorem W's construction on an explicit source (docs/theory.md §3.2).

    Validity bottom-up; on success (every output valid) and ``build_ticket``, the ticket top-down:
    every kept neuron keeps, for each target in-neighbour j, one mask edge to a valid copy of j with
    weight W[i, j]; copies are chosen by greedy set cover so that few are kept. Layer 1 computes
    phi(x_j - a) = x_j - a on the box and layer 2's bias absorbs the shift: b_1[i] + a sum_j W_1[i, j].
    """
    sup = target_supports(target)
    L = len(sup)
    if not isinstance(source, WeakSource):
        raise LTHInputError(
            f"source must be a WeakSource (see sample_source), got {type(source).__name__}"
        )
    if tuple(target.widths) != tuple(source.target_widths):
        raise LTHInputError(
            f"source was built for target widths {source.target_widths}, got {target.widths}"
        )
    bs = source.block_sizes
    d = target.input_dim
    # layer 1: neuron u of block j is valid iff M_1[u, j] = 1
    rows, cols = csr_coo(source.masks[0])
    valid = [np.zeros(source.masks[0].shape[0], dtype=bool)]
    valid[0][rows[cols == rows // bs[0]]] = True
    counts = [valid[0].reshape(d, bs[0]).sum(axis=1)]
    for l in range(1, L + 1):
        v = _layer_validity(source.masks[l], valid[l - 1], bs[l - 1], sup[l - 1], bs[l])
        valid.append(v)
        counts.append(v.reshape(-1, bs[l]).sum(axis=1))
    success = bool(valid[L].all())
    failed = None
    if not success:
        for l, c in enumerate(counts):
            z = np.flatnonzero(c == 0)
            if z.size:
                failed = (l, int(z[0]))
                break
    ticket = _build_ticket(target, source, valid, sup) if (success and build_ticket) else None
    return WeakConstruction(success, tuple(valid), tuple(counts), ticket, failed)


def _build_ticket(
    target: ReLUNetwork, source: WeakSource, valid: list[np.ndarray], sup: list[np.ndarray]
) -> WeakTicket:
    L = len(sup)
    bs = source.block_sizes
    a = target.box[0]
    N = source.widths
    kept: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * (L + 1)
    kept[L] = np.arange(N[L + 1], dtype=np.int64)
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [None] * (L + 1)  # type: ignore[list-item]
    for l in range(L, 0, -1):  # source layer l+1 reads layer l through masks[l]
        W = to_dense(target.weights[l - 1])
        mask = source.masks[l]
        us = kept[l]
        starts, ends = mask.indptr[us].astype(np.int64), mask.indptr[us + 1].astype(np.int64)
        e_idx = concat_ranges(starts, ends)
        e_par = np.repeat(us, ends - starts)
        e_col = mask.indices[e_idx].astype(np.int64)
        e_blk = e_col // bs[l - 1]
        ok = valid[l - 1][e_col] & sup[l - 1][e_par // bs[l], e_blk]
        e_par, e_col, e_blk = e_par[ok], e_col[ok], e_blk[ok]
        r_out, c_out, w_out = [], [], []
        for j in np.unique(e_blk):
            sel = e_blk == j
            parents, chosen = _greedy_cover(e_par[sel], e_col[sel])
            r_out.append(parents)
            c_out.append(chosen)
            w_out.append(W[parents // bs[l], j])
        r = np.concatenate(r_out) if r_out else np.empty(0, dtype=np.int64)
        c = np.concatenate(c_out) if c_out else np.empty(0, dtype=np.int64)
        entries[l] = (r, c, np.concatenate(w_out) if w_out else np.empty(0))
        kept[l - 1] = np.unique(c)
    # layer 1: weight 1 from x_j into every kept neuron of block j, bias -a
    u1 = kept[0]
    entries[0] = (u1, u1 // bs[0], np.ones(len(u1)))
    weights, biases, masks = [], [], []
    for l in range(L + 1):
        r, c, w = entries[l]
        shape = (N[l + 1], N[l])
        W = sp.csr_array((w, (r, c)), shape=shape)
        W.sort_indices()
        weights.append(W)
        masks.append(sp.csr_array((np.ones(len(r), dtype=bool), (r, c)), shape=shape))
        b = np.zeros(N[l + 1])
        if l == 0:
            b[u1] = -a
        else:
            tb = target.biases[l - 1]
            us = kept[l]
            b[us] = tb[us // bs[l]]
            if l == 1:
                W1 = target.weights[0]
                row_sums = np.asarray(W1.sum(axis=1)).ravel()
                b[us] += a * row_sums[us // bs[1]]
        biases.append(b)
    net = ReLUNetwork(tuple(weights), tuple(biases), target.box)
    return WeakTicket(net, tuple(masks), tuple(kept))
