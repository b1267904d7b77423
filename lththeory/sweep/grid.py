"""The grid of a sweep: the swept axes' value lists and the fixed axes' single values, as points
(dicts axis -> value), in the order the axes are named on the command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from itertools import product
from typing import Any

from .._validate import LTHInputError
from ..experiments.base import Experiment

__all__ = ["build_grid", "grid_values", "parse_list"]


def parse_list(flag: str, text: str, parse: Callable[[str], Any]) -> list[Any]:
    """Parse a comma-separated flag value; errors name the flag."""
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not items:
        raise LTHInputError(f"--{flag} needs at least one value, got {text!r}")
    out = []
    for t in items:
        try:
            out.append(parse(t))
        except LTHInputError as e:
            raise LTHInputError(f"--{flag}: {e}") from None
    if len(set(out)) != len(out):
        raise LTHInputError(f"--{flag} lists a value twice: {text!r}")
    return out


def build_grid(exp: Experiment, args: argparse.Namespace) -> tuple[list[str], list[dict]]:
    """(the swept axes, every grid point): swept axes take their flag's list (or the axis default),
    the others a single value; points ordered with the first named axis varying slowest."""
    swept = list(args.axes)
    if len(swept) > 2:
        raise LTHInputError(f"AXIS: give one or two axes, got {len(swept)}: {' '.join(swept)}")
    for a in swept:
        if a not in exp.axes:
            raise LTHInputError(
                f"AXIS must be one of {', '.join(exp.axes)} for --experiment {exp.name}, got {a!r}"
            )
    if len(set(swept)) != len(swept):
        raise LTHInputError(f"AXIS: an axis is named twice: {' '.join(swept)}")
    values: dict[str, list] = {}
    for name, ax in exp.axes.items():
        raw = getattr(args, name)
        flag = name.replace("_", "-")  # the flag as documented (--target-support)
        if name in swept:
            values[name] = parse_list(flag, ax.default if raw is None else raw, ax.parse)
        else:
            vals = parse_list(flag, ax.fixed if raw is None else raw, ax.parse)
            if len(vals) != 1:
                raise LTHInputError(
                    f"--{flag} takes a single value unless '{name}' is a swept AXIS, got {raw!r}"
                )
            values[name] = vals
    names = list(exp.axes)
    points = [
        dict(zip(names, combo, strict=True)) for combo in product(*(values[n] for n in names))
    ]
    order = swept + [n for n in names if n not in swept]
    points.sort(key=lambda pt: tuple(values[n].index(pt[n]) for n in order))
    return swept, points


def grid_values(exp: Experiment, points: list[dict]) -> dict[str, list]:
    """Every axis's values in the order of the grid (what ``meta.json`` stores as ``grid``)."""
    out: dict[str, list] = {}
    for name in exp.axes:
        seen: list = []
        for pt in points:
            if pt[name] not in seen:
                seen.append(pt[name])
        out[name] = seen
    return out
