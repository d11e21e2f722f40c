"""Scoring a saved model on a labelled file: the engine behind ``tension evaluate``."""

from __future__ import annotations

import numpy as np

from classifier.evaluation.metrics import hard_negative_check, label_metrics, review_flag_check
from classifier.io.records import read_labelled
from classifier.model.predictor import near_thresholds

#: Review bands whose trade-off (reports flagged against mistakes caught) the evaluation measures, so that a team can
#: choose `tension label --review-band` on its own labelled reports.
REVIEW_BANDS = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40)


def evaluate_model(model, path, *, text_column=None, labels_column="labels", split=None) -> dict:
    """Predict every report of a labelled file and score the model's labels.

    Labels in the file that the model does not know are listed (not scored, not an error); model labels
    with no example in the file are scored (their recall is 0 by definition) and listed too. ``review_flag``
    says how many mistakes the model's review flag holds; ``review_bands`` the same for each of
    :data:`REVIEW_BANDS`.
    """
    data = read_labelled(path, text_column=text_column, labels_column=labels_column)
    if split is not None:
        data = data.only_split(split, f"'{path}'")
    labels = model.labels
    proba, unfamiliar = _proba_and_unfamiliar(model, data.texts)
    thresholds = np.asarray([model.thresholds[label] for label in labels])
    Y_pred = (proba >= thresholds).astype(int)
    Y_true = np.asarray(data.indicator(labels))
    in_data = set(data.label_set)
    return {
        "n_reports": len(data),
        "labels": labels,
        "thresholds": model.thresholds,
        "metrics": label_metrics(Y_true, Y_pred, labels),
        "hard_negatives": hard_negative_check(data.texts, data.labels, Y_pred),
        "review_flag": review_flag_check(Y_true, Y_pred, near_thresholds(proba, thresholds, model.review_band),
                                         model.review_band, unfamiliar),
        "review_bands": [review_flag_check(Y_true, Y_pred, near_thresholds(proba, thresholds, band), band, unfamiliar)
                         for band in REVIEW_BANDS],
        "labels_not_in_model": sorted(in_data - set(labels)),
        "labels_not_in_data": sorted(set(labels) - in_data),
        "data": data,
        "proba": proba,
        "Y_true": Y_true,
        "Y_pred": Y_pred,
    }


def _proba_and_unfamiliar(model, texts):
    """The model's probabilities and, per text, whether it knows few of its words (None for a model that cannot
    say), from one pass over the texts when the model can give both."""
    both = getattr(model, "predict_proba_and_unfamiliar", None)
    return (model.predict_proba(texts), None) if both is None else both(texts)
