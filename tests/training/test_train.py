"""Quality bars of the default model on the bundled corpus: a regression test, so CI fails if they slip."""

import json

import numpy as np
import pytest

from classifier.errors import ConfigError, DataError
from classifier.io.records import read_labelled
from classifier.training.train import split_indices, train
from tests.helpers import CORPUS, FIRST_ROWS_FILE, write_csv

# Issue 13's bars on the bundled corpus's test split (2,630 reports of generations 1-12, 14-16 and 18-22). The
# default model (plain LR with passages and counterfactual copies, the hate labels rescored by the second stage;
# chosen by cross-validation inside the train split and the identity suite: docs/model_choices.md) measures
# macro-F1 0.876, every label >= 0.804 and 95.7% of hard negatives left unlabelled (the linear model alone: 0.854
# and 93.6%).
MACRO_F1_BAR = 0.86
LABEL_F1_BAR = 0.78
HARD_NEGATIVE_BAR = 0.93
# Identity-term suite: the issue asks for <= 3% false positives overall and <= 5% for every group (the default
# measures 0.0% in every group) and >= 95% hostile recall (the default, seed 0: 95.2%; seeds 1 and 2 give 95.1%
# and 94.4%, most of the spread on one template, HS06; 94.4% under the suite's first version, whose HS06 gave no
# reason for its threat and so was no hate by the codebook's own test: docs/model_choices.md, "The identity
# suite's version 2", and "Israelis and Palestinians named in neutral reports"). The held-out identity probe is
# reported, not a bar here: the default gives 0.3% of its neutral and positive sentences a label.
SUITE_FPR_BAR = 0.03
SUITE_GROUP_FPR_BAR = 0.05
SUITE_HOSTILE_RECALL_BAR = 0.95
#: Long reports (> 150 words, most of them multi-topic) may trail short ones by at most this much recall.
LONG_RECALL_GAP = 0.05


def test_training_default_model_meets_macro_f1_bar(default_trained):
    assert default_trained.metrics["macro"]["f1"] >= MACRO_F1_BAR


@pytest.mark.parametrize("label", ["immigration", "race_hate", "religious_hate", "israel_palestine", "misinformation"])
def test_training_default_model_meets_label_f1_bar(default_trained, label):
    assert default_trained.metrics["labels"][label]["f1"] >= LABEL_F1_BAR


def test_training_hard_negatives_mostly_get_no_label(default_trained):
    overall = default_trained.hard_negatives["overall"]
    assert overall["n"] >= 60
    assert overall["clean_rate"] >= HARD_NEGATIVE_BAR


def test_training_metadata_is_complete(trained):
    meta = trained.metadata
    assert meta["labels"] == ["immigration", "israel_palestine", "misinformation", "race_hate", "religious_hate"]
    assert set(meta["thresholds"]) == set(meta["labels"])
    assert meta["rows"]["train"] + meta["rows"]["test"] == meta["rows"]["total"]
    assert meta["data"][0]["sha256"] and len(meta["data"][0]["sha256"]) == 64
    assert {"scikit-learn", "spacy", "numpy"} <= set(meta["versions"])
    assert meta["split"] == "split column"
    assert meta["seed"] == 0 and meta["created"]


def test_training_records_what_needs_review_catches_on_the_test_split(trained, small_corpus):
    review = trained.metadata["review_flag"]
    test = read_labelled(small_corpus).only_split("test", "the small corpus")
    predictions = trained.model.predict(test.texts)
    wrong = [set(p.labels) != set(given) for p, given in zip(predictions, test.labels, strict=True)]
    flagged = [p.needs_review for p in predictions]
    assert review["band"] == trained.model.review_band and review["n"] == len(test)
    assert review["flagged"] == sum(flagged) and review["wrong"] == sum(wrong)
    assert review["wrong_flagged"] == sum(w and f for w, f in zip(wrong, flagged, strict=True))


def test_training_records_the_identity_suite_figures(trained):
    suite = trained.metadata["identity_suite"]
    assert suite == trained.identity_suite
    assert suite["suite"]["n_terms"] >= 40 and set(suite["groups"]) == {"religion", "ethnicity", "nationality",
                                                                         "migration_status"}
    overall = suite["overall"]
    assert 0 <= overall["false_positive_rate"] <= 1 and 0 <= overall["hostile_recall"] <= 1
    assert overall["max_term_fpr"] == max(suite["term_false_positive_rate"].values())
    assert json.loads((trained.model_dir / "metadata.json").read_text("utf-8"))["identity_suite"] == suite


