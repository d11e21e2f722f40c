"""Trend summaries of a labelled file: counts per label and period, for community-safety reporting.

Reads the output of ``tension label`` (or any file with a ``labels`` column) in chunks, groups the rows
by month, quarter, calendar year or UK financial year (April to March) and counts, per period: reports,
reports per label, reports with no label, with several labels, needing review and not labelled. With
``suppress_below`` the table is made safe to publish (see `classifier.reports.summary_disclosure`).

Dates outside a plausible window (default 2000-01-01 to tomorrow) are not given periods of their own: they
are counted in one "outside date window" row, so a typo such as 2204 cannot make a table of two thousand
months. Rows with no readable date are counted in a "no date" row. Row numbers of either are given only as
warnings (on the terminal), never in the summary that is published.

The public entry points are `summarise` (compute), `write_summary` (save as .csv/.tsv/.jsonl/.xlsx/.html),
`format_summary_text` (print) and `run_summarise` (what the ``tension summarise`` command calls).
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifier.errors import ConfigError, DataError
from classifier.io.atomic import write_text
from classifier.io.columns import (
    LABELS_COLUMN,
    NEEDS_REVIEW_COLUMN,
    STATUS_COLUMN,
    labeller_prefix,
    row_number,
    score_column,
)
from classifier.io.records import LABEL_NAME
from classifier.io.tables import (
    AtomicTableWriter,
    TableReader,
    columns_found,
    find_column,
    first_row_hint,
    quotable,
    table_format,
)
from classifier.reports.summary_data import (
    ALL_PERIODS,
    CHANGE,
    CHANGE_PCT,
    NEEDS_REVIEW,
    NO_DATE,
    NO_LABEL,
    NOT_LABELLED,
    OUTSIDE_WINDOW,
    PART_CHANGE,
    PERIOD,
    PERIODS,
    REPORTS,
    SEVERAL,
    TOTAL,
    WITHHELD,
    Period,
    PeriodCounts,
    Summary,
)
from classifier.reports.summary_report import render_html

__all__ = [
    "DATE_COLUMN_CANDIDATES",
    "DEFAULT_EARLIEST",
    "MAX_PERIODS",
    "PERIODS",
    "AmbiguousDateError",
    "MonthFirstDateError",
    "OutsideWindowWarning",
    "PeriodCounts",
    "Summary",
    "UndatedRowsWarning",
    "format_summary_text",
    "parse_date",
    "period_bounds",
    "period_of",
    "run_summarise",
    "summarise",
    "write_summary",
]

# Matched ignoring case, spaces, underscores, hyphens and dots; the first present is used.
DATE_COLUMN_CANDIDATES = (
    "date received", "received", "received date", "received on", "date reported", "reported on", "reported",
    "report date", "date of report", "reported at", "created", "created at", "created on", "date created",
    "submitted", "submitted on", "date submitted", "date logged", "logged on", "logged", "date", "timestamp",
    "incident date", "date of incident",
)
LABEL_COLUMN_CANDIDATES = ("labels", "label")
DEFAULT_EARLIEST = dt.date(2000, 1, 1)
MAX_PERIODS = 120
_TRUE = frozenset({"true", "yes", "y", "1"})
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_LABEL_SPLIT = re.compile(r"[;,|]")
_TIME = r"(?:[T ,]+\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?\s*(?:[AaPp][Mm])?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME)
_UK = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})" + _TIME)
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_WORDY = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ ,-]*(\d{4}|\d{2})" + _TIME)
_DATE_PART = re.compile(r"[^\sT]+")
_MONTH_NAMES = (
    "january february march april may june july august september october november december".split()
)
_MONTHS = {name: number for number, full in enumerate(_MONTH_NAMES, start=1) for name in (full, full[:3])}
_MONTHS["sept"] = 9
_WARN_ROWS = 20
_NAME_NOISE = re.compile(r"[\s_\-.]+")


class UndatedRowsWarning(UserWarning):
    """Some rows have no readable date; they are counted under "no date". The message lists their rows."""


class OutsideWindowWarning(UserWarning):
    """Some rows have dates outside the window; they are counted under "outside date window"."""


class AmbiguousDateError(DataError):
    """A date has a two-digit year that could be read two ways (``24-05-01``: 24 May 2001 or 1 May 2024)."""


class MonthFirstDateError(DataError):
    """A slashed date reads only month first (``04/13/2024``): the column writes dates as in the US, and read day
    first its other dates would land in the wrong periods."""


# -- dates and periods -----------------------------------------------------------------------------
def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) == 2 else year


def _valid(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _day_first(match: re.Match[str]) -> dt.date | None:
    """A UK day-first date; refuses ``NN-NN-NN``, which could as well be year first."""
    day, month, year = match[1], match[2], match[3]
    as_written = _valid(_year(year), int(month), int(day))
    if as_written is None and int(month) > 12 and _valid(_year(year), int(day), int(month)) is not None:
        raise MonthFirstDateError(f"{match[0]!r} reads only month first ({int(month)} is no month)")
    if len(year) == 2 and len(day) == 2:
        year_first = _valid(_year(day), int(month), int(year))
        readings = [date for date in (as_written, year_first) if date is not None]
        if readings:
            raise AmbiguousDateError(
                f"{match[0]!r} has a two-digit year, so it could be "
                + " or ".join(f"{date:%d %B %Y}" for date in dict.fromkeys(readings))
                + (" (or something else)" if len(readings) == 1 else "")
            )
    return as_written


def parse_date(text: str, date_format: str | None = None) -> dt.date | None:
    """Read a date as exported by the usual tools; None when it cannot be read.

    Accepted: ISO ``2024-05-01`` (with or without a time, ``T`` or space, timezone ignored: the date
    is the one written), UK day-first ``01/05/2024``, ``1-5-24``, ``01.05.2024`` (with or without a time),
    ``1 May 2024`` / ``01-May-24``, and Excel serial day numbers such as ``45413`` (20000-79999, i.e.
    1954-2118; the time fraction is ignored). A two-digit year is 20yy, and is accepted only where it
    cannot be the first field: ``01/05/24`` or ``24-05-01`` could be year first, so they raise
    `AmbiguousDateError` (give four-digit years, or a `date_format`).

    With `date_format` (a `datetime.strptime` format such as ``"%d/%m/%y"``), values are read with it
    (any time after the date is ignored); ISO dates and slashed dates with a four-digit year are still accepted
    (day first, or month first when the format is).

    Raises
    ------
    AmbiguousDateError
        A two-digit year that could be read two ways, and no `date_format`.
    MonthFirstDateError
        A slashed date that reads only month first (``04/13/2024``), and no `date_format`.

    Examples
    --------
    >>> parse_date("31/03/2025"), parse_date("2025-04-01T09:00:00Z"), parse_date("45413")
    (datetime.date(2025, 3, 31), datetime.date(2025, 4, 1), datetime.date(2024, 5, 1))
    >>> parse_date("24-05-01", "%y-%m-%d")
    datetime.date(2024, 5, 1)
    """
    text = text.strip()
    if not text:
        return None
    if match := _ISO.fullmatch(text):
        return _valid(int(match[1]), int(match[2]), int(match[3]))
    if date_format is not None:
        for candidate in dict.fromkeys((text, (_DATE_PART.match(text) or [text])[0])):
            try:
                return dt.datetime.strptime(candidate, date_format).date()
            except ValueError:
                continue
        # A four-digit year is unambiguous whatever the format says (a column mixing 05/06/24 and 05/06/2024).
        if (match := _UK.fullmatch(text)) and len(match[3]) == 4:
            month_first = 0 <= date_format.find("%m") < date_format.find("%d")
            return _valid(int(match[3]), int(match[1]), int(match[2])) if month_first else _day_first(match)
        return None
    if match := _UK.fullmatch(text):
        return _day_first(match)
    if _SERIAL.fullmatch(text):
        days = int(float(text))
        return _EXCEL_EPOCH + dt.timedelta(days=days) if 20000 <= days < 80000 else None
    if (match := _WORDY.fullmatch(text)) and match[2].lower() in _MONTHS:
        return _valid(_year(match[3]), _MONTHS[match[2].lower()], int(match[1]))
    return None


def _validate_period(by: str) -> Period:
    normalised = by.strip().lower().replace("_", "-")
    if normalised == "fy":
        normalised = "financial-year"
    if normalised not in PERIODS:
        raise ConfigError(f"expected 'by' to be one of {', '.join(PERIODS)}, got {by!r}.")
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


def period_bounds(number: int, by: Period) -> tuple[dt.date, dt.date]:
    """First and last day of a period number (see `period_of`)."""
    if by == "month":
        year, month = divmod(number, 12)
        return dt.date(year, month + 1, 1), dt.date(year, month + 1, calendar.monthrange(year, month + 1)[1])
    if by == "quarter":
        year, quarter = divmod(number, 4)
        last = 3 * quarter + 3
        return dt.date(year, 3 * quarter + 1, 1), dt.date(year, last, calendar.monthrange(year, last)[1])
    if by == "year":
        return dt.date(number, 1, 1), dt.date(number, 12, 31)
    return dt.date(number, 4, 1), dt.date(number + 1, 3, 31)


def period_name(number: int, by: Period) -> str:
    """Name a period number: ``2024-05``, ``2024 Q2``, ``2024`` or financial year ``2024/25``."""
    if by == "month":
        return f"{number // 12}-{number % 12 + 1:02d}"
    if by == "quarter":
        return f"{number // 4} Q{number % 4 + 1}"
    if by == "year":
        return str(number)
    return f"{number}/{(number + 1) % 100:02d}"


_UNITS = {"month": "months", "quarter": "quarters", "year": "years", "financial-year": "financial years"}


# -- counting --------------------------------------------------------------------------------------
def _split_labels(text: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in _LABEL_SPLIT.split(text) if part.strip()))


def _check_label_names(labels: list[str], path, number: int, column: str) -> None:
    """Refuse a labels cell that holds something other than label names (report text pushed into the column by
    an unquoted comma, say): it would become a column of the published summary."""
    bad = [label for label in labels if not LABEL_NAME.match(label)]
    if not bad:
        return
    first = bad[0]
    # Quoted only when it could be a mistyped label (one word): anything longer may be part of a report.
    what = (f"'{first}', which is not a label name" if quotable(first, 1)
            else f"{len(first)} characters that are not a label name (not shown: they may be report text)")
    raise DataError(f"{path} row {number}: the '{column}' cell holds {what}. Labels are names such as race_hate "
                    "(lowercase letters, digits and underscores); fix the cell, or label the file again with "
                    "`tension label`.")


def _row_numbers_text(rows: Sequence[int]) -> str:
    shown = ", ".join(str(number) for number in rows[:_WARN_ROWS])
    more = f" and {len(rows) - _WARN_ROWS} more" if len(rows) > _WARN_ROWS else ""
    return f"row {shown}" if len(rows) == 1 else f"rows {shown}{more}"


def _check_window(earliest: dt.date | None, latest: dt.date | None) -> tuple[dt.date, dt.date]:
    earliest = DEFAULT_EARLIEST if earliest is None else earliest
    latest = dt.date.today() + dt.timedelta(days=1) if latest is None else latest
    if earliest > latest:
        raise ConfigError(
            f"expected 'earliest' to be on or before 'latest', got {earliest.isoformat()} and "
            f"{latest.isoformat()}; swap them."
        )
    return earliest, latest


@dataclass
class _Extremes:
    """The first and last date inside the window, with the rows they came from (for error messages)."""

    first: dt.date | None = None
    first_row: int = 0
    last: dt.date | None = None
    last_row: int = 0

    def see(self, date: dt.date, row: int) -> None:
        if self.first is None or date < self.first:
            self.first, self.first_row = date, row
        if self.last is None or date > self.last:
            self.last, self.last_row = date, row


def summarise(
    path: str | os.PathLike[str],
    *,
    date_column: str | None = None,
    by: str = "month",
    suppress_below: int | None = None,
    sheet: str | None = None,
    labels_column: str | None = None,
    earliest: dt.date | None = None,
    latest: dt.date | None = None,
    date_format: str | None = None,
    max_periods: int = MAX_PERIODS,
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
        The column holding the date; default: the first of `DATE_COLUMN_CANDIDATES` present (ignoring
        case, spaces, underscores, hyphens and dots). When none is present, every report is counted in
        one period, "all".
    by
        ``month`` (``2024-05``), ``quarter`` (``2024 Q2``), ``year`` or ``financial-year`` (UK, April to
        March, ``2024/25``).
    suppress_below
        Publish mode: counts from 1 to N-1 are withheld, and others so that none of those can be worked
        out (see `classifier.reports.summary_disclosure`). At least 3.
    sheet
        XLSX only: the worksheet to read.
    labels_column
        The column of labels, when it is not ``labels``. By default, when ``tension label`` had to
        rename its columns (``tension_labels``, ``tension_status``, ... because the input already had a
        ``labels`` column), its own columns are used: the model's labels, not the input's.
    earliest, latest
        The date window (default: 2000-01-01 to tomorrow). Dates outside it are counted in an "outside
        date window" row, not in periods.
    date_format
        How to read dates that are not ISO (``2024-05-01``), as a `datetime.strptime` format, e.g.
        ``"%d/%m/%y"``. Needed for two-digit years such as ``01/05/24``.
    max_periods
        The most periods the table may have; more is almost always a mistyped date.

    Raises
    ------
    DataError
        No labels column; `date_column` is not a column of the file; a two-digit year that could be read
        two ways (`AmbiguousDateError`, naming the row and column); more than `max_periods` periods.
    ConfigError
        `by`, `suppress_below`, the window or `max_periods` out of range.

    Warns
    -----
    UndatedRowsWarning, OutsideWindowWarning
        How many rows have no readable date / a date outside the window, and which (row numbers as a
        spreadsheet shows them: `classifier.io.columns.row_number`). Only warnings carry row numbers; the
        summary's notes do not.
    """
    period = _validate_period(by)
    if suppress_below is not None and (isinstance(suppress_below, bool) or suppress_below < 3):
        raise ConfigError(
            f"expected 'suppress_below' to be a whole number of at least 3, got {suppress_below!r}: "
            "with 2, a withheld count could only be 1. UK practice is usually 5 or 10."
        )
    if isinstance(max_periods, bool) or max_periods < 1:
        raise ConfigError(f"expected 'max_periods' to be a positive whole number, got {max_periods!r}.")
    earliest, latest = _check_window(earliest, latest)
    path = Path(path)
    per_period: dict[int | str, PeriodCounts] = {}
    pair_counts: Counter[tuple[str, str]] = Counter()
    undated: list[int] = []
    outside: list[int] = []
    extremes = _Extremes()
    with TableReader(path, sheet=sheet) as reader:
        columns = reader.columns
        prefix = labeller_prefix(columns)
        try:
            candidates = (f"{prefix}{LABELS_COLUMN}",) if prefix else LABEL_COLUMN_CANDIDATES
            label_column = find_column(columns, candidates, given=labels_column, purpose="labels")
        except DataError:
            raise DataError(
                f"{path}: expected a 'labels' column (';'-separated labels, as written by `tension label`), "
                f"found {columns_found(columns)}; label the file first with "
                f"`tension label`, or rename its label column to 'labels'.{first_row_hint(columns)}"
            ) from None
        found_date = _find_date_column(columns, date_column)
        review_column = _optional_column(columns, (f"{prefix}{NEEDS_REVIEW_COLUMN}", f"{prefix}needs review"))
        status_column = _optional_column(columns, (f"{prefix}{STATUS_COLUMN}",))
        score = score_column("", prefix)
        label_names = [column[len(score) :] for column in columns if column.startswith(score)]
        for index, row in enumerate(row for chunk in reader.iter_chunks() for row in chunk):
            number = row_number(index)
            key: int | str
            if found_date is None:
                key = ALL_PERIODS
            else:
                date = _read_date(row[found_date], date_format, path, number, found_date)
                if date is None:
                    key = NO_DATE
                    undated.append(number)
                elif not earliest <= date <= latest:
                    key = OUTSIDE_WINDOW
                    outside.append(number)
                else:
                    key = period_of(date, period)
                    extremes.see(date, number)
            counts = per_period.get(key)
            if counts is None:
                counts = per_period[key] = PeriodCounts(period="")
            counts.reports += 1
            if review_column and row[review_column].strip().lower() in _TRUE:
                counts.needs_review += 1
            if status_column and row[status_column].strip().lower() not in ("", "ok"):
                counts.not_labelled += 1
                counts.kinds[NOT_LABELLED] += 1
                continue
            labels = _split_labels(row[label_column])
            _check_label_names(labels, path, number, label_column)
            counts.labels.update(labels)
            counts.kinds[frozenset(labels) if labels else NO_LABEL] += 1
            if not labels:
                counts.no_label += 1
            elif len(labels) > 1:
                counts.several_labels += 1
                pair_counts.update(itertools.combinations(sorted(labels), 2))

    if not per_period:
        raise DataError(f"{path} has a header but no reports; nothing to count. Give the labelled file with its rows.")
    seen_labels = set().union(*(counts.labels for counts in per_period.values()))
    unknown = sorted(seen_labels - set(label_names))
    if label_names and unknown and label_column == f"{prefix}{LABELS_COLUMN}":
        # The model's own labels column: its score columns name every label it gives.
        raise DataError(
            f"{path}: label(s) {', '.join(map(repr, unknown[:5]))} in the '{label_column}' column are not among "
            f"the labels of the model that labelled the file ({', '.join(label_names)}, from its score columns). "
            "Correct those cells, or summarise the file as the model labelled it."
        )
    label_names += unknown
    rows_read = sum(counts.reports for counts in per_period.values())
    if found_date is not None and date_column is None and len(undated) == rows_read:
        others = [column for column in columns if column != found_date and "date" in _column_key(column)]
        hint = f" (perhaps {', '.join(map(repr, others))})" if others else ""
        raise DataError(
            f"{path.name}: the column {found_date!r}, taken for the date by its name, holds no readable date in any "
            f"row. Name the date column with --date-column{hint}."
        )
    _check_span(extremes, period, max_periods, found_date)
    periods = _ordered_periods(per_period, period, extremes, earliest, latest)
    total = PeriodCounts(period=TOTAL)
    for counts in periods:
        total.add(counts)
    _warn_rows(undated, UndatedRowsWarning, f"{{count}} of {path.name} {{verb}} no readable date in "
               f"{found_date!r}; counted under '{NO_DATE}'. Fix them with dates such as 2024-05-01 or "
               "01/05/2024, or say how to read them with --date-format.")
    _warn_rows(outside, OutsideWindowWarning, f"{{count}} of {path.name} {{verb}} a date in {found_date!r} "
               f"before {earliest.isoformat()} or after {latest.isoformat()}; counted under "
               f"'{OUTSIDE_WINDOW}', not in any period. Check them for typing errors, or widen the "
               "window with --earliest/--latest.")
    summary = Summary(
        source=path,
        by=period,
        date_column=found_date,
        date_column_given=date_column is not None,
        label_names=label_names,
        has_review=review_column is not None,
        has_status=status_column is not None,
        periods=periods,
        total=total,
        pairs=sorted(pair_counts.items(), key=lambda item: (-item[1], item[0])),
        undated_rows=undated,
        outside_rows=outside,
        earliest=earliest,
        latest=latest,
        first_date=extremes.first,
        last_date=extremes.last,
        suppress_below=suppress_below,
    )
    _build_tables(summary)
    return summary


