"""The model card written beside every saved model (``MODEL_CARD.md``)."""

from __future__ import annotations

from classifier.fairness.conflict import labelled_share
from classifier.fairness.metrics import format_hostile_recall, format_rate, format_score


def _second_stage_sentence(labels) -> str:
    if not labels:
        return ""
    return (f"Then {', '.join(f'`{label}`' for label in labels)} are scored again by a second stage: per label, "
            "shallow gradient-boosted trees over all the linear scores, which kinds of group the report names "
            "(faith, place of worship, nationality or ethnicity, migration status) and a hostility score over "
            "the report's words that does not see any group's name (and learns that a person described by group is "
            "no sign of hostility); it may only raise a label as that label's "
            "linear score or the hostility rises, and is calibrated and thresholded on its own out-of-fold "
            "scores. The words shown for a label are still those of its linear model. ")


def _not_copied_sentence(not_copied: dict | None) -> str:
    if not not_copied or not not_copied["reports"]:
        return ""
    return (f" {not_copied['reports']} such reports were not copied, because they carry a label of the team's own "
            f"({', '.join(f'`{label}`' for label in not_copied['labels'])}) that may be about one group only, which "
            "a swapped term would make wrong.")


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
        f"{metadata['review_band']:.2f} of its threshold or when fewer than half of its words are known to the "
        "model (a report in another language), and the words that pushed each label's score up. "
        "Pipeline: spaCy preprocessing (lowercase lemmas, stop words kept because phrases like 'go back' "
        "carry the hostility, identifiers masked, slurs written out or masked mapped to one placeholder per "
        "family) → TF-IDF word and character n-grams → one logistic regression per label, Platt-calibrated, "
        "with a threshold per label tuned by cross-validation on the training split; a long report is also "
        "scored passage by passage, so that a sentence about a second topic is not diluted. "
        f"{_second_stage_sentence(metadata.get('second_stage_labels') or [])}"
        "No-label reports that mention a faith, a nationality, a hotel or a flag weigh "
        f"{metadata.get('hard_negative_weight', 1):g}x in training, and each report that names an identity "
        "term is copied with the term swapped for another, so that such mentions alone are not taken as "
        f"evidence of tension.{_not_copied_sentence(metadata.get('not_copied'))}",
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
        "language can fool it. A report that mentions a faith, ethnicity, nationality or migration status "
        "neutrally is often scored up, most of all a one-line report, where a group's name weighs as much as "
        "all its other words: the identity-term suite below shows few such false alarms because the corpus "
        "was written to pass it, and the held-out identity probe after it shows how many to expect on "
        "sentences the corpus was not written for. So a label on a short report that names someone's group may "
        "be the name alone: read the report and its reasons. And a short threat that names a group but holds "
        "no insult can still score below its threshold (one whose only sign of hate is how its target is "
        "described gets no label), so read reports describing threats even when they carry no label. The "
        "reverse happens too: a quarrel over a debt, a fare or a parking space with someone described by their "
        "group can get a hate label although nothing in it is about the group. The identity-term suite leaves "
        "out the nationalities of the Israel/Palestine conflict, which the corpus names almost only in reports "
        "about the conflict; training puts them into copies of neutral and race-hate reports so that the name "
        "alone is not read as the conflict, and `python -m benchmarks.conflict_nationalities MODEL` measures "
        "how often this model still labels a neutral sentence naming an Israeli or a Palestinian. Where it "
        "does, read an `israel_palestine` label on a report that only names someone's nationality as the name "
        "alone.",
        "- Scores are calibrated on the training split; on data from a different source they may be "
        "over- or under-confident.",
        "- What says who sent an e-mail is dropped before the model reads a report: header blocks, sign-offs and "
        "signatures, HTML markup and disclaimers. A header's subject and a forwarder's note stay as report text, "
        "and on a one-line report a few neutral words there can move a score either way; a signature laid out "
        "unusually may stay too.",
        "- Personal identifiers (e-mails, phone numbers, postcodes, web addresses, social-media handles) are "
        "masked before features are built; vehicle registrations and any token of five digits or more (dates, "
        "case and crime references) are left out, and smaller numbers masked. A word enters the vocabulary only "
        "if at least two training reports use it, counting a report and its generated copies as one, so a name "
        "written in one report does not; character n-grams (up to 5 letters) likewise. A name used in two or more "
        "reports can.",
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
        *few_examples_lines(m),
        f"Exact match (every label right): {m['exact_match']:.3f}" + (
            f" over the model's labels; {m['unknown_label_reports']} test reports carry a label it does not know, and "
            f"counting it as missed, {m['exact_match_all_labels']:.3f}." if m.get("unknown_label_reports") else "."),
    ]
    review = metadata.get("review_flag")
    if review:
        lines += ["", review_flag_sentence(review)]
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
    if metadata.get("identity_suite"):
        lines += identity_suite_lines(metadata["identity_suite"])
    if metadata.get("identity_probe"):
        lines += identity_probe_lines(metadata["identity_probe"])
    if metadata.get("conflict_nationalities"):
        lines += conflict_nationality_lines(metadata["conflict_nationalities"])
    lines += ["", "## Versions", ""]
    lines += [f"- {name}: {version}" for name, version in metadata["versions"].items()]
    lines += [
        "",
        "## Loading safely",
        "`model.pkl.gz` is a pickle. `load_model` checks its SHA-256 against `metadata.json` and the "
        "scikit-learn and spaCy versions, then reads it through an allow-list of classes (this package's, "
        "scikit-learn's, NumPy's and SciPy's, and a few reconstruction helpers): a file that asks for any other "
        "function, such as `os.system` or `eval`, is refused before anything in it runs. Still load only models "
        "you trained yourself or got from someone you trust: the allow-list stops a model file from calling "
        "arbitrary code, not a crafted model from giving wrong answers.",
        "",
    ]
    return "\n".join(lines)


