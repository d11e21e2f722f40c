"""Assemble data/reports.csv and data/backlog_sample.csv from the hand-written batches in data/raw/.

Deterministic: the same raw files always give the same ids, order and train/test split.
Usage: python scripts/build_corpus.py
"""

from __future__ import annotations

import csv
import glob
import json
import random
from collections import Counter
from pathlib import Path

from sklearn.model_selection import train_test_split

RAW = Path("data/raw")
SEED = 20241125
TEST_SHARE = 0.22
CHANNELS_TIME = ["08:12", "09:47", "10:05", "11:31", "12:58", "14:16", "15:40", "16:22", "17:09", "19:54", "21:37"]


def read(pattern: str) -> list[dict]:
    rows = []
    for path in sorted(glob.glob(str(RAW / pattern))):
        with open(path, encoding="utf-8") as handle:
            rows += [json.loads(line) for line in handle if line.strip()]
    return rows


def key(text: str) -> str:
    return " ".join(text.lower().split())


def main() -> None:
    labelled = [r for r in read("*.jsonl") if "labels" in r]
    seen, reports = set(), []
    for record in labelled:
        k = key(record["text"])
        if k in seen:
            raise SystemExit(f"duplicate text in data/raw: {record['text'][:60]!r}")
        seen.add(k)
        reports.append({"text": record["text"].strip(), "labels": ";".join(sorted(set(record["labels"])))})
    random.Random(SEED).shuffle(reports)
    combos = Counter(r["labels"] or "none" for r in reports)
    strata = [(r["labels"] or "none") if combos[r["labels"] or "none"] >= 5 else "rare" for r in reports]
    _, test = train_test_split(range(len(reports)), test_size=TEST_SHARE, random_state=SEED, stratify=strata)
    test = set(test)
    with open("data/reports.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "labels", "split"])
        for i, r in enumerate(reports):
            writer.writerow([f"R{i + 1:04d}", r["text"], r["labels"], "test" if i in test else "train"])
    backlog = [r for r in read("backlog_*.jsonl") if key(r["text"]) not in seen]
    dropped = len(read("backlog_*.jsonl")) - len(backlog)
    backlog.sort(key=lambda r: (r["received"], r["text"]))
    rng = random.Random(SEED)
    with open("data/backlog_sample.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["reference", "received", "channel", "text"])
        for i, r in enumerate(backlog):
            year, month, day = r["received"].split("-")
            writer.writerow(
                [f"CT-{year}-{i + 1:04d}", f"{day}/{month}/{year} {rng.choice(CHANNELS_TIME)}", r["channel"],
                 r["text"].strip()]
            )
    print(f"reports.csv: {len(reports)} reports ({len(test)} test); backlog_sample.csv: {len(backlog)} "
          f"(skipped {dropped} that repeat a labelled report)")


if __name__ == "__main__":
    main()
