"""Kernels of the exact subset-sum solvers: subset-sum enumeration and the sorted meet in the
middle with exact predecessor queries (docs/theory.md §5.1).

Per-thread reusable buffers (:data:`WS`) avoid the page faults of fresh large allocations: buffers of
up to 2^21 elements and tag tables of up to 2^24 slots are kept (so n = 35..40 reuses its buffers too;
at most about 150 MiB per thread after an n = 40 solve).
"""

from __future__ import annotations

import math
import threading

import numpy as np

__all__ = [
    "QUERY_CHUNK",
    "SMALL_N",
    "WS",
    "SortedRows",
    "Workspace",
    "arange_i64",
    "bits",
    "combos",
    "enumerate_into",
    "enumerate_rows",
    "pick",
    "solve_mitm",
    "solve_small",
    "split",
    "subset_sums_of",
]

SMALL_N = 12  # up to this n, solve() enumerates all 2^n sums directly
_MAX_PROBE = 8  # probe steps inside a bucket before falling back to np.searchsorted
QUERY_CHUNK = 1 << 18  # queries per chunk (bounds the temporary memory)
_WS_MAX = 1 << 21  # workspace buffers up to this many elements (n <= 42 halves) are reused
_TAG_MAX = 1 << 24  # tag tables up to this many slots (the hash join's largest) are reused
_ENUM_FIRST = 8  # enumerate_rows: the first 2^8 sums by one small matrix product
_ENUM_GROUP = 4  # then 4 more values (15 shifted copies) per numpy call


