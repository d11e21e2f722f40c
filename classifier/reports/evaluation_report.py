"""The evaluation report behind ``tension evaluate --report DIR``: ``metrics.json`` and ``report.html``.

``metrics.json`` holds numbers only (ids, never report text). ``report.html`` is one self-contained file
(plots embedded as base64 PNG, inline CSS, no scripts) for the data scientist who retrains: it shows short,
escaped snippets of the worst errors, so treat it as personal data and keep it inside the team (it is written
readable by its owner only). The page is the template ``templates/evaluation_report.html`` (autoescaped, see
`classifier.reports.rendering`); this module works out what it shows.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from classifier.errors import ConfigError
from classifier.io.atomic import write_text
from classifier.model.preprocess import IDENTIFIER_DIGITS, NUMBER_TOKEN, mask_identifiers
from classifier.reports.rendering import png_data_uri, render

METRICS_FILE = "metrics.json"
REPORT_FILE = "report.html"
SNIPPET_CHARS = 160
CALIBRATION_BINS = 10
N_ERRORS = 25
N_WORD_TERMS = 15
N_CHAR_TERMS = 10

#: Section ids of ``report.html``, in page order, with their headings.
SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "per-label": "Per-label results",
    "pr-curves": "Precision–recall curves",
    "calibration": "Calibration",
    "cooccurrence": "Label co-occurrence",
    "terms": "Most informative terms",
    "errors": "Worst errors",
    "review-band": "Needs review: the band's trade-off",
    "identity-terms": "Identity-term check",
    "identity-suite": "Identity-term test suite",
    "identity-probe": "Held-out identity probe",
    "label-coverage": "Labels in the data and in the model",
}


def write_evaluation_report(model, data_path, out_dir, *, text_column=None, labels_column="labels", split=None,
                            evaluation: dict | None = None, n_errors: int = N_ERRORS) -> dict:
    """Score ``model`` on a labelled file and write ``metrics.json`` and ``report.html`` to ``out_dir``.

    Parameters
    ----------
    model : TensionModel or path
        A loaded model, or a model folder/name for :func:`classifier.load_model`.
    data_path : path
        Labelled CSV, TSV, XLSX or JSONL file.
    out_dir : path
        Folder to write; created if missing, existing report files in it are replaced.
    text_column, labels_column, split
        As for :func:`classifier.evaluation.evaluate.evaluate_model`.
    evaluation : dict, optional
        What :func:`~classifier.evaluation.evaluate.evaluate_model` already returned for this model and file, to
        avoid predicting twice (``tension evaluate --report`` passes it).
    n_errors : int, default=25
        How many of the worst errors to list.

    Returns
    -------
    dict
        What ``metrics.json`` holds.

    Raises
    ------
    DataError
        Unreadable data file, missing column, or no row of the requested split.
    ModelError
        ``model`` is a path that holds no loadable model.
    """
    from classifier.evaluation.evaluate import evaluate_model
    from classifier.model.predictor import TensionModel

    if not isinstance(n_errors, int) or n_errors < 0:
        raise ConfigError(f"'n_errors' must be a non-negative int. Got {n_errors!r}.")
    if not isinstance(model, TensionModel):
        from classifier.model.predictor import load_model

        model = load_model(model)
    if evaluation is None:
        evaluation = evaluate_model(model, data_path, text_column=text_column, labels_column=labels_column,
                                    split=split)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"Report folder '{out_dir}' exists and is not a folder. Choose another --report path.")
    out_dir.mkdir(parents=True, exist_ok=True)

    metrics = build_metrics(model, data_path, evaluation, split=split, n_errors=n_errors)
    page = render_html(metrics, evaluation, model)
    write_text(out_dir / METRICS_FILE, json.dumps(metrics, indent=2, allow_nan=False) + "\n")
    write_text(out_dir / REPORT_FILE, page, private=True)  # snippets of reports: the owner's only
    return metrics


def build_metrics(model, data_path, evaluation: dict, *, split=None, n_errors: int = N_ERRORS) -> dict:
    """The machine-readable report: everything in ``report.html`` except text snippets and plots."""
    from classifier.fairness import evaluate_identity_suite, load_identity_probe, summarise_identity_suite
    from classifier.fairness.conflict import evaluate_conflict_nationalities

    labels = list(evaluation["labels"])
    data = evaluation["data"]
    Y_true = np.asarray(evaluation["Y_true"], dtype=int).reshape(-1, len(labels))
    Y_pred = np.asarray(evaluation["Y_pred"], dtype=int).reshape(-1, len(labels))
    proba = np.asarray(evaluation["proba"], dtype=float).reshape(-1, len(labels))
    thresholds = {label: float(evaluation["thresholds"][label]) for label in labels}
    metrics = evaluation["metrics"]
    per_label = {}
    for j, label in enumerate(labels):
        entry = dict(metrics["labels"][label])
        entry["threshold"] = thresholds[label]
        entry["average_precision"] = _average_precision(Y_true[:, j], proba[:, j])
        entry["calibration"] = calibration_bins(Y_true[:, j], proba[:, j])
        entry["ece"] = entry["calibration"]["ece"]
        per_label[label] = entry
    counts_in_data = {}
    for row in data.labels:
        for label in row:
            counts_in_data[label] = counts_in_data.get(label, 0) + 1
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {
            "name": model.metadata.get("name"),
            "created": model.metadata.get("created"),
            "model_sha256": model.metadata.get("model_sha256"),
            "labels": labels,
            "thresholds": thresholds,
        },
        "data": {
            "path": str(data_path),
            "sha256": next(iter(data.file_hashes.values()), None),
            "split": split,
            "n_reports": int(evaluation["n_reports"]),
            "trained_on_rows": int(evaluation.get("trained_on_rows", 0)),
            "unseen_only": bool(evaluation.get("unseen_only", False)),
            "no_label": int(sum(not row for row in data.labels)),
            "label_counts": dict(sorted(counts_in_data.items())),
        },
        "labels": per_label,
        "macro": dict(metrics["macro"]),
        "micro": dict(metrics["micro"]),
        "exact_match": metrics["exact_match"],
        "n_reports": metrics["n_reports"],
        "review_flag": evaluation.get("review_flag"),
        "review_bands": evaluation.get("review_bands") or [],
        "macro_ece": float(np.mean([per_label[label]["ece"] for label in labels])) if labels else 0.0,
        "cooccurrence": cooccurrence(Y_true, Y_pred, labels),
        "identity_terms": evaluation["hard_negatives"],
        "identity_suite": evaluation.get("identity_suite") or evaluate_identity_suite(model),
        "identity_probe": summarise_identity_suite(evaluation.get("identity_probe")
                                                   or evaluate_identity_suite(model, load_identity_probe())),
        "conflict_nationalities": evaluation.get("conflict_nationalities") or evaluate_conflict_nationalities(model),
        "labels_not_in_model": list(evaluation["labels_not_in_model"]),
        "labels_not_in_data": list(evaluation["labels_not_in_data"]),
        "top_terms": informative_terms(model),
        "worst_errors": worst_errors(data, Y_true, Y_pred, proba, labels, thresholds, n_errors),
    }


def calibration_bins(y_true, proba, n_bins: int = CALIBRATION_BINS) -> dict:
    """Reliability-diagram bins and the expected calibration error of one label.

    Scores fall into ``n_bins`` equal-width bins over [0, 1]; ECE is the report-weighted mean of
    ``|fraction positive - mean score|`` over the non-empty bins.

    Examples
    --------
    >>> calibration_bins([0, 1], [0.0, 1.0], n_bins=2)["ece"]
    0.0
    """
    y_true = np.asarray(y_true, dtype=float)
    proba = np.asarray(proba, dtype=float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.digitize(proba, edges[1:-1], right=False), 0, n_bins - 1)
    bins, ece = [], 0.0
    for b in range(n_bins):
        inside = index == b
        n = int(inside.sum())
        if not n:
            bins.append({"low": float(edges[b]), "high": float(edges[b + 1]), "n": 0,
                         "mean_score": None, "fraction_positive": None})
            continue
        mean_score = float(proba[inside].mean())
        fraction = float(y_true[inside].mean())
        ece += n / len(proba) * abs(fraction - mean_score)
        bins.append({"low": float(edges[b]), "high": float(edges[b + 1]), "n": n,
                     "mean_score": mean_score, "fraction_positive": fraction})
    return {"bins": bins, "ece": float(ece) if len(proba) else 0.0}


def cooccurrence(Y_true, Y_pred, labels) -> dict:
    """How often two labels go together: in the true labels, in the predictions, and true × predicted.

    ``true[a][b]`` counts reports labelled both ``a`` and ``b`` (the diagonal is each label's count);
    ``true_vs_predicted[a][b]`` counts reports truly ``a`` that were predicted ``b``, so its off-diagonal
    cells show which labels the model confuses.
    """
    Y_true = np.asarray(Y_true, dtype=int)
    Y_pred = np.asarray(Y_pred, dtype=int)

    def table(a, b):
        counts = a.T @ b
        return {x: {y: int(counts[i, j]) for j, y in enumerate(labels)} for i, x in enumerate(labels)}

    return {
        "true": table(Y_true, Y_true),
        "predicted": table(Y_pred, Y_pred),
        "true_vs_predicted": table(Y_true, Y_pred),
    }


def informative_terms(model, n_words: int = N_WORD_TERMS, n_chars: int = N_CHAR_TERMS) -> dict:
    """The features with the largest positive and negative weights per label, word n-grams and character
    n-grams separately (weights are on TF-IDF features, so they compare within a kind, roughly across)."""
    from classifier.model.features import CHAR, WORD
    from classifier.model.pipeline import CLASSIFIER, FEATURES

    steps = model.pipeline.named_steps
    vectorizers = dict(steps[FEATURES].transformer_list)
    coef = np.asarray(steps[CLASSIFIER].coef_)
    word_terms = _terms_by_index(vectorizers[WORD].vocabulary_)
    char_terms = _terms_by_index(vectorizers[CHAR].vocabulary_)
    n_word = len(word_terms)
    result = {}
    for j, label in enumerate(model.labels):
        word_w, char_w = coef[j, :n_word], coef[j, n_word:n_word + len(char_terms)]
        result[label] = {
            "words": _ranked(word_terms, word_w, n_words, positive=True),
            "words_against": _ranked(word_terms, word_w, n_words // 2, positive=False),
            "char_ngrams": _ranked(char_terms, char_w, n_chars, positive=True),
        }
    return result


def worst_errors(data, Y_true, Y_pred, proba, labels, thresholds: dict, n: int = N_ERRORS) -> list[dict]:
    """The ``n`` reports the model got most confidently wrong.

    A report's severity is its largest margin on the wrong side of a threshold: ``score - threshold`` for
    a false label, ``threshold - score`` for a missed one. Ids and sources only, no text.
    """
    t = np.asarray([thresholds[label] for label in labels])
    false_pos = (Y_pred == 1) & (Y_true == 0)
    false_neg = (Y_pred == 0) & (Y_true == 1)
    margin = np.where(false_pos, proba - t, 0.0) + np.where(false_neg, t - proba, 0.0)
    wrong = np.flatnonzero((false_pos | false_neg).any(axis=1)) if len(labels) else np.array([], dtype=int)
    severity = margin[wrong].max(axis=1) if len(wrong) else np.array([])
    order = wrong[np.argsort(-severity, kind="stable")][:n]
    errors = []
    for i in order.tolist():
        errors.append({
            "index": i,  # position among the evaluated reports (0-based); "source" names the file row
            "id": data.ids[i],
            "source": data.sources[i],
            "true": list(data.labels[i]),
            "predicted": [label for j, label in enumerate(labels) if Y_pred[i, j]],
            "false_positives": [label for j, label in enumerate(labels) if false_pos[i, j]],
            "false_negatives": [label for j, label in enumerate(labels) if false_neg[i, j]],
            "scores": {label: round(float(proba[i, j]), 4) for j, label in enumerate(labels)},
            "severity": round(float(margin[i].max()), 4),
        })
    return errors


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """One line of at most ``limit`` characters (an ellipsis marks a cut), not yet HTML-escaped.

    Examples
    --------
    >>> snippet("a  b\\nc")
    'a b c'
    >>> len(snippet("x" * 500))
    160
    """
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------------------------------------- HTML


def render_html(metrics: dict, evaluation: dict, model) -> str:
    """The self-contained HTML page for a report built by :func:`build_metrics`."""
    labels = metrics["model"]["labels"]
    data = evaluation["data"]
    Y_true = np.asarray(evaluation["Y_true"], dtype=int).reshape(-1, len(labels))
    proba = np.asarray(evaluation["proba"], dtype=float).reshape(-1, len(labels))
    reasons = _error_reasons(model, data, metrics["worst_errors"])
    return render(
        "evaluation_report.html",
        title=f"Evaluation report: {metrics['model']['name'] or 'model'} on {Path(metrics['data']['path']).name}",
        sections=SECTIONS,
        summary=_summary(metrics),
        per_label=_per_label(metrics),
        pr_image=_pr_image(metrics, Y_true, proba),
        calibration=_calibration(metrics),
        cooccurrence=_cooccurrence(metrics),
        terms=_terms(metrics),
        errors=_errors(metrics, data, reasons),
        identity=_identity(metrics),
        bands=_review_bands(metrics),
        suite=_identity_suite(metrics["identity_suite"]),
        probe=_identity_probe(metrics.get("identity_probe")),
        coverage=_coverage(metrics),
    )


def _summary(m: dict) -> dict:
    d = m["data"]
    split = f", split '{d['split']}'" if d["split"] else ""
    rows = [
        ("Model", f"{m['model']['name'] or '(unnamed)'} (created {m['model']['created'] or 'unknown'})"),
        ("Data", f"{d['path']} (sha256 {str(d['sha256'])[:12]}…){split}"),
        ("Reports", f"{d['n_reports']} ({d['no_label']} with no label)"),
        ("Macro F1", f"{m['macro']['f1']:.3f} (precision {m['macro']['precision']:.3f}, "
                     f"recall {m['macro']['recall']:.3f})"),
        ("Micro F1", f"{m['micro']['f1']:.3f}"),
        ("Exact match", f"{m['exact_match']:.3f}"),
        *([("Needs review", _review_flag(m["review_flag"]))] if m.get("review_flag") else []),
        ("Mean ECE", f"{m['macro_ece']:.3f}"),
    ]
    return {"rows": rows, "unknown": ", ".join(m["labels_not_in_model"])}


def _review_flag(review: dict) -> str:
    from classifier.fairness.metrics import format_rate

    return (f"{review['flagged']} reports ({format_rate(review['flagged_rate'])}, a score within {review['band']:.2f} "
            f"of its threshold) holding {review['wrong_flagged']} of the {review['wrong']} with a wrong or missing "
            f"label ({format_rate(review['caught_rate'])}); {format_rate(review['wrong_rate_not_flagged'])} of the "
            "others have one")


def _review_bands(m: dict) -> list[dict]:
    """One row per review band: reports flagged and the mistakes among them, the model's own band marked."""
    from classifier.fairness.metrics import format_rate

    own = (m.get("review_flag") or {}).get("band")
    return [{"band": f"{r['band']:.2f}", "own": r["band"] == own,
             "flagged": f"{r['flagged']} ({format_rate(r['flagged_rate'])})",
             "caught": f"{r['wrong_flagged']} of {r['wrong']} ({format_rate(r['caught_rate'])})",
             "missed": format_rate(r["wrong_rate_not_flagged"])} for r in m.get("review_bands") or []]


def _per_label(m: dict) -> dict:
    rows = []
    for label, s in m["labels"].items():
        ap = "n/a" if s["average_precision"] is None else f"{s['average_precision']:.3f}"
        rows.append((label, [f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}", s["support"], s["tp"],
                             s["fp"], s["fn"], f"{s['threshold']:.2f}", ap, f"{s['ece']:.3f}"]))
    averages = [(name, {key: f"{m[name][key]:.3f}" for key in ("precision", "recall", "f1")})
                for name in ("macro", "micro")]
    return {"rows": rows, "averages": averages}


