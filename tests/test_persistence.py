import json
import shutil

import numpy as np
import pytest

from classifier import load_model
from classifier.errors import ModelError
from classifier.persistence import METADATA_FILE, MODEL_FILE, save_model


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
    assert files == {MODEL_FILE, METADATA_FILE, "MODEL_CARD.md"}
    meta = json.loads((trained.model_dir / METADATA_FILE).read_text())
    assert len(meta["model_sha256"]) == 64 and meta["format_version"] == 1


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


def test_persistence_missing_file_in_folder(model_copy):
    (model_copy / MODEL_FILE).unlink()
    with pytest.raises(ModelError, match="has no model.joblib"):
        load_model(model_copy)


def test_persistence_incompatible_versions_refused(model_copy):
    meta = json.loads((model_copy / METADATA_FILE).read_text())
    meta["versions"]["scikit-learn"] = "0.24.2"
    (model_copy / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="scikit-learn 0.24.2"):
        load_model(model_copy)


def test_persistence_broken_metadata(model_copy):
    (model_copy / METADATA_FILE).write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_model(model_copy)


def test_persistence_failed_save_keeps_previous_model(trained, model_copy, monkeypatch):
    import joblib

    before = (model_copy / MODEL_FILE).read_bytes()

    def broken_dump(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(joblib, "dump", broken_dump)
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
