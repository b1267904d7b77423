"""Symbolic checks of the algebra in proofs/strong_tickets.md (Theorem S, our formulation).

Run as ``python proofs/check_strong_tickets.py``: prints one line per check and "all checks passed",
or exits with status 1 if any check fails. ``run_checks()`` returns the same lines (each starting
with "ok" or "FAIL") for the test suite.

Labels follow the note: (a) the phi(x) - phi(-x) split of the univariate layer, (b) the error
propagation and the precision rule, (c) the random-subset-sum lemma and a set's group failure,
(d) Theorem S's union bound and the lemma's inversion, (e) the 1/p factor, (f) the product
distribution of path candidates. Algebra is done by sympy on
symbols with declared signs; floats appear only in the numeric spot checks.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import numpy as np
import sympy as sp
from scipy.stats import binom

from lththeory import proofcheck


def _zero(expr: sp.Expr) -> bool:
    """True iff sympy simplifies ``expr`` to exactly 0."""
    return sp.simplify(sp.expand_log(sp.simplify(expr), force=True)) == 0


def relu(x: sp.Expr) -> sp.Expr:
    return sp.Max(0, x)


# ---------------------------------------------------------------------------
# (a) the univariate layer


def check_a_negative_weight() -> str:
    # theta = -t < 0: phi(theta x) = t phi(-x), on both sides of 0 (x = y > 0 and x = -y < 0)
    t, y = sp.symbols("t y", positive=True)
    for x in (y, -y):
        assert _zero(relu(-t * x) - t * relu(-x))
        assert _zero(relu(t * x) - t * relu(x))  # and theta = t > 0: phi(theta x) = t phi(x)
    return "(a1) phi(theta x) = theta phi(x) for theta > 0 and |theta| phi(-x) for theta < 0"


def check_a_split_identity() -> str:
    # a copy receives (W + e+) phi(x) from positive-theta paths and (-W + e-) phi(-x) from negative
    # ones; since x = phi(x) - phi(-x) this is W x + e+ phi(x) + e- phi(-x)
    W, ep, em = sp.symbols("W e_p e_m", real=True)
    y = sp.symbols("y", positive=True)
    for x in (y, -y, sp.Integer(0)):
        got = (W + ep) * relu(x) + (-W + em) * relu(-x)
        assert _zero(got - (W * x + ep * relu(x) + em * relu(-x)))
    return "(a2) (W+e+) phi(x) + (-W+e-) phi(-x) = W x + e+ phi(x) + e- phi(-x)"


def check_a_extremes() -> str:
    # g(x) = e+ phi(x) + e- phi(-x) is linear on [a, 0] and on [0, b]: its extremes over [a, b] lie in
    # {a, 0, b}, i.e. max g = max(0, e+ R+, e- R-) with R+ = max(b, 0), R- = max(-a, 0)
    ep, em = sp.symbols("e_p e_m", real=True)
    x = sp.symbols("x", real=True)
    right = ep * x  # x >= 0
    left = -em * x  # x <= 0: phi(-x) = -x
    assert sp.diff(right, x, 2) == 0 and sp.diff(left, x, 2) == 0
    a, b = sp.symbols("a b", positive=True)  # box [-a, b]
    assert _zero(left.subs(x, -a) - em * a) and _zero(right.subs(x, b) - ep * b)
    return "(a3) extremes of e+ phi(x) + e- phi(-x) over [a, b] are 0, e+ R+, e- R-"


# ---------------------------------------------------------------------------
# (b) error propagation


def check_b_copy_step() -> str:
    # a weight over copies: sum_u eta_u (h + delta_u) - W h = (sum eta - W) h + sum eta_u delta_u
    h, W = sp.symbols("h W", real=True)
    etas = sp.symbols("eta1:4", real=True)
    deltas = sp.symbols("delta1:4", real=True)
    lhs = sum(e * (h + d) for e, d in zip(etas, deltas, strict=True)) - W * h
    rhs = (sum(etas) - W) * h + sum(e * d for e, d in zip(etas, deltas, strict=True))
    assert _zero(lhs - rhs)
    return "(b1) copies: sum eta_u (h + delta_u) - W h = e h + sum eta_u delta_u"


def check_b_pensia_step() -> str:
    # Pensia: all selected products multiply the same h~ = h + delta, and their sum is W + e
    h, W, e, dl = sp.symbols("h W e delta", real=True)
    assert _zero((W + e) * (h + dl) - W * h - (e * h + (W + e) * dl))
    return "(b2) Pensia: (W + e)(h + delta) - W h = e h + (W + e) delta, so alpha = Lambda + s eps'"


def check_b_relu_lipschitz() -> str:
    # |phi(u) - phi(v)| <= |u - v| on all four sign patterns (u, v = +-y, +-z)
    y, z = sp.symbols("y z", positive=True)
    for u in (y, -y):
        for v in (z, -z):
            gap = sp.simplify(sp.Abs(u - v) - sp.Abs(relu(u) - relu(v)))
            assert gap.is_nonnegative, (u, v, gap)  # 0, z, y or |y - z| by case
    return "(b3) |phi(u) - phi(v)| <= |u - v| (all sign patterns)"


def check_b_unrolled() -> str:
    # E_1 = e_1 c_1, E_l = e_l c_l + alpha_l E_{l-1}  =>  E_L = sum_l e_l c_l prod_{m>l} alpha_m
    for L in range(1, 6):
        e = sp.symbols(f"e1:{L + 1}", positive=True)
        c = sp.symbols(f"c1:{L + 1}", positive=True)
        al = sp.symbols(f"alpha1:{L + 1}", positive=True)
        E = sp.Integer(0)
        for l in range(L):
            E = e[l] * c[l] + (al[l] * E if l else 0)
        closed = sum(e[l] * c[l] * sp.prod(al[l + 1 :]) for l in range(L))
        assert _zero(sp.expand(E - closed))
    return "(b4) the recursion unrolls to E_L = sum_l eps'_l c_l prod_{m>l} alpha_m (L = 1..5)"


def check_b_rule() -> str:
    # eps'_l = phi_l eps / (c_l prod_{m>l} alpha_m) with sum phi_l = 1 gives E_L = eps exactly
    for L in range(1, 6):
        eps = sp.symbols("epsilon", positive=True)
        c = sp.symbols(f"c1:{L + 1}", positive=True)
        al = sp.symbols(f"alpha1:{L + 1}", positive=True)
        ph = list(sp.symbols(f"phi1:{L}", positive=True)) if L > 1 else []
        ph.append(1 - sum(ph))
        ep = [ph[l] * eps / (c[l] * sp.prod(al[l + 1 :])) for l in range(L)]
        E = sp.Integer(0)
        for l in range(L):
            E = ep[l] * c[l] + (al[l] * E if l else 0)
        assert _zero(E - eps)
    return "(b5) the rule eps'_l = phi_l eps / (c_l prod_{m>l} alpha_m) gives E_L = eps (L = 1..5)"


def check_b_pensia_cap() -> str:
    # with s eps' <= 1, Lambda + s eps' <= Lambda + 1: the difference is (1 - s eps') >= 0
    lam, s, ep = sp.symbols("Lambda s epsilon_p", positive=True)
    diff = (lam + 1) - (lam + s * ep)
    assert _zero(diff - (1 - s * ep))
    assert diff.subs(ep, 1 / s) == 0
    return "(b6) s eps' <= 1 implies Lambda + s eps' <= Lambda + 1 (Pensia's alpha)"


# ---------------------------------------------------------------------------
# (c) the random-subset-sum lemma and the group failure of a set


def check_c_fixed_target() -> str:
    # a fixed z is never farther from the subset sums than the worst z: min_S |z - sum_S| <= W_g
    from lththeory.subset_sum import sample_values, solve, worst_error

    rng = np.random.default_rng(3)
    n_cases = 0
    for dist in ("uniform", "product"):
        for g in (4, 8, 12):
            for _ in range(30):
                a = sample_values(g, dist, rng)
                w = worst_error(a)
                z = rng.uniform(-1, 1, size=5)
                assert np.all(solve(a, z).errors <= w + 1e-12)
                n_cases += 1
    return f"(c1) min_S |z - sum_S a| <= W_g for fixed z in [-1, 1] ({n_cases} draws, both distributions)"


def check_c_net() -> str:
    # z_m = min(-1 + m eps, 1), m < M = ceil(2/eps) + 1: consecutive points are at most eps apart and
    # cover [-1, 1], so every z is within eps/2 of one of them
    from lththeory.subset_sum.lemma import net_size

    grid = np.linspace(-1, 1, 20001)
    for eps in (1.5, 0.7, 0.3, 0.1, 0.037, 0.01):
        M = net_size(eps)
        z = np.minimum(-1 + eps * np.arange(M), 1.0)
        assert z[0] == -1 and z[-1] == 1 and np.all(np.diff(z) <= eps + 1e-15)
        idx = np.clip(np.searchsorted(z, grid), 1, M - 1)
        near = np.minimum(np.abs(grid - z[idx - 1]), np.abs(grid - z[idx]))
        assert near.max() <= eps / 2 + 1e-12
    return "(c2) the net z_m = min(-1 + m eps, 1), m < ceil(2/eps) + 1, is within eps/2 of every z"


def check_c_set_failure() -> str:
    # strong.set_failure upper-bounds E[phi^min(floor(X/g), G)], X ~ Bin(k, q), and is close to it
    from lththeory.strong import set_failure

    worst = 0.0
    for k, q, g, phi, G in (
        (40, 0.5, 4, 0.3, 16),
        (400, 0.1, 8, 0.5, 16),
        (2000, 0.05, 10, 0.2, 4),
        (100000, 0.01, 20, 0.05, 16),
        (30, 0.9, 20, 0.1, 16),
        (19, 0.9, 20, 0.1, 16),
    ):
        x = np.arange(k + 1)
        exact = float(binom.pmf(x, k, q) @ (phi ** np.minimum(x // g, G)))
        got = set_failure(k, q, g, phi, G)
        assert exact - 1e-15 <= got <= exact * (1 + 1e-6) + 1e-300, (k, q, g, got, exact)
        worst = max(worst, got / exact - 1 if exact > 0 else 0.0)
    return f"(c3) set_failure bounds E[phi^min(floor(X/g), G)] from above (max excess {worst:.1e})"


def check_c_clopper_pearson() -> str:
    # phi+ = Beta^-1(1 - alpha; F + 1, T - F) is the upper end of the (1 - 2 alpha) two-sided
    # Clopper-Pearson interval, i.e. the phi with P(Bin(T, phi) <= F) = alpha
    from scipy import stats

    for T in (50, 4000):
        for F in (0, 1, 7, T // 3, T - 1):
            for alpha in (1e-3, 0.05):
                up = stats.beta.ppf(1 - alpha, F + 1, T - F)
                ci = stats.binomtest(F, T).proportion_ci(confidence_level=1 - 2 * alpha)
                assert abs(up - ci.high) < 1e-9, (T, F, alpha, up, ci.high)
                assert abs(binom.cdf(F, T, up) - alpha) < 1e-8
    return "(c4) phi+ = Beta^-1(1 - alpha; F+1, T-F) is the one-sided Clopper-Pearson bound"


# ---------------------------------------------------------------------------
# (d) Theorem S's bound and the lemma's inversion


def check_d_union_bound() -> str:
    from lththeory import random_target
    from lththeory.strong import error_budget, set_failure, theorem_s
    from lththeory.subset_sum import fixed_target_failure

    t = random_target([2, 3, 1], seed=5)
    W = [np.asarray(w) for w in t.weights]
    b = [np.asarray(x) for x in t.biases]
    for k, p, kind in ((400, 0.5, "univariate"), (2000, 0.3, "univariate"), (600, 0.5, "pensia")):
        th = theorem_s(t, k, p, 0.05, construction=kind, group_size=16)
        ep = error_budget(t, 0.05, kind, "worst", 16).eps_prime
        # the sets written out by hand (2-3-1 target on [-1, 1]^2: two halves per layer-1 weight;
        # depth L+1: k copies of each hidden neuron, one output; Pensia: one neuron each)
        copies = k if kind == "univariate" else 1
        q2 = p if kind == "univariate" else p * p / 2
        dist2 = "uniform" if kind == "univariate" else "product"
        sets = [(abs(z), 2 * copies, p * p / 2, "product", 1) for z in W[0].ravel()]
        sets += [(abs(z), 1, q2, dist2, 2) for z in W[1].ravel()]
        sets += [(abs(z), copies, p / 2, "product", 1) for z in b[0]]
        sets += [(abs(z), 1, p / 2, "product", 2) for z in b[1]]
        total = sum(
            count * set_failure(k, q, 16, fixed_target_failure(z, 16, ep[layer - 1], dist))
            for z, count, q, dist, layer in sets
        )
        assert abs(min(total, 1.0) - th.failure) <= 1e-9 * max(total, 1e-300), (kind, total)
    return (
        "(d1) Theorem S's bound = sum over the sets (written out by hand) of their psi+ group "
        "failures (independent recomputation)"
    )


def check_d_monotone() -> str:
    from lththeory.strong import set_failure

    for q, g, phi in ((0.25, 10, 0.3), (0.05, 16, 0.1), (0.5, 20, 0.6)):
        vals = [set_failure(k, q, g, phi) for k in range(g, 30 * g, 7)]
        assert all(b <= a + 1e-15 for a, b in zip(vals, vals[1:], strict=False))
    return "(d2) a set's failure bound falls as its block grows (X stochastically increases)"


def check_d_required_candidates() -> str:
    from lththeory.subset_sum import group_failure, required_candidates
    from lththeory.subset_sum.calibration import calibrated_sizes
    from lththeory.subset_sum.lemma import net_size

    for eps, delta, dist in (
        (0.1, 0.1, "uniform"),
        (0.02, 0.01, "uniform"),
        (0.05, 0.1, "product"),
    ):
        n = required_candidates(eps, delta, dist)
        M = net_size(eps)
        options = []
        for g in calibrated_sizes(dist):
            phi = group_failure(g, eps / 2, dist)
            if phi < 1:
                G = 1 if M * phi <= delta else math.ceil(math.log(M / delta) / math.log(1 / phi))
                assert M * phi**G <= delta * (1 + 1e-12)
                assert G == 1 or M * phi ** (G - 1) > delta
                options.append(g * G)
        assert n == min(options)
    return "(d3) required_candidates is the smallest g G with M phi+(g, eps/2)^G <= delta"


# ---------------------------------------------------------------------------
# (e) the 1/p factor


def check_e_dense_limit() -> str:
    # even at p = 1 a layer-1 set has X ~ Bin(k, 1/2) candidates: below g of them no group exists,
    # so the block needs k >= 2 g candidates on average (a factor 1/q = 2/(p1 p2), not rho(p) -> 0)
    from lththeory.strong import set_failure

    for g in (8, 16, 20):
        assert set_failure(g - 1, 0.5, g, 0.0) == 1.0
        assert set_failure(2 * g, 0.5, g, 0.0) >= 0.4  # P(Bin(2g, 1/2) < g) is about 1/2
    return "(e1) at p = 1 a layer-1 block of k < g has no group; k = 2g fails about half the time"


def check_e_rho_sandwich() -> str:
    # p = 1 - exp(-r), r > 0: rho(p) = 1/r, 1/p = 1/(1 - e^-r); 1/p - 1 <= rho(p) <= 1/p
    r = sp.symbols("r", positive=True)
    inv_p = 1 / (1 - sp.exp(-r))
    assert _zero((inv_p - 1) - 1 / (sp.exp(r) - 1))
    f = sp.exp(r) - 1 - r  # >= 0  <=>  1/r >= 1/(e^r - 1) = 1/p - 1
    g = r - 1 + sp.exp(-r)  # >= 0  <=>  1 - e^-r <= r  <=>  1/r <= 1/p
    for h in (f, g):
        assert h.subs(r, 0) == 0
        dh = sp.diff(h, r)
        assert dh.subs(r, 0) == 0 and sp.simplify(sp.diff(dh, r)).is_positive
    return "(e2) 1/p - 1 <= rho(p) <= 1/p: k/p and k rho(p) differ by at most k"


# ---------------------------------------------------------------------------
# (f) path candidates


def check_f_product_density() -> str:
    # eta ~ U(-1, 1), theta ~ U(0, 1): eta*theta has density -ln|z|/2 on (-1, 1), the same as the
    # product of two independent U(-1, 1); so the layer-1 halves use the "product" distribution
    z, s = sp.symbols("z s", positive=True)  # z in (0, 1); by symmetry the same for -z
    half = sp.integrate(sp.Rational(1, 2) / s, (s, z, 1))  # theta = s in (z, 1), eta = z/s
    two = 2 * sp.integrate(sp.Rational(1, 4) / s, (s, z, 1))  # u in (z,1) or (-1,-z)
    assert _zero(half + sp.log(z) / 2) and _zero(two + sp.log(z) / 2)
    total = 2 * sp.integrate(-sp.log(z) / 2, (z, 0, 1))
    assert total == 1
    return "(f1) eta*|theta| (theta of either sign) ~ product of two U[-1, 1]: density -ln|z|/2"


CHECKS: list[Callable[[], str]] = [
    check_a_negative_weight,
    check_a_split_identity,
    check_a_extremes,
    check_b_copy_step,
    check_b_pensia_step,
    check_b_relu_lipschitz,
    check_b_unrolled,
    check_b_rule,
    check_b_pensia_cap,
    check_c_fixed_target,
    check_c_net,
    check_c_set_failure,
    check_c_clopper_pearson,
    check_d_union_bound,
    check_d_monotone,
    check_d_required_candidates,
    check_e_dense_limit,
    check_e_rho_sandwich,
    check_f_product_density,
]


def run_checks() -> list[str]:
    """Run every check; return one line per check, starting with "ok" or "FAIL"."""
    return proofcheck.run_checks(CHECKS)


if __name__ == "__main__":
    sys.exit(proofcheck.main(CHECKS))
