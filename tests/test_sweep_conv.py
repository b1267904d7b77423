"""The weak sweep on conv targets (``--conv 3x3 --image 8x8``; docs/theory.md §8.6): files, the
target label, determinism across --jobs, --resume, the two simulators agreeing point by point,
and one bad flag per new flag."""

import json

import numpy as np
import pytest
from scipy import stats

from lththeory import sweep
from lththeory.conv import ConvNetwork
from lththeory.experiments import weak as weak_exp

TINY = [
    "width",
    "sparsity",
    "--width",
    "4,12,24",
    "--sparsity",
    "0.5,0.7",
    "--trials",
    "60",
    "--target",
    "2,3,2",
    "--conv",
    "3x3",
    "--image",
    "6x6",
    "--quiet",
]


def test_conv_sweep_writes_files_and_labels_the_target(tmp_path, capsys):
    out = tmp_path / "run"
    assert sweep.main(TINY + ["--out", str(out)]) == 0
    rows = sweep.read_csv(out / "results.csv")
    assert len(rows) == 6
    assert {r["target"] for r in rows} == {"2-3-2 conv3x3 6x6 pad1x1"}
    meta = json.loads((out / "meta.json").read_text())
    assert meta["config"]["conv"] == {
        "kernel": [3, 3],
        "image": [6, 6],
        "padding": [1, 1],
        "head": "none",
    }
    assert (out / "phase.png").stat().st_size > 10_000
    assert "conv3x3" in capsys.readouterr().out
    # the theory width is Theorem W's at the conv target's kernel-entry fan-in
    target = weak_exp.EXPERIMENT.target(meta["config"])
    assert isinstance(target, ConvNetwork) and target.fan_in()[0].sum() == 3 * 2 * 9
    from lththeory.weak import theorem_w_common_width

    r = rows[0]
    dens = [float(r["first_layer_density"])] + [float(r["density"])] * 2
    assert int(r["theory_width"]) == theorem_w_common_width(target, dens, 0.1)


def test_conv_sweep_same_bytes_for_any_jobs_and_resume(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    extra = ["--method", "masks", "--head", "pool-linear", "--target", "2,3,3"]
    assert sweep.main(TINY + extra + ["--out", str(a), "--jobs", "1"]) == 0
    assert sweep.main(TINY + extra + ["--out", str(b), "--jobs", "2"]) == 0
    assert (a / "results.csv").read_text() == (b / "results.csv").read_text()
    rows = sweep.read_csv(a / "results.csv")
    assert rows[0]["target"] == "2-3-3 conv3x3 6x6 pad1x1 pool-linear"
    full = (a / "results.csv").read_text().splitlines()
    (a / "results.csv").write_text("\n".join(full[:3]) + "\n")  # keep two rows
    assert sweep.main(TINY + extra + ["--out", str(a), "--resume"]) == 0
    assert (a / "results.csv").read_text() == (b / "results.csv").read_text()


def test_counts_and_masks_agree_point_by_point(tmp_path):
    """Each grid point's successes under --method counts and --method masks (independent draws):
    Fisher's exact test per point at 1e-3 / 6 (Bonferroni; family-wise false-positive rate 0.1 %)."""
    grid = ["--width", "8,12,20", "--sparsity", "0.5,0.6", "--trials", "300"]
    base = TINY + grid + ["--padding", "valid", "--image", "7x7", "--dense-first-layer"]
    c, m = tmp_path / "c", tmp_path / "m"
    assert sweep.main(base + ["--out", str(c), "--method", "counts"]) == 0
    assert sweep.main(base + ["--out", str(m), "--method", "masks"]) == 0
    rc, rm = sweep.read_csv(c / "results.csv"), sweep.read_csv(m / "results.csv")
    informative = 0
    for x, y in zip(rc, rm, strict=True):
        assert (x["width"], x["sparsity"]) == (y["width"], y["sparsity"])
        sx, sy, n = int(x["successes"]), int(y["successes"]), int(x["trials"])
        informative += 0 < sx < n
        assert stats.fisher_exact([[sx, n - sx], [sy, n - sy]]).pvalue > 1e-3 / len(rc)
    assert informative >= 2  # some points are neither all-success nor all-failure
    assert np.mean([float(r["rate"]) for r in rc]) > 0.1


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--conv", "3"], "--conv must look like 3x3"),
        (["--conv", "2x2"], "--conv must be an odd kernel"),
        (["--conv", "3x3", "--image", "0x8"], "--image rows must be an integer >= 1"),
        (["--image", "8x8"], "--image needs --conv"),
        (["--head", "pool-linear"], "--head needs --conv"),
        (["--conv", "3x3", "--padding", "full"], "--padding must be one of 'same', 'valid'"),
        (["--conv", "3x3", "--head", "gap"], "--head must be one of 'none', 'pool-linear'"),
        (
            ["--conv", "3x3", "--head", "pool-linear", "--target", "3,4"],
            "--head pool-linear needs --target with at least 3 widths",
        ),
        (
            ["--conv", "3x3", "--image", "4x4", "--padding", "valid", "--target", "2,2,2,2"],
            "--image: image 4x4 is too small",
        ),
        (
            ["--conv", "3x3", "--method", "masks", "--width", "4000", "--target", "3,8,8,4"],
            "of explicit masks with --method masks",
        ),
    ],
)
def test_bad_conv_flags_exit_2_with_one_line(extra, message, tmp_path, capsys):
    argv = ["width", "sparsity", "--out", str(tmp_path), "--quiet", "--sparsity", "0.5"]
    assert sweep.main(argv + extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_make_config_runs_a_conv_point():
    exp = weak_exp.EXPERIMENT
    config = exp.make_config(trials=50, target="2,3,2", conv="3x3", image="5x5", padding="valid")
    assert config["conv"]["padding"] == [0, 0]
    row = exp.run_point({"width": 30, "sparsity": 0.5}, config)
    assert row["target"] == "2-3-2 conv3x3 5x5 pad0x0" and row["rate"] > 0.5
    assert "conv" not in exp.make_config(trials=5)  # FC configs are unchanged
