"""Required width per density scheme (lththeory.weak.scheme_width, docs/theory.md §3.9): the bisection
with k-dependent scheme densities against an exact success probability and a plain scan, its early
stop, Theorem W''s width beside it, and random sparse targets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import lththeory as lt
from lththeory.densities import SCHEMES
from lththeory.network import ReLUNetwork
from lththeory.stats import child_seedseq, point_seedseq
from lththeory.weak import (
    allowed_failures,
    expected_weights,
    fc_source_shapes,
    required_width,
    scheme_densities,
    scheme_width,
    sharp_common_width,
    sharp_failure_bound,
    simulate_counts,
    simulate_masks,
)


def _two_layer(d: int, n: int, support: np.ndarray | None = None) -> ReLUNetwork:
    """A d-n-1 target; ``support`` (n x d bool) its first layer's support (dense by default)."""
    w1 = np.ones((n, d)) if support is None else np.where(support, 1.0, 0.0)
    return ReLUNetwork(weights=[w1, np.ones((1, n))], biases=[np.zeros(n), np.zeros(1)])


def exact_success(target: ReLUNetwork, k: int, p: tuple[float, float, float]) -> float:
    """P(success) of a d-n-1 target with a dense output row, exactly: with V_j ~ Bin(k, p_1) iid and
    q_i(V) = prod_{j in N(i)} (1 - (1-p_2)^{V_j}), the copies of hidden neuron i are Bin(k, q_i(V))
    independently given V, and the output reaches one of them with probability 1 - (1 - p_3 q_i)^k,
    so P = E_V[prod_i (1 - (1 - p_3 q_i(V))^k)] (a sum over the (k+1)^d values of V)."""
    p1, p2, p3 = p
    sup = target.supports()[0]
    d = sup.shape[1]
    v = np.arange(k + 1, dtype=np.float64)
    pmf = stats.binom.pmf(v, k, p1)
    hit = 1.0 - (1.0 - p2) ** v  # per input j, as a function of V_j
    grids = np.meshgrid(*([hit] * d), indexing="ij")
    weight = np.ones([k + 1] * d)
    for j in range(d):
        shape = [1] * d
        shape[j] = k + 1
        weight = weight * pmf.reshape(shape)
    total = np.ones_like(weight)
    for i in range(sup.shape[0]):
        q = np.ones_like(weight)
        for j in np.flatnonzero(sup[i]):
            q = q * grids[j]
        total = total * (1.0 - (1.0 - p3 * q) ** k)
    return float((weight * total).sum())


def _exact_first(target, dens_at, level: float, k_max: int = 2000) -> int:
    return next(k for k in range(1, k_max) if exact_success(target, k, dens_at(k)) >= level)


CASES = [(s, D) for s in SCHEMES for D in (0.1, 0.3)]


@pytest.mark.parametrize("scheme,D", CASES)
def test_width_brackets_the_exact_frontier_under_each_scheme(scheme, D):
    """2-3-1 target, densities recomputed per k (they depend on k for erk, balanced, pyramidal). The
    exact success probability along the scheme is non-decreasing in k over [1, 2 k*] (the bisection's
    premise, measured here). The returned width w has measured rate >= 0.9 at w and < 0.9 at w - 1;
    with 4000 trials per k (sd <= 0.0048), P(w) >= 0.875 and P(w - 1) < 0.925 fail with probability
    < 1e-6 per visited k (5 sd), so w lies in [first k with P >= 0.875, first k with P >= 0.925]; a
    search that used the densities of another k, or stopped a measurement with its verdict undecided,
    lands outside for these cases."""
    t = _two_layer(2, 3)
    dens = scheme_densities(fc_source_shapes(t), D, scheme)
    lo, hi = _exact_first(t, dens, 0.875), _exact_first(t, dens, 0.925)
    exact = [exact_success(t, k, dens(k)) for k in range(1, 2 * hi + 1)]
    assert all(a <= b + 1e-12 for a, b in zip(exact, exact[1:], strict=False))
    res = scheme_width(t, D, scheme, 0.1, point_seedseq(7, 1), trials=4000)
    assert lo <= res.width <= hi
    assert res.required.at.successes >= 0.9 * 4000 > res.required.below.successes
    assert res.required.trials_at(res.width) == res.required.trials_at(res.width - 1) == 4000
    # Theorem W' is a bound for Bernoulli masks: the exact rate at its width reaches 1 - delta
    assert exact_success(t, res.sharp_width, dens(res.sharp_width)) >= 0.9


