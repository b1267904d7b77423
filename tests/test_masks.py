"""ER and fixed-count masks: structure (hypothesis) and the binomial law (statistical, fixed seeds,
false-positive rate 1e-3 per test)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from lththeory import LTHInputError, bernoulli_mask, er_masks, fixed_count_mask, sample_mask

ALPHA = 1e-3


@given(
    rows=st.integers(1, 60),
    cols=st.integers(1, 60),
    p=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["bernoulli", "fixed"]),
)
def test_mask_structure(rows, cols, p, seed, kind):
    m = sample_mask((rows, cols), p, np.random.default_rng(seed), kind)
    assert m.shape == (rows, cols)
    assert m.dtype == bool
    assert m.has_canonical_format  # sorted, no duplicates
    assert np.all(m.data)
    if kind == "fixed":
        assert m.nnz == round(p * rows * cols)
    if p == 1.0:
        assert m.nnz == rows * cols
    if p == 0.0:
        assert m.nnz == 0


def test_bernoulli_total_count_is_binomial():
    rng = np.random.default_rng(2024)
    shape, p, reps = (37, 53), 0.23, 400
    counts = np.array([bernoulli_mask(shape, p, rng).nnz for _ in range(reps)])
    n = shape[0] * shape[1]
    # the sum of reps iid Binomial(n, p) is Binomial(reps * n, p)
    assert stats.binomtest(int(counts.sum()), reps * n, p).pvalue > ALPHA
    # and the spread matches: chi-square test of the variance (reps - 1) s^2 / sigma^2
    chi2 = (reps - 1) * counts.var(ddof=1) / (n * p * (1 - p))
    cdf = stats.chi2.cdf(chi2, reps - 1)
    assert ALPHA / 2 < cdf < 1 - ALPHA / 2


def test_bernoulli_entries_are_uniform_and_independent():
    rng = np.random.default_rng(7)
    shape, p, reps = (8, 9), 0.1, 3000
    acc = np.zeros(shape)
    pair = 0
    for _ in range(reps):
        a = bernoulli_mask(shape, p, rng).toarray()
        acc += a
        pair += a[0, 0] & a[0, 1]
    # every position is kept Binomial(reps, p) times: chi-square goodness of fit over positions
    expected = reps * p
    chi2 = np.sum((acc - expected) ** 2 / (expected * (1 - p)))
    assert stats.chi2.sf(chi2, acc.size) > ALPHA
    # neighbouring entries are independent: P(both) = p^2
    assert stats.binomtest(int(pair), reps, p * p).pvalue > ALPHA


def test_sparse_sampling_scales_with_nnz():
    """10^10 potential entries at density 1e-6: only the ~10^4 kept ones are ever materialised."""
    m = bernoulli_mask((100_000, 100_000), 1e-6, np.random.default_rng(0))
    assert stats.binomtest(m.nnz, 10**10, 1e-6).pvalue > ALPHA
    assert m.indices.nbytes < 10**6


def test_bad_input():
    with pytest.raises(LTHInputError, match="density \\(fraction of weights kept\\) must be in"):
        bernoulli_mask((3, 3), 1.2)
    with pytest.raises(LTHInputError, match="density"):
        fixed_count_mask((3, 3), float("nan"))
    with pytest.raises(LTHInputError, match="shape\\[0\\] must be an integer >= 1"):
        bernoulli_mask((0, 3), 0.5)
    with pytest.raises(LTHInputError, match="shape must be \\(rows, cols\\)"):
        bernoulli_mask((3,), 0.5)
    with pytest.raises(LTHInputError, match="kind must be one of 'bernoulli', 'fixed'"):
        sample_mask((3, 3), 0.5, kind="random")
    with pytest.raises(LTHInputError, match="densities must have one entry per layer"):
        er_masks([(2, 2), (2, 2)], [0.5])
