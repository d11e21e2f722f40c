"""Disclosure control of `tension summarise --suppress-below`: a reader attacks the published output.

The reader (tests/reports/summary_attacker.py) is written apart from classifier.reports.summary_disclosure and sees only
what is published: the written file's cells and the stated rules. For each withheld cell it solves two
integer programmes for the smallest and largest value the cell can take in any table that fits.
"""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from classifier.io.tables import AtomicTableWriter, read_rows
from classifier.reports.summarise import (
    NEEDS_REVIEW,
    NO_DATE,
    NO_LABEL,
    NOT_LABELLED,
    REPORTS,
    SEVERAL,
    WITHHELD,
    UndatedRowsWarning,
    _count,
    _count_columns,
    summarise,
    write_summary,
)
from classifier.reports.summary_disclosure import (
    TableShape,
    choose_withheld,
    label_sets,
    reader_model,
    withheld_interval,
)
from tests.reports.summary_attacker import attack

# A table on which the previous suppression leaked: 21 reports over three months, two labels. It showed
# January's immigration count as "<5" and its several-labels count as "<5", and a reader solving the
# published totals, label pair and row relations found both were exactly 1 (so was March's immigration,
# shown as "[c]"). 2 tables in 40 of this shape leaked that way.
LEAKED = {
    "2024-01": {"": 4, "immigration;race_hate": 1, "race_hate": 1},
    "2024-02": {"": 2, "immigration": 4, "immigration;race_hate": 2, "race_hate": 3},
    "2024-03": {"": 2, "immigration;race_hate": 1, "race_hate": 1},
}


