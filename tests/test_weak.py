"""Theorem W: the construction against brute force, the two simulators against each other and
against an exact formula, and the theory functions against their own definitions.

Statistical tests use fixed seeds and reject at p < 1e-3, so each has a false-positive rate of at
most 0.1 % over the randomness of its (fixed) seed; with fixed seeds they are deterministic.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from lththeory import LTHInputError, ReLUNetwork, box_points, random_target
from lththeory.stats import point_seedseq
from lththeory.weak import (
    construct,
    count_chain,
    rho,
    sample_source,
    simulate_counts,
    simulate_masks,
    theorem_w_common_width,
    theorem_w_failure_bound,
    theorem_w_terms,
    theorem_w_widths,
)

ALPHA = 1e-3  # per-test false-positive rate of the statistical tests


def brute_force_validity(target: ReLUNetwork, source) -> list[np.ndarray]:
    """Validity by plain loops over dense masks: an independent implementation of docs/theory.md §3."""
    sup = target.supports()
    masks = [m.toarray() for m in source.masks]
    bs = source.block_sizes
    d = target.input_dim
    v0 = np.array([masks[0][u, u // bs[0]] for u in range(d * bs[0])], dtype=bool)
    valid = [v0]
    for l in range(1, len(sup) + 1):
        S = sup[l - 1]
        cur = np.zeros(masks[l].shape[0], dtype=bool)
        for u in range(masks[l].shape[0]):
            i = u // bs[l]
            ok = True
            for j in np.flatnonzero(S[i]):
                copies = range(j * bs[l - 1], (j + 1) * bs[l - 1])
                if not any(masks[l][u, w] and valid[l - 1][w] for w in copies):
                    ok = False
                    break
            cur[u] = ok
        valid.append(cur)
    return valid


targets = st.builds(
    lambda widths, dens, seed, a: random_target(widths, density=dens, seed=seed, box=(a, a + 1.5)),
    st.lists(st.integers(1, 4), min_size=2, max_size=4),
    st.sampled_from([1.0, 0.6]),
    st.integers(0, 10**6),
    st.sampled_from([-1.0, 0.0, 0.5]),
)


@given(
    target=targets,
    k=st.integers(1, 5),
    p=st.sampled_from([0.3, 0.6, 1.0]),
    seed=st.integers(0, 10**6),
)
def test_construction_matches_brute_force_and_ticket_equals_target(target, k, p, seed):
    src = sample_source(target, k, p, np.random.default_rng(seed))
    res = construct(target, src)
    bf = brute_force_validity(target, src)
    for a, b in zip(res.valid, bf, strict=True):
        np.testing.assert_array_equal(a, b)
    assert res.success == bool(bf[-1].all())
    if res.success:
        t = res.ticket
        # the ticket lives inside the ER mask
        for tm, m in zip(t.masks, src.masks, strict=True):
            assert tm.shape == m.shape
            assert (tm.astype(np.int8) - tm.multiply(m).astype(np.int8)).nnz == 0
        # ... uses only valid neurons, and equals the target on the box (random points + corners)
        for l, kept in enumerate(t.kept):
            assert res.valid[l][kept].all()
        x = box_points(target.input_dim, 300, target.box, rng=np.random.default_rng(seed))
        np.testing.assert_allclose(t.network(x), target(x), rtol=1e-10, atol=1e-10)
        # size bounds: at most (valid copies) x (fan-in) per layer
        sup = target.supports()
        upper = int(res.valid[0].sum()) + sum(
            int(res.valid[l].reshape(-1, src.block_sizes[l]).sum(1) @ sup[l - 1].sum(1))
            for l in range(1, len(sup) + 1)
        )
        assert t.size <= upper
    else:
        layer, neuron = res.failed
        # the named neuron really has no valid copy (brute force)
        bsz = src.block_sizes[layer]
        assert not bf[layer][neuron * bsz : (neuron + 1) * bsz].any()
        assert res.ticket is None


def test_dense_ticket_size_bounds():
    target = random_target((3, 4, 4, 2), seed=3)
    src = sample_source(target, 40, 0.5, 1)
    res = construct(target, src)
    assert res.success
    m = target.num_weights()
    assert m + target.input_dim <= res.ticket.size
    # greedy cover keeps far fewer edges than every valid copy would
    assert res.ticket.size < 0.5 * sum(int(v.sum()) for v in res.valid) * 4


def exact_chain_probability(k0, k1, p1, p2, p3):
    """P(success) for the 1-1-1 target (d = n_1 = n_2 = 1): an exact sum over binomial laws."""
    v0 = np.arange(k0 + 1)
    pv0 = stats.binom.pmf(v0, k0, p1)
    total = 0.0
    for a, pa in zip(v0, pv0, strict=True):
        q = 1 - (1 - p2) ** a
        v1 = np.arange(k1 + 1)
        pv1 = stats.binom.pmf(v1, k1, q)
        total += pa * np.sum(pv1 * (1 - (1 - p3) ** v1))
    return total


@pytest.mark.parametrize("k,p", [(3, 0.5), (6, 0.3)])
def test_simulators_match_exact_formula(k, p):
    target = ReLUNetwork((np.ones((1, 1)), np.ones((1, 1))), (np.zeros(1), np.zeros(1)))
    exact = exact_chain_probability(k, k, p, p, p)
    n_counts, n_masks = 20000, 3000
    c = simulate_counts(target, k, p, point_seedseq(11, k), n_counts)
    m = simulate_masks(target, k, p, point_seedseq(12, k), n_masks)
    assert stats.binomtest(int(c.sum()), n_counts, exact).pvalue > ALPHA
    assert stats.binomtest(int(m.sum()), n_masks, exact).pvalue > ALPHA


@pytest.mark.parametrize(
    "widths,k,p,first",
    [((3, 4, 3, 2), 4, 0.5, 0.5), ((2, 5, 1), 3, 0.4, 1.0), ((4, 3, 3, 3, 1), 5, 0.6, 0.6)],
)
def test_counts_and_masks_agree(widths, k, p, first):
    """Same law: success rates (Fisher exact) and mean valid counts per layer (Welch t)."""
    target = random_target(widths, density=0.8, seed=5)
    L = target.depth
    dens = [first] + [p] * L
    n = 1500
    chain = count_chain(target, k, dens, point_seedseq(1, 2), 4 * n)
    succ_c = np.all(chain[-1] > 0, axis=1)
    gens_counts = []
    succ_m = []
    from lththeory.stats import trial_generators

    for g in trial_generators(point_seedseq(3, 4), 0, n):
        res = construct(target, sample_source(target, k, dens, g), build_ticket=False)
        succ_m.append(res.success)
        gens_counts.append(res.valid_counts)
    succ_m = np.array(succ_m)
    table = [[int(succ_c.sum()), int((~succ_c).sum())], [int(succ_m.sum()), int((~succ_m).sum())]]
    assert stats.fisher_exact(table).pvalue > ALPHA
    for l in range(L + 1):
        a = chain[l].sum(axis=1)
        b = np.array([gc[l].sum() for gc in gens_counts])
        if a.std() == 0 and b.std() == 0:
            assert a.mean() == b.mean()
        else:
            assert stats.ttest_ind(a, b, equal_var=False).pvalue > ALPHA


def test_counts_are_reproducible_and_chunk_free():
    target = random_target((3, 4, 2), seed=1)
    a = simulate_counts(target, 5, 0.5, point_seedseq(7, 1), 600)
    b = simulate_counts(target, 5, 0.5, point_seedseq(7, 1), 600)
    np.testing.assert_array_equal(a, b)
    # the first 300 trials do not depend on how many are asked for (block-wise seeding)
    c = simulate_counts(target, 5, 0.5, point_seedseq(7, 1), 300)
    np.testing.assert_array_equal(a[:256], c[:256])


@given(
    widths=st.lists(st.integers(1, 30), min_size=2, max_size=5),
    p=st.floats(0.01, 1.0),
    first_dense=st.booleans(),
    delta=st.floats(0.01, 0.5),
)
def test_theory_widths_are_smallest_admissible(widths, p, first_dense, delta):
    target = random_target(widths, seed=0)
    L = target.depth
    dens = [1.0 if first_dense else p] + [p] * L
    # the union bound splits delta over its T active terms: the Chernoff term is void when p_1 = 1
    T = (L + 1) - int(first_dense)
    cap = delta / T * (1 + 1e-9)
    ks = theorem_w_widths(target, dens, delta)
    assert np.all(theorem_w_terms(target, ks, dens) <= cap)
    k = theorem_w_common_width(target, dens, delta)
    assert np.all(theorem_w_terms(target, k, dens) <= cap)
    assert theorem_w_failure_bound(target, k, dens) <= delta * (1 + 1e-9)
    if k > 1:
        assert np.any(theorem_w_terms(target, k - 1, dens) > delta / T)
    assert k >= max(ks)


def test_bound_holds_at_theory_width():
    """docs/theory.md §6.3: at the theorem's width the failure rate is at most delta."""
    target = random_target((4, 8, 8, 1), seed=0)
    for p in (0.5, 0.1):
        k = theorem_w_common_width(target, p, 0.1)
        ok = simulate_counts(target, k, p, point_seedseq(0, 99), 3000)
        fails = int((~ok).sum())
        # H0: failure probability >= delta; the theorem says it is below, so fails must be rare
        assert stats.binomtest(fails, 3000, 0.1, alternative="greater").pvalue > ALPHA


