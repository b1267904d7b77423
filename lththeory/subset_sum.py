"""Random subset sum: exact solvers and the Lueker experiment (THEORY section 5).

Problem: given candidates ``a_1..a_n`` and a target ``z``, find ``S`` minimising ``|z - sum_{i in S} a_i|``
(the empty subset, sum 0, is allowed). Lueker (1998): for n iid samples (U[-1, 1], or products of two),
with high probability every ``z`` in [-1, 1] is met within ``eps`` once ``n >= C log2(1/eps)``.

Solvers
-------
* :func:`solve`: exact meet in the middle (n <= 40). For one to three targets (n >= 16) a hash-filtered
  join, with no sorting: both halves' ``2^(n/2)`` sums are enumerated as integer bucket keys of width
  ``w`` (about 20 of the ``2^n`` subset sums lie within ``w`` of z), byte tables keep only the pairs
  whose keys are equal or adjacent, and the few survivors are compared exactly. When the best error is
  below ``0.45 w`` the optimum provably survived, so the result is exact; otherwise (rare: degenerate
  or lattice-like values) it falls back to the sorted solver. For more targets, the sorted solver: the
  left half's ``2^(n//2)`` sums are queries ``z - l``; the right half's sums are sorted once, and each
  query's predecessor in that sorted array is located exactly through a bucket table (monotone bucket
  keys, then a short probe), which is branch-free numpy and several times faster than
  ``np.searchsorted`` on unsorted queries. The nearest right sum of a query is its predecessor or its
  successor, so the minimum over all pairs is the true minimum over all ``2^n`` subsets (up to the
  rounding of the float sums, a few ulps).
* :func:`solve_batch`: the sorted solver, row r of ``values_2d`` against ``targets[r]`` (n <= 26), many
  rows per numpy call: the strong-ticket construction's workhorse.
* :func:`solve_milp`: ``scipy.optimize.milp`` (HiGHS) cross-check; :func:`solve_brute_force`: all subsets.
* :func:`solve_fixed_size`: the best subset of exactly ``s`` elements (Natale et al. 2024), meet in the
  middle grouped by subset size; :func:`solve_fixed_size_brute_force` is its oracle.

Lueker experiment
-----------------
:func:`worst_error` is ``sup_{z in [-1, 1]} min_S |z - sum_S|``, exact from the sorted subset sums;
:func:`lueker_success_rate` estimates ``P(worst_error <= eps)`` with a binomial confidence interval and
:func:`fit_lueker_constant` fits ``n = C log2(1/eps)``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.optimize import Bounds, LinearConstraint, milp

from ._validate import (
    LTHInputError,
    check_choice,
    check_finite_array,
    check_positive_int,
    check_positive_real,
    check_probability_open,
)
from .stats import Proportion, point_seedseq, proportion, trial_generators

__all__ = [
    "DISTRIBUTIONS",
    "MAX_BATCH_N",
    "MAX_BRUTE_FORCE_N",
    "MAX_EXACT_N",
    "MAX_LUEKER_N",
    "LuekerFit",
    "SubsetSumResult",
    "fit_lueker_constant",
    "lueker_success_rate",
    "lueker_trial",
    "lueker_worst_errors",
    "sample_values",
    "solve",
    "solve_batch",
    "solve_brute_force",
    "solve_fixed_size",
    "solve_fixed_size_brute_force",
    "solve_milp",
    "subset_sums",
    "worst_error",
]

MAX_EXACT_N = 40
"""Largest n for :func:`solve` and :func:`solve_fixed_size` (2^20 sums per half)."""
MAX_BATCH_N = 26
"""Largest n for :func:`solve_batch` (2^13 sums per half and row)."""
MAX_BRUTE_FORCE_N = 20
"""Largest n for the brute-force oracles (2^20 subsets; the tests use n <= 16)."""
MAX_LUEKER_N = 24
"""Largest n for :func:`worst_error` (all 2^24 subset sums held in memory, 128 MiB)."""
DISTRIBUTIONS = ("uniform", "product")
"""Sample distributions: iid U[-1, 1], or iid products of two independent U[-1, 1]."""

_MAGNITUDE_LIMIT = 1e300  # sum |values| + |target| must stay below this (no overflow in any sum)
_SMALL_N = 12  # up to this n, solve() enumerates all 2^n sums directly
_MAX_PROBE = 8  # probe steps inside a bucket before falling back to np.searchsorted
_QUERY_CHUNK = 1 << 18  # queries per chunk (bounds the temporary memory)
_BATCH_CHUNK = 1 << 16  # sorted sums per solve_batch chunk (rows x 2^(n - n//2))
_WS_MAX = 1 << 18  # workspace buffers up to this many elements are reused between calls
_HASH_MIN_N = 16  # from this n, solve() tries the hash-filter join first (below: sorting is cheap)
_HASH_MAX_TARGETS = 3  # with more targets one shared sort (_solve_mitm) is cheaper
_HASH_PAIRS = 20.0  # bucket width w = _HASH_PAIRS / (estimated density of the 2^n sums near z)
_HASH_MARGIN = 0.45  # certified when the best error found is below _HASH_MARGIN * w
_HASH_TABLE_BITS = 5  # the first filter table holds 2^(m2 + 5) slots (1/32 of them marked)
_HASH_LOAD_BITS = 6  # the later filter tables hold about 2^6 slots per candidate
_HASH_MAX_BITS = 24  # at most 2^24 slots (16 MiB per table)
_HASH_PAIR_LIMIT = 1 << 15  # candidate pairs compared all against all
_ENUM_FIRST = 8  # _enumerate_rows: the first 2^8 sums by one small matrix product
_ENUM_GROUP = 4  # then 4 more values (15 shifted copies) per numpy call
_MAGIC = 2.0**52 - 0.5  # t + _MAGIC rounds t - 1/2 to an integer held in the low mantissa bits
_FIB = tuple(  # odd 64-bit multipliers of the finer filter rounds (multiplicative hashing)
    np.uint64(m)
    for m in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)
)
_DIST_KEY = {"uniform": 0, "product": 1}


# --------------------------------------------------------------------------------------------------
# results and validation


@dataclass(frozen=True)
class SubsetSumResult:
    """Best subsets for ``T`` targets over ``n`` candidates (THEORY section 5).

    ``subsets``: bool ``(T, n)``; ``sums``: ``values @ subset`` as float; ``errors``: ``|z - sum|``;
    ``ok``: ``errors <= eps`` (``None`` when no ``eps`` was given); ``status``: ``"exact"`` for the exact
    solvers, ``"optimal"`` / ``"time_limit"`` / ``"failed"`` per target for :func:`solve_milp`.
    """

    targets: np.ndarray
    subsets: np.ndarray
    sums: np.ndarray
    errors: np.ndarray
    eps: float | None
    ok: np.ndarray | None
    status: tuple[str, ...]

    @property
    def max_error(self) -> float:
        """Largest error over the targets (0 when there are none)."""
        return float(self.errors.max()) if self.errors.size else 0.0

    @property
    def all_ok(self) -> bool | None:
        """Whether every target is met within ``eps`` (``None`` without ``eps``)."""
        return None if self.ok is None else bool(self.ok.all())


def _readonly(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.flags.writeable = False


def _make_result(
    targets: np.ndarray,
    subsets: np.ndarray,
    sums: np.ndarray,
    errors: np.ndarray,
    eps: float | None,
    status: tuple[str, ...] | None = None,
) -> SubsetSumResult:
    ok = None if eps is None else errors <= eps
    if status is None:
        status = ("exact",) * len(targets)
    arrays = [targets, subsets, sums, errors] + ([] if ok is None else [ok])
    _readonly(*arrays)
    return SubsetSumResult(targets, subsets, sums, errors, eps, ok, status)


def _check_eps(eps: object) -> float | None:
    return None if eps is None else check_positive_real(eps, "eps")


def _check_values(values: object, max_n: int, hint: str = "") -> np.ndarray:
    a = check_finite_array(values, "values", ndim=1)
    if a.size > max_n:
        raise LTHInputError(f"values must have n <= {max_n} elements{hint}, got n={a.size}")
    return np.ascontiguousarray(a)


def _check_targets(targets: object, name: str = "targets") -> np.ndarray:
    z = check_finite_array(targets, name)
    if z.ndim > 1:
        raise LTHInputError(f"{name} must be a scalar or a 1-D array, got shape {z.shape}")
    return np.ascontiguousarray(z.reshape(-1))


def _check_magnitude(values: np.ndarray, targets: np.ndarray) -> None:
    if values.size <= 64 and targets.size <= 64:  # small: Python floats (overflow gives inf)
        total = sum(map(abs, values.tolist()))
        zmax = max(map(abs, targets.tolist()), default=0.0)
    else:
        with np.errstate(over="ignore"):
            total = float(np.abs(values).sum()) if values.size else 0.0
        zmax = float(np.abs(targets).max()) if targets.size else 0.0
    if not total + zmax < _MAGNITUDE_LIMIT:
        raise LTHInputError(
            f"sum(|values|) + max(|targets|) must be < {_MAGNITUDE_LIMIT:g}, got {total + zmax:g}"
        )


# --------------------------------------------------------------------------------------------------
# enumeration and the exact nearest-sum search


class _Workspace(threading.local):
    """Per-thread reusable buffers (fresh large allocations cost page faults on every call)."""

    def __init__(self) -> None:
        self.buffers: dict[str, np.ndarray] = {}
        self.tags: dict[int, list] = {}

    def tag_tables(self, P: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Two uint8 tables of ``P + 1`` slots and a fresh tag: a slot is marked iff it holds the tag.

        The tag grows by one per call, so marks of earlier calls (smaller tags) read as unmarked and the
        tables are zeroed only once every 255 calls (an interrupted call leaves no valid mark behind).
        """
        if P > _WS_MAX * 16:  # large tables (n >= 35): fresh zeroed pages, not kept
            return np.zeros(P + 1, np.uint8), np.zeros(P + 1, np.uint8), 1
        entry = self.tags.get(P)
        if entry is None:
            entry = [np.zeros(P + 1, np.uint8), np.zeros(P + 1, np.uint8), 0]
            self.tags[P] = entry
        entry[2] += 1
        if entry[2] > 255:
            entry[0].fill(0)
            entry[1].fill(0)
            entry[2] = 1
        return entry[0], entry[1], entry[2]

    def get(self, name: str, size: int, dtype: type) -> np.ndarray:
        if size > _WS_MAX:
            return np.empty(size, dtype)
        buf = self.buffers.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = np.empty(max(size, 1024), dtype)
            self.buffers[name] = buf
        return buf[:size]

    def arange(self, size: int) -> np.ndarray:
        """``np.arange(size)`` (intp), cached."""
        a = self.buffers.get("arange")
        if a is None or a.size < size:
            if size > _WS_MAX:
                return np.arange(size, dtype=np.intp)
            a = np.arange(max(size, 1024), dtype=np.intp)
            self.buffers["arange"] = a
        return a[:size]


