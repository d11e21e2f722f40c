"""Finding likely label mistakes in a labelled file: the engine behind ``tension audit``.

Three kinds of suspect row:

- **rare label**: a label with fewer than ``min_examples`` reports (often a typo); training refuses such a
  label, so these come first.
- **model disagrees**: confident learning on out-of-fold predictions. For each label, the per-label
  confidence thresholds are the mean out-of-fold probability of the reports given the label
  (``t_pos``) and the mean probability of *not* the label over the reports without it (``t_neg``). A
  report given the label whose probability of not having it reaches ``t_neg``, or a report without the label
  whose probability reaches ``t_pos``, is a likely error for that label (when both thresholds are reached,
  the likelier of the two decides, as in confident learning's confident joint). Its strength says how far
  past that threshold the contrary probability lies (0.5 at the threshold, 1.0 at certainty).
- **near-duplicate**: two reports whose TF-IDF cosine similarity exceeds 0.8 but whose labels differ.

Each row appears once, with all its reasons; rows are ranked by their strongest reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

import numpy as np

from classifier.errors import ConfigError, DataError
from classifier.io.columns import AUDIT_COLUMNS, model_column, score_column
from classifier.io.records import read_labelled
from classifier.training.validate import NEAR_DUPLICATE_COSINE, near_duplicate_pairs

REASON_RARE = "rare label"
REASON_MODEL = "model disagrees"
REASON_NEAR_DUPLICATE = "near-duplicate with different labels"


@dataclass
class Suspect:
    """One row of a labelled file whose labels look wrong, and why.

    ``strength`` (0.5-1) orders suspects: 1.0 for a rare label, how far the out-of-fold probability lies
    past the label's confident threshold for a disagreement, the cosine similarity for a near-duplicate.
    ``scores`` are the calibrated out-of-fold probabilities of the labels that could be modelled, and
    ``suggested`` the labels whose out-of-fold probability reaches the model's threshold.
    """

    index: int
    id: str
    source: str
    given: tuple[str, ...]
    suggested: tuple[str, ...]
    scores: dict[str, float]
    reasons: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    strength: float = 0.0
    rank: int = 0

    def add(self, reason: str, detail: str, strength: float) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)
        self.details.append(detail)
        self.strength = max(self.strength, float(strength))

    def to_row(self, text: str) -> dict:
        """The CSV row for this suspect (``text`` is the report, which the suspect does not keep)."""
        row = {
            "rank": self.rank, "id": self.id, "source": self.source, "reasons": "; ".join(self.reasons),
            "strength": round(self.strength, 4), "given_labels": ";".join(self.given),
            "suggested_labels": ";".join(self.suggested), "detail": " | ".join(self.details), "text": text,
        }
        row.update({model_column(score_column(label)): round(p, 4) for label, p in self.scores.items()})
        return row


@dataclass
class AuditResult:
    """Everything :func:`audit` found: ranked suspects, per-label counts and what the model could not cover."""

    suspects: list[Suspect]
    n_reports: int
    label_counts: dict[str, int]
    rare_labels: dict[str, int]
    unmodelled_labels: list[str]
    confident_thresholds: dict[str, dict[str, float]]
    out_path: Path | None = None

    def reason_counts(self) -> dict[str, int]:
        counts = {REASON_RARE: 0, REASON_MODEL: 0, REASON_NEAR_DUPLICATE: 0}
        for suspect in self.suspects:
            for reason in suspect.reasons:
                counts[reason] += 1
        return counts


def audit_labels(data_path, *, seed=0, out=None, text_column=None, labels_column="labels", min_examples=10,
                 near_duplicate_threshold=NEAR_DUPLICATE_COSINE, cv=5, spacy_pipeline="blank:en",
                 C=None) -> list[Suspect]:
    """Rank the rows of a labelled file whose labels are likely wrong; see :func:`audit` for the details.

    Returns
    -------
    list of Suspect, strongest first (``rank`` 1, 2, ...).
    """
    return audit(
        data_path, seed=seed, out=out, text_column=text_column, labels_column=labels_column,
        min_examples=min_examples, near_duplicate_threshold=near_duplicate_threshold, cv=cv,
        spacy_pipeline=spacy_pipeline, C=C,
    ).suspects


def audit(data_path, *, seed=0, out=None, text_column=None, labels_column="labels", min_examples=10,
          near_duplicate_threshold=NEAR_DUPLICATE_COSINE, cv=5, spacy_pipeline="blank:en",
          C=None) -> AuditResult:
    """Audit a labelled file with a cross-validated model, near-duplicate search and label counts.

    Parameters
    ----------
    data_path : path
        Labelled CSV, TSV, XLSX or JSONL (every row is used; the ``split`` column is ignored).
    seed : int
        Seed of the cross-validation folds.
    out : path, optional
        Write the ranked suspects here (CSV, TSV, XLSX or JSONL, atomically).
    min_examples : int
        A label with fewer reports than this is a rare label.
    near_duplicate_threshold : float
        TF-IDF cosine similarity above which two reports count as near-duplicates.
    cv : int
        Cross-validation folds; a label needs ``cv`` reports with it and ``cv`` without to be modelled.

    Raises
    ------
    DataError
        Unreadable file or bad rows (see :func:`classifier.io.records.read_labelled`).
    ConfigError
        A parameter out of range.
    """
    if not isinstance(min_examples, int) or min_examples < 1:
        raise ConfigError(f"'min_examples' must be an int >= 1. Got {min_examples!r}.")
    if not 0 < near_duplicate_threshold < 1:
        raise ConfigError(f"'near_duplicate_threshold' must be between 0 and 1. Got {near_duplicate_threshold!r}.")
    if not isinstance(cv, int) or cv < 2:
        raise ConfigError(f"'cv' must be an int >= 2. Got {cv!r}.")
    data = read_labelled(data_path, text_column=text_column, labels_column=labels_column)
    counts = {label: sum(label in row for row in data.labels) for label in data.label_set}
    modelled = [label for label, n in counts.items() if n >= cv and len(data) - n >= cv]
    proba, thresholds = _out_of_fold(data, modelled, seed=seed, cv=cv, spacy_pipeline=spacy_pipeline, C=C)
    suspects: dict[int, Suspect] = {}

    def suspect(i: int) -> Suspect:
        if i not in suspects:
            scores = {label: float(proba[i, j]) for j, label in enumerate(modelled)}
            suggested = tuple(label for j, label in enumerate(modelled) if proba[i, j] >= thresholds[j])
            suspects[i] = Suspect(i, data.ids[i], data.sources[i], data.labels[i], suggested, scores)
        return suspects[i]

    rare = {label: n for label, n in counts.items() if n < min_examples}
    for label, n in rare.items():
        common = [other for other in counts if other not in rare]
        match = get_close_matches(label, common, n=1)
        hint = f"; a typo for '{match[0]}'?" if match else "; label more reports or merge it into another label"
        for i, labels in enumerate(data.labels):
            if label in labels:
                suspect(i).add(REASON_RARE, f"'{label}' has only {n} report(s), fewer than {min_examples}{hint}", 1.0)

    confident = {}
    if modelled:
        Y = np.asarray(data.indicator(modelled), dtype=bool)
        for j, label in enumerate(modelled):
            p, y = proba[:, j], Y[:, j]
            t_pos, t_neg = float(p[y].mean()), float((1 - p[~y]).mean())
            confident[label] = {"positive": round(t_pos, 4), "negative": round(t_neg, 4)}
            sure_yes, sure_no = p >= t_pos, 1 - p >= t_neg
            looks_no = sure_no & (~sure_yes | (p < 0.5))
            looks_yes = sure_yes & (~sure_no | (p > 0.5))
            for i in np.flatnonzero(y & looks_no):
                suspect(int(i)).add(
                    REASON_MODEL,
                    f"given '{label}' but its out-of-fold score is {p[i]:.2f} (reports without it average "
                    f"{1 - t_neg:.2f}, with it {t_pos:.2f})",
                    _beyond(1 - p[i], t_neg),
                )
            for i in np.flatnonzero(~y & looks_yes):
                suspect(int(i)).add(
                    REASON_MODEL,
                    f"not given '{label}' but its out-of-fold score is {p[i]:.2f} (reports with it average "
                    f"{t_pos:.2f})",
                    _beyond(p[i], t_pos),
                )

    for i, j, cosine in near_duplicate_pairs(data.texts, near_duplicate_threshold):
        if data.labels[i] == data.labels[j]:
            continue
        for a, b in ((i, j), (j, i)):
            suspect(a).add(
                REASON_NEAR_DUPLICATE,
                f"{cosine:.2f} similar to {data.sources[b]} labelled {list(data.labels[b]) or 'no label'}",
                cosine,
            )

    ranked = sorted(suspects.values(), key=lambda s: (-s.strength, s.index))
    for rank, item in enumerate(ranked, 1):
        item.rank = rank
    result = AuditResult(ranked, len(data), counts, rare, sorted(set(counts) - set(modelled)), confident)
    if out is not None:
        result.out_path = write_audit(result, data.texts, modelled, out)
    return result


def _beyond(confidence, threshold) -> float:
    """How far past its label's confident threshold a contrary probability lies, on a 0.5-1 scale.

    Raw probabilities would rank every "given but improbable" row above every "probable but missing" one,
    because calibrated probabilities of absent labels sit much nearer 0 than those of present labels sit
    to 1; measuring from each label's own threshold puts both directions, and all labels, on one scale.
    """
    return 0.5 + 0.5 * (confidence - threshold) / max(1 - threshold, 1e-9)


def write_audit(result: AuditResult, texts, labels, out) -> Path:
    """Write the ranked suspects to ``out`` atomically, one column of out-of-fold scores per label."""
    from classifier.io.tables import AtomicTableWriter

    columns = [*AUDIT_COLUMNS, *(model_column(score_column(label)) for label in labels)]
    with AtomicTableWriter(out, columns) as writer:
        writer.write_rows(suspect.to_row(texts[suspect.index]) for suspect in result.suspects)
    return Path(out)


def _out_of_fold(data, labels, *, seed, cv, spacy_pipeline, C):
    """Calibrated out-of-fold probabilities and the model's thresholds for ``labels`` on every row."""
    if not labels:
        return np.zeros((len(data), 0)), np.zeros(0)
    from classifier.model.pipeline import CLASSIFIER, build_pipeline

    # Features are fitted on the whole file (vocabulary only, no labels), the classifiers per fold.
    pipeline = build_pipeline(labels, spacy_pipeline=spacy_pipeline, C=C, cv=cv, seed=seed)
    try:
        # Unweighted on purpose: up-weighting no-label reports that mention identity terms (as training does)
        # would entrench exactly the "label missing" mistakes an audit is meant to find.
        pipeline.fit(data.texts, np.asarray(data.indicator(labels)))
    except ValueError as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(
            f"Could not cross-validate a model on {len(data)} reports ({exc}). Audit a larger file."
        ) from exc
    estimator = pipeline.named_steps[CLASSIFIER]
    return estimator.oof_proba_, estimator.thresholds_
