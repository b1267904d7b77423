"""Random sparse masks, sampled in O(nnz) time and memory, and the ER miss factor rho(p)
(docs/theory.md §1-§2).

* Bernoulli ("ER", the theory's model): every entry kept independently with probability p.
  Sampled by geometric skipping: the gaps between kept flat indices are iid Geometric(p), so the
  cost is proportional to the number of kept entries, never to rows * cols.
* Fixed count (what jaxpruner and torch produce): exactly round(p * size) entries, uniformly
  without replacement.

Masks are ``scipy.sparse.csr_array`` of dtype bool with sorted indices.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ._validate import (
    MAX_SEED,
    LTHInputError,
    as_generator,
    check_choice,
    check_density,
    check_memory,
    check_positive_int,
)

__all__ = [
    "bernoulli_mask",
    "check_mask_memory",
    "er_masks",
    "fixed_count_mask",
    "mask_bytes",
    "mask_from_flat",
    "rho",
    "sample_mask",
]

#: peak bytes per kept entry while sampling a Bernoulli mask (geometric gaps, flat indices, CSR),
#: measured with tracemalloc (32) and rounded up
BERNOULLI_BYTES_PER_ENTRY = 40
#: the same for fixed-count masks drawn by numpy's set-based choice without replacement (168)
FIXED_BYTES_PER_ENTRY = 176


def rho(p: float | np.ndarray) -> float | np.ndarray:
    """rho(p) = 1 / ln(1/(1-p)) for 0 < p <= 1 (rho(1) = 0), docs/theory.md §1.

    An ER row of density p misses all of k given columns with probability (1-p)^k = e^(-k/rho(p)),
    so rho(p) is the number of copies needed per unit of log-odds (about 1/p for small p).
    """
    p_arr = np.asarray(p, dtype=np.float64)
    if np.any(~(p_arr > 0)) or np.any(p_arr > 1):
        raise LTHInputError(f"p (density) must be in (0, 1], got {p}")
    with np.errstate(divide="ignore"):
        out = np.where(p_arr >= 1.0, 0.0, -1.0 / np.log1p(-np.minimum(p_arr, 1.0 - 1e-300)))
    return float(out) if np.ndim(out) == 0 else out


def _pair(shape: Sequence[int]) -> tuple[int, int]:
    try:
        ok = len(shape) == 2
    except TypeError:
        ok = False
    if not ok:
        raise LTHInputError(f"shape must be (rows, cols), got {shape!r}")
    return check_positive_int(shape[0], "shape[0]"), check_positive_int(shape[1], "shape[1]")


def _shape(shape: Sequence[int]) -> tuple[int, int]:
    rows, cols = _pair(shape)
    if rows * cols > MAX_SEED:
        raise LTHInputError(
            f"shape must have at most 2^63 - 1 entries (int64 flat indices), got {rows} x {cols} "
            f"= {float(rows * cols):.3g}"
        )
    return rows, cols


def mask_bytes(shape: Sequence[int], density: float, kind: str = "bernoulli") -> float:
    """Upper estimate of the peak memory of sampling one mask: the expected number of kept entries
    plus six standard deviations, times the measured peak bytes per entry of ``kind``."""
    rows, cols = _pair(shape)
    p = check_density(density, "density", allow_zero=True)
    total = rows * cols
    mean = total * p
    if kind == "fixed":
        count = round(mean)
        extra = 16.0 * total if count > total // 50 else 0.0  # numpy permutes the whole range
        return FIXED_BYTES_PER_ENTRY * count + extra
    return BERNOULLI_BYTES_PER_ENTRY * (mean + 6.0 * np.sqrt(mean * (1.0 - p)) + 16.0)


def check_mask_memory(
    shapes: Sequence[Sequence[int]],
    densities: Sequence[float],
    name: str = "shape",
    kind: str = "bernoulli",
) -> None:
    """Refuse masks whose total sampling memory (:func:`mask_bytes`) exceeds the memory limit,
    before anything is drawn (one line naming ``name``)."""
    total = sum(mask_bytes(s, p, kind) for s, p in zip(shapes, densities, strict=True))
    nnz = sum(
        float(np.prod(_pair(s), dtype=float)) * float(p)
        for s, p in zip(shapes, densities, strict=True)
    )
    check_memory(total, name, f"masks with about {nnz:.3g} kept entries")


def mask_from_flat(flat: np.ndarray, shape: tuple[int, int]) -> sp.csr_array:
    """A boolean CSR mask from sorted, distinct flat (row-major) indices."""
    rows, cols = shape
    flat = np.asarray(flat, dtype=np.int64)
    r = flat // cols
    c = (flat - r * cols).astype(np.int64)
    indptr = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=rows), out=indptr[1:])
    idx_dtype = np.int32 if max(rows, cols, flat.size) < 2**31 else np.int64
    return sp.csr_array(
        (np.ones(flat.size, dtype=bool), c.astype(idx_dtype), indptr.astype(idx_dtype)),
        shape=(rows, cols),
    )


def _bernoulli_flat(total: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted flat indices of a Bernoulli(p) subset of range(total), by geometric gaps."""
    if p >= 1.0:
        return np.arange(total, dtype=np.int64)
    mean = total * p
    chunk = int(mean + 6.0 * np.sqrt(mean * (1 - p)) + 16)
    parts, pos = [], -1
    while True:
        # cap the gaps (tiny p draws astronomically large ones) so the cumulative sum cannot overflow
        gaps = np.minimum(rng.geometric(p, size=chunk), total + 1).astype(np.int64)
        idx = pos + np.cumsum(gaps)
        if idx[-1] >= total:
            parts.append(idx[: np.searchsorted(idx, total)])
            break
        parts.append(idx)
        pos = int(idx[-1])
        chunk = max(16, chunk // 4)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _prepare(
    shape: Sequence[int], density: float, rng: object
) -> tuple[tuple[int, int], float, np.random.Generator, int]:
    """Checked (shape, density, generator, number of entries) of a mask to sample."""
    shape = _shape(shape)
    p = check_density(density, "density", allow_zero=True)
    rng = as_generator(rng, "rng")
    return shape, p, rng, shape[0] * shape[1]