def _read_date(text: str, date_format: str | None, path: Path, row: int, column: str) -> dt.date | None:
    try:
        return parse_date(text, date_format)
    except AmbiguousDateError as error:
        raise AmbiguousDateError(
            f"{path.name} row {row}, column {column!r}: {error}. Give dates with a four-digit year "
            "(2024-05-01 or 01/05/2024), or say how to read them with --date-format, e.g. "
            "--date-format %d/%m/%y (day first) or --date-format %y-%m-%d (year first)."
        ) from None
    except MonthFirstDateError as error:
        raise MonthFirstDateError(
            f"{path.name} row {row}, column {column!r}: {error}: this column seems to write dates month first, "
            "as in the US, and read day first the others would fall in the wrong periods. Pass "
            "--date-format %m/%d/%Y (or %m/%d/%y for two-digit years)."
        ) from None


def _warn_rows(rows: Sequence[int], category: type[Warning], template: str) -> None:
    if rows:
        count = f"{len(rows)} row{'s' if len(rows) > 1 else ''} ({_row_numbers_text(rows)})"
        message = template.format(count=count, verb="has" if len(rows) == 1 else "have")
        warnings.warn(message + " Row numbers are shown here only, never in the written summary.",
                      category, stacklevel=3)


def _check_span(extremes: _Extremes, by: Period, max_periods: int, column: str | None) -> None:
    if extremes.first is None or extremes.last is None:
        return
    span = period_of(extremes.last, by) - period_of(extremes.first, by) + 1
    if span > max_periods:
        raise DataError(
            f"expected at most {max_periods} {_UNITS[by]} in the table, found dates in {column!r} from "
            f"{extremes.first.isoformat()} (row {extremes.first_row}) to {extremes.last.isoformat()} (row "
            f"{extremes.last_row}), which is {span} {_UNITS[by]}. A mistyped date is the usual cause: check "
            "those rows. Otherwise narrow the window with --earliest/--latest, count by a longer period "
            "(--by quarter or --by year), or raise --max-periods."
        )


