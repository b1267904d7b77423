"""The journal of a sweep: every finished grid point appended, durably, as one JSON line
(docs/theory.md §6.2).

``journal.jsonl`` starts with a header naming its run (a hash of the run's parameters and grid,
the same as in ``meta.json``); each further line is ``{"i": grid index, "key": axis values,
"row": {column: value}}``, written with one ``write`` as soon as the point finishes, so a
finished row survives Ctrl-C, SIGTERM and SIGKILL (the kernel holds the written bytes). ``fsync``
follows at most :data:`FSYNC_INTERVAL_S` after a write and when the journal is closed, so a crash of
the whole machine loses at most that fraction of a second of rows, without paying a disk flush
(milliseconds) per point. A torn last line (the process killed mid-write) is dropped on reading. JSON keeps every int and float exactly, so
``results.csv`` built from the journal has the bytes of one built from the rows in memory.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._io import write_text_atomic
from .._validate import LTHInputError

__all__ = ["JOURNAL_NAME", "Journal", "plain"]

JOURNAL_NAME = "journal.jsonl"
_FORMAT = 1

FSYNC_INTERVAL_S = 0.25
"""Longest time a written row waits for its ``fsync`` (group commit)."""


def plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as plain Python numbers and lists (the types a
    JSON round trip gives back), so fresh and resumed rows format identically."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _scalar(value: Any) -> Any:
    """JSON for what ``json`` cannot write itself (numpy scalars and arrays)."""
    converted = plain(value)
    if converted is value:
        raise TypeError(f"cannot write {type(value).__name__} to the journal")
    return converted


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """An append-only, fsync-ed log of finished grid points (open it with :meth:`create` or
    :meth:`resume`)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd
        self._synced = time.monotonic()
        self._dirty = False

    @classmethod
    def create(cls, path: Path | str, run: str) -> Journal:
        """A new, empty journal for run ``run`` (replacing any earlier one)."""
        path = Path(path)
        header = json.dumps({"lththeory_journal": _FORMAT, "run": run}) + "\n"
        write_text_atomic(path, header)
        _fsync_dir(path.parent)
        return cls(path, os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC))

    @classmethod
    def resume(cls, path: Path | str, run: str) -> tuple[Journal, dict[int, tuple[list, dict]]]:
        """Open an existing journal of run ``run`` for appending; its entries by grid index.

        A torn last line is cut off the file; a header of another run, or a broken line before the
        last, is refused with one line.
        """
        path = Path(path)
        data = path.read_bytes()
        lines = data.split(b"\n")
        tail = lines.pop()  # after the last newline: b"" or a torn line
        good = len(data) - len(tail)
        try:
            header = json.loads(lines[0]) if lines else {}
        except ValueError:
            header = {}
        if header.get("lththeory_journal") != _FORMAT:
            raise LTHInputError(f"--resume: {path} is not a sweep journal (bad header)")
        if header.get("run") != run:
            raise LTHInputError(
                f"--resume: {path} belongs to another run than {path.parent / 'meta.json'} "
                "(their parameter hashes differ); rerun without --resume"
            )
        entries: dict[int, tuple[list, dict]] = {}
        for n, line in enumerate(lines[1:], start=2):
            try:
                e = json.loads(line)
                entries[int(e["i"])] = (list(e["key"]), dict(e["row"]))
            except (ValueError, KeyError, TypeError):
                if n == len(lines):  # the last complete line may be a torn write
                    good -= len(line) + 1
                    break
                raise LTHInputError(f"--resume: {path} line {n} is not a journal entry") from None
        if good < len(data):
            with open(path, "r+b") as f:
                f.truncate(good)
                f.flush()
                os.fsync(f.fileno())
        return cls(path, os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)), entries

    def append(self, entries: Iterable[tuple[int, list, dict]]) -> None:
        """Append (grid index, key, row) entries with one write (fsync-ed within
        :data:`FSYNC_INTERVAL_S`)."""
        if self._fd is None:
            raise RuntimeError("journal is closed")
        text = "".join(
            json.dumps({"i": i, "key": key, "row": row}, separators=(",", ":"), default=_scalar)
            + "\n"
            for i, key, row in entries
        )
        if not text:
            return
        data = text.encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        self._dirty = True
        if time.monotonic() - self._synced >= FSYNC_INTERVAL_S:
            self.sync()

    def sync(self) -> None:
        """Flush the written rows to disk (``fsync``)."""
        if self._fd is not None and self._dirty:
            os.fsync(self._fd)
            self._dirty = False
        self._synced = time.monotonic()

    def close(self) -> None:
        if self._fd is not None:
            self.sync()
            fd, self._fd = self._fd, None
            os.close(fd)
