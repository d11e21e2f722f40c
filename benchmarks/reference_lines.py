"""Whether a report keeps its labels when a partner's reference line comes with it.

Usage: python -m benchmarks.reference_lines [MODEL ...] [--every N] [--quick]

Police, housing and probation referrals carry a line of references ("Crime ref 44019823. Victim DOB 14/02/1979,
HF4 2RT. Suspect vehicle KX70 BNM."). The identifiers in it are masked before the model reads it, but what stays
(the placeholders, "ref", "DOB", "Victim") can still move the scores. This takes the test split's short reports
(60 words or fewer; every ``N``-th, default every second), the labels each model (a saved model folder or a name
in the models folder; default: the default model) gives them right as written, and counts, per reference line
(:data:`REFERENCE_LINES`, fictional) put above and below the report, how many of those right labels it takes away
and how many wrong labels it adds. Measured, never a bar; ``--quick`` scores every 20th report with two lines (a
smoke run: its figures mean nothing).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Reference lines as partners write them (every identifier fictional).
REFERENCE_LINES = (
    "Crime ref 44019823. Victim DOB 14/02/1979, HF4 2RT. Suspect vehicle KX70 BNM.",
    "Our ref: HSG/2291/4471. Tenant NI QQ123456C.",
    "Log 0417 of 12/03/2026. CAD 5520918.",
    "Case no. 4512387, referral received 03/05/2025.",
    "Incident number 2203/14MAR26, PC 4471.",
    "Ref 88213. DOB 03/05/1991.",
)
QUICK_EVERY = 20


def measure(model, reports: list[tuple[str, set[str]]], lines=REFERENCE_LINES) -> list[dict]:
    """Per line and place (``above``/``below``): ``right`` labels as written, ``lost`` of them, wrong ``added``."""
    texts = [text for text, _ in reports]
    truth = [labels for _, labels in reports]
    given = [set(p.labels) for p in model.predict(texts)]
    right = [g & t for g, t in zip(given, truth, strict=True)]
    rows = []
    for line in lines:
        for place in ("above", "below"):
            wrapped = [f"{line}\n{text}" if place == "above" else f"{text}\n{line}" for text in texts]
            now = [set(p.labels) for p in model.predict(wrapped)]
            rows.append({"line": line, "place": place, "right": sum(map(len, right)),
                         "lost": sum(len(r - n) for r, n in zip(right, now, strict=True)),
                         "added": sum(len(n - t - g) for n, t, g in zip(now, truth, given, strict=True))})
    return rows


def format_rows(name: str, rows: list[dict], reports: int) -> list[str]:
    """The table of one model, and the mean over every line and place."""
    right = rows[0]["right"] if rows else 0
    lines = [f"{name}: {reports:,} short test reports, {right:,} right labels as written"]
    for row in rows:
        share = row["lost"] / right if right else 0.0
        lines.append(f"  {row['place']:5}  {row['line'][:44]:44}  lost {row['lost']:4} ({share:6.1%})  "
                     f"wrong added {row['added']:4}")
    if rows:
        lost = sum(row["lost"] for row in rows) / len(rows)
        added = sum(row["added"] for row in rows) / len(rows)
        lines.append(f"  mean: right labels lost {lost:.1f} ({lost / right if right else 0.0:.1%}), "
                     f"wrong labels added {added:.1f}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", default=["default"], help="saved model folders or names")
    parser.add_argument("--every", type=int, default=2, help="score every N-th short test report (2)")
    parser.add_argument("--quick", action="store_true", help="every 20th report, two lines (smoke run)")
    args = parser.parse_args(argv)
    from benchmarks.email_wrappers import short_test_reports
    from classifier import load_model

    every = QUICK_EVERY if args.quick else args.every
    reports = short_test_reports(ROOT / "data" / "reports.csv", every)
    lines = REFERENCE_LINES[:2] if args.quick else REFERENCE_LINES
    for name in args.models:
        print("\n".join(format_rows(name, measure(load_model(name), reports, lines), len(reports))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
