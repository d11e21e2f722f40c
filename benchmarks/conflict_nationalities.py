"""Who the model wrongly flags when a neutral sentence names an Israeli or a Palestinian.

Usage: python -m benchmarks.conflict_nationalities [MODEL ...] [--quick]

The identity-term suite and the held-out probe (``classifier/fairness/``) leave out the two nationalities of the
Israel/Palestine conflict, whose hostile label would be ``israel_palestine`` rather than a hate label. This
renders the neutral and positive templates of both sets with "Israeli" and "Palestinian" (and, for comparison,
"Polish" and "Syrian", which the suite holds) and prints, per model (a saved model folder or a name in the models
folder; default: the default model) and per term, the share of sentences given any label and the share sent to
review without one. The codebook gives these sentences no label ("mentioned only in passing, in an everyday
matter"). Measured, never a bar; ``--quick`` scores every fifth template (a smoke run: its figures mean nothing).
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


def sentences(every: int = 1) -> dict[str, list[str]]:
    """The neutral and positive templates of the suite and the probe, rendered with each of :data:`TERMS`."""
    from classifier.fairness.suite import IdentityTerm, load_identity_probe, load_identity_suite, render

    templates = [template for suite in (load_identity_suite(), load_identity_probe())
                 for template in suite.templates if template.kind != "hostile"][::every]
    rendered = {}
    for adj, plural, man, woman in TERMS:
        term = IdentityTerm(term=adj, group="nationality", adj=adj, plural=plural, man=man, woman=woman,
                            hostile_label="israel_palestine")
        rendered[adj] = [render(template.text, term) for template in templates]
    return rendered


def measure(model, rendered: dict[str, list[str]]) -> dict[str, tuple[int, int, int]]:
    """Per term: sentences, those given a label, those sent to review without one."""
    figures = {}
    for term, texts in rendered.items():
        predictions = model.predict(texts)
        labelled = sum(bool(p.labels) for p in predictions)
        review = sum(p.needs_review and not p.labels for p in predictions)
        figures[term] = (len(texts), labelled, review)
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", default=["default"], help="saved model folders or names")
    parser.add_argument("--quick", action="store_true", help="every fifth template (smoke run)")
    args = parser.parse_args(argv)
    from classifier import load_model

    rendered = sentences(QUICK_EVERY if args.quick else 1)
    for name in args.models:
        figures = measure(load_model(name), rendered)
        print(f"{name}: neutral and positive sentences of the identity suite and probe, per term")
        for term, (total, labelled, review) in figures.items():
            print(f"  {term:12} labelled {labelled:3} of {total} ({labelled / total:6.1%}), "
                  f"to review without a label {review:3} ({review / total:6.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