_WS = _Workspace()


def _enumerate_into(values: np.ndarray, out: np.ndarray) -> np.ndarray:
    """All 2^m subset sums of ``values`` (last axis); entry ``k`` is the subset with bitmask ``k``.

    ``values``: ``(m,)`` or ``(rows, m)``; ``out``: ``(2^m,)`` or ``(rows, 2^m)``.
    Doubling: ``sums = concat(sums, sums + a_i)`` (each sum adds its elements in index order).
    """
    out[..., 0] = 0.0
    k = 1
    for i in range(values.shape[-1]):
        a = values[..., i] if values.ndim == 1 else values[:, i : i + 1]
        np.add(out[..., :k], a, out=out[..., k : 2 * k])
        k *= 2
    return out


def subset_sums(values: object) -> np.ndarray:
    """All ``2^n`` subset sums of ``values`` (n <= MAX_LUEKER_N); entry k is the subset with bitmask k.

    THEORY section 5: the candidate set of the random subset-sum problem.
    """
    a = _check_values(values, MAX_LUEKER_N)
    return _enumerate_into(a, np.empty(1 << a.size))


def _bits(idx: np.ndarray, m: int) -> np.ndarray:
    """Bitmask integers -> bool array ``(..., m)`` (bit i is element i)."""
    return ((idx[..., None] >> np.arange(m, dtype=np.int64)) & 1).astype(bool)


