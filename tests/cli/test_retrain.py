"""The retraining commands through the CLI, and `tension train` on several files with conflicting labels."""

from __future__ import annotations

import csv
import shutil

import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.errors import DataError
from classifier.io.records import combine, read_labelled
from tests.helpers import CORPUS, identity_suite_result, write_csv

runner = CliRunner()


def _rows(start, stop):
    with open(CORPUS, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))[start:stop]


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    from classifier.training.train import train

    folder = tmp_path_factory.mktemp("cli_retrain")
    return train(write_csv(folder / "small.csv", _rows(0, 300)), folder / "models" / "small", seed=0).model_dir


@pytest.fixture
def registry(saved_model, tmp_path, monkeypatch, fake_identity_suite):
    models = tmp_path / "models"
    shutil.copytree(saved_model.parent, models)
    monkeypatch.setenv("TENSION_MODELS_DIR", str(models))
    return models


def test_cli_retrain_models_promote_and_rollback(registry):
    shutil.copytree(registry / "small", registry / "copy")
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0 and "small" in result.output and "copy" in result.output
    result = runner.invoke(app, ["promote", "small"])
    assert result.exit_code == 0, result.output
    assert "Default is now 'small'" in result.output
    result = runner.invoke(app, ["promote", "copy"])  # the same model scores the same: not worse
    assert result.exit_code == 0, result.output
    assert "No clear difference" in result.output and "was 'small'" in result.output
    result = runner.invoke(app, ["promote", "--rollback"])
    assert result.exit_code == 0 and "Default is now 'small' again" in result.output
    assert "* small" in runner.invoke(app, ["models"]).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["promote", "nope"], "No model named 'nope'"),
        (["promote"], "Name the model to promote"),
        (["promote", "--rollback"], "no previous default"),
        (["promote", "small", "--rollback"], "--rollback takes no model name"),
        (["promote", "--rollback", "--reason", "x"], "--rollback takes no model name"),
        (["promote", "small", "--max-fpr", "3"], "'max_fpr' must be a fraction between 0 and 1"),
        (["suggest", "small", "missing.csv", "-n", "3"], "does not exist"),
        (["compare", "small", "small", "missing.csv"], "does not exist"),
        (["audit", "missing.csv"], "does not exist"),
    ],
)
def test_cli_retrain_bad_input_is_one_line_and_exit_1(registry, args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_retrain_promote_fairness_gate_refuses_then_force_with_reason_is_recorded(registry, fake_identity_suite):
    import json

    fake_identity_suite({"small": identity_suite_result({"Roma": 0.2}, default=0.1)})
    refused = runner.invoke(app, ["promote", "small"])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "fails the identity-term fairness gate" in refused.output
    assert "above the limit of 3.0%" in refused.output and "Roma 20.0%" in refused.output
    assert '--force --reason "why"' in refused.output
    forced = runner.invoke(app, ["promote", "small", "--force"])
    assert forced.exit_code == 1 and "--force alone does not override" in forced.output
    assert not (registry / "DEFAULT_MODEL").exists()

    done = runner.invoke(app, ["promote", "small", "--force", "--reason", "Only model with the new label"])
    assert done.exit_code == 0, done.output
    assert "Fairness gate overridden (reason recorded)" in done.output and "Default is now 'small' (forced)" \
        in done.output
    assert "Identity-term suite: false-positive rate 10.2% (limit 3.0%), highest term Roma 20.0% (limit 5.0%)" \
        in done.output
    record = json.loads((registry / "promotions.jsonl").read_text("utf-8").splitlines()[-1])
    assert record["reason"] == "Only model with the new label" and record["forced"]


def test_cli_retrain_promote_takes_the_fairness_limits_as_options(registry, fake_identity_suite):
    fake_identity_suite({"small": identity_suite_result(default=0.1)})
    result = runner.invoke(app, ["promote", "small", "--max-fpr", "0.2", "--max-term-fpr", "0.2"])
    assert result.exit_code == 0, result.output
    assert "false-positive rate 10.0% (limit 20.0%)" in result.output and "(forced)" not in result.output


def test_cli_retrain_suggest_compare_audit_write_their_outputs(registry, tmp_path):
    backlog = write_csv(tmp_path / "backlog.csv", [{"ref": f"B{k}", "text": r["text"]}
                                                   for k, r in enumerate(_rows(300, 340))])
    out = tmp_path / "to_label.csv"
    result = runner.invoke(app, ["suggest", "small", str(backlog), "-n", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(read_labelled(out)) == 4

    held_out = write_csv(tmp_path / "held_out.csv", _rows(300, 420))
    result = runner.invoke(app, ["compare", "small", "small", str(held_out), "--resamples", "50"])
    assert result.exit_code == 0, result.output
    assert "macro avg" in result.output and "No clear difference" in result.output

    suspects = tmp_path / "suspects.csv"
    result = runner.invoke(app, ["audit", str(held_out), "--out", str(suspects), "--show", "3", "--min-examples", "3"])
    assert result.exit_code == 0, result.output
    assert "suspect row(s) of 120" in result.output and suspects.exists()


def _conflicting_files(tmp_path):
    rows = _rows(0, 300)
    later = [{**rows[0], "labels": "misinformation"}, {**rows[1], "labels": rows[1]["labels"]}]
    first = write_csv(tmp_path / "first.csv", rows)
    second = write_csv(tmp_path / "second.csv", later)
    return first, second, rows


def test_cli_retrain_train_several_files_reports_conflicts_unless_prefer_later(tmp_path):
    first, second, rows = _conflicting_files(tmp_path)
    result = runner.invoke(app, ["train", str(first), str(second), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "first.csv row 2" in result.output and "second.csv row 2" in result.output
    assert "--prefer-later" in result.output and not (tmp_path / "m").exists()

    result = runner.invoke(app, ["train", str(first), str(second), "--out", str(tmp_path / "m"), "--prefer-later"])
    assert result.exit_code == 0, result.output
    assert "1 exact duplicate report(s) with identical labels and 1 with conflicting" in result.output


def test_cli_retrain_combine_keeps_later_label_only_with_prefer_later(tmp_path):
    first, second, rows = _conflicting_files(tmp_path)
    datasets = [read_labelled(first), read_labelled(second)]
    with pytest.raises(DataError, match=r"1 report text\(s\) appear more than once with different labels"):
        combine(datasets)
    with pytest.warns(UserWarning, match="merged"):
        merged = combine(datasets, prefer_later=True)
    assert len(merged) == len(rows)
    position = merged.texts.index(rows[0]["text"])
    assert merged.labels[position] == ("misinformation",) and merged.sources[position] == "second.csv row 2"
