"""Symbolic and numeric checks of proofs/conv_tickets.md (Theorem W for convolutions, our
formulation).

Run as ``python proofs/check_conv_tickets.py``: prints one line per check and "all checks passed",
or exits with status 1 if any check fails. ``run_checks()`` returns the same lines for the tests.

(a) the ticket's shift algebra, interior and border pixels; (b) the conv count chain's kernels by
exact enumeration of every mask of tiny cases (polynomials in p, sympy); (c) the union bound over
(copy, channel, kernel position) events and the kernel's logarithmic width cost; (d) the pooled head.
The numeric convolutions here are plain loops over pixels, independent of lththeory.conv.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable

import numpy as np
import sympy as sp

from lththeory import proofcheck

# ---------------------------------------------------------------------------
# (a) the shift by s and zero padding


def check_a_interior_shift() -> str:
    K = 5
    W = sp.symbols(f"W0:{K}")
    x = sp.symbols(f"x0:{K}")
    s, b = sp.symbols("s b")
    ticket = sum(w * (xi - s) for w, xi in zip(W, x, strict=True)) + b + s * sum(W)
    target = sum(w * xi for w, xi in zip(W, x, strict=True)) + b
    assert sp.expand(ticket - target) == 0
    return (
        "(a1) interior pixel: sum_pi W_pi (x_pi - s) + b + s sum_pi W_pi = sum_pi W_pi x_pi + b "
        "(K = 5 symbolic entries)"
    )


def check_a_border_error() -> str:
    K = 6
    W = sp.symbols(f"W0:{K}")
    x = sp.symbols(f"x0:{K}")
    s, b = sp.symbols("s b")
    n_sets = 0
    for r in range(K + 1):
        for Q in itertools.combinations(range(K), r):  # the entries that read the padding
            inside = [p for p in range(K) if p not in Q]
            ticket = sum(W[p] * (x[p] - s) for p in inside) + b + s * sum(W)
            target = sum(W[p] * x[p] for p in inside) + b  # padding reads x = 0
            err = sp.expand(ticket - target)
            assert sp.expand(err - s * sum(W[p] for p in Q)) == 0
            # zero for all weights iff s = 0 or Q is empty
            assert (err == 0) == (len(Q) == 0)
            assert err.subs(s, 0) == 0
            n_sets += 1
    return (
        f"(a2) border pixel: ticket - target = s * sum_{{pi in Q}} W_pi for all {n_sets} padded "
        "sets Q of K = 6 entries; it vanishes for all weights iff s = 0 or Q is empty"
    )


def _conv_loops(x: np.ndarray, w: np.ndarray, b: np.ndarray, pad: int) -> np.ndarray:
    """conv2d (cross-correlation, zero padding, stride 1) by loops over pixels."""
    ci, H, Wd = x.shape
    co, _, kh, kw = w.shape
    Ho, Wo = H + 2 * pad - kh + 1, Wd + 2 * pad - kw + 1
    out = np.zeros((co, Ho, Wo))
    for o in range(co):
        for y in range(Ho):
            for z in range(Wo):
                acc = b[o]
                for c in range(ci):
                    for dy in range(kh):
                        for dx in range(kw):
                            yy, zz = y + dy - pad, z + dx - pad
                            if 0 <= yy < H and 0 <= zz < Wd:
                                acc += w[o, c, dy, dx] * x[c, yy, zz]
                out[o, y, z] = acc
    return out


def check_a_numeric_border() -> str:
    rng = np.random.default_rng(2023)
    n = 0
    for _ in range(20):
        w = rng.uniform(-1, 1, size=(2, 2, 3, 3))
        b = rng.uniform(-0.5, 0.5, size=2)
        for a, pad in ((-1.0, 1), (-1.0, 0), (0.0, 1), (0.5, 2)):
            x = rng.uniform(a, 1.0, size=(2, 5, 6))
            s = min(a, 0.0)
            target = _conv_loops(x, w, b, pad)
            # the ticket: univariate channels output x - s inside the image, padding reads 0
            ticket = _conv_loops(x - s, w, b + s * w.sum(axis=(1, 2, 3)), pad)
            on_pad = w.sum(axis=(1, 2, 3))[:, None, None] - _conv_loops(
                np.ones_like(x), w, np.zeros(2), pad
            )
            np.testing.assert_allclose(ticket - target, s * on_pad, atol=1e-12)
            if pad == 0 or s == 0:
                assert np.abs(ticket - target).max() < 1e-12
            else:
                assert np.abs(ticket - target)[:, 0, :].max() > 1e-3  # border rows differ
                inner = (ticket - target)[:, pad:-pad, pad:-pad]  # pixels reading no padding
                assert np.abs(inner).max() < 1e-12
            n += 1
    return (
        f"(a3) numeric (loops over pixels, {n} cases): the shifted ticket is off by s * (weights on "
        "the padding) exactly at border pixels, and exact when s = 0 or without padding"
    )


# ---------------------------------------------------------------------------
# (b) the count chain kernels by exact enumeration


p = sp.symbols("p", positive=True)


def _enumerate(n_entries: int, event: Callable[[tuple[int, ...]], bool]) -> sp.Expr:
    """P(event) for n_entries iid Bernoulli(p) mask entries, summed over all 2^n masks."""
    total = sp.Integer(0)
    for m in itertools.product((0, 1), repeat=n_entries):
        if event(m):
            k = sum(m)
            total += p**k * (1 - p) ** (n_entries - k)
    return sp.expand(total)


def _copy_valid(m: dict, needs: dict, copies: dict, valid: dict) -> bool:
    """Copy valid iff for every (channel j, position pi) needed some valid copy c of j has entry
    (c, pi) set; m maps (c, pi) -> 0/1."""
    return all(
        any(valid[c] and m[(c, pi)] for c in copies[j]) for j, pos in needs.items() for pi in pos
    )


def check_b_single_copy() -> str:
    # one copy needs channel j at 2 positions; j has 2 valid copies: 4 mask entries
    keys = [(c, pi) for c in (0, 1) for pi in (0, 1)]
    prob = _enumerate(
        4,
        lambda m: _copy_valid(
            dict(zip(keys, m, strict=True)), {0: (0, 1)}, {0: (0, 1)}, {0: True, 1: True}
        ),
    )
    assert sp.expand(prob - (1 - (1 - p) ** 2) ** 2) == 0
    # an invalid copy among the candidates does not help: 3 copies of j, copy 2 invalid, 1 position
    keys3 = [(c, 0) for c in (0, 1, 2)]
    prob3 = _enumerate(
        3,
        lambda m: _copy_valid(
            dict(zip(keys3, m, strict=True)),
            {0: (0,)},
            {0: (0, 1, 2)},
            {0: True, 1: True, 2: False},
        ),
    )
    assert sp.expand(prob3 - (1 - (1 - p) ** 2)) == 0
    return (
        "(b1) enumeration: P(copy valid | V_j = 2, C = 2 positions) = (1-(1-p)^2)^2; an invalid "
        "candidate copy changes nothing (1-(1-p)^V with V the valid count)"
    )


def check_b_copies_independent() -> str:
    # two copies u in {0, 1} of i, one in-channel with one valid copy, C = 2 positions:
    # entries (u, pi), 4 of them
    keys = [(u, pi) for u in (0, 1) for pi in (0, 1)]

    def valid_u(m, u):
        d = dict(zip(keys, m, strict=True))
        return all(d[(u, pi)] for pi in (0, 1))

    both = _enumerate(4, lambda m: valid_u(m, 0) and valid_u(m, 1))
    one = _enumerate(4, lambda m: valid_u(m, 0))
    assert sp.expand(one - p**2) == 0 and sp.expand(both - one**2) == 0
    count_pmf = [_enumerate(4, lambda m, v=v: valid_u(m, 0) + valid_u(m, 1) == v) for v in range(3)]
    for v, pr in enumerate(count_pmf):
        assert sp.expand(pr - sp.binomial(2, v) * (p**2) ** v * (1 - p**2) ** (2 - v)) == 0
    return (
        "(b2) enumeration: two copies read disjoint rows, so their validity is independent and the "
        "block count is Bin(2, p^2) for C = 2 positions and one valid copy below"
    )


def check_b_two_channels() -> str:
    # one copy; channel 0 needed at 2 positions (2 valid copies), channel 1 at 1 position (3 copies)
    keys = [(("j0", c), pi) for c in (0, 1) for pi in (0, 1)] + [(("j1", c), 0) for c in (0, 1, 2)]
    copies = {0: [("j0", 0), ("j0", 1)], 1: [("j1", 0), ("j1", 1), ("j1", 2)]}
    valid = {c: True for cs in copies.values() for c in cs}
    prob = _enumerate(
        len(keys),
        lambda m: _copy_valid(dict(zip(keys, m, strict=True)), {0: (0, 1), 1: (0,)}, copies, valid),
    )
    expected = (1 - (1 - p) ** 2) ** 2 * (1 - (1 - p) ** 3)
    assert sp.expand(prob - expected) == 0
    return (
        "(b3) enumeration over 2^7 masks: P(valid) = prod_j (1-(1-p)^{V_j})^{C[i,j]} with "
        "C = (2, 1), V = (2, 3)"
    )


def check_b_univariate() -> str:
    # a block of k0 = 2 univariate channels with a 3-entry kernel row each (centre = entry 1):
    # only the centre entries decide validity
    def count(m):
        return m[1] + m[4]

    for v in range(3):
        pr = _enumerate(6, lambda m, v=v: count(m) == v)
        assert sp.expand(pr - sp.binomial(2, v) * p**v * (1 - p) ** (2 - v)) == 0
    return (
        "(b4) enumeration: V_0 = number of set centre entries ~ Bin(k0 = 2, p), other entries free"
    )


# ---------------------------------------------------------------------------
# (c) the union bound over (copy, channel, position) events


def check_c_bernoulli() -> str:
    q, m = sp.symbols("q m", positive=True)
    f = m * q - 1 + (1 - q) ** m
    assert f.subs(q, 0) == 0
    assert sp.simplify(sp.diff(f, q) - m * (1 - (1 - q) ** (m - 1))) == 0  # >= 0 for m >= 1
    qs = np.linspace(0, 1, 401)
    for mm in (1, 2, 9, 27, 100, 1000):
        assert np.all(1 - (1 - qs) ** mm <= mm * qs + 1e-15)
    return (
        "(c1) union bound: 1 - (1-q)^M <= M q for q in [0, 1], M >= 1 (f = Mq - 1 + (1-q)^M, "
        "f(0) = 0, f' = M(1 - (1-q)^{M-1}) >= 0; numeric grid)"
    )


def check_c_nearly_tight() -> str:
    n = 0
    worst = 0.0
    for M in (9, 27, 72, 576):
        for pp in (0.05, 0.3, 0.7):
            for k in range(1, 400):
                qq = (1 - pp) ** k
                bound = M * qq
                if bound > 0.2 or bound < 1e-12:
                    continue
                exact = -np.expm1(M * np.log1p(-qq))
                assert exact <= bound * (1 + 1e-12)
                assert bound <= exact / (1 - bound / 2) * (1 + 1e-12)
                worst = max(worst, bound / exact)
                n += 1
    return (
        f"(c2) numeric ({n} cases, M = k_l m_l events): P(some copy misses) = 1 - (1-(1-p)^k)^M "
        f"lies within a factor 1/(1 - bound/2) of the bound M (1-p)^k (largest ratio {worst:.3f} "
        "where bound <= 0.2)"
    )


def check_c_kernel_cost() -> str:
    r, L, k, m, K, delta = sp.symbols("rho L k m K delta", positive=True)
    fc = r * sp.log((L + 1) * k * m / delta)
    conv = r * sp.log((L + 1) * k * (m * K) / delta)
    assert sp.simplify(sp.expand_log(conv - fc, force=True) - r * sp.log(K)) == 0
    return (
        "(c3) (W3) with m_l = K x (channel pairs): the width grows by exactly rho(p) ln K "
        "(logarithmic in the kernel size)"
    )


# ---------------------------------------------------------------------------
# (d) the pooled linear head


def check_d_pooling_commutes() -> str:
    P = 4
    A = sp.Matrix(2, 3, sp.symbols("A0:6"))
    h = sp.Matrix(3, P, sp.symbols(f"h0:{3 * P}"))
    pool = h * sp.ones(P, 1) / P
    per_pixel = A * h
    assert sp.simplify(A * pool - per_pixel * sp.ones(P, 1) / P) == sp.zeros(2, 1)
    # copies: a matrix that reads a copy h' = h of channel j gives the same pooled value
    assert sp.simplify((h * sp.ones(P, 1) / P) - pool) == sp.zeros(3, 1)
    return "(d1) mean over pixels commutes with the linear head: A mean_y h = mean_y (A h)"


def check_d_kronecker() -> str:
    P = 3
    A = sp.Matrix(2, 2, sp.symbols("A0:4"))
    h = sp.Matrix(2, P, sp.symbols(f"h0:{2 * P}"))
    vec = sp.Matrix([h[i, y] for i in range(2) for y in range(P)])  # channel-major flattening
    kron = sp.kronecker_product(A, sp.ones(1, P) / P)
    assert sp.simplify(kron * vec - A * h * sp.ones(P, 1) / P) == sp.zeros(2, 1)
    return "(d2) the flattened head is A kron (1/P) 1^T on the channel-major image vector"


CHECKS: list[Callable[[], str]] = [
    check_a_interior_shift,
    check_a_border_error,
    check_a_numeric_border,
    check_b_single_copy,
    check_b_copies_independent,
    check_b_two_channels,
    check_b_univariate,
    check_c_bernoulli,
    check_c_nearly_tight,
    check_c_kernel_cost,
    check_d_pooling_commutes,
    check_d_kronecker,
]


def run_checks() -> list[str]:
    """Run every check; return one line per check, starting with "ok" or "FAIL"."""
    return proofcheck.run_checks(CHECKS)


if __name__ == "__main__":
    sys.exit(proofcheck.main(CHECKS))
