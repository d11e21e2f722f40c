"""The evaluation report behind ``tension evaluate --report DIR``: ``metrics.json`` and ``report.html``.

``metrics.json`` holds numbers only (ids, never report text). ``report.html`` is one self-contained file
(plots embedded as base64 PNG, inline CSS, no scripts) for the data scientist who retrains: it shows short,
escaped snippets of the worst errors, so treat it as personal data and keep it inside the team.
"""

from __future__ import annotations

import base64
import html
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from classifier.errors import ConfigError
from classifier.io.atomic import write_text

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
    "identity-terms": "Identity-term check",
    "identity-suite": "Identity-term test suite",
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
    from classifier.fairness import evaluate_identity_suite

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
            "no_label": int(sum(not row for row in data.labels)),
            "label_counts": dict(sorted(counts_in_data.items())),
        },
        "labels": per_label,
        "macro": dict(metrics["macro"]),
        "micro": dict(metrics["micro"]),
        "exact_match": metrics["exact_match"],
        "n_reports": metrics["n_reports"],
        "macro_ece": float(np.mean([per_label[label]["ece"] for label in labels])) if labels else 0.0,
        "cooccurrence": cooccurrence(Y_true, Y_pred, labels),
        "identity_terms": evaluation["hard_negatives"],
        "identity_suite": evaluation.get("identity_suite") or evaluate_identity_suite(model),
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
            "row": i,
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
    body = [
        _section("summary", _summary_html(metrics)),
        _section("per-label", _per_label_html(metrics)),
        _section("pr-curves", _pr_html(metrics, Y_true, proba)),
        _section("calibration", _calibration_html(metrics)),
        _section("cooccurrence", _cooccurrence_html(metrics)),
        _section("terms", _terms_html(metrics)),
        _section("errors", _errors_html(metrics, data, reasons)),
        _section("identity-terms", _identity_html(metrics)),
        _section("identity-suite", _identity_suite_html(metrics["identity_suite"])),
        _section("label-coverage", _coverage_html(metrics)),
    ]
    toc = "".join(f'<li><a href="#{key}">{_e(title)}</a></li>' for key, title in SECTIONS.items())
    title = f"Evaluation report: {metrics['model']['name'] or 'model'} on {Path(metrics['data']['path']).name}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{_e(title)}</h1>\n"
        '<p class="note">Internal report for the team that trains the model. The worst-errors table quotes '
        "short snippets of reports: treat this file as personal data.</p>\n"
        f'<nav><ol>{toc}</ol></nav>\n' + "\n".join(body) + "\n</body>\n</html>\n"
    )


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1em}th,td{border:1px solid #ccc;padding:3px 7px;"
    "text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#f2f2f2}.note{color:#555;font-size:0.9em}img{max-width:100%}"
    "code{background:#f5f5f5;padding:0 3px}.bad{color:#a00}.small{font-size:0.85em}"
)


def _section(key: str, inner: str) -> str:
    return f'<section id="{key}">\n<h2>{_e(SECTIONS[key])}</h2>\n{inner}\n</section>'


def _summary_html(m: dict) -> str:
    d = m["data"]
    split = f", split '{d['split']}'" if d["split"] else ""  # the whole cell is escaped below
    rows = [
        ("Model", f"{m['model']['name'] or '(unnamed)'} (created {m['model']['created'] or 'unknown'})"),
        ("Data", f"{d['path']} (sha256 {str(d['sha256'])[:12]}…){split}"),
        ("Reports", f"{d['n_reports']} ({d['no_label']} with no label)"),
        ("Macro F1", f"{m['macro']['f1']:.3f} (precision {m['macro']['precision']:.3f}, "
                     f"recall {m['macro']['recall']:.3f})"),
        ("Micro F1", f"{m['micro']['f1']:.3f}"),
        ("Exact match", f"{m['exact_match']:.3f}"),
        ("Mean ECE", f"{m['macro_ece']:.3f}"),
    ]
    table = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    warn = ""
    if m["labels_not_in_model"]:
        warn = (f'<p class="bad">Labels in the data that the model does not know (not scored): '
                f"{_e(', '.join(m['labels_not_in_model']))}.</p>")
    return f"<table>{table}</table>{warn}"


