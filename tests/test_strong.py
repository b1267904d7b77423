"""Theorem S (strong tickets, docs/theory.md §5): the constructions checked three ways.

1. Explicit construction verified on inputs: the ticket's mask lies inside the ER mask, its weights
   and biases are the source's own, and |f_P - f_T| <= eps on fresh random points and the corners.
2. Independent computation: the ticket is re-evaluated from the dense source (mask times source
   weights), the certificate is checked to bound the sampled error, the error rule is recomputed by
   plain loops, and the candidate counts are compared with Theorem S's Binomial(k, q).
3. Hypothesis property tests over random small targets, boxes, densities and block sizes.

Statistical tests use fixed seeds and reject at p < 1e-3 per hypothesis test (a test function that
makes m such tests has a false-positive rate of at most m x 0.1 % over the randomness of its fixed
seed; deterministic in practice).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lththeory import LTHInputError, ReLUNetwork, random_target
from lththeory.strong import (
    MAX_BLOCK_ENTRIES,
    candidate_sets,
    construct,
    construct_pensia,
    error_budget,
    estimate_error,
    interval_bounds,
    predicted_ticket_size,
    sample_source,
    source_densities,
    theorem_s,
    theorem_s_common_width,
    theorem_s_failure_bound,
)

ALPHA = 1e-3


# --------------------------------------------------------------------------- helpers


def dense_source(src):
    """Every weight layer of the source as dense (W, M, b), assembled block by block."""
    return [src.dense_layer(l) for l in range(1, src.depth + 1)]


def check_ticket_is_subnetwork(res, src) -> None:
    """Mask inside the ER mask; weights and biases are the source's own (or deleted)."""
    layers = dense_source(src)
    tk = res.ticket
    for l, (W, M, b) in enumerate(layers):
        tm = tk.masks[l].toarray()
        assert not np.any(tm & ~M), f"layer {l + 1}: ticket edge outside the ER mask"
        tw = tk.weights[l].toarray()
        np.testing.assert_array_equal(tw[tm], W[tm])
        assert np.all(tw[~tm] == 0)
        kept_b = tk.biases[l] != 0
        np.testing.assert_array_equal(tk.biases[l][kept_b], b[kept_b])


def pruned_from_dense(res, src, box) -> ReLUNetwork:
    """Independent re-evaluation: the source's dense weights times the ticket mask."""
    layers = dense_source(src)
    Ws, bs = [], []
    for l, (W, _M, b) in enumerate(layers):
        tm = res.ticket.masks[l].toarray()
        Ws.append(np.where(tm, W, 0.0))
        bs.append(np.where(res.ticket.biases[l] != 0, b, 0.0))
    return ReLUNetwork(tuple(Ws), tuple(bs), box)


def sup_on_points(f_p, f_t, rng, n=2000):
    a, b = f_t.box
    d = f_t.input_dim
    X = rng.uniform(a, b, size=(n, d))
    C = np.array(np.meshgrid(*[[a, b]] * d)).reshape(d, -1).T if d <= 8 else X[:0]
    P = np.vstack([X, C, np.zeros((1, d)) if a <= 0 <= b else X[:0]])
    return float(np.abs(f_p.forward(P) - f_t.forward(P)).max())


@pytest.fixture(scope="module")
def small_case():
    target = random_target([2, 3, 1], seed=5)
    src = sample_source(target, 160, 0.5, seed=11)
    res = construct(target, src, 0.01, n_points=512, n_local=2)
    return target, src, res


# --------------------------------------------------------------------------- the construction


def test_small_target_succeeds_and_ticket_is_a_strong_subnetwork(small_case):
    target, src, res = small_case
    assert res.success, res.message
    check_ticket_is_subnetwork(res, src)
    # fresh random points (another generator than the estimate's) and every corner
    err = sup_on_points(res.ticket.network, target, np.random.default_rng(12345))
    assert err <= 0.01
    assert err <= res.certified_error + 1e-12
    assert res.measured_error <= res.certified_error + 1e-12
    assert res.ticket.size > 0 and 0 < res.ticket.density < 1
    pred = predicted_ticket_size(target, 160, 0.5, 0.01)
    assert 0.5 < pred / res.ticket.size < 2.0


