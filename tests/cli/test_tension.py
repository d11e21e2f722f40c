import json

import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.fairness import load_identity_probe
from tests.helpers import write_csv

runner = CliRunner()


def test_cli_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("train", "evaluate", "predict", "info", "validate", "label", "summarise"):
        assert command in result.output


def test_cli_train_prints_table_and_saves(small_labelled, tmp_path):
    import csv

    out = tmp_path / "m"
    with open(small_labelled, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows.append({**rows[0], "id": "X1", "text": "a report whose label is misspelt", "labels": "race_hat",
                 "split": "test"})
    data = write_csv(tmp_path / "with_a_typo.csv", rows)
    result = runner.invoke(app, ["train", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: label(s) 'race_hat' (a typo for 'race_hate'?) appear only in the test split" in result.stderr
    assert "macro avg" in result.output and "Saved to" in result.output
    assert "identity-term suite" in result.output and "hostile recall" in result.output
    assert f"held-out identity probe ({len(load_identity_probe())} sentences" in result.output
    assert "not part of the fairness gate" in result.output
    assert (out / "model.pkl.gz").exists()


def test_cli_train_takes_a_hard_negative_weight(small_labelled, tmp_path):
    out = tmp_path / "m"
    args = ["train", str(small_labelled), "--out", str(out), "--test-size", "0.25", "--hard-negative-weight"]
    result = runner.invoke(app, [*args, "2.5"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "metadata.json").read_text("utf-8"))["hard_negative_weight"] == 2.5
    refused = runner.invoke(app, [*args, "0", "--out", str(tmp_path / "zero")])
    assert refused.exit_code == 1 and "hard-negative weight must be a positive number" in refused.output
    assert not (tmp_path / "zero").exists()


def test_cli_train_linear_only_keeps_every_labels_linear_score(small_corpus, tmp_path, trained):
    from classifier import load_model

    out = tmp_path / "linear"
    result = runner.invoke(app, ["train", str(small_corpus), "--out", str(out), "--linear-only", "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "metadata.json").read_text("utf-8"))["second_stage_labels"] == []
    linear = load_model(out)
    assert linear.pipeline.second_stage_ is None
    # The same data and seed with the second stage (the session's model): the hate labels are rescored.
    assert trained.metadata["second_stage_labels"] and load_model(trained.model_dir).pipeline.second_stage_ is not None
    assert "second stage" not in (out / "MODEL_CARD.md").read_text("utf-8")


def test_cli_train_rescore_names_a_teams_own_hate_label(small_labelled, tmp_path):
    import csv

    from classifier import load_model

    with open(small_labelled, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:  # a team that calls race hate "racism"
        row["labels"] = ";".join("racism" if label == "race_hate" else label for label in row["labels"].split(";")
                                 if label)
    renamed = write_csv(tmp_path / "renamed.csv", rows)
    out = tmp_path / "own"
    result = runner.invoke(app, ["train", str(renamed), "--out", str(out), "--rescore", "racism", "--rescore",
                                 "religious_hate", "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "metadata.json").read_text("utf-8"))["second_stage_labels"] == ["racism",
                                                                                            "religious_hate"]
    assert load_model(out).pipeline.second_stage_.labels == ("racism", "religious_hate")

    unknown = runner.invoke(app, ["train", str(renamed), "--out", str(tmp_path / "x"), "--rescore", "race_hate"])
    assert unknown.exit_code == 1 and "Traceback" not in unknown.output
    assert "Cannot rescore ['race_hate']: expected labels of the training data (" in unknown.output
    assert not (tmp_path / "x").exists()
    linear = runner.invoke(app, ["train", str(renamed), "--out", str(tmp_path / "y"), "--rescore", "racism",
                                 "--linear-only"])
    assert linear.exit_code == 1 and "the second stage is off (--linear-only)" in linear.output


def test_cli_predict_info_and_evaluate(trained, small_corpus):
    text = "swastika and 'jews out' painted on the synagogue"
    result = runner.invoke(app, ["predict", str(trained.model_dir), text, "--json"])
    assert result.exit_code == 0, result.output
    assert "religious_hate" in json.loads(result.output)[0]["labels"]
    info = runner.invoke(app, ["info", str(trained.model_dir)])
    assert json.loads(info.output)["labels"] == trained.metadata["labels"]
    # The test split the model was scored on at training time: the same figure again.
    evaluated = runner.invoke(app, ["evaluate", str(trained.model_dir), str(small_corpus), "--split", "test"])
    assert evaluated.exit_code == 0
    assert f"{trained.metrics['macro']['f1']:.3f}" in evaluated.output
    suite = trained.metadata["identity_suite"]["overall"]
    assert f"false-positive rate {suite['false_positive_rate']:.1%}" in evaluated.output
    probe = trained.metadata["identity_probe"]["overall"]  # the same model scored again: the same figure
    assert (f"held-out identity probe ({len(load_identity_probe())} sentences, 45 terms): false-positive rate "
            f"{probe['false_positive_rate']:.1%}") in evaluated.output
    israeli = trained.metadata["conflict_nationalities"]["Israeli"]
    assert f"Israeli labelled {israeli['labelled']} of {israeli['n']}" in evaluated.output


def test_cli_predict_an_empty_or_too_long_text_gets_a_line_of_its_own(trained):
    texts = ["swastika painted on the synagogue", "", "word " * 5000, "asylum hotel"]
    result = runner.invoke(app, ["predict", str(trained.model_dir), *texts])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if not line.startswith(" ")]
    assert [line.split(".")[0] for line in lines] == ["1", "2", "3", "4"]
    assert lines[1] == "2. not labelled: empty text (needs review)"
    assert lines[2].startswith("3. not labelled: text too long (needs review; over 20,000 characters")


def test_cli_user_errors_are_one_line_exit_1(tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [{"words": "x", "labels": ""}])
    result = runner.invoke(app, ["train", str(bad), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if not line.startswith("[")]  # stage lines start "[m:ss]"
    assert len(errors) == 1 and errors[0].startswith("error:") and "words" in errors[0]
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["predict", str(tmp_path / "no-model"), "text"])
    assert missing.exit_code == 1 and "tension train" in missing.output
    only_text = runner.invoke(app, ["predict", "asylum seekers get free houses"])  # the model left out
    assert only_text.exit_code == 1 and "tension predict default" in only_text.stderr
    assert "asylum seekers get free houses" not in only_text.output  # report text is never printed back


def test_cli_validate_reports_a_clean_file_ok(small_labelled):
    # The whole corpus is checked by tests/training/test_validate.py; here the command's own path, on a small file.
    result = runner.invoke(app, ["validate", str(small_labelled)])
    assert result.exit_code == 0
    assert "OK" in result.output


def test_cli_help_is_fast_because_imports_are_lazy():
    import subprocess
    import sys

    code = "import sys, classifier.cli; print('spacy' in sys.modules, 'sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def _option_help(command: str, name: str) -> str:
    import typer

    params = typer.main.get_command(app).commands[command].params
    return next(param.help for param in params if param.name == name)


def test_cli_train_help_states_the_true_hard_negative_weight_default():
    from classifier.cli.options import HARD_NEGATIVE_WEIGHT_DEFAULT
    from classifier.training.train import HARD_NEGATIVE_WEIGHT

    assert HARD_NEGATIVE_WEIGHT_DEFAULT == HARD_NEGATIVE_WEIGHT
    assert f"(default {HARD_NEGATIVE_WEIGHT:g};" in _option_help("train", "hard_negative_weight")


@pytest.mark.parametrize(("args", "flag"), [
    (["train", "x.csv", "--cv", "1"], "'--cv'"),
    (["train", "x.csv", "--seed", "-1"], "'--seed'"),
    (["train", "x.csv", "--test-size", "1.5"], "'--test-size'"),
    (["train", "x.csv", "--hard-negative-weight", "-2"], "'--hard-negative-weight'"),
    (["cv", "x.csv", "--k", "1"], "'--k' / '-k'"),
    (["learning-curve", "x.csv", "--repeats", "0"], "'--repeats'"),
    (["suggest", "m", "x.csv", "-n", "0"], "'-n' / '--n'"),
    (["summarise", "x.csv", "--suppress-below", "2"], "'--suppress-below'"),
    (["serve", "--port", "70000"], "'--port'"),
])
def test_cli_out_of_range_options_are_refused_by_typer_naming_the_flag(args, flag):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert f"Invalid value for {flag}" in " ".join(result.output.replace("│", " ").split())


def test_cli_label_from_a_folder_below_the_project_finds_its_default_model(trained, nowhere, monkeypatch):
    import shutil

    project = nowhere / "project"
    (project / "pyproject.toml").parent.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "tension-classifier"\n')
    shutil.copytree(trained.model_dir, project / "models" / "default")
    (project / "inbox").mkdir()
    backlog = write_csv(project / "inbox" / "backlog.csv", [{"text": "bins not collected"}])
    monkeypatch.chdir(project / "inbox")
    result = runner.invoke(app, ["label", "backlog.csv"])
    assert result.exit_code == 0, result.output
    assert (backlog.parent / "backlog_labelled.csv").is_file()


def test_cli_label_without_any_model_names_the_option_and_the_variable(nowhere):
    write_csv(nowhere / "backlog.csv", [{"text": "bins not collected"}])
    result = runner.invoke(app, ["label", "backlog.csv"])
    assert result.exit_code == 1
    assert "No default model found" in result.output
    assert "--model" in result.output and "$TENSION_MODELS_DIR" in result.output


def test_cli_validate_takes_several_files_and_shows_every_conflict_with_show_all(tmp_path):
    old = write_csv(tmp_path / "old.csv", [{"text": f"report number {i}", "labels": "race_hate"} for i in range(22)])
    new = write_csv(tmp_path / "new.csv", [{"text": f"report number {i}", "labels": ""} for i in range(22)])
    result = runner.invoke(app, ["validate", str(old), str(new), "--show-all"])
    assert result.exit_code == 1
    assert "same text with different labels: 22" in result.output
    assert sum(" vs " in line for line in result.output.splitlines()) == 22
    assert "PROBLEMS FOUND" in result.output


def test_cli_end_of_input_at_a_prompt_is_a_one_line_error(tmp_path, monkeypatch):
    """Ctrl-D (or no input) at a password prompt ends with "error: aborted.", not a traceback."""
    monkeypatch.setenv("TENSION_DB_URL", f"sqlite:///{tmp_path / 'review.sqlite3'}")
    result = runner.invoke(app, ["users", "add", "reviewer1"], input="")
    assert result.exit_code == 1
    assert "error: aborted." in result.output and "Traceback" not in result.output
    assert not isinstance(result.exception, AttributeError)


def test_cli_predict_takes_the_model_as_an_option_as_label_does(trained):
    """Reproduction: `tension predict --model M "text"` failed with "No such option: --model" (label takes
    --model; predict took the model as its first argument only)."""
    texts = ["Graffiti on the mosque wall telling muslims to go home", "bins not collected"]
    by_argument = runner.invoke(app, ["predict", str(trained.model_dir), *texts, "--json"])
    by_option = runner.invoke(app, ["predict", "--model", str(trained.model_dir), *texts, "--json"])
    assert by_argument.exit_code == by_option.exit_code == 0, by_option.output
    assert json.loads(by_option.output) == json.loads(by_argument.output) and len(json.loads(by_option.output)) == 2


def test_cli_train_help_says_a_rescored_label_gets_counterfactual_copies():
    help_text = _option_help("train", "rescore")
    assert "counterfactual copies" in help_text
    assert "never name a label about one group (e.g. antisemitism)" in help_text
