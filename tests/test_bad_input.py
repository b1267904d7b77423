"""Bad input, table-driven (issue 9): every bad flag or value of the sweep command exits 2 with exactly
one ``error: ...`` line naming the flag; every bad argument of the API raises LTHInputError with one
line naming the parameter, before anything large is allocated (checked with tracemalloc)."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import lththeory as lt
from lththeory import sweep
from lththeory.lower_bound import hard_instance, simulate_success
from lththeory.stats import point_seedseq, proportion, trial_generators
from lththeory.strong import sample_source as strong_source
from lththeory.weak import count_chain, sample_source, simulate_counts, simulate_masks

WEAK = ["width", "sparsity", "--width", "2,8", "--sparsity", "0.5", "--trials", "10", "--quiet"]
STRONG = ["width", "sparsity", "--experiment", "strong", "--width", "16", "--sparsity", "0.5"]
LB = ["width", "sparsity", "--experiment", "lower-bound", "--width", "1,2", "--sparsity", "0.5"]
SS = ["n", "eps", "--experiment", "subset-sum", "--n", "4", "--eps", "0.1"]

#: (argv after the base grid, a substring the one error line must contain)
CLI_CASES = [
    (WEAK + ["--width", "1e30"], "--width: width must be an integer >= 1 and <= 2^62"),
    (WEAK + ["--width", "0"], "--width: width must be an integer >= 1"),
    (WEAK + ["--width", "abc"], "--width: width must be an integer"),
    (WEAK + ["--width", ","], "--width needs at least one value"),
    (WEAK + ["--width", "2,2"], "--width lists a value twice"),
    (WEAK + ["--sparsity", "1"], "--sparsity: sparsity (fraction of weights removed) must be in"),
    (WEAK + ["--sparsity", "-0.1"], "--sparsity: sparsity (fraction of weights removed)"),
    (WEAK + ["--sparsity", "nan"], "--sparsity: sparsity must be a real number"),
    (WEAK + ["--trials", "1e12"], "--trials: the per-trial results of 1000000000000 trials"),
    (WEAK + ["--trials", "0"], "--trials must be an integer >= 1"),
    (WEAK + ["--trials", "2.5"], "--trials must be an integer >= 1"),
    (WEAK + ["--seed", "1e300"], "--seed must be an integer >= 0 and <= 2^63 - 1"),
    (WEAK + ["--seed", "-1"], "--seed must be an integer >= 0 and <= 2^63 - 1"),
    (WEAK + ["--seed", "x"], "--seed must be an integer"),
    (WEAK + ["--delta", "0"], "--delta must be in (0, 1)"),
    (WEAK + ["--delta", "1.5"], "--delta must be in (0, 1)"),
    (WEAK + ["--jobs", "0"], "--jobs must be an integer >= 1"),
    (WEAK + ["--jobs", "100000"], "--jobs must be an integer >= 1 and <= "),
    (WEAK + ["--out", ""], "--out must name a folder, got ''"),
    (WEAK + ["--out", "{file}"], "is a file"),
    (WEAK + ["--out", "{file}/sub"], "which is a file"),
    (WEAK + ["--method", "exact"], "--method must be one of 'counts', 'masks'"),
    (WEAK + ["--target", "4"], "--target must list at least 2 layer widths"),
    (WEAK + ["--target", "4,0,1"], "--target[1] must be an integer >= 1"),
    (WEAK + ["--experiment", "nope"], "--experiment must be one of"),
    (["width", "depth", "--quiet"], "AXIS must be one of width, sparsity"),
    (["width", "sparsity", "width", "--quiet"], "AXIS: give one or two axes"),
    (["--quiet"], "the following arguments are required: AXIS"),
    (WEAK + ["--bogus", "1"], "unrecognized arguments: --bogus 1"),
    (WEAK + ["--trials"], "argument --trials: expected one argument"),
    (WEAK + ["--scheduler", " "], "--scheduler must be a Dask scheduler address"),
    (WEAK + ["--scheduler", "tcp://127.0.0.1:9", "--jobs", "2"], "--jobs is for worker processes"),
    (["width", "--sparsity", "0.5,0.9", "--quiet"], "--sparsity takes a single value unless"),
    (STRONG + ["--eps", "0"], "--eps must be a finite number > 0"),
    (STRONG + ["--construction", "magic"], "--construction must be one of"),
    (STRONG + ["--weights", "cauchy"], "--weights must be one of"),
    (LB + ["--instance", "x"], "--instance must be one of 'hard', 'random'"),
    (LB + ["--support", "3"], "--support must be 1 for --instance hard"),
    (LB + ["--target-neurons", "-2"], "--target-neurons must be an integer >= 1"),
    (SS + ["--n", "30"], "--n: n must be in [1, 24]"),
    (SS + ["--distribution", "cauchy"], "--distribution must be one of"),
    (SS + ["--eps", "2"], "--eps: eps must be in (0, 1)"),
]
if sys.platform.startswith("linux") and Path("/sys").is_dir():
    CLI_CASES.append((WEAK + ["--out", "/sys/lththeory-test"], "--out: cannot create folder"))


@pytest.mark.parametrize("argv, needle", CLI_CASES, ids=[" ".join(c[0][-2:]) for c in CLI_CASES])
def test_cli_bad_input_one_line(argv, needle, tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    argv = [a.replace("{file}", str(tmp_path / "file")) for a in argv]
    if "--out" not in argv:
        argv = argv + ["--out", str(tmp_path / "out")]
    assert sweep.main(argv) == 2
    cap = capsys.readouterr()
    assert cap.err.startswith("error: ") and cap.err.count("\n") == 1, cap.err
    assert needle in cap.err, cap.err
    assert "Traceback" not in cap.err and cap.out == ""


def test_table_is_large_enough():
    assert len(CLI_CASES) + len(API_CASES) >= 40


TARGET = lt.random_target((4, 8, 8, 1), seed=0)
SS0 = point_seedseq(0, 1)
ONE = hard_instance(5)

#: (call, a substring of the one-line message)
API_CASES = [
    (lambda: simulate_counts(TARGET, 4, 0.5, 0, 10), "ss must be a numpy.random.SeedSequence"),
    (lambda: count_chain(TARGET, 4, 0.5, None, 10), "ss must be a numpy.random.SeedSequence"),
    (lambda: simulate_masks(TARGET, 4, 0.5, "x", 10), "ss must be a numpy.random.SeedSequence"),
    (lambda: simulate_counts(TARGET, 4, 0.5, SS0, 10**12), "trials: the success indicators"),
    (lambda: count_chain(TARGET, 4, 0.5, SS0, 10**12), "trials: the counts of"),
    (lambda: simulate_counts(TARGET, 2**70, 0.5, SS0, 10), "k must be an integer >= 1 and <="),
    (lambda: lt.random_target((2, 3, 1), seed=-1), "seed must be a numpy Generator"),
    (lambda: lt.random_target((2, 3, 1), seed=1.5), "seed must be a numpy Generator"),
    (lambda: lt.random_target((2, 3, 1), seed=10**30), "integer seed in [0, 2^63 - 1]"),
    (lambda: lt.random_target((10**6, 10**6, 1)), "widths: a dense target with"),
    (lambda: lt.box_points(2, 3, rng=-5), "rng must be a numpy Generator"),
    (lambda: lt.box_points(2, 3, rng=5.5), "rng must be a numpy Generator"),
    (lambda: lt.box_points(2, 3, rng="abc"), "rng must be a numpy Generator"),
    (lambda: lt.box_points(2, 10**12), "n: 1000000000000 points in 2 dimensions"),
    (lambda: point_seedseq(0, 1.5), "key[0] must be a non-negative integer"),
    (lambda: point_seedseq(1e300), "seed must be an integer >= 0 and <= 2^63 - 1"),
    (lambda: point_seedseq(-1), "seed must be an integer >= 0"),
    (lambda: sample_source(TARGET, 10**12, 0.5, 0), "k: masks with about"),
    (lambda: sample_source(TARGET, 4, 0.5, 0, kind="exact"), "kind must be one of"),
    (lambda: lt.bernoulli_mask((10**10, 10**10), 0.5, 0), "shape must have at most 2^63 - 1"),
    (lambda: lt.bernoulli_mask((10**9, 10**9), 0.5, 0), "shape: masks with about 5e+17"),
    (lambda: lt.fixed_count_mask((10**6, 10**6), 0.5, 0), "shape: masks with about 5e+11"),
    (lambda: lt.er_masks([(10**6, 10**6)] * 2, [0.5, 0.5], 0), "shapes: masks with about"),
    (lambda: trial_generators(SS0, 0, 10**12), "stop - start: 1000000000000 generators"),
    (lambda: simulate_success(ONE, 10**12, 0.5, 0.5, SS0, 3), "N (hidden width): masks with"),
    (lambda: simulate_success(ONE, 100, 0.5, 0.5, 0, 3), "ss must be a numpy.random.SeedSequence"),
    (lambda: hard_instance(10**12), "n (target neurons): a target with"),
    (lambda: strong_source(lt.random_target((2, 4, 1)), 16, 0.5, seed=-1), "seed must be"),
    (lambda: strong_source(lt.random_target((2, 4, 1)), 16, 0.5, seed=1e300), "seed must be"),
    (lambda: strong_source(lt.random_target((2, 4, 1)), 2**70, 0.5), "k must be an integer"),
    (lambda: lt.theorem_w_common_width(TARGET, 0.5, 1.0), "delta must be in (0, 1)"),
    (lambda: proportion(5, 3), "successes must be in [0, trials=3]"),
]


@pytest.mark.parametrize("call, needle", API_CASES, ids=[c[1][:40] for c in API_CASES])
def test_api_bad_input_one_line_before_allocating(call, needle):
    tracemalloc.start()
    try:
        with pytest.raises(lt.LTHInputError) as info:
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    msg = str(info.value)
    assert needle in msg and "\n" not in msg, msg
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB allocated before refusing"


def test_integer_seed_is_a_valid_generator():
    """box_points(rng=5) is a seed, not an error: the same points as default_rng(5)."""
    a = lt.box_points(2, 4, rng=5, corners=False)
    b = lt.box_points(2, 4, rng=np.random.default_rng(5), corners=False)
    assert np.array_equal(a, b)


def test_big_integer_strings_are_exact():
    """'--seed 12345678901234567891' is read as an integer, not through a float."""
    from lththeory._validate import check_seed

    assert check_seed("1234567890123456789") == 1234567890123456789
