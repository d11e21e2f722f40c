"""Tests for ``tension label`` (classifier.cli.label)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.io.tables import read_rows
from classifier.model.predictor import TensionModel
from tests.helpers import BACKLOG, write_csv

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


def test_cli_label_review_band_option(tmp_path, trained, model):
    source = write_csv(tmp_path / "backlog.csv", [{"text": t} for t in TEXTS[:2]])

    run = _invoke(source, "--model", trained.model_dir, "--review-band", "0.49")

    assert run.exit_code == 0, run.output
    wide = TensionModel(model.pipeline, model.metadata, review_band=0.49).predict(TEXTS[:2])
    assert f"needs review: {sum(p.needs_review for p in wide)}\n" in run.stdout
    bad = _invoke(source, "--model", trained.model_dir, "--review-band", "1", "--force")
    assert bad.exit_code == 2 and "--review-band" in bad.output


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


def test_cli_label_text_column_by_the_number_an_error_shows(tmp_path, trained):
    """Reproduction: a Forms export's question column, shown only as "column 4 (...)", could not be given."""
    source = write_csv(tmp_path / "forms.csv", [{"Timestamp": "2024-01-02", "Email Address": "a@b.org",
                                                "Where did this happen?": "Town centre",
                                                "Please describe what happened": TEXTS[0]}])

    run = _invoke(source, "-o", tmp_path / "out.csv", "--model", trained.model_dir, "--text-column", "4")

    assert run.exit_code == 0, run.output
    assert read_rows(tmp_path / "out.csv")[0]["status"] == "ok"
    assert "by name or by number" in " ".join(_invoke("--help").stdout.replace("│", " ").split())


def test_cli_label_says_which_column_it_labels_before_labelling_when_a_title_column_was_found_by_name(tmp_path,
                                                                                                        trained):
    """Reproduction: a form export's 'Summary' column (4 words a row) was labelled instead of its question column of
    reports; the run printed a clean summary, exited 0, and said so only in its last line."""
    question = "What happened? Please give as much detail as you can"
    source = write_csv(tmp_path / "form.csv", [{"Ref": str(i), "Summary": "Online form report", question: text}
                                               for i, text in enumerate(TEXTS[:2])])

    run = _invoke(source, "-o", tmp_path / "out.csv", "--model", trained.model_dir)

    assert run.exit_code == 0, run.output
    assert run.stderr.startswith("warning: the reports are read from column 3 (a name of 52 characters, not shown), "
                                 "of 10 words a row on average, not from column 'Summary', found by its name")
    assert "(text column 3 (a name of 52 characters, not shown))" in run.stdout and question not in run.output
    assert read_rows(tmp_path / "out.csv")[1]["status"] == "ok"


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


SECRET = "Sent back where they came from"


def test_cli_label_stray_quote_in_tsv_exits_1_naming_row_and_line(tmp_path, trained):
    # The reproduction: "Labelled 2 rows" with rows 3 and 4 merged into row 2.
    source = tmp_path / "x.tsv"
    source.write_text(f'id\ttext\n1\tok\n2\t"{SECRET}\n3\tthree\n4\tfour\n', encoding="utf-8")

    run = _invoke(source, "-o", tmp_path / "out.tsv", "--model", trained.model_dir)

    assert run.exit_code == 1
    assert "row 3 (line 3)" in run.stderr and "--quoting none" in run.stderr
    assert "Traceback" not in run.output and SECRET not in run.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["x.tsv"]

    run = _invoke(source, "-o", tmp_path / "out.tsv", "--model", trained.model_dir, "--quoting", "none")
    assert run.exit_code == 0, run.output
    assert "Labelled 4 rows" in run.stdout
    assert read_rows(tmp_path / "out.tsv")[1]["text"] == f'"{SECRET}'


def test_cli_label_max_field_lines_option(tmp_path, trained):
    source = write_csv(tmp_path / "in.csv", [{"text": "one\ntwo\nthree\nfour"}, {"text": "ok"}])

    run = _invoke(source, "-o", tmp_path / "out.csv", "--model", trained.model_dir, "--max-field-lines", "2")
    assert run.exit_code == 1
    assert "within 2 line breaks" in run.stderr and "--max-field-lines 3 or more" in run.stderr
    assert not (tmp_path / "out.csv").exists()

    run = _invoke(source, "-o", tmp_path / "out.csv", "--model", trained.model_dir)
    assert run.exit_code == 0, run.output
    assert "1 row spans several lines" in run.stdout


