"""Integer search for the smallest argument where a monotone predicate holds.

Every "smallest width" of the theory (a binomial tail crossing a level, a union bound dropping
below delta) is the first integer at which a predicate that is false below and true above becomes
true; :func:`smallest_true` finds it with O(log answer) evaluations.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["smallest_true"]


def smallest_true(pred: Callable[[int], bool], lo: int, hi: int | None = None) -> int:
    """Smallest integer k > ``lo`` with ``pred(k)``, for a predicate monotone on (lo, inf).

    ``pred(lo)`` is taken to be false (it is not evaluated). ``hi``, when given, is a first guess of
    an integer where ``pred`` holds; otherwise the search doubles from ``max(2 lo, lo + 1)``.
    Exponential search to an upper end, then bisection.
    """
    if hi is None or hi <= lo:
        hi = max(2 * lo, lo + 1)
    while not pred(hi):
        lo, hi = hi, max(2 * hi, hi + 1)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid
    return hi
