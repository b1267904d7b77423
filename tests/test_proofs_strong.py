"""The symbolic checks behind proofs/strong_tickets.md (Theorem S, our formulation) pass."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "proofs" / "check_strong_tickets.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("check_strong_tickets", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def check_lines() -> list[str]:
    return _load_script().run_checks()


def test_every_check_passes(check_lines):
    assert check_lines, "run_checks() returned no checks"
    failed = [line for line in check_lines if not line.startswith("ok")]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("label", ["(a", "(b", "(c", "(d", "(e", "(f"])
def test_each_part_is_covered(check_lines, label):
    assert any(line.split(maxsplit=1)[1].startswith(label) for line in check_lines), label


def test_labels_are_cited_in_the_note(check_lines):
    note = (SCRIPT.parent / "strong_tickets.md").read_text()
    for line in check_lines:
        label = line.split(maxsplit=1)[1].split()[0]
        assert label.strip("()") in note, label


def test_script_runs_standalone():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all checks passed" in proc.stdout
