"""Random subset sum: exact solvers and the Lueker experiment (docs/theory.md §5.1).

Problem: given candidates ``a_1..a_n`` and a target ``z``, find ``S`` minimising ``|z - sum_{i in S} a_i|``
(the empty subset, sum 0, is allowed). Lueker (1998): for n iid samples (U[-1, 1], or products of two),
with high probability every ``z`` in [-1, 1] is met within ``eps`` once ``n >= C log2(1/eps)``.

Modules: :mod:`.solvers` and :mod:`.batch` (the solvers below), :mod:`.lueker` (the Lueker experiment),
:mod:`.calibration` (stored exact worst errors, the lemma's measured premise), :mod:`.lemma` (the
random-subset-sum lemma and :func:`required_candidates`), and the kernels :mod:`._kernels`
(enumeration, sorted meet in the middle), :mod:`._hash` (hash join) and :mod:`._compiled` (optional
numba kernels).

Solvers
-------
* :func:`solve`: exact meet in the middle (n <= 40). For one to three targets (n >= 16) a hash-filtered
  join, with no sorting: both halves' ``2^(n/2)`` sums are enumerated as integer bucket keys of width
  ``w`` (about 20 of the ``2^n`` subset sums lie within ``w`` of z), byte tables keep only the pairs
  whose keys are equal or adjacent, and the few survivors are compared exactly. When the best error is
  below ``0.45 w`` the optimum provably survived, so the result is exact; otherwise (rare: degenerate
  or lattice-like values) it falls back to the sorted solver. For more targets, the sorted solver: the
  left half's ``2^(n//2)`` sums are queries ``z - l``; the right half's sums are sorted once, and each
  query's predecessor in that sorted array is located exactly through a bucket table (monotone bucket
  keys, then a short probe), which is branch-free numpy and several times faster than
  ``np.searchsorted`` on unsorted queries. The nearest right sum of a query is its predecessor or its
  successor, so the minimum over all pairs is the true minimum over all ``2^n`` subsets (up to the
  rounding of the float sums, a few ulps).
* :func:`solve_batch` (:mod:`.batch`): row r of ``values_2d`` against ``targets[r]`` (n <= 26, optional
  per-row candidate counts), the strong-ticket construction's workhorse. Engines: ``"reference"`` (the
  sorted solver, many rows per numpy call) and ``"numba"`` (:mod:`._compiled`, the optional extra
  ``fast``: per row a certified hash join in compiled code, falling back to a linear-time bucket sort);
  ``"auto"`` picks numba where installed.
* :func:`solve_milp`: ``scipy.optimize.milp`` (HiGHS) cross-check; :func:`solve_brute_force`: all subsets.
* :func:`solve_fixed_size`: the best subset of exactly ``s`` elements (Natale et al. 2024), meet in the
  middle grouped by subset size; :func:`solve_fixed_size_brute_force` is its oracle.

Lueker experiment
-----------------
:func:`worst_error` is ``sup_{z in [-1, 1]} min_S |z - sum_S|``, exact from the sorted subset sums;
:func:`lueker_success_rate` estimates ``P(worst_error <= eps)`` with a binomial confidence interval and
:func:`fit_lueker_constant` fits ``n = C log2(1/eps)``.
"""

from .batch import ENGINES, MAX_BATCH_N, NUMBA_AVAILABLE, resolve_engine, solve_batch
from .calibration import calibrated_sizes, group_failure
from .lemma import LEMMA_ALPHA, fixed_target_errors, fixed_target_failure, required_candidates
from .lueker import (
    DISTRIBUTIONS,
    MAX_LUEKER_N,
    LuekerFit,
    fit_lueker_constant,
    lueker_success_rate,
    lueker_trial,
    lueker_worst_errors,
    sample_values,
    subset_sums,
    worst_error,
)
from .solvers import (
    MAX_BRUTE_FORCE_N,
    MAX_EXACT_N,
    SubsetSumResult,
    solve,
    solve_brute_force,
    solve_fixed_size,
    solve_fixed_size_brute_force,
    solve_milp,
)

__all__ = [
    "DISTRIBUTIONS",
    "LEMMA_ALPHA",
    "ENGINES",
    "MAX_BATCH_N",
    "MAX_BRUTE_FORCE_N",
    "MAX_EXACT_N",
    "MAX_LUEKER_N",
    "NUMBA_AVAILABLE",
    "LuekerFit",
    "SubsetSumResult",
    "calibrated_sizes",
    "fixed_target_errors",
    "fixed_target_failure",
    "group_failure",
    "fit_lueker_constant",
    "lueker_success_rate",
    "lueker_trial",
    "lueker_worst_errors",
    "required_candidates",
    "resolve_engine",
    "sample_values",
    "solve",
    "solve_batch",
    "solve_brute_force",
    "solve_fixed_size",
    "solve_fixed_size_brute_force",
    "solve_milp",
    "subset_sums",
    "worst_error",
]
