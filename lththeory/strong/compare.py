"""The two strong-ticket constructions side by side on the same targets (docs/theory.md §5.7):
the depth L+1 construction (univariate first layer, copies) and Pensia et al.'s depth 2L one.

At every block size k and density p, trial t of both constructions draws its source from the same
child seed, with the same density in every source layer (p_1 = 1 with ``dense_first_layer``), so
both see ER masks of the same law (their layers differ: depth L+1 against 2L). Per construction:
source depth and size, kept weights, certified and sampled error and the success rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validate import check_choice, check_positive_int, check_positive_real, check_sparsity
from ..network import ReLUNetwork, check_network
from ..stats import (
    child_generator,
    child_seedseq,
    float_key,
    point_seedseq,
    proportion,
    trial_quantiles,
)
from .certificates import OBJECTIVES
from .source import sample_source
from .spec import strong_construction

__all__ = ["compare_constructions"]


def compare_constructions(
    target: ReLUNetwork,
    widths: Sequence[int],
    densities: Sequence[float],
    eps: float,
    *,
    trials: int = 20,
    seed: int = 0,
    objective: str = "min-error",
    constructions: Sequence[str] = ("univariate", "pensia"),
    dense_first_layer: bool = False,
    n_points: int = 512,
    jobs: int = 1,
) -> list[dict]:
    """One row per (construction, block size k, density p), in that nested order.

    Row: ``construction``, ``depth`` (source weight layers), ``width`` (k), ``density`` (p),
    ``trials``, ``successes``, ``rate``, ``ci_low``, ``ci_high`` (Clopper-Pearson), ``source_neurons``
    (hidden neurons of the source), ``source_weights`` (its potential weights), ``expected_nnz``,
    ``ticket_weights`` (median kept weights), ``certified_error`` with ``_q10`` / ``_q90`` and
    ``sampled_error`` (medians over trials; empirical quantiles). Trial t at (k, p) draws its source
    from child t of ``point_seedseq(seed, k, float_key(p))`` and its error points from child
    (t, 2^31), for both constructions.
    """
    t = check_network(target)
    eps = check_positive_real(eps, "eps")
    trials = check_positive_int(trials, "trials")
    seed = check_positive_int(seed, "seed", minimum=0)
    ks = [check_positive_int(k, "widths") for k in widths]
    ps = [1.0 - check_sparsity(1.0 - float(p), "densities") for p in densities]
    check_choice(objective, "objective", OBJECTIVES)
    specs = [strong_construction(c, "constructions") for c in constructions]
    rows = []
    for spec in specs:
        D = spec.depth(t.depth)
        for k in ks:
            for p in ps:
                dens = [1.0 if dense_first_layer else p] + [p] * (D - 1)
                ss = point_seedseq(seed, k, float_key(p))
                ok = np.zeros(trials, bool)
                cert, samp, size = np.empty(trials), np.empty(trials), np.empty(trials)
                src = None
                for tr in range(trials):
                    src = sample_source(
                        t, k, dens, seed=child_seedseq(ss, tr), construction=spec.name
                    )
                    res = spec.construct(
                        t,
                        src,
                        eps,
                        n_points=n_points,
                        n_local=2,
                        seed=child_generator(ss, tr, 2**31),
                        objective=objective,
                        jobs=jobs,
                    )
                    ok[tr], cert[tr] = res.success, res.certified_error
                    samp[tr], size[tr] = res.measured_error, res.size
                prop = proportion(int(ok.sum()), trials)
                c50, c10, c90 = trial_quantiles(cert)
                rows.append(
                    {
                        "construction": spec.name,
                        "depth": D,
                        "width": k,
                        "density": p,
                        "trials": trials,
                        "successes": prop.successes,
                        "rate": prop.rate,
                        "ci_low": prop.ci_low,
                        "ci_high": prop.ci_high,
                        "source_neurons": int(sum(src.widths[1:-1])),
                        "source_weights": int(src.num_weights()),
                        "expected_nnz": float(src.expected_nnz()),
                        "ticket_weights": float(np.median(size)),
                        "certified_error": c50,
                        "certified_error_q10": c10,
                        "certified_error_q90": c90,
                        "sampled_error": trial_quantiles(samp)[0],
                    }
                )
    return rows
