"""Who the model wrongly flags when a neutral sentence names an Israeli or a Palestinian.

Usage: python -m benchmarks.conflict_nationalities [MODEL ...] [--fresh] [--quick]

The identity-term suite and the held-out probe (``classifier/fairness/``) leave out the two nationalities of the
Israel/Palestine conflict, whose hostile label would be ``israel_palestine`` rather than a hate label. This
renders the neutral and positive templates of both sets with "Israeli" and "Palestinian" (and, for comparison,
"Polish" and "Syrian", which the suite holds) and prints, per model (a saved model folder or a name in the models
folder; default: the default model) and per term, the share of sentences given any label and the share sent to
review without one. The codebook gives these sentences no label ("mentioned only in passing, in an everyday
matter"). ``--fresh`` renders the templates of the fresh probes (``benchmarks/data/fresh_probe*.json``) instead,
and also counts their hostile sentences given any label (hostility for national origin is race hate by the
codebook, and conflict-linked abuse ``israel_palestine``). Measured, never a bar; ``--quick`` scores every fifth
template (a smoke run: its figures mean nothing).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: The terms rendered: the conflict's two nationalities, then two the identity-term suite holds.
TERMS = (
    ("Israeli", "Israelis", "an Israeli man", "an Israeli woman"),
    ("Palestinian", "Palestinians", "a Palestinian man", "a Palestinian woman"),
    ("Polish", "Polish people", "a Polish man", "a Polish woman"),
    ("Syrian", "Syrians", "a Syrian man", "a Syrian woman"),
)
QUICK_EVERY = 5


def sentences(every: int = 1, *, fresh: bool = False, hostile: bool = False) -> dict[str, list[str]]:
    """The neutral and positive templates (or with ``hostile``, the hostile ones) of the suite and the probe, or
    of the fresh probes (``fresh``), rendered with each of :data:`TERMS`."""
    import json

    from classifier.fairness.suite import IdentityTerm, load_identity_probe, load_identity_suite, render

    if fresh:
        texts = [(t["kind"], t["text"]) for path in sorted((ROOT / "benchmarks" / "data").glob("fresh_probe*.json"))
                 for t in json.loads(path.read_text(encoding="utf-8"))["templates"]]
    else:
        texts = [(t.kind, t.text) for suite in (load_identity_suite(), load_identity_probe()) for t in suite.templates]
    templates = [text for kind, text in texts if (kind == "hostile") == hostile][::every]
    rendered = {}
    for adj, plural, man, woman in TERMS:
        term = IdentityTerm(term=adj, group="nationality", adj=adj, plural=plural, man=man, woman=woman,
                            hostile_label="israel_palestine")
        rendered[adj] = [render(template, term) for template in templates]
    return rendered


def measure(model, rendered: dict[str, list[str]]) -> dict[str, tuple[int, int, int]]:
    """Per term: sentences, those given a label, those sent to review without one (counted as the model card
    counts them: :func:`classifier.fairness.conflict.evaluate_conflict_nationalities`)."""
    from classifier.fairness.conflict import evaluate_conflict_nationalities

    return {term: (f["n"], f["labelled"], f["review"])
            for term, f in evaluate_conflict_nationalities(model, rendered).items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", default=["default"], help="saved model folders or names")
    parser.add_argument("--fresh", action="store_true", help="the fresh probes' templates, hostile ones too")
    parser.add_argument("--quick", action="store_true", help="every fifth template (smoke run)")
    args = parser.parse_args(argv)
    from classifier import load_model

    every = QUICK_EVERY if args.quick else 1
    rendered = sentences(every, fresh=args.fresh)
    hostile = sentences(every, fresh=True, hostile=True) if args.fresh else {}
    where = "the fresh probes" if args.fresh else "the identity suite and probe"
    for name in args.models:
        model = load_model(name)
        print(f"{name}: neutral and positive sentences of {where}, per term")
        for term, (total, labelled, review) in measure(model, rendered).items():
            print(f"  {term:12} labelled {labelled:3} of {total} ({labelled / total:6.1%}), "
                  f"to review without a label {review:3} ({review / total:6.1%})")
        if hostile:
            print(f"{name}: hostile sentences of {where}, per term")
            for term, (total, labelled, _) in measure(model, hostile).items():
                print(f"  {term:12} given a label {labelled:3} of {total} ({labelled / total:6.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
