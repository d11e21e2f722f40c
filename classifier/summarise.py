"""Trend summaries of a labelled file: counts per label and period, for community-safety reporting.

Reads the output of ``tension label`` (or any file with a ``labels`` column) in chunks, groups the rows
by month, quarter, calendar year or UK financial year (April to March) and counts, per period: reports,
reports per label, reports with no label, with several labels, needing review and not labelled. With
``suppress_below`` the table is made safe to publish (see `suppress`).

The public entry points are `summarise` (compute), `write_summary` (save as .csv/.tsv/.jsonl/.xlsx/.html),
`format_summary_text` (print) and `run_summarise` (what the ``tension summarise`` command calls).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from classifier.errors import ConfigError, DataError
from classifier.summary_report import render_html, write_text_atomically
from classifier.tables import AtomicTableWriter, TableReader, find_column, table_format

__all__ = [
    "DATE_COLUMN_CANDIDATES",
    "PERIODS",
    "PeriodCounts",
    "Summary",
    "UndatedRowsWarning",
    "format_summary_text",
    "parse_date",
    "period_of",
    "run_summarise",
    "summarise",
    "write_summary",
]

Period = Literal["month", "quarter", "year", "financial-year"]
PERIODS: tuple[Period, ...] = ("month", "quarter", "year", "financial-year")
DATE_COLUMN_CANDIDATES = (
    "received", "date_received", "received_date", "date", "created", "created_at", "date_created",
    "reported", "reported_at", "date_reported", "report_date", "incident_date", "submitted", "timestamp",
)
LABEL_COLUMN_CANDIDATES = ("labels", "label")
NO_DATE = "no date"
ALL_PERIODS = "all"
TOTAL = "Total"
WITHHELD = "[c]"
# Column headings of the summary table, apart from one column per label.
PERIOD, REPORTS, CHANGE, CHANGE_PCT = "period", "reports", "change", "change %"
NO_LABEL, SEVERAL, NOT_LABELLED, NEEDS_REVIEW = "no label", "several labels", "not labelled", "needs review"
_TRUE = frozenset({"true", "yes", "y", "1"})
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_LABEL_SPLIT = re.compile(r"[;,|]")
_TIME = r"(?:[T ,]+\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?\s*(?:[AaPp][Mm])?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME)
_UK = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})" + _TIME)
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_WORDY = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ ,-]*(\d{4}|\d{2})" + _TIME)
_MONTH_NAMES = (
    "january february march april may june july august september october november december".split()
)
_MONTHS = {name: number for number, full in enumerate(_MONTH_NAMES, start=1) for name in (full, full[:3])}
_MONTHS["sept"] = 9
_WARN_ROWS = 20


class UndatedRowsWarning(UserWarning):
    """Some rows have no readable date; they are counted under "no date"."""


# -- dates and periods -----------------------------------------------------------------------------
def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) == 2 else year


def parse_date(text: str) -> dt.date | None:
    """Read a date as exported by the usual tools; None when it cannot be read.

    Accepted: ISO ``2024-05-01`` (with or without a time, ``T`` or space, timezone ignored: the date
    is the one written), UK day-first ``01/05/2024``, ``1-5-24``, ``01.05.2024`` (with or without a time),
    ``1 May 2024`` / ``01-May-24``, and Excel serial day numbers such as ``45413`` (20000-79999, i.e.
    1954-2118; the time fraction is ignored). Two-digit years are 20yy.

    Examples
    --------
    >>> parse_date("31/03/2025"), parse_date("2025-04-01T09:00:00Z"), parse_date("45413")
    (datetime.date(2025, 3, 31), datetime.date(2025, 4, 1), datetime.date(2024, 5, 1))
    """
    text = text.strip()
    if not text:
        return None
    try:
        if match := _ISO.fullmatch(text):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if match := _UK.fullmatch(text):
            return dt.date(_year(match[3]), int(match[2]), int(match[1]))
        if _SERIAL.fullmatch(text):
            days = int(float(text))
            return _EXCEL_EPOCH + dt.timedelta(days=days) if 20000 <= days < 80000 else None
        if (match := _WORDY.fullmatch(text)) and match[2].lower() in _MONTHS:
            return dt.date(_year(match[3]), _MONTHS[match[2].lower()], int(match[1]))
    except ValueError:  # 31/02/2024 and the like
        return None
    return None


def _validate_period(by: str) -> Period:
    normalised = by.strip().lower().replace("_", "-")
    if normalised == "fy":
        normalised = "financial-year"
    if normalised not in PERIODS:
        raise ConfigError(f"expected --by to be one of {', '.join(PERIODS)}, got {by!r}.")
    return normalised  # type: ignore[return-value]


def period_of(date: dt.date, by: Period) -> int:
    """Return the period of `date` as a sortable number (consecutive periods differ by 1)."""
    if by == "month":
        return date.year * 12 + date.month - 1
    if by == "quarter":
        return date.year * 4 + (date.month - 1) // 3
    if by == "year":
        return date.year
    return date.year if date.month >= 4 else date.year - 1


def period_name(number: int, by: Period) -> str:
    """Name a period number: ``2024-05``, ``2024 Q2``, ``2024`` or financial year ``2024/25``."""
    if by == "month":
        return f"{number // 12}-{number % 12 + 1:02d}"
    if by == "quarter":
        return f"{number // 4} Q{number % 4 + 1}"
    if by == "year":
        return str(number)
    return f"{number}/{(number + 1) % 100:02d}"


# -- counting --------------------------------------------------------------------------------------
@dataclass
class PeriodCounts:
    """True (unsuppressed) counts for one period, or for the total."""

    period: str
    reports: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    no_label: int = 0
    several_labels: int = 0
    not_labelled: int = 0
    needs_review: int = 0
    change: int | None = None
    change_pct: float | None = None

    def add(self, other: PeriodCounts) -> None:
        self.reports += other.reports
        self.labels.update(other.labels)
        self.no_label += other.no_label
        self.several_labels += other.several_labels
        self.not_labelled += other.not_labelled
        self.needs_review += other.needs_review


@dataclass
class Summary:
    """The result of `summarise`: true counts and the table to show.

    Attributes
    ----------
    periods
        True counts per period in time order (gaps filled with zero rows), then "no date" if any.
    total
        True counts over all rows.
    pairs
        Label pairs and the number of reports carrying both, most common first (true counts).
    columns, table
        The table to show or publish: `table` has one dict per period plus a final "Total" row, keyed by
        `columns`. With suppression, withheld cells hold ``"<N"`` (a count from 1 to N-1) or ``"[c]"``
        (withheld so that a "<N" cell cannot be worked out from a total or a difference).
    pair_table
        ``{"labels": "a + b", "reports": count}`` rows for the shown label pairs.
    undated_rows
        1-based data row numbers whose date could not be read.
    notes
        Sentences for the reader (suppression rule, undated rows, missing columns).
    """

    source: Path
    by: Period
    date_column: str | None
    label_names: list[str]
    has_review: bool
    has_status: bool
    periods: list[PeriodCounts]
    total: PeriodCounts
    pairs: list[tuple[tuple[str, str], int]]
    undated_rows: list[int]
    suppress_below: int | None
    columns: list[str] = field(default_factory=list)
    table: list[dict[str, int | str]] = field(default_factory=list)
    pair_table: list[dict[str, int | str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _split_labels(text: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in _LABEL_SPLIT.split(text) if part.strip()))


def _row_numbers_text(rows: Sequence[int]) -> str:
    shown = ", ".join(str(number) for number in rows[:_WARN_ROWS])
    more = f" and {len(rows) - _WARN_ROWS} more" if len(rows) > _WARN_ROWS else ""
    return f"row {shown}" if len(rows) == 1 else f"rows {shown}{more}"


def summarise(
    path: str | os.PathLike[str],
    *,
    date_column: str | None = None,
    by: str = "month",
    suppress_below: int | None = None,
    sheet: str | None = None,
    labels_column: str | None = None,
) -> Summary:
    """Count labelled reports per period.

    Parameters
    ----------
    path
        A labelled .csv/.tsv/.xlsx/.jsonl file with a ``labels`` column (``;``-separated; ``,`` and
        ``|`` also split). Optional columns used when present: ``needs_review`` (true/false), ``status``
        (rows whose status is not ``ok`` are "not labelled" and their labels ignored), ``score_<label>``
        (adds <label> to the label set even when no report carries it).
    date_column
        The column holding the date; default: the first of `DATE_COLUMN_CANDIDATES` present. When none is
        present, every report is counted in one period, "all".
    by
        ``month`` (``2024-05``), ``quarter`` (``2024 Q2``), ``year`` or ``financial-year`` (UK, April to
        March, ``2024/25``).
    suppress_below
        Publish mode: counts from 1 to N-1 are withheld (see `suppress`). At least 3.
    sheet
        XLSX only: the worksheet to read.
    labels_column
        The column of labels, when it is not ``labels``. By default, when ``tension label`` had to
        rename its columns (``tension_labels``, ``tension_status``, ... because the input already had a
        ``labels`` column), its own columns are used: the model's labels, not the input's.

    Raises
    ------
    DataError
        No labels column, or `date_column` is not a column of the file.
    ConfigError
        `by` or `suppress_below` out of range.

    Warns
    -----
    UndatedRowsWarning
        Listing the rows (1-based, header excluded) whose date could not be read.
    """
    period = _validate_period(by)
    if suppress_below is not None and (isinstance(suppress_below, bool) or suppress_below < 3):
        raise ConfigError(
            f"expected --suppress-below to be a whole number of at least 3, got {suppress_below!r}: "
            "with 2, '<2' could only mean 1. UK practice is usually 5 or 10."
        )
    path = Path(path)
    per_period: dict[int | None, PeriodCounts] = {}
    pair_counts: Counter[tuple[str, str]] = Counter()
    undated: list[int] = []
    notes: list[str] = []
    with TableReader(path, sheet=sheet) as reader:
        columns = reader.columns
        prefix = _labeller_prefix(columns)
        try:
            candidates = (f"{prefix}labels",) if prefix else LABEL_COLUMN_CANDIDATES
            label_column = find_column(columns, candidates, given=labels_column, purpose="labels")
        except DataError:
            raise DataError(
                f"{path}: expected a 'labels' column (';'-separated labels, as written by `tension label`), "
                f"found only columns {', '.join(map(repr, columns))}; label the file first with "
                "`tension label`, or rename its label column to 'labels'."
            ) from None
        found_date = _find_date_column(columns, date_column)
        review_column = _optional_column(columns, (f"{prefix}needs_review", f"{prefix}needs review"))
        status_column = _optional_column(columns, (f"{prefix}status",))
        score = f"{prefix}score_"
        label_names = [column[len(score) :] for column in columns if column.startswith(score)]
        row_number = 0
        for chunk in reader.iter_chunks():
            for row in chunk:
                row_number += 1
                key: int | None
                if found_date is None:
                    key = 0
                else:
                    date = parse_date(row[found_date])
                    key = None if date is None else period_of(date, period)
                    if date is None:
                        undated.append(row_number)
                counts = per_period.get(key)
                if counts is None:
                    counts = per_period[key] = PeriodCounts(period="")
                counts.reports += 1
                if review_column and row[review_column].strip().lower() in _TRUE:
                    counts.needs_review += 1
                if status_column and row[status_column].strip().lower() not in ("", "ok"):
                    counts.not_labelled += 1
                    continue
                labels = _split_labels(row[label_column])
                counts.labels.update(labels)
                if not labels:
                    counts.no_label += 1
                elif len(labels) > 1:
                    counts.several_labels += 1
                    pair_counts.update(itertools.combinations(sorted(labels), 2))

    seen_labels = set().union(*(counts.labels for counts in per_period.values())) if per_period else set()
    label_names += sorted(seen_labels - set(label_names))
    periods = _ordered_periods(per_period, period, dated=found_date is not None)
    total = PeriodCounts(period=TOTAL)
    for counts in periods:
        total.add(counts)

    if found_date is None:
        notes.append(
            f"No date column found (looked for {', '.join(DATE_COLUMN_CANDIDATES[:6])}, ...): all reports "
            "are counted in one period, 'all'. Name the date column with --date-column to see trends."
        )
    if undated:
        verb = "has" if len(undated) == 1 else "have"
        message = (
            f"{_row_numbers_text(undated)} of {path.name} {verb} no readable "
            f"date in {found_date!r}; counted under '{NO_DATE}'. Use dates such as 2024-05-01 or 01/05/2024."
        )
        notes.append(message)
        warnings.warn(message, UndatedRowsWarning, stacklevel=2)
    summary = Summary(
        source=path,
        by=period,
        date_column=found_date,
        label_names=label_names,
        has_review=review_column is not None,
        has_status=status_column is not None,
        periods=periods,
        total=total,
        pairs=sorted(pair_counts.items(), key=lambda item: (-item[1], item[0])),
        undated_rows=undated,
        suppress_below=suppress_below,
        notes=notes,
    )
    _build_tables(summary)
    return summary


def _labeller_prefix(columns: Sequence[str]) -> str:
    """The prefix of the columns ``tension label`` added (``""``, ``tension_``, ``tension2_``...).

    It renames its columns only when the input already has them, so the last prefix for which both
    ``<prefix>labels`` and ``<prefix>status`` exist is the labeller's.
    """
    present = set(columns)
    prefixes = ["", "tension_", *(f"tension{n}_" for n in range(2, 100))]
    found = [prefix for prefix in prefixes if {f"{prefix}labels", f"{prefix}status"} <= present]
    return found[-1] if found else ""


def _find_date_column(columns: Sequence[str], given: str | None) -> str | None:
    if given is not None:
        return find_column(columns, DATE_COLUMN_CANDIDATES, given=given, purpose="date")
    try:
        return find_column(columns, DATE_COLUMN_CANDIDATES, purpose="date")
    except DataError:
        return None


def _optional_column(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    try:
        return find_column(columns, candidates)
    except DataError:
        return None


def _ordered_periods(
    per_period: Mapping[int | None, PeriodCounts], by: Period, *, dated: bool
) -> list[PeriodCounts]:
    """Periods in time order with empty periods filled in, then "no date"; change against the previous."""
    if not dated:
        counts = per_period.get(0, PeriodCounts(period=""))
        counts.period = ALL_PERIODS
        return [counts]
    numbers = [number for number in per_period if number is not None]
    ordered: list[PeriodCounts] = []
    if numbers:
        previous: PeriodCounts | None = None
        for number in range(min(numbers), max(numbers) + 1):
            counts = per_period.get(number) or PeriodCounts(period="")
            counts.period = period_name(number, by)
            if previous is not None:
                counts.change = counts.reports - previous.reports
                counts.change_pct = (
                    None if previous.reports == 0 else 100.0 * counts.change / previous.reports
                )
            ordered.append(counts)
            previous = counts
    if None in per_period:
        undated = per_period[None]
        undated.period = NO_DATE
        ordered.append(undated)
    return ordered


# -- the table to show, and suppression --------------------------------------------------------------
def _count_columns(summary: Summary) -> list[str]:
    columns = [REPORTS, *summary.label_names, NO_LABEL, SEVERAL]
    if summary.has_status:
        columns.append(NOT_LABELLED)
    if summary.has_review:
        columns.append(NEEDS_REVIEW)
    return columns


def _count(counts: PeriodCounts, column: str) -> int:
    fixed = {
        REPORTS: counts.reports,
        NO_LABEL: counts.no_label,
        SEVERAL: counts.several_labels,
        NOT_LABELLED: counts.not_labelled,
        NEEDS_REVIEW: counts.needs_review,
    }
    return fixed[column] if column in fixed else counts.labels[column]


def _format_pct(value: float | None) -> str:
    if value is None:
        return "n/a"
    text = f"{value:+.0f}%"
    return "0%" if text in ("+0%", "-0%") else text


def _build_tables(summary: Summary) -> None:
    """Fill `summary.columns`, `table` and `pair_table`, applying suppression when asked."""
    count_columns = _count_columns(summary)
    rows = [*summary.periods, summary.total]
    pairs = summary.pairs
    cells: dict[tuple[int, str], int] = {
        (index, column): _count(counts, column)
        for index, counts in enumerate(rows)
        for column in count_columns
    }
    for index, (_, count) in enumerate(pairs):
        cells[(-1 - index, "pair")] = count
    withheld: dict[tuple[int, str], str] = {}
    if summary.suppress_below is not None:
        constraints = _constraints(summary, count_columns, len(rows), len(pairs))
        withheld = suppress(cells, constraints, summary.suppress_below)
        summary.notes.insert(
            0,
            f"Counts from 1 to {summary.suppress_below - 1} are shown as '<{summary.suppress_below}'. Cells "
            f"shown as '{WITHHELD}' are withheld so that no small count can be worked out from a total, a "
            f"difference or the other counts of its row; a '{WITHHELD}' cell may hold any count, 0 or small "
            "ones included. A change is shown only when both periods' report counts are shown.",
        )

    def shown(key: tuple[int, str]) -> int | str:
        return withheld.get(key, cells[key])

    summary.columns = [PERIOD, REPORTS, CHANGE, CHANGE_PCT, *count_columns[1:]]
    summary.table = []
    for index, counts in enumerate(rows):
        row_out: dict[str, int | str] = {PERIOD: counts.period, REPORTS: shown((index, REPORTS))}
        visible = (index, REPORTS) not in withheld and (index - 1, REPORTS) not in withheld
        if counts.change is None:
            row_out[CHANGE], row_out[CHANGE_PCT] = "", ""
        elif visible:
            row_out[CHANGE], row_out[CHANGE_PCT] = counts.change, _format_pct(counts.change_pct)
        else:
            row_out[CHANGE], row_out[CHANGE_PCT] = WITHHELD, WITHHELD
        for column in count_columns[1:]:
            row_out[column] = shown((index, column))
        summary.table.append(row_out)
    summary.pair_table = [
        {"labels": f"{first} + {second}", "reports": shown((-1 - index, "pair"))}
        for index, ((first, second), _) in enumerate(pairs)
    ]


Constraint = tuple[dict[tuple[int, str], int], float, float]


def _constraints(
    summary: Summary, count_columns: Sequence[str], n_rows: int, n_pairs: int
) -> list[Constraint]:
    """The relations between shown counts that a reader of the table can use.

    Per row (R reports, N no label, U not labelled, S several labels, l_i per label, L labels): the
    reports with one label are R - N - U - S, and the label counts add up to those plus between 2 and L
    labels per report with several; each label and S are at most R - N - U; needs review is at most R.
    Per column: the Total row is the sum of the period rows. Label pairs: each pair at most the Total's
    S and either label's total; all pairs together between S and L(L-1)/2 * S.
    """
    inf = math.inf
    labels = summary.label_names
    n_labels = len(labels)
    constraints: list[Constraint] = []
    for index in range(n_rows):
        def c(column: str, row: int = index) -> tuple[int, str]:
            return (row, column)

        labelled = {c(REPORTS): 1, c(NO_LABEL): -1}
        if summary.has_status:
            labelled[c(NOT_LABELLED)] = -1
        if n_labels:
            base = {**{c(label): 1 for label in labels}, **{key: -value for key, value in labelled.items()}}
            constraints.append(({**base, c(SEVERAL): -1}, 0, inf))
            if n_labels > 1:
                constraints.append(({**base, c(SEVERAL): -(n_labels - 1)}, -inf, 0))
            for label in labels:
                constraints.append(({**labelled, c(label): -1}, 0, inf))
        else:
            constraints.append(({**labelled}, 0, 0))
        constraints.append(({**labelled, c(SEVERAL): -1}, 0, inf))
        if summary.has_review:
            constraints.append(({c(REPORTS): 1, c(NEEDS_REVIEW): -1}, 0, inf))
        if n_labels == 1:
            constraints.append(({c(SEVERAL): 1}, 0, 0))
    total_row = n_rows - 1
    for column in count_columns:
        relation = {(index, column): 1 for index in range(total_row)}
        relation[(total_row, column)] = -1
        constraints.append((relation, 0, 0))
    if n_pairs:
        several = (total_row, SEVERAL)
        pair_keys = [(-1 - index, "pair") for index in range(n_pairs)]
        everything = {key: 1 for key in pair_keys}
        constraints.append(({**everything, several: -1}, 0, inf))
        if n_labels > 2:
            constraints.append(({**everything, several: -(n_labels * (n_labels - 1) // 2)}, -inf, 0))
        else:
            constraints.append(({**everything, several: -1}, -inf, 0))
        for key, ((first, second), _) in zip(pair_keys, summary.pairs, strict=True):
            for bound in (several, (total_row, first), (total_row, second)):
                constraints.append(({bound: 1, key: -1}, 0, inf))
    return constraints


def _interval_sum(values: Iterable[float]) -> tuple[float, int]:
    """Sum of the finite values and the number of infinite ones (all of one sign)."""
    finite, infinite = 0.0, 0
    for value in values:
        if math.isfinite(value):
            finite += value
        else:
            infinite += 1
    return finite, infinite


def _propagate(
    bounds: dict[tuple[int, str], tuple[float, float]], constraints: Sequence[Constraint], passes: int = 60
) -> dict[tuple[int, str], tuple[float, float]]:
    """Tighten integer bounds of the cells with the constraints (interval propagation, sound)."""
    inf = math.inf
    bounds = dict(bounds)
    for _ in range(passes):
        changed = False
        for terms, low, high in constraints:
            minima = {key: min(a * bounds[key][0], a * bounds[key][1]) for key, a in terms.items()}
            maxima = {key: max(a * bounds[key][0], a * bounds[key][1]) for key, a in terms.items()}
            min_finite, min_infinite = _interval_sum(minima.values())
            max_finite, max_infinite = _interval_sum(maxima.values())
            for key, a in terms.items():
                own_min, own_max = minima[key], maxima[key]
                if min_infinite - (not math.isfinite(own_min)) > 0:
                    rest_min = -inf
                else:
                    rest_min = min_finite - (own_min if math.isfinite(own_min) else 0)
                if max_infinite - (not math.isfinite(own_max)) > 0:
                    rest_max = inf
                else:
                    rest_max = max_finite - (own_max if math.isfinite(own_max) else 0)
                lo_ax = -inf if (low == -inf or rest_max == inf) else low - rest_max
                hi_ax = inf if (high == inf or rest_min == -inf) else high - rest_min
                lo, hi = (lo_ax / a, hi_ax / a) if a > 0 else (hi_ax / a, lo_ax / a)
                lo = math.ceil(lo - 1e-9) if math.isfinite(lo) else lo
                hi = math.floor(hi + 1e-9) if math.isfinite(hi) else hi
                old_lo, old_hi = bounds[key]
                new_lo, new_hi = max(old_lo, lo), min(old_hi, hi)
                if (new_lo, new_hi) != (old_lo, old_hi):
                    bounds[key] = (new_lo, new_hi)
                    changed = True
        if not changed:
            break
    return bounds


def suppress(
    cells: Mapping[tuple[int, str], int], constraints: Sequence[Constraint], below: int
) -> dict[tuple[int, str], str]:
    """Choose the cells to withhold; returns ``{cell: "<N" or "[c]"}`` (N = `below`).

    The rule, which the published notes state:

    * every count from 1 to N-1 is withheld and shown as ``"<N"``; zeros are shown;
    * ``"[c]"`` marks a count withheld so that no small count can be worked out: it may be any count,
      0 and small ones included;
    * a reader is assumed to know every relation in `constraints` (a total is the sum of its periods,
      the row structure of the counts) and to reason with intervals, as someone doing sums by hand
      would. While those relations pin a small count to a single value, one more cell is withheld:
      the first, in this order, that lets the small count take two values or more: another "<N" cell
      in a relation with it (shown as "[c]" instead), the smallest shown non-zero count in such a
      relation (period rows before the Total row and the label pairs), a shown zero, the cell itself.
      Cells further away (sharing a relation with a cell that shares one) come after.

    Solving the whole table as a linear programme is not defended against; tables of counts by
    period and category published by councils rarely give that much structure.
    """
    sensitive = {key for key, value in cells.items() if 0 < value < below}
    marks = dict.fromkeys(sensitive, f"<{below}")
    by_cell: dict[tuple[int, str], list[int]] = {}
    for number, (terms, _, _) in enumerate(constraints):
        for key in terms:
            by_cell.setdefault(key, []).append(number)
    total_row = max((index for index, _ in cells), default=0)

    def pinned(current: Mapping[tuple[int, str], str]) -> list[tuple[int, str]]:
        bounds: dict[tuple[int, str], tuple[float, float]] = {}
        for key, value in cells.items():
            mark = current.get(key)
            if mark is None:
                bounds[key] = (value, value)
            elif mark == WITHHELD:
                bounds[key] = (0, math.inf)
            else:
                bounds[key] = (1, below - 1)
        bounds = _propagate(bounds, constraints)
        return sorted(key for key in sensitive if bounds[key][1] - bounds[key][0] < 1)

    while pinned_cells := pinned(marks):
        target = pinned_cells[0]
        options = _complements(target, cells, constraints, by_cell, marks, total_row)
        if not options:
            break  # everything around it is withheld already
        for option in options[:8]:
            if target not in pinned({**marks, option: WITHHELD}):
                choice = option
                break
        else:
            choice = next((option for option in options if option not in marks), options[0])
        marks[choice] = WITHHELD
    return marks


def _complements(
    target: tuple[int, str],
    cells: Mapping[tuple[int, str], int],
    constraints: Sequence[Constraint],
    by_cell: Mapping[tuple[int, str], list[int]],
    marks: Mapping[tuple[int, str], str],
    total_row: int,
) -> list[tuple[int, str]]:
    """Cells that could be withheld (or turned from "<N" into "[c]") to protect `target`, best first."""

    def rank(cell: tuple[int, str]) -> tuple[int, int, tuple[int, str]]:
        if cell == target:
            return (4, 0, cell)
        if cell in marks:
            return (0, cells[cell], cell)
        if cells[cell] == 0:
            return (3, 0, cell)
        return (2 if cell[0] == total_row or cell[0] < 0 else 1, cells[cell], cell)

    ordered: list[tuple[int, str]] = []
    frontier, visited = {target}, {target}
    while frontier:
        layer: set[tuple[int, str]] = set()
        for cell in frontier:
            for number in by_cell.get(cell, []):
                layer.update(constraints[number][0])
        options = [cell for cell in layer if marks.get(cell) != WITHHELD]
        ordered += sorted((cell for cell in options if cell not in ordered), key=rank)
        frontier = layer - visited
        visited |= layer
    if marks.get(target) != WITHHELD and target not in ordered:
        ordered.append(target)
    return ordered


# -- output ----------------------------------------------------------------------------------------
def write_summary(summary: Summary, out_path: str | os.PathLike[str]) -> Path:
    """Save the summary table; the extension chooses the format.

    ``.csv``/``.tsv``/``.jsonl``: the period table (the Total row last). ``.xlsx``: sheets "summary",
    "label pairs" and "notes". ``.html``: a self-contained page with the tables and charts. The file is
    written atomically (see `AtomicTableWriter`).
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() in (".html", ".htm"):
        write_text_atomically(out_path, render_html(summary))
        return out_path
    try:
        out_format = table_format(out_path)
    except DataError:
        raise DataError(
            f"{out_path}: expected --out to end in .csv, .tsv, .xlsx, .jsonl or .html, found "
            f"{out_path.suffix or 'no extension'!r}; choose one of those."
        ) from None
    with AtomicTableWriter(out_path, summary.columns, sheet_title="summary") as writer:
        writer.write_rows(summary.table)
        if out_format == "xlsx":
            writer.start_sheet("label pairs", ["labels", "reports"])
            writer.write_rows(summary.pair_table)
            writer.start_sheet("notes", ["note"])
            writer.write_rows({"note": note} for note in _all_notes(summary))
    return out_path


