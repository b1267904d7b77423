"""One sweep per output folder: an exclusive ``flock`` on ``<out>/.lock`` (docs/theory.md §6.2).

The kernel drops the lock when its holder dies (even by SIGKILL), so a stale lock never blocks a
later run; the file holds the holder's pid, which a refused second sweep names.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .._validate import LTHInputError

__all__ = ["LOCK_NAME", "FolderLock"]

LOCK_NAME = ".lock"


class FolderLock:
    """An exclusive, non-blocking lock on a sweep's output folder (a context manager).

    :meth:`acquire` raises :class:`LTHInputError` naming the folder and the pid of the sweep that
    holds it. The lock belongs to this open file: other processes, and other ``FolderLock`` objects
    of this process, are refused while it is held.
    """

    def __init__(self, folder: Path | str, flag: str = "--out") -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.flag = flag
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise LTHInputError(
                f"{self.flag} {self.folder} is in use by another sweep (pid {holder}); wait for "
                f"it to finish or choose another {self.flag}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock (the file stays: removing it could race with a sweep about to lock it)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
