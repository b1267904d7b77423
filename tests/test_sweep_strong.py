"""The sweep command for the strong-ticket and Lueker experiments on tiny grids: files, columns,
determinism, resume, bad input (exit 2, one line, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lththeory import sweep
from lththeory.experiments import strong as strong_exp
from lththeory.experiments import subset_sum as ss_exp
from lththeory.registry import EXPERIMENTS

WEAK_COLUMNS = (
    "experiment,width,sparsity,trials,successes,rate,ci_low,ci_high,theory_width,seed,density,"
    "first_layer_density,method,delta,target,bound_success,bound_holds"
).split(",")

STRONG = [
    "width",
    "sparsity",
    "--experiment",
    "strong",
    "--width",
    "16,128",
    "--sparsity",
    "0.3,0.5",
    "--trials",
    "3",
    "--target",
    "1,2,1",
    "--eps",
    "0.02",
    "--points",
    "64",
    "--quiet",
]

LUEKER = [
    "n",
    "eps",
    "--experiment",
    "subset-sum",
    "--n",
    "6,10,14",
    "--eps",
    "0.1,0.01",
    "--trials",
    "40",
    "--quiet",
]


def test_strong_sweep_writes_files_and_columns(tmp_path, capsys):
    out = tmp_path / "run"
    assert sweep.main(STRONG + ["--out", str(out)]) == 0
    rows = sweep.read_csv(out / "results.csv")
    assert len(rows) == 4
    assert list(rows[0]) == WEAK_COLUMNS + [
        "eps",
        "median_error",
        "max_error",
        "ticket_density",
        "candidates",
        "group_size",
        "confidence",
        *strong_exp.ERROR_COLUMNS,
    ]
    for r in rows:
        assert float(r["ci_low"]) <= float(r["rate"]) <= float(r["ci_high"])
        assert int(r["successes"]) <= int(r["trials"]) == 3
        assert float(r["eps"]) == 0.02 and r["method"] == "univariate"
        assert 0 <= float(r["median_error"]) <= float(r["max_error"])
        assert int(r["theory_width"]) > 1
        if int(r["successes"]):
            assert 0 < float(r["ticket_density"]) < 1
        else:
            assert r["ticket_density"] == ""
    assert any(int(r["successes"]) for r in rows)  # k = 128 at sparsity 0.3 succeeds
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "complete"
    for name in ("phase.png", "error.png"):
        assert (out / name).stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert printed.startswith("Strong-ticket sweep") and "Theorem S" in printed


def test_min_error_sweep_error_columns_and_curves(tmp_path):
    out = tmp_path / "curves"
    widths = "16,24,32,48,64,96,128,192"
    # the error curve and its prediction describe the practical construction (up to 26 candidates)
    args = STRONG[:5] + [widths] + STRONG[6:] + ["--objective", "min-error"]
    args += ["--candidates", "practical"]
    result = sweep.run_sweep(args + ["--out", str(out)])
    rows = sweep.read_csv(out / "results.csv")
    assert len(rows) == 16
    for r in rows:
        assert r["objective"] == "min-error"
        c, s = float(r["certified_error"]), float(r["sampled_error"])
        assert float(r["certified_error_q10"]) <= c <= float(r["certified_error_q90"])
        assert float(r["sampled_error_q10"]) <= s <= float(r["sampled_error_q90"])
        assert c >= s * (1 - 1e-9) and s == float(r["median_error"])
        assert float(r["predicted_error"]) > 0 and float(r["expected_candidates"]) >= 0
    for sp in ("0.3", "0.5"):  # the certified error falls with k at every sparsity
        cs = [float(r["certified_error"]) for r in rows if r["sparsity"] == sp]
        assert cs[-1] < 1e-4 * cs[0]
    # the fitted decay rate is negative with its whole interval, and within 2x of the prediction's
    fits = strong_exp.EXPERIMENT.decay_fits(
        result["rows"],
        strong_exp.EXPERIMENT.make_config(
            target="1,2,1", eps=0.02, trials=3, candidates="practical"
        ),
    )
    for f in fits.values():
        m, p = f["measured"], f["predicted"]
        assert m is not None and m.slope_high < 0
        assert 0.5 < m.slope / p.slope < 2.0
    assert (out / "error.png").stat().st_size > 10_000
    assert "Error decay at sparsity 0.3: d log2(certified error) / d(k p) = -" in result["summary"]


def test_strong_sweep_is_deterministic_and_resumes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    args = STRONG[:5] + ["16", "--sparsity", "0.5"] + STRONG[8:]
    assert sweep.main(args + ["--out", str(a)]) == 0
    assert sweep.main(args + ["--out", str(b), "--jobs", "2"]) == 0
    assert (a / "results.csv").read_text() == (b / "results.csv").read_text()
    assert sweep.main(args + ["--out", str(a), "--resume"]) == 0
    assert (a / "results.csv").read_text() == (b / "results.csv").read_text()


def test_strong_defaults_are_the_documented_ones():
    p = sweep.build_parser(strong_exp.EXPERIMENT)
    args = p.parse_args(["width", "sparsity"])
    assert args.trials == "20" and args.eps == "0.01" and args.target == "2,4,1"


def test_lueker_sweep_columns_and_fitted_constant(tmp_path, capsys):
    out = tmp_path / "lueker"
    assert sweep.main(LUEKER + ["--out", str(out)]) == 0
    rows = sweep.read_csv(out / "results.csv")
    assert list(rows[0]) == (
        "experiment,n,eps,distribution,trials,successes,rate,ci_low,ci_high,seed".split(",")
    )
    assert len(rows) == 6
    # the rate cannot fall when n grows for the same draws? (different draws per n): only check
    # that more candidates reach the coarse eps at least as often at the largest n
    by = {(int(r["n"]), float(r["eps"])): float(r["rate"]) for r in rows}
    assert by[(14, 0.1)] >= by[(6, 0.1)] and by[(14, 0.1)] > 0.8
    assert (out / "lueker.png").stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "Fitted constant: n = C log2(1/eps) with C =" in printed


def test_lueker_rows_match_the_library(tmp_path):
    from lththeory.subset_sum import lueker_success_rate

    out = tmp_path / "l2"
    assert sweep.main(LUEKER + ["--out", str(out), "--distribution", "product"]) == 0
    rows = sweep.read_csv(out / "results.csv")
    r = next(r for r in rows if r["n"] == "10" and r["eps"] == "0.1")
    prop = lueker_success_rate(10, 0.1, "product", trials=40, seed=0)
    assert int(r["successes"]) == prop.successes and r["distribution"] == "product"


@pytest.mark.parametrize(
    "argv, needle",
    [
        (STRONG + ["--eps", "0"], "--eps must be a finite number > 0"),
        (STRONG + ["--eps", "-1"], "--eps must be a finite number > 0"),
        (STRONG[:5] + ["0,16"] + STRONG[6:], "--width: width must be an integer >= 1"),
        (STRONG[:5] + ["100000"] + STRONG[6:], "k is too large"),
        (STRONG + ["--construction", "magic"], "--construction must be one of"),
        (STRONG + ["--objective", "best"], "--objective must be one of"),
        (LUEKER[:5] + ["30"] + LUEKER[6:], "--n: n must be in [1, 24]"),
        (LUEKER[:7] + ["0"] + LUEKER[8:], "--eps: eps must be a finite number > 0"),
        (LUEKER + ["--distribution", "cauchy"], "--distribution must be one of"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, needle, tmp_path, capsys):
    assert sweep.main(argv + ["--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert needle in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_command_line_exit_status(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "lththeory.sweep", *STRONG, "--eps", "0", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("error: --eps")


def test_experiments_are_discovered():
    assert "strong" in EXPERIMENTS and "subset-sum" in EXPERIMENTS
    assert ss_exp.EXPERIMENT.name == "subset-sum" and strong_exp.EXPERIMENT.name == "strong"
