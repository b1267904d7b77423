"""Training methods inside ER masks (claim 4, docs/theory.md §7.3): every method keeps its masks
inside the ER mask throughout training, reports realised densities, is reproducible from its seed;
edge-popup's scores live on mask entries only; FLOP counts match an independent count."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from lththeory.registry import TRAINING_METHODS  # noqa: E402
from lththeory.training.data import load_dataset  # noqa: E402
from lththeory.training.loop import TrainConfig  # noqa: E402
from lththeory.training.masks import (  # noqa: E402
    attach_masks,
    mask_report,
    planned_densities,
    sample_er_masks,
)
from lththeory.training.methods import load_method  # noqa: E402
from lththeory.training.methods.common import MethodOptions, Setup, global_topk  # noqa: E402
from lththeory.training.methods.edge_popup import EdgePopup, subnet_counts  # noqa: E402
from lththeory.training.methods.imp import imp_schedule  # noqa: E402
from lththeory.training.models import (  # noqa: E402
    build_model,
    init_parameters,
    layer_shapes,
    positions,
    prunable_layers,
)
from lththeory.training.run import ModelSpec, Variant, dataset_task, run_trial  # noqa: E402

CFG = TrainConfig(epochs=3, batch_size=64, lr=0.01)
OPTS = MethodOptions(imp_fraction=0.5, synflow_iterations=10, snip_examples=128)
MODEL = ModelSpec("mlp", (32, 32))


@pytest.fixture(scope="module")
def digits():
    ds = load_dataset("digits", np.random.default_rng(0), max_train=400)
    return dataset_task(ds), ds.n_classes


def _setup(task, n_classes, base_density, targets, scheme="balanced", kind="mlp", seed=0):
    net = build_model(kind, task.input_shape, n_classes, MODEL.hidden)
    shapes = layer_shapes(net)
    base = sample_er_masks(
        shapes, planned_densities(shapes, base_density, scheme), np.random.default_rng(seed)
    )
    init_parameters(net, mask_report(base).densities, torch.Generator().manual_seed(seed))
    attach_masks(net, base)
    layer_targets = [planned_densities(shapes, t, scheme) for t in targets]
    return Setup(
        net,
        task,
        base,
        targets,
        layer_targets,
        CFG,
        OPTS,
        torch.Generator().manual_seed(seed + 1),
        positions(net, task.input_shape),
    )


def _watch(setup):
    """A forward hook on every prunable layer (inherited by the methods' deep copies) recording
    whether the mask used in that forward pass lies inside the base mask."""
    seen = {"forwards": 0, "outside": 0}
    for layer, b in zip(prunable_layers(setup.model), setup.base, strict=True):

        def hook(mod, _inp, _out, b=b):
            seen["forwards"] += 1
            seen["outside"] += int((mod.weight_mask.bool() & ~b).sum())
            seen["outside"] += int((mod.weight != 0)[~b].sum())

        layer.register_forward_hook(hook)
    return seen


@pytest.mark.parametrize("method", sorted(TRAINING_METHODS))
def test_every_method_stays_inside_the_er_mask(digits, method):
    """Inside an ER mask of density 0.5, every forward pass of training (every IMP round, every
    SynFlow iteration) uses only entries of the ER mask, and so does the result; pruning methods
    realise round(D M) weights exactly."""
    task, n_classes = digits
    targets = [0.5] if method == "static" else [0.2, 0.1]
    setup = _setup(task, n_classes, 0.5, targets)
    seen = _watch(setup)
    outs = load_method(method)(setup)
    assert [o.target for o in outs] == targets
    if method != "edge-popup":  # edge-popup computes its own weights (tested below)
        assert seen["forwards"] > 10 and seen["outside"] == 0
    total = sum(mask_report(setup.base).sizes)
    for o in outs:
        for m, b in zip(o.masks, setup.base, strict=True):
            assert not bool((m & ~b).any())
        rep = o.report
        assert rep.density == sum(rep.kept) / total
        if method == "static":
            assert rep.kept == mask_report(setup.base).kept
        elif method == "edge-popup":
            assert list(rep.kept) == subnet_counts(setup.base, o_targets(setup, o.target))
        else:
            assert rep.nnz == round(o.target * total)
        assert 0.0 <= o.test <= 1.0 and o.cost.epochs >= CFG.epochs


def o_targets(setup, target):
    return setup.layer_targets[list(setup.targets).index(target)]


def test_edge_popup_scores_live_on_mask_entries_only(digits):
    """One score per ER-mask entry; whatever the scores (here huge random ones, as after any
    amount of training), the chosen subnetwork has exactly k_l entries, all inside the mask, and the
    forward pass is W * subnet with the frozen weights."""
    task, n_classes = digits
    setup = _setup(task, n_classes, 0.3, [0.1])
    base = setup.base
    k = subnet_counts(base, setup.layer_targets[0])
    model = EdgePopup(setup.model, base, k, torch.Generator().manual_seed(0))
    assert [s.numel() for s in model.scores] == [int(b.sum()) for b in base]
    assert {n for n, p in model.named_parameters() if p.requires_grad} == {
        f"scores.{i}" for i in range(len(base))
    }
    g = torch.Generator().manual_seed(5)
    for _ in range(5):
        with torch.no_grad():
            for s in model.scores:
                s.copy_(torch.randn(s.shape, generator=g) * 1e6)
        subs = model.subnet_masks()
        assert [int(m.sum()) for m in subs] == k
        for m, b in zip(subs, base, strict=True):
            assert not bool((m & ~b).any())
    x = task.x_test[:7]
    h = x.flatten(1)
    layers = prunable_layers(setup.model)
    for i, (layer, m) in enumerate(zip(layers, subs, strict=True)):
        h = torch.nn.functional.linear(h, layer.weight_orig * m, layer.bias)
        if i < len(layers) - 1:
            h = torch.relu(h)
    torch.testing.assert_close(model(x), h)
    w0 = [layer.weight_orig.clone() for layer in layers]
    load_method("edge-popup")(setup)  # the method trains copies: the setup's weights stay frozen
    for a, layer in zip(w0, layers, strict=True):
        assert torch.equal(a, layer.weight_orig)


def test_same_seed_same_result_and_seeds_differ(digits):
    task, n_classes = digits
    v = Variant("imp", "er", "balanced", 0.5)
    a = run_trial(task, n_classes, v, [0.2], MODEL, CFG, OPTS, np.random.SeedSequence(3))
    b = run_trial(task, n_classes, v, [0.2], MODEL, CFG, OPTS, np.random.SeedSequence(3))
    c = run_trial(task, n_classes, v, [0.2], MODEL, CFG, OPTS, np.random.SeedSequence(4))
    assert a[0].test == b[0].test and a[0].report == b[0].report
    assert a[0].start_report == b[0].start_report != c[0].start_report


def test_dense_training_learns_digits(digits):
    """Dense 64-32-32-10 after 10 epochs on 400 digits: test accuracy >= 0.85 (a network that did not
    learn scores about 0.1; seeded, so deterministic)."""
    task, n_classes = digits
    cfg = TrainConfig(epochs=10, batch_size=64, lr=0.01)
    r = run_trial(
        task,
        n_classes,
        Variant("static", "dense"),
        [1.0],
        MODEL,
        cfg,
        OPTS,
        np.random.SeedSequence(0),
    )[0]
    assert r.test >= 0.85 and r.report.density == 1.0


def test_flop_and_update_counts(digits):
    """Static training of a mask: 6 x kept weights FLOPs per example (2 forward, 4 backward), once
    per example and epoch; updates = (kept weights + biases) per step. Counted independently here."""
    task, n_classes = digits
    v = Variant("static", "er", "uniform")
    r = run_trial(task, n_classes, v, [0.3], MODEL, CFG, OPTS, np.random.SeedSequence(1))[0]
    n = len(task.y_train)
    nnz = r.report.nnz
    assert r.cost.flops == pytest.approx(6 * nnz * n * CFG.epochs)
    steps = CFG.epochs * -(-n // CFG.batch_size)
    assert r.cost.steps == steps
    assert r.cost.updates == steps * (nnz + 32 + 32 + n_classes)


def test_cnn_positions_and_methods(digits):
    """The small CNN on 8x8 digits: its convolutions are applied at 8*8 and 4*4 positions; static
    and edge-popup train it inside an ER mask."""
    task, n_classes = digits
    net = build_model("cnn", task.input_shape, n_classes)
    assert positions(net, task.input_shape) == [64, 16, 1, 1]
    for method in ("static", "edge-popup"):
        v = Variant(method, "er", "erk", None if method == "static" else 0.5)
        r = run_trial(
            task, n_classes, v, [0.3], ModelSpec("cnn"), CFG, OPTS, np.random.SeedSequence(2)
        )[0]
        assert 0 < r.report.density <= 0.5 and 0 <= r.test <= 1


@given(
    start=st.floats(0.05, 1.0),
    targets=st.lists(st.floats(1e-3, 1.0), min_size=1, max_size=4),
    q=st.floats(0.05, 0.9),
)
def test_imp_schedule_prunes_at_most_q_per_round_and_lands_on_targets(start, targets, q):
    ts = [t for t in targets if t <= start]
    if not ts:
        return
    sched = imp_schedule(start, ts, q)
    prev = start
    for d in sched:
        assert d < prev and d >= prev * (1 - q) * (1 - 1e-9)
        prev = d
    for t in ts:
        assert t >= start * (1 - 1e-12) or any(abs(d - t) <= 1e-12 * t for d in sched)


@given(
    sizes=st.lists(st.integers(1, 30), min_size=1, max_size=3),
    k=st.integers(0, 100),
    seed=st.integers(0, 2**16),
)
def test_global_topk_keeps_the_largest_allowed_scores(sizes, k, seed):
    g = torch.Generator().manual_seed(seed)
    scores = [torch.rand(s, generator=g) for s in sizes]
    allowed = [torch.rand(s, generator=g) < 0.6 for s in sizes]
    kept = global_topk(scores, allowed, k)
    n_allowed = sum(int(a.sum()) for a in allowed)
    assert sum(int(m.sum()) for m in kept) == min(k, n_allowed)
    for m, a in zip(kept, allowed, strict=True):
        assert not bool((m & ~a).any())
    kept_s = torch.cat([s[m] for s, m in zip(scores, kept, strict=True)])
    dropped = torch.cat([s[a & ~m] for s, a, m in zip(scores, allowed, kept, strict=True)])
    if kept_s.numel() and dropped.numel():
        assert kept_s.min() >= dropped.max()
