"""Assemble data/reports.csv and data/backlog_sample.csv from the hand-written batches in data/raw/.

Deterministic: the same raw files always give the same ids, order and train/test split.
Label corrections found after a batch was written (``data/raw/label_corrections.json``) are applied after the split
is drawn, so that correcting a label never moves another report between train and test.
Usage: python scripts/build_corpus.py
"""

from __future__ import annotations

import csv
import glob
import json
import random
import re
from collections import defaultdict
from pathlib import Path

from sklearn.model_selection import train_test_split

from classifier.io.records import label_strata

RAW = Path("data/raw")
SEED = 20241125
TEST_SHARE = 0.22
CORRECTIONS = "label_corrections.json"
CHANNELS_TIME = ["08:12", "09:47", "10:05", "11:31", "12:58", "14:16", "15:40", "16:22", "17:09", "19:54", "21:37"]


def read(pattern: str, raw: Path = RAW) -> list[dict]:
    rows = []
    for path in sorted(glob.glob(str(raw / pattern))):
        with open(path, encoding="utf-8") as handle:
            rows += [json.loads(line) for line in handle if line.strip()]
    return rows


def key(text: str) -> str:
    return " ".join(text.lower().split())


def generation(record_path: str) -> int:
    """Batches added later (``v2*``, ``v3*``) are appended after earlier ones, so earlier ids and splits stay put."""
    name = Path(record_path).name
    match = re.match(r"v(\d+)", name)
    return int(match.group(1)) if match else 1


def held_out(record_path: str) -> bool:
    """Batches named ``v<N>...test_NN.jsonl`` (e.g. the long multi-topic reports) go whole to the test split."""
    return bool(re.match(r"v\d+[a-z]*test_\d+\.jsonl$", Path(record_path).name))


def apply_corrections(reports: list[dict], path: Path) -> None:
    """Set the labels of the reports that ``path`` corrects: a JSON list of ``{"id", "was", "labels", "reason"}``.
    A correction whose ``was`` is not the report's label as written (or whose id is unknown) stops the build."""
    if not path.is_file():
        return
    for fix in json.loads(path.read_text("utf-8")):
        number = int(fix["id"].lstrip("R")) - 1
        if not 0 <= number < len(reports):
            raise SystemExit(f"{path.name}: no report {fix['id']}")
        report = reports[number]
        if report["labels"] != ";".join(sorted(fix["was"])):
            raise SystemExit(f"{path.name}: {fix['id']} is labelled {report['labels']!r}, not {fix['was']!r}")
        report["labels"] = ";".join(sorted(set(fix["labels"])))


def main(raw: Path = RAW, out: Path = Path("data")) -> None:
    """Write ``out/reports.csv`` and ``out/backlog_sample.csv`` from the batches in ``raw``."""
    seen, generations = set(), defaultdict(list)
    for path in sorted(glob.glob(str(raw / "*.jsonl"))):
        if Path(path).name.startswith("backlog_"):
            continue
        for record in read(Path(path).name, raw):
            k = key(record["text"])
            if k in seen:
                raise SystemExit(f"duplicate text in data/raw: {record['text'][:60]!r}")
            seen.add(k)
            generations[generation(path)].append(
                {"text": record["text"].strip(), "labels": ";".join(sorted(set(record["labels"]))),
                 "held_out": held_out(path)}
            )
    reports, test = [], set()
    for number, batch in sorted(generations.items()):
        if not batch:
            continue
        random.Random(SEED + number - 1).shuffle(batch)
        free = [i for i, r in enumerate(batch) if not r["held_out"]]
        strata = label_strata([batch[i]["labels"].split(";") if batch[i]["labels"] else () for i in free], 5)
        _, batch_test = train_test_split(free, test_size=TEST_SHARE, random_state=SEED, stratify=strata)
        test |= {len(reports) + i for i in batch_test}
        test |= {len(reports) + i for i, r in enumerate(batch) if r["held_out"]}
        reports += batch
    apply_corrections(reports, raw / CORRECTIONS)
    with open(out / "reports.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "labels", "split"])
        for i, r in enumerate(reports):
            writer.writerow([f"R{i + 1:04d}", r["text"], r["labels"], "test" if i in test else "train"])
    written = read("backlog_*.jsonl", raw)
    backlog = [r for r in written if key(r["text"]) not in seen]
    dropped = len(written) - len(backlog)
    backlog.sort(key=lambda r: (r["received"], r["text"]))
    rng = random.Random(SEED)
    with open(out / "backlog_sample.csv", "w", encoding="utf-8", newline="") as handle:
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
