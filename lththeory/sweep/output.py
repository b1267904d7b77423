"""The files of a sweep: ``results.csv`` (rewritten atomically) and ``meta.json``, and reading them
back for ``--resume`` (docs/theory.md §6.2)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from .._io import write_text_atomic

__all__ = ["parse_value", "read_csv", "write_csv_atomic", "write_meta"]


def write_csv_atomic(path: Path, columns: Sequence[str], rows: Sequence[dict]) -> None:
    """Write a CSV by writing a temporary file in the same folder and renaming it over ``path``."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: ("" if r.get(c) is None else r.get(c)) for c in columns})
    write_text_atomic(path, buf.getvalue())


def write_meta(path: Path, meta: dict) -> None:
    """``meta.json``, atomically."""
    write_text_atomic(path, json.dumps(meta, indent=2) + "\n")


def parse_value(text: str) -> int | float | str | None:
    """A CSV cell back as written: "" -> None, then int, then float, else the string itself."""
    if text in ("", None):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def read_csv(path: Path | str) -> list[dict[str, str]]:
    """Rows of a results.csv as dicts of strings."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
