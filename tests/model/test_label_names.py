"""Label names as people read them, and the plain sentence saying why a report needs review."""

import pytest

from classifier.model.label_names import display_name, likely_typo, review_reason


@pytest.mark.parametrize(("label", "name"), [
    ("race_hate", "Race hate"), ("religious_hate", "Religious hate"), ("immigration", "Immigration"),
    ("israel_palestine", "Israel/Palestine"), ("misinformation", "Misinformation"),
    ("foo_bar", "Foo bar"), ("anti-social_behaviour", "Anti social behaviour"), ("x", "X"), ("_", "_"),
])
def test_label_names_display_name(label, name):
    assert display_name(label) == name


def test_label_names_review_reason_names_each_label_with_score_threshold_and_side():
    scores = {"israel_palestine": 0.41, "religious_hate": 1.0, "immigration": 0.6}
    thresholds = {"israel_palestine": 0.54, "religious_hate": 0.5, "immigration": 0.55}
    assert review_reason(["israel_palestine", "immigration"], scores, thresholds) == (
        "Israel/Palestine is 0.41, close to its threshold 0.54 (not given); "
        "Immigration is 0.60, close to its threshold 0.55 (given).")
    assert review_reason([], scores, thresholds) == ""
    assert review_reason(["immigration"], {"immigration": float("nan")}, thresholds) == ""


@pytest.mark.parametrize(("label", "others", "expected"), [
    ("immigraton", ["immigration", "race_hate"], "immigration"),
    ("race_hat", ["race_hate", "religious_hate"], "race_hate"),
    ("housing", ["immigration", "race_hate"], None),
    ("race_hate", ["race_hate"], None),  # a label is not a typo of itself
])
def test_label_names_likely_typo(label, others, expected):
    assert likely_typo(label, others) == expected
