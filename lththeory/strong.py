"""Theorem S: strong lottery tickets inside ER source networks (THEORY section 5, our formulation).

A *strong* ticket keeps the source's random weights and biases exactly as drawn; it may only delete
them. Two explicit constructions live here, on the same lazily generated ER sources:

* :func:`construct` -- depth L+1 (univariate first layer, Burkholz 2022 style).
  Source neuron layer 1 holds d blocks of k_0 neurons (block j reads only x_j, its bias deleted) and a
  block of k_c "constant" neurons; neuron layer l+1 (l = 1..L-1) holds n_l blocks of k_l *copies* of
  target neuron i of layer l plus a constant block; neuron layer L+1 holds the n_L outputs.

  - Layer 1 -> 2. A univariate neuron u with weight theta_u > 0 outputs theta_u phi(x_j), one with
    theta_u < 0 outputs |theta_u| phi(-x_j). As x = phi(x) - phi(-x), a copy v of target neuron i meets
    W_1[i, j] x_j with two subset sums over surviving paths x_j -> u -> v: over the positive-theta
    neurons, sum eta_vu theta_u ~ W_1[i, j] (coefficient of phi(x_j)), and over the negative-theta
    neurons, sum eta_vu |theta_u| ~ -W_1[i, j] (coefficient of phi(-x_j)). Candidates are products of
    two U[-1, 1] draws (exactly the "product" distribution of :mod:`lththeory.subset_sum`).
  - Layer l -> l+1 (l >= 2). Copy v of target neuron i meets W_l[i, j] by a subset sum of its own
    surviving edge weights eta_vu from valid copies u of j (candidates U[-1, 1]).
  - Biases. Constant neurons keep their (positive) bias and lose every input, so they output b_c;
    target bias b_l[i] is met by a subset sum over {own bias of v} and {eta_vc b_c}.

* :func:`construct_pensia` -- depth 2L (Pensia et al. 2020): target layer l becomes an intermediate
  layer (for each input neuron j a block of k_l neurons reading only neuron j) and a layer with one
  neuron per target neuron, which meets W_l[i, j] by a subset sum of products eta_iu theta_u.

Every subset sum is solved exactly (sorted meet in the middle, :func:`lththeory.subset_sum.solve_batch`,
vectorised over all the weights of a block) over at most ``max_candidates`` (<= 26) candidates.

Error propagation (the rule; proofs/strong_tickets.md, section 3). With R_+ = max(b, 0),
R_- = max(-a, 0), R = max(R_+, R_-) for the box [a, b]^d, H_{l,j} an interval bound of |h_{l,j}| over
the box (H_{0,j} = R), beta_l(i) = 1 if b_l[i] != 0 else 0, and E_l the sup-norm error of a copy of a
target neuron of layer l (the outputs for l = L), when every subset sum of layer l is within eps'_l:

    E_1 <= eps'_1 c_1,                   c_1 = max_i (|N_1(i)| R + beta_1(i)),
    E_l <= eps'_l c_l + alpha_l E_{l-1},  c_l = max_i (sum_{j in N_l(i)} H_{l-1,j} + beta_l(i)),

where alpha_l = max_i |N_l(i)| A_l and A_l bounds the amplification sum_{u in S} |eta_u| of one weight's
selected candidates (depth L+1: n candidates of magnitude <= 1 give A_l <= n), or
alpha_l = Lambda_l + 1 with Lambda_l = max_i ||W_l[i, :]||_1 (Pensia: a weight's subset multiplies one
neuron; rigorous once s_l eps'_l <= 1). The rule shares eps over the layers in proportion
phi_l to the number of subset sums a neuron of layer l solves (2 |N_1(i)| + beta_1(i) in layer 1 for a box
around 0, |N_l(i)| + beta_l(i) above):

    eps'_l = phi_l eps / (c_l prod_{m > l} alpha_m)        (so that E_L = eps exactly).

:func:`error_budget` evaluates it: ``amplification="worst"`` is the rigorous A_l = n (Theorem S),
the default ``"typical"`` plans with A_l = n / 4 (an optimal subset selects about half of n candidates of
mean magnitude 1/2). The constructions then decide with *certificates*: the same recursion evaluated per
copy with the actual signed subset-sum errors and the actual amplifications (exact for layer 1). A hidden
copy is valid iff its certificate is at most E_l, and success means every output's certificate is
<= eps: a rigorous bound, so a reported success always means sup |f_P - f_T| <= eps on the whole box.
The sampled error (:func:`estimate_error`, a lower bound of the same sup) is reported next to it.

Theorem S (:func:`theorem_s_widths` and friends) is the union bound over all subset-sum candidate sets
with Lueker's assumption n >= C log2(1/min(eps', delta')) (C measured by the subset-sum sweep).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy import stats
from scipy.optimize import minimize

from ._validate import (
    LTHInputError,
    check_choice,
    check_density,
    check_positive_int,
    check_positive_real,
    check_probability_open,
)
from .densities import layer_densities
from .masks import bernoulli_mask
from .network import ReLUNetwork, box_corners

__all__ = [
    "CONSTRUCTIONS",
    "LUEKER_C",
    "MAX_BLOCK_ENTRIES",
    "MAX_CANDIDATES",
    "CandidateSet",
    "ErrorBudget",
    "ErrorEstimate",
    "StrongConstruction",
    "StrongSource",
    "StrongTicket",
    "StrongWidths",
    "WeightFailure",
    "candidate_sets",
    "construct",
    "construct_pensia",
    "error_budget",
    "estimate_error",
    "interval_bounds",
    "lueker_candidates",
    "predicted_ticket_size",
    "reachable_eps",
    "sample_source",
    "source_densities",
    "theorem_s_common_width",
    "theorem_s_failure_bound",
    "theorem_s_widths",
]

CONSTRUCTIONS: tuple[str, ...] = ("univariate", "pensia")
"""``"univariate"``: depth L+1 (:func:`construct`); ``"pensia"``: depth 2L (:func:`construct_pensia`)."""

MAX_CANDIDATES = 26
"""Most candidates per subset sum (the exact batched solver's limit)."""

MAX_BLOCK_ENTRIES = 1 << 26
"""Largest random block (rows x cols) generated at once; larger widths are refused."""

LUEKER_C: dict[str, float] = {"uniform": 2.03, "product": 2.55}
"""Lueker constants C in n = C log2(1/eps), measured with
``fit_lueker_constant((0.1, 0.03, 0.01, 0.003, 0.001), distribution, trials=200, delta=0.1, seed=0)``
(95% intervals: uniform [1.54, 2.53], product [1.50, 3.60]); rerun with
``python -m lththeory.sweep n eps --experiment subset-sum``."""

_DIST = ("uniform", "normal")


# =========================================================================== validation helpers


def _check_target(target: object) -> ReLUNetwork:
    if not isinstance(target, ReLUNetwork):
        raise LTHInputError(f"target must be a ReLUNetwork, got {type(target).__name__}")
    return target


def _dense(w) -> np.ndarray:
    return w.toarray() if sp.issparse(w) else np.asarray(w, dtype=np.float64)


def _check_eps(eps: object) -> float:
    return check_positive_real(eps, "eps")


def _check_construction(construction: object) -> str:
    return check_choice(construction, "construction", CONSTRUCTIONS)


def _seed_parts(seed: object) -> tuple[int, tuple[int, ...]]:
    """(entropy, spawn_key) of a seed: int, SeedSequence or Generator (which draws an entropy)."""
    if isinstance(seed, np.random.SeedSequence):
        ent = seed.entropy
        if not isinstance(ent, (int, np.integer)):
            ent = int(np.random.SeedSequence(ent).generate_state(2, np.uint64).view(np.uint64)[0])
        return int(ent), tuple(int(k) for k in seed.spawn_key)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1)), ()
    if seed is None:
        return int(np.random.SeedSequence().entropy), ()
    return check_positive_int(seed, "seed", minimum=0), ()


# =========================================================================== sources


