"""EXPLORATION, not a theorem: one-hidden-layer targets inside sources with TWO hidden layers
(docs/theory.md §4.4, §6).

What is proven and what is only measured:

* Proven (our formulation, docs/theory.md §3): Theorem W's block construction with common copy
  multiplier k (layer 1: d univariate blocks of k neurons, layer 2: n blocks of k copies, then the
  output) contains a weak ticket with probability >= 1 - delta once k reaches
  :func:`lththeory.weak.theorem_w_common_width`, a width of order rho(p)/p_1 up to logarithms.
  The construction's success probability is a lower bound on P(ticket exists), so the construction's
  threshold k* is an upper bound on the true smallest working width.
* Measured only: how the construction's threshold k* (success rate 1/2, from the exact count chain
  :func:`lththeory.weak.simulate_counts`) scales with rho(p); the fitted exponent is an empirical
  statement about this construction, not about every ticket.
* Open: any lower bound for two hidden layers. The matching argument of Theorem LB needs the
  target's kinks to sit on the source's first-layer hyperplanes; a second hidden layer creates new
  kinks, so the characterisation, the closed form and the 1/p_2 necessity do not carry over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._validate import LTHInputError, check_positive_int, check_probability_open, check_sparsity
from ..masks import rho
from ..network import ReLUNetwork
from ..stats import (
    PowerFit,
    Proportion,
    crossing,
    experiment_seedseq,
    fit_power_law,
    float_key,
    proportion,
)
from ..weak import simulate_counts, theorem_w_common_width
from .targets import OneHiddenTarget, check_one_hidden_target

__all__ = [
    "TwoHiddenThreshold",
    "TwoHiddenScaling",
    "construction_rate",
    "smallest_working_width",
    "two_hidden_scaling",
]


@dataclass(frozen=True)
class TwoHiddenThreshold:
    """The construction's threshold at one density (MEASURED, exploration).

    ``k_star``: smallest common k where the construction's success rate reaches ``level``
    (log-interpolated between grid points); ``k_low``/``k_high``: where the 95 % CI bounds cross the
    level. Hidden widths are d k (layer 1) and n k (layer 2). ``theorem_k``: Theorem W's proven
    sufficient common k for failure <= 1 - level.
    """

    sparsity: float
    densities: tuple[float, float, float]
    rho: float
    k_star: float
    k_low: float
    k_high: float
    theorem_k: int
    ks: tuple[int, ...]
    rates: tuple[Proportion, ...]


@dataclass(frozen=True)
class TwoHiddenScaling:
    """Thresholds over several sparsities and the MEASURED power law k* = c rho(p)^b."""

    points: tuple[TwoHiddenThreshold, ...]
    fit_vs_rho: PowerFit | None
    fit_theorem_vs_rho: PowerFit | None
    level: float

    def summary(self) -> str:
        """One paragraph, stating which part is proven and which is measured."""
        f = self.fit_vs_rho
        meas = (
            f"b = {f.slope:.2f} [{f.slope_low:.2f}, {f.slope_high:.2f}] (95%, {f.n} densities)"
            if f is not None
            else "no fit (fewer than 3 densities)"
        )
        g = self.fit_theorem_vs_rho
        theo = f"b = {g.slope:.2f}" if g is not None else "no fit"
        return (
            "EXPLORATION (two hidden layers; measured, not proven): the smallest common k at which "
            f"Theorem W's construction succeeds with rate {self.level:g} scales as k* ~ c rho(p)^b with "
            f"{meas}; Theorem W's proven sufficient k gives {theo} over the same densities. "
            "The construction's k* only bounds the true smallest width from above; no lower bound is "
            "proven for two hidden layers."
        )


def _target_network(target: ReLUNetwork | OneHiddenTarget) -> ReLUNetwork:
    return check_one_hidden_target(target).network


def _densities(sparsity: float, dense_first_layer: bool) -> tuple[float, float, float]:
    p = 1.0 - check_sparsity(sparsity, "sparsity")
    return (1.0 if dense_first_layer else p, p, p)


def construction_rate(
    target: ReLUNetwork | OneHiddenTarget,
    k: int,
    densities: Sequence[float],
    ss: np.random.SeedSequence,
    trials: int,
) -> Proportion:
    """MEASURED: success rate of Theorem W's construction in a two-hidden-layer source with common
    copy multiplier k and densities (p_1, p_2, p_3), from the exact count chain."""
    net = _target_network(target)
    ok = simulate_counts(net, check_positive_int(k, "k"), list(densities), ss, trials)
    return proportion(int(ok.sum()), int(ok.size))


def smallest_working_width(
    target: ReLUNetwork | OneHiddenTarget,
    sparsity: float,
    seed: int = 0,
    trials: int = 400,
    level: float = 0.5,
    dense_first_layer: bool = False,
    k_max: int = 2**20,
) -> TwoHiddenThreshold:
    """MEASURED: scan k over a geometric grid (ratio 2^(1/4)) until the 95 % CI's lower end passes
    ``level``; k* is where the rate crosses ``level`` (log-interpolated)."""
    net = _target_network(target)
    level = check_probability_open(level, "level")
    trials = check_positive_int(trials, "trials")
    seed = check_positive_int(seed, "seed", minimum=0)
    k_max = check_positive_int(k_max, "k_max")
    dens = _densities(sparsity, dense_first_layer)
    ks: list[int] = []
    rates: list[Proportion] = []
    e = 0
    while True:
        k = int(np.ceil(2 ** (e / 4) - 1e-9))
        e += 1
        if ks and k == ks[-1]:
            continue
        if k > k_max:
            break
        ss = experiment_seedseq(seed, "two-hidden", k, float_key(sparsity), int(dense_first_layer))
        pr = construction_rate(net, k, dens, ss, trials)
        ks.append(k)
        rates.append(pr)
        if pr.ci_low >= level:
            break
    if not rates or rates[-1].ci_low < level:
        raise LTHInputError(
            f"k_max = {k_max} is too small: the construction does not reach rate {level:g} "
            f"at sparsity {sparsity:g}"
        )
    x = np.array(ks, float)
    return TwoHiddenThreshold(
        sparsity=float(sparsity),
        densities=dens,
        rho=float(rho(dens[1])),
        k_star=crossing(x, np.array([r.rate for r in rates]), level),
        k_low=crossing(x, np.array([r.ci_high for r in rates]), level),
        k_high=crossing(x, np.array([r.ci_low for r in rates]), level),
        theorem_k=theorem_w_common_width(net, list(dens), 1.0 - level),
        ks=tuple(ks),
        rates=tuple(rates),
    )


def two_hidden_scaling(
    target: ReLUNetwork | OneHiddenTarget,
    sparsities: Sequence[float] = (0.5, 0.7, 0.8, 0.9, 0.95),
    seed: int = 0,
    trials: int = 400,
    level: float = 0.5,
    dense_first_layer: bool = False,
) -> TwoHiddenScaling:
    """MEASURED: the construction's threshold k* at each sparsity and the fit k* = c rho(p)^b
    (p the density of layers 2 and 3; also of layer 1 unless ``dense_first_layer``)."""
    if len(sparsities) == 0:
        raise LTHInputError("sparsities must list at least one sparsity, got none")
    pts = tuple(
        smallest_working_width(target, s, seed, trials, level, dense_first_layer)
        for s in sparsities
    )
    r = np.array([p.rho for p in pts])
    return TwoHiddenScaling(
        points=pts,
        fit_vs_rho=fit_power_law(r, np.array([p.k_star for p in pts])),
        fit_theorem_vs_rho=fit_power_law(r, np.array([p.theorem_k for p in pts], float)),
        level=level,
    )
