"""The bundled corpus passes its own checks, and the checks catch what they should."""

import pytest

from classifier.io.records import read_labelled
from classifier.model.identity_terms import is_hard_negative
from classifier.training.validate import shared_run_share, validate_file
from tests.helpers import BACKLOG, CORPUS, write_csv

LABELS = ["immigration", "race_hate", "religious_hate", "israel_palestine", "misinformation"]


@pytest.fixture(scope="module")
def corpus_report():
    return validate_file(CORPUS, allowed_labels=LABELS)


def test_validate_corpus_is_clean(corpus_report):
    assert corpus_report.ok
    assert corpus_report.near_duplicates == [] and corpus_report.exact_duplicates == []
    assert corpus_report.shared_run_share < 0.03


def test_validate_corpus_meets_the_mix(corpus_report):
    n = corpus_report.n_reports
    assert n >= 2000
    assert all(corpus_report.label_counts[label] >= 250 for label in LABELS)
    assert corpus_report.no_label / n >= 0.30
    assert corpus_report.multi_label / n >= 0.12
    assert corpus_report.split_counts["test"] / n >= 0.20


def test_validate_corpus_has_enough_hard_negatives():
    data = read_labelled(CORPUS)
    assert sum(is_hard_negative(t, labels) for t, labels in zip(data.texts, data.labels, strict=True)) >= 300


def test_validate_backlog_does_not_overlap_corpus():
    import csv

    with open(BACKLOG, encoding="utf-8") as handle:
        backlog = [row["text"] for row in csv.DictReader(handle)]
    corpus = {" ".join(t.lower().split()) for t in read_labelled(CORPUS).texts}
    assert len(backlog) >= 500
    assert not [t for t in backlog if " ".join(t.lower().split()) in corpus]


def test_validate_finds_duplicates_unknown_and_rare_labels(tmp_path):
    rows = [{"text": f"completely different report about topic {w}", "labels": "race_hate"} for w in
            "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo".split()]
    rows += [{"text": "Exact same words here", "labels": ""}, {"text": "exact same  words here", "labels": ""},
             {"text": "one off", "labels": "race_hat"}]
    report = validate_file(write_csv(tmp_path / "v.csv", rows), allowed_labels=["race_hate"])
    assert not report.ok
    assert len(report.exact_duplicates) == 1
    assert "race_hat" in report.unknown_labels
    assert report.rare_labels["race_hat"] == "race_hate"


def test_validate_shared_run_share_counts_reports():
    texts = ["one two three four five six seven eight nine", "zero one two three four five six seven eight",
             "something else entirely"]
    assert shared_run_share(texts) == pytest.approx(2 / 3)


def test_validate_several_files_finds_conflicts_across_them_and_lists_all_on_request(tmp_path):
    from classifier.training.validate import SHOWN, format_report, validate_files

    old = write_csv(tmp_path / "old.csv", [{"text": f"report number {i}", "labels": "race_hate"} for i in range(25)])
    new = write_csv(tmp_path / "new.csv", [{"text": f"report number {i}", "labels": ""} for i in range(25)])
    report = validate_files([old, new])
    assert report.n_reports == 50 and not report.ok and len(report.conflicts) == 25
    short = format_report(report).splitlines()
    assert short[0] == "50 reports in 2 files" and "same text with different labels: 25" in short
    assert sum(" vs " in line for line in short) == SHOWN
    assert "  ... and 5 more (--show-all lists them all)" in short
    full = format_report(report, show_all=True).splitlines()
    assert "  old.csv row 26 ['race_hate'] vs new.csv row 26 no label" in full
    assert sum(" vs " in line for line in full) == 25 and not any("more (--show-all" in line for line in full)


def test_validate_a_label_too_rare_to_train_is_a_problem_not_ok(tmp_path):
    from classifier.training.validate import format_report

    rows = [{"text": f"completely different report about topic {w}", "labels": "race_hate"} for w in
            "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo".split()]
    rows.append({"text": "a report about something else entirely", "labels": "racism"})
    report = validate_file(write_csv(tmp_path / "v.csv", rows))
    assert not report.ok and list(report.rare_labels) == ["racism"]
    text = format_report(report)
    assert "label 'racism' has only 1 example(s): tension train refuses a label with fewer than 10" in text
    assert text.endswith("PROBLEMS FOUND: fix the rows above before training.")