def test_cli_label_max_field_lines_0_refuses_a_stray_quote_that_closes_lines_later(tmp_path, trained):
    # Four rows, one stray quote closing at the end of line 4: read as two rows, and the summary says so.
    source = tmp_path / "x.tsv"
    source.write_text(f'id\ttext\n1\t"{SECRET}\n2\tsomething\n3\tthey said go home"\n4\tok\n', encoding="utf-8")

    run = _invoke(source, "-o", tmp_path / "out.tsv", "--model", trained.model_dir)
    assert run.exit_code == 0, run.output
    assert "5 lines read for 2 rows" in run.stdout and "--max-field-lines 0" in run.stdout

    run = _invoke(source, "-o", tmp_path / "strict.tsv", "--model", trained.model_dir, "--max-field-lines", "0")
    assert run.exit_code == 1
    assert "row 2 (line 2)" in run.stderr and "Traceback" not in run.output and SECRET not in run.output
    assert not (tmp_path / "strict.tsv").exists()


def test_cli_label_max_chars_and_formula_guard_options(tmp_path, trained):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "=HYPERLINK(\\"http://evil.example\\",\\"click\\")"}\n{"text": "bins"}\n',
                      encoding="utf-8")

    run = _invoke(source, "-o", tmp_path / "out.csv", "--model", trained.model_dir, "--max-chars", "10")
    assert run.exit_code == 0, run.output
    assert "text too long: 1" in run.stdout
    rows = read_rows(tmp_path / "out.csv")
    assert rows[0]["text"].startswith("'=HYPERLINK") and rows[0]["status"] == "text too long"

    run = _invoke(source, "-o", tmp_path / "raw.csv", "--model", trained.model_dir, "--no-formula-guard")
    assert run.exit_code == 0, run.output
    assert read_rows(tmp_path / "raw.csv")[0]["text"].startswith("=HYPERLINK")


def test_cli_label_output_that_is_a_folder_exits_1_without_traceback(tmp_path):
    source = write_csv(tmp_path / "backlog.csv", [{"text": TEXTS[0]}])
    (tmp_path / "out").mkdir()

    run = _invoke(source, "-o", tmp_path / "out", "--force")

    assert run.exit_code == 1
    assert "found a folder" in run.stderr and "Traceback" not in run.output


def test_cli_label_an_input_of_an_unknown_kind_is_named_as_the_problem(tmp_path, trained):
    source = tmp_path / "export.txt"
    source.write_text("text\nbins not collected\n", encoding="utf-8")
    run = _invoke(source, "--model", trained.model_dir)
    assert run.exit_code == 1 and "export.txt: expected a file ending in one of" in run.output
    assert "rename it to .tsv" in run.output and not (tmp_path / "export_labelled.txt").exists()


@pytest.mark.parametrize(("as_pid_1", "code"), [(True, 143), (False, -15)])
def test_cli_label_sigterm_says_nothing_was_written_and_ends_as_a_signal_does(tmp_path, as_pid_1, code):
    """Reproduction: SIGTERM to `tension label` running as PID 1 (`docker stop`) printed a traceback ending in
    'Terminated: 15' and exited 1: PID 1 is not ended by a signal at its default action, so the re-raised signal
    did nothing. PID 1 is stood in for by a raise_signal that returns."""
    import os
    import signal
    import subprocess
    import sys

    script = (
        "import os, signal, sys, time\n"
        "from classifier.cli import tension\n"
        "from classifier.labelling import batch\n"
        "if sys.argv[1] == 'pid1':\n"
        "    signal.raise_signal = lambda signum: None\n"
        "def terminated(*args, **kwargs):\n"
        "    with batch.cleanup_on_termination():\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        time.sleep(30)\n"
        "batch.label_file = terminated\n"
        "sys.argv = ['tension', 'label', sys.argv[2], '-o', sys.argv[3]]\n"
        "tension.main()\n"
    )
    source = write_csv(tmp_path / "in.csv", [{"text": TEXTS[0]}])
    done = subprocess.run([sys.executable, "-c", script, "pid1" if as_pid_1 else "-", str(source),
                           str(tmp_path / "out.csv")], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == code, done.stderr
    assert done.stderr.strip() == f"interrupted: nothing was written to {tmp_path / 'out.csv'}."
    assert "Traceback" not in done.stderr and signal.SIGTERM == 15
