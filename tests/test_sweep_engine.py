"""The sweep engine's safety (issue 9): a folder per experiment, one sweep per folder, --resume only
for the same parameters, a durable journal that survives a torn write, stale files cleaned, meta.json's
status, --help defaults, a quiet broken pipe and capped --jobs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lththeory import LTHInputError, sweep
from lththeory.experiments import weak as weak_exp
from lththeory.sweep import FolderLock, Journal

TINY = ["width", "sparsity", "--width", "2,8,32", "--sparsity", "0.5,0.9", "--trials", "40"]
TINY += ["--target", "3,4,1", "--quiet"]


def _run(argv, out):
    return sweep.main(argv + ["--out", str(out)])


def _meta(out):
    return json.loads((out / "meta.json").read_text())


def test_default_folder_is_results_per_experiment(tmp_path, monkeypatch):
    """Changed by issue 9: the default folder was results/sweep for every experiment."""
    monkeypatch.chdir(tmp_path)
    assert sweep.main(TINY) == 0
    lb = ["width", "sparsity", "--experiment", "lower-bound", "--width", "1,2", "--sparsity", "0.5"]
    assert sweep.main(lb + ["--trials", "5", "--target-neurons", "4", "--quiet"]) == 0
    assert (tmp_path / "results/weak/results.csv").is_file()
    assert (tmp_path / "results/weak/phase.png").is_file()
    assert (tmp_path / "results/lower-bound/threshold.png").is_file()
    assert not (tmp_path / "results/weak/threshold.png").exists()


def test_second_sweep_into_a_locked_folder_exits_2_naming_folder_and_pid(tmp_path, capsys):
    out = tmp_path / "locked"
    out.mkdir()
    with FolderLock(out):
        assert _run(TINY, out) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(out) in err and f"pid {os.getpid()}" in err
        proc = subprocess.run(
            [sys.executable, "-m", "lththeory.sweep", *TINY, "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1
        assert f"is in use by another sweep (pid {os.getpid()})" in proc.stderr
        assert not (out / "meta.json").exists()  # the refused sweep wrote nothing
    assert _run(TINY, out) == 0  # released


CHANGES = [
    (["--seed", "3"], "--seed differs", "stored 0, given 3"),
    (["--trials", "41"], "--trials differs", "stored 40, given 41"),
    (["--method", "masks"], "--method differs", "stored 'counts', given 'masks'"),
    (["--target", "3,5,1"], "--target differs", "stored '3,4,1', given '3,5,1'"),
    (["--delta", "0.2"], "--delta differs", "stored 0.1, given 0.2"),
    (["--dense-first-layer"], "--dense-first-layer differs", "stored False, given True"),
    (["--width", "2,8"], "--width differs", "stored '2,8,32', given '2,8'"),
]


@pytest.mark.parametrize("change, flag, values", CHANGES, ids=[c[1] for c in CHANGES])
def test_resume_refuses_changed_parameters(change, flag, values, tmp_path, capsys):
    out = tmp_path / "r"
    assert _run(TINY, out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    capsys.readouterr()
    argv = TINY + change
    assert _run(argv + ["--resume"], out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and flag in err and values in err, err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_resume_refuses_changed_axes(tmp_path, capsys):
    out = tmp_path / "r"
    assert _run(TINY, out) == 0
    capsys.readouterr()
    argv = ["width", "--width", "2,8,32", "--sparsity", "0.5", "--trials", "40", "--quiet"]
    assert _run(argv + ["--target", "3,4,1", "--resume"], out) == 2
    err = capsys.readouterr().err
    assert "AXIS differs" in err and "stored 'width,sparsity', given 'width'" in err


def test_resume_after_torn_journal_and_stale_files_gives_the_same_bytes(tmp_path):
    full = tmp_path / "full"
    assert _run(TINY, full) == 0
    reference = (full / "results.csv").read_bytes()
    # a run killed during its third append: two entries, a torn third, temporary files, no CSV
    out = tmp_path / "killed"
    assert _run(TINY, out) == 0
    lines = (out / "journal.jsonl").read_bytes().split(b"\n")
    (out / "journal.jsonl").write_bytes(b"\n".join(lines[:3]) + b"\n" + lines[3][:25])
    (out / "results.csv").unlink()
    meta = _meta(out)
    meta["status"] = "running"
    (out / "meta.json").write_text(json.dumps(meta))
    (out / ".results.csv.k2j4.tmp").write_text("half a file")
    (out / ".phase.png.x9.tmp").write_bytes(b"\x89PNG")
    assert _run(TINY + ["--resume"], out) == 0
    assert (out / "results.csv").read_bytes() == reference
    assert not list(out.glob(".*.tmp"))
    assert _meta(out)["status"] == "complete" and _meta(out)["completed"] == 6
    entries = (out / "journal.jsonl").read_text().splitlines()[1:]
    assert len(entries) == 6 and len({json.loads(e)["i"] for e in entries}) == 6


def test_journal_keeps_values_exactly(tmp_path):
    path = tmp_path / "j.jsonl"
    j = Journal.create(path, "run1")
    row = {"a": np.int64(3), "b": np.float64(0.1), "c": None, "d": float("nan"), "e": "x"}
    row["f"] = np.bool_(True)
    j.append([(0, [2, 0.5], row), (1, [8, 0.5], {"a": 1})])
    j.close()
    with path.open("ab") as f:
        f.write(b'{"i": 2, "key": [32, 0.5], "ro')  # torn
    j2, entries = Journal.resume(path, "run1")
    j2.close()
    assert sorted(entries) == [0, 1]
    key, got = entries[0]
    assert key == [2, 0.5] and got["a"] == 3 and type(got["a"]) is int and got["b"] == 0.1
    assert got["c"] is None and np.isnan(got["d"]) and got["e"] == "x" and got["f"] is True
    assert path.read_bytes().endswith(b"\n")  # the torn line was cut off
    with pytest.raises(LTHInputError, match="belongs to another run"):
        Journal.resume(path, "run2")


def test_fresh_run_removes_the_previous_runs_files(tmp_path):
    out = tmp_path / "shared"
    lueker = ["n", "eps", "--experiment", "subset-sum", "--n", "4,6", "--eps", "0.1"]
    assert _run(lueker + ["--trials", "10", "--quiet"], out) == 0
    assert (out / "fit.json").is_file() and (out / "lueker.png").is_file()
    assert set(_meta(out)["files"]) == {"fit.json", "lueker.png"}
    (out / "notes.txt").write_text("mine")
    assert _run(TINY, out) == 0
    assert not (out / "fit.json").exists() and not (out / "lueker.png").exists()
    assert (out / "phase.png").is_file() and (out / "notes.txt").read_text() == "mine"


def test_failing_point_marks_the_run_failed_and_keeps_rows(tmp_path, monkeypatch, capsys):
    out = tmp_path / "fail"
    real = weak_exp.EXPERIMENT.run_point
    calls = {"n": 0}

    def flaky(point, config):
        calls["n"] += 1
        if calls["n"] == 3:
            raise LTHInputError("k is too large for this test")
        return real(point, config)

    monkeypatch.setattr(weak_exp.EXPERIMENT, "run_point", flaky)
    assert _run(TINY, out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "k is too large for this test (grid point width=8" in err
    assert "kept 2 of 6 rows" in err
    assert _meta(out)["status"] == "failed" and len(sweep.read_csv(out / "results.csv")) == 2

    def broken(point, config):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(weak_exp.EXPERIMENT, "run_point", broken)
    with pytest.raises(ZeroDivisionError):  # a bug keeps its traceback
        _run(TINY, tmp_path / "bug")
    assert _meta(tmp_path / "bug")["status"] == "failed"


def test_help_shows_every_default(capsys):
    assert sweep.main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for needle in (
        "trials per grid point (default: 500)",
        "(default: 0.1)",
        "[0, 2^63 - 1] (default: 0)",
        "(default: results/<experiment>)",
        "(default: 1)",
        "default when swept: 0.5,0.7,0.8,0.9,0.95,0.98,0.99; when fixed: 0.9",
        "(default: counts)",
        "(default: 4,8,8,1)",
    ):
        assert needle in text, needle


@pytest.mark.parametrize("argv", [["--help"], TINY])
def test_broken_pipe_exits_quietly(argv, tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "lththeory.sweep", *argv, "--out", str(tmp_path / "bp")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # like `| head` exiting before the output is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert err == "", err


def test_jobs_are_capped_at_the_grid_points(tmp_path):
    out = tmp_path / "cap"
    argv = ["width", "sparsity", "--width", "2,8", "--sparsity", "0.5", "--trials", "20"]
    assert _run(argv + ["--quiet", "--jobs", "4"], out) == 0
    m = _meta(out)
    assert m["jobs"] == 4 and m["workers"] == 2 and m["launcher"] == "process"
    assert m["status"] == "complete" and m["completed"] == 2


def test_nothing_to_resume_starts_fresh_and_complete_resume_recomputes_nothing(
    tmp_path, monkeypatch
):
    out = tmp_path / "n"
    assert _run(TINY + ["--resume"], out) == 0
    first = (out / "results.csv").read_bytes()

    def never(point, config):  # pragma: no cover - must not run
        raise AssertionError("a finished point was recomputed")

    monkeypatch.setattr(weak_exp.EXPERIMENT, "run_point", never)
    assert _run(TINY + ["--resume"], out) == 0
    assert (out / "results.csv").read_bytes() == first