def _pr_image(m: dict, Y_true, proba):
    from sklearn.metrics import precision_recall_curve

    labels = list(m["labels"])
    fig, axes = _grid(len(labels))
    for ax, (j, label) in zip(axes, enumerate(labels), strict=False):
        s = m["labels"][label]
        ax.set_title(label, fontsize=10)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall", fontsize=8)
        ax.set_ylabel("precision", fontsize=8)
        if not Y_true[:, j].any():
            ax.text(0.5, 0.5, "no example\nin the data", ha="center", va="center", fontsize=9)
            continue
        precision, recall, _ = precision_recall_curve(Y_true[:, j], proba[:, j])
        ax.plot(recall, precision, lw=1.5, drawstyle="steps-post")
        ax.plot([s["recall"]], [s["precision"]], "o", color="crimson",
                label=f"threshold {s['threshold']:.2f}")
        ax.axhline(Y_true[:, j].mean(), color="grey", lw=0.8, ls=":")
        ax.legend(fontsize=7, loc="lower left")
    for ax in axes[len(labels):]:
        ax.set_visible(False)
    fig.tight_layout()
    return _png(fig)


def _calibration(m: dict) -> dict:
    labels = list(m["labels"])
    fig, axes = _grid(len(labels))
    for ax, label in zip(axes, labels, strict=False):
        bins = [b for b in m["labels"][label]["calibration"]["bins"] if b["n"]]
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
        ax.plot([b["mean_score"] for b in bins], [b["fraction_positive"] for b in bins], "o-", ms=3)
        ax.set_title(f"{label} (ECE {m['labels'][label]['ece']:.3f})", fontsize=10)
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("mean score in bin", fontsize=8)
        ax.set_ylabel("fraction with label", fontsize=8)
    for ax in axes[len(labels):]:
        ax.set_visible(False)
    fig.tight_layout()
    bins = [f"{b['low']:.1f}–{b['high']:.1f}" for b in m["labels"][labels[0]]["calibration"]["bins"]] if labels else []
    rows = [
        {"label": label, "ece": f"{m['labels'][label]['ece']:.3f}",
         "cells": [{"fraction": f"{b['fraction_positive']:.2f}", "n": b["n"]} if b["n"] else None
                   for b in m["labels"][label]["calibration"]["bins"]]}
        for label in labels
    ]
    return {"image": _png(fig), "bins": bins, "rows": rows, "n_bins": CALIBRATION_BINS}


