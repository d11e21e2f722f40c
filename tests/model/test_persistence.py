import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifier import load_model
from classifier.errors import ModelError
from classifier.model.persistence import METADATA_FILE, MODEL_FILE, ROWS_FILE, resolve_model_dir, save_model
from tests.helpers import ROOT, write_csv


@pytest.fixture
def model_copy(trained, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(trained.model_dir, target)
    return target


def test_persistence_round_trip_gives_identical_predictions(trained, model):
    texts = ["asylum seekers at the hotel get free phones says a post", "pothole on moor lane"]
    np.testing.assert_array_equal(model.predict_proba(texts), trained.model.predict_proba(texts))
    assert [p.labels for p in model.predict(texts)] == [p.labels for p in trained.model.predict(texts)]


def test_persistence_writes_card_and_metadata(trained):
    files = {p.name for p in trained.model_dir.iterdir()}
    assert files == {MODEL_FILE, METADATA_FILE, ROWS_FILE, "MODEL_CARD.md"}
    meta = json.loads((trained.model_dir / METADATA_FILE).read_text())
    assert len(meta["model_sha256"]) == 64 and meta["format_version"] == 2


def test_persistence_refuses_tampered_model(model_copy):
    with open(model_copy / MODEL_FILE, "r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00tampered\x00")
    with pytest.raises(ModelError, match="does not match the SHA-256"):
        load_model(model_copy)


def test_persistence_refuses_truncated_model(model_copy):
    data = (model_copy / MODEL_FILE).read_bytes()
    (model_copy / MODEL_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="corrupt, truncated"):
        load_model(model_copy)


def test_persistence_missing_model_says_how_to_train(tmp_path):
    with pytest.raises(ModelError, match="tension train"):
        load_model(tmp_path / "nothing-here")


def _model_folders(models: Path, *names: str) -> None:
    for name in names:
        (models / name).mkdir(parents=True)
        (models / name / METADATA_FILE).write_text("{}")


@pytest.mark.parametrize("given", ["models/defualt", "defualt"])
def test_persistence_a_mistyped_model_names_the_closest_and_the_model_folders_there(nowhere, given):
    (nowhere / "pyproject.toml").write_text('[project]\nname = "tension-classifier"\n')
    _model_folders(nowhere / "models", "default", "model_20261201")
    (nowhere / "models" / "notes").mkdir()  # not a model folder: not listed
    with pytest.raises(ModelError) as raised:
        load_model(given)
    message = str(raised.value)
    assert f"No model at '{given}'. Did you mean '{Path('models', 'default')}'?" in message
    assert "Model folders in 'models': default, model_20261201." in message
    assert "notes" not in message and f"tension train data/reports.csv --out {given}" in message


def test_persistence_a_missing_model_lists_the_model_folders_beside_it(nowhere):
    _model_folders(nowhere / "elsewhere", *(f"m{number:02}" for number in range(12)))
    with pytest.raises(ModelError) as raised:
        load_model(nowhere / "elsewhere" / "unrelated")
    message = str(raised.value)
    assert "Did you mean" not in message
    assert f"Model folders in '{nowhere / 'elsewhere'}': m00, m01, " in message and "m09 and 2 more." in message


@pytest.mark.parametrize("where", ["load_model", "models/README.md"])
def test_persistence_loading_is_described_as_the_allow_list_does_it(where):
    text = load_model.__doc__ if where == "load_model" else (ROOT / "models" / "README.md").read_text("utf-8")
    text = " ".join(text.split())
    assert "runs code" not in text  # a file that asks for a function is refused before anything in it runs
    assert "through an allow-list of classes" in text and "refused before anything in it runs" in text
    assert "load only models you trust" in text.lower() or "load only models you trained" in text
    assert "not a crafted model from giving wrong answers" in text


def test_persistence_missing_file_in_folder(model_copy):
    (model_copy / MODEL_FILE).unlink()
    with pytest.raises(ModelError, match="has no model.pkl.gz"):
        load_model(model_copy)


def test_persistence_incompatible_versions_refused(model_copy):
    meta = json.loads((model_copy / METADATA_FILE).read_text())
    meta["versions"]["scikit-learn"] = "0.24.2"
    (model_copy / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="scikit-learn 0.24.2"):
        load_model(model_copy)


def test_persistence_a_model_records_how_it_reads_reports_and_loads_without_a_warning(trained, recwarn):
    from classifier.model.persistence import PREPROCESSING_VERSION, PreprocessingChangedWarning

    meta = json.loads((trained.model_dir / METADATA_FILE).read_text())
    assert meta["preprocessing_version"] == PREPROCESSING_VERSION
    load_model(trained.model_dir)
    assert not [w for w in recwarn if issubclass(w.category, PreprocessingChangedWarning)]


@pytest.mark.parametrize("recorded", [None, 0, "1b"])
def test_persistence_a_model_trained_when_reports_were_read_otherwise_warns_on_load(model_copy, recorded, tmp_path):
    """Reproduction: a model saved before the e-mail rules were tightened loaded silently, and its recorded test
    figures no longer held for the reports it now read otherwise."""
    from classifier.labelling.batch import label_file
    from classifier.model.persistence import PreprocessingChangedWarning

    meta = json.loads((model_copy / METADATA_FILE).read_text())
    if recorded is None:
        del meta["preprocessing_version"]
    else:
        meta["preprocessing_version"] = recorded
    (model_copy / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.warns(PreprocessingChangedWarning, match=r"retrain it: tension train DATA --out") as caught:
        load_model(model_copy)
    assert ("before tension-classifier recorded" if recorded is None else f"version {recorded!r}") in \
        str(caught[0].message)
    backlog = write_csv(tmp_path / "backlog.csv", [{"text": "pothole on moor lane"}])
    with pytest.warns(PreprocessingChangedWarning):
        label_file(backlog, tmp_path / "out.csv", model=model_copy)


@pytest.mark.parametrize("saved", [3, None, ""])
def test_persistence_a_version_that_is_not_a_version_string_is_named(model_copy, saved):
    """Reproduction: "versions": {"spacy": 3} in metadata.json ended in AttributeError ('int' object has no
    attribute 'split'); a missing version said "Install spacy==None"."""
    meta = json.loads((model_copy / METADATA_FILE).read_text())
    meta["versions"]["spacy"] = saved
    (model_copy / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"does not say which spacy version saved the model .*Restore") as caught:
        load_model(model_copy)
    assert "==None" not in str(caught.value)


def test_persistence_broken_metadata(model_copy):
    (model_copy / METADATA_FILE).write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_model(model_copy)


@pytest.mark.parametrize(("change", "message"), [
    (lambda meta: [], "holds a JSON list, expected an object"),
    (lambda meta: None, "holds a JSON NoneType, expected an object"),
    (lambda meta: {**meta, "versions": "1.0"}, "'versions' is a JSON str, expected an object"),
    (lambda meta: {**meta, "format_version": [2]}, "model format version \\[2\\]"),
    (lambda meta: {**meta, "format_version": True}, "model format version True"),
])
def test_persistence_metadata_of_the_wrong_shape_is_a_model_error(model_copy, change, message):
    meta = json.loads((model_copy / METADATA_FILE).read_text())
    (model_copy / METADATA_FILE).write_text(json.dumps(change(meta)))
    with pytest.raises(ModelError, match=message):
        load_model(model_copy)


def test_persistence_model_paths_of_another_type_or_with_a_tilde(model_copy, monkeypatch):
    for bad in (123, b"/a/path"):
        with pytest.raises(ModelError, match="named by its folder"):
            load_model(bad)
    monkeypatch.setenv("HOME", str(model_copy.parent))
    assert resolve_model_dir(f"~/{model_copy.name}") == model_copy
    assert resolve_model_dir(model_copy / METADATA_FILE) == model_copy


def test_persistence_failed_save_keeps_previous_model(trained, model_copy, monkeypatch):
    import classifier.model.persistence as persistence

    before = (model_copy / MODEL_FILE).read_bytes()

    def broken_dump(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(persistence, "write_model_file", broken_dump)
    with pytest.raises(OSError):
        save_model(trained.model.pipeline, model_copy, trained.metadata)
    assert (model_copy / MODEL_FILE).read_bytes() == before
    assert [p.name for p in model_copy.parent.iterdir() if p.name.startswith(".")] == []


def test_persistence_model_holds_no_personal_identifiers(model):
    features = dict(model.pipeline.named_steps["features"].transformer_list)
    vocabulary = set(features["word"].vocabulary_)
    assert not any("@" in term or "example.com" in term for term in vocabulary)
    assert not any(term.isdigit() and len(term) >= 5 for term in vocabulary)
    assert "xxphone" in vocabulary or "xxemail" in vocabulary


def test_persistence_a_name_or_identifier_of_one_report_stays_out_of_the_model_file(tmp_path):
    """A name in one report, even one that names a group (its counterfactual copies and the second stage's
    described-person copies repeat it), and identifiers the masking misses as such (a date of birth, a crime
    reference, a vehicle registration) leave no trace in the saved model."""
    import csv
    import gzip

    from classifier.training.train import train
    from tests.helpers import CORPUS

    with open(CORPUS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:200]
    rows += [
        {"id": "p1", "split": "train", "labels": "religious_hate",
         "text": "A Muslim family at number 4 say Mr Vornoblaskey shouted abuse at them and spat at their door."},
        {"id": "p2", "split": "train", "labels": "",
         "text": "A Muslim woman, Mrs Quollenbarth, handed a lost wallet in at the library desk."},
        {"id": "p3", "split": "train", "labels": "race_hate",
         "text": "Born 12/03/1985, he was called a racist name; crime ref 39/11044/25, car AB12 CDE."},
        {"id": "p4", "split": "train", "labels": "",
         "text": "Born 12/03/1985, he asked about bins; crime ref 39/11044/25, car AB12 CDE."},
    ]
    result = train(write_csv(tmp_path / "data.csv", rows), tmp_path / "model", seed=0)
    raw = gzip.decompress((result.model_dir / MODEL_FILE).read_bytes()).lower()
    for secret in ("vornoblaskey", "quollenbarth", "12/03/1985", "39/11044", "ab12"):
        assert secret.encode() not in raw, secret
    assert b"crime ref" in raw  # the identifiers left out, the words around them kept


# -- what may be loaded: the allow-list unpickler, fitted models only, labels from the model -------------

class _RunsCode:
    """Unpickling this calls ``function(argument)``: what a malicious model file does."""

    def __init__(self, function, argument):
        self.function, self.argument = function, argument

    def __reduce__(self):
        return self.function, (self.argument,)


def _replace_model_file(folder, obj, legacy=False) -> None:
    """Put `obj` in `folder`'s model file and record its SHA-256, as someone who can write both files would;
    ``legacy``: as a model saved before format 2 (joblib's ``model.joblib``, format version 1)."""
    import joblib

    from classifier.io.records import file_sha256
    from classifier.model.persistence import MODEL_FILES, write_model_file

    meta = json.loads((folder / METADATA_FILE).read_text())
    if legacy:
        (folder / MODEL_FILE).unlink(missing_ok=True)
        meta["format_version"] = 1
        joblib.dump(obj, folder / MODEL_FILES[1], compress=3)
    else:
        write_model_file(obj, folder / MODEL_FILE)
    meta["model_sha256"] = file_sha256(folder / MODEL_FILES[meta["format_version"]])
    (folder / METADATA_FILE).write_text(json.dumps(meta))


def test_persistence_loads_a_model_saved_in_the_joblib_format_before_format_2(model_copy, model):
    _replace_model_file(model_copy, model.pipeline, legacy=True)
    assert not (model_copy / MODEL_FILE).exists()
    loaded = load_model(model_copy)
    texts = ["asylum seekers at the hotel get free phones says a post", "pothole on moor lane"]
    np.testing.assert_array_equal(loaded.predict_proba(texts), model.predict_proba(texts))
    assert resolve_model_dir(model_copy / "model.joblib") == model_copy


def test_persistence_model_file_is_the_same_bytes_for_the_same_model(model, tmp_path):
    from classifier.model.persistence import write_model_file

    write_model_file(model.pipeline, tmp_path / "a")
    write_model_file(model.pipeline, tmp_path / "b")
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


@pytest.mark.parametrize("legacy", [False, True], ids=["format 2", "joblib format 1"])
@pytest.mark.parametrize("how", ["os.system", "builtins.eval", "nested in the pipeline"])
def test_persistence_refuses_a_pickle_that_runs_code_even_with_a_matching_sha256(model_copy, tmp_path, how,
                                                                                  legacy):
    import builtins
    import os

    marker = tmp_path / "payload-ran"
    if how == "os.system":
        payload, refused = _RunsCode(os.system, f"touch {marker}"), f"{os.system.__module__}.system"
    elif how == "builtins.eval":
        payload, refused = _RunsCode(builtins.eval, f"open({str(marker)!r}, 'w').close()"), "builtins.eval"
    else:  # hidden inside a scikit-learn object, where only the allow-list can see it
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import FunctionTransformer

        hidden = _RunsCode(os.system, f"touch {marker}")
        payload = Pipeline([("preprocess", FunctionTransformer(kw_args={"x": hidden}))])
        refused = f"{os.system.__module__}.system"
    _replace_model_file(model_copy, payload, legacy=legacy)
    with pytest.raises(ModelError, match=f"asks for {refused}, which is not on the list") as refusal:
        load_model(model_copy)
    assert "before anything in it ran" in str(refusal.value)
    assert not marker.exists()


def test_persistence_loads_a_model_saved_before_the_move_into_subpackages(model_copy, model, monkeypatch):
    """Models saved before classifier/ had subpackages name classifier.estimator, classifier.pipeline... in their
    pickle; they load as the same classes from classifier.model.*, with the same predictions."""
    import gzip
    import importlib
    import sys

    from classifier.io.records import file_sha256
    from classifier.model.persistence import MOVED_MODULES, write_model_file

    with monkeypatch.context() as old_layout:  # the classes where they were, as the old pickles name them
        for old, new in MOVED_MODULES.items():
            module = importlib.import_module(new)
            old_layout.setitem(sys.modules, old, module)
            for value in list(vars(module).values()):
                if isinstance(value, type) and value.__module__ == new:
                    old_layout.setattr(value, "__module__", old)
        write_model_file(model.pipeline, model_copy / MODEL_FILE)
    stream = gzip.decompress((model_copy / MODEL_FILE).read_bytes())
    assert b"classifier.estimator" in stream and b"classifier.preprocess" in stream
    assert not any(new.encode() in stream for new in MOVED_MODULES.values())
    assert "classifier.estimator" not in sys.modules
    meta = json.loads((model_copy / METADATA_FILE).read_text())
    meta["model_sha256"] = file_sha256(model_copy / MODEL_FILE)
    (model_copy / METADATA_FILE).write_text(json.dumps(meta))

    loaded = load_model(model_copy)

    assert type(loaded.pipeline.named_steps["classifier"]).__module__ == "classifier.model.estimator"
    texts = ["asylum seekers at the hotel get free phones says a post", "pothole on moor lane"]
    np.testing.assert_array_equal(loaded.predict_proba(texts), model.predict_proba(texts))


def test_persistence_loads_a_model_whose_boosted_trees_name_their_loss_module_by_its_short_name(model_copy, model,
                                                                                                  monkeypatch):
    """scikit-learn before 1.9 pickles the second stage's loss as ``_loss.CyHalfBinomialLoss`` (its compiled
    module calls itself ``_loss``): a model trained there loads there, read as ``sklearn._loss._loss``."""
    import copyreg
    import gzip
    import sys
    import types

    from sklearn._loss import _loss

    from classifier.io.records import file_sha256
    from classifier.model.persistence import write_model_file

    short = types.ModuleType("_loss")  # what scikit-learn 1.8's compiled module calls itself
    with monkeypatch.context() as old_naming:  # that naming, for the time of the write (1.8 has it already)
        if _loss.CyHalfBinomialLoss.__module__ != "_loss":
            old_naming.setitem(sys.modules, "_loss", short)
            for name, value in vars(_loss).items():
                if isinstance(value, type) and value.__module__ == _loss.__name__:
                    setattr(short, name, type(name, (), {"__module__": "_loss"}))
                    old_naming.setitem(copyreg.dispatch_table, value,
                                       lambda obj, name=name: (getattr(short, name), ()))
        write_model_file(model.pipeline, model_copy / MODEL_FILE)
    stream = gzip.decompress((model_copy / MODEL_FILE).read_bytes())
    assert b"\x8c\x05_loss\x94" in stream and b"sklearn._loss._loss" not in stream
    meta = json.loads((model_copy / METADATA_FILE).read_text())
    meta["model_sha256"] = file_sha256(model_copy / MODEL_FILE)
    (model_copy / METADATA_FILE).write_text(json.dumps(meta))

    loaded = load_model(model_copy)

    texts = ["asylum seekers at the hotel get free phones says a post", "pothole on moor lane"]
    np.testing.assert_array_equal(loaded.predict_proba(texts), model.predict_proba(texts))


def test_persistence_short_module_names_lead_only_to_scikit_learn_classes():
    import importlib

    from sklearn._loss import _loss

    from classifier.model.persistence import RefusedGlobal, _allowed_global

    def find_class(module, name):
        return getattr(importlib.import_module(module), name)

    assert _allowed_global("_loss", "CyHalfBinomialLoss", find_class) is _loss.CyHalfBinomialLoss
    for module, name in (("_loss", "np"), ("_loss", "os.system"), ("loss", "CyHalfBinomialLoss")):
        with pytest.raises(RefusedGlobal):
            _allowed_global(module, name, find_class)


@pytest.mark.parametrize(
    ("obj", "expected"),
    [({"not": "a model"}, "holds a builtins.dict, not a scikit-learn Pipeline"),
     ("pipeline without classifier", "without a fitted 'classifier' step")],
)
def test_persistence_refuses_an_artefact_that_is_not_a_model(model_copy, obj, expected):
    if obj == "pipeline without classifier":
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import FunctionTransformer

        obj = Pipeline([("classifier", FunctionTransformer())])
    _replace_model_file(model_copy, obj)
    with pytest.raises(ModelError, match=expected):
        load_model(model_copy)


def test_persistence_refuses_metadata_labels_that_differ_from_the_model(model_copy, model):
    meta = json.loads((model_copy / METADATA_FILE).read_text())
    meta["labels"] = list(reversed(meta["labels"]))  # what made --jobs 2 swap the score columns
    (model_copy / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError) as refusal:
        load_model(model_copy)
    message = str(refusal.value)
    assert f"the model's classifier has {model.labels}" in message and "Fix: set \"labels\"" in message


def test_persistence_batch_with_two_jobs_takes_labels_from_the_model(model_copy, model, tmp_path):
    from classifier.io.tables import TableReader
    from classifier.labelling.batch import label_file

    meta = json.loads((model_copy / METADATA_FILE).read_text())
    meta["labels"] = list(reversed(meta["labels"]))
    (model_copy / METADATA_FILE).write_text(json.dumps(meta))
    source = write_csv(tmp_path / "in.csv", [{"text": "asylum seekers at the hotel get free phones"}] * 3)
    with pytest.raises(ModelError, match="lists the labels"):
        label_file(source, tmp_path / "out.csv", model=model_copy, jobs=2)
    assert not (tmp_path / "out.csv").exists()

    meta["labels"] = model.labels
    (model_copy / METADATA_FILE).write_text(json.dumps(meta))
    label_file(source, tmp_path / "out.csv", model=model_copy, jobs=2)
    with TableReader(tmp_path / "out.csv") as reader:
        row = next(iter(reader))
    expected = model.predict(["asylum seekers at the hotel get free phones"])[0].scores
    for label in model.labels:
        assert float(row[f"score_{label}"]) == pytest.approx(expected[label])


def test_persistence_batch_workers_refuse_a_pickle_that_runs_code(model_copy, tmp_path):
    # With several jobs the parent only reads and checks the file; the workers unpickle it, through the allow-list.
    import os

    from classifier.labelling.batch import label_file

    marker = tmp_path / "payload-ran"
    _replace_model_file(model_copy, _RunsCode(os.system, f"touch {marker}"))
    source = write_csv(tmp_path / "in.csv", [{"text": "asylum seekers at the hotel get free phones"}] * 3)
    with pytest.raises(ModelError, match="which is not on the list"):
        label_file(source, tmp_path / "out.csv", model=model_copy, jobs=2)
    assert not (tmp_path / "out.csv").exists() and not marker.exists()


def test_persistence_refuses_symbolic_links(model_copy, tmp_path):
    link = tmp_path / "linked"
    link.symlink_to(model_copy, target_is_directory=True)
    with pytest.raises(ModelError, match="is a symbolic link"):
        load_model(link)
    real = tmp_path / "real"
    real.mkdir()
    for name in (MODEL_FILE, METADATA_FILE):
        (real / name).symlink_to(model_copy / name)
    with pytest.raises(ModelError, match="is a symbolic link"):
        load_model(real)


# -- one writer per model folder -----------------------------------------------------------------------

@pytest.fixture
def other_process():
    """A live process that is not this one (its pid goes in lock files)."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


def test_persistence_second_save_into_a_locked_folder_fails(trained, model_copy, other_process):
    before = (model_copy / MODEL_FILE).read_bytes()
    lock = model_copy.parent / f".{model_copy.name}.lock"
    lock.write_text(f"{other_process}\n")  # another `tension train --out` of the same folder, still running
    with pytest.raises(ModelError, match=f"process {other_process} is already writing the model folder"):
        save_model(trained.model.pipeline, model_copy, trained.metadata)
    assert (model_copy / MODEL_FILE).read_bytes() == before and lock.exists()


def test_persistence_stale_lock_of_a_dead_process_is_taken_over(trained, model_copy):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock = model_copy.parent / f".{model_copy.name}.lock"
    lock.write_text(dead.stdout)
    save_model(trained.model.pipeline, model_copy, trained.metadata)
    assert not lock.exists()
    load_model(model_copy)


def test_persistence_lock_refuses_another_thread_and_is_reentrant(trained, model_copy):
    import threading

    from classifier.model.persistence import model_dir_lock

    errors = []
    with model_dir_lock(model_copy):
        save_model(trained.model.pipeline, model_copy, trained.metadata)  # same thread: re-entrant
        thread = threading.Thread(target=lambda: errors.append(_save_error(trained, model_copy)))
        thread.start()
        thread.join()
    assert errors and "is already writing" in errors[0]
    assert not (model_copy.parent / f".{model_copy.name}.lock").exists()


def _save_error(trained, folder) -> str:
    try:
        save_model(trained.model.pipeline, folder, trained.metadata)
    except ModelError as error:
        return str(error)
    return ""


def test_persistence_train_cli_fails_at_once_when_the_folder_is_locked(model_copy, other_process, small_labelled):
    from typer.testing import CliRunner

    from classifier.cli import app

    (model_copy.parent / f".{model_copy.name}.lock").write_text(f"{other_process}\n")
    result = CliRunner().invoke(app, ["train", str(small_labelled), "--out", str(model_copy)])
    assert result.exit_code == 1
    assert f"process {other_process} is already writing" in result.output and "Saved" not in result.output


def test_persistence_records_the_rows_it_was_trained_and_tested_on_as_hashes_not_text(trained, model_copy):
    from classifier.io.records import read_labelled, text_sha256

    meta = json.loads((model_copy / METADATA_FILE).read_text())
    rows = load_model(model_copy).training_rows
    corpus = read_labelled(meta["data"][0]["path"])  # the file it was trained on, with a split column
    test = [text_sha256(t) for t, s in zip(corpus.texts, corpus.splits, strict=True) if s == "test"]
    train = {text_sha256(t) for t, s in zip(corpus.texts, corpus.splits, strict=True) if s == "train"}
    assert list(rows.test_hashes) == test and rows.trained_on == train
    assert (len(rows.train_ids), len(rows.test_ids)) == (meta["rows"]["train"], meta["rows"]["test"])
    assert rows.train_ids[0] == corpus.ids[corpus.splits.index("train")]
    assert trained.model.training_rows == rows
    record = (model_copy / ROWS_FILE).read_text("utf-8")
    assert not any(text in record for text in corpus.texts[:200])  # hashes, never the text
    assert len(meta["rows_sha256"]) == 64


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("edit", "the record of the reports the model was trained on was changed"),
        ("delete", "has no rows.json, which its metadata.json records"),
        ("unrecord", "has a rows.json that its metadata.json does not record"),
    ],
)
def test_persistence_refuses_a_changed_record_of_training_rows(model_copy, change, message):
    path, meta_path = model_copy / ROWS_FILE, model_copy / METADATA_FILE
    if change == "edit":  # a test report moved into training: a comparison would then count it as seen
        record = json.loads(path.read_text())
        record["train"]["text_sha256"].append(record["test"]["text_sha256"][0])
        record["train"]["ids"].append(record["test"]["ids"][0])
        path.write_text(json.dumps(record))
    elif change == "delete":
        path.unlink()
    else:
        meta = json.loads(meta_path.read_text())
        del meta["rows_sha256"]
        meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=message):
        load_model(model_copy)


def test_persistence_a_model_saved_before_rows_were_recorded_loads_without_them(model_copy):
    meta = json.loads((model_copy / METADATA_FILE).read_text())
    del meta["rows_sha256"]
    (model_copy / METADATA_FILE).write_text(json.dumps(meta))
    (model_copy / ROWS_FILE).unlink()
    assert load_model(model_copy).training_rows is None


def _install_default(trained, models: Path) -> Path:
    shutil.copytree(trained.model_dir, models / "default")
    return models / "default"


def test_persistence_default_model_is_found_from_a_subfolder_of_the_project(trained, nowhere, monkeypatch):
    project = nowhere / "project"
    (project / "data" / "deep").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "tension-classifier"\n')
    _install_default(trained, project / "models")
    monkeypatch.chdir(project / "data" / "deep")
    assert resolve_model_dir(None).resolve() == (project / "models" / "default").resolve()
    assert load_model().labels == trained.model.labels


def test_persistence_a_models_folder_with_a_default_model_marks_the_root(trained, nowhere, monkeypatch):
    _install_default(trained, nowhere / "work" / "models")
    (nowhere / "work" / "sub").mkdir()
    monkeypatch.chdir(nowhere / "work" / "sub")
    assert resolve_model_dir(None).resolve() == (nowhere / "work" / "models" / "default").resolve()
    monkeypatch.chdir(nowhere / "work")
    assert resolve_model_dir(None) == Path("models") / "default"  # from the root: as short as before


def test_persistence_another_project_does_not_count_as_ours(nowhere):
    (nowhere / "pyproject.toml").write_text('[project]\nname = "someone-else"\n')
    (nowhere / "models").mkdir()
    with pytest.raises(ModelError, match="No default model found"):
        resolve_model_dir(None)


def test_persistence_default_model_from_the_variable_then_the_user_data_folder(trained, nowhere, monkeypatch):
    user = _install_default(trained, nowhere.parent / "user-data" / "tension-classifier" / "models")
    assert resolve_model_dir(None) == user
    registry = nowhere.parent / "registry"
    _install_default(trained, registry)
    monkeypatch.setenv("TENSION_MODELS_DIR", str(registry))
    assert resolve_model_dir(None) == registry / "default"


def test_persistence_no_default_model_names_the_option_the_variable_and_the_places_searched(nowhere):
    with pytest.raises(ModelError) as caught:
        load_model()
    message = str(caught.value)
    for expected in ("--model", "$TENSION_MODELS_DIR", f"searched upward from {nowhere}", "none found",
                     str(nowhere.parent / "user-data" / "tension-classifier" / "models")):
        assert expected in message
    with pytest.raises(ModelError, match="searched upward from"):  # named "default": the same search
        load_model("default")


# -- where a model may be saved: saving replaces the folder, so nothing but an older model may be lost -------

def test_persistence_save_refuses_a_folder_holding_other_files_and_keeps_them(trained, tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "train_me.csv").write_text("id,text,labels\n", "utf-8")
    (folder / "notes.md").write_text("mine\n", "utf-8")
    message = _save_error(trained, folder)
    assert "holds 2 file(s)" in message and "'notes.md'" in message and "delete them" in message
    assert sorted(path.name for path in folder.iterdir()) == ["notes.md", "train_me.csv"]


def test_persistence_save_replaces_an_older_model_and_fills_an_empty_folder(trained, model_copy, tmp_path):
    save_model(trained.model.pipeline, model_copy, trained.metadata)
    (tmp_path / "empty").mkdir()
    save_model(trained.model.pipeline, tmp_path / "empty", trained.metadata)
    assert load_model(model_copy).labels == load_model(tmp_path / "empty").labels


def test_persistence_save_refuses_the_current_folder_and_its_parents(trained, tmp_path, monkeypatch):
    (tmp_path / "inner").mkdir()
    monkeypatch.chdir(tmp_path / "inner")
    for out in (".", "..", str(tmp_path / "inner")):
        assert "is the current folder or one that holds it" in _save_error(trained, out)
    assert list((tmp_path / "inner").iterdir()) == []


def test_persistence_train_refuses_a_folder_of_other_files_before_training(small_labelled, tmp_path):
    from typer.testing import CliRunner

    from classifier.cli import app

    folder = tmp_path / "datadir"
    folder.mkdir()
    data = folder / "train_me.csv"
    data.write_bytes(small_labelled.read_bytes())
    result = CliRunner().invoke(app, ["train", str(data), "--out", str(folder), "-q"])
    assert result.exit_code == 1 and "not part of a model ('train_me.csv')" in result.output
    assert "fitting" not in result.output and "Saved" not in result.output
    assert data.read_bytes() == small_labelled.read_bytes()


def test_persistence_info_checks_the_model_file_after_printing_the_metadata(model_copy):
    from typer.testing import CliRunner

    from classifier.cli import app

    ok = CliRunner().invoke(app, ["info", str(model_copy)])
    assert ok.exit_code == 0 and json.loads(ok.output)["format_version"] == 2
    data = (model_copy / MODEL_FILE).read_bytes()
    (model_copy / MODEL_FILE).write_bytes(data[: len(data) // 2])
    truncated = CliRunner().invoke(app, ["info", str(model_copy)])
    assert truncated.exit_code == 1 and '"format_version": 2' in truncated.output
    assert "does not match the SHA-256" in truncated.output


@pytest.mark.parametrize("edit", ["labels", "thresholds"])
def test_persistence_info_refuses_metadata_that_is_not_the_models_as_loading_does(model_copy, model, edit):
    """Reproduction: with the labels reversed, or a threshold set to 1.7, in metadata.json, `tension info` exited
    0 showing them, while predict, evaluate, label and promote refused the labels and predictions used the
    model's own threshold (0.52) whatever the metadata said."""
    from typer.testing import CliRunner

    from classifier.cli import app

    meta = json.loads((model_copy / METADATA_FILE).read_text())
    if edit == "labels":
        meta["labels"] = list(reversed(meta["labels"]))
    else:
        meta["thresholds"][model.labels[0]] = 1.7
    (model_copy / METADATA_FILE).write_text(json.dumps(meta))
    result = CliRunner().invoke(app, ["info", str(model_copy)])
    assert result.exit_code == 1 and '"format_version": 2' in result.output
    expected = "lists the labels" if edit == "labels" else f"gives '{model.labels[0]}' the threshold 1.7, but the model"
    assert expected in result.output
    with pytest.raises(ModelError, match=re.escape(expected)):
        load_model(model_copy)


def test_persistence_metadata_without_the_model_checksum_says_so(model_copy):
    """Reproduction: with model_sha256 deleted, the error read 'expected None..., found 879a...'."""
    meta = json.loads((model_copy / METADATA_FILE).read_text())
    del meta["model_sha256"]
    (model_copy / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="records no model_sha256 .* damaged or the metadata was edited"):
        load_model(model_copy)


def test_persistence_a_folder_that_is_not_a_model_is_not_offered_as_an_out(tmp_path):
    (tmp_path / "notes.txt").write_text("x", "utf-8")
    with pytest.raises(ModelError, match="not a complete model folder. Give the folder a model was saved to"):
        load_model(tmp_path)
    with pytest.raises(ModelError, match="is a file, not a model folder"):
        load_model(tmp_path / "notes.txt")


def test_persistence_refuses_a_model_fitted_with_other_passages_than_this_version_cuts(model_copy, monkeypatch):
    import classifier.model.windows as windows
    from classifier.model.persistence import _check_passage_settings

    assert load_model(model_copy).pipeline.passage_settings_ == windows.passage_settings()
    monkeypatch.setattr(windows, "WINDOW_TOKENS", 20)
    monkeypatch.setattr(windows, "WINDOW_STRIDE", 10)
    with pytest.raises(ModelError, match=r"fitted with passages of 30 tokens every 15 .*cuts 20 every 10.*retrain it"):
        load_model(model_copy)
    monkeypatch.undo()
    # A model fitted before models saved their passages was fitted with the first ones, which this version cuts.

    class Before:
        passages = True

    _check_passage_settings(Before(), model_copy / MODEL_FILE, "Retrain it.")
