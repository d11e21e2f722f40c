"""Scoring a model on the identity-term suite: false alarms, hostile recall and unintended-bias AUCs.

For each sentence the model gives a score per label; the suite reduces them to one *hate score*,
``max over labels of (score - threshold)``. It is >= 0 exactly when the model gives the sentence at least
one label, so the AUCs below rank sentences by the same decision the false-positive rate counts, and labels
with different thresholds are put on one scale (a raw maximum probability would rank a 0.50 on a label
whose threshold is 0.56 above a 0.48 on one whose threshold is 0.44, against the model's own decisions).

- **False-positive rate**: share of neutral and positive sentences given any label.
- **Hostile recall**: share of hostile sentences given the label they deserve (the term's
  ``hostile_label``); other labels on them are neither rewarded nor penalised.
- **Subgroup AUC, BPSN AUC, BNSP AUC** (Borkan et al. 2019, "Nuanced metrics for measuring unintended
  bias with real data for text classification"), hostile = positive class, per term and per term group:
  subgroup AUC separates hostile from non-hostile sentences about the term; BPSN (background positive,
  subgroup negative) ranks the term's non-hostile sentences against the *other* terms' hostile ones (low:
  the term alone pushes scores up); BNSP (background negative, subgroup positive) ranks the term's hostile
  sentences against the other terms' non-hostile ones (low: hostility about the term is missed).
"""

from __future__ import annotations

import numpy as np

from classifier.fairness.suite import GROUPS, LENGTHS, NON_HOSTILE, IdentitySuite, load_identity_suite

#: How many terms each "worst terms" list holds.
N_WORST = 10
#: Exponent of the generalised mean over terms of each bias AUC, as in the Jigsaw Unintended Bias in
#: Toxicity Classification competition: a strongly negative power stresses the worst terms.
POWER_MEAN_P = -5
AUC_NAMES = ("subgroup_auc", "bpsn_auc", "bnsp_auc")
SCORE_DEFINITION = "max over labels of (score - threshold); >= 0 exactly when the model gives any label"


def evaluate_identity_suite(model, suite: IdentitySuite | None = None) -> dict:
    """Predict the whole identity-term suite in one batch and score it.

    Parameters
    ----------
    model : TensionModel
        A loaded model (anything with ``labels``, ``thresholds`` and ``predict_proba``).
    suite : IdentitySuite, optional
        Defaults to the suite shipped with the package (:func:`load_identity_suite`).

    Returns
    -------
    dict
        JSON-serialisable: ``suite`` (sizes), ``overall`` (false-positive rate, hostile recall, AUCs, worst
        term), ``groups`` and ``terms`` (the same per term group and per term), breakdowns ``by_length``,
        ``by_context`` and ``by_template``, the labels given to non-hostile sentences, ``worst_terms`` and
        the ids of the most confident false positives. See :func:`score_identity_suite`.

    Examples
    --------
    >>> from classifier import load_model
    >>> result = evaluate_identity_suite(load_model())                       # doctest: +SKIP
    >>> result["overall"]["false_positive_rate"] <= 0.03                     # doctest: +SKIP
    True
    """
    suite = suite or load_identity_suite()
    labels = list(model.labels)
    proba = np.asarray(model.predict_proba(suite.texts + [s.text for s in suite.baseline]), dtype=float)
    n = len(suite.sentences)
    return score_identity_suite(suite, labels, proba[:n], model.thresholds, baseline_proba=proba[n:])


