"""Theorem W for convolutions: weak tickets inside ER conv sources (docs/theory.md §8.2-§8.4).

For a conv target of depth L (convolutions, then optionally the pooled linear head) the source has
L+1 layers: source layer 1 is a convolution with the kernel of target layer 1 and "same" padding
from the C_0 input channels to d = C_0 blocks of k_0 *univariate* channels (channel u of block j keeps
only the centre entry of its kernel from input channel j); source layer l+1 is a convolution (with
target layer l's kernel and padding) to n_l blocks of k_l copies of target channel i; the last
source layer holds the target's output channels (or the head's outputs) uncopied. Masks are ER per
kernel entry, on the flattened (out, in*kh*kw) shape (the head's on (out, in)).

* Validity: univariate channel u of block j is valid iff its centre mask entry from input channel j
  is 1; a copy u of target channel i is valid iff for every (j, kernel position) with a nonzero
  target weight it has a mask edge at that position to a valid copy of j.
* Ticket: the target weight on one such edge; univariate channels compute phi(x_j - s) = x_j - s
  with the shift s = min(a, 0) (so s = 0 on image boxes a >= 0), absorbed by target layer 1's bias.
  Zero padding of target layer 1 reads x = 0 where the univariate channels output 0 = phi(-s)
  only if s = 0, so a padded first layer needs a >= 0 (valid convolutions take any box).

The count chain and Theorem W of :mod:`lththeory.weak` apply unchanged through
:meth:`lththeory.conv.ConvNetwork.fan_in` (kernel entries per channel pair).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._arrays import concat_ranges, csr_coo
from .._validate import LTHInputError, as_generator, check_choice, check_positive_int
from ..densities import layer_densities
from ..masks import sample_mask
from ..registry import CONSTRUCTIONS, Construction
from ..stats import child_generator
from ..weak import (
    WeakConstruction,
    WeakTicket,
    normalise_densities,
    normalise_k,
    source_widths,
)
from .network import ConvNetwork, check_conv_network, parse_padding

__all__ = [
    "WEAK_CONV",
    "ConvWeakSource",
    "construct",
    "sample_source",
    "simulate_masks",
    "source_densities",
    "source_kernels",
    "source_shapes",
    "ticket_shift",
]


def _centre_kernel(target: ConvNetwork) -> tuple[int, int]:
    kh, kw = target.kernels[0]
    if kh % 2 == 0 or kw % 2 == 0:
        raise LTHInputError(
            "target's first kernel must be odd (the univariate layer keeps its centre entry), "
            f"got {kh}x{kw}"
        )
    return kh, kw


def source_kernels(target: ConvNetwork) -> list[tuple[int, int]]:
    """Kernel of every source layer: target layer 1's for the univariate layer, target layer l's
    for source layer l+1; (1, 1) for the head (a linear layer on pooled channels)."""
    check_conv_network(target)
    ks = [_centre_kernel(target)] + list(target.kernels)
    return ks + ([(1, 1)] if target.head is not None else [])


def source_shapes(target: ConvNetwork, k: int | Sequence[int]) -> list[tuple[int, ...]]:
    """Weight-tensor shapes of the source for copy multipliers k: (N_{l+1}, N_l, kh, kw) for the
    convolutions and (n_out, N_L) for the head (the shapes `densities.layer_densities` reads, ERK
    counting kernel dimensions; docs/theory.md §8.5)."""
    ks = normalise_k(k, check_conv_network(target).depth)
    N = source_widths(target.widths, ks)
    kers = source_kernels(target)
    out: list[tuple[int, ...]] = []
    for l, ker in enumerate(kers):
        is_head = target.head is not None and l == len(kers) - 1
        out.append((N[l + 1], N[l]) if is_head else (N[l + 1], N[l], *ker))
    return out


def source_densities(
    target: ConvNetwork,
    k: int | Sequence[int],
    density: float,
    scheme: str = "uniform",
    exact: bool = True,
) -> tuple[float, ...]:
    """Per-layer densities (p_1, ..., p_{L+1}) of the conv source for a global ``density`` under a
    density scheme, by :func:`lththeory.densities.layer_densities` on :func:`source_shapes` (ERK:
    p_l proportional to (N_{l+1} + N_l + kh + kw) / (N_{l+1} N_l kh kw); docs/theory.md §2, §8.5)."""
    shapes = source_shapes(target, k)
    return tuple(float(p) for p in layer_densities(shapes, density, scheme, exact))


@dataclass(frozen=True)
class ConvWeakSource:
    """An explicit ER conv source for Theorem W's block construction (docs/theory.md §8.2).

    ``masks[l]`` (l = 0..L) is the boolean CSR mask of source layer l+1 on the flattened shape
    (N_{l+1}, N_l*K_l) with K_l = kh*kw entries per channel pair (column c*K_l + dy*kw + dx);
    ``kernels[l]`` its kernel ((1, 1) for the head). Channel ``u`` of source layer l+1 (l < L) belongs
    to block ``u // k_l``.
    """

    target_widths: tuple[int, ...]
    kernels: tuple[tuple[int, int], ...]
    k: tuple[int, ...]
    densities: tuple[float, ...]
    masks: tuple[sp.csr_array, ...]

    @property
    def widths(self) -> tuple[int, ...]:
        """(N_0, ..., N_{L+1}): channels (the head's outputs last)."""
        return (self.masks[0].shape[1] // self.positions[0],) + tuple(
            m.shape[0] for m in self.masks
        )

    @property
    def positions(self) -> tuple[int, ...]:
        """K_l = kh*kw of every source layer."""
        return tuple(kh * kw for kh, kw in self.kernels)

    @property
    def block_sizes(self) -> tuple[int, ...]:
        """Copies per block of source layers 1..L+1 (outputs: 1)."""
        return self.k + (1,)


def sample_source(
    target: ConvNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    rng: np.random.Generator | int | None = None,
    kind: str = "bernoulli",
) -> ConvWeakSource:
    """Draw the source's masks per kernel entry: ER ("bernoulli") or "fixed" count per layer,
    O(nnz) on the flattened (out, in*kh*kw) shape."""
    check_conv_network(target)
    L = target.depth
    ks = normalise_k(k, L)
    ps = normalise_densities(densities, L)
    rng = as_generator(rng, "rng")
    N = source_widths(target.widths, ks)
    kers = source_kernels(target)
    masks = tuple(
        sample_mask((N[l + 1], N[l] * kers[l][0] * kers[l][1]), ps[l], rng, kind)
        for l in range(L + 1)
    )
    return ConvWeakSource(tuple(target.widths), tuple(kers), ks, ps, masks)


def _needs(target: ConvNetwork) -> list[np.ndarray]:
    """Per target layer the dense (n_l, n_{l-1}*K) values: kernel entry (j, pos) of channel i
    (column j*K + pos); the head's weights with K = 1."""
    out = [
        np.asarray(
            target.flat_weight(l).toarray()
            if sp.issparse(target.flat_weight(l))
            else target.flat_weight(l),
            dtype=np.float64,
        )
        for l in range(target.n_conv)
    ]
    if target.head is not None:
        A = target.head[0]
        out.append(A.toarray() if sp.issparse(A) else np.asarray(A, dtype=np.float64))
    return out


def _layer_validity(
    mask: sp.csr_array, valid_prev: np.ndarray, kprev: int, need: np.ndarray, kcur: int, K: int
) -> np.ndarray:
    """Channel u (block i = u // kcur) is valid iff for every (j, pos) with need[i, j*K + pos] it has
    a mask edge at position pos to a valid channel of block j of the layer below (block size kprev)."""
    n_cols = need.shape[1]
    rows, cols = csr_coo(mask)
    chan = cols // K
    keep = valid_prev[chan]
    has = np.zeros(mask.shape[0] * n_cols, dtype=bool)
    has[rows[keep] * n_cols + (chan[keep] // kprev) * K + cols[keep] % K] = True
    has = has.reshape(mask.shape[0], n_cols)
    return ~np.any(need[np.arange(mask.shape[0]) // kcur] & ~has, axis=1)


def ticket_shift(target: ConvNetwork) -> float:
    """The univariate channels' shift s = min(a, 0): they output phi(x - s) = x - s on the box, and
    target layer 1's bias absorbs s * sum W_1 (docs/theory.md §8.3).

    Refused (one line) when s < 0 and target layer 1 is zero-padded: a padded pixel reads 0 in the
    ticket as in the target, but the bias correction assumes it read x - s, so every border pixel
    would be off by s times the sum of the kernel weights that fall on the padding."""
    s = min(check_conv_network(target).box[0], 0.0)
    if s < 0 and any(target.padding[0]):
        raise LTHInputError(
            f"box must have a >= 0 for a zero-padded first convolution (padding "
            f"{target.padding[0]}), got a = {target.box[0]:g}: the ticket's univariate shift by a "
            "would differ from the target at the border pixels; use valid convolutions "
            "(padding 0) or an image box such as [0, 1]"
        )
    return s


def construct(
    target: ConvNetwork, source: ConvWeakSource, build_ticket: bool = True
) -> WeakConstruction:
    """Run Theorem W's construction on an explicit conv source (docs/theory.md §8.2-§8.3).

    Validity bottom-up; on success (every output channel valid) and ``build_ticket`` the ticket
    top-down: every kept channel keeps, for each (j, kernel position) of its target kernel, one mask
    edge at that position to a valid copy of j with the target weight (the candidate copy read by
    the most kept channels is preferred, so few are kept). The ticket is a :class:`ConvNetwork` with
    the source's channels, equal to the target on the box, border pixels included.
    """
    check_conv_network(target)
    if not isinstance(source, ConvWeakSource):
        raise LTHInputError(
            f"source must be a ConvWeakSource (see lththeory.conv.sample_source), got "
            f"{type(source).__name__}"
        )
    if tuple(target.widths) != source.target_widths or tuple(source_kernels(target)) != tuple(
        source.kernels
    ):
        raise LTHInputError(
            f"source was built for target widths {source.target_widths} and kernels "
            f"{source.kernels}, got {target.widths} and {tuple(source_kernels(target))}"
        )
    shift = ticket_shift(target) if build_ticket else 0.0
    L = target.depth
    bs, Ks = source.block_sizes, source.positions
    d = target.input_dim
    kh, kw = source.kernels[0]
    centre = (kh // 2) * kw + kw // 2
    needs = [w != 0 for w in _needs(target)]
    rows, cols = csr_coo(source.masks[0])
    valid = [np.zeros(source.masks[0].shape[0], dtype=bool)]
    valid[0][rows[cols == (rows // bs[0]) * Ks[0] + centre]] = True
    counts = [valid[0].reshape(d, bs[0]).sum(axis=1)]
    for l in range(1, L + 1):
        v = _layer_validity(source.masks[l], valid[l - 1], bs[l - 1], needs[l - 1], bs[l], Ks[l])
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
    ticket = None
    if success and build_ticket:
        ticket = _build_ticket(target, source, valid, shift, centre)
    return WeakConstruction(success, tuple(valid), tuple(counts), ticket, failed)


def _choose_edges(
    e_par: np.ndarray, chan: np.ndarray, gcol: np.ndarray, n_cols: int, n_prev: int
) -> np.ndarray:
    """Index of one edge per (parent, gcol) group: the candidate channel with the most distinct
    parents (ties: the smallest channel), so that few candidates are kept."""
    pair = np.unique(e_par * n_prev + chan)
    deg = np.bincount(pair % n_prev, minlength=n_prev)
    gkey = e_par * n_cols + gcol
    order = np.lexsort((chan, -deg[chan], gkey))
    g = gkey[order]
    return order[np.r_[True, g[1:] != g[:-1]]]


def _build_ticket(
    target: ConvNetwork,
    source: ConvWeakSource,
    valid: list[np.ndarray],
    shift: float,
    centre: int,
) -> WeakTicket:
    L = target.depth
    bs, Ks = source.block_sizes, source.positions
    N = source.widths
    values = _needs(target)
    kept: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * (L + 1)
    kept[L] = np.arange(N[L + 1], dtype=np.int64)
    entries: list = [None] * (L + 1)
    for l in range(L, 0, -1):  # source layer l+1 reads source layer l through masks[l]
        mask, K, W = source.masks[l], Ks[l], values[l - 1]
        us = kept[l]
        starts, ends = mask.indptr[us].astype(np.int64), mask.indptr[us + 1].astype(np.int64)
        e_idx = concat_ranges(starts, ends)
        e_par = np.repeat(us, ends - starts)
        e_col = mask.indices[e_idx].astype(np.int64)
        chan, pos = e_col // K, e_col % K
        gcol = (chan // bs[l - 1]) * K + pos
        ok = valid[l - 1][chan] & (W[e_par // bs[l], gcol] != 0)
        e_par, e_col, chan, gcol = e_par[ok], e_col[ok], chan[ok], gcol[ok]
        pick = _choose_edges(e_par, chan, gcol, W.shape[1], N[l])
        r, c = e_par[pick], e_col[pick]
        entries[l] = (r, c, W[r // bs[l], gcol[pick]])
        kept[l - 1] = np.unique(chan[pick])
    u1 = kept[0]
    entries[0] = (u1, (u1 // bs[0]) * Ks[0] + centre, np.ones(len(u1)))
    weights, biases, masks = [], [], []
    tb = list(target.biases) + ([target.head[1]] if target.head is not None else [])
    row_sums = values[0].sum(axis=1)
    for l in range(L + 1):
        r, c, w = entries[l]
        shape = source.masks[l].shape
        Wt = sp.csr_array((w, (r, c)), shape=shape)
        Wt.sort_indices()
        weights.append(Wt)
        masks.append(sp.csr_array((np.ones(len(r), dtype=bool), (r, c)), shape=shape))
        b = np.zeros(shape[0])
        us = kept[l]
        if l == 0:
            b[us] = -shift
        else:
            b[us] = tb[l - 1][us // bs[l]]
            if l == 1:
                b[us] += shift * row_sums[us // bs[1]]
        biases.append(b)
    n_conv = len(weights) - (target.head is not None)
    head = (weights[-1], biases[-1]) if target.head is not None else None
    pads = [parse_padding("same", source.kernels[0])] + list(target.padding)
    net = ConvNetwork(
        tuple(weights[:n_conv]),
        tuple(biases[:n_conv]),
        target.image,
        pads,
        tuple(source.kernels[:n_conv]),
        head,
        target.box,
    )
    return WeakTicket(net, tuple(masks), tuple(kept))


def simulate_masks(
    target: ConvNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    ss: np.random.SeedSequence,
    trials: int,
    kind: str = "bernoulli",
    max_failures: int | None = None,
) -> np.ndarray:
    """Success indicator per trial from explicit conv masks (ER, or ``kind="fixed"`` count per
    layer) and the construction (no ticket).

    Trial t samples its masks from generator child t of ``ss`` (as :func:`lththeory.weak.simulate_masks`);
    with ``max_failures`` the trials stop once the failures exceed it (a prefix of the full run).
    """
    check_choice(kind, "kind", ("bernoulli", "fixed"))
    trials = check_positive_int(trials, "trials")
    if max_failures is not None:
        max_failures = check_positive_int(max_failures, "max_failures", minimum=0)
    out = np.empty(trials, dtype=bool)
    failures = 0
    for t in range(trials):
        src = sample_source(target, k, densities, child_generator(ss, t), kind)
        out[t] = construct(target, src, build_ticket=False).success
        failures += not out[t]
        if max_failures is not None and failures > max_failures:
            return out[: t + 1]
    return out


#: Theorem W's block construction for conv targets in the construction registry
WEAK_CONV = CONSTRUCTIONS.register(
    "weak-conv",
    Construction(
        name="weak-conv",
        family="weak",
        description="Theorem W for convolutions: univariate centre-entry layer, then k copies per "
        "channel, masks per kernel entry",
        depth=lambda L: L + 1,
        sample_source=sample_source,
        construct=construct,
    ),
)
