"""What the page says about an upload: the name the user gave the file, never the server's paths, and the
page's words for the command line's options."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping

_TEXT_COLUMN_OPTION = re.compile(r"with --text-column( NAME)?")


def named(message: str, names: Mapping[str, str]) -> str:
    """`message` with each server path (a key of `names`, in order) replaced by the name the user knows."""
    for path, name in names.items():
        message = message.replace(path, name)
    return message


def for_the_page(message: str, names: Mapping[str, str]) -> str:
    """An error message about an upload as the page shows it: `named`, and ``--text-column`` as the page's
    "Text column" field."""
    return _TEXT_COLUMN_OPTION.sub('in the "Text column" field', named(message, names))


def our_notices(caught: Iterable[warnings.WarningMessage], names: Mapping[str, str]) -> list[str]:
    """The package's own warnings among `caught` (a file read as Windows-1252, say), `named`."""
    return [named(str(item.message), names) for item in caught if item.category.__module__.startswith("classifier")]
