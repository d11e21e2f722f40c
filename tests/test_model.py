import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier import predict
from classifier.errors import ConfigError, DataError
from classifier.model import STATUS_EMPTY, STATUS_NOT_TEXT, Prediction


def test_model_predict_returns_one_prediction_per_text_in_order(model):
    texts = [
        "Leaflets through every door saying asylum seekers at the Priory Hotel get free houses and cars",
        "bins not collected on hawthorn rise for three weeks",
        "Swastika sprayed on the synagogue gate overnight",
    ]
    out = model.predict(texts)
    assert [type(p) for p in out] == [Prediction] * 3
    assert {"immigration", "misinformation"} <= set(out[0].labels)
    assert out[1].labels == ()
    assert "religious_hate" in out[2].labels
    for p in out:
        assert set(p.scores) == set(model.labels)
        assert all(0.0 <= s <= 1.0 for s in p.scores.values())
        assert set(p.reasons) == set(p.labels)


def test_model_reasons_are_terms_of_the_report(model):
    [p] = model.predict(["Swastika sprayed on the synagogue gate overnight"])
    terms = p.reasons["religious_hate"]
    assert 1 <= len(terms) <= 5
    assert any("synagogue" in t or "swastika" in t for t in terms)


def test_model_mosque_mentioned_neutrally_is_not_religious_hate(model):
    [p] = model.predict(["Cars parked on both pavements outside the mosque at Friday prayers again, "
                         "buggies can't get past. Can a warden come round at 1pm?"])
    assert "religious_hate" not in p.labels


def test_model_needs_review_follows_band(model):
    texts = ["Leaflets saying asylum seekers get free houses", "noisy party next door"]
    wide = type(model)(model.pipeline, model.metadata, review_band=0.99).predict(texts)
    none = type(model)(model.pipeline, model.metadata, review_band=0.0).predict(texts)
    assert all(p.needs_review for p in wide)
    assert not any(p.needs_review for p in none)


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
        assert p.status == ("ok" if text.strip() else STATUS_EMPTY)