def test_rho():
    p = np.geomspace(1e-6, 0.999, 200)
    r = rho(p)
    assert np.all(r <= 1 / p)
    assert abs(rho(1e-8) * 1e-8 - 1) < 1e-6
    assert rho(1.0) == 0.0
    with pytest.raises(LTHInputError, match="p \\(density\\) must be in \\(0, 1\\]"):
        rho(0.0)


def test_bad_input():
    target = random_target((2, 3, 1), seed=0)
    with pytest.raises(LTHInputError, match="k must be an integer >= 1"):
        sample_source(target, 0, 0.5)
    with pytest.raises(LTHInputError, match="k must hold 2 values"):
        sample_source(target, [1, 2, 3], 0.5)
    with pytest.raises(LTHInputError, match="densities must hold L\\+1 = 3 values"):
        sample_source(target, 2, [0.5, 0.5])
    with pytest.raises(LTHInputError, match="densities \\(fraction of weights kept\\) must be in"):
        sample_source(target, 2, 1.5)
    with pytest.raises(LTHInputError, match="delta must be in \\(0, 1\\)"):
        theorem_w_common_width(target, 0.5, 0.0)
    with pytest.raises(LTHInputError, match="target must be a ReLUNetwork"):
        theorem_w_widths("4,8,1", 0.5)
    other = random_target((3, 3, 1), seed=0)
    with pytest.raises(LTHInputError, match="source was built for target widths"):
        construct(other, sample_source(target, 2, 0.5, 0))
    with pytest.raises(LTHInputError, match="source must be a WeakSource"):
        construct(target, "not a source")
    with pytest.raises(LTHInputError, match="trials must be an integer >= 1"):
        simulate_counts(target, 2, 0.5, point_seedseq(0), 0)


