"""Optional compiled kernel (numba) of the exact batched meet in the middle (docs/theory.md §5.1).

Per row, in compiled code with buffers allocated once per call:

1. Both halves' subset sums by doubling, ``sums[k + j] = sums[j] + a_i`` (bit-identical to
   :func:`lththeory.subset_sum._kernels.enumerate_into`), over the numpy kernels' split, so every
   pair sum ``l + r`` is the same float as in the reference engine.
2. A certified hash join (:func:`_hash_query`, for n >= ``_HASH_MIN_N``): no sorting. The left sums
   are filed in a hash table of buckets of width w, chosen so that about 8 of the 2^n subset sums lie
   within w / 2 of z; every right sum's query ``z - r`` reads one bucket, so every pair within w / 2
   is compared, and a best error below 0.45 w proves that the optimum was among them.
3. Rows the join does not certify (lattice-like values, a poor density estimate; rare for random
   candidates) and small rows: the right sums sorted in expected linear time by a counting sort on
   the monotone key ``floor((r - lo) * (N - 1) / (hi - lo))`` plus an insertion pass inside buckets;
   every left sum's query ``z - l`` finds its predecessor through the bucket table and a short probe,
   and the nearest right sum is the predecessor or the successor: ``min |z - l - r|`` over all pairs
   (up to the rounding of the float sums, as the numpy kernels).

Measured alternatives (docs/theory.md §5.1): building each half's sums in sorted order by merging
(O(2^m) per half) is latency-bound in scalar code, about 2x slower than the bucket sort of step 3; a
two-pointer sweep over two sorted halves is slower than independent queries; filing the left
(smaller) half and querying the right one is faster than the reverse.

numba is optional (``pip install "lththeory[fast]"``); without it :data:`AVAILABLE` is False and the
numpy kernels (the reference) are used. The kernel compiles on first use, cached on disk where the
package directory is writable.
"""

from __future__ import annotations

import numpy as np

try:  # optional accelerator
    import numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    numba = None

__all__ = ["AVAILABLE", "batch_mitm"]

AVAILABLE = numba is not None

_HASH_MIN_N = 14  # from this n a row tries the hash join first
_HASH_PAIRS = 8.0  # bucket width w: about 8 of the 2^n subset sums lie within w / 2 of z
_HASH_MAX_Z = 6.0  # targets more than 6 standard deviations from the mean sum go the sorted way
_HASH_MARGIN = 0.45  # certified below 0.45 w (< w / 2; the keys round by far less than 0.05 w)
_HASH_LOAD_BITS = 5  # hash table: 32 slots per left sum (each filed twice; measured best)
_HASH_TABLE_BITS = 10


def _enumerate(vals, out):  # pragma: no cover - compiled
    out[0] = 0.0
    k = 1
    for i in range(vals.size):
        a = vals[i]
        for j in range(k):
            out[k + j] = out[j] + a
        k *= 2


def _bucket_sort(R, N, K, T, G, GI):  # pragma: no cover - compiled
    """Sort ``R[:N]`` into ``G[1:N + 1]`` (original positions in ``GI``; sentinels ``G[0] = -inf``,
    ``G[N + 1] = +inf``); fill the bucket table ``T[:N]`` (positions in G); return ``(lo, scale)`` of
    the key ``floor((x - lo) * scale)``."""
    lo = R[0]
    hi = R[0]
    for j in range(N):
        x = R[j]
        if x < lo:
            lo = x
        if x > hi:
            hi = x
    span = hi - lo
    s = (N - 1) / span if span > 0 else 0.0
    if not s < np.inf:  # subnormal span: one bucket, the probe handles it
        s = 0.0
    for b in range(N + 1):
        T[b] = 0
    for j in range(N):
        k = np.int32((R[j] - lo) * s)
        if k > N - 1:
            k = N - 1
        K[j] = k
        T[k + 1] += 1
    for b in range(N):
        T[b + 1] += T[b]
    for j in range(N):  # T[b]: next free slot of bucket b
        b = K[j]
        p = T[b]
        G[p + 1] = R[j]
        GI[p + 1] = j
        T[b] = p + 1
    for b in range(N, 0, -1):  # back to first positions, shifted past the -inf sentinel
        T[b] = T[b - 1] + 1
    T[0] = 1
    G[0] = -np.inf
    G[N + 1] = np.inf
    for j in range(2, N + 1):  # inversions only inside buckets
        x = G[j]
        if G[j - 1] > x:
            xi = GI[j]
            p = j - 1
            while G[p] > x:  # stops at the -inf sentinel
                G[p + 1] = G[p]
                GI[p + 1] = GI[p]
                p -= 1
            G[p + 1] = x
            GI[p + 1] = xi
    return lo, s


