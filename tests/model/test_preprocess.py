import csv
import pickle
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from classifier.errors import ConfigError, DataError
from classifier.model.preprocess import SpacyPreprocessor, mask_identifiers
from tests.helpers import assert_linear


@pytest.fixture(scope="module")
def pre():
    return SpacyPreprocessor().fit(["x"])


@pytest.mark.parametrize(
    ("text", "hidden", "token"),
    [
        ("call me on 07700 900417 tonight", "900417", "xxphone"),
        ("ring 0113 496 0123", "496", "xxphone"),
        ("or +44 7700 900123", "7700", "xxphone"),
        ("mail jo.bloggs@example.com please", "bloggs", "xxemail"),
        ("lives at EM4 7QT", "7QT", "xxpostcode"),
        ("see https://www.example.org/post?id=3", "example", "xxurl"),
        ("pay within 24hrs: eastmoor-pcn-pay.example.com.", "pcn", "xxurl"),
        ("link in bio bit.ly/3xYzQ", "3xYzQ", "xxurl"),
        ("tweet from @jo_bloggs99 this morning", "bloggs", "xxhandle"),
        ("thanks @jo.bloggs for this", "bloggs", "xxhandle"),
        ("thanks .@jo_bloggs for this", "bloggs", "xxhandle"),
        ("donate at gofund.me/help-jo", "help", "xxurl"),
        # Found in a model's vocabulary when two reports shared them (2026-12-03): other top-level domains, a
        # registration written with a hyphen, Girobank's postcode.
        ("photos at zorbalinski-family.pl/photos", "zorbalinski", "xxurl"),
        ("his page vk.ru/zorbalinski", "zorbalinski", "xxurl"),
        ("watch youtu.be/Zq3xWv9", "Zq3xWv9", "xxurl"),
        ("all links at linktr.ee/zorba", "zorba", "xxurl"),
        ("van reg AB12-CDE again", "CDE", "xxref"),
        ("sent to GIR 0AA", "0AA", "xxpostcode"),
    ],
)
def test_preprocess_masks_identifiers(text, hidden, token):
    masked = mask_identifiers(text)
    assert hidden not in masked
    assert token in masked


@pytest.mark.parametrize("text", ["e.g. 3.5 miles from St.Aldric's", "meet @ 10pm by the U.K. sign", "a.b.c",
                                  "came home.Net result", "see you @home, @the park", "Smith & Co. ltd",
                                  "they came.in late", "is.it true", "going to.be honest"])
def test_preprocess_leaves_dotted_words_numbers_and_a_lone_at_sign(text):
    assert mask_identifiers(text) == text


def test_preprocess_lemmatises_lowercases_and_keeps_negations(pre):
    out = SpacyPreprocessor(remove_stop_words=True).fit(["x"]).transform(
        ["Asylum seekers were NOT housed at the Hotels, never!"]
    )[0].split()
    assert out == ["asylum", "seeker", "not", "house", "hotel", "never"]


def test_preprocess_replaces_numbers_and_masked_slurs(pre):
    out = pre.transform(["3 men shouted p*kis at 10pm in 2024"])[0].split()
    assert "xxslurrace" in out and "p*kis" not in out
    assert "3" not in out and "2024" not in out
    assert "xxnum" in out


def test_preprocess_identifiers_never_reach_output(pre):
    out = pre.transform(["email a.person@example.com or call 07700 900999, EM1 1AA"])[0]
    assert "example" not in out and "900999" not in out and "em1" not in out


def test_preprocess_pickle_drops_nlp_and_rebuilds(pre):
    blob = pickle.dumps(pre)
    assert b"spacy" not in blob
    again = pickle.loads(blob)
    assert "_nlp" not in again.__dict__
    assert again.transform(["mosques"]) == ["mosque"]


def test_preprocess_is_clonable():
    est = SpacyPreprocessor(batch_size=7)
    assert clone(est).get_params() == est.get_params()


def test_preprocess_accepts_one_column_array(pre):
    assert pre.transform(np.array([["Churches"], ["Flags"]], dtype=object)) == ["church", "flag"]


