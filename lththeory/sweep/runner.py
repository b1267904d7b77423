"""Running the grid points of a sweep on an open launcher (:mod:`.launchers`): a bounded window of
points in flight, every finished point handed at once to a callback (so it can be saved), whatever
the order in which the points finish."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait

from ..registry import EXPERIMENTS
from .journal import plain
from .launchers import Pool, pin_threads

__all__ = ["PointFailed", "run_point", "run_points"]


class PointFailed(Exception):
    """A grid point raised; ``index`` and ``point`` say which, ``__cause__`` is the error."""

    def __init__(self, index: int, point: dict) -> None:
        super().__init__(f"grid point {point} failed")
        self.index = index
        self.point = point


def run_point(name: str, point: dict, config: dict, pin: bool = False) -> dict:
    """One grid point of the registered experiment ``name`` (the function a worker runs): its
    row with plain Python values. ``pin``: limit BLAS to one thread in this process first (Dask
    workers)."""
    from .. import experiments  # noqa: F401  (registers every experiment in a fresh worker)

    if pin:
        pin_threads()
    return plain(EXPERIMENTS.get(name).run_point(point, config))


def run_points(
    name: str,
    points: Sequence[dict],
    todo: Sequence[int],
    config: dict,
    pool: Pool,
    done: Callable[[list[tuple[int, dict]]], None],
) -> None:
    """Run ``points[i]`` for every i in ``todo`` on ``pool`` and call ``done([(i, row), ...])`` as
    they finish (at most ``pool.window`` in flight). A failing point raises :class:`PointFailed`
    after the points that finished with it were handed to ``done``."""
    pending = iter(todo)
    inflight: dict[Future, int] = {}
    pin = pool.name == "dask"

    def fill() -> None:
        while len(inflight) < pool.window:
            i = next(pending, None)
            if i is None:
                return
            try:
                inflight[pool.submit(run_point, name, points[i], config, pin)] = i
            except Exception as e:  # the local launcher runs the point inside submit
                raise PointFailed(i, points[i]) from e

    fill()
    while inflight:
        fin, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
        batch, failed = [], None
        for f in sorted(fin, key=inflight.__getitem__):
            i = inflight.pop(f)
            if f.exception() is None:
                batch.append((i, f.result()))
            elif failed is None:
                failed = (i, f.exception())
        if batch:
            done(batch)
        if failed is not None:
            i, err = failed
            raise PointFailed(i, points[i]) from err
        fill()
