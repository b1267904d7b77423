"""Theorem LB: the 3-layer lower bound, decided exactly by matching (THEORY section 4, our formulation).

"3-layer" means input, one hidden layer, output. The target is
f_T(x) = c + sum_{i=1}^n v_i phi(w_i . x + b_i) with v_i != 0 and pairwise distinct hyperplanes
H_i = {w_i . x + b_i = 0}, each meeting the interior of the box [a, b]^d. The source has one hidden
layer of width N with ER masks M_1 (N x d, density p_1) and M_2 (1 x N, density p_2); biases are not
masked.

Exact characterisation: with the bipartite graph G (i ~ u iff supp(w_i) is inside row u of M_1 and
M_2[0, u] = 1), the source contains a weak ticket for f_T iff G has a matching covering all n target
neurons (proof in proofs/lower_bound.md). Three things live here, side by side and comparable:

* the decision (:func:`decide`): Hopcroft-Karp matching on G; on success the explicit ticket (checked
  against f_T on the box), on failure a certificate (unmatched targets and a Hall-violating set);
* the theory (:func:`exact_success_probability_hard`, :func:`upper_bound`, :func:`block_lower_bound`,
  :func:`chernoff_bound`, :func:`threshold_width`): closed forms from scipy.stats.binom;
* the measurement (:func:`simulate_success`, :func:`success_rate`): Monte-Carlo over ER sources with one
  generator per trial.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.csgraph import maximum_bipartite_matching

from ._validate import (
    LTHInputError,
    check_density,
    check_finite_array,
    check_positive_int,
    check_probability_open,
)
from .masks import bernoulli_mask
from .network import ReLUNetwork, _check_box, box_points
from .stats import Proportion, proportion, trial_generators

__all__ = [
    "OneHiddenTarget",
    "LowerBoundDecision",
    "hard_instance",
    "random_one_hidden_target",
    "check_one_hidden_target",
    "sample_source_masks",
    "bipartite_graph",
    "decide",
    "simulate_success",
    "success_rate",
    "exact_success_probability_hard",
    "upper_bound",
    "block_lower_bound",
    "block_threshold_k",
    "chernoff_bound",
    "threshold_width",
]

#: two hyperplanes whose normalised (w, b) differ by at most this (max norm) count as one
HYPERPLANE_TOL = 1e-9
#: relative tolerance of the ticket check max |f_ticket - f_T| <= tol (1 + max |f_T|)
TICKET_TOL = 1e-9


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class OneHiddenTarget:
    """A checked one-hidden-layer target f_T(x) = c + sum_i v_i phi(w_i . x + b_i) on [a, b]^d.

    ``W`` is (n, d) (row i = w_i), ``b`` and ``v`` are (n,), ``c`` a float. Construction checks the
    conditions of THEORY section 4 (v_i != 0, w_i != 0, pairwise distinct hyperplanes, each meeting
    the box interior) and raises :class:`LTHInputError` naming the first violation.
    """

    W: np.ndarray
    b: np.ndarray
    v: np.ndarray
    c: float
    box: tuple[float, float] = (-1.0, 1.0)

    def __post_init__(self) -> None:
        W = check_finite_array(self.W, "W (target input weights)", ndim=2).copy()
        n, d = W.shape
        if n == 0 or d == 0:
            raise LTHInputError(
                f"W (target input weights) must have shape (n >= 1, d >= 1), got {W.shape}"
            )
        b = check_finite_array(self.b, "b (target hidden biases)", ndim=1).copy()
        v = check_finite_array(self.v, "v (target output weights)", ndim=1).copy()
        for name, arr in (("b (target hidden biases)", b), ("v (target output weights)", v)):
            if arr.shape[0] != n:
                raise LTHInputError(f"{name} must have length n = {n}, got {arr.shape[0]}")
        c = float(check_finite_array(self.c, "c (target output bias)", ndim=0))
        box = _check_box(self.box)
        _check_conditions(W, b, v, box)
        for arr in (W, b, v):
            arr.flags.writeable = False
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "v", v)
        object.__setattr__(self, "c", c)
        object.__setattr__(self, "box", box)

    @property
    def n(self) -> int:
        """Number of target hidden neurons."""
        return int(self.W.shape[0])

    @property
    def d(self) -> int:
        """Input dimension."""
        return int(self.W.shape[1])

    @property
    def support(self) -> np.ndarray:
        """Boolean (n, d): supp(w_i) per row."""
        return self.W != 0

    @property
    def max_support(self) -> int:
        """s = max_i |supp(w_i)| (enters the block lower bound)."""
        return int(self.support.sum(axis=1).max())

    @property
    def network(self) -> ReLUNetwork:
        """The target as a :class:`ReLUNetwork` (widths d-n-1)."""
        return ReLUNetwork((self.W, self.v[None, :]), (self.b, np.array([self.c])), self.box)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """f_T on a batch (batch, d); returns (batch,)."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        return self.c + np.maximum(x @ self.W.T + self.b, 0.0) @ self.v


