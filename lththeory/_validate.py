"""Input checks shared by every public function.

Each check raises :class:`LTHInputError` (a :class:`ValueError`) with one line that names the
parameter, the allowed range and the value received, e.g.
``density must be in (0, 1], got 1.5``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "MAX_INT",
    "MAX_SEED",
    "LTHInputError",
    "WidthLimitError",
    "check_box",
    "check_memory",
    "check_choice",
    "check_density",
    "check_finite_array",
    "check_positive_int",
    "check_positive_real",
    "check_probability_open",
    "check_seed",
    "check_seedseq",
    "check_sparsity",
    "check_widths",
    "as_generator",
    "as_list",
    "as_number",
    "format_bytes",
    "memory_limit",
]

MAX_SEED = 2**63 - 1
"""Largest run seed (seeds are stored as int64 in results.csv and as JSON integers)."""

MAX_INT = 2**62
"""Largest width, trial count or other integer size a check accepts unless it says otherwise (so
that products and numpy's int64 arithmetic cannot overflow silently)."""


class LTHInputError(ValueError):
    """Bad input to a public lththeory function (a one-line message naming the parameter)."""


class WidthLimitError(LTHInputError):
    """A search for a smallest width passed its limit (the densities are too small for the target):
    an outcome a sweep may record instead of failing, still a one-line message."""


def _fmt(value: object) -> str:
    return repr(value) if isinstance(value, str) else f"{value}"


def _as_real(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise LTHInputError(f"{name} must be a real number, got {value!r}")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise LTHInputError(f"{name} must be a real number, got {_fmt(value)}") from None
    if math.isnan(x):
        raise LTHInputError(f"{name} must be a real number, got nan")
    return x


def check_density(value: object, name: str = "density", allow_zero: bool = False) -> float:
    """A density (fraction of weights kept): in (0, 1], or [0, 1] when ``allow_zero``."""
    x = _as_real(name, value)
    lo_ok = x >= 0.0 if allow_zero else x > 0.0
    if not (lo_ok and x <= 1.0):
        rng = "[0, 1]" if allow_zero else "(0, 1]"
        raise LTHInputError(
            f"{name} (fraction of weights kept) must be in {rng}, got {_fmt(value)}"
        )
    return x


def check_sparsity(value: object, name: str = "sparsity") -> float:
    """A sparsity (fraction of weights removed): in [0, 1)."""
    x = _as_real(name, value)
    if not (0.0 <= x < 1.0):
        raise LTHInputError(
            f"{name} (fraction of weights removed) must be in [0, 1), got {_fmt(value)}"
        )
    return x


def check_probability_open(value: object, name: str = "delta") -> float:
    """A probability strictly inside (0, 1), e.g. a failure budget delta."""
    x = _as_real(name, value)
    if not (0.0 < x < 1.0):
        raise LTHInputError(f"{name} must be in (0, 1), got {_fmt(value)}")
    return x


def check_positive_real(value: object, name: str) -> float:
    """A finite real number > 0."""
    x = _as_real(name, value)
    if not (x > 0.0 and math.isfinite(x)):
        raise LTHInputError(f"{name} must be a finite number > 0, got {_fmt(value)}")
    return x


def _int_range(minimum: int, maximum: int | None) -> str:
    if maximum is None:
        return f">= {minimum}"
    return f">= {minimum} and <= {_pow2(maximum)}"


def _pow2(v: int) -> str:
    """``2^62`` for powers of two and ``2^63 - 1`` for their predecessors; the number otherwise."""
    if v >= 2**20 and (v & (v - 1)) == 0:
        return f"2^{v.bit_length() - 1}"
    if v >= 2**20 and ((v + 1) & v) == 0:
        return f"2^{v.bit_length()} - 1"
    return f"{v}"


def check_positive_int(
    value: object, name: str, minimum: int = 1, maximum: int | None = None
) -> int:
    """An integer >= ``minimum`` (and <= ``maximum`` when given). Floats with an integral value and
    strings of them are accepted ("1e3"); integer strings are read exactly (no float rounding)."""
    if isinstance(value, bool):
        raise LTHInputError(
            f"{name} must be an integer {_int_range(minimum, maximum)}, got {value!r}"
        )
    if isinstance(value, (int, np.integer)):
        iv = int(value)
    else:
        iv = None
        if isinstance(value, str):
            try:
                iv = int(value.strip())
            except ValueError:
                iv = None
        if iv is None:
            try:
                x = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise LTHInputError(
                    f"{name} must be an integer {_int_range(minimum, maximum)}, got {_fmt(value)}"
                ) from None
            if not (math.isfinite(x) and x == int(x)):
                raise LTHInputError(
                    f"{name} must be an integer {_int_range(minimum, maximum)}, got {_fmt(value)}"
                )
            iv = int(x)
    if iv < minimum:
        raise LTHInputError(
            f"{name} must be an integer {_int_range(minimum, maximum)}, got {_short(value)}"
        )
    if maximum is not None and iv > maximum:
        raise LTHInputError(
            f"{name} must be an integer {_int_range(minimum, maximum)}, got {_short(value)}"
        )
    return iv


def check_seed(value: object, name: str = "seed") -> int:
    """A run seed: an integer in [0, 2^63 - 1] (so ``--seed 1e300`` is refused, not a 301-digit
    seed)."""
    return check_positive_int(value, name, minimum=0, maximum=MAX_SEED)


def check_seedseq(ss: object, name: str = "ss") -> np.random.SeedSequence:
    """``ss`` itself when it is a :class:`numpy.random.SeedSequence`; one line naming ``name``
    otherwise."""
    if not isinstance(ss, np.random.SeedSequence):
        raise LTHInputError(
            f"{name} must be a numpy.random.SeedSequence (e.g. point_seedseq(seed)), "
            f"got {type(ss).__name__}"
        )
    return ss


def format_bytes(n: float) -> str:
    """``3.2 GiB``: a byte count in binary units (``1.7e+12 PiB`` beyond)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    return f"{n:.1f} PiB" if n < 1e4 else f"{n:.2g} PiB"


def memory_limit() -> int:
    """Bytes an allocation may need before a size guard refuses it: this machine's physical memory
    (``os.sysconf``), or ``LTHTHEORY_MEMORY_LIMIT`` (bytes) when set."""
    env = os.environ.get("LTHTHEORY_MEMORY_LIMIT")
    if env:
        try:
            return max(1, int(float(env)))
        except ValueError:
            pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 16 * 2**30


def check_memory(nbytes: float, name: str, what: str, limit: int | None = None) -> None:
    """Refuse, before allocating, a request whose estimated memory ``nbytes`` exceeds ``limit``
    (default :func:`memory_limit`): one line naming ``name``, what would be held and both sizes."""
    lim = memory_limit() if limit is None else limit
    if not (nbytes <= lim):
        raise LTHInputError(
            f"{name}: {what} would need about {format_bytes(nbytes)} of memory, more than the "
            f"{format_bytes(lim)} limit (this machine's memory; LTHTHEORY_MEMORY_LIMIT overrides)"
        )


def as_list(value: object, name: str, what: str) -> list:
    """``list(value)`` for a sequence that is not a string; one line naming ``name`` otherwise."""
    if isinstance(value, (str, bytes)):
        raise LTHInputError(f"{name} must be a sequence of {what}, got {value!r}")
    try:
        return list(value)  # type: ignore[call-overload]
    except TypeError:
        raise LTHInputError(f"{name} must be a sequence of {what}, got {value!r}") from None


def check_widths(
    widths: Iterable[object], name: str = "widths", min_len: int = 2
) -> tuple[int, ...]:
    """Layer widths (input first): at least ``min_len`` positive integers."""
    items = as_list(widths, name, "positive integers")
    if len(items) < min_len:
        raise LTHInputError(
            f"{name} must list at least {min_len} layer widths (input first), got {len(items)}"
        )
    return tuple(check_positive_int(w, f"{name}[{i}]") for i, w in enumerate(items))


def check_finite_array(arr: object, name: str, ndim: int | None = None) -> np.ndarray:
    """A float64 array with no NaN or inf (and the given number of dimensions)."""
    try:
        a = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise LTHInputError(f"{name} must be an array of real numbers") from None
    if ndim is not None and a.ndim != ndim:
        raise LTHInputError(f"{name} must be a {ndim}-D array, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise LTHInputError(f"{name} must contain only finite numbers (found NaN or inf)")
    return a


def check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    """One of a fixed set of strings."""
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise LTHInputError(f"{name} must be one of {allowed}, got {_fmt(value)}")
    return value


def check_box(box: object, name: str = "box") -> tuple[float, float]:
    """An input box [a, b]: a pair of finite numbers with a < b."""
    try:
        a, b = (float(v) for v in box)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise LTHInputError(f"{name} must be a pair (a, b) with a < b, got {box!r}") from None
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise LTHInputError(
            f"{name} must be a pair (a, b) of finite numbers with a < b, got {box!r}"
        )
    return a, b


def as_number(text: object) -> object:
    """``float(text)`` when it parses (so an error message shows the number), else ``text``."""
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return text


def as_generator(rng: object, name: str = "rng") -> np.random.Generator:
    """A numpy Generator from a Generator (returned as is), a SeedSequence, a non-negative integer
    seed or None (fresh entropy); anything else is refused with one line naming ``name``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if (
        isinstance(rng, (int, np.integer))
        and not isinstance(rng, (bool, np.bool_))
        and 0 <= rng <= MAX_SEED
    ):
        return np.random.default_rng(int(rng))
    raise LTHInputError(
        f"{name} must be a numpy Generator, a SeedSequence, an integer seed in [0, 2^63 - 1] or "
        f"None, got {_short(rng)}"
    )


def _short(value: object, limit: int = 60) -> str:
    """The value as an error message shows it, cut to ``limit`` characters (a 301-digit seed stays
    one short line)."""
    r = _fmt(value)
    return r if len(r) <= limit else r[: limit - 3] + "..."
