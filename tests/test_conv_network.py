"""Conv networks as plain data (docs/theory.md §8.1): the im2col forward against an independent
unrolled fully connected network, against torch.nn.functional.conv2d (where torch is installed),
sparse kernels, the fan-in of kernel entries, and bad input."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from lththeory import LTHInputError
from lththeory.conv import (
    ConvNetwork,
    image_points,
    parse_kernel,
    parse_padding,
    random_conv_target,
)

conv_targets = st.builds(
    lambda ch, ker, pad, dens, head, seed: random_conv_target(
        ch,
        kernel=ker,
        image=(8, 9),
        padding=pad if not (pad == "same" and (ker[0] % 2 == 0 or ker[1] % 2 == 0)) else 1,
        density=dens,
        head=head and len(ch) >= 3,
        seed=seed,
    ),
    st.lists(st.integers(1, 4), min_size=2, max_size=4),
    st.sampled_from([(1, 1), (3, 3), (3, 1), (2, 2)]),
    st.sampled_from(["same", "valid", 1, (0, 2)]),
    st.sampled_from([1.0, 0.5]),
    st.booleans(),
    st.integers(0, 10**6),
)


@given(net=conv_targets, seed=st.integers(0, 10**6))
def test_forward_equals_unrolled_network_and_sparse_kernels(net, seed):
    """Two independent evaluations (im2col + one product per layer; explicit index arithmetic into
    a sparse fully connected matrix) agree, and so do sparse flattened kernels."""
    x = image_points(net, 5, rng=seed, corners=2, border=2)
    y = net(x)
    flat = net.unrolled()(x.reshape(len(x), -1))
    np.testing.assert_allclose(y.reshape(len(x), -1), flat, rtol=1e-12, atol=1e-12)
    sparse = ConvNetwork(
        tuple(sp.csr_array(net.flat_weight(l)) for l in range(net.n_conv)),
        net.biases,
        net.image,
        net.padding,
        net.kernels,
        net.head,
        net.box,
    )
    np.testing.assert_allclose(sparse(x), y, rtol=1e-12, atol=1e-12)
    assert y.shape == (len(x), *net.output_shape)
    assert sparse.fan_in()[0].tolist() == net.fan_in()[0].tolist()


@pytest.mark.parametrize("head", [False, True])
@pytest.mark.parametrize("kernel,padding", [((3, 3), "same"), ((3, 5), "valid"), ((1, 3), 2)])
def test_forward_matches_torch_conv2d(kernel, padding, head):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    net = random_conv_target((3, 5, 4, 2), kernel, (9, 14), padding, density=0.6, head=head, seed=4)
    x = np.random.default_rng(1).uniform(0, 1, size=(4, 3, 9, 14))
    h = torch.from_numpy(x)
    for l in range(net.n_conv):
        w, b = torch.from_numpy(net.weights[l]), torch.from_numpy(net.biases[l])
        h = F.conv2d(h, w, b, stride=1, padding=net.padding[l])
        if l < net.n_conv - 1 or head:
            h = torch.relu(h)
    if head:
        A, c = net.head
        h = F.linear(h.mean(dim=(2, 3)), torch.from_numpy(A), torch.from_numpy(c))
    np.testing.assert_allclose(net(x), h.numpy(), rtol=1e-12, atol=1e-12)


def test_fan_in_counts_nonzero_kernel_entries():
    w = np.zeros((2, 3, 3, 3))
    w[0, 0] = 1.0  # 9 entries
    w[0, 2, 1, 1] = -2.0  # 1 entry
    w[1, 1, :, 0] = 0.5  # 3 entries
    net = ConvNetwork((w,), (np.zeros(2),), (5, 5))
    np.testing.assert_array_equal(net.fan_in()[0], [[9, 0, 1], [0, 3, 0]])
    assert net.num_weights() == 13 and net.widths == (3, 2) and net.depth == 1
    headed = ConvNetwork(
        (w,), (np.zeros(2),), (5, 5), head=(np.array([[1.0, 0.0], [2.0, 3.0]]), np.zeros(2))
    )
    assert headed.depth == 2 and headed.widths == (3, 2, 2)
    np.testing.assert_array_equal(headed.fan_in()[1], [[1, 0], [1, 1]])


def test_random_conv_target_shapes_and_every_channel_keeps_an_entry():
    net = random_conv_target((3, 8, 8, 4), (3, 3), (8, 8), density=0.05, seed=2)
    assert net.channels == (3, 8, 8, 4) and net.output_shape == (4, 8, 8)
    assert all((c.sum(axis=1) >= 1).all() for c in net.fan_in())
    headed = random_conv_target((3, 8, 10), head=True, seed=2)
    assert headed.channels == (3, 8) and headed.widths == (3, 8, 10)
    assert headed.output_shape == (10,)
    assert net.image_sizes() == [(8, 8)] * 4
    valid = random_conv_target((1, 2, 2), (3, 3), (8, 8), "valid", seed=0)
    assert valid.image_sizes() == [(8, 8), (6, 6), (4, 4)]


def test_image_points_border_pixels_are_extreme():
    net = random_conv_target((2, 3), image=(5, 6), seed=0)
    x = image_points(net, 3, rng=1, corners=4, border=5)
    assert x.shape == (12, 2, 5, 6)
    assert np.all((x >= 0) & (x <= 1))
    corners = x[3:7]
    assert np.isin(corners, [0.0, 1.0]).all()
    border = x[7:]
    edge = np.zeros((5, 6), dtype=bool)
    edge[[0, -1], :] = edge[:, [0, -1]] = True
    assert np.isin(border[:, :, edge], [0.0, 1.0]).all()
    assert not np.isin(border[:, :, ~edge], [0.0, 1.0]).all()


def test_parsers():
    assert parse_kernel("3x5") == (3, 5) and parse_kernel(3) == (3, 3)
    assert parse_padding("same", (3, 5)) == (1, 2) and parse_padding("valid", (3, 3)) == (0, 0)
    assert parse_padding(2, (3, 3)) == (2, 2)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: ConvNetwork((np.ones((2, 3)),), (np.zeros(2),), (4, 4)), "must be a 4-D array"),
        (
            lambda: ConvNetwork(
                (np.ones((2, 3, 3, 3)), np.ones((1, 3, 3, 3))), (np.zeros(2), np.zeros(1)), (4, 4)
            ),
            "weights\\[1\\] must read 2 input channels",
        ),
        (
            lambda: ConvNetwork((np.ones((2, 3, 3, 3)),), (np.zeros(3),), (4, 4)),
            "biases\\[0\\] must have length 2",
        ),
        (
            lambda: ConvNetwork((np.ones((2, 3, 5, 5)),), (np.zeros(2),), (3, 3), "valid"),
            "image 3x3 is too small",
        ),
        (
            lambda: ConvNetwork((np.ones((2, 3, 2, 2)),), (np.zeros(2),), (4, 4)),
            "'same' needs an odd kernel",
        ),
        (
            lambda: ConvNetwork((sp.csr_array(np.ones((2, 27))),), (np.zeros(2),), (4, 4)),
            "kernels\\[0\\] must be given",
        ),
        (
            lambda: ConvNetwork(
                (np.ones((2, 3, 3, 3)),), (np.zeros(2),), (4, 4), head=(np.ones((1, 3)), [0.0])
            ),
            "head must be A of shape \\(n_out, 2\\)",
        ),
        (lambda: parse_kernel("3by3"), "kernel must look like 3x3"),
        (lambda: parse_kernel("0x3"), "kernel rows must be an integer >= 1"),
        (lambda: parse_padding("full", (3, 3)), "padding must be one of 'same', 'valid'"),
        (lambda: random_conv_target((3, 4), head=True), "at least 3 widths with a head"),
        (lambda: random_conv_target((3, 4), image=(1, 1), padding="valid"), "too small"),
    ],
)
def test_bad_input_one_line(make, message):
    with pytest.raises(LTHInputError, match=message) as e:
        make()
    assert "\n" not in str(e.value)


def test_forward_bad_input():
    net = random_conv_target((3, 2), image=(4, 4), seed=0)
    with pytest.raises(LTHInputError, match="x must have shape \\(batch, 3, 4, 4\\)"):
        net(np.zeros((2, 3, 4, 5)))
    with pytest.raises(LTHInputError, match="x must lie in the box"):
        net(np.full((1, 3, 4, 4), -0.5), check_box=True)
    assert net(np.zeros((3, 4, 4))).shape == (2, 4, 4)  # one image
