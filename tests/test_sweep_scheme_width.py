"""The scheme-width experiment and the new weak-sweep flags through the sweep command (docs/theory.md
§3.9): files and columns, the same bytes for --jobs 1 and 2, --resume, the contained-target map,
--reference-densities, --target-density, --target-support, --mask, conv targets and bad flags."""

from __future__ import annotations

import json

import pytest

from lththeory import sweep
from lththeory.densities import layer_densities
from lththeory.experiments import scheme_width as sw_exp
from lththeory.weak import fc_source_shapes

TINY = [
    "density",
    "scheme",
    "--experiment",
    "scheme-width",
    "--density",
    "0.1,0.4",
    "--trials",
    "60",
    "--target",
    "3,4,1",
    "--quiet",
]
REQUIRED = (
    "density,scheme,required_width,sharp_width,source_weights,target_weights,layer_densities,"
    "trials,delta,seed"
).split(",")


def _rows(out):
    return sweep.read_csv(out / "results.csv")


def test_scheme_width_sweep_files_columns_and_ranking(tmp_path, capsys):
    out = tmp_path / "run"
    assert sweep.main(TINY + ["--out", str(out)]) == 0
    rows = _rows(out)
    assert len(rows) == 8 and set(REQUIRED) <= set(rows[0])
    for r in rows:
        k = int(r["required_width"])
        assert k >= 1 and int(r["sharp_width"]) >= 1 and r["mask"] == "bernoulli"
        dens = [float(x) for x in r["layer_densities"].split(";")]
        shapes = fc_source_shapes(sw_exp.EXPERIMENT.target(_config(out)))(k)
        want = layer_densities(shapes, float(r["density"]), r["scheme"])
        assert dens == pytest.approx(list(want), rel=1e-5)
        assert float(r["rate"]) >= 0.9 and float(r["rate_below"] or 0) < 0.9
        assert r["sharp_holds"] in ("0", "1") and 0 <= float(r["sharp_rate"]) <= 1
    assert (out / "phase.png").stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "Fewest expected source weights" in printed and "D = 0.1:" in printed
    assert "Theorem W''s width is" in printed and "At Theorem W''s width the measured" in printed


def _config(out):
    return json.loads((out / "meta.json").read_text())["config"]


def test_same_bytes_for_any_jobs_and_resume(tmp_path, monkeypatch):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert sweep.main(TINY + ["--out", str(a)]) == 0
    assert sweep.main(TINY + ["--out", str(b), "--jobs", "2"]) == 0
    assert (a / "results.csv").read_text() == (b / "results.csv").read_text()
    real = sw_exp.EXPERIMENT.run_point
    calls = {"n": 0}

    def flaky(point, config):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(point, config)

    monkeypatch.setattr(sw_exp.EXPERIMENT, "run_point", flaky)
    assert sweep.main(TINY + ["--out", str(c)]) == 130
    monkeypatch.setattr(sw_exp.EXPERIMENT, "run_point", real)
    assert sweep.main(TINY + ["--out", str(c), "--resume"]) == 0
    assert (c / "results.csv").read_text() == (a / "results.csv").read_text()


def test_contained_map_and_sparse_targets(tmp_path, capsys):
    """density x target_density draws contained.png; sparser targets have fewer weights, and every
    row names its target density."""
    out = tmp_path / "c"
    args = ["density", "target_density", "--experiment", "scheme-width", "--target", "4,6,1"]
    args += ["--density", "0.1,0.4", "--target-density", "0.2,1", "--trials", "60", "--quiet"]
    assert sweep.main(args + ["--out", str(out)]) == 0
    rows = _rows(out)
    assert {r["target_density"] for r in rows} == {"0.2", "1.0"}
    tw = {r["target_density"]: int(r["target_weights"]) for r in rows}
    assert tw["0.2"] < tw["1.0"] == 4 * 6 + 6
    assert (out / "contained.png").stat().st_size > 10_000
    assert "Required width k by target density at D = 0.1" in capsys.readouterr().out


def test_reference_densities_fall_short_of_the_budget(tmp_path):
    """Clamp-only balanced densities realise less than D where a layer saturates; exact ones do not."""
    base = ["density", "--experiment", "scheme-width", "--density", "0.5", "--scheme", "balanced"]
    base += ["--target", "3,4,1", "--trials", "60", "--quiet"]
    assert sweep.main(base + ["--out", str(tmp_path / "e")]) == 0
    assert sweep.main(base + ["--out", str(tmp_path / "r"), "--reference-densities"]) == 0
    e, r = _rows(tmp_path / "e")[0], _rows(tmp_path / "r")[0]
    assert float(e["realised_density"]) == pytest.approx(0.5)
    assert float(r["realised_density"]) < 0.5 and r["densities_mode"] == "reference"