class _SortedRows:
    """Sorted rows ``R`` (rows, N) with a bucket table for exact predecessor queries.

    Within a row, the bucket key ``floor((x - lo) * s)`` is a monotone function of x, so every element
    with a smaller key is smaller than x and every element with a larger key is larger. ``T[key]`` is the
    flat position of the first element whose key is >= key; a query's predecessor count is therefore
    ``T[key(q)]`` plus the number of elements inside its own bucket that are below q (a short probe).
    Rows are padded with -inf / +inf so that every probe stops inside its row.
    """

    def __init__(self, R: np.ndarray, buckets_per_element: int = 2) -> None:
        rows, N = R.shape
        self.rows, self.N, self.W = rows, N, N + 2
        # buf = [-inf, row 0 padded, row 1 padded, ...]; flat = buf[1:], prev[k] = flat[k - 1]
        buf = _WS.get("sr_pad", rows * (N + 2) + 1, np.float64)
        buf[0] = -np.inf
        pad = buf[1:].reshape(rows, N + 2)
        pad[:, 0] = -np.inf
        pad[:, -1] = np.inf
        pad[:, 1:-1] = R
        self.pad = pad
        self.flat = buf[1:]
        self.prev = buf[:-1]
        self.B = B = buckets_per_element * N
        self.stride = B + 1  # key B of each row is the +inf sentinel
        lo = R[:, 0].copy()
        span = R[:, -1] - lo
        s = np.zeros(rows)
        with np.errstate(over="ignore"):
            np.divide(B - 1, span, out=s, where=span > 0)
        s[~np.isfinite(s)] = 0.0  # span subnormal: one bucket, the probe fallback handles it
        self.lo, self.s = lo, s
        fk = _WS.get("sr_fk", rows * N, np.float64).reshape(rows, N)
        np.subtract(R, lo[:, None], out=fk)
        fk *= s[:, None]
        ik = _WS.get("sr_ik", rows * N, np.intp).reshape(rows, N)
        np.copyto(ik, fk, casting="unsafe")
        if rows > 1:
            ik += (np.arange(rows, dtype=np.intp) * self.stride)[:, None]
        # T[key] = 1 + 2 * row + #(elements with a smaller flat key): the flat position of the first
        # element with that key or more (pads: one -inf before and one +inf after every row)
        size = rows * self.stride
        T = _WS.get("sr_T", size, np.intp)
        T[0] = 0
        np.cumsum(np.bincount(ik.reshape(-1), minlength=size)[:-1], out=T[1:])
        if rows == 1:
            T += 1
        else:
            T.reshape(rows, self.stride)[:] += (2 * np.arange(rows, dtype=np.intp) + 1)[:, None]
        self.T = T

    def query(self, q: np.ndarray, row: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest element to each query: ``(errors, flat positions)``, both shaped like ``q``.

        ``q``: ``(qrows, M)``; ``row``: the sorted row of every query row (an int: one row for all).
        """
        qrows, M = q.shape
        size = qrows * M
        if isinstance(row, (int, np.integer)):
            lo, s, koff = self.lo[row], self.s[row], int(row) * self.stride
        else:
            lo, s = self.lo[row][:, None], self.s[row][:, None]
            koff = (row.astype(np.intp) * self.stride)[:, None]
        fk = _WS.get("q_fk", size, np.float64).reshape(qrows, M)
        np.subtract(q, lo, out=fk)
        with np.errstate(over="ignore"):  # huge keys are clipped to the last bucket
            fk *= s
        np.clip(fk, 0.0, self.B - 1, out=fk)
        p = _WS.get("q_p", size, np.intp).reshape(qrows, M)
        np.copyto(p, fk, casting="unsafe")
        if np.ndim(koff) or koff:
            p += koff
        pf = p.reshape(-1)
        np.take(self.T, pf, out=pf)
        qf = q.reshape(-1)
        g = _WS.get("q_g", size, np.float64)
        np.take(self.flat, pf, out=g)
        b = _WS.get("q_b", size, np.bool_)
        np.less(g, qf, out=b)
        pf += b
        act = np.flatnonzero(b)
        if act.size:
            pa = pf[act]
            qa = qf[act]
            for _ in range(_MAX_PROBE):
                vals = self.flat[pa]
                g[act] = vals
                m = vals < qa
                if not m.any():
                    act = act[:0]
                    break
                act, pa, qa = act[m], pa[m] + 1, qa[m]
                pf[act] = pa
            if act.size:  # long runs inside one bucket (ties, degenerate rows): exact fallback
                self._fallback(act, pf, g, qf, row, M)
        err = _WS.get("q_err", size, np.float64)
        np.take(self.prev, pf, out=err)
        np.subtract(qf, err, out=err)
        g -= qf
        np.minimum(err, g, out=err)
        return err.reshape(qrows, M), p

    def _fallback(
        self,
        act: np.ndarray,
        pf: np.ndarray,
        g: np.ndarray,
        qf: np.ndarray,
        row: int | np.ndarray,
        M: int,
    ) -> None:
        rows_of = np.zeros(act.size, np.intp) + row if np.ndim(row) == 0 else row[act // M]
        for r in np.unique(rows_of):
            sel = act[rows_of == r]
            base = int(r) * self.W + 1
            pos = np.searchsorted(self.pad[r, 1:-1], qf[sel], side="left") + base
            pf[sel] = pos
            g[sel] = self.flat[pos]


def _pick(
    ix: _SortedRows, err: np.ndarray, p: np.ndarray, q: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per query row: the best left index and the flat position of its nearest right sum."""
    i = err.argmin(axis=1)
    r = np.arange(err.shape[0])
    pos = p[r, i]
    qi = q[r, i]
    below = ix.flat[pos - 1]
    above = ix.flat[pos]
    pos = np.where(qi - below <= above - qi, pos - 1, pos)
    return i, pos


def _split(n: int, n_targets: int) -> int:
    """Left (query) half size: balanced for one target, smaller when the sort is shared by many."""
    m1 = n // 2
    if n_targets > 1:
        m1 = min(m1, max(0, (n - int(math.log2(n_targets))) // 2))
    return max(m1, n - 21, 0)  # right half <= 2^21 sums (memory)


def _solve_small(values: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All 2^n sums, argmin per target (n <= _SMALL_N). Returns (bitmasks, sums)."""
    S = _enumerate_into(values, np.empty(1 << values.size))
    chunk = max(1, _QUERY_CHUNK // S.size)
    idx = np.empty(z.size, np.int64)
    for c0 in range(0, z.size, chunk):
        zc = z[c0 : c0 + chunk]
        idx[c0 : c0 + chunk] = np.abs(zc[:, None] - S[None, :]).argmin(axis=1)
    return idx, S[idx]


def _solve_mitm(values: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact meet in the middle. Returns (subsets bool (T, n), sums (T,))."""
    n = values.size
    m1 = _split(n, z.size)
    m2 = n - m1
    L = _enumerate_into(values[:m1], _WS.get("L", 1 << m1, np.float64))
    Ru = _enumerate_into(values[m1:], _WS.get("Ru", 1 << m2, np.float64))
    many = z.size > 8
    if many:  # map sorted positions back to bitmasks through the permutation
        order = np.argsort(Ru)
        R = Ru[order]
    else:  # few targets: sort values only, then match the winning value (bit-identical copy)
        R = _WS.get("R", 1 << m2, np.float64)
        R[:] = Ru
        R.sort()
    ix = _SortedRows(R[None, :])
    M = L.size
    chunk = max(1, _QUERY_CHUNK // M)
    left = np.empty(z.size, np.int64)
    right = np.empty(z.size, np.int64)
    for c0 in range(0, z.size, chunk):
        zc = z[c0 : c0 + chunk]
        q = np.subtract.outer(zc, L) if zc.size > 1 else (zc[0] - L)[None, :]
        err, p = ix.query(q, 0)
        i, pos = _pick(ix, err, p, q)
        j = pos - 1  # sorted index in row 0
        left[c0 : c0 + chunk] = i
        if many:
            right[c0 : c0 + chunk] = order[j]
        else:
            for t, jj in enumerate(j):
                right[c0 + t] = int(np.flatnonzero(Ru == R[jj])[0])
    subsets = np.concatenate([_bits(left, m1), _bits(right, m2)], axis=1)
    sums = L[left] + Ru[right]
    return subsets, sums


def _combos(g: int) -> np.ndarray:
    """``(2^g, g)`` float 0/1 matrix: row c holds the bits of c (the subsets of g values)."""
    c = _COMBOS.get(g)
    if c is None:
        c = _bits(np.arange(1 << g, dtype=np.int64), g).astype(np.float64)
        c.flags.writeable = False
        _COMBOS[g] = c
    return c


_COMBOS: dict[int, np.ndarray] = {}


def _enumerate_rows(start: np.ndarray, steps: np.ndarray, out: np.ndarray) -> None:
    """``out[r, k] = start[r] + sum of steps[r, i] over the bits i of k`` for k < 2^m (m = steps
    columns); the same doubling as :func:`_enumerate_into`, several values per numpy call."""
    m = steps.shape[1]
    g = min(m, _ENUM_FIRST)
    k = 1 << g
    np.add((steps[:, :g] @ _combos(g).T), start[:, None], out=out[:, :k])
    i = g
    while i < m:
        g = min(m - i, _ENUM_GROUP)
        add = (steps[:, i : i + g] @ _combos(g)[1:].T)[:, :, None]  # (rows, 2^g - 1, 1)
        block = out[:, k : k << g].reshape(out.shape[0], (1 << g) - 1, k)
        np.add(out[:, None, :k], add, out=block)
        i += g
        k <<= g


def _nearest_pair(q: np.ndarray, r: np.ndarray) -> tuple[int, int, float]:
    """``argmin |q_i - r_j|`` over all pairs: ``(i, j, error)`` (all pairs, or r sorted when many)."""
    if q.size * r.size <= _HASH_PAIR_LIMIT:
        e = np.abs(np.subtract.outer(q, r))
        i, j = divmod(int(e.argmin()), r.size)
        return i, j, float(e[i, j])
    order = np.argsort(r)
    rs = r[order]
    k = np.searchsorted(rs, q)
    kb = np.maximum(k - 1, 0)
    ka = np.minimum(k, rs.size - 1)
    eb, ea = np.abs(q - rs[kb]), np.abs(q - rs[ka])
    kk = np.where(eb <= ea, kb, ka)
    e = np.minimum(eb, ea)
    i = int(e.argmin())
    return i, int(order[kk[i]]), float(e[i])


def _subset_sums_of(masks: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sums of the subsets with the given bitmasks (bit i = ``values[i]``)."""
    m = values.size
    return ((masks[:, None] >> _arange_i64(m)) & 1).astype(np.float64) @ values


def _arange_i64(m: int) -> np.ndarray:
    a = _ARANGE.get(m)
    if a is None:
        a = np.arange(m, dtype=np.int64)
        a.flags.writeable = False
        _ARANGE[m] = a
    return a


_ARANGE: dict[int, np.ndarray] = {}


def _solve_hash(a: np.ndarray, z: float) -> tuple[int, int, float, float] | None:
    """Exact nearest pair sum by a hash-filtered join; ``None`` when the answer is not certified.

    Returns ``(left bitmask, right bitmask, left sum, right sum)`` minimising ``|z - l - r|`` over
    the ``2^m1`` left and ``2^m2`` right subset sums. Nothing is sorted:

    1. Bucket width ``w``: about ``_HASH_PAIRS`` of the ``2^n`` subset sums lie within ``w`` of z
       (Gaussian estimate of their density), so the best error is far below ``w`` (about
       ``w / (2 _HASH_PAIRS)`` on average) while few half sums share a bucket.
    2. Keys in bucket units, enumerated in scaled form: ``kr = key((r - lo) / w)`` for the right
       sums and ``kq = key((z - l - lo) / w - 1/2)`` for the left ones, where ``key(t)`` is
       ``t - 1/2`` rounded to an integer (``floor(t)``, except that an integer ``t`` may give
       ``t - 1``), read off the low bits of the float ``t + 2^52 - 1/2``. If ``|z - l - r| < 0.45 w``
       the scaled values differ by 0.05 to 0.95 buckets, so ``kr`` is ``kq`` or ``kq + 1`` (also at
       the integers); the rounding of the scaled values is checked to stay below 0.01 buckets
       (``tmax`` below).
    3. Filters: the right keys mark a table (the low bits of the key); a left sum stays a candidate
       only if slot ``kq`` or ``kq + 1`` is marked; the candidates mark a second, smaller table and a
       right sum stays a candidate only if its slot there is marked. Every pair with ``kr`` in
       ``{kq, kq + 1}`` survives; a left sum survives by chance with probability about 2^-4.
       Further rounds with multiplicative hashes of the full keys repeat this on the candidates.
    4. The surviving pairs are compared exactly (sums recomputed from their bitmasks). If the best
       error is below ``0.45 w``, the best pair of all has ``kr`` in ``{kq, kq + 1}`` (step 2) and so
       survived every filter: it is the exact optimum. Otherwise (a poor density estimate) the
       caller falls back to the sorted solver.
    """
    n = a.size
    m1 = n // 2
    m2 = n - m1
    N1, N2 = 1 << m1, 1 << m2
    al, ar = a[:m1], a[m1:]
    z = float(z)
    vals = a.tolist()  # Python floats: overflow gives inf, without numpy warnings
    s2 = sum(v * v for v in vals)
    if not 0.0 < s2 < math.inf:
        return None
    sig = 0.5 * math.sqrt(s2)  # the 2^n subset sums: mean sum(a) / 2, variance sum(a^2) / 4
    u = (z - 0.5 * sum(vals)) / sig
    try:
        dens = math.ldexp(math.exp(-0.5 * u * u) / (sig * math.sqrt(2.0 * math.pi)), n)
    except OverflowError:
        return None
    if not 0.0 < dens < math.inf:
        return None
    w = _HASH_PAIRS / dens
    iw = 1.0 / w
    abs_l = sum(abs(v) for v in vals[:m1])
    abs_r = sum(abs(v) for v in vals[m1:])
    lo = -abs_r - 2.0 * w  # below every right sum: every right scaled value is >= 2
    tmax = (abs(z) + abs_l + 2.0 * abs_r + 4.0 * w) * iw  # bound on every scaled value
    if not tmax * (n + 4) <= 0.01 * 2.0**52:  # rounding of the scaled values < 0.01 buckets
        return None
    # scaled values, row 0: (z - l - lo) / w - 1/2 (left sums), row 1: (r - lo) / w (right sums)
    F = _WS.get("hF", 2 * N2, np.float64).reshape(2, N2)
    steps = np.empty((2, m1))
    np.multiply(al, -iw, out=steps[0])
    np.multiply(ar[:m1], iw, out=steps[1])
    _enumerate_rows(np.array([(z - lo) * iw - 0.5, -lo * iw]), steps, F)
    if m2 > m1:
        np.add(F[1, :N1], ar[m1] * iw, out=F[1, N1:])
        F[0, N1:] = 0.0
    F += _MAGIC  # the low bits of each float now hold its key (2 <= t < 2^51 for the keys that matter)
    Fi = F.view(np.int64)
    bits = min(max(m2 + _HASH_TABLE_BITS, 8), _HASH_MAX_BITS)
    P = 1 << bits
    mask = P - 1
    K = _WS.get("hK", 2 * N2, np.intp).reshape(2, N2)
    np.bitwise_and(Fi, mask, out=K)
    hq, hr = K[0, :N1], K[1]
    B, Bq, tag = _WS.tag_tables(P)
    B[hr] = tag
    B[P] = B[0]  # slot P stands for slot 0 when kq + 1 wraps around
    b0 = _WS.get("hb0", N1, np.uint8)
    b1 = _WS.get("hb1", N1, np.uint8)
    np.take(B, hq, out=b0, mode="clip")
    np.take(B[1:], hq, out=b1, mode="clip")  # slot kq + 1
    np.maximum(b0, b1, out=b0)  # the tags of earlier calls are smaller
    cq = (b0 == tag).nonzero()[0]
    if not 0 < cq.size <= N1 // 2:
        return None
    # second filter: a table of 2^bq slots (the low bits of the keys), marked by the candidates
    bq = min(bits, max(8, cq.size.bit_length() + _HASH_LOAD_BITS))
    qmask = (1 << bq) - 1
    h1 = hq[cq] + 1
    Bq[(h1 - 1) & qmask] = tag
    Bq[h1 & qmask] = tag
    hrq = _WS.get("hrq", N2, np.intp)
    np.bitwise_and(hr, qmask, out=hrq)
    br = _WS.get("hbr", N2, np.uint8)
    np.take(Bq, hrq, out=br, mode="clip")
    cr = (br == tag).nonzero()[0]
    if not 0 < cr.size <= N2 // 2:
        return None
    # finer rounds on the full keys of the candidates
    kq = Fi[0, cq]
    kr = Fi[1, cr]
    for mult in _FIB:
        if cq.size * cr.size <= _HASH_PAIR_LIMIT:
            break
        nq, nr = cq.size, cr.size
        b = min(max(max(nq, nr).bit_length() + _HASH_LOAD_BITS, 8), 22)
        g = np.concatenate((kq, kq + 1, kr)).view(np.uint64) * mult
        g >>= np.uint64(64 - b)
        g = g.view(np.int64)  # < 2^22: index with the native integer type
        T = np.zeros(1 << b, np.bool_)
        T[g[2 * nq :]] = True
        hit = T[g[: 2 * nq]].reshape(2, nq)
        keep = (hit[0] | hit[1]).nonzero()[0]
        cq, kq = cq[keep], kq[keep]
        T[:] = False
        T[g[keep]] = True
        T[g[nq + keep]] = True
        keep = T[g[2 * nq :]].nonzero()[0]
        cr, kr = cr[keep], kr[keep]
        if cq.size == 0 or cr.size == 0:
            return None
    # exact comparison of the surviving pairs (sums recomputed from the bitmasks)
    sums = _subset_sums_of(np.concatenate((cq, cr << m1)), a)
    ls, rs = sums[: cq.size], sums[cq.size :]
    i, j, err = _nearest_pair(z - ls, rs)
    if not err < _HASH_MARGIN * w:
        return None
    return int(cq[i]), int(cr[j]), float(ls[i]), float(rs[j])


def _solve_exact(a: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact best subsets for ``n > _SMALL_N``: the hash join (:func:`_solve_hash`) for a few targets;
    the sorted meet in the middle (:func:`_solve_mitm`) for many targets and wherever the hash join is
    not certified. Returns (subsets bool (T, n), sums (T,))."""
    n = a.size
    if n < _HASH_MIN_N or z.size > _HASH_MAX_TARGETS:
        return _solve_mitm(a, z)
    m1 = n // 2
    masks = np.zeros(z.size, np.int64)
    sums = np.empty(z.size)
    todo = []
    for t in range(z.size):
        hit = _solve_hash(a, float(z[t]))
        if hit is None:
            todo.append(t)
        else:
            masks[t] = hit[0] | (hit[1] << m1)
            sums[t] = hit[2] + hit[3]
    subsets = _bits(masks, n)
    if todo:
        subsets[todo], sums[todo] = _solve_mitm(a, z[todo])
    return subsets, sums


# --------------------------------------------------------------------------------------------------
# public solvers


def solve(
    values: object,
    targets: object,
    eps: float | None = None,
    *,
    method: str = "exact",
    time_limit: float = 10.0,
) -> SubsetSumResult:
    """Best subset of ``values`` for each target: ``argmin_S |z - sum_S a|`` (THEORY section 5).

    Exact meet in the middle for n <= MAX_EXACT_N, the true minimum over all 2^n subsets (empty subset
    included): a certified hash-filtered join per target for up to three targets, otherwise (and where
    the join is not certified) the sorted solver, one enumeration and sort shared by all targets.
    ``method="milp"`` runs :func:`solve_milp` per target instead (any n, HiGHS, ``time_limit`` seconds
    each).
    """
    check_choice(method, "method", ("exact", "milp"))
    eps_v = _check_eps(eps)
    if method == "milp":
        a = check_finite_array(values, "values", ndim=1)
        z = _check_targets(targets)
        parts = [solve_milp(a, float(t), eps_v, time_limit=time_limit) for t in z]
        if not parts:
            return _make_result(z, np.zeros((0, a.size), bool), np.zeros(0), np.zeros(0), eps_v)
        return _make_result(
            z,
            np.concatenate([r.subsets for r in parts]),
            np.concatenate([r.sums for r in parts]),
            np.concatenate([r.errors for r in parts]),
            eps_v,
            tuple(s for r in parts for s in r.status),
        )
    a = _check_values(values, MAX_EXACT_N, ' for the exact solver (use method="milp" beyond)')
    z = _check_targets(targets)
    _check_magnitude(a, z)
    n = a.size
    if z.size == 0:
        return _make_result(z, np.zeros((0, n), bool), np.zeros(0), np.zeros(0), eps_v)
    if n <= _SMALL_N:
        idx, sums = _solve_small(a, z)
        subsets = _bits(idx, n)
    else:
        subsets, sums = _solve_exact(a, z)
    errors = np.abs(z - sums)
    return _make_result(z.copy(), subsets, sums, errors, eps_v)


def solve_batch(values_2d: object, targets_1d: object, eps: float | None = None) -> SubsetSumResult:
    """Row r: best subset of ``values_2d[r]`` for ``targets_1d[r]``, exact (THEORY section 5).

    Meet in the middle vectorised over rows (n <= MAX_BATCH_N): each row's halves are enumerated and the
    right half sorted per row; a per-row bucket table gives every query's exact predecessor.
    Used to approximate many network weights at once, each by its own fresh candidates.
    """
    eps_v = _check_eps(eps)
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
    with np.errstate(over="ignore"):
        total = float(np.abs(V).sum(axis=1).max()) if V.size else 0.0
    zmax = float(np.abs(z).max()) if z.size else 0.0
    if not total + zmax < _MAGNITUDE_LIMIT:
        raise LTHInputError(
            f"sum(|values|) + |target| must be < {_MAGNITUDE_LIMIT:g} per row, got {total + zmax:g}"
        )
    V = np.ascontiguousarray(V)
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
        L = _enumerate_into(Vc[:, :m1], _WS.get("bL", b * N1, np.float64).reshape(b, N1))
        Ru = _enumerate_into(Vc[:, m1:], _WS.get("bRu", b * N2, np.float64).reshape(b, N2))
        R = _WS.get("bR", b * N2, np.float64).reshape(b, N2)
        R[:] = Ru
        R.sort(axis=1)
        ix = _SortedRows(R)
        q = _WS.get("bq", b * N1, np.float64).reshape(b, N1)
        np.subtract(zc[:, None], L, out=q)
        err, p = ix.query(q, np.arange(b))
        i, pos = _pick(ix, err, p, q)
        rr = np.arange(b)
        rv = ix.flat[pos]
        j = (Ru == rv[:, None]).argmax(axis=1)  # bit-identical value -> bitmask
        subsets[r0 : r0 + b, :m1] = _bits(i, m1)
        subsets[r0 : r0 + b, m1:] = _bits(j, m2)
        sums[r0 : r0 + b] = L[rr, i] + Ru[rr, j]
    errors = np.abs(z - sums)
    return _make_result(z.copy(), subsets, sums, errors, eps_v)


def solve_brute_force(values: object, targets: object, eps: float | None = None) -> SubsetSumResult:
    """Oracle: evaluate all 2^n subsets (n <= MAX_BRUTE_FORCE_N) as ``masks @ values`` (THEORY section 5)."""
    eps_v = _check_eps(eps)
    a = _check_values(values, MAX_BRUTE_FORCE_N, " for brute force")
    z = _check_targets(targets)
    _check_magnitude(a, z)
    n = a.size
    S = np.empty(1 << n)
    block = 1 << 16
    for k0 in range(0, S.size, block):  # sum of each subset as masks @ values, in blocks
        masks = _bits(np.arange(k0, min(k0 + block, S.size), dtype=np.int64), n)
        S[k0 : k0 + block] = masks.astype(np.float64) @ a if n else 0.0
    idx = np.empty(z.size, np.int64)
    chunk = max(1, (1 << 22) // S.size)
    for c0 in range(0, z.size, chunk):
        zc = z[c0 : c0 + chunk]
        idx[c0 : c0 + chunk] = np.abs(zc[:, None] - S[None, :]).argmin(axis=1)
    subsets = _bits(idx, n).reshape(z.size, n)
    sums = S[idx]
    return _make_result(z.copy(), subsets, sums, np.abs(z - sums), eps_v)


def solve_milp(
    values: object, target: float, eps: float | None = None, time_limit: float = 10.0
) -> SubsetSumResult:
    """Cross-check by MILP (scipy.optimize.milp, HiGHS): min t s.t. t >= +-(z - a.x), x binary.

    THEORY section 5. ``status`` is ``"optimal"``, ``"time_limit"`` (best incumbent so far) or
    ``"failed"`` (no incumbent: the empty subset is returned). The error is recomputed from the rounded
    binary solution, so it is the true error of the returned subset.
    """
    eps_v = _check_eps(eps)
    a = check_finite_array(values, "values", ndim=1)
    z = _check_targets(target, "target")
    if z.size != 1:
        raise LTHInputError(f"target must be a single number, got {z.size} values")
    tl = check_positive_real(time_limit, "time_limit")
    _check_magnitude(a, z)
    n = a.size
    zt = float(z[0])
    c = np.zeros(n + 1)
    c[-1] = 1.0
    A = np.zeros((2, n + 1))
    A[0, :n], A[0, -1] = a, 1.0  # a.x + t >= z
    A[1, :n], A[1, -1] = -a, 1.0  # -a.x + t >= -z
    res = milp(
        c,
        integrality=np.r_[np.ones(n), 0.0],
        bounds=Bounds(np.zeros(n + 1), np.r_[np.ones(n), np.inf]),
        constraints=LinearConstraint(A, [zt, -zt], [np.inf, np.inf]),
        options={"time_limit": tl, "mip_rel_gap": 0.0},
    )
    if res.x is not None:
        x = np.round(res.x[:n]).astype(bool)
        status = "optimal" if res.status == 0 else "time_limit"
    else:
        x = np.zeros(n, bool)
        status = "failed"
    s = float(a[x].sum()) if n else 0.0
    return _make_result(
        z.copy(), x[None, :], np.array([s]), np.array([abs(zt - s)]), eps_v, (status,)
    )


def _check_size(size: object, n: int) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise LTHInputError(f"size must be an integer in [0, n={n}], got {size!r}")
    s = int(size)
    if not 0 <= s <= n:
        raise LTHInputError(f"size must be in [0, n={n}], got {s}")
    return s


def _popcount(m: int) -> np.ndarray:
    pc = np.zeros(1 << m, np.int64)
    for i in range(m):
        pc[1 << i : 1 << (i + 1)] = pc[: 1 << i] + 1
    return pc


def solve_fixed_size(
    values: object, target: object, size: int, eps: float | None = None
) -> SubsetSumResult:
    """Best subset of EXACTLY ``size`` elements: ``argmin_{|S|=s} |z - sum_S a|`` (THEORY section 5).

    Natale et al. (2024)'s fixed-size random subset sum. Exact meet in the middle grouped by subset
    size: left subsets of size i are matched against the sorted right subsets of size s - i.
    """
    eps_v = _check_eps(eps)
    a = _check_values(values, MAX_EXACT_N, " for the exact solver")
    z = _check_targets(target, "target")
    _check_magnitude(a, z)
    n = a.size
    s = _check_size(size, n)
    m1 = n // 2
    m2 = n - m1
    L = _enumerate_into(a[:m1], np.empty(1 << m1))
    Ru = _enumerate_into(a[m1:], np.empty(1 << m2))
    pcL, pcR = _popcount(m1), _popcount(m2)
    best_err = np.full(z.size, np.inf)
    best_l = np.zeros(z.size, np.int64)
    best_r = np.zeros(z.size, np.int64)
    for i in range(max(0, s - m2), min(m1, s) + 1):
        li = np.flatnonzero(pcL == i)
        rj = np.flatnonzero(pcR == s - i)
        order = rj[np.argsort(Ru[rj])]
        Rs = Ru[order]
        Li = L[li]
        chunk = max(1, _QUERY_CHUNK // Li.size)
        for c0 in range(0, z.size, chunk):
            zc = z[c0 : c0 + chunk]
            q = zc[:, None] - Li[None, :]
            k = np.searchsorted(Rs, q)
            kb = np.clip(k - 1, 0, Rs.size - 1)
            ka = np.clip(k, 0, Rs.size - 1)
            eb, ea = np.abs(q - Rs[kb]), np.abs(q - Rs[ka])
            kk = np.where(eb <= ea, kb, ka)
            e = np.minimum(eb, ea)
            col = e.argmin(axis=1)
            rr = np.arange(zc.size)
            ebest = e[rr, col]
            better = ebest < best_err[c0 : c0 + chunk]
            sl = slice(c0, c0 + zc.size)
            best_err[sl] = np.where(better, ebest, best_err[sl])
            best_l[sl] = np.where(better, li[col], best_l[sl])
            best_r[sl] = np.where(better, order[kk[rr, col]], best_r[sl])
    subsets = np.concatenate([_bits(best_l, m1), _bits(best_r, m2)], axis=1)
    sums = L[best_l] + Ru[best_r]
    return _make_result(z.copy(), subsets, sums, np.abs(z - sums), eps_v)


def solve_fixed_size_brute_force(
    values: object, target: object, size: int, eps: float | None = None
) -> SubsetSumResult:
    """Oracle for :func:`solve_fixed_size`: all subsets with exactly ``size`` elements (n <= 20)."""
    eps_v = _check_eps(eps)
    a = _check_values(values, MAX_BRUTE_FORCE_N, " for brute force")
    z = _check_targets(target, "target")
    _check_magnitude(a, z)
    n = a.size
    s = _check_size(size, n)
    masks = _bits(np.flatnonzero(_popcount(n) == s), n)
    S = masks.astype(np.float64) @ a if n else np.zeros(1)
    idx = np.abs(z[:, None] - S[None, :]).argmin(axis=1)
    subsets = masks[idx].reshape(z.size, n)
    sums = S[idx]
    return _make_result(z.copy(), subsets, sums, np.abs(z - sums), eps_v)


# --------------------------------------------------------------------------------------------------
# Lueker experiment


def sample_values(n: int, distribution: str, rng: np.random.Generator) -> np.ndarray:
    """n iid candidates: ``"uniform"`` U[-1, 1], or ``"product"`` u * v with u, v iid U[-1, 1].

    THEORY section 5 (products arise as first- times second-layer weights along a path).
    """
    n = check_positive_int(n, "n", minimum=0)
    check_choice(distribution, "distribution", DISTRIBUTIONS)
    if distribution == "uniform":
        return rng.uniform(-1.0, 1.0, n)
    u = rng.uniform(-1.0, 1.0, (2, n))
    return u[0] * u[1]


def worst_error(values: object) -> float:
    """``sup_{z in [-1, 1]} min_S |z - sum_S a|``, exact (THEORY section 5).

    From the sorted subset sums: the sup is attained at -1, at 1, or at the midpoint of two consecutive
    sums (half their gap), the midpoint clipped to [-1, 1] when the gap straddles an end. Only the sums
    inside [-1, 1] and the nearest one on each side are sorted.
    """
    a = _check_values(values, MAX_LUEKER_N, " for worst_error")
    S = _enumerate_into(a, np.empty(1 << a.size))
    inside = S[(S >= -1.0) & (S <= 1.0)]
    below = S[S < -1.0]
    above = S[S > 1.0]
    parts = [inside]
    if below.size:
        parts.insert(0, np.array([below.max()]))
    if above.size:
        parts.append(np.array([above.min()]))
    s = np.sort(np.concatenate(parts))
    cand = [0.0]
    if s[0] > -1.0:  # nothing at or below -1: z = -1 is nearest to s[0]
        cand.append(s[0] + 1.0)
    if s[-1] < 1.0:
        cand.append(1.0 - s[-1])
    if s.size > 1:
        lo, hi = s[:-1], s[1:]
        u = np.maximum(lo, -1.0)
        v = np.minimum(hi, 1.0)
        keep = u <= v
        lo, hi, u, v = lo[keep], hi[keep], u[keep], v[keep]
        if lo.size:
            mid = np.clip(0.5 * (lo + hi), u, v)
            cand.append(float(np.minimum(mid - lo, hi - mid).max()))
    return float(max(cand))


def _check_eps_value(eps: object) -> float:
    return check_positive_real(eps, "eps")


def lueker_trial(
    n: int, eps: float, distribution: str, rng: np.random.Generator
) -> tuple[float, bool]:
    """One draw of n samples: ``(worst_error, worst_error <= eps)`` (THEORY section 5)."""
    n = check_positive_int(n, "n")
    if n > MAX_LUEKER_N:
        raise LTHInputError(f"n must be in [1, {MAX_LUEKER_N}] for the Lueker experiment, got {n}")
    e = _check_eps_value(eps)
    w = worst_error(sample_values(n, distribution, rng))
    return w, bool(w <= e)


def lueker_worst_errors(n: int, distribution: str, trials: int, seed: int = 0) -> np.ndarray:
    """Worst errors of ``trials`` independent draws of n samples (THEORY section 5).

    Trial t uses child t of ``point_seedseq(seed, n, distribution key)``; the draws do not depend on
    eps, so every eps is evaluated on the same samples (common random numbers).
    """
    n = check_positive_int(n, "n")
    if n > MAX_LUEKER_N:
        raise LTHInputError(f"n must be in [1, {MAX_LUEKER_N}] for the Lueker experiment, got {n}")
    check_choice(distribution, "distribution", DISTRIBUTIONS)
    trials = check_positive_int(trials, "trials")
    gens = trial_generators(point_seedseq(seed, n, _DIST_KEY[distribution]), 0, trials)
    return np.array([worst_error(sample_values(n, distribution, g)) for g in gens])


def lueker_success_rate(
    n: int,
    eps: float,
    distribution: str = "uniform",
    trials: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
) -> Proportion:
    """Estimate ``P(sup_z min_S |z - sum_S a| <= eps)`` for n samples (THEORY section 5).

    Clopper-Pearson interval from :func:`lththeory.stats.proportion`; seeding as in
    :func:`lueker_worst_errors`.
    """
    e = _check_eps_value(eps)
    w = lueker_worst_errors(n, distribution, trials, seed)
    return proportion(int((w <= e).sum()), w.size, confidence=confidence)


@dataclass(frozen=True)
class LuekerFit:
    """Fit of ``n*(eps) = C log2(1/eps)`` through the origin (THEORY section 5).

    ``n_required[k]``: the smallest n whose success rate reached ``1 - delta`` at ``eps[k]`` (``-1`` if
    none up to ``n_max``, such points are left out of the fit); ``ci_low``, ``ci_high``: t-interval of the
    regression slope at ``confidence`` (k - 1 degrees of freedom; nan with fewer than 2 points).
    ``slope_affine``, ``intercept``: the ordinary least-squares fit ``n = slope log2(1/eps) + intercept``
    for comparison (nan with fewer than 2 distinct eps): covering all of [-1, 1] needs a minimum n
    whatever eps, so the fit through the origin overstates C at large eps.
    """

    C: float
    ci_low: float
    ci_high: float
    eps: tuple[float, ...]
    n_required: tuple[int, ...]
    delta: float
    trials: int
    distribution: str
    confidence: float
    slope_affine: float
    intercept: float
    method: str = "t-interval of the least-squares slope through the origin"


def fit_lueker_constant(
    eps_grid: tuple[float, ...] = (0.1, 0.03, 0.01, 0.003),
    distribution: str = "uniform",
    trials: int = 200,
    delta: float = 0.1,
    seed: int = 0,
    n_max: int = MAX_LUEKER_N,
    confidence: float = 0.95,
) -> LuekerFit:
    """Measure C in ``n = C log2(1/eps)`` (THEORY section 5).

    For each eps the smallest n with empirical ``P(worst_error <= eps) >= 1 - delta`` (n scanned upward
    from 1, ``trials`` draws per n, shared by all eps); then least squares through the origin,
    ``C = sum x n / sum x^2`` with ``x = log2(1/eps)``, and a t-interval for C from the residuals. The
    interval treats the points as independent, which the shared draws make only approximately true.
    """
    eps_list = [_check_eps_value(e) for e in eps_grid]
    if not eps_list:
        raise LTHInputError("eps_grid must contain at least one eps value")
    if any(e >= 1.0 for e in eps_list):
        raise LTHInputError(f"eps_grid values must be in (0, 1), got {eps_list}")
    check_choice(distribution, "distribution", DISTRIBUTIONS)
    trials = check_positive_int(trials, "trials")
    delta = check_probability_open(delta, "delta")
    confidence = check_probability_open(confidence, "confidence")
    n_max = check_positive_int(n_max, "n_max")
    if n_max > MAX_LUEKER_N:
        raise LTHInputError(f"n_max must be in [1, {MAX_LUEKER_N}], got {n_max}")
    need = [-1] * len(eps_list)
    for n in range(1, n_max + 1):
        w = lueker_worst_errors(n, distribution, trials, seed)
        for k, e in enumerate(eps_list):
            if need[k] < 0 and np.mean(w <= e) >= 1.0 - delta:
                need[k] = n
        if all(v > 0 for v in need):
            break
    x = np.array([math.log2(1.0 / e) for e, v in zip(eps_list, need, strict=True) if v > 0])
    y = np.array([v for v in need if v > 0], dtype=float)
    if x.size == 0:
        C = lo = hi = float("nan")
    else:
        C = float(x @ y / (x @ x))
        if x.size >= 2:
            resid = y - C * x
            se = math.sqrt(float(resid @ resid) / (x.size - 1) / float(x @ x))
            t = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1))
            lo, hi = C - t * se, C + t * se
        else:
            lo = hi = float("nan")
    slope = icpt = float("nan")
    if np.unique(x).size >= 2:
        slope, icpt = (float(c) for c in np.polyfit(x, y, 1))
    return LuekerFit(
        C,
        lo,
        hi,
        tuple(eps_list),
        tuple(need),
        delta,
        trials,
        distribution,
        confidence,
        slope,
        icpt,
    )
