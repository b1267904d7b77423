"""Strong conv tickets at small sizes (docs/theory.md §8.7): a certified ticket made of the source's
own values, its certificate against the sampled error (a lower bound) and, for one convolution,
against the exact supremum computed independently from the ticket's outputs."""

import numpy as np
import pytest

from lththeory import LTHInputError
from lththeory.conv import ConvNetwork, image_points, random_conv_target
from lththeory.conv.strong import (
    construct_strong,
    interval_bounds,
    sample_strong_source,
)


@pytest.fixture(scope="module")
def certified():
    target = random_conv_target((1, 2, 1), (3, 3), (5, 5), "same", box=(0.0, 1.0), seed=1)
    src = sample_strong_source(target, (96, 24), 0.8, 0)
    return target, src, construct_strong(target, src, 0.1)


def test_certified_ticket_is_made_of_source_values(certified):
    target, src, res = certified
    assert res.success and res.certified <= 0.1
    assert res.sampled <= res.certified  # sampled error is a lower bound on the sup
    net = res.ticket
    for l, (keep, w, m) in enumerate(zip(res.kept_weights, src.weights, src.masks, strict=True)):
        assert np.all(m[keep])  # inside the ER mask
        np.testing.assert_array_equal(net.weights[l][keep], w[keep])  # unchanged values
        assert np.all(net.weights[l][~keep] == 0)
        b = net.biases[l]
        assert np.all((b == 0) | (b == src.biases[l]))
    # constant channels keep a positive bias and no input
    k0 = src.k[0]
    const = np.arange(k0, k0 + src.k_const[0])
    used = const[net.biases[0][const] != 0]
    assert used.size and np.all(net.biases[0][used] > 0)
    assert not net.weights[0][used].any()
    x = image_points(target, 40, rng=5, corners=20, border=40)
    err = np.abs(net(x) - target(x))
    assert err.max() <= res.certified
    flat = net.unrolled()(x.reshape(len(x), -1)).reshape(err.shape)  # independent evaluation
    np.testing.assert_allclose(flat, net(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("box", [(0.0, 1.0), (-1.0, 1.0)])
def test_one_convolution_certificate_is_the_exact_supremum(box):
    """For one convolution the ticket minus the target is, per output pixel, a constant plus a sum
    of functions of distinct input pixels, each piecewise linear with its kinks at 0; its sup over
    the box is read off the ticket's outputs at x = 0 and at +-1 on single pixels. With valid
    convolutions every pixel reads every entry, so the certificate must equal it."""
    target = random_conv_target((2, 1), (3, 3), (5, 5), "valid", box=box, seed=3)
    src = sample_strong_source(target, 40, 0.9, 2)
    res = construct_strong(target, src, 0.05, n_images=0)
    exact = _exact_sup(res.ticket, target, box)
    assert exact > 0 and res.certified == pytest.approx(exact, rel=1e-9, abs=1e-12)


def _exact_sup(net, target, box):
    """max over output pixels of max(base + sum_q max(0, d_q(a), d_q(b)), -(base + sum_q min(...)))
    where d_q(v) is the change of (ticket - target) when input coordinate q is set to v alone."""
    shape = target.input_shape

    def diff(x):
        return (net(x) - target(x))[:, 0]

    base = diff(np.zeros((1, *shape)))[0]
    hi, lo = base.copy(), base.copy()
    for c in range(shape[0]):
        for q in np.ndindex(shape[1:]):
            ds = []
            for val in box:
                x = np.zeros((1, *shape))
                x[0, c][q] = val
                ds.append(diff(x)[0] - base)
            hi += np.maximum(0.0, np.maximum(*ds))
            lo += np.minimum(0.0, np.minimum(*ds))
    return float(np.max(np.maximum(hi, -lo)))


def test_failure_is_reported_and_the_certificate_still_bounds_the_error():
    target = random_conv_target((1, 2, 1), (3, 3), (5, 5), "same", box=(0.0, 1.0), seed=1)
    res = construct_strong(target, sample_strong_source(target, (16, 4), 0.8, 0), 0.05)
    assert not res.success and res.certified > 0.05
    assert res.sampled <= res.certified


def test_interval_bounds_cover_the_network():
    target = random_conv_target((2, 3, 3, 1), (3, 3), (6, 6), "same", box=(-1.0, 1.0), seed=4)
    H = interval_bounds(target)
    x = image_points(target, 200, rng=0, corners=50, border=50)
    h = x
    for l in range(target.n_conv - 1):
        one = ConvNetwork(
            (target.weights[l],), (target.biases[l],), target.image_sizes()[l], target.padding[l]
        )
        h = np.maximum(one(h), 0)
        assert np.all(h.max(axis=(0, 2, 3)) <= H[l + 1] + 1e-12)
    assert np.all(H[0] == 1.0)


def test_strong_conv_bad_input():
    headed = random_conv_target((1, 2, 3), head=True, seed=0)
    with pytest.raises(LTHInputError, match="no head"):
        sample_strong_source(headed, 4, 0.5, 0)
    wide = random_conv_target((1, 2), (3, 3), (5, 5), 2, seed=0)
    with pytest.raises(LTHInputError, match="padding at most 'same'"):
        sample_strong_source(wide, 4, 0.5, 0)
    target = random_conv_target((1, 2), (3, 3), (5, 5), seed=0)
    src = sample_strong_source(target, 4, 0.5, 0)
    with pytest.raises(LTHInputError, match="max_candidates must be <= 26"):
        construct_strong(target, src, 0.1, max_candidates=40)
    with pytest.raises(LTHInputError, match="source must be a ConvStrongSource"):
        construct_strong(target, object(), 0.1)
    with pytest.raises(LTHInputError, match="k is too large"):
        sample_strong_source(target, 10**6, 0.5, 0)
