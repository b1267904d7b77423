"""Ctrl-C and SIGTERM during a sweep: stop at once, never in the middle of saving a row, and never
hang on a second signal (docs/theory.md §6.2).

:class:`InterruptGuard` installs handlers for SIGINT and SIGTERM that raise
:class:`SweepInterrupted` (a :class:`KeyboardInterrupt`) in the main thread. Inside
:meth:`InterruptGuard.deferred` (journal appends) a signal is held until the block ends; after
:meth:`InterruptGuard.shield` (the cleanup after the first signal) further signals are noted on
stderr and ignored, so cleanup, which is bounded, always completes. The first signal shields at
once, so a second Ctrl-C that arrives while the first is being handled cannot interrupt it.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["EXIT_STATUS", "InterruptGuard", "SweepInterrupted"]

#: exit status of a sweep stopped by each signal (128 + the signal number, as a shell reports it)
EXIT_STATUS = {"SIGINT": 130, "SIGTERM": 143}


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped by a signal; ``signal_name`` is ``"SIGINT"`` or ``"SIGTERM"``."""

    def __init__(self, signal_name: str = "SIGINT") -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


class InterruptGuard:
    """SIGINT/SIGTERM handlers for the duration of a ``with`` block (main thread only; elsewhere
    the guard does nothing and Ctrl-C keeps Python's default behaviour)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, restore: bool = True) -> None:
        self.restore = restore  # False: keep shielding after the block (the process is exiting)
        self._previous: dict[int, object] = {}
        self._depth = 0  # nesting of deferred() blocks
        self._pending: str | None = None
        self._shielded = False
        self.received: str | None = None

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.restore:
            # the process is exiting: ignore further signals at the OS level (Python's finalisation
            # resets its own handlers to the default action, which would kill the process)
            for sig in self._previous:
                signal.signal(sig, signal.SIG_IGN)
            self._previous.clear()
            return
        for sig, old in self._previous.items():
            signal.signal(sig, old)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if self._shielded:
            print(f"({name} received: still stopping, please wait)", file=sys.stderr, flush=True)
            return
        self.received = self.received or name
        if self._depth:
            self._pending = self._pending or name
            return
        self._shielded = True  # a second signal must not interrupt the cleanup of the first
        raise SweepInterrupted(name)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold a signal that arrives inside the block until it ends (then raise it)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if not self._depth and self._pending and not self._shielded:
            name, self._pending = self._pending, None
            self._shielded = True
            raise SweepInterrupted(name)

    def shield(self) -> None:
        """From now on, signals are noted and ignored (the cleanup after the first one)."""
        self._shielded = True
        self._pending = None

    def unshield(self) -> None:
        self._shielded = False
