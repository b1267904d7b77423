"""Export to torch and back (docs/theory.md §7.6): exported tickets reproduce the numpy forward to
1e-12 on box points, keep exactly the ticket's number of weights, and round-trip."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import lththeory as lt  # noqa: E402
from lththeory import LTHInputError  # noqa: E402
from lththeory.export import from_torch, to_torch  # noqa: E402


def _forward(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def _nnz(model):
    total = 0
    for m in model:
        if isinstance(m, torch.nn.Linear):
            w = m.weight_orig * m.weight_mask if hasattr(m, "weight_mask") else m.weight
            total += int((w != 0).sum())
    return total


@pytest.fixture(scope="module")
def weak_ticket():
    target = lt.random_target((3, 5, 4, 2), seed=0)
    src = lt.weak.sample_source(target, 12, 0.6, rng=1)
    res = lt.weak.construct(target, src)
    assert res.success
    return target, src, res.ticket


@pytest.fixture(scope="module")
def strong_ticket():
    target = lt.random_target((2, 3, 1), seed=1)
    src = lt.strong.sample_source(target, 128, 0.5, seed=3)
    res = lt.strong.construct(target, src, eps=0.05)
    assert res.success
    return target, src, res.ticket


def test_weak_ticket_export_reproduces_target(weak_ticket):
    target, _, ticket = weak_ticket
    x = lt.box_points(3, 500, rng=np.random.default_rng(2))
    for bake in (False, True):
        model = to_torch(ticket, bake=bake)
        assert next(model.parameters()).dtype == torch.float64
        out = _forward(model, x)
        np.testing.assert_allclose(out, ticket.network(x), rtol=0, atol=1e-12)
        np.testing.assert_allclose(out, target(x), rtol=0, atol=1e-12)
        assert _nnz(model) == ticket.size
        assert hasattr(model[0], "weight_mask") == (not bake)


def test_strong_ticket_export_reproduces_ticket(strong_ticket):
    target, _, ticket = strong_ticket
    x = lt.box_points(2, 500, rng=np.random.default_rng(3))
    model = to_torch(ticket)
    np.testing.assert_allclose(_forward(model, x), ticket.network(x), rtol=0, atol=1e-12)
    assert _nnz(model) == ticket.size
    assert np.max(np.abs(_forward(model, x) - target(x))) <= 0.05


def test_sources_export_their_masks(weak_ticket, strong_ticket):
    _, wsrc, _ = weak_ticket
    model = to_torch(wsrc, rng=5)
    for lin, m in zip(
        [l for l in model if isinstance(l, torch.nn.Linear)], wsrc.masks, strict=True
    ):
        np.testing.assert_array_equal(lin.weight_mask.numpy().astype(bool), m.toarray())
    assert _nnz(model) == sum(m.nnz for m in wsrc.masks)
    _, ssrc, _ = strong_ticket
    smodel = to_torch(ssrc)
    lins = [l for l in smodel if isinstance(l, torch.nn.Linear)]
    for l, lin in enumerate(lins, start=1):
        W, M, b = ssrc.dense_layer(l)
        np.testing.assert_array_equal(lin.weight_mask.numpy().astype(bool), M)
        np.testing.assert_allclose((lin.weight_orig * lin.weight_mask).detach().numpy(), W * M)
        np.testing.assert_allclose(lin.bias.detach().numpy(), b)


def test_round_trips(weak_ticket):
    target, _, ticket = weak_ticket
    net, masks = from_torch(to_torch(target))
    for a, b in zip(net.weights, target.weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(m.all() for m in masks)  # dense target: full support
    tnet, tmasks = from_torch(to_torch(ticket))
    for a, b in zip(tmasks, ticket.masks, strict=True):
        np.testing.assert_array_equal(a, b.toarray())
    x = lt.box_points(3, 200, rng=np.random.default_rng(4))
    np.testing.assert_allclose(tnet(x), ticket.network(x), rtol=0, atol=1e-12)
    again = to_torch(tnet)
    np.testing.assert_allclose(_forward(again, x), target(x), rtol=0, atol=1e-12)


def test_baked_model_is_torch_exportable(weak_ticket):
    _, _, ticket = weak_ticket
    model = to_torch(ticket, bake=True)
    x = torch.from_numpy(lt.box_points(3, 50, rng=np.random.default_rng(6)))
    ep = torch.export.export(model, (torch.zeros(len(x), 3, dtype=torch.float64),))
    torch.testing.assert_close(ep.module()(x), model(x), rtol=0, atol=1e-12)


def test_bad_input_is_one_line():
    with pytest.raises(LTHInputError, match="obj must be a ReLUNetwork"):
        to_torch(np.eye(2))
    bad = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    with pytest.raises(LTHInputError, match="alternate Linear and ReLU"):
        from_torch(bad)


@given(
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    density=st.floats(0.2, 1.0),
    seed=st.integers(0, 2**16),
)
def test_any_target_round_trips(widths, density, seed):
    target = lt.random_target(widths, density=density, seed=seed)
    x = lt.box_points(widths[0], 20, rng=np.random.default_rng(seed))
    model = to_torch(target)
    np.testing.assert_allclose(_forward(model, x), target(x), rtol=0, atol=1e-12)
    back, masks = from_torch(model)
    for a, b, m in zip(back.weights, target.weights, masks, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(m, b != 0)
