"""Sweep experiment ``planted``: a ticket exists -- does training find it? (docs/theory.md §7.5)

Axes: ``width`` (Theorem W's copy multiplier k) and ``sparsity`` (1 - p of every source layer;
p_1 = 1 with ``--dense-first-layer``). Per grid point and trial: the ER source of Theorem W for the
run's random teacher, trained as a masked student on the teacher's outputs, statically and by IMP
inside the mask; the rate at which it reaches the teacher's loss (relative test error <= --tolerance)
with its Clopper-Pearson interval, beside the count chain's probability that the construction's
ticket exists (``--ticket-trials`` draws, :func:`lththeory.weak.simulate_counts`) and the rate at
which the construction succeeds on the very masks that were trained.

torch is imported inside :meth:`PlantedExperiment.run_point` only.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np

from .._validate import LTHInputError, check_positive_int, check_positive_real
from ..plotting import plt, save_figure
from ..stats import child_seedseq, float_key, proportion
from ..weak import sample_source, simulate_counts, theorem_w_common_width
from .base import (
    BASE_COLUMNS,
    WidthSparsityExperiment,
    int_axis,
    measured,
    parse_widths,
    register,
    sparsity_axis,
    target_label,
)

__all__ = ["EXPERIMENT", "PlantedExperiment"]


class PlantedExperiment(WidthSparsityExperiment):
    """``--experiment planted``: how often training the masked student reaches the teacher."""

    name = "planted"
    theorem = "Theorem W"
    default_target = "2,4,1"
    default_trials = 20
    axes = {
        "width": int_axis("width", "1,2,4,8,16,32", "8", "copy multiplier k of the student"),
        "sparsity": sparsity_axis("0.5,0.8", "0.5", "sparsity 1 - p of every student layer"),
    }
    columns = [
        *BASE_COLUMNS,
        "imp_trials",
        "imp_successes",
        "imp_rate",
        "imp_ci_low",
        "imp_ci_high",
        "ticket_trials",
        "ticket_successes",
        "ticket_rate",
        "ticket_ci_low",
        "ticket_ci_high",
        "construct_rate",
        "static_error",
        "imp_error",
        "mask_weights",
        "imp_weights",
        "density",
        "first_layer_density",
        "tolerance",
        "target",
    ]
    figures = {"planted.png": "plot_planted"}

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        self.add_target_arguments(p, "teacher widths, input first (dense random)")
        p.add_argument("--tolerance", default="0.01", help="reached: relative test MSE <= this")
        p.add_argument("--ticket-trials", default="2000", help="count-chain draws per point")
        p.add_argument("--epochs", default="100", help="training epochs (per IMP round)")
        p.add_argument("--n-train", default="2048", help="training points in the box")
        p.add_argument("--lr", default="0.003", help="Adam learning rate (cosine decay)")
        p.add_argument("--imp-keep", default="0.5", help="IMP keeps this fraction of the mask")
        p.add_argument("--imp-fraction", default="0.5", help="IMP: fraction pruned per round")

    def configure(self, args: argparse.Namespace, common: dict) -> dict:
        if importlib.util.find_spec("torch") is None:
            raise LTHInputError('--experiment planted needs torch: pip install -e ".[train]"')
        keep = check_positive_real(args.imp_keep, "--imp-keep")
        frac = check_positive_real(args.imp_fraction, "--imp-fraction")
        if keep >= 1 or frac >= 1:
            raise LTHInputError("--imp-keep and --imp-fraction must be in (0, 1)")
        return {
            "target": parse_widths(args.target, "--target"),
            "dense_first_layer": bool(args.dense_first_layer),
            "tolerance": check_positive_real(args.tolerance, "--tolerance"),
            "ticket_trials": check_positive_int(args.ticket_trials, "--ticket-trials"),
            "epochs": check_positive_int(args.epochs, "--epochs"),
            "n_train": check_positive_int(args.n_train, "--n-train"),
            "lr": check_positive_real(args.lr, "--lr"),
            "imp_keep": keep,
            "imp_fraction": frac,
        }

    def run_point(self, point: dict, config: dict) -> dict:
        from ..training.planted import PlantedConfig, planted_task, train_student

        k, s = int(point["width"]), float(point["sparsity"])
        teacher = self.target(config)
        dens = self.densities(config, s)
        ss = self.seedseq(config, k, float_key(s))
        pc = PlantedConfig(
            n_train=config["n_train"],
            epochs=config["epochs"],
            lr=config["lr"],
            tolerance=config["tolerance"],
            imp_keep=config["imp_keep"],
            imp_fraction=config["imp_fraction"],
        )
        trials = []
        for t in range(config["trials"]):
            st = child_seedseq(ss, t)
            rng = np.random.Generator(np.random.PCG64(child_seedseq(st, 0)))
            source = sample_source(teacher, k, dens, rng)
            task = planted_task(teacher, pc, rng)
            trials.append(train_student(teacher, source, task, pc, child_seedseq(st, 1)))
        n = len(trials)
        static = proportion(sum(t.static_reached for t in trials), n)
        imp = proportion(sum(t.imp_reached for t in trials), n)
        ok = simulate_counts(teacher, k, dens, child_seedseq(ss, 2**20), config["ticket_trials"])
        ticket = proportion(int(ok.sum()), len(ok))
        return {
            "experiment": self.name,
            "width": k,
            "sparsity": s,
            **measured(static),
            **{f"imp_{c}": v for c, v in measured(imp).items()},
            **{f"ticket_{c}": v for c, v in measured(ticket).items()},
            "theory_width": theorem_w_common_width(teacher, dens, config["delta"]),
            "seed": config["seed"],
            "construct_rate": float(np.mean([t.ticket_in_mask for t in trials])),
            "static_error": float(np.median([t.static_error for t in trials])),
            "imp_error": float(np.median([t.imp_error for t in trials])),
            "mask_weights": float(np.mean([t.mask_weights for t in trials])),
            "imp_weights": float(np.mean([t.imp_weights for t in trials])),
            "density": dens[1],
            "first_layer_density": dens[0],
            "tolerance": config["tolerance"],
            "target": target_label(config),
        }

    def plot_planted(self, rows: list[dict], config: dict, path: Path | str) -> str:
        """Per sparsity: P(a ticket exists) (count chain, band) and the rates at which static and
        IMP training reach the teacher's loss (95 % Clopper-Pearson bars), against k."""
        sps = sorted({r["sparsity"] for r in rows})
        fig, axes = plt.subplots(1, len(sps), figsize=(5.2 * len(sps), 4.2), squeeze=False)
        for ax, s in zip(axes[0], sps, strict=True):
            rs = sorted((r for r in rows if r["sparsity"] == s), key=lambda r: r["width"])
            k = np.array([r["width"] for r in rs], float)
            ax.fill_between(
                k,
                [r["ticket_ci_low"] for r in rs],
                [r["ticket_ci_high"] for r in rs],
                color="gray",
                alpha=0.3,
            )
            ax.plot(k, [r["ticket_rate"] for r in rs], "k-", label="a ticket exists (count chain)")
            for key, lab, off, c in (
                ("", "static", 0.97, "C0"),
                ("imp_", "IMP in mask", 1.03, "C1"),
            ):
                y = np.array([r[f"{key}rate"] for r in rs])
                err = np.array(
                    [y - [r[f"{key}ci_low"] for r in rs], [r[f"{key}ci_high"] for r in rs] - y]
                )
                ax.errorbar(
                    k * off,
                    y,
                    yerr=err,
                    fmt="o",
                    capsize=3,
                    color=c,
                    label=f"{lab} reaches teacher",
                )
            ax.set_xscale("log")
            ax.set_ylim(-0.03, 1.03)
            ax.set_xlabel("copy multiplier k (log scale)")
            ax.set_title(f"sparsity {s:g}")
        axes[0][0].set_ylabel("probability")
        axes[0][0].legend(fontsize=7, loc="lower right")
        fig.suptitle(
            f"Planted tickets: teacher {target_label(config)}, relative error <= "
            f"{config['tolerance']:g}, {rows[0]['trials']} students/point"
        )
        fig.tight_layout()
        return save_figure(fig, path)

    def summarize(
        self, rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float
    ) -> str:
        what = f"Planted-ticket sweep (teacher {target_label(config)}"
        parts = [self.opening(what, rows, config, outdir, figures, wall)]
        gaps = [r["ticket_rate"] - r["rate"] for r in rows]
        worst = rows[int(np.argmax(gaps))]
        parts.append(
            f"Largest gap between 'a ticket exists' and 'static training reaches the teacher': "
            f"{max(gaps):.2f} at k = {worst['width']}, sparsity {worst['sparsity']:g} "
            f"({worst['ticket_rate']:.2f} vs {worst['rate']:.2f})."
        )
        return " ".join(parts)


EXPERIMENT = register(PlantedExperiment())
