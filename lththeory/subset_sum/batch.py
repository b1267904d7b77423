"""The batched exact subset-sum solver: row r of a matrix against its own target, with a choice of
engine (docs/theory.md §5.1).

* ``engine="reference"``: the numpy meet in the middle (each row's halves enumerated, the right half
  sorted per row by numpy's vectorised sort, every left query located through a per-row bucket
  table of the sorted right sums). Always available; the reference every other engine is tested
  against.
* ``engine="numba"``: the compiled kernel of :mod:`._compiled` (per row a certified hash join, no
  sorting; rows it cannot certify fall back to a linear-time bucket sort and the same exact
  queries). Needs the optional extra ``fast`` (numba).
* ``engine="auto"`` (default): ``"numba"`` where numba is installed, else ``"reference"``.

Both engines form every subset sum in the same order (``sum(S) + a_i``, elements in index order)
over the same split, so on generic inputs they return bit-identical sums and errors; on ties
(equal sums) they may pick different optimal subsets.
"""

from __future__ import annotations

import numpy as np

from .._validate import LTHInputError, check_choice, check_finite_array
from ._compiled import AVAILABLE as NUMBA_AVAILABLE
from ._compiled import batch_mitm
from ._kernels import WS, SortedRows, bits, enumerate_into, pick
from .solvers import MAGNITUDE_LIMIT, SubsetSumResult, check_eps, make_result

__all__ = ["ENGINES", "MAX_BATCH_N", "NUMBA_AVAILABLE", "resolve_engine", "solve_batch"]

MAX_BATCH_N = 26
"""Largest n for :func:`solve_batch` (2^13 sums per half and row)."""
ENGINES = ("auto", "numba", "reference")
"""The engines of :func:`solve_batch`."""
_BATCH_CHUNK = 1 << 16  # sorted sums per reference chunk (rows x 2^(n - n//2))
_NUMBA_CHUNK = 1 << 14  # rows per compiled call (bounds the bitmask-to-bool expansion)


def resolve_engine(engine: object, param: str = "engine") -> str:
    """The engine that ``engine`` names (``"auto"`` resolved); one-line error if unknown, or if
    ``"numba"`` is asked for without numba installed."""
    e = check_choice(engine, param, ENGINES)
    if e == "auto":
        return "numba" if NUMBA_AVAILABLE else "reference"
    if e == "numba" and not NUMBA_AVAILABLE:
        raise LTHInputError(
            f'{param}="numba" needs numba (pip install "lththeory[fast]"); use "reference" or "auto"'
        )
    return e


def _reference(V: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The numpy meet in the middle over all columns of ``V``: (subsets bool, sums)."""
    rows, n = V.shape
    m1 = n // 2
    m2 = n - m1
    N1, N2 = 1 << m1, 1 << m2
    subsets = np.empty((rows, n), bool)
    sums = np.empty(rows)
    chunk = max(1, _BATCH_CHUNK // N2)
    for r0 in range(0, rows, chunk):
        Vc = V[r0 : r0 + chunk]
        zc = z[r0 : r0 + chunk]
        b = Vc.shape[0]
        L = enumerate_into(Vc[:, :m1], WS.get("bL", b * N1, np.float64).reshape(b, N1))
        Ru = enumerate_into(Vc[:, m1:], WS.get("bRu", b * N2, np.float64).reshape(b, N2))
        R = WS.get("bR", b * N2, np.float64).reshape(b, N2)
        R[:] = Ru
        R.sort(axis=1)
        ix = SortedRows(R)
        q = WS.get("bq", b * N1, np.float64).reshape(b, N1)
        np.subtract(zc[:, None], L, out=q)
        err, p = ix.query(q, np.arange(b))
        i, pos = pick(ix, err, p, q)
        rr = np.arange(b)
        rv = ix.flat[pos]
        j = (Ru == rv[:, None]).argmax(axis=1)  # bit-identical value -> bitmask
        subsets[r0 : r0 + b, :m1] = bits(i, m1)
        subsets[r0 : r0 + b, m1:] = bits(j, m2)
        sums[r0 : r0 + b] = L[rr, i] + Ru[rr, j]
    return subsets, sums


def _compiled(V: np.ndarray, cnt: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, n = V.shape
    subsets = np.zeros((rows, n), bool)
    sums = np.empty(rows)
    for r0 in range(0, rows, _NUMBA_CHUNK):
        sl = slice(r0, r0 + _NUMBA_CHUNK)
        masks, sums[sl] = batch_mitm(V[sl], cnt[sl], z[sl])
        subsets[sl] = bits(masks, n)
    return subsets, sums


def _check_counts(counts: object, rows: int, n: int) -> np.ndarray:
    if counts is None:
        return np.full(rows, n, np.int64)
    c = np.asarray(counts)
    if (
        c.shape != (rows,)
        or not np.issubdtype(c.dtype, np.integer)
        or c.size
        and (c.min() < 0 or c.max() > n)
    ):
        raise LTHInputError(f"counts must be {rows} integers in [0, n={n}] (one per row)")
    return c.astype(np.int64)


def solve_batch(
    values_2d: object,
    targets_1d: object,
    eps: float | None = None,
    *,
    counts: object = None,
    engine: str = "auto",
) -> SubsetSumResult:
    """Row r: the best subset of ``values_2d[r, :counts[r]]`` for ``targets_1d[r]``, exact
    (``argmin_S |z_r - sum_{i in S} V[r, i]|``; docs/theory.md §5.1).

    ``counts`` (default: every column): how many leading candidates each row may use, so rows of
    different sizes are solved in one call; the other columns of a row's subset are False.
    ``engine``: ``"auto"``, ``"numba"`` or ``"reference"`` (module docstring). n <= MAX_BATCH_N.
    Used to approximate many network weights at once, each by its own fresh candidates.
    """
    eps_v = check_eps(eps)
    eng = resolve_engine(engine)
    V = check_finite_array(values_2d, "values_2d", ndim=2)
    z = check_finite_array(targets_1d, "targets_1d", ndim=1)
    rows, n = V.shape
    if z.size != rows:
        raise LTHInputError(
            f"targets_1d must have one target per row of values_2d ({rows}), got {z.size}"
        )
    if n > MAX_BATCH_N:
        raise LTHInputError(
            f"values_2d must have n <= {MAX_BATCH_N} columns (use solve for larger n), got n={n}"
        )
    cnt = _check_counts(counts, rows, n)
    with np.errstate(over="ignore"):
        total = float(np.abs(V).sum(axis=1).max()) if V.size else 0.0
    zmax = float(np.abs(z).max()) if z.size else 0.0
    if not total + zmax < MAGNITUDE_LIMIT:
        raise LTHInputError(
            f"sum(|values|) + |target| must be < {MAGNITUDE_LIMIT:g} per row, got {total + zmax:g}"
        )
    V = np.ascontiguousarray(V)
    if eng == "numba":
        subsets, sums = _compiled(V, cnt, z)
    elif counts is None:
        subsets, sums = _reference(V, z)
    else:
        subsets = np.zeros((rows, n), bool)
        sums = np.zeros(rows)
        for m in np.unique(cnt):
            g = np.flatnonzero(cnt == m)
            subsets[g, :m], sums[g] = _reference(np.ascontiguousarray(V[g, :m]), z[g])
    return make_result(z.copy(), subsets, sums, np.abs(z - sums), eps_v)
