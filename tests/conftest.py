"""Shared fixtures: one model trained on the bundled corpus per test session, tiny files, a stand-in
identity-term suite. Helpers that are not fixtures live in tests/helpers.py."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.helpers import CORPUS, identity_suite_result, write_csv


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """The default model trained on the bundled corpus's train split, saved to a temporary folder."""
    from classifier.training.train import train

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