def _check_conditions(
    W: np.ndarray, b: np.ndarray, v: np.ndarray, box: tuple[float, float]
) -> None:
    """v_i != 0, w_i != 0, H_i meets the interior of the box, H_i pairwise distinct (one-line errors)."""
    a, bb = box
    d = W.shape[1]
    zero_v = np.flatnonzero(v == 0)
    if zero_v.size:
        raise LTHInputError(
            f"v (target output weights) must be nonzero, got v[{zero_v[0]}] = 0 "
            f"(a neuron with v_i = 0 is absent from f_T; drop it)"
        )
    zero_w = np.flatnonzero(~np.any(W != 0, axis=1))
    if zero_w.size:
        raise LTHInputError(
            f"W (target input weights) must have nonzero rows (w_i = 0 has no hyperplane), "
            f"got row {zero_w[0]} = 0"
        )
    # range of w.x + b over the box: [b + sum min(w a, w b), b + sum max(w a, w b)]
    lo = b + np.minimum(W * a, W * bb).sum(axis=1)
    hi = b + np.maximum(W * a, W * bb).sum(axis=1)
    bad = np.flatnonzero(~((lo < 0) & (hi > 0)))
    if bad.size:
        i = int(bad[0])
        raise LTHInputError(
            f"hyperplane of target neuron {i} must meet the interior of the box [{a:g}, {bb:g}]^{d}: "
            f"w_{i}.x + b_{i} ranges over [{lo[i]:.6g}, {hi[i]:.6g}] there (needs lo < 0 < hi)"
        )
    pair = _coinciding_hyperplanes(W, b)
    if pair is not None:
        i, j = pair
        raise LTHInputError(
            f"target neurons {i} and {j} must have distinct hyperplanes (pairwise distinct "
            f"{{w.x + b = 0}} required), but (w_{i}, b_{i}) and (w_{j}, b_{j}) are proportional "
            f"(within {HYPERPLANE_TOL:g})"
        )


