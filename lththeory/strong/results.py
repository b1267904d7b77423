"""What a strong-ticket construction returns: the ticket, failures, error estimates and the verdict
(docs/theory.md §5.4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..network import ReLUNetwork
from .budget import ErrorBudget
from .source import StrongSource

__all__ = ["ErrorEstimate", "StrongConstruction", "StrongTicket", "WeightFailure"]


@dataclass(frozen=True)
class WeightFailure:
    """A target weight (or bias) whose subset sum missed its precision, or the dominant term of an
    output whose certificate exceeds eps.

    ``layer``: target layer l; ``neuron``: target neuron i; ``input``: j (-1: the bias); ``sign``:
    +1 / -1 for the phi(x_j) / phi(-x_j) halves of a layer-1 weight, 0 otherwise; ``source_neuron``: the
    global index of the copy in its source layer; ``candidates``: how many candidates it had.
    """

    layer: int
    neuron: int
    input: int
    sign: int
    source_neuron: int
    target_value: float
    best_error: float
    eps_prime: float
    candidates: int
    note: str = ""

    def describe(self) -> str:
        if self.input < 0:
            what = f"bias b_{self.layer}[{self.neuron}]"
        else:
            half = {1: " (phi(x) half)", -1: " (phi(-x) half)"}.get(self.sign, "")
            what = f"weight W_{self.layer}[{self.neuron}, {self.input}]{half}"
        s = (
            f"{what} = {self.target_value:.4g} in source neuron {self.source_neuron}: best subset-sum "
            f"error {self.best_error:.3g} > eps' = {self.eps_prime:.3g} over {self.candidates} candidates"
        )
        return s + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True, eq=False)
class StrongTicket:
    """A strong ticket: the source's own weights and biases on a sub-mask of the ER masks.

    ``masks[l-1]``, ``weights[l-1]`` (CSR, source coordinates, l = 1..D): kept edges and their *source*
    values; ``biases[l-1]``: the source bias where kept, 0 where deleted; ``kept[l]``: kept neurons of
    neuron layer l (0..D). ``network`` is the same function restricted to the kept neurons.
    """

    masks: tuple[sp.csr_array, ...]
    weights: tuple[sp.csr_array, ...]
    biases: tuple[np.ndarray, ...]
    kept: tuple[np.ndarray, ...]
    network: ReLUNetwork
    num_source_weights: int

    @property
    def size(self) -> int:
        """Number of weights kept."""
        return int(sum(m.nnz for m in self.masks))

    @property
    def num_biases(self) -> int:
        """Number of nonzero biases kept."""
        return int(sum(np.count_nonzero(b) for b in self.biases))

    @property
    def density(self) -> float:
        """size / (weights of the dense source)."""
        return self.size / self.num_source_weights

    def full_network(self) -> ReLUNetwork:
        """The pruned source in source coordinates (sparse weights; equals ``network``)."""
        return ReLUNetwork(self.weights, self.biases, self.network.box)


@dataclass(frozen=True)
class ErrorEstimate:
    """Estimate of sup_{x in box} max_o |f_P(x)_o - f_T(x)_o| (a lower bound of the true sup).

    The maximum over ``n_random`` uniform points, ``n_corners`` box corners (all 2^d, or 1024 random
    ones) and ``n_local`` local maximisations (L-BFGS-B inside the box on |f_P - f_T|_o with exact
    gradients of the piecewise-linear difference, started from the worst points).
    """

    max_error: float
    argmax: np.ndarray
    output: int
    random_max: float
    corner_max: float
    local_max: float
    n_random: int
    n_corners: int
    n_local: int


@dataclass(frozen=True, eq=False)
class StrongConstruction:
    """Outcome of a strong-ticket construction on one source (docs/theory.md §5.4).

    ``success``: the certificate (the error recursion evaluated with the actual subset-sum errors and
    amplifications: a rigorous bound on sup |f_P - f_T| over the whole box) is <= eps for every output
    (Pensia: every target neuron within its layer's budget) AND the estimated error is <= eps.
    ``ticket`` is always built (best effort when unsuccessful: hidden copies over their budget are never
    used, outputs use their best subsets). ``valid_counts[l-1]``: valid copies per target neuron of
    hidden layer l (depth L+1) or validity of each target neuron (Pensia). ``failures``: the weight with
    the largest term in the worst failing certificate, then the first weights that missed eps';
    ``message`` says what failed. ``subset_sums``: how many subset-sum problems were solved.
    """

    success: bool
    eps: float
    budget: ErrorBudget
    certified_error: float
    error: ErrorEstimate | None
    ticket: StrongTicket
    valid_counts: tuple[np.ndarray, ...]
    failures: tuple[WeightFailure, ...]
    message: str
    source: StrongSource
    subset_sums: int = 0

    @property
    def size(self) -> int:
        return self.ticket.size

    @property
    def density(self) -> float:
        return self.ticket.density

    @property
    def measured_error(self) -> float:
        return float("nan") if self.error is None else self.error.max_error
