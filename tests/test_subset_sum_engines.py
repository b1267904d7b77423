"""The engines of the batched exact subset-sum solver (docs/theory.md §5.1): the numpy reference
and the optional compiled kernel against brute force, against each other, with per-row counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lththeory import LTHInputError
from lththeory import subset_sum as ss

ATOL = 1e-12  # float sums added in different orders differ by a few ulps (|values| <= 2, n <= 26)

needs_numba = pytest.mark.skipif(not ss.NUMBA_AVAILABLE, reason="numba not installed (extra fast)")
ENGINES = ["reference"] + (["numba"] if ss.NUMBA_AVAILABLE else [])

value = st.one_of(
    st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([0.0, 0.5, -0.5, 1.0, -1.0, 0.25]),
)
target = st.floats(-6.0, 6.0, allow_nan=False, allow_infinity=False)


def _check_against_brute_force(res, V, z, cnt):
    np.testing.assert_allclose((res.subsets * V).sum(axis=1), res.sums, rtol=0, atol=ATOL)
    for r in range(V.shape[0]):
        assert not res.subsets[r, cnt[r] :].any()
        oracle = ss.solve_brute_force(V[r, : cnt[r]], z[r])
        assert abs(res.errors[r] - oracle.errors[0]) <= ATOL


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=120, deadline=None)
@given(n=st.integers(0, 18), rows=st.integers(1, 6), data=st.data())
def test_every_engine_equals_brute_force_with_counts(engine, n, rows, data):
    V = np.array(data.draw(st.lists(value, min_size=n * rows, max_size=n * rows))).reshape(rows, n)
    z = np.array(data.draw(st.lists(target, min_size=rows, max_size=rows)))
    cnt = np.array(data.draw(st.lists(st.integers(0, n), min_size=rows, max_size=rows)))
    res = ss.solve_batch(V, z, eps=0.1, counts=cnt, engine=engine)
    _check_against_brute_force(res, V, z, cnt)
    np.testing.assert_array_equal(res.ok, res.errors <= 0.1)


@needs_numba
@settings(max_examples=60, deadline=None)
@given(n=st.integers(14, 17), data=st.data())
def test_compiled_hash_path_on_lattice_and_generic_rows(n, data):
    # n >= 14 tries the certified hash join; integer-like ("lattice") values defeat the density
    # estimate and must fall back to the sorted path, still exactly
    rows = 3
    lattice = st.sampled_from([1.0, -1.0, 0.5, 2.0, 0.0])
    V = np.array(
        data.draw(st.lists(st.one_of(value, lattice), min_size=n * rows, max_size=n * rows))
    ).reshape(rows, n)
    z = np.array(data.draw(st.lists(target, min_size=rows, max_size=rows)))
    res = ss.solve_batch(V, z, engine="numba")
    _check_against_brute_force(res, V, z, np.full(rows, n))


@needs_numba
def test_compiled_hash_join_certifies_generic_rows_and_declines_lattices():
    from lththeory.subset_sum import _compiled as c

    rng = np.random.default_rng(3)
    n, m1 = 20, 10
    P = 1 << (m1 + 1 + c._HASH_LOAD_BITS)
    head = np.full(P, -1, np.int32)
    nxt = np.empty(2 << (n - m1), np.int32)
    slot = np.empty(2 << (n - m1), np.int64)
    kq = np.empty(1 << (n - m1), np.int64)
    L, R = np.empty(1 << m1), np.empty(1 << (n - m1))
    certified = 0
    for _t in range(200):
        vals = rng.uniform(-1, 1, n)
        c._enumerate(vals[:m1], L)
        c._enumerate(vals[m1:], R)
        e, i, j, ok = c._hash_query(vals, L, L.size, R, R.size, 0.3, head, nxt, slot, kq, P - 1)
        certified += ok
        if ok:
            assert abs(e - ss.solve(vals, 0.3).errors[0]) <= ATOL
    assert certified >= 190  # a decline costs only time (P(decline) ~ e^-7 per row)
    assert (head == -1).all()  # the table is left clean
    vals = np.ones(n)
    c._enumerate(vals[:m1], L)
    c._enumerate(vals[m1:], R)
    assert not c._hash_query(vals, L, L.size, R, R.size, 3.5, head, nxt, slot, kq, P - 1)[3]


@needs_numba
@pytest.mark.parametrize("n", [13, 14, 21, 23, 26])
@pytest.mark.parametrize("distribution", ["uniform", "product"])
def test_engines_agree_exactly_on_generic_rows(n, distribution):
    # continuous random candidates: the optimum is unique with probability 1 and both engines form
    # the same float sums over the same split, so sums, errors and subsets are bit-identical
    rng = np.random.default_rng(n)
    rows = 400 if n < 26 else 60
    V = rng.uniform(-1, 1, (rows, n))
    if distribution == "product":
        V = V * rng.uniform(-1, 1, (rows, n))
    z = rng.uniform(-1, 1, rows)
    a = ss.solve_batch(V, z, engine="reference")
    b = ss.solve_batch(V, z, engine="numba")
    np.testing.assert_array_equal(a.errors, b.errors)
    np.testing.assert_array_equal(a.sums, b.sums)
    np.testing.assert_array_equal(a.subsets, b.subsets)


@needs_numba
def test_engines_agree_with_mixed_counts_and_far_targets():
    rng = np.random.default_rng(5)
    V = rng.uniform(-1, 1, (300, 24))
    cnt = rng.integers(0, 25, 300)
    z = rng.uniform(-30, 30, 300)  # many targets outside the range of the sums
    a = ss.solve_batch(V, z, counts=cnt, engine="reference")
    b = ss.solve_batch(V, z, counts=cnt, engine="numba")
    np.testing.assert_array_equal(a.errors, b.errors)
    for r in range(0, 300, 37):
        c = ss.solve(V[r, : cnt[r]], z[r])
        assert abs(c.errors[0] - b.errors[r]) <= ATOL


def test_auto_engine_and_bad_engine():
    assert ss.resolve_engine("auto") == ("numba" if ss.NUMBA_AVAILABLE else "reference")
    with pytest.raises(LTHInputError, match="engine must be one of"):
        ss.solve_batch(np.zeros((1, 2)), np.zeros(1), engine="gpu")
    with pytest.raises(LTHInputError, match=r"counts must be 2 integers in \[0, n=3\]"):
        ss.solve_batch(np.zeros((2, 3)), np.zeros(2), counts=[1, 4])
    if not ss.NUMBA_AVAILABLE:
        with pytest.raises(LTHInputError, match="needs numba"):
            ss.solve_batch(np.zeros((1, 2)), np.zeros(1), engine="numba")
