"""The conv-target flags of the weak sweep (``--conv 3x3 --image 8x8 [--padding same] [--head
pool-linear]``; docs/theory.md §8.6): parsing into a JSON-serialisable spec, the random target it
names and its label. The experiment (:mod:`lththeory.experiments.weak`) only adds and dispatches.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from .._validate import LTHInputError, check_choice
from .network import ConvNetwork, parse_kernel, parse_padding, random_conv_target

__all__ = ["HEADS", "add_conv_arguments", "conv_label", "conv_spec", "conv_target"]

HEADS = ("none", "pool-linear")


def add_conv_arguments(p: argparse.ArgumentParser) -> None:
    """``--conv``, ``--image``, ``--padding``, ``--head`` (values as strings, checked by
    :func:`conv_spec`)."""
    p.add_argument(
        "--conv",
        default=None,
        help="kernel KxK: every target layer is a convolution (channels = --target, input first)",
    )
    p.add_argument("--image", default=None, help="input image size HxW with --conv (default 8x8)")
    p.add_argument(
        "--padding", default=None, help="zero padding with --conv: same (default), valid or N"
    )
    p.add_argument(
        "--head",
        default=None,
        help="with --conv: none (default; the last convolution is the output) or pool-linear "
        "(global average pool + linear layer; the last --target width is its outputs)",
    )


def conv_spec(args: argparse.Namespace, widths: Sequence[int]) -> dict | None:
    """The validated conv spec of the flags (None without ``--conv``); one-line errors naming the
    flag. The target it describes is built once to check that the image is large enough."""
    if args.conv is None:
        for flag in ("image", "padding", "head"):
            if getattr(args, flag) is not None:
                raise LTHInputError(f"--{flag} needs --conv (a kernel such as 3x3)")
        return None
    kernel = parse_kernel(args.conv, "--conv")
    if kernel[0] % 2 == 0 or kernel[1] % 2 == 0:
        raise LTHInputError(
            "--conv must be an odd kernel (the univariate layer keeps its centre entry), got "
            f"{kernel[0]}x{kernel[1]}"
        )
    image = parse_kernel("8x8" if args.image is None else args.image, "--image")
    pad_text = "same" if args.padding is None else str(args.padding)
    padding = parse_padding(
        int(pad_text) if pad_text.lstrip("-").isdigit() else pad_text, kernel, "--padding"
    )
    head = check_choice("none" if args.head is None else args.head, "--head", HEADS)
    if head == "pool-linear" and len(widths) < 3:
        raise LTHInputError(
            "--head pool-linear needs --target with at least 3 widths (input channels, "
            f"convolutions, outputs), got {len(widths)}"
        )
    spec = {"kernel": list(kernel), "image": list(image), "padding": list(padding), "head": head}
    try:
        conv_target(spec, widths, np.random.default_rng(0))
    except LTHInputError as e:
        raise LTHInputError(f"--image: {e}") from None
    return spec


def conv_target(
    spec: dict, widths: Sequence[int], rng: np.random.Generator, density: float = 1.0
) -> ConvNetwork:
    """The random conv target of a spec: U[-1, 1] kernel entries, U[-1/2, 1/2] biases, box [0, 1];
    with ``density`` q < 1 every kernel entry (and head weight) kept with probability q, every
    output channel keeping at least one."""
    return random_conv_target(
        widths,
        kernel=tuple(spec["kernel"]),
        image=tuple(spec["image"]),
        padding=tuple(spec["padding"]),
        density=density,
        head=spec["head"] == "pool-linear",
        seed=rng,
    )


def conv_label(spec: dict | None) -> str:
    """`` conv3x3 8x8 pad1x1`` (plus `` pool-linear``) for a spec; "" for None."""
    if not spec:
        return ""
    kh, kw = spec["kernel"]
    H, W = spec["image"]
    ph, pw = spec["padding"]
    head = " pool-linear" if spec["head"] == "pool-linear" else ""
    return f" conv{kh}x{kw} {H}x{W} pad{ph}x{pw}{head}"
