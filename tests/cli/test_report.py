"""Tests for classifier.cli.report: ``tension report``, ``cv`` and ``learning-curve`` over their plain functions
(stand-ins here: the functions themselves are tested in tests/reports and tests/training)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.cli.report import parse_sizes
from classifier.errors import ConfigError

runner = CliRunner()

CV_RESULT = {
    "k": 3, "seed": 0, "n_reports": 30, "label_names": ["a"],
    "labels": {"a": {key: {"mean": 0.5, "std": 0.1} for key in ("precision", "recall", "f1", "support")}},
    "macro": {key: {"mean": 0.5, "std": 0.1} for key in ("precision", "recall", "f1")},
    "micro": {key: {"mean": 0.5, "std": 0.1} for key in ("precision", "recall", "f1")},
    "exact_match": {"mean": 0.4, "std": 0.1}, "hard_negatives": {"clean_rate": None, "n": 0}, "folds": [],
}


def test_report_cv_passes_its_options_and_writes_json(monkeypatch, tmp_path):
    import classifier.training.cv as cv

    calls = []
    monkeypatch.setattr(cv, "cross_validate_metrics", lambda data, k, **options: calls.append((data, k, options))
                        or CV_RESULT)
    out = tmp_path / "sub" / "cv.json"
    result = runner.invoke(app, ["cv", "a.csv", "b.csv", "--folds", "3", "--seed", "4", "--jobs", "2",
                                 "--json", str(out)])

    assert result.exit_code == 0, result.output
    ((data, k, options),) = calls
    assert [str(path) for path in data] == ["a.csv", "b.csv"] and k == 3
    assert options["seed"] == 4 and options["n_jobs"] == 2
    assert json.loads(out.read_text("utf-8")) == CV_RESULT
    assert "3-fold cross-validation on 30 reports" in result.output and f"Wrote {out}" in result.output


def test_report_learning_curve_prints_each_size_and_writes_the_files(monkeypatch, tmp_path):
    import classifier.training.cv as cv

    points = [{"size": 10, "repeats": 0, "skipped": "too few reports"},
              {"size": 40, "repeats": 1, "skipped": None, "macro_f1": 0.6, "macro_f1_std": 0.0, "micro_f1": 0.7,
               "f1": {"a": 0.6}}]

    def learning_curve(data, sizes, **options):
        for point in points:  # the command prints and saves each point as it is handed over
            options["on_point"](point)
        return points

    monkeypatch.setattr(cv, "learning_curve", learning_curve)
    result = runner.invoke(app, ["learning-curve", "a.csv", "--out", str(tmp_path), "--sizes", "0.5,40"])

    assert result.exit_code == 0, result.output
    assert "10 reports: skipped (too few reports)" in result.output
    assert "40 reports: macro F1 0.600, micro F1 0.700" in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "learning_curve.html", "learning_curve.json", "learning_curve.png"]


def test_report_report_prints_the_headline_figures(monkeypatch, tmp_path):
    import classifier.model.predictor as predictor
    import classifier.reports.evaluation_report as evaluation_report

    metrics = {"n_reports": 12, "macro": {"f1": 0.75}, "macro_ece": 0.05, "labels_not_in_model": ["football"]}
    monkeypatch.setattr(predictor, "load_model", lambda model: "loaded")
    monkeypatch.setattr(evaluation_report, "write_evaluation_report", lambda model, data, out, **options: metrics)
    result = runner.invoke(app, ["report", "m", "d.csv", "--out", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert "12 reports: macro F1 0.750, mean ECE 0.050" in result.output
    assert "['football']" in result.output and f"Wrote {tmp_path / 'metrics.json'}" in result.output


@pytest.mark.parametrize(("text", "sizes"), [("0.1, 0.5,1", [0.1, 0.5, 1.0]), ("200,1,", [200, 1.0])])
def test_report_parse_sizes_fractions_and_counts(text, sizes):
    assert parse_sizes(text) == sizes


def test_report_parse_sizes_refuses_words():
    with pytest.raises(ConfigError, match="--sizes must be comma-separated numbers.*'half'"):
        parse_sizes("0.5,half")
