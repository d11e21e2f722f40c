"""Issue-16 bar: the review queue hands a reviewer the next report in under 100 ms with 100,000 reports queued.

Usage: python -m benchmarks.review_queue [--quick] [--reports N] [--repeats N] [--db URL]

Fills a review database (a SQLite file in a temporary folder unless ``--db`` names another) with ``--reports``
reports with random scores for five labels, 20% flagged for review, and three reviewers, then times, each
``--repeats`` times: fetching (and claiming) the next report, recording a decision, and the progress counts the
page shows beside it. A fetch comes after the reviewer has decided the reports before it, so the queue's index
walk skips a growing run of decided reports, as it does in use. ``--quick`` queues 2,000 (a smoke run).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LABELS = ("immigration", "israel_palestine", "misinformation", "race_hate", "religious_hate")
TARGET_MS = 100.0


class _Prediction:
    def __init__(self, scores: dict[str, float], thresholds: dict[str, float]):
        self.scores, self.status, self.reasons = scores, "ok", {}
        self.labels = [label for label in LABELS if scores[label] >= thresholds[label]]
        self.needs_review = any(abs(scores[label] - thresholds[label]) <= 0.15 for label in LABELS)


def fill(store, n: int, seed: int = 0) -> float:
    """Queue `n` reports in batches of 10,000; return the seconds it took."""
    from classifier.review.queue import enqueue

    rng = random.Random(seed)
    thresholds = {label: 0.5 for label in LABELS}
    started = time.perf_counter()
    for start in range(0, n, 10_000):
        size = min(10_000, n - start)
        predictions = [_Prediction({label: rng.random() ** 3 for label in LABELS}, thresholds) for _ in range(size)]
        texts = [f"report {start + i}: leaflets about the hotel on Mill Lane" for i in range(size)]
        enqueue(store, texts, predictions, name=f"batch {start}", model_name="bench", thresholds=thresholds)
    return time.perf_counter() - started


def measure(reports: int, repeats: int, db_url: str | None = None) -> list[tuple[str, float, float]]:
    """(what, median ms, worst ms) rows."""
    from classifier.review.queue import next_item, progress, record_decision
    from classifier.review.store import open_store
    from classifier.review.users import add_user

    with (tempfile.TemporaryDirectory() as tmp,
          open_store(db_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}") as store):
        fill_seconds = fill(store, reports)
        people = [add_user(store, f"reviewer{i}", "a long benchmark password") for i in range(3)]
        fetch, decide, counts = [], [], []
        for round_number in range(repeats):
            user = people[round_number % len(people)]
            started = time.perf_counter()
            item = next_item(store, user.id)
            fetch.append(time.perf_counter() - started)
            started = time.perf_counter()
            record_decision(store, item.id, user.id, "accept" if round_number % 4 else "skip")
            decide.append(time.perf_counter() - started)
            started = time.perf_counter()
            progress(store, user.id)
            counts.append(time.perf_counter() - started)
    rows = [(f"queue {reports:,} reports", fill_seconds * 1000, fill_seconds * 1000)]
    for what, times in (("next report (fetch and claim)", fetch), ("record a decision", decide),
                        ("progress counts", counts)):
        rows.append((what, statistics.median(times) * 1000, max(times) * 1000))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 reports, 20 repeats: a smoke run")
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--db", default=None, help="database URL (default: a SQLite file in a temporary folder)")
    args = parser.parse_args(argv)
    reports, repeats = (2_000, 20) if args.quick else (args.reports, args.repeats)
    rows = measure(reports, repeats, args.db)
    print(f"{'what':<34}{'median ms':>12}{'worst ms':>12}")
    for what, median, worst in rows:
        print(f"{what:<34}{median:>12.1f}{worst:>12.1f}")
    fetch_median = rows[1][1]
    verdict = "meets" if fetch_median < TARGET_MS else "MISSES"
    print(f"next report: median {fetch_median:.1f} ms, {verdict} the target of {TARGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
