"""Sweep adapter for Theorem S (strong tickets, claim 3; THEORY sections 5 and 6).

Axes: ``width`` (the block size k, the same for every block of the source: univariate neurons per
input, copies per target neuron and constant neurons) and ``sparsity`` (1 - p, the same for every
source layer; p_1 = 1 with ``--dense-first-layer``). Per grid point and trial a fresh lazily generated
ER source (U[-1, 1] weights and biases, or ``--weights normal``) and the explicit construction
(:func:`lththeory.strong.construct`, or Pensia's depth-2L one with ``--construction pensia``).
A trial succeeds when the ticket's certified error and its estimated sup error are at most ``--eps``.
Per grid point: the success rate with its Clopper-Pearson interval, the median and worst estimated
error (of the best-effort ticket when the construction fails), the median ticket density (successful
trials) and Theorem S's smallest common width with its guaranteed success probability at this width.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .._validate import (
    check_choice,
    check_positive_int,
    check_positive_real,
    check_widths,
)
from ..network import ReLUNetwork, random_target
from ..plotting import fit_power_law, frontier, frontier_fit, phase_diagram, plt, save_figure
from ..stats import point_seedseq, proportion
from ..strong import (
    CONSTRUCTIONS,
    construct,
    construct_pensia,
    sample_source,
    theorem_s_common_width,
    theorem_s_failure_bound,
)
from ..sweep import BASE_COLUMNS, BOUND_COLUMNS, Axis, sparsity_axis
from ..weak import rho

NAME = "strong"
EXPERIMENT_KEY = 3

AXES = {
    "width": Axis(
        parse=lambda t: check_positive_int(t, "width"),
        default="16,32,64,128,256,512,1024",
        fixed="256",
        help="block size k of the source (comma-separated list)",
    ),
    "sparsity": sparsity_axis(
        default="0.1,0.3,0.5,0.7",
        fixed="0.5",
        help="sparsity 1 - p of every source layer (comma-separated list)",
    ),
}

COLUMNS = [
    *BASE_COLUMNS,
    *BOUND_COLUMNS,
    "eps",
    "median_error",
    "max_error",
    "ticket_density",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.set_defaults(trials="20")
    p.add_argument("--eps", default="0.01", help="target sup-norm error eps > 0 (default 0.01)")
    p.add_argument(
        "--target", default="2,4,1", help="target widths, input first (random, U[-1, 1] weights)"
    )
    p.add_argument(
        "--construction",
        default="univariate",
        help="univariate (depth L+1, default) or pensia (depth 2L)",
    )
    p.add_argument("--weights", default="uniform", help="source weights: uniform U[-1,1] or normal")
    p.add_argument(
        "--points", default="512", help="random points per error estimate (plus corners)"
    )
    p.add_argument(
        "--dense-first-layer",
        action="store_true",
        help="keep the first source layer dense (p_1 = 1)",
    )


def configure(args: argparse.Namespace, common: dict) -> dict:
    target = check_widths([t for t in str(args.target).split(",") if t.strip()], "--target")
    return {
        "target": list(target),
        "eps": check_positive_real(_number(args.eps), "--eps"),
        "method": check_choice(args.construction, "--construction", CONSTRUCTIONS),
        "weights": check_choice(args.weights, "--weights", ("uniform", "normal")),
        "points": check_positive_int(args.points, "--points"),
        "dense_first_layer": bool(args.dense_first_layer),
    }


def _number(text: object) -> object:
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return text


def make_target(config: dict) -> ReLUNetwork:
    """The sweep's random target (U[-1, 1] weights, U[-1/2, 1/2] biases, box [-1, 1]^d)."""
    return random_target(
        config["target"], seed=np.random.default_rng(point_seedseq(config["seed"], 0))
    )


def densities(config: dict, sparsity: float) -> list[float]:
    """p_1..p_D of the source: every layer 1 - sparsity (p_1 = 1 with --dense-first-layer)."""
    L = len(config["target"]) - 1
    D = L + 1 if config["method"] == "univariate" else 2 * L
    p = 1.0 - sparsity
    return [1.0 if config["dense_first_layer"] else p] + [p] * (D - 1)


