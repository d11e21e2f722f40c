"""Comparing two models on the same data: per-label F1, paired bootstrap intervals, a verdict."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sklearn.metrics import f1_score

from classifier.errors import ConfigError, DataError
from classifier.evaluation.compare import TooFewUnseenRows, compare_models, format_comparison
from classifier.io.records import read_labelled
from tests.helpers import CORPUS, FIRST_ROWS, copy_model, write_csv


@pytest.fixture(scope="module")
def setup(tmp_path_factory, first_rows_trained):
    """Two models trained on different slices of the corpus, saved, and a held-out file to compare them on: A the
    run's model of the first :data:`FIRST_ROWS` reports (a copy named model_a), B trained on the first 400."""
    from classifier.training.train import train

    folder = tmp_path_factory.mktemp("compare")
    with open(CORPUS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    a = copy_model(first_rows_trained.model_dir, folder / "model_a")
    b = train(write_csv(folder / "b.csv", rows[:400]), folder / "model_b", seed=0)
    held_out = write_csv(folder / "held_out.csv", rows[600:800])
    return a, b.model_dir, held_out


def test_compare_agrees_with_metrics_computed_directly(setup):
    from classifier import load_model

    path_a, path_b, data = setup
    result = compare_models(path_a, path_b, data, n_resamples=200, identity_suite=False)  # its own test, below
    truth = read_labelled(data)
    for path, key in ((path_a, "f1_a"), (path_b, "f1_b")):
        model = load_model(path)
        predicted = [p.labels for p in model.predict(truth.texts, explain=False)]
        for label in result["labels"]:
            y_true = [label in row for row in truth.labels]
            y_pred = [label in row for row in predicted]
            assert result["per_label"][label][key] == pytest.approx(f1_score(y_true, y_pred, zero_division=0))
        direct = np.mean([f1_score([lab in r for r in truth.labels], [lab in r for r in predicted], zero_division=0)
                          for lab in result["labels"]])
        assert result["macro"][key] == pytest.approx(direct)
    assert result["n_reports"] == len(truth) == 200
    assert result["model_a"] == "model_a" and result["model_b"] == "model_b"


def test_compare_interval_brackets_the_difference_and_is_reproducible(setup):
    path_a, path_b, data = setup
    first = compare_models(path_a, path_b, data, n_resamples=300, seed=3, identity_suite=False)
    again = compare_models(path_a, path_b, data, n_resamples=300, seed=3, identity_suite=False)
    assert first["macro"] == again["macro"]
    for m in list(first["per_label"].values()) + [first["macro"]]:
        assert m["diff"] == pytest.approx(m["f1_b"] - m["f1_a"])
        assert m["ci_low"] <= m["ci_high"]
    macro = first["macro"]
    assert macro["ci_low"] - 0.02 <= macro["diff"] <= macro["ci_high"] + 0.02
    assert first["verdict"].startswith(("model_b is better", "model_b is worse", "No clear difference"))
    table = format_comparison(first)
    assert "macro avg" in table and first["verdict"] in table


def test_compare_shows_both_models_identity_suite_figures(setup):
    from classifier import load_model
    from classifier.fairness import evaluate_identity_suite, load_identity_probe

    path_a, path_b, data = setup
    result = compare_models(path_a, path_b, data, n_resamples=50)
    for path, key in ((path_a, "identity_suite_a"), (path_b, "identity_suite_b")):
        assert result[key]["overall"] == evaluate_identity_suite(load_model(path))["overall"]
    table = format_comparison(result)
    a, b = result["identity_suite_a"]["overall"], result["identity_suite_b"]["overall"]
    line = next(line for line in table.splitlines() if line.startswith("false-positive rate"))
    assert f"{a['false_positive_rate']:.1%}" in line and f"{b['false_positive_rate']:.1%}" in line
    assert f"{(b['false_positive_rate'] - a['false_positive_rate']) * 100:+.1f} pts" in line
    assert "hostile recall" in table and "mean BPSN AUC" in table and "worst terms B:" in table
    # The held-out probe below it, the same rows.
    probe = load_identity_probe()
    assert result["identity_probe_b"]["overall"] == evaluate_identity_suite(load_model(path_b), probe)["overall"]
    below = table[table.index(f"Held-out probe: {len(probe)} sentences"):]
    pa, pb = result["identity_probe_a"]["overall"], result["identity_probe_b"]["overall"]
    line = next(line for line in below.splitlines() if line.startswith("false-positive rate"))
    assert f"{pa['false_positive_rate']:.1%}" in line and f"{pb['false_positive_rate']:.1%}" in line
    # Then who each model flags among Israelis and Palestinians.
    from classifier.fairness.conflict import evaluate_conflict_nationalities

    ca, cb = result["conflict_nationalities_a"], result["conflict_nationalities_b"]
    assert cb == evaluate_conflict_nationalities(load_model(path_b))
    line = next(line for line in table.splitlines() if line.startswith("Israeli "))
    assert f"{ca['Israeli']['rate']:.1%}" in line and f"{cb['Israeli']['rate']:.1%}" in line
    plain = compare_models(path_a, path_b, data, n_resamples=50, identity_suite=False)
    assert "identity_suite_a" not in plain and "identity_probe_a" not in plain
    assert "conflict_nationalities_a" not in plain
    assert "Identity-term suite" not in format_comparison(plain) and "Held-out probe" not in format_comparison(plain)


def test_compare_a_model_with_itself_finds_no_difference(setup):
    path_a, _, data = setup
    result = compare_models(path_a, path_a, data, n_resamples=100, identity_suite=False)
    assert result["macro"]["diff"] == 0 and result["macro"]["ci_low"] == result["macro"]["ci_high"] == 0
    assert result["verdict"].startswith("No clear difference")


def test_compare_split_option_and_bad_input(setup):
    path_a, path_b, data = setup
    only_test = compare_models(path_a, path_b, data, split="test", n_resamples=50, min_rows=40, min_per_label=5,
                               identity_suite=False)
    assert only_test["n_reports"] == sum(s == "test" for s in read_labelled(data).splits)
    with pytest.raises(DataError, match="split 'holdout'"):
        compare_models(path_a, path_b, data, split="holdout")
    with pytest.raises(ConfigError, match="n_resamples"):
        compare_models(path_a, path_b, data, n_resamples=5)
    with pytest.raises(ConfigError, match="confidence"):
        compare_models(path_a, path_b, data, confidence=95)
    with pytest.raises(DataError, match="does not exist"):
        compare_models(path_a, path_b, data.with_name("missing.csv"))

    for option in ("min_rows", "min_per_label"):
        with pytest.raises(ConfigError, match=f"'{option}' must be a whole number >= 0"):
            compare_models(path_a, path_b, data, **{option: -1})


def _corpus_rows(stop):
    with open(CORPUS, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))[:stop]