def _cooccurrence(m: dict) -> dict:
    labels = m["model"]["labels"]
    co = m["cooccurrence"]
    titles = {"true": "true labels", "predicted": "predicted labels", "true_vs_predicted": "true (rows) × predicted"}
    fig = _figure(13, 4.4)
    axes = fig.subplots(1, 3)
    for ax, (key, title) in zip(axes, titles.items(), strict=True):
        matrix = np.array([[co[key][a][b] for b in labels] for a in labels])
        ax.imshow(matrix, cmap="Blues")
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        top = matrix.max() if matrix.size else 0
        for (a, b), value in np.ndenumerate(matrix):
            ax.text(b, a, str(value), ha="center", va="center", fontsize=7,
                    color="white" if top and value > top / 2 else "black")
    fig.tight_layout()
    tables = [{"title": title, "rows": [(a, [co[key][a][b] for b in labels]) for a in labels]}
              for key, title in titles.items()]
    return {"image": _png(fig), "labels": labels, "tables": tables}


def _terms(m: dict) -> list[dict]:
    def weighted(terms, *, boundaries=False):
        return [{"term": t["term"].replace(" ", "␣") if boundaries else t["term"], "weight": f"{t['weight']:+.2f}"}
                for t in terms]

    return [
        {"label": label, "words": weighted(terms["words"]), "chars": weighted(terms["char_ngrams"], boundaries=True),
         "against": weighted(terms["words_against"])}
        for label, terms in m["top_terms"].items()
    ]


