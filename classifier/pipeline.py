"""The whole model as one scikit-learn Pipeline: spaCy preprocessing → TF-IDF features → classifier."""

from __future__ import annotations

from sklearn.pipeline import Pipeline

from classifier.estimator import CalibratedLinearMultiLabel
from classifier.features import build_features
from classifier.preprocess import BLANK_PIPELINE, SpacyPreprocessor

PREPROCESS = "preprocess"
FEATURES = "features"
CLASSIFIER = "classifier"


#: Defaults chosen by 4-fold CV on the bundled corpus's train split (docs/model_choices.md has the figures).
DEFAULT_C = 15.0
#: Smoothing of the naive-Bayes log-count ratios that scale each label's features (NB-LR).
DEFAULT_NB_ALPHA = 1.0
#: Repeats of the 5-fold out-of-fold scoring behind calibration and thresholds (steadier thresholds).
DEFAULT_CV_REPEATS = 3


def build_pipeline(labels, *, spacy_pipeline=BLANK_PIPELINE, C=None, cv=5, seed=0, min_df=2,
                   remove_stop_words=False, nb_alpha=DEFAULT_NB_ALPHA, cv_repeats=DEFAULT_CV_REPEATS) -> Pipeline:
    """Return an unfitted pipeline whose ``fit(texts, Y)`` takes raw texts and a label indicator matrix.

    ``C=None`` means :data:`DEFAULT_C`; ``nb_alpha=None`` turns the NB scaling off (plain logistic
    regressions). Fit it with ``classifier__sample_weight`` from
    :func:`classifier.training.hard_negative_weights`, as :func:`classifier.training.fit_pipeline` does.
    """
    C = DEFAULT_C if C is None else C
    return Pipeline(
        [
            (PREPROCESS, SpacyPreprocessor(pipeline=spacy_pipeline, remove_stop_words=remove_stop_words)),
            (FEATURES, build_features(min_df=min_df)),
            (CLASSIFIER, CalibratedLinearMultiLabel(C=C, cv=cv, random_state=seed, labels=list(labels),
                                                    nb_alpha=nb_alpha, cv_repeats=cv_repeats)),
        ]
    )
