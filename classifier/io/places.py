"""Where the package keeps things outside the working folder: the project root found upward from a folder, and the
per-user data folder of this platform."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

PROJECT_NAME = "tension-classifier"
_PROJECT_LINE = re.compile(r'^\s*name\s*=\s*["\']tension[-_.]classifier["\']\s*$', re.MULTILINE)


def user_data_dir() -> Path:
    """This user's data folder for the package: ``$XDG_DATA_HOME`` (or ``~/.local/share``) on Linux,
    ``~/Library/Application Support`` on macOS, ``%LOCALAPPDATA%`` on Windows, + ``tension-classifier``."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / PROJECT_NAME


def names_this_project(pyproject: Path) -> bool:
    """Does ``pyproject`` (a pyproject.toml) declare the project ``tension-classifier``?"""
    try:
        return bool(_PROJECT_LINE.search(pyproject.read_text("utf-8", errors="replace")))
    except OSError:
        return False


def find_upward(start: Path, is_root: Callable[[Path], bool]) -> Path | None:
    """The nearest folder at or above ``start`` for which ``is_root`` holds, or ``None``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if is_root(folder):
            return folder
    return None
