"""What the commands tell the terminal besides their results: stage lines on stderr for the commands that take a
while (``--quiet`` turns them off) and the one prefix of every error line.

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
