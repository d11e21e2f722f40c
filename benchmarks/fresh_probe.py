"""Who each model wrongly flags, on fresh identity probes written without sight of the model or its results.

Usage: python -m benchmarks.fresh_probe [MODEL ...] [--probe PATH ...] [--templates N]

The identity suite and the held-out probe (``classifier/fairness/identity_probe.json``) steered the corpus, so
both flatter the default model. Each fresh probe in ``benchmarks/data/`` was written later from the codebook
alone: 40 templates over the suite's 45 terms (and its "local" baseline); :data:`PROBES` says which ones a corpus
generation was since aimed at. This script scores each model given (a saved model folder, or a name in the models
folder; default: the default model) on each probe (default: all) and prints, per model, the share of neutral and
positive sentences given any label overall and per group, hostile recall overall and per group, and the templates
flagged most. Then the same with the review flag, as triage staff see it: hostile sentences given their label or
sent to review with it, neutral and positive ones given a label or sent to review (the reviewers' extra reading),
and the review's catch on the hostile templates missed most. Measured, never a bar: nothing is chosen on them, so
each stays a measure for as long as nothing is aimed at it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = ROOT / "benchmarks" / "data"
#: The fresh probes by the name the benchmarks give them, oldest first; each was written from the codebook alone:
#: - fresh: after the second stage's copies with a described person; the eleventh generation was aimed at its gaps.
#: - fresh2: before the eleventh generation was built in; the twelfth was aimed at its gaps.
#: - fresh3: after the second's misses had been read, with hostility that avoids the obvious words of hate.
#: - fresh4: before the twelfth generation was built in, and not read until it had been adopted on cross-validation.
#: - fresh5: before a thirteenth generation was cross-validated; that generation was not adopted, and its
#:   templates' misses have not been examined.
#: - fresh6: before the fourteenth and fifteenth generations (misinformation; ordinary reports about people
#:   described by group, and threats that turn on who someone is) were cross-validated together; read only after
#:   they had been adopted. A sixteenth generation was then aimed at its misses.
#: - fresh7: before that sixteenth generation was cross-validated; opened only after it had been adopted. A
#:   seventeenth generation was then aimed at its misses.
#: - fresh8: before that seventeenth generation was cross-validated (it was not adopted); opened only after an
#:   eighteenth generation (threats and pressure to leave, both sides of the line) had been adopted.
#: - fresh9: after that, before a nineteenth generation (incidents against a described person, both sides of the
#:   line) was cross-validated; opened only after it had been adopted.
#: - fresh10: after that, before a twentieth generation (ethnic and national groups kept out and campaigned
#:   against) was cross-validated; opened only after it had been adopted.
#: - fresh11: after that, before a twenty-first generation (refusals, campaigns and talk against a group) was
#:   cross-validated; opened only after it had been adopted.
#: - fresh12: after that, before a twenty-second generation (hostile words reported with plain description around
#:   them, and everyday reports naming a group in the same plain style) was cross-validated; opened only after it
#:   had been adopted.
#: - fresh13: after fresh12, also before that generation was cross-validated; opened only after the vocabulary
#:   rule that counts a report and its copies once (and the masking of tokens of five digits or more) had been
#:   adopted. Nothing has been aimed at it.
#: - fresh14: written after fresh13 was opened, from the codebook and the term list alone; opened only after the
#:   dropping of e-mail headers and signatures had been adopted (100% found, 0.0% flagged, as for the model before).
#:   Nothing has been aimed at it.
PROBES = {
    "fresh": DATA / "fresh_probe.json",
    "fresh2": DATA / "fresh_probe_2.json",
    "fresh3": DATA / "fresh_probe_3.json",
    "fresh4": DATA / "fresh_probe_4.json",
    "fresh5": DATA / "fresh_probe_5.json",
    "fresh6": DATA / "fresh_probe_6.json",
    "fresh7": DATA / "fresh_probe_7.json",
    "fresh8": DATA / "fresh_probe_8.json",
    "fresh9": DATA / "fresh_probe_9.json",
    "fresh10": DATA / "fresh_probe_10.json",
    "fresh11": DATA / "fresh_probe_11.json",
    "fresh12": DATA / "fresh_probe_12.json",
    "fresh13": DATA / "fresh_probe_13.json",
    "fresh14": DATA / "fresh_probe_14.json",
}
PROBE = PROBES["fresh"]
#: Probes written from the codebook alone and not yet scored, kept out of :data:`PROBES` so that no benchmark
#: prints their figures before the change they are the measure for (``--probe PATH`` scores one).
UNOPENED: dict[str, Path] = {}
#: Templates listed per model: those with the highest false-positive rate (neutral, positive) or lowest recall.
N_TEMPLATES = 5


def load_fresh_probe(path=PROBE):
    """The fresh probe's templates over the identity suite's terms and baseline, as an
    :class:`~classifier.fairness.suite.IdentitySuite`."""
    from classifier.fairness.suite import build_probe

    return build_probe(json.loads(Path(path).read_text("utf-8")))


def opened_identity_sets() -> dict:
    """The identity-term suite, the held-out probe and the opened fresh probes (:data:`PROBES`), by the names the
    benchmarks give them: ``suite``, ``probe``, then the keys of :data:`PROBES`."""
    from classifier.fairness.suite import load_identity_probe, load_identity_suite

    return {"suite": load_identity_suite(), "probe": load_identity_probe(),
            **{name: load_fresh_probe(path) for name, path in PROBES.items()}}


def describe(name: str, result: dict, n_templates: int = N_TEMPLATES) -> list[str]:
    """One model's lines: overall and per-group figures, then the templates it does worst on."""
    from classifier.fairness.metrics import format_rate

    overall = result["overall"]
    lines = [f"{name}: false positives {format_rate(overall['false_positive_rate'])} ({overall['false_positives']} of "
             f"{overall['n_non_hostile']} neutral and positive sentences), hostile recall "
             f"{format_rate(overall['hostile_recall'])} ({overall['hostile_hits']} of {overall['n_hostile']})"]
    for group, figures in result["groups"].items():
        lines.append(f"  {group:<18} false positives {format_rate(figures['false_positive_rate']):>6}   hostile recall "
                     f"{format_rate(figures['hostile_recall']):>6}")
    templates = result["by_template"].items()
    flagged = sorted(((tid, t["rate"]) for tid, t in templates if t["kind"] != "hostile" and t["rate"] > 0),
                     key=lambda item: -item[1])[:n_templates]
    missed = sorted(((tid, t["rate"]) for tid, t in templates if t["kind"] == "hostile" and t["rate"] < 1),
                    key=lambda item: item[1])[:n_templates]
    lines.append("  most flagged neutral/positive templates: "
                 + (", ".join(f"{tid} {format_rate(rate)}" for tid, rate in flagged) or "none"))
    lines.append("  hostile templates missed most: "
                 + (", ".join(f"{tid} {format_rate(rate)}" for tid, rate in missed) or "none"))
    return lines


