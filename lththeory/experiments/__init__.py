"""Sweep experiments, one module per experiment, each registering an instance of its
:class:`~lththeory.experiments.base.Experiment` in ``lththeory.registry.EXPERIMENTS``:

* ``weak`` (:mod:`.weak`): Theorem W's construction against its bound (docs/theory.md §3.5);
* ``strong`` (:mod:`.strong`): certified strong tickets against Theorem S (§5.6);
* ``lower-bound`` (:mod:`.lower_bound`): the exact one-hidden-layer decision against Theorem LB (§4.5);
* ``subset-sum`` (:mod:`.subset_sum`): the Lueker experiment (§5.1);
* ``scheme-width`` (:mod:`.scheme_width`): the required width per layer-wise density scheme (§3.9).
* ``train`` (:mod:`.train`): training inside fixed ER masks against density and scheme (§7);
* ``planted`` (:mod:`.planted`): training a masked student on a teacher, beside the count chain (§7.5).

A new experiment is a new module here plus its import below (CONTRIBUTING.md).
"""

from ..registry import EXPERIMENTS
from . import lower_bound, planted, scheme_width, strong, subset_sum, train, weak  # noqa: F401  (registration)

__all__ = ["EXPERIMENTS"]
