"""The retraining commands through the CLI, and `tension train` on several files with conflicting labels."""

from __future__ import annotations

import csv
import re
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


@pytest.fixture
def registry(first_rows_trained, tmp_path, monkeypatch, fake_identity_suite):
    """The small model in a registry of its own; comparisons need only 20 unseen reports (3 per label), as it is
    tested on 64."""
    import classifier.evaluation.compare as compare

    models = tmp_path / "models"
    shutil.copytree(first_rows_trained.model_dir, models / "good")
    monkeypatch.setenv("TENSION_MODELS_DIR", str(models))
    monkeypatch.setattr(compare, "MIN_ROWS", 20)
    monkeypatch.setattr(compare, "MIN_PER_LABEL", 3)
    return models


def test_cli_retrain_models_promote_and_rollback(registry):
    shutil.copytree(registry / "good", registry / "copy")
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0 and "good" in result.output and "copy" in result.output
    result = runner.invoke(app, ["promote", "good"])
    assert result.exit_code == 0, result.output
    assert "Default is now 'good'" in result.output
    result = runner.invoke(app, ["promote", "copy"])  # the same model scores the same: not worse
    assert result.exit_code == 0, result.output
    assert "No clear difference" in result.output and "was 'good'" in result.output
    assert "tension promote --rollback would restore 'good'." in runner.invoke(app, ["models"]).output
    result = runner.invoke(app, ["promote", "--rollback"])
    assert result.exit_code == 0 and "Default is now 'good' again" in result.output
    assert "Nothing older to roll back to: another --rollback would be refused." in result.output
    listing = runner.invoke(app, ["models"]).output
    assert "* good" in listing and "Every macro-F1 shown is on the same test rows." in listing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["promote", "nope"], "No model named 'nope'"),
        (["promote"], "Name the model to promote"),
        (["promote", "--rollback"], "no previous default"),
        (["promote", "good", "--rollback"], "--rollback takes no model name"),
        (["promote", "--rollback", "--reason", "x"], "--rollback takes no model name"),
        (["suggest", "good", "missing.csv", "-n", "3"], "does not exist"),
        (["compare", "good", "good", "missing.csv"], "does not exist"),
        (["audit", "missing.csv"], "does not exist"),
        (["audit", str(CORPUS), "--label", "racehate"], "did you mean 'race_hate'"),
        (["audit", str(CORPUS), "--label", "race_hate", "--to-review"], "audit without --label to queue suspects"),
    ],
)
def test_cli_retrain_bad_input_is_one_line_and_exit_1(registry, args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_retrain_out_of_range_option_is_a_usage_error_naming_the_option(registry):
    result = runner.invoke(app, ["promote", "good", "--max-fpr", "3"])
    assert result.exit_code == 2
    assert "Invalid value for '--max-fpr'" in result.output
    assert "Traceback" not in result.output


def test_cli_retrain_promote_fairness_gate_refuses_then_force_with_reason_is_recorded(registry, fake_identity_suite):
    import json

    fake_identity_suite({"good": identity_suite_result({"Roma": 0.2}, default=0.1)})
    refused = runner.invoke(app, ["promote", "good"])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "fails the identity-term fairness gate" in refused.output
    assert "above the limit of 3.0%" in refused.output and "Roma 20.0%" in refused.output
    assert '--force --reason "why"' in refused.output
    forced = runner.invoke(app, ["promote", "good", "--force"])
    assert forced.exit_code == 1 and "--force alone does not override" in forced.output
    assert not (registry / "DEFAULT_MODEL").exists()

    done = runner.invoke(app, ["promote", "good", "--force", "--reason", "Only model with the new label"])
    assert done.exit_code == 0, done.output
    assert "Fairness gate overridden (reason recorded)" in done.output and "Default is now 'good' (forced)" \
        in done.output
    assert "Identity-term suite: false-positive rate 10.2% (limit 3.0%), highest term Roma 20.0% (limit 5.0%)" \
        in done.output
    record = json.loads((registry / "promotions.jsonl").read_text("utf-8").splitlines()[-1])
    assert record["reason"] == "Only model with the new label" and record["forced"]


def test_cli_retrain_promote_takes_the_fairness_limits_as_options(registry, fake_identity_suite):
    fake_identity_suite({"good": identity_suite_result(default=0.1)})
    result = runner.invoke(app, ["promote", "good", "--max-fpr", "0.2", "--max-term-fpr", "0.2"])
    assert result.exit_code == 0, result.output
    assert "false-positive rate 10.0% (limit 20.0%)" in result.output and "(forced)" not in result.output


def test_cli_retrain_suggest_compare_audit_write_their_outputs(registry, tmp_path):
    backlog = write_csv(tmp_path / "backlog.csv", [{"ref": f"B{k}", "text": r["text"]}
                                                   for k, r in enumerate(_rows(300, 340))])
    out = tmp_path / "to_label.csv"
    result = runner.invoke(app, ["suggest", "good", str(backlog), "-n", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(read_labelled(out)) == 4
    filled_in = out.read_bytes()
    again = runner.invoke(app, ["suggest", "good", str(backlog), "-n", "3", "--out", str(out)])
    assert again.exit_code == 1 and "already exists" in again.output and out.read_bytes() == filled_in
    forced = runner.invoke(app, ["suggest", "good", str(backlog), "-n", "3", "--out", str(out), "--force"])
    assert forced.exit_code == 0 and len(read_labelled(out)) == 3
    # Reproduction: "Picked 6 report(s) (only 6 distinct enough)" when the other rows already had labels.
    partly = write_csv(tmp_path / "partly.csv", [{"text": r["text"], "labels": "immigration" if k >= 6 else ""}
                                                 for k, r in enumerate(_rows(300, 320))])
    few = runner.invoke(app, ["suggest", "good", str(partly), "-n", "10", "--out", str(tmp_path / "few.csv")])
    assert few.exit_code == 0, few.output
    assert ("Picked 6 report(s) (the file has 6 unlabelled report(s) with text; 14 already labelled skipped)"
            in few.output)

    held_out = write_csv(tmp_path / "held_out.csv", _rows(300, 420))
    result = runner.invoke(app, ["compare", "good", "good", str(held_out), "--resamples", "50"])
    assert result.exit_code == 0, result.output
    assert "macro avg" in result.output and "No clear difference" in result.output

    suspects, db = tmp_path / "suspects.csv", f"sqlite:///{tmp_path / 'review.sqlite3'}"
    result = runner.invoke(app, ["audit", str(held_out), "--out", str(suspects), "--show", "3", "--min-examples", "3",
                                 "--to-review", "--review-top", "5", "--db", db])
    assert result.exit_code == 0, result.output
    assert "suspect row(s) of 120" in result.output and suspects.exists()
    queued = int(re.search(r"Queued (\d+) suspect\(s\) for review in sqlite:///", result.output).group(1))
    from classifier.review.queue import progress
    from classifier.review.store import open_store

    store = open_store(db)
    try:
        assert 1 <= queued <= 5 and progress(store)["queued"] == queued
    finally:
        store.close()


def test_cli_audit_of_one_label_names_it_and_writes_its_own_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default output folder is ./output
    data = write_csv(tmp_path / "reports.csv", _rows(0, 200))
    result = runner.invoke(app, ["audit", str(data), "--label", "race_hate", "--quiet", "--show", "2"])
    assert result.exit_code == 0, result.output
    assert "suspect row(s) of 200 for 'race_hate'" in result.output
    out = tmp_path / "output" / "audit_reports_race_hate.csv"
    written = read_labelled(out, labels_column="given_labels")
    assert len(written) == int(re.search(r"(\d+) suspect row", result.output).group(1))
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [c for c in rows[0] if c.endswith("race_hate") or "score" in c] == ["model_score_race_hate"]
    assert all("race_hate" in row["detail"] for row in rows)  # each row is there for its answer on race_hate
    listed = [line for line in result.output.splitlines() if line.lstrip()[:2] in ("1.", "2.")]
    assert listed and all("'race_hate'" in line and "given [" not in line for line in listed)


@pytest.mark.parametrize("command", ["audit", "suggest"])
def test_cli_retrain_audit_and_suggest_never_replace_their_input_and_ask_force_for_another_file(tmp_path, command):
    """Reproduction: `tension audit data.csv --out data.csv` replaced the 400 labelled reports with the suspects
    list (exit 0), and audit replaced any existing file without a --force option; `suggest M X --out X --force`
    replaced its input too."""
    data = write_csv(tmp_path / "data.csv", _rows(0, 40))
    before = data.read_bytes()
    other = tmp_path / "notes.csv"
    other.write_text("kept", "utf-8")
    head = ["audit", str(data)] if command == "audit" else ["suggest", "no-such-model", str(data)]
    for out, extra in ((data, []), (data, ["--force"]), (tmp_path / "." / "data.csv", ["--force"])):
        result = runner.invoke(app, [*head, "--out", str(out), *extra])
        assert result.exit_code == 1 and "is the input file" in result.output and "never replaced" in result.output
    refused = runner.invoke(app, [*head, "--out", str(other)])
    assert refused.exit_code == 1 and "notes.csv already exists" in refused.output and "--force" in refused.output
    assert data.read_bytes() == before and other.read_text("utf-8") == "kept"


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


# -- the README's retraining recipe, with a file of new labels that has no split column ------------------------

def test_cli_retrain_recipe_keeps_the_corpus_test_split_and_compare_and_promote_agree(tmp_path, monkeypatch,
                                                                                      fake_identity_suite):
    import json

    from classifier import load_model
    from classifier.io.records import text_sha256

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TENSION_MODELS_DIR", str(tmp_path / "models"))
    corpus = _rows(0, 400)
    test_rows = [r for r in corpus if r["split"] == "test"]
    write_csv(tmp_path / "reports.csv", corpus)
    # New labels: 160 new reports and a correction of one corpus test report, in a file without a split column.
    new = [{"text": r["text"], "labels": r["labels"]} for r in _rows(400, 560)]
    new.append({"text": test_rows[0]["text"], "labels": "misinformation"})
    write_csv(tmp_path / "new_labels.csv", new)

    first = runner.invoke(app, ["train", "reports.csv"])
    assert first.exit_code == 0, first.output
    assert f"Split: 400 rows came with a split and kept it ({len(test_rows)} test)." in first.output
    retrained = runner.invoke(app, ["train", "reports.csv", "new_labels.csv", "--prefer-later"])
    assert retrained.exit_code == 0, retrained.output
    assert (f"Split: 400 rows came with a split and kept it ({len(test_rows)} test); 160 rows had none and were split "
            "now, stratified (32 test, 20%, seed 0).") in retrained.output
    name = retrained.output.split("tension promote ")[-1].split()[0]

    rows = load_model(tmp_path / "models" / name).training_rows  # the corpus's test split is intact
    corpus_test = {text_sha256(r["text"]) for r in test_rows}
    assert corpus_test <= set(rows.test_hashes) and not corpus_test & rows.trained_on
    assert len(rows.test_hashes) == len(test_rows) + 32

    # Scored on the corpus's test split only: neither model trained on any of it, but 77 rows are too few.
    refused = runner.invoke(app, ["compare", "default", name, "reports.csv", "--split", "test"])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert (f"Only {len(test_rows)} reports in 'reports.csv', none of which either model trained on; at least 100 are "
            "needed") in refused.output

    minimum = ["--min-per-label", "5"]
    compared = runner.invoke(app, ["compare", "default", name, "reports.csv", "new_labels.csv", "--prefer-later",
                                   "--resamples", "200", *minimum])
    assert compared.exit_code == 0, compared.output
    promoted = runner.invoke(app, ["promote", name, *minimum])
    assert promoted.exit_code == 0, promoted.output
    unseen = len(test_rows) + 32  # the corpus's test split and the new labels' held-out fifth
    assert (f"Scored on {unseen} of 560 reports, those neither model trained on (default trained on "
            f"{400 - len(test_rows)} of them, {name} on {400 - len(test_rows) + 128})") in compared.output
    assert (f"On the test split of reports.csv, new_labels.csv: Scored on {unseen} of {unseen} reports, those "
            f"neither model trained on (default trained on 0 of them, {name} on 0)") in promoted.output
    # The same figures on the same rows (the verdict's wording may differ: promote draws more resamples).
    figures = re.findall(r"macro-F1 \d\.\d+ vs \d\.\d+", compared.output)
    assert figures and figures[-1] in promoted.output
    record = json.loads((tmp_path / "models" / "promotions.jsonl").read_text("utf-8").splitlines()[-1])
    # Once promoted, the name 'default' is the promoted model; the first default is the folder models/default.
    assert runner.invoke(app, ["info", "default"]).stdout.count(f'"name": "{name}"') == 1
    as_json = json.loads(runner.invoke(app, ["compare", "models/default", name, "reports.csv", "new_labels.csv",
                                             "--prefer-later", "--resamples", "200", "--json", *minimum]).stdout)
    assert record["macro_f1"] == {"previous": as_json["macro"]["f1_a"], "default": as_json["macro"]["f1_b"]}
    assert record["compared_on"]["unseen"] == as_json["n_reports"] == unseen


def test_cli_audit_to_review_bad_input_queues_nothing_and_keeps_every_row(tmp_path):
    from classifier.review.queue import progress
    from classifier.review.store import open_store

    db = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    rows = _rows(300, 420)
    no_labels = write_csv(tmp_path / "no_labels.csv", [{"id": r["id"], "text": r["text"]} for r in rows])
    result = runner.invoke(app, ["audit", str(no_labels), "--to-review", "--db", db, "--quiet"])
    assert result.exit_code != 0 and "labels" in result.output and "Traceback" not in result.output
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["audit", str(empty), "--to-review", "--db", db, "--quiet"])
    assert result.exit_code != 0 and "empty.csv" in result.output and "Traceback" not in result.output

    rows[0] = {**rows[0], "text": rows[0]["text"] + " Caf\u00e9 owner says \u00a35 was taken."}
    windows = write_csv(tmp_path / "windows.csv", rows, encoding="cp1252")
    result = runner.invoke(app, ["audit", str(windows), "--to-review", "--review-top", "3", "--db", db,
                                 "--min-examples", "3", "--out", str(tmp_path / "suspects.csv"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert f"suspect row(s) of {len(rows)}" in result.output  # every row read, none dropped for its encoding
    store = open_store(db)
    try:
        assert progress(store)["total"] == int(re.search(r"Queued (\d+) suspect", result.output).group(1))
    finally:
        store.close()


def test_cli_retrain_train_without_out_never_writes_default_when_another_model_is_the_default(registry,
                                                                                             monkeypatch):
    """With 'good' promoted and no folder named 'default', a new model goes to a dated candidate folder."""
    import classifier.training.train as training

    def where(data, out, **options):
        raise DataError(f"would save to {out.name}")

    monkeypatch.setattr(training, "train", where)
    assert "would save to default" in runner.invoke(app, ["train", str(CORPUS)]).output
    assert runner.invoke(app, ["promote", "good"]).exit_code == 0
    output = runner.invoke(app, ["train", str(CORPUS)]).output
    assert "would save to" in output and "would save to default" not in output
    refused = runner.invoke(app, ["train", str(CORPUS), "--out", str(registry / "good")])  # the promoted default
    assert refused.exit_code == 1 and "is the default model; training over it would bypass `tension promote`" \
        in refused.output
    shutil.copytree(registry / "good", registry / "copy")
    assert runner.invoke(app, ["promote", "copy"]).exit_code == 0
    refused = runner.invoke(app, ["train", str(CORPUS), "--out", str(registry / "good")])  # a rollback target
    assert refused.exit_code == 1 and "a model `tension promote --rollback` may restore" in refused.output
    assert "would save to elsewhere" in runner.invoke(app, ["train", str(CORPUS), "--out",
                                                             str(registry / "elsewhere")]).output
    # Reproduction: with another models folder in use (or none set, from another working folder), --out into this
    # registry's default or rollback target was accepted and replaced it.
    monkeypatch.setenv("TENSION_MODELS_DIR", str(registry.parent / "other-models"))
    for name, what in (("copy", "is the default model"), ("good", "`tension promote --rollback` may restore")):
        refused = runner.invoke(app, ["train", str(CORPUS), "--out", str(registry / name)])
        assert refused.exit_code == 1 and what in refused.output


def test_cli_retrain_no_clear_difference_names_the_models_in_the_order_of_their_figures():
    from classifier.evaluation.compare import _verdict

    macro = {"f1_a": 0.718, "f1_b": 0.730, "diff": 0.012, "ci_low": -0.01, "ci_high": 0.03}
    assert "between conf and base on these 350 reports: macro-F1 0.730 vs 0.718 (+0.012" in _verdict(
        "base", "conf", macro, 0.95, 350)


def test_cli_audit_a_suspect_whose_labels_the_model_would_keep_says_what_it_doubts(tmp_path, monkeypatch):
    """Reproduction: a suspect read 'given [] -> model []  (model disagrees)': its score was past the label's
    confident threshold but under the decision threshold."""
    import classifier.retrain.audit as audit_module
    from classifier.retrain.audit import REASON_MODEL, AuditResult, Suspect

    doubt = "not given 'race_hate' but its out-of-fold score is 0.41 (reports with it average 0.38)"
    unsure = Suspect(0, "1", "data.csv row 2", (), (), {"race_hate": 0.41}, [REASON_MODEL], [doubt], 0.7, 1)
    clear = Suspect(1, "2", "data.csv row 3", (), ("race_hate",), {"race_hate": 0.9}, [REASON_MODEL],
                    ["not given 'race_hate' but its out-of-fold score is 0.90 (reports with it average 0.38)"], 0.9, 2)
    result = AuditResult([unsure, clear], 2, {"race_hate": 1}, {}, [], {}, out_path=tmp_path / "suspects.csv")
    monkeypatch.setattr(audit_module, "audit", lambda *args, **kwargs: result)
    data = write_csv(tmp_path / "data.csv", _rows(0, 2))
    out = runner.invoke(app, ["audit", str(data), "--out", str(tmp_path / "suspects.csv"), "--quiet"]).output
    assert f"given [], the model unsure: {doubt}" in out and "given [] -> model []" not in out
    assert "given [] -> model ['race_hate']" in out
