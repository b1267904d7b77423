"""Theorem LB's exact decision: a one-hidden-layer ER source contains a weak ticket for f_T iff the
bipartite graph G (i ~ u iff supp(w_i) lies in row u of M_1 and M_2[0, u] = 1) has a matching that
covers every target neuron (docs/theory.md §4.1; proof in proofs/lower_bound.md).

:func:`decide` runs Hopcroft-Karp (``scipy.sparse.csgraph.maximum_bipartite_matching``) on G and returns
the explicit ticket (checked against f_T on the box) or a Hall-violating certificate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_bipartite_matching

from .._arrays import concat_ranges
from .._validate import LTHInputError, as_generator, check_density, check_positive_int
from ..masks import bernoulli_mask, check_mask_memory
from ..network import ReLUNetwork, box_points
from .targets import OneHiddenTarget, check_one_hidden_target

__all__ = [
    "TICKET_TOL",
    "LowerBoundDecision",
    "bipartite_graph",
    "decide",
    "has_full_matching",
    "sample_source_masks",
]

#: relative tolerance of the ticket check max |f_ticket - f_T| <= tol (1 + max |f_T|)
TICKET_TOL = 1e-9


def sample_source_masks(
    N: int, d: int, p1: float, p2: float, rng: np.random.Generator | int | None = None
) -> tuple[sp.csr_array, sp.csr_array]:
    """ER masks of a one-hidden-layer source: M_1 (N x d, density p_1) then M_2 (1 x N, density p_2).

    Bool CSR, sampled in O(nnz) (docs/theory.md §1).
    """
    N = check_positive_int(N, "N (hidden width)")
    d = check_positive_int(d, "d (input dimension)")
    p1 = check_density(p1, "p1")
    p2 = check_density(p2, "p2")
    rng = as_generator(rng, "rng")
    check_mask_memory([(N, d), (1, N)], [p1, p2], "N (hidden width)")
    return bernoulli_mask((N, d), p1, rng), bernoulli_mask((1, N), p2, rng)


def _check_masks(
    target: OneHiddenTarget, source_masks: Sequence
) -> tuple[sp.csr_array, sp.csr_array]:
    try:
        M1, M2 = source_masks
    except (TypeError, ValueError):
        raise LTHInputError(
            "source_masks must be a pair (M_1 of shape (N, d), M_2 of shape (1, N))"
        ) from None
    for name, M in (("source_masks[0] (M_1)", M1), ("source_masks[1] (M_2)", M2)):
        data = M.data if sp.issparse(M) else np.asarray(M, dtype=np.float64)
        if np.asarray(data).dtype != bool and not np.all(
            np.isfinite(np.asarray(data, dtype=np.float64))
        ):
            raise LTHInputError(f"{name} must contain only 0/1 entries (found NaN or inf)")
    M1 = sp.csr_array(M1, dtype=bool)
    M2 = sp.csr_array(M2, dtype=bool)
    M1.eliminate_zeros()
    M2.eliminate_zeros()
    N = M1.shape[0]
    if M1.shape[1] != target.d:
        raise LTHInputError(
            f"source_masks[0] (M_1) must have shape (N, d = {target.d}), got {M1.shape}"
        )
    if M2.shape != (1, N):
        raise LTHInputError(
            f"source_masks[1] (M_2) must have shape (1, N = {N}) (one output), got {M2.shape}"
        )
    M1.sort_indices()
    M2.sort_indices()
    return M1, M2


def _graph(
    target: OneHiddenTarget, M1: sp.csr_array, M2: sp.csr_array
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """G restricted to the N' hidden neurons with an output edge, as CSR arrays (indptr, indices)
    with columns 0..N'-1, and ``out`` (their ids in the source).

    Targets with equal supports are twins, so eligibility is computed once per distinct support T:
    u is eligible for T iff |T cap M_1[u]| = |T|. Univariate targets (every |T| = 1) read the
    eligible lists straight off M_1's entries; otherwise a sparse product counts |T cap M_1[u]|.
    Cost O(nnz(M_1) + |E(G)|).
    """
    out = M2.indices.astype(np.int64)
    S = target.support
    sizes_i = S.sum(axis=1)
    if out.size == 0:
        return np.zeros(target.n + 1, dtype=np.int64), np.empty(0, dtype=np.int64), out
    if np.all(sizes_i == 1):
        cls = np.argmax(S, axis=1)  # the input j_i each target reads
        ncls = target.d
        pos = concat_ranges(M1.indptr[out].astype(np.int64), M1.indptr[out + 1].astype(np.int64))
        lens = np.diff(M1.indptr)[out]
        eu = np.repeat(np.arange(out.size, dtype=np.int64), lens)
        ej = M1.indices[pos]
        order = np.argsort(ej, kind="stable")
        elig = eu[order]
        cnt = np.bincount(ej, minlength=ncls)
    else:
        pats, cls = np.unique(S, axis=0, return_inverse=True)
        cls = np.asarray(cls).ravel()
        ncls = pats.shape[0]
        M1o = M1[out].astype(np.int32)
        C = sp.csr_array(sp.csr_array(pats.astype(np.int32)) @ M1o.T)
        C.sort_indices()
        rows = np.repeat(np.arange(ncls), np.diff(C.indptr))
        keep = C.data == pats.sum(axis=1)[rows]
        elig = C.indices[keep].astype(np.int64)
        cnt = np.bincount(rows[keep], minlength=ncls)
    cstart = np.concatenate([[0], np.cumsum(cnt)[:-1]]).astype(np.int64)
    deg = cnt[cls]
    indptr = np.zeros(target.n + 1, dtype=np.int64)
    np.cumsum(deg, out=indptr[1:])
    indices = elig[concat_ranges(cstart[cls], cstart[cls] + deg)]
    return indptr, indices, out


def bipartite_graph(target: ReLUNetwork | OneHiddenTarget, source_masks: Sequence) -> sp.csr_array:
    """Biadjacency (n x N, int8 CSR) of G: i ~ u iff supp(w_i) inside M_1[u] and M_2[0, u] = 1
    (docs/theory.md §4)."""
    t = check_one_hidden_target(target)
    M1, M2 = _check_masks(t, source_masks)
    indptr, indices, out = _graph(t, M1, M2)
    res = sp.csr_array(
        (np.ones(indices.size, dtype=np.int8), out[indices], indptr), shape=(t.n, M1.shape[0])
    )
    res.sort_indices()
    return res


@dataclass(frozen=True)
class LowerBoundDecision:
    """The exact answer for one source: does it contain a weak ticket for the target?

    ``matching[i]`` is the hidden neuron serving target neuron i (-1 if unmatched) in a maximum
    matching of G. On success ``ticket`` is the explicit subnetwork (its weights inside the masks,
    ``ticket_masks``) and ``ticket_error`` its max deviation from f_T on the check points. On failure
    ``hall_set`` is a set of target neurons whose neighbourhood ``hall_neighbours`` in G is smaller
    (|hall_set| - |hall_neighbours| = n - matching size, König), a certificate that no ticket exists.
    """

    success: bool
    matching: np.ndarray
    unmatched: np.ndarray
    hall_set: np.ndarray
    hall_neighbours: np.ndarray
    num_edges: int
    ticket: ReLUNetwork | None = None
    ticket_masks: tuple[sp.csr_array, sp.csr_array] | None = None
    ticket_error: float | None = None

    @property
    def matching_size(self) -> int:
        """Size of the maximum matching of G."""
        return int((self.matching >= 0).sum())

    @property
    def deficiency(self) -> int:
        """|hall_set| - |N(hall_set)| = n - matching size (0 on success)."""
        return int(self.hall_set.size - self.hall_neighbours.size)


def _hall_set(
    indptr: np.ndarray, indices: np.ndarray, match_row: np.ndarray, match_col: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Targets reachable from the unmatched ones by alternating paths, and their neighbourhood.

    With a maximum matching every reached hidden neuron is matched (else an augmenting path exists)
    to a reached target, so |N(Z)| = |Z| - #unmatched: a Hall violator of maximal deficiency (König).
    """
    seen_l = match_row < 0
    seen_r = np.zeros(match_col.size, dtype=bool)
    frontier = np.flatnonzero(seen_l)
    while frontier.size:
        nb = np.unique(indices[concat_ranges(indptr[frontier], indptr[frontier + 1])])
        nb = nb[~seen_r[nb]]
        seen_r[nb] = True
        nxt = match_col[nb]
        if np.any(nxt < 0):  # pragma: no cover - impossible for a maximum matching
            raise RuntimeError("matching is not maximum: an augmenting path exists")
        nxt = nxt[~seen_l[nxt]]
        seen_l[nxt] = True
        frontier = nxt
    return np.flatnonzero(seen_l), np.flatnonzero(seen_r)