def test_fixed_count_masks_and_supports_in_scheme_width(tmp_path, capsys):
    """--mask fixed-count runs explicit masks and says so; --target-support s fixes the fan-in."""
    base = ["density", "--experiment", "scheme-width", "--density", "0.3,0.6", "--target", "3,4,1"]
    base += ["--trials", "40", "--quiet", "--target-support", "2"]
    assert sweep.main(base + ["--out", str(tmp_path / "f"), "--mask", "fixed-count"]) == 0
    rows = _rows(tmp_path / "f")
    assert {(r["mask"], r["method"], r["target_support"]) for r in rows} == {
        ("fixed-count", "masks", "2")
    }
    assert all(r["sharp_holds"] == "" for r in rows)  # Theorem W' is proven for Bernoulli masks
    assert "count chain's independence does not hold" in capsys.readouterr().out


def test_conv_target_in_scheme_width(tmp_path):
    """A conv target (the flattened channel profile: masks per kernel entry, ERK counting kernel
    dimensions) runs through the same experiment."""
    args = ["scheme", "--experiment", "scheme-width", "--target", "2,3,2", "--conv", "3x3"]
    args += ["--image", "4x4", "--density", "0.3", "--trials", "40", "--quiet"]
    assert sweep.main(args + ["--out", str(tmp_path / "v")]) == 0
    rows = _rows(tmp_path / "v")
    assert len(rows) == 4 and all(int(r["required_width"]) >= 1 for r in rows)
    assert int(rows[0]["dense_target_weights"]) == (2 * 3 + 3 * 2) * 9


def test_weak_sweep_target_density_and_fixed_count(tmp_path, capsys):
    """The weak sweep's target_density axis and --mask fixed-count (explicit masks, checks blank)."""
    args = ["width", "target_density", "--target", "3,4,1", "--width", "4,16", "--quiet"]
    args += ["--target-density", "0.3,1", "--trials", "30"]
    assert sweep.main(args + ["--out", str(tmp_path / "a")]) == 0
    assert sweep.main(args + ["--out", str(tmp_path / "b"), "--jobs", "2"]) == 0
    assert (tmp_path / "a" / "results.csv").read_text() == (
        tmp_path / "b" / "results.csv"
    ).read_text()
    rows = _rows(tmp_path / "a")
    assert {r["target_density"] for r in rows} == {"0.3", "1.0"}
    fixed = ["width", "sparsity", "--target", "3,4,1", "--width", "8,64", "--sparsity", "0.5"]
    fixed += ["--trials", "30", "--quiet", "--mask", "fixed-count", "--out", str(tmp_path / "f")]
    capsys.readouterr()
    assert sweep.main(fixed) == 0
    rows = _rows(tmp_path / "f")
    assert all(r["mask"] == "fixed-count" and r["method"] == "masks" for r in rows)
    assert all(r["bound_holds"] == r["sharp_bound_holds"] == "" for r in rows)
    assert "every point ran explicit masks" in capsys.readouterr().out


SW = ["density", "scheme", "--experiment", "scheme-width", "--target", "3,4,1"]


@pytest.mark.parametrize(
    "extra,message",
    [
        (SW + ["--density", "0,0.5"], "--density: density (fraction of weights kept) must be in"),
        (SW + ["--scheme", "random"], "--scheme: scheme must be one of"),
        (SW + ["--target-density", "1.5"], "--target-density: target_density (fraction of"),
        (SW + ["--target-support", "9"], "--target-support must be 'dense' or in [1, 3]"),
        (SW + ["--mask", "torch"], "--mask must be one of 'bernoulli', 'fixed-count'"),
        (SW + ["--mask", "fixed-count", "--method", "counts"], "--mask fixed-count needs"),
        (SW + ["--method", "exact"], "--method must be one of 'counts', 'masks'"),
        (SW + ["--conv", "3x3", "--target-support", "1"], "needs a fully connected target"),
        (["width", "--target-density", "0"], "--target-density: target_density (fraction of"),
        (["width", "--mask", "fixed"], "--mask must be one of 'bernoulli', 'fixed-count'"),
        (["width", "--mask", "fixed-count", "--method", "counts"], "--mask fixed-count needs"),
        (["width", "--target-support", "0"], "--target-support: target_support must be"),
    ],
)
def test_bad_flags_exit_2_with_one_line(extra, message, tmp_path, capsys):
    assert sweep.main(extra + ["--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
