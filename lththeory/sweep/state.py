"""A run's state in its output folder (docs/theory.md §6.2): starting fresh or resuming, the rows
finished so far (from the journal), ``results.csv`` in grid order and ``meta.json``'s status.

A run is named by a hash of its parameters and grid (``run`` in ``meta.json`` and in the journal's
header). ``--resume`` continues a run only when the stored parameters and grid equal the given ones;
otherwise it refuses, naming the first parameter that differs and both values. A fresh run first
removes what the folder's previous run wrote (its results, journal and the files its meta.json
lists), so no stale figure or fit survives beside new results.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from .._validate import LTHInputError
from ..experiments.base import Experiment
from .journal import JOURNAL_NAME, Journal, plain
from .output import (
    META_NAME,
    RESULTS_NAME,
    clean_stale_files,
    read_meta,
    remove_files,
    write_csv_atomic,
    write_meta,
)

__all__ = ["RunFolder", "first_difference", "now", "run_hash"]


def _canonical(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples as lists, numpy scalars as numbers)."""
    return json.loads(json.dumps(plain(value)))


def run_hash(config: dict, grid: dict) -> str:
    """A short hash naming a run: its parameters and its grid."""
    text = json.dumps({"config": _canonical(config), "grid": _canonical(grid)}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def first_difference(stored: dict, given: dict) -> tuple[str, Any, Any] | None:
    """The first key (in ``given``'s order, then ``stored``'s) whose values differ, with both
    values (``None`` for a missing one); None when the dicts are equal."""
    given, stored = _canonical(given), _canonical(stored)
    for key in [*given, *(k for k in stored if k not in given)]:
        if stored.get(key) != given.get(key):
            return key, stored.get(key), given.get(key)
    return None


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "'" + ",".join(str(v) for v in value) + "'"
    return repr(value)


class RunFolder:
    """The output folder of one run; call :meth:`open` holding the folder's lock.

    ``names`` maps a config key to the flag that sets it (for messages); ``meta`` is the run's
    description (command, version, ...), completed here with the run hash, config and grid.
    """

    def __init__(
        self,
        folder: Path,
        exp: Experiment,
        config: dict,
        grid: dict[str, list],
        points: list[dict],
        meta: dict,
        names: dict[str, str],
    ) -> None:
        self.folder = folder
        self.exp = exp
        self.config = config
        self.grid = grid
        self.points = points
        self.names = names
        self.csv = folder / RESULTS_NAME
        self.meta_path = folder / META_NAME
        self.journal_path = folder / JOURNAL_NAME
        self.run = run_hash(config, grid)
        self.meta = {**meta, "run": self.run, "config": config, "grid": grid}
        self.rows: dict[int, dict] = {}
        self.journal: Journal | None = None

    # --- opening
    def open(self, resume: bool) -> dict[int, dict]:
        """Start (or, with ``resume``, continue) the run; the rows already finished."""
        clean_stale_files(self.folder)
        old = read_meta(self.meta_path)
        if resume and old is not None:
            self._check_same(old)
            self.journal, entries = self._resume_journal()
            for i, (key, row) in entries.items():
                if not (0 <= i < len(self.points)) or key != _canonical(self._key(i)):
                    raise LTHInputError(
                        f"--resume: {self.journal_path} holds a row for grid point {i} {key} that "
                        "is not in this grid; rerun without --resume"
                    )
                self.rows[i] = row
            self.meta["started"] = old.get("started")
            self.meta["resumed"] = now()
        else:
            stale = [RESULTS_NAME, JOURNAL_NAME]
            if old is not None and isinstance(old.get("files"), list):
                stale += old["files"]
            remove_files(self.folder, stale)
            self.journal = Journal.create(self.journal_path, self.run)
            self.meta["started"] = now()
        self.set_status("running", pid=os.getpid())
        return dict(self.rows)

    def _flag(self, key: str) -> str:
        return self.names.get(key, f"parameter {key!r}")

    def _check_same(self, old: dict) -> None:
        where = f"the run in {self.folder}"
        if "grid" not in old or "run" not in old:
            raise LTHInputError(
                f"--resume: {where} was written by an older lththeory (no journal); rerun without "
                "--resume"
            )
        diff = first_difference(old.get("config") or {}, self.config)
        if diff is not None:
            diff = (self._flag(diff[0]), diff[1], diff[2])
        else:
            diff = first_difference(old.get("grid") or {}, self.grid)
            if diff is not None:
                diff = (f"--{diff[0]}", diff[1], diff[2])
        if diff is not None:
            flag, a, b = diff
            raise LTHInputError(
                f"--resume: {flag} differs from {where} (stored {_show(a)}, given {_show(b)}); "
                "use the same parameters, or rerun without --resume to start over"
            )

    def _resume_journal(self) -> tuple[Journal, dict[int, tuple[list, dict]]]:
        if self.journal_path.exists():
            return Journal.resume(self.journal_path, self.run)
        return Journal.create(self.journal_path, self.run), {}

    def _key(self, i: int) -> list:
        return [self.points[i][a] for a in self.exp.axes]

    # --- recording
    def record(self, batch: list[tuple[int, dict]]) -> None:
        """Append finished points to the journal (durably), then keep them."""
        assert self.journal is not None
        self.journal.append([(i, self._key(i), row) for i, row in batch])
        for i, row in batch:
            self.rows[i] = row

    def ordered_rows(self) -> list[dict]:
        return [self.rows[i] for i in sorted(self.rows)]

    def write_results(self) -> None:
        """results.csv with every finished row in grid order (atomically)."""
        write_csv_atomic(self.csv, self.exp.columns, self.ordered_rows())

    def set_status(self, status: str, **extra: Any) -> None:
        """Update meta.json: ``status`` (running, interrupted, failed or complete) and ``extra``."""
        self.meta.update(extra, status=status, completed=len(self.rows), updated=now())
        write_meta(self.meta_path, self.meta)

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None


def now() -> str:
    """The local time as ISO 8601 (meta.json's timestamps)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