def test_all_small_masks_exhaustively():
    """Every mask of a tiny source: the construction succeeds exactly when brute force says so."""
    target = ReLUNetwork((np.array([[1.0, -2.0]]), np.array([[3.0]])), (np.zeros(1), np.zeros(1)))
    import scipy.sparse as sp

    from lththeory.weak import WeakSource

    shapes = [(2, 2), (1, 2), (1, 1)]  # k = 1: d*k = 2 first-layer neurons
    sizes = [r * c for r, c in shapes]
    n_ok = 0
    for bits in itertools.product([0, 1], repeat=sum(sizes)):
        arrs, pos = [], 0
        for (r, c), s in zip(shapes, sizes, strict=True):
            arrs.append(sp.csr_array(np.array(bits[pos : pos + s], dtype=bool).reshape(r, c)))
            pos += s
        src = WeakSource((2, 1, 1), (1, 1), (0.5, 0.5, 0.5), tuple(arrs))
        res = construct(target, src)
        bf = brute_force_validity(target, src)
        assert res.success == bool(bf[-1].all())
        n_ok += res.success
        if res.success:
            x = box_points(2, 50)
            np.testing.assert_allclose(res.ticket.network(x), target(x), atol=1e-12)
    # success needs M1[0,0], M1[1,1], both M2 edges and the output edge: 2^(4-2) masks of M1's rest
    assert n_ok == 4