def test_preprocess_rejects_non_string_with_position(pre):
    with pytest.raises(DataError, match="position 1"):
        pre.transform(["fine", None])


def test_preprocess_rejects_bad_parameters():
    with pytest.raises(ConfigError, match="batch_size"):
        SpacyPreprocessor(batch_size=0).fit(["x"])
    with pytest.raises(ConfigError, match="not installed"):
        SpacyPreprocessor(pipeline="no_such_pipeline_xyz").fit(["x"])


def test_preprocess_transform_before_fit_fails():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SpacyPreprocessor().transform(["x"])


def test_preprocess_keeps_stop_words_by_default(pre):
    assert pre.transform(["Go back to where you came from"]) == ["go back to where you come from"]


# -- ordinal words (issue 17) ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Third, a man shouted", "third a man shout"),
    ("FIRST they came, then a second group", "first they come then a second group"),
    ("the twentieth time", "the twentieth time"),
    ("3rd time, 3 men, three women, 2024", "xxnum time xxnum man xxnum woman xxnum"),  # numbers stay numbers
])
def test_preprocess_ordinal_words_stay_words(pre, text, expected):
    assert pre.transform([text]) == [expected]


def test_preprocess_ordinal_words_are_stop_words_when_stop_words_go():
    assert SpacyPreprocessor(remove_stop_words=True).fit(["x"]).transform(["Third, a hotel"]) == ["hotel"]


def test_preprocess_models_pickled_before_keep_ordinals_as_numbers(pre):
    state = pre.__getstate__()
    del state["ordinals_as_numbers"]
    old = SpacyPreprocessor.__new__(SpacyPreprocessor)
    old.__setstate__(state)
    assert old.ordinals_as_numbers is True
    assert old.transform(["Third, a man"]) == ["xxnum a man"]
    assert SpacyPreprocessor(ordinals_as_numbers=True).fit(["x"]).transform(["Third, a man"]) == ["xxnum a man"]


# -- where each token was written -----------------------------------------------------------------------------

def _written(text, spans):
    return [text[start:end] for start, end in spans]


def test_preprocess_spans_point_at_the_words_as_written(pre):
    text = "Graffiti: 'P*KIS OUT' was sprayed\non 3 doors. Mail a.b@example.com, İstanbul don't"
    [processed], [spans] = pre.transform_with_spans([text])
    assert processed == "graffito xxslurrace out be spray on xxnum door mail xxemail i̇stanbul do not"
    assert _written(text, spans) == ["Graffiti", "P*KIS", "OUT", "was", "sprayed", "on", "3", "doors", "Mail",
                                     "a.b@example.com", "İstanbul", "do", "n't"]


def test_preprocess_spans_of_placeholders_cover_the_whole_stretch(pre):
    text = "call 07700 900417 or see https://example.org/x?y=1 at EM4 7QT"
    [processed], [spans] = pre.transform_with_spans([text])
    assert processed.split() == ["call", "xxphone", "or", "see", "xxurl", "at", "xxpostcode"]
    written = _written(text, spans)
    assert [written[1], written[4], written[6]] == ["07700 900417", "https://example.org/x?y=1", "EM4 7QT"]


@pytest.mark.parametrize("options", [{}, {"remove_stop_words": True}, {"slur_normalise": False}])
def test_preprocess_transform_with_spans_gives_what_transform_gives_on_the_corpus(options):
    from tests.helpers import BACKLOG, CORPUS

    pre = SpacyPreprocessor(**options).fit(["x"])
    texts = []
    for path in (CORPUS, BACKLOG):
        with open(path, encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)][:400]
    processed, spans = pre.transform_with_spans(texts)
    assert processed == pre.transform(texts)
    for text, tokens, where in zip(texts, processed, spans, strict=True):
        assert len(where) == len(tokens.split())
        assert all(0 <= start < end <= len(text) for start, end in where)
        assert where == sorted(where)  # in text order


API_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
]


