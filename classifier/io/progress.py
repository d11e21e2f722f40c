"""Progress of long work as plain lines: a function that takes one line (``Progress``), or ``None`` for silence.

Long functions (training, cross-validation, learning curves, comparisons) take ``progress=None`` and call
`tell` at each stage. The lines name stages and counts only, never report text; the CLI prints them on stderr
(`classifier.cli.progress`). Progress only observes: results are the same with or without it.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]


def tell(progress: Progress | None, message: str) -> None:
    """Pass ``message`` to ``progress`` unless it is ``None``."""
    if progress is not None:
        progress(message)
