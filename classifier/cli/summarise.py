"""``tension summarise``: counts per label and period for the community-safety report."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Period(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"
    financial_year = "financial-year"


def _day(option: str, value: str | None) -> dt.date | None:
    from classifier.errors import ConfigError

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"expected {option} to be a date such as 2023-04-01, got {value!r}.") from None


def register(app: typer.Typer, user_errors) -> None:
    @app.command("summarise")
    @user_errors
    def summarise_cli(
        file: Annotated[Path, typer.Argument(help="A labelled file: the output of 'tension label', or any file "
                                             "with a labels column (CSV, TSV, XLSX, JSONL).")],
        date_column: Annotated[str | None, typer.Option(help="Date column (default: found by name, e.g. "
                                                        "'Date received', 'received', 'date').")] = None,
        by: Annotated[Period, typer.Option(help="Period to count by (financial-year: UK April-March).")] = Period.month,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the table: .csv, .tsv, .xlsx, "
                                                 ".jsonl or .html (with charts).")] = None,
        suppress_below: Annotated[int | None, typer.Option(min=3, help="Publication: withhold counts from 1 to N-1, "
                                                           "and others so that none can be worked out (N at least 3; "
                                                           "UK practice is usually 5 or 10).")] = None,
        earliest: Annotated[str | None, typer.Option(help="Dates before this (YYYY-MM-DD) are counted as outside "
                                                     "the date window, not in a period. Default 2000-01-01.")] = None,
        latest: Annotated[str | None, typer.Option(help="Dates after this (YYYY-MM-DD) are counted as outside "
                                                   "the date window. Default: tomorrow.")] = None,
        date_format: Annotated[str | None, typer.Option(help="How to read non-ISO dates, e.g. '%d/%m/%y' (needed "
                                                        "for two-digit years).")] = None,
        max_periods: Annotated[int, typer.Option(min=1, help="Refuse a table of more periods (usually a mistyped "
                                                 "date).")] = 120,
        force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
    ) -> None:
        """Counts per label and period, change on the previous period, and label pairs."""
        from classifier.errors import ConfigError
        from classifier.reports.summarise import format_summary_text, run_summarise

        first, last = _day("--earliest", earliest), _day("--latest", latest)
        if first is not None and last is not None and first > last:
            raise ConfigError(f"expected --earliest to be on or before --latest, got {first.isoformat()} and "
                              f"{last.isoformat()}; swap them.")
        summary = run_summarise(file, date_column=date_column, by=by.value, out=out, suppress_below=suppress_below,
                                earliest=first, latest=last, date_format=date_format, max_periods=max_periods,
                                force=force)
        typer.echo(format_summary_text(summary))
        if out is not None:
            typer.echo(f"Written to {out}")
