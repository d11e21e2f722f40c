"""The predictor. Behaviour tests (the labels that clear, neutral and hostile reports get) use the default model;
tests of the interface use the small session model."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier import predict
from classifier.errors import ConfigError, DataError
from classifier.model.predictor import INVISIBLE, STATUS_EMPTY, STATUS_NOT_TEXT, Prediction

#: Share of short hostile reports with a slur written out in full that get their label (issue 13's check).
WRITTEN_OUT_SLUR_RECALL_BAR = 0.9


def test_model_predict_returns_one_prediction_per_text_in_order(default_model):
    model = default_model
    texts = [
        "Leaflets through every door saying asylum seekers at the Priory Hotel get free houses and cars",
        "bins not collected on hawthorn rise for three weeks",
        "Swastika sprayed on the synagogue gate overnight",
    ]
    out = model.predict(texts)
    assert [type(p) for p in out] == [Prediction] * 3
    assert "immigration" in out[0].labels
    assert "misinformation" in out[0].labels or "misinformation" in out[0].review_labels
    assert out[1].labels == ()
    assert "religious_hate" in out[2].labels
    for p in out:
        assert set(p.scores) == set(model.labels)
        assert all(0.0 <= s <= 1.0 for s in p.scores.values())
        assert set(p.reasons) == set(p.labels) | set(p.review_labels)


def test_model_leaflet_claiming_asylum_seekers_get_free_houses_is_immigration_and_misinformation(default_model):
    [p] = default_model.predict(
        ["Leaflets through every door saying asylum seekers at the Priory Hotel get free houses and cars"])
    assert {"immigration", "misinformation"} <= set(p.labels)


def test_model_reasons_are_terms_of_the_report(default_model):
    [p] = default_model.predict(["Swastika sprayed on the synagogue gate overnight"])
    terms = p.reasons["religious_hate"]
    assert 1 <= len(terms) <= 5
    assert any("synagogue" in t.lower() or "swastika" in t.lower() for t in terms)


def test_model_mosque_mentioned_neutrally_is_not_religious_hate(default_model):
    [p] = default_model.predict(["Cars parked on both pavements outside the mosque at Friday prayers again, "
                         "buggies can't get past. Can a warden come round at 1pm?"])
    assert "religious_hate" not in p.labels


def test_model_needs_review_follows_band(model):
    texts = ["Leaflets saying asylum seekers get free houses", "noisy party next door"]
    wide = type(model)(model.pipeline, model.metadata, review_band=0.99).predict(texts)
    none = type(model)(model.pipeline, model.metadata, review_band=0.0).predict(texts)
    assert all(p.needs_review for p in wide)
    assert not any(p.needs_review for p in none)


def test_model_review_labels_are_the_labels_near_their_threshold(model):
    texts = ["Leaflets saying asylum seekers get free houses", "noisy party next door",
             "Swastika sprayed on the synagogue gate overnight"]
    thresholds = model.thresholds
    distances = sorted(abs(p.scores[label] - thresholds[label])
                       for p in model.predict(texts, explain=False) for label in model.labels)
    middle = len(distances) // 2
    band = (distances[middle - 1] + distances[middle]) / 2  # about half the labels fall inside it
    out = type(model)(model.pipeline, model.metadata, review_band=band).predict(texts, explain=False)
    for p in out:
        near = [label for label in model.labels if abs(p.scores[label] - thresholds[label]) < band]
        assert list(p.review_labels) == near  # in the model's label order
        assert p.needs_review is bool(p.review_labels)
    assert any(p.review_labels for p in out) and not all(len(p.review_labels) == len(model.labels) for p in out)
    none = type(model)(model.pipeline, model.metadata, review_band=0.0).predict(texts, explain=False)
    assert all(p.review_labels == () for p in none)


#: Reports a UK council may get in other languages (written for this test): "no label" means nothing for them.
OTHER_LANGUAGES = [
    "Muzułmanie won z naszego miasta, spalimy meczet",  # Polish
    "Ausländer raus! Wir brennen die Moschee nieder",  # German
    "Mae ffoaduriaid yn cael tai am ddim, medd y daflen ar y stryd",  # Welsh
    "Los inmigrantes del hotel reciben casas gratis, dice el folleto",  # Spanish
    "Refugiații primesc locuințe gratuite de la primărie, spune fluturașul",  # Romanian
    "المهاجرون في الفندق يحصلون على بيوت مجانية",  # Arabic
]


def test_model_report_in_another_language_is_unfamiliar_and_needs_review(model):
    texts = [*OTHER_LANGUAGES, "Leaflets saying asylum seekers get free houses", "noisy party next door"]
    none = type(model)(model.pipeline, model.metadata, review_band=0.0)  # no score is near its threshold
    out = none.predict(texts)
    assert [p.unfamiliar for p in out] == [True] * len(OTHER_LANGUAGES) + [False, False]
    assert [p.needs_review for p in out] == [p.unfamiliar for p in out] and all(p.review_labels == () for p in out)
    assert out[0].to_dict()["unfamiliar"] is True


def test_model_report_of_emoji_or_symbols_only_needs_review(model):
    out = type(model)(model.pipeline, model.metadata, review_band=0.0).predict(["\U0001f92c\U0001f92c", "!!!"])
    assert all(p.status == "ok" and p.unfamiliar and p.needs_review for p in out)


def test_model_report_of_numbers_dates_or_links_only_needs_review(model):
    """What a wrong text column or a broken export gives: nothing for the model to read."""
    texts = ["12345", "3.14", "2024-01-09 00:00:00", "https://example.com/a", "a 1", "hotel 12"]
    out = type(model)(model.pipeline, model.metadata, review_band=0.0).predict(texts)
    assert [p.unfamiliar for p in out] == [True] * 5 + [False]
    assert [p.needs_review for p in out] == [True] * 5 + [False]


def test_model_unfamiliar_share_of_known_words():
    from classifier.model.predictor import unfamiliar_texts

    vocabulary = {"bin": 0, "late": 1, "again": 2}
    flags = unfamiliar_texts(["bin late again", "bin late zzz qqq", "bin zzz qqq", "", "zzz"], vocabulary)
    assert flags.tolist() == [False, False, True, True, True]  # half known is enough; no token at all is not
    assert not unfamiliar_texts(["zzz"], None).any()  # a pipeline without a word vocabulary: never


def test_model_unclassified_text_needs_review_without_review_labels(model):
    [p] = model.predict([""], on_invalid="flag")
    assert p.needs_review and p.review_labels == () and p.to_dict()["review_labels"] == []


@pytest.mark.parametrize(("bad", "words"), [("", "empty"), ("   \n", "whitespace"), (None, "NoneType")])
def test_model_invalid_text_raises_with_position(model, bad, words):
    with pytest.raises(DataError, match=f"position 1.*{words}"):
        model.predict(["fine text", bad])


def test_model_invalid_text_flagged_when_asked(model):
    out = model.predict(["fine text", "", 42], on_invalid="flag")
    assert out[0].status == "ok"
    assert out[1].status == STATUS_EMPTY and out[1].needs_review and out[1].labels == ()
    assert out[2].status == STATUS_NOT_TEXT
    assert all(math.isnan(s) for s in out[1].scores.values())


def test_model_rejects_single_string_and_bad_option(model):
    with pytest.raises(DataError, match="single string"):
        model.predict("just one")
    with pytest.raises(ConfigError, match="on_invalid"):
        model.predict(["x"], on_invalid="skip")


def test_model_predict_proba_checks_its_texts_as_predict_does(model):
    for bad in ("just one", {"a report", "another"}):
        with pytest.raises(DataError, match="expects a list of texts"):
            model.predict_proba(bad)
    with pytest.raises(DataError, match="position 1 is empty"):
        model.predict_proba(["a report", ""])
    with pytest.raises(DataError, match="position 0 is an int, not a string"):
        model.predict_proba_and_unfamiliar([7])
    assert model.predict_proba([]).shape == (0, len(model.labels))
    proba, unfamiliar = model.predict_proba_and_unfamiliar([])
    assert proba.shape == (0, len(model.labels)) and unfamiliar.shape == (0,)


@pytest.mark.parametrize(("option", "value"), [("top_k", 0), ("top_k", 2.5), ("top_k", True), ("top_k", None),
                                               ("explain", "no"), ("max_chars", 0)])
def test_model_predict_options_are_checked(model, option, value):
    with pytest.raises(ConfigError, match=f"'{option}' must be"):
        model.predict(["a report"], **{option: value})


def test_model_text_of_invisible_characters_only_is_empty(model):
    [p] = model.predict(["\u200b\u200d \ufeff"], on_invalid="flag")
    assert p.status == STATUS_EMPTY


def test_model_to_dict_of_an_unclassified_report_is_strict_json(model):
    import json

    [p] = model.predict([None], on_invalid="flag")
    data = json.loads(json.dumps(p.to_dict(), allow_nan=False))
    assert set(data["scores"].values()) == {None}


def test_model_accepts_any_iterable(model):
    assert len(model.predict(t for t in ["one report", "another"])) == 2


def test_model_module_predict_uses_given_model(model):
    assert predict(["a report"], model=model)[0].status == "ok"


def test_model_to_dict_is_json_ready(model):
    import json

    [p] = model.predict(["flags torn down on the high street"])
    assert json.loads(json.dumps(p.to_dict()))["labels"] == list(p.labels)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=5))
def test_model_arbitrary_unicode_never_crashes(model, texts):
    out = model.predict(texts, on_invalid="flag")
    assert len(out) == len(texts)
    for text, p in zip(texts, out, strict=True):
        assert p.status == ("ok" if text.strip().strip(INVISIBLE).strip() else STATUS_EMPTY)


@pytest.mark.parametrize("text", [
    "A Muslim family have opened a bakery on the high street, the bread is amazing.",
    "A Jewish family have opened a bakery on the high street, the bread is amazing.",
    "The Black lad who works at the garage fixed my car for half the price",
    "Polish couple at number 9 asked when the brown bin gets emptied",
    "The refugee family from the hotel joined the litter pick on Saturday, lovely people",
])
def test_model_neutral_mention_of_who_someone_is_gets_no_label(default_model, text):
    [p] = default_model.predict([text])
    assert p.labels == ()


#: The per-term limit of the fairness gate (classifier.fairness.gate.MAX_TERM_FPR).
CONFLICT_NATIONALITY_FPR_BAR = 0.05


def test_model_a_neutral_sentence_naming_an_israeli_or_a_palestinian_gets_no_label(default_model):
    """The corpus names them almost only in reports about the conflict; before the copies that put them into
    neutral reports, 72.5% and 53.6% of these sentences (the identity sets' neutral and positive templates) got
    `israel_palestine` ("An Israeli man has opened a bakery on Mill Lane.")."""
    from classifier.fairness.conflict import evaluate_conflict_nationalities

    figures = evaluate_conflict_nationalities(default_model)
    for term in ("Israeli", "Palestinian"):
        n, labelled = figures[term]["n"], figures[term]["labelled"]
        assert n >= 60 and labelled / n <= CONFLICT_NATIONALITY_FPR_BAR, (term, labelled, n)


def _written_out(family: str) -> list[str]:
    """The packaged lexicon's plain words of one family (decoded at test time, never written in the repo)."""
    from classifier.model.slurs import packaged_lexicon

    return sorted({e.word for e in packaged_lexicon().entries if e.family == family and not e.disguised_only})


SLUR_TEMPLATES = ("'{word}s out' sprayed on the shop shutter on Moor Lane", "lad on the bus kept calling her a {word}",
                  "screenshot from the estate group: get the {word}s off our street")


@pytest.mark.parametrize("family, label", [("race", "race_hate"), ("religion", "religious_hate")])
def test_model_short_hostile_report_with_a_slur_written_out_gets_its_label(default_model, family, label):
    texts = [template.format(word=word) for word in _written_out(family) for template in SLUR_TEMPLATES]
    assert len(texts) >= 15
    hits = sum(label in p.labels for p in default_model.predict(texts, explain=False))
    assert hits / len(texts) >= WRITTEN_OUT_SLUR_RECALL_BAR


def test_model_long_report_keeps_a_second_topic_from_one_sentence(default_model):
    text = (
        "Hi, writing again about Larch Close. The bins were missed for the third week running and the recycling "
        "is blowing all over the green, there are rats by the garages now. Cars from the school run park across "
        "my drive every morning and the lollipop lady has given up asking them to move. The streetlight outside "
        "number 14 has been out since October so it is pitch black by half four. On top of that someone has "
        "written 'no more blacks' in marker on the bus shelter by the shop and it is still there a week later. "
        "The park gate is hanging off its hinges and the kids' swings have been taped off for a month. Can someone "
        "please come and look at all of this, we pay our council tax like everyone else. Thanks, resident R."
    )
    [p] = default_model.predict([text])
    assert "race_hate" in p.labels or p.needs_review


def test_model_explains_a_pipeline_whose_preprocessing_gives_no_token_places():
    """A pipeline with a plain preprocessing step (here lowercasing, as the no-spaCy benchmark baseline) still
    gets reasons: its tokens are found in the report as written."""
    import numpy as np

    from benchmarks.peers import no_spacy_pipeline
    from classifier.io.records import read_labelled
    from classifier.model.predictor import TensionModel
    from tests.helpers import CORPUS

    data = read_labelled(CORPUS).subset(range(300))
    labels = data.label_set
    pipeline = no_spacy_pipeline(labels, cv=2, cv_repeats=1).fit(list(data.texts), np.asarray(data.indicator(labels)))
    model = TensionModel(pipeline, {"labels": list(labels)})
    text = "Swastika sprayed on the Synagogue gate overnight, the RABBI is shaken"
    [p] = model.predict([text])
    assert p.labels and all(p.reasons[label] for label in p.labels)
    for label in p.labels:
        assert all(reason.lower() in text.lower() for reason in p.reasons[label])
        assert all(text[start:end] for start, end in p.reason_spans[label])


def test_model_gives_the_words_behind_a_label_under_review_that_was_not_given(model):
    """A reviewer deciding on a label the model nearly gave sees what pushed it, highlighted where it was written."""
    import csv

    from classifier.model.predictor import TensionModel
    from tests.helpers import CORPUS

    with open(CORPUS, encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)][:200]
    wide = TensionModel(model.pipeline, model.metadata, review_band=0.3)
    near_misses = 0
    for text, p in zip(texts, wide.predict(texts), strict=True):
        for label in set(p.review_labels) - set(p.labels):
            near_misses += bool(p.reasons[label])
            assert all(text[start:end] for start, end in p.reason_spans[label])
    assert near_misses > 0


