"""The paper's three comparisons, measured side by side in one run (docs/theory.md §7.4):

(a) each pruning method from the dense network vs the same method inside an ER mask (one per scheme
    of ``a_schemes``) at a few target densities;
(b) static training of ER masks of every scheme at densities down to 1 %;
(c) edge-popup strong tickets inside ER masks vs from the dense network.

Every variant runs ``seeds`` times; trial t of every variant draws from child t of the run's
``"train-compare"`` sequence (so all variants share inits and, per scheme and density, ER masks),
and the split from the run's ``"train-data"`` sequence. Jobs (one variant, one trial, all of its
densities: IMP shares one trajectory) run on ``jobs`` worker processes, one torch thread each; the
rows do not depend on ``jobs``.
"""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from .._validate import check_positive_int
from ..densities import SCHEMES
from ..stats import experiment_seedseq
from .data import load_dataset
from .loop import TrainConfig
from .methods.common import MethodOptions
from .run import (
    ModelSpec,
    TrialResult,
    Variant,
    accuracy_interval,
    dataset_task,
    run_trial,
    summarise,
)

__all__ = ["ComparisonPlan", "Job", "estimated_epochs", "plan_jobs", "run_comparisons"]


@dataclass(frozen=True)
class ComparisonPlan:
    """What the three comparisons train (see the module docstring)."""

    dataset: str = "digits"
    model: ModelSpec = ModelSpec("mlp", (100, 100))
    cfg: TrainConfig = TrainConfig(epochs=20, batch_size=64, lr=0.01)
    options: MethodOptions = MethodOptions()
    seeds: int = 3
    seed: int = 0
    a_methods: tuple[str, ...] = ("imp", "snip", "synflow")
    # balanced (the paper's proposal) and ERK, the scheme the scheme-width experiment ranks first on
    # LeNet-300-100, a deep MLP and a small VGG profile (README, docs/theory.md §3.9)
    a_schemes: tuple[str, ...] = ("balanced", "erk")
    a_densities: tuple[float, ...] = (0.1, 0.05, 0.02)
    er_density: float = 0.2
    b_schemes: tuple[str, ...] = SCHEMES
    b_densities: tuple[float, ...] = (0.2, 0.1, 0.05, 0.02, 0.01)
    c_densities: tuple[float, ...] = (0.1, 0.05, 0.02)
    mask: str = "bernoulli"
    data_dir: str | None = None
    max_train: int | None = None


@dataclass(frozen=True)
class Job:
    """One variant, one trial, its target densities; ``comparison`` is "dense", "a", "b" or "c"."""

    comparison: str
    variant: Variant
    densities: tuple[float, ...]
    trial: int


def plan_jobs(plan: ComparisonPlan) -> list[Job]:
    """Every job of the plan, in a fixed order (the dense baseline first)."""
    check_positive_int(plan.seeds, "seeds")
    mk = functools.partial(Variant, mask=plan.mask)
    variants: list[tuple[str, Variant, tuple[float, ...]]] = [
        ("dense", mk("static", "dense", "uniform"), (1.0,))
    ]
    for m in plan.a_methods:
        variants.append(("a", mk(m, "dense", "uniform"), plan.a_densities))
        for s in plan.a_schemes:
            variants.append(("a", mk(m, "er", s, plan.er_density), plan.a_densities))
    for s in plan.b_schemes:
        variants.append(("b", mk("static", "er", s), plan.b_densities))
    for s in plan.a_schemes:
        variants.append(("c", mk("edge-popup", "dense", s), plan.c_densities))
        variants.append(("c", mk("edge-popup", "er", s, plan.er_density), plan.c_densities))
    return [Job(c, v, d, t) for t in range(plan.seeds) for c, v, d in variants]


def estimated_epochs(plan: ComparisonPlan) -> float:
    """Epoch-equivalents of training the plan spends (one epoch = one pass over the training set at
    any density; IMP: the first training plus (epochs - rewind epoch) per round), for a run-time
    estimate from the measured time of one epoch."""
    from .methods.imp import imp_schedule

    E, rw = plan.cfg.epochs, plan.options.rewind_epoch
    total = 0.0
    for job in plan_jobs(plan):
        v = job.variant
        if v.method == "imp":
            start = 1.0 if v.start == "dense" else plan.er_density
            rounds = len(imp_schedule(start, job.densities, plan.options.imp_fraction))
            total += E + rounds * (E - rw)
        else:
            total += E * len(job.densities)
    return total


@functools.lru_cache(maxsize=1)
def _task(dataset: str, seed: int, data_dir: str | None, max_train: int | None):
    rng = np.random.default_rng(experiment_seedseq(seed, "train-data"))
    ds = load_dataset(dataset, rng, data_dir, max_train)
    return dataset_task(ds), ds.n_classes


def _run_job(plan: ComparisonPlan, job: Job) -> list[TrialResult]:
    task, n_classes = _task(plan.dataset, plan.seed, plan.data_dir, plan.max_train)
    ss = experiment_seedseq(plan.seed, "train-compare", job.trial)
    return run_trial(
        task, n_classes, job.variant, job.densities, plan.model, plan.cfg, plan.options, ss
    )


def run_comparisons(plan: ComparisonPlan, jobs: int = 1, progress=None) -> list[dict]:
    """One row per (comparison, variant, target density) with :func:`summarise`'s columns and the
    dense network's accuracy beside it; ``progress(done, total)`` is called after every job."""
    jobs = check_positive_int(jobs, "--jobs")
    todo = plan_jobs(plan)
    results: list[list[TrialResult]] = [None] * len(todo)  # type: ignore[list-item]
    if jobs == 1:
        for i, job in enumerate(todo):
            results[i] = _run_job(plan, job)
            if progress:
                progress(i + 1, len(todo))
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futs = [pool.submit(_run_job, plan, job) for job in todo]
            for i, f in enumerate(futs):
                results[i] = f.result()
                if progress:
                    progress(i + 1, len(todo))
    return _rows(todo, results)


def _rows(todo: Sequence[Job], results: Sequence[list[TrialResult]]) -> list[dict]:
    groups: dict[tuple, list[TrialResult]] = {}
    order: list[tuple] = []
    for job, rs in zip(todo, results, strict=True):
        for r in rs:
            v = r.variant
            key = (job.comparison, v.method, v.start, v.scheme if v.uses_scheme else "", r.target)
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(r)
    d_mean, d_low, d_high = accuracy_interval(
        [r.test for k in order if k[0] == "dense" for r in groups[k]]
    )
    rows = []
    for key in order:
        comp, method, start, scheme, target = key
        rows.append(
            {
                "comparison": comp,
                "method": method,
                "start": start,
                "scheme": scheme,
                "density": target,
                **summarise(groups[key]),
                "dense_accuracy": d_mean,
                "dense_ci_low": d_low,
                "dense_ci_high": d_high,
            }
        )
    return rows