@pytest.mark.parametrize("check_name", API_CHECKS)
def test_preprocess_passes_sklearn_api_checks(check_name):
    """scikit-learn's data checks feed numeric arrays, which a text transformer cannot take (it declares
    string input, so check_estimator skips them); these API checks apply and must pass."""
    from sklearn.utils import estimator_checks

    check = getattr(estimator_checks, check_name, None)
    if check is None:
        pytest.skip(f"{check_name} is not in this scikit-learn version")
    check("SpacyPreprocessor", SpacyPreprocessor())


def test_preprocess_fit_transform_is_fit_then_transform():
    texts = ["Mosques and churches", "A flag on the hotel"]
    assert SpacyPreprocessor().fit_transform(texts) == SpacyPreprocessor().fit(texts).transform(texts)


def test_preprocess_lookup_fast_path_equals_full_pipeline():
    from classifier.model.preprocess import _normalise

    texts = ["Asylum seekers were NOT housed at the Hotels!!", "p*kis go home, 07700 900417", "Mosques' flags",
             "  don't   won't can't  ", "£5 for 3 churches in 2024 https://example.org x@example.com"]
    for remove in (False, True):
        pre = SpacyPreprocessor(remove_stop_words=remove).fit(["x"])
        nlp = pre._get_nlp()
        stop = nlp.Defaults.stop_words if remove else frozenset()
        from classifier.model.preprocess import DEFAULT_KEEP_WORDS, mask_identifiers

        replace_slurs = pre._get_lexicon().replace
        full = [" ".join(filter(None, (_normalise(t, t.lemma_, stop, DEFAULT_KEEP_WORDS) for t in doc)))
                for doc in nlp.pipe(replace_slurs(mask_identifiers(text)).lower() for text in texts)]
        assert pre.transform(texts) == full
        assert pre.transform(texts) == full  # second call served from the token cache


# -- identifier masking in linear time (issue 18) ---------------------------------------------------------

#: The e-mail regex as it was searched before (quadratic on long runs of word characters).
OLD_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _old_mask_identifiers(text: str) -> str:
    from classifier.model.preprocess import _PII_PATTERNS

    text = OLD_EMAIL.sub(" xxemail ", text)
    for pattern, token in _PII_PATTERNS[1:]:
        text = pattern.sub(f" {token} ", text)
    return text


def test_preprocess_mask_identifiers_unchanged_on_every_corpus_text():
    from tests.helpers import BACKLOG, CORPUS

    texts = [row["text"] for path in (CORPUS, BACKLOG)
             for row in csv.DictReader(open(path, encoding="utf-8", newline=""))]
    assert sum("@" in text for text in texts) > 10  # the corpus does exercise the e-mail pattern
    changed = [i for i, text in enumerate(texts) if mask_identifiers(text) != _old_mask_identifiers(text)]
    assert not changed


@pytest.mark.parametrize("text", ["a@b.c", "x.a@b.com.+y@c.org", "a@b.com.@c.com", "a@b.c@d.e", ".@a.b", "@a.b",
                                  "a@.b", "a@b.", "é+1@ß-2.x_y", "a..b@c..d.e", "a@b.c.d@e.f"])
def test_preprocess_email_search_equals_the_regex_on_edge_cases(text):
    from classifier.model.preprocess import _EmailPattern

    assert [m.span() for m in _EmailPattern().finditer(text)] == [m.span() for m in OLD_EMAIL.finditer(text)]


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="ab1é_.+-@ ", max_size=30))
def test_preprocess_email_search_equals_the_regex_on_any_text(text):
    from classifier.model.preprocess import _EmailPattern

    assert _EmailPattern().sub(" xxemail ", text) == OLD_EMAIL.sub(" xxemail ", text)
    assert mask_identifiers(text) == _old_mask_identifiers(text)


@pytest.mark.parametrize("unit", ["a", "@", "a.", "0", " ", "0 ", "a@", "a@b", "a@b.", "A1 ", "07700 ", "+44 ",
                                  "www.", "-", "é"])
def test_preprocess_mask_identifiers_takes_linear_time(unit):
    assert assert_linear(mask_identifiers, unit) < 2.0


