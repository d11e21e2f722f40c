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


def identity_suite_result(term_fpr: dict | None = None, default: float = 0.0) -> dict:
    """An identity-suite result (as ``evaluate_identity_suite`` returns) in which each term's neutral and positive
    sentences get a label at the rate ``term_fpr[term]`` (``default`` for the others) and every hostile sentence
    gets its expected label: a stand-in for a model with those false alarms, for tests of the fairness gate."""
    import numpy as np

    from classifier.fairness import score_identity_suite
    from classifier.fairness.suite import load_identity_suite

    suite = load_identity_suite()
    labels = sorted({term.hostile_label for term in suite.terms})
    per_term = sum(not s.hostile for s in suite.sentences) // len(suite.terms)
    proba, seen = np.zeros((len(suite), len(labels))), {}
    for i, s in enumerate(suite.sentences):
        if s.hostile:
            proba[i, labels.index(s.expected_label)] = 1.0
            continue
        seen[s.term] = seen.get(s.term, 0) + 1
        if seen[s.term] <= round((term_fpr or {}).get(s.term, default) * per_term):
            proba[i, 0] = 1.0
    return score_identity_suite(suite, labels, proba, {label: 0.5 for label in labels})


@pytest.fixture
def fake_identity_suite(monkeypatch):
    """Models score a clean identity-term suite (no false positive), so that tests of other promotion rules pass
    the fairness gate without computing it. Call the fixture with ``{model name: result}`` to give models other
    figures (see :func:`identity_suite_result`), or with ``None`` to compute the real ones again."""
    import classifier.fairness as fairness

    real, clean = fairness.evaluate_identity_suite, identity_suite_result()

    def install(figures: dict | None = None):
        if figures is None:
            monkeypatch.setattr(fairness, "evaluate_identity_suite", real)
            return
        monkeypatch.setattr(fairness, "evaluate_identity_suite",
                            lambda model, suite=None: figures.get(model.metadata.get("name"), clean))

    install({})
    return install
