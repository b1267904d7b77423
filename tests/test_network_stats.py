import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from lththeory import (
    LTHInputError,
    ReLUNetwork,
    box_corners,
    point_seedseq,
    proportion,
    random_target,
    trial_generators,
)


@given(
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    seed=st.integers(0, 10**6),
    density=st.sampled_from([1.0, 0.5]),
)
def test_forward_matches_manual_and_sparse(widths, seed, density):
    net = random_target(widths, density=density, seed=seed)
    x = np.random.default_rng(seed).uniform(-1, 1, size=(7, widths[0]))
    h = x
    for l, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        z = h @ w.T + b
        h = np.maximum(z, 0) if l < net.depth - 1 else z
    np.testing.assert_allclose(net(x), h, rtol=1e-12, atol=1e-12)
    sparse = ReLUNetwork(tuple(sp.csr_array(w) for w in net.weights), net.biases, net.box)
    np.testing.assert_allclose(sparse(x), h, rtol=1e-12, atol=1e-12)
    assert net.widths == tuple(widths)
    # every neuron of a sparse random target keeps an in-edge
    assert all(s.any(axis=1).all() for s in net.supports())


def test_network_bad_input():
    w, b = np.ones((2, 3)), np.zeros(2)
    with pytest.raises(LTHInputError, match="weights\\[0\\] must contain only finite numbers"):
        ReLUNetwork((np.full((2, 3), np.nan),), (b,))
    with pytest.raises(LTHInputError, match="biases\\[0\\] must have length 2"):
        ReLUNetwork((w,), (np.zeros(3),))
    with pytest.raises(LTHInputError, match="weights\\[1\\] must have 2 columns"):
        ReLUNetwork((w, np.ones((1, 3))), (b, np.zeros(1)))
    with pytest.raises(LTHInputError, match="weights must hold at least one layer"):
        ReLUNetwork((), ())
    with pytest.raises(LTHInputError, match="box must be a pair"):
        ReLUNetwork((w,), (b,), box=(1.0, -1.0))
    with pytest.raises(LTHInputError, match="x must have shape \\(batch, 3\\)"):
        ReLUNetwork((w,), (b,))(np.ones((4, 2)))
    with pytest.raises(LTHInputError, match="widths must list at least 2"):
        random_target([4])
    with pytest.raises(LTHInputError, match="widths\\[1\\] must be an integer >= 1"):
        random_target([4, 0, 1])
    with pytest.raises(LTHInputError, match="weights must be one of"):
        random_target([4, 1], weights="cauchy")


def test_points_bad_input():
    from lththeory import box_points

    with pytest.raises(LTHInputError, match="d must be an integer >= 1"):
        box_points(0, 5)
    with pytest.raises(LTHInputError, match="n must be an integer >= 0"):
        box_points(2, -1)
    with pytest.raises(LTHInputError, match="stop must be an integer >= 3"):
        trial_generators(point_seedseq(0), 3, 2)


def test_corners():
    c = box_corners(3, (0.0, 2.0))
    assert c.shape == (8, 3)
    assert set(map(tuple, c)) == {(a, b, d) for a in (0, 2) for b in (0, 2) for d in (0, 2)}


def test_proportion_and_seeds():
    pr = proportion(3, 10)
    assert pr.ci_low < 0.3 < pr.ci_high
    assert proportion(0, 10).ci_low == 0.0
    w = proportion(3, 10, method="wilson")
    assert w.method == "wilson" and w.ci_low > 0
    with pytest.raises(LTHInputError, match="successes must be in \\[0, trials=10\\]"):
        proportion(11, 10)
    with pytest.raises(LTHInputError, match="trials must be an integer >= 1"):
        proportion(0, 0)
    ss = point_seedseq(5, 1, 2)
    a = [g.random() for g in trial_generators(ss, 0, 5)]
    b = [np.random.default_rng(c).random() for c in point_seedseq(5, 1, 2).spawn(5)]
    assert a == b  # trial t uses child t, independent of chunking
    assert [g.random() for g in trial_generators(ss, 3, 5)] == a[3:]
    with pytest.raises(LTHInputError, match="seed must be an integer >= 0"):
        point_seedseq(-1)
