"""Scale-out on a real Dask distributed cluster (issue 9): a LocalCluster of two worker processes on
the loopback address; the same seed gives a byte-identical results.csv for --jobs 1, --jobs 2 and
--scheduler. Skipped when dask.distributed is not installed (pip install -e ".[cluster]")."""

from __future__ import annotations

import json
import logging

import pytest

from lththeory import sweep

distributed = pytest.importorskip("distributed")

WEAK = ["width", "sparsity", "--width", "2,8,32", "--sparsity", "0.5,0.9", "--trials", "60"]
WEAK += ["--target", "3,4,1", "--quiet"]
LUEKER = ["n", "eps", "--experiment", "subset-sum", "--n", "6,8", "--eps", "0.1,0.01"]
LUEKER += ["--trials", "30", "--quiet"]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        protocol="tcp",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as c:
        yield c


@pytest.mark.parametrize(
    "argv", [WEAK + ["--method", "masks"], WEAK, LUEKER], ids=["weak-masks", "weak", "lueker"]
)
def test_cluster_gives_the_bytes_of_jobs_1_and_2(argv, cluster, tmp_path):
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    outs = {name: tmp_path / name for name in ("one", "two", "dask")}
    assert sweep.main(argv + ["--out", str(outs["one"])]) == 0
    assert sweep.main(argv + ["--out", str(outs["two"]), "--jobs", "2"]) == 0
    assert (
        sweep.main(argv + ["--out", str(outs["dask"]), "--scheduler", cluster.scheduler_address])
        == 0
    )
    first = (outs["one"] / "results.csv").read_bytes()
    assert (outs["two"] / "results.csv").read_bytes() == first
    assert (outs["dask"] / "results.csv").read_bytes() == first
    meta = json.loads((outs["dask"] / "meta.json").read_text())
    assert meta["launcher"] == "dask" and meta["workers"] == 2 and meta["status"] == "complete"
    assert meta["scheduler"] == cluster.scheduler_address


def test_unreachable_scheduler_exits_2_before_touching_the_folder(tmp_path, capsys, monkeypatch):
    from lththeory.sweep import launchers

    monkeypatch.setattr(launchers, "CONNECT_TIMEOUT_S", 1)
    out = tmp_path / "none"
    assert sweep.main(WEAK + ["--out", str(out), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --scheduler: cannot connect to tcp://127.0.0.1:9")
    assert err.count("\n") == 1
    assert not (out / "meta.json").exists()
