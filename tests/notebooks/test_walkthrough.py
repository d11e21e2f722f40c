"""The data scientists' walkthrough notebook runs top to bottom and is committed without outputs."""

from __future__ import annotations

import json
import re
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
    assert "parameters" in code[0].metadata.get("tags", [])  # papermill (and readers) find the sample size there


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_with_plots_and_the_retraining_loop_in_its_own_models_folder(tmp_path,
                                                                                                 monkeypatch):
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
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the notebook's %matplotlib inline must win over it
    monkeypatch.setenv("TENSION_WALKTHROUGH_SAMPLE", "200")  # a smoke run: every cell, on 200 reports
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    text = "".join(output.get("text", "") for output in outputs)
    (work,) = tmp_path.glob("tension-walkthrough-*")
    assert f"python: {sys.executable}" in text and "sample: the first 200 of" in text
    assert f"models in {work / 'models'}" in text
    assert "macro F1" in text and "false-positive rate" in text
    assert "identity-term suite (" in text and "held-out identity probe (" in text
    assert (work / "report" / "report.html").is_file()
    # The plots are shown in the notebook: corpus, per-label scores, PR and threshold curves, learning curve,
    # the comparison's differences.
    assert sum("image/png" in output.get("data", {}) for output in outputs) >= 5
    # The retraining loop: a split-less file split on its own, the comparison on unseen reports only, promote.
    held_back = re.search(r"new_labels.csv: (\d+) reports, no split column", text).group(1)
    assert f"{held_back} rows had none and were split now" in text
    assert f"Naive, on all {held_back} rows of new_labels.csv" in text
    assert re.search(r"Scored on \d+ of 200 reports, those neither model trained on \(default trained on \d+", text)
    # Refused with the production limits (too few reports on a sample), then promoted or refused on its merits.
    assert "With the production limits:\nRefused: Not promoted" in text
    assert "Promoted: the default is now" in text or text.count("Refused: Not promoted") == 2
    models = sorted(path.name for path in (work / "models").iterdir() if path.is_dir())
    assert models[0] == "default" and len(models) == 2
    log = [json.loads(line) for line in (work / "models" / "promotions.jsonl").read_text().splitlines()] \
        if "Promoted: the default is now" in text else []
    assert [entry["action"] for entry in log] in ([], ["promote", "rollback"])
