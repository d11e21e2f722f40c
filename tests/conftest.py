"""Shared fixtures: the bundled corpus, one model trained on it per test session, tiny files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "reports.csv"
BACKLOG = ROOT / "data" / "backlog_sample.csv"
EXTERNAL = ROOT.parent / "shared" / "data" / "external"


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None, encoding="utf-8") -> Path:
    """Write ``rows`` to a CSV file and return its path."""
    columns = columns or list(rows[0])
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """The default model trained on the bundled corpus's train split, saved to a temporary folder."""
    from classifier.training import train

    return train(CORPUS, tmp_path_factory.mktemp("models") / "default", seed=0)


@pytest.fixture(scope="session")
def model(trained):
    """The trained model loaded back from disk."""
    from classifier import load_model

    return load_model(trained.model_dir)


@pytest.fixture
def small_labelled(tmp_path) -> Path:
    """A small labelled CSV (first 300 rows of the corpus), enough to train quickly."""
    with open(CORPUS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:300]
    return write_csv(tmp_path / "small.csv", rows)
