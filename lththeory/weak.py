"""Theorem W: weak lottery tickets inside ER source networks (THEORY section 3, our formulation).

Source of depth L+1 for a target of depth L: layer 1 holds d blocks of k_0 neurons (block j reads
input j), layer l+1 holds n_l blocks of k_l copies of target layer l (l = 1..L-1), layer L+1 the n_L
outputs; mask l has density p_l (l = 1..L+1).

Three things live here, side by side:

* the construction (:func:`sample_source`, :func:`construct`): validity layer by layer on explicit
  ER masks and the explicit ticket, a subnetwork equal to the target on the box;
* the exact count-level simulator (:func:`simulate_counts`): given the valid counts v_j of the layer
  below, the number of valid copies of target neuron i is Binomial(k, prod_{j in N(i)} (1-(1-p)^{v_j}));
* the theory (:func:`theorem_w_widths`, :func:`theorem_w_common_width`, :func:`theorem_w_failure_bound`):
  the union bound and the smallest widths meeting its conditions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._validate import (
    LTHInputError,
    check_choice,
    check_density,
    check_positive_int,
    check_probability_open,
)
from .masks import sample_mask
from .network import ReLUNetwork
from .stats import trial_generators

__all__ = [
    "WeakSource",
    "WeakTicket",
    "WeakConstruction",
    "rho",
    "normalise_k",
    "normalise_densities",
    "sample_source",
    "construct",
    "count_chain",
    "simulate_counts",
    "COUNTS_BLOCK",
    "simulate_masks",
    "theorem_w_terms",
    "theorem_w_failure_bound",
    "theorem_w_widths",
    "theorem_w_common_width",
]


# --------------------------------------------------------------------------- theory helpers


def rho(p: float | np.ndarray) -> float | np.ndarray:
    """rho(p) = 1 / ln(1/(1-p)) for 0 < p <= 1 (rho(1) = 0): copies needed per unit of log-odds."""
    p_arr = np.asarray(p, dtype=np.float64)
    if np.any(~(p_arr > 0)) or np.any(p_arr > 1):
        raise LTHInputError(f"p (density) must be in (0, 1], got {p}")
    with np.errstate(divide="ignore"):
        out = np.where(p_arr >= 1.0, 0.0, -1.0 / np.log1p(-np.minimum(p_arr, 1.0 - 1e-300)))
    return float(out) if np.ndim(out) == 0 else out


def _support(target: ReLUNetwork) -> list[np.ndarray]:
    if not isinstance(target, ReLUNetwork):
        raise LTHInputError(f"target must be a ReLUNetwork, got {type(target).__name__}")
    return target.supports()


def normalise_k(k: int | Sequence[int], depth: int) -> tuple[int, ...]:
    """Copy multipliers (k_0, ..., k_{L-1}); a single int means the same k for every layer."""
    if isinstance(k, (int, np.integer)) or np.ndim(k) == 0:
        kk = check_positive_int(k, "k")
        return (kk,) * depth
    ks = tuple(check_positive_int(v, f"k[{i}]") for i, v in enumerate(k))
    if len(ks) != depth:
        raise LTHInputError(f"k must hold {depth} values (k_0..k_{{L-1}}), got {len(ks)}")
    return ks


def normalise_densities(densities: float | Sequence[float], depth: int) -> tuple[float, ...]:
    """Source densities (p_1, ..., p_{L+1}); a single float means the same density everywhere."""
    if np.ndim(densities) == 0:
        p = check_density(densities, "densities")
        return (p,) * (depth + 1)
    ps = tuple(check_density(v, f"densities[{i}]") for i, v in enumerate(densities))
    if len(ps) != depth + 1:
        raise LTHInputError(
            f"densities must hold L+1 = {depth + 1} values (p_1..p_{{L+1}}), got {len(ps)}"
        )
    return ps


def theorem_w_terms(
    target: ReLUNetwork, k: int | Sequence[int], densities: float | Sequence[float]
) -> np.ndarray:
    """The L+1 terms of Theorem W's union bound at copy multipliers k.

    term_0 = d exp(-k_0 p_1 / 8) (Chernoff), term_1 = k_1 m_1 (1-p_2)^{k_0 p_1 / 2},
    term_l = k_l m_l (1-p_{l+1})^{k_{l-1}} for l = 2..L with k_L = 1.
    """
    sup = _support(target)
    L = len(sup)
    ks = normalise_k(k, L) + (1,)
    ps = normalise_densities(densities, L)
    m = [int(s.sum()) for s in sup]
    d = target.input_dim
    terms = np.empty(L + 1)
    terms[0] = d * np.exp(-ks[0] * ps[0] / 8.0)
    with np.errstate(divide="ignore"):
        log_miss = [np.log1p(-p) if p < 1 else -np.inf for p in ps]
    terms[1] = ks[1] * m[0] * np.exp(ks[0] * ps[0] / 2.0 * log_miss[1])
    for l in range(2, L + 1):
        terms[l] = ks[l] * m[l - 1] * np.exp(ks[l - 1] * log_miss[l])
    return terms


def theorem_w_failure_bound(
    target: ReLUNetwork, k: int | Sequence[int], densities: float | Sequence[float]
) -> float:
    """Theorem W's bound on P(no weak ticket): min(1, sum of the union-bound terms)."""
    return float(min(1.0, theorem_w_terms(target, k, densities).sum()))


