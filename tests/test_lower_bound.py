"""Theorem LB (docs/theory.md §4): targets, the exact decision, closed form and bounds, sweep, proofs.

Correctness three ways: the explicit ticket is evaluated against f_T; the decision is compared with a
brute-force Hall check and the rate with the closed form; hypothesis draws random targets and masks.
"""

from __future__ import annotations

import importlib.util
import itertools
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lththeory._validate import LTHInputError
from lththeory.experiments import lower_bound as lbx
from lththeory.lower_bound import (
    OneHiddenTarget,
    bipartite_graph,
    block_lower_bound,
    block_threshold_k,
    check_one_hidden_target,
    chernoff_bound,
    decide,
    exact_success_probability_hard,
    hard_instance,
    random_one_hidden_target,
    sample_source_masks,
    simulate_success,
    success_rate,
    threshold_width,
    upper_bound,
)
from lththeory.network import ReLUNetwork, box_points
from lththeory.stats import point_seedseq
from lththeory.sweep import main, read_csv

ROOT = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=40, deadline=None)


# --------------------------------------------------------------------------- helpers


def _graph_by_definition(t: OneHiddenTarget, M1: np.ndarray, M2: np.ndarray) -> np.ndarray:
    """i ~ u iff supp(w_i) inside M_1[u] and M_2[0, u] = 1, by loops."""
    n, N = t.n, M1.shape[0]
    A = np.zeros((n, N), dtype=bool)
    for i in range(n):
        S = np.flatnonzero(t.W[i])
        for u in range(N):
            A[i, u] = bool(M2[0, u]) and all(M1[u, j] for j in S)
    return A


def _max_deficiency(A: np.ndarray) -> int:
    """max over target subsets S of |S| - |N(S)| (>= 0, empty set included): Hall by brute force."""
    n = A.shape[0]
    best = 0
    for r in range(1, n + 1):
        for S in itertools.combinations(range(n), r):
            best = max(best, r - int(A[list(S)].any(axis=0).sum()))
    return best