def test_model_refuses_a_dataframe_whose_iteration_gives_its_column_names(model):
    """Reproduction: model.predict(frame) on a 3-row DataFrame returned 2 predictions, one for the string 'id' and
    one for 'text' (a column named 'asylum seekers hotel' got the label immigration)."""

    class Frame:  # what predict sees of a pandas DataFrame: columns, iloc, and iteration over column names
        columns = ["id", "text"]
        iloc = None

        def __iter__(self):
            return iter(self.columns)

    for call in (model.predict, model.predict_proba):
        with pytest.raises(DataError, match=r"got a DataFrame .*column names.*frame\['text'\]\.tolist\(\)"):
            call(Frame())


def test_model_score_shown_stays_on_its_side_of_the_threshold():
    """Reproduction: a misinformation probability of 0.60995 under a threshold of 0.61 was shown as 0.61 with the
    label not given, reading as a score that reaches its threshold."""
    import numpy as np

    from classifier.model.predictor import _shown

    assert _shown(0.60995, 0.61) == 0.6099 and _shown(0.61, 0.61) == 0.61 and _shown(0.612345, 0.61) == 0.6123
    assert _shown(0.3, 0.61) == 0.3 and _shown(0.60994, 0.61) == 0.6099
    for p in np.linspace(0.6, 0.62, 20_001):
        assert (_shown(p, 0.61) >= 0.61) == (p >= 0.61)