def test_exact_frontier_is_monotone_in_the_global_density():
    """More budget never needs more width: every scheme's densities grow with D at each k (the
    conservation tests of tests/test_densities.py), so the exact frontier is non-increasing in D; the
    measured one follows it wherever the exact frontiers are separated by more than their
    [P >= 0.875, P >= 0.925] brackets (4000 trials, as above)."""
    t = _two_layer(2, 3)
    Ds = (0.05, 0.1, 0.2, 0.4, 0.8)
    for scheme in SCHEMES:
        firsts = [
            _exact_first(t, scheme_densities(fc_source_shapes(t), D, scheme), 0.9) for D in Ds
        ]
        assert all(a >= b for a, b in zip(firsts, firsts[1:], strict=False)), (scheme, firsts)
        widths = [
            scheme_width(t, D, scheme, 0.1, point_seedseq(3, i), 4000, sharp=False).width
            for i, D in enumerate(Ds)
        ]
        assert all(a >= b for a, b in zip(widths, widths[1:], strict=False)), (scheme, widths)


@pytest.mark.parametrize("scheme", ["erk", "balanced", "pyramidal"])
def test_scheme_bisection_agrees_with_a_plain_scan(scheme):
    """Every rate the early-stopping search measured fully equals the rate a plain scan measures at
    that k (child k of the point's sequence, the scheme's densities at k), every stopped one is a
    prefix of it whose verdict is the scan's, and the width is a crossing of the scan (the first
    one when the scan is monotone)."""
    t = lt.random_target((3, 4, 1), seed=5)
    ss, trials = point_seedseq(3, 2), 300
    dens = scheme_densities(fc_source_shapes(t), 0.3, scheme)
    r = required_width(t, dens, 0.2, ss, trials, stop_early=True)
    plain = required_width(t, dens, 0.2, ss, trials)
    assert r.width == plain.width
    limit = allowed_failures(trials, 0.8)
    scan = {
        k: simulate_counts(t, k, dens(k), child_seedseq(ss, k), trials)
        for k in range(1, 4 * r.width)
    }
    for k, c in r.rates.items():
        n = r.trials_at(k)
        assert int(scan[k][:n].sum()) == c
        assert (n == trials) or (n - c > limit and scan[k].size - scan[k].sum() > limit)
    assert scan[r.width].sum() >= 0.8 * trials > scan[r.width - 1].sum()
    counts = [int(scan[k].sum()) for k in range(1, 4 * r.width)]
    if all(a <= b for a, b in zip(counts, counts[1:], strict=False)):
        assert r.width == min(k for k in scan if scan[k].sum() >= 0.8 * trials)
    assert sum(r.drawn.values()) < trials * r.evaluations  # the early stop saved draws


def test_max_failures_gives_a_prefix():
    """simulate_counts / simulate_masks with max_failures return a prefix of the full run that stops
    right after the failures exceed the limit (counts: at the end of that block)."""
    t = lt.random_target((3, 4, 1), seed=1)
    ss = point_seedseq(0, 9)
    full = simulate_counts(t, 6, 0.3, ss, 1000)
    part = simulate_counts(t, 6, 0.3, ss, 1000, max_failures=10)
    assert 0 < part.size < full.size and part.size % 256 == 0
    assert np.array_equal(part, full[: part.size])
    assert (~part).sum() > 10 and (~part[: part.size - 256]).sum() <= 10
    fm = simulate_masks(t, 6, 0.3, ss, 60, kind="fixed")
    pm = simulate_masks(t, 6, 0.3, ss, 60, kind="fixed", max_failures=3)
    assert np.array_equal(pm, fm[: pm.size]) and (~pm).sum() == 4 and not pm[-1]
    with pytest.raises(lt.LTHInputError, match="max_failures"):
        simulate_counts(t, 6, 0.3, ss, 10, max_failures=-1)