def _match(
    t: OneHiddenTarget, M1: sp.csr_array, M2: sp.csr_array
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Maximum matching of G: (indptr, indices, out, match_row, match_col) in local columns."""
    indptr, indices, out = _graph(t, M1, M2)
    m = out.size
    if indices.size == 0:
        return indptr, indices, out, np.full(t.n, -1, dtype=np.int64), np.full(m, -1, np.int64)
    G = sp.csr_array((np.ones(indices.size, dtype=np.int8), indices, indptr), shape=(t.n, m))
    match_row = np.asarray(maximum_bipartite_matching(G, perm_type="column"), dtype=np.int64)
    match_col = np.full(m, -1, dtype=np.int64)
    ok = match_row >= 0
    match_col[match_row[ok]] = np.flatnonzero(ok)
    return indptr, indices, out, match_row, match_col


def _ticket(
    t: OneHiddenTarget, matching: np.ndarray, N: int
) -> tuple[ReLUNetwork, tuple[sp.csr_array, sp.csr_array]]:
    """u_i = matching[i] gets weights w_i, bias b_i, output weight v_i; output bias c; rest pruned."""
    rows_i, cols = np.nonzero(t.W)
    r = matching[rows_i]
    W1 = sp.csr_array((t.W[rows_i, cols], (r, cols)), shape=(N, t.d))
    W1.sort_indices()
    b1 = np.zeros(N)
    b1[matching] = t.b
    W2 = sp.csr_array((t.v, (np.zeros(t.n, dtype=np.int64), matching)), shape=(1, N))
    W2.sort_indices()
    masks = (
        sp.csr_array((np.ones(r.size, dtype=bool), (r, cols)), shape=(N, t.d)),
        sp.csr_array(
            (np.ones(t.n, dtype=bool), (np.zeros(t.n, dtype=np.int64), matching)), shape=(1, N)
        ),
    )
    net = ReLUNetwork((W1, W2), (b1, np.array([t.c])), t.box)
    return net, masks


def _check_points(t: OneHiddenTarget, rng: np.random.Generator) -> np.ndarray:
    """Random box points, the corners, and for d = 1 the kinks c_i and points just beside them."""
    pts = box_points(t.d, 256, t.box, rng=rng)
    if t.d == 1:
        kinks = -t.b / t.W[:, 0]
        eps = 1e-6 * (t.box[1] - t.box[0])
        extra = np.clip(np.concatenate([kinks, kinks - eps, kinks + eps]), *t.box)
        pts = np.vstack([pts, extra[:, None]])
    return pts


def _kept_part(net: ReLUNetwork) -> ReLUNetwork:
    """The ticket restricted to its used hidden neurons (nonzero in-weights, bias or output weight).

    Every other hidden neuron has zero weights and bias, outputs phi(0) = 0 and has output weight 0,
    so both networks compute the same function; evaluating the small one keeps the check O(n), not O(N).
    """
    W1, W2 = net.weights
    b1 = net.biases[0]
    used = np.flatnonzero((np.diff(W1.indptr) > 0) | (b1 != 0) | (W2.toarray()[0] != 0))
    return ReLUNetwork((W1[used], W2[:, used]), (b1[used], net.biases[1]), net.box)


def has_full_matching(
    target: ReLUNetwork | OneHiddenTarget, M1: sp.csr_array, M2: sp.csr_array
) -> bool:
    """Does G have a matching covering every target neuron? (The decision without ticket or
    certificate; masks as :func:`sample_source_masks` returns them, unchecked.)"""
    t = check_one_hidden_target(target)
    # fewer than n output edges: no matching can cover the targets (skip the graph)
    return M2.nnz >= t.n and bool(np.all(_match(t, M1, M2)[3] >= 0))


def _mask_contains(sub: sp.csr_array, mask: sp.csr_array) -> bool:
    """Is every stored entry of ``sub`` an entry of ``mask``?"""
    s = sp.csr_array(sub, dtype=bool)
    return int((s.multiply(mask)).nnz) == int(s.nnz)


def decide(
    target: ReLUNetwork | OneHiddenTarget,
    source_masks: Sequence,
    build_ticket: bool = True,
    verify: bool = True,
    rng: np.random.Generator | int | None = 0,
) -> LowerBoundDecision:
    """Decide exactly whether the one-hidden-layer source with masks (M_1, M_2) has a weak ticket
    for ``target``: a matching of G covering all targets (docs/theory.md §4).

    Hopcroft-Karp (``scipy.sparse.csgraph.maximum_bipartite_matching``) on G. On success and
    ``build_ticket``: the explicit ticket; with ``verify`` it is checked inside the masks and equal to
    f_T on random box points, corners and kinks (RuntimeError otherwise: that would be a bug). On
    failure: the unmatched targets and a Hall-violating set with its neighbourhood.
    """
    t = check_one_hidden_target(target)
    M1, M2 = _check_masks(t, source_masks)
    N = M1.shape[0]
    indptr, indices, out, match_row, match_col = _match(t, M1, M2)
    matched = match_row >= 0
    matching = np.full(t.n, -1, dtype=np.int64)
    matching[matched] = out[match_row[matched]]
    success = bool(matched.all())
    empty = np.empty(0, dtype=np.int64)
    ne = int(indices.size)
    if not success:
        hall, nbrs = _hall_set(indptr, indices, match_row, match_col)
        return LowerBoundDecision(False, matching, np.flatnonzero(~matched), hall, out[nbrs], ne)
    if not build_ticket:
        return LowerBoundDecision(True, matching, empty, empty, empty, ne)
    net, tmasks = _ticket(t, matching, N)
    err = None
    if verify:
        if not (_mask_contains(tmasks[0], M1) and _mask_contains(tmasks[1], M2)):
            raise RuntimeError("ticket weights lie outside the source masks")  # pragma: no cover
        g = as_generator(rng, "rng")
        x = _check_points(t, g)
        ft = t(x)
        err = float(np.max(np.abs(_kept_part(net).forward(x)[:, 0] - ft)))
        if err > TICKET_TOL * (1.0 + float(np.max(np.abs(ft)))):  # pragma: no cover
            raise RuntimeError(f"ticket differs from the target on the box by {err:.3g}")
    return LowerBoundDecision(True, matching, empty, empty, empty, ne, net, tmasks, err)
