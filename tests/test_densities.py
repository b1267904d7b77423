"""Layer-wise density schemes (docs/theory.md §2): budget, saturation, proportions, CLI."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lththeory._validate import LTHInputError
from lththeory.densities import (
    SCHEMES,
    density_table,
    layer_densities,
    pyramidal_ratio,
    realised_density,
)
from lththeory.densities.__main__ import main

REF_SHAPES = [(784, 1000), (1000, 1000), (1000, 10)]

dim = st.integers(1, 300)
linear = st.tuples(dim, dim)
conv = st.tuples(dim, dim, st.integers(1, 7), st.integers(1, 7))
shape_lists = st.lists(st.one_of(linear, linear, conv), min_size=1, max_size=6)
densities = st.floats(1e-4, 1.0)
FAST = settings(max_examples=60, deadline=None)


def _m(shapes) -> np.ndarray:
    return np.array([float(np.prod(s)) for s in shapes])


def _g_erk(shapes) -> np.ndarray:
    return np.array([float(sum(s)) for s in shapes]) / _m(shapes)


# --------------------------------------------------------------------------- properties


@FAST
@given(shape_lists, densities, st.sampled_from(SCHEMES))
def test_exact_meets_budget_and_stays_in_unit_interval(shapes, d, scheme):
    p = layer_densities(shapes, d, scheme)
    assert p.shape == (len(shapes),)
    assert np.all((p >= 0.0) & (p <= 1.0))
    assert realised_density(shapes, p) == pytest.approx(d, rel=1e-9)


@FAST
@given(shape_lists, densities)
def test_erk_proportional_among_unsaturated(shapes, d):
    p = layer_densities(shapes, d, "erk")
    g = _g_erk(shapes)
    free = p < 1.0
    if free.sum() >= 2:
        ratio = p[free] / g[free]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
    # saturated layers are exactly those that the common c would push to >= 1
    if free.any():
        c = (p[free] / g[free])[0]
        assert np.all(c * g[~free] >= 1.0 - 1e-12)


@FAST
@given(shape_lists, densities)
def test_balanced_equal_counts_among_unsaturated(shapes, d):
    p = layer_densities(shapes, d, "balanced")
    m = _m(shapes)
    free = p < 1.0
    kept = p * m
    if free.sum() >= 2:
        np.testing.assert_allclose(kept[free], kept[free][0], rtol=1e-12)
    if free.any():
        # a saturated layer keeps all its weights, and no more than the common count
        assert np.all(m[~free] <= kept[free][0] * (1 + 1e-12))


@FAST
@given(shape_lists, densities)
def test_pyramidal_powers_and_strictly_decreasing(shapes, d):
    p = layer_densities(shapes, d, "pyramidal")
    r = pyramidal_ratio(shapes, d)
    assert 0.0 < r <= 1.0
    np.testing.assert_allclose(p, r ** np.arange(1, len(shapes) + 1), rtol=1e-12)
    np.testing.assert_array_equal(p, layer_densities(shapes, d, "pyramidal", exact=False))
    assert np.all(np.diff(p) <= 0.0)
    if r < 1.0 - 1e-9:
        assert np.all(np.diff(p) < 0.0)


@FAST
@given(shape_lists, st.sampled_from(SCHEMES), st.booleans(), densities, densities)
def test_monotone_in_global_density(shapes, scheme, exact, d1, d2):
    lo, hi = sorted((d1, d2))
    p_lo = layer_densities(shapes, lo, scheme, exact)
    p_hi = layer_densities(shapes, hi, scheme, exact)
    assert np.all(p_lo <= p_hi * (1 + 1e-12) + 1e-15)


@FAST
@given(shape_lists, densities)
def test_uniform_is_d_in_both_modes(shapes, d):
    for exact in (True, False):
        np.testing.assert_array_equal(layer_densities(shapes, d, "uniform", exact), d)


@FAST
@given(shape_lists, densities, st.sampled_from(SCHEMES))
def test_clamp_mode_never_exceeds_request(shapes, d, scheme):
    p = layer_densities(shapes, d, scheme, exact=False)
    assert np.all((p >= 0.0) & (p <= 1.0))
    assert realised_density(shapes, p) <= d * (1 + 1e-12)
    # the exact variant keeps at least as many weights in every unsaturated-by-both layer
    assert realised_density(shapes, layer_densities(shapes, d, scheme)) >= realised_density(
        shapes, p
    ) * (1 - 1e-12)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_full_density_keeps_everything(scheme):
    np.testing.assert_array_equal(layer_densities(REF_SHAPES, 1.0, scheme), 1.0)


# --------------------------------------------------------------------------- reference numbers


def test_reference_clamp_shortfall():
    """The paper's code solves c over all layers, then clamps: 784-1000-1000-10 at D = 0.5."""
    erk = layer_densities(REF_SHAPES, 0.5, "erk", exact=False)
    bal = layer_densities(REF_SHAPES, 0.5, "balanced", exact=False)
    assert realised_density(REF_SHAPES, erk) == pytest.approx(0.40, abs=0.005)
    assert realised_density(REF_SHAPES, bal) == pytest.approx(0.34, abs=0.005)
    # c = D M / sum g_l m_l: 897000 / 4794 for ERK, 897000 / 3 kept per layer for balanced
    np.testing.assert_allclose(erk[:2], 897000 / 4794 * _g_erk(REF_SHAPES)[:2])
    np.testing.assert_allclose(bal, [299000 / 784000, 0.299, 1.0])
    # exact mode hits the budget on the same example
    for scheme in ("erk", "balanced"):
        p = layer_densities(REF_SHAPES, 0.5, scheme)
        assert realised_density(REF_SHAPES, p) == pytest.approx(0.5, rel=1e-12)
        assert p[2] == 1.0


