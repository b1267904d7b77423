"""Strong tickets at scale (docs/theory.md §5.7): the min-error objective, the certified error
against the sampled one, the engines, the predicted error curve and the side-by-side comparison."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lththeory import LTHInputError, random_target
from lththeory import subset_sum as ss
from lththeory.strong import (
    MAX_CANDIDATES,
    candidate_sets,
    compare_constructions,
    construct,
    error_budget,
    estimate_error,
    expected_candidates,
    predicted_error,
    sample_source,
)

targets = st.builds(
    lambda widths, seed, a, bias: random_target(widths, seed=seed, box=(a, a + 1.5), bias=bias),
    st.lists(st.integers(1, 3), min_size=2, max_size=4),
    st.integers(0, 10**6),
    st.sampled_from([-1.0, -0.5, 0.0]),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(
    target=targets,
    k=st.integers(2, 48),
    p=st.sampled_from([0.3, 0.6, 1.0]),
    seed=st.integers(0, 10**6),
    construction=st.sampled_from(["univariate", "pensia"]),
    objective=st.sampled_from(["threshold", "min-error"]),
)
def test_certified_error_is_never_below_the_sampled_error(
    target, k, p, seed, construction, objective
):
    # the certificate bounds sup |f_P - f_T| over the whole box and every sampled point lies in the
    # box, so certified >= sampled for every source, width, density, box and objective (a rounding
    # margin of 1e-9 relative); a wrong certificate term would show up as a violation here
    src = sample_source(target, k, p, seed=seed, construction=construction)
    res = construct(
        target, src, 0.02, objective=objective, n_points=256, n_local=2, seed=seed % 1000
    )
    assert np.isfinite(res.certified_error)
    assert res.measured_error <= res.certified_error * (1 + 1e-9) + 1e-12
    again = estimate_error(res.ticket.network, target, n_points=256, seed=seed % 7)
    assert again.max_error <= res.certified_error * (1 + 1e-9) + 1e-12


@pytest.mark.parametrize("construction", ["univariate", "pensia"])
def test_min_error_reaches_at_least_the_threshold_subset_sums(construction):
    # min-error solves every subset sum over all its candidates, so at the same width it succeeds
    # wherever the threshold run does and its certified error is far below eps there
    target = random_target([2, 4, 1], seed=1)
    src = sample_source(target, 192, 0.5, seed=3, construction=construction)
    thr = construct(target, src, 0.01, evaluate=False)
    best = construct(target, src, 0.01, evaluate=False, objective="min-error")
    assert thr.success and best.success
    assert best.certified_error < 0.1 * thr.certified_error


@pytest.mark.skipif(not ss.NUMBA_AVAILABLE, reason="numba not installed (extra fast)")
@pytest.mark.parametrize("objective", ["threshold", "min-error"])
def test_engines_build_the_same_ticket(objective):
    target = random_target([3, 5, 2], seed=4)
    src = sample_source(target, 96, 0.6, seed=9)
    a = construct(target, src, 0.01, evaluate=False, engine="reference", objective=objective)
    b = construct(target, src, 0.01, evaluate=False, engine="numba", objective=objective)
    assert a.certified_error == b.certified_error and a.size == b.size
    for Ma, Mb in zip(a.ticket.masks, b.ticket.masks, strict=True):
        assert (Ma != Mb).nnz == 0


def test_bad_objective_and_engine_are_one_line():
    target = random_target([1, 2, 1], seed=0)
    src = sample_source(target, 8, 0.5, seed=0)
    with pytest.raises(LTHInputError, match="objective must be one of"):
        construct(target, src, 0.1, objective="best")
    with pytest.raises(LTHInputError, match="engine must be one of"):
        construct(target, src, 0.1, engine="gpu")


def test_expected_candidates_and_prediction_follow_the_candidate_sets():
    target = random_target([2, 3, 1], seed=2)
    k, p = 100, 0.5
    n = expected_candidates(target, k, p)
    for s in candidate_sets(target, k, p):
        assert n[s.layer - 1] <= min(k * s.q, MAX_CANDIDATES) + 1e-12
    # the prediction is the budget recursion at the per-layer errors max|W_l, b_l| 2^(-n_l)
    bud = error_budget(target, 0.01, "univariate", "typical", MAX_CANDIDATES)
    scale = [
        max(np.abs(W.toarray() if hasattr(W, "toarray") else W).max(), np.abs(b).max())
        for W, b in zip(target.weights, target.biases, strict=True)
    ]
    e = [sc * 2.0**-nl for sc, nl in zip(scale, n, strict=True)]
    E = e[0] * bud.fresh[0]
    for l in range(1, target.depth):
        E = e[l] * bud.fresh[l] + bud.alpha[l] * E
    assert predicted_error(target, k, p, 0.01) == pytest.approx(E, rel=1e-12)
    # it falls with k until every set reaches the cap, then stays
    ks = [10, 20, 40, 80, 5000, 10000]
    pred = [predicted_error(target, kk, p, 0.01) for kk in ks]
    assert all(a > b for a, b in zip(pred[:4], pred[1:5], strict=True))
    assert pred[-1] == pred[-2]


def test_compare_constructions_side_by_side():
    target = random_target([2, 3, 1], seed=5)
    rows = compare_constructions(target, [32, 128], [0.5], 0.02, trials=3, seed=1, n_points=128)
    assert [(r["construction"], r["width"]) for r in rows] == [
        ("univariate", 32),
        ("univariate", 128),
        ("pensia", 32),
        ("pensia", 128),
    ]
    for r in rows:
        assert r["trials"] == 3 and 0 <= r["successes"] <= 3
        assert r["source_neurons"] > 0 and r["source_weights"] > r["ticket_weights"] >= 0
        assert r["certified_error"] >= r["sampled_error"] >= 0
        assert r["depth"] == (3 if r["construction"] == "univariate" else 4)
    # the same seed gives the same rows
    again = compare_constructions(target, [32], [0.5], 0.02, trials=3, seed=1, n_points=128)
    assert again[0] == rows[0]