def test_training_records_and_shows_the_conflict_nationalities(trained):
    conflict = trained.metadata["conflict_nationalities"]
    assert set(conflict) == {"Israeli", "Palestinian"} and all(f["n"] >= 60 for f in conflict.values())
    card = (trained.model_dir / "MODEL_CARD.md").read_text("utf-8")
    assert "## Israelis and Palestinians" in card
    assert f"| Israeli | {conflict['Israeli']['n']} | {conflict['Israeli']['labelled']} (" in card


def test_training_default_model_meets_identity_suite_bars(default_trained):
    overall = default_trained.identity_suite["overall"]
    assert overall["false_positive_rate"] <= SUITE_FPR_BAR
    for group, figures in default_trained.identity_suite["groups"].items():
        assert figures["false_positive_rate"] <= SUITE_GROUP_FPR_BAR, group
    assert overall["hostile_recall"] >= SUITE_HOSTILE_RECALL_BAR


def test_training_default_model_passes_the_promote_gate(default_trained):
    # tension promote's absolute limits (3% overall, 5% for any one term): a default it would refuse is no default.
    from classifier.fairness import fairness_problems

    assert fairness_problems(default_trained.identity_suite) == []


def test_training_long_reports_keep_every_topic(default_trained):
    test = read_labelled(CORPUS).only_split("test")
    labels = default_trained.model.labels
    truth = np.asarray(test.indicator(labels))
    given = np.asarray([[label in p.labels for label in labels]
                       for p in default_trained.model.predict(test.texts, explain=False)])
    long = np.asarray([len(text.split()) > 150 for text in test.texts])
    assert long.sum() >= 40
    recall = {name: (truth[rows] & given[rows]).sum() / truth[rows].sum() for name, rows in
              (("long", long), ("short", ~long))}
    assert recall["long"] >= recall["short"] - LONG_RECALL_GAP


def test_training_is_reproducible(first_rows_trained, tmp_path):
    # Trained again later in the same session, after many other tests: no state may leak into a model.
    first = first_rows_trained
    again = train(first.model_dir.parent / FIRST_ROWS_FILE, tmp_path / "again", seed=0)
    assert again.metadata["thresholds"] == first.metadata["thresholds"]
    texts = ["a pig's head was left at the mosque gates", "bins not emptied again"]
    np.testing.assert_array_equal(again.model.predict_proba(texts), first.model.predict_proba(texts))


def test_training_random_split_is_stratified_and_seeded():
    data = read_labelled(CORPUS)
    train_a, test_a, how = split_indices(data, test_size=0.25, seed=3)
    train_b, test_b, _ = split_indices(data, test_size=0.25, seed=3)
    assert (train_a, test_a) == (train_b, test_b)
    assert "25%" in how and not set(train_a) & set(test_a)
    share = np.mean([bool(data.labels[i]) for i in test_a])
    assert abs(share - np.mean([bool(x) for x in data.labels])) < 0.03


def test_training_rejects_bad_test_size():
    with pytest.raises(ConfigError, match="between 0 and 1"):
        split_indices(read_labelled(CORPUS), test_size=1.5)


def test_training_refuses_label_with_too_few_examples(tmp_path):
    rows = [{"text": f"report number {i} about bins", "labels": ""} for i in range(40)]
    rows += [{"text": f"asylum hotel protest {i}", "labels": "immigration"} for i in range(30)]
    rows.append({"text": "one odd one", "labels": "rare_label"})
    path = write_csv(tmp_path / "few.csv", rows)
    with pytest.raises(DataError, match="rare_label"):
        train(path, None, test_size=0.2)


def test_training_names_the_rows_of_a_rare_label_and_the_label_it_may_misspell(tmp_path):
    rows = [{"text": f"report number {i} about bins", "labels": "", "split": "test" if i < 10 else "train"}
            for i in range(40)]
    rows += [{"text": f"asylum hotel protest {i}", "labels": "immigration", "split": "test" if i < 5 else "train"}
             for i in range(30)]
    rows.append({"text": "protest at the hotel again", "labels": "immigraton", "split": "train"})
    path = write_csv(tmp_path / "typo.csv", rows)
    with pytest.raises(DataError, match=r"'immigraton' \(1 report: typo.csv row 72; a typo for 'immigration'\?\)"):
        train(path, None)


