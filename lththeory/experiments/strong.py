"""Sweep experiment for Theorem S (strong tickets, claim 3; docs/theory.md §5.6).

Axes: ``width`` (the block size k, the same for every block of the source: univariate neurons per
input, copies per target neuron and constant neurons) and ``sparsity`` (1 - p, the same for every
source layer; p_1 = 1 with ``--dense-first-layer``). Per grid point and trial a fresh lazily generated
ER source (U[-1, 1] weights and biases, or ``--weights normal``) and the explicit construction
(``--construction univariate``: depth L+1, or ``pensia``: depth 2L; both registered in
``lththeory.registry.CONSTRUCTIONS``). With ``--candidates theorem`` (default) it is the theorem's
construction: every subset sum over disjoint groups of g candidates with the worst-case error budget,
g the group size of Theorem S at this sparsity, so the measured rate and the theorem's bound concern
the same construction; ``--candidates practical`` solves over up to 26 candidates at once with the
typical budget (no theorem columns). A trial succeeds when the ticket's certified error and its
estimated sup error are at most ``--eps``. Per grid point: the success rate with its Clopper-Pearson
interval, the median and worst estimated error (of the best-effort ticket when the construction fails),
the median ticket density (successful trials), Theorem S's smallest common width, group size and
guaranteed success probability at this width (docs/theory.md §5.5).

Error curves (docs/theory.md §5.7): ``--objective min-error`` solves every subset sum to its best
error (over all its candidates up to the cap), so the certified error is the best the construction
reaches at that width. Per point, ``certified_error`` and ``sampled_error`` are the medians over
trials with their 10 % and 90 % quantiles (empirical quantiles, no interpolation), beside
``predicted_error`` (:func:`lththeory.strong.predicted_error`) and ``expected_candidates`` (the
fewest expected candidates of any subset sum at this k and p). ``error.png`` draws them against k;
the summary fits log2(certified error) against k p per sparsity (slope with t-interval) where
1 <= expected candidates < cap and the error has fallen to half its value at the smallest width,
beside the same fit of the prediction.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .._validate import as_number, check_choice, check_positive_int, check_positive_real
from ..masks import rho
from ..network import ReLUNetwork
from ..plotting import error_curves
from ..stats import (
    child_generator,
    child_seedseq,
    fit_line,
    fit_power_law,
    float_key,
    frontier,
    frontier_fit,
    proportion,
    trial_quantiles,
)
from ..strong import (
    MAX_CANDIDATES,
    OBJECTIVES,
    TheoremS,
    construct,
    expected_candidates,
    predicted_error,
    sample_source,
    strong_construction,
    theorem_s_common_width,
    theorem_s_failure_bound,
)
from ..strong.source import WEIGHT_DISTRIBUTIONS
from .base import (
    BASE_COLUMNS,
    BOUND_COLUMNS,
    WidthSparsityExperiment,
    int_axis,
    parse_widths,
    register,
    sparsity_axis,
    target_label,
)

__all__ = ["EXPERIMENT", "StrongExperiment"]

_THEOREMS: dict = {}


def _theorem(key: tuple, construction: str, target: ReLUNetwork) -> TheoremS:
    """Theorem S's smallest common width for (target, seed, densities, eps, delta), memoised."""
    if (key, construction) not in _THEOREMS:
        _, _, dens, eps, delta = key
        _THEOREMS[key, construction] = theorem_s_common_width(
            target, list(dens), eps, delta, construction
        )
    return _THEOREMS[key, construction]


#: the error-curve columns (after the success columns)
ERROR_COLUMNS = [
    "objective",
    "certified_error",
    "certified_error_q10",
    "certified_error_q90",
    "sampled_error",
    "sampled_error_q10",
    "sampled_error_q90",
    "ticket_weights",
    "expected_candidates",
    "predicted_error",
]


