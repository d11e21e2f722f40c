"""Tests for classifier.evaluation.evaluate: a model's labels scored on a labelled file, with a stand-in model."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.errors import DataError
from classifier.evaluation.evaluate import evaluate_model
from tests.helpers import write_csv


class ScoresByWord:
    """Scores 0.9 for a label whose name is a word of the text, 0.1 otherwise."""

    labels = ["hate", "rumour"]
    thresholds = {"hate": 0.5, "rumour": 0.5}

    def predict_proba(self, texts):
        return np.array([[0.9 if label in text.split() else 0.1 for label in self.labels] for text in texts])


@pytest.fixture
def labelled(tmp_path):
    rows = [
        {"text": "hate graffiti", "labels": "hate", "split": "test"},
        {"text": "a rumour spread", "labels": "rumour", "split": "test"},
        {"text": "hate and rumour", "labels": "hate", "split": "train"},  # the model adds rumour: a false positive
        {"text": "bins not collected", "labels": "", "split": "test"},
        {"text": "football chants", "labels": "football", "split": "test"},
    ]
    return write_csv(tmp_path / "labelled.csv", rows)


def test_evaluate_predicts_labels_whose_score_reaches_the_threshold(labelled):
    result = evaluate_model(ScoresByWord(), labelled)

    assert result["n_reports"] == 5 and result["labels"] == ["hate", "rumour"]
    np.testing.assert_array_equal(result["Y_pred"], (result["proba"] >= 0.5).astype(int))
    np.testing.assert_array_equal(result["Y_true"], [[1, 0], [0, 1], [1, 0], [0, 0], [0, 0]])
    assert result["metrics"]["labels"]["hate"]["f1"] == 1.0
    assert result["metrics"]["labels"]["rumour"]["precision"] == 0.5


def test_evaluate_lists_labels_only_in_the_data_without_scoring_them(labelled):
    result = evaluate_model(ScoresByWord(), labelled)

    assert result["labels_not_in_model"] == ["football"]
    assert result["labels_not_in_data"] == []
    assert "football" not in result["metrics"]["labels"]


def test_evaluate_one_split_only(labelled):
    result = evaluate_model(ScoresByWord(), labelled, split="test")

    assert result["n_reports"] == 4
    assert result["metrics"]["labels"]["rumour"]["precision"] == 1.0
    with pytest.raises(DataError, match="No rows of .*labelled.csv' have split 'dev'"):
        evaluate_model(ScoresByWord(), labelled, split="dev")


def test_evaluate_model_label_missing_from_the_data_is_listed(tmp_path):
    path = write_csv(tmp_path / "l.csv", [{"text": "hate", "labels": "hate"}, {"text": "calm", "labels": ""}])

    result = evaluate_model(ScoresByWord(), path)

    assert result["labels_not_in_data"] == ["rumour"]
    assert result["metrics"]["labels"]["rumour"]["recall"] == 0.0
