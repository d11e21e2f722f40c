"""How good is the training recipe, and would more labels help? K-fold cross-validation and learning curves
(:mod:`classifier.reports.learning_curve` writes a curve as JSON, PNG and HTML).

Both refit the same pipeline that :func:`classifier.training.train.train` builds. The spaCy step is stateless, so
every report is preprocessed once and only the features and classifier are refitted per fold or size;
the figures are the same as refitting the whole pipeline, in a fraction of the time.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from classifier.errors import ConfigError, DataError
from classifier.io.progress import Progress, tell
from classifier.io.records import LabelledData, label_strata, read_labelled_files

DEFAULT_SIZES = (0.1, 0.25, 0.5, 0.75, 1.0)
SUMMARY_KEYS = ("precision", "recall", "f1")


def cross_validate_metrics(data_paths, k: int = 5, *, seed: int = 0, text_column=None, labels_column="labels",
                           split: str | None = None, prefer_later: bool = False, spacy_pipeline: str = "blank:en",
                           C: float | None = None, hard_negative_weight: float | None = None,
                           n_jobs: int = 1, progress: Progress | None = None) -> dict:
    """K-fold cross-validated per-label metrics, as mean and standard deviation over the folds.

    Folds are stratified on each report's combination of labels, so every fold sees every label.

    Parameters
    ----------
    data_paths : path or list of paths
        Labelled files, combined as :func:`classifier.training.train.train` combines them.
    k : int, default=5
        Number of folds (at least 2).
    seed : int, default=0
        Seed for the fold shuffling and the models.
    split : str, optional
        Only use rows whose ``split`` column has this value (e.g. ``"train"``, to keep a test split unseen);
        default: every row.
    C : float, optional
        Regularisation strength; default: the pipeline's default.
    hard_negative_weight : float, optional
        Training weight of hard negatives; default: the one :func:`classifier.training.train.train` uses.
    n_jobs : int, default=1
        Folds fitted in parallel (joblib).
    progress : callable, optional
        Gets a line at each stage and as each fold finishes ("fold 2 of 5 done").

    Returns
    -------
    dict
        ``k``, ``seed``, ``n_reports``, ``label_names``; ``labels``: per label, ``{"precision": {"mean",
        "std"}, "recall": ..., "f1": ..., "support": ...}``; the same for ``macro``, ``micro`` and
        ``exact_match``; ``hard_negatives``: the share of hard negatives left unlabelled (``clean_rate``,
        mean and std over folds) and their number; ``folds``: each fold's
        :func:`~classifier.evaluation.metrics.label_metrics`. ``std`` is the sample standard deviation over folds
        (ddof=1).

    Raises
    ------
    ConfigError
        ``k`` is not an int >= 2 or exceeds the number of reports.
    DataError
        Unreadable files, or a label with too few reports for ``k`` folds.
    """
    from classifier.evaluation.metrics import hard_negative_check, label_metrics
    from classifier.training.train import HARD_NEGATIVE_WEIGHT, check_label_counts, hard_negative_weights

    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 2:
        raise ConfigError(f"The 'k' parameter of cross_validate_metrics must be a whole number of folds >= 2. "
                          f"Got {k!r}.")
    data = read_labelled_files(data_paths, text_column=text_column, labels_column=labels_column,
                               prefer_later=prefer_later)
    if split is not None:
        data = data.only_split(split)
    if k > len(data):
        raise ConfigError(f"The 'k' parameter ({k}) asks for more folds than there are reports ({len(data)}). "
                          "Use fewer folds.")
    labels = data.label_set
    if not labels:
        raise DataError("No labels found in the data: the labels column is empty on every row.")
    check_label_counts(data, labels)
    weight = HARD_NEGATIVE_WEIGHT if hard_negative_weight is None else hard_negative_weight
    hard_negative_weights(data, weight)  # checks the weight before any work
    tell(progress, f"cross-validation: preprocessing {len(data)} reports")
    processed = _preprocess(data.texts, spacy_pipeline)
    folds = list(_stratified_folds(data, k, seed))
    Y = np.asarray(data.indicator(labels))

    def run(fold, train, test):
        texts, Y_fit, fit_weights, groups = _with_counterfactuals(data, train, processed, weight, seed,
                                                                   spacy_pipeline, labels)
        tail = _fit_tail(texts, Y_fit, labels, seed=seed, C=C, spacy_pipeline=spacy_pipeline,
                         what=f"fold {fold + 1} of {k}", sample_weight=fit_weights, groups=groups)
        predicted = tail.predict([processed[i] for i in test])
        hard = hard_negative_check([data.texts[i] for i in test], [data.labels[i] for i in test], predicted)
        return label_metrics(Y[test], predicted, labels), hard["overall"]

    tell(progress, f"cross-validation: fitting {k} folds")
    outcomes = _map(run, [(f, tr, te) for f, (tr, te) in enumerate(folds)], n_jobs,
                    done=lambda f, _: tell(progress, f"cross-validation: fold {f + 1} of {k} done"))
    fold_metrics = [metrics for metrics, _ in outcomes]
    fold_hard = [hard for _, hard in outcomes]
    summary = {
        "k": int(k), "seed": seed, "n_reports": len(data), "label_names": labels,
        "labels": {label: _label_summary([m["labels"][label] for m in fold_metrics]) for label in labels},
        "macro": {key: _mean_std([m["macro"][key] for m in fold_metrics]) for key in SUMMARY_KEYS},
        "micro": {key: _mean_std([m["micro"][key] for m in fold_metrics]) for key in SUMMARY_KEYS},
        "exact_match": _mean_std([m["exact_match"] for m in fold_metrics]),
        "hard_negatives": {
            "clean_rate": _mean_std(rates) if (rates := [h["clean_rate"] for h in fold_hard if h["n"]]) else None,
            "n": int(sum(h["n"] for h in fold_hard)),
        },
        "folds": fold_metrics,
    }
    return summary


def format_cv(result: dict) -> str:
    """The cross-validation summary as a plain-text table, ``mean ± std`` per cell."""

    def cell(stat, digits=3):
        return f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f}"

    header = f"{'label':<18}{'precision':>16}{'recall':>16}{'f1':>16}{'support':>12}"
    lines = [f"{result['k']}-fold cross-validation on {result['n_reports']} reports (seed {result['seed']})",
             header, "-" * len(header)]
    for label, s in result["labels"].items():
        lines.append(f"{label:<18}{cell(s['precision']):>16}{cell(s['recall']):>16}{cell(s['f1']):>16}"
                     f"{s['support']['mean']:>12.1f}")
    lines.append("-" * len(header))
    for name in ("macro", "micro"):
        s = result[name]
        lines.append(f"{name + ' avg':<18}{cell(s['precision']):>16}{cell(s['recall']):>16}{cell(s['f1']):>16}")
    lines.append(f"exact match: {cell(result['exact_match'])}  (mean ± sample std over {result['k']} folds)")
    for label, s in result["labels"].items():
        if s.get("folds", result["k"]) < result["k"]:
            lines.append(f"{label!r}: {result['k'] - s['folds']} of the {result['k']} folds held none of it and gave "
                         f"none, so its figures are over the other {s['folds']}; with so few reports of it, use fewer "
                         "folds (-k) or label more")
    hard = result.get("hard_negatives")
    if hard and hard["clean_rate"] is not None:
        lines.append(f"hard negatives left unlabelled: {cell(hard['clean_rate'])} of {hard['n']} "
                     "(no-label reports that mention a faith, nationality, hotel, flag...)")
    return "\n".join(lines)


def learning_curve(data_paths, sizes=DEFAULT_SIZES, *, seed: int = 0, repeats: int = 1, test_size=None,
                   text_column=None, labels_column="labels", prefer_later: bool = False,
                   spacy_pipeline: str = "blank:en", C: float | None = None, n_jobs: int = 1,
                   progress: Progress | None = None, on_point: Callable[[dict], None] | None = None) -> list[dict]:
    """Macro-F1 on a fixed test split for models trained on growing subsets of the training split.

    The split is the one :func:`classifier.training.train.train` would make (the ``split`` column, or a random
    ``test_size`` hold-out). Each repeat shuffles the training split once and takes nested prefixes of
    it, so a larger size always contains the smaller ones.

    Parameters
    ----------
    sizes : sequence of float or int, default=(0.1, 0.25, 0.5, 0.75, 1.0)
        Training sizes: a float in (0, 1] is a fraction of the training split, an int a number of reports.
    repeats : int, default=1
        Independent shuffles per size; with more than one, ``*_std`` gives the spread.
    progress : callable, optional
        Gets a line at each stage and as each point finishes.
    on_point : callable, optional
        Called with each point as soon as it is finished, in increasing size (to save it at once, so that an
        interrupted run keeps the points it finished).

    Returns
    -------
    list of dict, one per size in increasing order
        ``size`` (reports), ``fraction``, ``repeats`` (fitted), ``macro_f1`` and ``macro_f1_std``,
        ``micro_f1`` and ``micro_f1_std``, ``f1`` (per label, mean), ``skipped`` (why a size could not be
        fitted, e.g. too few examples of a label, else ``None``).
    """
    from classifier.evaluation.metrics import label_metrics
    from classifier.training.train import HARD_NEGATIVE_WEIGHT, check_label_counts, split_indices

    if not isinstance(repeats, int) or repeats < 1:
        raise ConfigError(f"The 'repeats' parameter of learning_curve must be a whole number >= 1. Got {repeats!r}.")
    data = read_labelled_files(data_paths, text_column=text_column, labels_column=labels_column,
                               prefer_later=prefer_later)
    train_idx, test_idx, _ = split_indices(data, test_size=test_size, seed=seed)
    train_data = data.subset(train_idx)
    labels = train_data.label_set
    if not labels:
        raise DataError("No labels found in the training data: the labels column is empty on every row.")
    check_label_counts(train_data, labels)
    counts = _resolve_sizes(sizes, len(train_idx))
    tell(progress, f"learning curve: preprocessing {len(data)} reports")
    processed = _preprocess(data.texts, spacy_pipeline)
    Y = np.asarray(data.indicator(labels))
    test_x = [processed[i] for i in test_idx]
    Y_test = Y[test_idx]
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(np.asarray(train_idx)) for _ in range(repeats)]

    def run(size, order):
        chosen = order[:size]
        try:
            texts, Y_fit, fit_weights, groups = _with_counterfactuals(data, chosen, processed, HARD_NEGATIVE_WEIGHT,
                                                                       seed, spacy_pipeline, labels)
            tail = _fit_tail(texts, Y_fit, labels, seed=seed, C=C, spacy_pipeline=spacy_pipeline,
                             what=f"{size} training reports", sample_weight=fit_weights, groups=groups)
        except DataError as exc:
            return str(exc)
        return label_metrics(Y_test, tail.predict(test_x), labels)

    jobs = [(size, order) for size in counts for order in orders]
    points, results = [], []

    def finished(index: int, outcome) -> None:
        results.append(outcome)
        if len(results) < repeats:
            return
        point = _point(counts[len(points)], len(train_idx), results, labels)
        results.clear()
        points.append(point)
        tell(progress, f"learning curve: point {len(points)} of {len(counts)} ({point['size']} reports) done")
        if on_point is not None:
            on_point(point)

    tell(progress, f"learning curve: fitting {len(counts)} point(s) of {repeats} model(s) each")
    _map(run, jobs, n_jobs, done=finished)
    return points


def _point(size: int, n_train: int, results: list, labels) -> dict:
    """One learning-curve point from its repeats' outcomes (metrics, or why the fit failed)."""
    fitted = [r for r in results if isinstance(r, dict)]
    failed = [r for r in results if isinstance(r, str)]
    point = {"size": size, "fraction": size / n_train, "repeats": len(fitted),
             "skipped": failed[0] if failed and not fitted else None}
    if fitted:
        macro = _mean_std([m["macro"]["f1"] for m in fitted])
        micro = _mean_std([m["micro"]["f1"] for m in fitted])
        point.update({
            "macro_f1": macro["mean"], "macro_f1_std": macro["std"],
            "micro_f1": micro["mean"], "micro_f1_std": micro["std"],
            "f1": {label: float(np.mean([m["labels"][label]["f1"] for m in fitted])) for label in labels},
        })
    return point


