"""Cross-validated metrics and learning curves: the figures, their spread, and the preprocess-once shortcut."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser

import numpy as np
import pytest


@pytest.fixture(scope="module")
def cv_small(tmp_path_factory):
    """2-fold CV on the first 200 corpus reports, and the file it ran on."""
    import csv

    from classifier.training.cv import cross_validate_metrics
    from tests.helpers import CORPUS, write_csv

    with open(CORPUS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:200]
    path = write_csv(tmp_path_factory.mktemp("cv") / "small.csv", rows)
    return path, cross_validate_metrics(path, 2, seed=0)


def test_cv_reports_mean_and_sample_std_per_label(cv_small):
    from classifier.io.records import read_labelled
    from classifier.training.cv import format_cv

    path, result = cv_small
    data = read_labelled(path)
    assert result["k"] == 2 and len(result["folds"]) == 2
    assert result["label_names"] == data.label_set == list(result["labels"])
    assert sum(m["n_reports"] for m in result["folds"]) == len(data) == result["n_reports"]
    for label, stats in result["labels"].items():
        f1s = [m["labels"][label]["f1"] for m in result["folds"]]
        assert stats["f1"]["mean"] == pytest.approx(np.mean(f1s))
        assert stats["f1"]["std"] == pytest.approx(np.std(f1s, ddof=1))
        positives = sum(label in row for row in data.labels)
        assert stats["support"]["mean"] * 2 == pytest.approx(positives)
        assert 0 <= stats["f1"]["mean"] <= 1
    macro = [m["macro"]["f1"] for m in result["folds"]]
    assert result["macro"]["f1"]["mean"] == pytest.approx(np.mean(macro))
    table = format_cv(result)
    assert "2-fold" in table and f"{result['macro']['f1']['mean']:.3f} ± {result['macro']['f1']['std']:.3f}" in table
    json.dumps(result)


def test_cv_a_fold_without_the_label_that_gives_none_is_left_out_of_its_mean_and_said():
    """Reproduction: with 40 folds, folds holding no israel_palestine report and giving none counted as F1 0, which
    pulled its mean to 0.580 ± 0.470, while each fold's macro average left them out."""
    from classifier.training.cv import _label_summary, format_cv

    def fold(tp, fp, fn, f1):
        return {"tp": tp, "fp": fp, "fn": fn, "support": tp + fn, "precision": f1, "recall": f1, "f1": f1}

    summary = _label_summary([fold(3, 0, 0, 1.0), fold(0, 0, 0, 0.0), fold(1, 1, 1, 0.5), fold(0, 0, 0, 0.0)])
    assert summary["f1"]["mean"] == 0.75 and summary["folds"] == 2 and summary["support"]["mean"] == 1.25
    stat = {"mean": 0.5, "std": 0.1}
    result = {"k": 4, "n_reports": 40, "seed": 0, "exact_match": stat,
              "labels": {"rare": {**summary}, "common": {**summary, "folds": 4}},
              "macro": {key: stat for key in ("precision", "recall", "f1")},
              "micro": {key: stat for key in ("precision", "recall", "f1")}}
    text = format_cv(result)
    assert ("'rare': 2 of the 4 folds held none of it and gave none, so its figures are over the other 2" in text
            and "'common'" not in text)


def test_cv_folds_equal_refitting_the_whole_pipeline(cv_small):
    """Preprocessing once and refitting features + classifier gives the very figures of the full pipeline."""
    from classifier.evaluation.metrics import label_metrics
    from classifier.io.records import read_labelled
    from classifier.training.cv import _stratified_folds
    from classifier.training.train import fit_pipeline

    path, result = cv_small
    data = read_labelled(path)
    train, test = next(_stratified_folds(data, 2, 0))
    labels = data.label_set
    pipeline = fit_pipeline(data.subset(train), labels, seed=0)
    expected = label_metrics(np.asarray(data.subset(test).indicator(labels)),
                             pipeline.predict(data.subset(test).texts), labels)
    assert result["folds"][0] == expected


def test_cv_folds_are_stratified_on_labels(cv_small):
    from classifier.io.records import read_labelled
    from classifier.training.cv import _stratified_folds

    path, _ = cv_small
    data = read_labelled(path)
    for _, test in _stratified_folds(data, 3, 0):
        for label in data.label_set:
            share = np.mean([label in data.labels[i] for i in test])
            overall = np.mean([label in row for row in data.labels])
            assert abs(share - overall) < 0.05


@pytest.mark.parametrize("k", [1, 0, 2.5, True, 10_000])
def test_cv_rejects_bad_k(small_labelled, k):
    from classifier.errors import ConfigError
    from classifier.training.cv import cross_validate_metrics

    with pytest.raises(ConfigError, match="fold"):
        cross_validate_metrics(small_labelled, k)


