"""Choosing reports to label next: uncertain first, never two near-duplicates."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.errors import ConfigError, DataError
from classifier.io.records import read_labelled
from classifier.retrain.suggest import UNCERTAINTY_COLUMN, suggest_for_labelling, uncertainty
from tests.helpers import CORPUS, write_csv


@pytest.fixture(scope="module")
def small_model(model):
    """The session's small model: any model will do, the picks are checked against its own scores."""
    return model


@pytest.fixture(scope="module")
def unlabelled_rows():
    with open(CORPUS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[300:380]
    return [{"reference": f"U{k}", "channel": "email", "text": row["text"]} for k, row in enumerate(rows)]


def _cosine(texts):
    matrix = TfidfVectorizer().fit_transform(texts)
    return (matrix @ matrix.T).toarray()


def test_suggest_picks_uncertain_reports_before_confident_ones(small_model, unlabelled_rows, tmp_path):
    path = write_csv(tmp_path / "backlog.csv", unlabelled_rows)
    picked = suggest_for_labelling(small_model, path, 10)
    texts = [row["text"] for row in unlabelled_rows]
    proba = small_model.predict_proba(texts)
    thresholds = [small_model.thresholds[label] for label in small_model.labels]
    score = uncertainty(proba, thresholds).max(axis=1)
    chosen = [int(row["suggest_source_row"]) - 2 for row in picked]
    assert chosen[0] == int(np.argmax(score))
    assert [row[UNCERTAINTY_COLUMN] for row in picked] == sorted((row[UNCERTAINTY_COLUMN] for row in picked),
                                                                 reverse=True)
    # Every report left out that is more uncertain than the least uncertain pick is a near-duplicate of a pick.
    cosine = _cosine(texts)
    floor = min(score[chosen])
    for i in np.flatnonzero(score > floor):
        if i not in chosen:
            assert cosine[i, chosen].max() > 0.8
    assert np.mean(score[chosen]) > np.mean(np.delete(score, chosen))


def test_suggest_never_picks_two_near_duplicates(small_model, unlabelled_rows, tmp_path):
    texts = [row["text"] for row in unlabelled_rows]
    proba = small_model.predict_proba(texts)
    thresholds = [small_model.thresholds[label] for label in small_model.labels]
    top = int(np.argmax(uncertainty(proba, thresholds).max(axis=1)))
    copies = [
        {**unlabelled_rows[top], "reference": f"COPY{k}", "text": unlabelled_rows[top]["text"] + tail}
        for k, tail in enumerate([" Thanks.", " Please advise.", "", " (sent twice)"])
    ]
    path = write_csv(tmp_path / "backlog.csv", unlabelled_rows + copies)
    picked = suggest_for_labelling(small_model, path, 20)
    refs = [row["reference"] for row in picked]
    assert sum(ref == unlabelled_rows[top]["reference"] or ref.startswith("COPY") for ref in refs) == 1
    cosine = _cosine([row["text"] for row in picked])
    np.fill_diagonal(cosine, 0)
    assert cosine.max() <= 0.8


def test_suggest_writes_a_file_ready_to_label(small_model, unlabelled_rows, tmp_path):
    path = write_csv(tmp_path / "backlog.csv", unlabelled_rows)
    out = tmp_path / "to_label.csv"
    picked = suggest_for_labelling(small_model, path, 5, out=out)
    with open(out, encoding="utf-8-sig", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert list(written[0])[:4] == ["reference", "channel", "text", "labels"]
    assert all(row["labels"] == "" for row in written)
    assert [row["reference"] for row in written] == [row["reference"] for row in picked]
    assert all(row["suggest_why"] and "threshold" in row["suggest_why"] for row in written)
    assert {f"model_score_{label}" for label in small_model.labels} <= set(written[0])
    assert len(read_labelled(out)) == 5  # the file reads back as labelled data once filled in


def test_suggest_skips_rows_already_labelled_and_empty_texts(small_model, unlabelled_rows, tmp_path):
    rows = [{**row, "labels": ""} for row in unlabelled_rows[:6]]
    rows[0]["labels"] = "immigration"
    rows[1]["text"] = "   "
    path = write_csv(tmp_path / "partly.csv", rows)
    picked = suggest_for_labelling(small_model, path, 10)
    refs = {row["reference"] for row in picked}
    assert refs == {row["reference"] for row in rows[2:]}
    assert all(row["labels"] == "" for row in picked)


@pytest.mark.parametrize(("n", "message"), [(0, ">= 1"), (2.5, "whole number"), (True, "whole number")])
def test_suggest_rejects_bad_n(small_model, unlabelled_rows, tmp_path, n, message):
    path = write_csv(tmp_path / "backlog.csv", unlabelled_rows)
    with pytest.raises(ConfigError, match=message):
        suggest_for_labelling(small_model, path, n)


def test_suggest_bad_files_have_clear_messages(small_model, tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        suggest_for_labelling(small_model, tmp_path / "missing.csv", 3)
    path = write_csv(tmp_path / "nocol.csv", [{"ref": "1", "note": "hello"}])
    with pytest.raises(DataError, match="--text-column"):
        suggest_for_labelling(small_model, path, 3)
    path = write_csv(tmp_path / "clash.csv", [{"text": "hello there", "model_labels": "x"}])
    with pytest.raises(DataError, match="model_labels"):
        suggest_for_labelling(small_model, path, 3)
    path = write_csv(tmp_path / "done.csv", [{"text": "hello there", "labels": "immigration"}])
    with pytest.raises(DataError, match="no unlabelled report"):
        suggest_for_labelling(small_model, path, 3)