def test_allowed_failures_is_the_verdict():
    for trials in (1, 7, 100, 1000, 4001):
        for level in (0.5, 0.8, 0.9, 0.95, 0.999):
            f = allowed_failures(trials, level)
            assert trials - f >= level * trials and not (trials - f - 1 >= level * trials)


def test_sharp_width_with_densities_of_k():
    """A constant function gives the plain width; with a scheme, Theorem W''s bound at the returned k
    (densities at k) is <= delta and at k - 1 (densities at k - 1) above it."""
    t = lt.random_target((4, 8, 8, 1), seed=0)
    assert sharp_common_width(t, lambda _k: [0.2] * 4, 0.1) == sharp_common_width(t, 0.2, 0.1)
    dens = scheme_densities(fc_source_shapes(t), 0.15, "balanced")
    k = sharp_common_width(t, dens, 0.1)
    assert sharp_failure_bound(t, k, dens(k)) <= 0.1 < sharp_failure_bound(t, k - 1, dens(k - 1))


@settings(max_examples=30, deadline=None)
@given(
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    D=st.floats(0.05, 1.0),
    scheme=st.sampled_from(SCHEMES),
    exact=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_scheme_width_properties(widths, D, scheme, exact, seed):
    """The source weights are sum p_l m_l at the width (= D M in the exact mode, <= D M clamped), the
    densities are those of the scheme at the width and in (0, 1], the result carries its evidence, and
    the rate at Theorem W''s width is the full measurement of child k of the point's sequence."""
    t = lt.random_target(tuple(widths), seed=seed)
    r = scheme_width(t, D, scheme, 0.2, point_seedseq(seed), trials=100, exact=exact)
    shapes = fc_source_shapes(t)(r.width)
    M = expected_weights(shapes, [1.0] * len(shapes))
    assert r.source_weights == pytest.approx(r.realised * M)
    assert r.densities == scheme_densities(fc_source_shapes(t), D, scheme, exact)(r.width)
    assert all(0 < p <= 1 for p in r.densities)
    assert r.source_weights == pytest.approx(expected_weights(shapes, r.densities))
    if exact:
        assert r.realised == pytest.approx(D, rel=1e-9)
    else:
        assert r.realised <= D * (1 + 1e-9)
    assert r.required.rates[r.width] >= 0.8 * 100
    kw = r.sharp_width  # the rate at Theorem W''s width: a full measurement of the same stream
    full = simulate_counts(t, kw, r.sharp_densities, child_seedseq(point_seedseq(seed), kw), 100)
    assert (r.sharp_rate.successes, r.sharp_rate.trials) == (int(full.sum()), 100)
    assert r.width == 1 or r.required.rates[r.width - 1] < 0.8 * r.required.trials_at(r.width - 1)


@settings(max_examples=40, deadline=None)
@given(
    widths=st.lists(st.integers(1, 12), min_size=2, max_size=4),
    q=st.floats(0.01, 1.0),
    support=st.one_of(st.none(), st.integers(1, 12)),
    seed=st.integers(0, 2**16),
)
def test_random_sparse_target_keeps_an_in_edge_per_neuron(widths, q, support, seed):
    """random_target(..., density=q) keeps at least one in-edge for every neuron of every layer (so
    no copy is trivially valid and the fan-in law applies); with a first-layer support s every
    first-layer neuron reads exactly s inputs."""
    if support is not None and support > widths[0]:
        support = widths[0]
    t = lt.random_target(tuple(widths), density=q, seed=seed, first_layer_support=support)
    for l, s in enumerate(t.supports()):
        assert np.all(s.sum(axis=1) >= 1), l
        if l == 0 and support is not None:
            assert np.all(s.sum(axis=1) == support)