@pytest.mark.parametrize("unit", ["a", "a-", "a.", ".@a", "@a"])
def test_preprocess_mask_identifiers_takes_linear_time_when_a_web_address_or_handle_is_there_too(unit):
    # A ".com" or an "@" anywhere turns the slower searches on for the whole text.
    def mask(text):
        return mask_identifiers(text + " x.com @jo")

    assert assert_linear(mask, unit) < 2.0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcmoukswHTPW@.:/-+ 0123456789٣\u212a\u017f\u0130\u0131()EMQX")),
               max_size=40))
def test_preprocess_quick_scan_never_skips_an_identifier(text):
    from classifier.model.preprocess import _PII_PATTERNS, _may_hold

    for pattern, token in _PII_PATTERNS:
        if pattern.regex.search(text) if hasattr(pattern, "regex") else pattern.search(text):
            assert _may_hold(token, text), token


def test_preprocess_preprocessors_of_one_thread_share_the_loaded_pipeline_and_others_load_their_own():
    import threading

    from classifier.model.preprocess import load_nlp

    texts = ["Asylum seekers were NOT housed at the hotels", "Graffiti sprayed on the mosque wall, 3rd time"]
    first, second = SpacyPreprocessor().fit(["x"]), SpacyPreprocessor(remove_stop_words=True).fit(["x"])
    assert first._get_nlp() is second._get_nlp()
    other = {}
    thread = threading.Thread(target=lambda: other.update(nlp=SpacyPreprocessor().fit(["x"])._get_nlp()))
    thread.start()
    thread.join()
    assert other["nlp"] is not first._get_nlp()
    # What one model's preprocessor has read does not change another's output: the same as a pipeline of its own.
    first.transform([f"zorblax{i} mosques asylum hotels {i}" for i in range(3000)])
    fresh = SpacyPreprocessor().fit(["x"])
    fresh._nlp = load_nlp("blank:en")
    assert SpacyPreprocessor().fit(["x"]).transform(texts) == fresh.transform(texts)


@pytest.mark.parametrize("text", ["x" + "?" * 5000, "\U0001F621" * 3000, "((" * 2000 + "hotel"])
def test_preprocess_long_runs_without_a_space_keep_their_places(text):
    """Runs longer than MAX_UNBROKEN are broken for the tokenizer (whose cost on them grows with the square of
    their length), in place: every token still points at characters of the report."""
    pre = SpacyPreprocessor().fit(["x"])
    processed, spans = pre.transform_with_spans([text])
    assert processed == pre.transform([text])
    assert len(spans[0]) == len(processed[0].split())
    assert all(0 <= start <= end <= len(text) for start, end in spans[0])


def test_preprocess_control_characters_separate_words():
    pre = SpacyPreprocessor().fit(["x"])
    assert pre.transform(["graffiti\x00sprayed\x1fagain"]) == pre.transform(["graffiti sprayed again"])


def test_preprocess_identifiers_with_digits_are_left_out_and_small_numbers_become_the_number_placeholder():
    """A date of birth, a crime or case reference, a National Insurance number and a vehicle registration are
    identifiers, not words of the report: left out, so that a partner's reference line does not move the scores;
    "3 men" keeps its number; a time or "COVID-19" stays what it is."""
    pre = SpacyPreprocessor().fit(["x"])
    [out] = pre.transform(["Born 12/03/1985, NI QQ123456C, ref 39/11044/25 and CT-118204, car AB12 CDE, "
                           "postcode SW1A-1AA, at 14:20 near the 5G mast, COVID-19, 3 men"])
    tokens = out.split()
    assert tokens.count("xxnum") == 2 and "xxpostcode" in tokens  # "5G" reads as 5 and G; "3 men"
    assert "xxref" not in tokens and tokens[:4] == ["bear", "ni", "ref", "and"]
    assert not any(secret in out for secret in ("1985", "qq123456c", "11044", "118204", "ab12", "sw1a"))
    assert "14:20" in tokens and "covid-19" in tokens


REFERENCE_LINE = "Crime ref 44019823. DOB 14/02/1979. Vehicle KX70 BNM. 3 men"


