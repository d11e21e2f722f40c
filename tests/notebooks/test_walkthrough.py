"""The data scientists' walkthrough notebook runs top to bottom and is committed without outputs."""

from __future__ import annotations

import json
import sys

import pytest
from tests.helpers import ROOT

NOTEBOOK = ROOT / "notebooks" / "walkthrough.ipynb"


def test_notebook_is_committed_without_outputs():
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    # A kernel spec of our own, found first on JUPYTER_PATH, so the kernel is this very interpreter (the
    # venv with the package installed) even when a user-level 'python3' kernel points elsewhere.
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tension tests)", "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebook's tempfile.mkdtemp() lands here
    monkeypatch.setenv("TENSION_WALKTHROUGH_SAMPLE", "300")  # a smoke run: every cell, on a few hundred reports
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    outputs = "".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    )
    assert f"python: {sys.executable}" in outputs and "smoke run: only the first 300 reports" in outputs
    assert "macro F1" in outputs and "false-positive rate" in outputs
    reports = list(tmp_path.glob("tension-walkthrough-*/report/report.html"))
    assert len(reports) == 1