def score_identity_suite(suite: IdentitySuite, labels, proba, thresholds: dict, *, baseline_proba=None) -> dict:
    """Score the suite from the model's probabilities (rows in ``suite.sentences`` order, columns ``labels``;
    ``baseline_proba`` likewise for ``suite.baseline``)."""
    labels = list(labels)
    proba = np.asarray(proba, dtype=float).reshape(len(suite.sentences), len(labels))
    t = np.asarray([thresholds[label] for label in labels], dtype=float)
    baseline_flagged = set()
    if baseline_proba is not None and len(suite.baseline):
        flagged = (np.asarray(baseline_proba, dtype=float).reshape(len(suite.baseline), len(labels)) >= t).any(axis=1)
        baseline_flagged = {s.template for s, f in zip(suite.baseline, flagged, strict=True) if f}
    given = proba >= t
    any_label = given.any(axis=1)
    hate = (proba - t).max(axis=1) if labels else np.full(len(proba), -np.inf)
    sentences = suite.sentences
    hostile = np.asarray([s.hostile for s in sentences])
    non_hostile = ~hostile
    column = {label: j for j, label in enumerate(labels)}
    scorable = np.asarray([s.hostile and s.expected_label in column for s in sentences])
    hit = np.asarray([bool(given[i, column[s.expected_label]]) if scorable[i] else False
                      for i, s in enumerate(sentences)])
    arrays = _Arrays(any_label, hate, hostile, non_hostile, scorable, hit,
                     np.asarray([s.kind for s in sentences]))

    term_of = np.asarray([s.term for s in sentences])
    group_of = np.asarray([s.group for s in sentences])
    terms = {}
    for term in suite.terms:
        inside = term_of == term.term
        terms[term.term] = {"group": term.group, "expected_label": term.hostile_label,
                            **arrays.rates(inside), **arrays.bias_aucs(inside)}
    groups = {}
    for group in GROUPS:
        inside = group_of == group
        if not inside.any():
            continue
        members = [name for name, m in terms.items() if m["group"] == group]
        worst = _extreme(members, terms, "false_positive_rate", highest=True)
        groups[group] = {
            "n_terms": len(members),
            "expected_labels": sorted({terms[name]["expected_label"] for name in members}),
            **arrays.rates(inside), **arrays.bias_aucs(inside),
            "max_term_fpr": worst[1], "max_term_fpr_term": worst[0],
        }

    everything = np.ones(len(sentences), dtype=bool)
    overall = arrays.rates(everything)
    overall["auc"] = auc(hate[hostile], hate[non_hostile])
    overall["max_term_fpr_term"], overall["max_term_fpr"] = _extreme(list(terms), terms, "false_positive_rate",
                                                                     highest=True)
    overall["min_term_recall_term"], overall["min_term_recall"] = _extreme(list(terms), terms, "hostile_recall",
                                                                           highest=False)
    for name in AUC_NAMES:
        values = [m[name] for m in terms.values() if m[name] is not None]
        overall[f"mean_{name}"] = float(np.mean(values)) if values else None
        overall[f"min_{name}"] = float(np.min(values)) if values else None
        overall[f"power_mean_{name}"] = power_mean(values, POWER_MEAN_P)
    # The Jigsaw Unintended Bias competition's final score: the overall AUC and the three power means, weighted 1/4.
    parts = [overall["auc"], *(overall[f"power_mean_{name}"] for name in AUC_NAMES)]
    overall["jigsaw_score"] = float(np.mean(parts)) if all(p is not None for p in parts) else None

    template_of = np.asarray([s.template for s in sentences])
    by_template = {}
    for template in suite.templates:
        rates = arrays.rates(template_of == template.id)
        by_template[template.id] = {
            "kind": template.kind, "length": template.length, "context": template.context,
            "rate": rates["hostile_recall"] if template.kind == "hostile" else rates["false_positive_rate"],
            "baseline_flagged": template.id in baseline_flagged if template.kind != "hostile" else None,
        }
    context_of = np.asarray([s.context for s in sentences])
    by_context = {context: arrays.rates(context_of == context)
                  for context in sorted({s.context for s in sentences})}
    length_of = np.asarray([s.length for s in sentences])
    by_length = {length: arrays.rates(length_of == length) for length in LENGTHS}

    confident = np.flatnonzero(non_hostile & any_label)
    confident = confident[np.argsort(-hate[confident], kind="stable")][:20]
    return {
        "suite": {
            "name": suite.name, "version": suite.version, "n_sentences": len(sentences), "n_terms": len(suite.terms),
            "n_templates": {kind: sum(t.kind == kind for t in suite.templates)
                            for kind in ("neutral", "positive", "hostile")},
            "n_non_hostile": int(non_hostile.sum()), "n_hostile": int(hostile.sum()),
        },
        "score": SCORE_DEFINITION,
        "labels_missing": sorted({s.expected_label for s in sentences if s.hostile} - set(labels)),
        "overall": overall,
        "groups": groups,
        "terms": terms,
        "by_length": by_length,
        "by_context": by_context,
        "by_template": by_template,
        "baseline": _baseline(suite, baseline_flagged, baseline_proba is not None),
        "labels_on_non_hostile": {label: int(given[non_hostile, j].sum()) for j, label in enumerate(labels)},
        "worst_terms": worst_terms(terms),
        "worst_false_positives": [
            {"id": sentences[i].id, "labels": [labels[j] for j in np.flatnonzero(given[i])],
             "margin": round(float(hate[i]), 4)}
            for i in confident.tolist()
        ],
    }


