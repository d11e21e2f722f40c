"""``tension summarise``: counts per label and period for the community-safety report."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Period(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"
    financial_year = "financial-year"


def register(app: typer.Typer, user_errors) -> None:
    @app.command("summarise")
    @user_errors
    def summarise_cli(
        file: Annotated[Path, typer.Argument(help="A labelled file: the output of 'tension label', or any file "
                                             "with a labels column (CSV, TSV, XLSX, JSONL).")],
        date_column: Annotated[str | None, typer.Option(help="Date column (default: found by name).")] = None,
        by: Annotated[Period, typer.Option(help="Period to count by (financial-year: UK April-March).")] = Period.month,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the table: .csv, .xlsx or .html "
                                                 "(with charts).")] = None,
        suppress_below: Annotated[int | None, typer.Option(help="Show counts from 1 to N-1 as '<N' (publication).")]
        = None,
    ) -> None:
        """Counts per label and period, change on the previous period, and the commonest label pairs."""
        import warnings

        from classifier.summarise import UndatedRowsWarning, format_summary_text, run_summarise

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndatedRowsWarning)  # its text is in the summary's notes
            summary = run_summarise(file, date_column=date_column, by=by.value, out=out,
                                    suppress_below=suppress_below)
        typer.echo(format_summary_text(summary))
        if out is not None:
            typer.echo(f"Written to {out}")
