"""The ``--method`` and ``--mask`` flags of the weak experiments (docs/theory.md §3.9): Bernoulli (ER)
masks, the theory's model, measured by the exact count chain or explicit masks; fixed-count masks
(what torch.nn.utils.prune and jaxpruner produce), for which the count chain does not hold, measured
by explicit masks only."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial

import numpy as np

from .._validate import LTHInputError, check_choice
from ..conv import simulate_masks as simulate_conv_masks
from ..weak import simulate_counts, simulate_masks

__all__ = [
    "MASKS",
    "METHODS",
    "add_mask_arguments",
    "mask_config",
    "mask_kind",
    "mask_note",
    "simulator",
]

METHODS = ("counts", "masks")

#: ``--mask`` values and the mask kind of :func:`lththeory.masks.sample_mask` each names
MASKS = {"bernoulli": "bernoulli", "fixed-count": "fixed"}


def add_mask_arguments(p: argparse.ArgumentParser) -> None:
    """``--method counts|masks`` and ``--mask bernoulli|fixed-count`` of the weak experiments."""
    p.add_argument(
        "--method",
        default=None,
        help="counts (exact count chain) or masks (explicit masks); fixed-count masks run masks "
        "only (default: counts)",
    )
    p.add_argument(
        "--mask",
        default=None,
        help="bernoulli (ER, the theory's model) or fixed-count (exactly round(p*size) kept entries "
        "per layer, as torch.nn.utils.prune and jaxpruner; runs --method masks, since the count "
        "chain needs independent Bernoulli entries) (default: bernoulli)",
    )


def mask_config(args: argparse.Namespace) -> dict:
    """``{"method": ...}`` plus ``{"mask": "fixed-count"}`` for fixed-count masks (Bernoulli
    configs stay as before, so their --resume is unchanged); fixed-count masks run explicit masks
    only, and ``--method counts`` with them is refused."""
    mask = check_choice("bernoulli" if args.mask is None else args.mask, "--mask", tuple(MASKS))
    default = "masks" if mask == "fixed-count" else "counts"
    method = check_choice(default if args.method is None else args.method, "--method", METHODS)
    if mask == "fixed-count" and method != "masks":
        raise LTHInputError(
            "--mask fixed-count needs --method masks (the count chain assumes independent "
            "Bernoulli mask entries; fixed-count masks are simulated explicitly)"
        )
    return {"method": method} | ({"mask": mask} if mask != "bernoulli" else {})


def mask_kind(config: dict) -> str:
    """The :func:`lththeory.masks.sample_mask` kind of a config (``"bernoulli"`` or ``"fixed"``)."""
    return MASKS[config.get("mask", "bernoulli")]


def mask_note(config: dict, checks: bool = True) -> str:
    """The summary's sentence on fixed-count masks ("" for Bernoulli masks); ``checks``: the
    experiment has bound checks, which it leaves blank for them."""
    if config.get("mask") != "fixed-count":
        return ""
    theorems = (
        "the theorems' widths are shown for comparison, their checks are left blank"
        if checks
        else "Theorem W''s width is shown for comparison only"
    )
    return (
        "Fixed-count masks (exactly round(p*size) kept entries per layer): the count chain's "
        "independence does not hold for them, so every point ran explicit masks (--method masks); "
        f"{theorems} (Theorems W and W' are proven for Bernoulli masks)."
    )


def simulator(config: dict) -> Callable[..., np.ndarray]:
    """The config's simulator ``(target, k, densities, ss, trials, max_failures=None)``: the count
    chain (it reads any target's fan-in), or explicit masks of the config's kind (conv masks for
    ``--conv`` targets)."""
    if config["method"] == "counts":
        return simulate_counts
    masks = simulate_conv_masks if config.get("conv") else simulate_masks
    return partial(masks, kind=mask_kind(config))