#: Groups of digits written apart ("485 777 3456", "07700.900.321") and words holding digits ("QQ123456C").
_DIGIT_GROUPS = re.compile(r"\d+(?:[ ./-]\d+)+")
_WITH_DIGITS = re.compile(r"\S*\d\S*")


def masked(text: str) -> str:
    """``text`` with its identifiers masked as the model reads them: e-mails, phone numbers, postcodes, URLs and
    handles (:func:`~classifier.model.preprocess.mask_identifiers`), and any number or reference of
    :data:`~classifier.model.preprocess.IDENTIFIER_DIGITS` digits or more, even written in groups (an NHS or
    National Insurance number, a date of birth, a crime reference).

    >>> masked("NHS 485 777 3456, NI QQ123456C, DOB 12/03/1985, flat 4, ref 14/123456/23")
    'NHS  xxnum , NI  xxnum , DOB  xxnum , flat 4, ref  xxnum '
    """

    def number(match: re.Match) -> str:
        found = match.group()
        if sum(char.isdigit() for char in found) < IDENTIFIER_DIGITS:
            return found
        return f" {NUMBER_TOKEN} " + ("," if found.endswith(",") else "")

    text = mask_identifiers(text)
    return _WITH_DIGITS.sub(number, _DIGIT_GROUPS.sub(number, text))


