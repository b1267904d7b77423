"""Theorem LB: the one-hidden-layer ("3-layer") lower bound, decided exactly by matching
(claim 2; docs/theory.md §4; proof in proofs/lower_bound.md).

The target is f_T(x) = c + sum_{i=1}^n v_i phi(w_i . x + b_i) with v_i != 0 and pairwise distinct
hyperplanes meeting the interior of the box; the source has one hidden layer of width N with ER masks
M_1 (N x d, density p_1) and M_2 (1 x N, density p_2). Side by side and comparable:

* :mod:`.targets` -- checked targets, the hard instance and random targets of given support;
* :mod:`.decision` -- the exact decision (:func:`decide`): the ticket or a Hall certificate;
* :mod:`.simulation` -- the Monte-Carlo success rate of the decision over ER sources;
* :mod:`.theory` -- closed forms and bounds (scipy.stats.binom);
* :mod:`.two_hidden` -- an EXPLORATION of two-hidden-layer sources (measured, nothing proven).
"""

from .decision import (
    TICKET_TOL,
    LowerBoundDecision,
    bipartite_graph,
    decide,
    has_full_matching,
    sample_source_masks,
)
from .simulation import simulate_success, success_rate
from .targets import (
    HYPERPLANE_TOL,
    OneHiddenTarget,
    check_one_hidden_target,
    hard_instance,
    random_one_hidden_target,
)
from .theory import (
    block_lower_bound,
    block_threshold_k,
    chernoff_bound,
    exact_success_probability_hard,
    threshold_width,
    upper_bound,
)

__all__ = [
    "HYPERPLANE_TOL",
    "TICKET_TOL",
    "LowerBoundDecision",
    "OneHiddenTarget",
    "bipartite_graph",
    "block_lower_bound",
    "block_threshold_k",
    "check_one_hidden_target",
    "chernoff_bound",
    "decide",
    "exact_success_probability_hard",
    "hard_instance",
    "has_full_matching",
    "random_one_hidden_target",
    "sample_source_masks",
    "simulate_success",
    "success_rate",
    "threshold_width",
    "upper_bound",
]