def _theory_inputs(
    target: ReLUNetwork, densities: float | Sequence[float], delta: float
) -> tuple[int, int, list[int], tuple[float, ...], float]:
    """(L, d, m_l, p_l, delta) validated: what Theorem W's conditions read from a target."""
    sup = _support(target)
    L = len(sup)
    ps = normalise_densities(densities, L)
    delta = check_probability_open(delta, "delta")
    return L, target.input_dim, [int(s.sum()) for s in sup], ps, delta


def theorem_w_widths(
    target: ReLUNetwork, densities: float | Sequence[float], delta: float = 0.1
) -> tuple[int, ...]:
    """Smallest per-layer (k_0, ..., k_{L-1}) meeting Theorem W's conditions (each term <= delta/(L+1)).

    Solved top-down: k_L = 1, k_{l-1} = ceil(ln((L+1) k_l m_l / delta) rho(p_{l+1})), then k_0 the larger
    of the Chernoff and the layer-2 condition.
    """
    L, d, m, ps, delta = _theory_inputs(target, densities, delta)
    ks = [1] * (L + 1)
    for l in range(L, 1, -1):
        need = np.log((L + 1) * ks[l] * m[l - 1] / delta) * rho(ps[l])
        ks[l - 1] = max(1, int(np.ceil(need - 1e-12)))
    k0a = 8.0 * np.log((L + 1) * d / delta) / ps[0]
    k0b = 2.0 * np.log((L + 1) * ks[1] * m[0] / delta) * rho(ps[1]) / ps[0]
    ks[0] = max(1, int(np.ceil(max(k0a, k0b) - 1e-12)))
    return tuple(ks[:L])


def _conditions_hold(
    k: np.ndarray, L: int, d: int, m: Sequence[int], ps: Sequence[float], delta: float
) -> np.ndarray:
    """Vectorised over candidate common k: do all of Theorem W's conditions hold?"""
    k = np.asarray(k, dtype=np.float64)
    ok = k >= 8.0 * np.log((L + 1) * d / delta) / ps[0]
    k1 = k if L >= 2 else np.ones_like(k)
    ok &= k >= 2.0 * np.log((L + 1) * k1 * m[0] / delta) * rho(ps[1]) / ps[0]
    for l in range(2, L + 1):
        kl = k if l < L else np.ones_like(k)
        ok &= k >= np.log((L + 1) * kl * m[l - 1] / delta) * rho(ps[l])
    return ok


