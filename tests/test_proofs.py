"""The sympy scripts behind proofs/*.md (our formulations) pass, in-process and as scripts."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

PROOFS = Path(__file__).resolve().parents[1] / "proofs"

# script -> (the note it checks, the check labels every run must cover)
SCRIPTS = {
    "check_weak_tickets.py": ("weak_tickets.md", ["(a", "(b", "(c", "(d", "(e", "(f", "(g"]),
    "check_strong_tickets.py": ("strong_tickets.md", ["(a", "(b", "(c", "(d", "(e", "(f"]),
    "check_lower_bound.py": ("lower_bound.md", ["(a", "(b", "(c", "(d"]),
    "check_conv_tickets.py": ("conv_tickets.md", ["(a", "(b", "(c", "(d"]),
}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), PROOFS / name)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=sorted(SCRIPTS))
def script(request) -> tuple[str, list[str]]:
    return request.param, _load(request.param).run_checks()


def test_every_check_passes_and_every_part_is_covered(script):
    name, lines = script
    assert lines, f"{name}: run_checks() returned no checks"
    failed = [line for line in lines if not line.startswith("ok")]
    assert not failed, "\n".join(failed)
    for label in SCRIPTS[name][1]:
        assert any(line.split(maxsplit=1)[1].startswith(label) for line in lines), label


def test_labels_are_cited_in_the_note(script):
    name, lines = script
    note = (PROOFS / SCRIPTS[name][0]).read_text()
    for line in lines:
        label = line.split(maxsplit=1)[1].split()[0]  # e.g. "(a3)"
        part = f"({label[1]})"
        assert label.strip("()") in note or part in note, f"{name}: {label}"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_runs_standalone(name):
    proc = subprocess.run(
        [sys.executable, str(PROOFS / name)], capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all checks passed" in proc.stdout