def few_examples_lines(metrics: dict) -> list[str]:
    """The notes under the results table on labels with few or no test examples (none when every label has
    enough)."""
    from classifier.evaluation.compare import MIN_PER_LABEL
    from classifier.evaluation.metrics import few_examples

    few = few_examples(metrics, MIN_PER_LABEL)
    lines = []
    if few:
        lines.append(f"**Few test examples:** {', '.join(f'`{label}` ({n})' for label, n in few.items())} "
                     f"{'has' if len(few) == 1 else 'have'} fewer than {MIN_PER_LABEL} in the test split, so "
                     f"{'its' if len(few) == 1 else 'their'} figures above rest on too few reports to trust "
                     "(`tension promote` refuses a new label with fewer).")
    if metrics.get("macro_left_out"):
        lines.append(f"The macro average leaves out {', '.join(f'`{label}`' for label in metrics['macro_left_out'])}: "
                     "no example in the test split, so no F1 to average (not 0).")
    return [*lines, ""] if lines else []


def review_flag_sentence(review: dict) -> str:
    """What *needs review* catches on the test split, in a sentence for triage staff."""
    return (
        f"**Needs review** (a score within {review['band']:.2f} of its threshold) flags {review['flagged']} of the "
        f"{review['n']} test reports ({format_rate(review['flagged_rate'])}). They hold {review['wrong_flagged']} of "
        f"the {review['wrong']} reports the model gets wrong in some label ({format_rate(review['caught_rate'])}); "
        f"of the reports it does not flag, {format_rate(review['wrong_rate_not_flagged'])} still have a wrong or "
        "missing label, many of them with a score far from its threshold. The flag points a reader at the likeliest "
        "mistakes; it does not make the other labels safe to act on unread."
    )


