"""Counterfactual copies: identity terms swapped, within their group for labelled reports."""

from __future__ import annotations

import random

import numpy as np
import pytest

from classifier.io.records import LabelledData
from classifier.training.augment import (
    SWAP_TERMS,
    conflict_nationality_copies,
    counterfactual_copies,
    swap_identity_terms,
)
from classifier.training.train import with_counterfactuals

RELIGION = {word for pair in SWAP_TERMS["religion"] for word in pair if word}


def test_augment_labelled_report_keeps_its_group_and_capitalisation():
    rng = random.Random(3)
    for _ in range(30):
        swapped = swap_identity_terms("Muslims told to leave the estate", labelled=True, rng=rng)
        first = swapped.split()[0]
        assert first[0].isupper() and first.lower() in RELIGION and first.lower() != "muslims"


def test_augment_unlabelled_report_may_take_any_group_and_text_without_terms_is_left_alone():
    rng = random.Random(0)
    words = {swap_identity_terms("a polish bakery opened", labelled=False, rng=rng).split()[1] for _ in range(60)}
    assert len(words) > 10 and "polish" not in words
    assert swap_identity_terms("bins not collected again", labelled=False, rng=rng) is None
    assert swap_identity_terms("a Polishing kit left on the wall", labelled=False, rng=rng) is None


def test_augment_copies_are_deterministic_and_grouped_with_their_source():
    data = LabelledData(["a", "b", "c"], ["Sikh lads cleared the snow", "bins", "Jews abused at the bus stop"],
                        [(), (), ("religious_hate",)], ["train"] * 3, ["f row 2", "f row 3", "f row 4"])
    assert counterfactual_copies(data.texts, data.labels, seed=1) == counterfactual_copies(data.texts, data.labels,
                                                                                           seed=1)
    augmented, groups = with_counterfactuals(data, 1, seed=1)
    assert len(augmented) == 5 and groups.tolist() == [0, 1, 2, 0, 2]
    assert augmented.labels[3:] == [(), ("religious_hate",)]
    assert all("counterfactual" in source for source in augmented.sources[3:])
    same, groups = with_counterfactuals(data, 0)
    assert same is data and np.array_equal(groups, [0, 1, 2])


def test_augment_a_report_with_a_label_of_the_teams_own_is_not_copied():
    """Reproduction: an 'antisemitism' report about a kippah was copied as "'dirty Muslim' ... near the Hindu
    primary", still labelled antisemitism, and the model then gave anti-Muslim abuse antisemitism."""
    from classifier.training.augment import not_copied
    from classifier.training.train import format_not_copied

    texts = ["'dirty Jew' shouted at a man near the synagogue", "Jews abused at the bus stop",
             "Muslims and Jews abused at the bus stop", "bins left out again"]
    labels = [("antisemitism",), ("religious_hate",), ("antisemitism", "religious_hate"), ("anti_social_behaviour",)]
    data = LabelledData(list("abcd"), texts, labels, ["train"] * 4, [f"f row {n}" for n in range(2, 6)])
    augmented, groups = with_counterfactuals(data, 3, seed=0)
    assert set(groups[4:].tolist()) == {1}
    assert all(label == ("religious_hate",) for label in augmented.labels[4:])
    left_out = not_copied(texts, labels)
    assert left_out == {"reports": 2, "labels": {"antisemitism": 2}}
    assert "2 training reports" in format_not_copied(left_out) and "antisemitism (2)" in format_not_copied(left_out)
    assert format_not_copied(not_copied(texts[1:2], labels[1:2])) == ""


def test_augment_a_label_named_with_rescore_is_copied_like_the_bundled_ones():
    """Reproduction (a re-check of the fix above): race_hate renamed racism lost its 75 copies even when named with
    --rescore, as train's warning says to; on 500 reports its F1 fell from 0.79 to 0.65."""
    from classifier.training.augment import not_copied

    texts = ["'go back' shouted at a Polish man at the bus stop", "'dirty Jew' shouted near the synagogue"]
    labels = [("racism",), ("antisemitism",)]
    data = LabelledData(["a", "b"], texts, labels, ["train"] * 2, ["f row 2", "f row 3"])
    augmented, groups = with_counterfactuals(data, 2, seed=0, also_safe=("racism",))
    assert set(groups[2:].tolist()) == {0} and all(label == ("racism",) for label in augmented.labels[2:])
    assert not_copied(texts, labels, ("racism",)) == {"reports": 1, "labels": {"antisemitism": 1}}
    assert with_counterfactuals(data, 2, seed=0)[0].texts == texts  # without it, neither is copied


def test_augment_train_copies_the_labels_it_rescores(small_labelled, tmp_path, monkeypatch):
    import csv

    import classifier.training.train as training
    from tests.helpers import write_csv

    seen = {}

    def record(train, labels, **options):
        seen.update(options)
        raise RuntimeError("fitted")

    monkeypatch.setattr(training, "fit_pipeline", record)
    with open(small_labelled, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["labels"] = row["labels"].replace("race_hate", "racism")
    renamed = write_csv(tmp_path / "renamed.csv", rows)
    with pytest.raises(RuntimeError, match="fitted"):
        training.train(renamed, None, rescore=["immigration", "religious_hate", "racism"])
    assert seen["swap_safe"] == ("immigration", "religious_hate", "racism")


def test_augment_israeli_and_palestinian_go_into_neutral_and_race_hate_reports_only():
    texts = ["Two Polish lads fixed the fence.", "A Sikh family asked about bins.", "Polish flag torn down.",
             "Muslims told to leave the estate", "Jewish families asked about parking.", "Bins not collected.",
             "The SOMALI shop is open late.", "Polish builders told to go home by a drunk",
             "Sikh and Polish men abused at the bus stop"]
    labels = [(), (), (), ("religious_hate",), (), (), (), ("race_hate",), ("race_hate",)]
    copies = dict(conflict_nationality_copies(texts, labels, share=1.0))
    # not a flag, religious hate, a Jewish one, one without a term, nor race hate that also names a faith
    assert sorted(copies) == [0, 1, 6, 7]
    assert all(any(n in copies[i].lower() for n in ("israeli", "palestinian")) for i in copies)
    assert copies[6].split()[1] in {"ISRAELI", "PALESTINIAN"}
    assert conflict_nationality_copies(texts, labels, share=0.0) == []
    assert len(conflict_nationality_copies(texts * 100, labels * 100)) in range(70, 131)  # about a quarter of 400


def test_augment_a_conflict_nationality_copy_comes_instead_of_the_reports_copy_not_as_well():
    """The share of neutral reports naming a group stays as it was (extra copies lowered the identity suite's
    hostile recall), and every other report keeps the copy it had."""
    texts, labels = ["Two Polish lads fixed the fence."] * 40, [()] * 40
    copies = counterfactual_copies(texts, labels, seed=2)
    chosen = dict(conflict_nationality_copies(texts, labels, seed=2))
    rng = random.Random(2)
    assert copies == [(i, chosen.get(i, swap_identity_terms(text, False, rng))) for i, text in enumerate(texts)]
    assert 0 < len(chosen) < 40
    assert counterfactual_copies(texts, labels, copies=0) == []
