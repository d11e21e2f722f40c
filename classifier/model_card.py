"""The model card written beside every saved model (``MODEL_CARD.md``)."""

from __future__ import annotations


def render_model_card(metadata: dict) -> str:
    """Markdown model card from a model's metadata: use, limits, data, per-label results, versions."""
    m = metadata["metrics"]
    rows = metadata["rows"]
    counts = metadata["label_counts"]
    lines = [
        f"# Model card: {metadata.get('name') or 'tension-classifier model'}",
        "",
        f"Created {metadata['created']} by tension-classifier {metadata['versions'].get('tension-classifier')}.",
        "",
        "## What it is",
        "A multi-label text classifier for reports of community tension received by a UK local council. "
        "It gives each report a calibrated score for each label "
        f"({', '.join(f'`{label}`' for label in metadata['labels'])}), the labels whose score reaches the "
        "label's threshold, a *needs review* flag when any score is within "
        f"{metadata['review_band']:.2f} of its threshold, and the words that pushed each label's score up. "
        "Pipeline: spaCy preprocessing (lowercase lemmas, stop words kept because phrases like 'go back' "
        "carry the hostility, identifiers masked) → TF-IDF word and character n-grams → one logistic "
        "regression per label on features scaled by their naive-Bayes log-count ratio (NB-LR), "
        "Platt-calibrated, with a threshold per label tuned by cross-validation on the training split. "
        "No-label reports that mention a faith, a nationality, a hotel or a flag weigh "
        f"{metadata.get('hard_negative_weight', 1):g}x in training, so that such mentions alone are not "
        "taken as evidence of tension.",
        "",
        "## Intended uses & limitations",
        "**Intended use:** to help a community-safety triage team sort and prioritise incoming reports, "
        "and to count reports by category for trend reporting. A person reads every report and decides; "
        "the model's labels are suggestions, and reports flagged *needs review* need a closer read.",
        "",
        "**Out of scope — must not be used for:**",
        "- any automated decision about an individual (enforcement, services, housing, employment);",
        "- a basis for a Prevent referral or any counter-extremism referral: that is a professional "
        "judgement made by trained staff on the full facts;",
        "- profiling people, places or communities, or monitoring social media at scale;",
        "- text unlike the reports it was trained on (other languages, other countries, long documents).",
        "",
        "**Limitations:**",
        "- The default model is trained on a corpus written for this project (fictional places, no real "
        "reports), so it has not seen the spelling, slang and local references of a real inbox. Check it on "
        "a labelled sample of your own reports before relying on it, and retrain on your own labels.",
        "- It reads words, not meaning: sarcasm, quotes of abuse in a report *about* abuse, and new coded "
        "language can fool it; a report that mentions a faith or nationality neutrally can still be scored "
        "up (see the identity-term check below).",
        "- Scores are calibrated on the training split; on data from a different source they may be "
        "over- or under-confident.",
        "- Personal identifiers (e-mails, phone numbers, postcodes, URLs, numbers) are masked before "
        "features are built, and terms seen in fewer than two training reports are dropped, so one-off "
        "names do not enter the model's vocabulary. Character n-grams of up to 5 letters still are.",
        "",
        "## Training data",
        f"- Files: {', '.join(d['path'] + ' (sha256 ' + d['sha256'][:12] + '…)' for d in metadata['data'])}",
        f"- Reports: {rows['total']} ({rows['train']} train, {rows['test']} test; split: {metadata['split']}).",
        f"- No label: {counts['train_no_label']} train, {counts['test_no_label']} test.",
        "",
        "| label | train | test | threshold |",
        "|---|---:|---:|---:|",
    ]
    for label in metadata["labels"]:
        lines.append(
            f"| {label} | {counts['train'][label]} | {counts['test'][label]} | {metadata['thresholds'][label]:.2f} |"
        )
    lines += [
        "",
        "## Evaluation results (held-out test split)",
        "",
        "| label | precision | recall | F1 | support | TP | FP | FN |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, s in m["labels"].items():
        lines.append(
            f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} | "
            f"{s['tp']} | {s['fp']} | {s['fn']} |"
        )
    lines += [
        f"| **macro average** | {m['macro']['precision']:.3f} | {m['macro']['recall']:.3f} | "
        f"{m['macro']['f1']:.3f} | | | | |",
        f"| micro average | {m['micro']['precision']:.3f} | {m['micro']['recall']:.3f} | {m['micro']['f1']:.3f} "
        "| | | | |",
        "",
        f"Exact match (every label right): {m['exact_match']:.3f}.",
    ]
    if metadata.get("test_labels_not_in_model"):
        lines.append(f"Labels in the test data that the model does not know: {metadata['test_labels_not_in_model']}.")
    hard = metadata.get("hard_negatives")
    if hard:
        lines += [
            "",
            "## Identity-term check",
            "Test reports with **no label** that mention a religion, a place of worship, a nationality or "
            "ethnicity, or a hotel, flag, protest or rumour. A fair model leaves them unlabelled.",
            "",
            "| term group | reports | got no label | false-positive rate |",
            "|---|---:|---:|---:|",
        ]
        for group, r in list(hard["groups"].items()) + [("**any of these**", hard["overall"]),
                                                         ("all no-label reports", hard["all_negatives"])]:
            rate = "n/a" if r["false_positive_rate"] is None else f"{r['false_positive_rate']:.1%}"
            lines.append(f"| {group} | {r['n']} | {r['clean']} | {rate} |")
    lines += ["", "## Versions", ""]
    lines += [f"- {name}: {version}" for name, version in metadata["versions"].items()]
    lines += [
        "",
        "## Loading safely",
        "`model.joblib` is a pickle: loading it runs code. Load only models you trained yourself or got "
        "from someone you trust. `load_model` checks the file's SHA-256 against `metadata.json` first.",
        "",
    ]
    return "\n".join(lines)
