"""Scoring predictions against true labels: the per-label table that train and evaluate print."""

from __future__ import annotations

import numpy as np

from classifier.model.identity_terms import IDENTITY_TERM_GROUPS, term_groups


def label_metrics(Y_true, Y_pred, labels) -> dict:
    """Per-label precision, recall, F1, support, TP/FP/FN, plus macro and micro averages.

    Precision (or recall) with no predicted (or true) positives is reported as 0.0, as scikit-learn's
    ``zero_division=0`` does. The macro average leaves out a label with no example in the data (a label of the
    model that the file lacks, or a new label with none in the test split): its F1 is undefined, not 0, even when
    the model gives it (those false positives still count in its row and the micro average); ``macro_left_out``
    names them.
    """
    Y_true = np.asarray(Y_true, dtype=int).reshape(-1, len(labels))
    Y_pred = np.asarray(Y_pred, dtype=int).reshape(-1, len(labels))
    per_label = {}
    for j, label in enumerate(labels):
        tp = int(np.sum((Y_true[:, j] == 1) & (Y_pred[:, j] == 1)))
        fp = int(np.sum((Y_true[:, j] == 0) & (Y_pred[:, j] == 1)))
        fn = int(np.sum((Y_true[:, j] == 1) & (Y_pred[:, j] == 0)))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {
            "precision": precision, "recall": recall, "f1": f1, "support": tp + fn, "tp": tp, "fp": fp, "fn": fn,
        }
    tp = sum(m["tp"] for m in per_label.values())
    fp = sum(m["fp"] for m in per_label.values())
    fn = sum(m["fn"] for m in per_label.values())
    micro_p = tp / (tp + fp) if tp + fp else 0.0
    micro_r = tp / (tp + fn) if tp + fn else 0.0
    averaged = [m for m in per_label.values() if m["support"]]
    return {
        "labels": per_label,
        "macro": {
            key: float(np.mean([m[key] for m in averaged])) if averaged else 0.0
            for key in ("precision", "recall", "f1")
        },
        "macro_left_out": [label for label, m in per_label.items() if not m["support"]],
        "micro": {
            "precision": micro_p,
            "recall": micro_r,
            "f1": 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0,
        },
        "exact_match": float(np.mean(np.all(Y_true == Y_pred, axis=1))) if len(Y_true) else 0.0,
        "n_reports": int(len(Y_true)),
    }


def count_unknown_labels(metrics: dict, review: dict | None, Y_true, Y_pred, true_labels, labels) -> None:
    """Add to ``metrics`` (and ``review``) ``unknown_label_reports``: the reports whose labels include one the model
    does not know; and to ``metrics`` ``exact_match_all_labels``, the exact match with those labels counted as
    missed, since the model cannot give them. ``exact_match`` and the review flag's mistakes cover the model's
    labels only: these say how much they leave out."""
    known = set(labels)
    unknown = np.asarray([bool(set(row) - known) for row in true_labels], dtype=bool)
    exact = np.all(np.asarray(Y_true, dtype=int) == np.asarray(Y_pred, dtype=int), axis=1)
    metrics["unknown_label_reports"] = int(unknown.sum())
    metrics["exact_match_all_labels"] = float(np.mean(exact & ~unknown)) if len(exact) else 0.0
    if review is not None:
        review["unknown_label_reports"] = int(unknown.sum())


def macro_left_out_note(metrics: dict) -> str:
    """One sentence on the labels :func:`label_metrics` leaves out of the macro average, and any given anyway."""
    left_out = metrics["macro_left_out"]
    given = {label: metrics["labels"][label]["fp"] for label in left_out if metrics["labels"][label]["fp"]}
    note = (f"macro avg over the {len(metrics['labels']) - len(left_out)} labels with examples in the data; left out, "
            f"with no example (F1 undefined, not 0): {left_out}")
    if given:
        note += " (given anyway: " + ", ".join(f"{label} to {n} report(s)" for label, n in given.items()) + ")"
    return note


def few_examples(metrics: dict, minimum: int) -> dict[str, int]:
    """The labels with fewer than ``minimum`` examples in the data scored, and how many each has: figures on so few
    say little (:data:`classifier.evaluation.compare.MIN_PER_LABEL` is the rule promote applies)."""
    return {label: m["support"] for label, m in metrics["labels"].items() if m["support"] < minimum}


def hard_negative_check(texts, true_labels, Y_pred) -> dict:
    """How often reports with no label that mention identity or place terms also get no predicted label.

    Returns the overall figure and one per term group, each with the number of such reports, how many got
    no label (``clean``), the clean rate and the false-positive rate; plus the false-positive rate over
    all no-label reports for comparison.
    """
    Y_pred = np.asarray(Y_pred, dtype=int)
    groups = {group: [0, 0] for group in IDENTITY_TERM_GROUPS}
    overall = [0, 0]
    negatives = [0, 0]
    for text, labels, predicted in zip(texts, true_labels, Y_pred, strict=True):
        if labels:
            continue
        flagged = int(predicted.sum() > 0)
        negatives[0] += 1
        negatives[1] += flagged
        found = term_groups(text)
        if not found:
            continue
        overall[0] += 1
        overall[1] += flagged
        for group in found:
            groups[group][0] += 1
            groups[group][1] += flagged
    return {
        "overall": _rates(*overall),
        "groups": {group: _rates(*counts) for group, counts in groups.items()},
        "all_negatives": _rates(*negatives),
    }


#: A label that alone sends more than this share of reports to review gets a warning under the review line: its
#: scores crowd its threshold (too few examples to tell it apart), and the flag stops meaning "look here".
REVIEW_FLOOD_SHARE = 0.25


