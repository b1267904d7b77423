"""Running the grid points of a sweep, in process or on a pool of worker processes; every finished
point is handed to a callback at once (so it can be saved), whatever the order of completion."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ..registry import EXPERIMENTS

__all__ = ["run_point", "run_points"]


def run_point(name: str, point: dict, config: dict) -> dict:
    """One grid point of the registered experiment ``name`` (the function a worker runs)."""
    from .. import experiments  # noqa: F401  (registers every experiment in a fresh worker)

    return EXPERIMENTS.get(name).run_point(point, config)


def run_points(
    name: str,
    points: Sequence[dict],
    todo: Sequence[int],
    config: dict,
    jobs: int,
    done: Callable[[list[tuple[int, dict]]], None],
) -> None:
    """Run ``points[i]`` for every i in ``todo`` and call ``done([(i, row), ...])`` as they finish.
    One job (or one point) runs in process; more use a process pool, cancelled on interruption."""
    if jobs == 1 or len(todo) <= 1:
        exp = EXPERIMENTS.get(name)
        for i in todo:
            done([(i, exp.run_point(points[i], config))])
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futs = {pool.submit(run_point, name, points[i], config): i for i in todo}
        try:
            pending = set(futs)
            while pending:
                fin, pending = wait(pending, return_when=FIRST_COMPLETED)
                done([(futs[f], f.result()) for f in fin])
        except BaseException:
            for f in futs:
                f.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