class StrongExperiment(WidthSparsityExperiment):
    """``--experiment strong``: certified strong tickets against Theorem S."""

    name = "strong"
    theorem = "Theorem S"
    default_trials = 20
    default_target = "2,4,1"
    axes = {
        "width": int_axis(
            "width",
            "32,64,128,256,512,1024,2048,4096",
            "256",
            "block size k of the source (comma-separated list)",
        ),
        "sparsity": sparsity_axis(
            default="0.5,0.8,0.9",
            fixed="0.5",
            help="sparsity 1 - p of every source layer (comma-separated list)",
        ),
    }
    columns = [
        *BASE_COLUMNS,
        *BOUND_COLUMNS,
        "eps",
        "median_error",
        "max_error",
        "ticket_density",
        "candidates",
        "group_size",
        "confidence",
        *ERROR_COLUMNS,
    ]
    figures = {"phase.png": "plot_phase", "error.png": "plot_error"}

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--eps", default="0.01", help="target sup-norm error eps > 0 (default 0.01)")
        self.add_target_arguments(p, "target widths, input first (random, U[-1, 1] weights)")
        p.add_argument(
            "--construction",
            default="univariate",
            help="univariate (depth L+1, default) or pensia (depth 2L)",
        )
        p.add_argument(
            "--weights", default="uniform", help="source weights: uniform U[-1,1] or normal"
        )
        p.add_argument(
            "--points", default="512", help="random points per error estimate (plus corners)"
        )
        p.add_argument(
            "--candidates",
            default="theorem",
            help="theorem (grouped, the construction Theorem S bounds) or practical (up to 26)",
        )
        p.add_argument(
            "--objective",
            default="threshold",
            help="threshold (default: stop once a copy meets its budget) or min-error (every "
            "subset sum to its best error: the error curves)",
        )

    def configure(self, args: argparse.Namespace, common: dict) -> dict:
        return {
            "target": parse_widths(args.target, "--target"),
            "eps": check_positive_real(as_number(args.eps), "--eps"),
            "method": strong_construction(args.construction, "--construction").name,
            "weights": check_choice(args.weights, "--weights", WEIGHT_DISTRIBUTIONS),
            "points": check_positive_int(args.points, "--points"),
            "candidates": check_choice(args.candidates, "--candidates", ("theorem", "practical")),
            "dense_first_layer": bool(args.dense_first_layer),
            "objective": check_choice(args.objective, "--objective", OBJECTIVES),
        }

    def source_depth(self, config: dict) -> int:
        return strong_construction(config["method"]).depth(len(config["target"]) - 1)

    def theorem_at(self, target: ReLUNetwork, dens: list[float], config: dict) -> TheoremS:
        """Theorem S at its smallest common width for these densities (cached per sparsity)."""
        key = (tuple(config["target"]), config["seed"], tuple(dens), config["eps"], config["delta"])
        return _theorem(key, config["method"], target)

    def run_trials(
        self,
        target: ReLUNetwork,
        k: int,
        dens: list[float],
        config: dict,
        ss: np.random.SeedSequence,
    ) -> dict[str, np.ndarray]:
        """Per trial: success, estimated (sampled) error, certified error, ticket density and kept
        weights; trial t draws its source from child (t,) of ``ss`` and its error-estimation points
        from child (t, 2^31)."""
        trials = config["trials"]
        out = {
            "ok": np.zeros(trials, dtype=bool),
            "err": np.empty(trials),
            "cert": np.empty(trials),
            "dens": np.full(trials, np.nan),
            "size": np.empty(trials),
        }
        options = {}
        if config["candidates"] == "theorem":
            options["group_size"] = self.theorem_at(target, dens, config).group_size
        for t in range(trials):
            src = sample_source(
                target,
                k,
                dens,
                seed=child_seedseq(ss, t),
                weights=config["weights"],
                construction=config["method"],
            )
            res = construct(
                target,
                src,
                config["eps"],
                n_points=config["points"],
                n_local=2,
                seed=child_generator(ss, t, 2**31),
                objective=config.get("objective", "threshold"),
                **options,
            )
            out["ok"][t] = res.success
            out["err"][t] = res.measured_error
            out["cert"][t] = res.certified_error
            out["size"][t] = res.size
            if res.success:
                out["dens"][t] = res.density
        return out

    def run_point(self, point: dict, config: dict) -> dict:
        k, s = int(point["width"]), float(point["sparsity"])
        target = self.target(config)
        dens = self.densities(config, s)
        ss = self.seedseq(config, k, float_key(s))
        tr = self.run_trials(target, k, dens, config, ss)
        ok, err, dens_t = tr["ok"], tr["err"], tr["dens"]
        prop = proportion(int(ok.sum()), len(ok))
        eps = config["eps"]
        ok_d = dens_t[np.isfinite(dens_t)]
        if config["candidates"] == "theorem":
            th = self.theorem_at(target, dens, config)
            bound = 1.0 - theorem_s_failure_bound(
                target, k, dens, eps, config["method"], group_size=th.group_size
            )
            row = self.bound_row((k, s), prop, th.k, bound, dens, config)
            row |= {"group_size": th.group_size, "confidence": th.confidence}
        else:
            row = self.bound_row((k, s), prop, None, None, dens, config)
        cert, cert_lo, cert_hi = trial_quantiles(tr["cert"])
        samp, samp_lo, samp_hi = trial_quantiles(err)
        method = config["method"]
        return {
            **row,
            "eps": eps,
            "median_error": float(np.median(err)),
            "max_error": float(np.max(err)),
            "ticket_density": float(np.median(ok_d)) if ok_d.size else None,
            "candidates": config["candidates"],
            "objective": config.get("objective", "threshold"),
            "certified_error": cert,
            "certified_error_q10": cert_lo,
            "certified_error_q90": cert_hi,
            "sampled_error": samp,
            "sampled_error_q10": samp_lo,
            "sampled_error_q90": samp_hi,
            "ticket_weights": float(np.median(tr["size"])),
            "expected_candidates": float(expected_candidates(target, k, dens, method).min()),
            "predicted_error": predicted_error(target, k, dens, eps, method),
        }

    def plot_phase(self, rows: list[dict], config: dict, path: Path | str) -> str:
        """Success rate over (width, sparsity) with Theorem S's width and the measured frontier;
        right: the frontier against rho(p) on log-log axes with the fitted slope."""
        fl = "p_1 = 1, " if config["dense_first_layer"] else ""
        title = (
            f"Strong tickets ({config['method']}): target {target_label(config)}, "
            f"eps = {config['eps']:g}, {fl}{rows[0]['trials']} trials/point"
        )
        return self.phase(
            rows,
            config,
            path,
            title,
            xlabel="block size k (log scale)",
            rate_label="success rate (error <= eps)",
            unit_fit=False,
        )

    def decay_fits(self, rows: list[dict], config: dict) -> dict[float, dict]:
        """Per sparsity: the fits of log2(certified error) and of log2(predicted error) against
        k p over the decaying part: 1 <= expected candidates < the cap, and a certified error at
        most half that of the smallest width (below it no copy is valid yet and the error sits on
        the target's own scale). None below 3 points."""
        out = {}
        for s in sorted({r["sparsity"] for r in rows}):
            p = float(self.densities(config, s)[1])
            at_s = sorted((r for r in rows if r["sparsity"] == s), key=lambda r: r["width"])
            plateau = float(at_s[0]["certified_error"])
            rs = [
                r
                for r in at_s
                if 1.0 <= float(r["expected_candidates"]) < MAX_CANDIDATES
                and 0.0 < float(r["certified_error"]) <= 0.5 * plateau
            ]
            x = np.array([r["width"] * p for r in rs], float)
            out[s] = {
                "measured": fit_line(x, np.log2([float(r["certified_error"]) for r in rs])),
                "predicted": fit_line(x, np.log2([float(r["predicted_error"]) for r in rs])),
            }
        return out

    def plot_error(self, rows: list[dict], config: dict, path: Path | str) -> str:
        """Certified and sampled sup error against the block size (log scale), one line per
        sparsity (medians; band: 10-90 % of the certified error), the predicted decay beside them
        and the fitted decay rate per sparsity in the legend."""
        fits = {
            s: (
                f"d log2 E / d(kp) = {f['measured'].slope:.3f} "
                f"[{f['measured'].slope_low:.3f}, {f['measured'].slope_high:.3f}]"
            )
            for s, f in self.decay_fits(rows, config).items()
            if f["measured"] is not None
        }
        return error_curves(
            rows,
            path,
            title=(
                f"Strong-ticket error ({config['method']}, objective "
                f"{config.get('objective', 'threshold')}, target {target_label(config)}, "
                f"{rows[0]['trials']} trials/point)"
            ),
            eps=config["eps"],
            fits=fits,
        )

    def summarize(
        self, rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float
    ) -> str:
        level = 1.0 - config["delta"]
        fit = frontier_fit(rows, level)
        what = (
            f"Strong-ticket sweep ({config['method']}, target {target_label(config)}, "
            f"eps {config['eps']:g}"
        )
        parts = [self.opening(what, rows, config, outdir, figures, wall)]
        if fit is not None:
            # the shape the construction predicts: layer-1 candidates need both mask edges
            sps = sorted({r["sparsity"] for r in rows})
            q = [np.prod(self.densities(config, sp)[:2]) for sp in sps]
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
        parts += self.bound_lines(rows, config)
        parts += self.scaling_lines(rows, config)
        if config["weights"] != "uniform":
            parts.append(
                "Note: Theorem S is stated for U[-1, 1] source weights; with --weights "
                f"{config['weights']} its width and bound are shown for reference only."
            )
        return " ".join(parts)

    def scaling_lines(self, rows: list[dict], config: dict) -> list[str]:
        """The frontier against 1/p and rho(p) (>= 3 sparsities), and the error decay per sparsity."""
        out = []
        level = 1.0 - config["delta"]
        front = frontier(rows, level)
        sps = [s for s in sorted(front) if np.isfinite(front[s])]
        if len(sps) >= 3:
            k = np.array([front[s] for s in sps])
            inv = fit_power_law(1.0 / (1.0 - np.array(sps)), k)
            rh = fit_power_law(np.array([rho(1.0 - s) for s in sps]), k)
            out.append(
                f"Frontier scaling over {len(sps)} sparsities: k ~ (1/p)^b with b = {inv.slope:.2f} "
                f"[{inv.slope_low:.2f}, {inv.slope_high:.2f}]; k ~ rho(p)^b with b = {rh.slope:.2f} "
                f"[{rh.slope_low:.2f}, {rh.slope_high:.2f}] (95%)."
            )
        for s, f in self.decay_fits(rows, config).items():
            m, pr = f["measured"], f["predicted"]
            if m is None:
                continue
            pred = f"; predicted {pr.slope:.3f}" if pr is not None else ""
            out.append(
                f"Error decay at sparsity {s:g}: d log2(certified error) / d(k p) = {m.slope:.3f} "
                f"[{m.slope_low:.3f}, {m.slope_high:.3f}] (95%, {m.n} widths){pred}."
            )
        return out


EXPERIMENT = register(StrongExperiment())