def _write(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    with AtomicTableWriter(path, columns) as writer:
        writer.write_rows(rows)
    return path


def _true_cells(summary) -> dict[tuple[int, str], int]:  # type: ignore[no-untyped-def]
    cells = {(index, column): _count(counts, column)
             for index, counts in enumerate([*summary.periods, summary.total])
             for column in _count_columns(summary)}
    for (first, second), count in summary.pairs:
        cells[(-1, f"{first} + {second}")] = count
    return cells


def _published(summary, tmp_path: Path) -> tuple[list[dict[str, str]], list[dict[str, str]], list[str]]:  # type: ignore[no-untyped-def]
    """The summary as a reader gets it: written to .xlsx and read back (table, label pairs, notes)."""
    out = write_summary(summary, tmp_path / "published.xlsx")
    return read_rows(out), read_rows(out, sheet="label pairs"), [row["note"] for row in read_rows(out, sheet="notes")]


def _assert_reader_cannot_narrow(summary, tmp_path: Path, below: int) -> dict:  # type: ignore[no-untyped-def]
    table, pairs, _ = _published(summary, tmp_path)
    true = _true_cells(summary)
    counts = [value for row in table for column, value in row.items() if column not in ("period", "change", "change %")]
    counts += [pair["reports"] for pair in pairs]
    assert not [value for value in counts if value.isdigit() and 0 < int(value) < below]
    found = attack(table, pairs)
    assert set(found) == {key for key in true if key in summary.withheld}
    for key, (lowest, highest) in found.items():
        assert lowest <= true[key] <= highest, (key, true[key], lowest, highest)  # the reader is sound
        if 0 < true[key] < below:
            assert highest - lowest + 1 >= below, (key, true[key], lowest, highest)
    return found


def test_summarise_disclosure_two_label_leak_is_closed(tmp_path: Path) -> None:
    rows = [{"received": f"{month}-15", "labels": labels}
            for month, kinds in LEAKED.items() for labels, count in kinds.items() for _ in range(count)]
    summary = summarise(_write(tmp_path / "r.csv", rows, ["received", "labels"]), suppress_below=5)
    found = _assert_reader_cannot_narrow(summary, tmp_path, 5)
    lowest, highest = found[(0, "immigration")]
    assert highest - lowest + 1 >= 5  # was pinned to exactly 1
    lowest, highest = found[(0, SEVERAL)]
    assert highest - lowest + 1 >= 5


def _random_table(seed: int) -> tuple[list[dict[str, str]], list[str], int]:
    """A small labelled file: 2 or 3 labels, 2 to 4 months, with or without review and status columns."""
    rng = random.Random(seed)
    labels = ["immigration", "race_hate", "misinformation"][: rng.choice([2, 2, 3])]
    review, status = rng.random() < 0.5, rng.random() < 0.4
    rows = []
    for month in range(rng.randrange(2, 5)):
        for _ in range(rng.randrange(2, 16)):
            row = {"received": f"2024-{month + 1:02d}-{rng.randrange(1, 29):02d}",
                   "labels": ";".join(rng.sample(labels, rng.choice([0, 0, 1, 1, 1, 2])))}
            if review:
                row["needs_review"] = rng.choice(["true", "false", "false"])
            if status:
                row["status"] = "empty text" if rng.random() < 0.1 else "ok"
            rows.append(row)
    columns = ["received", "labels", *(["needs_review"] if review else []), *(["status"] if status else [])]
    return rows, columns, rng.choice([3, 5, 5])


@pytest.mark.parametrize("seed", range(40))
def test_summarise_disclosure_random_tables_resist_the_reader(tmp_path: Path, seed: int) -> None:
    rows, columns, below = _random_table(seed)
    summary = summarise(_write(tmp_path / "r.csv", rows, columns), suppress_below=below)
    _assert_reader_cannot_narrow(summary, tmp_path, below)


def test_summarise_disclosure_withheld_cells_are_small_or_protect_one(tmp_path: Path) -> None:
    rows, columns, below = _random_table(3)
    summary = summarise(_write(tmp_path / "r.csv", rows, columns), suppress_below=below)
    true = _true_cells(summary)
    assert summary.withheld
    for key, value in true.items():
        if 0 < value < below:
            assert key in summary.withheld, key  # primary: every small count
        elif value == 0:
            assert key not in summary.withheld, key  # zeros are published
    # Secondary cells exist only to protect small ones: none without a small count to protect.
    assert any(0 < true[key] < below for key in summary.withheld)


def test_summarise_disclosure_models_agree(tmp_path: Path) -> None:
    """The tool's reader model and the test's reader, built apart, find the same intervals."""
    for seed in (1, 7):
        rows, columns, below = _random_table(seed)
        summary = summarise(_write(tmp_path / f"r{seed}.csv", rows, columns), suppress_below=below)
        table, pairs, _ = _published(summary, tmp_path)
        theirs = attack(table, pairs)
        shape = TableShape(len(summary.periods), tuple(summary.label_names), REPORTS, NO_LABEL, SEVERAL,
                           NOT_LABELLED if summary.has_status else None,
                           NEEDS_REVIEW if summary.has_review else None)
        model = reader_model(shape, list(itertools.combinations(sorted(summary.label_names), 2)),
                             label_sets(summary.label_names))
        counts = np.zeros(model.n_kinds)
        for row, period in enumerate(summary.periods):
            for kind, number in period.kinds.items():
                counts[model.kind(row, kind)] += number
            if summary.has_review:
                counts[model.kind(row, NEEDS_REVIEW)] = period.needs_review
        true = _true_cells(summary)
        assert model.values(counts) == {cell: true.get(cell, 0) for cell in model.cells}
        ours = {cell: withheld_interval(model, counts, summary.withheld, cell, below) for cell in summary.withheld}
        assert ours == theirs


def test_summarise_disclosure_chooser_withholds_little_when_counts_are_large() -> None:
    # One small count in a table of large ones: it and a few complements, not the whole table.
    shape = TableShape(4, ("a", "b"), REPORTS, NO_LABEL, SEVERAL)
    model = reader_model(shape, [("a", "b")], label_sets(["a", "b"]))
    counts = np.zeros(model.n_kinds)
    for row in range(4):
        counts[model.kind(row, frozenset("a"))] = 40 + row
        counts[model.kind(row, frozenset("b"))] = 30 + row
        counts[model.kind(row, NO_LABEL)] = 50
    counts[model.kind(2, frozenset("ab"))] = 2
    primary, withheld = choose_withheld(model, counts, 5)
    assert primary == {(2, SEVERAL), (4, SEVERAL), (-1, "a + b")}
    assert len(withheld - primary) <= 6


def test_summarise_disclosure_pairs_listed_without_revealing_order(tmp_path: Path) -> None:
    rows = [{"received": "2024-01-15", "labels": "a;b"}] * 12 + [{"received": "2024-01-15", "labels": "a;c"}] * 2
    rows += [{"received": "2024-02-15", "labels": "b;c"}] * 9 + [{"received": "2024-02-15", "labels": "c"}] * 9
    summary = summarise(_write(tmp_path / "r.csv", rows, ["received", "labels"]), suppress_below=5)
    shown = [pair["reports"] for pair in summary.pair_table]
    numbers = [value for value in shown if value != WITHHELD]
    assert numbers == sorted(numbers, reverse=True)
    assert shown == numbers + [WITHHELD] * (len(shown) - len(numbers))  # withheld last, in label order
    hidden = [pair["labels"] for pair in summary.pair_table if pair["reports"] == WITHHELD]
    assert hidden == sorted(hidden) and "a + c" in hidden
    _assert_reader_cannot_narrow(summary, tmp_path, 5)


@pytest.mark.parametrize("suffix", [".xlsx", ".html", ".csv"])
def test_summarise_disclosure_undated_rows_are_counted_not_listed(tmp_path: Path, suffix: str) -> None:
    # Before: the note said "rows 3, 9 of ... have no readable date", turning a '<5' count into an exact one.
    rows = [{"received": "2024-03-15", "labels": "immigration"} for _ in range(20)]
    rows[2]["received"] = rows[8]["received"] = "unknown"
    with pytest.warns(UndatedRowsWarning, match=r"rows 4, 10"):  # the terminal is told which rows
        summary = summarise(_write(tmp_path / "r.csv", rows, ["received", "labels"]), suppress_below=5)
    assert summary.undated_rows == [4, 10]
    assert f"Reports with no usable date: {WITHHELD}." in " ".join(summary.notes)
    out = write_summary(summary, tmp_path / f"summary{suffix}")
    text = out.read_bytes().decode("utf-8", "replace") if suffix != ".xlsx" else " ".join(
        " ".join(row.values()) for sheet in ("summary", "label pairs", "notes") for row in read_rows(out, sheet=sheet))
    assert not re.search(r"\brows? \d", text)
    table = {row["period"]: row for row in summary.table}
    assert table[NO_DATE][REPORTS] == WITHHELD


def test_summarise_disclosure_counts_match_without_suppression(tmp_path: Path) -> None:
    rows, columns, _ = _random_table(11)
    summary = summarise(_write(tmp_path / "r.csv", rows, columns))
    assert summary.withheld == frozenset()
    assert Counter(row["received"][:7] for row in rows) == Counter(
        {str(row["period"]).split(" (")[0]: row[REPORTS] for row in summary.table[:-1]})
