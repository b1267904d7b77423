"""The sweep command on tiny grids: files, columns, determinism across --jobs, bad input, Ctrl-C."""

import json
import subprocess
import sys

import pytest

from lththeory import sweep
from lththeory.experiments import weak as weak_exp

TINY = [
    "width",
    "sparsity",
    "--width",
    "2,8,32",
    "--sparsity",
    "0.5,0.9",
    "--trials",
    "40",
    "--target",
    "3,4,1",
    "--quiet",
]


def test_weak_sweep_writes_files(tmp_path, capsys):
    out = tmp_path / "run"
    assert sweep.main(TINY + ["--out", str(out)]) == 0
    rows = sweep.read_csv(out / "results.csv")
    assert len(rows) == 6
    required = "experiment,width,sparsity,trials,successes,rate,ci_low,ci_high,theory_width,seed"
    assert set(required.split(",")) <= set(rows[0])
    for r in rows:
        assert float(r["ci_low"]) <= float(r["rate"]) <= float(r["ci_high"])
        assert int(r["successes"]) <= int(r["trials"]) == 40
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "complete" and meta["config"]["seed"] == 0
    assert (out / "phase.png").stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "results.csv" in printed and "Theorem W" in printed


def test_same_seed_same_csv_for_any_jobs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert sweep.main(TINY + ["--out", str(a), "--jobs", "1", "--method", "masks"]) == 0
    assert sweep.main(TINY + ["--out", str(b), "--jobs", "2", "--method", "masks"]) == 0
    assert (a / "results.csv").read_text() == (b / "results.csv").read_text()


def test_interrupt_keeps_finished_rows_and_resume_finishes(tmp_path, monkeypatch):
    out = tmp_path / "int"
    real = weak_exp.EXPERIMENT.run_point
    calls = {"n": 0}

    def flaky(point, config):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(point, config)

    monkeypatch.setattr(weak_exp.EXPERIMENT, "run_point", flaky)
    assert sweep.main(TINY + ["--out", str(out)]) == 130
    rows = sweep.read_csv(out / "results.csv")
    assert len(rows) == 2
    assert json.loads((out / "meta.json").read_text())["status"] == "interrupted"
    assert not list(out.glob(".*tmp"))  # no half-written file left behind
    monkeypatch.setattr(weak_exp.EXPERIMENT, "run_point", real)
    calls["n"] = 0
    assert sweep.main(TINY + ["--out", str(out), "--resume"]) == 0
    full = sweep.read_csv(out / "results.csv")
    assert len(full) == 6 and full[:2] == rows
    fresh = tmp_path / "fresh"
    assert sweep.main(TINY + ["--out", str(fresh)]) == 0
    assert (fresh / "results.csv").read_text() == (out / "results.csv").read_text()


@pytest.mark.parametrize(
    "extra,message",
    [
        (["width", "depth"], "AXIS must be one of width, sparsity"),
        (
            ["width", "sparsity", "--sparsity", "1.2"],
            "--sparsity: sparsity (fraction of weights removed) must be in [0, 1)",
        ),
        (["width", "sparsity", "--width", "0,2"], "--width: width must be an integer >= 1"),
        (["width", "sparsity", "--method", "exact"], "--method must be one of 'counts', 'masks'"),
        (["width", "sparsity", "--experiment", "nope"], "--experiment must be one of"),
        (["width", "sparsity", "--target", "4"], "--target must list at least 2 layer widths"),
        (["width", "sparsity", "--delta", "2"], "--delta must be in (0, 1)"),
        (["width", "--sparsity", "0.5,0.9"], "--sparsity takes a single value unless"),
        (["width", "sparsity", "--trials", "-3"], "--trials must be an integer >= 1"),
        (["width", "sparsity", "--method", "masks"], "of explicit masks with --method masks"),
    ],
)
def test_bad_input_exits_2_with_one_line(extra, message, tmp_path, capsys):
    assert sweep.main(extra + ["--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_cli_subprocess_no_traceback(tmp_path):
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "lththeory.sweep",
            "width",
            "sparsity",
            "--sparsity",
            "nan",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and "sparsity" in bad.stderr
    unknown_flag = subprocess.run(
        [sys.executable, "-m", "lththeory.sweep", "width", "--bogus", "1"],
        capture_output=True,
        text=True,
    )
    assert unknown_flag.returncode == 2 and "Traceback" not in unknown_flag.stderr
