"""The random-subset-sum lemma (docs/theory.md §5.1) against exact measurements it did not see.

* ``required_candidates`` is never contradicted: wherever it asks for n <= 16 candidates, fresh
  seeded draws measured exactly (``worst_error``) fail at most delta of the time (one-sided exact
  binomial test at alpha = 1e-3 on 600 draws: power >= 0.99 against a failure rate of 2 delta).
* psi+ (the fixed-target premise) bounds a fresh Monte-Carlo miss rate at the values it was measured.
* The stored calibration is reproduced exactly from its seed (provenance).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from lththeory import LTHInputError
from lththeory.stats import check_failure_bound, point_seedseq, trial_generators
from lththeory.subset_sum import (
    fixed_target_failure,
    group_failure,
    required_candidates,
    sample_values,
    solve_batch,
    worst_error,
)
from lththeory.subset_sum.calibration import calibration_draws, measure_worst_errors

ALPHA = 1e-3


@pytest.mark.parametrize(
    "eps,delta,dist",
    [(0.5, 0.5, "uniform"), (0.3, 0.2, "uniform"), (0.2, 0.2, "uniform"), (0.5, 0.5, "product")],
)
def test_required_candidates_is_never_contradicted(eps, delta, dist):
    n = required_candidates(eps, delta, dist)
    assert 1 <= n <= 16
    gens = trial_generators(point_seedseq(99, n, 7), 0, 600)
    fails = sum(worst_error(sample_values(n, dist, g)) > eps for g in gens)
    chk = check_failure_bound(fails, 600, delta, alpha=ALPHA)
    assert chk.holds, (n, fails)
    assert chk.power >= 0.99


def test_required_candidates_grows_as_eps_and_delta_fall():
    n = [required_candidates(e, 0.1) for e in (0.3, 0.1, 0.03, 0.01)]
    assert n == sorted(n) and n[0] < n[-1]
    assert required_candidates(0.05, 0.01) >= required_candidates(0.05, 0.1)
    assert required_candidates(1.0, 0.1) == 0  # the empty sum is within 1 of every z


@pytest.mark.parametrize("z,g,e,dist", [(0.9, 16, 1e-3, "uniform"), (0.4, 12, 1e-3, "product")])
def test_fixed_target_premise_bounds_a_fresh_measurement(z, g, e, dist):
    """psi+ comes from one set of seeded draws; fresh draws (another seed) miss z at a rate that
    does not significantly exceed it (one-sided exact test at alpha = 1e-3 on 3000 draws)."""
    psi = fixed_target_failure(z, g, e, dist)
    rng = np.random.default_rng(12345)
    V = sample_values(g * 3000, dist, rng).reshape(3000, g)
    miss = int((solve_batch(V, np.full(3000, z)).errors > e).sum())
    assert stats.binomtest(miss, 3000, psi, alternative="greater").pvalue > ALPHA


def test_premises_fall_with_precision_and_group_size():
    assert fixed_target_failure(0.7, 20, 1e-3, "uniform") <= fixed_target_failure(0.7, 20, 1e-5)
    assert group_failure(16, 0.01, "uniform") <= group_failure(12, 0.01, "uniform")
    assert group_failure(20, 1e-12, "uniform") == 1.0  # below every stored draw: no claim


def test_calibration_is_reproduced_from_its_seed():
    for g in (8, 10):
        for dist in ("uniform", "product"):
            np.testing.assert_array_equal(
                measure_worst_errors(g, dist, 4000), calibration_draws(g, dist)
            )


@pytest.mark.parametrize(
    "call,fragment",
    [
        (lambda: required_candidates(0, 0.1), "eps must be a finite number > 0"),
        (lambda: required_candidates(0.1, 1.5), "delta must be in (0, 1)"),
        (lambda: required_candidates(1e-9, 0.1), "eps must be large enough"),
        (lambda: required_candidates(0.1, 0.1, "cauchy"), "distribution must be one of"),
        (lambda: fixed_target_failure(2.0, 10, 0.1), "z must be a target value in [-1, 1]"),
        (lambda: fixed_target_failure(0.5, 30, 0.1), "g must be in [1, 26]"),
        (lambda: group_failure(11, 0.1, "uniform"), "g must be one of the calibrated sizes"),
    ],
)
def test_bad_input_is_one_line(call, fragment):
    with pytest.raises(LTHInputError) as e:
        call()
    assert fragment in str(e.value) and "\n" not in str(e.value)
