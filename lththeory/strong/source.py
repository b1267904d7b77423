"""Random ER sources for strong tickets, generated lazily block by block (docs/theory.md §5.2).

Weights and biases are iid U[-1, 1] (or N(0, 1)); a block of source layer l is drawn from its own
child of the source's SeedSequence, so any block can be regenerated alone and memory stays
proportional to one block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._validate import (
    MAX_INT,
    LTHInputError,
    check_choice,
    check_density,
    check_positive_int,
    check_seed,
)
from ..densities import layer_densities
from ..masks import bernoulli_mask
from ..network import ReLUNetwork, check_network
from ..stats import child_generator
from .spec import strong_construction

__all__ = [
    "MAX_BLOCK_ENTRIES",
    "WEIGHT_DISTRIBUTIONS",
    "StrongSource",
    "block_layout",
    "default_k_const",
    "per_layer",
    "sample_source",
    "source_densities",
    "source_layer_densities",
]

MAX_BLOCK_ENTRIES = 1 << 26
"""Largest random block (rows x cols) generated at once; larger widths are refused."""

WEIGHT_DISTRIBUTIONS = ("uniform", "normal")
"""Source weights and biases: iid U[-1, 1] or N(0, 1)."""


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
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, (bool, np.bool_)):
        raise LTHInputError(
            "seed must be an integer in [0, 2^63 - 1], a SeedSequence, a Generator or None, "
            f"got {type(seed).__name__}"
        )
    return check_seed(seed, "seed"), ()


@dataclass(frozen=True)
class StrongSource:
    """A random ER source network, generated lazily block by block (docs/theory.md §5.2).

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
        return child_generator(np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key), *key)

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


def per_layer(value: object, n: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """One positive integer per target layer (block sizes); one number means the same for all."""
    if np.ndim(value) == 0:
        v = check_positive_int(value, name, minimum=minimum, maximum=MAX_INT)
        return (v,) * n
    items = list(value)  # type: ignore[call-overload]
    vals = tuple(
        check_positive_int(x, f"{name}[{i}]", minimum=minimum, maximum=MAX_INT)
        for i, x in enumerate(items)
    )
    if len(vals) != n:
        raise LTHInputError(f"{name} must hold {n} values (one per target layer), got {len(vals)}")
    return vals


def source_layer_densities(densities: object, depth: int) -> tuple[float, ...]:
    """Densities p_1..p_D of the D source layers; one number means the same for every layer."""
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


def default_k_const(target: ReLUNetwork, k: tuple[int, ...]) -> tuple[int, ...]:
    """Constant-block sizes: the block size of the same source layer where target layer l has a
    nonzero bias, 0 otherwise."""
    out = []
    for l, b in enumerate(target.biases, start=1):
        out.append(k[l - 1] if np.any(np.asarray(b) != 0) else 0)
    return tuple(out)


def block_layout(
    widths: Sequence[int], k: Sequence[int], kc: Sequence[int], target_layers: bool
) -> tuple[tuple[tuple[int, ...], ...], tuple[bool, ...]]:
    """Neuron blocks of a source (and which layers end in a constant block): the d inputs; for every
    target layer l a layer of n_{l-1} blocks of k_l neurons (copies of, or neurons reading, the
    neurons of layer l-1) plus a constant block of k_c neurons where k_c > 0, followed by a layer of
    the n_l target neurons when ``target_layers`` (depth 2L) or, otherwise, only after the last
    (depth L+1: the outputs)."""
    d, L = widths[0], len(widths) - 1
    blocks: list[tuple[int, ...]] = [(1,) * d]
    const = [False]
    for l in range(1, L + 1):
        blocks.append((k[l - 1],) * widths[l - 1] + ((kc[l - 1],) if kc[l - 1] > 0 else ()))
        const.append(kc[l - 1] > 0)
        if target_layers or l == L:
            blocks.append((1,) * widths[l])
            const.append(False)
    return tuple(blocks), tuple(const)


def sample_source(
    target: ReLUNetwork,
    k: int | Sequence[int],
    densities: float | Sequence[float],
    seed: int | np.random.SeedSequence | np.random.Generator | None = 0,
    k_const: int | Sequence[int] | None = None,
    weights: str = "uniform",
    construction: str = "univariate",
) -> StrongSource:
    """A lazily generated random ER source for ``target`` (docs/theory.md §5.2).

    ``k``: block sizes, one per target layer (an int: the same everywhere) -- for ``"univariate"``
    (k_0, ..., k_{L-1}): univariate neurons per input and copies per hidden target neuron; for
    ``"pensia"`` (k_1, ..., k_L): intermediate neurons per input neuron of each target layer.
    ``k_const``: constant neurons serving the biases of target layer l (default: the block size of
    that layer where its biases are nonzero, else 0). ``densities``: p_1..p_D of the D source layers
    (one float: uniform). ``weights``: source weights and biases iid ``"uniform"`` U[-1, 1] or
    ``"normal"`` N(0, 1). Nothing is drawn here: blocks are generated on demand from ``seed``.
    """
    t = check_network(target)
    spec = strong_construction(construction)
    check_choice(weights, "weights", WEIGHT_DISTRIBUTIONS)
    L = t.depth
    ks = per_layer(k, L, "k")
    kc = default_k_const(t, ks) if k_const is None else per_layer(k_const, L, "k_const", minimum=0)
    D = spec.depth(L)
    ps = source_layer_densities(densities, D)
    blocks, const = spec.layout(t.widths, ks, kc)
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
    """Per-layer densities of the source for a global ``density`` under a density scheme (docs/theory.md §2),
    computed by :func:`lththeory.densities.layer_densities` on the source's dense layer shapes."""
    t = check_network(target)
    spec = strong_construction(construction)
    ks = per_layer(k, t.depth, "k")
    kc = default_k_const(t, ks)
    blocks, _ = spec.layout(t.widths, ks, kc)
    N = [sum(b) for b in blocks]
    shapes = [(N[l], N[l - 1]) for l in range(1, len(N))]
    return tuple(float(p) for p in layer_densities(shapes, density, scheme, exact))