def _all_notes(summary: Summary) -> list[str]:
    source = f"Source: {summary.source.name}; periods: {summary.by}"
    if summary.date_column:
        source += f"; dates from column {summary.date_column!r}"
    return [source + ".", *summary.notes]


def _text_table(columns: Sequence[str], rows: Iterable[Mapping[str, int | str]]) -> list[str]:
    cells = [[str(column) for column in columns]] + [[str(row[column]) for column in columns] for row in rows]
    widths = [max(len(line[position]) for line in cells) for position in range(len(columns))]
    lines = []
    for number, line in enumerate(cells):
        lines.append(
            "  ".join(
                value.ljust(width) if position == 0 else value.rjust(width)
                for position, (value, width) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def format_summary_text(summary: Summary) -> str:
    """The summary as plain text for a terminal: the period table, label pairs and notes."""
    lines = [f"Reports by {summary.by} in {summary.source.name}", ""]
    lines += _text_table(summary.columns, summary.table)
    if summary.pair_table:
        lines += ["", "Most common label pairs", ""]
        lines += _text_table(["labels", "reports"], summary.pair_table[:10])
    notes = _all_notes(summary)[1:]
    if notes:
        lines += ["", *(f"Note: {note}" for note in notes)]
    return "\n".join(lines)


def run_summarise(
    file: str | os.PathLike[str],
    *,
    date_column: str | None = None,
    by: str = "month",
    out: str | os.PathLike[str] | None = None,
    suppress_below: int | None = None,
) -> Summary:
    """What ``tension summarise`` does: summarise `file` and, when `out` is given, write it there.

    The CLI prints `format_summary_text` of the result. `UndatedRowsWarning` is emitted as a Python
    warning and its text is also in ``summary.notes``.
    """
    if out is not None:
        suffix = Path(out).suffix.lower()
        if suffix not in (".csv", ".tsv", ".xlsx", ".jsonl", ".html", ".htm"):
            raise DataError(
                f"{out}: expected --out to end in .csv, .tsv, .xlsx, .jsonl or .html, found "
                f"{suffix or 'no extension'!r}; choose one of those."
            )
    summary = summarise(file, date_column=date_column, by=by, suppress_below=suppress_below)
    if out is not None:
        write_summary(summary, out)
    return summary
