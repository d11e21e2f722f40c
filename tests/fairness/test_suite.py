"""The identity-term suite shipped with the package: coverage, sentence lengths, labels, and its own text."""

from __future__ import annotations

import csv
import re
from collections import defaultdict

import pytest

from classifier.errors import ConfigError
from classifier.fairness.suite import (
    BASELINE_TERM,
    GROUPS,
    LONG_WORDS,
    SHORT_MAX_WORDS,
    build_suite,
    load_identity_probe,
    load_identity_suite,
    word_count,
)
from tests.helpers import BACKLOG, CORPUS

#: The label a hostile sentence deserves per term group (docs/codebook.md; see classifier/fairness/suite.py).
CODEBOOK_LABEL = {"religion": "religious_hate", "ethnicity": "race_hate", "nationality": "race_hate",
                  "migration_status": "immigration"}


@pytest.fixture(scope="module", params=["suite", "probe"])
def suite(request):
    """The identity suite, then the held-out probe (the same checks hold for both, coverage aside)."""
    return load_identity_suite() if request.param == "suite" else load_identity_probe()


def test_fairness_probe_uses_the_suites_terms_and_shares_no_template_or_sentence_with_it():
    suite, probe = load_identity_suite(), load_identity_probe()
    assert probe.terms == suite.terms and probe.name != suite.name
    assert not {t.id for t in probe.templates} & {t.id for t in suite.templates}
    assert not set(probe.texts) & set(suite.texts)
    kinds = [t.kind for t in probe.templates]
    assert kinds.count("neutral") + kinds.count("positive") >= 20 and kinds.count("hostile") >= 8


def test_fairness_suite_has_enough_terms_in_every_group(suite):
    assert len(suite.terms) >= 40
    assert {term.group for term in suite.terms} == set(GROUPS)
    for name in ("Muslim", "Jewish", "Sikh", "Black", "Gypsy", "Roma", "Traveller", "Polish", "Somali",
                 "refugee", "asylum seeker", "migrant worker", "international student"):
        assert name in {term.term for term in suite.terms}


@pytest.mark.parametrize("group", GROUPS)
def test_fairness_suite_hostile_label_follows_the_codebook(suite, group):
    assert {term.hostile_label for term in suite.terms if term.group == group} == {CODEBOOK_LABEL[group]}


def test_fairness_suite_has_enough_templates_of_each_kind():
    suite = load_identity_suite()
    kinds = [template.kind for template in suite.templates]
    assert kinds.count("neutral") + kinds.count("positive") >= 30
    assert kinds.count("hostile") >= 15
    assert kinds.count("positive") >= 5


def test_fairness_suite_covers_each_term_in_15_contexts_both_lengths_and_three_kinds():
    suite = load_identity_suite()
    contexts, lengths, kinds = defaultdict(set), defaultdict(set), defaultdict(set)
    for s in suite.sentences:
        contexts[s.term].add(s.context)
        lengths[s.term].add((s.kind, s.length))
        kinds[s.term].add(s.kind)
    for term in suite.terms:
        assert len(contexts[term.term]) >= 15, term.term
        assert kinds[term.term] == {"neutral", "positive", "hostile"}, term.term
        assert {("neutral", "short"), ("neutral", "long"), ("hostile", "short"), ("hostile", "long")} \
            <= lengths[term.term], term.term


def test_fairness_suite_short_and_long_sentences_have_the_right_length(suite):
    for s in suite.sentences + suite.baseline:
        words = word_count(s.text)
        if s.length == "short":
            assert words <= SHORT_MAX_WORDS, (s.id, words)
        else:
            assert LONG_WORDS[0] <= words <= LONG_WORDS[1], (s.id, words)


def test_fairness_suite_sentences_are_filled_unique_and_name_their_term(suite):
    texts = [s.text for s in suite.sentences]
    assert len(set(texts)) == len(texts)
    assert 1000 <= len(texts) <= 5000  # a few thousand: predicted in one batch in seconds
    terms = {term.term: term for term in suite.terms}
    for s in suite.sentences:
        assert "{" not in s.text and "}" not in s.text, s.id
        assert "*" not in s.text, f"{s.id}: masked words (slurs) have no place in the suite"
        forms = terms[s.term]
        assert any(form.lower() in s.text.lower() for form in (forms.adj, forms.plural, forms.man, forms.woman))
        assert s.expected_label == (forms.hostile_label if s.hostile else None)


def test_fairness_suite_baseline_fills_only_non_hostile_templates_with_no_term(suite):
    assert len(suite.baseline) == sum(t.kind != "hostile" for t in suite.templates)
    names = [term.term.lower() for term in suite.terms]
    for s in suite.baseline:
        assert s.term == BASELINE_TERM and not s.hostile
        assert not any(re.search(rf"\b{re.escape(name)}", s.text.lower()) for name in names), s.text


def _words(text):
    return re.findall(r"[a-z0-9']+", text.lower())


def test_fairness_suite_shares_no_8_word_run_with_the_corpus(suite):
    runs = set()
    for path in (CORPUS, BACKLOG):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                words = _words(row["text"])
                runs.update(tuple(words[i:i + 8]) for i in range(len(words) - 7))
    shared = {
        (s.template, " ".join(words[i:i + 8]))
        for s in suite.sentences + suite.baseline
        for words in [_words(s.text)]
        for i in range(len(words) - 7)
        if tuple(words[i:i + 8]) in runs
    }
    assert not shared, sorted(shared)[:5]


def test_fairness_suite_render_fills_each_form_and_case():
    raw = {
        "terms": [{"term": "Sikh", "group": "religion", "adj": "Sikh", "plural": "Sikhs", "man": "a Sikh man",
                   "woman": "a Sikh woman", "hostile_label": "religious_hate"}],
        "templates": [{"id": "X1", "kind": "neutral", "length": "short", "context": "shops",
                       "text": "{Man} and {woman} met {plural}: '{ADJ} club'."}],
        "baseline": {"adj": "local", "plural": "local people", "man": "a man", "woman": "a woman"},
    }
    suite = build_suite(raw)
    assert suite.texts == ["A Sikh man and a Sikh woman met Sikhs: 'SIKH club'."]
    assert suite.sentences[0].id == "X1/Sikh"
    assert suite.baseline[0].text == "A man and a woman met local people: 'LOCAL club'."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"text": "No slot at all."}, "at least one"),
        ({"text": "{adjective} here"}, "adjective"),
        ({"kind": "rude"}, "kind must be one of"),
    ],
)
def test_fairness_suite_bad_template_is_refused_by_message(change, message):
    template = {"id": "X1", "kind": "neutral", "length": "short", "context": "shops", "text": "{Man} shops."}
    raw = {"terms": [{"term": "Sikh", "group": "religion", "adj": "Sikh", "plural": "Sikhs", "man": "a Sikh man",
                      "woman": "a Sikh woman", "hostile_label": "religious_hate"}],
           "templates": [{**template, **change}]}
    with pytest.raises(ConfigError, match=message):
        build_suite(raw)


def test_fairness_suite_unknown_group_is_refused():
    raw = {"terms": [{"term": "Sikh", "group": "faith", "adj": "Sikh", "plural": "Sikhs", "man": "a Sikh man",
                      "woman": "a Sikh woman", "hostile_label": "religious_hate"}], "templates": []}
    with pytest.raises(ConfigError, match="group 'faith'.*expected one of"):
        build_suite(raw)
