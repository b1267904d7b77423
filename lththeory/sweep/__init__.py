"""``python -m lththeory.sweep AXIS [AXIS] --experiment NAME ...``: Monte-Carlo sweeps over a grid
(docs/theory.md §6).

:mod:`.cli` (the command line and the run), :mod:`.grid` (grid points from the axes),
:mod:`.state` (a run in its output folder: fresh or resumed, meta.json's status),
:mod:`.journal` (finished rows appended durably), :mod:`.output` (the folder, results.csv,
meta.json), :mod:`.lock` (one sweep per folder), :mod:`.signals` (Ctrl-C and SIGTERM),
:mod:`.launchers` (this process, worker processes or a Dask cluster) and :mod:`.runner` (the
points on a launcher). The experiments themselves are registered in :mod:`lththeory.experiments`.
"""

from .cli import build_parser, main, run_sweep
from .grid import build_grid, grid_values, parse_list
from .journal import Journal
from .launchers import LAUNCHERS
from .lock import FolderLock
from .output import parse_value, prepare_folder, read_csv, write_csv_atomic, write_meta
from .signals import SweepInterrupted

__all__ = [
    "LAUNCHERS",
    "FolderLock",
    "Journal",
    "SweepInterrupted",
    "build_grid",
    "build_parser",
    "grid_values",
    "main",
    "parse_list",
    "parse_value",
    "prepare_folder",
    "read_csv",
    "run_sweep",
    "write_csv_atomic",
    "write_meta",
]
