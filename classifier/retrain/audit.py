"""Finding likely label mistakes in a labelled file: the engine behind ``tension audit``.

Three kinds of suspect row:

- **rare label**: a label with fewer than ``min_examples`` reports (often a typo); training refuses such a
  label, so these come first.
- **model disagrees**: confident learning (Northcutt et al., 2021, as in cleanlab) on out-of-fold
  probabilities. For each label, the confident thresholds are the mean out-of-fold probability of the reports
  given the label (``t_pos``) and the mean probability of *not* the label over the reports without it
  (``t_neg``). A report given the label whose probability of not having it reaches ``t_neg``, or a report
  without the label whose probability reaches ``t_pos``, is a likely error for that label (when both thresholds
  are reached, the likelier of the two decides, as in the confident joint). Each such label's strength says how
  far past its threshold the contrary probability lies, from 0 at the threshold to 1 at certainty, which puts
  both directions and every label on one scale (raw probabilities would rank every "given but improbable" label
  above every "probable but missing" one, because probabilities of absent labels sit much nearer 0 than those
  of present labels sit to 1). A row's strength combines its labels' as the chance that at least one is wrong
  (one minus the product of their complements), mapped to 0.5-1, so a report stripped of two labels ranks above
  one missing a single label the model is as sure about.
- **near-duplicate**: two reports whose TF-IDF cosine similarity exceeds 0.8 but whose labels differ.

Each row appears once, with all its reasons; rows are ranked by their strongest reason.

Asked about one label (``label=``), the audit models that label alone and lists only the rows whose given answer
for it looks wrong (near-duplicates that differ on it; the label itself if it is rare): one list per label to
read, on which more of that label's mistakes come near the top than on the list of every label, where each
label's genuine hard cases crowd the others' mistakes out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier.errors import ConfigError, DataError
from classifier.io.columns import AUDIT_COLUMNS, model_column, score_column
from classifier.io.progress import tell
from classifier.io.records import read_labelled
from classifier.model.label_names import likely_typo
from classifier.training.validate import NEAR_DUPLICATE_COSINE, near_duplicate_pairs

REASON_RARE = "rare label"
REASON_MODEL = "model disagrees"
REASON_NEAR_DUPLICATE = "near-duplicate with different labels"


@dataclass
class Suspect:
    """One row of a labelled file whose labels look wrong, and why.

    ``strength`` (0.5-1) orders suspects: 1.0 for a rare label, how far past their confident thresholds the
    out-of-fold probabilities of its doubtful labels lie for a disagreement (see the module docstring), the
    cosine similarity for a near-duplicate.
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
    #: The model's decision threshold of each modelled label (its out-of-fold scores are compared with them).
    thresholds: dict[str, float] = field(default_factory=dict)
    #: The audited reports' texts, by row (``Suspect.index``); kept in memory only, never written but to `out`.
    texts: list[str] = field(default_factory=list, repr=False)
    #: The one label audited, or None for all of them.
    label: str | None = None

    def reason_counts(self) -> dict[str, int]:
        counts = {REASON_RARE: 0, REASON_MODEL: 0, REASON_NEAR_DUPLICATE: 0}
        for suspect in self.suspects:
            for reason in suspect.reasons:
                counts[reason] += 1
        return counts


def audit_labels(data_path, *, seed=0, out=None, text_column=None, labels_column="labels", min_examples=10,
                 near_duplicate_threshold=NEAR_DUPLICATE_COSINE, cv=5, spacy_pipeline="blank:en",
                 C=None, label=None) -> list[Suspect]:
    """Rank the rows of a labelled file whose labels are likely wrong; see :func:`audit` for the details.

    Returns
    -------
    list of Suspect, strongest first (``rank`` 1, 2, ...).
    """
    return audit(
        data_path, seed=seed, out=out, text_column=text_column, labels_column=labels_column,
        min_examples=min_examples, near_duplicate_threshold=near_duplicate_threshold, cv=cv,
        spacy_pipeline=spacy_pipeline, C=C, label=label,
    ).suspects


