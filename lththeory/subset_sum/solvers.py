"""Exact solvers of the subset-sum problem argmin_S |z - sum_{i in S} a_i| (docs/theory.md §5.1).

* :func:`solve`: exact meet in the middle (n <= 40): a certified hash-filtered join for one to three
  targets (:mod:`._hash`), otherwise the sorted solver (:mod:`._kernels`), one enumeration and sort
  shared by all targets;
* :func:`solve_milp` (HiGHS cross-check), :func:`solve_brute_force` (oracle);
* :func:`solve_fixed_size`: the best subset of exactly s elements, and its brute-force oracle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from .._validate import (
    LTHInputError,
    check_choice,
    check_finite_array,
    check_positive_real,
)
from ._hash import solve_hash
from ._kernels import (
    QUERY_CHUNK,
    SMALL_N,
    bits,
    enumerate_into,
    solve_mitm,
    solve_small,
)

__all__ = [
    "MAGNITUDE_LIMIT",
    "make_result",
    "MAX_BRUTE_FORCE_N",
    "MAX_EXACT_N",
    "SubsetSumResult",
    "check_values",
    "solve",
    "solve_brute_force",
    "solve_fixed_size",
    "solve_fixed_size_brute_force",
    "solve_milp",
]

MAX_EXACT_N = 40
"""Largest n for :func:`solve` and :func:`solve_fixed_size` (2^20 sums per half)."""
MAX_BRUTE_FORCE_N = 20
"""Largest n for the brute-force oracles (2^20 subsets; the tests use n <= 16)."""
MAGNITUDE_LIMIT = 1e300  # sum |values| + |target| must stay below this (no overflow in any sum)
_HASH_MIN_N = 16  # from this n, solve() tries the hash-filter join first (below: sorting is cheap)
_HASH_MAX_TARGETS = 3  # with more targets one shared sort (solve_mitm) is cheaper


# --------------------------------------------------------------------------------------------------
# results and validation


@dataclass(frozen=True)
class SubsetSumResult:
    """Best subsets for ``T`` targets over ``n`` candidates (docs/theory.md §5.1).

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


