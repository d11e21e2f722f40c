"""Tests for classifier.review.export: the reviewed reports as a file the training reader takes as it is."""

from __future__ import annotations

import csv
import stat
from datetime import datetime, timedelta

import pytest

from classifier.errors import ConfigError, DataError
from classifier.io.records import read_labelled, read_labelled_files
from classifier.review.export import export_reviewed
from classifier.review.queue import enqueue, next_item, record_decision
from classifier.review.retention import purge
from classifier.review.users import add_user, list_users
from classifier.training.validate import validate_file
from tests.helpers import CORPUS, FakePrediction, review_store

THRESHOLDS = {"immigration": 0.5, "race_hate": 0.5}
NOW = datetime(2026, 3, 1, 12, 0)


@pytest.fixture
def reviewed(tmp_path):
    """Three reports: one accepted by two of three reviewers (the third corrected it), one corrected, one skipped."""
    store = review_store(tmp_path, reviews_per_report=3)
    people = [add_user(store, name, "a long password") for name in ("ann", "bob", "cy")]
    texts = ['Leaflets, "no more hotels", on Mill Lane', "Graffiti =cmd| on the wall", "Bins not collected"]
    enqueue(store, texts, [FakePrediction({"immigration": 0.7, "race_hate": 0.45}) for _ in texts], name="b",
            model_name="m", thresholds=THRESHOLDS, now=NOW)
    ann, bob, cy = people
    first = next_item(store, ann.id, now=NOW)
    record_decision(store, first.id, ann.id, "accept", now=NOW)
    record_decision(store, first.id, bob.id, "accept", now=NOW)
    record_decision(store, first.id, cy.id, "correct", ["race_hate"], now=NOW)
    second = next_item(store, ann.id, now=NOW)
    record_decision(store, second.id, ann.id, "accept", now=NOW)
    record_decision(store, second.id, ann.id, "correct", ["immigration", "race_hate"],  # her latest counts
                    now=NOW + timedelta(days=2))
    third = next_item(store, ann.id, now=NOW)
    record_decision(store, third.id, ann.id, "skip", now=NOW)
    yield store, texts
    store.close()


def test_export_rows_are_read_back_by_the_training_reader(reviewed, tmp_path):
    store, texts = reviewed
    out = tmp_path / "reviewed.csv"

    summary = export_reviewed(store, out)

    assert summary.rows == 2 and stat.S_IMODE(out.stat().st_mode) == 0o600
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["id", "text", "labels", "source", "reviewers", "agreement"]
    assert [(r["text"], r["labels"], r["source"], r["reviewers"], r["agreement"]) for r in rows] == [
        (texts[0], "immigration", "review", "3", "0.67"),
        (texts[1], "immigration;race_hate", "review", "1", "1.00"),
    ]
    data = read_labelled(out)
    assert data.texts == texts[:2] and data.labels == [("immigration",), ("immigration", "race_hate")]
    assert data.splits == [None, None] and data.ids == [rows[0]["id"], rows[1]["id"]]  # training splits them
    assert validate_file(out).n_reports == 2
    both = read_labelled_files([CORPUS, out], prefer_later=True)  # the retraining recipe's two files
    assert both.texts[-2:] == texts[:2] and both.splits[-1] is None


def test_export_since_and_purged_text(reviewed, tmp_path):
    store, texts = reviewed
    assert export_reviewed(store, tmp_path / "late.csv", since=NOW + timedelta(days=1)).rows == 1
    purge(store, days=0, now=NOW + timedelta(days=3))
    with pytest.raises(DataError, match=r"no reviewed report to export \(2 reviewed report\(s\) had their text"):
        export_reviewed(store, tmp_path / "none.csv")
    assert not (tmp_path / "none.csv").exists()


def test_export_a_reviewer_who_flags_or_skips_after_labelling_gives_no_labels(reviewed, tmp_path):
    """Reproduction: a report accepted and then flagged by its only reviewer was exported with agreement 1.00."""
    store, texts = reviewed
    first, second = 1, 2  # the fixture's reports, queued in this order
    ann, bob, _ = list_users(store)
    record_decision(store, first, ann.id, "flag", now=NOW + timedelta(days=3))
    record_decision(store, first, bob.id, "skip", now=NOW + timedelta(days=3))
    record_decision(store, second, ann.id, "flag", now=NOW + timedelta(days=3))  # its only reviewer
    out = tmp_path / "reviewed.csv"
    assert export_reviewed(store, out).rows == 1
    with open(out, encoding="utf-8", newline="") as handle:
        assert [(r["text"], r["labels"], r["reviewers"], r["agreement"]) for r in csv.DictReader(handle)] == [
            (texts[0], "race_hate", "1", "1.00")]  # cy's correction alone


def test_export_refuses_to_overwrite_without_force(reviewed, tmp_path):
    store, _ = reviewed
    out = tmp_path / "reviewed.csv"
    out.write_text("keep me", encoding="utf-8")
    with pytest.raises(ConfigError, match="already exists.*--force"):
        export_reviewed(store, out)
    assert out.read_text(encoding="utf-8") == "keep me"
    assert export_reviewed(store, out, force=True).rows == 2
    with pytest.raises(ConfigError, match="give a name ending in .csv"):
        export_reviewed(store, tmp_path / "reviewed.xlsx")


def test_export_guards_a_text_a_spreadsheet_would_run_as_a_formula(tmp_path):
    store = review_store(tmp_path)
    ann = add_user(store, "ann", "a long password")
    texts = ['=HYPERLINK("http://example.invalid","click") leaflets on Mill Lane', "-2+3 posters again"]
    enqueue(store, texts, [FakePrediction({"immigration": 0.7, "race_hate": 0.45}) for _ in texts], name="b",
            model_name="m", thresholds=THRESHOLDS, now=NOW)
    for _ in texts:
        record_decision(store, next_item(store, ann.id, now=NOW).id, ann.id, "accept", now=NOW)
    export_reviewed(store, tmp_path / "reviewed.csv")
    with open(tmp_path / "reviewed.csv", encoding="utf-8", newline="") as handle:
        assert [row["text"] for row in csv.DictReader(handle)] == ["'" + text for text in texts]
    store.close()