def _with_unsplit_rows(n_unsplit=400):
    """The corpus's rows with a split, then ``n_unsplit`` more reports whose file had no split column."""
    from classifier.io.records import LabelledData

    corpus = read_labelled(CORPUS)
    extra = corpus.subset(range(n_unsplit))
    extra = LabelledData([f"new{i}" for i in range(n_unsplit)], [f"{t} (relabelled copy)" for t in extra.texts],
                         extra.labels, [None] * n_unsplit, extra.sources)
    return corpus, LabelledData(corpus.ids + extra.ids, corpus.texts + extra.texts, corpus.labels + extra.labels,
                                corpus.splits + extra.splits, corpus.sources + extra.sources)


def test_training_split_keeps_each_rows_split_and_splits_only_the_rows_without_one():
    from classifier.training.train import format_split, split_counts

    corpus, data = _with_unsplit_rows()
    train_idx, test_idx, how = split_indices(data, seed=0)
    n = len(corpus)
    assert [i for i in test_idx if i < n] == [i for i, s in enumerate(corpus.splits) if s == "test"]
    assert [i for i in train_idx if i < n] == [i for i, s in enumerate(corpus.splits) if s == "train"]
    new_test = [i for i in test_idx if i >= n]
    assert len(new_test) == 80 and not set(train_idx) & set(test_idx) and len(train_idx) + len(test_idx) == len(data)
    labelled = np.mean([bool(data.labels[i]) for i in new_test])  # stratified: the same share of labelled reports
    assert abs(labelled - np.mean([bool(x) for x in data.labels[n:]])) < 0.03
    assert how == f"split column for {n} rows; the 400 rows without one: random stratified 20% (seed 0)"
    assert split_indices(data, seed=0) == (train_idx, test_idx, how)
    assert split_indices(data, seed=1)[1] != test_idx  # the seed chooses which new rows are held out
    counts = split_counts(data, test_idx)
    assert counts == {"came_with_split": n, "came_with_split_test": len(test_idx) - 80, "split_now": 400,
                      "split_now_test": 80, "split_ignored": 0, "test_size": 0.2}
    assert format_split(counts) == (f"Split: {n} rows came with a split and kept it ({len(test_idx) - 80} test); "
                                    "400 rows had none and were split now, stratified (80 test, 20%, seed 0).")


def test_training_split_with_test_size_ignores_every_split_column_and_says_so():
    from classifier.training.train import format_split, split_counts

    _, data = _with_unsplit_rows(10)
    _, test_idx, how = split_indices(data, test_size=0.25, seed=0)
    assert how == "random stratified 25% (seed 0)"
    counts = split_counts(data, test_idx, test_size=0.25)
    assert counts["split_ignored"] == len(data) - 10 and counts["split_now"] == len(data)
    assert "--test-size: the split column of" in format_split(counts)


@pytest.mark.parametrize("n_unsplit", [1, 3])
def test_training_split_of_very_few_rows_without_one(n_unsplit):
    corpus, data = _with_unsplit_rows(n_unsplit)
    train_idx, test_idx, _ = split_indices(data)
    new = set(range(len(corpus), len(data)))
    assert new <= set(train_idx) | set(test_idx)  # each is placed, stratified or not
    if n_unsplit == 1:
        assert new <= set(train_idx)  # one report cannot be split: it is learnt from


def test_training_split_needs_train_and_test_rows():
    from classifier.io.records import LabelledData

    only_test = LabelledData(["1", "2"], ["a", "b"], [(), ()], ["test", "test"], ["f row 2", "f row 3"])
    with pytest.raises(DataError, match="leaves 0 train and 2 test rows.*--test-size"):
        split_indices(only_test)


def test_training_long_report_reasons_come_from_the_passage_that_earned_the_label(default_model):
    """Reproduction: four no-label reports with one hostile sentence put in the middle (314 words) got race_hate
    from that sentence's passage (0.0016 without it), but its reasons were 'Bengali, Afghanistan, Roma, Romanian,
    families' from the neutral parts: the whole text was explained, not the passage. The reasons now come from
    the passage, so they are the words of the sentence that raised the score."""
    import random

    test = read_labelled(CORPUS).only_split("test")
    rows = [text for text, labels in zip(test.texts, test.labels, strict=True) if not labels
            and len(text.split()) > 60]
    hostile = ("Separately, someone shouted 'go back to Poland, you scrounging immigrants' at the family at the bus "
               "stop.")
    found = 0
    for seed in range(5):
        parts = random.Random(seed).sample(rows, 4)
        text = " ".join(parts[:2]) + " " + hostile + " " + " ".join(parts[2:])
        start = text.index(hostile)
        prediction = default_model.predict([text])[0]
        if "race_hate" not in prediction.labels:
            continue
        found += 1
        spans = prediction.reason_spans["race_hate"]
        inside = [span for span in spans if start <= span[0] < start + len(hostile)]
        assert len(inside) >= 3, [text[a:b] for a, b in spans]  # the passage holds some context around it
    assert found >= 3