def test_cv_learning_curve_grows_and_skips_too_small_sizes(cv_small):
    from classifier.io.records import read_labelled
    from classifier.training.cv import learning_curve

    path, _ = cv_small
    n_train = sum(s == "train" for s in read_labelled(path).splits)
    points = learning_curve(path, (1.0, 12, 0.6), seed=0)
    assert [p["size"] for p in points] == [12, round(0.6 * n_train), n_train]
    assert points[0]["skipped"] and "macro_f1" not in points[0]
    for p in points[1:]:
        assert p["skipped"] is None and p["repeats"] == 1
        assert 0 < p["macro_f1"] <= 1 and p["macro_f1_std"] == 0.0
        assert p["macro_f1"] == pytest.approx(np.mean(list(p["f1"].values())))


@pytest.mark.parametrize("sizes", [(0,), (-3,), (1.5,), ("half",), ()])
def test_cv_learning_curve_rejects_bad_sizes(small_labelled, sizes):
    from classifier.errors import ConfigError
    from classifier.training.cv import learning_curve

    with pytest.raises(ConfigError, match="size"):
        learning_curve(small_labelled, sizes)


def test_cv_write_learning_curve_embeds_its_plot(tmp_path):
    from classifier.reports.learning_curve import write_learning_curve

    points = [
        {"size": 10, "fraction": 0.1, "repeats": 0, "skipped": "too few reports"},
        {"size": 50, "fraction": 0.5, "repeats": 2, "skipped": None, "macro_f1": 0.6, "macro_f1_std": 0.05,
         "micro_f1": 0.62, "micro_f1_std": 0.04, "f1": {"a": 0.5, "b": 0.7}},
        {"size": 100, "fraction": 1.0, "repeats": 2, "skipped": None, "macro_f1": 0.7, "macro_f1_std": 0.02,
         "micro_f1": 0.71, "micro_f1_std": 0.01, "f1": {"a": 0.6, "b": 0.8}},
    ]
    paths = write_learning_curve(points, tmp_path / "lc")
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"
    assert json.loads(paths["json"].read_text()) == points
    page = paths["html"].read_text()
    images = []

    class Images(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "img":
                images.append(dict(attrs)["src"])

    Images().feed(page)
    assert len(images) == 1 and base64.b64decode(images[0].split(",", 1)[1]) == paths["png"].read_bytes()
    assert "0.700 ± 0.020" in page and "skipped: too few reports" in page


@pytest.mark.parametrize(("text", "sizes"), [("0.1, 0.5,1", [0.1, 0.5, 1.0]), ("200,1", [200, 1.0])])
def test_cv_parse_sizes(text, sizes):
    from classifier.cli.report import parse_sizes

    assert parse_sizes(text) == sizes


def test_cv_cli_prints_mean_and_std(cv_small, tmp_path):
    from typer.testing import CliRunner

    from classifier.cli import app

    path, result = cv_small
    out = tmp_path / "cv.json"
    run = CliRunner().invoke(app, ["cv", str(path), "--k", "2", "--json", str(out)])
    assert run.exit_code == 0, run.output
    assert f"{result['macro']['f1']['mean']:.3f} ± {result['macro']['f1']['std']:.3f}" in run.output
    assert json.loads(out.read_text())["macro"] == result["macro"]


def test_cv_cli_bad_sizes_is_one_line_error(small_labelled, tmp_path):
    from typer.testing import CliRunner

    from classifier.cli import app

    run = CliRunner().invoke(app, ["learning-curve", str(small_labelled), "--sizes", "0.1,lots",
                                   "--out", str(tmp_path / "lc")])
    assert run.exit_code == 1
    assert "--sizes must be comma-separated numbers" in run.output
    assert not (tmp_path / "lc").exists()


def test_cv_reports_the_hard_negative_rate_and_uses_the_weight(cv_small):
    from classifier.io.records import read_labelled
    from classifier.model.identity_terms import is_hard_negative
    from classifier.training.cv import cross_validate_metrics, format_cv

    path, result = cv_small
    data = read_labelled(path)
    hard = result["hard_negatives"]
    assert hard["n"] == sum(is_hard_negative(t, lab) for t, lab in zip(data.texts, data.labels, strict=True)) > 0
    assert 0 <= hard["clean_rate"]["mean"] <= 1
    assert "hard negatives left unlabelled" in format_cv(result)
    unweighted = cross_validate_metrics(path, 2, seed=0, hard_negative_weight=1.0)
    assert unweighted["macro"]["f1"]["mean"] != result["macro"]["f1"]["mean"]


@pytest.mark.parametrize("weight", [0, -2.0, float("nan"), "heavy"])
def test_cv_refuses_a_bad_hard_negative_weight(small_labelled, weight):
    from classifier.errors import ConfigError
    from classifier.training.cv import cross_validate_metrics

    with pytest.raises(ConfigError, match="hard-negative weight must be a positive number"):
        cross_validate_metrics(small_labelled, 2, hard_negative_weight=weight)


def test_cv_a_learning_curve_size_above_the_training_reports_is_said():
    """Reproduction: --sizes 1000 on 323 training reports became one 323-report point without a word."""
    import warnings

    from classifier.training.cv import _resolve_sizes

    with pytest.warns(UserWarning, match="training size 1000 is more than the 323 training reports there are; that "
                                         "point uses all 323"):
        assert _resolve_sizes([0.5, 1000], 323) == [162, 323]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _resolve_sizes([0.5, 300], 323) == [162, 300]