def summarise_identity_suite(result: dict) -> dict:
    """The figures worth keeping with a model (metadata, model card, promotion): everything but the
    per-template, per-context and per-sentence detail, with each term's false-positive rate."""
    return {
        "suite": result["suite"],
        "score": result["score"],
        "labels_missing": result["labels_missing"],
        "overall": result["overall"],
        "groups": result["groups"],
        "by_length": result["by_length"],
        "baseline": result.get("baseline"),
        "term_false_positive_rate": {term: m["false_positive_rate"] for term, m in result["terms"].items()},
        "worst_terms": result["worst_terms"],
    }


def worst_terms(terms: dict, n: int = N_WORST) -> dict:
    """The ``n`` terms with the highest false-positive rate, and the lowest hostile recall and bias AUCs."""
    result = {}
    for key, highest in (("false_positive_rate", True), ("hostile_recall", False), *((a, False) for a in AUC_NAMES)):
        scored = [(term, m) for term, m in terms.items() if m[key] is not None]
        scored.sort(key=lambda item: -item[1][key] if highest else item[1][key])  # stable: suite order on ties
        result[key] = [{"term": term, "group": m["group"], "value": m[key]} for term, m in scored[:n]]
    return result


def auc(positive_scores, negative_scores) -> float | None:
    """Area under the ROC curve of scores of positives against negatives (ties count one half).

    It is the Mann-Whitney U statistic over ``n_pos * n_neg``; ``None`` when either side is empty.

    Examples
    --------
    >>> auc([0.9, 0.4], [0.1, 0.4])
    0.875
    """
    from scipy.stats import rankdata

    pos = np.asarray(positive_scores, dtype=float).ravel()
    neg = np.asarray(negative_scores, dtype=float).ravel()
    if not len(pos) or not len(neg):
        return None
    ranks = rankdata(np.concatenate([pos, neg]))
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def power_mean(values, p: float = POWER_MEAN_P) -> float | None:
    """Generalised mean ``(mean(v ** p)) ** (1 / p)`` of values in [0, 1]; 0 if any is 0 and ``p < 0``.

    Examples
    --------
    >>> power_mean([0.5, 0.5])
    0.5
    """
    values = np.asarray([v for v in values if v is not None], dtype=float)
    if not len(values):
        return None
    if p < 0 and np.any(values == 0):
        return 0.0
    return float(np.mean(values ** p) ** (1 / p))


class _Arrays:
    """Per-sentence arrays and the rates and AUCs of any slice of them."""

    def __init__(self, any_label, hate, hostile, non_hostile, scorable, hit, kind):
        self.any_label, self.hate, self.hostile, self.non_hostile = any_label, hate, hostile, non_hostile
        self.scorable, self.hit, self.kind = scorable, hit, kind

    def rates(self, inside) -> dict:
        clean = inside & self.non_hostile
        n, flagged = int(clean.sum()), int(self.any_label[clean].sum())
        result = {"n_non_hostile": n, "false_positives": flagged, "false_positive_rate": _ratio(flagged, n)}
        for kind in NON_HOSTILE:
            mask = inside & (self.kind == kind)
            result[f"false_positive_rate_{kind}"] = _ratio(int(self.any_label[mask].sum()), int(mask.sum()))
        hostile = inside & self.hostile
        scorable = inside & self.scorable
        result.update({
            "n_hostile": int(hostile.sum()),
            "n_hostile_scored": int(scorable.sum()),
            "hostile_hits": int(self.hit[scorable].sum()),
            "hostile_recall": _ratio(int(self.hit[scorable].sum()), int(scorable.sum())),
            "hostile_any_label_rate": _ratio(int(self.any_label[hostile].sum()), int(hostile.sum())),
        })
        return result

    def bias_aucs(self, inside) -> dict:
        outside = ~inside
        h, nh = self.hostile, self.non_hostile
        return {
            "subgroup_auc": auc(self.hate[inside & h], self.hate[inside & nh]),
            "bpsn_auc": auc(self.hate[outside & h], self.hate[inside & nh]),
            "bnsp_auc": auc(self.hate[inside & h], self.hate[outside & nh]),
        }


