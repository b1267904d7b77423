"""Targets of Theorem LB: one-hidden-layer networks f_T(x) = c + sum_i v_i phi(w_i . x + b_i) with
v_i != 0 and pairwise distinct hyperplanes meeting the box (docs/theory.md §4.1-§4.2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._arrays import to_dense
from .._validate import (
    LTHInputError,
    as_generator,
    check_box,
    check_finite_array,
    check_memory,
    check_positive_int,
)
from ..network import ReLUNetwork

__all__ = [
    "HYPERPLANE_TOL",
    "OneHiddenTarget",
    "check_one_hidden_target",
    "coinciding_hyperplanes",
    "hard_instance",
    "random_one_hidden_target",
]

#: two hyperplanes whose normalised (w, b) differ by at most this (max norm) count as one
HYPERPLANE_TOL = 1e-9


@dataclass(frozen=True)
class OneHiddenTarget:
    """A checked one-hidden-layer target f_T(x) = c + sum_i v_i phi(w_i . x + b_i) on [a, b]^d.

    ``W`` is (n, d) (row i = w_i), ``b`` and ``v`` are (n,), ``c`` a float. Construction checks the
    conditions of docs/theory.md §4.1 (v_i != 0, w_i != 0, pairwise distinct hyperplanes, each meeting
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
        box = check_box(self.box)
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
    pair = coinciding_hyperplanes(W, b)
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


def coinciding_hyperplanes(W: np.ndarray, b: np.ndarray) -> tuple[int, int] | None:
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
    """Check a one-hidden-layer target (widths d-n-1) against the conditions of docs/theory.md §4.1.

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
    W1 = to_dense(W1)
    v = to_dense(W2)[0]
    return OneHiddenTarget(W1, target.biases[0], v, float(target.biases[1][0]), target.box)


def hard_instance(
    n: int,
    box: tuple[float, float] = (-1.0, 1.0),
    seed: int | np.random.Generator | None = 0,
    d: int = 1,
) -> OneHiddenTarget:
    """The hard instance f_T(x) = c + sum_i v_i phi(x_1 - c_i) (docs/theory.md §4).

    Thresholds c_i stratified in (a, b): c_i = a + (b - a)(i + 0.1 + 0.8 U_i)/n, so they are distinct
    and interior; v_i = +-U[0.5, 1], c ~ U[-1/2, 1/2]. Only x_1 is read (w_i = e_1 in R^d).
    """
    n = check_positive_int(n, "n (target neurons)")
    d = check_positive_int(d, "d (input dimension)")
    a, bb = check_box(box)
    rng = as_generator(seed, "seed")
    check_memory(32.0 * n * (d + 4), "n (target neurons)", f"a target with {n} x {d} weights")
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
    a, bb = check_box(box)
    rng = as_generator(seed, "seed")
    check_memory(64.0 * n * (d + 4), "n (target neurons)", f"a target with {n} x {d} weights")
    for _ in range(100):
        cols = np.argsort(rng.random((n, d)), axis=1)[:, :s]
        W = np.zeros((n, d))
        vals = rng.choice([-1.0, 1.0], size=(n, s)) * rng.uniform(0.5, 1.0, size=(n, s))
        np.put_along_axis(W, cols, vals, axis=1)
        x0 = rng.uniform(a + 0.1 * (bb - a), bb - 0.1 * (bb - a), size=(n, d))
        b = -np.einsum("ij,ij->i", W, x0)
        if coinciding_hyperplanes(W, b) is None:
            break
    else:  # pragma: no cover - probability zero for continuous draws
        raise LTHInputError("could not draw pairwise distinct hyperplanes; check n and d")
    v = rng.choice([-1.0, 1.0], size=n) * rng.uniform(0.5, 1.0, size=n)
    c = float(rng.uniform(-0.5, 0.5))
    return OneHiddenTarget(W, b, v, c, (a, bb))
