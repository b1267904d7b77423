"""``--experiment train`` and ``--experiment planted`` through the sweep command on tiny grids:
files, columns, same rows for --jobs 1 and 2, --resume, every method and start, one bad value per
new flag, and ``--experiment weak`` never importing torch."""

import json
import subprocess
import sys

import pytest

from lththeory import sweep

pytest.importorskip("torch")
pytest.importorskip("sklearn")

TINY = [
    "density",
    "scheme",
    "--experiment",
    "train",
    "--density",
    "0.2,0.05",
    "--scheme",
    "balanced,pyramidal",
    "--trials",
    "2",
    "--epochs",
    "2",
    "--hidden",
    "16",
    "--max-train",
    "200",
    "--quiet",
]
PLANTED = [
    "width",
    "sparsity",
    "--experiment",
    "planted",
    "--width",
    "2,12",
    "--sparsity",
    "0.5",
    "--trials",
    "3",
    "--epochs",
    "15",
    "--n-train",
    "256",
    "--ticket-trials",
    "300",
    "--quiet",
]


def _rows_without_time(path):
    rows = sweep.read_csv(path)
    for r in rows:
        r.pop("train_seconds", None)
    return rows


def test_train_sweep_writes_files(tmp_path, capsys):
    out = tmp_path / "run"
    assert sweep.main(TINY + ["--out", str(out)]) == 0
    rows = sweep.read_csv(out / "results.csv")
    assert len(rows) == 4
    need = {"accuracy", "ci_low", "ci_high", "realised_density", "epochs", "train_seconds"}
    assert need <= set(rows[0])
    for r in rows:
        acc, lo, hi = float(r["accuracy"]), float(r["ci_low"]), float(r["ci_high"])
        assert 0 <= lo <= acc <= hi <= 1 and int(r["trials"]) == 2
        assert float(r["realised_density"]) == pytest.approx(float(r["density"]), rel=0.25)
        assert float(r["epochs"]) == 2 and float(r["train_flops"]) > 0
        assert len(r["layer_densities"].split(";")) == 2
        assert 0 <= float(r["dense_ci_low"]) <= float(r["dense_accuracy"]) <= 1
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "complete" and meta["config"]["method"] == "static"
    assert (out / "phase.png").stat().st_size > 10_000
    assert "Dense network: accuracy" in capsys.readouterr().out


def test_train_rows_do_not_depend_on_jobs_and_resume(tmp_path):
    """Same rows for --jobs 1 and 2 (``train_seconds`` is a wall time and excluded)."""
    a, b = tmp_path / "a", tmp_path / "b"
    assert sweep.main(TINY + ["--out", str(a), "--jobs", "1"]) == 0
    assert sweep.main(TINY + ["--out", str(b), "--jobs", "2"]) == 0
    assert _rows_without_time(a / "results.csv") == _rows_without_time(b / "results.csv")
    first = (a / "results.csv").read_text()
    assert sweep.main(TINY + ["--out", str(a), "--resume"]) == 0
    assert (a / "results.csv").read_text() == first