def _baseline(suite: IdentitySuite, flagged: set, scored: bool) -> dict | None:
    """How many neutral and positive templates the model flags with no identity term in them."""
    if not scored or not suite.baseline:
        return None
    n = len(suite.baseline)
    return {"n": n, "false_positives": len(flagged), "false_positive_rate": len(flagged) / n,
            "templates_flagged": sorted(flagged)}


def _extreme(names, table, key, *, highest) -> tuple[str | None, float | None]:
    scored = [(name, table[name][key]) for name in names if table[name][key] is not None]
    if not scored:
        return None, None
    return (max if highest else min)(scored, key=lambda item: item[1])


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


#: How reports name the held-out identity probe's figures, and what they say of it on the next line.
PROBE_TITLE = "held-out identity probe"
PROBE_NOTE = ("templates written after the default model's settings were chosen, never shown to the corpus's "
              "writers (the ninth, tenth and fifteenth generations and the hostility score's copies with a "
              "described person were aimed at gaps it found); not part of the fairness gate")


def format_identity_suite(result: dict, *, n_terms: int = 5, title: str = "identity-term suite",
                          note: str | None = None) -> str:
    """The suite's overall figures as a few lines of plain text (a full result or its summary); ``title`` names
    the suite and ``note`` adds a line about it (:data:`PROBE_TITLE` and :data:`PROBE_NOTE` for the held-out
    probe of :func:`~classifier.fairness.suite.load_identity_probe`)."""
    s, o = result["suite"], result["overall"]
    worst = ", ".join(f"{w['term']} {w['value']:.1%}" for w in result["worst_terms"]["false_positive_rate"][:n_terms])
    groups = ", ".join(f"{group} {format_rate(g['hostile_recall'])}" for group, g in result["groups"].items())
    lines = [
        f"{title} ({s['n_sentences']} sentences, {s['n_terms']} terms): false-positive rate "
        f"{format_rate(o['false_positive_rate'])} on {s['n_non_hostile']} neutral and positive sentences (neutral "
        f"{format_rate(o['false_positive_rate_neutral'])}, positive {format_rate(o['false_positive_rate_positive'])}); "
        f"highest per term {format_rate(o['max_term_fpr'])} ({o['max_term_fpr_term']})",
        f"  worst terms: {worst}",
        f"  hostile recall {format_hostile_recall(result, 'hostile sentences')} ({groups})",
        f"  AUC {format_score(o['auc'])}; mean over terms: subgroup {format_score(o['mean_subgroup_auc'])}, BPSN "
        f"{format_score(o['mean_bpsn_auc'])}, BNSP {format_score(o['mean_bnsp_auc'])}",
    ]
    if note:
        lines.insert(1, f"  {note}")
    base = result.get("baseline")
    if base:
        lines.append(f"  with no identity term, {base['false_positives']} of the {base['n']} neutral and positive "
                     f"templates get a label ({', '.join(base['templates_flagged']) or 'none'})")
    if result.get("labels_missing"):
        lines.append(f"  labels the model does not have (hostile recall not scored): {result['labels_missing']}")
    return "\n".join(lines)


def format_hostile_recall(result: dict, what: str = "") -> str:
    """The overall hostile recall with the sentences it is worked out over (a full result or its summary):
    "94.0% (203 of 216 scored; 594 not scored: the model has no race_hate label)" when some sentences expect a
    label the model lacks, else "95.3% (772 of 810)"; ``what`` names the sentences after the count."""
    o = result["overall"]
    scored = o.get("n_hostile_scored", o["n_hostile"])  # a model saved before it was recorded lacks no label
    counted = f"{o['hostile_hits']} of {scored}" + (f" {what}" if what else "")
    if scored == o["n_hostile"]:
        return f"{format_rate(o['hostile_recall'])} ({counted})"
    missing = " or ".join(result.get("labels_missing") or []) or "the expected"
    return (f"{format_rate(o['hostile_recall'])} ({counted} scored; {o['n_hostile'] - scored} not scored: the model "
            f"has no {missing} label)")


def format_rate(value, missing: str = "n/a") -> str:
    """A rate as a percentage with one decimal (``missing`` when it could not be measured)."""
    return missing if value is None else f"{value:.1%}"


def format_score(value, missing: str = "n/a") -> str:
    """A score such as an AUC with three decimals (``missing`` when it could not be measured)."""
    return missing if value is None else f"{value:.3f}"