def theorem_w_common_width(
    target: ReLUNetwork, densities: float | Sequence[float], delta: float = 0.1
) -> int:
    """Smallest common k (k_0 = ... = k_{L-1} = k) meeting all of Theorem W's conditions.

    k appears inside the logarithms, so the condition is a fixed point k >= A ln(B k); it holds from the
    per-layer maximum upwards, and the smallest admissible integer is found by checking every candidate
    up to that maximum (vectorised).
    """
    L, d, m, ps, delta = _theory_inputs(target, densities, delta)
    # an admissible upper end: from the largest per-layer width, doubled until every condition holds
    hi = max(theorem_w_widths(target, ps, delta))
    while not _conditions_hold(np.array([hi]), L, d, m, ps, delta)[0]:
        hi *= 2
    cand = np.arange(1, hi + 1)
    ok = _conditions_hold(cand, L, d, m, ps, delta)
    return int(cand[np.argmax(ok)])


# --------------------------------------------------------------------------- the construction


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

    def num_potential_edges(self) -> int:
        return int(sum(m.shape[0] * m.shape[1] for m in self.masks))


def sample_source(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    rng: np.random.Generator | int | None = None,
    kind: str = "bernoulli",
) -> WeakSource:
    """Draw the source's masks: ER ("bernoulli", the theory's model) or "fixed" count per layer."""
    sup = _support(target)
    L = len(sup)
    ks = normalise_k(k, L)
    ps = normalise_densities(densities, L)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    widths = target.widths
    N = [widths[0], widths[0] * ks[0]] + [widths[l] * ks[l] for l in range(1, L)] + [widths[L]]
    masks = tuple(sample_mask((N[l + 1], N[l]), ps[l], rng, kind) for l in range(L + 1))
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

    @property
    def num_neurons(self) -> int:
        """Number of hidden and output neurons kept."""
        return int(sum(len(k) for k in self.kept))


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

    @property
    def missing(self) -> list[tuple[int, int]]:
        """All (layer, neuron) pairs of the target with zero valid copies."""
        return [
            (l, int(i)) for l, c in enumerate(self.valid_counts) for i in np.flatnonzero(c == 0)
        ]