def test_preprocess_identifiers_read_as_the_number_placeholder_without_drop_identifiers():
    pre = SpacyPreprocessor(drop_identifiers=False).fit(["x"])
    assert pre.transform([REFERENCE_LINE]) == ["crime ref xxnum dob xxnum vehicle xxnum xxnum man"]


def test_preprocess_models_pickled_before_drop_identifiers_read_them_as_trained(pre):
    """A model trained when identifiers were the number placeholder keeps reading them so (its vocabulary has
    "xxnum man"), whatever this installation's default."""
    state = pre.__getstate__()
    del state["drop_identifiers"]
    old = SpacyPreprocessor.__new__(SpacyPreprocessor)
    old.__setstate__(state)
    assert old.drop_identifiers is False
    assert old.transform([REFERENCE_LINE]) == ["crime ref xxnum dob xxnum vehicle xxnum xxnum man"]
    assert pre.transform([REFERENCE_LINE]) == ["crime ref dob vehicle xxnum man"]


def test_preprocess_rejects_a_drop_identifiers_that_is_not_a_bool():
    with pytest.raises(ConfigError, match="'drop_identifiers'.*True or False"):
        SpacyPreprocessor(drop_identifiers="yes").fit(["x"])


@pytest.mark.parametrize("written", [
    "mos\u00adque windows smashed by a p\u200b*ki gang",  # soft hyphen, zero-width space
    "mo\u200csque windows\u2060 smashed by a p*\u200dki gang",  # zero-width non-joiner, word joiner, joiner
    "\uff4d\uff4f\uff53\uff51\uff55\uff45 windows\u3000smashed by a p*ki gang",  # full-width letters and space
    "mosque\u200e windows smashed by a \ufeffp*ki gang",  # a direction mark, a byte-order mark inside
])
def test_preprocess_characters_that_show_as_nothing_or_full_width_do_not_hide_a_word(pre, written):
    """Reproduction: 'mos\u00adque windows smashed' (a soft hyphen, common in text pasted from web pages and PDFs)
    scored religious hate 0.20 instead of 0.94, not even flagged for review; full-width letters 0.02."""
    plain = "mosque windows smashed by a p*ki gang"
    assert pre.transform([written]) == pre.transform([plain])
    [processed], [spans] = pre.transform_with_spans([written])
    assert processed == pre.transform([plain])[0] and "xxslurrace" in processed
    words = _written(written, spans)
    assert [word.translate({0xad: None, 0x200b: None, 0x200c: None, 0x200d: None, 0x2060: None, 0x200e: None,
                            0xfeff: None}) for word in words][:3] in (["mosque", "windows", "smashed"],
                                                                       ["\uff4d\uff4f\uff53\uff51\uff55\uff45",
                                                                        "windows", "smashed"])


def test_preprocess_half_a_surrogate_pair_is_a_replacement_character_not_a_crash(pre):
    """Reproduction: `tension predict M "$(cat legacy.txt)"` with a byte that is not UTF-8 (Python gives it as
    '\\udce9') ended in spaCy's UnicodeEncodeError traceback, as did model.predict(['bad \\ud800 x'])."""
    for written in ("caf\udce9 mosque smashed", "bad \ud800 x mosque smashed"):
        [processed], [spans] = pre.transform_with_spans([written])
        assert pre.transform([written]) == [processed] and "mosque" in processed
        assert "mosque" in _written(written, spans)


@pytest.mark.parametrize("written", [
    "<p>Someone&nbsp;sprayed&nbsp;no&nbsp;more&nbsp;mosques on&nbsp;the&nbsp;wall</p>",
    '<html><head><style>p{font-family:"Calibri"}</style></head><body><div>Someone sprayed <b>no more mosques</b>'
    "<br>on the wall</div></body></html>",
    "Someone sprayed no more mosques on the wall [cid:image001.png@01D9A1B2.3C4D5E60]",
    "Someone sprayed no more mosques on the wall\n\nThis e-mail and any attachments are confidential and intended "
    "solely for the addressee.\nIf you have received this e-mail in error please delete it.",
])
def test_preprocess_html_entities_attachment_tags_and_disclaimers_are_read_as_the_plain_report(pre, written):
    """Reproduction: 'Someone&nbsp;sprayed&nbsp;no&nbsp;more&nbsp;mosques...' (a report pasted from an HTML
    e-mail) scored religious hate 0.29 with no review flag, 0.97 written plainly; tags ('Jane</p></div></body>')
    and style sheets ('family:"Calibri",sans') were shown as reasons. No text of the corpus changes."""
    plain = "Someone sprayed no more mosques on the wall"
    assert pre.transform([written]) == pre.transform([plain])
    [processed], [spans] = pre.transform_with_spans([written])
    assert processed == pre.transform([plain])[0]
    assert _written(written, spans)[:5] == ["Someone", "sprayed", "no", "more", "mosques"]