def bernoulli_mask(
    shape: Sequence[int], density: float, rng: np.random.Generator | int | None = None
) -> sp.csr_array:
    """ER mask: each of rows * cols entries kept independently with probability ``density``."""
    shape, p, rng, total = _prepare(shape, density, rng)
    check_mask_memory([shape], [p], "shape")
    flat = np.empty(0, dtype=np.int64) if p == 0.0 else _bernoulli_flat(total, p, rng)
    return mask_from_flat(flat, shape)


def fixed_count_mask(
    shape: Sequence[int], density: float, rng: np.random.Generator | int | None = None
) -> sp.csr_array:
    """Mask with exactly ``round(density * rows * cols)`` entries, uniform without replacement."""
    shape, p, rng, total = _prepare(shape, density, rng)
    check_mask_memory([shape], [p], "shape", kind="fixed")
    count = int(round(p * total))
    if count == total:
        flat = np.arange(total, dtype=np.int64)
    else:
        flat = np.sort(rng.choice(total, size=count, replace=False).astype(np.int64))
    return mask_from_flat(flat, shape)


def sample_mask(
    shape: Sequence[int],
    density: float,
    rng: np.random.Generator | int | None = None,
    kind: str = "bernoulli",
) -> sp.csr_array:
    """A mask of ``kind`` "bernoulli" (ER, the theory's model) or "fixed" (exact count)."""
    check_choice(kind, "kind", ("bernoulli", "fixed"))
    f = bernoulli_mask if kind == "bernoulli" else fixed_count_mask
    return f(shape, density, rng)


def er_masks(
    shapes: Sequence[Sequence[int]],
    densities: Sequence[float],
    rng: np.random.Generator | int | None = None,
    kind: str = "bernoulli",
) -> list[sp.csr_array]:
    """One mask per layer; ``shapes[l]`` is (out, in) and ``densities[l]`` its density."""
    if len(shapes) != len(densities):
        raise LTHInputError(
            f"densities must have one entry per layer: {len(shapes)} shapes, {len(densities)} densities"
        )
    rng = as_generator(rng, "rng")
    check_choice(kind, "kind", ("bernoulli", "fixed"))
    check_mask_memory(shapes, densities, "shapes", kind)
    return [sample_mask(s, p, rng, kind) for s, p in zip(shapes, densities, strict=True)]
