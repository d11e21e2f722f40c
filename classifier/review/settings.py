"""Where the review database lives: ``--db``, else ``$TENSION_DB_URL``, else a SQLite file in the user's data
folder. Imports nothing heavy, so that the CLI can show its help quickly."""

from __future__ import annotations

import os
from pathlib import Path

from classifier.io.places import user_data_dir

#: The environment variable that names the review database (a SQLAlchemy URL).
DB_URL_ENV = "TENSION_DB_URL"
DB_FILE_NAME = "review.sqlite3"


def default_db_url() -> str:
    """``sqlite:///`` + ``<user data folder>/review/review.sqlite3``."""
    return f"sqlite:///{user_data_dir() / 'review' / DB_FILE_NAME}"


def resolve_db_url(given: str | None = None) -> str:
    """`given`, else ``$TENSION_DB_URL``, else :func:`default_db_url`. A plain path is read as a SQLite file."""
    url = given or os.environ.get(DB_URL_ENV) or default_db_url()
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    return url
