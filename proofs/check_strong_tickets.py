"""Symbolic checks of the algebra in proofs/strong_tickets.md (Theorem S, our formulation).

Run as ``python proofs/check_strong_tickets.py``: prints one line per check and "all checks passed",
or exits with status 1 if any check fails. ``run_checks()`` returns the same lines (each starting
with "ok" or "FAIL") for the test suite.

Labels follow the note: (a) the phi(x) - phi(-x) split of the univariate layer, (b) the error
propagation and the precision rule, (c) the Chernoff step, (d) the width formula and its inversion,
(e) the rho(p) factor, (f) the product distribution of path candidates. Algebra is done by sympy on
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
# (c) Chernoff


def check_c_chernoff() -> str:
    # P(X <= (1 - t) mu) <= exp(-mu t^2 / 2): the MGF exponent at lambda = -ln(1 - t) is
    # -mu psi0(t) with psi0(t) = (1 - t) ln(1 - t) + t >= t^2/2; at t = 1/2 and mu = k q: exp(-kq/8)
    mu, t = sp.symbols("mu t", positive=True)
    lam = -sp.log(1 - t)
    exponent = lam * (1 - t) * mu + mu * (sp.exp(-lam) - 1)
    psi0 = (1 - t) * sp.log(1 - t) + t
    assert _zero(exponent + mu * psi0)
    psi = psi0 - t**2 / 2
    assert psi.subs(t, 0) == 0
    assert _zero(sp.diff(psi, t) - (-sp.log(1 - t) - t))  # >= 0 since -ln(1-t) >= t
    k, q = sp.symbols("k q", positive=True)
    assert _zero(
        sp.exp(-mu * t**2 / 2).subs({t: sp.Rational(1, 2), mu: k * q}) - sp.exp(-k * q / 8)
    )
    return "(c1) P(Binomial(k, q) < kq/2) <= exp(-kq/8) (MGF derivation)"


def check_c_width_conditions() -> str:
    # k = (2/q) max(n, 4 ln(2/delta)): kq/2 >= n (so {X < n} is inside {X < kq/2}) and
    # exp(-kq/8) <= delta/2, with equality at k = 8 ln(2/delta) / q
    q, d = sp.symbols("q delta", positive=True)
    k = 8 * sp.log(2 / d) / q
    assert _zero(sp.exp(-k * q / 8) - d / 2)
    n = sp.symbols("n", positive=True)
    assert _zero((2 * n / q) * q / 2 - n)
    return "(c2) k = (2/q) max(n, 4 ln(2/delta)) gives kq/2 >= n and exp(-kq/8) <= delta/2"


def check_c_numeric_tail() -> str:
    worst = -np.inf
    for q in (0.01, 0.05, 0.125, 0.25, 0.5):
        for n in (5, 10, 20, 40):
            for dl in (0.1, 1e-3, 1e-6):
                k = math.ceil(2 / q * max(n, 4 * math.log(2 / dl)))
                tail = float(binom.cdf(n - 1, k, q))
                assert tail <= dl / 2, (q, n, dl, tail)
                worst = max(worst, tail / (dl / 2))
    return (
        f"(c3) exact Binomial tails at the formula's k stay below delta/2 (max ratio {worst:.2e})"
    )


# ---------------------------------------------------------------------------
# (d) width formula and its inversion


def check_d_lueker_inversion() -> str:
    C, eps, n = sp.symbols("C epsilon n", positive=True)
    n_of_eps = C * sp.log(1 / eps, 2)
    sol = sp.solve(sp.Eq(n, n_of_eps), eps)
    assert len(sol) == 1 and _zero(sol[0] - 2 ** (-n / C))
    assert _zero(n_of_eps.subs(eps, 2 ** (-n / C)) - n)
    return "(d1) n = C log2(1/eps)  <=>  eps = 2^(-n/C)"


def check_d_width_inversion() -> str:
    # k(eps) = (2/q) C log2(1/eps) (the Lueker term of the width) inverts to eps(k) = 2^(-k q / (2C))
    C, eps, k, q = sp.symbols("C epsilon k q", positive=True)
    k_of_eps = 2 / q * C * sp.log(1 / eps, 2)
    sol = sp.solve(sp.Eq(k, k_of_eps), eps)
    assert len(sol) == 1 and _zero(sol[0] - 2 ** (-k * q / (2 * C)))
    assert _zero(k_of_eps.subs(eps, 2 ** (-k * q / (2 * C))) - k)
    # and it is decreasing in k: a wider block reaches a finer precision
    assert sp.simplify(sp.diff(sol[0], k)).is_negative
    return "(d2) k = (2/q) C log2(1/eps)  <=>  eps = 2^(-kq/(2C)), decreasing in k"


def check_d_numeric_roundtrip() -> str:
    rng = np.random.default_rng(0)
    for _ in range(200):
        C, q = rng.uniform(0.5, 4), rng.uniform(0.01, 1)
        eps = 10 ** rng.uniform(-9, -1)
        k = 2 / q * C * math.log2(1 / eps)
        assert abs(2 ** (-k * q / (2 * C)) / eps - 1) < 1e-9
    return "(d3) numeric round trip of the width formula (200 random C, q, eps)"


# ---------------------------------------------------------------------------
# (e) rho(p)


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
    return "(e1) 1/p - 1 <= rho(p) <= 1/p: k/p and k rho(p) differ by at most k"


def check_e_grouping() -> str:
    # splitting a block into n groups of g: P(some group has no candidate) <= n (1-p)^g <= delta
    # iff g >= rho(p) ln(n/delta)   (with 1 - p = e^-r)
    r, n, d, g = sp.symbols("r n delta g", positive=True)
    sol = sp.solve(sp.Eq(n * sp.exp(-r * g), d), g)
    assert len(sol) == 1 and _zero(sol[0] - sp.log(n / d) / r)
    return (
        "(e2) n groups of g >= rho(p) ln(n/delta) neurons each hold a candidate w.p. >= 1 - delta"
    )


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
    check_c_chernoff,
    check_c_width_conditions,
    check_c_numeric_tail,
    check_d_lueker_inversion,
    check_d_width_inversion,
    check_d_numeric_roundtrip,
    check_e_rho_sandwich,
    check_e_grouping,
    check_f_product_density,
]


def run_checks() -> list[str]:
    """Run every check; return one line per check, starting with "ok" or "FAIL"."""
    return proofcheck.run_checks(CHECKS)


if __name__ == "__main__":
    sys.exit(proofcheck.main(CHECKS))
