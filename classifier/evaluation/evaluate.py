"""Scoring a saved model on a labelled file: the engine behind ``tension evaluate``."""

from __future__ import annotations

import numpy as np

from classifier.errors import DataError
from classifier.evaluation.metrics import (
    count_unknown_labels,
    hard_negative_check,
    label_metrics,
    review_flag_check,
)
from classifier.io.records import read_labelled, text_sha256
from classifier.model.predictor import near_thresholds

#: Review bands whose trade-off (reports flagged against mistakes caught) the evaluation measures, so that a team can
#: choose `tension label --review-band` on its own labelled reports.
REVIEW_BANDS = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40)


def evaluate_model(model, path, *, text_column=None, labels_column="labels", split=None,
                   unseen_only=False) -> dict:
    """Predict every report of a labelled file and score the model's labels.

    Labels in the file that the model does not know are listed (not scored, not an error), and the reports that
    carry one counted (:func:`~classifier.evaluation.metrics.count_unknown_labels`); model labels
    with no example in the file are scored (their recall is 0 by definition) and listed too. ``review_flag``
    says how many mistakes the model's review flag holds; ``review_bands`` the same for each of
    :data:`REVIEW_BANDS`. ``trained_on_rows`` counts the reports of the file (after ``split``) that the model
    trained on, when it recorded them: its figures on those flatter it. ``unseen_only`` leaves them out.

    Raises
    ------
    DataError
        ``unseen_only`` leaves no report.
    """
    data = read_labelled(path, text_column=text_column, labels_column=labels_column)
    if split is not None:
        data = data.only_split(split, f"'{path}'")
    recorded = getattr(getattr(model, "training_rows", None), "trained_on", None)
    trained = [text_sha256(text) in recorded for text in data.texts] if recorded else [False] * len(data)
    if unseen_only and any(trained):
        keep = [i for i, seen in enumerate(trained) if not seen]
        if not keep:
            raise DataError(f"Every report of '{path}' is one the model trained on, so none is left to score it on. "
                            "Score it on reports it never saw: its test split (--split test) or a newer file.")
        data = data.subset(keep)
    labels = model.labels
    proba, unfamiliar = _proba_and_unfamiliar(model, data.texts)
    thresholds = np.asarray([model.thresholds[label] for label in labels])
    Y_pred = (proba >= thresholds).astype(int)
    Y_true = np.asarray(data.indicator(labels))
    in_data = set(data.label_set)
    metrics = label_metrics(Y_true, Y_pred, labels)
    review = review_flag_check(Y_true, Y_pred, near_thresholds(proba, thresholds, model.review_band),
                               model.review_band, unfamiliar, labels=labels)
    count_unknown_labels(metrics, review, Y_true, Y_pred, data.labels, labels)
    return {
        "n_reports": len(data),
        "trained_on_rows": sum(trained),
        "unseen_only": bool(unseen_only),
        "labels": labels,
        "thresholds": model.thresholds,
        "metrics": metrics,
        "hard_negatives": hard_negative_check(data.texts, data.labels, Y_pred),
        "review_flag": review,
        "review_bands": [{**review_flag_check(Y_true, Y_pred, near_thresholds(proba, thresholds, band), band,
                                              unfamiliar, labels=labels),
                          "unknown_label_reports": metrics["unknown_label_reports"]} for band in REVIEW_BANDS],
        "labels_not_in_model": sorted(in_data - set(labels)),
        "labels_not_in_data": sorted(set(labels) - in_data),
        "data": data,
        "proba": proba,
        "Y_true": Y_true,
        "Y_pred": Y_pred,
    }


def trained_on_note(result: dict) -> str:
    """One line on the reports of an evaluation that the model trained on ("" when none was, or none recorded)."""
    n = result["trained_on_rows"]
    if not n:
        return ""
    if result["unseen_only"]:
        return f"left out: {n} report(s) of the file that the model trained on (--unseen-only)"
    return (f"warning: {n} of these {result['n_reports']} reports are ones the model trained on, so these figures "
            "flatter it; add --unseen-only to score it on the others only (or --split test on its own data).")


def _proba_and_unfamiliar(model, texts):
    """The model's probabilities and, per text, whether it knows few of its words (None for a model that cannot
    say), from one pass over the texts when the model can give both."""
    both = getattr(model, "predict_proba_and_unfamiliar", None)
    return (model.predict_proba(texts), None) if both is None else both(texts)
