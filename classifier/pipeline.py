"""The whole model as one scikit-learn Pipeline: spaCy preprocessing → TF-IDF features → classifier."""

from __future__ import annotations

from sklearn.pipeline import Pipeline

from classifier.estimator import CalibratedLinearMultiLabel
from classifier.features import build_features
from classifier.preprocess import BLANK_PIPELINE, SpacyPreprocessor

PREPROCESS = "preprocess"
FEATURES = "features"
CLASSIFIER = "classifier"


def build_pipeline(labels, *, spacy_pipeline=BLANK_PIPELINE, C=4.0, cv=5, seed=0, min_df=2) -> Pipeline:
    """Return an unfitted pipeline whose ``fit(texts, Y)`` takes raw texts and a label indicator matrix."""
    return Pipeline(
        [
            (PREPROCESS, SpacyPreprocessor(pipeline=spacy_pipeline)),
            (FEATURES, build_features(min_df=min_df)),
            (CLASSIFIER, CalibratedLinearMultiLabel(C=C, cv=cv, random_state=seed, labels=list(labels))),
        ]
    )
