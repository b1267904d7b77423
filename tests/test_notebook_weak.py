"""Execute notebooks/01_weak_tickets.ipynb headless on its quick grid (figures go to a temp folder)."""

import os
from pathlib import Path

import nbclient
import nbformat

NB = Path(__file__).resolve().parents[1] / "notebooks" / "01_weak_tickets.ipynb"


def test_weak_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("LTH_QUICK", "1")
    monkeypatch.setenv("LTH_FIGURES", str(tmp_path))
    nb = nbformat.read(NB, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NB.parent)}}
    )
    client.execute()
    assert (tmp_path / "weak_phase.png").stat().st_size > 10_000
    text = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "success: True" in text and "dense first layer: fit" in text
    assert os.environ["LTH_QUICK"] == "1"
