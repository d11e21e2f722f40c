"""Dates in `tension summarise`: the date window, ambiguous years, the period cap, finding the date column and
part periods. Each case starts from the input that went wrong."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.errors import DataError
from classifier.io.tables import AtomicTableWriter
from classifier.reports.summarise import (
    CHANGE,
    CHANGE_PCT,
    OUTSIDE_WINDOW,
    PART_CHANGE,
    REPORTS,
    TOTAL,
    WITHHELD,
    AmbiguousDateError,
    OutsideWindowWarning,
    format_summary_text,
    summarise,
    write_summary,
)

runner = CliRunner()


def _write(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    with AtomicTableWriter(path, columns or list(rows[0])) as writer:
        writer.write_rows(rows)
    return path


def _monthly(first: dt.date, months: int, per_month: int = 8, column: str = "received") -> list[dict[str, str]]:
    """`per_month` reports on days 1..28 of each month from `first`, alternating labels."""
    rows = []
    for number in range(months):
        year, month = divmod(first.month - 1 + number, 12)
        for day in range(per_month):
            date = dt.date(first.year + year, month + 1, 1 + day * 27 // max(per_month - 1, 1))
            rows.append({column: date.isoformat(), "labels": ["immigration", "race_hate", ""][day % 3]})
    return rows


def _periods(summary) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(row["period"]) for row in summary.table]


# -- the date window ---------------------------------------------------------------------------------
def test_summarise_dates_typo_year_is_outside_the_window_not_two_thousand_months(tmp_path: Path) -> None:
    # 2204-05-01 for 2024-05-01 made a 2,185-row monthly table (and > 150 s with --suppress-below).
    rows = _monthly(dt.date(2022, 4, 1), 24)
    rows[30]["received"] = "2204-05-01"
    path = _write(tmp_path / "r.csv", rows)
    with pytest.warns(OutsideWindowWarning, match=r"1 row \(row 32\) of r\.csv has a date in 'received'"):
        summary = summarise(path, suppress_below=5)
    assert len(summary.table) == 24 + 2  # 24 months, the outside row, the Total
    assert summary.outside_rows == [32]
    table = {row["period"]: row for row in summary.table}
    assert table[OUTSIDE_WINDOW][REPORTS] == WITHHELD  # 1 report: a small count like any other
    assert table[TOTAL][REPORTS] == len(rows)
    note = next(note for note in summary.notes if "outside the date window" in note)
    assert f"{WITHHELD}." in note and "32" not in note


def test_summarise_dates_extreme_dates_make_no_periods(tmp_path: Path) -> None:
    # 0001-01-01 with 9999-12-31 ran for more than 11 minutes at 1 GB.
    rows = _monthly(dt.date(2024, 1, 1), 3)
    rows += [{"received": "0001-01-01", "labels": ""}, {"received": "9999-12-31", "labels": ""}]
    with pytest.warns(OutsideWindowWarning, match=r"2 rows \(rows 26, 27\)"):
        summary = summarise(_write(tmp_path / "r.csv", rows), suppress_below=5)
    assert _periods(summary)[:-2] == ["2024-01", "2024-02", "2024-03 (28 days)"]
    assert _periods(summary)[-2:] == [OUTSIDE_WINDOW, TOTAL]


def test_summarise_dates_future_dates_are_outside_the_window(tmp_path: Path) -> None:
    rows = _monthly(dt.date(2024, 1, 1), 2)
    rows[3]["received"] = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    with pytest.warns(OutsideWindowWarning, match=r"after " + (dt.date.today() + dt.timedelta(days=1)).isoformat()):
        summary = summarise(_write(tmp_path / "r.csv", rows))
    assert summary.outside_rows == [5]
    assert _periods(summary) == ["2024-01", "2024-02", OUTSIDE_WINDOW, TOTAL]


def test_summarise_dates_window_can_be_moved(tmp_path: Path) -> None:
    rows = _monthly(dt.date(1999, 11, 1), 4)
    path = _write(tmp_path / "r.csv", rows)
    with pytest.warns(OutsideWindowWarning, match="before 2000-01-01"):
        assert _periods(summarise(path)) == ["2000-01", "2000-02", OUTSIDE_WINDOW, TOTAL]
    with pytest.warns(OutsideWindowWarning, match="after 2000-01-31"):
        summary = summarise(path, earliest=dt.date(1999, 1, 1), latest=dt.date(2000, 1, 31))
    # The last report inside the window is on 28 January, 3 days short of its end: a part month.
    assert _periods(summary) == ["1999-11", "1999-12", "2000-01 (28 days)", OUTSIDE_WINDOW, TOTAL]


def test_summarise_dates_periods_run_from_first_to_last_dated_row_inside_the_window(tmp_path: Path) -> None:
    rows = [{"received": day, "labels": ""} for day in ["2024-03-01", "2024-05-31", "2003-07-01", "junk"]]
    with pytest.warns(UserWarning):
        summary = summarise(_write(tmp_path / "r.csv", rows), earliest=dt.date(2024, 1, 1))
    assert _periods(summary) == ["2024-03", "2024-04", "2024-05", "no date", OUTSIDE_WINDOW, TOTAL]


# -- two-digit years ---------------------------------------------------------------------------------
def test_summarise_dates_ambiguous_two_digit_year_is_refused(tmp_path: Path) -> None:
    # 24-05-01 was read as 24 May 2001.
    rows = [{"received": "2024-05-02", "labels": ""}, {"received": "2024-05-03", "labels": ""},
            {"received": "24-05-01", "labels": ""}]
    path = _write(tmp_path / "r.csv", rows)
    with pytest.raises(AmbiguousDateError) as caught:
        summarise(path)
    message = str(caught.value)
    assert "r.csv row 4, column 'received': '24-05-01'" in message
    assert "24 May 2001 or 01 May 2024" in message
    assert "four-digit year" in message and "--date-format" in message
    summary = summarise(path, date_format="%y-%m-%d")
    assert _periods(summary) == ["2024-05 (3 days)", TOTAL] and summary.table[0][REPORTS] == 3


# -- the period cap ----------------------------------------------------------------------------------
def test_summarise_dates_too_many_periods_is_an_error_naming_the_rows(tmp_path: Path) -> None:
    rows = _monthly(dt.date(2024, 1, 1), 6)
    rows[4]["received"] = "2004-01-15"  # a typo inside the window: 2004 for 2024
    path = _write(tmp_path / "r.csv", rows)
    with pytest.raises(DataError, match=r"at most 120 months.*2004-01-15 \(row 6\).*which is 246 months.*--by quarter"):
        summarise(path)
    assert len(summarise(path, by="year").table) == 21 + 1
    assert len(summarise(path, max_periods=300).table) == 246 + 1


# -- the date column ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["Date received", "DATE_RECEIVED", "date-received", "Received", "Reported On", "created_at",
             "Date", "Date logged", "Timestamp", " Submitted on "],
)
def test_summarise_dates_column_found_by_common_names(tmp_path: Path, name: str) -> None:
    # "Date received" was not found: everything was counted in one period, explained only at the bottom.
    rows = _monthly(dt.date(2024, 1, 1), 2, column=name)
    summary = summarise(_write(tmp_path / "r.csv", rows))
    assert summary.date_column == name.strip()  # the reader trims header names
    assert _periods(summary) == ["2024-01", "2024-02", TOTAL]
    first_line = format_summary_text(summary).splitlines()[0]
    assert first_line == f"Dates from column {name.strip()!r} (found by name; choose another with --date-column)."


def test_summarise_dates_column_can_be_chosen(tmp_path: Path) -> None:
    rows = [{**row, "Incident date": "2023-12-25"} for row in _monthly(dt.date(2024, 1, 1), 1, column="Date received")]
    path = _write(tmp_path / "r.csv", rows)
    assert summarise(path).date_column == "Date received"
    summary = summarise(path, date_column="incident_date")
    assert summary.date_column == "Incident date" and _periods(summary) == ["2023-12 (1 day)", TOTAL]
    assert format_summary_text(summary).startswith("Dates from column 'Incident date' (as given).")


def test_summarise_dates_no_date_column_said_first(tmp_path: Path) -> None:
    summary = summarise(_write(tmp_path / "r.csv", [{"when it came": "2024-01-01", "labels": ""}]))
    assert format_summary_text(summary).splitlines()[0].startswith("No date column found")


# -- part periods ------------------------------------------------------------------------------------
def test_summarise_dates_part_year_gets_no_change(tmp_path: Path) -> None:
    # Three months of 2023/24 followed by all of 2024/25 showed "+398%".
    rows = _monthly(dt.date(2024, 1, 1), 15)
    summary = summarise(_write(tmp_path / "r.csv", rows), by="financial-year")
    assert [(row["period"], row[REPORTS], row[CHANGE], row[CHANGE_PCT]) for row in summary.table] == [
        ("2023/24 (3 months)", 24, "", ""),
        ("2024/25", 96, "n/a", PART_CHANGE),
        (TOTAL, 120, "", ""),
    ]
    assert any("'2023/24 (3 months)'" in note and "no change is worked out" in note for note in summary.notes)
    assert "+300%" not in format_summary_text(summary)


def test_summarise_dates_a_whole_year_ending_a_few_days_early_is_not_part(tmp_path: Path) -> None:
    rows = [{"received": day, "labels": ""} for day in ["2023-04-03", "2023-09-01", "2024-03-27", "2024-04-01",
                                                         "2025-03-28"]]
    summary = summarise(_write(tmp_path / "r.csv", rows), by="financial-year")
    assert _periods(summary) == ["2023/24", "2024/25", TOTAL]
    assert (summary.table[1][CHANGE], summary.table[1][CHANGE_PCT]) == (-1, "-33%")


def test_summarise_dates_period_not_over_yet_is_part(tmp_path: Path) -> None:
    today = dt.date.today()
    rows = [{"received": (today - dt.timedelta(days=days)).isoformat(), "labels": ""} for days in range(0, 800, 5)]
    summary = summarise(_write(tmp_path / "r.csv", rows), by="year")
    months = round(((today + dt.timedelta(days=1)) - dt.date(today.year, 1, 1)).days / 30.44)  # to the window's end
    shown = f"{today.year} ({months} months)" if months > 1 else f"{today.year} ("
    assert _periods(summary)[-2].startswith(shown) or today == dt.date(today.year, 12, 31)


# -- the command line: row numbers on the terminal only --------------------------------------------------
def test_summarise_dates_cli_tells_the_terminal_which_rows_and_publishes_none(tmp_path: Path) -> None:
    rows = _monthly(dt.date(2024, 1, 1), 3, column="Date received")
    rows[1]["Date received"], rows[5]["Date received"] = "not known", "2204-05-01"
    path = _write(tmp_path / "r.csv", rows)
    out = tmp_path / "summary.html"
    result = runner.invoke(app, ["summarise", str(path), "--suppress-below", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("Dates from column 'Date received'")
    assert "1 row (row 3)" in result.stderr and "no readable date" in result.stderr
    assert "1 row (row 7)" in result.stderr and "2204" not in result.stdout
    page = out.read_text(encoding="utf-8")
    assert not re.search(r"\brows? \d", page) and not re.search(r"\brows? \d", result.stdout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--earliest", "01/01/2020"], "expected --earliest to be a date such as 2023-04-01"),
        (["--latest", "2020-01-01", "--earliest", "2021-01-01"], "on or before --latest"),
    ],
)
def test_summarise_dates_cli_bad_window(tmp_path: Path, args: list[str], message: str) -> None:
    path = _write(tmp_path / "r.csv", _monthly(dt.date(2024, 1, 1), 1))
    result = runner.invoke(app, ["summarise", str(path), *args])
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output


def test_summarise_dates_cli_ambiguous_date_is_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", [{"received": "01/05/24", "labels": ""}])
    result = runner.invoke(app, ["summarise", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: r.csv row 2, column 'received': '01/05/24' has a two-digit year")
    result = runner.invoke(app, ["summarise", str(path), "--date-format", "%d/%m/%y", "--latest", "2030-01-01"])
    assert result.exit_code == 0 and "2024-05" in result.stdout


def test_summarise_dates_written_summary_names_the_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", _monthly(dt.date(2024, 1, 1), 2, column="Date received"))
    page = write_summary(summarise(path), tmp_path / "s.html").read_text(encoding="utf-8")
    assert "dates from column &lsquo;Date received&rsquo;" in page
