"""Smoke test of benchmarks/label_throughput.py: the benchmark runs end to end and prints its table."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import ROOT


@pytest.mark.slow
def test_benchmarks_smoke_label_throughput_quick(trained):
    script = ROOT / "benchmarks" / "label_throughput.py"
    done = subprocess.run(
        # Two workers only (the default on this machine): one process more than one job, the same code.
        [sys.executable, str(script), "--quick", "--jobs", "2", "--model", str(trained.model_dir)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split() for line in done.stdout.splitlines() if line.startswith(("default model", "baseline"))]
    # columns from the right: jobs, rows, seconds, reports/s, per CPU-s, peak MB, parent MB, processes
    assert sorted((line[0], line[-8]) for line in rows) == [("baseline", "2"), ("default", "2")]
    assert all(line[-7] == "300" and float(line[-5]) > 0 for line in rows)


def test_benchmarks_label_throughput_baseline_takes_labels_from_the_verified_model(trained, tmp_path):
    # metadata.json is covered by no hash: the baseline used to take its label order from it, unchecked.
    import json
    import shutil

    from benchmarks.label_throughput import fit_baseline
    from classifier.errors import ModelError

    copy = tmp_path / "copy"
    shutil.copytree(trained.model_dir, copy)
    metadata = json.loads((copy / "metadata.json").read_text(encoding="utf-8"))
    metadata["labels"] = list(reversed(metadata["labels"]))
    (copy / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")

    with pytest.raises(ModelError, match="lists the labels"):
        fit_baseline(copy, tmp_path / "baseline")
    assert not (tmp_path / "baseline").exists()
