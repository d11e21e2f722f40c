import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.pipeline import FeatureUnion

from classifier.model.features import CHAR, WORD, TokenFeatureUnion, build_features
from classifier.model.windows import split_windows

ROOT = Path(__file__).resolve().parents[2]
TRAIN = [
    "asylum seeker hotel protest at the hotel again",
    "hotel protest again xxnum people shout go back",
    "mosque graffiti xxslurreligion on the wall of the mosque",
    "banana banana bandana at the shop",
    "go back to where you come from shout at the asylum hotel",
    "the council say the hotel be close",
]


def _plain(union):
    """The same fitted vectorizers in a scikit-learn FeatureUnion: the reference."""
    return FeatureUnion(union.transformer_list)


def _same(got, expected):
    got, expected = got.tocsr(), expected.tocsr()
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert got.has_sorted_indices
    np.testing.assert_array_equal(got.indptr, expected.indptr)
    np.testing.assert_array_equal(got.indices, expected.indices)
    np.testing.assert_array_equal(got.data, expected.data)  # bit for bit


def _fitted(min_df=1, chars=True):
    return build_features(min_df=min_df, **({} if chars else {"char_ngram_range": None})).fit(TRAIN)


BOTH_UNIONS = pytest.mark.parametrize("chars", [True, False], ids=["words and characters", "words only"])


@BOTH_UNIONS
def test_token_counts_transform_equals_feature_union_bit_for_bit(chars):
    union = _fitted(chars=chars)
    assert [name for name, _ in union.transformer_list] == ([WORD, CHAR] if chars else [WORD])
    assert union._get_counter() is not None
    docs = ["asylum asylum hotel", "", "unseen wordz here", "banana bandana go back go back", "a",
            "hotel protest", "protest hotel", "x\u00a0y hotel\tprotest", "  double  space  hotel "]
    assert isinstance(union, TokenFeatureUnion)
    for _ in range(2):  # the second pass is served from the token cache
        _same(union.transform(docs), _plain(union).transform(docs))


@BOTH_UNIONS
def test_token_counts_passages_equal_the_cut_passages_features(chars):
    union = _fitted(chars=chars)
    long_doc = " ".join(TRAIN * 3)
    docs = ["short one", long_doc, "go back " * 40, long_doc + " asylum", "hotel"]
    features, (passages, owner) = union.transform_with_passages(docs, 30, 15, 45)
    cut, expected_owner = split_windows(docs, 30, 15, 45)
    _same(features, _plain(union).transform(docs))
    _same(passages, _plain(union).transform(cut))
    np.testing.assert_array_equal(owner, expected_owner)


def test_token_counts_passages_of_text_with_other_whitespace_are_cut_the_slow_way():
    union = _fitted()
    docs = ["hotel\u00a0protest " + "asylum seeker " * 30, "go back " * 30]
    features, (passages, owner) = union.transform_with_passages(docs, 30, 15, 45)
    cut, expected_owner = split_windows(docs, 30, 15, 45)
    _same(passages, _plain(union).transform(cut))
    np.testing.assert_array_equal(owner, expected_owner)


def test_token_counts_no_long_report_means_no_passages():
    union = _fitted()
    assert union.transform_with_passages(["hotel protest", ""], 30, 15, 45)[1] is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["hotel", "asylum", "go", "back", "banana", "zz", "mosque", "the", "a",
                                          "xxnum", "ünïcode", "seeker"]), max_size=70), min_size=1, max_size=6))
def test_token_counts_any_token_strings_count_as_scikit_learn_does(token_lists):
    union = _fitted()
    docs = [" ".join(tokens) for tokens in token_lists]
    features, passages = union.transform_with_passages(docs, 6, 3, 8)
    _same(features, _plain(union).transform(docs))
    cut, owner = split_windows(docs, 6, 3, 8)
    if cut:
        _same(passages[0], _plain(union).transform(cut))
        np.testing.assert_array_equal(passages[1], owner)
    else:
        assert passages is None


def test_token_counts_a_union_it_cannot_count_transforms_as_a_plain_union():
    union = _fitted()
    dict(union.transformer_list)[WORD].set_params(ngram_range=(1, 3))
    union.set_params(**{f"{WORD}__ngram_range": (1, 3)}).fit(TRAIN)
    assert union._get_counter() is None
    _same(union.transform(["asylum seeker hotel protest"]), _plain(union).transform(["asylum seeker hotel protest"]))


def test_token_counts_counter_is_not_pickled_and_is_rebuilt_after_a_refit():
    union = _fitted()
    union.transform(["hotel"])
    assert "_counter" not in pickle.loads(pickle.dumps(union)).__dict__
    union.fit(["mosque mosque graffiti", "graffiti on the mosque"])
    char = dict(union.transformer_list)[CHAR]
    assert union._get_counter().char_vocabulary is char.vocabulary_
    _same(union.transform(["mosque graffiti"]), _plain(union).transform(["mosque graffiti"]))


def test_token_counts_refuses_a_single_string_and_no_text_as_scikit_learn_does():
    with pytest.raises(ValueError, match="Iterable over raw text documents"):
        _fitted().transform("hotel protest")
    for union in (_fitted(), _plain(_fitted())):
        with pytest.raises(ValueError, match="0 sample"):
            union.transform([])


def test_token_counts_equal_on_the_bundled_corpus():
    import csv

    from classifier.model.preprocess import SpacyPreprocessor

    with open(ROOT / "data" / "reports.csv", encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)][:1500]
    processed = SpacyPreprocessor().fit(texts).transform(texts)
    union = build_features().fit(processed)
    features, (passages, owner) = union.transform_with_passages(processed, 30, 15, 45)
    _same(features, _plain(union).transform(processed))
    cut, expected_owner = split_windows(processed)
    _same(passages, _plain(union).transform(cut))
    np.testing.assert_array_equal(owner, expected_owner)
