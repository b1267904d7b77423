"""The certified hash-filtered join of :func:`lththeory.subset_sum.solve` for one target
(docs/theory.md §5.1): no sorting; the result is exact whenever it is returned."""

from __future__ import annotations

import math

import numpy as np

from ._kernels import WS, enumerate_rows, subset_sums_of

__all__ = ["nearest_pair", "solve_hash"]

_HASH_PAIRS = 20.0  # bucket width w = _HASH_PAIRS / (estimated density of the 2^n sums near z)
_HASH_MARGIN = 0.45  # certified when the best error found is below _HASH_MARGIN * w
_HASH_TABLE_BITS = 5  # the first filter table holds 2^(m2 + 5) slots (1/32 of them marked)
_HASH_LOAD_BITS = 6  # the later filter tables hold about 2^6 slots per candidate
_HASH_MAX_BITS = 24  # at most 2^24 slots (16 MiB per table)
_HASH_PAIR_LIMIT = 1 << 15  # candidate pairs compared all against all
_MAGIC = 2.0**52 - 0.5  # t + _MAGIC rounds t - 1/2 to an integer held in the low mantissa bits
_FIB = tuple(  # odd 64-bit multipliers of the finer filter rounds (multiplicative hashing)
    np.uint64(m)
    for m in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)
)


def nearest_pair(q: np.ndarray, r: np.ndarray) -> tuple[int, int, float]:
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


def solve_hash(a: np.ndarray, z: float) -> tuple[int, int, float, float] | None:
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
    F = WS.get("hF", 2 * N2, np.float64).reshape(2, N2)
    steps = np.empty((2, m1))
    np.multiply(al, -iw, out=steps[0])
    np.multiply(ar[:m1], iw, out=steps[1])
    enumerate_rows(np.array([(z - lo) * iw - 0.5, -lo * iw]), steps, F)
    if m2 > m1:
        np.add(F[1, :N1], ar[m1] * iw, out=F[1, N1:])
        F[0, N1:] = 0.0
    F += _MAGIC  # the low bits of each float now hold its key (2 <= t < 2^51 for the keys that matter)
    Fi = F.view(np.int64)
    bits = min(max(m2 + _HASH_TABLE_BITS, 8), _HASH_MAX_BITS)
    P = 1 << bits
    mask = P - 1
    K = WS.get("hK", 2 * N2, np.intp).reshape(2, N2)
    np.bitwise_and(Fi, mask, out=K)
    hq, hr = K[0, :N1], K[1]
    B, Bq, tag = WS.tag_tables(P)
    B[hr] = tag
    B[P] = B[0]  # slot P stands for slot 0 when kq + 1 wraps around
    b0 = WS.get("hb0", N1, np.uint8)
    b1 = WS.get("hb1", N1, np.uint8)
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
    hrq = WS.get("hrq", N2, np.intp)
    np.bitwise_and(hr, qmask, out=hrq)
    br = WS.get("hbr", N2, np.uint8)
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
    sums = subset_sums_of(np.concatenate((cq, cr << m1)), a)
    ls, rs = sums[: cq.size], sums[cq.size :]
    i, j, err = nearest_pair(z - ls, rs)
    if not err < _HASH_MARGIN * w:
        return None
    return int(cq[i]), int(cr[j]), float(ls[i]), float(rs[j])