def test_table_fields():
    t = density_table([(784, 300), (300, 100), (100, 10)], 0.1, "balanced")
    assert t.weights == (235200, 30000, 1000)
    np.testing.assert_allclose(t.kept, [12810.0, 12810.0, 1000.0])
    assert t.realised == pytest.approx(0.1, rel=1e-12)
    text = t.format()
    assert "realised 0.1" in text and "requested 0.1" in text


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"density": 0.0}, r"density .*\(0, 1\]"),
        ({"density": 1.5}, r"density .*\(0, 1\]"),
        ({"density": float("nan")}, r"density"),
        ({"scheme": "random"}, r"scheme must be one of"),
        ({"shapes": []}, r"shapes must list at least one"),
        ({"shapes": [(3, 0)]}, r"shapes\[0\]\[1\] must be an integer >= 1"),
        ({"shapes": [(3, -2)]}, r"shapes\[0\]\[1\] must be an integer >= 1"),
        ({"shapes": [(3, 2.5)]}, r"shapes\[0\]\[1\] must be an integer"),
        ({"shapes": [(3, 3, 3)]}, r"shapes\[0\] must be a 2-D .* or 4-D"),
        ({"shapes": [(3,)]}, r"shapes\[0\] must be a 2-D .* or 4-D"),
        ({"shapes": [(3, 3), 5]}, r"shapes\[1\] must be a 2-D"),
        ({"shapes": "3x3"}, r"shapes must be a sequence"),
        ({"exact": "yes"}, r"exact must be True or False"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"shapes": [(4, 3)], "density": 0.5, "scheme": "erk", "exact": True} | kwargs
    with pytest.raises(LTHInputError, match=match):
        layer_densities(**args)


def test_realised_density_bad_input():
    with pytest.raises(LTHInputError, match=r"densities must have one entry per layer"):
        realised_density([(3, 3)], [0.5, 0.5])
    with pytest.raises(LTHInputError, match=r"densities\[0\] .*\[0, 1\]"):
        realised_density([(3, 3)], [1.2])


# --------------------------------------------------------------------------- command line


def test_cli_table(capsys):
    rc = main(["--scheme", "balanced", "--density", "0.1", "784x300", "300x100", "100x10"])
    out = capsys.readouterr().out
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].split() == ["layer", "shape", "weights", "density", "kept"]
    assert "235,200" in out and "12,810.0" in out
    assert lines[-1].endswith("requested 0.1, realised 0.1")
    # every table row has the same width as the header rule
    assert len({len(x) for x in lines[1:-1] if x.startswith("-")}) == 1


def test_cli_sparsity_clamp_conv(capsys):
    argv = ["--scheme", "erk", "--sparsity", "0.5", "--clamp", "784x1000", "1000x1000", "1000x10"]
    assert main(argv) == 0
    assert "realised 0.400234" in capsys.readouterr().out
    assert main(["--scheme", "erk", "--density", "0.2", "64x3x3x3", "128x64x3x3", "10x128"]) == 0
    assert "64x3x3x3" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["--scheme", "erk", "--density", "1.5", "3x3"],
        ["--scheme", "erk", "--sparsity", "1", "3x3"],
        ["--scheme", "erk", "--density", "0.5", "3x3x3"],
        ["--scheme", "erk", "--density", "0.5", "3xa"],
        ["--scheme", "erk", "--density", "0.5", "3x0"],
    ],
)
def test_cli_bad_input_one_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["--scheme", "erk", "--density", "abc", "3x3"],
        ["--scheme", "nope", "--density", "0.5", "3x3"],
        ["--scheme", "erk", "--density", "0.5", "--sparsity", "0.5", "3x3"],
        ["--scheme", "erk", "3x3"],
    ],
)
def test_cli_argparse_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_cli_module_entry_point():
    """``python -m lththeory.densities``: bad input exits 2 with one line and no traceback."""
    cmd = [sys.executable, "-m", "lththeory.densities", "--scheme", "erk", "--density", "2", "3x3"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: --density") and proc.stderr.count("\n") == 1
    assert proc.stdout == ""
