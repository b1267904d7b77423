"""Symbolic and numeric checks of proofs/lower_bound.md (Theorem LB, our formulation).

Run as ``python proofs/check_lower_bound.py``: prints one line per check and "all checks passed",
or exits with status 1 if any check fails. ``run_checks()`` returns the same lines (each starting
with "ok" or "FAIL") for the test suite.

Independent of the package: the algebra is done with sympy on symbols declared positive, the closed
form is checked against scipy.stats.binom and a 50-digit mpmath sum, and against an exhaustive
enumeration of tiny sources whose decision is a brute-force search over injective assignments
(no counting shortcut).
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Callable

import mpmath
import numpy as np
import sympy as sp
from scipy.stats import binom

from lththeory import proofcheck

# ---------------------------------------------------------------------------
# (a) Chernoff consequence: N p2 <= (1 - eta) n  =>  P(Bin(N, p2) >= n) <= exp(-n h(eta)) <= exp(-n eta^2/2)

eta, n_, t_, mu, y = sp.symbols("eta n t mu y", positive=True)


def h(e: sp.Expr) -> sp.Expr:
    """h(eta) = -eta - ln(1 - eta)."""
    return -e - sp.log(1 - e)


def check_a_exponent_at_t() -> str:
    t_star = -sp.log(1 - eta)  # t = ln(1/(1-eta))
    expo = -t_star * n_ + (1 - eta) * n_ * (sp.exp(t_star) - 1)
    assert sp.simplify(expo - (-n_ * h(eta))) == 0
    return "(a1) -t n + (1-eta) n (e^t - 1) at t = ln(1/(1-eta)) equals -n h(eta), h = -eta - ln(1-eta)"


def check_a_t_optimal() -> str:
    expo = -t_ * n_ + mu * (sp.exp(t_) - 1)
    sol = sp.solve(sp.Eq(sp.diff(expo, t_), 0), t_)
    assert len(sol) == 1 and sp.simplify(sol[0] - sp.log(n_ / mu)) == 0
    assert sp.simplify(sp.diff(expo, t_, 2) - mu * sp.exp(t_)) == 0  # convex: a minimum
    om = sp.symbols("omega", positive=True)  # omega = 1 - eta in (0, 1)
    at_mu = sol[0].subs(mu, om * n_) + sp.log(om)  # t* at mu = (1 - eta) n is ln(1/(1 - eta))
    assert sp.simplify(sp.expand_log(at_mu, force=True)) == 0
    return "(a2) the exponent -t n + mu (e^t - 1) is convex in t, minimised at t = ln(n/mu) = ln(1/(1-eta))"


def check_a_monotone_in_mean() -> str:
    expo = -t_ * n_ + mu * (sp.exp(t_) - 1)
    d = sp.diff(expo, mu)
    assert sp.simplify(d - (sp.exp(t_) - 1)) == 0
    assert sp.simplify(d.subs(t_, -sp.log(1 - eta)) - eta / (1 - eta)) == 0  # > 0 for 0 < eta < 1
    return "(a3) d/d(N p2) of the exponent is e^t - 1 = eta/(1-eta) > 0: N p2 <= (1-eta) n suffices"


def check_a_log1p() -> str:
    psi = y - sp.log(
        1 + y
    )  # (1 - p + p e^t)^N = exp(N ln(1 + y)) <= exp(N y), y = p (e^t - 1) >= 0
    assert psi.subs(y, 0) == 0
    assert sp.simplify(sp.diff(psi, y) - y / (1 + y)) == 0  # >= 0 for y >= 0
    return "(a4) ln(1 + y) <= y for y >= 0 (value 0 at y = 0, derivative y/(1+y) >= 0)"


def check_a_h_quadratic() -> str:
    k = h(eta) - eta**2 / 2
    assert k.subs(eta, 0) == 0
    assert sp.simplify(sp.diff(k, eta) - eta**2 / (1 - eta)) == 0  # >= 0 on [0, 1)
    return "(a5) h(eta) >= eta^2/2: k = h - eta^2/2 has k(0) = 0 and k' = eta^2/(1-eta) >= 0"


def check_a_rho_sandwich() -> str:
    p = sp.symbols("p", positive=True)
    # p <= ln(1/(1-p)) <= p/(1-p) on (0, 1), hence 1/p - 1 <= rho(p) <= 1/p
    lo = -sp.log(1 - p) - p
    hi = p / (1 - p) + sp.log(1 - p)
    assert lo.subs(p, 0) == 0 and hi.subs(p, 0) == 0
    assert sp.simplify(sp.diff(lo, p) - p / (1 - p)) == 0
    assert sp.simplify(sp.diff(hi, p) - p / (1 - p) ** 2) == 0
    ps = np.linspace(1e-4, 1 - 1e-4, 2001)
    r = 1.0 / -np.log1p(-ps)
    assert np.all(r <= 1 / ps + 1e-12) and np.all(r >= 1 / ps - 1 - 1e-12)
    return "(a6) 1/p - 1 <= rho(p) <= 1/p (symbolic derivative argument, numeric grid of 2001 p)"


def chernoff(n: int, eta_v: float) -> float:
    return math.exp(-n * (-eta_v - math.log1p(-eta_v)))


def check_a_numeric() -> str:
    count = 0
    for n in (1, 2, 5, 10, 50, 200, 1000):
        for p2 in (0.01, 0.05, 0.1, 0.3, 0.5, 0.9):
            for e in (0.01, 0.1, 0.3, 0.5, 0.9):
                N = math.floor((1 - e) * n / p2)
                if N < 1:
                    continue
                tail = float(binom.sf(n - 1, N, p2))
                eta_real = 1 - N * p2 / n  # >= e
                b1 = chernoff(n, eta_real)
                assert tail <= b1 * (1 + 1e-9) + 1e-300, (n, p2, e, tail, b1)
                assert b1 <= math.exp(-n * eta_real**2 / 2) * (1 + 1e-12), (n, p2, e)
                assert b1 <= chernoff(n, e) * (1 + 1e-12)  # larger eta, smaller bound
                count += 1
    return (
        f"(a7) numeric: on {count} (n, p2, eta) with N = floor((1-eta) n/p2), "
        "P(Bin(N,p2) >= n) <= exp(-n h) <= exp(-n eta^2/2)"
    )


# ---------------------------------------------------------------------------
# (b) the closed form for the hard instance, and the bounds, against exhaustive enumeration


def _covering_matching_exists(adj: list[list[bool]]) -> bool:
    """Brute force: is there an injective assignment target -> adjacent neuron? (no counting)"""
    n, N = len(adj), len(adj[0]) if adj else 0
    if n > N:
        return False
    return any(
        all(adj[i][u] for i, u in enumerate(perm)) for perm in itertools.permutations(range(N), n)
    )


def _enumerated_probability(supports: list[set[int]], N: int, d: int, p1: sp.Expr, p2: sp.Expr):
    """Exact P(covering matching) over all 2^{N d + N} mask patterns, as a sympy expression."""
    counts: dict[tuple[int, int], int] = {}
    for bits in itertools.product((0, 1), repeat=N * d + N):
        m1 = [bits[u * d : (u + 1) * d] for u in range(N)]
        m2 = bits[N * d :]
        adj = [[m2[u] == 1 and all(m1[u][j] == 1 for j in S) for u in range(N)] for S in supports]
        if _covering_matching_exists(adj):
            key = (sum(bits[: N * d]), sum(m2))  # pattern probability depends on these counts only
            counts[key] = counts.get(key, 0) + 1
    total = sum(
        c * p1**k1 * (1 - p1) ** (N * d - k1) * p2**k2 * (1 - p2) ** (N - k2)
        for (k1, k2), c in counts.items()
    )
    return sp.expand(sp.Integer(0) + total)


def closed_form(N: int, n: int, q: sp.Expr) -> sp.Expr:
    """sum_{k >= n} C(N, k) q^k (1 - q)^{N - k}."""
    return sp.expand(sum(sp.binomial(N, k) * q**k * (1 - q) ** (N - k) for k in range(n, N + 1)))


def check_b_enumeration_symbolic() -> str:
    p1, p2 = sp.symbols("p1 p2", positive=True)
    cases = 0
    for N in range(1, 6):
        for n in range(1, min(N, 3) + 1):
            enum = _enumerated_probability([{0}] * n, N, 1, p1, p2)
            assert sp.expand(enum - closed_form(N, n, p1 * p2)) == 0, (N, n)
            cases += 1
    # the hard instance read from input 1 of a d = 2 source: input 2's mask bits must not matter
    for N, n in ((2, 1), (3, 2), (3, 1)):
        enum = _enumerated_probability([{0}] * n, N, 2, p1, p2)
        assert sp.expand(enum - closed_form(N, n, p1 * p2)) == 0, (N, n, "d=2")
        cases += 1
    return (
        f"(b1) hard instance, {cases} tiny (N, n[, d=2]): exhaustive enumeration with brute-force "
        "matching equals sum_{k>=n} C(N,k)(p1 p2)^k(1-p1 p2)^(N-k) as a polynomial in p1, p2"
    )


def check_b_bounds_general() -> str:
    p1, p2 = sp.symbols("p1 p2", positive=True)
    checked = 0
    # univariate targets on two inputs (neither closed form applies) and a dense one (s = 2)
    for supports, N in (
        ([{0}, {1}], 2),
        ([{0}, {1}], 4),
        ([{0}, {0}, {1}], 3),
        ([{0, 1}, {0}], 3),
        ([{0, 1}, {0, 1}], 4),
    ):
        n = len(supports)
        s = max(len(S) for S in supports)
        enum = _enumerated_probability(supports, N, 2, p1, p2)
        for a, b in itertools.product(
            [sp.Rational(1, 5), sp.Rational(1, 2), sp.Rational(9, 10)], repeat=2
        ):
            val = enum.subs({p1: a, p2: b})
            ub = closed_form(N, n, b)
            k = N // n
            lb = max(sp.Integer(0), 1 - n * (1 - b * a**s) ** k)
            assert lb <= val <= ub, (supports, N, a, b, val, lb, ub)
            checked += 1
    return (
        f"(b2) general targets: at {checked} rational (p1, p2), the exact enumerated probability lies "
        "between 1 - n(1 - p2 p1^s)^floor(N/n) and P(Bin(N, p2) >= n)"
    )


def check_b_scipy() -> str:
    mpmath.mp.dps = 50
    worst = 0.0
    count = 0
    for N, n, q in (
        (10, 3, 0.25),
        (200, 50, 0.25),
        (5000, 50, 0.01),
        (10_000, 1000, 0.01),
        (10_000, 90, 0.01),
        (100_000, 1000, 0.01),
        (2000, 1000, 0.5),
    ):
        qm = mpmath.mpf(q)
        # P(Bin(N, q) >= n) = I_q(n, N - n + 1), the regularised incomplete beta function
        exact = mpmath.betainc(n, N - n + 1, 0, qm, regularized=True)
        if N <= 2000:  # and the plain sum of the binomial terms
            direct = mpmath.fsum(
                mpmath.binomial(N, k) * qm**k * (1 - qm) ** (N - k) for k in range(n, N + 1)
            )
            assert abs(direct - exact) <= mpmath.mpf(10) ** -40 * (1 + exact)
        sc = float(binom.sf(n - 1, N, q))
        if exact > mpmath.mpf(10) ** -250:
            worst = max(worst, abs(sc - float(exact)) / float(exact))
        count += 1
    assert worst < 1e-9, worst
    q = sp.Rational(3, 10)
    for N, n in ((12, 4), (30, 9)):
        cf = closed_form(N, n, q)
        assert abs(float(cf) - float(binom.sf(n - 1, N, 0.3))) < 1e-14
    return (
        f"(b3) closed form P(Bin(N, p1 p2) >= n): scipy.stats.binom.sf agrees with 50-digit mpmath "
        f"(incomplete beta; plain sum for N <= 2000) "
        f"on {count} cases (worst relative error {worst:.1e}) and with exact sympy rationals"
    )


# ---------------------------------------------------------------------------
# (c) the threshold N* (P crosses 1/2) lies within (n - 1)/q - 1 < N* <= ceil(n/q)


def _threshold(n: int, q: float) -> int:
    lo, hi = n - 1, max(n, math.ceil(n / q))
    while binom.sf(n - 1, hi, q) < 0.5:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if binom.sf(n - 1, mid, q) >= 0.5:
            hi = mid
        else:
            lo = mid
    return hi


def check_c_threshold() -> str:
    count = 0
    for n in (1, 2, 5, 10, 50, 200, 1000):
        for q in (0.0025, 0.01, 0.04, 0.1, 0.25, 0.5, 0.81, 1.0):
            Ns = _threshold(n, q) if q < 1 else n
            assert (n - 1) / q - 1 < Ns <= math.ceil(n / q - 1e-12), (n, q, Ns)
            if Ns > n:
                assert binom.sf(n - 1, Ns - 1, q) < 0.5 <= binom.sf(n - 1, Ns, q)
            count += 1
    return f"(c1) threshold N* from integer search satisfies (n-1)/q - 1 < N* <= ceil(n/q) on {count} (n, q)"


# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# (d) equal supports exactly, and the upper bound that uses the input mask


def check_d_equal_supports() -> str:
    p1, p2 = sp.symbols("p1 p2", positive=True)
    cases = 0
    for S, d, N, n in (({0, 1}, 2, 2, 1), ({0, 1}, 2, 3, 2), ({0, 1}, 3, 2, 1), ({1}, 2, 3, 2)):
        enum = _enumerated_probability([S] * n, N, d, p1, p2)
        assert sp.expand(enum - closed_form(N, n, p2 * p1 ** len(S))) == 0, (S, d, N, n)
        cases += 1
    return (
        f"(d1) equal supports, {cases} tiny sources: exhaustive enumeration equals "
        "P(Bin(N, p2 p1^s) >= n) as a polynomial in p1, p2"
    )


def check_d_masked_bound() -> str:
    from lththeory.lower_bound import OneHiddenTarget
    from lththeory.lower_bound.theory import masked_upper_bound, usable_probability

    p1, p2 = sp.symbols("p1 p2", positive=True)
    checked = 0
    for supports, d, N in (
        ([{0}, {1}], 2, 3),
        ([{0, 1}, {0}], 2, 3),
        ([{0}, {1}, {1}], 2, 3),
        ([{0, 1}, {1, 2}], 3, 2),
    ):
        n = len(supports)
        W = np.zeros((n, d))
        for i, S in enumerate(supports):
            W[i, sorted(S)] = 1.0
        b = -0.1 * (1 + np.arange(n)) * W.sum(axis=1) / n  # distinct hyperplanes inside the box
        t = OneHiddenTarget(W, b, np.ones(n), 0.0)
        enum = _enumerated_probability(supports, N, d, p1, p2)
        for a, c in itertools.product([sp.Rational(1, 4), sp.Rational(2, 3)], repeat=2):
            # inclusion-exclusion against enumeration of one input-mask row
            row = sum(
                a ** sum(bits) * (1 - a) ** (d - sum(bits))
                for bits in itertools.product((0, 1), repeat=d)
                if any(all(bits[j] for j in S) for S in supports)
            )
            assert abs(float(row) - usable_probability(t, float(a))) < 1e-12
            val = float(enum.subs({p1: a, p2: c}))
            assert val <= masked_upper_bound(t, N, float(a), float(c)) + 1e-12, (supports, a, c)
            checked += 1
    return (
        f"(d2) at {checked} (target, p1, p2): pi by inclusion-exclusion equals enumeration of an "
        "input-mask row, and the exact probability never exceeds the masked upper bound"
    )


CHECKS: list[Callable[[], str]] = [
    check_a_exponent_at_t,
    check_a_t_optimal,
    check_a_monotone_in_mean,
    check_a_log1p,
    check_a_h_quadratic,
    check_a_rho_sandwich,
    check_a_numeric,
    check_b_enumeration_symbolic,
    check_b_bounds_general,
    check_b_scipy,
    check_c_threshold,
    check_d_equal_supports,
    check_d_masked_bound,
]


def run_checks() -> list[str]:
    """Run every check; return one line per check, starting with "ok" or "FAIL"."""
    return proofcheck.run_checks(CHECKS)


if __name__ == "__main__":
    sys.exit(proofcheck.main(CHECKS))
