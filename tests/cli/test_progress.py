"""Stage lines on stderr for the long commands; --quiet silences them; stdout stays the result."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from classifier.cli import app

runner = CliRunner()


def _stages(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("[")]


def test_progress_train_prints_stages_and_cv_folds_on_stderr(small_labelled, tmp_path):
    result = runner.invoke(app, ["train", str(small_labelled), "--test-size", "0.25", "--cv", "2", "--out",
                                 str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    stages = " | ".join(_stages(result))
    for stage in ("reading 1 labelled file", "fitting the model on", "scoring the", "identity-term suite",
                  "saving to", "fold 1 of 2 done", "fold 2 of 2 done"):
        assert stage in stages
    assert not _stages_in(result.stdout)


def test_progress_train_is_silent_with_quiet(tmp_path):
    from tests.helpers import write_csv

    bad = write_csv(tmp_path / "bad.csv", [{"words": "x", "labels": ""}])  # fails after the first stage
    loud = runner.invoke(app, ["train", str(bad), "--out", str(tmp_path / "m")])
    assert loud.exit_code == 1 and _stages(loud)
    quiet = runner.invoke(app, ["train", str(bad), "--out", str(tmp_path / "m"), "--quiet"])
    assert quiet.exit_code == 1 and not _stages(quiet)


def _stages_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("[") and "] " in line]


def test_progress_evaluate_and_compare_print_stages_unless_quiet(trained, small_corpus):
    model = str(trained.model_dir)
    evaluated = runner.invoke(app, ["evaluate", model, str(small_corpus), "--split", "test"])
    assert evaluated.exit_code == 0, evaluated.output
    assert any("scoring the reports of" in line for line in _stages(evaluated))
    assert any("identity-term suite" in line for line in _stages(evaluated))
    compare = ["compare", model, model, str(small_corpus), "--min-rows", "0", "--min-per-label", "0",
               "--resamples", "10"]
    compared = runner.invoke(app, compare)
    assert compared.exit_code == 0, compared.output
    assert any("bootstrap resamples" in line for line in _stages(compared))
    quiet = runner.invoke(app, [*compare, "--quiet"])
    assert quiet.exit_code == 0 and not _stages(quiet)


def test_progress_audit_prints_its_stage_lines(small_labelled, tmp_path):
    args = ["audit", str(small_labelled), "--out", str(tmp_path / "suspects.csv")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert [line.split("] ", 1)[1].split(":")[0].split(" ")[0] for line in _stages(result)] == [
        "auditing", "read", "looking", "ranking", "writing", "ranked"]


def test_progress_learning_curve_writes_each_point_as_it_finishes(small_labelled, tmp_path, monkeypatch):
    import classifier.training.cv as cv

    out = tmp_path / "curve"
    fitted, real = [], cv._fit_tail

    def fit_then_interrupt(*args, **kwargs):
        if fitted:  # the second point: as if Ctrl-C were pressed while it is fitted
            assert json.loads((out / "learning_curve.json").read_text())[0]["size"] == 50
            raise KeyboardInterrupt
        fitted.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cv, "_fit_tail", fit_then_interrupt)
    result = runner.invoke(app, ["learning-curve", str(small_labelled), "--sizes", "50,100", "--out", str(out)])
    assert result.exit_code == 130
    assert "50 reports: macro F1" in result.stdout
    assert "interrupted: the 1 finished point(s) are in" in result.stderr
    assert [line.split("] ", 1)[1] for line in _stages(result)][-1] == "learning curve: point 1 of 2 (50 reports) done"
    assert [point["size"] for point in json.loads((out / "learning_curve.json").read_text())] == [50]
    assert not (out / "learning_curve.html").exists()


def test_progress_learning_curve_points_come_in_order_and_match_the_result(small_labelled):
    from classifier.training.cv import learning_curve

    seen, lines = [], []
    points = learning_curve(small_labelled, [40, 80], repeats=2, on_point=seen.append,
                            progress=lines.append)
    assert seen == points and [p["size"] for p in points] == [40, 80]
    assert lines[-2:] == [f"learning curve: point {i} of 2 ({size} reports) done" for i, size in ((1, 40), (2, 80))]


def test_progress_label_summary_of_a_small_file_gives_the_time_not_zero_rows_a_second(trained, tmp_path):
    import re

    from tests.helpers import write_csv

    backlog = write_csv(tmp_path / "b.csv", [{"text": "bins not collected"}, {"text": "graffiti on the mosque"}])
    result = runner.invoke(app, ["label", str(backlog), "--model", str(trained.model_dir)])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    shown = re.fullmatch(r"Labelled 2 rows of .*b\.csv \(text column 'text'\) "
                         r"in \d+\.\d+ s(?: \((.+) rows/s\))?, 1 job\.", first)
    assert shown, first
    assert shown[1] is None or float(shown[1]) >= 1  # a second or more of work (a busy machine): a true rate


@pytest.mark.parametrize("args", [
    ["train", "x.csv", "--cv", "1"],  # Click's own check of an option
    ["no-such-command"],  # Click's own check of the command
    ["info", "no/such/model"],  # ours
])
def test_progress_every_error_line_starts_with_one_prefix(args):
    from classifier.cli.progress import ERROR_PREFIX

    result = runner.invoke(app, args)
    assert result.exit_code in (1, 2)
    errors = [line for line in result.stderr.splitlines() if line.lower().startswith("error")]
    assert len(errors) == 1 and errors[0].startswith(ERROR_PREFIX), result.stderr
    assert "Error" not in result.stderr and "╭" not in result.stderr
