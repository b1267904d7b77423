"""The error curve a strong-ticket construction is predicted to follow as its blocks grow
(docs/theory.md §5.7): a heuristic prediction, labelled as such, next to the measured certified
error of ``objective="min-error"``.

Prediction. A candidate set whose block of size k keeps each neuron as a candidate with probability
q offers about ``n = min(k q, max_candidates)`` candidates; the best subset of n random candidates
misses a target z by about ``|z| 2^(-rate n)`` (``rate`` = 1: each candidate halves the error,
the random-subset-sum lemma's exponential decay; no candidate leaves the error |z|). Per target
layer l the worst of its sets, with |z| the layer's largest weight or bias, gives ``e_l``; the
error budget's recursion (:mod:`.budget`) propagates them,
``E_1 = e_1 c_1``, ``E_l = e_l c_l + alpha_l E_{l-1}``, and ``E_L`` is the predicted sup error. So
log2 E falls linearly in k p (slope about ``-rate q / p`` for the dominating set) until the
candidate cap stops it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._arrays import to_dense
from .._validate import check_positive_int, check_positive_real
from ..network import ReLUNetwork, check_network
from .budget import MAX_CANDIDATES, error_budget
from .theory import candidate_sets

__all__ = ["expected_candidates", "predicted_error"]


def expected_candidates(
    target: ReLUNetwork,
    k: int,
    densities: float | Sequence[float],
    construction: str = "univariate",
    max_candidates: int = MAX_CANDIDATES,
) -> np.ndarray:
    """Per target layer l: the fewest expected candidates ``min(k q, max_candidates)`` over its
    candidate sets, at common block size ``k`` (constant blocks of size k too)."""
    t = check_network(target)
    k = check_positive_int(k, "k")
    nmax = check_positive_int(max_candidates, "max_candidates")
    out = np.full(t.depth, float(nmax))
    for s in candidate_sets(t, k, densities, construction):
        out[s.layer - 1] = min(out[s.layer - 1], k * s.q, nmax)
    return out


def predicted_error(
    target: ReLUNetwork,
    k: int,
    densities: float | Sequence[float],
    eps: float,
    construction: str = "univariate",
    max_candidates: int = MAX_CANDIDATES,
    rate: float = 1.0,
) -> float:
    """Predicted sup error E_L of the construction at common block size ``k`` (module docstring):
    per-layer errors ``max|W_l, b_l| 2^(-rate n_l)`` with ``n_l`` from :func:`expected_candidates`, propagated by
    the error budget of target error ``eps`` (it fixes c_l and alpha_l; typical amplification)."""
    t = check_network(target)
    rate = check_positive_real(rate, "rate")
    n = expected_candidates(t, k, densities, construction, max_candidates)
    budget = error_budget(t, eps, construction, "typical", max_candidates)
    scale = [
        max(float(np.max(np.abs(to_dense(W)), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
        for W, b in zip(t.weights, t.biases, strict=True)
    ]
    return float(budget.layer_errors(tuple(np.array(scale) * 2.0 ** (-rate * n)))[-1])
