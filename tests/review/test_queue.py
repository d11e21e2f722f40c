"""Tests for classifier.review.queue: order, claims, decisions kept as history, progress."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from classifier.errors import DataError
from classifier.review import queue
from classifier.review.queue import (
    decision_history,
    enqueue,
    flagged_reports,
    get_item,
    next_item,
    progress,
    record_decision,
)
from classifier.review.retention import purge
from classifier.review.users import add_user
from tests.helpers import FakePrediction, at_once, review_store, waiting_for_another

LABELS = ("immigration", "race_hate")
THRESHOLDS = {label: 0.5 for label in LABELS}
NOW = datetime(2026, 3, 1, 12, 0)


@pytest.fixture
def people(store):
    return add_user(store, "ann", "a long password"), add_user(store, "bob", "another long one")


def _queue(store, scores: list[tuple[float, float]], **options):
    predictions = [FakePrediction(dict(zip(LABELS, pair, strict=True))) for pair in scores]
    return enqueue(store, [f"report {i}" for i in range(len(scores))], predictions, name="batch",
                   model_name="m", thresholds=THRESHOLDS, now=NOW, **options)


def _positions(store, user, n):
    seen = []
    for _ in range(n):
        item = next_item(store, user.id, now=NOW)
        seen.append(int(item.text.split()[1]))
        record_decision(store, item.id, user.id, "skip", now=NOW)
    return seen


def test_queue_needs_review_first_then_closest_to_a_threshold(store, people):
    ann, _ = people
    _queue(store, [(0.99, 0.01),   # 0: certain
                   (0.60, 0.10),   # 1: needs review, 0.10 from a threshold
                   (0.80, 0.02),   # 2: certain, 0.30 away
                   (0.52, 0.30),   # 3: needs review, 0.02 away
                   (0.10, 0.05)])  # 4: certain, 0.40 away
    assert _positions(store, ann, 5) == [3, 1, 2, 4, 0]


def test_queue_a_skipped_report_comes_back_after_the_rest_of_the_reviewers_queue(store, people):
    """Reproduction: a skipped report was never offered to that reviewer again, and with one reviewer stayed
    queued for good while the page said nothing was left."""
    ann, bob = people
    _queue(store, [(0.51, 0.0), (0.55, 0.0), (0.9, 0.0)])
    assert _positions(store, ann, 2) == [0, 1]  # skipped
    assert progress(store, ann.id)["left_for_me"] == 3 and progress(store, ann.id)["skipped"] == 2
    last = next_item(store, ann.id, now=NOW)
    assert last.text == "report 2"  # the rest of her queue first
    record_decision(store, last.id, ann.id, "accept", now=NOW)
    assert _positions(store, ann, 3) == [0, 1, 0]  # then the skipped, the longest skipped first, in turn
    held = next_item(store, bob.id, now=NOW)  # bob holds report 0: ann gets report 1, then waits for report 0
    mine = next_item(store, ann.id, now=NOW)
    assert (held.text, mine.text) == ("report 0", "report 1")
    record_decision(store, mine.id, ann.id, "flag", now=NOW)
    assert next_item(store, ann.id, now=NOW) is None
    assert progress(store, ann.id) == {**progress(store, ann.id), "left_for_me": 1, "skipped": 1}


def test_queue_skips_what_the_reviewer_decided_and_what_another_holds(store, people):
    ann, bob = people
    _queue(store, [(0.51, 0.0), (0.55, 0.0), (0.9, 0.0)])
    first = next_item(store, ann.id, now=NOW)
    assert first.text == "report 0"
    assert next_item(store, ann.id, now=NOW).id == first.id  # still hers until she decides
    assert next_item(store, bob.id, now=NOW).text == "report 1"  # she holds report 0
    later = NOW + timedelta(minutes=11)  # her claim has lapsed
    assert next_item(store, bob.id, now=later).text == "report 0"

    record_decision(store, first.id, ann.id, "flag", now=NOW)
    assert next_item(store, ann.id, now=later).text == "report 1"  # flagged by her: not hers again


def test_queue_correction_keeps_the_earlier_decision_as_history(store, people):
    ann, _ = people
    _queue(store, [(0.7, 0.2)])
    item = next_item(store, ann.id, now=NOW)
    record_decision(store, item.id, ann.id, "accept", now=NOW)
    record_decision(store, item.id, ann.id, "correct", ["race_hate"], now=NOW + timedelta(minutes=1))

    history = decision_history(store, item.id)
    assert [(d.user_name, d.action, d.labels) for d in history] == [
        ("ann", "accept", ["immigration"]), ("ann", "correct", ["race_hate"])]
    assert history[0].decided_at < history[1].decided_at
    assert get_item(store, item.id).review_count == 1  # one reviewer, however many decisions


def test_queue_report_leaves_after_enough_reviewers(tmp_path):
    store = review_store(tmp_path, reviews_per_report=2)
    ann, bob = add_user(store, "ann", "a long password"), add_user(store, "bob", "another long one")
    _queue(store, [(0.7, 0.2)])
    item = next_item(store, ann.id, now=NOW)
    record_decision(store, item.id, ann.id, "accept", now=NOW)
    assert get_item(store, item.id).review_count == 1 and progress(store)["queued"] == 1
    assert next_item(store, bob.id, now=NOW).id == item.id
    record_decision(store, item.id, bob.id, "correct", ["immigration"], now=NOW)  # = the model's: an accept
    assert decision_history(store, item.id)[-1].action == "accept"
    assert progress(store)["queued"] == 0 and progress(store)["reviewed"] == 1
    store.close()


def test_queue_a_reviewers_latest_decision_replaces_their_earlier_one(store, people):
    """Reproduction: a report accepted then flagged by its only reviewer stayed reviewed, out of the queue; one
    flagged then accepted stayed on the flagged list for good."""
    ann, bob = people
    _queue(store, [(0.7, 0.2), (0.9, 0.1)])
    item = next_item(store, ann.id, now=NOW)
    record_decision(store, item.id, ann.id, "accept", now=NOW)
    record_decision(store, item.id, ann.id, "flag", now=NOW + timedelta(minutes=1))
    assert get_item(store, item.id).review_count == 0 and progress(store)["queued"] == 2
    assert [row.report_id for row in flagged_reports(store)] == [item.id] and progress(store)["flagged"] == 1

    record_decision(store, item.id, bob.id, "flag", now=NOW + timedelta(minutes=2))
    record_decision(store, item.id, ann.id, "accept", now=NOW + timedelta(minutes=3))
    assert flagged_reports(store)[0].flagged_by == ["bob"] and get_item(store, item.id).review_count == 1
    record_decision(store, item.id, bob.id, "skip", now=NOW + timedelta(minutes=4))
    assert flagged_reports(store) == [] and progress(store)["flagged"] == 0
    assert progress(store) == {**progress(store), "reviewed": 1, "queued": 1}


def test_queue_leaves_out_unclassified_texts(store):
    predictions = [FakePrediction({"immigration": 0.9, "race_hate": 0.1}),
                   FakePrediction({"immigration": float("nan"), "race_hate": float("nan")}, status="empty text")]
    batch = enqueue(store, ["a report", ""], predictions, name="b", model_name="m", thresholds=THRESHOLDS)
    assert batch.queued == 1 and batch.left_out == [1]


def test_queue_decision_errors_name_the_problem(store, people):
    ann, _ = people
    _queue(store, [(0.7, 0.2)])
    item = next_item(store, ann.id, now=NOW)
    with pytest.raises(DataError, match="action must be one of accept, correct, skip, flag. Got 'maybe'"):
        record_decision(store, item.id, ann.id, "maybe")
    with pytest.raises(DataError, match=r"unknown label\(s\) \['hate'\]"):
        record_decision(store, item.id, ann.id, "correct", ["hate"])
    with pytest.raises(DataError, match="no report 999"):
        record_decision(store, 999, ann.id, "accept")


def test_queue_progress_counts(store, people):
    ann, bob = people
    _queue(store, [(0.7, 0.2), (0.9, 0.1), (0.2, 0.1)])
    first = next_item(store, ann.id, now=NOW)
    record_decision(store, first.id, ann.id, "accept", now=NOW)
    second = next_item(store, ann.id, now=NOW)
    record_decision(store, second.id, ann.id, "flag", now=NOW)

    counts = progress(store, ann.id)
    assert counts == {"total": 3, "reviewed": 1, "queued": 2, "flagged": 1, "purged": 0, "decisions": 2,
                      "mine": 2, "skipped": 0, "left_for_me": 1}
    assert progress(store, bob.id)["left_for_me"] == 2


def test_queue_stores_a_text_once_until_it_is_purged(store, people):
    ann, _ = people
    predictions = [FakePrediction({"immigration": 0.9, "race_hate": 0.1})] * 3
    first = enqueue(store, ["a report", "another", "a report"], predictions, name="b", model_name="m",
                    thresholds=THRESHOLDS, now=NOW)
    assert first.queued == 2 and first.already_stored == [2]  # given twice in one batch
    item = next_item(store, ann.id, now=NOW)
    record_decision(store, item.id, ann.id, "accept", now=NOW)
    again = enqueue(store, ["another", "a report", "new"], predictions, name="c", model_name="m",
                    thresholds=THRESHOLDS, now=NOW)
    assert again.queued == 1 and again.already_stored == [0, 1]  # queued, and reviewed: neither twice
    assert purge(store, 90, now=NOW + timedelta(days=365)) == 3
    assert enqueue(store, ["a report"], predictions[:1], name="d", model_name="m", thresholds=THRESHOLDS,
                   now=NOW + timedelta(days=365)).queued == 1  # its text was purged: it may come again


def test_queue_the_same_text_added_by_two_batches_at_once_is_queued_once(store, monkeypatch):
    """Reproduction: three reviewers pasted the same report at the same moment; it was queued twice (each found
    it new before the other stored it), then exported twice with different labels."""

    monkeypatch.setattr(queue, "_stored_hashes", waiting_for_another(queue._stored_hashes))
    predictions = [FakePrediction({"immigration": 0.9, "race_hate": 0.1})]
    batches = at_once(*[lambda: enqueue(store, ["Leaflets on Moor Lane"], predictions, name="pasted",
                                        model_name="m", thresholds=THRESHOLDS)] * 2)
    assert sorted((batch.queued, batch.already_stored) for batch in batches) == [(0, [0]), (1, [])]
    assert progress(store)["total"] == 1


def test_queue_lists_flagged_reports_latest_first_with_who_flagged_them(store, people):
    ann, bob = people
    _queue(store, [(0.51, 0.0), (0.55, 0.0), (0.9, 0.0)])
    first = next_item(store, ann.id, now=NOW)
    record_decision(store, first.id, ann.id, "flag", now=NOW)
    second = next_item(store, ann.id, now=NOW)
    record_decision(store, second.id, ann.id, "flag", now=NOW + timedelta(minutes=1))
    record_decision(store, first.id, bob.id, "flag", now=NOW + timedelta(minutes=2))
    record_decision(store, first.id, ann.id, "flag", now=NOW + timedelta(minutes=3))  # again: named once
    flagged = flagged_reports(store)
    assert [row.report_id for row in flagged] == [first.id, second.id]
    assert flagged[0].flagged_by == ["ann", "bob"] and flagged[0].last_flagged_at == NOW + timedelta(minutes=3)
    assert flagged[1].flagged_by == ["ann"] and flagged[1].model_labels == ["immigration"]
    assert [row.report_id for row in flagged_reports(store, limit=1)] == [first.id]
