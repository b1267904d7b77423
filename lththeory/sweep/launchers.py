"""Where a sweep's grid points run (the launcher, kept apart from the sweep logic as Hydra keeps
its launchers apart from its sweepers): ``local`` (this process), ``process`` (a pool of worker
processes on this machine) or ``dask`` (a Dask distributed cluster, through its
``concurrent.futures`` executor). Registered in :data:`LAUNCHERS`; every one returns a
:class:`Pool` with ``submit``, a window of points to keep in flight and ``close``.

Every worker pins BLAS and OpenMP to one thread (threadpoolctl), so workers do not oversubscribe the
cores and a point's floating-point results cannot depend on a thread count. Process workers ignore
SIGINT (the parent stops them), take the default action on SIGTERM and die with the parent
(``PR_SET_PDEATHSIG`` on Linux), so no worker outlives its sweep.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .._validate import LTHInputError
from ..registry import Registry

__all__ = ["LAUNCHERS", "Pool", "pin_threads", "worker_pids"]

#: launchers by name: each is ``open(workers, scheduler) -> Pool``
LAUNCHERS: Registry = Registry("launcher")

_PINNED: list[Any] = []  # the threadpoolctl limiter of this process, kept alive

CONNECT_TIMEOUT_S = 10
"""Seconds to wait for a Dask scheduler before ``--scheduler`` is refused."""


def pin_threads() -> None:
    """Limit BLAS and OpenMP thread pools of this process to one thread, once and for good."""
    if _PINNED:
        return
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    from threadpoolctl import threadpool_limits

    _PINNED.append(threadpool_limits(limits=1))


@dataclass
class Pool:
    """An open launcher: ``submit(fn, *args) -> Future``; ``window`` points kept in flight;
    ``close(interrupted)`` waits for the workers (or, when interrupted, ends them at once)."""

    name: str
    workers: int
    window: int
    submit: Callable[..., Future]
    close: Callable[[bool], None]
    info: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- local


def _open_local(workers: int, scheduler: str | None) -> Pool:
    """Points run one by one in this process (Ctrl-C interrupts the point that runs), with BLAS
    pinned to one thread for the duration."""
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(limits=1)

    def submit(fn: Callable, *args: Any) -> Future:
        fut: Future = Future()
        fut.set_result(fn(*args))  # an exception (or Ctrl-C) propagates to the caller
        return fut

    return Pool("local", 1, 1, submit, lambda interrupted: limiter.restore_original_limits())


# --------------------------------------------------------------------------- process

_PR_SET_PDEATHSIG = 1


def _init_worker(parent: int, pids: Any) -> None:
    """Worker start: report the pid, die with the parent (the sweep, ``parent``), leave SIGINT to
    the parent, pin threads."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    pids.put(os.getpid())
    pin_threads()


def _ready() -> int:
    return os.getpid()


def _proc_state(pid: int) -> tuple[int, str] | None:
    """(parent pid, state letter) of a process from /proc; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(rest[1]), rest[0]


def _alive(pid: int) -> bool:
    st = _proc_state(pid)
    if st is not None:
        return st[1] not in ("Z", "X")
    try:  # no /proc (not Linux): signal 0 probes
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover
        return True
    return not os.path.isdir("/proc")


def worker_pids(pids: Any) -> list[int]:
    """Every pid a worker has reported so far (drains the queue)."""
    out = []
    while not pids.empty():
        out.append(int(pids.get()))
    return out


def _ours(pid: int) -> bool:
    """Is ``pid`` a child of this process (not a reused pid)? True when /proc cannot tell."""
    st = _proc_state(pid)
    return st is None or st[0] == os.getpid()


def _end_workers(pids: list[int], grace: float = 1.0) -> None:
    """SIGTERM every still-running worker of ours, then SIGKILL what is left after ``grace`` s."""
    mine = [p for p in pids if _ours(p)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        live = [p for p in mine if _alive(p)]
        for p in live:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while live and time.monotonic() < deadline:
            time.sleep(0.01)
            live = [p for p in live if _alive(p)]
        if not live:
            return


def _open_process(workers: int, scheduler: str | None) -> Pool:
    """A ``ProcessPoolExecutor`` of ``workers`` processes, started now (before a progress bar's
    thread exists)."""
    # fork on Linux: workers start at once, need no imports and run scripts without a main guard;
    # spawn elsewhere
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    ctx = mp.get_context(method)
    pids = ctx.SimpleQueue()
    seen: list[int] = []
    ex = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(os.getpid(), pids)
    )
    ex.submit(_ready).result()  # start the workers now (fork: all of them), before tqdm's thread

    def close(interrupted: bool) -> None:
        seen.extend(worker_pids(pids))
        if interrupted:
            _end_workers(seen)
            ex.shutdown(wait=False, cancel_futures=True)
        else:
            ex.shutdown(wait=True)
        seen.extend(worker_pids(pids))
        _end_workers(seen)  # a worker that started while we stopped
        pids.close()

    return Pool("process", workers, 2 * workers, ex.submit, close, {"start_method": method})


# --------------------------------------------------------------------------- dask


def _open_dask(workers: int, scheduler: str | None) -> Pool:
    """The grid points as tasks on the Dask cluster at ``scheduler`` (its concurrent.futures
    executor); every worker thread count is summed for the window."""
    try:
        from distributed import Client
    except ImportError:
        raise LTHInputError(
            "--scheduler needs dask.distributed: pip install -e '.[cluster]'"
        ) from None
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise LTHInputError(f"--scheduler: cannot connect to {scheduler}: {msg}") from None
    threads = sum(client.nthreads().values())
    if threads == 0:
        client.close()
        raise LTHInputError(f"--scheduler: the cluster at {scheduler} has no workers")
    ex: Executor = client.get_executor(pure=False)

    def close(interrupted: bool) -> None:
        try:
            ex.shutdown(wait=not interrupted)
        finally:
            client.close(timeout=2 if interrupted else 30)

    return Pool("dask", threads, 2 * threads, ex.submit, close, {"scheduler": scheduler})


LAUNCHERS.register("local", _open_local)
LAUNCHERS.register("process", _open_process)
LAUNCHERS.register("dask", _open_dask)
