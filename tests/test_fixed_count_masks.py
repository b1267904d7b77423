"""Fixed-count masks (exactly round(p * size) entries per layer, what torch.nn.utils.prune and
jaxpruner produce) against Bernoulli (ER) masks, the theory's model (docs/theory.md §3.9): exact laws
of both on a 1-1 target, the frontiers of the two kinds, and the gap on a deeper target."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from scipy import stats

import lththeory as lt
from lththeory.network import ReLUNetwork
from lththeory.stats import point_seedseq
from lththeory.weak import required_width, simulate_counts, simulate_masks

ALPHA = 1e-3
ONE = ReLUNetwork(weights=[np.ones((1, 1))], biases=[np.zeros(1)])


def fixed_exact(k: int, p: float) -> float:
    """1-1 target, source masks (k x 1) and (1 x k) with a = round(p k) entries each: success iff the
    two sets of a positions meet, 1 - C(k - a, a) / C(k, a) (hypergeometric)."""
    a = round(p * k)
    return float(1.0 - stats.hypergeom(k, a, a).pmf(0))


def bernoulli_exact(k: int, p: float) -> float:
    """The same source with ER masks: some u of k has both edges, 1 - (1 - p^2)^k."""
    return 1.0 - (1.0 - p * p) ** k


@pytest.mark.parametrize("k,p", [(10, 0.3), (17, 0.3), (23, 0.2)])
def test_both_kinds_follow_their_exact_law(k, p):
    """Explicit fixed-count masks follow the hypergeometric law and ER masks the binomial one
    (two-sided exact binomial tests at alpha = 1e-3, 3000 trials each). The laws differ by 0.07 to
    0.14 at these points, which 3000 trials tell apart (sd <= 0.0089): a simulator that drew the
    wrong kind fails."""
    n = 3000
    f = simulate_masks(ONE, k, p, point_seedseq(1, k), n, kind="fixed")
    b = simulate_masks(ONE, k, p, point_seedseq(2, k), n, kind="bernoulli")
    assert stats.binomtest(int(f.sum()), n, fixed_exact(k, p)).pvalue > ALPHA
    assert stats.binomtest(int(b.sum()), n, bernoulli_exact(k, p)).pvalue > ALPHA
    assert stats.binomtest(int(f.sum()), n, bernoulli_exact(k, p)).pvalue < ALPHA


def test_frontiers_of_the_two_kinds():
    """At p = 0.3 the fixed-count success probability is not monotone in k (round(p k) stays put
    while the layer grows: 0.894, 0.872, 0.850, 0.937 at k = 16..19), and it crosses 0.9 first at
    k = 19, the Bernoulli one at k = 25. The bisection with fixed-count masks returns a crossing of
    the exact law: P(w) >= 0.866 and P(w - 1) < 0.934 (5 sd of 2000 trials each, false alarm < 1e-6
    per visited k), far below the Bernoulli frontier, which its own bisection brackets."""
    p, n = 0.3, 2000
    fixed = partial(simulate_masks, kind="fixed")
    rf = required_width(ONE, p, 0.1, point_seedseq(3), n, simulate=fixed, stop_early=True)
    assert fixed_exact(rf.width, p) >= 0.866 and fixed_exact(rf.width - 1, p) < 0.934
    assert rf.width <= 19
    rb = required_width(ONE, p, 0.1, point_seedseq(4), n, stop_early=True)
    first = [next(k for k in range(1, 99) if bernoulli_exact(k, p) >= lv) for lv in (0.866, 0.934)]
    assert first[0] <= rb.width <= first[1] and rb.width >= 23 > rf.width


def test_fixed_count_masks_help_on_a_deeper_target():
    """On a 3-4-1 target at density 0.3 and k = 20, fixed-count masks succeed more often than ER masks
    (0.92 against 0.89): less variance in the kept counts. Fisher's exact test on 3000 explicit-mask
    trials of each kind against 20000 count-chain trials (the ER law) detects it at alpha = 1e-3,
    while the ER masks agree with the count chain (the same law)."""
    t = lt.random_target((3, 4, 1), seed=1)
    f = simulate_masks(t, 20, 0.3, point_seedseq(5), 3000, kind="fixed")
    b = simulate_masks(t, 20, 0.3, point_seedseq(6), 3000)
    c = simulate_counts(t, 20, 0.3, point_seedseq(7), 20000)

    def table(x, y):
        return [[int(x.sum()), int((~x).sum())], [int(y.sum()), int((~y).sum())]]

    assert stats.fisher_exact(table(f, c), alternative="greater").pvalue < ALPHA
    assert stats.fisher_exact(table(b, c)).pvalue > ALPHA
