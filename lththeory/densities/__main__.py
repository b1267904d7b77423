"""``python -m lththeory.densities --scheme S (--density D | --sparsity S) [--clamp] SHAPE...``:
the per-layer densities of a global budget as a table (docs/theory.md §2)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._validate import LTHInputError, as_number, check_density, check_sparsity
from . import SCHEMES, density_table

__all__ = ["main"]


def _parse_shape(text: str) -> tuple[int, ...]:
    parts = text.lower().split("x")
    try:
        return tuple(int(t) for t in parts)
    except ValueError:
        raise LTHInputError(
            f"shape must be positive integers joined by 'x' (784x300, 64x3x3x3), got {text!r}"
        ) from None


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m lththeory.densities",
        description="Per-layer densities for a global density budget (docs/theory.md §2).",
    )
    ap.add_argument("--scheme", required=True, choices=SCHEMES, help="layer-wise density scheme")
    budget = ap.add_mutually_exclusive_group(required=True)
    budget.add_argument("--density", help="global density D in (0, 1] (fraction of weights kept)")
    budget.add_argument("--sparsity", help="global sparsity 1 - D in [0, 1) (fraction removed)")
    ap.add_argument(
        "--clamp",
        action="store_true",
        help="reference mode: clamp at 1 without redistributing (realised density falls short)",
    )
    ap.add_argument(
        "shapes", nargs="+", metavar="SHAPE", help="weight shape out x in or out x in x kh x kw"
    )
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table for ``--scheme S (--density D | --sparsity S) [--clamp] SHAPE...``.

    Returns 0 on success, 2 on bad input (one line ``error: ...`` on stderr).
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # argparse has already printed its message
        return e.code if isinstance(e.code, int) else 2
    try:
        if args.density is not None:
            density = check_density(as_number(args.density), "--density")
        else:
            density = 1.0 - check_sparsity(as_number(args.sparsity), "--sparsity")
        shapes = [_parse_shape(s) for s in args.shapes]
        table = density_table(shapes, density, args.scheme, exact=not args.clamp)
    except LTHInputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(table.format())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
