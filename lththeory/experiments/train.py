"""Sweep experiment for claim 4: training inside fixed ER masks (docs/theory.md §7).

Axes: ``density`` (the global target density D of the trained network) and ``scheme`` (the
layer-wise densities of the ER mask, docs/theory.md §2). Per grid point: ``--trials`` seeds of one
variant (``--method`` from ``--start dense`` or inside an ER mask), test accuracy with its 95 %
t-interval over seeds, realised densities, epochs, seconds, training FLOPs and weight updates, and
the dense network's accuracy over the same number of seeds (the band of ``phase.png``;
``--method static --start dense`` is the dense network itself and reports it at every point).

torch is imported inside :meth:`TrainExperiment.run_point` only, so ``--experiment weak`` never
imports it.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import zlib
from pathlib import Path

import numpy as np

from .._validate import (
    LTHInputError,
    check_choice,
    check_density,
    check_positive_int,
    check_positive_real,
    check_widths,
)
from ..densities import SCHEMES
from ..plotting import accuracy_band, interval_errors, plt, save_figure
from ..stats import experiment_seedseq, float_key
from ..training.data import DATASETS, check_available
from ..training.methods import STARTS, method_entry
from .base import Axis, Experiment, register

__all__ = ["EXPERIMENT", "TrainExperiment", "parse_density", "parse_scheme"]

TRAIN_EXTRA = 'pip install -e ".[train]"'


def parse_density(text: object) -> float:
    """A global target density in [1e-6, 1] (the ``density`` axis)."""
    d = check_density(text, "density")
    if d < 1e-6:
        raise LTHInputError(f"density must be in [1e-06, 1], got {text}")
    return d


def parse_scheme(text: object) -> str:
    """A layer-wise density scheme (the ``scheme`` axis)."""
    return check_choice(str(text).strip(), "scheme", SCHEMES)


def _float(text: object, flag: str) -> float:
    return check_positive_real(text, flag)


class TrainExperiment(Experiment):
    """``--experiment train``: accuracy of a training method inside ER masks against density."""

    name = "train"
    default_trials = 3
    axes = {
        "density": Axis(
            parse_density,
            "0.2,0.1,0.05,0.02,0.01",
            "0.1",
            "global density D of the trained network (comma-separated list)",
        ),
        "scheme": Axis(
            parse_scheme,
            ",".join(SCHEMES),
            "balanced",
            f"layer-wise densities of the ER mask: {', '.join(SCHEMES)}",
        ),
    }
    columns = [
        "experiment",
        "density",
        "scheme",
        "dataset",
        "method",
        "start",
        "model",
        "trials",
        "accuracy",
        "ci_low",
        "ci_high",
        "accuracy_std",
        "val_accuracy",
        "realised_density",
        "layer_densities",
        "planned_densities",
        "start_density",
        "er_density",
        "epochs",
        "train_seconds",
        "train_flops",
        "weight_updates",
        "dense_accuracy",
        "dense_ci_low",
        "dense_ci_high",
        "seed",
    ]
    figures = {"phase.png": "plot_phase"}

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--dataset", default="digits", help=f"one of {', '.join(DATASETS)}")
        p.add_argument("--data-dir", default=None, help="folder of the Fashion-MNIST IDX files")
        p.add_argument("--method", default="static", help="static, imp, snip, synflow, edge-popup")
        p.add_argument("--start", default="er", help="dense or er (inside a fixed ER mask)")
        p.add_argument("--model", default="mlp", help="mlp or cnn")
        p.add_argument("--hidden", default="100,100", help="hidden widths of the MLP")
        p.add_argument("--epochs", default="20", help="training epochs (per IMP round)")
        p.add_argument("--batch-size", default="64", help="minibatch size")
        p.add_argument("--lr", default="0.01", help="Adam learning rate (cosine decay)")
        p.add_argument(
            "--er-density", default="0.5", help="density of the ER mask a pruning method starts in"
        )
        p.add_argument("--mask", default="bernoulli", help="bernoulli (ER) or fixed-count")
        p.add_argument("--dense-first-layer", action="store_true", help="keep layer 1 dense")
        p.add_argument(
            "--reference-densities",
            action="store_true",
            help="the paper's clamp-only ERK/balanced densities (default: exact redistribution)",
        )
        p.add_argument("--min-fan-in", default="0", help="in-edges every unit keeps at least")
        p.add_argument("--imp-fraction", default="0.2", help="IMP: fraction pruned per round")
        p.add_argument("--rewind-epoch", default="1", help="IMP: rewind to this epoch (0: init)")
        p.add_argument("--snip-examples", default="512", help="SNIP: examples in its batch")
        p.add_argument("--synflow-iterations", default="100", help="SynFlow: pruning rounds")
        p.add_argument("--score-lr", default="0.01", help="edge-popup: learning rate of scores")
        p.add_argument("--max-train", default=None, help="use only this many training examples")

    def configure(self, args: argparse.Namespace, common: dict) -> dict:
        if importlib.util.find_spec("torch") is None:
            raise LTHInputError(f"--experiment train needs torch: install it with {TRAIN_EXTRA}")
        dataset = check_choice(args.dataset, "--dataset", DATASETS)
        check_available(dataset, args.data_dir)
        method_entry(args.method)
        fraction = _float(args.imp_fraction, "--imp-fraction")
        if fraction >= 1:
            raise LTHInputError(f"--imp-fraction must be in (0, 1), got {args.imp_fraction}")
        config = {
            "dataset": dataset,
            "data_dir": None if args.data_dir is None else str(args.data_dir),
            "method": args.method,
            "start": check_choice(args.start, "--start", STARTS),
            "model": check_choice(args.model, "--model", ("mlp", "cnn")),
            "hidden": list(check_widths(str(args.hidden).split(","), "--hidden", min_len=1)),
            "epochs": check_positive_int(args.epochs, "--epochs"),
            "batch_size": check_positive_int(args.batch_size, "--batch-size"),
            "lr": _float(args.lr, "--lr"),
            "er_density": check_density(args.er_density, "--er-density"),
            "mask": check_choice(args.mask, "--mask", ("bernoulli", "fixed-count")),
            "dense_first_layer": bool(args.dense_first_layer),
            "exact": not args.reference_densities,
            "min_fan_in": check_positive_int(args.min_fan_in, "--min-fan-in", minimum=0),
            "imp_fraction": fraction,
            "rewind_epoch": check_positive_int(args.rewind_epoch, "--rewind-epoch", minimum=0),
            "snip_examples": check_positive_int(args.snip_examples, "--snip-examples"),
            "synflow_iterations": check_positive_int(
                args.synflow_iterations, "--synflow-iterations"
            ),
            "score_lr": _float(args.score_lr, "--score-lr"),
            "max_train": None
            if args.max_train is None
            else check_positive_int(args.max_train, "--max-train"),
        }
        if config["rewind_epoch"] >= config["epochs"]:
            raise LTHInputError(
                f"--rewind-epoch must be below --epochs = {config['epochs']}, got "
                f"{config['rewind_epoch']}"
            )
        return config

    def check_grid(self, points: list[dict], config: dict) -> None:
        """Refuse densities above --er-density for a pruning method inside an ER mask."""
        if config["start"] == "er" and method_entry(config["method"]).prunes:
            bad = [p["density"] for p in points if p["density"] > config["er_density"]]
            if bad:
                raise LTHInputError(
                    f"--density {bad[0]:g} is above --er-density {config['er_density']:g}: a "
                    "method inside an ER mask can only remove entries of the mask"
                )

    def point_seedseq(self, config: dict, density: float, scheme: str) -> np.random.SeedSequence:
        """Grid point (D, scheme): key (float_key(D), crc32(scheme)); trial t is its child t."""
        return self.seedseq(config, float_key(density), zlib.crc32(scheme.encode()))

    def run_point(self, point: dict, config: dict) -> dict:
        from ..training.sweep_point import train_point  # torch is imported here, not above

        d, scheme = float(point["density"]), str(point["scheme"])
        dense = _dense_baseline(json.dumps(config, sort_keys=True))
        if (config["method"], config["start"]) == ("static", "dense"):
            row = dict(dense)  # the dense network itself: density and scheme do not enter
        else:
            row = train_point(config, d, scheme, self.point_seedseq(config, d, scheme))
        return {
            "experiment": self.name,
            "density": d,
            "scheme": scheme,
            "dataset": config["dataset"],
            "method": config["method"],
            "start": config["start"],
            "model": _model_label(config),
            **row,
            # the ER mask a pruning method starts in (static trains the ER mask at the target)
            "er_density": config["er_density"]
            if config["start"] == "er" and method_entry(config["method"]).prunes
            else "",
            "dense_accuracy": dense["accuracy"],
            "dense_ci_low": dense["ci_low"],
            "dense_ci_high": dense["ci_high"],
            "seed": config["seed"],
        }

    def plot_phase(self, rows: list[dict], config: dict, path: Path | str) -> str:
        """Test accuracy against density (log axis), one line per scheme with its t-intervals,
        the dense network's accuracy as a band."""
        fig, ax = plt.subplots(figsize=(7.5, 4.8))
        r0 = rows[0]
        accuracy_band(
            ax,
            r0["dense_accuracy"],
            r0["dense_ci_low"],
            r0["dense_ci_high"],
            "dense network (95% CI)",
        )
        for scheme in [s for s in SCHEMES if any(r["scheme"] == s for r in rows)]:
            rs = sorted((r for r in rows if r["scheme"] == scheme), key=lambda r: r["density"])
            x = np.array([r["realised_density"] for r in rs])
            y = np.array([r["accuracy"] for r in rs])
            ax.errorbar(x, y, yerr=interval_errors(rs), marker="o", capsize=3, label=scheme)
        ax.set_xscale("log")
        ax.set_xlabel("realised global density (log scale)")
        ax.set_ylabel("test accuracy")
        ax.set_title(
            f"{config['method']} from {config['start']} on {config['dataset']} "
            f"({_model_label(config)}), {r0['trials']} seeds/point"
        )
        ax.legend(fontsize=8)
        fig.tight_layout()
        return save_figure(fig, path)

    def summarize(
        self, rows: list[dict], config: dict, outdir: Path, figures: list[str], wall: float
    ) -> str:
        what = (
            f"Training sweep ({config['method']} from {config['start']} on {config['dataset']}, "
            f"{_model_label(config)}"
        )
        parts = [self.opening(what, rows, config, outdir, figures, wall)]
        r0 = rows[0]
        ci = (
            f" [{r0['dense_ci_low']:.4f}, {r0['dense_ci_high']:.4f}]"
            if r0["dense_ci_low"] is not None
            else ""
        )
        parts.append(f"Dense network: accuracy {r0['dense_accuracy']:.4f}{ci}.")
        dmin = min(r["density"] for r in rows)
        at = [r for r in rows if r["density"] == dmin]
        parts.append(
            f"At density {dmin:g}: "
            + ", ".join(f"{r['scheme']} {r['accuracy']:.4f}" for r in at)
            + "."
        )
        return " ".join(parts)


def _model_label(config: dict) -> str:
    if config["model"] == "cnn":
        return "cnn"
    return "mlp " + "-".join(map(str, config["hidden"]))


@functools.lru_cache(maxsize=4)
def _dense_baseline(config_json: str) -> dict:
    """The dense network over the run's trials, seeded by (``"train"``, 0) (computed once per
    process; ``--method static --start dense`` reports it at every grid point)."""
    from ..training.sweep_point import dense_summary

    config = json.loads(config_json)
    return dense_summary(config, experiment_seedseq(config["seed"], "train", 0))


EXPERIMENT = register(TrainExperiment())