def _coo(mask: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    rows = np.repeat(np.arange(mask.shape[0], dtype=np.int64), np.diff(mask.indptr))
    return rows, mask.indices.astype(np.int64)


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
    rows, cols = _coo(mask)
    keep = valid_prev[cols]
    has = np.zeros(mask.shape[0] * n_prev, dtype=bool)
    has[rows[keep] * n_prev + cols[keep] // kprev] = True
    has = has.reshape(mask.shape[0], n_prev)
    need = support[np.arange(mask.shape[0]) // kcur]
    return ~np.any(need & ~has, axis=1)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, e) for the given starts and ends."""
    lens = ends - starts
    total = int(lens.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offs = np.repeat(ends - lens.cumsum(), lens)
    return offs + np.arange(total)


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
        edges = by_p[_ranges(p_ptr[ps], p_ptr[ps + 1])]
        counts -= np.bincount(cl[edges], minlength=len(cu))
    return pu, cu[choice]


def construct(
    target: ReLUNetwork, source: WeakSource, build_ticket: bool = True
) -> WeakConstruction:
    """Run Theorem W's construction on an explicit source (THEORY section 3).

    Validity bottom-up; on success (every output valid) and ``build_ticket``, the ticket top-down:
    every kept neuron keeps, for each target in-neighbour j, one mask edge to a valid copy of j with
    weight W[i, j]; copies are chosen by greedy set cover so that few are kept. Layer 1 computes
    phi(x_j - a) = x_j - a on the box and layer 2's bias absorbs the shift: b_1[i] + a sum_j W_1[i, j].
    """
    sup = _support(target)
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
    rows, cols = _coo(source.masks[0])
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
        Wl = target.weights[l - 1]
        W = Wl.toarray() if sp.issparse(Wl) else np.asarray(Wl)
        mask = source.masks[l]
        us = kept[l]
        starts, ends = mask.indptr[us].astype(np.int64), mask.indptr[us + 1].astype(np.int64)
        e_idx = _ranges(starts, ends)
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


# --------------------------------------------------------------------------- simulators


COUNTS_BLOCK = 256
"""Trials per random block of :func:`simulate_counts` (part of the seeding scheme: block b of a point uses
child b of the point's SeedSequence, so results do not depend on how blocks are spread over jobs)."""


def _count_chain_block(
    rng: np.random.Generator,
    trials: int,
    d: int,
    sup_t: Sequence[np.ndarray],
    ks: Sequence[int],
    log_miss: Sequence[float],
    p1: float,
) -> list[np.ndarray]:
    """Valid counts of every layer for ``trials`` independent trials (arrays of shape (trials, n_l))."""
    v = rng.binomial(ks[0], p1, size=(trials, d))
    counts = [v]
    for l, St in enumerate(sup_t, start=1):
        pos = v > 0
        logt = np.zeros(v.shape)
        if np.isfinite(log_miss[l]):
            logt[pos] = np.log1p(-np.exp(v[pos] * log_miss[l]))
        q = np.exp(logt @ St)
        q[(~pos).astype(np.float64) @ St > 0] = 0.0
        v = rng.binomial(ks[l], np.minimum(q, 1.0))
        counts.append(v)
    return counts


def count_chain(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    ss: np.random.SeedSequence,
    trials: int,
    block: int = COUNTS_BLOCK,
) -> list[np.ndarray]:
    """Valid-copy counts of every layer (arrays (trials, n_l), l = 0..L) from the exact count chain.

    Layer 0 (input blocks): v_j ~ Binomial(k_0, p_1). Layer l: v_i ~ Binomial(k_l, q_i) with
    q_i = prod_{j in N(i)} (1-(1-p_{l+1})^{v_j}), independently given the layer below (THEORY section 3).
    Trials are drawn in blocks of ``block``; block b uses generator child b of ``ss``.
    """
    sup = _support(target)
    L = len(sup)
    ks = normalise_k(k, L) + (1,)
    ps = normalise_densities(densities, L)
    trials = check_positive_int(trials, "trials")
    log_miss = [float(np.log1p(-p)) if p < 1 else -np.inf for p in ps]
    sup_t = [np.ascontiguousarray(s.T, dtype=np.float64) for s in sup]
    parts: list[list[np.ndarray]] = []
    nblocks = -(-trials // block)
    for b in range(nblocks):
        rng = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, b)))
        )
        n = min(block, trials - b * block)
        parts.append(_count_chain_block(rng, n, target.input_dim, sup_t, ks, log_miss, ps[0]))
    return [np.concatenate([p[l] for p in parts]) for l in range(L + 1)]


def simulate_counts(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    ss: np.random.SeedSequence,
    trials: int,
) -> np.ndarray:
    """Success indicator per trial from the exact count chain: success iff every output is valid.

    Same distribution as :func:`simulate_masks`; cost O(sum_l (n_l + m_l)) per trial, free of k.
    """
    return np.all(count_chain(target, k, densities, ss, trials)[-1] > 0, axis=1)


def simulate_masks(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    ss: np.random.SeedSequence,
    trials: int,
    kind: str = "bernoulli",
) -> np.ndarray:
    """Success indicator per trial from explicit ER masks and the construction (no ticket built).

    Trial t samples its masks from generator child t of ``ss``.
    """
    check_choice(kind, "kind", ("bernoulli", "fixed"))
    trials = check_positive_int(trials, "trials")
    out = np.empty(trials, dtype=bool)
    for t, g in enumerate(trial_generators(ss, 0, trials)):
        src = sample_source(target, k, densities, g, kind)
        out[t] = construct(target, src, build_ticket=False).success
    return out
