"""The random targets of the weak sweeps (docs/theory.md §3.5, §3.9, §8.6): fully connected (dense,
with a first-layer support s, or with a target density q) and convolutional, each drawn once per
process from the run seed's ``"target"`` key and the values that name it."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np

from .._validate import LTHInputError, check_positive_int
from ..conv.flags import conv_target
from ..network import ReLUNetwork, random_target
from ..stats import experiment_seedseq, float_key

__all__ = [
    "check_supports",
    "config_target",
    "parse_support",
    "sweep_conv_target",
    "sweep_target",
]


def parse_support(text: str) -> str | int:
    """A ``target_support`` value: ``dense`` or s >= 1 (checked against the input count by the
    experiment)."""
    return "dense" if str(text).strip() == "dense" else check_positive_int(text, "target_support")


@lru_cache(maxsize=256)
def sweep_target(
    widths: tuple[int, ...], seed: int, support: str | int = "dense", density: float = 1.0
) -> ReLUNetwork:
    """The random fully connected target of a sweep (U[-1, 1] weights, U[-1/2, 1/2] biases, box
    [-1, 1]^d), drawn once per process and arguments (callers do not modify it): dense from the run
    seed's ``"target"`` key (shared by the weak and strong sweeps); with a first-layer ``support`` s
    (every first-layer neuron reads exactly s inputs) from key (s,); with a target ``density`` q < 1
    (an ER support, every neuron keeping at least one in-edge; docs/theory.md §3.9) from key
    (s or 0, q), so the dense and support-only targets of earlier runs are unchanged."""
    if density < 1.0:
        key: tuple[int, ...] = (0 if support == "dense" else int(support), float_key(density))
    else:
        key = () if support == "dense" else (int(support),)
    rng = np.random.default_rng(experiment_seedseq(seed, "target", *key))
    s = None if support == "dense" else int(support)
    net = random_target(widths, density=density, seed=rng, first_layer_support=s)
    for a in (*net.weights, *net.biases):
        a.flags.writeable = False  # shared by every point: a write would be a bug
    return net


@lru_cache(maxsize=16)
def sweep_conv_target(spec: str, widths: tuple[int, ...], seed: int, density: float = 1.0):
    """The random conv target of a (JSON) conv spec (docs/theory.md §8.6): dense from the
    ``"target"`` key, with a kernel-entry density q < 1 from key (0, q)."""
    key = () if density >= 1.0 else (0, float_key(density))
    rng = np.random.default_rng(experiment_seedseq(seed, "target", *key))
    return conv_target(json.loads(spec), widths, rng, density=density)


def config_target(config: dict, support: str | int = "dense", density: float = 1.0):
    """The random target of a weak experiment's config: fully connected (:func:`sweep_target`), or
    with ``--conv`` a conv target (:func:`sweep_conv_target`)."""
    if config.get("conv"):
        spec = json.dumps(config["conv"], sort_keys=True)
        return sweep_conv_target(spec, tuple(config["target"]), config["seed"], density)
    return sweep_target(tuple(config["target"]), config["seed"], support, density)


def check_supports(points: list[dict], config: dict) -> None:
    """Refuse a first-layer support beyond the target's inputs, or with a conv target."""
    d = config["target"][0]
    for pt in points:
        s = pt.get("target_support", "dense")
        if s != "dense" and config.get("conv"):
            raise LTHInputError(
                f"--target-support needs a fully connected target (drop --conv), got {s}"
            )
        if s != "dense" and s > d:
            raise LTHInputError(
                f"--target-support must be 'dense' or in [1, {d}] (the target's inputs), got {s}"
            )