# ---------------------------------------------------------------------------------------------- helpers


def _preprocess(texts, spacy_pipeline) -> list[str]:
    from classifier.model.preprocess import SpacyPreprocessor

    return SpacyPreprocessor(pipeline=spacy_pipeline).fit(texts[:1]).transform(texts)


def _with_counterfactuals(data, indices, processed, weight, seed, spacy_pipeline, labels):
    """What :func:`classifier.training.train.fit_pipeline` trains on for the rows ``indices``, preprocessed: the rows
    and their counterfactual copies (only the copies are preprocessed here), indicator rows, weights, groups."""
    from classifier.training.train import hard_negative_weights, with_counterfactuals

    subset = data.subset(indices)
    augmented, groups = with_counterfactuals(subset, seed=seed)
    copies = augmented.texts[len(subset):]
    texts = [processed[i] for i in indices] + (_preprocess(copies, spacy_pipeline) if copies else [])
    Y = np.asarray(augmented.indicator(labels))
    return texts, Y, hard_negative_weights(augmented, weight), groups


def _fit_tail(processed, Y, labels, *, seed, C, spacy_pipeline, what, sample_weight=None, groups=None):
    """Fit the features and classifier steps of the training pipeline on preprocessed texts."""
    from classifier.model.pipeline import build_pipeline

    tail = build_pipeline(labels, spacy_pipeline=spacy_pipeline, C=C, seed=seed)[1:]
    try:
        return tail.fit(processed, Y, classifier__sample_weight=sample_weight, classifier__groups=groups)
    except DataError as exc:
        raise DataError(f"{what}: {exc}") from exc