class Workspace(threading.local):
    """Per-thread reusable buffers (fresh large allocations cost page faults on every call)."""

    def __init__(self) -> None:
        self.buffers: dict[str, np.ndarray] = {}
        self.tags: dict[int, list] = {}

    def tag_tables(self, P: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Two uint8 tables of ``P + 1`` slots and a fresh tag: a slot is marked iff it holds the tag.

        The tag grows by one per call, so marks of earlier calls (smaller tags) read as unmarked and the
        tables are zeroed only once every 255 calls (an interrupted call leaves no valid mark behind).
        """
        if P > _TAG_MAX:  # larger than the hash join ever asks for: fresh zeroed pages
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


WS = Workspace()


def enumerate_into(values: np.ndarray, out: np.ndarray) -> np.ndarray:
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


def bits(idx: np.ndarray, m: int) -> np.ndarray:
    """Bitmask integers -> bool array ``(..., m)`` (bit i is element i)."""
    return ((idx[..., None] >> np.arange(m, dtype=np.int64)) & 1).astype(bool)


class SortedRows:
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
        buf = WS.get("sr_pad", rows * (N + 2) + 1, np.float64)
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
        fk = WS.get("sr_fk", rows * N, np.float64).reshape(rows, N)
        np.subtract(R, lo[:, None], out=fk)
        fk *= s[:, None]
        ik = WS.get("sr_ik", rows * N, np.intp).reshape(rows, N)
        np.copyto(ik, fk, casting="unsafe")
        if rows > 1:
            ik += (np.arange(rows, dtype=np.intp) * self.stride)[:, None]
        # T[key] = 1 + 2 * row + #(elements with a smaller flat key): the flat position of the first
        # element with that key or more (pads: one -inf before and one +inf after every row)
        size = rows * self.stride
        T = WS.get("sr_T", size, np.intp)
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
        fk = WS.get("q_fk", size, np.float64).reshape(qrows, M)
        np.subtract(q, lo, out=fk)
        with np.errstate(over="ignore"):  # huge keys are clipped to the last bucket
            fk *= s
        np.clip(fk, 0.0, self.B - 1, out=fk)
        p = WS.get("q_p", size, np.intp).reshape(qrows, M)
        np.copyto(p, fk, casting="unsafe")
        if np.ndim(koff) or koff:
            p += koff
        pf = p.reshape(-1)
        np.take(self.T, pf, out=pf)
        qf = q.reshape(-1)
        g = WS.get("q_g", size, np.float64)
        np.take(self.flat, pf, out=g)
        b = WS.get("q_b", size, np.bool_)
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
        err = WS.get("q_err", size, np.float64)
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


def pick(
    ix: SortedRows, err: np.ndarray, p: np.ndarray, q: np.ndarray
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


def split(n: int, n_targets: int) -> int:
    """Left (query) half size: balanced for one target, smaller when the sort is shared by many."""
    m1 = n // 2
    if n_targets > 1:
        m1 = min(m1, max(0, (n - int(math.log2(n_targets))) // 2))
    return max(m1, n - 21, 0)  # right half <= 2^21 sums (memory)


def solve_small(values: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All 2^n sums, argmin per target (n <= SMALL_N). Returns (bitmasks, sums)."""
    S = enumerate_into(values, np.empty(1 << values.size))
    chunk = max(1, QUERY_CHUNK // S.size)
    idx = np.empty(z.size, np.int64)
    for c0 in range(0, z.size, chunk):
        zc = z[c0 : c0 + chunk]
        idx[c0 : c0 + chunk] = np.abs(zc[:, None] - S[None, :]).argmin(axis=1)
    return idx, S[idx]


def solve_mitm(values: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact meet in the middle. Returns (subsets bool (T, n), sums (T,))."""
    n = values.size
    m1 = split(n, z.size)
    m2 = n - m1
    L = enumerate_into(values[:m1], WS.get("L", 1 << m1, np.float64))
    Ru = enumerate_into(values[m1:], WS.get("Ru", 1 << m2, np.float64))
    many = z.size > 8
    if many:  # map sorted positions back to bitmasks through the permutation
        order = np.argsort(Ru)
        R = Ru[order]
    else:  # few targets: sort values only, then match the winning value (bit-identical copy)
        R = WS.get("R", 1 << m2, np.float64)
        R[:] = Ru
        R.sort()
    ix = SortedRows(R[None, :])
    M = L.size
    chunk = max(1, QUERY_CHUNK // M)
    left = np.empty(z.size, np.int64)
    right = np.empty(z.size, np.int64)
    for c0 in range(0, z.size, chunk):
        zc = z[c0 : c0 + chunk]
        q = np.subtract.outer(zc, L) if zc.size > 1 else (zc[0] - L)[None, :]
        err, p = ix.query(q, 0)
        i, pos = pick(ix, err, p, q)
        j = pos - 1  # sorted index in row 0
        left[c0 : c0 + chunk] = i
        if many:
            right[c0 : c0 + chunk] = order[j]
        else:
            for t, jj in enumerate(j):
                right[c0 + t] = int(np.flatnonzero(Ru == R[jj])[0])
    subsets = np.concatenate([bits(left, m1), bits(right, m2)], axis=1)
    sums = L[left] + Ru[right]
    return subsets, sums


def combos(g: int) -> np.ndarray:
    """``(2^g, g)`` float 0/1 matrix: row c holds the bits of c (the subsets of g values)."""
    c = _COMBOS.get(g)
    if c is None:
        c = bits(np.arange(1 << g, dtype=np.int64), g).astype(np.float64)
        c.flags.writeable = False
        _COMBOS[g] = c
    return c


_COMBOS: dict[int, np.ndarray] = {}


def enumerate_rows(start: np.ndarray, steps: np.ndarray, out: np.ndarray) -> None:
    """``out[r, k] = start[r] + sum of steps[r, i] over the bits i of k`` for k < 2^m (m = steps
    columns); the same doubling as :func:`enumerate_into`, several values per numpy call."""
    m = steps.shape[1]
    g = min(m, _ENUM_FIRST)
    k = 1 << g
    np.add((steps[:, :g] @ combos(g).T), start[:, None], out=out[:, :k])
    i = g
    while i < m:
        g = min(m - i, _ENUM_GROUP)
        add = (steps[:, i : i + g] @ combos(g)[1:].T)[:, :, None]  # (rows, 2^g - 1, 1)
        block = out[:, k : k << g].reshape(out.shape[0], (1 << g) - 1, k)
        np.add(out[:, None, :k], add, out=block)
        i += g
        k <<= g


def subset_sums_of(masks: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sums of the subsets with the given bitmasks (bit i = ``values[i]``)."""
    m = values.size
    return ((masks[:, None] >> arange_i64(m)) & 1).astype(np.float64) @ values


def arange_i64(m: int) -> np.ndarray:
    a = _ARANGE.get(m)
    if a is None:
        a = np.arange(m, dtype=np.int64)
        a.flags.writeable = False
        _ARANGE[m] = a
    return a


_ARANGE: dict[int, np.ndarray] = {}
