"""Every notebook runs headless (nbclient, kernel "python3") on its quick grid and writes its figures
into a temporary folder (``LTH_NOTEBOOK_QUICK=1``, ``LTH_FIGURES_DIR``)."""

from __future__ import annotations

from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

CASES = {
    "01_weak_tickets.ipynb": (
        ["weak_phase.png", "weak_fan_in.png"],
        ["success: True", "dense first layer: fit", "W' ", "s = 8: slope"],
    ),
    "02_strong_tickets.ipynb": (
        [
            "strong_phase.png",
            "strong_error.png",
            "strong_error_curves.png",
            "strong_comparison.png",
            "lueker.png",
        ],
        [
            "quick grid",
            "strong ticket found",
            "mask inside the ER mask: True; weights are the source's own: True",
            "fitted constant (uniform): C =",
            "Error decay at sparsity 0.5",
            "| pensia | 4 | 0.5 | 128 |",
        ],
    ),
    "03_lower_bound.ipynb": (
        ["lower_bound_phase.png", "lower_bound_threshold.png"],
        ["quick grid", "EXPLORATION"],
    ),
    "04_density_schemes.ipynb": (
        ["scheme_width_lenet.png"],
        [
            "quick grid",
            "global density (balanced, exact)",
            "Fewest expected source weights",
            "D = 0.3:",
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_notebook_runs_and_writes_figures(name, tmp_path, monkeypatch):
    figures, phrases = CASES[name]
    monkeypatch.setenv("LTH_NOTEBOOK_QUICK", "1")
    monkeypatch.setenv("LTH_FIGURES_DIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    for fig in figures:
        assert (tmp_path / fig).stat().st_size > 10_000, fig
    text = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    for phrase in phrases:
        assert phrase in text, phrase