def test_ticket_equals_the_dense_pruned_source(small_case):
    target, src, res = small_case
    f_dense = pruned_from_dense(res, src, target.box)
    X = np.random.default_rng(3).uniform(-1, 1, size=(500, 2))
    np.testing.assert_allclose(
        res.ticket.network.forward(X), f_dense.forward(X), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        res.ticket.full_network().forward(X), f_dense.forward(X), rtol=1e-12, atol=1e-12
    )


def test_certificate_recomputed_from_the_dense_ticket(small_case):
    """Independent recomputation of the certificate (proofs section 3) from the pruned source alone:
    effective layer-1 coefficients of phi(x_j) and phi(-x_j), the exact sup of each copy's
    pre-activation error, then the output's bound with the actual amplifications."""
    target, src, res = small_case
    (W1, _, _), (W2, _, _), (W3, _, _) = dense_source(src)
    T = [m.toarray() for m in res.ticket.masks]
    A1, A2, A3 = (np.where(t, w, 0.0) for t, w in zip(T, (W1, W2, W3), strict=True))
    b1, b2, b3 = res.ticket.biases
    Wt, bt = [np.asarray(w) for w in target.weights], [np.asarray(b) for b in target.biases]
    H = interval_bounds(target)
    k0, k1 = src.k
    n_uni, n_cp = 2 * k0, 3 * k1
    pos, neg = np.maximum(A1, 0), np.maximum(-A1, 0)  # univariate: theta phi(x) or |theta| phi(-x)
    E = np.zeros(A2.shape[0])
    for v in np.flatnonzero(np.abs(A2[:n_cp]).sum(axis=1) + np.abs(b2[:n_cp]) > 0):
        i = v // k1
        cp = A2[v, :n_uni] @ pos[:n_uni]
        cm = A2[v, :n_uni] @ neg[:n_uni]
        ep, em = cp - Wt[0][i], cm + Wt[0][i]
        eb = b2[v] + A2[v, n_uni:] @ b1[n_uni:] - bt[0][i]
        hi = np.maximum.reduce([np.zeros(2), ep, em])  # R_+ = R_- = 1
        lo = np.minimum.reduce([np.zeros(2), ep, em])
        E[v] = max(eb + hi.sum(), -(eb + lo.sum()))
    eb = b3[0] + A3[0, n_cp:] @ b2[n_cp:] - bt[1][0]
    cert = abs(eb)
    for j in range(3):
        eta = A3[0, j * k1 : (j + 1) * k1]
        cert += abs(eta.sum() - Wt[1][0, j]) * H[1][j]
        cert += np.abs(eta) @ E[j * k1 : (j + 1) * k1]
    assert cert == pytest.approx(res.certified_error, rel=1e-9, abs=1e-15)
    assert cert <= 0.01


