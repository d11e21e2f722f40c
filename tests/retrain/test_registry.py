"""The model registry: listing, promotion that refuses a worse model, rollback, and the default pointer."""

from __future__ import annotations

import csv
import json
import random
import re
import shutil

import pytest

from classifier import load_model
from classifier.errors import ConfigError, DataError, ModelError
from classifier.model.persistence import DEFAULT_POINTER_FILE, models_dir, resolve_model_dir
from classifier.retrain.registry import (
    HISTORY_FILE,
    PREVIOUS_POINTER_FILE,
    current_default,
    format_models,
    held_out_split,
    history,
    list_models,
    new_model_name,
    promote,
    rollback,
)
from tests.helpers import FIRST_ROWS_FILE, copy_model, identity_suite_result, write_csv


@pytest.fixture(scope="module")
def trained_models(tmp_path_factory, first_rows_trained):
    """A registry folder: 'good' (the first 300 reports, shared with other tests), 'worse' (training labels
    shuffled), 'random_split'."""
    from classifier.training.train import train

    folder = tmp_path_factory.mktemp("registry_src")
    good = first_rows_trained.model_dir.parent / FIRST_ROWS_FILE
    with open(good, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # 'worse' learns from shuffled training labels; its test rows keep their true labels.
    train_rows = [i for i, row in enumerate(rows) if row["split"] == "train"]
    shuffled = [rows[i]["labels"] for i in train_rows]
    random.Random(0).shuffle(shuffled)
    noisy = [dict(row) for row in rows]
    for i, labels in zip(train_rows, shuffled, strict=True):
        noisy[i]["labels"] = labels
    worse = write_csv(folder / "worse.csv", noisy)
    models = folder / "models"
    shutil.copytree(first_rows_trained.model_dir, models / "good")
    train(worse, models / "worse", seed=0)
    train(good, models / "random_split", seed=1, test_size=0.25)
    return models, good


@pytest.fixture
def registry(trained_models, tmp_path, monkeypatch, fake_identity_suite):
    """A fresh copy of the registry in tmp_path, used as $TENSION_MODELS_DIR; every model passes the fairness
    gate unless a test gives it other identity-suite figures, and a comparison needs only 20 unseen reports (3 per
    label), as these models are tested on 64."""
    import classifier.evaluation.compare as compare

    source, _ = trained_models
    models = tmp_path / "models"
    shutil.copytree(source, models)
    monkeypatch.setenv("TENSION_MODELS_DIR", str(models))
    monkeypatch.setattr(compare, "MIN_ROWS", 20)
    monkeypatch.setattr(compare, "MIN_PER_LABEL", 3)
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
    assert not (registry / PREVIOUS_POINTER_FILE).exists()  # nothing older than 'good' to go back to
    log = [json.loads(line) for line in (registry / HISTORY_FILE).read_text().splitlines()]
    assert [(e["action"], e["default"], e["forced"]) for e in log] == [
        ("promote", "good", False), ("promote", "worse", True), ("rollback", "good", False)
    ]
    assert {e.name: (e.is_default, e.is_previous) for e in list_models()} == {
        "good": (True, False), "worse": (False, False), "random_split": (False, False)
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


def _copy_model(registry, source, name):
    """A copy of a registry model under a new name (metadata included, so a fake can tell them apart)."""
    copy_model(registry / source, registry / name)


def test_registry_fairness_gate_refuses_a_model_over_the_limits_unless_forced_with_a_reason(
        registry, fake_identity_suite):
    fake_identity_suite({"good": identity_suite_result({"Somali": 0.1}, default=0.05)})
    with pytest.raises(ModelError) as refused:
        promote("good")
    message = str(refused.value)
    assert message.startswith("Not promoted: 'good' fails the identity-term fairness gate: it labels 5.1% of the "
                              "suite's 1800 neutral and positive sentences (92 false positives), above the limit "
                              "of 3.0%; 1 identity term(s) have a false-positive rate above the per-term limit of "
                              "5.0%: Somali 10.0%.")
    assert "--max-fpr" in message and '--force --reason "why"' in message and HISTORY_FILE in message
    assert current_default() is None
    with pytest.raises(ModelError, match="--force alone does not override this gate"):
        promote("good", force=True)
    with pytest.raises(ModelError, match="--force alone"):
        promote("good", force=True, reason="   ")
    assert current_default() is None and not history()

    done = promote("good", force=True, reason="Pilot for one team; retraining with more hard negatives booked.")
    assert current_default() == "good" and done.forced and len(done.fairness_overridden) == 2
    (record,) = history()
    assert record["forced"] and record["reason"] == done.reason
    assert record["fairness_overridden"] == done.fairness_overridden
    assert record["identity_suite"]["candidate"]["max_term_fpr_term"] == "Somali"
    assert record["identity_suite"]["candidate"]["false_positive_rate"] == pytest.approx(92 / 1800)
    assert record["identity_suite"]["limits"] == {"max_fpr": 0.03, "max_term_fpr": 0.05, "fpr_tolerance": 0.005}


def test_registry_fairness_gate_limits_are_options(registry, fake_identity_suite):
    fake_identity_suite({"good": identity_suite_result({"Somali": 0.1}, default=0.05)})
    done = promote("good", max_fpr=0.06, max_term_fpr=0.1, reason="limits agreed with the board")
    assert not done.forced and not done.fairness_overridden
    assert history()[-1]["identity_suite"]["limits"]["max_fpr"] == 0.06
    assert history()[-1]["reason"] == "limits agreed with the board"
    with pytest.raises(ConfigError, match="'max_term_fpr' must be a fraction between 0 and 1"):
        promote("worse", max_term_fpr=5)


def test_registry_fairness_gate_refuses_more_false_alarms_than_the_default(registry, fake_identity_suite):
    _copy_model(registry, "good", "candidate")  # same F1 as the default, so only the gate can refuse it
    fake_identity_suite({"good": identity_suite_result(default=0.0),
                         "candidate": identity_suite_result(default=0.025)})
    promote("good")
    with pytest.raises(ModelError, match=r"its false-positive rate on the suite, 2\.5%, is higher than the default "
                                         r"'good''s 0\.0% by 2\.5 points \(allowed: 0\.5\)"):
        promote("candidate")
    done = promote("candidate", fpr_tolerance=0.03)
    assert done.identity_suite["previous"]["false_positive_rate"] == 0.0
    assert done.identity_suite["candidate"]["false_positive_rate"] == pytest.approx(0.025)


def test_registry_fairness_gate_records_the_real_figures(registry, fake_identity_suite):
    fake_identity_suite(None)
    from classifier.fairness import evaluate_identity_suite  # the real one, now restored

    promote("good", max_fpr=1.0, max_term_fpr=1.0)
    real = evaluate_identity_suite(load_model(registry / "good"))["overall"]
    recorded = history()[-1]["identity_suite"]["candidate"]
    assert recorded["false_positive_rate"] == real["false_positive_rate"]
    assert (recorded["max_term_fpr_term"], recorded["max_term_fpr"]) == (real["max_term_fpr_term"],
                                                                          real["max_term_fpr"])


def test_registry_fairness_gate_holds_israelis_and_palestinians_to_the_per_term_limit(
        registry, fake_identity_suite, monkeypatch):
    """Outside the suite, the neutral sentences naming them: a model that reads the name alone as the conflict
    (as the default did: 72.5% of them labelled) is refused like a term over the limit."""
    import classifier.fairness.conflict as conflict

    figures = {"Israeli": {"n": 69, "labelled": 50, "rate": 50 / 69, "review": 0, "labels": {"israel_palestine": 50}},
               "Palestinian": {"n": 69, "labelled": 0, "rate": 0.0, "review": 0, "labels": {}}}
    monkeypatch.setattr(conflict, "evaluate_conflict_nationalities", lambda model: figures)
    refused = (r"fails the identity-term fairness gate: it labels 72\.5% of the 69 neutral and positive sentences "
               r"naming an Israeli .*above the per-term limit of 5\.0%")
    with pytest.raises(ModelError, match=refused):
        promote("good")
    done = promote("good", max_term_fpr=0.8)
    assert done.identity_suite["conflict_nationalities"]["Israeli"] == {"n": 69, "labelled": 50, "rate": 50 / 69}
    assert history()[-1]["identity_suite"]["conflict_nationalities"]["Palestinian"]["labelled"] == 0


# -- hardening: history, names, links, verification -----------------------------------------------------

def _forge(folder, obj=None, **metadata) -> None:
    """Rewrite a model folder as someone who can write both its files would: `obj` as its model file (with its
    SHA-256 recorded), and `metadata` merged into metadata.json."""
    from classifier.io.records import file_sha256
    from classifier.model.persistence import MODEL_FILE, write_model_file

    meta = json.loads((folder / "metadata.json").read_text("utf-8"))
    if obj is not None:
        write_model_file(obj, folder / MODEL_FILE)
        meta["model_sha256"] = file_sha256(folder / MODEL_FILE)
    meta.update(metadata)
    (folder / "metadata.json").write_text(json.dumps(meta), "utf-8")


def test_registry_rollback_goes_back_through_the_history_not_back_and_forth(registry):
    promote("good")
    promote("random_split", force=True)
    promote("worse", force=True)
    assert (registry / PREVIOUS_POINTER_FILE).read_text().split() == ["good", "random_split"]
    first = rollback()
    assert (first.name, first.previous) == ("random_split", "worse") and current_default() == "random_split"
    second = rollback()  # before: flipped back to 'worse'
    assert (second.name, second.previous) == ("good", "random_split") and current_default() == "good"
    with pytest.raises(ModelError, match="no previous default left to roll back to"):
        rollback()
    assert current_default() == "good"
    assert [e["action"] for e in history()] == ["promote"] * 3 + ["rollback"] * 2


def test_registry_rollback_refuses_a_pointer_outside_the_models_folder(registry, tmp_path):
    promote("good")
    outside = tmp_path / "outside" / "m2"
    shutil.copytree(registry / "worse", outside)
    (registry / PREVIOUS_POINTER_FILE).write_text("../outside/m2\n")
    with pytest.raises(ModelError, match=r"found '\.\./outside/m2', which is not a plain folder name.*not followed"):
        rollback()
    assert (registry / DEFAULT_POINTER_FILE).read_text().strip() == "good"
    (registry / DEFAULT_POINTER_FILE).write_text("../outside/m2\n")
    with pytest.raises(ModelError):
        current_default()


def test_registry_refuses_a_symlinked_model_folder(registry):
    (registry / "linked").symlink_to(registry / "good", target_is_directory=True)
    with pytest.raises(ModelError, match="is a symbolic link"):
        promote("linked")
    assert current_default() is None
    entries = {e.name: e for e in list_models()}
    assert not entries["linked"].verified and entries["linked"].macro_f1 is None
    promote("good")
    promote("worse", force=True)
    (registry / PREVIOUS_POINTER_FILE).write_text("linked\n")
    with pytest.raises(ModelError, match="is a symbolic link"):
        rollback()
    assert current_default() == "worse"


def test_registry_promote_refuses_an_artefact_that_is_not_a_model(registry):
    shutil.copytree(registry / "good", registry / "fake")
    _forge(registry / "fake", {"labels": ["immigration"], "note": "not a model"})
    with pytest.raises(ModelError, match="not a scikit-learn Pipeline"):
        promote("fake", force=True)
    assert current_default() is None and not history()


def test_registry_models_shows_scores_only_for_models_that_verify(registry):
    good_f1 = {e.name: e for e in list_models()}["good"].macro_f1
    for name in ("forged", "tampered"):
        shutil.copytree(registry / "good", registry / name)
    _forge(registry / "forged", {"not": "a model"}, metrics={"macro": {"f1": 0.999}})
    _forge(registry / "tampered", metrics={"macro": {"f1": 0.998}}, model_sha256="0" * 64)
    entries = {e.name: e for e in list_models()}
    assert entries["good"].verified and entries["good"].macro_f1 == good_f1
    for name in ("forged", "tampered"):
        assert not entries[name].verified and entries[name].macro_f1 is None
    table = format_models(list_models())
    assert "0.999" not in table and "0.998" not in table and f"{good_f1:.3f}" in table
    assert re.search(r"forged +unverified \(no scores shown\): .*not a scikit-learn Pipeline", table)
    assert "does not match the SHA-256" in table


def test_registry_new_model_names_do_not_collide_within_a_second(registry):
    names = set()
    for _ in range(200):  # each training creates its folder before the next one asks for a name
        name = new_model_name()
        (models_dir() / name).mkdir(parents=True)
        names.add(name)
    assert len(names) == 200
    assert all(re.fullmatch(r"model-\d{8}-\d{6}-[0-9a-f]{4}", name) for name in names)


# -- honest comparisons: only reports neither model trained on ---------------------------------------------------

def test_registry_promote_compares_only_on_rows_neither_model_trained_on(registry, trained_models):
    _, data = trained_models
    promote("good")
    with pytest.raises(ModelError, match=r"on the 64 reports of '.*good.csv' that neither model trained on, below "
                                         r"the default 'good'"):
        promote("worse", data=data)  # 300 rows, of which both trained on the same 236
    with pytest.raises(ModelError) as refused:  # random_split trained on 3/4 of good's test rows
        promote("random_split")
    message = str(refused.value)
    good_train = load_model(registry / "good").training_rows.trained_on
    candidate = load_model(registry / "random_split").training_rows
    unseen = sum(h not in good_train for h in candidate.test_hashes)
    assert unseen < 20
    assert message.startswith(f"Not promoted: 'random_split' cannot be compared with the default 'good' on the test "
                              f"split of good.csv. Only {unseen} of the 75 reports of the data are ones neither model "
                              f"trained on (good trained on {75 - unseen} of them, random_split on 0); at least 20 "
                              "are needed")
    assert "--min-rows" in message and "--force" in message and current_default() == "good"

    done = promote("random_split", force=True)
    assert done.comparison is None and done.not_compared.startswith(f"Only {unseen} of the 75")
    assert history()[-1]["not_compared"] == done.not_compared
    back = rollback()
    # Forced only past the quality check (18 reports cannot tell two small models apart): the comparison is made.
    done = promote("random_split", force=True, min_rows=unseen, min_per_label=0)
    assert done.comparison["rows"] == {"in_data": 75, "trained_on_a": 75 - unseen, "trained_on_b": 0,
                                       "trained_on_either": 75 - unseen, "unseen": unseen}
    assert history()[-1]["compared_on"] == done.comparison["rows"] and back.name == "good"


def test_registry_rebuilds_the_training_rows_of_a_model_saved_before_they_were_recorded(registry):
    from classifier.model.persistence import ROWS_FILE
    from classifier.retrain.registry import training_hashes

    for name in ("good", "random_split"):  # a split column, and a random split of every row
        meta = json.loads((registry / name / "metadata.json").read_text())
        recorded = load_model(registry / name).training_rows
        assert training_hashes(registry / name, meta) == recorded.trained_on
        assert len(held_out_split(meta, rows=recorded)) == meta["rows"]["test"]
    shutil.copytree(registry / "good", registry / "legacy")
    meta = json.loads((registry / "legacy" / "metadata.json").read_text())
    del meta["rows_sha256"]
    (registry / "legacy" / "metadata.json").write_text(json.dumps(meta))
    (registry / "legacy" / ROWS_FILE).unlink()
    promote("legacy")
    done = promote("worse", force=True)  # the default's training rows come from its recorded files and split
    assert done.comparison["rows"]["unseen"] == 64 and done.comparison["rows"]["trained_on_a"] == 0
    meta["data"][0]["sha256"] = "0" * 64
    with pytest.raises(DataError, match="Cannot tell which reports 'legacy' was trained on.*has changed.*Retrain"):
        training_hashes(registry / "legacy", meta)


def test_registry_models_shows_which_rows_each_figure_comes_from(registry):
    from classifier.model.persistence import ROWS_FILE

    shutil.copytree(registry / "good", registry / "legacy")
    meta = json.loads((registry / "legacy" / "metadata.json").read_text())
    del meta["rows_sha256"]
    (registry / "legacy" / "metadata.json").write_text(json.dumps(meta))
    (registry / "legacy" / ROWS_FILE).unlink()
    entries = {e.name: e for e in list_models()}
    assert entries["good"].evaluation_digest == entries["worse"].evaluation_digest  # the same 64 test rows
    assert entries["random_split"].evaluation_digest not in (None, entries["good"].evaluation_digest)
    assert entries["legacy"].evaluation_digest is None and entries["legacy"].evaluation_rows == 64
    table = format_models(list_models())
    tag = {name: re.search(rf"^. {name} .*  (\[[a-z?]\]) +(\d+) ", table, re.M).groups() for name in entries}
    assert tag["good"] == tag["worse"] and tag["good"][1] == "64"
    assert tag["random_split"] == (tag["random_split"][0], "75") and tag["random_split"][0] != tag["good"][0]
    assert tag["legacy"] == ("[?]", "64")
    assert "come from different reports, so they are not comparable" in table and "tension compare" in table

    shutil.rmtree(registry / "random_split")
    shutil.rmtree(registry / "legacy")
    assert "Every macro-F1 shown is on the same test rows." in format_models(list_models())


def test_registry_rollback_names_the_model_it_will_restore_and_when_none_is_left(registry):
    assert "--rollback" not in format_models(list_models()).splitlines()[-1]
    assert promote("good").next_rollback is None
    assert format_models(list_models()).endswith("tension promote --rollback: nothing to roll back to.")
    promote("random_split", force=True)
    assert promote("worse", force=True).next_rollback == "random_split"
    assert format_models(list_models()).endswith(
        "tension promote --rollback would restore 'random_split' (then 'good').")
    assert rollback().next_rollback == "good"
    assert format_models(list_models()).endswith("tension promote --rollback would restore 'good'.")
    last = rollback()
    assert (last.name, last.next_rollback) == ("good", None)
    with pytest.raises(ModelError, match="no previous default left to roll back to"):
        rollback()


def test_registry_promote_refuses_a_new_label_its_own_test_split_does_not_vouch_for(registry, monkeypatch):
    """A team's own label that the candidate adds must have examples in its test split and some F1 there."""
    import classifier.evaluation.compare as compare

    real = compare.compare_models

    def with_a_new_label(*args, **kwargs):
        return {**real(*args, **kwargs), "labels_only_in_b": ["antisocial_behaviour"]}

    monkeypatch.setattr(compare, "compare_models", with_a_new_label)
    promote("worse")
    metadata = json.loads((registry / "good" / "metadata.json").read_text())
    metadata["metrics"]["labels"]["antisocial_behaviour"] = {"f1": 0.0, "support": 6}
    _forge(registry / "good", **{"metrics": metadata["metrics"]})
    with pytest.raises(ModelError, match=r"adds label\(s\) that the default 'worse' lacks .*antisocial_behaviour "
                                         r"\(F1 0.000 on 6 test reports; at least 3 and an F1 above 0 needed\)"):
        promote("good")
    assert current_default() == "worse"
    metadata["metrics"]["labels"]["antisocial_behaviour"] = {"f1": 0.4, "support": 6}
    _forge(registry / "good", **{"metrics": metadata["metrics"]})
    assert promote("good").name == "good"
