"""The files of a sweep's output folder (docs/theory.md §6.2): checking and creating the folder,
``results.csv`` (written atomically, rows in grid order), ``meta.json`` (parameters and status),
clearing what an earlier run or a killed process left, and reading results back.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from .._io import write_text_atomic
from .._validate import LTHInputError

__all__ = [
    "RESULTS_NAME",
    "META_NAME",
    "clean_stale_files",
    "csv_text",
    "parse_value",
    "prepare_folder",
    "read_csv",
    "read_meta",
    "remove_files",
    "write_csv_atomic",
    "write_meta",
]

RESULTS_NAME = "results.csv"
META_NAME = "meta.json"


def prepare_folder(text: object, flag: str = "--out") -> Path:
    """The output folder named by ``text``, created if needed; one line naming ``flag`` when it is
    empty, a file, below a file, or cannot be created or written."""
    if not isinstance(text, (str, os.PathLike)) or not str(text).strip():
        raise LTHInputError(f"{flag} must name a folder, got {str(text)!r}")
    path = Path(text).expanduser()
    for parent in [path, *path.parents]:
        if parent.exists() and not parent.is_dir():
            what = "is a file" if parent == path else f"lies under {parent}, which is a file"
            raise LTHInputError(f"{flag} must be a folder, but {path} {what}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise LTHInputError(f"{flag}: cannot create folder {path}: {reason}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise LTHInputError(f"{flag}: folder {path} is not writable")
    probe = path / f".write-test.{os.getpid()}.tmp"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        reason = e.strerror or errno.errorcode.get(e.errno or 0, type(e).__name__)
        raise LTHInputError(f"{flag}: cannot write in folder {path}: {reason}") from None
    return path


def clean_stale_files(folder: Path) -> list[str]:
    """Remove temporary files that a killed sweep left in ``folder`` (``.NAME.*.tmp`` from atomic
    writes, ``.write-test.*.tmp``); call it holding the folder's lock. Their names."""
    gone = []
    for p in folder.glob(".*.tmp"):
        if p.is_file():
            try:
                p.unlink()
                gone.append(p.name)
            except FileNotFoundError:  # pragma: no cover - removed meanwhile
                pass
    return gone


def remove_files(folder: Path, names: Iterable[str]) -> None:
    """Remove the named files of ``folder`` (plain names only: nothing outside it is touched)."""
    for name in names:
        if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
            continue
        p = folder / name
        if p.is_file():
            p.unlink()


def csv_text(columns: Sequence[str], rows: Iterable[dict]) -> str:
    """The CSV of ``rows`` (None as an empty cell, ``\\n`` line ends)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: ("" if r.get(c) is None else r.get(c)) for c in columns})
    return buf.getvalue()


def write_csv_atomic(path: Path, columns: Sequence[str], rows: Sequence[dict]) -> None:
    """Write a CSV by writing a temporary file in the same folder and renaming it over ``path``."""
    write_text_atomic(path, csv_text(columns, rows))


def write_meta(path: Path, meta: dict) -> None:
    """``meta.json``, atomically."""
    write_text_atomic(path, json.dumps(meta, indent=2) + "\n")


def read_meta(path: Path) -> dict | None:
    """``meta.json`` as a dict; None when it is missing or unreadable."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


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
