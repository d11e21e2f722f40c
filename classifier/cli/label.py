"""``tension label``: label a whole backlog file (a thin wrapper over :func:`classifier.labelling.batch.label_file`)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from classifier.cli.options import TEXT_COLUMN_HELP
from classifier.cli.progress import ERROR_PREFIX
from classifier.io.signals import Terminated
from classifier.io.tables import DEFAULT_MAX_FIELD_LINES


class Quoting(StrEnum):
    standard = "standard"
    none = "none"


def register(app: typer.Typer, user_errors) -> None:
    @app.command("label")
    @user_errors
    def label_cli(
        input: Annotated[Path, typer.Argument(help="Backlog to label: CSV, TSV, XLSX or JSONL.")],
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="Output file; its extension sets the format "
                         "(default: <input name>_labelled<same extension>, beside the input)."),
        ] = None,
        model: Annotated[
            Path | None, typer.Option("--model", "-m", help="Model folder or name (default: the default model).")
        ] = None,
        text_column: Annotated[str | None, typer.Option(
            help=f"{TEXT_COLUMN_HELP} A column of titles found by name gives way to one of much longer text (a "
            "warning says so); this option always wins.")] = None,
        review_out: Annotated[
            Path | None, typer.Option(help="Also write the rows needing review (and unclassified ones) here.")
        ] = None,
        jobs: Annotated[
            int | None, typer.Option("--jobs", "-j", min=1, show_default=False,
                                     help="Worker processes (default: one per CPU, or $TENSION_JOBS, for inputs of "
                                     "512 KB or more, else 1; the output is the same whatever the number).")
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Replace the output files if they exist.")] = False,
        sheet: Annotated[str | None, typer.Option(
            help="Excel input: the sheet to read (default: the first visible one).")] = None,
        max_chars: Annotated[
            int | None, typer.Option(min=1, help="Reports longer than this many characters are not classified "
                                     "(status 'text too long'); default 20,000.", show_default=False)
        ] = None,
        quoting: Annotated[
            Quoting, typer.Option(help="CSV/TSV input: 'standard' reads quoted cells as Excel writes them; 'none' "
                                  "reads quotes as plain text, one row per line (for exports that never quote).")
        ] = Quoting.standard,
        max_field_lines: Annotated[
            int, typer.Option(min=0, help="CSV/TSV input: line breaks one row may hold inside quoted cells before "
                              "its opening quote is taken for a stray one (the run stops and says where); 0 for "
                              "files with one report per line.")
        ] = DEFAULT_MAX_FIELD_LINES,
        formula_guard: Annotated[
            bool, typer.Option("--formula-guard/--no-formula-guard",
                               help="CSV/TSV output: put a ' before cells starting with = + - @, a tab or a "
                               "carriage return, so that Excel shows them as text instead of running them as "
                               "formulas.")
        ] = True,
        review_band: Annotated[
            float | None, typer.Option(min=0.0, max=0.99, show_default=False,
                                       help="Flag a row for review when a score is this close to its threshold "
                                       "(default: the model's, 0.15 unless trained otherwise). Wider flags more rows "
                                       "and more of the model's mistakes: the README has the trade-off.")
        ] = None,
    ) -> None:
        """Label every row of a backlog: labels, a score per label, a review flag, reasons and a status.

        Every input row and column is kept, in order. Output is written to a temporary file and renamed
        when complete, so an interrupted run (Ctrl-C, SIGTERM, SIGHUP, a full disk) leaves nothing behind.
        """
        from classifier.io.tables import ReadLimits
        from classifier.labelling.batch import default_output_path, label_file

        output = out if out is not None else default_output_path(input)
        limits = ReadLimits(max_field_lines=max_field_lines)
        try:
            with _progress_bar() as progress:
                summary = label_file(
                    input, output, model=model, text_column=text_column, review_out=review_out, jobs=jobs,
                    force=force, sheet=sheet, progress=progress, max_chars=max_chars, quoting=quoting.value,
                    limits=limits, formula_guard=formula_guard, review_band=review_band,
                )
        except KeyboardInterrupt:
            typer.echo(f"interrupted: nothing was written to {output}.", err=True)
            raise typer.Exit(code=130) from None
        except Terminated as stop:  # SIGTERM/SIGHUP: said as for Ctrl-C; the process then ends by the signal
            typer.echo(f"interrupted: nothing was written to {output}.", err=True)
            stop.reported = True
            raise
        except Exception as error:
            from classifier.errors import ClassifierError

            if not isinstance(error, ClassifierError):  # a crash: say so before the traceback
                typer.echo(f"{ERROR_PREFIX}labelling failed ({type(error).__name__}); nothing was written to {output}.",
                           err=True)
            raise
        typer.echo(str(summary))


class _NoProgress:
    def __enter__(self):
        return None

    def __exit__(self, *exc_info) -> None:
        return None


class _RichProgress:
    """A rows / rows-per-second / ETA bar on stderr; its total is the batch's running estimate (no second pass)."""

    def __enter__(self):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("labelling"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"), TaskProgressColumn(),
            TextColumn("{task.fields[rate]} rows/s"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=Console(stderr=True), transient=True,
        )
        self._progress.__enter__()
        task = self._progress.add_task("label", total=None, rate="-")

        def update(done: int, expected: int | None) -> None:
            from classifier.reports.rates import rate

            shown = rate(done, self._progress.tasks[0].elapsed or 0.0) or "-"
            self._progress.update(task, completed=done, total=expected, rate=shown)

        return update

    def __exit__(self, *exc_info) -> None:
        self._progress.__exit__(*exc_info)


def _progress_bar():
    """A progress bar when stderr is a terminal, nothing otherwise (logs and pipes stay clean)."""
    return _RichProgress() if sys.stderr.isatty() else _NoProgress()