def _per_label_html(m: dict) -> str:
    head = ("<tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>TP</th>"
            "<th>FP</th><th>FN</th><th>threshold</th><th>average precision</th><th>ECE</th></tr>")
    rows = []
    for label, s in m["labels"].items():
        ap = "n/a" if s["average_precision"] is None else f"{s['average_precision']:.3f}"
        rows.append(
            f"<tr><td>{_e(label)}</td>" + "".join(
                f'<td class="n">{v}</td>' for v in (
                    f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}", s["support"], s["tp"], s["fp"],
                    s["fn"], f"{s['threshold']:.2f}", ap, f"{s['ece']:.3f}",
                )
            ) + "</tr>"
        )
    for name in ("macro", "micro"):
        a = m[name]
        rows.append(f"<tr><th>{name} average</th><td class=\"n\">{a['precision']:.3f}</td>"
                    f"<td class=\"n\">{a['recall']:.3f}</td><td class=\"n\">{a['f1']:.3f}</td>"
                    + "<td></td>" * 7 + "</tr>")
    return (f"<table>{head}{''.join(rows)}</table>"
            '<p class="note">Precision (recall) with no predicted (true) positive is shown as 0, as '
            "scikit-learn's <code>zero_division=0</code>. Average precision is the area under the "
            "precision–recall curve, independent of the threshold.</p>")


def _pr_html(m: dict, Y_true, proba) -> str:
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
    image = _png(fig)
    return (f'<img alt="Precision-recall curve per label" src="{image}">'
            '<p class="note">The red dot is the model\'s operating point at each label\'s threshold; the dotted '
            "line is the share of reports with the label (a random scorer's precision).</p>")


def _calibration_html(m: dict) -> str:
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
    image = _png(fig)
    head = "<tr><th>label</th><th>ECE</th>" + "".join(
        f"<th>{b['low']:.1f}–{b['high']:.1f}</th>" for b in m["labels"][labels[0]]["calibration"]["bins"]
    ) + "</tr>" if labels else ""
    rows = []
    for label in labels:
        cells = "".join(
            '<td class="n">–</td>' if not b["n"] else
            f'<td class="n">{b["fraction_positive"]:.2f} <span class="small">(n={b["n"]})</span></td>'
            for b in m["labels"][label]["calibration"]["bins"]
        )
        rows.append(f"<tr><td>{_e(label)}</td><td class=\"n\">{m['labels'][label]['ece']:.3f}</td>{cells}</tr>")
    return (f'<img alt="Reliability diagram per label" src="{image}">'
            f"<table>{head}{''.join(rows)}</table>"
            '<p class="note">Each bin groups reports by score; a calibrated model has a fraction of reports with '
            "the label equal to the mean score (the diagonal). ECE (expected calibration error) is the "
            f"report-weighted mean gap over {CALIBRATION_BINS} equal-width bins.</p>")


def _cooccurrence_html(m: dict) -> str:
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
    image = _png(fig)
    tables = []
    for key, title in titles.items():
        head = "<tr><th></th>" + "".join(f"<th>{_e(b)}</th>" for b in labels) + "</tr>"
        rows = "".join(
            f"<tr><th>{_e(a)}</th>" + "".join(f'<td class="n">{co[key][a][b]}</td>' for b in labels) + "</tr>"
            for a in labels
        )
        tables.append(f"<h3>{_e(title)}</h3><table>{head}{rows}</table>")
    return (f'<img alt="Label co-occurrence, true and predicted" src="{image}">' + "".join(tables)
            + '<p class="note">Diagonals count reports with each label. In the true × predicted table, cell '
            "(a, b) counts reports truly labelled a that the model labelled b: off-diagonal cells are confusions "
            "(or correct second labels, when a report truly has both).</p>")


