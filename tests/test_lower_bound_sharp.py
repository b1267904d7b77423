"""Theorem LB sharpened (docs/theory.md §4.2-§4.3): the equal-support closed form and the upper bound
that uses the input mask, against the exact decision by matching (Monte-Carlo, exact binomial tests
at alpha = 1e-3) and against enumeration (proofs/check_lower_bound.py, checks (d1)-(d2))."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lththeory.lower_bound import random_one_hidden_target, success_rate, upper_bound
from lththeory.lower_bound.theory import (
    exact_success_probability,
    masked_threshold_width,
    masked_upper_bound,
    support_classes,
    threshold_width,
    usable_probability,
)
from lththeory.stats import point_seedseq
from lththeory.sweep import main, read_csv

ALPHA = 1e-3


@pytest.mark.parametrize("d,N,p", [(3, 120, 0.5), (4, 400, 0.6), (2, 60, 0.4)])
def test_equal_supports_closed_form_matches_the_decision(d, N, p):
    """s = d: every support is all inputs; the measured rate agrees with P(Bin(N, p2 p1^d) >= n)
    (two-sided exact test at 1e-3 on 1000 trials)."""
    t = random_one_hidden_target(d, 10, d, seed=3)
    assert len(support_classes(t)) == 1
    exact = exact_success_probability(t, N, p, p)
    pr = success_rate(t, N, p, p, point_seedseq(5, N, d), 1000)
    assert stats.binomtest(pr.successes, pr.trials, exact).pvalue > ALPHA, (exact, pr)


def test_closed_form_is_only_claimed_for_equal_supports():
    assert (
        exact_success_probability(random_one_hidden_target(4, 10, 2, seed=1), 50, 0.5, 0.5) is None
    )


@settings(max_examples=12, deadline=None)
@given(
    d=st.integers(2, 5),
    s=st.integers(1, 3),
    N=st.integers(10, 150),
    p1=st.floats(0.2, 0.9),
    p2=st.floats(0.2, 0.9),
    seed=st.integers(0, 1000),
)
def test_masked_bound_is_never_refuted_and_beats_the_plain_one(d, s, N, p1, p2, seed):
    """The measured success rate never significantly exceeds the masked bound (one-sided exact test
    at 1e-3 on 300 trials), and the masked bound is at most P(Bin(N, p2) >= n)."""
    s = min(s, d)
    t = random_one_hidden_target(d, 8, s, seed=seed)
    ub = masked_upper_bound(t, N, p1, p2)
    assert ub <= upper_bound(N, t.n, p2) + 1e-12
    pr = success_rate(t, N, p1, p2, point_seedseq(seed, N), 300)
    assert (
        stats.binomtest(pr.successes, pr.trials, min(ub, 1.0), alternative="greater").pvalue > ALPHA
    )


def test_masked_bound_is_tight_where_it_should_be():
    """Near the masked threshold the measured rate is close to the bound for single-input targets
    (univariate supports: usable neurons are exactly the eligible ones for some target)."""
    t = random_one_hidden_target(1, 20, 1, seed=0)  # every target reads x_1: equal supports
    N = masked_threshold_width(t, 0.5, 0.5)
    assert N == threshold_width(20, 0.5, 0.5)
    assert masked_upper_bound(t, N, 0.5, 0.5) == pytest.approx(
        exact_success_probability(t, N, 0.5, 0.5)
    )


def test_usable_probability_is_exact_for_small_families():
    t = random_one_hidden_target(3, 12, 1, seed=2)  # supports {0}, {1}, {2} (some subset)
    k = len(support_classes(t))
    assert usable_probability(t, 0.3) == pytest.approx(1 - 0.7**k)


def test_sweep_fills_exact_for_equal_supports(tmp_path):
    out = tmp_path / "lb"
    argv = [
        "width", "sparsity", "--experiment", "lower-bound", "--instance", "random", "--support", "3",
        "--input-dim", "3", "--target-neurons", "10", "--width", "4,16", "--sparsity", "0.5",
        "--trials", "40", "--out", str(out), "--quiet",
    ]  # fmt: skip
    assert main(argv) == 0
    rows = read_csv(out / "results.csv")
    assert all(r["exact"] != "" for r in rows)
    assert all(float(r["upper_bound_masked"]) <= float(r["upper_bound"]) + 1e-12 for r in rows)
    N = np.array([int(r["hidden_width"]) for r in rows])
    np.testing.assert_allclose(
        [float(r["exact"]) for r in rows], stats.binom.sf(9, N, 0.5 * 0.5**3)
    )