def test_univariate_layer_keeps_one_edge_and_no_bias(small_case):
    _, src, res = small_case
    m1 = res.ticket.masks[0]
    kept = res.ticket.kept[1]
    n_univariate = sum(src.blocks[1][: src.target_widths[0]])
    uni = kept[kept < n_univariate]
    assert np.all(np.diff(m1.indptr)[uni] == 1)
    assert np.all(res.ticket.biases[0][uni] == 0)
    # each univariate neuron reads its own input block
    cols = m1.indices[m1.indptr[uni]]
    np.testing.assert_array_equal(cols, uni // src.k[0])
    # constant neurons keep their positive bias and have no input edge
    const = kept[kept >= n_univariate]
    assert np.all(np.diff(m1.indptr)[const] == 0)
    assert np.all(res.ticket.biases[0][const] > 0)


def test_jobs_do_not_change_the_ticket():
    target = random_target([2, 3, 1], seed=2)
    src = sample_source(target, 96, 0.6, seed=4)
    r1 = construct(target, src, 0.02, evaluate=False)
    r2 = construct(target, src, 0.02, evaluate=False, jobs=2)
    assert r1.success == r2.success
    assert r1.certified_error == r2.certified_error
    for a, b in zip(r1.ticket.weights, r2.ticket.weights, strict=True):
        assert (a != b).nnz == 0


def test_source_blocks_are_reproducible_and_lazy():
    target = random_target([3, 2, 2], seed=0)
    src = sample_source(target, 7, 0.4, seed=9)
    again = sample_source(target, 7, 0.4, seed=9)
    w1, m1 = src.block(2, 1, 0)
    w2, m2 = again.block(2, 1, 0)
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(m1, m2)
    W, M, b = src.dense_layer(2)
    ro, co = src.offsets(2), src.offsets(1)
    np.testing.assert_array_equal(W[ro[1] : ro[2], co[0] : co[1]], w1)
    other = sample_source(target, 7, 0.4, seed=10)
    assert not np.array_equal(other.block(2, 1, 0)[0], w1)
    assert np.all(np.abs(W) <= 1) and abs(M.mean() - 0.4) < 0.2
    assert src.widths == (3, 3 * 7 + 7, 2 * 7 + 7, 2)
    assert src.num_weights() == sum(
        a * b for a, b in zip(src.widths[1:], src.widths[:-1], strict=True)
    )


def test_failure_names_the_weight_and_never_reports_success():
    target = random_target([2, 3, 1], seed=5)
    src = sample_source(target, 12, 0.5, seed=1)
    res = construct(target, src, 0.01, n_points=64, n_local=1)
    assert not res.success
    assert res.message.startswith("no strong ticket within eps")
    assert res.failures
    f = res.failures[0]
    assert ("W_" in f.describe()) or ("b_" in f.describe())
    assert f.describe() in res.message
    # the best-effort ticket is still a subnetwork with a valid certificate
    check_ticket_is_subnetwork(res, src)
    err = sup_on_points(res.ticket.network, target, np.random.default_rng(0), n=500)
    assert err <= res.certified_error + 1e-9


def test_pensia_depth_2l_succeeds():
    target = random_target([2, 3, 1], seed=5)
    src = sample_source(target, 160, 0.6, seed=3, construction="pensia")
    assert src.depth == 4
    res = construct_pensia(target, src, 0.02, n_points=512, n_local=2)
    assert res.success, res.message
    check_ticket_is_subnetwork(res, src)
    err = sup_on_points(res.ticket.network, target, np.random.default_rng(99))
    assert err <= 0.02 and err <= res.certified_error + 1e-12


def test_box_without_negative_inputs_uses_only_the_positive_halves():
    target = random_target([2, 2, 1], seed=1, box=(0.0, 1.0))
    src = sample_source(target, 120, 0.5, seed=2)
    res = construct(target, src, 0.01, n_points=256, n_local=1)
    assert res.success, res.message
    kept = res.ticket.kept[1]
    n_uni = 2 * src.k[0]
    assert np.all(res.ticket.weights[0].toarray()[kept[kept < n_uni]].sum(axis=1) > 0)
    check_ticket_is_subnetwork(res, src)


def test_normal_source_weights():
    target = random_target([2, 2, 1], seed=1)
    src = sample_source(target, 100, 0.5, seed=2, weights="normal")
    res = construct(target, src, 0.01, n_points=256, n_local=1)
    check_ticket_is_subnetwork(res, src)
    err = sup_on_points(res.ticket.network, target, np.random.default_rng(1), n=500)
    assert err <= res.certified_error + 1e-9


targets = st.builds(
    lambda widths, dens, seed, a, bias: random_target(
        widths, density=dens, seed=seed, box=(a, a + 1.5), bias=bias
    ),
    st.lists(st.integers(1, 3), min_size=2, max_size=4),
    st.sampled_from([1.0, 0.6]),
    st.integers(0, 10**6),
    st.sampled_from([-1.0, -0.5, 0.0]),
    st.booleans(),
)


@settings(max_examples=15)
@given(
    target=targets,
    k=st.integers(4, 60),
    p=st.sampled_from([0.4, 0.7, 1.0]),
    eps=st.sampled_from([0.05, 0.01]),
    seed=st.integers(0, 10**6),
    pensia=st.booleans(),
)
def test_property_subnetwork_and_certificate(target, k, p, eps, seed, pensia):
    kind = "pensia" if pensia else "univariate"
    src = sample_source(target, k, p, seed=seed, construction=kind)
    fn = construct_pensia if pensia else construct
    res = fn(target, src, eps, evaluate=False)
    check_ticket_is_subnetwork(res, src)
    err = sup_on_points(res.ticket.network, target, np.random.default_rng(seed), n=300)
    assert err <= res.certified_error * (1 + 1e-9) + 1e-12
    if res.success:
        assert err <= eps
    else:
        assert res.message.startswith("no strong ticket")


# --------------------------------------------------------------------------- error rule


def test_error_budget_matches_plain_loops():
    target = random_target([3, 4, 3, 2], seed=8)
    eps = 0.01
    bud = error_budget(target, eps, amplification="worst", candidates=20)
    W = [np.asarray(w) for w in target.weights]
    b = [np.asarray(x) for x in target.biases]
    R = 1.0
    # interval bounds by plain loops
    lo, hi = [-1.0] * 3, [1.0] * 3
    H = [[R] * 3]
    for l in range(2):
        nlo, nhi = [], []
        for i in range(W[l].shape[0]):
            zl = b[l][i] + sum(min(W[l][i, j] * lo[j], W[l][i, j] * hi[j]) for j in range(len(lo)))
            zh = b[l][i] + sum(max(W[l][i, j] * lo[j], W[l][i, j] * hi[j]) for j in range(len(lo)))
            nlo.append(max(zl, 0.0))
            nhi.append(max(zh, 0.0))
        lo, hi = nlo, nhi
        H.append(hi)
    for l in range(3):
        np.testing.assert_allclose(bud.bounds[l], H[l])
    c1 = max(3 * R + 1 for _ in range(4))
    c2 = max(sum(H[1]) + 1 for _ in range(3))
    c3 = max(sum(H[2]) + 1 for _ in range(2))
    np.testing.assert_allclose(bud.fresh, [c1, c2, c3])
    assert bud.alpha == (0.0, 4 * 20.0, 3 * 20.0)
    counts = np.array([2 * 3 + 1, 4 + 1, 3 + 1], dtype=float)
    share = counts / counts.sum()
    expect = [
        share[0] * eps / (c1 * 80 * 60),
        share[1] * eps / (c2 * 60),
        share[2] * eps / c3,
    ]
    np.testing.assert_allclose(bud.eps_prime, expect)
    assert math.isclose(bud.layer_errors()[-1], eps, rel_tol=1e-12)


def test_interval_bounds_hold_on_samples():
    target = random_target([3, 5, 4, 1], seed=4)
    H = interval_bounds(target)
    X = np.random.default_rng(0).uniform(-1, 1, size=(3000, 3))
    h = X
    for l in range(2):
        h = np.maximum(h @ target.weights[l].T + target.biases[l], 0)
        assert np.all(h <= H[l + 1] + 1e-12)


def test_estimate_error_finds_an_interior_kink_by_local_search():
    # f_T(x) = phi(x_1 + 0.5) - 2 phi(x_1 - 0.3): sup |f_T - 0| = 0.8 at x_1 = 0.3, inside the box;
    # the corners only see 0 and 0.1, two random points rarely come close: the local search must
    W1 = np.array([[1.0, 0, 0], [1.0, 0, 0]])
    t = ReLUNetwork((W1, np.array([[1.0, -2.0]])), (np.array([0.5, -0.3]), np.zeros(1)))
    zero = ReLUNetwork((np.zeros((1, 3)), np.zeros((1, 1))), (np.zeros(1), np.zeros(1)))
    est = estimate_error(zero, t, n_points=2, n_local=2, seed=1)
    assert est.corner_max == pytest.approx(0.1, abs=1e-12)
    assert est.random_max < 0.8 - 1e-3
    assert est.max_error == pytest.approx(0.8, abs=1e-6)
    assert est.argmax[0] == pytest.approx(0.3, abs=1e-6)


def test_estimate_error_exact_for_a_constant_shift():
    target = random_target([3, 4, 2], seed=1)
    shifted = ReLUNetwork(target.weights, (target.biases[0], target.biases[1] + [0.0, 0.25]))
    est = estimate_error(shifted, target, n_points=100, n_local=1)
    assert est.max_error == pytest.approx(0.25, abs=1e-12)
    assert est.output == 1


# --------------------------------------------------------------------------- Theorem S


def test_candidate_counts_are_binomial_k_q():
    """The layer-1 candidates of one (copy, input, sign) set follow Binomial(k, p1 p2 / 2)."""
    target = random_target([1, 1, 1], seed=0)
    k, p = 40, 0.6
    q = next(s.q for s in candidate_sets(target, k, p) if s.layer == 1 and "x_j" in s.name)
    assert q == pytest.approx(p * p / 2)
    counts = []
    for seed in range(400):
        src = sample_source(target, k, p, seed=seed)
        th, m1 = src.block(1, 0, 0)
        _, m2 = src.block(2, 0, 0)
        ok = m1[:, 0] & (th[:, 0] > 0)
        counts.append(int((m2[0] & ok).sum()))
    counts = np.array(counts)
    res = stats.binomtest(int(counts.sum()), 400 * k, q)
    assert res.pvalue > ALPHA
    # chi-square goodness of fit, bins merged from the tails until every expected count is >= 5
    pmf = stats.binom(k, q).pmf(np.arange(k + 1)) * counts.size
    obs = np.bincount(counts, minlength=k + 1).astype(float)
    edges, acc = [], 0.0
    for v in range(k + 1):
        acc += pmf[v]
        if acc >= 5 and pmf[v + 1 :].sum() >= 5:
            edges.append(v + 1)
            acc = 0.0
    e_bins = [b.sum() for b in np.split(pmf, edges)]
    o_bins = [b.sum() for b in np.split(obs, edges)]
    assert stats.chisquare(o_bins, np.array(e_bins) * sum(o_bins) / sum(e_bins)).pvalue > ALPHA


def test_candidate_sets_count_every_subset_sum():
    target = random_target([3, 4, 2], seed=2)
    sets = {s.name: s for s in candidate_sets(target, (10, 6), 0.5)}
    assert sets["layer 1 (x_j -> u -> v)"].count == 2 * 12 * 6
    assert sets["layer 2 (copies of layer 1)"].count == 8 * 1
    assert sets["bias 1"].count == 4 * 6 and sets["bias 2"].count == 2
    psets = {s.name: s for s in candidate_sets(target, (10, 6), 0.5, construction="pensia")}
    assert psets["layer 1 (intermediate)"].count == 24
    assert psets["layer 2 (intermediate)"].q == pytest.approx(0.125)


def test_theorem_width_is_the_smallest_with_bound_below_delta():
    """For its group size, the common width's bound is <= delta and one block less is above."""
    target = random_target([2, 3, 1], seed=5)
    eps, delta = 0.02, 0.1
    th = theorem_s_common_width(target, 0.5, eps, delta)
    assert th.failure <= delta and th.k >= 2 * th.group_size
    assert theorem_s(target, th.k - 1, 0.5, eps, group_size=th.group_size).failure > delta
    assert theorem_s_failure_bound(target, th.k, 0.5, eps, group_size=th.group_size) <= delta
    # the 1/p factor: the width grows as the density falls, about like 1/(p_1 p_2) here
    widths = [theorem_s_common_width(target, p, eps, delta).k for p in (0.9, 0.5, 0.2)]
    assert widths[0] < widths[1] < widths[2]
    assert 0.2 < widths[2] / widths[1] / (0.5 / 0.2) ** 2 < 5
    assert 0.9 < th.confidence <= 1


def test_failure_bound_decreases_with_width_and_predicted_size_grows():
    target = random_target([2, 3, 1], seed=5)
    b = [theorem_s_failure_bound(target, k, 0.5, 0.01) for k in (40, 400, 1600, 6400)]
    assert b[0] == 1.0 and all(x >= y for x, y in zip(b, b[1:], strict=False))
    assert b[-1] < 0.1
    s = [predicted_ticket_size(target, k, 0.5, 0.01) for k in (50, 100, 400)]
    assert s[0] < s[1] < s[2]


def test_measured_success_at_the_theorem_width_is_not_below_one_minus_delta():
    """Theorem S holds for the construction it bounds (groups of g, worst-case budget): at its
    width the failure rate is at most delta = 0.1. One-sided exact binomial test of failure <= 0.1
    on 30 trials at alpha = 1e-3 (power about 0.4 against a failure rate of 0.2; the slow test below
    has more trials), and at a quarter of the width the construction fails (within 4x of the
    frontier)."""
    target = random_target([1, 2, 1], seed=3)
    th = theorem_s_common_width(target, 0.8, 0.05, 0.1)
    ok = 0
    for seed in range(30):
        src = sample_source(target, th.k, 0.8, seed=seed)
        ok += construct(target, src, 0.05, evaluate=False, group_size=th.group_size).success
    assert stats.binomtest(ok, 30, 0.9, alternative="less").pvalue > ALPHA
    low = 0
    for seed in range(10):
        src = sample_source(target, th.k // 4, 0.8, seed=100 + seed)
        low += construct(target, src, 0.05, evaluate=False, group_size=th.group_size).success
    assert low < 10


def test_source_densities_use_the_density_schemes():
    target = random_target([4, 6, 2], seed=0)
    ps = source_densities(target, 10, 0.3, "uniform")
    assert ps == (0.3, 0.3, 0.3)
    pe = source_densities(target, 10, 0.3, "erk")
    assert len(pe) == 3 and all(0 < p <= 1 for p in pe)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("eps", [0, -0.1, float("nan"), "x"])
def test_bad_eps_is_one_clear_line(eps, small_case):
    target, src, _ = small_case
    with pytest.raises(LTHInputError, match="eps must be") as e:
        construct(target, src, eps)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("k", [0, -3, 2.5])
def test_impossible_width_is_refused(k):
    target = random_target([2, 3, 1], seed=0)
    with pytest.raises(LTHInputError, match="k"):
        sample_source(target, k, 0.5)


def test_too_large_width_is_refused():
    target = random_target([2, 3, 1], seed=0)
    k = int(math.isqrt(MAX_BLOCK_ENTRIES)) + 10
    with pytest.raises(LTHInputError, match="too large"):
        sample_source(target, k, 0.5)


def test_theorem_refuses_targets_outside_the_unit_range():
    target = random_target([2, 3, 1], seed=0)
    big = ReLUNetwork(tuple(3 * np.asarray(w) for w in target.weights), target.biases)
    with pytest.raises(LTHInputError, match=r"\[-1, 1\]"):
        theorem_s(big, 100, 0.5, 0.01)


def test_source_for_another_target_is_refused(small_case):
    target, _, _ = small_case
    other = random_target([2, 4, 1], seed=0)
    src = sample_source(other, 8, 0.5)
    with pytest.raises(LTHInputError, match="target widths"):
        construct(target, src, 0.01)
    with pytest.raises(LTHInputError, match="construction"):
        construct_pensia(other, src, 0.01)


@pytest.mark.slow
def test_theorem_width_failure_rate_two_layers_slow():
    """A 2-3-1 target at density 0.5: at Theorem S's common width the theorem's construction fails
    at most delta = 0.1 of the time (one-sided exact test at alpha = 1e-3 on 60 trials), for both
    constructions."""
    target = random_target([2, 3, 1], seed=5)
    for kind in ("univariate", "pensia"):
        th = theorem_s_common_width(target, 0.5, 0.05, 0.1, construction=kind)
        ok = 0
        for seed in range(60):
            src = sample_source(target, th.k, 0.5, seed=seed, construction=kind)
            ok += construct(target, src, 0.05, evaluate=False, group_size=th.group_size).success
        assert stats.binomtest(ok, 60, 0.9, alternative="less").pvalue > ALPHA, (kind, th.k, ok)


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"group_size": 30}, "group_size must be in [1, 25]"),
        ({"group_size": 0}, "group_size must be an integer >= 1"),
        ({"eps": 1e-9}, "is below what groups of"),
        ({"max_groups": 0}, "max_groups must be an integer >= 1"),
        ({"alpha": 2.0}, "alpha must be in (0, 1)"),
    ],
)
def test_theorem_bad_input_is_one_line(kwargs, fragment):
    target = random_target([2, 3, 1], seed=0)
    args = {"eps": 0.05} | kwargs
    with pytest.raises(LTHInputError, match=re.escape(fragment)) as e:
        theorem_s_common_width(target, 0.5, **args)
    assert "\n" not in str(e.value)
