import numpy as np
import pytest

from classifier.explain import TermExplainer

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
    assert all(set(term.split()) <= words for term in top)
    assert "synagogue" in top or "swastika" in top
