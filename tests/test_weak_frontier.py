"""The measured frontier by bisection (lththeory.weak.required_width, docs/theory.md §3.8): against an
exact success probability, against a plain scan, and its evidence as a property."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lththeory as lt
from lththeory import LTHInputError
from lththeory.network import ReLUNetwork
from lththeory.stats import child_seedseq, point_seedseq
from lththeory.weak import required_width, sharp_common_width, simulate_counts


def _one_output(d: int) -> ReLUNetwork:
    """A one-layer target with one output reading all d inputs."""
    return ReLUNetwork(weights=[np.ones((1, d))], biases=[np.zeros(1)])


def _exact(k: int, p: float, d: int) -> float:
    """P(success) for a d-1 target: prod_j E[1 - (1-p)^{V_j}], V_j ~ Bin(k, p): (1 - (1-p^2)^k)^d."""
    return float((1.0 - (1.0 - p * p) ** k) ** d)


def _first(level: float, p: float, d: int) -> int:
    return next(k for k in range(1, 10**6) if _exact(k, p, d) >= level)


@pytest.mark.parametrize("p,d", [(0.5, 3), (0.2, 2), (0.05, 4)])
def test_width_brackets_the_exact_frontier(p, d):
    """Returned w has measured rate >= 0.9 at w and < 0.9 at w-1. With 4000 trials per k (sd <= 0.0048),
    P(w) >= 0.875 and P(w-1) < 0.925 fail each with probability < 1e-6 per visited k (5 sd), so w lies in
    [first k with P >= 0.875, first k with P >= 0.925]; a search off by one step of its bracket or a
    rate measured at the wrong k falls outside that interval for these p."""
    t = _one_output(d)
    r = required_width(t, p, 0.1, point_seedseq(11, d), trials=4000)
    assert _first(0.875, p, d) <= r.width <= _first(0.925, p, d)
    assert r.at.successes >= 0.9 * 4000 and r.below.successes < 0.9 * 4000


def test_agrees_with_a_plain_scan():
    """Every rate the search measured equals the rate a plain scan measures at that k (same child of the
    point's sequence), and the returned width is a crossing of the scan; the guess changes the path, not
    the rates."""
    t = lt.random_target((3, 4, 1), seed=5)
    ss = point_seedseq(3, 1)
    trials = 300
    a = required_width(t, 0.4, 0.2, ss, trials=trials)
    b = required_width(t, 0.4, 0.2, ss, trials=trials, guess=3 * a.width)
    scan = {
        k: int(simulate_counts(t, k, 0.4, child_seedseq(ss, k), trials).sum())
        for k in range(1, 4 * a.width)
    }
    for r in (a, b):
        assert all(scan[k] == c for k, c in r.rates.items())
        assert scan[r.width] >= 0.8 * trials > scan[r.width - 1]
    first = min(k for k, c in scan.items() if c >= 0.8 * trials)
    monotone = all(scan[k] <= scan[k + 1] for k in range(1, 4 * a.width - 1))
    if monotone:
        assert a.width == b.width == first


def test_densities_as_a_function_of_k():
    """A callable density spec is evaluated at every visited k (a scheme recomputed per width)."""
    t = lt.random_target((3, 4, 1), seed=5)
    seen = []

    def dens(k):
        seen.append(k)
        return [0.5, 0.5, 0.5]

    r = required_width(t, dens, 0.1, point_seedseq(0), trials=200)
    assert sorted(set(seen)) == sorted(r.rates)
    assert r.rates == required_width(t, 0.5, 0.1, point_seedseq(0), trials=200).rates


def test_below_sharp_width_and_bad_input():
    """Theorem W' is a bound: the measured frontier does not exceed its width by more than noise."""
    t = lt.random_target((4, 8, 8, 1), seed=0)
    kw = sharp_common_width(t, 0.1, 0.1)
    r = required_width(t, 0.1, 0.1, point_seedseq(1), trials=2000, guess=kw)
    assert r.width <= kw
    with pytest.raises(LTHInputError, match="delta"):
        required_width(t, 0.1, 1.5, point_seedseq(1))
    with pytest.raises(LTHInputError, match="trials"):
        required_width(t, 0.1, 0.1, point_seedseq(1), trials=0)
    with pytest.raises(LTHInputError, match="visited"):
        r.rate(10**9)


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    p=st.floats(0.05, 1.0),
    delta=st.floats(0.01, 0.5),
    seed=st.integers(0, 2**16),
)
def test_result_carries_its_evidence(widths, p, delta, seed):
    t = lt.random_target(tuple(widths), seed=seed)
    r = required_width(t, p, delta, point_seedseq(seed), trials=100)
    assert r.rates[r.width] >= (1 - delta) * 100
    if r.width > 1:
        assert r.rates[r.width - 1] < (1 - delta) * 100
    assert r.evaluations == len(r.rates) <= 2 * np.log2(r.width + 1) + 4
