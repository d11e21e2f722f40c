"""Tests for ``tension label`` (classifier.cli_label)."""

from __future__ import annotations

import pytest
from conftest import BACKLOG, write_csv
from typer.testing import CliRunner

from classifier.cli import app
from classifier.model import TensionModel
from classifier.tables import read_rows

TEXTS = [
    "Leaflets at the station claim asylum seekers get free houses before local families",
    "bin men left half the bins unemptied again",
    "",
]


def _invoke(*args: str):
    return CliRunner().invoke(app, ["label", *map(str, args)])


def test_cli_label_writes_default_output_and_prints_summary(tmp_path, trained):
    source = write_csv(tmp_path / "backlog.csv", [{"ref": str(i), "text": t} for i, t in enumerate(TEXTS)])

    run = _invoke(source, "--model", trained.model_dir, "--review-out", tmp_path / "review.csv")

    assert run.exit_code == 0, run.output
    out_rows = read_rows(tmp_path / "backlog_labelled.csv")
    assert [row["ref"] for row in out_rows] == ["0", "1", "2"]
    assert "rows in: 3, rows out: 3 (all rows kept)" in run.stdout
    assert "not classified: 1 (empty text: 1)" in run.stdout
    assert "rows for review:" in run.stdout
    assert (tmp_path / "review.csv").exists()
    assert not any(text and text in run.output for text in TEXTS)  # never print report text


def test_cli_label_options_jobs_text_column_and_format(tmp_path, trained):
    source = write_csv(tmp_path / "backlog.csv", [{"Details": t, "text": ""} for t in TEXTS[:2]])

    run = _invoke(source, "-o", tmp_path / "out.xlsx", "--model", trained.model_dir, "--text-column", "details",
                  "--jobs", "2")

    assert run.exit_code == 0, run.output
    out_rows = read_rows(tmp_path / "out.xlsx")
    assert [row["status"] for row in out_rows] == ["ok", "ok"]
    assert "text column 'Details'" in run.stdout
    assert "2 jobs" in run.stdout


def test_cli_label_refuses_existing_output_and_input(tmp_path, trained):
    source = write_csv(tmp_path / "backlog.csv", [{"text": TEXTS[0]}])
    (tmp_path / "backlog_labelled.csv").write_text("old", "utf-8")

    run = _invoke(source, "--model", trained.model_dir)
    assert run.exit_code == 1
    assert "already exists; pass --force" in run.stderr
    assert (tmp_path / "backlog_labelled.csv").read_text("utf-8") == "old"

    run = _invoke(source, "-o", source, "--model", trained.model_dir, "--force")
    assert run.exit_code == 1
    assert "refusing to overwrite" in run.stderr

    run = _invoke(source, "--model", trained.model_dir, "--force")
    assert run.exit_code == 0, run.output


def test_cli_label_missing_text_column_lists_columns(tmp_path, trained):
    source = write_csv(tmp_path / "backlog.csv", [{"ref": "1", "comment": "x"}])

    run = _invoke(source, "--model", trained.model_dir)

    assert run.exit_code == 1
    assert run.stderr.startswith("error: expected a text column")
    assert "'ref', 'comment'" in run.stderr
    assert "Traceback" not in run.output


@pytest.mark.parametrize(("error", "code", "message"), [
    (KeyboardInterrupt(), 130, "interrupted: nothing was written to"),
    (RuntimeError("boom"), 1, "labelling failed (RuntimeError); nothing was written to"),
])
def test_cli_label_interrupted_run_says_nothing_was_written(tmp_path, model, trained, monkeypatch, error, code,
                                                           message):
    source = BACKLOG
    output = tmp_path / "out.csv"

    def failing_predict(self, texts, **kwargs):
        raise error

    monkeypatch.setattr(TensionModel, "predict", failing_predict)
    run = _invoke(source, "-o", output, "--model", trained.model_dir)

    assert run.exit_code == code
    assert message in run.stderr
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []
