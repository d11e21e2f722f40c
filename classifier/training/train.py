"""Training: read labelled files → split → fit the pipeline → evaluate on the held-out split → save."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from classifier.errors import ConfigError, DataError
from classifier.io.cpus import usable_cpus
from classifier.io.progress import Progress, tell
from classifier.io.records import LabelledData, label_strata, read_labelled_files
from classifier.model.label_names import likely_typo, similar_label_pairs

MIN_POSITIVES = 10
#: Fraction of the reports without a split (no ``split`` column in their file) held out for testing.
DEFAULT_TEST_SIZE = 0.2
HARD_NEGATIVE_WEIGHT = 6.0
#: Counterfactual copies per training report that names an identity term (classifier.training.augment); 0 = none.
COUNTERFACTUAL_COPIES = 1


@dataclass
class TrainResult:
    """What :func:`train` did: where the model went, its test metrics and its metadata."""

    model_dir: Path | None
    metrics: dict
    hard_negatives: dict
    metadata: dict
    model: object
    identity_suite: dict | None = None  # summary of the identity-term suite (classifier.fairness)


def split_indices(data: LabelledData, *, test_size=None, seed=0) -> tuple[list[int], list[int], str]:
    """Train and test row indices, and how they were chosen (one line).

    Without ``test_size``, a report that comes with a split (its file's ``split`` column) keeps it, and only the
    reports without one are split: a label-stratified, seeded :data:`DEFAULT_TEST_SIZE` of them is held out. So
    adding a file of new labels never moves a report of the corpus's test split into training. With
    ``test_size``, every split column is ignored and that fraction of all reports is held out the same way.

    Raises
    ------
    DataError
        The split leaves no training or no test report.
    ConfigError
        ``test_size`` is not a fraction between 0 and 1.
    """
    if test_size is not None:
        if isinstance(test_size, bool) or not isinstance(test_size, int | float) or not 0 < test_size < 1:
            raise ConfigError(f"The 'test_size' parameter must be a fraction between 0 and 1 (both excluded). "
                          f"Got {test_size!r}.")
        train, test = _stratified_split(range(len(data)), data.labels, test_size, seed)
        return train, test, f"random stratified {test_size:.0%} (seed {seed})"
    unsplit = [i for i, s in enumerate(data.splits) if s is None]
    train = [i for i, s in enumerate(data.splits) if s == "train"]
    test = [i for i, s in enumerate(data.splits) if s == "test"]
    how = []
    if train or test:
        how.append("split column" + (f" for {len(train) + len(test)} rows" if unsplit else ""))
    if unsplit:
        new_train, new_test = _stratified_split(unsplit, [data.labels[i] for i in unsplit], DEFAULT_TEST_SIZE, seed)
        train, test = sorted(train + new_train), sorted(test + new_test)
        whose = f"the {len(unsplit)} rows without one: " if how else ""
        how.append(f"{whose}random stratified {DEFAULT_TEST_SIZE:.0%} (seed {seed})")
    if not train or not test:
        raise DataError(
            f"The split leaves {len(train)} train and {len(test)} test rows; both are needed. Fix the 'split' "
            "column, add rows without a split (they are split at random), or pass --test-size to split every row "
            "at random."
        )
    return train, test, "; ".join(how)


def split_counts(data: LabelledData, test_idx, *, test_size=None) -> dict:
    """How many reports came with a split and how many were split by :func:`split_indices`, and of each how many
    went to the test split: what ``tension train`` prints and the metadata records as ``split_rows``."""
    came = [s is not None for s in data.splits]
    in_test = np.zeros(len(data), dtype=bool)
    in_test[list(test_idx)] = True
    if test_size is not None:  # every row was split now; the split columns were ignored
        return {"came_with_split": 0, "came_with_split_test": 0, "split_now": len(data),
                "split_now_test": int(in_test.sum()), "split_ignored": int(sum(came)), "test_size": test_size}
    came = np.asarray(came, dtype=bool)
    return {"came_with_split": int(came.sum()), "came_with_split_test": int((came & in_test).sum()),
            "split_now": int((~came).sum()), "split_now_test": int((~came & in_test).sum()), "split_ignored": 0,
            "test_size": DEFAULT_TEST_SIZE}


def format_split(counts: dict, seed=0) -> str:
    """One line for the terminal: which reports kept the split they came with, which were split now."""
    parts = []
    if counts["came_with_split"]:
        parts.append(f"{counts['came_with_split']} rows came with a split and kept it "
                     f"({counts['came_with_split_test']} test)")
    if counts["split_now"]:
        parts.append(f"{counts['split_now']} rows had none and were split now, stratified "
                     f"({counts['split_now_test']} test, {counts['test_size']:.0%}, seed {seed})")
    if counts["split_ignored"]:
        parts.append(f"--test-size: the split column of {counts['split_ignored']} rows was ignored")
    return "Split: " + "; ".join(parts) + "."


def format_not_copied(not_copied: dict) -> str:
    """One line for the terminal on the reports left without a counterfactual copy ("" when none was)."""
    if not not_copied["reports"]:
        return ""
    labels = ", ".join(f"{label} ({n})" for label, n in not_copied["labels"].items())
    return (f"Counterfactual copies: {not_copied['reports']} training reports that name a faith, ethnicity, "
            f"nationality or migration status were not copied with the term swapped, because they carry a label of "
            f"your own ({labels}) that a swap could make wrong (a copy of an antisemitism report about another "
            "faith); the bundled labels' reports are copied as before, and so are those of the labels named with "
            "--rescore (hate against any group).")


def _stratified_split(indices, labels, test_size, seed) -> tuple[list[int], list[int]]:
    """``indices`` split into train and test, stratified by label combination when there are enough of each."""
    from sklearn.model_selection import train_test_split

    indices = np.asarray(list(indices), dtype=int)
    if len(indices) < 2:
        return indices.tolist(), []  # one report cannot be split: it is learnt from
    try:
        train, test = train_test_split(indices, test_size=test_size, random_state=seed,
                                       stratify=label_strata(labels, 2))
    except ValueError:  # fewer test rows than label combinations: split without stratifying
        train, test = train_test_split(indices, test_size=test_size, random_state=seed)
    return sorted(train.tolist()), sorted(test.tolist())


def check_label_counts(data: LabelledData, labels) -> None:
    """Refuse to train a label with too few examples to learn or evaluate."""
    counts = data.label_counts(labels)
    low = {label: n for label, n in counts.items() if n < MIN_POSITIVES}
    if low:
        common = [label for label in counts if label not in low]
        described = []
        for label, n in low.items():
            where = [source or report_id for source, report_id, given in
                     zip(data.sources or [""] * len(data), data.ids, data.labels, strict=True) if label in given]
            match = likely_typo(label, common)
            described.append(f"'{label}' ({n} report{'s' if n != 1 else ''}: {', '.join(where[:3])}"
                             f"{', ...' if len(where) > 3 else ''}" + (f"; a typo for '{match}'?" if match else "")
                             + ")")
        raise DataError(
            f"Too few training reports for label(s) {'; '.join(described)}: at least {MIN_POSITIVES} each are "
            "needed. Label more reports, correct a misspelt label, merge the label into another, or remove it "
            "from the labels column."
        )


def similar_labels_warning(data: LabelledData) -> str:
    """A warning naming the labels of ``data`` that are a letter or two apart (``anti_social_behaviour`` and
    ``anti_social_behavior``), as ``tension validate`` reports them; "" when none are."""
    counts = data.label_counts()
    pairs = similar_label_pairs(counts)
    if not pairs:
        return ""
    listed = "; ".join(f"'{a}' ({counts[a]} reports) and '{b}' ({counts[b]})" for a, b in pairs)
    return (f"labels a letter or two apart, trained as separate labels: {listed}. If each pair is one label spelt two "
            "ways, correct the rows to one name and train again (tension validate lists them).")


def hard_negative_weights(data: LabelledData, weight=HARD_NEGATIVE_WEIGHT) -> np.ndarray:
    """Training weight per report: ``weight`` for a no-label report that mentions an identity or place
    term (a faith, a place of worship, a nationality, a hotel, a flag...), 1 for the rest.

    Mentioning a mosque or a nationality must not be evidence of hate; weighting these reports up makes a
    false positive on them cost more, in the fit and in the choice of thresholds.
    """
    from classifier.model.identity_terms import is_hard_negative

    if isinstance(weight, bool) or not isinstance(weight, int | float | np.integer | np.floating) \
            or not np.isfinite(weight) or weight <= 0:
        raise ConfigError(f"The hard-negative weight must be a positive number (1 = no extra weight, the default "
                          f"is {HARD_NEGATIVE_WEIGHT:g}). Got {weight!r}.")
    pairs = zip(data.texts, data.labels, strict=True)
    return np.asarray([weight if is_hard_negative(text, labels) else 1.0 for text, labels in pairs])


def with_counterfactuals(data: LabelledData, copies=COUNTERFACTUAL_COPIES, *, seed=0, also_safe=()
                         ) -> tuple[LabelledData, np.ndarray]:
    """``data`` plus ``copies`` counterfactual copies of each report that names an identity term
    (:mod:`classifier.training.augment`), and each row's group: its source report's index, so that a report and its
    copies always fall in the same cross-validation fold. A copy keeps its source's labels, id and split; a report
    with a label of the team's own gets none, unless it is one of ``also_safe`` (the labels named with ``--rescore``;
    :func:`~classifier.training.augment.not_copied` counts the others)."""
    from classifier.training.augment import counterfactual_copies

    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 0:
        raise ConfigError(f"The number of counterfactual copies must be an int >= 0 (0 = none). Got {copies!r}.")
    if not copies:
        return data, np.arange(len(data))
    extra = counterfactual_copies(data.texts, data.labels, copies=copies, seed=seed, also_safe=also_safe)
    index = [source for source, _ in extra]
    copied = data.subset(index)
    copied.texts = [text for _, text in extra]
    copied.sources = [f"{source} (counterfactual copy)" for source in copied.sources]
    augmented = LabelledData(data.ids + copied.ids, data.texts + copied.texts, data.labels + copied.labels,
                             data.splits + copied.splits, data.sources + copied.sources, dict(data.file_hashes))
    return augmented, np.concatenate([np.arange(len(data)), np.asarray(index, dtype=int)])


def _second_stage_for(second_stage: bool, rescore, labels) -> bool | object:
    """``second_stage`` as :func:`fit_pipeline` takes it: ``True``, ``False``, or an unfitted second stage that
    rescores the labels ``rescore`` names (each one a label of the training data)."""
    if rescore is None:
        return second_stage
    rescore = list(dict.fromkeys(str(label) for label in rescore))
    if not second_stage:
        raise ConfigError("Labels to rescore were named, but the second stage is off (--linear-only). Fix: drop "
                          "--linear-only, or drop --rescore.")
    from classifier.model.second_stage import HATE_LABELS, HateSecondStage

    unknown = [label for label in rescore if label not in labels]
    if unknown or not rescore:
        raise DataError(f"Cannot rescore {unknown or 'no label'}: expected labels of the training data "
                        f"({', '.join(labels)}). Fix: name one of those with --rescore, or leave it out for the "
                        f"default ({', '.join(HATE_LABELS)}).")

    return HateSecondStage(labels=tuple(rescore))


def unrescored_warning(labels, second_stage, rescore) -> str:
    """A warning when the second stage's default labels are not all in the data but labels of a team's own are
    (``race_hate`` renamed ``racism`` keeps its linear score, which neutral mentions of a group raise), naming
    ``--rescore``; "" otherwise, and when ``rescore`` names the labels or the second stage is off."""
    from classifier.model.label_names import BUNDLED_LABELS
    from classifier.model.second_stage import HATE_LABELS

    missing = [label for label in HATE_LABELS if label not in labels]
    own = [label for label in labels if label not in BUNDLED_LABELS]
    if rescore is not None or not second_stage or not missing or not own:
        return ""
    kept = " ".join(f"--rescore {label}" for label in HATE_LABELS if label in labels)
    return (f"the second stage rescores {', '.join(HATE_LABELS)} (so that neutral mentions of a group do not get "
            f"them); this data has no {' or '.join(missing)}, but has labels of its own: {', '.join(own)}. If one of "
            f"those is a hate label ({missing[0]} renamed, say), train again naming every hate label with --rescore, "
            f"e.g. {kept + ' ' if kept else ''}--rescore {own[0]}. A label not rescored keeps its linear score, "
            "which neutral mentions of people raise several-fold, and gets no counterfactual copies.")


def few_test_examples_warning(metrics: dict) -> str:
    """A warning naming the labels with fewer than :data:`~classifier.evaluation.compare.MIN_PER_LABEL` test
    examples (the rule ``tension promote`` applies to a new label), "" when there are none."""
    from classifier.evaluation.compare import MIN_PER_LABEL
    from classifier.evaluation.metrics import few_examples

    few = few_examples(metrics, MIN_PER_LABEL)
    if not few:
        return ""
    listed = ", ".join(f"{label} ({n})" for label, n in few.items())
    none = " A label with none has no F1 and is left out of the macro average." if 0 in few.values() else ""
    return (f"label(s) with fewer than {MIN_PER_LABEL} examples in the test split: {listed}. Their test figures rest "
            f"on too few reports to trust, and tension promote refuses a new label with fewer.{none} Label more "
            "reports of them (rows without a split are split 80/20), or give some a 'test' split.")


def rescored_labels(pipeline) -> list[str]:
    """The labels ``pipeline``'s second stage rescores (none without one)."""
    stage = getattr(pipeline, "second_stage_", None)
    return [] if stage is None else [stage.label_names_[j] for j in stage.columns_]


