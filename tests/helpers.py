"""Helpers shared by the tests: paths of the bundled data and small builders. Fixtures live in conftest.py."""

from __future__ import annotations

import csv
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "reports.csv"
BACKLOG = ROOT / "data" / "backlog_sample.csv"
EXTERNAL = ROOT.parent / "shared" / "data" / "external"


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None, encoding="utf-8") -> Path:
    """Write ``rows`` to a CSV file and return its path."""
    columns = columns or list(rows[0])
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def identity_suite_result(term_fpr: dict | None = None, default: float = 0.0) -> dict:
    """An identity-suite result (as ``evaluate_identity_suite`` returns) in which each term's neutral and positive
    sentences get a label at the rate ``term_fpr[term]`` (``default`` for the others) and every hostile sentence
    gets its expected label: a stand-in for a model with those false alarms, for tests of the fairness gate."""
    import numpy as np

    from classifier.fairness import score_identity_suite
    from classifier.fairness.suite import load_identity_suite

    suite = load_identity_suite()
    labels = sorted({term.hostile_label for term in suite.terms})
    per_term = sum(not s.hostile for s in suite.sentences) // len(suite.terms)
    proba, seen = np.zeros((len(suite), len(labels))), {}
    for i, s in enumerate(suite.sentences):
        if s.hostile:
            proba[i, labels.index(s.expected_label)] = 1.0
            continue
        seen[s.term] = seen.get(s.term, 0) + 1
        if seen[s.term] <= round((term_fpr or {}).get(s.term, default) * per_term):
            proba[i, 0] = 1.0
    return score_identity_suite(suite, labels, proba, {label: 0.5 for label in labels})


def best_time(function, text: str, repeats: int = 5) -> float:
    """Least CPU time of a few runs (CPU time, so that other processes on the machine matter less)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        function(text)
        best = min(best, time.process_time() - start)
    return best


def assert_linear(function, unit: str, small: int = 20_000, large: int = 200_000, factor: float = 30.0) -> float:
    """Ten times the input (``unit`` repeated) must take well under a hundred times as long, as a quadratic
    step would; returns the time on the large input. Times under 2 ms count as 2 ms (timer noise)."""
    small_time = max(best_time(function, unit * (small // len(unit))), 2e-3)
    large_time = best_time(function, unit * (large // len(unit)))
    assert large_time < factor * small_time, f"{unit!r}: {small} chars {small_time:.4f}s, {large} {large_time:.4f}s"
    return large_time
