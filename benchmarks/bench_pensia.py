"""Pensia et al. (2020)'s subset-sum experiment at full size, with the exact open solver (docs/theory.md §5.1).

Every weight of a 784-500-10 target network (weights iid U[-1, 1]: 392,000 + 5,000 = 397,000) is
approximated by the best subset sum of its own 21 fresh, independent random coefficients (iid U[-1, 1],
or products of two with ``--distribution product``), eps = 0.01. Pensia et al. solved each weight with a
commercial MILP solver: 77,266 s on 36 cores. Here: :func:`lththeory.subset_sum.solve_batch` (exact
meet in the middle, vectorised over weights), ``--jobs`` processes.

Seeding: target weights from ``point_seedseq(seed, 0)``; coefficients of chunk c (``--chunk`` weights)
from ``point_seedseq(seed, 1, c)``, so the result does not depend on ``--jobs``.

The whole experiment runs once per subset-sum engine of ``--engines`` (default: the numpy reference,
then ``auto`` = the compiled kernel where numba is installed); the engines must give identical errors
and the ``speedup`` line compares their wall times in this run.

    python benchmarks/bench_pensia.py [--jobs 2] [--distribution uniform|product] [--seed 0]
        [--engines reference,auto]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import _setup  # noqa: F401  (one thread per process; the checkout on sys.path)
import numpy as np

from lththeory import subset_sum as ss
from lththeory.stats import point_seedseq

PENSIA_SECONDS = 77_266.0
PENSIA_CORES = 36


def _coefficients(seed: int, chunk: int, rows: int, k: int, distribution: str) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(point_seedseq(seed, 1, chunk)))
    if distribution == "uniform":
        return rng.uniform(-1.0, 1.0, (rows, k))
    u = rng.uniform(-1.0, 1.0, (2, rows, k))
    return u[0] * u[1]


def _work(
    task: tuple[int, np.ndarray, int, int, str, float, str],
) -> tuple[int, np.ndarray, np.ndarray]:
    chunk, targets, seed, k, distribution, eps, engine = task
    coeff = _coefficients(seed, chunk, targets.size, k, distribution)
    res = ss.solve_batch(coeff, targets, eps, engine=engine)
    return chunk, res.errors.copy(), res.subsets.sum(axis=1).astype(np.int16)


def _verify(
    targets: np.ndarray, errors: np.ndarray, count: int, seed: int, k: int, dist: str
) -> float:
    """Recompute the first ``count`` weights of chunk 0 by the size-grouped exact solver."""
    count = min(count, targets.size)
    coeff = _coefficients(seed, 0, targets.size, k, dist)[:count]
    worst = 0.0
    for r in range(count):
        best = min(
            float(ss.solve_fixed_size(coeff[r], targets[r], s).errors[0]) for s in range(k + 1)
        )
        worst = max(worst, abs(best - float(errors[r])))
    return worst


def _run(
    targets: np.ndarray, args: argparse.Namespace, engine: str
) -> tuple[np.ndarray, np.ndarray]:
    """Errors and subset sizes of every weight, chunk by chunk on ``args.jobs`` processes."""
    total = targets.size
    tasks = [
        (
            c,
            targets[s : s + args.chunk],
            args.seed,
            args.coefficients,
            args.distribution,
            args.eps,
            engine,
        )
        for c, s in enumerate(range(0, total, args.chunk))
    ]
    errors = np.empty(total)
    used = np.empty(total, np.int16)
    if args.jobs <= 1:
        results = map(_work, tasks)
        pool = None
    else:
        pool = ProcessPoolExecutor(max_workers=args.jobs)
        results = pool.map(_work, tasks)
    for chunk, err, size in results:
        s = chunk * args.chunk
        errors[s : s + err.size] = err
        used[s : s + err.size] = size
    if pool is not None:
        pool.shutdown()
    return errors, used


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--distribution", choices=ss.DISTRIBUTIONS, default="uniform")
    ap.add_argument("--eps", type=float, default=0.01)
    ap.add_argument("--coefficients", type=int, default=21, help="random coefficients per weight")
    ap.add_argument("--widths", type=int, nargs="+", default=[784, 500, 10])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=8192, help="weights per task")
    ap.add_argument("--verify", type=int, default=100, help="weights re-solved by another method")
    ap.add_argument(
        "--engines", default="reference,auto", help="subset-sum engines to time (comma-separated)"
    )
    args = ap.parse_args(argv)
    print("command:", shlex.join([sys.executable.rsplit("/", 1)[-1], *sys.argv]))

    rng = np.random.Generator(np.random.PCG64(point_seedseq(args.seed, 0)))
    shapes = [(o, i) for i, o in zip(args.widths[:-1], args.widths[1:], strict=True)]
    layers = [rng.uniform(-1.0, 1.0, shape) for shape in shapes]
    targets = np.concatenate([w.reshape(-1) for w in layers])
    total = targets.size
    engines = [e for e in args.engines.split(",") if e]
    walls = {}
    errors = None
    for engine in engines:
        t_start = time.perf_counter()
        err_e, used = _run(targets, args, ss.resolve_engine(engine))
        walls[engine] = time.perf_counter() - t_start
        print(f"engine {engine} ({ss.resolve_engine(engine)}): {walls[engine]:.1f} s", flush=True)
        if errors is not None and not np.array_equal(errors, err_e):
            print("FAIL: the engines disagree")
            return 1
        errors = err_e
    wall = walls[engines[-1]]
    if len(engines) > 1:
        print(
            f"speedup: {engines[0]} {walls[engines[0]]:.1f} s -> {engines[-1]} {wall:.1f} s = "
            f"{walls[engines[0]] / wall:.2f}x (same run; identical errors)"
        )

    ok = errors <= args.eps
    print(
        f"target {'-'.join(map(str, args.widths))}: {total:,} weights iid U[-1, 1]; "
        f"{args.coefficients} fresh coefficients per weight ({args.distribution}); eps = {args.eps:g}; "
        f"{args.jobs} process(es); seed {args.seed}"
    )
    header = (
        f"{'layer':>12} | {'weights':>9} | {'within eps':>10} | {'fraction':>9} | {'max error':>9}"
    )
    print(header)
    print("-" * len(header))
    off = 0
    for (o, i), _ in zip(shapes, layers, strict=True):
        sl = slice(off, off + o * i)
        print(
            f"{f'{i}->{o}':>12} | {o * i:>9,} | {int(ok[sl].sum()):>10,} | "
            f"{ok[sl].mean():>9.5f} | {errors[sl].max():>9.2e}"
        )
        off += o * i
    print(
        f"{'all':>12} | {total:>9,} | {int(ok.sum()):>10,} | {ok.mean():>9.5f} | "
        f"{errors.max():>9.2e}"
    )
    print(
        f"error quantiles: median {np.median(errors):.2e}, 99% {np.quantile(errors, 0.99):.2e}; "
        f"coefficients kept per weight: mean {used.mean():.2f} of {args.coefficients}"
    )
    print(
        f"wall time {wall:.1f} s ({args.jobs} process(es)); throughput {total / wall:,.0f} weights/s; "
        f"Pensia et al.: {PENSIA_SECONDS:,.0f} s on {PENSIA_CORES} cores "
        f"({PENSIA_SECONDS / total:.3f} s per weight of wall time), "
        f"{PENSIA_SECONDS / wall:,.0f}x our wall time"
    )
    print(
        f"core time per weight: ours {args.jobs * wall / total * 1e3:.3f} ms "
        f"({args.jobs} x wall), Pensia et al. {PENSIA_SECONDS * PENSIA_CORES / total:.1f} s "
        f"(36 x wall): {PENSIA_SECONDS * PENSIA_CORES / (args.jobs * wall):,.0f}x"
    )
    if args.verify > 0:
        t0 = time.perf_counter()
        diff = _verify(
            targets[: args.chunk],
            errors,
            args.verify,
            args.seed,
            args.coefficients,
            args.distribution,
        )
        print(
            f"check: {min(args.verify, total)} weights re-solved by the size-grouped solver, "
            f"largest error difference {diff:.1e} ({time.perf_counter() - t0:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
