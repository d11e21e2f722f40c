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


# -- reasons for a whole chunk at once: the same terms as one report at a time -----------------------------

#: Preprocessed texts that stress the batch computation: empty text, words that are no feature, a word
#: repeated, words sharing character n-grams, placeholders (two of which read "number"), a word that
#: repeats its own n-grams, characters no n-gram feature has, a very long word.
EDGE_PROCESSED = [
    "",
    "asylumm blorfwump asylumm",
    "hotel hotel hotel hotel",
    "hotel hotels hotelier asylum asylums assylum",
    "xxnum xxslurrace number xxnum xxphone phone xxslurrace out",
    "banana nanana anana",
    "ǂǂǂ ǂǂ",
    "a" * 300 + " asylum",
]


@pytest.fixture(scope="module")
def chunk(model):
    """Three hundred corpus reports and the edge cases, preprocessed, with their features."""
    import csv

    from tests.helpers import CORPUS

    with open(CORPUS, encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)][:300]
    steps = model.pipeline.named_steps
    processed = list(steps["preprocess"].transform(TEXTS + texts)) + EDGE_PROCESSED
    matrix = steps["features"].transform(processed)
    assigned = steps["classifier"].predict_proba(matrix) >= steps["classifier"].thresholds_
    return processed, matrix, assigned, TermExplainer(steps["features"], steps["classifier"].coef_)


def _per_report(explainer, processed, matrix, assigned, k):
    return [explainer.top_terms_for(processed[i], matrix[i], np.flatnonzero(assigned[i]).tolist(), k)
            if assigned[i].any() else {} for i in range(len(processed))]


@pytest.mark.parametrize("k", [5, 1, 0, 10_000])
@pytest.mark.parametrize("labels", ["assigned", "all"])
def test_explain_batch_reasons_equal_per_report_reasons(chunk, k, labels):
    processed, matrix, assigned, explainer = chunk
    if labels == "all":
        assigned = np.ones_like(assigned)
    assert explainer.top_terms_batch(processed, matrix, assigned, k) == \
        _per_report(explainer, processed, matrix, assigned, k)


def test_explain_batch_reasons_do_not_depend_on_block_sizes(chunk, monkeypatch):
    from classifier.model import explain

    processed, matrix, assigned, explainer = chunk
    everything = np.ones_like(assigned)
    expected = explainer.top_terms_batch(processed, matrix, everything, 5)
    monkeypatch.setattr(explain, "_BLOCK_WORDS", 40)  # many blocks, and reports longer than a block
    monkeypatch.setattr(explain, "_SCRATCH_CELLS", 3 * matrix.shape[1])  # a few rows per scratch
    assert explainer.top_terms_batch(processed, matrix, everything, 5) == expected


def test_explain_batch_reasons_cover_the_edge_cases(chunk):
    processed, matrix, assigned, explainer = chunk
    edges = slice(len(processed) - len(EDGE_PROCESSED), None)
    everything = np.ones((len(EDGE_PROCESSED), assigned.shape[1]), dtype=bool)
    top = explainer.top_terms_batch(processed[edges], matrix[edges], everything, 50)
    assert top[0] == {j: [] for j in range(assigned.shape[1])}  # nothing to explain an empty text with
    assert all(not reasons for reasons in top[6].values())  # no feature at all
    assert any("asylumm" in reasons for reasons in top[1].values())  # char evidence of unknown words
    placeholders = [reason for reasons in top[4].values() for reason in reasons]
    assert "racial slur" in placeholders
    assert not any(reason.startswith("xx") for reason in placeholders)


def test_explain_batch_gives_no_reasons_to_rows_without_labels(chunk):
    processed, matrix, assigned, explainer = chunk
    none = np.zeros_like(assigned)
    assert explainer.top_terms_batch(processed, matrix, none, 5) == [{} for _ in processed]
    assert explainer.top_terms_batch([], matrix[:0], none[:0], 5) == []


def test_explain_predictions_carry_the_per_report_reasons(chunk, model):
    processed, matrix, assigned, explainer = chunk
    predictions = model.predict(TEXTS, top_k=3)
    expected = _per_report(explainer, processed[: len(TEXTS)], matrix[: len(TEXTS)], assigned[: len(TEXTS)], 3)
    for prediction, top in zip(predictions, expected, strict=True):
        assert prediction.reasons == {model.labels[j]: reasons for j, reasons in top.items()}