def test_training_a_bad_review_band_is_refused_before_the_fit(tmp_path, monkeypatch):
    """Reproduction: train(..., review_band=2) raised its ConfigError only after the whole fit (9.5 s on 475
    reports; minutes on the corpus)."""
    import classifier.training.train as training

    def no_fit(*args, **kwargs):
        raise AssertionError("the pipeline was fitted before the review band was checked")

    monkeypatch.setattr(training, "fit_pipeline", no_fit)
    with pytest.raises(ConfigError, match="review band must be a number from 0 up to"):
        train(CORPUS, tmp_path / "m", review_band=2)
    assert not (tmp_path / "m").exists()


class _Fitted(Exception):
    """Raised instead of fitting: a check that runs before the fit has passed."""


@pytest.fixture
def no_fit(monkeypatch):
    """``train`` stops with :class:`_Fitted` where it would fit the pipeline."""
    import classifier.training.train as training

    def stop(*args, **kwargs):
        raise _Fitted

    monkeypatch.setattr(training, "fit_pipeline", stop)
    return _Fitted


def _rows(path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_training_warns_before_the_fit_when_a_renamed_hate_label_would_not_be_rescored(small_labelled, tmp_path,
                                                                                        no_fit):
    """Reproduction: with race_hate renamed racism, train said nothing and the second stage left racism out;
    neutral mentions of groups got a label several times as often."""
    import warnings

    rows = _rows(small_labelled)
    for row in rows:
        row["labels"] = row["labels"].replace("race_hate", "racism")
    renamed = write_csv(tmp_path / "renamed.csv", rows)
    with pytest.warns(UserWarning, match=r"this data has no race_hate, but has labels of its own: racism\. .*"
                                         r"--rescore immigration --rescore religious_hate --rescore racism\."):
        with pytest.raises(no_fit):
            train(renamed, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for data, options in ((small_labelled, {}), (renamed, {"rescore": ["racism"]}),
                              (renamed, {"second_stage": False})):
            with pytest.raises(no_fit):
                train(data, None, **options)


def test_training_warns_of_a_label_with_fewer_test_examples_than_promote_needs():
    """Reproduction: a new label with 3 test examples showed F1 1.000 with no caveat in train's output or the model
    card; only promote said that 10 are needed."""
    from classifier.evaluation.compare import MIN_PER_LABEL
    from classifier.evaluation.metrics import label_metrics
    from classifier.reports.model_card import few_examples_lines
    from classifier.training.train import few_test_examples_warning

    Y_true = np.zeros((40, 3), dtype=int)
    Y_true[:12, 0] = Y_true[12:15, 1] = 1  # a: 12 test examples, asb: 3, new: none
    metrics = label_metrics(Y_true, Y_true, ["a", "asb", "new"])
    warning = few_test_examples_warning(metrics)
    assert warning.startswith(f"label(s) with fewer than {MIN_PER_LABEL} examples in the test split: asb (3), new "
                              "(0). ")
    assert "tension promote refuses" in warning and "left out of the macro average" in warning
    card = "\n".join(few_examples_lines(metrics))
    assert "**Few test examples:** `asb` (3), `new` (0) have fewer than 10" in card
    assert "The macro average leaves out `new`: no example in the test split" in card
    enough = label_metrics(Y_true[:, :1], Y_true[:, :1], ["a"])
    assert few_test_examples_warning(enough) == "" and few_examples_lines(enough) == []


def test_training_warns_before_the_fit_of_labels_a_letter_or_two_apart(small_labelled, tmp_path, no_fit):
    """Reproduction: anti_social_behaviour and anti_social_behavior (UK and US spelling) were trained as two
    labels without a word, although tension validate flags the pair."""
    rows = _rows(small_labelled)
    for number, row in enumerate(rows[:60]):
        row["labels"] = "anti_social_behaviour" if number % 2 else "anti_social_behavior"
    spelt = write_csv(tmp_path / "spelt.csv", rows)
    with pytest.warns(UserWarning, match=r"labels a letter or two apart, trained as separate labels: "
                                         r"'anti_social_behavior' \(30 reports\) and 'anti_social_behaviour' \(30\)\. "
                                         r"If each pair is one label spelt two ways"):
        with pytest.raises(no_fit):
            train(spelt, None)
