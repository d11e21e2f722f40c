"""Tests for classifier.model.pipeline: the whole model as one scikit-learn pipeline, passages included."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from classifier.model.pipeline import (
    CLASSIFIER,
    DEFAULT_C,
    FEATURES,
    PREPROCESS,
    build_pipeline,
    pipeline_features,
)

HOSTILE = ["they should all go back home now", "go back home you are not welcome here",
           "not welcome here go back where you came from", "send them all back home tonight"]
CALM = ["the bins were not collected this week", "the street lights are broken again",
        "potholes on the high street need fixing", "the park gates were locked early"]
LONG = " ".join(["the meeting discussed the parking plans for the new school in detail"] * 8) + \
    " and they should all go back home"


@pytest.fixture(scope="module")
def fitted():
    texts = [f"{text} {n}" for n in range(3) for text in HOSTILE + CALM] + [LONG]
    Y = np.array([[int(text.split()[0] in {"they", "go", "not", "send"})] for text in texts[:-1]] + [[1]])
    return build_pipeline(["hostile"], cv=2, cv_repeats=1, min_df=1).fit(texts, Y), texts, Y


def test_pipeline_steps_and_defaults():
    pipeline = build_pipeline(["a", "b"])
    assert [name for name, _ in pipeline.steps] == [PREPROCESS, FEATURES, CLASSIFIER]
    estimator = pipeline.named_steps[CLASSIFIER]
    assert estimator.C == DEFAULT_C and estimator.labels == ["a", "b"] and estimator.nb_alpha is None


def test_pipeline_clones_unfitted_with_the_same_parameters():
    pipeline = build_pipeline(["a"], C=2.0, seed=7, passages=False)
    copy = clone(pipeline)
    assert copy.get_params()["classifier__C"] == 2.0 and copy.get_params()["classifier__random_state"] == 7
    assert copy.passages is False


def test_pipeline_predicts_the_labels_at_or_above_their_threshold(fitted):
    pipeline, texts, Y = fitted
    proba = pipeline.predict_proba(texts)
    thresholds = pipeline.named_steps[CLASSIFIER].thresholds_
    np.testing.assert_array_equal(pipeline.predict(texts), (proba >= thresholds).astype(int))
    assert (pipeline.predict(texts[:4]) == 1).all() and (pipeline.predict(texts[4:8]) == 0).all()


def test_pipeline_long_reports_have_passages_and_short_ones_none(fitted):
    pipeline, texts, Y = fitted
    processed = pipeline.named_steps[PREPROCESS].transform([texts[0], LONG])
    _, (X_passages, owner) = pipeline_features(pipeline, processed)
    assert X_passages.shape[0] == len(owner) > 1 and set(owner.tolist()) == {1}
    without = build_pipeline(["hostile"], cv=2, cv_repeats=1, min_df=1, passages=False).fit(texts, Y)
    assert pipeline_features(without, processed)[1] is None


def test_pipeline_fit_parameters_must_name_a_step():
    with pytest.raises(TypeError, match="<step>__<param>.*'sample_weight'"):
        build_pipeline(["a"]).fit(["x"], np.array([[1]]), sample_weight=[1.0])


def test_pipeline_counted_token_by_token_fits_and_predicts_as_a_plain_feature_union(fitted):
    from sklearn.pipeline import FeatureUnion

    pipeline, texts, Y = fitted
    plain = build_pipeline(["hostile"], cv=2, cv_repeats=1, min_df=1)
    plain.steps[1] = (FEATURES, FeatureUnion(plain.named_steps[FEATURES].transformer_list))
    plain.fit(texts, Y)
    ours, reference = pipeline.named_steps[CLASSIFIER], plain.named_steps[CLASSIFIER]
    np.testing.assert_array_equal(ours.coef_, reference.coef_)
    np.testing.assert_array_equal(ours.thresholds_, reference.thresholds_)
    np.testing.assert_array_equal(pipeline.predict_proba(texts), plain.predict_proba(texts))
    processed = pipeline.named_steps[PREPROCESS].transform(texts)
    X, (X_passages, owner) = pipeline_features(pipeline, processed)
    X_plain, (X_passages_plain, owner_plain) = pipeline_features(plain, processed)
    assert (X != X_plain).nnz == 0 and (X_passages != X_passages_plain).nnz == 0
    np.testing.assert_array_equal(owner, owner_plain)
    assert pipeline_features(build_pipeline(["a"], passages=False).fit(texts, Y[:, 0]), processed)[1] is None


def test_pipeline_score_and_scorers_see_what_predict_sees(trained):
    """Reproduction: pipe.score(X, Y) gave 0.8106 against accuracy_score(Y, pipe.predict(X)) 0.8471, and the
    roc_auc scorer ranked by the classifier's whole-text decision values: scikit-learn's Pipeline.score and
    decision_function skipped the passages and the second stage, so cross_val_score and GridSearchCV with the
    default or a ranking scorer measured another model than the one that predicts."""
    from sklearn.metrics import accuracy_score, get_scorer, roc_auc_score

    from classifier.io.records import read_labelled
    from tests.helpers import CORPUS

    pipeline = trained.model.pipeline
    data = read_labelled(CORPUS).only_split("test")
    texts = data.texts[:400]
    Y = np.asarray(data.indicator(trained.model.labels))[:400]
    assert pipeline.score(texts, Y) == accuracy_score(Y, pipeline.predict(texts))
    proba = pipeline.predict_proba(texts)
    assert np.array_equal(np.argsort(pipeline.decision_function(texts), axis=0, kind="stable"),
                          np.argsort(proba, axis=0, kind="stable"))
    assert get_scorer("roc_auc")(pipeline, texts, Y) == pytest.approx(roc_auc_score(Y, proba), abs=1e-9)