@pytest.mark.parametrize(
    "method,start",
    [
        ("imp", "er"),
        ("imp", "dense"),
        ("snip", "er"),
        ("synflow", "dense"),
        ("edge-popup", "er"),
        ("static", "dense"),
    ],
)
def test_every_method_and_start_runs(tmp_path, method, start):
    args = [
        "density",
        "--experiment",
        "train",
        "--density",
        "0.1",
        "--method",
        method,
        "--start",
        start,
        "--trials",
        "1",
        "--epochs",
        "2",
        "--hidden",
        "16",
        "--max-train",
        "150",
        "--imp-fraction",
        "0.6",
        "--synflow-iterations",
        "5",
        "--quiet",
        "--out",
        str(tmp_path),
    ]
    assert sweep.main(args) == 0
    (row,) = sweep.read_csv(tmp_path / "results.csv")
    want = 1.0 if (method, start) == ("static", "dense") else 0.1
    assert float(row["realised_density"]) == pytest.approx(want, rel=0.3)
    assert row["ci_low"] == ""  # one seed: no interval
    assert (row["er_density"] == "") == (start == "dense" or method == "static")


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--dataset", "mnist"], "--dataset must be one of"),
        (["--method", "rigl"], "--method must be one of"),
        (["--start", "sparse"], "--start must be one of 'dense', 'er'"),
        (["--model", "resnet"], "--model must be one of 'mlp', 'cnn'"),
        (["--hidden", "16,0"], "--hidden[1] must be an integer >= 1"),
        (["--epochs", "0"], "--epochs must be an integer >= 1"),
        (["--batch-size", "x"], "--batch-size must be an integer >= 1"),
        (["--lr", "-1"], "--lr must be a finite number > 0"),
        (["--er-density", "2"], "--er-density (fraction of weights kept) must be in (0, 1]"),
        (["--mask", "random"], "--mask must be one of 'bernoulli', 'fixed-count'"),
        (["--min-fan-in", "-1"], "--min-fan-in must be an integer >= 0"),
        (["--imp-fraction", "1.5"], "--imp-fraction must be in (0, 1)"),
        (["--rewind-epoch", "2"], "--rewind-epoch must be below --epochs = 2"),
        (["--snip-examples", "0"], "--snip-examples must be an integer >= 1"),
        (["--synflow-iterations", "0"], "--synflow-iterations must be an integer >= 1"),
        (["--score-lr", "0"], "--score-lr must be a finite number > 0"),
        (["--max-train", "0"], "--max-train must be an integer >= 1"),
        (["--density", "0"], "--density: density (fraction of weights kept) must be in (0, 1]"),
        (["--scheme", "random"], "--scheme: scheme must be one of"),
        (
            ["--method", "imp", "--er-density", "0.1"],
            "--density 0.2 is above --er-density 0.1",
        ),
        (
            ["--dataset", "fashion-mnist", "--data-dir", "/nonexistent"],
            "apt-get install dataset-fashion-mnist",
        ),
    ],
)
def test_train_bad_input_exits_2_with_one_line(extra, message, tmp_path, capsys):
    assert sweep.main(TINY + extra + ["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_weak_sweep_never_imports_torch(tmp_path):
    code = (
        "import sys; from lththeory import sweep; "
        f"rc = sweep.main(['width', 'sparsity', '--width', '2,4', '--sparsity', '0.5', "
        f"'--trials', '10', '--target', '2,3,1', '--quiet', '--out', {str(tmp_path)!r}]); "
        "print(rc, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["0", "False"]


def test_planted_sweep(tmp_path):
    """Columns and figure; the count chain is near 1 at k = 12 (2-4-1 teacher, p = 0.5) and the
    rows are byte-identical for --jobs 1 and 2."""
    a, b = tmp_path / "a", tmp_path / "b"
    assert sweep.main(PLANTED + ["--out", str(a)]) == 0
    assert sweep.main(PLANTED + ["--out", str(b), "--jobs", "2"]) == 0
    assert (a / "results.csv").read_text() == (b / "results.csv").read_text()
    rows = sweep.read_csv(a / "results.csv")
    assert [int(r["width"]) for r in rows] == [2, 12]
    for r in rows:
        for key in ("", "imp_", "ticket_"):
            lo, rate, hi = (float(r[f"{key}{c}"]) for c in ("ci_low", "rate", "ci_high"))
            assert 0 <= lo <= rate <= hi <= 1
        assert 0 <= float(r["construct_rate"]) <= 1
        assert float(r["imp_weights"]) < float(r["mask_weights"])
    assert float(rows[1]["ticket_rate"]) > 0.9
    assert (a / "planted.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--tolerance", "0"], "--tolerance must be a finite number > 0"),
        (["--ticket-trials", "0"], "--ticket-trials must be an integer >= 1"),
        (["--imp-keep", "1.5"], "--imp-keep and --imp-fraction must be in (0, 1)"),
        (["--n-train", "0"], "--n-train must be an integer >= 1"),
    ],
)
def test_planted_bad_input(extra, message, tmp_path, capsys):
    assert sweep.main(PLANTED + extra + ["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