def _terms_html(m: dict) -> str:
    parts = []
    for label, terms in m["top_terms"].items():
        words = ", ".join(f"{_e(t['term'])} <span class=\"small\">({t['weight']:+.2f})</span>" for t in terms["words"])
        against = ", ".join(
            f"{_e(t['term'])} <span class=\"small\">({t['weight']:+.2f})</span>" for t in terms["words_against"]
        )
        chars = ", ".join(
            f"<code>{_e(t['term'].replace(' ', '␣'))}</code> <span class=\"small\">({t['weight']:+.2f})</span>"
            for t in terms["char_ngrams"]
        )
        parts.append(
            f"<tr><td>{_e(label)}</td><td>{words}</td><td>{chars}</td><td>{against}</td></tr>"
        )
    return ("<table><tr><th>label</th><th>words (for)</th><th>character n-grams (for)</th>"
            f"<th>words (against)</th></tr>{''.join(parts)}</table>"
            '<p class="note">Weights of the label\'s logistic regression on TF-IDF features of the preprocessed '
            "text (lemmas, identifiers masked); ␣ marks a word boundary.</p>")


def _errors_html(m: dict, data, reasons: dict[int, dict]) -> str:
    errors = m["worst_errors"]
    if not errors:
        return "<p>No errors: every report got exactly its true labels.</p>"
    head = ("<tr><th>id</th><th>source</th><th>text (snippet)</th><th>true</th><th>predicted</th>"
            "<th>scores</th><th>why (terms behind predicted labels)</th></tr>")
    rows = []
    for err in errors:
        scores = "<br>".join(
            f"{_e(label)} {score:.2f}" + (" <b class=\"bad\">✗</b>" if label in err["false_positives"]
                                          or label in err["false_negatives"] else "")
            for label, score in sorted(err["scores"].items(), key=lambda item: -item[1])
        )
        why = "<br>".join(
            f"{_e(label)}: {_e(', '.join(terms))}" for label, terms in reasons.get(err["row"], {}).items()
        )
        rows.append(
            f"<tr><td>{_e(err['id'])}</td><td class=\"small\">{_e(err['source'])}</td>"
            f"<td>{_e(snippet(data.texts[err['row']]))}</td><td>{_e(', '.join(err['true']) or '(none)')}</td>"
            f"<td>{_e(', '.join(err['predicted']) or '(none)')}</td><td class=\"small\">{scores}</td>"
            f"<td class=\"small\">{why}</td></tr>"
        )
    return (f"<p>The {len(errors)} reports the model got most confidently wrong (largest distance on the wrong "
            "side of a threshold); ✗ marks a wrong label.</p>"
            f"<table>{head}{''.join(rows)}</table>")


def _identity_html(m: dict) -> str:
    hard = m["identity_terms"]
    rows_data = list(hard["groups"].items()) + [("any of these", hard["overall"]),
                                                ("all no-label reports", hard["all_negatives"])]
    rows = []
    for group, r in rows_data:
        rate = "n/a" if r["false_positive_rate"] is None else f"{r['false_positive_rate']:.1%}"
        rows.append(f"<tr><td>{_e(group)}</td><td class=\"n\">{r['n']}</td><td class=\"n\">{r['clean']}</td>"
                    f"<td class=\"n\">{r['n'] - r['clean']}</td><td class=\"n\">{rate}</td></tr>")
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
    image = _png(fig)
    return ("<p>Reports with <b>no label</b> that mention a religion, a place of worship, a nationality or "
            "ethnicity, or a hotel, flag or protest. A fair model leaves them unlabelled about as often as any "
            "other no-label report: a group's false-positive rate well above the overall one means the model "
            "fires on the mention itself.</p>"
            f'<img alt="False-positive rate per identity-term group" src="{image}">'
            "<table><tr><th>term group</th><th>no-label reports</th><th>got no label</th><th>got a label</th>"
            f"<th>false-positive rate</th></tr>{''.join(rows)}</table>")


