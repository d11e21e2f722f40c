"""The model registry: listing, promotion that refuses a worse model, rollback, and the default pointer."""

from __future__ import annotations

import csv
import json
import random
import shutil

import pytest
from conftest import CORPUS, write_csv

from classifier import load_model
from classifier.errors import ModelError
from classifier.persistence import DEFAULT_POINTER_FILE, resolve_model_dir
from classifier.registry import (
    HISTORY_FILE,
    PREVIOUS_POINTER_FILE,
    current_default,
    format_models,
    held_out_split,
    list_models,
    new_model_name,
    promote,
    rollback,
)


@pytest.fixture(scope="module")
def trained_models(tmp_path_factory):
    """A registry folder: 'good' (300 reports), 'worse' (training labels shuffled), 'random_split'."""
    from classifier.training import train

    folder = tmp_path_factory.mktemp("registry_src")
    with open(CORPUS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:300]
    good = write_csv(folder / "good.csv", rows)
    # 'worse' learns from shuffled training labels; its test rows keep their true labels.
    train_rows = [i for i, row in enumerate(rows) if row["split"] == "train"]
    shuffled = [rows[i]["labels"] for i in train_rows]
    random.Random(0).shuffle(shuffled)
    noisy = [dict(row) for row in rows]
    for i, labels in zip(train_rows, shuffled, strict=True):
        noisy[i]["labels"] = labels
    worse = write_csv(folder / "worse.csv", noisy)
    models = folder / "models"
    train(good, models / "good", seed=0)
    train(worse, models / "worse", seed=0)
    train(good, models / "random_split", seed=1, test_size=0.25)
    return models, good


@pytest.fixture
def registry(trained_models, tmp_path, monkeypatch):
    """A fresh copy of the registry in tmp_path, used as $TENSION_MODELS_DIR."""
    source, _ = trained_models
    models = tmp_path / "models"
    shutil.copytree(source, models)
    monkeypatch.setenv("TENSION_MODELS_DIR", str(models))
    return models


def test_registry_lists_models_with_date_hash_and_macro_f1(registry, trained_models):
    entries = {e.name: e for e in list_models()}
    assert set(entries) == {"good", "worse", "random_split"}
    good = entries["good"]
    assert good.created and good.data[0]["sha256"] and 0 < good.macro_f1 <= 1
    assert not good.is_default and current_default() is None
    (registry / ".half.tmp").mkdir()  # a crashed save's staging folder is not a model
    assert {e.name for e in list_models()} == {"good", "worse", "random_split"}
    assert "good" in format_models(list_models())


def test_registry_promote_refuses_worse_model_and_rollback_restores(registry):
    first = promote("good")
    assert first.previous is None and first.comparison is None
    assert (registry / DEFAULT_POINTER_FILE).read_text().strip() == "good"
    assert load_model().metadata["name"] == "good"

    with pytest.raises(ModelError, match=r"Not promoted: 'worse' has macro-F1 .* below the default 'good'.*--force"):
        promote("worse")
    assert current_default() == "good"

    forced = promote("worse", force=True)
    assert forced.forced and forced.previous == "good"
    assert forced.comparison["macro"]["f1_b"] < forced.comparison["macro"]["f1_a"]
    assert load_model().metadata["name"] == "worse"
    assert resolve_model_dir(None) == registry / "worse"

    back = rollback()
    assert back.name == "good" and back.previous == "worse"
    assert load_model().metadata["name"] == "good"
    assert (registry / PREVIOUS_POINTER_FILE).read_text().strip() == "worse"
    log = [json.loads(line) for line in (registry / HISTORY_FILE).read_text().splitlines()]
    assert [(e["action"], e["default"], e["forced"]) for e in log] == [
        ("promote", "good", False), ("promote", "worse", True), ("rollback", "good", False)
    ]
    assert {e.name: (e.is_default, e.is_previous) for e in list_models()} == {
        "good": (True, False), "worse": (False, True), "random_split": (False, False)
    }


def test_registry_promotes_a_better_model_over_the_legacy_default(registry):
    (registry / "worse").rename(registry / "default")  # a models/default from before the registry
    assert current_default() == "default"
    done = promote("good")
    assert done.previous == "default" and done.comparison["macro"]["f1_b"] >= done.comparison["macro"]["f1_a"]
    assert "test split" in done.evaluated_on
    assert load_model().metadata["name"] == "good"


def test_registry_promote_with_explicit_data(registry, trained_models):
    _, data = trained_models
    promote("good")
    with pytest.raises(ModelError, match="Not promoted"):
        promote("worse", data=data)


def test_registry_held_out_split_rebuilds_the_test_rows(registry):
    for name in ("good", "worse", "random_split"):
        meta = json.loads((registry / name / "metadata.json").read_text())
        assert len(held_out_split(meta)) == meta["rows"]["test"]


def test_registry_bad_input_has_clear_messages(registry, tmp_path):
    with pytest.raises(ModelError, match="No model named 'nope'.*good"):
        promote("nope")
    with pytest.raises(ModelError, match="no previous default"):
        rollback()
    with pytest.raises(ModelError, match="not a folder in"):
        promote(str(tmp_path / "elsewhere" / "good"))
    promote("good")
    with pytest.raises(ModelError, match="already the default"):
        promote("good")
    (registry / DEFAULT_POINTER_FILE).write_text("gone\n")
    with pytest.raises(ModelError, match="'gone'.*promote --rollback"):
        load_model()
    (registry / DEFAULT_POINTER_FILE).write_text("../good\n")
    with pytest.raises(ModelError, match="should hold the name of one model folder"):
        load_model()


def test_registry_changed_training_data_is_reported(registry, trained_models):
    _, data = trained_models
    meta = json.loads((registry / "good" / "metadata.json").read_text())
    meta["data"][0]["sha256"] = "0" * 64
    with pytest.raises(Exception, match="has changed since the model was trained"):
        held_out_split(meta)
    assert data.exists()


def test_registry_new_model_name_is_fresh(registry):
    name = new_model_name()
    assert name.startswith("model-") and not (registry / name).exists()
    (registry / name).mkdir()
    assert new_model_name() != name
