"""What the page says about an upload: the name the user gave the file, never the server's paths, and the
page's words for the command line's options."""

from __future__ import annotations

import re
import shlex
import warnings
from collections.abc import Iterable, Mapping

_TEXT_COLUMN_OPTION = re.compile(r"with --text-column( NAME)?")
#: ``--text-column`` with a column, as an example gives it: its name (shell-quoted when it holds a space) or number.
_TEXT_COLUMN_GIVEN = re.compile(r"--text-column ('[^']*'|(?!NAME\b)[^\s,;()]+)")
#: The command line's ways round a stray quote, which the page does not offer: fixing the file is its way.
_QUOTING_OPTIONS = re.compile(r",? or pass --quoting none to read quotes as plain text( \(--max-field-lines to allow "
                              r"longer cells\))?")

#: The command line's way to read a quoted cell longer than the line limit, which the page does not offer.
_FIELD_LINES_OPTION = re.compile(r"pass (--max-field-lines \d+) or more to read it\.")


def named(message: str, names: Mapping[str, str]) -> str:
    """`message` with each server path (a key of `names`, in order) replaced by the name the user knows."""
    for path, name in names.items():
        message = message.replace(path, name)
    return message


def for_the_page(message: str, names: Mapping[str, str]) -> str:
    """An error message about an upload as the page shows it: `named`, ``--text-column`` as the page's
    "Text column" field (``e.g. --text-column 7`` as ``e.g. "7" in the "Text column" field``), no advice to use the
    command line's ``--quoting`` (the file is to be fixed), and a cell longer than the page reads sent to the command
    line's ``--max-field-lines``."""
    message = _QUOTING_OPTIONS.sub(" and upload the file again", named(message, names))
    message = _FIELD_LINES_OPTION.sub(r"the page reads no longer cells: label this file from the command line "
                                      r"(tension label FILE \1).", message)
    message = _TEXT_COLUMN_GIVEN.sub(lambda given: f'"{shlex.split(given[1])[0]}" in the "Text column" field', message)
    return _TEXT_COLUMN_OPTION.sub('in the "Text column" field', message)


def our_notices(caught: Iterable[warnings.WarningMessage], names: Mapping[str, str]) -> list[str]:
    """The package's own warnings among `caught` (a file read as Windows-1252, say) as the page shows them
    (`for_the_page`)."""
    return [for_the_page(str(item.message), names) for item in caught
            if item.category.__module__.startswith("classifier")]
