"""Random subset sum (docs/theory.md §5.1): exact solvers against oracles, Lueker's worst error."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lththeory import LTHInputError
from lththeory import subset_sum as ss
from lththeory.subset_sum._hash import solve_hash
from lththeory.subset_sum._kernels import bits, solve_mitm

ATOL = 1e-12  # float sums added in different orders differ by a few ulps (|values| <= 2, n <= 30)

# values mixing generic floats with repeated "round" ones, so that ties and equal sums occur
value = st.one_of(
    st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([0.0, 0.5, -0.5, 1.0, -1.0, 0.25]),
)
target = st.floats(-6.0, 6.0, allow_nan=False, allow_infinity=False)


def _check_consistent(res: ss.SubsetSumResult, values: np.ndarray) -> None:
    assert res.subsets.dtype == bool and res.subsets.shape == (res.targets.size, values.size)
    np.testing.assert_allclose(res.subsets.astype(float) @ values, res.sums, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(res.errors, np.abs(res.targets - res.sums))


@settings(max_examples=150)
@given(st.lists(value, min_size=0, max_size=14), st.lists(target, min_size=1, max_size=20))
def test_solve_equals_brute_force(vals, zs):
    a, z = np.array(vals), np.array(zs)
    res, oracle = ss.solve(a, z), ss.solve_brute_force(a, z)
    _check_consistent(res, a)
    np.testing.assert_allclose(res.errors, oracle.errors, rtol=0, atol=ATOL)


@settings(max_examples=150)
@given(st.lists(value, min_size=0, max_size=14), st.lists(target, min_size=1, max_size=20))
def test_meet_in_the_middle_equals_brute_force(vals, zs):
    # solve() enumerates directly for n <= 12; exercise the bucket-table path at every small n
    a, z = np.array(vals), np.array(zs)
    subsets, sums = solve_mitm(a, z)
    np.testing.assert_allclose(subsets.astype(float) @ a, sums, rtol=0, atol=ATOL)
    oracle = ss.solve_brute_force(a, z)
    np.testing.assert_allclose(np.abs(z - sums), oracle.errors, rtol=0, atol=ATOL)


@settings(max_examples=150)
@given(st.integers(0, 12), st.integers(1, 12), st.data())
def test_solve_batch_equals_brute_force(n, rows, data):
    V = np.array(data.draw(st.lists(value, min_size=n * rows, max_size=n * rows))).reshape(rows, n)
    z = np.array(data.draw(st.lists(target, min_size=rows, max_size=rows)))
    res = ss.solve_batch(V, z, eps=0.1)
    np.testing.assert_allclose((res.subsets * V).sum(axis=1), res.sums, rtol=0, atol=ATOL)
    for r in range(rows):
        oracle = ss.solve_brute_force(V[r], z[r])
        assert abs(res.errors[r] - oracle.errors[0]) <= ATOL
    np.testing.assert_array_equal(res.ok, res.errors <= 0.1)


def test_larger_instances_two_independent_exact_paths():
    # n = 24 and n = 30: the bucket-table solver against the size-grouped searchsorted solver
    rng = np.random.default_rng(7)
    for n in (24, 30):
        a = rng.uniform(-1, 1, n)
        z = rng.uniform(-1, 1, 3)
        res = ss.solve(a, z)
        _check_consistent(res, a)
        best = np.min([ss.solve_fixed_size(a, z, s).errors for s in range(n + 1)], axis=0)
        np.testing.assert_allclose(res.errors, best, rtol=0, atol=ATOL)
    # many targets (argsort path, smaller left half) against one target at a time
    a = rng.uniform(-1, 1, 22)
    z = rng.uniform(-2, 2, 50)
    many = ss.solve(a, z)
    one = np.array([ss.solve(a, t).errors[0] for t in z[:10]])
    np.testing.assert_allclose(many.errors[:10], one, rtol=0, atol=ATOL)


@settings(max_examples=100, deadline=None)
@given(st.lists(value, min_size=13, max_size=17), target)
def test_hash_join_equals_brute_force(vals, z):
    # the hash-filtered join either certifies the exact optimum or declines (None); never a wrong answer
    a = np.array(vals)
    hit = solve_hash(a, z)
    if hit is not None:
        m1 = a.size // 2
        left, right, ls, rs = hit
        assert ls == pytest.approx(bits(np.int64(left), m1).astype(float) @ a[:m1], abs=ATOL)
        assert rs == pytest.approx(
            bits(np.int64(right), a.size - m1).astype(float) @ a[m1:], abs=ATOL
        )
        assert abs(abs(z - ls - rs) - ss.solve_brute_force(a, z).errors[0]) <= ATOL
    res = ss.solve(a, z)  # hash join or, where it declines, the sorted solver
    _check_consistent(res, a)
    np.testing.assert_allclose(res.errors, ss.solve_brute_force(a, z).errors, rtol=0, atol=ATOL)


@pytest.mark.parametrize("distribution", ["uniform", "product"])
def test_hash_join_random_instances(distribution):
    # the benchmark's instances: the hash join certifies them (no fallback) and is exact
    rng = np.random.default_rng(21)
    for n in (16, 17, 18, 19, 20):
        for _ in range(4):
            a = ss.sample_values(n, distribution, rng)
            z = float(rng.uniform(-1, 1))
            hit = solve_hash(a, z)
            assert hit is not None
            oracle = ss.solve_brute_force(a, z).errors[0]
            assert abs(abs(z - hit[2] - hit[3]) - oracle) <= ATOL
    for n in (29, 30, 31):  # against the sorted meet in the middle (independent exact path)
        for z in (-0.9, 0.0, 0.37, 3.0, -6.5):
            a = ss.sample_values(n, distribution, rng)
            hit = solve_hash(a, z)
            _, sums = solve_mitm(a, np.array([z]))
            ref = abs(z - sums[0])
            if hit is None:  # allowed far in the tails only
                assert abs(z) > 2
            else:
                assert abs(abs(z - hit[2] - hit[3]) - ref) <= ATOL


def test_hash_join_declines_degenerate_inputs_and_tags_wrap():
    # lattice-valued or all-zero candidates: no certificate, solve() falls back and stays exact
    assert solve_hash(np.zeros(20), 0.3) is None
    assert solve_hash(np.ones(20), 7.4) is None
    assert ss.solve(np.r_[np.ones(10), np.full(10, 0.5)], 3.3).errors[0] == pytest.approx(0.2)
    rng = np.random.default_rng(5)
    a = rng.uniform(-1, 1, 30) * 1e-150  # tiny or huge scales: certified or declined, never wrong
    for scale in (1e-150, 1.0, 1e150):
        b = a / 1e-150 * scale
        res = ss.solve(b, [0.1 * scale, -2.0 * scale, 40.0 * scale])
        ref = solve_mitm(b, res.targets)[1]
        np.testing.assert_allclose(
            res.errors, np.abs(res.targets - ref), rtol=0, atol=1e-12 * scale
        )
    # more than 255 calls on one table size: the tags wrap around and the tables are cleared
    for _ in range(300):
        a = rng.uniform(-1, 1, 16)
        z = float(rng.uniform(-1, 1))
        hit = solve_hash(a, z)
        _, sums = solve_mitm(a, np.array([z]))
        assert hit is not None and abs(abs(z - hit[2] - hit[3]) - abs(z - sums[0])) <= ATOL


def test_hash_join_n36_and_several_targets():
    rng = np.random.default_rng(8)
    a = rng.uniform(-1, 1, 36)
    z = np.array([0.2, -0.75, 1.5])  # three targets: the hash join, one target at a time
    res = ss.solve(a, z)
    _check_consistent(res, a)
    _, sums = solve_mitm(a, z)
    np.testing.assert_allclose(res.errors, np.abs(z - sums), rtol=0, atol=ATOL)


def test_solve_batch_n21_against_solve():
    rng = np.random.default_rng(3)
    V = rng.uniform(-1, 1, (40, 21))
    z = rng.uniform(-1, 1, 40)
    res = ss.solve_batch(V, z, eps=0.01)
    ref = np.array([ss.solve(V[r], z[r]).errors[0] for r in range(40)])
    np.testing.assert_allclose(res.errors, ref, rtol=0, atol=ATOL)


def test_ties_and_degenerate_values():
    # equal sums everywhere: the bucket probe falls back to np.searchsorted, still exact
    assert ss.solve(np.ones(30), 7.4).errors[0] == pytest.approx(0.4)
    assert ss.solve(np.zeros(30), [-0.3, 2.0]).errors.tolist() == [0.3, 2.0]
    r = ss.solve(np.r_[np.ones(20), np.zeros(10)], [7.5, 100.0, -3.0])
    np.testing.assert_allclose(r.errors, [0.5, 80.0, 3.0])
    b = ss.solve_batch(np.ones((4, 20)), np.array([3.5, 25.0, -1.0, 0.0]))
    np.testing.assert_allclose(b.errors, [0.5, 5.0, 1.0, 0.0])
    np.testing.assert_array_equal(ss.solve([], 0.7).subsets, np.zeros((1, 0), bool))
    assert ss.solve([], 0.7).errors[0] == 0.7


def test_milp_agrees_with_exact():
    rng = np.random.default_rng(11)
    for n in (12, 14, 14):
        a = rng.uniform(-1, 1, n)
        z = float(rng.uniform(-1, 1))
        m = ss.solve_milp(a, z, eps=1e-3, time_limit=20.0)
        assert m.status == ("optimal",)
        _check_consistent(m, a)
        assert abs(m.errors[0] - ss.solve(a, z).errors[0]) <= 1e-9
    via = ss.solve(a, [z], method="milp")
    assert via.status == ("optimal",) and abs(via.errors[0] - m.errors[0]) <= 1e-9


@settings(max_examples=150)
@given(st.lists(value, min_size=0, max_size=12), st.data())
def test_fixed_size_is_optimal(vals, data):
    a = np.array(vals)
    s = data.draw(st.integers(0, a.size))
    z = np.array(data.draw(st.lists(target, min_size=1, max_size=5)))
    res = ss.solve_fixed_size(a, z, s)
    assert (res.subsets.sum(axis=1) == s).all()
    _check_consistent(res, a)
    oracle = ss.solve_fixed_size_brute_force(a, z, s)
    assert (oracle.subsets.sum(axis=1) == s).all()
    np.testing.assert_allclose(res.errors, oracle.errors, rtol=0, atol=ATOL)


def _grid_worst(values: np.ndarray, points: int = 20001) -> tuple[float, float]:
    S = np.sort(ss.subset_sums(values))
    zs = np.linspace(-1.0, 1.0, points)
    k = np.searchsorted(S, zs)
    lo = S[np.clip(k - 1, 0, S.size - 1)]
    hi = S[np.clip(k, 0, S.size - 1)]
    return float(np.minimum(np.abs(zs - lo), np.abs(zs - hi)).max()), 2.0 / (points - 1)


@pytest.mark.parametrize("distribution", ss.DISTRIBUTIONS)
@pytest.mark.parametrize("n", [0, 1, 3, 6, 10, 14])
def test_worst_error_against_dense_grid(n, distribution):
    rng = np.random.default_rng(100 + n)
    for _ in range(3):
        a = ss.sample_values(n, distribution, rng)
        exact = ss.worst_error(a)
        grid, h = _grid_worst(a)
        # the distance to the sums is 1-Lipschitz in z: the grid max is within one spacing below
        assert grid <= exact + 1e-12
        assert grid >= exact - h


def test_worst_error_known_values():
    assert ss.worst_error([]) == 1.0  # only the empty sum 0: z = +-1 is 1 away
    assert ss.worst_error([1.0]) == 1.0  # sums {0, 1}: z = -1
    assert ss.worst_error([-1.0, 1.0]) == 0.5  # sums {-1, 0, 1}: midpoints
    assert (
        ss.worst_error([0.5, -0.5, 0.25, -0.25]) == 0.25
    )  # sums reach [-0.75, 0.75] in steps of 0.25
    assert ss.worst_error([3.0, -3.0]) == 1.0  # sums {-3, 0, 3}: z = +-1 is nearest to 0


def test_lueker_success_rate_n16_eps_001():
    # Measured with this seed: 197/200 (95% CI [0.957, 0.997]); 391/400 with trials=400, so
    # P(success) ~ 0.975. Acceptance: observed rate >= 0.9. For a fresh seed, Binomial(200, 0.975)
    # falls below 180 with probability 4e-8: the false-positive rate of this check is negligible.
    p = ss.lueker_success_rate(16, 0.01, "uniform", trials=200, seed=0)
    assert p.trials == 200
    assert p.rate >= 0.9
    assert p.ci_low >= 0.85
    assert ss.lueker_success_rate(16, 0.01, "uniform", trials=200, seed=0) == p  # reproducible
    small = ss.lueker_success_rate(8, 0.01, "uniform", trials=100, seed=0)
    assert small.rate <= 0.05  # 2^8 sums cannot cover [-1, 1] at spacing 0.02 unless lucky


def test_lueker_trial_and_common_random_numbers():
    w, ok = ss.lueker_trial(10, 0.05, "product", np.random.default_rng(0))
    assert ok == (w <= 0.05) and 0 < w <= 1
    w1 = ss.lueker_worst_errors(10, "uniform", 20, seed=5)
    w2 = ss.lueker_worst_errors(10, "uniform", 30, seed=5)
    np.testing.assert_array_equal(w1, w2[:20])  # trial t is the same draw whatever the count
    rates = [ss.lueker_success_rate(12, e, trials=60, seed=1).successes for e in (0.003, 0.01, 0.1)]
    assert rates == sorted(rates)  # same draws for every eps: monotone in eps


def test_fit_lueker_constant_small():
    fit = ss.fit_lueker_constant((0.1, 0.03), trials=40, seed=0, n_max=18)
    assert dataclasses.is_dataclass(fit)
    assert all(n > 0 for n in fit.n_required)
    assert fit.n_required[0] <= fit.n_required[1]
    x = np.log2([10.0, 1 / 0.03])
    assert fit.C == pytest.approx(x @ np.array(fit.n_required) / (x @ x))
    assert fit.ci_low < fit.ci_high  # a real interval (two eps values: one degree of freedom)
    assert math.isfinite(fit.slope_affine) and math.isfinite(fit.intercept)


def test_result_type():
    res = ss.solve([0.3, 0.4], 0.5)
    assert res.ok is None and res.all_ok is None and res.status == ("exact",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.eps = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        res.errors[0] = 0.0  # read-only arrays
    res = ss.solve([0.3, 0.4], [0.7, 2.0], eps=0.05)
    assert res.ok.tolist() == [True, False] and res.max_error == pytest.approx(1.3)


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: ss.solve([0.1, 0.2], 0.3, eps=0), "eps"),
        (lambda: ss.solve([0.1, 0.2], 0.3, eps=-1), "eps"),
        (lambda: ss.solve([0.1, 0.2], 0.3, eps=float("inf")), "eps"),
        (lambda: ss.solve([0.1, 0.2], 0.3, eps=float("nan")), "eps"),
        (lambda: ss.solve([0.1, float("nan")], 0.3), "values"),
        (lambda: ss.solve([0.1, float("inf")], 0.3), "values"),
        (lambda: ss.solve([0.1, 0.2], [0.3, float("nan")]), "targets"),
        (lambda: ss.solve([0.1, 0.2], [[0.3]]), "targets"),
        (lambda: ss.solve(np.zeros((2, 2)), 0.3), "values"),
        (lambda: ss.solve(np.zeros(41), 0.3), "n <= 40"),
        (lambda: ss.solve([1e308, 1e308], 0.3), "sum(|values|)"),
        (lambda: ss.solve([0.1], 0.3, method="greedy"), "method"),
        (lambda: ss.solve_batch(np.zeros((2, 27)), np.zeros(2)), "n <= 26"),
        (lambda: ss.solve_batch(np.zeros((2, 3)), np.zeros(3)), "targets_1d"),
        (lambda: ss.solve_batch(np.zeros(3), np.zeros(3)), "values_2d"),
        (lambda: ss.solve_brute_force(np.zeros(21), 0.0), "n <= 20"),
        (lambda: ss.solve_milp([0.1, 0.2], [0.1, 0.2]), "target"),
        (lambda: ss.solve_milp([0.1, 0.2], 0.1, time_limit=0), "time_limit"),
        (lambda: ss.solve_fixed_size([0.1, 0.2], 0.3, 3), "size"),
        (lambda: ss.solve_fixed_size([0.1, 0.2], 0.3, -1), "size"),
        (lambda: ss.solve_fixed_size([0.1, 0.2], 0.3, 1.5), "size"),
        (lambda: ss.solve_fixed_size_brute_force([0.1], 0.3, 2), "size"),
        (lambda: ss.sample_values(3, "normal", np.random.default_rng()), "distribution"),
        (lambda: ss.lueker_success_rate(25, 0.1), "n must be in [1, 24]"),
        (lambda: ss.lueker_success_rate(0, 0.1), "n"),
        (lambda: ss.lueker_success_rate(10, 0.0), "eps"),
        (lambda: ss.lueker_success_rate(10, 0.1, "cauchy"), "distribution"),
        (lambda: ss.lueker_trial(10, -0.1, "uniform", np.random.default_rng()), "eps"),
        (lambda: ss.worst_error(np.zeros(25)), "n <= 24"),
        (lambda: ss.fit_lueker_constant((0.1, 1.5)), "eps_grid"),
        (lambda: ss.fit_lueker_constant((0.1,), delta=1.0), "delta"),
    ],
)
def test_bad_inputs_name_the_parameter(call, needle):
    with pytest.raises(LTHInputError) as info:
        call()
    msg = str(info.value)
    assert needle in msg and "\n" not in msg
