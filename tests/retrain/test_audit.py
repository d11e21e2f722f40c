"""Audit of label quality: confident-learning disagreement, near-duplicates, rare labels."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from classifier.errors import ConfigError, DataError
from classifier.io.records import read_labelled
from classifier.retrain.audit import REASON_MODEL, REASON_NEAR_DUPLICATE, REASON_RARE, _out_of_fold, audit, audit_labels
from tests.helpers import CORPUS, write_csv

N_ROWS = 300


def _rows(n=N_ROWS):
    with open(CORPUS, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))[:n]


@pytest.fixture(scope="module")
def flipped(tmp_path_factory):
    """A small corpus with three clear single-label reports stripped of their label, a typo label and a
    near-duplicate pair with different labels; returns (path, flipped row indices, typo index, pair)."""
    folder = tmp_path_factory.mktemp("audit")
    rows = _rows()
    clean = read_labelled(write_csv(folder / "clean.csv", rows))
    labels = clean.label_set
    proba, _ = _out_of_fold(clean, labels, seed=0, cv=5, spacy_pipeline="blank:en", C=4.0)
    # The reports the cross-validated model is surest about: flipping them is an unambiguous mistake.
    clear = sorted(
        ((proba[i, labels.index(row[0])], i) for i, row in enumerate(clean.labels) if len(row) == 1),
        reverse=True,
    )
    flips = [i for _, i in clear[:3]]
    for i in flips:
        rows[i]["labels"] = ""
    typo = next(i for i, row in enumerate(rows) if row["labels"] == "misinformation" and i not in flips)
    rows[typo]["labels"] = "misinfromation"
    source = next(i for i, row in enumerate(rows) if row["labels"] == "race_hate" and i not in flips)
    rows.append({**rows[source], "id": "NEAR", "text": rows[source]["text"] + " Please look into it.",
                 "labels": "immigration"})
    path = write_csv(folder / "flipped.csv", rows)
    return path, flips, typo, (source, len(rows) - 1)


@pytest.fixture(scope="module")
def result(flipped, tmp_path_factory):
    return audit(flipped[0], out=tmp_path_factory.mktemp("audit_out") / "suspects.csv")


def test_audit_ranks_injected_label_flips_near_the_top(flipped, result):
    _, flips, _, _ = flipped
    ranks = {s.index: s.rank for s in result.suspects}
    assert all(i in ranks for i in flips), "every flipped row is a suspect"
    # Near the top: within the first 10% of the file's rows and the first third of the suspects (the corpus
    # has hard cases of its own that a model trained on 300 reports gets confidently wrong).
    worst = max(ranks[i] for i in flips)
    assert worst <= 0.1 * result.n_reports
    assert worst <= len(result.suspects) / 3
    for i in flips:
        suspect = result.suspects[ranks[i] - 1]
        assert REASON_MODEL in suspect.reasons
        assert suspect.given == ()
        assert suspect.suggested, "the model's opinion names the label it expects"


def test_audit_flags_rare_label_first_with_typo_hint(flipped, result):
    _, _, typo, _ = flipped
    first = result.suspects[0]
    assert first.index == typo and first.reasons[0] == REASON_RARE
    assert "misinformation" in first.details[0] and "typo" in first.details[0]
    assert result.rare_labels == {"misinfromation": 1}
    assert "misinfromation" in result.unmodelled_labels


def test_audit_flags_both_near_duplicates_with_different_labels(flipped, result):
    _, _, _, (a, b) = flipped
    by_index = {s.index: s for s in result.suspects}
    for i, other in ((a, b), (b, a)):
        assert REASON_NEAR_DUPLICATE in by_index[i].reasons
        assert f"row {other + 2}" in " ".join(by_index[i].details)


def test_audit_ranking_is_by_strength_and_csv_matches(result):
    strengths = [s.strength for s in result.suspects]
    assert strengths == sorted(strengths, reverse=True)
    assert [s.rank for s in result.suspects] == list(range(1, len(result.suspects) + 1))
    with open(result.out_path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(result.suspects)
    assert rows[0]["rank"] == "1" and rows[0]["source"] == result.suspects[0].source
    assert {"reasons", "given_labels", "suggested_labels", "detail", "text", "model_score_immigration"} <= set(rows[0])
    flip = next(s for s in result.suspects if REASON_MODEL in s.reasons and s.suggested)
    row = rows[flip.rank - 1]
    assert row["suggested_labels"] == ";".join(flip.suggested)
    assert np.isclose(float(row["model_score_" + flip.suggested[0]]), flip.scores[flip.suggested[0]], atol=1e-4)


def test_audit_labels_returns_the_ranked_list(small_labelled):
    suspects = audit_labels(small_labelled, seed=1)
    assert suspects and suspects[0].rank == 1
    assert all(s.strength >= 0.5 for s in suspects)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"min_examples": 0}, ConfigError, "min_examples"),
        ({"near_duplicate_threshold": 1.5}, ConfigError, "near_duplicate_threshold"),
        ({"cv": 1}, ConfigError, "'cv'"),
    ],
)
def test_audit_rejects_bad_parameters(small_labelled, kwargs, error, message):
    with pytest.raises(error, match=message):
        audit(small_labelled, **kwargs)


def test_audit_missing_file_and_missing_column_have_clear_messages(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        audit(tmp_path / "nope.csv")
    path = write_csv(tmp_path / "bad.csv", [{"id": "1", "body_text": "x", "labels": ""}])
    with pytest.raises(DataError, match="--text-column"):
        audit(path)