def _errors(m: dict, data, reasons: dict[int, dict]) -> list[dict]:
    rows = []
    for err in m["worst_errors"]:
        wrong = set(err["false_positives"]) | set(err["false_negatives"])
        scores = sorted(err["scores"].items(), key=lambda item: -item[1])
        rows.append({
            # Identifiers masked as the model reads them (a phone number, an e-mail, a postcode, a reference).
            "id": err["id"], "source": err["source"], "snippet": snippet(masked(data.texts[err["index"]])),
            "true": ", ".join(err["true"]) or "(none)", "predicted": ", ".join(err["predicted"]) or "(none)",
            "scores": [(label, f"{score:.2f}", label in wrong) for label, score in scores],
            "why": [(label, ", ".join(terms)) for label, terms in reasons.get(err["index"], {}).items()],
        })
    return rows


def _identity(m: dict) -> dict:
    hard = m["identity_terms"]
    rows_data = list(hard["groups"].items()) + [("any of these", hard["overall"]),
                                                ("all no-label reports", hard["all_negatives"])]
    rows = [
        {"group": group, "n": r["n"], "clean": r["clean"], "labelled": r["n"] - r["clean"],
         "rate": "n/a" if r["false_positive_rate"] is None else f"{r['false_positive_rate']:.1%}"}
        for group, r in rows_data
    ]
    fig = _figure(7, 3)
    ax = fig.subplots()
    groups = [g for g, r in hard["groups"].items() if r["n"]]
    rates = [hard["groups"][g]["false_positive_rate"] for g in groups]
    ax.barh(groups, rates, color="#4a7ab5")
    ax.invert_yaxis()
    baseline = hard["all_negatives"]["false_positive_rate"]
    if baseline is not None:
        ax.axvline(baseline, color="crimson", ls="--", lw=1, label=f"all no-label reports ({baseline:.1%})")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel("false-positive rate on no-label reports that mention the group", fontsize=8)
    ax.set_xlim(0, max([0.05, *(r for r in rates if r is not None), baseline or 0]) * 1.15)
    fig.tight_layout()
    return {"image": _png(fig), "rows": rows}