def _identity_suite_html(suite: dict) -> str:
    from classifier.fairness.gate import MAX_SUITE_FPR, MAX_TERM_FPR
    from classifier.fairness.suite import load_identity_suite

    size, o = suite["suite"], suite["overall"]
    terms = suite["terms"]

    def pct(value):
        return "n/a" if value is None else f"{value:.1%}"

    def num(value):
        return "n/a" if value is None else f"{value:.3f}"

    def flag(value, limit):
        return "" if value is None or value <= limit else f' <b class="bad">above the {limit:.0%} limit</b>'

    base = suite.get("baseline")
    overall_rows = [
        ("Sentences", f"{size['n_sentences']} ({size['n_non_hostile']} neutral or positive, {size['n_hostile']} "
                      f"hostile) about {size['n_terms']} terms"),
        ("False-positive rate (any label on a neutral or positive sentence)",
         f"{pct(o['false_positive_rate'])} ({o['false_positives']} of {o['n_non_hostile']}); neutral "
         f"{pct(o['false_positive_rate_neutral'])}, positive {pct(o['false_positive_rate_positive'])}"),
        ("Highest false-positive rate of one term", f"{pct(o['max_term_fpr'])} ({o['max_term_fpr_term']})"),
        ("Hostile recall (the expected label given)",
         f"{pct(o['hostile_recall'])} ({o['hostile_hits']} of {o['n_hostile']}); any label on "
         f"{pct(o['hostile_any_label_rate'])}"),
        ("AUC, hostile against the rest", num(o["auc"])),
        ("Subgroup AUC over terms: mean / min / power mean", f"{num(o['mean_subgroup_auc'])} / "
         f"{num(o['min_subgroup_auc'])} / {num(o['power_mean_subgroup_auc'])}"),
        ("BPSN AUC over terms: mean / min / power mean", f"{num(o['mean_bpsn_auc'])} / {num(o['min_bpsn_auc'])} / "
         f"{num(o['power_mean_bpsn_auc'])}"),
        ("BNSP AUC over terms: mean / min / power mean", f"{num(o['mean_bnsp_auc'])} / {num(o['min_bnsp_auc'])} / "
         f"{num(o['power_mean_bnsp_auc'])}"),
    ]
    if base:
        flagged = ", ".join(base["templates_flagged"]) or "none"
        overall_rows.append(("Templates flagged with no identity term in them",
                             f"{base['false_positives']} of {base['n']} ({flagged})"))
    overall = "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v)}"
        + (flag(o["false_positive_rate"], MAX_SUITE_FPR) if k.startswith("False-positive") else "")
        + (flag(o["max_term_fpr"], MAX_TERM_FPR) if k.startswith("Highest") else "")
        + "</td></tr>"
        for k, v in overall_rows
    )
    group_rows = "".join(
        f"<tr><td>{_e(group)}</td><td class=\"n\">{g['n_terms']}</td><td class=\"n\">{pct(g['false_positive_rate'])}"
        f"</td><td>{_e(g['max_term_fpr_term'])} {pct(g['max_term_fpr'])}</td><td class=\"n\">"
        f"{pct(g['hostile_recall'])}</td><td>{_e(', '.join(g['expected_labels']))}</td><td class=\"n\">"
        f"{num(g['subgroup_auc'])}</td><td class=\"n\">{num(g['bpsn_auc'])}</td><td class=\"n\">"
        f"{num(g['bnsp_auc'])}</td></tr>"
        for group, g in suite["groups"].items()
    )
    ranked = sorted(terms.items(), key=lambda item: -(item[1]["false_positive_rate"] or 0))
    term_rows = "".join(
        f"<tr><td>{_e(term)}</td><td>{_e(t['group'])}</td><td class=\"n\">{pct(t['false_positive_rate'])}"
        f"{flag(t['false_positive_rate'], MAX_TERM_FPR)}</td><td class=\"n\">"
        f"{pct(t['false_positive_rate_neutral'])}</td><td class=\"n\">{pct(t['false_positive_rate_positive'])}</td>"
        f"<td class=\"n\">{pct(t['hostile_recall'])}</td><td class=\"n\">{num(t['subgroup_auc'])}</td>"
        f"<td class=\"n\">{num(t['bpsn_auc'])}</td><td class=\"n\">{num(t['bnsp_auc'])}</td></tr>"
        for term, t in ranked
    )
    texts = {s.id: s.text for s in load_identity_suite().sentences}
    fp_rows = "".join(
        f"<tr><td>{_e(fp['id'])}</td><td>{_e(texts.get(fp['id'], ''))}</td><td>{_e(', '.join(fp['labels']))}</td>"
        f"<td class=\"n\">{fp['margin']:+.2f}</td></tr>"
        for fp in suite["worst_false_positives"][:10]
    )
    context_rows = "".join(
        f"<tr><td>{_e(context)}</td><td class=\"n\">{pct(c['false_positive_rate'])}</td><td class=\"n\">"
        f"{pct(c['hostile_recall'])}</td></tr>"
        for context, c in sorted(suite["by_context"].items(), key=lambda item: -(item[1]["false_positive_rate"] or 0))
    )
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
    image = _png(fig)
    return (
        f"<p>{size['n_sentences']} sentences written for this project, not taken from any report: each of "
        f"{size['n_templates']['neutral']} neutral, {size['n_templates']['positive']} positive and "
        f"{size['n_templates']['hostile']} hostile templates filled with each of {size['n_terms']} identity terms "
        "(faiths, ethnicities, nationalities, migrant statuses), so that sentences differ only in the term. A neutral "
        "or positive sentence that gets any label is a false positive; a hostile one should get the label the "
        "codebook gives hostility against its term. The AUCs rank sentences by the highest score minus threshold "
        "over the labels (Borkan et al. 2019): BPSN is low when neutral sentences about a term outscore hostile ones "
        "about other terms (the term alone raises scores), BNSP is low when hostility about a term scores below "
        "neutral sentences about other terms (hostility about it is missed).</p>"
        f"<table>{overall}</table>"
        f'<img alt="False-positive rate per identity term" src="{image}">'
        "<h3>Per term group</h3><table><tr><th>group</th><th>terms</th><th>false-positive rate</th>"
        "<th>highest term</th><th>hostile recall</th><th>expected label</th><th>subgroup AUC</th><th>BPSN AUC</th>"
        f"<th>BNSP AUC</th></tr>{group_rows}</table>"
        "<h3>Per term</h3><table><tr><th>term</th><th>group</th><th>false-positive rate</th><th>neutral</th>"
        "<th>positive</th><th>hostile recall</th><th>subgroup AUC</th><th>BPSN AUC</th><th>BNSP AUC</th></tr>"
        f"{term_rows}</table>"
        "<h3>Most confident false positives</h3><table><tr><th>sentence</th><th>text (from the suite)</th>"
        f"<th>labels given</th><th>score − threshold</th></tr>{fp_rows}</table>"
        "<h3>Per context</h3><table><tr><th>context</th><th>false-positive rate</th><th>hostile recall</th></tr>"
        f"{context_rows}</table>"
    )


