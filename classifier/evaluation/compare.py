"""Comparing two models on the same labelled data: the engine behind ``tension compare`` and ``promote``.

Only reports that neither model trained on are scored: a model scored on its own training reports looks
better than it is, so a comparison on reports one of them learnt from favours that one. Each model's training
reports are known by their text hashes (:mod:`classifier.model.provenance`); the comparison says how many
reports that leaves, and refuses when it is too few to tell the models apart (`MIN_ROWS`, `MIN_PER_LABEL`).

The difference in F1 (B minus A) per label and in macro-F1 comes with a paired bootstrap confidence
interval: the same resampled reports score both models, so the interval reflects the difference between
the models rather than the luck of the sample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifier.errors import ConfigError, DataError
from classifier.evaluation.metrics import label_metrics
from classifier.io.progress import Progress, tell
from classifier.io.records import LabelledData, read_labelled_files, text_sha256

#: Fewest reports, unseen by both models, that a comparison is made on.
MIN_ROWS = 100
#: Fewest of those reports per label (compared labels only) that a comparison is made on.
MIN_PER_LABEL = 10


class TooFewUnseenRows(DataError):
    """Too few of the data's reports are ones that neither model trained on to compare them."""


def compare_models(model_a, model_b, data, *, text_column=None, labels_column="labels", split=None,
                   prefer_later=False, trained_on=None, min_rows=None, min_per_label=None,
                   n_resamples=1000, seed=0, confidence=0.95, identity_suite=True, names=None,
                   progress: Progress | None = None) -> dict:
    """Score two models on the same labelled reports, those neither trained on, and estimate how sure the
    difference is.

    Parameters
    ----------
    model_a, model_b : TensionModel or path
        The models (A is the reference, e.g. the current default; B the candidate).
    data : path, list of paths or LabelledData
        Labelled reports, read with :func:`classifier.io.records.read_labelled_files` when paths (several files
        are combined as ``tension train`` combines them, ``prefer_later`` resolving conflicting duplicates).
    split : {"train", "test"}, optional
        Only the rows whose ``split`` column has this value.
    trained_on : pair of collections of str, optional
        The text hashes (:func:`~classifier.io.records.text_sha256`) of the reports A and B trained on. Default:
        what each model recorded (``TensionModel.training_rows``); a model that recorded none is refused, since
        its training reports cannot be told apart (:func:`classifier.retrain.registry.training_hashes` rebuilds
        them for models saved before models kept them).
    min_rows, min_per_label : int, optional
        Refuse (`TooFewUnseenRows`) when fewer reports than ``min_rows`` are left once those either model
        trained on are dropped, or fewer than ``min_per_label`` of them have one of the compared labels; default
        :data:`MIN_ROWS` and :data:`MIN_PER_LABEL` (read at call time, so a deployment can change them).
    names : pair of str, optional
        What to call A and B in the table and the verdict (default: a path's folder name, a model's metadata name).
    n_resamples : int
        Bootstrap resamples of the reports.
    seed : int
        Seed of the resampling.
    confidence : float
        Level of the percentile intervals.
    identity_suite : bool, default=True
        Also score both models on the identity-term suite (:mod:`classifier.fairness`, a few seconds each).
    progress : callable, optional
        Gets a line at each stage.

    Returns
    -------
    dict with ``per_label`` (``f1_a``, ``f1_b``, ``diff``, ``ci_low``, ``ci_high``, ``support`` per label),
    ``macro`` (the same for macro-F1), ``metrics_a`` / ``metrics_b`` (full :func:`label_metrics`),
    ``labels`` compared (known to both models), ``labels_only_in_a`` / ``_b``, ``labels_not_in_data``,
    ``n_reports`` (scored: neither model trained on them), ``rows`` (``in_data``, ``trained_on_a``,
    ``trained_on_b``, ``trained_on_either``, ``unseen``: what was dropped and why), ``verdict`` (one line) and
    the settings used; with ``identity_suite``, also ``identity_suite_a`` / ``_b`` and ``identity_probe_a`` /
    ``_b`` (:func:`~classifier.fairness.summarise_identity_suite` of each model on the suite and on the held-out
    probe).

    Raises
    ------
    TooFewUnseenRows
        Fewer than ``min_rows`` reports (or ``min_per_label`` of a label) that neither model trained on.
    DataError
        Unreadable data, an empty split, no label known to both models, or a model that does not record its
        training reports.
    ConfigError
        ``n_resamples``, ``confidence``, ``min_rows`` or ``min_per_label`` out of range.
    """
    from classifier.model.predictor import TensionModel, load_model

    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 10:
        raise ConfigError(f"'n_resamples' must be a whole number >= 10. Got {n_resamples!r}.")
    if not 0 < confidence < 1:
        raise ConfigError(f"'confidence' must be between 0 and 1, e.g. 0.95. Got {confidence!r}.")
    min_rows = MIN_ROWS if min_rows is None else min_rows
    min_per_label = MIN_PER_LABEL if min_per_label is None else min_per_label
    for option, value in (("min_rows", min_rows), ("min_per_label", min_per_label)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"'{option}' must be a whole number >= 0. Got {value!r}.")
    name_a, name_b = names or (_name(model_a, "A"), _name(model_b, "B"))
    if not isinstance(model_a, TensionModel):
        model_a = load_model(model_a)
    if not isinstance(model_b, TensionModel):
        model_b = load_model(model_b)
    if trained_on is None:
        trained_on = (_recorded_training(model_a, name_a), _recorded_training(model_b, name_b))
    where = "the data" if isinstance(data, LabelledData) else _describe_paths(data)
    if not isinstance(data, LabelledData):
        data = read_labelled_files(data, text_column=text_column, labels_column=labels_column,
                                   prefer_later=prefer_later)
    if split is not None:
        data = data.only_split(split, where)
    labels = [label for label in model_a.labels if label in model_b.labels]
    if not labels:
        raise DataError(
            f"The models share no label ({name_a}: {model_a.labels}; {name_b}: {model_b.labels}), so they "
            "cannot be compared."
        )
    data, rows = unseen_rows(data, *trained_on)
    _check_enough(data, rows, labels, name_a, name_b, where, min_rows, min_per_label)
    Y_true = np.asarray(data.indicator(labels), dtype=int)
    tell(progress, f"scoring {name_a} on the {len(data)} reports neither model trained on")
    Y_a = _predict(model_a, data.texts, labels)
    tell(progress, f"scoring {name_b} on the same reports")
    Y_b = _predict(model_b, data.texts, labels)
    metrics_a, metrics_b = label_metrics(Y_true, Y_a, labels), label_metrics(Y_true, Y_b, labels)

    tell(progress, f"{n_resamples} bootstrap resamples")
    rng = np.random.default_rng(seed)
    n = len(data)
    # weights[r, i]: how often report i is drawn in resample r; counts are then weighted sums.
    weights = rng.multinomial(n, np.full(n, 1 / n), size=n_resamples).astype(float)
    f1_a, f1_b = _bootstrap_f1(weights, Y_true, Y_a), _bootstrap_f1(weights, Y_true, Y_b)
    diff = f1_b - f1_a
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(diff, [tail, 100 - tail], axis=0)
    macro_diff = diff.mean(axis=1)
    macro_low, macro_high = np.percentile(macro_diff, [tail, 100 - tail])

    per_label = {}
    for j, label in enumerate(labels):
        a, b = metrics_a["labels"][label]["f1"], metrics_b["labels"][label]["f1"]
        per_label[label] = {
            "f1_a": a, "f1_b": b, "diff": b - a, "ci_low": float(low[j]), "ci_high": float(high[j]),
            "support": metrics_a["labels"][label]["support"],
        }
    macro_a, macro_b = metrics_a["macro"]["f1"], metrics_b["macro"]["f1"]
    macro = {"f1_a": macro_a, "f1_b": macro_b, "diff": macro_b - macro_a, "ci_low": float(macro_low),
             "ci_high": float(macro_high)}
    if identity_suite:
        tell(progress, "scoring both models on the identity-term suite")
    return {
        "model_a": name_a,
        "model_b": name_b,
        "n_reports": n,
        "rows": rows,
        "min_rows": min_rows,
        "min_per_label": min_per_label,
        "labels": labels,
        "labels_only_in_a": [label for label in model_a.labels if label not in labels],
        "labels_only_in_b": [label for label in model_b.labels if label not in labels],
        "labels_not_in_data": [label for label in labels if not Y_true[:, labels.index(label)].any()],
        "per_label": per_label,
        "macro": macro,
        "metrics_a": metrics_a,
        "metrics_b": metrics_b,
        "n_resamples": n_resamples,
        "seed": seed,
        "confidence": confidence,
        "verdict": _verdict(name_a, name_b, macro, confidence, n),
        **(_identity_suites(model_a, model_b) if identity_suite else {}),
    }


