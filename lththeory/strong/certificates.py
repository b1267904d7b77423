"""Subset-sum problems of one source layer and their certificates (docs/theory.md §5.4).

Every weight (or bias) of a copy becomes a subset-sum problem over its first candidates; the problems
of a batch of rows are solved exactly together (:func:`lththeory.subset_sum.solve_batch`), refined with
more candidates where a row's certificate exceeds its budget, and each row's certificate (the error
recursion evaluated with the actual signed subset-sum errors and amplifications) decides its validity.
"""

from __future__ import annotations

import math

import numpy as np

from ..subset_sum import solve_batch
from .results import WeightFailure
from .source import StrongSource

__all__ = [
    "OBJECTIVES",
    "LayerResult",
    "Problems",
    "Solver",
    "add_problems",
    "bias_problem",
    "finish_batch",
    "first_candidates",
    "initial_candidates",
    "row_certificates",
]


OBJECTIVES = ("threshold", "min-error")
"""How far each subset sum is solved: until its row meets its budget, or to its best error."""


def first_candidates(
    cand: np.ndarray, values: np.ndarray, extra: np.ndarray, nmax: int, prio: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the first ``nmax`` candidate columns (lowest ``prio``, then lowest index).

    Returns (values (R, nmax), column (R, nmax) with -1 padding, extra (R, nmax), count (R,)).
    """
    R, Cn = cand.shape
    if prio is None:  # the first nmax True entries of each row, without sorting
        c = np.cumsum(cand, axis=1)
        take = cand & (c <= nmax)
        r, ci = np.nonzero(take)
        slot = c[r, ci] - 1
        V = np.zeros((R, nmax))
        X = np.zeros((R, nmax))
        col = np.full((R, nmax), -1, dtype=np.int64)
        V[r, slot] = values[r, ci]
        X[r, slot] = extra[r, ci]
        col[r, slot] = ci
        return V, col, X, take.sum(axis=1).astype(np.int64)
    key = np.where(cand, prio[None, :], np.inf)
    order = np.argsort(key, axis=1, kind="stable")[:, :nmax]
    cnt = np.minimum(cand.sum(axis=1), nmax)
    width = order.shape[1]
    ok = np.arange(width)[None, :] < cnt[:, None]
    V = np.where(ok, np.take_along_axis(values, order, 1), 0.0)
    X = np.where(ok, np.take_along_axis(extra, order, 1), 0.0)
    col = np.where(ok, order, -1)
    if width < nmax:
        pad = nmax - width
        V = np.pad(V, ((0, 0), (0, pad)))
        X = np.pad(X, ((0, 0), (0, pad)))
        col = np.pad(col, ((0, 0), (0, pad)), constant_values=-1)
    return V, col.astype(np.int64), X, cnt.astype(np.int64)


class Problems:
    """Subset-sum problems of one source layer, accumulated row block by row block."""

    def __init__(self, nmax: int) -> None:
        self.nmax = nmax
        self.parts: list[dict[str, np.ndarray]] = []
        self.size = 0

    def add(self, **arrays: np.ndarray) -> None:
        self.parts.append(arrays)
        self.size += len(arrays["z"])

    def take(self) -> dict[str, np.ndarray]:
        out = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        self.parts, self.size = [], 0
        return out


class Solver:
    """Best subsets of a batch of problems, refined on demand with more candidates.

    ``run(rows, n)`` solves the given problems exactly over their first min(count, n) candidates
    (one :func:`lththeory.subset_sum.solve_batch` call over rows of every size, with ``engine``)
    and keeps the result where it improves (a larger candidate set never does worse).
    """

    def __init__(self, V: np.ndarray, cnt: np.ndarray, z: np.ndarray, engine: str = "auto") -> None:
        self.V, self.cnt, self.z, self.engine = V, cnt, z, engine
        P, nmax = V.shape
        self.sel = np.zeros((P, nmax), dtype=bool)
        self.err = np.abs(z).astype(np.float64)
        self.used = np.zeros(P, dtype=np.int64)

    def run(self, rows: np.ndarray, n: int) -> None:
        use = np.minimum(self.cnt[rows], n)
        keep = use > 0
        rows, use = rows[keep], use[keep]
        if rows.size == 0:
            return
        mx = int(use.max())
        res = solve_batch(self.V[rows, :mx], self.z[rows], counts=use, engine=self.engine)
        better = res.errors < self.err[rows]
        gg = rows[better]
        self.sel[gg, :] = False
        self.sel[gg, :mx] = res.subsets[better]
        self.err[gg] = res.errors[better]
        self.used[rows] = use

    def run_groups(self, own: np.ndarray, g: int, max_groups: int, stop: float) -> None:
        """The theorem's solver (docs/theory.md §5.5): disjoint groups of g candidates, group i
        being columns [o + i g, o + (i+1) g) where o = 1 for a bias problem (``own``: its column 0
        is the copy's own bias, added to every group) and 0 otherwise; a problem is solved group by
        group, keeping the best, until its error is at most ``stop`` or its full groups (at most
        ``max_groups``) are used up."""
        off = own.astype(np.int64)
        full = np.minimum((self.cnt - off) // g, max_groups)
        for gi in range(int(full.max(initial=0))):
            todo = np.flatnonzero((full > gi) & (self.err > stop))
            if todo.size == 0:
                break
            for o in (0, 1):
                rows = todo[off[todo] == o]
                if rows.size == 0:
                    continue
                cols = np.arange(o + gi * g, o + (gi + 1) * g)
                if o:
                    cols = np.concatenate([[0], cols])
                res = solve_batch(self.V[rows][:, cols], self.z[rows], engine=self.engine)
                better = res.errors < self.err[rows]
                rr = rows[better]
                self.sel[rr, :] = False
                self.sel[np.ix_(rr, cols)] = res.subsets[better]
                self.err[rr] = res.errors[better]
                self.used[rows] = cols.size


class LayerResult:
    """Per source layer: kept edges of usable rows, own biases kept, certificate and validity."""

    def __init__(self, n_rows: int) -> None:
        self.valid = np.zeros(n_rows, dtype=bool)
        self.cert = np.full(n_rows, np.inf)
        self.own_bias = np.zeros(n_rows, dtype=bool)
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.failures: list[WeightFailure] = []
        self.n_failed = 0
        self.n_problems = 0
        self.terms: list[dict[str, np.ndarray]] = []

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.rows:
            e = np.empty(0, dtype=np.int64)
            return e, e, np.empty(0)
        return np.concatenate(self.rows), np.concatenate(self.cols), np.concatenate(self.vals)


def row_certificates(
    probs: dict[str, np.ndarray],
    sel: np.ndarray,
    err: np.ndarray,
    prev_cert: np.ndarray | None,
    ridx: np.ndarray,
    n_rows: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-problem terms and per-row certificates (the module docstring's recursion evaluated with
    the actual subset sums). ``kind`` 0: a half of a layer-1 weight, 1: a weight over copies, 2: a
    Pensia weight, 3: a bias.

    A layer-1 row's pre-activation error is exactly e_b + sum_j g_j(x_j) with
    g_j(x) = e_j+ phi(x) + e_j- phi(-x) (signed errors e = subset sum - target), whose extremes over
    [a, b] are 0, e_j+ R_+ and e_j- R_-; so sup |.| = max(e_b + sum_j max g_j, -(e_b + sum_j min g_j)).
    Other rows: |e_b| + sum_j (|e_j| H_j + sum_{u in S_j} |eta_u| E(u)) (kind 1) or
    |e_b| + sum_j (|e_j| H_j + |sum_S eta theta| E_j) (kind 2). ReLU is 1-Lipschitz, so the bound on
    the pre-activation bounds the neuron's output too.
    """
    col, kind = probs["col"], probs["kind"]
    signed = np.where(sel, probs["V"], 0.0).sum(axis=1) - probs["z"]
    term = err * probs["coef"]
    m_copies = kind == 1
    if prev_cert is not None and m_copies.any():
        s = sel[m_copies] & (col[m_copies] >= 0)
        Eu = np.where(s, prev_cert[np.where(s, col[m_copies], 0)], 0.0)
        term[m_copies] += (np.abs(probs["X"][m_copies]) * Eu).sum(axis=1)
    m_single = kind == 2
    if m_single.any():
        s_val = np.abs(np.where(sel[m_single], probs["V"][m_single], 0.0).sum(axis=1))
        term[m_single] += s_val * probs["ej"][m_single]
    absolute = np.zeros(n_rows)
    m_abs = m_copies | m_single
    np.add.at(absolute, ridx[m_abs], term[m_abs])
    up = np.zeros(n_rows)
    dn = np.zeros(n_rows)
    m_bias = kind == 3
    np.add.at(up, ridx[m_bias], signed[m_bias])
    np.add.at(dn, ridx[m_bias], signed[m_bias])
    is_path = kind == 0
    if is_path.any():
        g = signed[is_path] * probs["coef"][is_path]
        pu, pinv = np.unique(probs["pair"][is_path], return_inverse=True)
        hi = np.zeros(pu.size)
        lo = np.zeros(pu.size)
        np.maximum.at(hi, pinv, g)
        np.minimum.at(lo, pinv, g)
        prow = np.zeros(pu.size, dtype=np.int64)
        prow[pinv] = ridx[is_path]
        np.add.at(up, prow, hi)
        np.add.at(dn, prow, lo)
    cert = absolute + np.maximum(up, -dn)
    return term, cert


def finish_batch(
    probs: dict[str, np.ndarray],
    eps_prime: float,
    tau: float,
    n_first: int,
    out: LayerResult,
    keep_all_rows: bool,
    layer: int,
    prev_cert: np.ndarray | None,
    max_failures: int = 8,
    groups: tuple[int, int] | None = None,
    objective: str = "threshold",
    engine: str = "auto",
) -> None:
    """Solve one batch of problems; record the per-row certificate, validity and kept edges.

    With ``groups`` = (g, max_groups), the theorem's construction: every problem is solved over
    disjoint groups of g candidates (:meth:`Solver.run_groups`), until one meets ``eps_prime``
    (``objective="threshold"``) or over all its full groups, keeping the best (``"min-error"``).
    Otherwise, ``objective="threshold"``: first every problem is solved over min(count,
    ``n_first``) candidates; while some row's certificate exceeds ``tau`` (E_l of the rule), its
    problems that missed ``eps_prime`` are solved again with 3 more candidates, up to all of them.
    ``objective="min-error"``: every problem is solved once over all its candidates (at most the
    cap), so each subset sum reaches its best error. A row is valid iff its certificate <= ``tau``.
    """
    V, cnt, z = probs["V"], probs["cnt"], probs["z"]
    nmax = V.shape[1]
    out.n_problems += len(z)
    row = probs["row"]
    ur = np.unique(row)
    ridx = np.searchsorted(ur, row)
    solver = Solver(V, cnt, z, engine)
    if groups is not None:
        stop = 0.0 if objective == "min-error" else eps_prime
        solver.run_groups(probs["col"][:, 0] == -2, groups[0], groups[1], stop)
        n = nmax
    else:
        n = nmax if objective == "min-error" else n_first
        solver.run(np.arange(len(z)), n)
    while True:
        sel = solver.sel & (probs["col"] != -1)
        term, cert = row_certificates(probs, sel, solver.err, prev_cert, ridx, ur.size)
        if n >= nmax:
            break
        n = min(nmax, n + 3)
        row_over = cert > tau
        retry = np.flatnonzero(row_over[ridx] & (solver.err > eps_prime) & (cnt > solver.used))
        if retry.size == 0:
            break
        solver.run(retry, n)
    err = solver.err
    if keep_all_rows:  # outputs: keep every term to name the dominant weight of a certificate
        out.terms.append(
            {k: probs[k] for k in ("row", "i", "j", "sign", "z", "cnt")}
            | {"term": term, "err": err}
        )
    row_ok = cert <= tau
    out.valid[ur] = row_ok
    out.cert[ur] = cert
    bad = (err > eps_prime) & ~row_ok[ridx]
    out.n_failed += int(bad.sum())
    for p in np.flatnonzero(bad)[: max(0, max_failures - len(out.failures))]:
        out.failures.append(
            WeightFailure(
                layer,
                int(probs["i"][p]),
                int(probs["j"][p]),
                int(probs["sign"][p]),
                int(row[p]),
                float(z[p]),
                float(err[p]),
                eps_prime,
                int(cnt[p]),
                note=f"certificate of its neuron {cert[ridx[p]]:.3g} > {tau:.3g}",
            )
        )
    use_row = np.ones(ur.size, dtype=bool) if keep_all_rows else row_ok
    pr, pc = np.nonzero(sel & use_row[ridx][:, None])
    c = probs["col"][pr, pc]
    is_bias = c == -2
    out.own_bias[row[pr[is_bias]]] = True
    e = ~is_bias
    out.rows.append(row[pr[e]].astype(np.int64))
    out.cols.append(c[e].astype(np.int64))
    out.vals.append(probs["X"][pr[e], pc[e]])


def initial_candidates(eps_prime: float, nmax: int) -> int:
    """Candidates tried first: log2(1/eps') + 1 (the optimal subset of n draws errs by about 2^-n
    for a typical target), at least 4, at most ``nmax``; :func:`finish_batch` adds more on demand."""
    return int(min(nmax, max(4, math.ceil(math.log2(1.0 / eps_prime)) + 1)))


def bias_problem(
    source: StrongSource,
    l_src: int,
    r: int,
    own: np.ndarray,
    cblock: int | None,
    cvals: np.ndarray | None,
    coff: int,
    nmax: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidates for the bias of every row of row block r: own bias, then constant neurons."""
    R = own.size
    if cblock is None:
        cand = np.ones((R, 1), dtype=bool)
        vals = own[:, None]
        extra = own[:, None]
        V, col, X, cnt = first_candidates(cand, vals, extra, nmax, None)
        col = np.where(col == 0, -2, col)
        return V, col, X, cnt
    eta, M = source.block(l_src, r, cblock)
    cand = np.concatenate([np.ones((R, 1), dtype=bool), M & (cvals > 0)[None, :]], axis=1)
    vals = np.concatenate([own[:, None], eta * cvals[None, :]], axis=1)
    extra = np.concatenate([own[:, None], eta], axis=1)
    V, col, X, cnt = first_candidates(cand, vals, extra, nmax, None)
    col = np.where(col == 0, -2, np.where(col > 0, col - 1 + coff, -1))
    return V, col, X, cnt


def add_problems(probs: Problems, V, col, X, cnt, z, rows, i, j, sign, coef, kind, ej=0.0) -> None:
    """Add the problems of target value ``z`` (weight W[i, j] or bias, j = -1) for every row in
    ``rows``: candidates ``V`` (columns ``col``, raw edge weights ``X``, counts ``cnt``), the
    certificate coefficient ``coef`` and ``kind`` (0 a layer-1 half, 1 over copies, 2 Pensia, 3 bias)."""
    R = len(rows)
    probs.add(
        V=V,
        col=col,
        X=X,
        cnt=cnt,
        z=np.full(R, float(z)),
        row=rows.astype(np.int64),
        i=np.full(R, i, dtype=np.int64),
        j=np.full(R, j, dtype=np.int64),
        sign=np.full(R, sign, dtype=np.int64),
        coef=np.full(R, float(coef)),
        kind=np.full(R, kind, dtype=np.int64),
        pair=rows.astype(np.int64) * (1 << 24) + max(j, 0),
        ej=np.full(R, float(ej)),
    )
