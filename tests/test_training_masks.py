"""ER masks on torch models (claim 4, docs/theory.md §7.2): realised densities against the scheme's,
fixed counts, the prune reparametrisation, the minimum fan-in, and the pinned pyramidal starvation."""

import numpy as np
import pytest
from scipy import stats

torch = pytest.importorskip("torch")

from lththeory.densities import SCHEMES, layer_densities  # noqa: E402
from lththeory.training.masks import (  # noqa: E402
    attach_masks,
    mask_report,
    model_masks,
    planned_densities,
    sample_er_masks,
)
from lththeory.training.models import layer_shapes, mlp, small_cnn  # noqa: E402

LENET = [(300, 784), (100, 300), (10, 100)]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_bernoulli_masks_realise_the_scheme(scheme):
    """Each layer's kept count is Binomial(m_l, p_l): a two-sided binomial test per layer at
    alpha = 1e-3 (false-positive rate <= 3e-3 per scheme; it detects a 5 % relative density error
    in LeNet's first layer, ~12,000 kept entries, with power > 0.99)."""
    p = planned_densities(LENET, 0.05, scheme)
    np.testing.assert_allclose(p, layer_densities(LENET, 0.05, scheme))
    masks = sample_er_masks(LENET, p, np.random.default_rng(7))
    rep = mask_report(masks)
    for k, m, pl in zip(rep.kept, rep.sizes, p, strict=True):
        if 0 < pl < 1:
            assert stats.binomtest(k, m, pl).pvalue > 1e-3
    assert [tuple(m.shape) for m in masks] == LENET
    assert rep.density == pytest.approx(sum(rep.kept) / sum(rep.sizes))


def test_fixed_count_masks_are_exact_and_dense_first_layer():
    p = planned_densities(LENET, 0.1, "erk", dense_first_layer=True)
    assert p[0] == 1.0 and np.all(p[1:] < 1)
    masks = sample_er_masks(LENET, p, np.random.default_rng(0), kind="fixed-count")
    rep = mask_report(masks)
    assert rep.kept == tuple(int(round(pl * m)) for pl, m in zip(p, rep.sizes, strict=True))


def test_conv_masks_are_per_entry():
    net = small_cnn((1, 8, 8), 10)
    shapes = layer_shapes(net)
    assert shapes[0] == (16, 1, 3, 3) and len(shapes) == 4
    masks = sample_er_masks(shapes, [0.5] * 4, np.random.default_rng(0))
    assert [tuple(m.shape) for m in masks] == shapes


def test_custom_from_mask_reparametrisation_and_updates():
    net = mlp([6, 5, 3])
    shapes = layer_shapes(net)
    masks = sample_er_masks(shapes, [0.5, 0.5], np.random.default_rng(1))
    attach_masks(net, masks)
    lin = net[1]
    assert {n for n, _ in lin.named_parameters()} == {"weight_orig", "bias"}
    assert {n for n, _ in lin.named_buffers()} == {"weight_mask"}
    net(torch.zeros(2, 6))
    assert torch.all(lin.weight[~masks[0]] == 0)
    smaller = [m & (torch.rand(m.shape) < 0.5) for m in masks]
    attach_masks(net, smaller)  # overwrites the buffer instead of stacking a second pruning
    for a, b in zip(model_masks(net), smaller, strict=True):
        assert torch.equal(a, b)


def test_min_fan_in_gives_every_unit_an_in_edge():
    masks = sample_er_masks([(10, 100)], [1e-4], np.random.default_rng(0), min_fan_in=2)
    assert torch.all(masks[0].sum(dim=1) == 2)


def test_pyramidal_starves_the_last_layer_of_lenet():
    """Pinned reference behaviour (docs/theory.md §7.4): p_l = r^l with sum_l m_l r^l = D M. For
    LeNet-300-100 at D = 0.01, r = 0.0113 and the 10 x 100 output layer gets p_3 = r^3 < 1.5e-6,
    i.e. 0.0014 expected edges: the sampled mask has none, so the network's output ignores its
    input. At D = 0.1, p_3 = 1.39e-3 (1.4 expected output edges out of 1,000)."""
    p = planned_densities(LENET, 0.01, "pyramidal")
    m = np.array([784 * 300, 300 * 100, 100 * 10], float)
    r = p[0]
    np.testing.assert_allclose(p, [r, r**2, r**3], rtol=1e-12)
    assert np.dot(p, m) == pytest.approx(0.01 * m.sum(), rel=1e-9)
    assert 0.0112 < r < 0.0114 and p[2] < 1.5e-6
    # independently: the real root in (0, 1) of 1000 r^3 + 30000 r^2 + 235200 r = 0.1 M
    roots = np.roots([m[2], m[1], m[0], -0.1 * m.sum()])
    r01 = float(next(z.real for z in roots if abs(z.imag) < 1e-12 and 0 < z.real < 1))
    assert layer_densities(LENET, 0.1, "pyramidal")[2] == pytest.approx(r01**3, rel=1e-9)
    assert 1.3e-3 < r01**3 < 1.45e-3
    net = mlp([784, 300, 100, 10])
    masks = sample_er_masks(layer_shapes(net), p, np.random.default_rng(0))
    assert int(masks[2].sum()) == 0
    attach_masks(net, masks)
    out = net(torch.randn(5, 784))
    assert torch.allclose(out, out[0].expand_as(out))  # constant: bias only
    # the optional floor keeps the outputs connected
    fed = sample_er_masks(layer_shapes(net), p, np.random.default_rng(0), min_fan_in=1)
    assert torch.all(fed[2].sum(dim=1) == 1)
