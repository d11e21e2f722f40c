"""Whether a hostile report keeps its label when a clause of plain description is added to it.

Usage: python -m benchmarks.neutral_clauses [MODEL ...] [--clause TEXT ...] [--quick]

A reporter who adds "Been there since Sunday." to a line of graffiti has not made it less hostile. This script
takes every hostile sentence of the identity suite, the held-out probe and the opened fresh probes
(``benchmarks.fresh_probe.PROBES``), appends each clause in turn, and prints, per model (a saved model folder or a
name in the models folder; default: the default model), how many sentences get their label as written and with
the clause: how many it loses and gains, and how many of those lost come from short templates. Measured, never a
bar; ``--quick`` scores every 20th sentence (a smoke run: its figures mean nothing).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Clauses a reporter adds without changing what happened: when, how big, what is attached.
CLAUSES = (" Been there since Sunday.", " It is huge.", " Reported on Tuesday.", " Photo attached.")
#: A quick run scores every this-many-th hostile sentence.
QUICK_EVERY = 20


def hostile_sentences(every: int = 1) -> list:
    """The hostile sentences of the identity suite, the held-out probe and the opened fresh probes."""
    from benchmarks.fresh_probe import opened_identity_sets

    sets = opened_identity_sets().values()
    hostile = [sentence for suite in sets for sentence in suite.sentences if sentence.kind == "hostile"]
    return hostile[::every]


def with_clause(text: str, clause: str) -> str:
    """``text`` with ``clause`` after it, one space between.

    >>> with_clause("GO HOME sprayed on the shop. ", " It is huge.")
    'GO HOME sprayed on the shop. It is huge.'
    """
    return text.rstrip() + " " + clause.strip()


def measure(model, sentences, clauses=CLAUSES) -> list[dict]:
    """Per clause (``None`` first: the sentences as written), how many sentences get their label, and against
    the sentences as written how many are lost, lost from short templates, and gained."""
    def found(texts):
        return [s.expected_label in p.labels for s, p in zip(sentences, model.predict(texts, explain=False),
                                                              strict=True)]

    written = found([s.text for s in sentences])
    rows = [{"clause": None, "found": sum(written), "lost": 0, "lost_short": 0, "gained": 0}]
    for clause in clauses:
        now = found([with_clause(s.text, clause) for s in sentences])
        lost = [was and not is_ for was, is_ in zip(written, now, strict=True)]
        rows.append({"clause": clause.strip(), "found": sum(now), "lost": sum(lost),
                     "lost_short": sum(x and s.length == "short" for x, s in zip(lost, sentences, strict=True)),
                     "gained": sum(is_ and not was for was, is_ in zip(written, now, strict=True))})
    return rows


def format_rows(name: str, rows: list[dict], n: int) -> list[str]:
    """One model's table: the sentences as written, then one line per clause."""
    lines = [f"{name}: {n:,} hostile sentences"]
    for row in rows:
        what = "as written" if row["clause"] is None else f"+ {row['clause']!r}"
        extra = "" if row["clause"] is None else (f"; lost {row['lost']:,} ({row['lost_short']:,} of short "
                                                  f"templates), gained {row['gained']:,}")
        lines.append(f"  {what:<32} found {row['found']:,}{extra}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="saved model folders or names (default: the default model)")
    parser.add_argument("--clause", action="append", help="a clause to append, repeatable (default: four)")
    parser.add_argument("--quick", action="store_true", help=f"every {QUICK_EVERY}th sentence (smoke run)")
    args = parser.parse_args(argv)

    from classifier import load_model

    sentences = hostile_sentences(QUICK_EVERY if args.quick else 1)
    clauses = tuple(args.clause) if args.clause else CLAUSES
    for name in args.models or [None]:
        rows = measure(load_model(name), sentences, clauses)
        print("\n".join(format_rows(str(name or "default model"), rows, len(sentences))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