@pytest.mark.parametrize("text", [" \u200b \u00ad \ufeff ", "\u200e", "\u2061", "\u200f\u2064 "])
def test_model_text_of_characters_the_preprocessing_drops_is_empty(model, text):
    """Reproduction: ['\u200e'] or ['\u2061'] passed as 'ok' (flagged unfamiliar), while '\u200b \u200b' was
    refused as empty: the emptiness check knew fewer invisible characters than the preprocessing drops."""
    from classifier.model.predictor import STATUS_EMPTY
    from classifier.model.preprocess import visible_text

    assert visible_text(text).strip() == ""
    with pytest.raises(DataError, match="only whitespace or invisible characters"):
        model.predict([text])
    assert model.predict([text], on_invalid="flag")[0].status == STATUS_EMPTY


def test_model_options_take_numpy_numbers_and_a_0_d_array_is_a_single_string(model, trained):
    """Reproduction: predict(texts, top_k=np.int64(3)) was refused ("must be a positive int... Got np.int64(3)"),
    as were max_chars=np.int64(...) and load_model(..., review_band=np.float32(0.2)); predict(np.array('text'))
    ended in a raw TypeError."""
    import numpy as np

    from classifier import load_model

    model_dir = trained.model_dir
    texts = ["Graffiti on the mosque wall telling Muslims to go home.", "The bins were not collected."]
    assert model.predict(texts, top_k=np.int64(3), max_chars=np.int64(5000)) == model.predict(texts, top_k=3)
    assert load_model(model_dir, review_band=np.float32(0.25)).review_band == pytest.approx(0.25)
    with pytest.raises(DataError, match=r"got a single string\. Wrap it"):
        model.predict(np.array("a report about the bins"))