def _coverage_html(m: dict) -> str:
    counts = m["data"]["label_counts"]
    items = []
    if m["labels_not_in_model"]:
        listed = ", ".join(f"{_e(label)} ({counts.get(label, 0)} reports)" for label in m["labels_not_in_model"])
        items.append(f"<li>In the data but unknown to the model (not scored): {listed}.</li>")
    else:
        items.append("<li>Every label in the data is one the model knows.</li>")
    if m["labels_not_in_data"]:
        items.append("<li>Model labels with no example in the data (recall is 0 by definition; precision counts "
                     f"its false alarms): {_e(', '.join(m['labels_not_in_data']))}.</li>")
    known = ", ".join(f"{_e(label)} ({counts.get(label, 0)})" for label in m["model"]["labels"])
    items.append(f"<li>Model labels (reports with each in the data): {known}.</li>")
    return f"<ul>{''.join(items)}</ul>"


# ---------------------------------------------------------------------------------------------- helpers


def _error_reasons(model, data, errors) -> dict[int, dict]:
    """Terms behind the predicted labels of each listed error (one small predict call)."""
    if not errors:
        return {}
    predictions = model.predict([data.texts[e["row"]] for e in errors], on_invalid="flag", explain=True, top_k=5)
    return {e["row"]: p.reasons for e, p in zip(errors, predictions, strict=True)}


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


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _e(value) -> str:
    return html.escape(str(value), quote=True)

