"""Theorem W's common width in O(log k) (issue 9): equal to the previous scan over every integer on a
grid of small cases, checked against a brute-force reading of its definition, memory free of k, and
sparsities up to 0.99999 in the API and the sweep."""

from __future__ import annotations

import itertools
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lththeory import random_target, sweep
from lththeory.experiments import weak as weak_exp
from lththeory.masks import rho
from lththeory.weak import theorem_w_common_width, theorem_w_failure_bound, theorem_w_terms


def _conditions(target, ps, delta, k):
    """All of Theorem W's active conditions at common widths k (an integer array), written out from
    docs/theory.md §3.4 (W1), (W2), (W3_l) with T the number of active terms (the Chernoff term only
    when p_1 < 1, term l only when m_l > 0 and p_{l+1} < 1; no factor 2 / p_1 when p_1 = 1):
    (number of conditions, len(k)) booleans."""
    L, d = target.depth, target.input_dim
    m = [int(s.sum()) for s in target.supports()]
    active = [ps[0] < 1] + [m[l - 1] > 0 and ps[l] < 1 for l in range(1, L + 1)]
    T = max(1, sum(active))
    k = k.astype(np.float64)
    one = np.ones_like(k)
    rows = [np.ones(k.shape, dtype=bool)]
    if active[0]:
        rows.append(k >= 8.0 * np.log(T * d / delta) / ps[0])
    if active[1]:
        f = 2.0 / ps[0] if ps[0] < 1 else 1.0
        rows.append(k >= f * np.log(T * (k if L >= 2 else one) * m[0] / delta) * rho(ps[1]))
    for l in range(2, L + 1):
        if active[l]:
            kl = k if l < L else one
            rows.append(k >= np.log(T * kl * m[l - 1] / delta) * rho(ps[l]))
    return np.array(rows)


def _old_scan(target, ps, delta):
    """The previous implementation's definition: the smallest integer where every condition holds,
    by checking every candidate up to an admissible one (vectorised)."""
    hi = 1
    while not _conditions(target, ps, delta, np.array([hi])).all():
        hi *= 2
    k = np.arange(1, hi + 1)
    return int(k[np.argmax(_conditions(target, ps, delta, k).all(axis=0))])


def _last_failure_plus_one(target, ps, delta):
    """The new definition by brute force: one past the last integer where some condition fails,
    scanning up to H >= every B (beyond which each condition's slack only grows)."""
    hi = 1
    while not _conditions(target, ps, delta, np.array([hi])).all():
        hi *= 2
    H = 4 * hi + 64
    k = np.arange(1, H + 1)
    fails = np.flatnonzero(~_conditions(target, ps, delta, k).all(axis=0))
    return int(k[fails[-1]] + 1) if fails.size else 1


CASES = list(
    itertools.product(
        [(1, 1, 1), (2, 3, 1), (4, 8, 8, 1), (1, 2, 2, 2, 1), (6, 1)],
        [0.05, 0.3, 0.7, 1.0],
        [False, True],
        [0.01, 0.1, 0.5, 0.99],
    )
)


@pytest.mark.parametrize("widths, p, dense_first, delta", CASES)
def test_equal_to_the_previous_scan_and_to_brute_force(widths, p, dense_first, delta):
    target = random_target(widths, density=0.6, seed=1)
    ps = [1.0 if dense_first else p] + [p] * target.depth
    k = theorem_w_common_width(target, ps, delta)
    assert k == _old_scan(target, ps, delta)
    assert k == _last_failure_plus_one(target, ps, delta)


@given(
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    p=st.floats(0.02, 1.0),
    p1=st.floats(0.02, 1.0),
    delta=st.floats(0.01, 0.99),
)
def test_holds_from_the_answer_on_and_fails_just_below(widths, p, p1, delta):
    target = random_target(widths, seed=0)
    ps = [p1] + [p] * target.depth
    k = theorem_w_common_width(target, ps, delta)
    ks = np.arange(k, 8 * k + 64)
    assert _conditions(target, ps, delta, ks).all()
    if k > 1:
        assert not _conditions(target, ps, delta, np.array([k - 1])).all()


@pytest.mark.parametrize("sparsity", [0.999, 0.9999, 0.99999])
def test_high_sparsity_is_fast_and_small(sparsity):
    """The previous scan needed 57 GiB at 0.9999; now O(log k) evaluations, memory free of k."""
    target = random_target((4, 8, 8, 1), seed=0)
    p = 1.0 - sparsity
    tracemalloc.start()
    t0 = time.perf_counter()
    k = theorem_w_common_width(target, p, 0.1)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**20 and elapsed < 1.0
    # the answer meets the union bound's per-term budget and k - 1 does not
    cap = 0.1 / (target.depth + 1)
    assert np.all(theorem_w_terms(target, k, p) <= cap * (1 + 1e-9))
    assert np.any(theorem_w_terms(target, k - 1, p) > cap)
    assert theorem_w_failure_bound(target, k, p) <= 0.1
    # order of magnitude: (W2) reads k ~ 2 rho(p)/p ln(3 k m_1 / delta)
    assert 1.0 < k / (2 * rho(p) / p) < 100.0


def test_sweep_at_sparsity_0_99999(tmp_path):
    out = tmp_path / "hs"
    argv = ["width", "sparsity", "--sparsity", "0.999,0.99999", "--width", "1000,1000000000000"]
    assert sweep.main(argv + ["--trials", "50", "--quiet", "--out", str(out)]) == 0
    rows = {(int(r["width"]), float(r["sparsity"])): r for r in sweep.read_csv(out / "results.csv")}
    assert len(rows) == 4
    exp = weak_exp.EXPERIMENT
    config = exp.make_config(trials=50)
    dens = exp.densities(config, 0.99999)
    tw = int(rows[(1000, 0.99999)]["theory_width"])
    assert tw == theorem_w_common_width(exp.target(config), dens, 0.1) and tw > 10**11
    assert int(rows[(1000, 0.99999)]["successes"]) == 0  # far below the frontier
    big = rows[(10**12, 0.99999)]
    assert int(big["successes"]) == 50 and big["bound_holds"] == "1"
    assert float(big["bound_success"]) > 0.9
