"""Benchmark: the batched exact subset-sum solver per engine (docs/theory.md §5.1).

Rows of n fresh candidates (U[-1, 1], or products of two with ``--distribution product``), one target
U[-1, 1] per row; every engine solves the same rows, interleaved ``--repeat`` times, and the engines
must agree exactly. Reported: the minimum CPU time of this process (``time.process_time``, the least
disturbed run; on a shared machine wall time also counts the other processes).

    python benchmarks/bench_batch.py [--n 21,23,26] [--rows 4000] [--repeat 5] [--cpu 0]
"""

from __future__ import annotations

import argparse
import time

import _setup
import numpy as np

from lththeory import subset_sum as ss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", default="21,23,26", help="candidates per row (comma-separated)")
    ap.add_argument("--rows", type=int, default=4000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--distribution", choices=ss.DISTRIBUTIONS, default="product")
    ap.add_argument("--engines", default="reference,auto")
    ap.add_argument("--cpu", type=int, default=0, help="CPU to pin to (-1: do not pin)")
    args = ap.parse_args(argv)
    pinned = _setup.pin([args.cpu] if args.cpu >= 0 else None)
    engines = [e for e in args.engines.split(",") if e]
    print(f"{args.rows} rows per n, {args.distribution} candidates; {pinned}; {_setup.machine()}")
    rng = np.random.default_rng(0)
    for e in engines:  # compile / warm up
        ss.solve_batch(rng.uniform(-1, 1, (2, 20)), np.zeros(2), engine=e)
    ok = True
    for n in (int(t) for t in args.n.split(",")):
        V = rng.uniform(-1, 1, (args.rows, n))
        if args.distribution == "product":
            V = V * rng.uniform(-1, 1, (args.rows, n))
        z = rng.uniform(-1, 1, args.rows)
        best = {e: np.inf for e in engines}
        errs = {}
        for _ in range(args.repeat):
            for e in engines:
                t0 = time.process_time()
                errs[e] = ss.solve_batch(V, z, engine=e).errors
                best[e] = min(best[e], time.process_time() - t0)
        same = all(np.array_equal(errs[engines[0]], errs[e]) for e in engines)
        ok &= same
        cols = ", ".join(
            f"{e} ({ss.resolve_engine(e)}) {1e6 * best[e] / args.rows:.1f} us/row (CPU)"
            for e in engines
        )
        ratio = best[engines[0]] / best[engines[-1]]
        print(
            f"n = {n}: {cols}; {engines[0]}/{engines[-1]} = {ratio:.2f}x; identical errors: {same}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