def _identity_probe(probe: dict | None) -> dict | None:
    """The held-out probe's overall figures and one row per term group (as the model card gives them)."""
    from classifier.fairness.metrics import format_hostile_recall
    from classifier.fairness.metrics import format_rate as pct

    if not probe:
        return None
    size, o = probe["suite"], probe["overall"]
    return {
        "n_sentences": size["n_sentences"], "n_terms": size["n_terms"],
        "fpr": f"{pct(o['false_positive_rate'])} ({o['false_positives']} of {o['n_non_hostile']})",
        "max_term": f"{o['max_term_fpr_term']} {pct(o['max_term_fpr'])}",
        "hostile_recall": format_hostile_recall(probe),
        "groups": [{"group": group, "fpr": pct(g["false_positive_rate"]),
                    "max_term": f"{g['max_term_fpr_term']} {pct(g['max_term_fpr'])}",
                    "hostile_recall": pct(g["hostile_recall"])} for group, g in probe["groups"].items()],
    }


def _identity_suite(suite: dict) -> dict:
    from classifier.fairness.gate import MAX_SUITE_FPR, MAX_TERM_FPR
    from classifier.fairness.metrics import format_hostile_recall
    from classifier.fairness.suite import load_identity_suite

    size, o = suite["suite"], suite["overall"]
    terms = suite["terms"]

    def pct(value):
        return "n/a" if value is None else f"{value:.1%}"

    def num(value):
        return "n/a" if value is None else f"{value:.3f}"

    def over(value, limit):
        """The limit as shown when `value` exceeds it, else None."""
        return None if value is None or value <= limit else f"{limit:.0%}"

    base = suite.get("baseline")
    overall = [
        ("Sentences", f"{size['n_sentences']} ({size['n_non_hostile']} neutral or positive, {size['n_hostile']} "
                      f"hostile) about {size['n_terms']} terms", None),
        ("False-positive rate (any label on a neutral or positive sentence)",
         f"{pct(o['false_positive_rate'])} ({o['false_positives']} of {o['n_non_hostile']}); neutral "
         f"{pct(o['false_positive_rate_neutral'])}, positive {pct(o['false_positive_rate_positive'])}",
         over(o["false_positive_rate"], MAX_SUITE_FPR)),
        ("Highest false-positive rate of one term", f"{pct(o['max_term_fpr'])} ({o['max_term_fpr_term']})",
         over(o["max_term_fpr"], MAX_TERM_FPR)),
        ("Hostile recall (the expected label given)",
         f"{format_hostile_recall(suite)}; any label on "
         f"{pct(o['hostile_any_label_rate'])}", None),
        ("AUC, hostile against the rest", num(o["auc"]), None),
        ("Subgroup AUC over terms: mean / min / power mean", f"{num(o['mean_subgroup_auc'])} / "
         f"{num(o['min_subgroup_auc'])} / {num(o['power_mean_subgroup_auc'])}", None),
        ("BPSN AUC over terms: mean / min / power mean", f"{num(o['mean_bpsn_auc'])} / {num(o['min_bpsn_auc'])} / "
         f"{num(o['power_mean_bpsn_auc'])}", None),
        ("BNSP AUC over terms: mean / min / power mean", f"{num(o['mean_bnsp_auc'])} / {num(o['min_bnsp_auc'])} / "
         f"{num(o['power_mean_bnsp_auc'])}", None),
    ]
    if base:
        flagged = ", ".join(base["templates_flagged"]) or "none"
        overall.append(("Templates flagged with no identity term in them",
                        f"{base['false_positives']} of {base['n']} ({flagged})", None))
    groups = [
        {"group": group, "n_terms": g["n_terms"], "fpr": pct(g["false_positive_rate"]),
         "max_term": g["max_term_fpr_term"], "max_term_fpr": pct(g["max_term_fpr"]),
         "hostile_recall": pct(g["hostile_recall"]), "expected_labels": ", ".join(g["expected_labels"]),
         "subgroup_auc": num(g["subgroup_auc"]), "bpsn_auc": num(g["bpsn_auc"]), "bnsp_auc": num(g["bnsp_auc"])}
        for group, g in suite["groups"].items()
    ]
    ranked = sorted(terms.items(), key=lambda item: -(item[1]["false_positive_rate"] or 0))
    term_rows = [
        {"term": term, "group": t["group"], "fpr": pct(t["false_positive_rate"]),
         "limit": over(t["false_positive_rate"], MAX_TERM_FPR), "fpr_neutral": pct(t["false_positive_rate_neutral"]),
         "fpr_positive": pct(t["false_positive_rate_positive"]), "hostile_recall": pct(t["hostile_recall"]),
         "subgroup_auc": num(t["subgroup_auc"]), "bpsn_auc": num(t["bpsn_auc"]), "bnsp_auc": num(t["bnsp_auc"])}
        for term, t in ranked
    ]
    texts = {s.id: s.text for s in load_identity_suite().sentences}
    false_positives = [
        {"id": fp["id"], "text": texts.get(fp["id"], ""), "labels": ", ".join(fp["labels"]),
         "margin": f"{fp['margin']:+.2f}"}
        for fp in suite["worst_false_positives"][:10]
    ]
    contexts = [
        {"context": context, "fpr": pct(c["false_positive_rate"]), "hostile_recall": pct(c["hostile_recall"])}
        for context, c in sorted(suite["by_context"].items(), key=lambda item: -(item[1]["false_positive_rate"] or 0))
    ]
    fig = _figure(7, max(3.0, 0.19 * len(ranked)))
    ax = fig.subplots()
    colours = {"religion": "#4a7ab5", "ethnicity": "#c0504d", "nationality": "#9bbb59", "migration_status": "#8064a2"}
    names = [term for term, _ in ranked][::-1]
    rates = [(terms[term]["false_positive_rate"] or 0) for term in names]
    ax.barh(names, rates, color=[colours.get(terms[term]["group"], "grey") for term in names])
    ax.axvline(MAX_TERM_FPR, color="crimson", ls="--", lw=1, label=f"per-term limit ({MAX_TERM_FPR:.0%})")
    if o["false_positive_rate"] is not None:
        ax.axvline(o["false_positive_rate"], color="black", ls=":", lw=1,
                   label=f"all terms ({o['false_positive_rate']:.1%})")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("false-positive rate on the term's neutral and positive sentences (colour: term group)", fontsize=8)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return {"size": size, "overall": overall, "image": _png(fig), "groups": groups, "terms": term_rows,
            "false_positives": false_positives, "contexts": contexts}


