"""The measured premise of the random-subset-sum lemma: exact worst errors of g random candidates
(docs/theory.md §5.1; proofs/strong_tickets.md, section 4).

For a distribution D and g candidates, W_g = sup_{z in [-1, 1]} min_S |z - sum_S a| is computed
exactly (:func:`lththeory.subset_sum.worst_error`) on ``trials`` independent draws, and stored sorted
in ``calibration.npz`` next to this module. phi(g, e) = P(W_g > e), the probability that some z is
not met within e, is then bounded above at any e by a one-sided Clopper-Pearson bound on the stored
draws: a measurement at the values where the lemma is used, never an extrapolation (e below the
stored draws' reach only gives the trivial bound 1).

Regenerate the file (about 15 minutes on one core) with::

    python -m lththeory.subset_sum.calibration
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import stats

from .._io import write_bytes_atomic
from .._validate import LTHInputError, check_choice, check_positive_int, check_probability_open
from ..stats import experiment_seedseq, trial_generators
from .lueker import DISTRIBUTIONS, MAX_LUEKER_N, sample_values, worst_error

__all__ = [
    "CALIBRATION_FILE",
    "CALIBRATION_SEED",
    "CALIBRATION_SIZES",
    "CALIBRATION_TRIALS",
    "calibrated_sizes",
    "calibration_draws",
    "group_failure",
    "main",
    "measure_worst_errors",
]

CALIBRATION_FILE = Path(__file__).with_name("calibration.npz")
CALIBRATION_SIZES = (8, 10, 12, 14, 16, 18, 20)
CALIBRATION_TRIALS = 4000
CALIBRATION_SEED = 20231
_DIST_KEY = {"uniform": 0, "product": 1}


def measure_worst_errors(
    g: int, distribution: str, trials: int, seed: int = CALIBRATION_SEED
) -> np.ndarray:
    """Sorted exact worst errors W_g of ``trials`` draws; draw t from child t of the calibration key
    (run seed, 5, g, distribution)."""
    g = check_positive_int(g, "g")
    if g > MAX_LUEKER_N:
        raise LTHInputError(f"g must be in [1, {MAX_LUEKER_N}] (all 2^g sums are held), got {g}")
    check_choice(distribution, "distribution", DISTRIBUTIONS)
    trials = check_positive_int(trials, "trials")
    ss = experiment_seedseq(seed, "subset-sum-calibration", g, _DIST_KEY[distribution])
    w = [
        worst_error(sample_values(g, distribution, rng)) for rng in trial_generators(ss, 0, trials)
    ]
    return np.sort(np.asarray(w))


@lru_cache(maxsize=1)
def _load(path: str) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def calibration_draws(g: int, distribution: str) -> np.ndarray:
    """The stored sorted worst errors of g candidates from ``distribution``."""
    data = _load(str(CALIBRATION_FILE))
    key = f"{distribution}_{g}"
    if key not in data:
        raise LTHInputError(
            f"g must be one of the calibrated sizes {calibrated_sizes(distribution)} for "
            f"{distribution!r}, got {g}"
        )
    return data[key]


def calibrated_sizes(distribution: str) -> tuple[int, ...]:
    """The group sizes g with stored draws for ``distribution``."""
    check_choice(distribution, "distribution", DISTRIBUTIONS)
    data = _load(str(CALIBRATION_FILE))
    return tuple(sorted(int(k.split("_")[1]) for k in data if k.startswith(distribution + "_")))


def group_failure(g: int, e: float, distribution: str, alpha: float = 1e-3) -> float:
    """phi+(g, e): a one-sided (1 - alpha) Clopper-Pearson upper bound on
    phi(g, e) = P(W_g > e), from the stored draws (F of T exceed e: the beta(1 - alpha; F + 1, T - F)
    quantile; 1 when every draw exceeds e)."""
    alpha = check_probability_open(alpha, "alpha")
    w = calibration_draws(g, distribution)
    T = w.size
    F = int(T - np.searchsorted(w, float(e), side="right"))
    if F >= T:
        return 1.0
    return float(stats.beta.ppf(1.0 - alpha, F + 1, T - F))


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every calibrated size for both distributions and write ``calibration.npz``."""
    ap = argparse.ArgumentParser(
        prog="python -m lththeory.subset_sum.calibration",
        description="Exact worst errors of random subset sums (the lemma's measured premise).",
    )
    ap.add_argument("--trials", type=int, default=CALIBRATION_TRIALS)
    ap.add_argument("--seed", type=int, default=CALIBRATION_SEED)
    ap.add_argument("--out", default=str(CALIBRATION_FILE))
    args = ap.parse_args(argv)
    arrays = {}
    for dist in DISTRIBUTIONS:
        for g in CALIBRATION_SIZES:
            t0 = time.perf_counter()
            arrays[f"{dist}_{g}"] = measure_worst_errors(g, dist, args.trials, args.seed)
            print(
                f"{dist} g={g}: {args.trials} draws in {time.perf_counter() - t0:.1f} s", flush=True
            )
    arrays["meta_trials"] = np.array(args.trials)
    arrays["meta_seed"] = np.array(args.seed)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    write_bytes_atomic(args.out, buf.getvalue())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
