"""``tension label``: label a whole backlog file (a thin wrapper over :func:`classifier.batch.label_file`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


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
        text_column: Annotated[str | None, typer.Option(help="Column to label (default: found by name).")] = None,
        review_out: Annotated[
            Path | None, typer.Option(help="Also write the rows needing review (and unclassified ones) here.")
        ] = None,
        jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes.")] = 1,
        force: Annotated[bool, typer.Option("--force", help="Replace the output files if they exist.")] = False,
        sheet: Annotated[str | None, typer.Option(help="Excel input: the sheet to read (default: the first).")] = None,
    ) -> None:
        """Label every row of a backlog: labels, a score per label, a review flag, reasons and a status.

        Every input row and column is kept, in order. Output is written to a temporary file and renamed
        when complete, so an interrupted run leaves nothing behind.
        """
        from classifier.batch import default_output_path, label_file

        output = out if out is not None else default_output_path(input)
        try:
            with _progress_bar(input, sheet) as progress:
                summary = label_file(
                    input, output, model=model, text_column=text_column, review_out=review_out, jobs=jobs,
                    force=force, sheet=sheet, progress=progress,
                )
        except KeyboardInterrupt:
            typer.echo(f"interrupted: nothing was written to {output}.", err=True)
            raise typer.Exit(code=130) from None
        except Exception as error:
            from classifier.errors import ClassifierError

            if not isinstance(error, ClassifierError):  # a crash: say so before the traceback
                typer.echo(f"error: labelling failed ({type(error).__name__}); nothing was written to {output}.",
                           err=True)
            raise
        typer.echo(str(summary))


class _NoProgress:
    def __enter__(self):
        return None

    def __exit__(self, *exc_info) -> None:
        return None


class _RichProgress:
    """A rows / rows-per-second / ETA bar on stderr."""

    def __init__(self, path: Path, sheet: str | None) -> None:
        self.path, self.sheet = path, sheet

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

        from classifier.batch import count_rows

        self._progress = Progress(
            TextColumn("labelling"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"), TaskProgressColumn(),
            TextColumn("{task.fields[rate]} rows/s"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=Console(stderr=True), transient=True,
        )
        self._progress.__enter__()
        task = self._progress.add_task("label", total=None, rate="-")

        def update(done: int) -> None:
            if self._progress.tasks[0].total is None:
                # Counted after the first chunk, once the paths, model and columns are known to be good.
                self._progress.update(task, total=count_rows(self.path, sheet=self.sheet))
            elapsed = self._progress.tasks[0].elapsed or 0.0
            rate = f"{done / elapsed:.0f}" if elapsed > 0 else "-"
            self._progress.update(task, completed=done, rate=rate)

        return update

    def __exit__(self, *exc_info) -> None:
        self._progress.__exit__(*exc_info)


def _progress_bar(path: Path, sheet: str | None):
    """A progress bar when stderr is a terminal, nothing otherwise (logs and pipes stay clean)."""
    return _RichProgress(path, sheet) if sys.stderr.isatty() else _NoProgress()