def _sorted_query(L, N1, G, T, N2, lo, s, zr):  # pragma: no cover - compiled
    """``(error, left index, position in G)`` of the best pair: every left sum's query against
    the bucket-sorted right sums (predecessor and successor)."""
    top = N2 - 1.0
    best = np.inf
    bi = 0
    bj = 1
    for i in range(N1):
        lv = L[i]
        q = zr - lv
        f = (q - lo) * s
        if not f > 0.0:  # also NaN-safe
            f = 0.0
        if f > top:
            f = top
        pos = T[np.int64(f)]
        pos += G[pos] < q  # two branch-free probe steps, then the rare long bucket
        pos += G[pos] < q
        while G[pos] < q:  # the +inf sentinel stops the probe
            pos += 1
        eh = abs(zr - (lv + G[pos]))  # the +-inf sentinels give error inf
        el = abs(zr - (lv + G[pos - 1]))
        low = el < eh
        e = el if low else eh
        if e < best:
            best = e
            bi = i
            bj = pos - low
    return best, bi, bj


def _hash_query(vals, L, N1, R, N2, zr, head, nxt, slot, kq, hmask):  # pragma: no cover - compiled
    """The certified hash join of one row: ``(error, i, j, certified)`` of the best pair among the
    left sums l and right sums r that share a bucket (``head`` is left all -1 again).

    Bucket width w: about ``_HASH_PAIRS`` of the 2^n subset sums lie within w / 2 of z (Gaussian
    estimate of their density). Left sum l (the smaller half) is filed under the buckets
    ``floor(l / w - 1/2)`` and that + 1; the query ``q = z - r`` of a right sum looks up
    ``floor(q / w)`` only. If ``|q - l| < w / 2`` then ``q / w`` lies in ``(l / w - 1/2, l / w + 1/2)``,
    so its bucket is one of l's two: every pair within w / 2 is compared (the pair's error is
    computed as ``|z - (l + r)|``, as by the sorted path). A best error below ``_HASH_MARGIN * w`` (< w / 2, the margin covers the
    rounding of the keys) therefore proves the optimum was compared: certified exact.
    """
    n = vals.size
    sa = 0.0
    s2 = 0.0
    for t in range(n):
        sa += vals[t]
        s2 += vals[t] * vals[t]
    best = np.inf
    bi = 0
    bj = 0
    if not s2 > 0.0:
        return best, bi, bj, False
    sig = 0.5 * np.sqrt(s2)
    u = (zr - 0.5 * sa) / sig
    if not abs(u) <= _HASH_MAX_Z:  # far in the tail: the estimate is poor, w would be huge
        return best, bi, bj, False
    dens = np.exp(-0.5 * u * u + n * np.log(2.0)) / (sig * np.sqrt(2.0 * np.pi))
    w = _HASH_PAIRS / dens
    xmax = abs(zr) + 0.5 * abs(sa) + 0.5 * np.sqrt(n * s2)  # >= |every sum| up to rounding
    if not (w > 0.0 and xmax / w < 2.0**45):  # keys < 2^45: they round by < 0.01 buckets
        return best, bi, bj, False
    iw = 1.0 / w
    for i in range(N1):  # the left (smaller) half is filed: node i and node N1 + i hold l_i
        b = np.int64(np.floor(L[i] * iw - 0.5))
        b0 = b & hmask
        b1 = (b + 1) & hmask
        slot[i] = b0
        slot[N1 + i] = b1
        nxt[i] = head[b0]
        head[b0] = i
        nxt[N1 + i] = head[b1]
        head[b1] = N1 + i
    for j in range(N2):  # the buckets of the queries z - r first (a loop without branches)
        kq[j] = np.int64(np.floor((zr - R[j]) * iw)) & hmask
    for j in range(N2):
        node = head[kq[j]]
        while node >= 0:
            i = node if node < N1 else node - N1
            e = abs(zr - (L[i] + R[j]))
            if e < best:
                best = e
                bi = i
                bj = j
            node = nxt[node]
    for i in range(2 * N1):
        head[slot[i]] = -1
    return best, bi, bj, best < _HASH_MARGIN * w


