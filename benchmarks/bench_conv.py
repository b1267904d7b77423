"""Benchmark of the conv package (docs/theory.md §8): the float64 im2col forward against
torch.nn.functional.conv2d (when torch is installed) and the unrolled sparse network, the count chain
on a conv target, one explicit conv-mask trial with its weak ticket, and small certified strong conv
tickets.

Run:  python benchmarks/bench_conv.py            (add --quick for a short smoke run)

One BLAS/torch thread (benchmarks/_setup.py); medians of repeated runs.
"""

from __future__ import annotations

import argparse
import time

import _setup
import numpy as np

from lththeory.conv import (
    construct,
    construct_strong,
    image_points,
    random_conv_target,
    sample_source,
    sample_strong_source,
)
from lththeory.stats import point_seedseq
from lththeory.weak import simulate_counts, theorem_w_common_width


def median_time(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def bench_forward(reps: int) -> None:
    net = random_conv_target((3, 64, 64, 10), (3, 3), (32, 32), "same", seed=0)
    x = np.random.default_rng(0).uniform(0, 1, size=(64, *net.input_shape))
    t_np = median_time(lambda: net(x), reps)
    line = f"numpy im2col {t_np * 1e3:.0f} ms"
    try:
        import torch

        torch.set_num_threads(1)
        F = torch.nn.functional
        ws = [torch.from_numpy(w) for w in net.weights]
        bs = [torch.from_numpy(b) for b in net.biases]
        xt = torch.from_numpy(x)

        def run_torch():
            h = xt
            for l in range(net.n_conv):
                h = F.conv2d(h, ws[l], bs[l], padding=net.padding[l])
                if l < net.n_conv - 1:
                    h = torch.relu(h)
            return h

        t_torch = median_time(run_torch, reps)
        err = float(np.abs(run_torch().numpy() - net(x)).max())
        line += f", torch conv2d (float64, 1 thread) {t_torch * 1e3:.0f} ms, max |diff| {err:.1e}"
    except ModuleNotFoundError:
        line += ", torch not installed"
    flat = net.unrolled()
    t_un = median_time(lambda: flat(x.reshape(len(x), -1)), reps)
    line += f", unrolled sparse network {t_un * 1e3:.0f} ms"
    print(f"forward, 3-64-64-10 conv 3x3 on 64 images 32x32: {line}")


def bench_chain_and_masks(quick: bool) -> None:
    target = random_conv_target((3, 8, 8, 4), (3, 3), (8, 8), seed=0)
    trials = 2000 if quick else 20000
    print(
        "\n| sparsity | common k (Thm W) | counts trials/s | k for masks | masks trial s "
        "| construct + ticket s |"
    )
    print("|---|---|---|---|---|---|")
    for s, k_masks in ((0.5, 32), (0.9, 512)):
        p = 1 - s
        kc = theorem_w_common_width(target, p, 0.1)
        t = median_time(
            lambda kc=kc, p=p: simulate_counts(target, kc, p, point_seedseq(0), trials), 3
        )
        src_t = []
        tick_t = []
        for r in range(2 if quick else 5):
            t0 = time.perf_counter()
            src = sample_source(target, k_masks, p, r)
            res = construct(target, src, build_ticket=False)
            src_t.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            res = construct(target, src)
            tick_t.append(time.perf_counter() - t0)
            assert res.success
        x = image_points(target, 8, rng=0, corners=4, border=4)
        err = float(np.abs(res.ticket.network(x) - target(x)).max())
        print(
            f"| {s} | {kc} | {trials / t:,.0f} | {k_masks} | {np.median(src_t):.3f} | "
            f"{np.median(tick_t):.3f} (size {res.ticket.size:,}, max |ticket - target| {err:.1e}) |"
        )


def bench_strong(quick: bool) -> None:
    print(
        "\n| strong target (3x3, 6x6, box [0, 1]) | k | eps | successes | certified | sampled | s |"
    )
    print("|---|---|---|---|---|---|---|")
    cases = [
        ((1, 2, 1), (96, 24), 16),
        ((2, 3, 1), (192, 48), 24),
        ((1, 2, 2, 1), (128, 48, 48), 22),
    ]
    for ch, k, n in cases[:2] if quick else cases:
        target = random_conv_target(ch, (3, 3), (6, 6), "same", box=(0.0, 1.0), seed=1)
        reps = 2 if quick else 4
        ok, certs, samp, times = 0, [], [], []
        for r in range(reps):
            t0 = time.perf_counter()
            res = construct_strong(target, sample_strong_source(target, k, 0.8, r), 0.2, n)
            times.append(time.perf_counter() - t0)
            ok += res.success
            certs.append(res.certified)
            samp.append(res.sampled)
        label = "-".join(map(str, ch))
        print(
            f"| {label} (density 0.8, {n} candidates) | {k} | 0.2 | {ok}/{reps} | "
            f"median {np.median(certs):.2g} | median {np.median(samp):.2g} | "
            f"{np.median(times):.2f} |"
        )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print("command: python benchmarks/bench_conv.py" + (" --quick" if args.quick else ""))
    print(_setup.machine())
    bench_forward(3 if args.quick else 7)
    bench_chain_and_masks(args.quick)
    bench_strong(args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