def test_validate_a_label_a_letter_from_a_far_commoner_one_is_a_misspelling_whatever_its_count(tmp_path):
    """Reproduction: 'immigation' on 20 of 300 immigration reports passed validate as OK, and train learned it as
    a label of its own (F1 0.18); the typo hint came only under 10 examples."""
    from classifier.training.validate import format_report

    words = [f"w{i}x{j}" for i in range(60) for j in range(6)]
    rows = [{"text": f"report {' '.join(words[k * 6:(k + 1) * 6])}", "labels": "immigration" if k % 3 else
             "immigation"} for k in range(60)]
    report = validate_file(write_csv(tmp_path / "v.csv", rows))
    assert report.label_counts == {"immigration": 40, "immigation": 20}
    assert not report.rare_labels and report.misspelt_labels == []  # 20 of 40: perhaps meant apart
    text = format_report(report)
    assert "labels 'immigation' (20) and 'immigration' (40) are a letter or two apart" in text and report.ok
    rows += [{"text": f"another report {w}{k}", "labels": "immigration"} for k in range(70) for w in ["z"]]
    report = validate_file(write_csv(tmp_path / "v.csv", rows))
    assert report.misspelt_labels == [("immigation", "immigration")] and not report.ok
    assert ("label 'immigation' (20 reports) looks like a misspelling of 'immigration' (110): correct those rows"
            in format_report(report))


def test_validate_a_label_on_every_report_is_a_problem_and_no_unlabelled_report_is_said(tmp_path):
    """Reproduction: a file where every report had 'immigration' passed validate as OK, though train refuses it;
    a file without a single no-label report passed without a word, and its model gave ordinary reports a label."""
    from classifier.training.validate import format_report

    rows = [{"text": f"report number {w} about the hotel", "labels": "immigration" + (";misinformation" if i % 2
                                                                                        else "")}
            for i, w in enumerate("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split())]
    report = validate_file(write_csv(tmp_path / "v.csv", rows))
    assert report.labels_on_every_report == ["immigration"] and not report.ok
    text = format_report(report)
    assert "label 'immigration' is on every report: tension train needs reports without it too" in text
    assert "no report is without a label: the model never sees an ordinary report" in text


def test_validate_two_real_labels_that_share_letters_are_not_called_typos():
    """Reproduction: a rare 'race_hate' was offered as 'a typo for religious_hate?'."""
    from classifier.model.label_names import likely_typo, similar_label_pairs

    assert likely_typo("race_hate", ["religious_hate", "immigration"]) is None
    assert likely_typo("Race_Hate", ["race_hate", "religious_hate"]) == "race_hate"
    assert likely_typo("misinfo", ["misinformation", "immigration"]) == "misinformation"
    assert similar_label_pairs(["race_hate", "religious_hate", "immigration", "misinformation"]) == []


@pytest.mark.parametrize("cell", ["race_hate,immigration", "race_hate | immigration", "race_hate/immigration"])
def test_validate_labels_joined_by_another_separator_get_the_semicolon_hint(cell):
    from classifier.errors import DataError
    from classifier.io.records import parse_labels

    with pytest.raises(DataError, match="Did you mean 'race_hate;immigration'"):
        parse_labels(cell, "row 2")


def test_validate_a_text_repeated_with_other_labels_is_a_conflict_not_also_an_exact_duplicate(tmp_path):
    """Reproduction: the same 50 pairs were listed under both 'same text with different labels: 50' and 'exact
    duplicates: 50'."""
    from classifier.training.validate import format_report

    rows = [{"text": "leaflets on the estate about the hotel", "labels": "immigration"},
            {"text": "leaflets on the estate about the hotel", "labels": "misinformation"},
            {"text": "bins not collected on Fenwick Road", "labels": ""},
            {"text": "bins not collected on Fenwick Road", "labels": ""}]
    report = validate_file(write_csv(tmp_path / "v.csv", rows))
    assert len(report.conflicts) == 1 and len(report.exact_duplicates) == 1
    text = format_report(report)
    assert "same text with different labels: 1" in text and "exact duplicates with the same labels: 1" in text
