"""Sweep experiment for Theorem LB (the 3-layer lower bound, claim 2; docs/theory.md §4.5).

Axes: ``width`` = N / n (hidden width over target neurons; N = round(width * n)) and ``sparsity``
(1 - p, applied to both source layers: p_1 = p_2 = p; p_1 = 1 with ``--dense-first-layer``).
``--instance hard`` is f_T(x) = c + sum_i v_i phi(x_1 - c_i); ``--instance random`` a random
one-hidden-layer target whose w_i have ``--support`` s nonzeros among ``--input-dim`` d inputs.

Per grid point: the Monte-Carlo success rate of the exact decision (matching) with its
Clopper-Pearson interval, next to the theory: ``exact`` = P(Binomial(N, p_2 p_1^s) >= n) whenever every
target neuron has the same support (size s; the hard instance, or ``--support`` equal to
``--input-dim``; blank otherwise), ``upper_bound`` = P(Binomial(N, p_2) >= n) (any target),
``upper_bound_masked`` (the sharper bound that uses the input mask, docs/theory.md §4.3) and
``lower_bound`` = 1 - n (1 - p_2 p_1^s)^floor(N/n) clipped at 0 (the block construction on the first
floor(N/n) n neurons).

``theory_width`` is N*/n where the theory's probability first reaches 1/2: the exact threshold for
equal supports, otherwise the threshold of ``upper_bound_masked``, a proven necessary width (no source
narrower than it contains a ticket for this target with probability 1/2).
"""

from __future__ import annotations

import argparse
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._validate import LTHInputError, check_choice, check_positive_int, check_positive_real
from ..lower_bound import (
    OneHiddenTarget,
    block_lower_bound,
    block_threshold_k,
    hard_instance,
    random_one_hidden_target,
    success_rate,
    threshold_width,
    upper_bound,
)
from ..lower_bound.theory import (
    exact_success_probability,
    masked_threshold_width,
    masked_upper_bound,
    support_classes,
)
from ..masks import rho
from ..stats import crossing, fit_power_law, float_key
from .base import (
    BASE_COLUMNS,
    MEMORY_LIMIT,
    Axis,
    Experiment,
    measured,
    register,
    sparsity_axis,
)
from .lower_bound_plots import fit_text, plot_phase, plot_threshold

__all__ = ["EXPERIMENT", "LowerBoundExperiment", "agreement", "fit_text", "hidden_width"]

LEVEL = 0.5  # the threshold N* is where the success probability crosses 1/2

_WIDTHS = ",".join(f"{2 ** (e / 4):.3g}" for e in range(0, 30))


def hidden_width(width: float, n: int) -> int:
    """N = round(width * n), at least 1."""
    return max(1, int(round(width * n)))


@lru_cache(maxsize=16)
def _target_cached(entropy: int, spawn: tuple[int, ...], key: tuple) -> OneHiddenTarget:
    instance, n, d, s, _seed = key
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=spawn))
    if instance == "hard":
        return hard_instance(n, seed=rng, d=d)
    return random_one_hidden_target(d, n, s, seed=rng)


def _target(ss: np.random.SeedSequence, key: tuple) -> OneHiddenTarget:
    return _target_cached(ss.entropy, tuple(ss.spawn_key), key)


@lru_cache(maxsize=64)
def _masked_threshold_cached(entropy: int, spawn: tuple, key: tuple, p1: float, p2: float) -> int:
    return masked_threshold_width(_target_cached(entropy, spawn, key), p1, p2, LEVEL)


def agreement(rows: list[dict]) -> dict:
    """How the measurement sits against the theory: exact value inside the CI, bound violations."""
    ex = [r for r in rows if r["exact"] is not None]
    inside = sum(r["ci_low"] <= r["exact"] <= r["ci_high"] for r in ex)
    above_upper = sum(r["ci_low"] > r["upper_bound"] for r in rows)
    above_masked = sum(r["ci_low"] > r["upper_bound_masked"] for r in rows)
    below_lower = sum(r["ci_high"] < r["lower_bound"] for r in rows)
    return {
        "with_exact": len(ex),
        "inside": inside,
        "above_upper": above_upper,
        "above_masked": above_masked,
        "below_lower": below_lower,
    }