def make_result(
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


def check_eps(eps: object) -> float | None:
    return None if eps is None else check_positive_real(eps, "eps")


def check_values(values: object, max_n: int, hint: str = "") -> np.ndarray:
    a = check_finite_array(values, "values", ndim=1)
    if a.size > max_n:
        raise LTHInputError(f"values must have n <= {max_n} elements{hint}, got n={a.size}")
    return np.ascontiguousarray(a)


def check_targets(targets: object, name: str = "targets") -> np.ndarray:
    z = check_finite_array(targets, name)
    if z.ndim > 1:
        raise LTHInputError(f"{name} must be a scalar or a 1-D array, got shape {z.shape}")
    return np.ascontiguousarray(z.reshape(-1))


def check_magnitude(values: np.ndarray, targets: np.ndarray) -> None:
    if values.size <= 64 and targets.size <= 64:  # small: Python floats (overflow gives inf)
        total = sum(map(abs, values.tolist()))
        zmax = max(map(abs, targets.tolist()), default=0.0)
    else:
        with np.errstate(over="ignore"):
            total = float(np.abs(values).sum()) if values.size else 0.0
        zmax = float(np.abs(targets).max()) if targets.size else 0.0
    if not total + zmax < MAGNITUDE_LIMIT:
        raise LTHInputError(
            f"sum(|values|) + max(|targets|) must be < {MAGNITUDE_LIMIT:g}, got {total + zmax:g}"
        )


def _solve_exact(a: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact best subsets for ``n > SMALL_N``: the hash join (:func:`solve_hash`) for a few targets;
    the sorted meet in the middle (:func:`solve_mitm`) for many targets and wherever the hash join is
    not certified. Returns (subsets bool (T, n), sums (T,))."""
    n = a.size
    if n < _HASH_MIN_N or z.size > _HASH_MAX_TARGETS:
        return solve_mitm(a, z)
    m1 = n // 2
    masks = np.zeros(z.size, np.int64)
    sums = np.empty(z.size)
    todo = []
    for t in range(z.size):
        hit = solve_hash(a, float(z[t]))
        if hit is None:
            todo.append(t)
        else:
            masks[t] = hit[0] | (hit[1] << m1)
            sums[t] = hit[2] + hit[3]
    subsets = bits(masks, n)
    if todo:
        subsets[todo], sums[todo] = solve_mitm(a, z[todo])
    return subsets, sums


def checked_problem(
    values: object, targets: object, eps: object, max_n: int, hint: str, name: str = "targets"
) -> tuple[np.ndarray, np.ndarray, float | None]:
    """(candidates, targets, eps) of a subset-sum problem, checked: at most ``max_n`` finite
    candidates, finite targets, sums that cannot overflow, eps > 0 or None."""
    eps_v = check_eps(eps)
    a = check_values(values, max_n, hint)
    z = check_targets(targets, name)
    check_magnitude(a, z)
    return a, z, eps_v


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
    """Best subset of ``values`` for each target: ``argmin_S |z - sum_S a|`` (docs/theory.md §5.1).

    Exact meet in the middle for n <= MAX_EXACT_N, the true minimum over all 2^n subsets (empty subset
    included): a certified hash-filtered join per target for up to three targets, otherwise (and where
    the join is not certified) the sorted solver, one enumeration and sort shared by all targets.
    ``method="milp"`` runs :func:`solve_milp` per target instead (any n, HiGHS, ``time_limit`` seconds
    each).
    """
    check_choice(method, "method", ("exact", "milp"))
    eps_v = check_eps(eps)
    if method == "milp":
        a = check_finite_array(values, "values", ndim=1)
        z = check_targets(targets)
        parts = [solve_milp(a, float(t), eps_v, time_limit=time_limit) for t in z]
        if not parts:
            return make_result(z, np.zeros((0, a.size), bool), np.zeros(0), np.zeros(0), eps_v)
        return make_result(
            z,
            np.concatenate([r.subsets for r in parts]),
            np.concatenate([r.sums for r in parts]),
            np.concatenate([r.errors for r in parts]),
            eps_v,
            tuple(s for r in parts for s in r.status),
        )
    a, z, eps_v = checked_problem(
        values, targets, eps, MAX_EXACT_N, ' for the exact solver (use method="milp" beyond)'
    )
    n = a.size
    if z.size == 0:
        return make_result(z, np.zeros((0, n), bool), np.zeros(0), np.zeros(0), eps_v)
    if n <= SMALL_N:
        idx, sums = solve_small(a, z)
        subsets = bits(idx, n)
    else:
        subsets, sums = _solve_exact(a, z)
    errors = np.abs(z - sums)
    return make_result(z.copy(), subsets, sums, errors, eps_v)


def solve_brute_force(values: object, targets: object, eps: float | None = None) -> SubsetSumResult:
    """Oracle: evaluate all 2^n subsets (n <= MAX_BRUTE_FORCE_N) as ``masks @ values`` (docs/theory.md §5.1)."""
    a, z, eps_v = checked_problem(values, targets, eps, MAX_BRUTE_FORCE_N, " for brute force")
    n = a.size
    S = np.empty(1 << n)
    block = 1 << 16
    for k0 in range(0, S.size, block):  # sum of each subset as masks @ values, in blocks
        masks = bits(np.arange(k0, min(k0 + block, S.size), dtype=np.int64), n)
        S[k0 : k0 + block] = masks.astype(np.float64) @ a if n else 0.0
    idx = np.empty(z.size, np.int64)
    chunk = max(1, (1 << 22) // S.size)
    for c0 in range(0, z.size, chunk):
        zc = z[c0 : c0 + chunk]
        idx[c0 : c0 + chunk] = np.abs(zc[:, None] - S[None, :]).argmin(axis=1)
    subsets = bits(idx, n).reshape(z.size, n)
    sums = S[idx]
    return make_result(z.copy(), subsets, sums, np.abs(z - sums), eps_v)


def solve_milp(
    values: object, target: float, eps: float | None = None, time_limit: float = 10.0
) -> SubsetSumResult:
    """Cross-check by MILP (scipy.optimize.milp, HiGHS): min t s.t. t >= +-(z - a.x), x binary.

    docs/theory.md §5.1. ``status`` is ``"optimal"``, ``"time_limit"`` (best incumbent so far) or
    ``"failed"`` (no incumbent: the empty subset is returned). The error is recomputed from the rounded
    binary solution, so it is the true error of the returned subset.
    """
    eps_v = check_eps(eps)
    a = check_finite_array(values, "values", ndim=1)
    z = check_targets(target, "target")
    if z.size != 1:
        raise LTHInputError(f"target must be a single number, got {z.size} values")
    tl = check_positive_real(time_limit, "time_limit")
    check_magnitude(a, z)
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
    return make_result(
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
    """Best subset of EXACTLY ``size`` elements: ``argmin_{|S|=s} |z - sum_S a|`` (docs/theory.md §5.1).

    Natale et al. (2024)'s fixed-size random subset sum. Exact meet in the middle grouped by subset
    size: left subsets of size i are matched against the sorted right subsets of size s - i.
    """
    a, z, eps_v = checked_problem(
        values, target, eps, MAX_EXACT_N, " for the exact solver", "target"
    )
    n = a.size
    s = _check_size(size, n)
    m1 = n // 2
    m2 = n - m1
    L = enumerate_into(a[:m1], np.empty(1 << m1))
    Ru = enumerate_into(a[m1:], np.empty(1 << m2))
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
        chunk = max(1, QUERY_CHUNK // Li.size)
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
    subsets = np.concatenate([bits(best_l, m1), bits(best_r, m2)], axis=1)
    sums = L[best_l] + Ru[best_r]
    return make_result(z.copy(), subsets, sums, np.abs(z - sums), eps_v)


def solve_fixed_size_brute_force(
    values: object, target: object, size: int, eps: float | None = None
) -> SubsetSumResult:
    """Oracle for :func:`solve_fixed_size`: all subsets with exactly ``size`` elements (n <= 20)."""
    a, z, eps_v = checked_problem(
        values, target, eps, MAX_BRUTE_FORCE_N, " for brute force", "target"
    )
    n = a.size
    s = _check_size(size, n)
    masks = bits(np.flatnonzero(_popcount(n) == s), n)
    S = masks.astype(np.float64) @ a if n else np.zeros(1)
    idx = np.abs(z[:, None] - S[None, :]).argmin(axis=1)
    subsets = masks[idx].reshape(z.size, n)
    sums = S[idx]
    return make_result(z.copy(), subsets, sums, np.abs(z - sums), eps_v)
