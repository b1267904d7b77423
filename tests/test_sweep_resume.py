"""--resume reuses every finished row of any experiment and rewrites an identical results.csv."""

import json

import pytest

from lththeory import sweep

GRIDS = {
    "lower-bound": [
        "width",
        "sparsity",
        "--width",
        "1,4,16",
        "--sparsity",
        "0.5,0.8",
        "--target-neurons",
        "10",
        "--trials",
        "30",
    ],
    "subset-sum": ["n", "eps", "--n", "8,10", "--eps", "0.1,0.01", "--trials", "30"],
}


@pytest.mark.parametrize("experiment", sorted(GRIDS))
def test_resume_reuses_rows(experiment, tmp_path, capsys):
    args = [*GRIDS[experiment], "--experiment", experiment, "--out", str(tmp_path), "--quiet"]
    assert sweep.main(args) == 0
    first = (tmp_path / "results.csv").read_text()
    if experiment == "subset-sum":
        fit = json.loads((tmp_path / "fit.json").read_text())
        assert fit["C"] > 0 and len(fit["n_required"]) == 2
    assert sweep.main(args + ["--resume"]) == 0
    assert (tmp_path / "results.csv").read_text() == first
    # Changed by issue 9: a changed parameter used to restart the run silently (discarding the
    # earlier rows); --resume now refuses with exit 2, naming the parameter and both values, and
    # leaves the earlier run untouched. Without --resume the new parameters start a new run.
    capsys.readouterr()
    assert sweep.main(args + ["--resume", "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--seed differs" in err and "stored 0, given 1" in err
    assert json.loads((tmp_path / "meta.json").read_text())["config"]["seed"] == 0
    assert (tmp_path / "results.csv").read_text() == first
    assert sweep.main(args + ["--seed", "1"]) == 0
    assert json.loads((tmp_path / "meta.json").read_text())["config"]["seed"] == 1


def test_parse_value_round_trips():
    for text in ("3", "-2", "0.1", "1e-05", "nan", "4-8-8-1", "masks"):
        assert str(sweep.parse_value(text)) == text
    assert sweep.parse_value("") is None