def format_comparison(result: dict) -> str:
    """The per-label table and the verdict as plain text, for the terminal."""
    level = f"{result['confidence']:.0%} CI"
    # Named in full on the line above; the columns say A and B (two dated models share their first 12 letters).
    a, b = "A", "B"
    header = f"{'label':<18}{a:>13}{b:>13}{'B - A':>9}   {level:<18}{'support':>8}"
    lines = [describe_rows(result), f"A = {result['model_a']}, B = {result['model_b']} (F1)", header,
             "-" * len(header)]
    rows = list(result["per_label"].items()) + [("macro avg", {**result["macro"], "support": None})]
    for label, m in rows:
        support = "" if m["support"] is None else f"{m['support']:>8d}"
        lines.append(
            f"{label:<18}{m['f1_a']:>13.3f}{m['f1_b']:>13.3f}{m['diff']:>+9.3f}   "
            f"{m['ci_low']:+.3f} to {m['ci_high']:+.3f}  {support}"
        )
    if result["labels_only_in_a"] or result["labels_only_in_b"]:
        lines.append(
            f"not compared (one model only): A {result['labels_only_in_a']}, B {result['labels_only_in_b']}"
        )
    if result["labels_not_in_data"]:
        lines.append(f"labels with no example in the data (F1 is 0 for both): {result['labels_not_in_data']}")
    if result.get("identity_suite_a") and result.get("identity_suite_b"):
        lines += _identity_suite_lines(result["identity_suite_a"], result["identity_suite_b"], a, b)
    if result.get("identity_probe_a") and result.get("identity_probe_b"):
        lines += _identity_suite_lines(result["identity_probe_a"], result["identity_probe_b"], a, b,
                                       name="held-out probe", about="not part of the promotion gate, written "
                                       "after the default's settings were chosen")
    if result.get("conflict_nationalities_a") and result.get("conflict_nationalities_b"):
        lines += _conflict_lines(result["conflict_nationalities_a"], result["conflict_nationalities_b"], a, b)
    lines.append(result["verdict"])
    return "\n".join(lines)


