"""The three comparisons of claim 4 (docs/theory.md §7.4), small versions on digits and MNIST-1D:
every variant and density reported with its interval and cost; sparse-to-sparse spends fewer FLOPs;
the epoch estimate of the benchmark matches what was trained; rows do not depend on --jobs."""

from dataclasses import replace

import pytest

pytest.importorskip("torch")

from lththeory.training.compare import ComparisonPlan, estimated_epochs, plan_jobs, run_comparisons  # noqa: E402
from lththeory.training.compare_report import comparison_figure, comparison_tables  # noqa: E402
from lththeory.training.loop import TrainConfig  # noqa: E402
from lththeory.training.methods.common import MethodOptions  # noqa: E402
from lththeory.training.run import ModelSpec  # noqa: E402

SMALL = ComparisonPlan(
    model=ModelSpec("mlp", (32,)),
    cfg=TrainConfig(epochs=3, batch_size=64, lr=0.01),
    options=MethodOptions(imp_fraction=0.5, synflow_iterations=5, snip_examples=100),
    seeds=2,
    a_schemes=("balanced",),
    a_densities=(0.1, 0.05),
    er_density=0.2,
    b_densities=(0.2, 0.02),
    c_densities=(0.1,),
    max_train=300,
)


def _key(r):
    return (r["comparison"], r["method"], r["start"], r["scheme"], r["density"])


@pytest.mark.parametrize("dataset", ["digits", "mnist1d"])
def test_small_comparisons(dataset, tmp_path):
    pytest.importorskip("sklearn" if dataset == "digits" else "mnist1d")
    plan = replace(SMALL, dataset=dataset)
    rows = run_comparisons(plan, jobs=1)
    expected = {
        ("dense", "static", "dense", "", 1.0),
        *{
            ("a", m, s, sch, d)
            for m in plan.a_methods
            for s, sch in [("dense", ""), ("er", "balanced")]
            for d in plan.a_densities
        },
        *{("b", "static", "er", sch, d) for sch in plan.b_schemes for d in plan.b_densities},
        *{("c", "edge-popup", s, "balanced", d) for s in ("dense", "er") for d in plan.c_densities},
    }
    assert {_key(r) for r in rows} == expected
    by = {_key(r): r for r in rows}
    d_in = 64 if dataset == "digits" else 40
    M = d_in * 32 + 32 * 10
    for r in rows:
        assert r["trials"] == plan.seeds
        assert 0 <= r["ci_low"] <= r["accuracy"] <= r["ci_high"] <= 1
        if r["comparison"] == "a":  # global pruning realises round(D M) weights exactly
            assert r["realised_density"] * M == round(r["density"] * M)
    for d in plan.a_densities:
        dense_imp, er_imp = by[("a", "imp", "dense", "", d)], by[("a", "imp", "er", "balanced", d)]
        assert er_imp["train_flops"] < dense_imp["train_flops"]
        assert er_imp["weight_updates"] < dense_imp["weight_updates"]
    for d in plan.c_densities:
        ep_dense = by[("c", "edge-popup", "dense", "balanced", d)]
        ep_er = by[("c", "edge-popup", "er", "balanced", d)]
        assert ep_er["weight_updates"] < ep_dense["weight_updates"]
    # the benchmark's run-time estimate counts exactly the epochs that were trained
    trained = sum(r["epochs"] * r["trials"] for r in rows if r["method"] != "imp")
    for s in ("dense", "er"):
        imp = [r for r in rows if r["method"] == "imp" and r["start"] == s]
        trained += max(r["epochs"] for r in imp) * plan.seeds
    assert trained == estimated_epochs(plan)
    assert "(b) static training" in comparison_tables(rows)
    assert (tmp_path / "c.png").exists() is False
    comparison_figure(rows, tmp_path / "c.png", dataset)
    assert (tmp_path / "c.png").stat().st_size > 10_000


def test_comparison_rows_do_not_depend_on_jobs():
    pytest.importorskip("sklearn")
    plan = replace(
        SMALL,
        a_methods=("imp",),
        a_densities=(0.1,),
        b_schemes=("erk",),
        b_densities=(0.1,),
        c_densities=(),
        a_schemes=("balanced",),
    )
    plan = replace(plan, a_schemes=())
    assert len(plan_jobs(plan)) == 2 * 3
    one, two = run_comparisons(plan, jobs=1), run_comparisons(plan, jobs=2)
    for a, b in zip(one, two, strict=True):
        a.pop("train_seconds"), b.pop("train_seconds")
        assert a == b
