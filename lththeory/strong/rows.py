"""Building the rows of one source layer of a strong ticket: the subset-sum problems of every copy
(or target neuron), solved and certified in batches, optionally spread over worker processes
(docs/theory.md §5.2-§5.4). Shared by the depth L+1 and the depth 2L constructions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .._arrays import to_dense
from .._validate import LTHInputError, check_choice, check_positive_int, check_positive_real
from ..network import ReLUNetwork, check_network
from ..subset_sum import resolve_engine
from .budget import MAX_CANDIDATES, ErrorBudget
from .certificates import (
    OBJECTIVES,
    LayerResult,
    Problems,
    add_problems,
    bias_problem,
    finish_batch,
    first_candidates,
    initial_candidates,
)
from .source import StrongSource

__all__ = [
    "BATCH_PROBLEMS",
    "LayerContext",
    "build_layer",
    "check_construction_inputs",
    "group_option",
    "check_solver_options",
    "layer_rows",
    "merge",
    "worker_pool",
]

BATCH_PROBLEMS = 1 << 15
"""Problems accumulated before a batch is solved (bounds the memory of one batch)."""
BATCH_ENTRIES = 1 << 22
"""Candidate entries (problems x candidates) accumulated before a batch is solved."""

ROW_KINDS = ("path", "copies", "single")


def check_solver_options(objective: object, engine: object) -> tuple[str, str]:
    """(objective, engine) checked: ``"threshold"`` or ``"min-error"``; an engine of
    :func:`lththeory.subset_sum.solve_batch` (``"auto"`` resolved here, once, for every worker)."""
    return check_choice(objective, "objective", OBJECTIVES), resolve_engine(engine)


def check_construction_inputs(
    target: object, source: object, eps: object, construction: str, max_candidates: object
) -> tuple[ReLUNetwork, float, int]:
    """(target, eps, max_candidates) checked against a source built for ``construction``."""
    t = check_network(target)
    if not isinstance(source, StrongSource):
        raise LTHInputError(f"source must be a StrongSource, got {type(source).__name__}")
    if source.construction != construction:
        raise LTHInputError(
            f"source was built for construction {source.construction!r}, not {construction!r}"
        )
    if tuple(t.widths) != tuple(source.target_widths):
        raise LTHInputError(
            f"source was built for target widths {source.target_widths}, got {t.widths}"
        )
    if tuple(t.box) != tuple(source.box):
        raise LTHInputError(f"source box {source.box} differs from the target's box {t.box}")
    # a nonzero target bias without constant neurons has the copy's own bias as its only candidate:
    # allowed (the construction then reports the bias that fails)
    eps = check_positive_real(eps, "eps")
    nmax = check_positive_int(max_candidates, "max_candidates")
    if nmax > MAX_CANDIDATES:
        raise LTHInputError(f"max_candidates must be in [1, {MAX_CANDIDATES}], got {nmax}")
    return t, eps, nmax


def group_option(group_size: object, max_groups: object) -> tuple[int, int] | None:
    """(g, max_groups) of the theorem's grouped solver, or None for the practical one."""
    if group_size is None:
        return None
    g = check_positive_int(group_size, "group_size")
    if g > MAX_CANDIDATES - 1:
        raise LTHInputError(f"group_size must be in [1, {MAX_CANDIDATES - 1}], got {g}")
    return g, check_positive_int(max_groups, "max_groups")


@dataclass(frozen=True, eq=False)
class LayerContext:
    """What a worker needs to build the rows of one source layer.

    Rows of source neuron layer ``rows_layer`` (the copies, or the neurons, of target layer
    ``layer``) read neuron layer ``cols_layer``. ``kind`` says how a weight W[i, j] is met:
    ``"path"`` -- by the two halves phi(x_j), phi(-x_j) over products eta theta of a univariate
    (or intermediate) block (target layer 1); ``"copies"`` -- over the valid copies of j (depth L+1,
    layers >= 2; ``col_valid``, ``col_cert`` per column); ``"single"`` -- over products eta theta with
    theta > 0 of an intermediate block (Pensia, layers >= 2; ``col_cert[j]`` the error of neuron j).
    ``theta``: path weights of the columns; ``cvals``: outputs of the constant neurons of the
    columns' layer; ``H``: interval bounds of the neurons of target layer ``layer`` - 1.
    """

    source: StrongSource
    layer: int
    rows_layer: int
    cols_layer: int
    kind: str
    keep_all_rows: bool
    W: np.ndarray
    b: np.ndarray
    eps_p: float
    tau: float
    n_first: int
    nmax: int
    col_valid: np.ndarray | None
    col_cert: np.ndarray | None
    theta: np.ndarray | None
    cvals: np.ndarray | None
    H: np.ndarray
    radius: tuple[float, float]
    groups: tuple[int, int] | None = None
    objective: str = "threshold"
    engine: str = "auto"

    @classmethod
    def for_layer(
        cls,
        source: StrongSource,
        target: ReLUNetwork,
        budget: ErrorBudget,
        layer: int,
        nmax: int,
        **fields: object,
    ) -> LayerContext:
        """The context of target layer ``layer``: its weights, biases, precision eps'_l, first
        candidate count and bounds from ``target`` and ``budget``; the other fields as given."""
        eps_p = budget.eps_prime[layer - 1]
        defaults = {
            "col_valid": None,
            "col_cert": None,
            "theta": None,
            "cvals": None,
            "groups": None,
        }
        return cls(
            source=source,
            layer=layer,
            W=to_dense(target.weights[layer - 1]),
            b=np.asarray(target.biases[layer - 1], dtype=np.float64),
            eps_p=eps_p,
            n_first=initial_candidates(eps_p, nmax),
            nmax=nmax,
            H=budget.bounds[layer - 1],
            radius=budget.radius,
            **(defaults | fields),
        )