def test_compare_scores_only_the_rows_neither_model_trained_on(setup, tmp_path):
    path_a, path_b, _ = setup
    rows = _corpus_rows(800)  # A trained on the train rows of the first FIRST_ROWS, B on those of the first 400
    trained_a = [r for r in rows[:FIRST_ROWS] if r["split"] == "train"]
    trained_b = [r for r in rows[:400] if r["split"] == "train"]
    result = compare_models(path_a, path_b, write_csv(tmp_path / "all.csv", rows), n_resamples=50,
                            identity_suite=False)
    unseen = [r for r in rows if r not in trained_b]
    assert result["rows"] == {"in_data": 800, "trained_on_a": len(trained_a), "trained_on_b": len(trained_b),
                              "trained_on_either": len(trained_b), "unseen": len(unseen)}
    assert result["n_reports"] == len(unseen)
    direct = compare_models(path_a, path_b, write_csv(tmp_path / "unseen.csv", unseen), n_resamples=50,
                            identity_suite=False)
    assert direct["rows"]["trained_on_either"] == 0
    assert (result["macro"], result["per_label"]) == (direct["macro"], direct["per_label"])
    assert format_comparison(result).startswith(
        f"Scored on {len(unseen)} of 800 reports, those neither model trained on (model_a trained on "
        f"{len(trained_a)} of them, model_b on {len(trained_b)}).")


def test_compare_refuses_too_few_unseen_rows_and_says_why(setup, tmp_path):
    path_a, path_b, _ = setup
    rows = _corpus_rows(400)
    test_rows = [r for r in rows if r["split"] == "test"]
    seen = write_csv(tmp_path / "seen.csv", rows)
    with pytest.raises(TooFewUnseenRows, match=rf"Only {len(test_rows)} of the 400 reports of '.*seen.csv' are ones "
                                               r"neither model trained on \(model_a trained on \d+ of them, model_b on "
                                               rf"{400 - len(test_rows)}\); at least 100 are needed.*--min-rows"):
        compare_models(path_a, path_b, seen, identity_suite=False)
    with pytest.raises(TooFewUnseenRows, match=r"too few have label\(s\) \{.*'race_hate': \d\}: at least 10 of each"):
        compare_models(path_a, path_b, seen, min_rows=50, identity_suite=False)
    result = compare_models(path_a, path_b, seen, min_rows=50, min_per_label=5, n_resamples=50, identity_suite=False)
    assert result["n_reports"] == len(test_rows)


def test_compare_refuses_a_model_that_does_not_record_its_training_rows(setup):
    from classifier import load_model

    path_a, path_b, data = setup
    unknown = load_model(path_a)
    unknown.training_rows = None
    with pytest.raises(DataError, match="Model 'model_a' does not record which reports it was trained on"):
        compare_models(unknown, path_b, data, identity_suite=False)
    known = load_model(path_a).training_rows.trained_on, load_model(path_b).training_rows.trained_on
    result = compare_models(unknown, path_b, data, trained_on=known, n_resamples=50, identity_suite=False)
    assert result["n_reports"] == 200