def audit(data_path, *, seed=0, out=None, text_column=None, labels_column="labels", min_examples=10,
          near_duplicate_threshold=NEAR_DUPLICATE_COSINE, cv=5, spacy_pipeline="blank:en",
          C=None, label=None, progress=None) -> AuditResult:
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
    label : str, optional
        Audit this label only: model it alone (faster) and list only the rows whose answer for it looks wrong.
    progress : callable, optional
        Called with a line naming each stage (never report text).

    Raises
    ------
    DataError
        Unreadable file or bad rows (see :func:`classifier.io.records.read_labelled`).
    ConfigError
        A parameter out of range, or a ``label`` that no row of the file carries.
    """
    if not isinstance(min_examples, int) or min_examples < 1:
        raise ConfigError(f"'min_examples' must be an int >= 1. Got {min_examples!r}.")
    if not 0 < near_duplicate_threshold < 1:
        raise ConfigError(f"'near_duplicate_threshold' must be between 0 and 1. Got {near_duplicate_threshold!r}.")
    if not isinstance(cv, int) or cv < 2:
        raise ConfigError(f"'cv' must be an int >= 2. Got {cv!r}.")
    data = read_labelled(data_path, text_column=text_column, labels_column=labels_column)
    counts = data.label_counts()
    if label is not None and label not in counts:
        match = likely_typo(label, counts)
        raise ConfigError(
            f"No report of {data_path} carries the label '{label}', so it cannot be audited alone. The file's labels: "
            f"{', '.join(counts) or 'none'}" + (f"; did you mean '{match}'?" if match else ".")
        )
    only = f", '{label}' only" if label is not None else ""
    tell(progress, f"read {len(data)} reports; scoring each with models that never saw it ({cv} folds{only})")
    modelled = [name for name, n in counts.items() if n >= cv and len(data) - n >= cv and label in (None, name)]
    proba, thresholds = _out_of_fold(data, modelled, seed=seed, cv=cv, spacy_pipeline=spacy_pipeline, C=C)
    tell(progress, "looking for near-duplicates with different labels")
    pairs = near_duplicate_pairs(data.texts, near_duplicate_threshold)
    tell(progress, "ranking the reports the model disagrees with")
    ranked, confident = rank_suspects(data, modelled, proba, thresholds, pairs=pairs, min_examples=min_examples,
                                      label=label)
    rare = {name: n for name, n in counts.items() if n < min_examples}
    unmodelled = sorted({name for name in counts if label in (None, name)} - set(modelled))
    result = AuditResult(ranked, len(data), counts, rare, unmodelled, confident,
                         thresholds={name: float(thresholds[j]) for j, name in enumerate(modelled)},
                         texts=list(data.texts), label=label)
    if out is not None:
        tell(progress, f"writing {len(ranked)} suspect row(s)")
        result.out_path = write_audit(result, data.texts, modelled, out)
    return result


def rank_suspects(data, modelled, proba, thresholds, *, pairs=(), min_examples=10, label=None):
    """Rank the rows of ``data`` whose labels look wrong, given out-of-fold scores computed elsewhere.

    Parameters
    ----------
    data : LabelledData
        The reports and the labels to audit.
    modelled : list of str
        The labels the columns of ``proba`` and ``thresholds`` belong to.
    proba, thresholds : arrays of shape (n_reports, len(modelled)) and (len(modelled),)
        Out-of-fold probabilities and the model's decision thresholds.
    pairs : list of (i, j, cosine)
        Near-duplicate pairs (:func:`classifier.training.validate.near_duplicate_pairs`).
    min_examples : int
        A label with fewer reports than this is a rare label.
    label : str, optional
        Only this label's doubts: its disagreements (their strength is that label's alone), near-duplicates that
        differ on it, and the label itself if it is rare.

    Returns
    -------
    suspects : list of Suspect, strongest first (``rank`` 1, 2, ...)
    confident : dict
        Each modelled label's confident thresholds, ``{"positive": t_pos, "negative": t_neg}``.
    """
    suspects: dict[int, Suspect] = {}

    def suspect(i: int) -> Suspect:
        if i not in suspects:
            scores = {label: float(proba[i, j]) for j, label in enumerate(modelled)}
            suggested = tuple(label for j, label in enumerate(modelled) if proba[i, j] >= thresholds[j])
            suspects[i] = Suspect(i, data.ids[i], data.sources[i], data.labels[i], suggested, scores)
        return suspects[i]

    counts = data.label_counts()
    rare = {name: n for name, n in counts.items() if n < min_examples}
    for name, n in rare.items():
        if label not in (None, name):
            continue
        common = [other for other in counts if other not in rare]
        match = likely_typo(name, common)
        hint = f"; a typo for '{match}'?" if match else "; label more reports or merge it into another label"
        for i, labels in enumerate(data.labels):
            if name in labels:
                suspect(i).add(REASON_RARE, f"'{name}' has only {n} report(s), fewer than {min_examples}{hint}", 1.0)

    confident = {}
    # Asked about one label, only its column is audited: the other labels' doubts neither add to a row's strength
    # nor list a row. (Each column's confident thresholds are its own, so they do not change.)
    columns = [j for j, name in enumerate(modelled) if label in (None, name)]
    if columns:
        Y = np.asarray(data.indicator(modelled), dtype=bool)[:, columns]
        flags, strength, t_pos, t_neg = confident_issues(Y, np.asarray(proba)[:, columns])
        for k, j in enumerate(columns):
            name, p = modelled[j], proba[:, j]
            confident[name] = {"positive": round(float(t_pos[k]), 4), "negative": round(float(t_neg[k]), 4)}
            for i in np.flatnonzero(flags[:, k] & Y[:, k]):
                suspect(int(i)).add(
                    REASON_MODEL,
                    f"given '{name}' but its out-of-fold score is {p[i]:.2f} (reports without it average "
                    f"{1 - t_neg[k]:.2f}, with it {t_pos[k]:.2f})",
                    strength[i],
                )
            for i in np.flatnonzero(flags[:, k] & ~Y[:, k]):
                suspect(int(i)).add(
                    REASON_MODEL,
                    f"not given '{name}' but its out-of-fold score is {p[i]:.2f} (reports with it average "
                    f"{t_pos[k]:.2f})",
                    strength[i],
                )

    for i, j, cosine in pairs:
        # Labelled differently: anyhow, or (asked about one label) on that label.
        differ = (data.labels[i] != data.labels[j] if label is None
                  else (label in data.labels[i]) != (label in data.labels[j]))
        if not differ:
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
    return ranked, confident


def confident_issues(Y, proba):
    """Confident learning on out-of-fold probabilities: which labels look wrong, and how likely each row's are.

    Parameters
    ----------
    Y : bool array of shape (n_reports, n_labels)
        The labels given.
    proba : array of shape (n_reports, n_labels)
        Out-of-fold probabilities of each label.

    Returns
    -------
    flags : bool array of shape (n_reports, n_labels)
        The labels whose contrary probability reaches its confident threshold (the off-diagonal of the
        confident joint).
    strength : array of shape (n_reports,)
        0.5 + 0.5 * (1 - prod(1 - beyond)) over the row's flagged labels, where ``beyond`` is how far past its
        threshold the contrary probability lies (0 at the threshold, 1 at certainty); 0 for an unflagged row.
    t_pos, t_neg : arrays of shape (n_labels,)
        Mean probability of the label over the reports given it, and of *not* the label over the others.

    Examples
    --------
    >>> Y = np.array([[1, 1], [1, 0], [0, 0], [0, 0]], dtype=bool)
    >>> flags, strength, t_pos, t_neg = confident_issues(Y, np.array([[.9, .9], [.9, .1], [.1, .1], [.95, .1]]))
    >>> flags[3].tolist(), round(float(strength[3]), 3), strength[:3].tolist()
    ([True, False], 0.75, [0.0, 0.0, 0.0])
    """
    Y = np.asarray(Y, dtype=bool)
    proba = np.asarray(proba, dtype=float)
    n_labels = Y.shape[1]
    t_pos = np.array([proba[Y[:, j], j].mean() for j in range(n_labels)])
    t_neg = np.array([(1 - proba[~Y[:, j], j]).mean() for j in range(n_labels)])
    sure_yes, sure_no = proba >= t_pos, 1 - proba >= t_neg
    looks_no = sure_no & (~sure_yes | (proba < 0.5))
    looks_yes = sure_yes & (~sure_no | (proba > 0.5))
    flags = (Y & looks_no) | (~Y & looks_yes)
    contrary = np.where(Y, 1 - proba, proba)
    threshold = np.where(Y, t_neg, t_pos)
    beyond = np.where(flags, np.clip((contrary - threshold) / np.maximum(1 - threshold, 1e-9), 0, 1), 0.0)
    strength = np.where(flags.any(axis=1), 0.5 + 0.5 * (1 - np.prod(1 - beyond, axis=1)), 0.0)
    return flags, strength, t_pos, t_neg


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
    from classifier.training.train import hard_negative_weights

    # Features are fitted on the whole file (vocabulary only, no labels), the classifiers per fold.
    # The linear model's out-of-fold scores only: the second stage would not change them.
    pipeline = build_pipeline(labels, spacy_pipeline=spacy_pipeline, C=C, cv=cv, seed=seed, second_stage=False)
    try:
        # Weighted as training is: no-label reports that mention an identity term count more, so the model does not
        # call every mention of a mosque or a hotel hate. A report's own weight never reaches its own score (it is
        # scored only by models of the folds that left it out), so a missing label is not hidden by it.
        pipeline.fit(data.texts, np.asarray(data.indicator(labels)),
                     classifier__sample_weight=hard_negative_weights(data))
    except ValueError as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(
            f"Could not cross-validate a model on {len(data)} reports ({exc}). Audit a larger file."
        ) from exc
    estimator = pipeline.named_steps[CLASSIFIER]
    return estimator.oof_proba_, estimator.thresholds_