def _column_key(name: str) -> str:
    return _NAME_NOISE.sub("", name.casefold())


def _find_date_column(columns: Sequence[str], given: str | None) -> str | None:
    """The date column: `given` (exact, then ignoring case, spaces, underscores...), else by name."""
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(_column_key(column), column)
    if given is not None:
        if given in columns:
            return given
        found = by_key.get(_column_key(given))
        if found is None:
            raise DataError(
                f"expected a date column named {given!r}, found {columns_found(columns)}; "
                f"pass one of those with --date-column.{first_row_hint(columns)}"
            )
        return found
    for candidate in DATE_COLUMN_CANDIDATES:
        if (found := by_key.get(_column_key(candidate))) is not None:
            return found
    return None


def _optional_column(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    try:
        return find_column(columns, candidates)
    except DataError:
        return None


def _is_part(number: int, by: Period, first: dt.date, last: dt.date, earliest: dt.date, latest: dt.date) -> bool:
    """Do the file's dates (`first` to `last`) cover only part of period `number`?

    A period is part when the dates start more than 5% of its length after it begins or end more than 5%
    before it ends (so a last report on 29 March still counts as a whole financial year), or when the
    window cuts it (it starts before `earliest` or ends after `latest`: for the default window, a period
    not over yet).
    """
    start, end = period_bounds(number, by)
    slack = ((end - start).days + 1) // 20
    return (
        (first - start).days > slack or (end - last).days > slack or start < earliest or end > latest
    )


def _covered(number: int, by: Period, first: dt.date, last: dt.date, earliest: dt.date, latest: dt.date) -> str:
    """How much of period `number` the dates can cover: from the first date (or the window's start) to the last
    date (or the window's end), clipped to the period; in days for a month or a quarter, else in whole months,
    unless they round to the whole year (then in days, so that a part never reads as the whole)."""
    start, end = period_bounds(number, by)
    days = (min(end, last, latest) - max(start, first, earliest)).days + 1
    months = round(days / 30.44)
    if by in ("month", "quarter") or months < 1 or months >= 12:
        return f"{days} day{'s' * (days != 1)}"
    return f"{months} month{'s' * (months != 1)}"


def _ordered_periods(
    per_period: Mapping[int | str, PeriodCounts],
    by: Period,
    extremes: _Extremes,
    earliest: dt.date,
    latest: dt.date,
) -> list[PeriodCounts]:
    """Periods in time order with empty periods filled in, then "no date" and "outside date window" rows;
    change against the previous period, except to or from a part period."""
    if ALL_PERIODS in per_period:
        counts = per_period[ALL_PERIODS]
        counts.period = ALL_PERIODS
        return [counts]
    ordered: list[PeriodCounts] = []
    if extremes.first is not None and extremes.last is not None:
        first, last = period_of(extremes.first, by), period_of(extremes.last, by)
        previous: PeriodCounts | None = None
        for number in range(first, last + 1):
            counts = per_period.get(number) or PeriodCounts(period="")
            counts.period = period_name(number, by)
            if number in (first, last):
                counts.part = _is_part(number, by, extremes.first, extremes.last, earliest, latest)
                if counts.part:
                    counts.covered = _covered(number, by, extremes.first, extremes.last, earliest, latest)
            if previous is not None and (counts.part or previous.part):
                counts.change_across_part = True
            elif previous is not None:
                counts.change = counts.reports - previous.reports
                counts.change_pct = None if previous.reports == 0 else 100.0 * counts.change / previous.reports
            ordered.append(counts)
            previous = counts
    for key in (NO_DATE, OUTSIDE_WINDOW):
        if key in per_period:
            per_period[key].period = key
            ordered.append(per_period[key])
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


def _choose_withheld(summary: Summary, below: int) -> frozenset[tuple[int, str]]:
    """The cells to withhold (rows index `summary.periods`, then the Total row; pairs are row -1)."""
    import numpy as np

    from classifier.reports.summary_disclosure import TableShape, choose_withheld, label_sets, reader_model

    shape = TableShape(
        n_rows=len(summary.periods),
        labels=tuple(summary.label_names),
        reports=REPORTS,
        no_label=NO_LABEL,
        several=SEVERAL,
        not_labelled=NOT_LABELLED if summary.has_status else None,
        needs_review=NEEDS_REVIEW if summary.has_review else None,
    )
    seen = {kind for counts in summary.periods for kind in counts.kinds if isinstance(kind, frozenset)}
    # Pairs are named in alphabetical order, as `summary.pairs` holds them.
    model = reader_model(shape, list(itertools.combinations(sorted(summary.label_names), 2)),
                         label_sets(summary.label_names, seen))
    counts = np.zeros(model.n_kinds)
    for row, period_counts in enumerate(summary.periods):
        for kind, number in period_counts.kinds.items():
            counts[model.kind(row, kind)] += number
        if summary.has_review:
            counts[model.kind(row, NEEDS_REVIEW)] = period_counts.needs_review
    _, withheld = choose_withheld(model, counts, below)
    return withheld


def _build_tables(summary: Summary) -> None:
    """Fill `summary.columns`, `table`, `pair_table` and `notes`, applying suppression when asked."""
    count_columns = _count_columns(summary)
    rows = [*summary.periods, summary.total]
    below = summary.suppress_below
    withheld = _choose_withheld(summary, below) if below is not None else frozenset()
    summary.withheld = withheld

    def shown(row: int, column: str, value: int) -> int | str:
        return WITHHELD if (row, column) in withheld else value

    summary.columns = [PERIOD, REPORTS, CHANGE, CHANGE_PCT, *count_columns[1:]]
    summary.table = []
    for index, counts in enumerate(rows):
        row_out: dict[str, int | str] = {PERIOD: counts.shown_period if index < len(summary.periods) else TOTAL}
        row_out[REPORTS] = shown(index, REPORTS, counts.reports)
        if counts.change_across_part:
            row_out[CHANGE], row_out[CHANGE_PCT] = "n/a", PART_CHANGE
        elif counts.change is None:
            row_out[CHANGE], row_out[CHANGE_PCT] = "", ""
        elif (index, REPORTS) in withheld or (index - 1, REPORTS) in withheld:
            row_out[CHANGE], row_out[CHANGE_PCT] = WITHHELD, WITHHELD
        else:
            row_out[CHANGE], row_out[CHANGE_PCT] = counts.change, _format_pct(counts.change_pct)
        for column in count_columns[1:]:
            row_out[column] = shown(index, column, _count(counts, column))
        summary.table.append(row_out)

    from classifier.reports.summary_disclosure import PAIR_ROW, pair_column

    pairs = [(pair_column(*pair), count) for pair, count in summary.pairs]
    visible = sorted(((name, count) for name, count in pairs if (PAIR_ROW, name) not in withheld),
                     key=lambda item: (-item[1], item[0]))
    hidden = sorted(name for name, _ in pairs if (PAIR_ROW, name) in withheld)
    summary.pair_table = [{"labels": name, "reports": count} for name, count in visible]
    summary.pair_table += [{"labels": name, "reports": WITHHELD} for name in hidden]
    summary.notes = _notes(summary)


def _notes(summary: Summary) -> list[str]:
    """What a reader of the published table needs to know. Counts here are the table's, suppressed alike."""
    notes = []
    below = summary.suppress_below
    if below is not None:
        notes.append(
            f"Cells shown as '{WITHHELD}' are withheld: every count from 1 to {below - 1}, and further counts "
            f"chosen so that none of those can be worked out, to fewer than {below} possible values, from the "
            "totals, label pairs, changes or any other figure published here. Zeros are shown (ONS/GSS "
            "practice: a zero count of reports describes no one). A change on the previous period is shown "
            "only when both periods' report counts are."
        )
    if summary.date_column is None:
        notes.append(
            f"No date column found (looked for {', '.join(map(repr, DATE_COLUMN_CANDIDATES[:5]))}, ...): all "
            f"reports are counted in one period, '{ALL_PERIODS}'. Name the date column with --date-column to "
            "see trends."
        )
    by_period = {row[PERIOD]: row for row in summary.table}
    if NO_DATE in by_period:
        notes.append(
            f"Reports with no usable date: {by_period[NO_DATE][REPORTS]}. They are counted in the '{NO_DATE}' "
            "row and the Total, not in any period."
        )
    if OUTSIDE_WINDOW in by_period:
        notes.append(
            f"Reports dated before {summary.earliest:%d %B %Y} or after {summary.latest:%d %B %Y} (outside the "
            f"date window; usually typing errors): {by_period[OUTSIDE_WINDOW][REPORTS]}. They are counted in "
            f"the '{OUTSIDE_WINDOW}' row and the Total, not in any period."
        )
    if any(counts.part for counts in summary.periods):
        notes.append(
            "A period shown with a length in brackets, such as '2023/24 (3 months)', is one the file's dates cover "
            "only in part (or that is not over yet): its counts are for that length only, so no change is worked "
            "out against it or from it (the change column says 'part period')."
        )
    if summary.pair_table:
        notes.append("Label pairs not listed were carried together by no report.")
    return notes


# -- output ----------------------------------------------------------------------------------------
def write_summary(summary: Summary, out_path: str | os.PathLike[str]) -> Path:
    """Save the summary table; the extension chooses the format.

    ``.csv``/``.tsv``/``.jsonl``: the period table (the Total row last). ``.xlsx``: sheets "summary",
    "label pairs" and "notes". ``.html``: a self-contained page with the tables and charts. The file is
    written atomically (see `classifier.io.atomic`).
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() in (".html", ".htm"):
        write_text(out_path, render_html(summary))
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


def date_column_line(summary: Summary) -> str:
    """One line saying where the dates came from (first thing the terminal shows)."""
    if summary.date_column is None:
        return (
            f"No date column found: every report is counted in one period, '{ALL_PERIODS}'. Name the date "
            "column with --date-column to see trends."
        )
    how = "as given" if summary.date_column_given else "found by name; choose another with --date-column"
    return f"Dates from column {summary.date_column!r} ({how})."


def format_summary_text(summary: Summary) -> str:
    """The summary as plain text for a terminal: where the dates came from, the tables and the notes."""
    lines = [date_column_line(summary), "", f"Reports by {summary.by} in {summary.source.name}", ""]
    lines += _text_table(summary.columns, summary.table)
    if summary.pair_table:
        lines += ["", "Label pairs", ""]
        lines += _text_table(["labels", "reports"], summary.pair_table)
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
    earliest: dt.date | None = None,
    latest: dt.date | None = None,
    date_format: str | None = None,
    max_periods: int = MAX_PERIODS,
    force: bool = False,
) -> Summary:
    """What ``tension summarise`` does: summarise `file` and, when `out` is given, write it there (never over
    `file` itself, and over an existing file only with `force`).

    The CLI prints `format_summary_text` of the result; `UndatedRowsWarning` and `OutsideWindowWarning`
    (the only place row numbers appear) go to the terminal's error stream.
    """
    if out is not None:
        if Path(out).exists() and Path(out).resolve() == Path(file).resolve():
            raise DataError(f"{out}: the output is the input file, which the summary would replace; write the "
                            "summary to another file.")
        if Path(out).is_dir():
            raise DataError(f"{out}: expected a file name to write the summary to, found a folder; give a file name "
                            f"such as {Path(out) / 'summary.html'}.")
        if Path(out).exists() and not force:
            raise DataError(f"{out} already exists; choose another --out, or pass --force to replace it.")
        suffix = Path(out).suffix.lower()
        if suffix not in (".csv", ".tsv", ".xlsx", ".jsonl", ".html", ".htm"):
            raise DataError(
                f"{out}: expected --out to end in .csv, .tsv, .xlsx, .jsonl or .html, found "
                f"{suffix or 'no extension'!r}; choose one of those."
            )
    summary = summarise(file, date_column=date_column, by=by, suppress_below=suppress_below,
                        earliest=earliest, latest=latest, date_format=date_format, max_periods=max_periods)
    if out is not None:
        write_summary(summary, out)
    return summary