@pytest.mark.parametrize("text", ["Please see attached photo.", "see attached", "see link https://example.org/x",
                                  "<Media omitted>", "[Video]", "Voice note", "[cid:image001.png@01D9A1B2.3C4D5E60]"])
def test_model_a_report_that_only_points_to_an_attachment_or_link_needs_review(model, text):
    """Reproduction: 'Please see attached photo.', 'see link ...', '<Media omitted>' or an Outlook body that is
    only a pasted screenshot got no label and no review flag: the report is in what the model cannot open."""
    from classifier.model.label_names import UNFAMILIAR_REASON

    [prediction] = model.predict([text])
    assert prediction.needs_review and prediction.unfamiliar
    assert "only point to an attachment or a link" in UNFAMILIAR_REASON
    assert not model.predict(["Photo attached of the graffiti on the mosque wall telling Muslims to go home."])[0] \
        .unfamiliar


def test_model_points_elsewhere_reads_lemmas_and_leaves_incident_words():
    """Reproduction: '<Media omitted>' was not flagged with the shipped model (its lemma is 'medium omit'), and
    'Photo of stickers' or 'see attached note' were (stickers and notes are what incidents are about)."""
    from classifier.model.predictor import points_elsewhere

    assert points_elsewhere("medium omit".split()) and points_elsewhere("voice note".split())
    assert not points_elsewhere("photo of the sticker".split()) and not points_elsewhere("note on the door".split())
