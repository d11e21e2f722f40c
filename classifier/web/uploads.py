"""What the page says about an upload: the name the user gave the file, never the server's paths, and the
page's words for the command line's options."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping

_TEXT_COLUMN_OPTION = re.compile(r"with --text-column( NAME)?")
#: The command line's ways round a stray quote, which the page does not offer: fixing the file is its way.
_QUOTING_OPTIONS = re.compile(r",? or pass --quoting none to read quotes as plain text( \(--max-field-lines to allow "
                              r"longer cells\))?")


def named(message: str, names: Mapping[str, str]) -> str:
    """`message` with each server path (a key of `names`, in order) replaced by the name the user knows."""
    for path, name in names.items():
        message = message.replace(path, name)
    return message


def for_the_page(message: str, names: Mapping[str, str]) -> str:
    """An error message about an upload as the page shows it: `named`, ``--text-column`` as the page's
    "Text column" field, and no advice to use the command line's ``--quoting`` (the file is to be fixed)."""
    message = _QUOTING_OPTIONS.sub(" and upload the file again", named(message, names))
    return _TEXT_COLUMN_OPTION.sub('in the "Text column" field', message)


def our_notices(caught: Iterable[warnings.WarningMessage], names: Mapping[str, str]) -> list[str]:
    """The package's own warnings among `caught` (a file read as Windows-1252, say), `named`."""
    return [named(str(item.message), names) for item in caught if item.category.__module__.startswith("classifier")]
