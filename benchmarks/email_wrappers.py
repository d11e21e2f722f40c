"""Whether a report keeps its labels when it arrives as a partner's e-mail: a signature below it, a forwarded
header above it.

Usage: python -m benchmarks.email_wrappers [MODEL ...] [--set dev|heldout] [--quick]

Takes the test split's short reports (60 words or fewer), the labels each model gives them right as written, and
counts, per model (a saved model folder or a name in the models folder; default: the default model) and per kind
of wrapper, how many of those right labels a wrapper takes away on average and how many wrong labels it adds.
The wrappers are fictional e-mail furniture in ``benchmarks/data/``: ``dev`` (60 signatures, 30 headers) was read
while the rules of :mod:`classifier.model.email_parts` were written; ``heldout`` (50 and 25) was written
afterwards, without sight of them or of the first set, and read when the rules were tightened after a stress
test (both are development sets now). Measured, never a bar; ``--quick`` scores every 20th
report with every 10th wrapper (a smoke run: its figures mean nothing).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WRAPPER_SETS = {"dev": ROOT / "benchmarks" / "data" / "email_wrappers_dev.json",
                "heldout": ROOT / "benchmarks" / "data" / "email_wrappers_heldout.json"}
#: A report of at most this many words is short: a signature or header weighs most on it.
SHORT_WORDS = 60
QUICK_EVERY = 20


def load_wrappers(name: str, every: int = 1) -> list[dict]:
    """The wrappers of set ``name``: ``{"id", "kind" ("signature" or "header"), "text"}``."""
    return json.loads(WRAPPER_SETS[name].read_text(encoding="utf-8"))["items"][::every]


def short_test_reports(corpus: Path, every: int = 1) -> list[tuple[str, set[str]]]:
    """``(text, labels)`` of the test split's reports of at most :data:`SHORT_WORDS` words."""
    with open(corpus, encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle)
                if row["split"] == "test" and len(row["text"].split()) <= SHORT_WORDS]
    return [(row["text"], set(filter(None, row["labels"].split(";")))) for row in rows[::every]]


def wrapped(text: str, wrapper: dict) -> str:
    """``text`` as the e-mail carries it: a signature below it, a header above it, a blank line between.

    >>> wrapped("Graffiti on Elm Road.", {"kind": "signature", "text": "Thanks,\\nJo"})
    'Graffiti on Elm Road.\\n\\nThanks,\\nJo'
    """
    return f"{text}\n\n{wrapper['text']}" if wrapper["kind"] == "signature" else f"{wrapper['text']}\n\n{text}"


def measure(model, reports, wrappers) -> dict:
    """Per kind of wrapper: how many wrappers, the right labels as written, and the mean right labels lost and
    wrong labels added per wrapper."""
    def labels(texts):
        return [set(p.labels) for p in model.predict(texts, explain=False)]

    texts, gold = [text for text, _ in reports], [labels_ for _, labels_ in reports]
    written = labels(texts)
    right = sum(len(given & true) for given, true in zip(written, gold, strict=True))
    kinds: dict[str, dict] = {}
    for wrapper in wrappers:
        now = labels([wrapped(text, wrapper) for text in texts])
        row = kinds.setdefault(wrapper["kind"], {"wrappers": 0, "right": right, "lost": 0, "added": 0})
        row["wrappers"] += 1
        for was, is_, true in zip(written, now, gold, strict=True):
            row["lost"] += len((was & true) - is_)
            row["added"] += len(is_ - was - true)
    return kinds


def format_rows(name: str, kinds: dict, n: int) -> list[str]:
    """One model's lines: per kind of wrapper, the mean right labels lost (share) and wrong labels added."""
    lines = [f"{name}: {n:,} short test reports"]
    for kind, row in kinds.items():
        lost, added = row["lost"] / row["wrappers"], row["added"] / row["wrappers"]
        share = lost / row["right"] if row["right"] else 0.0
        lines.append(f"  {row['wrappers']:>3} {kind + 's':<11} right labels lost {lost:7.1f} of {row['right']:,} "
                     f"({share:.1%}), wrong labels added {added:6.1f} (mean per wrapper)")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="saved model folders or names (default: the default model)")
    parser.add_argument("--set", choices=sorted(WRAPPER_SETS), default="heldout", help="wrapper set (heldout)")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "reports.csv", help="labelled corpus")
    parser.add_argument("--quick", action="store_true", help=f"every {QUICK_EVERY}th report (smoke run)")
    args = parser.parse_args(argv)

    from classifier import load_model

    reports = short_test_reports(args.data, QUICK_EVERY if args.quick else 1)
    wrappers = load_wrappers(args.set, 10 if args.quick else 1)
    for name in args.models or [None]:
        kinds = measure(load_model(name), reports, wrappers)
        print("\n".join(format_rows(f"{name or 'default model'} ({args.set} wrappers)", kinds, len(reports))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