def _stratified_folds(data: LabelledData, k: int, seed: int):
    """StratifiedKFold on label combinations; combinations rarer than ``k`` are pooled."""
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    yield from folds.split(np.zeros(len(data)), label_strata(data.labels, k))


def _resolve_sizes(sizes, n_train: int) -> list[int]:
    counts = set()
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int | float | np.integer | np.floating):
            raise ConfigError(f"Training sizes must be numbers (fractions like 0.5 or counts like 400). Got {size!r}.")
        if isinstance(size, float | np.floating) and 0 < size <= 1:
            counts.add(max(1, round(size * n_train)))
        elif float(size).is_integer() and size >= 1:
            if size > n_train:
                warnings.warn(f"training size {int(size)} is more than the {n_train} training reports there are; "
                              f"that point uses all {n_train}.", UserWarning, stacklevel=3)
            counts.add(min(int(size), n_train))
        else:
            raise ConfigError(
                f"Training size {size!r} is neither a fraction in (0, 1] nor a whole number of reports >= 1."
            )
    if not counts:
        raise ConfigError("No training sizes given. Pass e.g. 0.1,0.25,0.5,1.")
    return sorted(counts)


def _label_summary(per_fold: list[dict]) -> dict:
    """One label's mean ± std over the folds. A fold with none of the label that gave none (no true or false
    positive, no miss) has no precision, recall or F1 to speak of: it is left out of those three, as the macro
    average leaves it out, instead of counting as 0 (``folds``: how many counted)."""
    defined = [m for m in per_fold if m["tp"] + m["fp"] + m["fn"]]
    summary = {key: _mean_std([m[key] for m in defined or per_fold]) for key in SUMMARY_KEYS}
    summary["support"] = _mean_std([m["support"] for m in per_fold])
    summary["folds"] = len(defined)
    return summary


def _mean_std(values) -> dict:
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0}


def _map(func, jobs, n_jobs: int, done: Callable[[int, object], None] | None = None) -> list:
    """``func(*job)`` for each job, in order (``n_jobs`` in parallel); ``done(index, outcome)`` as each result
    arrives, in order."""
    if n_jobs == 1 or len(jobs) < 2:
        outcomes = (func(*job) for job in jobs)
    else:
        from joblib import Parallel, delayed

        outcomes = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(func)(*job) for job in jobs)
    results = []
    for index, outcome in enumerate(outcomes):
        results.append(outcome)
        if done is not None:
            done(index, outcome)
    return results