def review_figures(model, probe) -> dict:
    """What the review flag adds on ``probe``: counts of hostile sentences given their expected label or sent to
    review with it (``model.predict``'s ``review_labels``), of neutral and positive sentences given any label or
    sent to review for any reason, and per hostile template the share caught either way."""
    predictions = model.predict([s.text for s in probe.sentences], explain=False)
    caught = found = touched = non_hostile = 0
    by_template: dict[str, list[int]] = {}
    for sentence, prediction in zip(probe.sentences, predictions, strict=True):
        if sentence.hostile:
            hit = sentence.expected_label in prediction.labels + prediction.review_labels
            caught += hit
            found += sentence.expected_label in prediction.labels
            counts = by_template.setdefault(sentence.template, [0, 0])
            counts[0] += hit
            counts[1] += 1
        else:
            non_hostile += 1
            touched += bool(prediction.labels) or prediction.needs_review
    n_hostile = sum(counts[1] for counts in by_template.values())
    return {"hostile_found": found, "hostile_caught": caught, "n_hostile": n_hostile, "non_hostile_touched": touched,
            "n_non_hostile": non_hostile,
            "caught_by_template": {tid: hit / n for tid, (hit, n) in by_template.items()}}


def describe_review(figures: dict, result: dict, n_templates: int = N_TEMPLATES) -> list[str]:
    """The review flag's lines under :func:`describe`'s: hostile caught by label or review, neutral and positive
    sentences labelled or sent to review, and the review's catch on the hostile templates missed most."""
    from classifier.fairness.metrics import format_rate

    def rate(part, whole):
        return format_rate(part / whole if whole else None)

    caught, hostile = figures["hostile_caught"], figures["n_hostile"]
    touched, neutral = figures["non_hostile_touched"], figures["n_non_hostile"]
    missed = sorted(((tid, t["rate"]) for tid, t in result["by_template"].items()
                     if t["kind"] == "hostile" and t["rate"] < 1), key=lambda item: item[1])[:n_templates]
    by_template = figures["caught_by_template"]
    return [f"  with the review flag: hostile labelled or sent to review with their label {rate(caught, hostile)} "
            f"({caught} of {hostile}); neutral and positive labelled or sent to review {rate(touched, neutral)} "
            f"({touched} of {neutral})",
            "  hostile templates missed most, labelled or sent to review: "
            + (", ".join(f"{tid} {format_rate(by_template.get(tid))}" for tid, _ in missed) or "none")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="saved model folders or names (default: the default model)")
    parser.add_argument("--probe", action="append",
                        help="a probe's JSON file, repeatable (default: the opened fresh probes)")
    parser.add_argument("--with-identity-sets", action="store_true",
                        help="also score the identity-term suite and the held-out probe (classifier/fairness/)")
    parser.add_argument("--templates", type=int, default=N_TEMPLATES, help="templates listed per model")
    args = parser.parse_args(argv)

    from classifier import load_model
    from classifier.fairness import evaluate_identity_suite
    from classifier.fairness.suite import load_identity_probe, load_identity_suite

    probes = [load_identity_suite(), load_identity_probe()] if args.with_identity_sets else []
    probes += [load_fresh_probe(path) for path in args.probe or PROBES.values()]
    models = {name or "default model": load_model(name) for name in args.models or [None]}
    totals = {name: [0, 0, 0, 0] for name in models}  # wrongly flagged, of; hostile found, of
    reviewed = {name: [0, 0, 0, 0] for name in models}  # labelled or sent to review, of; hostile caught, of
    for probe in probes:
        print(f"{probe.name} v{probe.version}: {len(probe.templates)} templates x {len(probe.terms)} terms = "
              f"{len(probe.sentences)} sentences")
        for name, model in models.items():
            result = evaluate_identity_suite(model, probe)
            print("\n".join(describe(name, result, args.templates)))
            figures = review_figures(model, probe)
            print("\n".join(describe_review(figures, result, args.templates)))
            for k, key in enumerate(("non_hostile_touched", "n_non_hostile", "hostile_caught", "n_hostile")):
                reviewed[name][k] += figures[key]
            overall = result["overall"]
            for k, key in enumerate(("false_positives", "n_non_hostile", "hostile_hits", "n_hostile")):
                totals[name][k] += overall[key]
    if len(probes) > 1:
        print(f"all {len(probes)} sets:")
        for name, (flagged, neutral, found, hostile) in totals.items():
            print(f"  {name}: {flagged:,} of {neutral:,} neutral and positive sentences wrongly flagged, "
                  f"{found:,} of {hostile:,} hostile sentences found")
            touched, neutral, caught, hostile = reviewed[name]
            print(f"    with the review flag: {touched:,} of {neutral:,} neutral and positive sentences labelled or "
                  f"sent to review, {caught:,} of {hostile:,} hostile sentences labelled or sent to review with "
                  "their label")
    return 0


if __name__ == "__main__":
    sys.exit(main())
