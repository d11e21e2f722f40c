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
    review_band = 0.15

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


def test_evaluate_says_how_many_wrong_reports_needs_review_catches(labelled):
    model = ScoresByWord()
    model.review_band = 0.45  # every score (0.1 or 0.9) lies within 0.45 of 0.5: every report is flagged
    caught = evaluate_model(model, labelled)["review_flag"]
    assert caught == {"band": 0.45, "n": 5, "flagged": 5, "unfamiliar": 0, "flagged_rate": 1.0, "wrong": 1,
                      "wrong_flagged": 1,
                      "caught_rate": 1.0, "wrong_rate_flagged": 0.2, "wrong_rate_not_flagged": None,
                      "by_label": {"hate": 5, "rumour": 5}, "unknown_label_reports": 1}  # football

    unsure = ScoresByWord()
    unsure.predict_proba_and_unfamiliar = lambda texts: (  # a model that can say
        unsure.predict_proba(texts), np.array(["rumour" in text for text in texts]))
    flagged = evaluate_model(unsure, labelled)["review_flag"]
    assert (flagged["flagged"], flagged["unfamiliar"], flagged["wrong_flagged"]) == (2, 2, 1)

    none = evaluate_model(ScoresByWord(), labelled)["review_flag"]  # 0.15: no score is near its threshold
    assert none["flagged"] == 0 and none["wrong_flagged"] == 0 and none["caught_rate"] == 0.0
    assert none["wrong_rate_not_flagged"] == pytest.approx(1 / 5)


def test_evaluate_lists_labels_only_in_the_data_without_scoring_them(labelled):
    result = evaluate_model(ScoresByWord(), labelled)

    assert result["labels_not_in_model"] == ["football"]
    assert result["labels_not_in_data"] == []
    assert "football" not in result["metrics"]["labels"]


def test_evaluate_exact_match_and_mistakes_say_they_leave_out_labels_the_model_does_not_know(tmp_path):
    """Reproduction: on a file where every report was anti_social_behaviour, a label the default lacks, evaluate
    printed "exact match (all labels right): 1.000" and "0 of the 0 reports with a wrong or missing label"."""
    from classifier.evaluation.metrics import format_table

    rows = [{"text": "noise again", "labels": "asb"}, {"text": "hate and noise", "labels": "asb;hate"},
            {"text": "hate graffiti", "labels": "hate"}, {"text": "bins", "labels": ""}]
    result = evaluate_model(ScoresByWord(), write_csv(tmp_path / "own.csv", rows))
    metrics, review = result["metrics"], result["review_flag"]
    assert metrics["exact_match"] == 1.0 and metrics["exact_match_all_labels"] == 0.5
    assert metrics["unknown_label_reports"] == review["unknown_label_reports"] == 2
    table = format_table(metrics, review=review)
    assert ("exact match (all labels right): 1.000 on 4 reports, over the model's labels only: 2 of them carry a "
            "label the model does not know (listed below); counted as missed, 0.500") in table
    assert ("(wrong or missing in the model's labels only: 2 reports also carry a label the model cannot give, not "
            "counted)") in table


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


def test_review_flag_check_counts_a_report_wrong_when_any_label_is():
    from classifier.evaluation.metrics import format_review_flag, review_flag_check

    Y_true = np.array([[1, 0], [0, 1], [0, 0], [1, 1]])
    Y_pred = np.array([[1, 1], [0, 1], [1, 0], [1, 1]])  # rows 0 and 2 wrong
    near = np.array([[0, 1], [1, 0], [0, 0], [0, 0]], dtype=bool)  # rows 0 and 1 flagged
    review = review_flag_check(Y_true, Y_pred, near, 0.15)
    assert (review["flagged"], review["wrong"], review["wrong_flagged"]) == (2, 2, 1)
    assert review["caught_rate"] == 0.5 and review["wrong_rate_flagged"] == 0.5
    assert review["wrong_rate_not_flagged"] == 0.5
    assert format_review_flag(review) == (
        "needs review (a score within 0.15 of its threshold): 2 of 4 reports (50.0%); they hold 1 of the 2 reports "
        "with a wrong or missing label (50.0%); of the reports not flagged, 50.0% have one")