@dataclass(frozen=True)
class StrongSource:
    """A random ER source network, generated lazily block by block (THEORY section 5).

    Neuron layer l (0..D, D the source depth) is split into blocks of sizes ``blocks[l]``; when
    ``const[l]`` the last block holds the *constant* neurons. Weight layer l (1..D) connects neuron
    layer l-1 to l with density ``densities[l-1]``. The sub-block between row block r of layer l and
    column block c of layer l-1 (weights iid U[-1, 1] or N(0, 1), mask iid Bernoulli(p_l)) is drawn from
    its own generator, child ``(l, r, c + 1)`` of the source's SeedSequence; the biases of row block r
    from child ``(l, r, 0)``. So any block can be regenerated on its own and memory stays proportional
    to one block plus what the caller keeps.
    """

    construction: str
    target_widths: tuple[int, ...]
    k: tuple[int, ...]
    k_const: tuple[int, ...]
    blocks: tuple[tuple[int, ...], ...]
    const: tuple[bool, ...]
    densities: tuple[float, ...]
    entropy: int
    spawn_key: tuple[int, ...] = ()
    weights: str = "uniform"
    box: tuple[float, float] = (-1.0, 1.0)

    @property
    def depth(self) -> int:
        """D, the number of weight layers (L+1 or 2L)."""
        return len(self.blocks) - 1

    @property
    def widths(self) -> tuple[int, ...]:
        """(N_0, ..., N_D)."""
        return tuple(int(sum(b)) for b in self.blocks)

    def offsets(self, l: int) -> np.ndarray:
        """Start index of every block of neuron layer l (and the layer's width at the end)."""
        return np.concatenate([[0], np.cumsum(self.blocks[l])]).astype(np.int64)

    def num_weights(self) -> int:
        """Weights of the dense source: sum_l N_l N_{l-1}."""
        w = self.widths
        return int(sum(w[l] * w[l - 1] for l in range(1, len(w))))

    def expected_nnz(self) -> float:
        """Expected number of weights the ER masks keep: sum_l p_l N_l N_{l-1}."""
        w = self.widths
        return float(sum(p * w[l] * w[l - 1] for l, p in enumerate(self.densities, start=1)))

    def _rng(self, *key: int) -> np.random.Generator:
        ss = np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key + tuple(key))
        return np.random.Generator(np.random.PCG64(ss))

    def _draw(self, rng: np.random.Generator, size) -> np.ndarray:
        if self.weights == "uniform":
            return rng.uniform(-1.0, 1.0, size)
        return rng.standard_normal(size)

    def block(self, l: int, r: int, c: int) -> tuple[np.ndarray, np.ndarray]:
        """Weights (float64) and ER mask (bool) between row block r of layer l and column block c."""
        rows, cols = self.blocks[l][r], self.blocks[l - 1][c]
        rng = self._rng(l, r, c + 1)
        w = self._draw(rng, (rows, cols))
        m = bernoulli_mask((rows, cols), self.densities[l - 1], rng).toarray()
        return w, m

    def block_biases(self, l: int, r: int) -> np.ndarray:
        """Biases of row block r of neuron layer l."""
        return self._draw(self._rng(l, r, 0), self.blocks[l][r])

    def dense_layer(self, l: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The whole weight layer l as dense (weights, mask, biases): for tests on small sources."""
        N = self.widths
        if N[l] * N[l - 1] > MAX_BLOCK_ENTRIES:
            raise LTHInputError(f"layer {l} has {N[l] * N[l - 1]} weights: too large to densify")
        ro, co = self.offsets(l), self.offsets(l - 1)
        W = np.empty((N[l], N[l - 1]))
        M = np.empty((N[l], N[l - 1]), dtype=bool)
        b = np.empty(N[l])
        for r in range(len(self.blocks[l])):
            b[ro[r] : ro[r + 1]] = self.block_biases(l, r)
            for c in range(len(self.blocks[l - 1])):
                w, m = self.block(l, r, c)
                W[ro[r] : ro[r + 1], co[c] : co[c + 1]] = w
                M[ro[r] : ro[r + 1], co[c] : co[c + 1]] = m
        return W, M, b


def _normalise_per_layer(value: object, n: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    if np.ndim(value) == 0:
        v = check_positive_int(value, name, minimum=minimum)
        return (v,) * n
    items = list(value)  # type: ignore[call-overload]
    vals = tuple(
        check_positive_int(x, f"{name}[{i}]", minimum=minimum) for i, x in enumerate(items)
    )
    if len(vals) != n:
        raise LTHInputError(f"{name} must hold {n} values (one per target layer), got {len(vals)}")
    return vals


def _normalise_densities(densities: object, depth: int) -> tuple[float, ...]:
    if np.ndim(densities) == 0:
        p = check_density(densities, "densities")
        return (p,) * depth
    items = list(densities)  # type: ignore[call-overload]
    ps = tuple(check_density(v, f"densities[{i}]") for i, v in enumerate(items))
    if len(ps) != depth:
        raise LTHInputError(
            f"densities must hold one value per source layer ({depth}), got {len(ps)}"
        )
    return ps


def _layout(
    construction: str, widths: Sequence[int], k: Sequence[int], kc: Sequence[int]
) -> tuple[tuple[tuple[int, ...], ...], tuple[bool, ...]]:
    d, L = widths[0], len(widths) - 1
    blocks: list[tuple[int, ...]] = [(1,) * d]
    const = [False]
    if construction == "univariate":
        for l in range(1, L + 1):  # neuron layer l: blocks of neuron layer l-1 of the target
            b = (k[l - 1],) * widths[l - 1]
            blocks.append(b + ((kc[l - 1],) if kc[l - 1] > 0 else ()))
            const.append(kc[l - 1] > 0)
        blocks.append((1,) * widths[L])
        const.append(False)
    else:
        for l in range(1, L + 1):
            b = (k[l - 1],) * widths[l - 1]
            blocks.append(b + ((kc[l - 1],) if kc[l - 1] > 0 else ()))
            const.append(kc[l - 1] > 0)
            blocks.append((1,) * widths[l])
            const.append(False)
    return tuple(blocks), tuple(const)


def _source_depth(construction: str, L: int) -> int:
    return L + 1 if construction == "univariate" else 2 * L


def _default_kc(target: ReLUNetwork, k: tuple[int, ...], construction: str) -> tuple[int, ...]:
    """Constant-block sizes: the block size of the same source layer where target layer l has a
    nonzero bias, 0 otherwise."""
    out = []
    for l, b in enumerate(target.biases, start=1):
        out.append(k[l - 1] if np.any(np.asarray(b) != 0) else 0)
    return tuple(out)


def sample_source(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    seed: int | np.random.SeedSequence | np.random.Generator | None = 0,
    k_const: int | Sequence[int] | None = None,
    weights: str = "uniform",
    construction: str = "univariate",
) -> StrongSource:
    """A lazily generated random ER source for ``target`` (THEORY section 5).

    ``k``: block sizes, one per target layer (an int: the same everywhere) -- for ``"univariate"``
    (k_0, ..., k_{L-1}): univariate neurons per input and copies per hidden target neuron; for
    ``"pensia"`` (k_1, ..., k_L): intermediate neurons per input neuron of each target layer.
    ``k_const``: constant neurons serving the biases of target layer l (default: the block size of
    that layer where its biases are nonzero, else 0). ``densities``: p_1..p_D of the D source layers
    (one float: uniform). ``weights``: source weights and biases iid ``"uniform"`` U[-1, 1] or
    ``"normal"`` N(0, 1). Nothing is drawn here: blocks are generated on demand from ``seed``.
    """
    t = _check_target(target)
    construction = _check_construction(construction)
    check_choice(weights, "weights", _DIST)
    L = t.depth
    ks = _normalise_per_layer(k, L, "k")
    kc = (
        _default_kc(t, ks, construction)
        if k_const is None
        else _normalise_per_layer(k_const, L, "k_const", minimum=0)
    )
    D = _source_depth(construction, L)
    ps = _normalise_densities(densities, D)
    blocks, const = _layout(construction, t.widths, ks, kc)
    for l in range(1, D + 1):
        biggest = max(blocks[l]) * max(blocks[l - 1])
        if biggest > MAX_BLOCK_ENTRIES:
            raise LTHInputError(
                f"k is too large: a random block of source layer {l} would hold {biggest} weights "
                f"(at most {MAX_BLOCK_ENTRIES} = 2^26)"
            )
    ent, key = _seed_parts(seed)
    return StrongSource(
        construction, tuple(t.widths), ks, kc, blocks, const, ps, ent, key, weights, t.box
    )


def source_densities(
    target: ReLUNetwork,
    k: int | Sequence[int],
    density: float,
    scheme: str = "uniform",
    construction: str = "univariate",
    exact: bool = True,
) -> tuple[float, ...]:
    """Per-layer densities of the source for a global ``density`` under a THEORY section 2 scheme,
    computed by :func:`lththeory.densities.layer_densities` on the source's dense layer shapes."""
    t = _check_target(target)
    construction = _check_construction(construction)
    ks = _normalise_per_layer(k, t.depth, "k")
    kc = _default_kc(t, ks, construction)
    blocks, _ = _layout(construction, t.widths, ks, kc)
    N = [sum(b) for b in blocks]
    shapes = [(N[l], N[l - 1]) for l in range(1, len(N))]
    return tuple(float(p) for p in layer_densities(shapes, density, scheme, exact))


# =========================================================================== error propagation


def interval_bounds(target: ReLUNetwork) -> list[np.ndarray]:
    """H_l (l = 0..L-1): per neuron an upper bound of |h_l| over the box, by interval arithmetic.

    H_0 = max(|a|, |b|) for every input; for l >= 1, [lo, hi] of the pre-activation from the bounds of
    the layer below (W^+ hi + W^- lo + b, and vice versa), and |h_l| <= max(hi, 0).
    """
    t = _check_target(target)
    a, b = t.box
    d = t.input_dim
    lo, hi = np.full(d, a), np.full(d, b)
    out = [np.full(d, max(abs(a), abs(b)))]
    for l in range(t.depth - 1):
        W = _dense(t.weights[l])
        Wp, Wn = np.maximum(W, 0), np.minimum(W, 0)
        zlo = Wp @ lo + Wn @ hi + t.biases[l]
        zhi = Wp @ hi + Wn @ lo + t.biases[l]
        lo, hi = np.maximum(zlo, 0.0), np.maximum(zhi, 0.0)
        out.append(hi.copy())
    return out


@dataclass(frozen=True)
class ErrorBudget:
    """The per-layer precision rule of the module docstring (THEORY section 5).

    ``eps_prime[l-1]`` = eps'_l, the precision every subset sum of target layer l must reach;
    ``fresh[l-1]`` = c_l; ``alpha[l-1]`` = alpha_l (alpha_1 = 0: layer 1 reads exact inputs);
    ``bounds`` = H_0..H_{L-1} (interval bounds, per neuron). ``layer_errors()`` evaluates the recursion
    E_1 = eps'_1 c_1, E_l = eps'_l c_l + alpha_l E_{l-1}; by construction E_L = eps (Pensia: <= eps
    where the cap s_l eps'_l <= 1 binds). ``share[l-1]`` = phi_l, the fraction of eps given to layer l.
    """

    eps: float
    construction: str
    amplification: str
    share: tuple[float, ...]
    eps_prime: tuple[float, ...]
    fresh: tuple[float, ...]
    alpha: tuple[float, ...]
    candidates: int
    radius: tuple[float, float]
    bounds: tuple[np.ndarray, ...] = field(repr=False)

    def layer_errors(self, eps_prime: Sequence[float] | None = None) -> tuple[float, ...]:
        """E_1..E_L from the recursion at the given (default: the rule's) per-layer precisions."""
        ep = self.eps_prime if eps_prime is None else tuple(eps_prime)
        E, out = 0.0, []
        for l, (e, c, a) in enumerate(zip(ep, self.fresh, self.alpha, strict=True)):
            E = e * c + (a * E if l else 0.0)
            out.append(E)
        return tuple(out)


def _amplification_factor(amplification: object, n: int) -> float:
    if isinstance(amplification, str):
        check_choice(amplification, "amplification", ("typical", "worst"))
        return n / 4.0 if amplification == "typical" else float(n)
    return check_positive_real(amplification, "amplification")


def error_budget(
    target: ReLUNetwork,
    eps: float,
    construction: str = "univariate",
    amplification: str | float = "typical",
    candidates: int = MAX_CANDIDATES,
) -> ErrorBudget:
    """Per-layer subset-sum precisions eps'_l from the target error eps (module docstring's rule).

    c_1 = max_i (|N_1(i)| R + beta_1(i)); c_l = max_i (sum_{j in N_l(i)} H_{l-1,j} + beta_l(i)); for
    ``"univariate"`` alpha_l = max_i |N_l(i)| A with A = n/4 (``"typical"``), n (``"worst"``: rigorous for
    weights in [-1, 1]) or a given number, n = ``candidates``; for ``"pensia"`` alpha_l = Lambda_l + 1
    (rigorous once s_l eps'_l <= 1, which the rule enforces). With shares phi_l proportional to the
    subset sums per neuron (2 |N_1(i)| + beta_1(i) for a box around 0, |N_l(i)| + beta_l(i) above),
    eps'_l = phi_l eps / (c_l prod_{m>l} alpha_m), so that the recursion gives E_L = eps.
    """
    t = _check_target(target)
    eps = _check_eps(eps)
    construction = _check_construction(construction)
    n = check_positive_int(candidates, "candidates")
    A = _amplification_factor(amplification, n)
    a, b = t.box
    Rp, Rm = max(b, 0.0), max(-a, 0.0)
    R = max(Rp, Rm)
    H = interval_bounds(t)
    L = t.depth
    sup = t.supports()
    signs = int(Rp > 0) + int(Rm > 0)
    fresh, alpha, fan, count = [], [], [], []
    for l in range(1, L + 1):
        S = sup[l - 1]
        beta = (np.asarray(t.biases[l - 1]) != 0).astype(float)
        count.append(float(np.max(S.sum(axis=1) * (signs if l == 1 else 1) + beta)))
        if l == 1:
            c = float(np.max(S.sum(axis=1) * R + beta))
        else:
            c = float(np.max(S.astype(float) @ H[l - 1] + beta))
        fresh.append(max(c, 1e-300))
        s = int(S.sum(axis=1).max())
        fan.append(s)
        if l == 1:
            alpha.append(0.0)
        elif construction == "univariate":
            alpha.append(s * A)
        else:
            lam = float(np.abs(_dense(t.weights[l - 1])).sum(axis=1).max())
            alpha.append(lam + 1.0)
    share = np.maximum(np.array(count), 1.0)
    share = share / share.sum()
    eps_prime = []
    for l in range(L):
        prod = float(np.prod(alpha[l + 1 :])) if l + 1 < L else 1.0
        e = share[l] * eps / (fresh[l] * prod)
        if construction == "pensia" and l >= 1:
            e = min(e, 1.0 / max(fan[l], 1))  # keeps Lambda_l + s_l eps'_l <= alpha_l
        eps_prime.append(e)
    return ErrorBudget(
        eps,
        construction,
        amplification if isinstance(amplification, str) else f"{A:g}",
        tuple(float(x) for x in share),
        tuple(eps_prime),
        tuple(fresh),
        tuple(alpha),
        n,
        (Rp, Rm),
        tuple(H),
    )


# =========================================================================== Theorem S


def lueker_candidates(eps: float, delta: float, C: float) -> int:
    """n = ceil(C log2(1/min(eps, delta))): candidates after which (Lueker's assumption, constant C)
    a random subset sum meets every z in [-1, 1] within eps with probability >= 1 - delta."""
    eps = check_positive_real(eps, "eps")
    delta = check_probability_open(delta, "delta")
    C = check_positive_real(C, "C")
    return max(1, math.ceil(C * math.log2(1.0 / min(eps, delta, 0.5)) - 1e-9))


def reachable_eps(n: int | float, C: float) -> float:
    """Inverse of :func:`lueker_candidates` in eps: eps = 2^(-n/C) (the precision n candidates reach)."""
    n = check_positive_real(n, "n")
    C = check_positive_real(C, "C")
    return float(2.0 ** (-n / C))


@dataclass(frozen=True)
class CandidateSet:
    """One kind of subset-sum candidate set of Theorem S's union bound.

    ``block``: which block size it constrains (``"k"`` index l or ``"k_const"`` index l, 0-based);
    ``q``: the probability that one neuron of that block is a candidate; ``count``: how many such sets
    the construction solves; ``distribution``: ``"uniform"`` or ``"product"``; ``layer``: target layer.
    """

    name: str
    block: tuple[str, int]
    layer: int
    q: float
    count: int
    distribution: str


def candidate_sets(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    construction: str = "univariate",
) -> list[CandidateSet]:
    """The candidate sets of Theorem S at block sizes ``k`` (THEORY section 5).

    Depth L+1 (K_l = k_l copies of target layer l, K_L = 1): per input j and copy v of a layer-1 target
    neuron, one set per sign with q = p_1 p_2 / 2 (mask x_j -> u, sign of theta_u, mask u -> v);
    per copy v of a layer-(l+1) target neuron and j in N(i), one set over the copies of j with
    q = p_{l+2} (given the copies are valid); per bias one set over the constant block with
    q = p_{l+1} / 2 (a positive bias and a surviving edge). Pensia: per weight of layer l one set over
    the intermediate block with q = p_{2l-1} p_{2l} / 2, per bias q = p_{2l} / 2.
    """
    t = _check_target(target)
    construction = _check_construction(construction)
    L = t.depth
    ks = _normalise_per_layer(k, L, "k")
    ps = _normalise_densities(densities, _source_depth(construction, L))
    a, b = t.box
    signs = int(max(b, 0) > 0) + int(max(-a, 0) > 0)
    m = [int(s.sum()) for s in t.supports()]
    nb = [int(np.count_nonzero(np.asarray(bb))) for bb in t.biases]
    out: list[CandidateSet] = []
    if construction == "univariate":
        K = list(ks[1:]) + [1]  # copies of target layer l (l = 1..L), outputs 1
        out.append(
            CandidateSet(
                "layer 1 (x_j -> u -> v)",
                ("k", 0),
                1,
                ps[0] * ps[1] / 2,
                signs * m[0] * K[0],
                "product",
            )
        )
        for l in range(2, L + 1):
            out.append(
                CandidateSet(
                    f"layer {l} (copies of layer {l - 1})",
                    ("k", l - 1),
                    l,
                    ps[l],
                    m[l - 1] * K[l - 1],
                    "uniform",
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
                    )
                )
    else:
        for l in range(1, L + 1):
            sg = signs if l == 1 else 1
            out.append(
                CandidateSet(
                    f"layer {l} (intermediate)",
                    ("k", l - 1),
                    l,
                    ps[2 * l - 2] * ps[2 * l - 1] / 2,
                    sg * m[l - 1],
                    "product",
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
                    )
                )
    return [s for s in out if s.count > 0]


@dataclass(frozen=True)
class StrongWidths:
    """Theorem S's block sizes: ``k`` (one per target layer), ``k_const`` (constant blocks), with the
    candidates ``n_required`` per set kind, the per-set failure budget and the precisions used."""

    k: tuple[int, ...]
    k_const: tuple[int, ...]
    n_required: dict[str, int]
    delta_set: float
    eps_prime: tuple[float, ...]
    sets: tuple[CandidateSet, ...]


def _set_width(q: float, n_req: int, delta_set: float) -> int:
    """Smallest k with k >= (2/q) max(n_req, 4 ln(2/delta_set)) (Chernoff, proofs section 5)."""
    return max(1, math.ceil(2.0 / q * max(n_req, 4.0 * math.log(2.0 / delta_set)) - 1e-9))


def _lueker_c(C: float | dict | None, dist: str) -> float:
    if C is None:
        return LUEKER_C[dist]
    if isinstance(C, dict):
        if dist not in C:
            raise LTHInputError(
                f"C must give a constant for {dist!r} (keys 'uniform', 'product'), got {sorted(C)}"
            )
        return check_positive_real(C[dist], f"C[{dist!r}]")
    return check_positive_real(C, "C")


def _check_theory_target(t: ReLUNetwork) -> None:
    wmax = max(float(np.abs(_dense(w)).max()) for w in t.weights)
    bmax = max(float(np.abs(np.asarray(b)).max()) for b in t.biases)
    if wmax > 1.0 or bmax > 1.0:
        raise LTHInputError(
            "target weights and biases must lie in [-1, 1] for Theorem S (subset sums of U[-1, 1] "
            f"draws reach [-1, 1]); got max |W| = {wmax:.3g}, max |b| = {bmax:.3g}: rescale the target"
        )


def theorem_s_widths(
    target: ReLUNetwork,
    densities: float | Sequence[float],
    eps: float,
    delta: float = 0.1,
    C: float | dict | None = None,
    construction: str = "univariate",
) -> StrongWidths:
    """Smallest block sizes meeting Theorem S's conditions (THEORY section 5, proofs section 5).

    Every candidate set (:func:`candidate_sets`) gets the failure budget delta_set = delta / S (S the
    total number of sets); it needs n = C log2(1/min(eps'_l, delta_set / 2)) candidates (Lueker,
    failure delta_set / 2) and its block k >= (2/q) max(n, 4 ln(2/delta_set)) (Chernoff: fewer than n
    candidates with probability <= delta_set / 2). eps'_l is the rigorous rule of :func:`error_budget`
    (``amplification="worst"`` with n candidates). S and n grow with k only through logarithms: the
    smallest consistent sizes are a fixed point, found by iterating from k = 1.
    """
    t = _check_target(target)
    _check_theory_target(t)
    eps = _check_eps(eps)
    delta = check_probability_open(delta, "delta")
    construction = _check_construction(construction)
    L = t.depth
    ps = _normalise_densities(densities, _source_depth(construction, L))
    k = [1] * L
    kc = [1] * L
    n_used = MAX_CANDIDATES
    for _ in range(200):
        sets = candidate_sets(t, k, ps, construction)
        S = sum(s.count for s in sets)
        dset = delta / S
        bud = error_budget(t, eps, construction, "worst", n_used)
        need: dict[str, int] = {}
        new_k, new_kc = [1] * L, [0] * L
        for s in sets:
            n_req = lueker_candidates(
                bud.eps_prime[s.layer - 1], dset / 2, _lueker_c(C, s.distribution)
            )
            need[s.name] = n_req
            w = _set_width(s.q, n_req, dset)
            kind, idx = s.block
            if kind == "k":
                new_k[idx] = max(new_k[idx], w)
            else:
                new_kc[idx] = max(new_kc[idx], w)
        n_new = max(need.values())
        if new_k == k and new_kc == kc and n_new == n_used:
            break
        k, kc, n_used = new_k, new_kc, n_new
    nb = [np.count_nonzero(np.asarray(b)) for b in t.biases]
    kc_out = tuple(kc[i] if nb[i] else 0 for i in range(L))
    return StrongWidths(tuple(k), kc_out, need, dset, bud.eps_prime, tuple(sets))


def _conditions(
    t: ReLUNetwork, kk: int, ps, eps: float, delta: float, C, construction: str
) -> bool:
    """Do all of Theorem S's conditions hold with every block of size ``kk``?"""
    sets = candidate_sets(t, kk, ps, construction)
    dset = delta / sum(s.count for s in sets)
    n_all, ns = MAX_CANDIDATES, []
    for _ in range(50):  # eps' depends on n through the worst-case amplification: fixed point
        bud = error_budget(t, eps, construction, "worst", n_all)
        ns = [
            lueker_candidates(bud.eps_prime[s.layer - 1], dset / 2, _lueker_c(C, s.distribution))
            for s in sets
        ]
        if max(ns) == n_all:
            break
        n_all = max(ns)
    return all(kk >= _set_width(s.q, n, dset) for s, n in zip(sets, ns, strict=True))


def theorem_s_common_width(
    target: ReLUNetwork,
    densities: float | Sequence[float],
    eps: float,
    delta: float = 0.1,
    C: float | dict | None = None,
    construction: str = "univariate",
) -> int:
    """Smallest common block size k (every k_l and every constant block equal to k) meeting all of
    Theorem S's conditions (:func:`theorem_s_widths`), by doubling and bisection (the conditions are
    k >= A ln(B k)-type and hold from their smallest solution upwards)."""
    t = _check_target(target)
    _check_theory_target(t)
    eps = _check_eps(eps)
    delta = check_probability_open(delta, "delta")
    construction = _check_construction(construction)
    ps = _normalise_densities(densities, _source_depth(construction, t.depth))
    hi = max(max(theorem_s_widths(t, ps, eps, delta, C, construction).k), 1)
    while not _conditions(t, hi, ps, eps, delta, C, construction):
        hi *= 2
    lo = 0  # conditions fail at lo (k = 0 is impossible), hold at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _conditions(t, mid, ps, eps, delta, C, construction):
            hi = mid
        else:
            lo = mid
    return hi


def _failure_total(t, ks, ps, eps, C, construction: str, A: int) -> float:
    """Union bound when every set uses at most A candidates (so the amplification is <= A)."""
    bud = error_budget(t, eps, construction, "worst", A)
    total = 0.0
    for s in candidate_sets(t, ks, ps, construction):
        kk = ks[s.block[1]]
        Cd = _lueker_c(C, s.distribution)
        n0 = max(1, math.ceil(Cd * math.log2(1.0 / min(bud.eps_prime[s.layer - 1], 0.5)) - 1e-9))
        if n0 > min(kk, A):
            return 1.0
        n = np.arange(n0, min(kk, A) + 1)
        per = stats.binom.cdf(n - 1, kk, s.q) + 2.0 ** (-n / Cd)
        total += s.count * float(per.min())
        if total >= 1.0:
            return 1.0
    return total


def theorem_s_failure_bound(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    eps: float,
    C: float | dict | None = None,
    construction: str = "univariate",
) -> float:
    """Theorem S's bound on P(no strong ticket) at block sizes ``k`` (constant blocks of size k too).

    For a cap A on the candidates a set may use (so eps'_l is the rigorous rule with amplification A),
    union bound over the candidate sets: a set with X ~ Binomial(k, q) candidates fails with
    probability <= min over C log2(1/eps'_l) <= n <= A of [P(X < n) + 2^(-n/C)] (Lueker's assumption
    at failure 2^(-n/C); exact binomial tails from scipy). Every A gives a valid bound; the smallest
    over A = 1..max(k) + 1 (at most 200 values tried) is returned.
    """
    t = _check_target(target)
    _check_theory_target(t)
    eps = _check_eps(eps)
    construction = _check_construction(construction)
    L = t.depth
    ks = _normalise_per_layer(k, L, "k")
    ps = _normalise_densities(densities, _source_depth(construction, L))
    best = 1.0
    for A in range(1, min(max(ks) + 1, 200) + 1):
        best = min(best, _failure_total(t, ks, ps, eps, C, construction, A))
    return float(best)


def predicted_ticket_size(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    eps: float,
    construction: str = "univariate",
    candidates: int = MAX_CANDIDATES,
    k_const: int | Sequence[int] | None = None,
) -> float:
    """Predicted number of weights of the constructed ticket at block sizes ``k``.

    Each subset sum is first tried with n_l = min(ceil(log2(1/eps'_l)) + 1, ``candidates``, expected
    candidates k q) candidates (eps'_l: the rule with the typical amplification) and an optimal random
    subset sum keeps about half of them. Walking down from the outputs, the kept copies of neuron j are
    min(K, m_j n_l / 2) for m_j kept readers of j (the union of their selections, at most the block);
    every kept copy adds its subset sums' edges, every kept univariate (or intermediate) neuron one
    input edge. A count estimate; Theorem S's worst case is sum over sets of n (:func:`theorem_s_widths`).
    """
    t = _check_target(target)
    eps = _check_eps(eps)
    construction = _check_construction(construction)
    L = t.depth
    ks = _normalise_per_layer(k, L, "k")
    kc = (
        _default_kc(t, ks, construction)
        if k_const is None
        else _normalise_per_layer(k_const, L, "k_const", minimum=0)
    )
    ps = _normalise_densities(densities, _source_depth(construction, L))
    bud = error_budget(t, eps, construction, "typical", candidates)
    a, b = t.box
    signs = int(max(b, 0) > 0) + int(max(-a, 0) > 0)
    sup = t.supports()

    def first_try(l: int, avail: float) -> float:
        n0 = math.ceil(math.log2(1.0 / bud.eps_prime[l - 1])) + 1
        return max(0.0, min(n0, candidates, avail))

    size = 0.0
    kept = np.ones(t.widths[L])  # outputs
    for l in range(L, 0, -1):
        S = sup[l - 1].astype(float)
        beta = (np.asarray(t.biases[l - 1]) != 0).astype(float)
        if construction == "univariate":
            p_in = ps[l]  # weight layer l+1
            q_w = ps[0] * ps[1] / 2 if l == 1 else p_in
            n_w = first_try(l, ks[l - 1] * q_w)
            n_b = first_try(l, kc[l - 1] * p_in / 2 + 1)
            sg = signs if l == 1 else 1
            size += float(kept @ (S.sum(axis=1) * sg * n_w / 2 + beta * n_b / 2))
            readers = kept @ S  # kept neurons reading each neuron j of layer l-1
            if l > 1:
                kept = np.minimum(ks[l - 1], readers * n_w / 2)
            else:
                size += float(np.minimum(ks[0] * ps[0], readers * sg * n_w / 2).sum())
        else:
            q_w = ps[2 * l - 2] * ps[2 * l - 1] / 2
            n_w = first_try(l, ks[l - 1] * q_w)
            n_b = first_try(l, kc[l - 1] * ps[2 * l - 1] / 2 + 1)
            sg = signs if l == 1 else 1
            size += float(S.sum() * sg * n_w / 2 + beta.sum() * n_b / 2)
            readers = S.sum(axis=0)
            per_j = ks[l - 1] * ps[2 * l - 2] * (1.0 if l == 1 else 0.5)
            size += float(np.minimum(per_j, readers * sg * n_w / 2).sum())
            kept = np.ones(t.widths[l - 1])
    return float(size)


# =========================================================================== subset-sum batches


def _first_candidates(
    cand: np.ndarray, values: np.ndarray, extra: np.ndarray, nmax: int, prio: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the first ``nmax`` candidate columns (lowest ``prio``, then lowest index).

    Returns (values (R, nmax), column (R, nmax) with -1 padding, extra (R, nmax), count (R,)).
    """
    R, Cn = cand.shape
    if prio is None:  # the first nmax True entries of each row, without sorting
        c = np.cumsum(cand, axis=1)
        take = cand & (c <= nmax)
        r, ci = np.nonzero(take)
        slot = c[r, ci] - 1
        V = np.zeros((R, nmax))
        X = np.zeros((R, nmax))
        col = np.full((R, nmax), -1, dtype=np.int64)
        V[r, slot] = values[r, ci]
        X[r, slot] = extra[r, ci]
        col[r, slot] = ci
        return V, col, X, take.sum(axis=1).astype(np.int64)
    key = np.where(cand, prio[None, :], np.inf)
    order = np.argsort(key, axis=1, kind="stable")[:, :nmax]
    cnt = np.minimum(cand.sum(axis=1), nmax)
    width = order.shape[1]
    ok = np.arange(width)[None, :] < cnt[:, None]
    V = np.where(ok, np.take_along_axis(values, order, 1), 0.0)
    X = np.where(ok, np.take_along_axis(extra, order, 1), 0.0)
    col = np.where(ok, order, -1)
    if width < nmax:
        pad = nmax - width
        V = np.pad(V, ((0, 0), (0, pad)))
        X = np.pad(X, ((0, 0), (0, pad)))
        col = np.pad(col, ((0, 0), (0, pad)), constant_values=-1)
    return V, col.astype(np.int64), X, cnt.astype(np.int64)


class _Problems:
    """Subset-sum problems of one source layer, accumulated row block by row block."""

    def __init__(self, nmax: int) -> None:
        self.nmax = nmax
        self.parts: list[dict[str, np.ndarray]] = []
        self.size = 0

    def add(self, **arrays: np.ndarray) -> None:
        self.parts.append(arrays)
        self.size += len(arrays["z"])

    def take(self) -> dict[str, np.ndarray]:
        out = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        self.parts, self.size = [], 0
        return out


class _Solver:
    """Best subsets of a batch of problems, refined on demand with more candidates.

    ``run(rows, n)`` solves the given problems exactly over their first min(count, n) candidates and
    keeps the result where it improves (a larger candidate set never does worse).
    """

    def __init__(self, V: np.ndarray, cnt: np.ndarray, z: np.ndarray) -> None:
        self.V, self.cnt, self.z = V, cnt, z
        P, nmax = V.shape
        self.sel = np.zeros((P, nmax), dtype=bool)
        self.err = np.abs(z).astype(np.float64)
        self.used = np.zeros(P, dtype=np.int64)

    def run(self, rows: np.ndarray, n: int) -> None:
        from .subset_sum import solve_batch

        use = np.minimum(self.cnt[rows], n)
        for m in np.unique(use):
            g = rows[use == m]
            if m == 0 or g.size == 0:
                continue
            res = solve_batch(self.V[g, :m], self.z[g])
            better = res.errors < self.err[g]
            gg = g[better]
            self.sel[gg, :] = False
            self.sel[gg, :m] = res.subsets[better]
            self.err[gg] = res.errors[better]
            self.used[g] = m


# =========================================================================== results


@dataclass(frozen=True)
class WeightFailure:
    """A target weight (or bias) whose subset sum missed its precision, or the dominant term of an
    output whose certificate exceeds eps.

    ``layer``: target layer l; ``neuron``: target neuron i; ``input``: j (-1: the bias); ``sign``:
    +1 / -1 for the phi(x_j) / phi(-x_j) halves of a layer-1 weight, 0 otherwise; ``source_neuron``: the
    global index of the copy in its source layer; ``candidates``: how many candidates it had.
    """

    layer: int
    neuron: int
    input: int
    sign: int
    source_neuron: int
    target_value: float
    best_error: float
    eps_prime: float
    candidates: int
    note: str = ""

    def describe(self) -> str:
        if self.input < 0:
            what = f"bias b_{self.layer}[{self.neuron}]"
        else:
            half = {1: " (phi(x) half)", -1: " (phi(-x) half)"}.get(self.sign, "")
            what = f"weight W_{self.layer}[{self.neuron}, {self.input}]{half}"
        s = (
            f"{what} = {self.target_value:.4g} in source neuron {self.source_neuron}: best subset-sum "
            f"error {self.best_error:.3g} > eps' = {self.eps_prime:.3g} over {self.candidates} candidates"
        )
        return s + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True, eq=False)
class StrongTicket:
    """A strong ticket: the source's own weights and biases on a sub-mask of the ER masks.

    ``masks[l-1]``, ``weights[l-1]`` (CSR, source coordinates, l = 1..D): kept edges and their *source*
    values; ``biases[l-1]``: the source bias where kept, 0 where deleted; ``kept[l]``: kept neurons of
    neuron layer l (0..D). ``network`` is the same function restricted to the kept neurons.
    """

    masks: tuple[sp.csr_array, ...]
    weights: tuple[sp.csr_array, ...]
    biases: tuple[np.ndarray, ...]
    kept: tuple[np.ndarray, ...]
    network: ReLUNetwork
    num_source_weights: int

    @property
    def size(self) -> int:
        """Number of weights kept."""
        return int(sum(m.nnz for m in self.masks))

    @property
    def num_biases(self) -> int:
        """Number of nonzero biases kept."""
        return int(sum(np.count_nonzero(b) for b in self.biases))

    @property
    def density(self) -> float:
        """size / (weights of the dense source)."""
        return self.size / self.num_source_weights

    def full_network(self) -> ReLUNetwork:
        """The pruned source in source coordinates (sparse weights; equals ``network``)."""
        return ReLUNetwork(self.weights, self.biases, self.network.box)


@dataclass(frozen=True)
class ErrorEstimate:
    """Estimate of sup_{x in box} max_o |f_P(x)_o - f_T(x)_o| (a lower bound of the true sup).

    The maximum over ``n_random`` uniform points, ``n_corners`` box corners (all 2^d, or 1024 random
    ones) and ``n_local`` local maximisations (L-BFGS-B inside the box on |f_P - f_T|_o with exact
    gradients of the piecewise-linear difference, started from the worst points).
    """

    max_error: float
    argmax: np.ndarray
    output: int
    random_max: float
    corner_max: float
    local_max: float
    n_random: int
    n_corners: int
    n_local: int


@dataclass(frozen=True, eq=False)
class StrongConstruction:
    """Outcome of a strong-ticket construction on one source (THEORY section 5).

    ``success``: the certificate (the error recursion evaluated with the actual subset-sum errors and
    amplifications: a rigorous bound on sup |f_P - f_T| over the whole box) is <= eps for every output
    (Pensia: every target neuron within its layer's budget) AND the estimated error is <= eps.
    ``ticket`` is always built (best effort when unsuccessful: hidden copies over their budget are never
    used, outputs use their best subsets). ``valid_counts[l-1]``: valid copies per target neuron of
    hidden layer l (depth L+1) or validity of each target neuron (Pensia). ``failures``: the weight with
    the largest term in the worst failing certificate, then the first weights that missed eps';
    ``message`` says what failed. ``subset_sums``: how many subset-sum problems were solved.
    """

    success: bool
    eps: float
    budget: ErrorBudget
    certified_error: float
    error: ErrorEstimate | None
    ticket: StrongTicket
    valid_counts: tuple[np.ndarray, ...]
    failures: tuple[WeightFailure, ...]
    message: str
    source: StrongSource
    subset_sums: int = 0

    @property
    def size(self) -> int:
        return self.ticket.size

    @property
    def density(self) -> float:
        return self.ticket.density

    @property
    def measured_error(self) -> float:
        return float("nan") if self.error is None else self.error.max_error


# =========================================================================== constructions


class _LayerResult:
    """Per source layer: kept edges of usable rows, own biases kept, certificate and validity."""

    def __init__(self, n_rows: int) -> None:
        self.valid = np.zeros(n_rows, dtype=bool)
        self.cert = np.full(n_rows, np.inf)
        self.own_bias = np.zeros(n_rows, dtype=bool)
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.failures: list[WeightFailure] = []
        self.n_failed = 0
        self.n_problems = 0
        self.terms: list[dict[str, np.ndarray]] = []

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.rows:
            e = np.empty(0, dtype=np.int64)
            return e, e, np.empty(0)
        return np.concatenate(self.rows), np.concatenate(self.cols), np.concatenate(self.vals)


def _row_certificates(
    probs: dict[str, np.ndarray],
    sel: np.ndarray,
    err: np.ndarray,
    prev_cert: np.ndarray | None,
    ridx: np.ndarray,
    n_rows: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-problem terms and per-row certificates (the module docstring's recursion evaluated with
    the actual subset sums). ``kind`` 0: a half of a layer-1 weight, 1: a weight over copies, 2: a
    Pensia weight, 3: a bias.

    A layer-1 row's pre-activation error is exactly e_b + sum_j g_j(x_j) with
    g_j(x) = e_j+ phi(x) + e_j- phi(-x) (signed errors e = subset sum - target), whose extremes over
    [a, b] are 0, e_j+ R_+ and e_j- R_-; so sup |.| = max(e_b + sum_j max g_j, -(e_b + sum_j min g_j)).
    Other rows: |e_b| + sum_j (|e_j| H_j + sum_{u in S_j} |eta_u| E(u)) (kind 1) or
    |e_b| + sum_j (|e_j| H_j + |sum_S eta theta| E_j) (kind 2). ReLU is 1-Lipschitz, so the bound on
    the pre-activation bounds the neuron's output too.
    """
    col, kind = probs["col"], probs["kind"]
    signed = np.where(sel, probs["V"], 0.0).sum(axis=1) - probs["z"]
    term = err * probs["coef"]
    m_copies = kind == 1
    if prev_cert is not None and m_copies.any():
        s = sel[m_copies] & (col[m_copies] >= 0)
        Eu = np.where(s, prev_cert[np.where(s, col[m_copies], 0)], 0.0)
        term[m_copies] += (np.abs(probs["X"][m_copies]) * Eu).sum(axis=1)
    m_single = kind == 2
    if m_single.any():
        s_val = np.abs(np.where(sel[m_single], probs["V"][m_single], 0.0).sum(axis=1))
        term[m_single] += s_val * probs["ej"][m_single]
    absolute = np.zeros(n_rows)
    m_abs = m_copies | m_single
    np.add.at(absolute, ridx[m_abs], term[m_abs])
    up = np.zeros(n_rows)
    dn = np.zeros(n_rows)
    m_bias = kind == 3
    np.add.at(up, ridx[m_bias], signed[m_bias])
    np.add.at(dn, ridx[m_bias], signed[m_bias])
    is_path = kind == 0
    if is_path.any():
        g = signed[is_path] * probs["coef"][is_path]
        pu, pinv = np.unique(probs["pair"][is_path], return_inverse=True)
        hi = np.zeros(pu.size)
        lo = np.zeros(pu.size)
        np.maximum.at(hi, pinv, g)
        np.minimum.at(lo, pinv, g)
        prow = np.zeros(pu.size, dtype=np.int64)
        prow[pinv] = ridx[is_path]
        np.add.at(up, prow, hi)
        np.add.at(dn, prow, lo)
    cert = absolute + np.maximum(up, -dn)
    return term, cert


def _finish_batch(
    probs: dict[str, np.ndarray],
    eps_prime: float,
    tau: float,
    n_first: int,
    out: _LayerResult,
    keep_all_rows: bool,
    layer: int,
    prev_cert: np.ndarray | None,
    max_failures: int = 8,
) -> None:
    """Solve one batch of problems; record the per-row certificate, validity and kept edges.

    First every problem is solved over min(count, ``n_first``) candidates. While some row's
    certificate exceeds ``tau`` (E_l of the rule), its problems that missed ``eps_prime`` are solved
    again with 3 more candidates, up to all of them. A row is valid iff its certificate <= ``tau``.
    """
    V, cnt, z = probs["V"], probs["cnt"], probs["z"]
    nmax = V.shape[1]
    out.n_problems += len(z)
    row = probs["row"]
    ur = np.unique(row)
    ridx = np.searchsorted(ur, row)
    solver = _Solver(V, cnt, z)
    solver.run(np.arange(len(z)), n_first)
    n = n_first
    while True:
        sel = solver.sel & (probs["col"] != -1)
        term, cert = _row_certificates(probs, sel, solver.err, prev_cert, ridx, ur.size)
        if n >= nmax:
            break
        n = min(nmax, n + 3)
        row_over = cert > tau
        retry = np.flatnonzero(row_over[ridx] & (solver.err > eps_prime) & (cnt > solver.used))
        if retry.size == 0:
            break
        solver.run(retry, n)
    err = solver.err
    if keep_all_rows:  # outputs: keep every term to name the dominant weight of a certificate
        out.terms.append(
            {k: probs[k] for k in ("row", "i", "j", "sign", "z", "cnt")}
            | {"term": term, "err": err}
        )
    row_ok = cert <= tau
    out.valid[ur] = row_ok
    out.cert[ur] = cert
    bad = (err > eps_prime) & ~row_ok[ridx]
    out.n_failed += int(bad.sum())
    for p in np.flatnonzero(bad)[: max(0, max_failures - len(out.failures))]:
        out.failures.append(
            WeightFailure(
                layer,
                int(probs["i"][p]),
                int(probs["j"][p]),
                int(probs["sign"][p]),
                int(row[p]),
                float(z[p]),
                float(err[p]),
                eps_prime,
                int(cnt[p]),
                note=f"certificate of its neuron {cert[ridx[p]]:.3g} > {tau:.3g}",
            )
        )
    use_row = np.ones(ur.size, dtype=bool) if keep_all_rows else row_ok
    pr, pc = np.nonzero(sel & use_row[ridx][:, None])
    c = probs["col"][pr, pc]
    is_bias = c == -2
    out.own_bias[row[pr[is_bias]]] = True
    e = ~is_bias
    out.rows.append(row[pr[e]].astype(np.int64))
    out.cols.append(c[e].astype(np.int64))
    out.vals.append(probs["X"][pr[e], pc[e]])


def _n_first(eps_prime: float, nmax: int) -> int:
    """Candidates tried first: log2(1/eps') + 1 (the optimal subset of n draws errs by about 2^-n
    for a typical target), at least 4, at most ``nmax``; :func:`_finish_batch` adds more on demand."""
    return int(min(nmax, max(4, math.ceil(math.log2(1.0 / eps_prime)) + 1)))


def _bias_problem(
    source: StrongSource,
    l_src: int,
    r: int,
    own: np.ndarray,
    cblock: int | None,
    cvals: np.ndarray | None,
    coff: int,
    nmax: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidates for the bias of every row of row block r: own bias, then constant neurons."""
    R = own.size
    if cblock is None:
        cand = np.ones((R, 1), dtype=bool)
        vals = own[:, None]
        extra = own[:, None]
        V, col, X, cnt = _first_candidates(cand, vals, extra, nmax, None)
        col = np.where(col == 0, -2, col)
        return V, col, X, cnt
    eta, M = source.block(l_src, r, cblock)
    cand = np.concatenate([np.ones((R, 1), dtype=bool), M & (cvals > 0)[None, :]], axis=1)
    vals = np.concatenate([own[:, None], eta * cvals[None, :]], axis=1)
    extra = np.concatenate([own[:, None], eta], axis=1)
    V, col, X, cnt = _first_candidates(cand, vals, extra, nmax, None)
    col = np.where(col == 0, -2, np.where(col > 0, col - 1 + coff, -1))
    return V, col, X, cnt


def _check_common(target: object, source: object, eps: object, construction: str):
    t = _check_target(target)
    if not isinstance(source, StrongSource):
        raise LTHInputError(f"source must be a StrongSource, got {type(source).__name__}")
    if source.construction != construction:
        raise LTHInputError(
            f"source was built for construction {source.construction!r}, not {construction!r}"
        )
    if tuple(t.widths) != tuple(source.target_widths):
        raise LTHInputError(
            f"source was built for target widths {source.target_widths}, got {t.widths}"
        )
    if tuple(t.box) != tuple(source.box):
        raise LTHInputError(f"source box {source.box} differs from the target's box {t.box}")
    # a nonzero target bias without constant neurons has the copy's own bias as its only candidate:
    # allowed (the construction then reports the bias that fails)
    return t, _check_eps(eps)


@dataclass(frozen=True, eq=False)
class _LayerContext:
    """What a worker needs to build the rows of one source layer of the depth L+1 construction."""

    source: StrongSource
    l: int
    is_out: bool
    W: np.ndarray
    b: np.ndarray
    eps_p: float
    tau: float
    n_first: int
    nmax: int
    prev_valid: np.ndarray
    prev_cert: np.ndarray
    theta: np.ndarray
    cvals: np.ndarray | None
    H: np.ndarray
    radius: tuple[float, float]


def _univariate_rows(ctx: _LayerContext, neurons: Sequence[int]) -> _LayerResult:
    """Subset sums of the copies of the given target neurons of layer ``ctx.l`` (source layer l+1)."""
    source, l = ctx.source, ctx.l
    ls = l + 1
    Rp, Rm = ctx.radius
    roff = source.offsets(ls)
    coff = source.offsets(l)
    nblk_prev = len(source.blocks[l]) - (1 if source.const[l] else 0)
    cblock = nblk_prev if source.const[l] else None
    res = _LayerResult(source.widths[ls])
    probs = _Problems(ctx.nmax)
    neurons = list(neurons)
    for pos, i in enumerate(neurons):
        rows = np.arange(roff[i], roff[i + 1])
        for j in np.flatnonzero(ctx.W[i]):
            eta, M = source.block(ls, i, j)
            lo, hi = coff[j], coff[j + 1]
            if l == 1:
                th = ctx.theta[lo:hi]
                for sgn, Rs in ((1, Rp), (-1, Rm)):
                    if Rs <= 0:
                        continue
                    ok = ctx.prev_valid[lo:hi] & (np.sign(th) == sgn)
                    V, col, X, cnt = _first_candidates(
                        M & ok[None, :], eta * np.abs(th)[None, :], eta, ctx.nmax, None
                    )
                    col = np.where(col >= 0, col + lo, -1)
                    _add(probs, V, col, X, cnt, sgn * ctx.W[i, j], rows, i, j, sgn, Rs, 0)
            else:
                ok = ctx.prev_valid[lo:hi]
                V, col, X, cnt = _first_candidates(
                    M & ok[None, :], eta, eta, ctx.nmax, ctx.prev_cert[lo:hi]
                )
                col = np.where(col >= 0, col + lo, -1)
                _add(probs, V, col, X, cnt, ctx.W[i, j], rows, i, j, 0, ctx.H[j], 1)
        if ctx.b[i] != 0:
            own = source.block_biases(ls, i)
            c0 = coff[nblk_prev] if cblock is not None else 0
            V, col, X, cnt = _bias_problem(source, ls, i, own, cblock, ctx.cvals, c0, ctx.nmax)
            _add(probs, V, col, X, cnt, ctx.b[i], rows, i, -1, 0, 1.0, 3)
        if probs.size and (probs.size >= 1 << 15 or pos == len(neurons) - 1):
            prev = ctx.prev_cert if l > 1 else None
            _finish_batch(probs.take(), ctx.eps_p, ctx.tau, ctx.n_first, res, ctx.is_out, l, prev)
    return res


def _merge(parts: list[_LayerResult], n_rows: int) -> _LayerResult:
    """Combine the results of disjoint sets of rows."""
    out = _LayerResult(n_rows)
    for p in parts:
        m = np.isfinite(p.cert)
        out.valid[m] = p.valid[m]
        out.cert[m] = p.cert[m]
        out.own_bias |= p.own_bias
        out.rows += p.rows
        out.cols += p.cols
        out.vals += p.vals
        out.failures += p.failures
        out.n_failed += p.n_failed
        out.n_problems += p.n_problems
        out.terms += p.terms
    out.failures = out.failures[:8]
    return out


def _run_rows(ctx: _LayerContext, n_neurons: int, pool) -> _LayerResult:
    if pool is None or n_neurons < 2:
        return _univariate_rows(ctx, range(n_neurons))
    n_chunks = min(n_neurons, 4 * pool._max_workers)
    chunks = [list(c) for c in np.array_split(np.arange(n_neurons), n_chunks) if len(c)]
    parts = list(pool.map(_univariate_rows, [ctx] * len(chunks), chunks))
    return _merge(parts, ctx.source.widths[ctx.l + 1])


def construct(
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
) -> StrongConstruction:
    """Depth L+1 strong ticket for ``target`` inside ``source`` (THEORY section 5; module docstring).

    Bottom-up, block by block: every copy of every target neuron solves its subset sums exactly over at
    most ``max_candidates`` candidates (valid copies of the layer below are offered in order of
    increasing certificate). A copy is *valid* when its certificate E(v) is at most E_l, the rule's
    error for layer l (:func:`error_budget` with ``amplification``); the outputs need E(o) <= eps.
    Hidden copies that are not valid are never used. The ticket keeps, top-down from the outputs, the
    selected edges of the kept neurons with their source values unchanged. Certificates: layer 1
    E(v) = max(e_b + sum_j max(0, e_j+ R_+, e_j- R_-), -(e_b + sum_j min(0, e_j+ R_+, e_j- R_-)))
    (signed errors; the exact sup of the pre-activation error over the box); above,
    E(v) = |e_b| + sum_j [|e_vj| H_{l-1,j} + sum_{u in S_vj} |eta_vu| E(u)].
    ``evaluate``: also estimate the error (:func:`estimate_error` with ``n_points``, ``n_local``, ``seed``).
    ``jobs``: worker processes over the target neurons of a layer (the result does not depend on it).
    """
    t, eps = _check_common(target, source, eps, "univariate")
    nmax = check_positive_int(max_candidates, "max_candidates")
    if nmax > MAX_CANDIDATES:
        raise LTHInputError(f"max_candidates must be in [1, {MAX_CANDIDATES}], got {nmax}")
    jobs = check_positive_int(jobs, "jobs")
    L = t.depth
    d = t.input_dim
    budget = error_budget(t, eps, "univariate", amplification, nmax)
    taus = budget.layer_errors()
    H = budget.bounds
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
    const_vals: list[np.ndarray | None] = [None]
    for l in range(1, L + 1):  # constant neurons of neuron layer l (serve target layer l's biases)
        cb = len(source.blocks[l]) - 1
        const_vals.append(source.block_biases(l, cb) if source.const[l] else None)
    results: list[_LayerResult | None] = [None, None]
    valid_counts: list[np.ndarray] = []
    pool = None
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=jobs)
    try:
        for l in range(1, L + 1):  # target layer l -> source weight layer l+1
            ls = l + 1
            ctx = _LayerContext(
                source,
                l,
                l == L,
                _dense(t.weights[l - 1]),
                np.asarray(t.biases[l - 1], dtype=np.float64),
                budget.eps_prime[l - 1],
                eps if l == L else taus[l - 1],
                _n_first(budget.eps_prime[l - 1], nmax),
                nmax,
                valid,
                cert,
                theta,
                const_vals[l],
                H[l - 1],
                budget.radius,
            )
            res = _run_rows(ctx, t.widths[l], pool)
            touched = np.isfinite(res.cert)  # rows without problems are exact (and constants)
            res.cert[~touched] = 0.0
            res.valid[~touched] = True
            if l < L:
                roff = source.offsets(ls)
                valid = res.valid.copy()
                valid[roff[t.widths[l]] :] = False  # constant neurons are no copies
                cert = np.where(valid, res.cert, np.inf)
                valid_counts.append(
                    np.add.reduceat(valid[: roff[t.widths[l]]], roff[: t.widths[l]]).astype(int)
                )
            results.append(res)
    finally:
        if pool is not None:
            pool.shutdown()
    return _construct_univariate_finish(
        t,
        source,
        eps,
        budget,
        results,
        theta,
        const_vals,
        valid_counts,
        evaluate,
        n_points,
        n_local,
        seed,
    )


def _add(probs: _Problems, V, col, X, cnt, z, rows, i, j, sign, coef, kind, ej=0.0) -> None:
    R = len(rows)
    probs.add(
        V=V,
        col=col,
        X=X,
        cnt=cnt,
        z=np.full(R, float(z)),
        row=rows.astype(np.int64),
        i=np.full(R, i, dtype=np.int64),
        j=np.full(R, j, dtype=np.int64),
        sign=np.full(R, sign, dtype=np.int64),
        coef=np.full(R, float(coef)),
        kind=np.full(R, kind, dtype=np.int64),
        pair=rows.astype(np.int64) * (1 << 24) + max(j, 0),
        ej=np.full(R, float(ej)),
    )


def _fetch_biases(source: StrongSource, ls: int, rows: np.ndarray) -> np.ndarray:
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


def _finalise(
    t: ReLUNetwork,
    source: StrongSource,
    eps: float,
    budget: ErrorBudget,
    results: dict[int, _LayerResult],
    path_theta: dict[int, np.ndarray],
    const_vals: dict[int, np.ndarray],
    required: list[tuple[int, np.ndarray, int, float]],
    valid_counts: list[np.ndarray],
    out_cert: np.ndarray,
    context: str,
    evaluate: bool,
    n_points: int,
    n_local: int,
    seed,
) -> StrongConstruction:
    """Top-down pruning into the ticket, evaluation and the success verdict."""
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
            bvec[rows_b] = _fetch_biases(source, ls, rows_b)
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
    compact = ReLUNetwork(tuple(cw), tuple(cb), t.box)
    ticket = StrongTicket(
        tuple(masks), tuple(weights), tuple(biases), tuple(kept), compact, source.num_weights()
    )
    # ---- verdict
    all_valid = all(bool(v.all()) for _, v, _, _ in required)
    cert = float(out_cert.max()) if out_cert.size else 0.0
    failures: list[WeightFailure] = []
    notes = []
    for ls, v, layer, tau in required:
        if v.all():
            continue
        res = results[ls]
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
                        budget.eps_prime[layer - 1],
                        int(terms["cnt"][p]),
                        note=(
                            f"the largest term, {terms['term'][p]:.3g}, of the certificate "
                            f"{res.cert[worst]:.3g} > {tau:.3g}"
                        ),
                    )
                )
        failures.extend(res.failures)
    est = None
    if evaluate:
        est = estimate_error(compact, t, n_points=n_points, n_local=n_local, seed=seed)
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
        msg = "no strong ticket within eps: " + "; ".join(notes) + first + context
    return StrongConstruction(
        success,
        eps,
        budget,
        cert,
        est,
        ticket,
        tuple(valid_counts),
        tuple(failures),
        msg,
        source,
        int(sum(r.n_problems for r in results.values())),
    )


def _construct_univariate_finish(
    t,
    source,
    eps,
    budget,
    results,
    theta,
    const_vals_list,
    valid_counts,
    evaluate,
    n_points,
    n_local,
    seed,
) -> StrongConstruction:
    L = t.depth
    D = L + 1
    res_d = {ls: results[ls] for ls in range(2, D + 1)}
    cv = {l: v for l, v in enumerate(const_vals_list) if v is not None}
    out_res = results[D]
    context = ""
    if not out_res.valid.all() and L >= 2:
        zero = [int(i) for i in np.flatnonzero(valid_counts[-1] == 0)[:5]]
        context = (
            f" (valid copies per neuron of layer {L - 1}: min {int(valid_counts[-1].min())}"
            + (f", none for neurons {zero}" if zero else "")
            + ")"
        )
    return _finalise(
        t,
        source,
        eps,
        budget,
        res_d,
        {1: theta},
        cv,
        [(D, out_res.valid, L, eps)],
        valid_counts,
        out_res.cert,
        context,
        evaluate,
        n_points,
        n_local,
        seed,
    )


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
) -> StrongConstruction:
    """Depth 2L strong ticket (Pensia et al. 2020) on the same kind of ER source (THEORY section 5).

    Target layer l becomes neuron layers 2l-1 (intermediate: block j holds k_l neurons reading only
    neuron j of layer 2l-2, plus constant neurons) and 2l (one neuron per target neuron). Neuron i of
    layer 2l meets W_l[i, j] by a subset sum of the products eta_iu theta_u over the intermediate
    neurons u of block j with both edges surviving: in layer 1 split by the sign of theta_u into the
    phi(x_j) and phi(-x_j) halves; above, only theta_u > 0 (their input h_j >= 0 passes the ReLU).
    All selected products multiply the same h_j, so the amplification is |W_ij + e_ij| and the rule of
    :func:`error_budget` (``construction="pensia"``) is rigorous. Success needs every target neuron's
    subset sums within eps'_l (there are no spare copies) and the certificate <= eps.
    """
    t, eps = _check_common(target, source, eps, "pensia")
    nmax = check_positive_int(max_candidates, "max_candidates")
    if nmax > MAX_CANDIDATES:
        raise LTHInputError(f"max_candidates must be in [1, {MAX_CANDIDATES}], got {nmax}")
    L = t.depth
    budget = error_budget(t, eps, "pensia", "typical", nmax)
    taus = budget.layer_errors()
    Rp, Rm = budget.radius
    H = budget.bounds
    N = source.widths
    results: dict[int, _LayerResult] = {}
    path_theta: dict[int, np.ndarray] = {}
    const_vals: dict[int, np.ndarray] = {}
    required: list[tuple[int, np.ndarray, int, float]] = []
    valid_counts: list[np.ndarray] = []
    prev_cert = np.zeros(t.input_dim)
    for l in range(1, L + 1):
        li, lo = 2 * l - 1, 2 * l
        W = _dense(t.weights[l - 1])
        b = np.asarray(t.biases[l - 1], dtype=np.float64)
        n_in = t.widths[l - 1]
        off = source.offsets(li)
        theta = np.zeros(N[li])
        for j in range(n_in):
            w, m = source.block(li, j, j)
            theta[off[j] : off[j + 1]] = np.where(m[:, 0], w[:, 0], 0.0)
        path_theta[li] = theta
        cblock = n_in if source.const[li] else None
        cvals = source.block_biases(li, n_in) if cblock is not None else None
        if cvals is not None:
            const_vals[li] = cvals
        eps_p = budget.eps_prime[l - 1]
        tau = eps if l == L else taus[l - 1]
        nf = _n_first(eps_p, nmax)
        res = _LayerResult(N[lo])
        probs = _Problems(nmax)
        for i in range(t.widths[l]):
            rows = np.array([i], dtype=np.int64)
            for j in np.flatnonzero(W[i]):
                eta, M = source.block(lo, i, j)
                th = theta[off[j] : off[j + 1]]
                if l == 1:
                    for sgn, Rs in ((1, Rp), (-1, Rm)):
                        if Rs <= 0:
                            continue
                        ok = np.sign(th) == sgn
                        V, col, X, cnt = _first_candidates(
                            M & ok[None, :], eta * np.abs(th)[None, :], eta, nmax, None
                        )
                        _add(
                            probs,
                            V,
                            np.where(col >= 0, col + off[j], -1),
                            X,
                            cnt,
                            sgn * W[i, j],
                            rows,
                            i,
                            j,
                            sgn,
                            Rs,
                            0,
                        )
                else:
                    ok = th > 0
                    V, col, X, cnt = _first_candidates(
                        M & ok[None, :], eta * th[None, :], eta, nmax, None
                    )
                    _add(
                        probs,
                        V,
                        np.where(col >= 0, col + off[j], -1),
                        X,
                        cnt,
                        W[i, j],
                        rows,
                        i,
                        j,
                        0,
                        H[l - 1][j],
                        2,
                        ej=prev_cert[j],
                    )
            if b[i] != 0:
                own = source.block_biases(lo, i)
                V, col, X, cnt = _bias_problem(
                    source, lo, i, own, cblock, cvals, off[n_in] if cblock is not None else 0, nmax
                )
                _add(probs, V, col, X, cnt, b[i], rows, i, -1, 0, 1.0, 3)
            if probs.size >= 1 << 15 or i == t.widths[l] - 1:
                if probs.size:
                    _finish_batch(probs.take(), eps_p, tau, nf, res, True, l, None)
        touched = np.isfinite(res.cert)
        res.cert[~touched] = 0.0
        res.valid[~touched] = True
        results[lo] = res
        required.append((lo, res.valid, l, tau))
        valid_counts.append(res.valid.astype(int))
        prev_cert = res.cert
    return _finalise(
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
        "",
        evaluate,
        n_points,
        n_local,
        seed,
    )


# =========================================================================== error estimation


def _value_grad(net: ReLUNetwork, x: np.ndarray, o: int) -> tuple[float, np.ndarray]:
    """f(x)_o and its gradient (exact on the linear piece containing x; one-sided at kinks)."""
    h = x
    acts = []
    last = net.depth - 1
    z = h
    for l, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        z = np.asarray(W @ h).ravel() + b
        if l < last:
            a = z > 0
            acts.append(a)
            h = np.where(a, z, 0.0)
    g = np.zeros(z.size)
    g[o] = 1.0
    for l in range(last, -1, -1):
        g = np.asarray(net.weights[l].T @ g).ravel()
        if l > 0:
            g = g * acts[l - 1]
    return float(z[o]), g


def _batched_error(f_p: ReLUNetwork, f_t: ReLUNetwork, X: np.ndarray, chunk: int = 1024):
    """Per point: max_o |f_P - f_T|, the output attaining it and the sign of the difference."""
    err = np.empty(X.shape[0])
    arg = np.empty(X.shape[0], dtype=np.int64)
    sgn = np.empty(X.shape[0])
    for c0 in range(0, X.shape[0], chunk):
        diff = f_p.forward(X[c0 : c0 + chunk]) - f_t.forward(X[c0 : c0 + chunk])
        a = np.abs(diff).argmax(axis=1)
        r = np.arange(diff.shape[0])
        err[c0 : c0 + chunk] = np.abs(diff[r, a])
        arg[c0 : c0 + chunk] = a
        sgn[c0 : c0 + chunk] = np.sign(diff[r, a])
    return err, arg, sgn


def estimate_error(
    f_p: ReLUNetwork,
    f_t: ReLUNetwork,
    n_points: int = 4096,
    n_local: int = 4,
    seed: int | np.random.Generator | None = 0,
    local_steps: int = 40,
) -> ErrorEstimate:
    """Estimate sup_{x in box} max_o |f_P(x)_o - f_T(x)_o| (THEORY section 5).

    The maximum over (1) ``n_points`` iid uniform points of the box, (2) its corners (all 2^d, or 1024
    random ones when d > 10), and (3) ``n_local`` local maximisations: from each of the worst points so
    far, L-BFGS-B (at most ``local_steps`` iterations, bounds = the box) maximises s (f_P - f_T)_o for
    the output o and sign s observed there, with the exact gradient of the piecewise-linear
    difference. Every evaluated point is a point of the box, so the result is a lower bound of the sup
    (the construction's certificate is the matching upper bound).
    """
    if not isinstance(f_p, ReLUNetwork) or not isinstance(f_t, ReLUNetwork):
        raise LTHInputError("f_p and f_t must be ReLUNetworks")
    if f_p.input_dim != f_t.input_dim or f_p.widths[-1] != f_t.widths[-1]:
        raise LTHInputError(
            f"f_p and f_t must have the same input and output sizes, got {f_p.widths} and {f_t.widths}"
        )
    n_points = check_positive_int(n_points, "n_points", minimum=0)
    n_local = check_positive_int(n_local, "n_local", minimum=0)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    a, b = f_t.box
    d = f_t.input_dim
    X = rng.uniform(a, b, size=(n_points, d))
    C = box_corners(d, (a, b), rng=rng)
    er, ar, sr = _batched_error(f_p, f_t, X) if n_points else (np.zeros(0),) * 3
    ec, ac, sc = _batched_error(f_p, f_t, C)
    P = np.vstack([X, C])
    E = np.concatenate([er, ec])
    A = np.concatenate([ar, ac]).astype(np.int64)
    S = np.concatenate([sr, sc])
    best = int(np.argmax(E))
    best_err, best_x, best_o = float(E[best]), P[best].copy(), int(A[best])
    local_max = 0.0
    starts = np.argsort(-E, kind="stable")[:n_local]
    bounds = [(a, b)] * d
    for s0 in starts:
        o, s = int(A[s0]), float(S[s0]) or 1.0

        def fun(x: np.ndarray, o: int = o, s: float = s) -> tuple[float, np.ndarray]:
            vp, gp = _value_grad(f_p, x, o)
            vt, gt = _value_grad(f_t, x, o)
            return -s * (vp - vt), -s * (gp - gt)

        res = minimize(
            fun,
            P[s0],
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": local_steps},
        )
        x = np.clip(res.x, a, b)
        e, ao, _ = _batched_error(f_p, f_t, x[None, :])
        local_max = max(local_max, float(e[0]))
        if e[0] > best_err:
            best_err, best_x, best_o = float(e[0]), x, int(ao[0])
    return ErrorEstimate(
        best_err,
        best_x,
        best_o,
        float(er.max()) if er.size else 0.0,
        float(ec.max()),
        local_max,
        n_points,
        C.shape[0],
        len(starts),
    )
