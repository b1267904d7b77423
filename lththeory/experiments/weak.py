"""Sweep adapter for Theorem W (weak tickets, claim 1; THEORY sections 3 and 6).

Axes: ``width`` (the copy multiplier k, the same for every layer) and ``sparsity`` (1 - p, the same for
every source layer; p_1 = 1 with ``--dense-first-layer``). Per grid point: the success rate of the
construction with its Clopper-Pearson interval, the theorem's smallest common width and its guaranteed
success probability at this width.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .._validate import (
    LTHInputError,
    check_choice,
    check_positive_int,
    check_widths,
)
from ..network import ReLUNetwork, random_target
from ..plotting import fit_power_law, frontier, phase_diagram
from ..stats import point_seedseq, proportion
from ..sweep import BASE_COLUMNS, BOUND_COLUMNS, Axis, sparsity_axis
from ..weak import (
    rho,
    simulate_counts,
    simulate_masks,
    theorem_w_common_width,
    theorem_w_failure_bound,
)

NAME = "weak"
EXPERIMENT_KEY = 1
DEFAULT_TRIALS = 500
MASKS_MEMORY_LIMIT = 4 * 2**30  # bytes of explicit masks one --method masks trial may need

_WIDTHS = ",".join(str(int(round(2 ** (e / 2)))) for e in range(2, 35))
AXES = {
    "width": Axis(
        parse=lambda t: check_positive_int(t, "width"),
        default=_WIDTHS,
        fixed="64",
        help="copy multiplier k of the source (comma-separated list)",
    ),
    "sparsity": sparsity_axis(
        default="0.5,0.7,0.8,0.9,0.95,0.98,0.99",
        fixed="0.9",
        help="sparsity 1 - p of every source layer (comma-separated list)",
    ),
}

COLUMNS = [
    *BASE_COLUMNS,
    *BOUND_COLUMNS,
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", default="4,8,8,1", help="target widths, input first (dense random)")
    p.add_argument("--method", default="counts", help="counts (exact count chain) or masks")
    p.add_argument(
        "--dense-first-layer",
        action="store_true",
        help="keep the first source layer dense (p_1 = 1)",
    )


def configure(args: argparse.Namespace, common: dict) -> dict:
    target = check_widths([t for t in str(args.target).split(",") if t.strip()], "--target")
    return {
        "target": list(target),
        "method": check_choice(args.method, "--method", ("counts", "masks")),
        "dense_first_layer": bool(args.dense_first_layer),
    }


def check_grid(points: list[dict], config: dict) -> None:
    """Refuse --method masks grid points whose explicit masks would not fit in memory."""
    if config["method"] != "masks":
        return
    w = config["target"]
    L = len(w) - 1
    for pt in points:
        k = pt["width"]
        N = [w[0], w[0] * k] + [w[l] * k for l in range(1, L)] + [w[L]]
        dens = densities(config, pt["sparsity"])
        nnz = sum(N[i] * N[i + 1] * dens[i] for i in range(L + 1))
        if 12 * nnz > MASKS_MEMORY_LIMIT:
            raise LTHInputError(
                f"--width {k} at sparsity {pt['sparsity']:g} needs about {12 * nnz / 2**30:.0f} GiB "
                f"of explicit masks with --method masks (limit {MASKS_MEMORY_LIMIT / 2**30:.0f} GiB): "
                "use --method counts (same law, cost free of k) or smaller widths"
            )


def make_target(config: dict) -> ReLUNetwork:
    """The sweep's dense random target (only its support matters for Theorem W)."""
    return random_target(
        config["target"], seed=np.random.default_rng(point_seedseq(config["seed"], 0))
    )


def densities(config: dict, sparsity: float) -> list[float]:
    L = len(config["target"]) - 1
    p = 1.0 - sparsity
    return [1.0 if config["dense_first_layer"] else p] + [p] * L


def run_point(point: dict, config: dict) -> dict:
    k, s = int(point["width"]), float(point["sparsity"])
    target = make_target(config)
    dens = densities(config, s)
    ss = point_seedseq(config["seed"], EXPERIMENT_KEY, k, int(round(s * 1e9)))
    sim = simulate_counts if config["method"] == "counts" else simulate_masks
    ok = sim(target, k, dens, ss, config["trials"])
    prop = proportion(int(ok.sum()), len(ok))
    tw = theorem_w_common_width(target, dens, config["delta"])
    # one-sided 95 % check of "failure rate <= delta" where the theorem applies (k >= its width)
    holds = ""
    if k >= tw:
        upper = proportion(prop.successes, prop.trials, confidence=0.90).ci_high
        holds = int(upper >= 1.0 - config["delta"])
    return {
        "experiment": NAME,
        "width": k,
        "sparsity": s,
        "trials": prop.trials,
        "successes": prop.successes,
        "rate": prop.rate,
        "ci_low": prop.ci_low,
        "ci_high": prop.ci_high,
        "theory_width": tw,
        "seed": config["seed"],
        "density": dens[1],
        "first_layer_density": dens[0],
        "method": config["method"],
        "delta": config["delta"],
        "target": "-".join(map(str, config["target"])),
        "bound_success": 1.0 - theorem_w_failure_bound(target, k, dens),
        "bound_holds": holds,
    }


def plot(rows: list[dict], config: dict, outdir: Path) -> list[str]:
    if not rows:
        return []
    fl = "p_1 = 1, " if config["dense_first_layer"] else ""
    title = (
        f"Weak tickets: target {'-'.join(map(str, config['target']))}, {fl}"
        f"{rows[0]['trials']} trials/point ({config['method']})"
    )
    path = Path(outdir) / "phase.png"
    return [
        phase_diagram(
            rows, 1.0 - config["delta"], path, title=title, theory_label="Theorem W width"
        )
    ]


def summarize(rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float) -> str:
    level = 1.0 - config["delta"]
    sps = sorted({r["sparsity"] for r in rows})
    front = frontier(rows, level)
    fit = fit_power_law(np.array([rho(1.0 - s) for s in sps]), np.array([front[s] for s in sps]))
    applicable = [r for r in rows if r["bound_holds"] not in ("", None)]
    holds = sum(int(r["bound_holds"]) for r in applicable)
    ratios = [
        r["theory_width"] / front[r["sparsity"]] for r in rows if np.isfinite(front[r["sparsity"]])
    ]
    parts = [
        f"Weak-ticket sweep ({config['method']}, target {'-'.join(map(str, config['target']))}, "
        f"{len(rows)} grid points x {config['trials']} trials, seed {config['seed']}, {wall:.1f} s): "
        f"wrote {Path(outdir) / 'results.csv'}, meta.json and {', '.join(Path(f).name for f in figures)}.",
    ]
    if fit is not None:
        parts.append(
            f"Measured frontier (smallest k with success >= {level:g}) ~ c*rho(p)^b with "
            f"b = {fit.slope:.2f} [{fit.slope_low:.2f}, {fit.slope_high:.2f}] (95%, {fit.n} sparsities); "
            f"with b fixed at 1, c = {fit.c_unit:.2f} [{fit.c_unit_low:.2f}, {fit.c_unit_high:.2f}]."
        )
    else:
        parts.append("Too few sparsities reach the success level for a fit.")
    parts.append(
        f"{holds} of {len(applicable)} grid points at or above Theorem W's width meet the bound "
        f"(failure <= delta = {config['delta']:g}, one-sided 95%)."
    )
    if ratios:
        parts.append(
            f"Tightness: the theorem's width is {min(ratios):.1f}x to {max(ratios):.1f}x the measured frontier."
        )
    return " ".join(parts)
