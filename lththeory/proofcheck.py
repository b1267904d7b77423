"""Runner shared by the sympy scripts in proofs/ (their checks of docs/theory.md and proofs/*.md):
each check returns a one-line description or raises."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def run_checks(checks: Sequence[Callable[[], str]]) -> list[str]:
    """Run every check; return one line per check, starting with "ok" or "FAIL"."""
    lines = []
    for check in checks:
        try:
            lines.append("ok    " + check())
        except Exception as exc:  # report and continue with the other checks
            lines.append(f"FAIL  {check.__name__}: {type(exc).__name__}: {exc!r}")
    return lines


def main(checks: Sequence[Callable[[], str]]) -> int:
    """Print every check's line; exit status 0 when all passed, 1 otherwise."""
    lines = run_checks(checks)
    for line in lines:
        print(line)
    if all(line.startswith("ok") for line in lines):
        print("all checks passed")
        return 0
    print(f"{sum(not line.startswith('ok') for line in lines)} check(s) FAILED")
    return 1
