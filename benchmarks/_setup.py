"""Setup shared by every benchmark script: one BLAS/OpenMP thread per process (set before numpy is
imported), the checkout on ``sys.path`` when the package is not installed, CPU pinning, and the line
that says on what the numbers were measured.

Each script starts with ``import _setup`` (before numpy); the scripts run from the repository root
as ``python benchmarks/bench_*.py``.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

try:
    import lththeory  # noqa: F401
except ModuleNotFoundError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

__all__ = ["machine", "pin"]


def pin(cpus: int | list[int] | None) -> str:
    """Bind this process to ``cpus`` (a count: the first that many allowed CPUs; a list: those
    CPUs; None: leave it); returns a phrase saying what was done."""
    if cpus is None:
        return "not pinned"
    try:
        avail = sorted(os.sched_getaffinity(0))
        chosen = avail[:cpus] if isinstance(cpus, int) else list(cpus)
        os.sched_setaffinity(0, chosen)
        return f"pinned to CPU{'s' if len(chosen) > 1 else ''} {','.join(map(str, chosen))}"
    except (AttributeError, OSError, ValueError):
        return "not pinned (sched_setaffinity unavailable)"


def machine() -> str:
    """Python, numpy, architecture, core count and load average (for the benchmark's header)."""
    import numpy as np

    try:
        load = f", load average {os.getloadavg()[0]:.2f}"
    except OSError:
        load = ""
    return (
        f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} cores{load}"
    )
