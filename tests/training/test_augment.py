"""Counterfactual copies: identity terms swapped, within their group for labelled reports."""

from __future__ import annotations

import random

import numpy as np

from classifier.io.records import LabelledData
from classifier.training.augment import SWAP_TERMS, counterfactual_copies, swap_identity_terms
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
