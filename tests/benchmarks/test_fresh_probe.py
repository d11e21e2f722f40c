"""benchmarks/fresh_probe.py: the fresh identity probe loads over the suite's terms; the script scores models."""

from __future__ import annotations

import json
import re

import pytest

from benchmarks import fresh_probe


@pytest.mark.parametrize("path", [*fresh_probe.PROBES.values(), *fresh_probe.UNOPENED.values()],
                         ids=[*fresh_probe.PROBES, *fresh_probe.UNOPENED])
def test_fresh_probe_expands_every_template_over_the_suite_terms(path):
    probe = fresh_probe.load_fresh_probe(path)
    kinds = {template.kind for template in probe.templates}
    assert kinds == {"neutral", "positive", "hostile"} and len(probe.templates) >= 30
    assert len(probe.sentences) == len(probe.templates) * len(probe.terms) >= 30 * 40
    assert all("{" not in sentence.text for sentence in probe.sentences)
    hostile = [sentence for sentence in probe.sentences if sentence.kind == "hostile"]
    assert hostile and all(sentence.expected_label for sentence in hostile)


def test_fresh_probe_describes_a_result_per_group_and_template():
    result = {
        "overall": {"false_positive_rate": 0.02, "false_positives": 1, "n_non_hostile": 50, "hostile_recall": 0.5,
                    "hostile_hits": 5, "n_hostile": 10},
        "groups": {"religion": {"false_positive_rate": 0.04, "hostile_recall": None}},
        "by_template": {"FN01": {"kind": "neutral", "rate": 0.5}, "FN02": {"kind": "neutral", "rate": 0.0},
                        "FH01": {"kind": "hostile", "rate": 0.25}, "FH02": {"kind": "hostile", "rate": 1.0}},
    }
    lines = fresh_probe.describe("m", result)
    assert lines[0] == ("m: false positives 2.0% (1 of 50 neutral and positive sentences), hostile recall 50.0% "
                        "(5 of 10)")
    assert "religion" in lines[1] and "4.0%" in lines[1] and lines[1].endswith("n/a")
    assert lines[2].endswith("FN01 50.0%") and lines[3].endswith("FH01 25.0%")


def test_fresh_probe_describes_what_the_review_flag_adds():
    figures = {"hostile_found": 5, "hostile_caught": 8, "n_hostile": 10, "non_hostile_touched": 3,
               "n_non_hostile": 50, "caught_by_template": {"FH01": 0.75, "FH02": 1.0}}
    result = {"by_template": {"FN01": {"kind": "neutral", "rate": 0.5}, "FH01": {"kind": "hostile", "rate": 0.25},
                              "FH02": {"kind": "hostile", "rate": 1.0}}}
    lines = fresh_probe.describe_review(figures, result)
    assert lines == ["  with the review flag: hostile labelled or sent to review with their label 80.0% (8 of 10); "
                     "neutral and positive labelled or sent to review 6.0% (3 of 50)",
                     "  hostile templates missed most, labelled or sent to review: FH01 75.0%"]


def test_fresh_probe_review_figures_count_labels_and_review_labels_as_the_page_shows_them(model):
    probe = fresh_probe.load_fresh_probe()
    figures = fresh_probe.review_figures(model, probe)
    predictions = model.predict([s.text for s in probe.sentences], explain=False)
    hostile = [(s, p) for s, p in zip(probe.sentences, predictions, strict=True) if s.hostile]
    neutral = [p for s, p in zip(probe.sentences, predictions, strict=True) if not s.hostile]
    assert figures["n_hostile"] == len(hostile) and figures["n_non_hostile"] == len(neutral)
    assert figures["hostile_found"] == sum(s.expected_label in p.labels for s, p in hostile)
    assert figures["hostile_caught"] == sum(s.expected_label in p.labels + p.review_labels for s, p in hostile)
    assert figures["hostile_found"] <= figures["hostile_caught"] <= figures["n_hostile"]
    assert figures["non_hostile_touched"] == sum(bool(p.labels) or p.needs_review for p in neutral)
    assert set(figures["caught_by_template"]) == {t.id for t in probe.templates if t.kind == "hostile"}


@pytest.mark.slow
def test_fresh_probe_scores_a_saved_model(trained, tmp_path, capsys):
    probe = json.loads(fresh_probe.PROBE.read_text("utf-8"))
    probe["templates"] = [t for t in probe["templates"] if t["id"] in ("FN01", "FP01", "FH01")]
    small = tmp_path / "probe.json"
    small.write_text(json.dumps(probe), "utf-8")
    assert fresh_probe.main([str(trained.model_dir), "--probe", str(small), "--probe", str(small)]) == 0
    out = capsys.readouterr().out
    assert out.count("3 templates x 45 terms = 135 sentences") == 2  # each probe given, the model loaded once
    for group in ("religion", "ethnicity", "nationality", "migration_status"):
        assert f"  {group}" in out
    # The sums over the sets given, as the development-set rule reads them (docs/model_choices.md).
    flagged, neutral, found, hostile = map(int, re.search(
        r"\((\d+) of (\d+) neutral and positive sentences\), hostile recall \S+ \((\d+) of (\d+)\)", out).groups())
    assert "all 2 sets:" in out
    assert (f"{2 * flagged:,} of {2 * neutral:,} neutral and positive sentences wrongly flagged, "
            f"{2 * found:,} of {2 * hostile:,} hostile sentences found") in out
    caught, touched = map(int, re.search(
        r"hostile labelled or sent to review with their label \S+ \((\d+) of \d+\); "
        r"neutral and positive labelled or sent to review \S+ \((\d+) of", out).groups())
    assert caught >= found and touched >= flagged
    assert (f"with the review flag: {2 * touched:,} of {2 * neutral:,} neutral and positive sentences labelled or "
            f"sent to review, {2 * caught:,} of {2 * hostile:,} hostile sentences labelled or sent to review") in out


@pytest.mark.slow
def test_fresh_probe_with_identity_sets_scores_the_suite_and_the_held_out_probe_first(trained, tmp_path, capsys):
    probe = json.loads(fresh_probe.PROBE.read_text("utf-8"))
    probe["templates"] = probe["templates"][:3]
    small = tmp_path / "probe.json"
    small.write_text(json.dumps(probe), "utf-8")
    assert fresh_probe.main([str(trained.model_dir), "--with-identity-sets", "--probe", str(small)]) == 0
    out = capsys.readouterr().out
    headers = [line.split(" v")[0] for line in out.splitlines() if " templates x " in line]
    assert headers == ["tension-classifier identity-term suite", "tension-classifier held-out identity probe",
                       probe["name"]]
    assert "all 3 sets:" in out and f"  {trained.model_dir}: " in out