def _coverage(m: dict) -> dict:
    counts = m["data"]["label_counts"]
    return {
        "unknown": [(label, counts.get(label, 0)) for label in m["labels_not_in_model"]],
        "missing": ", ".join(m["labels_not_in_data"]),
        "known": [(label, counts.get(label, 0)) for label in m["model"]["labels"]],
    }


# ---------------------------------------------------------------------------------------------- helpers


def _error_reasons(model, data, errors) -> dict[int, dict]:
    """Terms behind the predicted labels of each listed error (one small predict call)."""
    if not errors:
        return {}
    predictions = model.predict([data.texts[e["index"]] for e in errors], on_invalid="flag", explain=True, top_k=5)
    return {e["index"]: p.reasons for e, p in zip(errors, predictions, strict=True)}


def _average_precision(y_true, scores) -> float | None:
    if not np.any(y_true):
        return None
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y_true, scores))


def _terms_by_index(vocabulary: dict) -> np.ndarray:
    terms = np.empty(len(vocabulary), dtype=object)
    for term, index in vocabulary.items():
        terms[index] = term
    return terms


def _ranked(terms, weights, n: int, *, positive: bool) -> list[dict]:
    if not len(weights) or n <= 0:
        return []
    order = np.argsort(-weights if positive else weights, kind="stable")[:n]
    return [{"term": str(terms[i]), "weight": round(float(weights[i]), 4)} for i in order
            if (weights[i] > 0 if positive else weights[i] < 0)]


def _figure(width: float, height: float):
    # A bare Figure renders with Agg and leaves pyplot's global state (and a notebook's backend) alone.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _grid(n: int):
    cols = min(3, max(n, 1))
    rows = max(1, -(-n // cols))
    fig = _figure(4 * cols, 3.4 * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, list(axes.ravel())


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return png_data_uri(buffer.getvalue())