def identity_suite_lines(suite: dict, n_terms: int = 5) -> list[str]:
    """The model card's identity-term suite section: overall figures, one row per term group, worst terms."""
    from classifier.fairness.gate import MAX_SUITE_FPR, MAX_TERM_FPR

    size, o = suite["suite"], suite["overall"]
    lines = [
        "",
        "## Identity-term test suite",
        f"{size['n_sentences']} sentences written for this project (not taken from any report) about "
        f"{size['n_terms']} identity terms — faiths, ethnicities, nationalities and migrant statuses — in everyday "
        "contexts: neutral, positive and hostile, short and long. A neutral or positive sentence that gets any "
        "label is a false positive; a hostile one should get the label the codebook gives hostility against "
        "the term (religion: religious_hate; ethnicity and nationality: race_hate; migration status: "
        f"immigration). `tension promote` refuses a model above {MAX_SUITE_FPR:.0%} false positives overall or "
        f"{MAX_TERM_FPR:.0%} for any term.",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| false-positive rate on neutral and positive sentences | {format_rate(o['false_positive_rate'])} "
        f"({o['false_positives']} of {o['n_non_hostile']}) |",
        f"| … neutral / positive | {format_rate(o['false_positive_rate_neutral'])} / "
        f"{format_rate(o['false_positive_rate_positive'])} |",
        f"| highest false-positive rate of one term | {format_rate(o['max_term_fpr'])} ({o['max_term_fpr_term']}) |",
        f"| hostile recall (the expected label given) | {format_hostile_recall(suite)} |",
        f"| AUC, hostile against the rest | {format_score(o['auc'])} |",
        f"| mean over terms: subgroup / BPSN / BNSP AUC | {format_score(o['mean_subgroup_auc'])} / "
        f"{format_score(o['mean_bpsn_auc'])} / {format_score(o['mean_bnsp_auc'])} |",
    ]
    base = suite.get("baseline")
    if base:
        lines.append(f"| templates flagged with no identity term in them | {base['false_positives']} of {base['n']} |")
    lines += [
        "",
        "| term group | false-positive rate | highest term | hostile recall | subgroup AUC | BPSN AUC | BNSP AUC |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for group, g in suite["groups"].items():
        aucs = " | ".join(format_score(g[key]) for key in ("subgroup_auc", "bpsn_auc", "bnsp_auc"))
        lines.append(
            f"| {group} | {format_rate(g['false_positive_rate'])} | {g['max_term_fpr_term']} "
            f"{format_rate(g['max_term_fpr'])} | {format_rate(g['hostile_recall'])} "
            f"({', '.join(g['expected_labels'])}) | {aucs} |"
        )
    worst = suite["worst_terms"]
    lines += [
        "",
        "Highest false-positive rates: "
        + ", ".join(f"{w['term']} {format_rate(w['value'])}" for w in worst["false_positive_rate"][:n_terms]) + ".",
        "Lowest hostile recall: "
        + ", ".join(f"{w['term']} {format_rate(w['value'])}" for w in worst["hostile_recall"][:n_terms]) + ".",
        "BPSN AUC is low when neutral sentences about a term score above hostile ones about other terms; BNSP "
        "AUC is low when hostility about a term scores below neutral sentences about others (Borkan et al. 2019).",
    ]
    return lines


def conflict_nationality_lines(result: dict) -> list[str]:
    """The model card's section on neutral sentences naming an Israeli or a Palestinian (not in the suite)."""
    lines = [
        "",
        "## Israelis and Palestinians",
        "Neither identity set above holds the two nationalities of the Israel/Palestine conflict. Here the neutral "
        "and positive templates of both sets are rendered with each name (`classifier.fairness.conflict`); the "
        "codebook gives them no label, so a label here is the name alone read as the conflict. `tension promote` "
        "holds each name to the fairness gate's per-term limit.",
        "",
        "| nationality | sentences | given a label | sent to review without one |",
        "|---|---:|---:|---:|",
    ]
    for term, figures in result.items():
        lines.append(f"| {term} | {figures['n']} | {figures['labelled']} ({labelled_share(figures)}) | "
                     f"{figures['review']} |")
    return lines


def identity_probe_lines(probe: dict) -> list[str]:
    """The model card's section on the held-out identity probe: overall figures and one row per term group."""
    size, o = probe["suite"], probe["overall"]
    lines = [
        "",
        "## Held-out identity probe",
        f"{size['n_sentences']} more sentences over the same {size['n_terms']} terms, from templates written after "
        "the default model's settings were chosen and never shown to the writers of the training corpus: everyday "
        "short sentences (lost and found, selling, pets, neighbours, transport) and reports in the forms they "
        "arrive in from social media (a screenshot, a forward, a post). The suite above steered the corpus, so it "
        "flatters the model; **these figures are the ones to expect on neutral mentions the corpus was not written "
        "for**, with one reserve: the corpus's ninth and tenth generations were aimed at gaps this probe found (short "
        "neutral reports about one person described by who they are or by gender), and so were the copies of "
        "no-label reports with a person described by group that the hate labels' rescoring learns from and the "
        "fifteenth generation's neutral reports about fines and council letters from people described by faith, so "
        "its neutral templates flatter the model too. They are not part of the fairness gate. Sets written later, each "
        "from the codebook alone, are the fresh identity probes of the project's repository (`python -m "
        "benchmarks.fresh_probe MODEL`, figures in `benchmarks/README.md`); the newest one nothing was aimed at is "
        "the fairest measure of who the model flags and which hostility it misses.",
        "",
        f"False-positive rate {format_rate(o['false_positive_rate'])} ({o['false_positives']} of "
        f"{o['n_non_hostile']} neutral and positive sentences get a label; highest term {o['max_term_fpr_term']} "
        f"{format_rate(o['max_term_fpr'])}); hostile recall {format_hostile_recall(probe)}.",
        "",
        "| term group | false-positive rate | highest term | hostile recall |",
        "|---|---:|---|---:|",
    ]
    for group, g in probe["groups"].items():
        lines.append(f"| {group} | {format_rate(g['false_positive_rate'])} | {g['max_term_fpr_term']} "
                     f"{format_rate(g['max_term_fpr'])} | {format_rate(g['hostile_recall'])} |")
    return lines