def _batch_mitm(V, cnt, z, masks, sums):  # pragma: no cover - compiled
    """Row r: the exact best subset of ``V[r, :cnt[r]]`` for ``z[r]`` (bitmask, sum)."""
    rows, nmax = V.shape
    size = np.int64(1) << ((nmax + 1) // 2)
    L = np.empty(size)
    R = np.empty(size)
    G = np.empty(size + 2)
    GI = np.empty(size + 2, np.int64)
    K = np.empty(size, np.int32)
    T = np.empty(size + 2, np.int32)
    small = np.int64(1) << (nmax // 2)  # the largest left half
    P = max(np.int64(1) << _HASH_TABLE_BITS, small << _HASH_LOAD_BITS)
    head = np.full(P, -1, np.int32)
    nxt = np.empty(2 * small, np.int32)
    slot = np.empty(2 * small, np.int64)
    kq = np.empty(size, np.int64)
    for r in range(rows):
        n = cnt[r]
        m1 = n // 2  # the split of the numpy kernels: the same float sums
        m2 = n - m1
        N1 = np.int64(1) << m1
        N2 = np.int64(1) << m2
        _enumerate(V[r, :m1], L)
        _enumerate(V[r, m1:n], R)
        zr = z[r]
        ok = False
        if n >= _HASH_MIN_N:
            e, bi, bj, ok = _hash_query(V[r, :n], L, N1, R, N2, zr, head, nxt, slot, kq, P - 1)
            if ok:
                masks[r] = np.int64(bi) | (np.int64(bj) << m1)
                sums[r] = L[bi] + R[bj]
        if not ok:
            lo, s = _bucket_sort(R, N2, K, T, G, GI)
            e, bi, bj = _sorted_query(L, N1, G, T, N2, lo, s, zr)
            masks[r] = np.int64(bi) | (GI[bj] << m1)
            sums[r] = L[bi] + G[bj]


if AVAILABLE:
    _jit = numba.njit(cache=True, nogil=True)
    _enumerate = _jit(_enumerate)
    _bucket_sort = _jit(_bucket_sort)
    _sorted_query = _jit(_sorted_query)
    _hash_query = _jit(_hash_query)
    _batch_mitm = _jit(_batch_mitm)


def batch_mitm(V: np.ndarray, cnt: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact best subsets of the rows of ``V`` (row r over its first ``cnt[r]`` columns) for the
    targets ``z``: (bitmasks int64 (rows,), sums (rows,)). Needs numba (:data:`AVAILABLE`)."""
    if not AVAILABLE:  # pragma: no cover
        raise RuntimeError("numba is not installed")
    V = np.ascontiguousarray(V, dtype=np.float64)
    masks = np.zeros(V.shape[0], np.int64)
    sums = np.zeros(V.shape[0])
    if V.shape[0] and V.shape[1]:
        _batch_mitm(
            V,
            np.ascontiguousarray(cnt, dtype=np.int64),
            np.ascontiguousarray(z, dtype=np.float64),
            masks,
            sums,
        )
    return masks, sums