def test_review_flag_warns_when_one_label_alone_floods_the_review_list():
    """Reproduction: a new label added to 40 reports got threshold 0.19, and its scores for reports without it sat
    near that: 88 of 120 test reports went to review for it (21.7% before), and training said nothing."""
    from classifier.evaluation.metrics import format_review_flag, review_flag_check

    n = 20
    Y = np.zeros((n, 2), dtype=int)
    near = np.zeros((n, 2), dtype=bool)
    near[:6, 1] = True  # 'antisemitism' sends 6 of 20 (30%) to review, 'immigration' 5 (25%: not over the line)
    near[10:15, 0] = True
    review = review_flag_check(Y, Y, near, 0.15, labels=["immigration", "antisemitism"])
    assert review["by_label"] == {"immigration": 5, "antisemitism": 6}
    lines = format_review_flag(review).split("\n")
    assert len(lines) == 2 and lines[1].startswith(
        "warning: 'antisemitism' alone sends 6 of the 20 reports to review (30.0%): its scores crowd its threshold")
    assert "Label more reports of it" in lines[1] and "--review-band" in lines[1]
    near[:, 1] = False
    assert "warning" not in format_review_flag(review_flag_check(Y, Y, near, 0.15, labels=["a", "b"]))


def test_evaluate_macro_average_leaves_out_a_label_neither_in_the_data_nor_given():
    from sklearn.metrics import f1_score

    from classifier.evaluation.metrics import format_table, label_metrics

    Y_true = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    Y_pred = np.array([[1, 0, 0], [0, 0, 0], [1, 1, 0], [0, 1, 0]])
    metrics = label_metrics(Y_true, Y_pred, ["a", "b", "new"])
    assert metrics["macro_left_out"] == ["new"]
    assert metrics["macro"]["f1"] == pytest.approx(f1_score(Y_true[:, :2], Y_pred[:, :2], average="macro"))
    assert "left out, with no example (F1 undefined, not 0): ['new']" in format_table(metrics)
    assert "given anyway" not in format_table(metrics)


def test_evaluate_macro_average_leaves_out_a_label_with_no_example_even_when_given():
    """Reproduction: a new label with no test example (all its rows in training) was averaged in as F1 0: macro-F1
    0.598 against about 0.72 for the other labels, and `tension models` listed the model at 0.598."""
    from classifier.evaluation.metrics import format_table, label_metrics

    Y_true = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    given = label_metrics(Y_true, np.array([[1, 0, 1], [0, 0, 0], [1, 1, 0], [0, 1, 0]]), ["a", "b", "new"])
    assert given["macro_left_out"] == ["new"] and given["labels"]["new"]["fp"] == 1
    assert given["macro"]["f1"] == pytest.approx(np.mean([1.0, 0.5]))
    assert given["micro"]["precision"] == pytest.approx(3 / 5)  # its false positive still counts here
    assert ("macro avg over the 2 labels with examples in the data; left out, with no example (F1 undefined, not "
            "0): ['new'] (given anyway: new to 1 report(s))") in format_table(given)


def test_evaluate_says_how_many_reports_the_model_trained_on_and_can_leave_them_out(trained, small_corpus):
    from typer.testing import CliRunner

    from classifier.cli import app

    runner = CliRunner()
    everything = runner.invoke(app, ["evaluate", str(trained.model_dir), str(small_corpus), "-q"])
    n_train = trained.metadata["rows"]["train"]
    assert f"warning: {n_train} of these" in everything.output and "--unseen-only" in everything.output
    unseen = runner.invoke(app, ["evaluate", str(trained.model_dir), str(small_corpus), "-q", "--unseen-only"])
    assert f"left out: {n_train} report(s)" in unseen.output
    assert f"{trained.metrics['macro']['f1']:.3f}" in unseen.output  # what is left is its test split
    test_only = runner.invoke(app, ["evaluate", str(trained.model_dir), str(small_corpus), "-q", "--split", "test"])
    assert "trained on" not in test_only.output.split("identity-term suite")[0]
    only_train = runner.invoke(app, ["evaluate", str(trained.model_dir), str(small_corpus), "-q", "--split", "train",
                                     "--unseen-only"])
    assert only_train.exit_code == 1 and "Every report of" in only_train.output
