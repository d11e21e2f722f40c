"""classifier.model.second_stage: group masking, group kinds, and the rescoring of the hate labels."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.model.pipeline import build_pipeline
from classifier.model.second_stage import (
    GROUP_TOKEN,
    OTHERING_TOKEN,
    GroupMasker,
    HateSecondStage,
    TermIndex,
    describe_person,
    group_words,
)

LABELS = ["immigration", "israel_palestine", "race_hate"]
GROUPS = ["muslim", "polish", "somali", "jewish", "black", "romanian", "sikh", "irish"]


def test_term_index_finds_whole_words_longest_first_ignoring_case():
    index = TermIndex({"asylum": "a", "asylum seeker": "b", "mixed-race": "c", "jew": "d"})
    text = "Asylum  seeker, asylum; mixed-race and mixed race; jewel JEW"
    found = [(text[start:end], value) for start, end, value in index.find(text)]
    assert found == [("Asylum  seeker", "b"), ("asylum", "a"), ("mixed-race", "c"), ("JEW", "d")]
    assert index.find("") == [] and index.find("nothing here") == []


_TERMS = {"asylum": 0, "asylum seeker": 1, "asylum seekers": 2, "mixed-race": 3, "jew": 4, "new arrival": 5,
          "migrant worker": 6, "migrant": 7}


def _regex_find(text):
    """What TermIndex.find must equal: a word-bounded regular expression of the terms, longest first."""
    import re

    alternatives = sorted(_TERMS, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(
        r"\s+".join(re.escape(part) for part in term.split(" ")) for term in alternatives) + r")(?!\w)")
    found = []
    for match in pattern.finditer(text.lower()):
        key = re.sub(r"\s+", " ", match.group())
        found.append((match.start(), match.end(), _TERMS[key]))
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["asylum", "seeker", "seekers", "Asylum", "mixed", "race", "-", "jew", "jewel",
                                 "new", "arrival", "migrant", "worker", " ", "  ", "\t", "\n", ".", "_", ",",
                                 "'", "x", "é"]), max_size=14))
def test_term_index_finds_what_the_word_bounded_regex_finds(pieces):
    text = "".join(pieces)
    assert TermIndex(_TERMS).find(text) == _regex_find(text)


def test_group_masker_hides_group_names_and_names_their_kinds():
    masker = GroupMasker(group_words())
    assert masker.mask(["muslim family and polish neighbour", "bins and parking"]) == [
        f"{GROUP_TOKEN} family and {GROUP_TOKEN} neighbour", "bins and parking"]
    kinds = masker.context(["Asylum seekers moved into the hotel", "A new mosque for Polish Catholics",
                            "Bins were not collected"])
    np.testing.assert_array_equal(kinds[:, :4], [[0, 0, 0, 1], [1, 1, 1, 0], [0, 0, 0, 0]])
    assert kinds[2, 4] == pytest.approx(np.log1p(4))


def test_group_masker_pickles_its_words_and_kinds_only():
    masker = GroupMasker(["muslim"], {"mosque": 1})
    masker.mask(["a muslim"])
    restored = pickle.loads(pickle.dumps(masker))
    assert vars(restored) == {"words": ("muslim",), "kinds": {"mosque": 1}, "othering": False}
    assert restored.mask(["a Muslim"]) == [f"a {GROUP_TOKEN}"]
    # The kinds saved with a model stay, whatever the term lists say now.
    np.testing.assert_array_equal(restored.context(["a mosque and a church"])[:, :4], [[0, 1, 0, 0]])


def test_group_masker_saved_without_kinds_reads_the_term_lists():
    old = GroupMasker.__new__(GroupMasker)
    old.__setstate__({"words": ("muslim",)})
    assert old.kinds == GroupMasker(["muslim"]).kinds
    assert old.othering is False and old.mask(["his sort"]) == ["his sort"]
    np.testing.assert_array_equal(old.context(["a muslim at the mosque"])[:, :4], [[1, 1, 0, 0]])


def test_group_masker_othering_hides_phrases_that_set_a_group_apart_and_not_lookalikes():
    masker = GroupMasker(["polish"], othering=True)
    assert masker.mask(["beat a polish man unless his sort leave", "go back you people",
                        "people like you ruin it", "their kind be not welcome", "your lot again"]) == [
        f"beat a {GROUP_TOKEN} man unless {OTHERING_TOKEN} leave", f"go back {OTHERING_TOKEN}",
        f"{OTHERING_TOKEN} ruin it", f"{OTHERING_TOKEN} be not welcome", f"{OTHERING_TOKEN} again"]
    lookalikes = ["that sort of thing", "her kind word help", "a lot of noise", "the car park lot", "kind people"]
    assert masker.mask(lookalikes) == lookalikes
    assert GroupMasker(["polish"]).mask(["your lot"]) == ["your lot"]  # off by default


def _reports(n=240, seed=0):
    """Neutral and hostile sentences about many groups; race_hate when hostile, immigration for a third."""
    rng = np.random.default_rng(seed)
    texts, Y = [], []
    for i in range(n):
        group = GROUPS[i % len(GROUPS)]
        hostile = i % 3 == 0
        migrant = i % 5 == 0
        text = (f"get the {group} scum out of our street they are vermin" if hostile
                else f"the {group} family opened a bakery and the bread is lovely")
        if migrant:
            text += " and the asylum seekers at the hotel"
        texts.append(text)
        Y.append([int(migrant), int(i % 7 == 0), int(hostile)])
    Y = np.asarray(Y)
    # Stage-1 scores that know the labels, noisily.
    oof = np.clip(0.6 * Y + 0.4 * rng.random(Y.shape), 0.01, 0.99)
    return texts, Y, oof


def test_second_stage_rescores_only_the_hate_labels_it_can_cross_validate():
    texts, Y, oof = _reports()
    stage = HateSecondStage(max_iter=20).fit(texts, oof, Y, LABELS)
    np.testing.assert_array_equal(stage.columns_, [0, 2])
    rescored = stage.rescore(oof, texts)
    np.testing.assert_array_equal(rescored[:, 1], oof[:, 1])
    assert not np.allclose(rescored[:, [0, 2]], oof[:, [0, 2]])
    assert ((rescored >= 0) & (rescored <= 1)).all()
    merged = stage.merged_thresholds([0.5, 0.4, 0.5])
    assert merged[1] == 0.4 and merged[0] == stage.thresholds_[0] and merged[2] == stage.thresholds_[1]
    # With fewer than `cv` reports on a side, a label keeps its stage-1 score.
    Y_rare = Y.copy()
    Y_rare[:, 2] = 0
    Y_rare[:3, 2] = 1
    rare = HateSecondStage(max_iter=20).fit(texts, oof, Y_rare, LABELS)
    np.testing.assert_array_equal(rare.columns_, [0])


@pytest.mark.parametrize("chars", [False, True], ids=["words (default)", "words and characters"])
def test_second_stage_hostility_reads_words_only_unless_asked_for_characters(chars):
    texts, Y, oof = _reports()
    options = {} if not chars else {"hostility_chars": True}
    stage = HateSecondStage(max_iter=20, **options).fit(texts, oof, Y, LABELS)
    features = stage.hostility_.features
    assert [name for name, _ in features.transformer_list] == (["word", "char"] if chars else ["word"])
    assert features._get_counter() is not None  # counted token by token either way
    masked = stage.masker_.mask(texts)
    assert stage.hostility_.decision_function(masked).shape == (len(texts),)


def test_second_stage_hostility_binary_reads_each_word_once_whatever_the_length():
    texts, Y, oof = _reports()
    stage = HateSecondStage(max_iter=20, hostility_binary=True).fit(texts, oof, Y, LABELS)
    features = stage.hostility_.features
    short, long = features.transform(["scum out", "scum out and scum out of the bakery and the lovely bread"]).toarray()
    word = features.transformer_list[0][1]
    scum = word.vocabulary_["scum"]
    assert short[scum] == long[scum] == pytest.approx(word.idf_[scum])  # not scaled by the length, nor counted twice


def test_second_stage_hostility_score_weights_rows_as_training_does():
    texts, Y, oof = _reports()
    # Neutral reports that name a group, weighted up as training weights hard negatives.
    neutral = np.asarray([not row.any() for row in Y])
    weight = np.where(neutral, 6.0, 1.0)
    plain = HateSecondStage(max_iter=20).fit(texts, oof, Y, LABELS)
    weighted = HateSecondStage(max_iter=20).fit(texts, oof, Y, LABELS, sample_weight=weight)
    unweighted = HateSecondStage(max_iter=20, hostility_weight_power=0).fit(texts, oof, Y, LABELS,
                                                                           sample_weight=weight)
    probe = [f"the {GROUP_TOKEN} family opened a bakery", f"get the {GROUP_TOKEN} scum out"]
    plain_h, weighted_h = plain.hostility_.decision_function(probe), weighted.hostility_.decision_function(probe)
    assert weighted_h[0] < plain_h[0]  # neutral rows counted more: a neutral sentence reads less hostile
    assert weighted_h[1] > 0 and plain_h[1] > 0
    np.testing.assert_allclose(unweighted.hostility_.decision_function(probe), plain_h)  # power 0: weights unused


@pytest.mark.parametrize("text, expected", [
    ("a man find a wallet", f"a {GROUP_TOKEN} man find a wallet"),
    ("the old woman at xxnum ask about bin", f"the old {GROUP_TOKEN} woman at xxnum ask about bin"),
    ("xxnum lad play football", f"xxnum {GROUP_TOKEN} lad play football"),
    (f"a {GROUP_TOKEN} man find a wallet", None),  # already described
    ("bin not collect on mill lane", None),
    ("manchester road be block", None),  # a whole word only
])
def test_describe_person_puts_the_group_token_before_a_person_noun(text, expected):
    import random

    assert describe_person(text, random.Random(0)) == expected


def test_hostility_score_learns_that_a_described_person_is_not_hostility():
    import random

    rng = random.Random(0)
    hostile = [f"get the {group} scum out of our street they are vermin" for group in GROUPS for _ in range(10)]
    # Neutral reports about people who are not described; the hostile ones describe their target by group.
    neutral = [f"a man {verb} a wallet on the bus" for verb in ("found", "lost", "handed in", "dropped")] * 30
    texts = hostile + neutral
    rng.shuffle(texts)
    Y = np.asarray([[0, 0, int("scum" in text)] for text in texts])
    oof = np.clip(0.6 * Y + 0.2, 0.01, 0.99)
    probe = [f"a {GROUP_TOKEN} man opened a shop"]
    without = HateSecondStage(max_iter=20, person_copies=0).fit(texts, oof, Y, LABELS)
    with_copies = HateSecondStage(max_iter=20).fit(texts, oof, Y, LABELS)
    before, after = without.hostility_.decision_function(probe)[0], with_copies.hostility_.decision_function(probe)[0]
    assert after < before - 1  # the token alone no longer reads as hostility
    assert with_copies.hostility_.decision_function([f"get the {GROUP_TOKEN} scum out"])[0] > 0
    # The copies only add rows to fit on: every report still gets one out-of-fold score.
    source, copies = with_copies._person_copies(with_copies.masker_.mask(texts), Y[:, 2])
    assert len(copies) == len(neutral) and (Y[source, 2] == 0).all()


def test_second_stage_fitted_before_the_person_copies_loads_without_them():
    texts, Y, oof = _reports()
    stage = HateSecondStage(max_iter=20).fit(texts, oof, Y, LABELS)
    state = stage.__getstate__()
    state.pop("person_copies")
    old = type(stage).__new__(type(stage))
    old.__setstate__(state)
    assert old.person_copies == 0
    np.testing.assert_array_equal(old.rescore(oof, texts), stage.rescore(oof, texts))


def test_second_stage_never_lowers_a_label_as_its_own_score_rises():
    texts, Y, oof = _reports()
    stage = HateSecondStage(max_iter=20).fit(texts, oof, Y, LABELS)
    low, high = oof.copy(), oof.copy()
    low[:, 2], high[:, 2] = 0.2, 0.9
    assert (stage.rescore(high, texts)[:, 2] >= stage.rescore(low, texts)[:, 2] - 1e-12).all()


def test_second_stage_survives_pickling_with_the_same_scores():
    texts, Y, oof = _reports()
    stage = HateSecondStage(max_iter=20).fit(texts, oof, Y, LABELS)
    restored = pickle.loads(pickle.dumps(stage))
    np.testing.assert_array_equal(restored.rescore(oof, texts), stage.rescore(oof, texts))


def test_pipeline_with_a_second_stage_predicts_with_its_thresholds():
    texts, Y, _ = _reports()
    pipeline = build_pipeline(LABELS, cv=3, cv_repeats=1, min_df=1,
                              second_stage=HateSecondStage(max_iter=20)).fit(texts, Y)
    stage = pipeline.second_stage_
    assert stage is not None and list(stage.columns_) == [0, 2]
    classifier = pipeline.named_steps["classifier"]
    np.testing.assert_array_equal(pipeline.thresholds_, stage.merged_thresholds(classifier.thresholds_))
    proba = pipeline.predict_proba(texts[:20])
    np.testing.assert_array_equal(pipeline.predict(texts[:20]), (proba >= pipeline.thresholds_).astype(int))
    linear = build_pipeline(LABELS, cv=3, cv_repeats=1, min_df=1, second_stage=False).fit(texts, Y)
    assert linear.second_stage_ is None
    np.testing.assert_array_equal(linear.thresholds_, linear.named_steps["classifier"].thresholds_)
    # The stage-1 scores are the same with or without a second stage; it changes only the hate labels.
    np.testing.assert_allclose(linear.predict_proba(texts[:20])[:, 1], proba[:, 1])


def test_pipeline_saved_before_the_second_stage_loads_without_one():
    texts, Y, _ = _reports(60)
    pipeline = build_pipeline(["israel_palestine"], cv=2, cv_repeats=1, min_df=1).fit(texts, Y[:, 1])
    state = pipeline.__getstate__()
    state.pop("second_stage")
    state.pop("second_stage_")
    old = type(pipeline).__new__(type(pipeline))
    old.__setstate__(state)
    assert old.second_stage is None and old.second_stage_ is None
    np.testing.assert_array_equal(old.predict_proba(texts), pipeline.predict_proba(texts))


def test_a_slice_keeps_the_second_stage_only_with_the_classifier():
    pipeline = build_pipeline(LABELS)
    assert isinstance(pipeline[1:].second_stage, HateSecondStage)
    assert pipeline[:-1].second_stage is None


def test_second_stage_trees_run_on_one_openmp_thread_and_the_limit_is_lifted_after():
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime)
    from threadpoolctl import threadpool_info, threadpool_limits

    from classifier.model.second_stage import _in_threads

    def openmp_threads(_task=None):
        return {library["num_threads"] for library in threadpool_info() if library["user_api"] == "openmp"}

    with threadpool_limits(limits=2, user_api="openmp"):  # two, whatever OMP_NUM_THREADS says (1 under xdist)
        before = openmp_threads()
        assert before == {2}
        assert _in_threads(openmp_threads, range(4)) == [{1}] * 4
        assert openmp_threads() == before
