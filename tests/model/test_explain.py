import numpy as np
import pytest

from classifier.model.explain import TermExplainer, display_term, term_readings

TEXTS = [
    "Leaflets saying asylum seekers at the hotel get free houses, spread on whatsapp",
    "p*kis go home sprayed on the shop shutter, assylum scum",
    "Swastika on the synagogue gate again and again",
    "x",
]


@pytest.fixture(scope="module")
def parts(model):
    steps = model.pipeline.named_steps
    processed = steps["preprocess"].transform(TEXTS)
    matrix = steps["features"].transform(processed)
    clf = steps["classifier"]
    return processed, matrix, clf, TermExplainer(steps["features"], clf.coef_)


def test_explain_contributions_sum_to_the_decision_value(parts):
    processed, matrix, clf, explainer = parts
    decision = clf.decision_function(matrix)
    for i in range(len(TEXTS)):
        for j in range(len(clf.classes_)):
            total = sum(explainer.contributions(processed[i], matrix[i], j).values())
            assert total + clf.intercept_[j] == pytest.approx(decision[i, j], abs=1e-6)


def test_explain_batch_of_labels_equals_one_at_a_time(parts):
    processed, matrix, clf, explainer = parts
    together = explainer.contributions_for(processed[1], matrix[1], list(range(len(clf.classes_))))
    for j in range(len(clf.classes_)):
        single = explainer.contributions(processed[1], matrix[1], j)
        assert together[j].keys() == single.keys()
        assert np.allclose([together[j][t] for t in single], list(single.values()))


def test_explain_top_terms_are_positive_and_from_the_report(parts):
    processed, matrix, clf, explainer = parts
    j = list(clf.classes_).index("religious_hate")
    top = explainer.top_terms(processed[2], matrix[2], j, k=3)
    assert 1 <= len(top) <= 3
    words = set(processed[2].split())
    assert all(any(set(reading) <= words for reading in term_readings(term)) for term in top)
    assert "synagogue" in top or "swastika" in top


@pytest.mark.parametrize(("term", "shown"), [
    ("xxslurrace", "racial slur"),
    ("xxslurreligion", "religious slur"),
    ("xxslurmigrant", "anti-migrant slur"),
    ("xxslurrace out", "racial slur out"),
    ("go home xxslurmigrant", "go home anti-migrant slur"),
    ("xxslurcaste", "caste slur"),  # a team's own family
    ("xxnum", "number"),
    ("xxnum pm", "number pm"),
    ("xxurl", "link"),
    ("xxemail", "e-mail address"),
    ("xxphone", "phone number"),
    ("xxpostcode", "postcode"),
    ("hotel", "hotel"),
    ("xxslur", "xxslur"),
])
def test_explain_reasons_name_every_placeholder(term, shown):
    assert display_term(term) == shown
    assert tuple(term.split()) in term_readings(shown)


def test_explain_readings_include_the_words_themselves():
    assert sorted(term_readings("phone number")) == [("phone", "number"), ("phone", "xxnum"), ("xxphone",)]
    assert term_readings("hotel") == [("hotel",)]


def test_explain_reasons_show_slur_placeholders_by_family_name(parts, model):
    processed, matrix, clf, explainer = parts
    assert "xxslurrace" in processed[1].split()
    j = list(clf.classes_).index("race_hate")
    top = explainer.top_terms(processed[1], matrix[1], j, k=5)
    assert "racial slur" in top
    assert not any("xx" in term for term in top)
    [prediction] = model.predict([TEXTS[1]])
    assert "racial slur" in prediction.reasons["race_hate"]


def test_explain_two_terms_that_read_the_same_give_one_reason(parts):
    processed, matrix, clf, explainer = parts
    for j in range(len(clf.classes_)):
        top = explainer.top_terms(processed[0] + " number xxnum", matrix[0], j, k=50)
        assert len(top) == len(set(top))
