"""Tests for classifier.review.retention: purge deletes old report text and keeps labels and decision counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from classifier.errors import ConfigError
from classifier.review import schema
from classifier.review.queue import enqueue, get_item, next_item, progress, record_decision
from classifier.review.retention import PURGED_BATCH_NAME, purge, purgeable
from classifier.review.users import add_user
from tests.helpers import FakePrediction, review_store

THRESHOLDS = {"immigration": 0.5, "race_hate": 0.5}
THEN = datetime(2026, 1, 1, 9, 0)


def _batch(store, texts, when):
    predictions = [FakePrediction({"immigration": 0.7, "race_hate": 0.45}, reasons={"immigration": ["hotel"]})
                   for _ in texts]
    return enqueue(store, texts, predictions, name="b", model_name="m", thresholds=THRESHOLDS, now=when)


def test_retention_purge_removes_old_text_but_keeps_labels_and_counts(tmp_path):
    store = review_store(tmp_path)
    ann = add_user(store, "ann", "a long password")
    _batch(store, ["old one SECRET-1", "old two SECRET-2"], THEN)
    _batch(store, ["new one"], THEN + timedelta(days=80))
    old = next_item(store, ann.id, now=THEN)
    record_decision(store, old.id, ann.id, "correct", ["race_hate"], now=THEN)
    before = progress(store)
    assert purgeable(store, days=90, now=THEN + timedelta(days=91)) == 2 and progress(store) == before  # counts only

    purged = purge(store, days=90, now=THEN + timedelta(days=91))

    assert purged == 2
    item = get_item(store, old.id)
    assert item.text is None and item.reasons == {}
    assert item.model_labels == ["immigration"] and item.scores["race_hate"] == 0.45 and item.review_count == 1
    after = progress(store)
    assert after["purged"] == 2 and after["queued"] == 1  # the new report is still queued
    assert {key: after[key] for key in ("total", "reviewed", "decisions")} == \
        {key: before[key] for key in ("total", "reviewed", "decisions")}
    with store.engine.connect() as connection:
        texts = connection.execute(select(schema.reports.c.text)).scalars().all()
        assert texts.count(None) == 2 and "new one" in texts
        assert connection.execute(select(schema.decisions.c.labels)).scalars().all() == [["race_hate"]]
        hashes = connection.execute(select(schema.reports.c.text_sha256)).scalars().all()
        assert hashes.count("") == 2  # a hash of a short text could confirm a guess: it goes with the text
        names = connection.execute(select(schema.batches.c.name).order_by(schema.batches.c.id)).scalars().all()
        assert names == [PURGED_BATCH_NAME, "b"]  # the batch that keeps a report with text keeps its name
    assert next_item(store, ann.id, now=THEN + timedelta(days=91)).text == "new one"
    assert purge(store, days=90, now=THEN + timedelta(days=91)) == 0  # nothing more to do
    assert purgeable(store, days=90, now=THEN + timedelta(days=91)) == 0
    store.close()


def test_retention_negative_days_are_refused(tmp_path):
    store = review_store(tmp_path)
    for counting_or_deleting in (purge, purgeable):
        with pytest.raises(ConfigError, match="--days must be 0 or more"):
            counting_or_deleting(store, days=-1)
    store.close()


@pytest.mark.parametrize("days", [800_000, 1e9, float("inf")])
def test_retention_more_days_than_a_date_can_go_back_purge_nothing(tmp_path, days):
    store = review_store(tmp_path)
    _batch(store, ["old one"], THEN)
    assert purgeable(store, days=days, now=THEN + timedelta(days=400)) == 0
    assert purge(store, days=days, now=THEN + timedelta(days=400)) == 0


def _database_files(store, tmp_path) -> bytes:
    """Every byte of the review database's own files: the SQLite file and its log, or on PostgreSQL the files of
    the test's database (tables, their TOAST tables and indexes) after a checkpoint, where this account may ask
    for one and read them (the server's write-ahead log and backups are not the tool's to clear)."""
    if store.engine.dialect.name == "sqlite":
        return b"".join(path.read_bytes() for path in tmp_path.rglob("*.sqlite3*") if path.is_file())
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with store.engine.connect() as connection:
            connection.execute(text("CHECKPOINT"))  # the pruned pages, written to the files
            folder = Path(connection.execute(text("SELECT current_setting('data_directory')")).scalar()) / "base" \
                / str(connection.execute(text("SELECT oid FROM pg_database WHERE datname = current_database()"))
                      .scalar())
        return b"".join(path.read_bytes() for path in folder.iterdir() if path.is_file())
    except (DBAPIError, OSError) as error:
        pytest.skip(f"the PostgreSQL server's files cannot be read from here: {type(error).__name__}")


def test_retention_purged_text_is_left_neither_in_the_database_files_nor_the_log(tmp_path):
    store = review_store(tmp_path)
    _batch(store, ["old one SECRET-OLD-1", "old two SECRET-OLD-2"], THEN)
    _batch(store, ["new one SECRET-NEW"], THEN + timedelta(days=80))
    assert purge(store, days=90, now=THEN + timedelta(days=91)) == 2
    on_disk = _database_files(store, tmp_path)
    assert b"SECRET-OLD" not in on_disk and b"SECRET-NEW" in on_disk
    store.close()
