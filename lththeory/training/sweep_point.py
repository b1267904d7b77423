"""One grid point of ``--experiment train`` (docs/theory.md §7): the config's variant at one
(density, scheme), over the run's trials, and the dense baseline (imported by the experiment inside
``run_point``, so the sweep's parent process need not import torch)."""

from __future__ import annotations

import functools

import numpy as np

from ..stats import experiment_seedseq
from .data import load_dataset
from .loop import Task, TrainConfig
from .methods.common import MethodOptions
from .run import ModelSpec, Variant, dataset_task, run_trial, summarise, trial_seedseq

__all__ = ["config_parts", "dense_summary", "task_of", "train_point"]


@functools.lru_cache(maxsize=2)
def _task(dataset: str, seed: int, data_dir: str | None, max_train: int | None):
    rng = np.random.default_rng(experiment_seedseq(seed, "train-data"))
    ds = load_dataset(dataset, rng, data_dir, max_train)
    return dataset_task(ds), ds.n_classes


def task_of(config: dict) -> tuple[Task, int]:
    """The run's task and its number of classes (split from the run seed; cached per process)."""
    return _task(config["dataset"], config["seed"], config["data_dir"], config["max_train"])


def config_parts(config: dict) -> tuple[ModelSpec, TrainConfig, MethodOptions]:
    """The model, optimiser and method settings of a ``--experiment train`` config."""
    model = ModelSpec(config["model"], tuple(config["hidden"]))
    cfg = TrainConfig(config["epochs"], config["batch_size"], config["lr"])
    opts = MethodOptions(
        config["imp_fraction"],
        config["rewind_epoch"],
        config["snip_examples"],
        config["synflow_iterations"],
        config["score_lr"],
    )
    return model, cfg, opts


def _variant(config: dict, method: str, start: str, scheme: str) -> Variant:
    return Variant(
        method,
        start,
        scheme,
        config["er_density"],
        config["mask"],
        config["dense_first_layer"],
        config["exact"],
        config["min_fan_in"],
    )


def train_point(config: dict, density: float, scheme: str, ss: np.random.SeedSequence) -> dict:
    """The summary columns of the config's variant at (density, scheme) over ``config['trials']``
    seeds, trial t drawing from child t of ``ss``."""
    task, n_classes = task_of(config)
    model, cfg, opts = config_parts(config)
    variant = _variant(config, config["method"], config["start"], scheme)
    results = [
        r
        for t in range(config["trials"])
        for r in run_trial(
            task, n_classes, variant, [density], model, cfg, opts, trial_seedseq(ss, t)
        )
    ]
    row = summarise(results)
    row["planned_densities"] = ";".join(f"{p:.6g}" for p in results[0].planned)
    return row


def dense_summary(config: dict, ss: np.random.SeedSequence) -> dict:
    """The dense network (static from dense) over the run's trials, trial t from child t of
    ``ss``: :func:`summarise`'s columns plus ``planned_densities``."""
    task, n_classes = task_of(config)
    model, cfg, opts = config_parts(config)
    variant = _variant(config, "static", "dense", "uniform")
    results = [
        run_trial(task, n_classes, variant, [1.0], model, cfg, opts, trial_seedseq(ss, t))[0]
        for t in range(config["trials"])
    ]
    row = summarise(results)
    row["planned_densities"] = ";".join(f"{p:.6g}" for p in results[0].planned)
    return row
