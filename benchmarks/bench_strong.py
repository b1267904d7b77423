"""Benchmark: a full strong ticket for a 100-50-10 target inside an ER source of density 0.5
(docs/theory.md §5; requirement: under 10 minutes on 2 cores).

Run from the repository root:  python benchmarks/bench_strong.py [--jobs 2] [--eps 0.01]
[--engines reference,auto] [--objective threshold|min-error]

Target: ``random_target([100, 50, 10], weights="normal", seed=0)`` -- weights N(0, 1/n_in) (the usual
initialisation scale, all |W| < 1), biases U[-1/2, 1/2], box [-1, 1]^100. Source: the depth L+1
construction with 320 univariate neurons per input and 320 constant neurons in layer 1, 48 copies per
hidden target neuron and 128 constant neurons in layer 2; every layer density 0.5 (``uniform``
scheme of :func:`lththeory.densities.layer_densities`); weights and biases U[-1, 1]. The source is
generated block by block and never held whole. ``--jobs`` worker processes share the subset sums
(threads are pinned to one per process; the process is bound to ``--jobs`` CPUs where the OS allows).

The construction runs once per subset-sum engine of ``--engines`` (default: the numpy reference, then
``auto`` = the compiled kernel where numba is installed) on the same source; both must give the same
ticket (same certified error and size), and the line ``speedup`` compares their build times in this
run. Reported: wall time of the construction (per engine) and of the error estimate, success with the certified error
(a rigorous bound of sup |f_P - f_T| over the box) and the estimated error (4096 random points, 1024
corners, 4 local maximisations), ticket size and density, source size, subset sums solved and time
per subset sum (Pensia et al.'s MILP: about 0.2 s per weight), and Pensia's depth-2L construction on
the same target and density for comparison.
"""

from __future__ import annotations

import argparse
import json
import time

import _setup

from lththeory import random_target
from lththeory.strong import (
    construct,
    construct_pensia,
    estimate_error,
    predicted_ticket_size,
    sample_source,
    source_densities,
)
from lththeory.subset_sum import resolve_engine

WIDTHS = [100, 50, 10]
K = (320, 48)
K_CONST = (320, 128)
K_PENSIA = (240, 240)
LIMIT_S = 600.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--eps", type=float, default=0.01, help="target sup-norm error (default 0.01)")
    ap.add_argument("--density", type=float, default=0.5, help="source density (default 0.5)")
    ap.add_argument("--seed", type=int, default=3, help="source seed (default 3)")
    ap.add_argument("--no-pensia", action="store_true", help="skip the depth-2L comparison")
    ap.add_argument(
        "--engines",
        default="reference,auto",
        help="subset-sum engines to time, comma-separated (reference, numba, auto)",
    )
    ap.add_argument("--objective", default="threshold", help="threshold (default) or min-error")
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs per engine, interleaved (the fastest counts)"
    )
    args = ap.parse_args(argv)
    pinned = _setup.pin(max(args.jobs, 1))
    target = random_target(WIDTHS, weights="normal", seed=0)
    dens = source_densities(target, K, args.density, "uniform")
    src = sample_source(target, K, dens, seed=args.seed, k_const=K_CONST)
    print(
        f"target {'-'.join(map(str, WIDTHS))} ({target.num_weights()} weights), eps {args.eps:g}, "
        f"density {args.density:g}; source widths {src.widths}, {src.num_weights():,} potential "
        f"weights, {src.expected_nnz():,.0f} kept by the ER masks in expectation; jobs {args.jobs} "
        f"({pinned}); {_setup.machine()}",
        flush=True,
    )
    engines = [e for e in args.engines.split(",") if e]
    builds = {e: float("inf") for e in engines}
    res = None
    for eng in [e for _ in range(max(args.repeat, 1)) for e in engines]:
        t0 = time.perf_counter()
        r = construct(
            target,
            src,
            args.eps,
            jobs=args.jobs,
            evaluate=False,
            engine=eng,
            objective=args.objective,
        )
        took = time.perf_counter() - t0
        builds[eng] = min(builds[eng], took)
        print(
            f"engine {eng} ({resolve_engine(eng)}): build {took:.1f} s, certified error "
            f"{r.certified_error:.6g}, {r.ticket.size} weights",
            flush=True,
        )
        if res is not None and (
            r.certified_error != res.certified_error or r.ticket.size != res.ticket.size
        ):
            print("FAIL: the engines built different tickets")
            return 1
        res = r
    t_build = builds[engines[-1]]
    if len(engines) > 1:
        print(
            f"speedup: {engines[0]} {builds[engines[0]]:.1f} s -> {engines[-1]} "
            f"{t_build:.1f} s = {builds[engines[0]] / t_build:.2f}x (same run, fastest of "
            f"{max(args.repeat, 1)})",
            flush=True,
        )
    t1 = time.perf_counter()
    est = estimate_error(res.ticket.network, target, n_points=4096, n_local=4, seed=12345)
    t_eval = time.perf_counter() - t1
    ok = res.success and est.max_error <= args.eps
    total = t_build + t_eval
    pred = predicted_ticket_size(target, K, dens, args.eps, k_const=K_CONST)
    out = {
        "construction": "univariate (depth L+1)",
        "engine": resolve_engine(engines[-1]),
        "objective": args.objective,
        "success": bool(ok),
        "wall_s": round(total, 1),
        "build_s": round(t_build, 1),
        "estimate_s": round(t_eval, 1),
        "certified_error": res.certified_error,
        "estimated_error": est.max_error,
        "ticket_weights": res.ticket.size,
        "ticket_biases": res.ticket.num_biases,
        "ticket_density": res.ticket.density,
        "predicted_ticket_weights": round(pred),
        "subset_sums": res.subset_sums,
        "ms_per_subset_sum": round(1000 * t_build / max(res.subset_sums, 1), 3),
        "valid_copies_min": int(min(c.min() for c in res.valid_counts)),
    }
    print(json.dumps(out), flush=True)
    print(res.message, flush=True)
    if not args.no_pensia:
        psrc = sample_source(
            target,
            K_PENSIA,
            source_densities(target, K_PENSIA, args.density, "uniform", construction="pensia"),
            seed=args.seed,
            construction="pensia",
        )
        t2 = time.perf_counter()
        pres = construct_pensia(
            target, psrc, args.eps, evaluate=False, engine=engines[-1], objective=args.objective
        )
        tp = time.perf_counter() - t2
        pest = estimate_error(pres.ticket.network, target, n_points=4096, n_local=4, seed=12345)
        pout = {
            "construction": "pensia (depth 2L)",
            "success": bool(pres.success and pest.max_error <= args.eps),
            "build_s": round(tp, 1),
            "certified_error": pres.certified_error,
            "estimated_error": pest.max_error,
            "ticket_weights": pres.ticket.size,
            "ticket_density": pres.ticket.density,
            "source_widths": list(psrc.widths),
            "subset_sums": pres.subset_sums,
            "ms_per_subset_sum": round(1000 * tp / max(pres.subset_sums, 1), 3),
        }
        print(json.dumps(pout), flush=True)
        print(pres.message, flush=True)
    verdict = "PASS" if ok and total < LIMIT_S else "FAIL"
    print(f"{verdict}: strong ticket in {total:.1f} s (limit {LIMIT_S:.0f} s on {args.jobs} cores)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