@pytest.mark.parametrize("written", ["p&#8203;aki", "p&shy;aki", "&#xFF50;&#xFF41;&#xFF4B;&#xFF49;", "<b>p</b>aki",
                                     "p<span></span>aki"])
def test_preprocess_an_entity_or_an_inline_tag_inside_a_word_does_not_hide_it(pre, written):
    """Reproduction: a zero-width space, a soft hyphen or full-width letters written as entities, or an inline tag
    inside a word, split or hid a slur (race hate 0.27-0.42, no label, no review)."""
    assert pre.transform([f"My neighbour called me a {written}"]) == pre.transform(["My neighbour called me a paki"])


# -- the preprocessing version: a change in how reports are read must raise it --------------------------------

#: Texts that exercise every rule of our own that decides what the tokenizer sees: markup and entities, attachment
#: tags, disclaimers, header blocks, sign-offs and signatures, invisible and full-width characters, identifiers,
#: vehicle registrations and slurs (written out, masked, spaced, with look-alike letters).
READING_SAMPLES = (
    "<p>Leaflets on&nbsp;Elm Road</p>[cid:image001.png@01D9A1B2.3C4D5E60] saying they get free houses",
    "Graffiti on the mosque.\n\nThis e-mail and any attachments are confidential and intended solely for the "
    "addressee. If you have received it in error, notify the sender and delete it.",
    "From: Jo Bloggs <jo@example.org>\nSent: 3 March 2026 09:12\nTo: Safer Communities\nSubject: FW: stickers\n\n"
    "Stickers on the bus shelter again.\n\nKind regards,\nJo Bloggs\nCommunity Warden | 07700 900123",
    "Crime ref 44019823. Victim DOB 14/02/1979, HF4 2RT. Suspect vehicle KX70 BNM. Three men shouted at her.",
    "mo\u200bsque windows smashed, ｆｕｌｌ width text, and p*kis out on the wall, a p a k i, \u03c1aki",
    "Thanks\u00a0x\u2028Maria\u2028\u2028They wrote 'go home' on our door",
    "Thanks.\r\rThis\u00a0e-mail is confidential and intended solely for the addressee; if received in error, "
    "notify the sender and delete it.\r\rA man spat at my son outside the gurdwara.",
)
#: SHA-256 of what those texts read as (visible_text, then identifiers masked, then slurs replaced), for
#: classifier.model.persistence.PREPROCESSING_VERSION. Changing a rule that moves it means raising that version
#: (saved models then warn on load) and recording the new digest here.
READING_DIGESTS = {1: "f7694176527af756719c0baaaeb7ea659a3ad80dafcf394d78183ee9983da84b"}


def test_preprocess_a_change_in_how_reports_are_read_raises_the_preprocessing_version():
    import hashlib

    from classifier.model.persistence import PREPROCESSING_VERSION
    from classifier.model.preprocess import visible_text
    from classifier.model.slurs import replace_slurs

    read = "\n---\n".join(replace_slurs(mask_identifiers(visible_text(text))) for text in READING_SAMPLES)
    digest = hashlib.sha256(read.encode("utf-8")).hexdigest()
    assert READING_DIGESTS.get(PREPROCESSING_VERSION) == digest, (
        f"Reports are read otherwise than preprocessing version {PREPROCESSING_VERSION} recorded. If that is meant, "
        f"raise PREPROCESSING_VERSION in classifier/model/persistence.py and record {digest!r} for it here.")
