"""Interrupting a sweep with --jobs 2 (issue 9), as a user would, in a subprocess: SIGINT or SIGTERM to
the parent alone, Ctrl-C twice to the whole process group, and SIGKILL. Every case must stop within
2 s, keep every finished row, leave no worker process alive (pids read from /proc while the sweep
runs) and let --resume reproduce the uninterrupted results.csv byte for byte."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lththeory import sweep

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="reads worker pids from /proc (Linux)"
)

#: six points of a few tenths of a second each: some finish before the signal, some do not
GRID = ["width", "sparsity", "--width", "2,8,32", "--sparsity", "0.5,0.9", "--trials", "300000"]
GRID += ["--target", "3,4,1", "--quiet"]
STOP_WITHIN_S = 2.0


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("reference")
    assert sweep.main(GRID + ["--out", str(out)]) == 0
    return (out / "results.csv").read_bytes()


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _children(pid: int) -> dict[int, str]:
    """The children of ``pid`` with their start times (to tell a reused pid apart)."""
    out = {}
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for c in f.read().split():
                    st = _stat(int(c))
                    if st is not None:
                        out[int(c)] = st[19]
    except OSError:
        pass
    return out


def _alive(pids: dict[int, str]) -> list[int]:
    """The processes of ``pids`` still running (same start time, not a zombie)."""
    live = []
    for pid, start in pids.items():
        st = _stat(pid)
        if st is not None and st[19] == start and st[0] not in ("Z", "X"):
            live.append(pid)
    return live


def _start_and_wait_for_rows(out: Path) -> tuple[subprocess.Popen, dict[int, str]]:
    """Start the sweep with --jobs 2; return once a row is in the journal and points still run."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "lththeory.sweep", *GRID, "--jobs", "2", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell job
    )
    kids: dict[int, str] = {}
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        kids.update(_children(proc.pid))
        if journal.exists() and len(journal.read_text().splitlines()) >= 2:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the sweep finished before it could be interrupted"
    kids.update(_children(proc.pid))
    assert len(kids) >= 2, kids  # the two workers
    return proc, kids


def _journal_rows(out: Path) -> int:
    return len((out / "journal.jsonl").read_text().splitlines()) - 1


def _resume_matches(out: Path, reference: bytes) -> None:
    assert sweep.main(GRID + ["--out", str(out), "--resume"]) == 0
    assert (out / "results.csv").read_bytes() == reference
    assert not list(out.glob(".*.tmp"))


@pytest.mark.parametrize("sig, status", [("SIGINT", 130), ("SIGTERM", 143)])
def test_signal_to_the_parent_stops_keeps_rows_and_ends_workers(sig, status, tmp_path, reference):
    out = tmp_path / sig
    proc, kids = _start_and_wait_for_rows(out)
    t0 = time.monotonic()
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    stopped = time.monotonic() - t0
    assert proc.returncode == status, err
    assert stopped < STOP_WITHIN_S, f"took {stopped:.2f} s to stop"
    assert _alive(kids) == [], "orphaned workers"
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "interrupted" and meta["signal"] == sig
    kept = len(sweep.read_csv(out / "results.csv"))
    assert 1 <= kept < 6 and kept == _journal_rows(out) == meta["completed"]
    assert err.strip().splitlines()[-1].startswith(f"Interrupted by {sig}: kept {kept} of 6 ")
    _resume_matches(out, reference)


def test_ctrl_c_twice_to_the_group_never_hangs(tmp_path, reference):
    out = tmp_path / "twice"
    proc, kids = _start_and_wait_for_rows(out)
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends: parent and workers
    for pause in (0.002, 0.02, 0.1):
        time.sleep(pause)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    stopped = time.monotonic() - t0
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert stopped < STOP_WITHIN_S, f"took {stopped:.2f} s to stop"
    assert _alive(kids) == []
    assert json.loads((out / "meta.json").read_text())["status"] == "interrupted"
    _resume_matches(out, reference)


def test_sigkill_loses_no_finished_row_and_resume_reproduces(tmp_path, reference):
    out = tmp_path / "kill"
    proc, kids = _start_and_wait_for_rows(out)
    rows_before = _journal_rows(out)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    deadline = time.monotonic() + STOP_WITHIN_S
    while _alive(kids) and time.monotonic() < deadline:  # workers die with their parent
        time.sleep(0.01)
    assert _alive(kids) == []
    assert _journal_rows(out) >= rows_before >= 1
    assert json.loads((out / "meta.json").read_text())["status"] == "running"  # as it was killed
    _resume_matches(out, reference)