def unseen_rows(data: LabelledData, trained_a, trained_b) -> tuple[LabelledData, dict]:
    """The reports of ``data`` whose text neither model trained on (``trained_a`` / ``_b``: text hashes), and the
    counts: ``in_data``, ``trained_on_a``, ``trained_on_b``, ``trained_on_either``, ``unseen``."""
    trained_a, trained_b = frozenset(trained_a), frozenset(trained_b)
    hashes = [text_sha256(text) for text in data.texts]
    in_a = [h in trained_a for h in hashes]
    in_b = [h in trained_b for h in hashes]
    keep = [i for i, (a, b) in enumerate(zip(in_a, in_b, strict=True)) if not (a or b)]
    rows = {"in_data": len(data), "trained_on_a": sum(in_a), "trained_on_b": sum(in_b),
            "trained_on_either": len(data) - len(keep), "unseen": len(keep)}
    return data.subset(keep), rows


def describe_rows(result: dict) -> str:
    """One line: how many reports were scored, out of how many, and how many each model had trained on."""
    rows = result["rows"]
    return (
        f"Scored on {rows['unseen']} of {rows['in_data']} reports, those neither model trained on "
        f"({result['model_a']} trained on {rows['trained_on_a']} of them, {result['model_b']} on "
        f"{rows['trained_on_b']})."
    )


def _recorded_training(model, name) -> frozenset[str]:
    rows = getattr(model, "training_rows", None)
    if rows is None:
        raise DataError(
            f"Model '{name}' does not record which reports it was trained on (it was saved before models kept "
            "them), so a comparison could score it on its own training reports. Retrain it, or compare it with "
            "tension compare or tension promote, which rebuild its training split from the files its metadata "
            "records."
        )
    return rows.trained_on


def _check_enough(data, rows, labels, name_a, name_b, where, min_rows, min_per_label) -> None:
    if rows["trained_on_either"]:
        why = (f"{rows['unseen']} of the {rows['in_data']} reports of {where} are ones neither model trained on "
               f"({name_a} trained on {rows['trained_on_a']} of them, {name_b} on {rows['trained_on_b']})")
    else:
        why = f"{rows['unseen']} reports in {where}, none of which either model trained on"
    fix = ("Compare on reports neither model saw (a newly labelled file, or the test split of the data both were "
           "trained from), or lower the minimum with --min-rows / --min-per-label.")
    if rows["unseen"] < max(min_rows, 1):
        raise TooFewUnseenRows(f"Only {why}; at least {min_rows} are needed to compare them. {fix}")
    counts = data.label_counts(labels)
    short = {label: n for label, n in counts.items() if n < min_per_label}
    if short:
        raise TooFewUnseenRows(
            f"{why[0].upper()}{why[1:]}, and among them too few have label(s) {short}: at least {min_per_label} "
            f"of each are needed to compare them. {fix}"
        )


def _describe_paths(data) -> str:
    paths = [data] if isinstance(data, str | Path) else list(data)
    return ", ".join(f"'{path}'" for path in paths)


def _identity_suites(model_a, model_b) -> dict:
    from classifier.fairness import evaluate_identity_suite, load_identity_probe, summarise_identity_suite
    from classifier.fairness.conflict import evaluate_conflict_nationalities

    probe = load_identity_probe()
    return {"identity_suite_a": summarise_identity_suite(evaluate_identity_suite(model_a)),
            "identity_suite_b": summarise_identity_suite(evaluate_identity_suite(model_b)),
            "identity_probe_a": summarise_identity_suite(evaluate_identity_suite(model_a, probe)),
            "identity_probe_b": summarise_identity_suite(evaluate_identity_suite(model_b, probe)),
            "conflict_nationalities_a": evaluate_conflict_nationalities(model_a),
            "conflict_nationalities_b": evaluate_conflict_nationalities(model_b)}


