"""Choosing which unlabelled reports to label next: the engine behind ``tension suggest``.

Uncertainty sampling near the per-label thresholds, spread out: reports are taken in order of how close
one of their scores lies to that label's threshold, skipping any report whose TF-IDF cosine similarity to
one already picked exceeds ``max_similarity``, so a batch of near-identical reports is labelled once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifier.errors import ConfigError, DataError
from classifier.io.columns import (
    LABELS_COLUMN,
    SUGGEST_COLUMNS,
    TEXT_COLUMNS,
    model_column,
    row_number,
    score_column,
)
from classifier.training.validate import NEAR_DUPLICATE_COSINE

RANK_COLUMN, UNCERTAINTY_COLUMN, WHY_COLUMN, SOURCE_COLUMN = SUGGEST_COLUMNS
MODEL_LABELS_COLUMN = model_column(LABELS_COLUMN)


def uncertainty(proba, thresholds) -> np.ndarray:
    """Per report and label, 1 at the threshold falling to 0 at a score of 0 or 1.

    The distance to the threshold is divided by the room on that side of it, so a label whose threshold is
    0.2 is as uncertain at 0.1 as one whose threshold is 0.6 is at 0.3.
    """
    proba = np.asarray(proba, dtype=float)
    thresholds = np.asarray(thresholds, dtype=float)
    room = np.where(proba >= thresholds, 1 - thresholds, thresholds)
    return 1 - np.abs(proba - thresholds) / np.maximum(room, 1e-9)


def suggest_for_labelling(model, unlabelled_path, n, *, text_column=None, out=None,
                          max_similarity=NEAR_DUPLICATE_COSINE, sheet=None, counts: dict | None = None) -> list[dict]:
    """The ``n`` reports of an unlabelled file whose labels would teach ``model`` most.

    Parameters
    ----------
    model : TensionModel or path or None
        A loaded model, a model folder or name, or ``None`` for the default model.
    unlabelled_path : path
        CSV, TSV, XLSX or JSONL with a text column. A ``labels`` column, if present, marks rows that are
        already labelled (non-empty cell): they are skipped.
    n : int
        How many reports to pick (fewer when the file has fewer distinct reports).
    out : path, optional
        Write the picked rows here, ready to label: the original columns, an empty ``labels`` column, then
        the rank, uncertainty, why each was picked, the model's labels and its score per label.
    max_similarity : float
        Two picked reports never have a TF-IDF cosine similarity above this.

    Returns
    -------
    list of dict, the output rows, most useful first.

    Raises
    ------
    DataError
        Missing file or text column, or no report with text.
    ConfigError
        ``n`` or ``max_similarity`` out of range.
    """
    from classifier.io.tables import TableReader, find_column
    from classifier.model.predictor import TensionModel, load_model

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"'n' (how many reports to suggest) must be a whole number >= 1. Got {n!r}.")
    if not 0 < max_similarity <= 1:
        raise ConfigError(f"'max_similarity' must be in (0, 1]. Got {max_similarity!r}.")
    if not isinstance(model, TensionModel):
        model = load_model(model)
    path = Path(unlabelled_path)
    if not path.is_file():
        raise DataError(f"Unlabelled file '{path}' does not exist. Check the path.")
    with TableReader(path, sheet=sheet) as reader:
        columns = list(reader.columns)
        text_col = find_column(columns, TEXT_COLUMNS, given=text_column, purpose="text", path=path,
                               sheet=reader.sheet_title)
        labels_col = next((c for c in columns if c.strip().casefold() == LABELS_COLUMN), None)
        rows, numbers = [], []
        skipped = {"labelled": 0, "empty": 0}
        for index, row in enumerate(row for chunk in reader.iter_chunks() for row in chunk):
            if not (row.get(text_col) or "").strip():
                skipped["empty"] += 1
            elif labels_col and (row.get(labels_col) or "").strip():
                skipped["labelled"] += 1
            else:
                rows.append(row)
                numbers.append(row_number(index))
    if counts is not None:  # for the caller's message: why fewer than n came back
        counts.update(candidates=len(rows), **skipped)
    if not rows:
        raise DataError(
            f"'{path}' has no unlabelled report with text in column '{text_col}'. Check the file and the column."
        )
    labels = model.labels
    extra = [*SUGGEST_COLUMNS, MODEL_LABELS_COLUMN]
    extra += [model_column(score_column(label)) for label in labels]
    clash = [column for column in extra if column in columns]
    if clash:
        raise DataError(f"'{path}' already has column(s) {clash}, which suggest writes; rename them first.")
    texts = [row[text_col] for row in rows]
    proba = model.predict_proba(texts)
    thresholds = np.asarray([model.thresholds[label] for label in labels])
    closeness = uncertainty(proba, thresholds)
    best_label = closeness.argmax(axis=1)
    score = closeness.max(axis=1)
    picked = _pick_diverse(texts, np.argsort(-score, kind="stable"), n, max_similarity)

    out_columns = [c for c in columns if c != labels_col] + [LABELS_COLUMN] + extra
    result = []
    for rank, i in enumerate(picked, 1):
        j = best_label[i]
        row = {c: rows[i].get(c, "") for c in columns if c != labels_col}
        row[LABELS_COLUMN] = ""
        row[RANK_COLUMN] = rank
        row[UNCERTAINTY_COLUMN] = round(float(score[i]), 4)
        row[WHY_COLUMN] = f"'{labels[j]}' score {proba[i, j]:.2f} is near its threshold {thresholds[j]:.2f}"
        row[SOURCE_COLUMN] = numbers[i]
        row[MODEL_LABELS_COLUMN] = ";".join(label for k, label in enumerate(labels) if proba[i, k] >= thresholds[k])
        row.update({model_column(score_column(label)): round(float(proba[i, k]), 4) for k, label in enumerate(labels)})
        result.append(row)
    if out is not None:
        from classifier.io.tables import AtomicTableWriter

        with AtomicTableWriter(out, out_columns) as writer:
            writer.write_rows(result)
    return result


def _pick_diverse(texts, order, n, max_similarity) -> list[int]:
    """Greedy: walk ``order`` and keep an item unless it is too similar to one already kept."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        matrix = TfidfVectorizer().fit_transform(texts)
    except ValueError:  # no word at all in any text (e.g. only digits or punctuation)
        return [int(i) for i in order[:n]]
    picked: list[int] = []
    for i in order:
        if len(picked) == n:
            break
        if picked:
            # Rows of a TfidfVectorizer matrix are L2-normalised, so the dot product is the cosine.
            similarity = (matrix[picked] @ matrix[i].T).toarray().ravel()
            if similarity.max() > max_similarity:
                continue
        picked.append(int(i))
    return picked