def layer_rows(ctx: LayerContext, neurons: Sequence[int]) -> LayerResult:
    """Subset sums, certificates and kept edges of the rows of the given target neurons."""
    source, ls, lc = ctx.source, ctx.rows_layer, ctx.cols_layer
    Rp, Rm = ctx.radius
    roff = source.offsets(ls)
    coff = source.offsets(lc)
    nblk = len(source.blocks[lc]) - (1 if source.const[lc] else 0)
    cblock = nblk if source.const[lc] else None
    c0 = coff[nblk] if cblock is not None else 0
    res = LayerResult(source.widths[ls])
    probs = Problems(ctx.nmax)
    neurons = list(neurons)
    for pos, i in enumerate(neurons):
        rows = np.arange(roff[i], roff[i + 1])
        for j in np.flatnonzero(ctx.W[i]):
            eta, M = source.block(ls, i, j)
            lo, hi = coff[j], coff[j + 1]
            if ctx.kind == "path":
                th = ctx.theta[lo:hi]
                for sgn, Rs in ((1, Rp), (-1, Rm)):
                    if Rs <= 0:
                        continue
                    ok = np.sign(th) == sgn
                    V, col, X, cnt = first_candidates(
                        M & ok[None, :], eta * np.abs(th)[None, :], eta, ctx.nmax, None
                    )
                    col = np.where(col >= 0, col + lo, -1)
                    add_problems(probs, V, col, X, cnt, sgn * ctx.W[i, j], rows, i, j, sgn, Rs, 0)
            elif ctx.kind == "copies":
                ok = ctx.col_valid[lo:hi]
                V, col, X, cnt = first_candidates(
                    M & ok[None, :], eta, eta, ctx.nmax, ctx.col_cert[lo:hi]
                )
                col = np.where(col >= 0, col + lo, -1)
                add_problems(probs, V, col, X, cnt, ctx.W[i, j], rows, i, j, 0, ctx.H[j], 1)
            else:  # "single"
                th = ctx.theta[lo:hi]
                V, col, X, cnt = first_candidates(
                    M & (th > 0)[None, :], eta * th[None, :], eta, ctx.nmax, None
                )
                col = np.where(col >= 0, col + lo, -1)
                ej = ctx.col_cert[j]
                add_problems(probs, V, col, X, cnt, ctx.W[i, j], rows, i, j, 0, ctx.H[j], 2, ej=ej)
        if ctx.b[i] != 0:
            own = source.block_biases(ls, i)
            V, col, X, cnt = bias_problem(source, ls, i, own, cblock, ctx.cvals, c0, ctx.nmax)
            add_problems(probs, V, col, X, cnt, ctx.b[i], rows, i, -1, 0, 1.0, 3)
        full = probs.size >= BATCH_PROBLEMS or probs.size * ctx.nmax >= BATCH_ENTRIES
        if probs.size and (full or pos == len(neurons) - 1):
            prev = ctx.col_cert if ctx.kind == "copies" else None
            finish_batch(
                probs.take(),
                ctx.eps_p,
                ctx.tau,
                ctx.n_first,
                res,
                ctx.keep_all_rows,
                ctx.layer,
                prev,
                groups=ctx.groups,
                objective=ctx.objective,
                engine=ctx.engine,
            )
    return res


def merge(parts: list[LayerResult], n_rows: int) -> LayerResult:
    """Combine the results of disjoint sets of rows."""
    out = LayerResult(n_rows)
    for p in parts:
        m = np.isfinite(p.cert)
        out.valid[m] = p.valid[m]
        out.cert[m] = p.cert[m]
        out.own_bias |= p.own_bias
        out.rows += p.rows
        out.cols += p.cols
        out.vals += p.vals
        out.failures += p.failures
        out.n_failed += p.n_failed
        out.n_problems += p.n_problems
        out.terms += p.terms
    out.failures = out.failures[:8]
    return out


@contextmanager
def worker_pool(jobs: int) -> Iterator[ProcessPoolExecutor | None]:
    """``jobs`` worker processes for :func:`build_layer` (None for one job: run in process)."""
    if jobs <= 1:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=jobs)
    try:
        yield pool
    finally:
        pool.shutdown()


def build_layer(
    ctx: LayerContext, n_neurons: int, pool: ProcessPoolExecutor | None, jobs: int = 1
) -> LayerResult:
    """:func:`layer_rows` over all ``n_neurons`` target neurons of the layer, in up to 4 ``jobs``
    chunks on ``pool`` (the result does not depend on the pool); rows without problems are exact
    (certificate 0)."""
    if pool is None or n_neurons < 2:
        res = layer_rows(ctx, range(n_neurons))
    else:
        n_chunks = min(n_neurons, 4 * jobs)
        chunks = [list(c) for c in np.array_split(np.arange(n_neurons), n_chunks) if len(c)]
        parts = list(pool.map(layer_rows, [ctx] * len(chunks), chunks))
        res = merge(parts, ctx.source.widths[ctx.rows_layer])
    touched = np.isfinite(res.cert)
    res.cert[~touched] = 0.0
    res.valid[~touched] = True
    return res