class LowerBoundExperiment(Experiment):
    """``--experiment lower-bound``: the exact decision's success rate against Theorem LB."""

    name = "lower-bound"
    axes = {
        "width": Axis(
            parse=lambda t: check_positive_real(t, "width"),
            default=_WIDTHS,
            fixed="8",
            help="hidden width over target neurons, N/n (comma-separated list)",
        ),
        "sparsity": sparsity_axis(
            default="0.5,0.6,0.7,0.8,0.9",
            fixed="0.8",
            help="sparsity 1 - p of both source layers (comma-separated list)",
        ),
    }

    figures = {"phase.png": "plot_phase", "threshold.png": "plot_threshold"}
    columns = [
        *BASE_COLUMNS,
        "hidden_width",
        "target_neurons",
        "density",
        "exact",
        "upper_bound",
        "lower_bound",
        "upper_bound_masked",
        "first_layer_density",
        "instance",
        "input_dim",
        "support",
    ]

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--instance", default="hard", help="hard (closed form) or random (general)")
        p.add_argument("--target-neurons", default="50", help="n, the target's hidden neurons")
        p.add_argument("--support", default="1", help="s = |supp(w_i)| of random targets (1..d)")
        p.add_argument(
            "--input-dim", default=None, help="d (default: 1 for the hard instance, 4 for random)"
        )
        p.add_argument(
            "--dense-first-layer",
            action="store_true",
            help="keep the input->hidden mask dense (p_1 = 1): the threshold becomes n/p_2",
        )

    def configure(self, args: argparse.Namespace, common: dict) -> dict:
        instance = check_choice(args.instance, "--instance", ("hard", "random"))
        n = check_positive_int(args.target_neurons, "--target-neurons")
        s = check_positive_int(args.support, "--support")
        if args.input_dim is None:
            d = 1 if instance == "hard" else 4
        else:
            d = check_positive_int(args.input_dim, "--input-dim")
        if instance == "hard" and s != 1:
            raise LTHInputError(f"--support must be 1 for --instance hard (w_i = e_1), got {s}")
        if s > d:
            raise LTHInputError(f"--support must be in [1, --input-dim = {d}], got {s}")
        return {
            "instance": instance,
            "target_neurons": n,
            "support": s,
            "input_dim": d,
            "dense_first_layer": bool(args.dense_first_layer),
        }

    def check_grid(self, points: list[dict], config: dict) -> None:
        """Refuse grid points whose sampled masks (N x d input mask, 1 x N output mask) would not fit."""
        n, d = config["target_neurons"], config["input_dim"]
        for pt in points:
            N = hidden_width(float(pt["width"]), n)
            p1, p2 = self.densities(config, float(pt["sparsity"]))
            need = 12 * (N * d * p1 + N * p2) + 16 * N
            if need > MEMORY_LIMIT:
                raise LTHInputError(
                    f"--width {pt['width']:g} means N = {N:,} hidden neurons, about "
                    f"{need / 2**30:.0f} GiB of masks per trial (limit {MEMORY_LIMIT / 2**30:.0f} GiB): "
                    "use smaller widths or fewer --target-neurons"
                )

    def target(self, config: dict) -> OneHiddenTarget:
        """The sweep's target, fixed for the whole run (seeded by the run seed)."""
        return _target(self.seedseq(config, 0), self._target_key(config))

    def _target_key(self, config: dict) -> tuple:
        return tuple(
            config[c] for c in ("instance", "target_neurons", "input_dim", "support", "seed")
        )

    def equal_supports(self, config: dict) -> int | None:
        """s when every target neuron has the same support of size s (the closed form applies)."""
        classes = support_classes(self.target(config))
        return len(classes[0][0]) if len(classes) == 1 else None

    def densities(self, config: dict, sparsity: float) -> tuple[float, float]:
        """(p_1, p_2) for a sparsity."""
        p = 1.0 - sparsity
        return (1.0 if config["dense_first_layer"] else p), p

    def theory_width(self, config: dict, sparsity: float) -> float:
        """N*/n at level 1/2: the closed form's exact threshold (equal supports of size s: that of
        P(Bin(N, p_2 p_1^s) >= n)), else the threshold of the masked upper bound (necessary)."""
        p1, p2 = self.densities(config, sparsity)
        n = config["target_neurons"]
        s = self.equal_supports(config)
        if s is not None:
            return threshold_width(n, p1**s, p2, LEVEL) / n
        ss = self.seedseq(config, 0)
        key = self._target_key(config)
        return _masked_threshold_cached(ss.entropy, tuple(ss.spawn_key), key, p1, p2) / n

    def theory_curves(
        self, config: dict, sparsity: float, N: np.ndarray
    ) -> dict[str, np.ndarray | None]:
        """The theory objects at hidden widths N: exact (equal supports only), the upper bounds
        (with and without the input mask), the block lower bound."""
        p1, p2 = self.densities(config, sparsity)
        n = config["target_neurons"]
        N = np.asarray(N, dtype=np.int64)
        target = self.target(config)
        exact = exact_success_probability(target, N, p1, p2)
        return {
            "exact": None if exact is None else np.asarray(exact),
            "upper_bound": np.asarray(upper_bound(N, n, p2)),
            "upper_bound_masked": np.asarray(masked_upper_bound(target, N, p1, p2)),
            "lower_bound": np.asarray(block_lower_bound(N // n, n, p1, p2, config["support"])),
        }

    def run_point(self, point: dict, config: dict) -> dict:
        width, s = float(point["width"]), float(point["sparsity"])
        n = config["target_neurons"]
        N = hidden_width(width, n)
        p1, p2 = self.densities(config, s)
        target = self.target(config)
        ss = self.seedseq(config, float_key(width, 1e6), float_key(s))
        prop = success_rate(target, N, p1, p2, ss, config["trials"])
        th = self.theory_curves(config, s, np.array([N]))
        return {
            "experiment": self.name,
            "width": width,
            "sparsity": s,
            **measured(prop),
            "theory_width": self.theory_width(config, s),
            "seed": config["seed"],
            "hidden_width": N,
            "target_neurons": n,
            "density": p2,
            "exact": None if th["exact"] is None else float(th["exact"][0]),
            "upper_bound": float(th["upper_bound"][0]),
            "lower_bound": float(th["lower_bound"][0]),
            "upper_bound_masked": float(th["upper_bound_masked"][0]),
            "first_layer_density": p1,
            "instance": config["instance"],
            "input_dim": config["input_dim"],
            "support": config["support"],
        }

    def threshold_table(self, rows: list[dict], config: dict) -> list[dict]:
        """Per sparsity: p_1, p_2, 1/p_2 (the necessary factor of any target), 1/(p_1 p_2), rho(p_2),
        the measured N*/n (rate crosses 1/2, log-interpolated) with the interval where the pointwise
        95 % CIs cross 1/2, the closed-form N*/n (equal supports only), the necessary N*/n of the
        masked upper bound and of the plain one, and the sufficient N*/n of the block construction."""
        n = config["target_neurons"]
        s_eq = self.equal_supports(config)
        out = []
        for s in sorted({r["sparsity"] for r in rows}):
            rs = sorted((r for r in rows if r["sparsity"] == s), key=lambda r: r["width"])
            w = np.array([r["width"] for r in rs])
            p1, p2 = self.densities(config, s)
            out.append(
                {
                    "sparsity": s,
                    "p1": p1,
                    "p2": p2,
                    "inv_p2": 1.0 / p2,
                    "inv_p1p2": 1.0 / (p1 * p2),
                    "rho": float(rho(p2)),
                    "measured": crossing(w, np.array([r["rate"] for r in rs]), LEVEL),
                    "measured_low": crossing(w, np.array([r["ci_high"] for r in rs]), LEVEL),
                    "measured_high": crossing(w, np.array([r["ci_low"] for r in rs]), LEVEL),
                    "exact": None if s_eq is None else self.theory_width(config, s),
                    "necessary": self.theory_width(config, s)
                    if s_eq is None
                    else threshold_width(n, p1**s_eq, p2, LEVEL) / n,
                    "necessary_any": threshold_width(n, 1.0, p2, LEVEL) / n,
                    "sufficient": float(block_threshold_k(n, p1, p2, config["support"], LEVEL)),
                }
            )
        return out

    def threshold_fits(self, table: list[dict]) -> dict:
        """Power-law fits N*/n = c x^b of the measured (and closed-form) thresholds against
        x = 1/p_2, 1/(p_1 p_2) and rho(p_2)."""
        meas = np.array([t["measured"] for t in table], float)
        xs = {k: np.array([t[k] for t in table]) for k in ("inv_p2", "inv_p1p2", "rho")}
        fits = {f"measured_vs_{k}": fit_power_law(x, meas) for k, x in xs.items()}
        if all(t["exact"] is not None for t in table):
            ex = np.array([t["exact"] for t in table], float)
            fits |= {f"exact_vs_{k}": fit_power_law(x, ex) for k, x in xs.items()}
        return fits

    def _title(self, config: dict, rows: list[dict]) -> str:
        inst = (
            "hard instance c + sum v_i phi(x_1 - c_i)"
            if config["instance"] == "hard"
            else f"random target, d = {config['input_dim']}, s = {config['support']}"
        )
        fl = ", p_1 = 1" if config["dense_first_layer"] else ", p_1 = p_2 = p"
        return f"{inst}; n = {config['target_neurons']}{fl}; {rows[0]['trials']} trials/point"

    plot_phase = plot_phase  # the figures live in lower_bound_plots
    plot_threshold = plot_threshold

    def summarize(
        self, rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float
    ) -> str:
        n = config["target_neurons"]
        inst = (
            "hard instance"
            if config["instance"] == "hard"
            else (f"random targets, s = {config['support']}")
        )
        parts = [
            f"Lower-bound sweep ({inst}, n = {n}, d = {config['input_dim']}, {len(rows)} grid points x "
            f"{config['trials']} trials, seed {config['seed']}, {wall:.1f} s): wrote "
            f"{Path(outdir) / 'results.csv'}, meta.json and {', '.join(Path(f).name for f in figures)}."
        ]
        ag = agreement(rows)
        s_eq = self.equal_supports(config)
        if ag["with_exact"]:
            parts.append(
                f"Every target neuron has the same support (s = {s_eq}): the exact "
                f"P(Bin(N, p2 p1^{s_eq}) >= n) lies inside the measured 95% CI at {ag['inside']} of "
                f"{ag['with_exact']} points."
            )
        parts.append(
            f"Measured 95% CIs entirely above the masked upper bound: {ag['above_masked']} (above "
            f"P(Bin(N, p2) >= n): {ag['above_upper']}); entirely below the block lower bound: "
            f"{ag['below_lower']} (each a one-sided miss of probability <= 2.5% per point where the "
            "bound is tight, far less elsewhere)."
        )
        table = self.threshold_table(rows, config)
        fits = self.threshold_fits(table)
        found = [t for t in table if np.isfinite(t["measured"])]
        parts.append(
            f"Threshold N*/n (rate crosses 1/2) found at {len(found)} of {len(table)} sparsities; "
            f"fit N*/n ~ c x^b (95%): against x = 1/p2 {fit_text(fits['measured_vs_inv_p2'])}, "
            f"against 1/(p1 p2) {fit_text(fits['measured_vs_inv_p1p2'])}, against rho(p2) "
            f"{fit_text(fits['measured_vs_rho'])}."
        )
        if "exact_vs_rho" in fits:
            parts.append(
                f"Closed form over the same sparsities: {fit_text(fits['exact_vs_inv_p2'])} against "
                f"1/p2, {fit_text(fits['exact_vs_inv_p1p2'])} against 1/(p1 p2), "
                f"{fit_text(fits['exact_vs_rho'])} against rho(p2)."
            )
        parts.append(
            "Proven necessary factor: 1/p2 = rho(p2) + c with c in [0, 1] (docs/theory.md §4.3); "
            "nothing is proven about necessity for depth L+1 sources."
        )
        return " ".join(parts)


EXPERIMENT = register(LowerBoundExperiment())
