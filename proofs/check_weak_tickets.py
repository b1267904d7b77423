"""Symbolic checks of the algebra in proofs/weak_tickets.md (Theorem W, our formulation).

Run as ``python proofs/check_weak_tickets.py``: prints one line per check and
"all checks passed", or exits with status 1 if any check fails. ``run_checks()``
returns the same lines (each starting with "ok" or "FAIL") for the test suite.

The algebra is done with sympy on symbols declared positive; floats appear only
in the numeric spot checks (exact binomial tails from scipy, grids of densities).
Densities p in (0, 1) are handled either through q = 1 - p (a positive symbol) or
through the bijection p = 1 - exp(-r), r > 0, under which ln(1/(1-p)) = r and
rho(p) = 1/r.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Callable

import numpy as np
import sympy as sp
from scipy.stats import binom

from lththeory import proofcheck

# ---------------------------------------------------------------------------
# helpers


def _is_zero(expr: sp.Expr) -> bool:
    """True iff sympy simplifies ``expr`` to exactly 0."""
    return sp.simplify(sp.expand_log(sp.simplify(expr), force=True)) == 0


def _decreasing_linear_threshold(D: sp.Expr, var: sp.Symbol, threshold: sp.Expr) -> bool:
    """Check that D(var) is linear with a negative slope and vanishes at ``threshold``.

    Then D(var) <= 0  <=>  var >= threshold, which is how every width condition of
    Theorem W is derived from a bound "term <= delta/(L+1)" after taking logarithms.
    """
    D = sp.expand(sp.expand_log(D, force=True))
    slope = sp.simplify(sp.diff(D, var))
    if sp.diff(slope, var) != 0:  # must be linear in var
        return False
    if slope.is_negative is not True:
        return False
    return _is_zero(D.subs(var, threshold))


def rho_float(p: np.ndarray | float) -> np.ndarray | float:
    """rho(p) = 1 / ln(1/(1-p)) for 0 < p < 1 (floats, for spot checks)."""
    return 1.0 / -np.log1p(-np.asarray(p, dtype=float))


# ---------------------------------------------------------------------------
# (a) Chernoff step


def check_a_chernoff_exponent() -> str:
    k, p, mu = sp.symbols("k p mu", positive=True)
    eps = sp.Rational(1, 2)
    bound = sp.exp(-mu * eps**2 / 2)
    assert _is_zero(bound.subs(mu, k * p) - sp.exp(-k * p / 8))
    return "(a1) exp(-mu*(1/2)^2/2) with mu = k p equals exp(-k p/8)"


def check_a_chernoff_derivation() -> str:
    # Moment-generating-function proof of P(X <= (1-eps) mu) <= exp(-mu eps^2/2):
    # with lambda = -ln(1-eps) the exponent lambda(1-eps)mu + mu(e^{-lambda} - 1)
    # equals -mu psi0(eps), psi0(eps) = (1-eps)ln(1-eps) + eps, and psi0 >= eps^2/2.
    mu = sp.symbols("mu", positive=True)
    e = sp.symbols("epsilon", positive=True)  # 0 < eps < 1 where used
    lam = -sp.log(1 - e)
    exponent = lam * (1 - e) * mu + mu * (sp.exp(-lam) - 1)
    psi0 = (1 - e) * sp.log(1 - e) + e
    assert sp.simplify(exponent + mu * psi0) == 0
    psi = psi0 - e**2 / 2
    assert psi.subs(e, 0) == 0
    dpsi = sp.simplify(sp.diff(psi, e))
    f = -sp.log(1 - e) - e  # the same f as in (c): f >= 0 on [0, 1)
    assert sp.simplify(dpsi - f) == 0
    return (
        "(a2) Chernoff via MGF: lambda=-ln(1-eps) gives exponent -mu[(1-eps)ln(1-eps)+eps]; "
        "psi(eps)=(1-eps)ln(1-eps)+eps-eps^2/2 has psi(0)=0, psi'=-ln(1-eps)-eps >= 0 (see c1)"
    )


def check_a_first_condition() -> str:
    k0, p1, d, delta, L = sp.symbols("k_0 p_1 d delta L", positive=True)
    term = d * sp.exp(-k0 * p1 / 8)
    target = delta / (L + 1)
    threshold = 8 * sp.log((L + 1) * d / delta) / p1
    # solving term = target for k0 gives exactly the threshold
    sols = sp.solve(sp.Eq(term, target), k0)
    assert len(sols) == 1 and _is_zero(sols[0] - threshold), sols
    # ln(term) - ln(target) is linear, strictly decreasing in k0, zero at the threshold,
    # so term <= target  <=>  k0 >= threshold
    assert _decreasing_linear_threshold(sp.log(term) - sp.log(target), k0, threshold)
    return (
        "(a3) d*exp(-k0 p1/8) <= delta/(L+1)  <=>  k0 >= 8 ln((L+1)d/delta)/p1 "
        "(unique root, log-difference strictly decreasing in k0)"
    )


def check_a_numeric_tail() -> str:
    ks = np.arange(1, 401)
    ps = np.linspace(0.005, 0.995, 100)
    K, P = np.meshgrid(ks, ps, indexing="ij")
    mu = K * P
    # P(X < mu/2) = P(X <= ceil(mu/2) - 1)
    exact = binom.cdf(np.ceil(mu / 2) - 1, K, P)
    bound = np.exp(-mu / 8)
    worst = float(np.max(exact - bound))
    assert worst <= 1e-12, worst
    ratio = float(np.max(np.where(exact > 0, exact / bound, 0.0)))
    return (
        f"(a4) numeric: P(Bin(k,p) < kp/2) <= exp(-kp/8) on {K.size} grid points "
        f"(k = 1..400, p in [0.005, 0.995]); largest exact/bound ratio {ratio:.3f}"
    )


# ---------------------------------------------------------------------------
# (b) the inversion (1-p)^k <= t  <=>  k >= ln(1/t) rho(p)


def check_b_inversion_symbolic() -> str:
    k, r, u = sp.symbols("k r u", positive=True)
    p = 1 - sp.exp(-r)  # bijection r in (0, inf) -> p in (0, 1)
    t = sp.exp(-u)  # bijection u in (0, inf) -> t in (0, 1)
    rho = 1 / sp.log(1 / (1 - p))
    assert sp.simplify(rho - 1 / r) == 0
    threshold = sp.log(1 / t) * rho
    assert sp.simplify(threshold - u / r) == 0
    D = sp.log((1 - p) ** k) - sp.log(t)  # <= 0 iff (1-p)^k <= t (log is increasing)
    assert _decreasing_linear_threshold(D, k, threshold)
    # the same computation directly in q = 1 - p and t: the slope ln(q) is negative iff q < 1
    q, tt = sp.symbols("q t", positive=True)
    Dq = sp.expand_log(sp.log(q**k) - sp.log(tt), force=True)
    assert sp.simplify(sp.diff(Dq, k) - sp.log(q)) == 0
    assert sp.simplify(Dq.subs(k, sp.log(1 / tt) / sp.log(1 / q))) == 0
    return (
        "(b1) (1-p)^k <= t  <=>  k >= ln(1/t) rho(p) for 0<p<1, 0<t<1 "
        "(log-difference k ln(1-p) - ln t: slope ln(1-p) < 0, root ln(1/t) rho(p))"
    )


def check_b_inversion_numeric() -> str:
    ps = np.linspace(0.01, 0.99, 60)
    ts = np.geomspace(1e-8, 0.99, 60)
    ks = np.linspace(0.05, 500.0, 400)
    P, T, K = np.meshgrid(ps, ts, ks, indexing="ij")
    lhs = (1 - P) ** K <= T
    thr = np.log(1 / T) * rho_float(P)
    rhs = K >= thr
    far = np.abs(K - thr) > 1e-9 * np.maximum(1.0, thr)  # skip exact ties
    assert np.array_equal(lhs[far], rhs[far])
    return f"(b2) numeric: the equivalence holds on {int(far.sum())} grid points (p, t, k)"


# ---------------------------------------------------------------------------
# (c) properties of rho


def check_c_rho_upper() -> str:
    p = sp.symbols("p", positive=True)
    s = sp.symbols("s", positive=True)  # p = s/(1+s) maps s in (0, inf) onto p in (0, 1)
    f = sp.log(1 / (1 - p)) - p
    assert f.subs(p, 0) == 0
    fp = sp.diff(f, p)
    assert sp.simplify(fp - p / (1 - p)) == 0
    assert sp.simplify((p / (1 - p)).subs(p, s / (1 + s)) - s) == 0  # = s > 0 on (0, 1)
    ps = np.linspace(1e-6, 1 - 1e-6, 10001)
    assert np.all(rho_float(ps) <= 1 / ps * (1 + 1e-12))
    return (
        "(c1) ln(1/(1-p)) >= p, i.e. rho(p) <= 1/p on (0,1): f = ln(1/(1-p)) - p, "
        "f(0)=0, f'(p) = p/(1-p) > 0 (numeric grid agrees)"
    )


def check_c_rho_lower() -> str:
    p = sp.symbols("p", positive=True)
    s = sp.symbols("s", positive=True)
    g = p / (1 - p) - sp.log(1 / (1 - p))
    assert g.subs(p, 0) == 0
    gp = sp.diff(g, p)
    assert sp.simplify(gp - p / (1 - p) ** 2) == 0
    assert sp.simplify((p / (1 - p) ** 2).subs(p, s / (1 + s)) - s * (1 + s)) == 0  # > 0
    ps = np.linspace(1e-6, 1 - 1e-6, 10001)
    assert np.all(rho_float(ps) >= (1 - ps) / ps * (1 - 1e-12))
    return (
        "(c2) ln(1/(1-p)) <= p/(1-p), i.e. rho(p) >= (1-p)/p: g = p/(1-p) - ln(1/(1-p)), "
        "g(0)=0, g'(p) = p/(1-p)^2 > 0"
    )


def check_c_limits() -> str:
    p = sp.symbols("p", positive=True)
    rho = 1 / sp.log(1 / (1 - p))
    assert sp.limit(p * rho, p, 0, "+") == 1
    assert sp.limit(rho, p, 1, "-") == 0
    assert sp.limit(rho, p, 0, "+") == sp.oo
    return "(c3) lim_{p->0+} p rho(p) = 1, lim_{p->1-} rho(p) = 0, lim_{p->0+} rho(p) = oo"


# ---------------------------------------------------------------------------
# (d) the union bound


def _union_symbols():
    return sp.symbols("L d delta p_1 q_2 q m_1 m_l k_1 k_l", positive=True)


def check_d_terms_at_equality() -> str:
    L, d, delta, p1, q2, q, m1, ml, k1, kl = _union_symbols()
    share = delta / (L + 1)
    # (i) input blocks
    k0_i = 8 * sp.log((L + 1) * d / delta) / p1
    term_i = d * sp.exp(-k0_i * p1 / 8)
    assert _is_zero(term_i - share)
    # (ii) second source layer; q2 = 1 - p2, ln(1/(1-p2)) = ln(1/q2)
    k0_ii = 2 * sp.log((L + 1) * k1 * m1 / delta) / (p1 * sp.log(1 / q2))
    term_ii = k1 * m1 * q2 ** (k0_ii * p1 / 2)
    assert _is_zero(term_ii - share)
    # (iii) deeper layers; q = 1 - p_{l+1}, rho(p_{l+1}) = 1/ln(1/q)
    km1 = sp.log((L + 1) * kl * ml / delta) / sp.log(1 / q)
    term_iii = kl * ml * q**km1
    assert _is_zero(term_iii - share)
    # L+1 terms: (i), (ii), and (iii) for l = 2..L
    ell = sp.symbols("ell", integer=True, positive=True)
    total = 2 * share + sp.Sum(share, (ell, 2, L)).doit()
    assert sp.simplify(total - delta) == 0
    return (
        "(d1) at equality each of the L+1 terms d e^{-k0 p1/8}, k1 m1 (1-p2)^{k0 p1/2}, "
        "k_l m_l (1-p_{l+1})^{k_{l-1}} (l=2..L) equals delta/(L+1); their sum is delta"
    )


def check_d_monotone() -> str:
    L, d, delta, p1, q2, q, m1, ml, k1, kl = _union_symbols()
    k0, km1 = sp.symbols("k_0 k_lm1", positive=True)
    r2, r = sp.symbols("r_2 r", positive=True)  # q2 = exp(-r2), q = exp(-r)
    share = delta / (L + 1)
    # (ii): k1 m1 (1-p2)^{k0 p1/2} <= delta/(L+1)  <=>  k0 >= second condition
    term_ii = k1 * m1 * sp.exp(-r2) ** (k0 * p1 / 2)
    thr_ii = 2 * sp.log((L + 1) * k1 * m1 / delta) / (p1 * sp.log(1 / sp.exp(-r2)))
    assert _decreasing_linear_threshold(sp.log(term_ii) - sp.log(share), k0, thr_ii)
    # (iii): k_l m_l (1-p)^{k_{l-1}} <= delta/(L+1)  <=>  k_{l-1} >= ln(...) rho(p)
    term_iii = kl * ml * sp.exp(-r) ** km1
    rho = 1 / sp.log(1 / (1 - (1 - sp.exp(-r))))
    thr_iii = sp.log((L + 1) * kl * ml / delta) * rho
    assert _decreasing_linear_threshold(sp.log(term_iii) - sp.log(share), km1, thr_iii)
    # each term is strictly decreasing in its width, so widths above the thresholds only help
    for term, var in ((d * sp.exp(-k0 * p1 / 8), k0), (term_ii, k0), (term_iii, km1)):
        assert sp.simplify(sp.diff(term, var) / term).is_negative is True
    return (
        "(d2) k1 m1 (1-p2)^{k0 p1/2} <= delta/(L+1) <=> k0 >= 2 ln((L+1)k1 m1/delta)/"
        "(p1 ln(1/(1-p2))); k_l m_l (1-p)^{k_{l-1}} <= delta/(L+1) <=> "
        "k_{l-1} >= ln((L+1)k_l m_l/delta) rho(p); all terms decrease in their width"
    )


def _failure_bound(k, ps, d, ms, delta):
    """Union bound sum of the L+1 terms for widths k = (k_0..k_{L-1}), k_L = 1."""
    L = len(ms)
    kk = list(k) + [1]
    total = d * math.exp(-kk[0] * ps[0] / 8)
    total += kk[1] * ms[0] * (1 - ps[1]) ** (kk[0] * ps[0] / 2)
    for ell in range(2, L + 1):
        total += kk[ell] * ms[ell - 1] * (1 - ps[ell]) ** kk[ell - 1]
    return total


def check_d_numeric() -> str:
    rng = np.random.default_rng(20230)
    n_cases = 0
    for _ in range(300):
        L = int(rng.integers(1, 5))
        d = int(rng.integers(1, 1000))
        ms = [int(x) for x in rng.integers(1, 10**5, size=L)]
        ps = [float(x) for x in rng.uniform(0.01, 0.99, size=L + 1)]
        delta = float(rng.uniform(1e-4, 0.5))
        # widths from the conditions, walking down from k_L = 1 (each k_l is fixed first,
        # then k_{l-1} is read off its condition; k_l is drawn independently when free)
        k = [0] * (L + 1)
        k[L] = 1
        for ell in range(L, 1, -1):
            k[ell - 1] = math.ceil(
                math.log((L + 1) * k[ell] * ms[ell - 1] / delta) * rho_float(ps[ell])
            )
        c1 = 8 * math.log((L + 1) * d / delta) / ps[0]
        c2 = 2 * math.log((L + 1) * k[1] * ms[0] / delta) / (ps[0] * -math.log1p(-ps[1]))
        k[0] = math.ceil(max(c1, c2))
        bound = _failure_bound(k[:L], ps, d, ms, delta)
        assert bound <= delta * (1 + 1e-9), (L, d, ms, ps, delta, k, bound)
        n_cases += 1
    return f"(d3) numeric: union bound <= delta at the theorem's widths in {n_cases} random cases"


# ---------------------------------------------------------------------------
# (e) the smallest admissible width: k >= B ln(C k) defines an up-set when C >= 2


def smallest_k(B: float, C: float) -> int:
    """Smallest positive integer k with k >= B ln(C k), for B > 0, C >= 2.

    If B ln C <= 1 every k >= 1 qualifies. Otherwise the answer is ceil(kappa), kappa the
    largest root of kappa = B ln(C kappa), reached monotonically by iterating
    kappa <- B ln(C kappa) from max(B, 1).
    """
    if B * math.log(C) <= 1:
        return 1
    kappa = max(B, 1.0)
    for _ in range(10_000):
        nxt = B * math.log(C * kappa)
        if nxt - kappa <= 1e-12 * max(1.0, kappa):
            kappa = max(kappa, nxt)
            break
        kappa = nxt
    k = max(1, math.ceil(kappa - 1e-9))
    while k < B * math.log(C * k):  # guard against rounding at the boundary
        k += 1
    return k


def check_e_convexity() -> str:
    k, B, C = sp.symbols("k B C", positive=True)
    h = k - B * sp.log(C * k)
    assert sp.simplify(sp.diff(h, k, 2) - B / k**2) == 0  # h convex
    assert sp.solve(sp.Eq(sp.diff(h, k), 0), k) == [B]  # minimum at k = B
    # if B ln C <= 1 and C >= 2: h(2) = 2 - B ln 2 - B ln C >= 1 - B ln 2 >= 1 - ln2/ln C >= 0
    h2 = sp.expand_log(h.subs(k, 2), force=True)
    assert sp.simplify(h2 - (2 - B * sp.log(2) - B * sp.log(C))) == 0
    # parametrise the case: ln C = (1 + c) ln 2 (c >= 0, i.e. C >= 2) and
    # B ln C = 1/(1 + b) (b >= 0, i.e. B ln C <= 1); then (1+b)(1+c) h(2) = 2b + c + 2bc >= 0
    b, c = sp.symbols("b c", nonnegative=True)
    h2_case = h2.subs(B, 1 / ((1 + b) * (1 + c) * sp.log(2))).subs(C, 2 ** (1 + c))
    h2_case = sp.expand(sp.cancel(sp.expand_log(h2_case, force=True) * (1 + b) * (1 + c)))
    assert sp.expand(h2_case - (2 * b + c + 2 * b * c)) == 0
    assert h2_case.is_nonnegative is True
    return (
        "(e1) h(k) = k - B ln(Ck) is convex with minimum at k = B; for C >= 2 and "
        "B ln C <= 1: h(2) >= 0 ((1+b)(1+c) h(2) = 2b + c + 2bc with "
        "ln C = (1+c) ln 2, B ln C = 1/(1+b))"
    )


def check_e_upset_numeric() -> str:
    n = 0
    for B in np.geomspace(0.05, 500.0, 60):
        for C in np.concatenate([np.linspace(2.0, 3.0, 11), np.geomspace(3.0, 1e9, 25)]):
            ks = np.arange(1, 20001)
            ok = ks >= B * np.log(C * ks)
            first = int(ks[np.argmax(ok)])
            assert ok.any() and ok[first - 1 :].all(), (B, C)  # admissible set is an up-set
            assert smallest_k(float(B), float(C)) == first, (B, C, first)
            n += 1
    return (
        f"(e2) numeric: on {n} (B, C) pairs, {{k >= 1 : k >= B ln(Ck)}} = {{k >= k*}} and the "
        "fixed-point iteration returns k*"
    )


# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# (f) Theorem W' (count thresholds)


def check_f_stochastic_order() -> str:
    # P(Bin(k, q) < t) = I_{1-q}(k - t + 1, t) decreases in q: its q-derivative is minus the Beta
    # density (times a positive constant), checked symbolically for small k and numerically on a grid
    q = sp.symbols("q", positive=True)
    for k in range(1, 7):
        for t in range(1, k + 1):
            tail = sum(sp.binomial(k, x) * q**x * (1 - q) ** (k - x) for x in range(t))
            d = sp.factor(sp.diff(tail, q))
            expected = -k * sp.binomial(k - 1, t - 1) * q ** (t - 1) * (1 - q) ** (k - t)
            assert sp.simplify(d - expected) == 0
    grid = np.linspace(0.01, 0.99, 60)
    for k in (5, 50, 500):
        for t in (1, k // 3 + 1, k):
            vals = binom.cdf(t - 1, k, grid)
            assert np.all(np.diff(vals) <= 1e-15)
    return "(f1) P(Bin(k, q) < t) decreases in q (derivative -k C(k-1,t-1) q^(t-1) (1-q)^(k-t))"


def _w_prime_terms_plain(C, d, k, ps, ts):
    L = len(C)
    ks = [k] * L + [1]
    out = [sum(binom.cdf(ts[0][j] - 1, ks[0], ps[0]) for j in range(d))]
    for l in range(1, L + 1):
        total = 0.0
        for i in range(C[l - 1].shape[0]):
            q = math.prod(
                (1 - (1 - ps[l]) ** ts[l - 1][j]) ** int(C[l - 1][i, j])
                for j in range(C[l - 1].shape[1])
            )
            total += binom.cdf(ts[l][i] - 1, ks[l], q) if l < L else 1 - q
        out.append(total)
    return out


def check_f_bound_formula() -> str:
    from lththeory import random_target
    from lththeory.weak import sharp_terms

    rng = np.random.default_rng(1)
    for trial in range(20):
        widths = [int(w) for w in rng.integers(1, 5, size=rng.integers(2, 5))]
        t = random_target(widths, density=float(rng.uniform(0.4, 1)), seed=trial)
        k = int(rng.integers(2, 80))
        ps = rng.uniform(0.1, 1.0, size=t.depth + 1)
        sizes = (t.input_dim,) + t.widths[1:-1]
        ts = [rng.integers(1, k + 1, size=n) for n in sizes]
        got = sharp_terms(t, k, ps, ts)
        want = _w_prime_terms_plain(t.fan_in(), t.input_dim, k, ps, ts)
        assert np.allclose(got, want, rtol=1e-9, atol=1e-300), (got, want)
    return (
        "(f2) the bound's terms equal a plain evaluation with scipy.stats.binom (20 random cases)"
    )


def check_f_union_structure() -> str:
    # the failure event A_L lies in A_0 u (A_1 n A_0^c) u ... u (A_L n A_{L-1}^c): the first level
    # below its thresholds is either 0 or follows a level that is not (all outcome patterns)
    for L in range(1, 7):
        for pattern in itertools.product([False, True], repeat=L + 1):
            covered = pattern[0] or any(pattern[l] and not pattern[l - 1] for l in range(1, L + 1))
            assert covered or not pattern[L]
    return (
        "(f3) A_L is covered by A_0 and the events A_l n A_{l-1}^c (all outcome patterns, L <= 6)"
    )


def check_f_multiplicity_product() -> str:
    # c required edges (distinct positions) each into v valid copies: the c events use disjoint sets
    # of v mask entries, so P(all present) = (1 - (1-p)^v)^c; exact enumeration of the c*v entries
    p = sp.Rational(2, 7)
    for c in range(1, 4):
        for v in range(1, 4):
            total = sp.Integer(0)
            for bits in itertools.product([0, 1], repeat=c * v):
                ok = all(any(bits[e * v : (e + 1) * v]) for e in range(c))
                if ok:
                    ones = sum(bits)
                    total += p**ones * (1 - p) ** (c * v - ones)
            assert sp.simplify(total - (1 - (1 - p) ** v) ** c) == 0
    return "(f4) c required edges into v valid copies: P = (1 - (1-p)^v)^c (exact enumeration)"


def check_f_every_copy_valid() -> str:
    from lththeory import random_target
    from lththeory.weak import every_copy_valid_probability

    for widths, k, p in (((2, 3, 1), 4, 0.6), ((2, 2, 2, 1), 3, 0.7)):
        t = random_target(widths, seed=2)
        C = t.fan_in()
        total = 0.0
        for v in itertools.product(range(k + 1), repeat=t.input_dim):
            pv = math.prod(binom.pmf(x, k, p) for x in v)
            q1 = np.prod((1 - (1 - p) ** np.array(v, float))[None, :] ** C[0], axis=1)
            kk = k if len(C) > 1 else 1
            val = pv * float(np.prod(q1**kk))
            for l in range(2, len(C) + 1):
                kl = k if l < len(C) else 1
                val *= float(np.prod((1 - (1 - p) ** k) ** (C[l - 1].sum(axis=1) * kl)))
            total += val
        got = every_copy_valid_probability(t, k, p)
        assert abs(got - total) <= 1e-10 * max(total, 1e-300), (got, total)
    return "(f5) P(every copy valid) (Proposition 7) equals exhaustive enumeration on tiny sources"


# ---------------------------------------------------------------------------
# (g) the construction's scaling law (a prediction)


def check_g_balance() -> str:
    # V1 = k (k p^2)^s and p V1 = 1 give k = p^(-(2s+1)/(s+1)); slope 2 - 1/(s+1) against 1/p
    k, p, s = sp.symbols("k p s", positive=True)
    sol = sp.solve(sp.Eq(p * k * (k * p**2) ** s, 1), k)
    assert len(sol) == 1
    expo = sp.simplify(sp.log(sol[0]) / sp.log(1 / p))
    assert sp.simplify(expo - (2 * s + 1) / (s + 1)) == 0
    assert sp.simplify((2 * s + 1) / (s + 1) - (2 - 1 / (s + 1))) == 0
    return "(g1) p k (k p^2)^s = 1  <=>  k = (1/p)^(2 - 1/(s+1)) (the predicted fan-in law)"


CHECKS: list[Callable[[], str]] = [
    check_a_chernoff_exponent,
    check_a_chernoff_derivation,
    check_a_first_condition,
    check_a_numeric_tail,
    check_b_inversion_symbolic,
    check_b_inversion_numeric,
    check_c_rho_upper,
    check_c_rho_lower,
    check_c_limits,
    check_d_terms_at_equality,
    check_d_monotone,
    check_d_numeric,
    check_e_convexity,
    check_e_upset_numeric,
    check_f_stochastic_order,
    check_f_bound_formula,
    check_f_union_structure,
    check_f_multiplicity_product,
    check_f_every_copy_valid,
    check_g_balance,
]


def run_checks() -> list[str]:
    """Run every check; return one line per check, starting with "ok" or "FAIL"."""
    return proofcheck.run_checks(CHECKS)


if __name__ == "__main__":
    sys.exit(proofcheck.main(CHECKS))
