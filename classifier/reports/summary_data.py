"""What a trend summary holds: its per-period counts, the `Summary` itself, and the names of its rows and columns.

`classifier.reports.summarise` computes a `Summary`; `classifier.reports.summary_report` draws it as an HTML
page. Both import these names from here, so neither imports the other's module back.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "PERIODS",
    "Period",
    "PeriodCounts",
    "Summary",
]

Period = Literal["month", "quarter", "year", "financial-year"]
PERIODS: tuple[Period, ...] = ("month", "quarter", "year", "financial-year")

NO_DATE = "no date"
OUTSIDE_WINDOW = "outside date window"
ALL_PERIODS = "all"
TOTAL = "Total"
WITHHELD = "[c]"
PART = "(part)"  # the note's name for a part period; the table shows how much of it is covered
PART_CHANGE = "n/a (part period)"
# Column headings of the summary table, apart from one column per label.
PERIOD, REPORTS, CHANGE, CHANGE_PCT = "period", "reports", "change", "change %"
NO_LABEL, SEVERAL, NOT_LABELLED, NEEDS_REVIEW = "no label", "several labels", "not labelled", "needs review"


@dataclass
class PeriodCounts:
    """True (unsuppressed) counts for one period, or for the total.

    `kinds` counts the reports by what they carry (a frozenset of labels, or "no label" / "not labelled"):
    the detail the disclosure check needs. `part` is true for a first or last period the file's dates
    cover only in part, and `covered` says how much ("3 months", "12 days"); `change_across_part` when no
    change is worked out because this period or the previous one is part.
    """

    period: str
    reports: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    no_label: int = 0
    several_labels: int = 0
    not_labelled: int = 0
    needs_review: int = 0
    change: int | None = None
    change_pct: float | None = None
    part: bool = False
    covered: str = ""
    change_across_part: bool = False
    kinds: Counter[frozenset[str] | str] = field(default_factory=Counter)

    def add(self, other: PeriodCounts) -> None:
        self.reports += other.reports
        self.labels.update(other.labels)
        self.no_label += other.no_label
        self.several_labels += other.several_labels
        self.not_labelled += other.not_labelled
        self.needs_review += other.needs_review
        self.kinds.update(other.kinds)

    @property
    def shown_period(self) -> str:
        if not self.part:
            return self.period
        return f"{self.period} ({self.covered})" if self.covered else f"{self.period} {PART}"


@dataclass
class Summary:
    """The result of `summarise`: true counts and the table to show.

    Attributes
    ----------
    periods
        True counts per row in time order (gaps filled with zero rows, from the first to the last dated
        report inside the window), then "no date" and "outside date window" rows if any.
    total
        True counts over all rows.
    pairs
        Label pairs and the number of reports carrying both, most common first (true counts).
    columns, table
        The table to show or publish: `table` has one dict per period plus a final "Total" row, keyed by
        `columns`. With suppression, withheld cells hold ``"[c]"``.
    pair_table
        ``{"labels": "a + b", "reports": count}`` rows for the pairs some report carries: shown counts
        largest first, then withheld ones in label order (the order reveals nothing a cell hides).
    withheld
        The withheld cells, as ``(row, column)`` with row -1 for the label pairs (column ``"a + b"``).
    undated_rows, outside_rows
        Row numbers (`classifier.io.columns.row_number`) with no readable date / a date outside the window. Never
        published.
    earliest, latest
        The date window. `first_date`, `last_date`: the first and last date inside it (None if none).
    notes
        Sentences for the reader of the published summary (suppression rule, undated rows, missing
        columns): counts only, suppressed like the table, and no row numbers.
    """

    source: Path
    by: Period
    date_column: str | None
    date_column_given: bool
    label_names: list[str]
    has_review: bool
    has_status: bool
    periods: list[PeriodCounts]
    total: PeriodCounts
    pairs: list[tuple[tuple[str, str], int]]
    undated_rows: list[int]
    outside_rows: list[int]
    earliest: dt.date
    latest: dt.date
    first_date: dt.date | None
    last_date: dt.date | None
    suppress_below: int | None
    columns: list[str] = field(default_factory=list)
    table: list[dict[str, int | str]] = field(default_factory=list)
    pair_table: list[dict[str, int | str]] = field(default_factory=list)
    withheld: frozenset[tuple[int, str]] = frozenset()
    notes: list[str] = field(default_factory=list)
