"""``python -m lththeory.sweep AXIS [AXIS] --experiment NAME ...``: Monte-Carlo sweeps over a grid
(docs/theory.md §6).

:mod:`.cli` (the command line and the run), :mod:`.grid` (grid points from the axes),
:mod:`.runner` (in process or on worker processes) and :mod:`.output` (results.csv, meta.json).
The experiments themselves are registered in :mod:`lththeory.experiments`.
"""

from .cli import build_parser, main, run_sweep
from .grid import build_grid, parse_list
from .output import parse_value, read_csv, write_csv_atomic, write_meta

__all__ = [
    "build_grid",
    "build_parser",
    "main",
    "parse_list",
    "parse_value",
    "read_csv",
    "run_sweep",
    "write_csv_atomic",
    "write_meta",
]
