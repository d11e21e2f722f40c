"""classifier/fairness/conflict.py: neutral sentences naming an Israeli or a Palestinian, per model."""

from __future__ import annotations

from types import SimpleNamespace

from classifier.fairness.conflict import (
    conflict_nationality_sentences,
    evaluate_conflict_nationalities,
    format_conflict_nationalities,
)
from classifier.fairness.suite import load_identity_probe, load_identity_suite


class _KeywordModel:
    """Labels a text about a bakery; sends one about a bus to review."""

    def predict(self, texts, explain=True):
        assert explain is False
        return [SimpleNamespace(labels=("israel_palestine",) if "bakery" in t else (), needs_review="bus" in t)
                for t in texts]


def test_conflict_nationality_sentences_are_the_neutral_and_positive_templates_of_both_sets():
    rendered = conflict_nationality_sentences()
    non_hostile = [t for suite in (load_identity_suite(), load_identity_probe()) for t in suite.templates
                   if t.kind != "hostile"]
    assert list(rendered) == ["Israeli", "Palestinian"]
    for term, texts in rendered.items():
        assert len(texts) == len(non_hostile) and all(term in text and "{" not in text for text in texts)


def test_conflict_nationalities_count_labels_and_review_per_name():
    result = evaluate_conflict_nationalities(_KeywordModel())
    texts = conflict_nationality_sentences()["Israeli"]
    bakery = sum("bakery" in t for t in texts)
    assert bakery >= 1
    figures = result["Israeli"]
    assert figures["n"] == len(texts) and figures["labelled"] == bakery and figures["rate"] == bakery / len(texts)
    assert figures["labels"] == {"israel_palestine": bakery}
    assert figures["review"] == sum("bus" in t and "bakery" not in t for t in texts)
    palestinian = conflict_nationality_sentences()["Palestinian"]
    assert result["Palestinian"]["labelled"] == sum("bakery" in t for t in palestinian)
    line = format_conflict_nationalities(result)
    assert f"Israeli labelled {bakery} of {len(texts)}" in line and "israel_palestine" in line


def test_conflict_nationalities_agree_with_the_benchmark(model):
    from benchmarks.conflict_nationalities import measure, sentences

    result = evaluate_conflict_nationalities(model)
    bench = measure(model, sentences())
    for term in ("Israeli", "Palestinian"):
        assert (result[term]["n"], result[term]["labelled"], result[term]["review"]) == bench[term]