def run_trials(
    target: ReLUNetwork, k: int, dens: list[float], config: dict, ss: np.random.SeedSequence
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Success, estimated error and ticket density per trial; trial t draws its source from child
    (t,) of ``ss`` and its error-estimation points from child (t, 2^31)."""
    trials = config["trials"]
    ok = np.zeros(trials, dtype=bool)
    err = np.empty(trials)
    dens_t = np.full(trials, np.nan)
    fn = construct if config["method"] == "univariate" else construct_pensia
    for t in range(trials):
        src_ss = np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (t,))
        est_rng = np.random.default_rng(
            np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (t, 2**31))
        )
        src = sample_source(
            target, k, dens, seed=src_ss, weights=config["weights"], construction=config["method"]
        )
        res = fn(target, src, config["eps"], n_points=config["points"], n_local=2, seed=est_rng)
        ok[t] = res.success
        err[t] = res.measured_error
        if res.success:
            dens_t[t] = res.density
    return ok, err, dens_t


def run_point(point: dict, config: dict) -> dict:
    k, s = int(point["width"]), float(point["sparsity"])
    target = make_target(config)
    dens = densities(config, s)
    ss = point_seedseq(config["seed"], EXPERIMENT_KEY, k, int(round(s * 1e9)))
    ok, err, dens_t = run_trials(target, k, dens, config, ss)
    prop = proportion(int(ok.sum()), len(ok))
    eps, delta = config["eps"], config["delta"]
    tw = theorem_s_common_width(target, dens, eps, delta, construction=config["method"])
    holds = ""
    if k >= tw:  # one-sided 95 % check of "failure rate <= delta"
        upper = proportion(prop.successes, prop.trials, confidence=0.90).ci_high
        holds = int(upper >= 1.0 - delta)
    ok_d = dens_t[np.isfinite(dens_t)]
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
        "delta": delta,
        "target": "-".join(map(str, config["target"])),
        "bound_success": 1.0
        - theorem_s_failure_bound(target, k, dens, eps, construction=config["method"]),
        "bound_holds": holds,
        "eps": eps,
        "median_error": float(np.median(err)),
        "max_error": float(np.max(err)),
        "ticket_density": float(np.median(ok_d)) if ok_d.size else None,
    }


def plot_phase(rows: list[dict], config: dict, path: Path | str) -> str:
    """Success rate over (width, sparsity) with Theorem S's width and the measured frontier; right:
    the frontier against rho(p) on log-log axes with the fitted slope."""
    fl = "p_1 = 1, " if config["dense_first_layer"] else ""
    title = (
        f"Strong tickets ({config['method']}): target {'-'.join(map(str, config['target']))}, "
        f"eps = {config['eps']:g}, {fl}{rows[0]['trials']} trials/point"
    )
    return phase_diagram(
        rows,
        1.0 - config["delta"],
        path,
        title=title,
        theory_label="Theorem S width",
        xlabel="block size k (log scale)",
        rate_label="success rate (error <= eps)",
        unit_fit=False,
    )


def plot_error(rows: list[dict], config: dict, path: Path | str) -> str:
    """Estimated sup error against the block size (log-log), one line per sparsity (median, with the
    worst trial as a band), and the eps line."""
    sps = sorted({r["sparsity"] for r in rows})
    fig, ax = plt.subplots(figsize=(7.5, 5))
    colors = plt.cm.viridis(np.linspace(0, 0.9, max(len(sps), 1)))
    for s, c in zip(sps, colors, strict=False):
        rs = sorted((r for r in rows if r["sparsity"] == s), key=lambda r: r["width"])
        x = [r["width"] for r in rs]
        ax.loglog(x, [r["median_error"] for r in rs], "o-", color=c, label=f"sparsity {s:g}")
        ax.fill_between(
            x,
            [r["median_error"] for r in rs],
            [r["max_error"] for r in rs],
            color=c,
            alpha=0.15,
        )
    ax.axhline(config["eps"], color="red", ls="--", label=f"eps = {config['eps']:g}")
    ax.set_xlabel("block size k")
    ax.set_ylabel("sup |f_P - f_T| (estimated; median, band to worst)")
    ax.set_title(
        f"Strong-ticket error ({config['method']}, target {'-'.join(map(str, config['target']))})"
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def plot(rows: list[dict], config: dict, outdir: Path) -> list[str]:
    if not rows:
        return []
    outdir = Path(outdir)
    return [
        plot_phase(rows, config, outdir / "phase.png"),
        plot_error(rows, config, outdir / "error.png"),
    ]


def summarize(rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float) -> str:
    level = 1.0 - config["delta"]
    front = frontier(rows, level)
    fit = frontier_fit(rows, level)
    applicable = [r for r in rows if r["bound_holds"] not in ("", None)]
    holds = sum(int(r["bound_holds"]) for r in applicable)
    ratios = [
        r["theory_width"] / front[r["sparsity"]] for r in rows if np.isfinite(front[r["sparsity"]])
    ]
    parts = [
        f"Strong-ticket sweep ({config['method']}, target {'-'.join(map(str, config['target']))}, "
        f"eps {config['eps']:g}, {len(rows)} grid points x {config['trials']} trials, "
        f"seed {config['seed']}, {wall:.1f} s): wrote {Path(outdir) / 'results.csv'}, meta.json and "
        f"{', '.join(Path(f).name for f in figures)}.",
    ]
    if fit is not None:
        # the shape the construction predicts: layer-1 candidates need both mask edges, k ~ 1/(p_1 p_2)
        sps = sorted({r["sparsity"] for r in rows})
        q = [np.prod(densities(config, sp)[:2]) for sp in sps]
        ref = fit_power_law(np.array([rho(1.0 - sp) for sp in sps]), 1.0 / np.array(q))
        expect = f"{ref.slope:.2f} for k ~ 1/(p_1 p_2) over these sparsities" if ref else "n/a"
        parts.append(
            f"Measured frontier (smallest k with success >= {level:g}) ~ c*rho(p)^b with "
            f"b = {fit.slope:.2f} [{fit.slope_low:.2f}, {fit.slope_high:.2f}] (95%, {fit.n} "
            f"sparsities; expected {expect})."
        )
    else:
        parts.append("Too few sparsities reach the success level for a fit.")
    best = [r for r in rows if r["successes"] > 0]
    if best:
        med = np.nanmedian([r["ticket_density"] for r in best])
        parts.append(
            f"Median ticket density over successful points: {med:.3g} of the dense source."
        )
    parts.append(
        f"{holds} of {len(applicable)} grid points at or above Theorem S's width meet the bound "
        f"(failure <= delta = {config['delta']:g}, one-sided 95%)."
    )
    if ratios:
        parts.append(
            f"Tightness: the theorem's width is {min(ratios):.1f}x to {max(ratios):.1f}x the "
            f"measured frontier."
        )
    if config["weights"] != "uniform":
        parts.append(
            "Note: Theorem S is stated for U[-1, 1] source weights; with --weights "
            f"{config['weights']} its width and bound are shown for reference only."
        )
    return " ".join(parts)
