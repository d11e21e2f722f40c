"""Identity-suite metrics: the maths on a hand-computed example, AUCs against scikit-learn, the real model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from classifier.fairness import evaluate_identity_suite, format_identity_suite, summarise_identity_suite
from classifier.fairness.metrics import auc, power_mean, score_identity_suite
from classifier.fairness.suite import build_suite, load_identity_suite

LABELS = ["race_hate", "religious_hate"]
THRESHOLDS = {"race_hate": 0.5, "religious_hate": 0.25}


def _term(term, group, label):
    return {"term": term, "group": group, "adj": term, "plural": term + "s", "man": f"a {term} man",
            "woman": f"a {term} woman", "hostile_label": label}


def _template(id_, kind):
    return {"id": id_, "kind": kind, "length": "short", "context": "shops", "text": f"{id_} about {{plural}}."}


@pytest.fixture
def tiny():
    """Two terms x (one neutral, one positive, two hostile templates), with scores chosen by hand.

    Scores are multiples of 1/8 so that score - threshold is exact and ties are real ties.
    """
    suite = build_suite({
        "terms": [_term("Sikh", "religion", "religious_hate"), _term("Polish", "nationality", "race_hate")],
        "templates": [_template("N1", "neutral"), _template("P1", "positive"), _template("H1", "hostile"),
                      _template("H2", "hostile")],
        "baseline": {"adj": "local", "plural": "local people", "man": "a man", "woman": "a woman"},
    })
    proba = np.array([
        [0.125, 0.5],    # N1/Sikh: religious_hate given -> false positive; hate score 0.25
        [0.25, 0.0],     # N1/Polish: clean; -0.25
        [0.0, 0.125],    # P1/Sikh: clean; -0.125
        [0.625, 0.0],    # P1/Polish: race_hate given -> false positive; 0.125
        [0.0, 0.875],    # H1/Sikh: religious_hate given -> hit; 0.625
        [0.375, 0.0],    # H1/Polish: nothing -> miss; -0.125
        [0.75, 0.125],   # H2/Sikh: race_hate only -> a label, but not the expected one: miss; 0.25
        [0.875, 0.0],    # H2/Polish: race_hate -> hit; 0.375
    ])
    baseline = np.array([[0.0, 0.5], [0.0, 0.0]])  # N1 flagged with no term in it, P1 not
    return suite, proba, baseline


def test_fairness_metrics_rates_match_a_hand_computation(tiny):
    suite, proba, baseline = tiny
    result = score_identity_suite(suite, LABELS, proba, THRESHOLDS, baseline_proba=baseline)
    sikh, polish, overall = result["terms"]["Sikh"], result["terms"]["Polish"], result["overall"]
    assert (sikh["n_non_hostile"], sikh["false_positives"], sikh["false_positive_rate"]) == (2, 1, 0.5)
    assert (sikh["false_positive_rate_neutral"], sikh["false_positive_rate_positive"]) == (1.0, 0.0)
    assert (polish["false_positive_rate_neutral"], polish["false_positive_rate_positive"]) == (0.0, 1.0)
    assert (sikh["hostile_hits"], sikh["hostile_recall"], sikh["hostile_any_label_rate"]) == (1, 0.5, 1.0)
    assert (polish["hostile_recall"], polish["hostile_any_label_rate"]) == (0.5, 0.5)
    assert (overall["false_positive_rate"], overall["hostile_recall"]) == (0.5, 0.5)
    assert (overall["max_term_fpr_term"], overall["max_term_fpr"]) == ("Sikh", 0.5)  # a tie: suite order
    assert result["groups"]["religion"]["false_positive_rate"] == 0.5 and "ethnicity" not in result["groups"]
    assert result["labels_on_non_hostile"] == {"race_hate": 1, "religious_hate": 1}
    assert [fp["id"] for fp in result["worst_false_positives"]] == ["N1/Sikh", "P1/Polish"]
    assert result["worst_false_positives"][0] == {"id": "N1/Sikh", "labels": ["religious_hate"], "margin": 0.25}
    assert result["baseline"] == {"n": 2, "false_positives": 1, "false_positive_rate": 0.5,
                                  "templates_flagged": ["N1"]}
    assert result["by_template"]["N1"]["baseline_flagged"] and not result["by_template"]["P1"]["baseline_flagged"]
    assert result["by_template"]["H1"] == {"kind": "hostile", "length": "short", "context": "shops", "rate": 0.5,
                                           "baseline_flagged": None}
    json.dumps(result, allow_nan=False)


def test_fairness_metrics_bias_aucs_match_a_hand_computation(tiny):
    suite, proba, _ = tiny
    result = score_identity_suite(suite, LABELS, proba, THRESHOLDS)
    sikh, polish = result["terms"]["Sikh"], result["terms"]["Polish"]
    # Sikh: hostile {0.625, 0.25} vs non-hostile {0.25, -0.125}: 1 + 1 + 0.5 (tie) + 1 of 4 pairs.
    assert (sikh["subgroup_auc"], sikh["bpsn_auc"], sikh["bnsp_auc"]) == (0.875, 0.625, 1.0)
    assert (polish["subgroup_auc"], polish["bpsn_auc"], polish["bnsp_auc"]) == (0.75, 1.0, 0.625)
    assert result["overall"]["auc"] == 13 / 16
    assert result["groups"]["religion"]["bpsn_auc"] == sikh["bpsn_auc"]  # the group is one term here
    assert result["overall"]["mean_subgroup_auc"] == pytest.approx(0.8125)
    assert result["overall"]["min_bnsp_auc"] == 0.625
    assert result["overall"]["power_mean_subgroup_auc"] == pytest.approx(((0.875 ** -5 + 0.75 ** -5) / 2) ** (-1 / 5))
    assert result["worst_terms"]["bpsn_auc"][0] == {"term": "Sikh", "group": "religion", "value": 0.625}


def test_fairness_metrics_bias_aucs_agree_with_sklearn(tiny):
    suite, proba, _ = tiny
    result = score_identity_suite(suite, LABELS, proba, THRESHOLDS)
    hate = (proba - np.array([0.5, 0.25])).max(axis=1)
    hostile = np.array([s.hostile for s in suite.sentences])
    for term in ("Sikh", "Polish"):
        inside = np.array([s.term == term for s in suite.sentences])
        cases = {
            "subgroup_auc": inside,
            "bpsn_auc": (inside & ~hostile) | (~inside & hostile),
            "bnsp_auc": (inside & hostile) | (~inside & ~hostile),
        }
        for name, mask in cases.items():
            assert result["terms"][term][name] == pytest.approx(roc_auc_score(hostile[mask], hate[mask])), name


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fairness_metrics_auc_equals_roc_auc_score_with_ties(seed):
    rng = np.random.default_rng(seed)
    pos, neg = rng.integers(0, 6, size=17) / 5, rng.integers(0, 6, size=23) / 5  # many ties
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    assert auc(pos, neg) == pytest.approx(roc_auc_score(y, np.r_[pos, neg]))


def test_fairness_metrics_auc_and_power_mean_edge_cases():
    assert auc([], [0.1]) is None and auc([0.2], []) is None
    assert auc([1.0], [0.0]) == 1.0 and auc([0.0], [1.0]) == 0.0 and auc([0.5], [0.5]) == 0.5
    assert power_mean([]) is None and power_mean([0.9, 0.0]) == 0.0
    assert power_mean([0.8, 0.8, 0.8]) == pytest.approx(0.8)
    assert power_mean([0.9, 0.5]) < np.mean([0.9, 0.5])  # the worst term weighs more


def test_fairness_metrics_a_label_the_model_lacks_is_not_scored(tiny):
    suite, proba, _ = tiny
    result = score_identity_suite(suite, ["religious_hate"], proba[:, 1:], {"religious_hate": 0.25})
    assert result["labels_missing"] == ["race_hate"]
    assert result["terms"]["Polish"]["hostile_recall"] is None
    assert result["overall"]["hostile_recall"] == 0.5  # Sikh's 1 hit of 2; Polish's hostile ones not scorable
    assert "not scored" in format_identity_suite(result)


def test_fairness_metrics_hostile_recall_is_given_over_the_sentences_scored(tiny):
    """Reproduction: a model without race_hate had "hostile recall 94.0% (203 of 810)" in its model card, a recall
    worked out over the 216 sentences it could score but printed against all 810."""
    from classifier.reports.evaluation_report import _identity_probe
    from classifier.reports.model_card import identity_probe_lines, identity_suite_lines

    suite, proba, _ = tiny
    lacking = summarise_identity_suite(score_identity_suite(suite, ["religious_hate"], proba[:, 1:],
                                                            {"religious_hate": 0.25}))
    assert (lacking["overall"]["n_hostile"], lacking["overall"]["n_hostile_scored"]) == (4, 2)
    figure = "50.0% (1 of 2 scored; 2 not scored: the model has no race_hate label)"
    assert "hostile recall 50.0% (1 of 2 hostile sentences scored; 2 not scored: the model has no race_hate " \
           "label)" in format_identity_suite(lacking)
    assert f"| hostile recall (the expected label given) | {figure} |" in identity_suite_lines(lacking)
    assert f"hostile recall {figure}." in "".join(identity_probe_lines(lacking))
    assert _identity_probe(lacking)["hostile_recall"] == figure
    whole = score_identity_suite(suite, LABELS, proba, THRESHOLDS)
    assert "hostile recall 50.0% (2 of 4 hostile sentences) (" in format_identity_suite(whole)


class _KeywordModel:
    """A stand-in model: religious_hate 0.9 on any text that mentions Sikhs, nothing otherwise."""

    labels = ["race_hate", "religious_hate"]
    thresholds = {"race_hate": 0.5, "religious_hate": 0.5}

    def __init__(self):
        self.batches = 0

    def predict_proba(self, texts):
        self.batches += 1
        return np.array([[0.0, 0.9 if "sikh" in text.lower() else 0.0] for text in texts])


def test_fairness_metrics_evaluate_predicts_once_and_finds_the_keyword():
    fake = _KeywordModel()
    result = evaluate_identity_suite(fake)
    assert fake.batches == 1
    suite = load_identity_suite()
    n_non_hostile = sum(not s.hostile for s in suite.sentences)
    assert result["suite"]["n_sentences"] == len(suite) and result["suite"]["n_non_hostile"] == n_non_hostile
    assert result["terms"]["Sikh"]["false_positive_rate"] == 1.0
    assert result["terms"]["Sikh"]["hostile_recall"] == 1.0 and result["terms"]["Muslim"]["hostile_recall"] == 0.0
    assert all(m["false_positive_rate"] == 0.0 for term, m in result["terms"].items() if term != "Sikh")
    assert result["overall"]["false_positive_rate"] == pytest.approx(40 / n_non_hostile)
    assert result["overall"]["max_term_fpr_term"] == "Sikh"
    assert result["worst_terms"]["false_positive_rate"][0]["term"] == "Sikh"
    assert result["terms"]["Sikh"]["bpsn_auc"] == 0.0  # its neutral sentences outscore everyone's hostile ones
    assert result["baseline"]["false_positives"] == 0
    json.dumps(result, allow_nan=False)
    summary = summarise_identity_suite(result)
    assert summary["term_false_positive_rate"]["Sikh"] == 1.0 and "by_template" not in summary
    text = format_identity_suite(summary)
    assert "Sikh 100.0%" in text and f"{result['overall']['false_positive_rate']:.1%}" in text


@pytest.mark.slow
def test_fairness_metrics_agree_with_the_predictor_on_the_trained_model(model):
    result = evaluate_identity_suite(model)
    json.dumps(result, allow_nan=False)
    suite = load_identity_suite()
    clean = [s for s in suite.sentences if not s.hostile]
    predictions = model.predict([s.text for s in clean], explain=False)
    for term in ("Muslim", "Polish", "asylum seeker"):
        flagged = sum(bool(p.labels) for s, p in zip(clean, predictions, strict=True) if s.term == term)
        assert result["terms"][term]["false_positives"] == flagged
    assert result["overall"]["false_positives"] == sum(bool(p.labels) for p in predictions)
    for name in ("auc", "mean_subgroup_auc", "mean_bpsn_auc", "mean_bnsp_auc"):
        assert 0 <= result["overall"][name] <= 1
