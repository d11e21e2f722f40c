"""What the commands tell the terminal besides their results: stage lines on stderr for the commands that take a
while (``--quiet`` turns them off), throughput, and the one prefix of every error line.

Each stage line starts with the time since the command started, so a slow stage shows as a long gap. Lines go to
stderr, so a command's output on stdout stays clean for pipes and files.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

#: How every error line of the ``tension`` command starts (ours, and Click's for a mistyped command line).
ERROR_PREFIX = "error: "
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines on stderr.")]


class StageLines:
    """Print ``[m:ss] message`` lines on stderr; call it with a message (a ``classifier.io.progress.Progress``)."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        minutes, seconds = divmod(int(time.monotonic() - self.started), 60)
        typer.echo(f"[{minutes}:{seconds:02d}] {message}", err=True)


def stage_lines(quiet: bool) -> StageLines | None:
    """A stage printer, or ``None`` (no progress) with ``--quiet``."""
    return None if quiet else StageLines()


def rate(rows: int, seconds: float) -> str | None:
    """Rows per second as shown (``"1,234"``, ``"2.5"``), or ``None`` when it would mislead: under a second of work,
    or under one row a second (never "0 rows/s")."""
    if seconds < 1 or rows < seconds:
        return None
    per_second = rows / seconds
    return f"{per_second:,.0f}" if per_second >= 10 else f"{per_second:.1f}"


def throughput(rows: int, seconds: float) -> str:
    """``"in 12.3 s (1,234 rows/s)"``, or only the time when a rate would mislead (``"in 0.42 s"``)."""
    shown = rate(rows, seconds)
    if shown is None:
        return f"in {seconds:.2f} s" if seconds < 1 else f"in {seconds:.1f} s"
    return f"in {seconds:.1f} s ({shown} rows/s)"
