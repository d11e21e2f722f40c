import numpy as np
import pytest

from classifier.model.explain import TermExplainer
from classifier.model.reasons import ReportWords

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


def _texts(reasons):
    return [reason.text for reason in reasons]


def _report(model, text):
    processed, spans = model.pipeline.named_steps["preprocess"].transform_with_spans([text])
    return ReportWords(text, processed[0], spans[0])


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


def test_explain_top_terms_are_positive_and_from_the_report(parts, model):
    processed, matrix, clf, explainer = parts
    j = list(clf.classes_).index("religious_hate")
    top = explainer.top_terms(_report(model, TEXTS[2]), matrix[2], j, k=3)
    assert 1 <= len(top) <= 3
    for reason in top:
        assert reason.text in TEXTS[2]
        first_word = reason.text.lower().split()[0]
        assert all(TEXTS[2][start:end].lower().startswith(first_word) for start, end in reason.spans)
    assert {"synagogue", "Swastika"} & set(_texts(top))


def test_explain_reasons_show_slur_placeholders_by_family_name(parts, model):
    processed, matrix, clf, explainer = parts
    assert "xxslurrace" in processed[1].split()
    j = list(clf.classes_).index("race_hate")
    top = explainer.top_terms(_report(model, TEXTS[1]), matrix[1], j, k=5)
    assert "racial slur" in _texts(top)
    assert not any("xx" in reason.text or "p*kis" in reason.text for reason in top)
    [slur] = [reason for reason in top if reason.text == "racial slur"]
    assert [TEXTS[1][start:end] for start, end in slur.spans] == ["p*kis"]  # highlighted as written
    # The small model's race-hate score for TEXTS[1] sits near its threshold; a plainer report gets the label.
    [prediction] = model.predict(["'p*kis go home' sprayed on the Asian family's door, racist graffiti"])
    assert "racial slur" in prediction.reasons["race_hate"]


def test_explain_two_terms_that_read_the_same_give_one_reason():
    words = ReportWords.from_processed("racial slur xxslurrace hotel")
    ranked = ["racial slur", "xxslurrace", "hotel", "racial"]
    assert _texts(TermExplainer._first_reasons(words, ranked, 5)) == ["racial slur", "hotel", "racial"]
    assert _texts(TermExplainer._first_reasons(words, ranked, 2)) == ["racial slur", "hotel"]


def test_explain_skips_terms_without_a_content_word_and_still_gives_k_reasons(parts):
    """A stop word, a number or a pair of them is never a reason: the next terms take their places."""
    processed, matrix, clf, explainer = parts
    text = processed[0] + " that the xxnum a xxnum"
    words = ReportWords.from_processed(text)
    for j in range(len(clf.classes_)):
        terms, values = explainer.contribution_matrix(text, matrix[0], [j])
        ranked = [terms[t] for t in np.argsort(-values[0], kind="stable") if values[0][t] > 0]
        content = [term for term in ranked if words.reason(term) is not None]
        assert _texts(explainer.top_terms(words, matrix[0], j, k=3)) == content[:3]
        assert len(content) < len(ranked)  # some terms were skipped: "the", "a", "xxnum" ...


# -- reasons for a whole chunk at once: the same terms as one report at a time -----------------------------

#: Preprocessed texts that stress the batch computation: empty text, words that are no feature, a word
#: repeated, words sharing character n-grams, placeholders (and the words their names are made of), a word that
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
    written, spans = steps["preprocess"].transform_with_spans(TEXTS + texts)
    reports = [ReportWords(*report) for report in zip(TEXTS + texts, written, spans, strict=True)]
    reports += [ReportWords.from_processed(processed) for processed in EDGE_PROCESSED]
    matrix = steps["features"].transform([report.processed for report in reports])
    assigned = steps["classifier"].predict_proba(matrix) >= steps["classifier"].thresholds_
    return reports, matrix, assigned, TermExplainer(steps["features"], steps["classifier"].coef_)


def _per_report(explainer, reports, matrix, assigned, k):
    return [explainer.top_terms_for(reports[i], matrix[i], np.flatnonzero(assigned[i]).tolist(), k)
            if assigned[i].any() else {} for i in range(len(reports))]


@pytest.mark.parametrize("k", [5, 1, 0, 10_000])
@pytest.mark.parametrize("labels", ["assigned", "all"])
def test_explain_batch_reasons_equal_per_report_reasons(chunk, k, labels):
    reports, matrix, assigned, explainer = chunk
    if labels == "all":
        assigned = np.ones_like(assigned)
    assert explainer.top_terms_batch(reports, matrix, assigned, k) == \
        _per_report(explainer, reports, matrix, assigned, k)


def test_explain_batch_reasons_do_not_depend_on_block_sizes(chunk, monkeypatch):
    from classifier.model import explain

    reports, matrix, assigned, explainer = chunk
    everything = np.ones_like(assigned)
    expected = explainer.top_terms_batch(reports, matrix, everything, 5)
    monkeypatch.setattr(explain, "_BLOCK_WORDS", 40)  # many blocks, and reports longer than a block
    monkeypatch.setattr(explain, "_SCRATCH_CELLS", 3 * matrix.shape[1])  # a few rows per scratch
    assert explainer.top_terms_batch(reports, matrix, everything, 5) == expected


def test_explain_batch_reasons_cover_the_edge_cases(chunk):
    reports, matrix, assigned, explainer = chunk
    edges = slice(len(reports) - len(EDGE_PROCESSED), None)
    everything = np.ones((len(EDGE_PROCESSED), assigned.shape[1]), dtype=bool)
    top = explainer.top_terms_batch(reports[edges], matrix[edges], everything, 50)
    assert top[0] == {j: [] for j in range(assigned.shape[1])}  # nothing to explain an empty text with
    assert all(not reasons for reasons in top[6].values())  # no feature at all
    assert any("asylumm" in _texts(reasons) for reasons in top[1].values())  # char evidence of unknown words
    placeholders = [reason.text for reasons in top[4].values() for reason in reasons]
    assert "racial slur" in placeholders
    assert not any("xxslur" in reason or "xxphone" in reason for reason in placeholders)
    assert "xxnum" not in placeholders  # a number alone is no reason


def test_explain_batch_gives_no_reasons_to_rows_without_labels(chunk):
    reports, matrix, assigned, explainer = chunk
    none = np.zeros_like(assigned)
    assert explainer.top_terms_batch(reports, matrix, none, 5) == [{} for _ in reports]
    assert explainer.top_terms_batch([], matrix[:0], none[:0], 5) == []


def test_explain_predictions_carry_the_per_report_reasons(chunk, model):
    reports, matrix, assigned, explainer = chunk
    predictions = model.predict(TEXTS, top_k=3)
    # The labels the model gave (the second stage rescores the hate labels) and those under review that it did not
    # give, explained as the explainer does.
    explained = np.array([[label in p.labels or label in p.review_labels for label in model.labels]
                          for p in predictions])
    expected = _per_report(explainer, reports[: len(TEXTS)], matrix[: len(TEXTS)], explained, 3)
    for prediction, top in zip(predictions, expected, strict=True):
        assert prediction.reasons == {model.labels[j]: _texts(reasons) for j, reasons in top.items()}
        assert prediction.reason_spans == {
            model.labels[j]: sorted({span for reason in reasons for span in reason.spans})
            for j, reasons in top.items()}