def _normalised_planes(W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(w, b) / ||w||_2, signed so the first nonzero entry of w is positive: one row per hyperplane."""
    X = np.column_stack([W, b]) / np.linalg.norm(W, axis=1)[:, None]
    first = np.argmax(W != 0, axis=1)
    sign = np.sign(W[np.arange(W.shape[0]), first])
    return X * sign[:, None]


def _coinciding_hyperplanes(W: np.ndarray, b: np.ndarray) -> tuple[int, int] | None:
    """The first pair (i < j) whose hyperplanes coincide (normalised rows within HYPERPLANE_TOL)."""
    X = _normalised_planes(W, b)
    n = X.shape[0]
    if n < 2:
        return None
    # sort by a fixed random projection r with ||r||_1 = 1: equal planes lie within the tolerance
    # there, so only neighbours inside a window need a full comparison
    r = np.random.default_rng(20230706).uniform(0.5, 1.0, size=X.shape[1])
    proj = X @ (r / r.sum())
    order = np.argsort(proj, kind="stable")
    Xs = X[order]
    key = proj[order]
    hi_idx = np.searchsorted(key, key + HYPERPLANE_TOL, side="right")
    span = hi_idx - np.arange(n) - 1
    for off in range(1, int(span.max(initial=0)) + 1):
        rows = np.flatnonzero(span >= off)
        diff = np.abs(Xs[rows] - Xs[rows + off]).max(axis=1)
        hit = rows[diff <= HYPERPLANE_TOL]
        if hit.size:
            i, j = sorted((int(order[hit[0]]), int(order[hit[0] + off])))
            return i, j
    return None


def check_one_hidden_target(target: ReLUNetwork | OneHiddenTarget) -> OneHiddenTarget:
    """Check a one-hidden-layer target (widths d-n-1) against THEORY section 4's conditions.

    Returns the checked :class:`OneHiddenTarget`; raises :class:`LTHInputError` naming the violated
    condition (v_i != 0, w_i != 0, distinct hyperplanes, hyperplanes meeting the box interior).
    """
    if isinstance(target, OneHiddenTarget):
        return target
    if not isinstance(target, ReLUNetwork):
        raise LTHInputError(
            f"target must be a ReLUNetwork or OneHiddenTarget, got {type(target).__name__}"
        )
    if target.depth != 2:
        raise LTHInputError(
            f"target must have exactly one hidden layer (depth 2, widths d-n-1), got depth {target.depth}"
        )
    if target.widths[-1] != 1:
        raise LTHInputError(
            f"target must have exactly one output (widths d-n-1), got {target.widths[-1]} outputs"
        )
    W1, W2 = target.weights
    W1 = W1.toarray() if sp.issparse(W1) else np.asarray(W1)
    v = (W2.toarray() if sp.issparse(W2) else np.asarray(W2))[0]
    return OneHiddenTarget(W1, target.biases[0], v, float(target.biases[1][0]), target.box)


def hard_instance(
    n: int,
    box: tuple[float, float] = (-1.0, 1.0),
    seed: int | np.random.Generator | None = 0,
    d: int = 1,
) -> OneHiddenTarget:
    """The hard instance f_T(x) = c + sum_i v_i phi(x_1 - c_i) (THEORY section 4).

    Thresholds c_i stratified in (a, b): c_i = a + (b - a)(i + 0.1 + 0.8 U_i)/n, so they are distinct
    and interior; v_i = +-U[0.5, 1], c ~ U[-1/2, 1/2]. Only x_1 is read (w_i = e_1 in R^d).
    """
    n = check_positive_int(n, "n (target neurons)")
    d = check_positive_int(d, "d (input dimension)")
    a, bb = _check_box(box)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    ci = a + (bb - a) * (np.arange(n) + 0.1 + 0.8 * rng.random(n)) / n
    v = rng.choice([-1.0, 1.0], size=n) * rng.uniform(0.5, 1.0, size=n)
    c = float(rng.uniform(-0.5, 0.5))
    W = np.zeros((n, d))
    W[:, 0] = 1.0
    return OneHiddenTarget(W, -ci, v, c, (a, bb))


def random_one_hidden_target(
    d: int,
    n: int,
    support: int = 1,
    seed: int | np.random.Generator | None = 0,
    box: tuple[float, float] = (-1.0, 1.0),
) -> OneHiddenTarget:
    """A random one-hidden-layer target whose w_i have exactly ``support`` = s nonzeros.

    supp(w_i) uniform among the s-subsets of the d inputs, nonzero weights +-U[0.5, 1]; each hyperplane
    passes through a uniform point of the inner 80 % of the box (so it meets the interior);
    v_i = +-U[0.5, 1], c ~ U[-1/2, 1/2]. s = 1 is univariate, s = d dense.
    """
    d = check_positive_int(d, "d (input dimension)")
    n = check_positive_int(n, "n (target neurons)")
    s = check_positive_int(support, "support")
    if s > d:
        raise LTHInputError(f"support must be in [1, d = {d}], got {s}")
    a, bb = _check_box(box)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    for _ in range(100):
        cols = np.argsort(rng.random((n, d)), axis=1)[:, :s]
        W = np.zeros((n, d))
        vals = rng.choice([-1.0, 1.0], size=(n, s)) * rng.uniform(0.5, 1.0, size=(n, s))
        np.put_along_axis(W, cols, vals, axis=1)
        x0 = rng.uniform(a + 0.1 * (bb - a), bb - 0.1 * (bb - a), size=(n, d))
        b = -np.einsum("ij,ij->i", W, x0)
        if _coinciding_hyperplanes(W, b) is None:
            break
    else:  # pragma: no cover - probability zero for continuous draws
        raise LTHInputError("could not draw pairwise distinct hyperplanes; check n and d")
    v = rng.choice([-1.0, 1.0], size=n) * rng.uniform(0.5, 1.0, size=n)
    c = float(rng.uniform(-0.5, 0.5))
    return OneHiddenTarget(W, b, v, c, (a, bb))


# --------------------------------------------------------------------------- the source and the graph


def sample_source_masks(
    N: int, d: int, p1: float, p2: float, rng: np.random.Generator | int | None = None
) -> tuple[sp.csr_array, sp.csr_array]:
    """ER masks of a one-hidden-layer source: M_1 (N x d, density p_1) then M_2 (1 x N, density p_2).

    Bool CSR, sampled in O(nnz) (THEORY section 1).
    """
    N = check_positive_int(N, "N (hidden width)")
    d = check_positive_int(d, "d (input dimension)")
    p1 = check_density(p1, "p1")
    p2 = check_density(p2, "p2")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
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


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, e) over the given starts and ends (int64)."""
    lens = ends - starts
    total = int(lens.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    return np.repeat(ends - np.cumsum(lens), lens) + np.arange(total, dtype=np.int64)


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
        pos = _ranges(M1.indptr[out].astype(np.int64), M1.indptr[out + 1].astype(np.int64))
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
    indices = elig[_ranges(cstart[cls], cstart[cls] + deg)]
    return indptr, indices, out


def bipartite_graph(target: ReLUNetwork | OneHiddenTarget, source_masks: Sequence) -> sp.csr_array:
    """Biadjacency (n x N, int8 CSR) of G: i ~ u iff supp(w_i) inside M_1[u] and M_2[0, u] = 1
    (THEORY section 4)."""
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
        nb = np.unique(indices[_ranges(indptr[frontier], indptr[frontier + 1])])
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
    for ``target``: a matching of G covering all targets (THEORY section 4).

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
        g = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        x = _check_points(t, g)
        ft = t(x)
        err = float(np.max(np.abs(_kept_part(net).forward(x)[:, 0] - ft)))
        if err > TICKET_TOL * (1.0 + float(np.max(np.abs(ft)))):  # pragma: no cover
            raise RuntimeError(f"ticket differs from the target on the box by {err:.3g}")
    return LowerBoundDecision(True, matching, empty, empty, empty, ne, net, tmasks, err)


# --------------------------------------------------------------------------- the measurement


def simulate_success(
    target: ReLUNetwork | OneHiddenTarget,
    N: int,
    p1: float,
    p2: float,
    ss: np.random.SeedSequence,
    trials: int,
    start: int = 0,
) -> np.ndarray:
    """Success indicator per trial: sample ER masks (generator child t of ``ss`` for trial t) and
    decide exactly by matching (no ticket built)."""
    t = check_one_hidden_target(target)
    N = check_positive_int(N, "N (hidden width)")
    p1 = check_density(p1, "p1")
    p2 = check_density(p2, "p2")
    trials = check_positive_int(trials, "trials")
    start = check_positive_int(start, "start", minimum=0)
    out = np.empty(trials, dtype=bool)
    for k, g in enumerate(trial_generators(ss, start, start + trials)):
        M1, M2 = sample_source_masks(N, t.d, p1, p2, g)
        # fewer than n output edges: no matching can cover the targets (skip the graph)
        out[k] = M2.nnz >= t.n and bool(np.all(_match(t, M1, M2)[3] >= 0))
    return out


def success_rate(
    target: ReLUNetwork | OneHiddenTarget,
    N: int,
    p1: float,
    p2: float,
    ss: np.random.SeedSequence,
    trials: int,
    confidence: float = 0.95,
) -> Proportion:
    """Monte-Carlo estimate of P(the source contains a weak ticket), Clopper-Pearson interval."""
    ok = simulate_success(target, N, p1, p2, ss, trials)
    return proportion(int(ok.sum()), int(ok.size), confidence=confidence)


# --------------------------------------------------------------------------- the theory


def _q(name: str, p: float) -> float:
    return check_density(p, name)


def exact_success_probability_hard(
    N: int | np.ndarray, n: int, p1: float, p2: float
) -> float | np.ndarray:
    """Hard instance, exactly: P(success) = P(Binomial(N, p_1 p_2) >= n) (THEORY section 4).

    Every hidden neuron with both mask edges can serve every target, so a matching exists iff at
    least n neurons have both edges.
    """
    n = check_positive_int(n, "n (target neurons)")
    q = _q("p1", p1) * _q("p2", p2)
    res = stats.binom.sf(n - 1, _widths(N), q)
    return float(res) if np.ndim(res) == 0 else res


def upper_bound(N: int | np.ndarray, n: int, p2: float) -> float | np.ndarray:
    """Any target: P(success) <= P(Binomial(N, p_2) >= n): every target needs its own output edge."""
    n = check_positive_int(n, "n (target neurons)")
    res = stats.binom.sf(n - 1, _widths(N), _q("p2", p2))
    return float(res) if np.ndim(res) == 0 else res


def block_lower_bound(
    k: int | np.ndarray, n: int, p1: float, p2: float, s: int = 1
) -> float | np.ndarray:
    """Block construction (N = k n; block i reserved for target i): P(success) >= 1 - n (1 - p_2 p_1^s)^k,
    clipped at 0; s = max_i |supp(w_i)| (union bound over the n blocks)."""
    n = check_positive_int(n, "n (target neurons)")
    s = check_positive_int(s, "s (support size)")
    q = _q("p2", p2) * _q("p1", p1) ** s
    k_arr = np.asarray(k)
    if np.any(k_arr < 0) or not np.all(np.equal(np.mod(k_arr, 1), 0)):
        raise LTHInputError(f"k (neurons per block) must be integers >= 0, got {k}")
    k_arr = k_arr.astype(np.float64)
    with np.errstate(divide="ignore"):
        miss = np.exp(k_arr * np.log1p(-q)) if q < 1 else (k_arr == 0).astype(np.float64)
    res = np.maximum(0.0, 1.0 - n * miss)
    return float(res) if np.ndim(res) == 0 else res


def block_threshold_k(n: int, p1: float, p2: float, s: int = 1, level: float = 0.5) -> int:
    """Smallest k with 1 - n (1 - p_2 p_1^s)^k >= level: k = ceil(ln(n/(1-level)) / ln(1/(1 - p_2 p_1^s)))."""
    n = check_positive_int(n, "n (target neurons)")
    s = check_positive_int(s, "s (support size)")
    level = check_probability_open(level, "level")
    q = _q("p2", p2) * _q("p1", p1) ** s
    if q >= 1.0:
        return 1
    k = int(np.ceil(np.log(n / (1.0 - level)) / -np.log1p(-q) - 1e-12))
    while block_lower_bound(k, n, p1, p2, s) < level:  # guard against rounding
        k += 1
    return max(k, 1)


def chernoff_bound(N: int | np.ndarray, n: int, p2: float) -> float | np.ndarray:
    """P(Binomial(N, p_2) >= n) <= exp(-n (-eta - ln(1 - eta))) <= exp(-n eta^2 / 2) where
    N p_2 = (1 - eta) n, 0 < eta <= 1; 1 when N p_2 >= n (proofs/lower_bound.md)."""
    n = check_positive_int(n, "n (target neurons)")
    p2 = _q("p2", p2)
    mu = _widths(N).astype(np.float64) * p2
    eta = 1.0 - mu / n
    with np.errstate(divide="ignore", invalid="ignore"):
        expo = np.where(eta >= 1.0, -np.inf, -n * (-eta - np.log1p(-np.minimum(eta, 1.0 - 1e-300))))
    res = np.where(eta > 0, np.exp(expo), 1.0)
    return float(res) if np.ndim(res) == 0 else res


def _widths(N: int | np.ndarray) -> np.ndarray:
    arr = np.asarray(N)
    if np.any(arr < 0) or not np.all(np.equal(np.mod(arr, 1), 0)):
        raise LTHInputError(f"N (hidden width) must be integers >= 0, got {N}")
    return arr.astype(np.int64)


def threshold_width(n: int, p1: float, p2: float, level: float = 0.5) -> int:
    """Closed-form threshold N*: the smallest N with P(Binomial(N, p_1 p_2) >= n) >= level.

    Exact integer search (exponential then binary) over N with scipy.stats.binom; the probability is
    increasing in N. N* is about n / (p_1 p_2) at level 1/2. With p_1 = 1 this is the threshold of the
    general upper bound, a proven lower bound on any target's N*.
    """
    n = check_positive_int(n, "n (target neurons)")
    level = check_probability_open(level, "level")
    q = _q("p1", p1) * _q("p2", p2)
    if q >= 1.0:
        return n

    def ok(N: int) -> bool:
        return bool(stats.binom.sf(n - 1, N, q) >= level)

    lo = n - 1  # P = 0 here
    hi = max(n, int(np.ceil(n / q)))
    while not ok(hi):
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi
