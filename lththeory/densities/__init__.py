"""Layer-wise densities for a global density budget (docs/theory.md §2).

For layers with m_l weights (M = sum m_l) and a global density D in (0, 1], a *scheme* assigns each
layer a density p_l (fraction of its weights kept) so that sum_l p_l m_l = D M:

* uniform:   p_l = D.
* ERK:       p_l = c * (sum of the tensor's dims) / (product of its dims)  (Erdos-Renyi-Kernel).
* balanced:  p_l = c / m_l, so every layer keeps the same number c of weights.
* pyramidal: p_l = r^l (l = 1..L), r in (0, 1] the root of sum_l m_l r^l = D M (by bisection).

ERK and balanced can ask for p_l > 1. The *exact* variant (default) fixes such layers at 1 and
re-solves c for the others until the budget is met. The reference variant (``exact=False``) solves
c once over all layers and then clamps each p_l at 1 without redistributing, so the realised global
density falls short of D (784-1000-1000-10 at D = 0.5: ERK 0.40, balanced 0.34). Always report
:func:`realised_density`.

Command line (:mod:`lththeory.densities.__main__`)::

    python -m lththeory.densities --scheme balanced --density 0.1 784x300 300x100 100x10
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from .._validate import (
    LTHInputError,
    as_list,
    check_choice,
    check_density,
    check_positive_int,
)

__all__ = [
    "SCHEMES",
    "DensityTable",
    "density_table",
    "layer_densities",
    "pyramidal_ratio",
    "realised_density",
]

SCHEMES: tuple[str, ...] = ("uniform", "erk", "balanced", "pyramidal")


# --------------------------------------------------------------------------- validation


def _check_shapes(shapes: object, name: str = "shapes") -> tuple[tuple[int, ...], ...]:
    """A non-empty sequence of 2-D (out, in) or 4-D (out, in, kh, kw) weight-tensor shapes."""
    items = as_list(shapes, name, "weight-tensor shapes")
    if not items:
        raise LTHInputError(f"{name} must list at least one weight-tensor shape, got 0")
    out = []
    for i, shape in enumerate(items):
        if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__"):
            raise LTHInputError(
                f"{name}[{i}] must be a 2-D (out, in) or 4-D (out, in, kh, kw) shape, got {shape!r}"
            )
        dims = list(shape)
        if len(dims) not in (2, 4):
            raise LTHInputError(
                f"{name}[{i}] must be a 2-D (out, in) or 4-D (out, in, kh, kw) shape, "
                f"got {len(dims)}-D {tuple(dims)!r}"
            )
        out.append(tuple(check_positive_int(d, f"{name}[{i}][{j}]") for j, d in enumerate(dims)))
    return tuple(out)


def _check_exact(exact: object) -> bool:
    if not isinstance(exact, (bool, np.bool_)):
        raise LTHInputError(f"exact must be True or False, got {exact!r}")
    return bool(exact)


def _weight_counts(shapes: Sequence[tuple[int, ...]]) -> np.ndarray:
    """m_l = product of the dims, as float64 (exact up to 2**53 weights per layer)."""
    return np.array([float(np.prod(np.array(s, dtype=np.float64))) for s in shapes])


# --------------------------------------------------------------------------- schemes


def _solve_scaled(g: np.ndarray, m: np.ndarray, density: float, exact: bool) -> np.ndarray:
    """p_l = min(1, c g_l) with sum_l c g_l m_l = D M over all layers (reference) or, when
    ``exact``, with saturated layers fixed at 1 and c re-solved for the rest until
    sum_l p_l m_l = D M."""
    budget = density * m.sum()
    if not exact:
        return np.minimum(1.0, (budget / np.dot(g, m)) * g)
    if density == 1.0:
        return np.ones_like(m)
    saturated = np.zeros(m.shape, dtype=bool)
    p = np.ones_like(m)
    # Each pass saturates at least one more layer or stops, so at most L passes. Saturated layers
    # keep fewer weights than c g_l m_l asked of them, so the saturated mass stays below D M < M
    # and at least one layer is always left to absorb the remaining budget.
    for _ in range(m.size):
        free = ~saturated
        c = (budget - m[saturated].sum()) / np.dot(g[free], m[free])
        p = np.where(saturated, 1.0, c * g)
        over = free & (p > 1.0)
        if not over.any():
            break
        saturated |= over
    return np.minimum(p, 1.0)


def pyramidal_ratio(shapes: Sequence[Sequence[int]], density: float) -> float:
    """The ratio r in (0, 1] of the pyramidal scheme: the root of sum_l m_l r^l = D M (docs/theory.md §2). The left side increases strictly in r, so the root is bracketed on [0, 1]
    (Brent's method, never polynomial roots)."""
    shp = _check_shapes(shapes)
    d = check_density(density)
    return _pyramidal_ratio(_weight_counts(shp), d)


def _pyramidal_ratio(m: np.ndarray, density: float) -> float:
    w = m / m.sum()
    powers = np.arange(1, m.size + 1, dtype=np.float64)

    def excess(r: float) -> float:
        return float(np.dot(w, r**powers)) - density

    if density == 1.0 or excess(1.0) <= 0.0:
        return 1.0
    return float(brentq(excess, 0.0, 1.0, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500))


def layer_densities(
    shapes: Sequence[Sequence[int]], density: float, scheme: str, exact: bool = True
) -> np.ndarray:
    """Per-layer densities p_l for the global density D = ``density`` (docs/theory.md §2).

    uniform p_l = D; ERK p_l = c * sum(dims) / prod(dims); balanced p_l = c / m_l; pyramidal
    p_l = r^l with sum_l m_l r^l = D M. With ``exact`` (default) layers that would exceed
    density 1 are fixed at 1 and c is re-solved for the rest, so sum_l p_l m_l = D M; with
    ``exact=False`` c is solved once over all layers and p_l clamped at 1 afterwards (the
    reference code, which falls short of D). ``exact`` changes nothing for uniform and
    pyramidal, which never exceed 1.

    ``shapes`` are weight-tensor shapes, 2-D (out, in) or 4-D (out, in, kh, kw); m_l = prod(dims).
    Returns a float64 array of length L with entries in [0, 1].
    """
    shp = _check_shapes(shapes)
    d = check_density(density)
    scheme = check_choice(scheme, "scheme", SCHEMES)
    exact = _check_exact(exact)
    m = _weight_counts(shp)
    if scheme == "uniform":
        return np.full(m.size, d)
    if scheme == "pyramidal":
        r = _pyramidal_ratio(m, d)
        return r ** np.arange(1, m.size + 1, dtype=np.float64)
    if scheme == "erk":
        g = np.array([float(sum(s)) for s in shp]) / m
    else:  # balanced
        g = 1.0 / m
    return _solve_scaled(g, m, d, exact)


def realised_density(shapes: Sequence[Sequence[int]], densities: Sequence[float]) -> float:
    """The global density actually realised: sum_l p_l m_l / sum_l m_l (docs/theory.md §2)."""
    shp = _check_shapes(shapes)
    p = _check_layer_densities(densities, len(shp))
    m = _weight_counts(shp)
    return float(np.dot(p, m) / m.sum())


def _check_layer_densities(densities: object, n_layers: int) -> np.ndarray:
    items = as_list(densities, "densities", "numbers in [0, 1]")
    if len(items) != n_layers:
        raise LTHInputError(
            f"densities must have one entry per layer: {n_layers} shapes, {len(items)} densities"
        )
    return np.array(
        [check_density(x, f"densities[{i}]", allow_zero=True) for i, x in enumerate(items)]
    )


# --------------------------------------------------------------------------- table


@dataclass(frozen=True, eq=False)
class DensityTable:
    """Per-layer allocation of a global density budget (docs/theory.md §2).

    ``densities[l]`` is p_l and ``weights[l]`` is m_l; ``kept[l]`` = p_l m_l is the expected
    number of weights kept (exact for fixed-count masks up to rounding).
    """

    shapes: tuple[tuple[int, ...], ...]
    scheme: str
    requested: float
    exact: bool
    densities: np.ndarray

    @property
    def weights(self) -> tuple[int, ...]:
        """m_l = product of the layer's dims."""
        return tuple(int(np.prod(s, dtype=object)) for s in self.shapes)

    @property
    def kept(self) -> np.ndarray:
        """p_l m_l, the (expected) number of weights kept per layer."""
        return self.densities * _weight_counts(self.shapes)

    @property
    def realised(self) -> float:
        """sum_l p_l m_l / sum_l m_l."""
        m = _weight_counts(self.shapes)
        return float(np.dot(self.densities, m) / m.sum())

    def format(self) -> str:
        """An aligned table (layer, shape, weights, density, kept) and a global summary line."""
        header = ("layer", "shape", "weights", "density", "kept")
        rows = [
            (
                str(i + 1),
                "x".join(str(d) for d in s),
                f"{w:,}",
                f"{p:.6g}",
                f"{k:,.1f}",
            )
            for i, (s, w, p, k) in enumerate(
                zip(self.shapes, self.weights, self.densities, self.kept, strict=True)
            )
        ]
        total = (
            "all",
            "",
            f"{sum(self.weights):,}",
            f"{self.realised:.6g}",
            f"{self.kept.sum():,.1f}",
        )
        table = [header, *rows, total]
        widths = [max(len(r[j]) for r in table) for j in range(len(header))]
        left = {1}  # the shape column reads better left-aligned

        def line(r: Sequence[str]) -> str:
            cells = [
                c.ljust(w) if j in left else c.rjust(w)
                for j, (c, w) in enumerate(zip(r, widths, strict=True))
            ]
            return "  ".join(cells).rstrip()

        rule = "  ".join("-" * w for w in widths)
        clamped = not self.exact and self.scheme in ("erk", "balanced")
        mode = "clamped (reference, no redistribution)" if clamped else "exact"
        out = [line(header), rule, *(line(r) for r in rows), rule, line(total)]
        out.append(
            f"global density ({self.scheme}, {mode}): requested {self.requested:.6g}, "
            f"realised {self.realised:.6g}"
        )
        return "\n".join(out)


def density_table(
    shapes: Sequence[Sequence[int]], density: float, scheme: str, exact: bool = True
) -> DensityTable:
    """:func:`layer_densities` with its per-layer counts and realised global density (docs/theory.md §2)."""
    shp = _check_shapes(shapes)
    p = layer_densities(shp, density, scheme, exact)
    return DensityTable(
        shapes=shp,
        scheme=scheme,
        requested=check_density(density),
        exact=bool(exact),
        densities=p,
    )
