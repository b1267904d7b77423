"""Error propagation for strong tickets: interval bounds and the per-layer precision rule
(docs/theory.md §5.4; proof in proofs/strong_tickets.md, section 3).

Error propagation (the rule; proofs/strong_tickets.md, section 3). With R_+ = max(b, 0),
R_- = max(-a, 0), R = max(R_+, R_-) for the box [a, b]^d, H_{l,j} an interval bound of |h_{l,j}| over
the box (H_{0,j} = R), beta_l(i) = 1 if b_l[i] != 0 else 0, and E_l the sup-norm error of a copy of a
target neuron of layer l (the outputs for l = L), when every subset sum of layer l is within eps'_l:

    E_1 <= eps'_1 c_1,                   c_1 = max_i (|N_1(i)| R + beta_1(i)),
    E_l <= eps'_l c_l + alpha_l E_{l-1},  c_l = max_i (sum_{j in N_l(i)} H_{l-1,j} + beta_l(i)),

where alpha_l = max_i |N_l(i)| A_l and A_l bounds the amplification sum_{u in S} |eta_u| of one weight's
selected candidates (depth L+1: n candidates of magnitude <= 1 give A_l <= n), or
alpha_l = Lambda_l + 1 with Lambda_l = max_i ||W_l[i, :]||_1 (Pensia: a weight's subset multiplies one
neuron; rigorous once s_l eps'_l <= 1). The rule shares eps over the layers in proportion
phi_l to the number of subset sums a neuron of layer l solves (2 |N_1(i)| + beta_1(i) in layer 1 for a box
around 0, |N_l(i)| + beta_l(i) above):

    eps'_l = phi_l eps / (c_l prod_{m > l} alpha_m)        (so that E_L = eps exactly).

:func:`error_budget` evaluates it: ``amplification="worst"`` is the rigorous A_l = n (Theorem S),
the default ``"typical"`` plans with A_l = n / 4 (an optimal subset selects about half of n candidates of
mean magnitude 1/2). The constructions then decide with *certificates*: the same recursion evaluated per
copy with the actual signed subset-sum errors and the actual amplifications (exact for layer 1). A hidden
copy is valid iff its certificate is at most E_l, and success means every output's certificate is
<= eps: a rigorous bound, so a reported success always means sup |f_P - f_T| <= eps on the whole box.
The sampled error (:func:`estimate_error`, a lower bound of the same sup) is reported next to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .._arrays import to_dense
from .._validate import check_choice, check_positive_int, check_positive_real
from ..network import ReLUNetwork, check_network
from .spec import strong_construction

__all__ = [
    "MAX_CANDIDATES",
    "ErrorBudget",
    "error_budget",
    "interval_bounds",
    "layer_structure",
    "planned_candidates",
]

MAX_CANDIDATES = 26
"""Most candidates per subset sum (the exact batched solver's limit)."""


def interval_bounds(target: ReLUNetwork) -> list[np.ndarray]:
    """H_l (l = 0..L-1): per neuron an upper bound of |h_l| over the box, by interval arithmetic.

    H_0 = max(|a|, |b|) for every input; for l >= 1, [lo, hi] of the pre-activation from the bounds of
    the layer below (W^+ hi + W^- lo + b, and vice versa), and |h_l| <= max(hi, 0).
    """
    t = check_network(target)
    a, b = t.box
    d = t.input_dim
    lo, hi = np.full(d, a), np.full(d, b)
    out = [np.full(d, max(abs(a), abs(b)))]
    for l in range(t.depth - 1):
        W = to_dense(t.weights[l])
        Wp, Wn = np.maximum(W, 0), np.minimum(W, 0)
        zlo = Wp @ lo + Wn @ hi + t.biases[l]
        zhi = Wp @ hi + Wn @ lo + t.biases[l]
        lo, hi = np.maximum(zlo, 0.0), np.maximum(zhi, 0.0)
        out.append(hi.copy())
    return out


@dataclass(frozen=True)
class ErrorBudget:
    """The per-layer precision rule of the module docstring (docs/theory.md §5.4).

    ``eps_prime[l-1]`` = eps'_l, the precision every subset sum of target layer l must reach;
    ``fresh[l-1]`` = c_l; ``alpha[l-1]`` = alpha_l (alpha_1 = 0: layer 1 reads exact inputs);
    ``bounds`` = H_0..H_{L-1} (interval bounds, per neuron). ``layer_errors()`` evaluates the recursion
    E_1 = eps'_1 c_1, E_l = eps'_l c_l + alpha_l E_{l-1}; by construction E_L = eps (Pensia: <= eps
    where the cap s_l eps'_l <= 1 binds). ``share[l-1]`` = phi_l, the fraction of eps given to layer l.
    """

    eps: float
    construction: str
    amplification: str
    share: tuple[float, ...]
    eps_prime: tuple[float, ...]
    fresh: tuple[float, ...]
    alpha: tuple[float, ...]
    candidates: int
    radius: tuple[float, float]
    bounds: tuple[np.ndarray, ...] = field(repr=False)

    def layer_errors(self, eps_prime: Sequence[float] | None = None) -> tuple[float, ...]:
        """E_1..E_L from the recursion at the given (default: the rule's) per-layer precisions."""
        ep = self.eps_prime if eps_prime is None else tuple(eps_prime)
        E, out = 0.0, []
        for l, (e, c, a) in enumerate(zip(ep, self.fresh, self.alpha, strict=True)):
            E = e * c + (a * E if l else 0.0)
            out.append(E)
        return tuple(out)


def _amplification_factor(amplification: object, n: int) -> float:
    if isinstance(amplification, str):
        check_choice(amplification, "amplification", ("typical", "worst"))
        return n / 4.0 if amplification == "typical" else float(n)
    return check_positive_real(amplification, "amplification")


def error_budget(
    target: ReLUNetwork,
    eps: float,
    construction: str = "univariate",
    amplification: str | float = "typical",
    candidates: int = MAX_CANDIDATES,
) -> ErrorBudget:
    """Per-layer subset-sum precisions eps'_l from the target error eps (module docstring's rule).

    c_1 = max_i (|N_1(i)| R + beta_1(i)); c_l = max_i (sum_{j in N_l(i)} H_{l-1,j} + beta_l(i)); for
    ``"univariate"`` alpha_l = max_i |N_l(i)| A with A = n/4 (``"typical"``), n (``"worst"``: rigorous for
    weights in [-1, 1]) or a given number, n = ``candidates``; for ``"pensia"`` alpha_l = Lambda_l + 1
    (rigorous once s_l eps'_l <= 1, which the rule enforces). With shares phi_l proportional to the
    subset sums per neuron (2 |N_1(i)| + beta_1(i) for a box around 0, |N_l(i)| + beta_l(i) above),
    eps'_l = phi_l eps / (c_l prod_{m>l} alpha_m), so that the recursion gives E_L = eps.
    """
    t = check_network(target)
    eps = check_positive_real(eps, "eps")
    spec = strong_construction(construction)
    n = check_positive_int(candidates, "candidates")
    A = _amplification_factor(amplification, n)
    a, b = t.box
    Rp, Rm = max(b, 0.0), max(-a, 0.0)
    R = max(Rp, Rm)
    H = interval_bounds(t)
    L = t.depth
    sup = t.supports()
    signs = int(Rp > 0) + int(Rm > 0)
    fresh, alpha, fan, count = [], [], [], []
    for l in range(1, L + 1):
        S = sup[l - 1]
        beta = (np.asarray(t.biases[l - 1]) != 0).astype(float)
        count.append(float(np.max(S.sum(axis=1) * (signs if l == 1 else 1) + beta)))
        if l == 1:
            c = float(np.max(S.sum(axis=1) * R + beta))
        else:
            c = float(np.max(S.astype(float) @ H[l - 1] + beta))
        fresh.append(max(c, 1e-300))
        s = int(S.sum(axis=1).max())
        fan.append(s)
        alpha.append(0.0 if l == 1 else spec.amplification(S, A, to_dense(t.weights[l - 1])))
    share = np.maximum(np.array(count), 1.0)
    share = share / share.sum()
    eps_prime = []
    for l in range(L):
        prod = float(np.prod(alpha[l + 1 :])) if l + 1 < L else 1.0
        e = share[l] * eps / (fresh[l] * prod)
        eps_prime.append(spec.cap(e, fan[l]) if l >= 1 else e)
    return ErrorBudget(
        eps,
        spec.name,
        amplification if isinstance(amplification, str) else f"{A:g}",
        tuple(float(x) for x in share),
        tuple(eps_prime),
        tuple(fresh),
        tuple(alpha),
        n,
        (Rp, Rm),
        tuple(H),
    )


def layer_structure(t: ReLUNetwork) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per target layer l: its support S_l (float 0/1) and beta_l (1 where the bias is nonzero)."""
    return [
        (S.astype(float), (np.asarray(b) != 0).astype(float))
        for S, b in zip(t.supports(), t.biases, strict=True)
    ]


def planned_candidates(budget: ErrorBudget, layer: int, candidates: int, available: float) -> float:
    """Candidates a subset sum of target layer ``layer`` tries first: log2(1/eps'_l) + 1 (an optimal
    subset of n draws errs by about 2^-n), at most ``candidates`` and the ``available`` ones."""
    n0 = math.ceil(math.log2(1.0 / budget.eps_prime[layer - 1])) + 1
    return max(0.0, min(n0, candidates, available))