def fit_pipeline(train: LabelledData, labels, *, seed=0, spacy_pipeline="blank:en", C=None,
                 hard_negative_weight=HARD_NEGATIVE_WEIGHT, remove_stop_words=None,
                 counterfactuals=COUNTERFACTUAL_COPIES, swap_safe=(), **pipeline_options):
    """Build and fit the pipeline on ``train`` (plus its counterfactual copies; a team's labels among ``swap_safe``
    are copied like the bundled ones)."""
    from classifier.model.pipeline import build_pipeline

    pipeline = build_pipeline(labels, spacy_pipeline=spacy_pipeline, C=C, seed=seed,
                              remove_stop_words=bool(remove_stop_words), **pipeline_options)
    train, groups = with_counterfactuals(train, counterfactuals, seed=seed, also_safe=swap_safe)
    pipeline.fit(
        train.texts, np.asarray(train.indicator(labels)),
        classifier__sample_weight=hard_negative_weights(train, hard_negative_weight), classifier__groups=groups,
    )
    return pipeline


def train(data_paths, out_dir=None, *, test_size=None, seed=0, text_column=None, labels_column="labels",
          spacy_pipeline="blank:en", C=None, prefer_later=False, review_band=0.15, name=None,
          hard_negative_weight=HARD_NEGATIVE_WEIGHT, second_stage=True, rescore=None,
          progress: Progress | None = None) -> TrainResult:
    """Train a model on labelled files, evaluate it on the held-out split and save it to ``out_dir``.

    The saved model is the one fitted on the training split, so the metrics saved with it are honest
    figures for that exact model on data it never saw. ``second_stage=False`` keeps the linear scores of every
    label (:mod:`classifier.model.second_stage`); ``rescore`` names the labels the second stage rescores
    (default: immigration, race_hate and religious_hate, those the data has), e.g. a team's own hate labels.
    ``progress`` gets a line at each stage.
    """
    from classifier.evaluation.metrics import (
        count_unknown_labels,
        hard_negative_check,
        label_metrics,
        review_flag_check,
    )
    from classifier.fairness import evaluate_identity_suite, load_identity_probe, summarise_identity_suite
    from classifier.fairness.conflict import evaluate_conflict_nationalities
    from classifier.model.limits import checked_review_band
    from classifier.model.persistence import PREPROCESSING_VERSION, check_model_out, library_versions, save_model
    from classifier.model.predictor import TensionModel, near_thresholds
    from classifier.model.provenance import TrainingRows
    from classifier.reports.model_card import render_model_card
    from classifier.training.augment import not_copied

    review_band = checked_review_band(review_band)  # before the long fit, not after it

    started = time.perf_counter()
    usable_cpus()  # a bad $TENSION_JOBS fails here, not after the preprocessing
    if out_dir is not None:
        check_model_out(out_dir)  # and an --out that saving would destroy
    paths = [data_paths] if isinstance(data_paths, str | Path) else list(data_paths)
    tell(progress, f"reading {len(paths)} labelled file(s)")
    data = read_labelled_files(data_paths, text_column=text_column, labels_column=labels_column,
                               prefer_later=prefer_later)
    train_idx, test_idx, split_how = split_indices(data, test_size=test_size, seed=seed)
    train_data, test_data = data.subset(train_idx), data.subset(test_idx)
    labels = train_data.label_set
    if not labels:
        raise DataError("No labels found in the training data: the labels column is empty on every row.")
    check_label_counts(train_data, labels)
    if warning := similar_labels_warning(data):
        warnings.warn(warning, UserWarning, stacklevel=2)
    if warning := unrescored_warning(labels, second_stage, rescore):
        warnings.warn(warning, UserWarning, stacklevel=2)
    second_stage = _second_stage_for(second_stage, rescore, labels)
    tell(progress, f"fitting the model on {len(train_data)} training reports and their counterfactual copies "
                   "(preprocessing, features, thresholds tuned by cross-validation: the longest step)")
    pipeline = fit_pipeline(train_data, labels, seed=seed, spacy_pipeline=spacy_pipeline, C=C,
                            hard_negative_weight=hard_negative_weight, second_stage=second_stage,
                            swap_safe=tuple(rescore or ()))
    fit_seconds = time.perf_counter() - started
    rows = TrainingRows.from_data(train_data, test_data)
    model = TensionModel(pipeline, {"review_band": review_band}, training_rows=rows)
    tell(progress, f"scoring the {len(test_data)} test reports")
    Y_test = np.asarray(test_data.indicator(labels))
    proba, unfamiliar = model.predict_proba_and_unfamiliar(test_data.texts)
    Y_pred = (proba >= pipeline.thresholds_).astype(int)
    metrics = label_metrics(Y_test, Y_pred, labels)
    review = review_flag_check(Y_test, Y_pred, near_thresholds(proba, pipeline.thresholds_, model.review_band),
                               model.review_band, unfamiliar, labels=labels)
    unseen = sorted(set(test_data.label_set) - set(labels))
    count_unknown_labels(metrics, review, Y_test, Y_pred, test_data.labels, labels)
    if warning := few_test_examples_warning(metrics):
        warnings.warn(warning, UserWarning, stacklevel=2)
    hard = hard_negative_check(test_data.texts, test_data.labels, Y_pred)
    tell(progress, "scoring the identity-term suite, the held-out identity probe and the conflict's nationalities")
    suite = summarise_identity_suite(evaluate_identity_suite(model))
    probe = summarise_identity_suite(evaluate_identity_suite(model, load_identity_probe()))
    conflict = evaluate_conflict_nationalities(model)
    metadata = {
        "name": name or (Path(out_dir).name if out_dir else None),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": labels,
        "thresholds": model.thresholds,
        "review_band": review_band,
        "spacy_pipeline": spacy_pipeline,
        "seed": seed,
        "C": pipeline.named_steps["classifier"].C,
        "second_stage_labels": rescored_labels(pipeline),
        "hard_negative_weight": hard_negative_weight,
        "not_copied": not_copied(train_data.texts, train_data.labels, tuple(rescore or ())),
        "test_size": test_size,
        "split": split_how,
        "data": [{"path": path, "sha256": sha256} for path, sha256 in data.file_hashes.items()],
        "rows": {"total": len(data), "train": len(train_data), "test": len(test_data)},
        "split_rows": split_counts(data, test_idx, test_size=test_size),
        "label_counts": {
            "train": {label: sum(label in r for r in train_data.labels) for label in labels},
            "test": {label: sum(label in r for r in test_data.labels) for label in labels},
            "train_no_label": sum(not r for r in train_data.labels),
            "test_no_label": sum(not r for r in test_data.labels),
        },
        "test_labels_not_in_model": unseen,
        "metrics": metrics,
        "hard_negatives": hard,
        "review_flag": review,
        "identity_suite": suite,
        "identity_probe": probe,
        "conflict_nationalities": conflict,
        "train_seconds": round(fit_seconds, 2),
        "versions": library_versions(),
        "preprocessing_version": PREPROCESSING_VERSION,
    }
    model.metadata = metadata
    saved = None
    if out_dir is not None:
        tell(progress, f"saving to {out_dir}")
        saved = save_model(pipeline, out_dir, metadata, render_model_card(metadata), rows)
    return TrainResult(saved, metrics, hard, metadata, model, suite)
