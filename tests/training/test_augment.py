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