@st.composite
def small_cases(draw, max_n: int = 5, max_N: int = 7):
    d = draw(st.integers(1, 3))
    n = draw(st.integers(1, max_n))
    s = draw(st.integers(1, d))
    N = draw(st.integers(1, max_N))
    p1 = draw(st.sampled_from([0.3, 0.5, 0.8, 1.0]))
    p2 = draw(st.sampled_from([0.3, 0.6, 0.9, 1.0]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    if draw(st.booleans()):
        t = hard_instance(n, seed=rng, d=d)
    else:
        t = random_one_hidden_target(d, n, s, seed=rng)
    M1, M2 = sample_source_masks(N, d, p1, p2, rng)
    return t, M1, M2


# --------------------------------------------------------------------------- targets


def test_hard_instance_shape_and_conditions():
    t = hard_instance(40, box=(-2.0, 3.0), seed=5)
    ci = -t.b
    assert t.n == 40 and t.d == 1 and t.max_support == 1
    assert np.all((ci > -2) & (ci < 3)) and np.unique(ci).size == 40
    assert np.all(t.v != 0) and np.all(t.W[:, 0] == 1)
    x = box_points(1, 100, t.box)
    np.testing.assert_allclose(t.network.forward(x)[:, 0], t(x), atol=1e-12)
    t3 = hard_instance(5, d=3)
    assert t3.d == 3 and np.all(t3.support[:, 0]) and not t3.support[:, 1:].any()


@pytest.mark.parametrize("d,s", [(1, 1), (4, 1), (4, 2), (5, 5)])
def test_random_target_support(d, s):
    t = random_one_hidden_target(d, 30, s, seed=1)
    assert np.all(t.support.sum(axis=1) == s)
    assert check_one_hidden_target(t.network).n == 30


def _net(W, b, v, c=0.0, box=(-1.0, 1.0)):
    W = np.atleast_2d(np.asarray(W, float))
    return ReLUNetwork((W, np.atleast_2d(v)), (np.asarray(b, float), np.array([c])), box)


@pytest.mark.parametrize(
    "net, fragment",
    [
        (
            _net([[1.0], [1.0]], [0.1, -0.2], [1.0, 0.0]),
            "v (target output weights) must be nonzero",
        ),
        (_net([[1.0, 0.0], [0.0, 0.0]], [0.1, 0.2], [1.0, 1.0]), "nonzero rows"),
        (_net([[1.0], [1.0]], [0.1, 1.5], [1.0, 1.0]), "must meet the interior of the box"),
        (_net([[1.0], [1.0]], [0.1, 1.0], [1.0, 1.0]), "must meet the interior of the box"),
        (_net([[1.0], [1.0]], [0.3, 0.3], [1.0, 2.0]), "must have distinct hyperplanes"),
        (
            _net([[1.0, 2.0], [-2.0, -4.0]], [0.1, -0.2], [1.0, 1.0]),
            "must have distinct hyperplanes",
        ),
        (_net([[0.5], [-1.0]], [0.2, -0.4], [1.0, -1.0]), "must have distinct hyperplanes"),
    ],
)
def test_bad_targets_rejected(net, fragment):
    with pytest.raises(LTHInputError) as e:
        check_one_hidden_target(net)
    assert fragment in str(e.value) and "\n" not in str(e.value)


def test_bad_target_shapes_rejected():
    deep = ReLUNetwork(
        (np.ones((2, 1)), np.ones((2, 2)), np.ones((1, 2))), (np.zeros(2),) * 2 + (np.zeros(1),)
    )
    with pytest.raises(LTHInputError, match="exactly one hidden layer"):
        check_one_hidden_target(deep)
    two_out = ReLUNetwork((np.ones((1, 1)), np.ones((2, 1))), (np.zeros(1), np.zeros(2)))
    with pytest.raises(LTHInputError, match="exactly one output"):
        check_one_hidden_target(two_out)
    with pytest.raises(LTHInputError, match="target must be"):
        check_one_hidden_target("not a net")
    with pytest.raises(LTHInputError, match="support must be in"):
        random_one_hidden_target(3, 5, 4)
    with pytest.raises(LTHInputError, match="n .target neurons. must be an integer"):
        hard_instance(0)


# --------------------------------------------------------------------------- the decision


@FAST
@given(small_cases())
def test_decision_matches_brute_force_hall(case):
    t, M1, M2 = case
    A = _graph_by_definition(t, M1.toarray(), M2.toarray())
    G = bipartite_graph(t, (M1, M2)).toarray().astype(bool)
    np.testing.assert_array_equal(G, A)
    dec = decide(t, (M1, M2))
    deficiency = _max_deficiency(A)
    assert dec.success == (deficiency == 0)  # Hall's condition
    assert dec.matching_size == t.n - deficiency  # König / defect version of Hall
    m = dec.matching
    used = m[m >= 0]
    assert np.unique(used).size == used.size
    assert all(A[i, m[i]] for i in np.flatnonzero(m >= 0))
    if dec.success:
        assert dec.unmatched.size == 0 and dec.ticket is not None
    else:
        Z, NZ = dec.hall_set, dec.hall_neighbours
        np.testing.assert_array_equal(np.flatnonzero(A[Z].any(axis=0)), NZ)
        assert NZ.size < Z.size and dec.deficiency == deficiency
        assert set(dec.unmatched.tolist()) <= set(Z.tolist())
        assert dec.ticket is None


@FAST
@given(small_cases(max_n=6, max_N=30))
def test_ticket_equals_target(case):
    t, M1, M2 = case
    dec = decide(t, (M1, M2))
    if not dec.success:
        return
    net = dec.ticket
    assert net.widths == (t.d, M1.shape[0], 1)
    W1 = sp.csr_array(net.weights[0])
    W2 = sp.csr_array(net.weights[1])
    assert (W1 != 0).multiply(M1).nnz == (W1 != 0).nnz  # inside the ER masks
    assert (W2 != 0).multiply(M2).nnz == (W2 != 0).nnz
    x = box_points(t.d, 300, t.box, rng=np.random.default_rng(7))
    np.testing.assert_allclose(net.forward(x)[:, 0], t(x), rtol=0, atol=1e-12)
    assert dec.ticket_error is not None and dec.ticket_error <= 1e-12
    assert W1.nnz == int(t.support.sum()) and W2.nnz == t.n


def test_decide_accepts_dense_masks_and_network_target():
    t = hard_instance(3, seed=2)
    M1 = np.array([[1], [0], [1], [1], [1]])
    M2 = np.array([[1, 1, 0, 1, 1]])
    dec = decide(t.network, (M1, M2))
    assert dec.success and sorted(dec.matching.tolist()) in ([0, 3, 4],)
    dec2 = decide(t, (M1, np.array([[1, 1, 0, 1, 0]])))
    assert not dec2.success and dec2.deficiency == 1 and dec2.hall_set.size == 3
    np.testing.assert_array_equal(dec2.hall_neighbours, [0, 3])


def test_no_output_edges():
    t = random_one_hidden_target(2, 4, 1, seed=0)
    dec = decide(t, (np.ones((6, 2)), np.zeros((1, 6))))
    assert not dec.success and dec.matching_size == 0 and dec.hall_set.size == 4
    assert dec.hall_neighbours.size == 0 and dec.deficiency == 4


@pytest.mark.parametrize(
    "masks, fragment",
    [
        ((np.ones((4, 2)), np.ones((1, 4))), "M_1"),
        ((np.ones((4, 1)), np.ones((1, 5))), "M_2"),
        ((np.ones((4, 1)),), "pair"),
    ],
)
def test_bad_masks(masks, fragment):
    with pytest.raises(LTHInputError, match=fragment):
        decide(hard_instance(2), masks)


def test_benchmark_size_decision_is_correct():
    """N = 10^4, n = 10^3, p = 0.1 (the benchmark's size): the certificate is consistent."""
    t = hard_instance(1000, seed=0)
    M1, M2 = sample_source_masks(10_000, 1, 0.1, 0.1, np.random.default_rng(0))
    dec = decide(t, (M1, M2))
    eligible = np.flatnonzero(M1.toarray()[:, 0] & M2.toarray()[0])
    assert not dec.success and dec.matching_size == eligible.size  # hard instance: |E| neurons
    np.testing.assert_array_equal(dec.hall_neighbours, eligible)
    assert dec.hall_set.size == 1000


@pytest.mark.slow
def test_decision_under_one_second():
    t = hard_instance(1000, seed=0)
    r = random_one_hidden_target(4, 1000, 1, seed=0)
    for tgt in (t, r):
        masks = sample_source_masks(10_000, tgt.d, 0.1, 0.1, np.random.default_rng(1))
        t0 = time.perf_counter()
        decide(tgt, masks)
        assert time.perf_counter() - t0 < 1.0


# --------------------------------------------------------------------------- measurement vs theory


def test_monte_carlo_matches_closed_form():
    """Statistical test, fixed seed: at each of 3 points the exact two-sided binomial test of
    'rate = closed form' must not reject at alpha = 1e-3; family-wise false-positive rate <= 3e-3."""
    t = hard_instance(20, seed=3)
    alpha = 1e-3
    for N, p in ((60, 0.6), (200, 0.3), (2000, 0.1)):
        prob = exact_success_probability_hard(N, 20, p, p)
        assert 0.05 < prob < 0.95  # a point inside the transition, where the test has power
        ok = simulate_success(t, N, p, p, point_seedseq(11, 4, N), 400)
        pval = stats.binomtest(int(ok.sum()), ok.size, prob).pvalue
        assert pval >= alpha, (N, p, ok.mean(), prob, pval)


def test_success_rate_reproducible_and_chunkable():
    t = hard_instance(10, seed=0)
    ss = point_seedseq(3, 4, 1)
    a = simulate_success(t, 40, 0.5, 0.5, ss, 30)
    b = np.concatenate(
        [
            simulate_success(t, 40, 0.5, 0.5, ss, 10),
            simulate_success(t, 40, 0.5, 0.5, ss, 20, start=10),
        ]
    )
    np.testing.assert_array_equal(a, b)
    pr = success_rate(t, 40, 0.5, 0.5, ss, 30)
    assert pr.successes == int(a.sum()) and pr.trials == 30 and pr.ci_low <= pr.rate <= pr.ci_high


@given(
    n=st.integers(1, 60),
    N=st.integers(0, 3000),
    p1=st.floats(0.01, 1.0),
    p2=st.floats(0.01, 1.0),
)
@settings(max_examples=200, deadline=None)
def test_bounds_sandwich_the_closed_form(n, N, p1, p2):
    exact = exact_success_probability_hard(N, n, p1, p2)
    assert exact <= upper_bound(N, n, p2) + 1e-12
    assert block_lower_bound(N // n, n, p1, p2, 1) <= exact + 1e-12
    if N * p2 < n:
        assert upper_bound(N, n, p2) <= chernoff_bound(N, n, p2) * (1 + 1e-9) + 1e-300


def test_vectorised_theory():
    N = np.arange(0, 500, 7)
    ex = exact_success_probability_hard(N, 10, 0.3, 0.5)
    assert ex.shape == N.shape and np.all(np.diff(ex) >= -1e-15)
    assert np.all(upper_bound(N, 10, 0.5) >= ex - 1e-15)
    assert block_lower_bound(0, 3, 0.5, 0.5) == 0.0
    with pytest.raises(LTHInputError, match="p2"):
        upper_bound(10, 2, 1.5)
    with pytest.raises(LTHInputError, match="N .hidden width."):
        upper_bound(-1, 2, 0.5)


@pytest.mark.parametrize(
    "n,p1,p2", [(1, 0.5, 0.5), (50, 0.1, 0.1), (1000, 0.1, 0.1), (7, 1.0, 0.3)]
)
def test_threshold_width(n, p1, p2):
    Ns = threshold_width(n, p1, p2)
    q = p1 * p2
    assert exact_success_probability_hard(Ns, n, p1, p2) >= 0.5
    if Ns > n:
        assert exact_success_probability_hard(Ns - 1, n, p1, p2) < 0.5
    assert (n - 1) / q - 1 < Ns <= np.ceil(n / q)
    assert threshold_width(n, 1.0, 1.0) == n


def test_block_threshold_k():
    k = block_threshold_k(50, 0.3, 0.4, 2)
    assert block_lower_bound(k, 50, 0.3, 0.4, 2) >= 0.5 > block_lower_bound(k - 1, 50, 0.3, 0.4, 2)


# --------------------------------------------------------------------------- sweep


def _sweep(tmp_path, *extra):
    out = tmp_path / "out"
    args = ["width", "sparsity", "--experiment", "lower-bound", "--trials", "12", "--quiet"]
    return main([*args, "--out", str(out), *extra]), out


def test_sweep_hard_instance(tmp_path, capsys):
    rc, out = _sweep(
        tmp_path, "--width", "1,2,4,8", "--sparsity", "0.5,0.8", "--target-neurons", "10"
    )
    assert rc == 0
    rows = read_csv(out / "results.csv")
    assert list(rows[0].keys()) == lbx.EXPERIMENT.columns
    for c in (
        "experiment",
        "width",
        "sparsity",
        "trials",
        "successes",
        "rate",
        "ci_low",
        "ci_high",
        "theory_width",
        "seed",
        "hidden_width",
        "target_neurons",
        "density",
        "exact",
        "upper_bound",
        "lower_bound",
    ):
        assert c in rows[0]
    assert len(rows) == 8 and all(r["exact"] != "" for r in rows)
    r = rows[0]
    assert int(r["hidden_width"]) == 10 and float(r["density"]) == 0.5
    assert (out / "phase.png").stat().st_size > 0 and (out / "threshold.png").stat().st_size > 0
    assert "Lower-bound sweep" in capsys.readouterr().out


def test_sweep_random_instance(tmp_path):
    rc, out = _sweep(
        tmp_path,
        "--instance",
        "random",
        "--support",
        "2",
        "--input-dim",
        "3",
        "--width",
        "2,6",
        "--sparsity",
        "0.4",
        "--target-neurons",
        "6",
    )
    assert rc == 0
    rows = read_csv(out / "results.csv")
    assert all(r["exact"] == "" for r in rows) and rows[0]["support"] == "2"
    assert all(r["upper_bound"] != "" and r["lower_bound"] != "" for r in rows)


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--instance", "medium"], "--instance"),
        (["--support", "2"], "--support must be 1"),
        (["--instance", "random", "--input-dim", "3", "--support", "4"], "--support must be in"),
        (["--target-neurons", "0"], "--target-neurons"),
        (["--width", "0,1"], "width"),
        (["--sparsity", "1"], "sparsity"),
        (["--input-dim", "x"], "--input-dim"),
    ],
)
def test_sweep_bad_flags_exit_2(tmp_path, capsys, extra, fragment):
    rc, _ = _sweep(tmp_path, *extra)
    err = capsys.readouterr().err
    assert rc == 2 and fragment in err and "Traceback" not in err
    assert err.strip().startswith("error:") and err.strip().count("\n") == 0


# --------------------------------------------------------------------------- proofs and exploration


def test_proof_checks_pass():
    spec = importlib.util.spec_from_file_location(
        "check_lower_bound", ROOT / "proofs" / "check_lower_bound.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    lines = mod.run_checks()
    assert lines and all(line.startswith("ok") for line in lines), "\n".join(lines)


def test_two_hidden_exploration():
    from lththeory.lower_bound.two_hidden import smallest_working_width, two_hidden_scaling

    t = hard_instance(8, seed=0)
    pt = smallest_working_width(t, 0.7, trials=100)
    # measured (fixed seed): the rate at k_star reaches 1/2 with its 95 % interval
    assert pt.rates[-1].ci_low >= 0.5
    # Theorem W's sufficient width (failure <= delta) is never below the measured median width
    assert pt.theorem_k >= pt.k_star
    sc = two_hidden_scaling(t, (0.5, 0.8), trials=100, dense_first_layer=True)
    assert len(sc.points) == 2 and "EXPLORATION" in sc.summary()


def test_sweep_refuses_widths_whose_masks_do_not_fit(tmp_path, capsys):
    rc = main(
        [
            "width",
            "sparsity",
            "--experiment",
            "lower-bound",
            "--width",
            "1e8",
            "--out",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --width") and "GiB of masks" in err


def test_decide_rejects_nan_masks():
    t = hard_instance(3, seed=0)
    with pytest.raises(LTHInputError, match="M_1\\) must contain only 0/1 entries"):
        decide(t, (np.full((5, 1), np.nan), np.ones((1, 5))))
    with pytest.raises(LTHInputError, match="ss must be a numpy.random.SeedSequence"):
        simulate_success(t, 5, 0.5, 0.5, 3, 10)
