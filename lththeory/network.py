"""Fully connected ReLU networks as plain data (docs/theory.md §1).

A network of depth L maps ``x in [a, b]^d`` through ``h_l = phi(W_l h_{l-1} + b_l)`` for the
hidden layers and ``f(x) = W_L h_{L-1} + b_L`` at the output (phi = ReLU). Weights may be
dense numpy arrays or scipy sparse arrays (tickets are stored sparse); the forward pass is float64
and batched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._validate import (
    LTHInputError,
    as_generator,
    check_box,
    check_choice,
    check_density,
    check_finite_array,
    check_memory,
    check_positive_int,
    check_widths,
)

__all__ = ["ReLUNetwork", "box_corners", "box_points", "check_network", "random_target"]


@dataclass(frozen=True)
class ReLUNetwork:
    """A ReLU network f(x) = W_L phi(... phi(W_1 x + b_1) ...) + b_L on the box [a, b]^d.

    ``weights[l]`` has shape (n_{l+1}, n_l); ``biases[l]`` has shape (n_{l+1},).
    """

    weights: tuple
    biases: tuple
    box: tuple[float, float] = (-1.0, 1.0)

    def __post_init__(self) -> None:
        ws, bs = list(self.weights), list(self.biases)
        if len(ws) == 0:
            raise LTHInputError("weights must hold at least one layer, got an empty list")
        if len(ws) != len(bs):
            raise LTHInputError(
                f"biases must hold one vector per layer: {len(ws)} weight matrices, {len(bs)} biases"
            )
        new_w, new_b = [], []
        for l, (w, b) in enumerate(zip(ws, bs, strict=True)):
            if sp.issparse(w):
                w = sp.csr_array(w, dtype=np.float64)
                if w.nnz and not np.all(np.isfinite(w.data)):
                    raise LTHInputError(f"weights[{l}] must contain only finite numbers")
            else:
                w = check_finite_array(w, f"weights[{l}]", ndim=2)
            b = check_finite_array(b, f"biases[{l}]", ndim=1)
            if w.shape[0] != b.shape[0]:
                raise LTHInputError(
                    f"biases[{l}] must have length {w.shape[0]} (rows of weights[{l}]), "
                    f"got {b.shape[0]}"
                )
            if l > 0 and w.shape[1] != new_w[-1].shape[0]:
                raise LTHInputError(
                    f"weights[{l}] must have {new_w[-1].shape[0]} columns to follow layer {l - 1}, "
                    f"got shape {w.shape}"
                )
            if min(w.shape) == 0:
                raise LTHInputError(f"weights[{l}] must have positive shape, got {w.shape}")
            new_w.append(w)
            new_b.append(b)
        object.__setattr__(self, "weights", tuple(new_w))
        object.__setattr__(self, "biases", tuple(new_b))
        object.__setattr__(self, "box", check_box(self.box))

    @property
    def widths(self) -> tuple[int, ...]:
        """(n_0 = d, n_1, ..., n_L)."""
        return (self.weights[0].shape[1],) + tuple(w.shape[0] for w in self.weights)

    @property
    def depth(self) -> int:
        """L, the number of weight layers."""
        return len(self.weights)

    @property
    def input_dim(self) -> int:
        return self.weights[0].shape[1]

    def supports(self) -> list[np.ndarray]:
        """Boolean support (W_l != 0) of every layer, dense."""
        out = []
        for w in self.weights:
            out.append((w != 0).toarray() if sp.issparse(w) else w != 0)
        return out

    def fan_in(self) -> list[np.ndarray]:
        """C_l (int64, n_l x n_{l-1}): how many mask edges a copy of neuron i of layer l needs into
        the copies of neuron j of layer l-1 -- here the support (1 where W_l[i, j] != 0). Theorem W's
        count chain and bounds read only this (docs/theory.md §3.3); convolutional targets count
        kernel entries instead."""
        return [s.astype(np.int64) for s in self.supports()]

    def num_weights(self) -> int:
        """sum_l m_l, the number of nonzero weights."""
        return int(sum(int(s.sum()) for s in self.supports()))

    def forward(self, x: np.ndarray, check_box: bool = False) -> np.ndarray:
        """Evaluate on a batch ``x`` of shape (batch, d) (or (d,)); returns (batch, n_L)."""
        x = check_finite_array(x, "x")
        squeeze = x.ndim == 1
        h = np.atleast_2d(x)
        if h.ndim != 2 or h.shape[1] != self.input_dim:
            raise LTHInputError(f"x must have shape (batch, {self.input_dim}), got {x.shape}")
        if check_box:
            a, b = self.box
            if np.any(h < a) or np.any(h > b):
                raise LTHInputError(f"x must lie in the box [{a}, {b}]^{self.input_dim}")
        last = len(self.weights) - 1
        for l, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = np.asarray((w @ h.T).T) + b
            h = np.maximum(z, 0.0) if l < last else z
        return h[0] if squeeze else h

    __call__ = forward


def random_target(
    widths: Sequence[int],
    density: float = 1.0,
    weights: str = "uniform",
    bias: bool = True,
    box: tuple[float, float] = (-1.0, 1.0),
    seed: int | np.random.Generator | None = 0,
    first_layer_support: int | None = None,
) -> ReLUNetwork:
    """A random target network with the given widths (input first).

    Each weight is kept with probability ``density`` (ER support; every neuron keeps at least one
    in-edge so that no row is empty) and drawn from U[-1, 1] (``weights="uniform"``) or N(0, 1/n_in)
    (``"normal"``); biases U[-1/2, 1/2] when ``bias``, else 0. With ``first_layer_support`` s, every
    neuron of the first layer reads exactly s inputs (a uniform s-subset) instead: its fan-in, which
    sets how Theorem W's construction scales (docs/theory.md §3.7).
    """
    ws = check_widths(widths)
    density = check_density(density, "density")
    if first_layer_support is not None:
        first_layer_support = check_positive_int(first_layer_support, "first_layer_support")
        if first_layer_support > ws[0]:
            raise LTHInputError(
                f"first_layer_support must be in [1, {ws[0]}] (the inputs), got {first_layer_support}"
            )
    check_choice(weights, "weights", ("uniform", "normal"))
    box = check_box(box)
    rng = as_generator(seed, "seed")
    entries = sum(a * b for a, b in zip(ws[:-1], ws[1:], strict=True))
    check_memory(24.0 * entries, "widths", f"a dense target with {entries:.3g} weights")
    W, B = [], []
    for layer, (n_in, n_out) in enumerate(zip(ws[:-1], ws[1:], strict=True)):
        if weights == "uniform":
            w = rng.uniform(-1.0, 1.0, size=(n_out, n_in))
        else:
            w = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_out, n_in))
        if layer == 0 and first_layer_support is not None:
            keep = np.argsort(rng.random((n_out, n_in)), axis=1) < first_layer_support
            w = np.where(keep, w, 0.0)
        elif density < 1.0:
            keep = rng.random((n_out, n_in)) < density
            empty = ~keep.any(axis=1)
            keep[np.flatnonzero(empty), rng.integers(0, n_in, size=int(empty.sum()))] = True
            w = np.where(keep, w, 0.0)
        W.append(w)
        B.append(rng.uniform(-0.5, 0.5, size=n_out) if bias else np.zeros(n_out))
    return ReLUNetwork(tuple(W), tuple(B), box)


def box_corners(
    d: int,
    box: tuple[float, float] = (-1.0, 1.0),
    max_corners: int = 1024,
    rng: np.random.Generator | np.random.SeedSequence | int | None = None,
) -> np.ndarray:
    """All 2^d corners of [a, b]^d, or ``max_corners`` random ones when 2^d is larger."""
    d = check_positive_int(d, "d")
    max_corners = check_positive_int(max_corners, "max_corners")
    a, b = check_box(box)
    check_memory(16.0 * d * min(max_corners, 2 ** min(d, 62)), "d", f"corners of [a, b]^{d}")
    if d <= int(np.log2(max_corners)):
        bits = (np.arange(2**d)[:, None] >> np.arange(d)[None, :]) & 1
    else:
        rng = as_generator(0 if rng is None else rng, "rng")
        bits = rng.integers(0, 2, size=(max_corners, d))
    return np.where(bits == 1, b, a).astype(np.float64)


def box_points(
    d: int,
    n: int,
    box: tuple[float, float] = (-1.0, 1.0),
    rng: np.random.Generator | np.random.SeedSequence | int | None = None,
    corners: bool = True,
) -> np.ndarray:
    """``n`` uniform random points of [a, b]^d, followed by the box's corners when ``corners``.

    ``rng``: a Generator, a SeedSequence or an integer seed in [0, 2^63 - 1] (default seed 0);
    anything else is refused with one line."""
    d = check_positive_int(d, "d")
    n = check_positive_int(n, "n", minimum=0)
    a, b = check_box(box)
    rng = as_generator(0 if rng is None else rng, "rng")
    check_memory(16.0 * n * d, "n", f"{n} points in {d} dimensions")
    pts = rng.uniform(a, b, size=(n, d))
    if corners:
        pts = np.vstack([pts, box_corners(d, (a, b), rng=rng)])
    return pts


def check_network(net: object, name: str = "target") -> ReLUNetwork:
    """``net`` itself when it is a :class:`ReLUNetwork`; a one-line :class:`LTHInputError` otherwise."""
    if not isinstance(net, ReLUNetwork):
        raise LTHInputError(f"{name} must be a ReLUNetwork, got {type(net).__name__}")
    return net