def review_flag_check(Y_true, Y_pred, near, band: float, unfamiliar=None, labels=None) -> dict:
    """How well *needs review* points at the model's mistakes: ``near`` says, per report and label, whether the
    score lies within ``band`` of its threshold (:func:`~classifier.model.predictor.near_thresholds`), and
    ``unfamiliar`` per report whether few of its words are known to the model (it needs review too).

    A report is wrong when any of its labels is (given but not in ``Y_true``, or missing). Returns the reports
    flagged (``unfamiliar`` of them for their words), the wrong ones, how many of the wrong ones are flagged
    (``caught_rate``), and the share of wrong reports among those flagged and those not; with ``labels`` (the
    columns' names), ``by_label``: how many reports each label's score sends to review.
    """
    wrong = np.any(np.asarray(Y_true, dtype=int) != np.asarray(Y_pred, dtype=int), axis=1)
    unfamiliar = np.zeros(len(wrong), dtype=bool) if unfamiliar is None else np.asarray(unfamiliar, dtype=bool)
    flagged = np.asarray(near, dtype=bool).any(axis=1) | unfamiliar
    n, n_flagged, n_wrong = len(wrong), int(flagged.sum()), int(wrong.sum())
    caught = int((wrong & flagged).sum())
    return {
        "band": float(band),
        "n": n,
        "flagged": n_flagged,
        "unfamiliar": int(unfamiliar.sum()),
        "flagged_rate": n_flagged / n if n else None,
        "wrong": n_wrong,
        "wrong_flagged": caught,
        "caught_rate": caught / n_wrong if n_wrong else None,
        "wrong_rate_flagged": caught / n_flagged if n_flagged else None,
        "wrong_rate_not_flagged": (n_wrong - caught) / (n - n_flagged) if n > n_flagged else None,
        **({"by_label": {label: int(column.sum()) for label, column in zip(
            labels, np.asarray(near, dtype=bool).T, strict=True)}} if labels is not None else {}),
    }


def format_review_flag(review: dict) -> str:
    """One line on *needs review* against the model's mistakes (:func:`review_flag_check`)."""
    from classifier.fairness.metrics import format_rate as pct

    unfamiliar = review.get("unfamiliar")
    how = f"a score within {review['band']:.2f} of its threshold" + (
        f"; {unfamiliar} for words the model mostly does not know" if unfamiliar else "")
    line = (f"needs review ({how}): {review['flagged']} of "
            f"{review['n']} reports ({pct(review['flagged_rate'])}); they hold {review['wrong_flagged']} of the "
            f"{review['wrong']} reports with a wrong or missing label ({pct(review['caught_rate'])}); of the "
            f"reports not flagged, {pct(review['wrong_rate_not_flagged'])} have one")
    if review.get("unknown_label_reports"):
        line += (f" (wrong or missing in the model's labels only: {review['unknown_label_reports']} reports also "
                 "carry a label the model cannot give, not counted)")
    for label, count in (review.get("by_label") or {}).items():
        if review["n"] and count > REVIEW_FLOOD_SHARE * review["n"]:
            line += (f"\nwarning: {label!r} alone sends {count} of the {review['n']} reports to review "
                     f"({pct(count / review['n'])}): its scores crowd its threshold, as with a label of few examples, "
                     "and the flag stops pointing at anything. Label more reports of it (or drop it), or narrow the "
                     "band (--review-band).")
    return line


def _over_known_labels(metrics: dict) -> str:
    n = metrics.get("unknown_label_reports")
    if not n:
        return ""
    return (f", over the model's labels only: {n} of them carry a label the model does not know (listed below); "
            f"counted as missed, {metrics['exact_match_all_labels']:.3f}")


def _rates(n, flagged) -> dict:
    return {
        "n": n,
        "clean": n - flagged,
        "clean_rate": (n - flagged) / n if n else None,
        "false_positive_rate": flagged / n if n else None,
    }


def format_table(metrics: dict, hard_negatives: dict | None = None, thresholds: dict | None = None,
                 review: dict | None = None) -> str:
    """The per-label table as plain text, for the terminal (``review``: :func:`review_flag_check`'s figures)."""
    header = f"{'label':<18}{'precision':>10}{'recall':>8}{'f1':>7}{'support':>9}{'tp':>6}{'fp':>6}{'fn':>6}"
    if thresholds:
        header += f"{'threshold':>11}"
    lines = [header, "-" * len(header)]
    for label, m in metrics["labels"].items():
        line = (
            f"{label:<18}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>7.3f}{m['support']:>9d}"
            f"{m['tp']:>6d}{m['fp']:>6d}{m['fn']:>6d}"
        )
        if thresholds:
            line += f"{thresholds.get(label, float('nan')):>11.2f}"
        lines.append(line)
    lines.append("-" * len(header))
    for name in ("macro", "micro"):
        m = metrics[name]
        lines.append(f"{name + ' avg':<18}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>7.3f}")
    if metrics.get("macro_left_out"):
        lines.append(macro_left_out_note(metrics))
    lines.append(f"exact match (all labels right): {metrics['exact_match']:.3f} on {metrics['n_reports']} reports"
                 + _over_known_labels(metrics))
    if hard_negatives is not None:
        overall = hard_negatives["overall"]
        if overall["n"]:
            lines.append(
                f"hard negatives (no label, mention a faith, place of worship, nationality, hotel, flag or "
                f"protest): {overall['clean']}/{overall['n']} got no label ({overall['clean_rate']:.1%})"
            )
    if review is not None:
        lines.append(format_review_flag(review))
    return "\n".join(lines)
