"""Registries: every construction and every experiment is registered once by name.

A new construction or experiment is a new module plus one ``register`` call; code that chooses
between them looks the name up here instead of branching (see CONTRIBUTING.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ._validate import LTHInputError

__all__ = ["CONSTRUCTIONS", "EXPERIMENTS", "TRAINING_METHODS", "Construction", "Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> object map that refuses a second registration of the same name.

    ``get(name, param)`` raises :class:`LTHInputError` with one line naming ``param`` and the
    registered names (the message a command-line flag shows).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, obj: T) -> T:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = obj
        return obj

    def decorator(self, name: str) -> Callable[[T], T]:
        """``@REGISTRY.decorator("name")`` registers the decorated object under ``name``."""
        return lambda obj: self.register(name, obj)

    def get(self, name: object, param: str | None = None) -> T:
        if not isinstance(name, str) or name not in self._items:
            allowed = ", ".join(repr(n) for n in self._items)
            raise LTHInputError(f"{param or self.kind} must be one of {allowed}, got {name!r}")
        return self._items[name]

    def names(self, where: Callable[[T], bool] | None = None) -> tuple[str, ...]:
        return tuple(n for n, v in self._items.items() if where is None or where(v))

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class Construction:
    """A ticket construction: how to draw its source and how to build the ticket inside it.

    ``family``: ``"weak"`` (weights chosen freely, docs/theory.md §3) or ``"strong"`` (the source's
    own weights, docs/theory.md §5); ``depth(L)``: the number of source weight layers for a target
    of depth L; ``sample_source`` and ``construct``: the family's functions (their signatures are
    documented in the family's package). Families may subclass this with more hooks.
    """

    name: str
    family: str
    description: str
    depth: Callable[[int], int]
    sample_source: Callable[..., Any]
    construct: Callable[..., Any]


#: constructions of tickets, by name ("weak", "univariate", "pensia", ...); each entry has a
#: ``family`` ("weak" or "strong") and the functions of its construction (see lththeory.weak,
#: lththeory.strong.constructions)
CONSTRUCTIONS: Registry = Registry("construction")

#: sweep experiments, by the name ``--experiment`` takes (see lththeory.experiments)
EXPERIMENTS: Registry = Registry("--experiment")

#: training methods of claim 4, by the name ``--method`` takes ("static", "imp", ...); entries are
#: :class:`lththeory.training.methods.MethodEntry` (torch is imported only when one is loaded)
TRAINING_METHODS: Registry = Registry("--method")
