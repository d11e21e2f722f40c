"""Reasons in the report's own words (issue 17): what a model term reads as, and where it was written."""

import csv
import re

import pytest

from classifier.model.preprocess import PLACEHOLDERS, SpacyPreprocessor
from classifier.model.reasons import (
    PLACEHOLDER_NAMES,
    TELLING_PHRASES,
    ReportWords,
    is_informative,
    slur_family_name,
)
from tests.helpers import CORPUS


@pytest.fixture(scope="module")
def pre():
    return SpacyPreprocessor().fit(["x"])


def _words(pre, text):
    [processed], [spans] = pre.transform_with_spans([text])
    return ReportWords(text, processed, spans)


@pytest.mark.parametrize(("text", "term", "shown"), [
    ("Graffiti on the wall again", "graffito", "Graffiti"),  # a lemma reads as the word written
    ("He was spitting at them", "be spit", "was spitting"),
    ("They had sprayed it", "have spray", "had sprayed"),
    ("Asylum Seekers at the HOTEL", "asylum seeker", "Asylum Seekers"),
    ("Third, a leaflet", "third a", None),  # stop words only
    ("no more hotels", "no much", None),
    ("that the council", "that the", None),
    ("500 migrants", "xxnum migrant", "500 migrants"),  # a number in a phrase is shown as written
    ("500 migrants", "xxnum", None),  # alone it is no reason
    ("ring 07700 900417 now", "xxphone", None),
    ("ring 07700 900417 now", "ring xxphone", "ring phone number"),  # an identifier is never shown
    ("DOB 03/05/1991. Woman pulled", "xxnum woman", None),  # an identifier is left out of the tokens
    ("Case 4512387: neighbour said", "xxnum neighbour", None),
    ("Three men shouted", "xxnum man", "Three men"),
    ("hotel.\n\n  Leaflets", "hotel leaflet", "hotel. Leaflets"),  # what stands between, spaces collapsed
    ("a hotel", "mosque", None),  # not in this report
    ("what does it say", "doe", None),  # the lookup table reads "does" as "doe": a stop word as written
    ("A. Smith said", "a.", None),
    ("Go back where you came from!", "go back", "Go back"),  # stop words only, but a taunt (TELLING_PHRASES)
    ("told them to GET OUT of Eastmoor", "get out", "GET OUT"),
])
def test_reasons_read_as_the_report_wrote_them(pre, text, term, shown):
    reason = _words(pre, text).reason(term)
    assert (reason.text if reason else None) == shown


@pytest.mark.parametrize(("text", "term", "shown"), [
    ("DOB 03/05/1991. Woman pulled", "xxnum woman", "number or reference. Woman"),
    ("NI number QQ123456C. Man shouting", "xxnum man", "number or reference. Man"),
    ("a Transit KX70 BNM woman driver", "xxnum woman", "number or reference woman"),
    ("Case 4512387: neighbour said", "xxnum neighbour", "number or reference: neighbour"),
    ("Three men shouted", "xxnum man", "Three men"),
])
def test_reasons_never_show_an_identifier_a_model_reads_as_a_number(text, term, shown):
    """A model trained before identifiers were left out reads them as the number placeholder: its reasons name
    them "number or reference", never as written."""
    old = SpacyPreprocessor(drop_identifiers=False).fit(["x"])
    assert _words(old, text).reason(term).text == shown


def test_reasons_point_at_every_place_the_term_was_written(pre):
    text = "Hotels full. The hotel? HOTEL workers"
    reason = _words(pre, text).reason("hotel")
    assert reason.text == "Hotels"  # the first place
    assert [text[start:end] for start, end in reason.spans] == ["Hotels", "hotel", "HOTEL"]


@pytest.mark.parametrize(("term", "informative"), [
    ("hotel", True), ("go back", True), ("get out", True), ("go out", False), ("that the", False),
    ("xxnum a", False), ("xxnum", False),
    ("xxurl", False), ("x", False), ("a.", False), ("u.k.", True), ("xxslurrace", True), ("xxslurcaste out", True),
    ("xxslur", False), ("have spray", True),
])
def test_reasons_need_a_content_word(term, informative):
    assert is_informative(term) is informative


def test_reasons_name_every_slur_family_and_no_other_placeholder():
    assert [slur_family_name(token) for token in ("xxslurrace", "xxslurreligion", "xxslurmigrant", "xxslurcaste")] \
        == ["racial slur", "religious slur", "anti-migrant slur", "caste slur"]
    assert slur_family_name("xxnum") is None and slur_family_name("xxslur") is None
    assert set(PLACEHOLDER_NAMES) < set(PLACEHOLDERS)  # numbers are shown as written


def test_reasons_of_a_report_known_only_by_its_tokens():
    words = ReportWords.from_processed("asylum seeker hotel")
    assert words.reason("seeker hotel") == words.reason("seeker hotel")
    assert words.reason("seeker hotel").spans == ((7, 19),)


# -- every reason the model gives on the corpus --------------------------------------------------------------

def test_reasons_on_the_corpus_are_words_of_the_report(model):
    """No placeholder, lemma-only form or stop-word-only pair: every reason is the report's own text (a slur
    or an identifier by its name), found where its spans say, with a content word (or a telling phrase such
    as "go back")."""
    with open(CORPUS, encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)][:400]
    predictions = model.predict(texts)
    names = sorted(PLACEHOLDER_NAMES.values(), key=len, reverse=True)
    stop_words = model.pipeline.named_steps["preprocess"]._get_nlp().Defaults.stop_words
    shown = 0
    for text, prediction in zip(texts, predictions, strict=True):
        explained = set(prediction.labels) | set(prediction.review_labels)
        assert set(prediction.reasons) == explained == set(prediction.reason_spans)
        for label, reasons in prediction.reasons.items():
            written = {re.sub(r"\s+", " ", text[start:end]) for start, end in prediction.reason_spans[label]}
            for reason in reasons:
                shown += 1
                assert "xx" not in reason.lower() or "xx" in text.lower()
                plain = reason
                for name in names:
                    plain = plain.replace(name, "")
                words = [word for word in plain.lower().split() if any(char.isalpha() for char in word)]
                if plain == reason:
                    assert reason in written
                telling = " ".join(word.strip(".,;:!?'\"()") for word in words) in TELLING_PHRASES
                assert any(word.strip(".,;:!?'\"()") not in stop_words for word in words) or plain != reason or telling
    assert shown > 300


def test_reasons_house_numbers_and_times_are_no_reasons():
    """Reproduction: 'no.4', 'no.9' and '8.30am' were shown as reasons ("numbers ... never a reason")."""
    text = 'The family at no.4 were told "go home p*kis" at 8.30am by a man'
    pre = SpacyPreprocessor().fit(["x"])
    [processed], [spans] = pre.transform_with_spans([text])
    words = ReportWords(text, processed, spans)
    assert words.reason("no.4") is None and words.reason("8.30am") is None and words.reason("family").text == "family"
    assert is_informative("5g mast") and is_informative("covid-19")
