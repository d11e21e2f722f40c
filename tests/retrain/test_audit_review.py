"""Audit suspects sent to the review queue: given labels under review, strongest first, rare labels left out."""

from __future__ import annotations

import pytest

pytest.importorskip("sqlalchemy", reason="the review queue needs the serve extra: pip install -e '.[serve]'")

from classifier.errors import ConfigError  # noqa: E402
from classifier.io.records import combine, read_labelled  # noqa: E402
from classifier.retrain.audit import REASON_MODEL, REASON_RARE, AuditResult, Suspect  # noqa: E402
from classifier.retrain.audit_review import queue_suspects  # noqa: E402
from classifier.review.export import export_reviewed  # noqa: E402
from classifier.review.queue import enqueue, get_item, next_item, record_decision  # noqa: E402
from classifier.review.users import add_user  # noqa: E402
from tests.helpers import FakePrediction, write_csv  # noqa: E402

TEXTS = [
    "Leaflets on the estate say the mosque will be burned down next Friday.",
    "The bins on Elm Road have not been collected for three weeks.",
    "Someone sprayed a slur on the door of the Polish shop and told the owner to go home.",
    "A post claims the council gives asylum seekers new cars, which is not true.",
]
THRESHOLDS = {"race_hate": 0.5, "religious_hate": 0.6}


def _suspect(index, given, scores, strength, reason=REASON_MODEL):
    suspect = Suspect(index, f"R{index}", f"data.csv:{index + 2}", tuple(given), (), scores)
    suspect.add(reason, "why", strength)
    return suspect


def _result():
    suspects = [
        _suspect(0, [], {"race_hate": 0.02, "religious_hate": 0.99}, 0.97),  # religious hate stripped
        _suspect(3, ["misinfromation"], {"race_hate": 0.01, "religious_hate": 0.01}, 1.0, REASON_RARE),
        _suspect(2, ["religious_hate"], {"race_hate": 0.95, "religious_hate": 0.03}, 0.9),
        _suspect(1, ["race_hate"], {"race_hate": 0.2, "religious_hate": 0.01}, 0.6),
    ]
    suspects.sort(key=lambda s: -s.strength)
    for rank, suspect in enumerate(suspects, 1):
        suspect.rank = rank
    return AuditResult(suspects, len(TEXTS), {"race_hate": 1, "religious_hate": 1, "misinfromation": 1},
                       {"misinfromation": 1}, ["misinfromation"], {}, thresholds=THRESHOLDS, texts=TEXTS)


def test_audit_review_queues_suspects_strongest_first_with_their_given_labels(store):
    queued = queue_suspects(_result(), store, name="audit of data.csv")
    reviewer = add_user(store, "ann", "a long password")

    assert queued.batch.queued == 3 and queued.rare_label_ranks == [1]  # the typo label is not queued
    order = []
    while (item := next_item(store, reviewer.id)) is not None:
        order.append((item.text, item.model_labels, item.needs_review))
        record_decision(store, item.id, reviewer.id, "flag")
    assert order == [(TEXTS[0], [], True), (TEXTS[2], ["religious_hate"], True), (TEXTS[1], ["race_hate"], True)]


def test_audit_review_suspects_come_before_reports_near_a_threshold(store):
    """Reproduction: the 10th report handed out after `audit --to-review` was a backlog report 0.004 from a
    threshold, ahead of weaker suspects (suspects were queued at 1 - strength)."""
    near = [FakePrediction({"race_hate": 0.504, "religious_hate": 0.1})]
    enqueue(store, ["Posters on Mill Lane again"], near, name="backlog", model_name="m", thresholds=THRESHOLDS)
    queue_suspects(_result(), store, name="audit of data.csv")
    reviewer = add_user(store, "ann", "a long password")
    order = []
    for _ in range(4):
        item = next_item(store, reviewer.id)
        order.append(item.text)
        record_decision(store, item.id, reviewer.id, "flag")
    assert order == [TEXTS[0], TEXTS[2], TEXTS[1], "Posters on Mill Lane again"]


def test_audit_review_decisions_export_and_replace_the_files_labels(store, tmp_path):
    given = ["", "race_hate", "religious_hate", "misinfromation"]
    data = write_csv(tmp_path / "data.csv", [{"id": f"R{i}", "text": text, "labels": labels, "split": "train"}
                                             for i, (text, labels) in enumerate(zip(TEXTS, given, strict=True))])
    queue_suspects(_result(), store, name="audit of data.csv")
    reviewer = add_user(store, "ann", "a long password")
    first = next_item(store, reviewer.id)
    record_decision(store, first.id, reviewer.id, "correct", ["religious_hate"])  # the model was right
    second = next_item(store, reviewer.id)
    record_decision(store, second.id, reviewer.id, "accept")  # the file was right
    assert get_item(store, second.id).model_labels == ["religious_hate"]

    export_reviewed(store, tmp_path / "reviewed.csv")
    with pytest.warns(UserWarning, match="1 with conflicting labels were merged"):  # the corrected report
        merged = combine([read_labelled(data), read_labelled(tmp_path / "reviewed.csv")], prefer_later=True)
    final = {text: labels for text, labels in zip(merged.texts, merged.labels, strict=True)}
    assert final[TEXTS[0]] == ("religious_hate",) and final[TEXTS[2]] == ("religious_hate",)


def test_audit_review_top_limits_the_batch_and_bad_values_are_refused(store):
    assert queue_suspects(_result(), store, name="audit", top=2).batch.queued == 1  # rank 1 is the rare label
    with pytest.raises(ConfigError, match="'top' must be 1 or more"):
        queue_suspects(_result(), store, name="audit", top=0)
    no_texts = _result()
    no_texts.texts = []
    with pytest.raises(ConfigError, match="holds no report texts"):
        queue_suspects(no_texts, store, name="audit")
    one_label = _result()  # tension audit --label: the other labels were not scored, so nothing can be reviewed
    one_label.label = "race_hate"
    with pytest.raises(ConfigError, match="checks 'race_hate' only"):
        queue_suspects(one_label, store, name="audit")
