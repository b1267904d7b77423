"""``static``: train a fixed mask (docs/theory.md §7.3). Inside an ER mask the mask is the ER mask
at the target density (sparse-to-sparse training at its plainest); from dense it is the dense
network, the baseline every other variant is compared with."""

from __future__ import annotations

from .common import Outcome, Setup, finish, fresh_copy, train_masked

__all__ = ["run"]


def run(setup: Setup) -> list[Outcome]:
    """One outcome per target: the base mask trained for the whole schedule."""
    out = []
    for t in setup.targets:
        model = fresh_copy(setup)
        cost = train_masked(setup, model, setup.base)
        out.append(finish(setup, model, t, cost))
    return out