def _identity_suite_lines(suite_a: dict, suite_b: dict, a: str, b: str, n_terms: int = 3,
                          name: str = "identity-term suite",
                          about: str = "a false positive is any label on a neutral or positive sentence") -> list[str]:
    """Both models' identity-suite (or held-out probe) figures side by side: lower is better for the
    false-positive rates."""
    oa, ob = suite_a["overall"], suite_b["overall"]
    rows = [
        ("false-positive rate", "false_positive_rate", True),
        ("  highest of one term", "max_term_fpr", True),
        ("hostile recall", "hostile_recall", True),
        ("AUC", "auc", False),
        ("mean subgroup AUC", "mean_subgroup_auc", False),
        ("mean BPSN AUC", "mean_bpsn_auc", False),
        ("mean BNSP AUC", "mean_bnsp_auc", False),
    ]
    header = f"{name:<22}{a:>13}{b:>13}{'B - A':>10}"
    size = suite_a["suite"]
    lines = ["", f"{name[0].upper()}{name[1:]}: {size['n_sentences']} sentences about {size['n_terms']} terms; "
             f"{about}.", header, "-" * len(header)]
    for title, key, percent in rows:
        va, vb = oa[key], ob[key]
        cells = [_cell(v, percent) for v in (va, vb)]
        diff = "" if va is None or vb is None else (f"{(vb - va) * 100:+.1f} pts" if percent else f"{vb - va:+.3f}")
        lines.append(f"{title:<22}{cells[0]:>13}{cells[1]:>13}{diff:>10}")
    for name, suite in (("A", suite_a), ("B", suite_b)):
        worst = ", ".join(f"{w['term']} {w['value']:.1%}"
                          for w in suite["worst_terms"]["false_positive_rate"][:n_terms])
        lines.append(f"worst terms {name}: {worst}")
    return lines + [""]


def _conflict_lines(conflict_a: dict, conflict_b: dict, a: str, b: str) -> list[str]:
    """Both models' share of neutral and positive sentences naming an Israeli or a Palestinian given a label."""
    header = f"{'labelled':<22}{a:>13}{b:>13}{'B - A':>10}"
    lines = ["Neutral and positive sentences naming an Israeli or a Palestinian (not in the suite; any label is a "
             "false positive).", header, "-" * len(header)]
    for term in conflict_a:
        if term in conflict_b:
            va, vb = conflict_a[term]["rate"], conflict_b[term]["rate"]
            lines.append(f"{term:<22}{va:>13.1%}{vb:>13.1%}{f'{(vb - va) * 100:+.1f} pts':>10}")
    return lines + [""]


def _cell(value, percent) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1%}" if percent else f"{value:.3f}"


def _predict(model, texts, labels) -> np.ndarray:
    proba = model.predict_proba(texts)
    columns = [model.labels.index(label) for label in labels]
    thresholds = np.asarray([model.thresholds[label] for label in labels])
    return (proba[:, columns] >= thresholds).astype(int)


def _bootstrap_f1(weights, Y_true, Y_pred) -> np.ndarray:
    """F1 per resample and label, shape (n_resamples, n_labels); 0 when a label has no TP, FP or FN."""
    tp = weights @ ((Y_true == 1) & (Y_pred == 1))
    fp = weights @ ((Y_true == 0) & (Y_pred == 1))
    fn = weights @ ((Y_true == 1) & (Y_pred == 0))
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


def _verdict(name_a, name_b, macro, confidence, n) -> str:
    ci = f"{macro['diff']:+.3f}, {confidence:.0%} CI {macro['ci_low']:+.3f} to {macro['ci_high']:+.3f}"
    if macro["ci_low"] > 0:
        return f"{name_b} is better than {name_a}: macro-F1 {macro['f1_b']:.3f} vs {macro['f1_a']:.3f} ({ci})."
    if macro["ci_high"] < 0:
        return f"{name_b} is worse than {name_a}: macro-F1 {macro['f1_b']:.3f} vs {macro['f1_a']:.3f} ({ci})."
    return (
        f"No clear difference between {name_b} and {name_a} on these {n} reports: macro-F1 {macro['f1_b']:.3f} vs "
        f"{macro['f1_a']:.3f} ({ci})."
    )


def _name(model, fallback) -> str:
    from classifier.model.predictor import TensionModel

    if isinstance(model, TensionModel):
        return str(model.metadata.get("name") or fallback)
    if model is None:
        return "default"
    return Path(model).name or fallback
