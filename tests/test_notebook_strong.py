"""notebooks/02_strong_tickets.ipynb runs headless (nbclient, kernel "python3") on a tiny grid and
writes its three figures; the kernel needs an ipykernel kernelspec
(``python -m ipykernel install --sys-prefix``)."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_strong_tickets.ipynb"


def test_notebook_runs_and_writes_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("LTH_NOTEBOOK_QUICK", "1")
    monkeypatch.setenv("LTH_FIGURES_DIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},  # cwd: notebooks/
    )
    client.execute()
    for name in ("strong_phase.png", "strong_error.png", "lueker.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    text = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "quick grid" in text
    assert "strong ticket found" in text
    assert "mask inside the ER mask: True; weights are the source's own: True" in text
    assert "fitted constant (uniform): C =" in text
