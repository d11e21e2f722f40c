"""Open the review database: create a SQLite file (and its private folder) on first start, migrate the schema,
and keep one SQLAlchemy engine for the store's users."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from classifier.errors import ConfigError
from classifier.review import schema
from classifier.review.migrations import SCHEMA_VERSION, current_version, migrate
from classifier.review.settings import resolve_db_url

__all__ = ["ReviewStore", "open_store", "utcnow"]


def utcnow() -> datetime:
    """Now, as the naive UTC time the database stores."""
    return datetime.now(UTC).replace(tzinfo=None)


class ReviewStore:
    """The review database behind one SQLAlchemy engine. Use `open_store` to create one; as a context manager
    (``with open_store(url) as store:``) it is closed on leaving the block.

    Parameters
    ----------
    engine
        An engine on a database migrated to the latest schema.
    reviews_per_report
        Distinct reviewers who must accept or correct a report before it leaves the queue.
    """

    def __init__(self, engine: Engine, *, reviews_per_report: int = 1) -> None:
        self.engine = engine
        self.reviews_per_report = reviews_per_report

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def setting(self, key: str, make=None) -> str | None:
        """The stored value of `key`; when there is none and `make` is given, store ``make()`` and return it."""
        with self.engine.begin() as connection:
            value = connection.execute(select(schema.settings.c.value).where(schema.settings.c.key == key)).scalar()
            if value is None and make is not None:
                value = make()
                connection.execute(insert(schema.settings).values(key=key, value=value))
        return value

    def session_secret(self) -> str:
        """The key that signs the web page's session cookies: made once, kept in the database, so a restart
        does not log everyone out and several server processes agree."""
        return self.setting("session_secret", lambda: secrets.token_hex(32))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def open_store(db_url: str | None = None, *, reviews_per_report: int = 1, migrate_to: int | None = None,
               must_exist: bool = False) -> ReviewStore:
    """Open (and on first start create) the review database at `db_url` (see `resolve_db_url`) and bring its
    schema up to date.

    A SQLite file is created with mode 0600 in a folder created 0700: it holds report text. With `must_exist`
    (commands that read or clear a database, such as purge and export), a database that was never created is an
    error instead: a mistyped --db would otherwise "succeed" on a new, empty one.

    Raises
    ------
    ConfigError
        The URL is malformed or names a driver that is not installed, the database cannot be reached, its schema
        cannot be upgraded (the message says why), it was written by a newer version of this program, or it does
        not exist and `must_exist` is set.
    """
    if reviews_per_report < 1:
        raise ConfigError(f"reviews_per_report must be 1 or more. Got {reviews_per_report}.")
    url = resolve_db_url(db_url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ConfigError(
            "--db / TENSION_DB_URL is not a database URL. Expected e.g. sqlite:////path/review.sqlite3 or "
            "postgresql+psycopg://user@host/dbname."
        ) from None
    sqlite = parsed.get_backend_name() == "sqlite"
    in_file = sqlite and parsed.database not in (None, "", ":memory:")
    if in_file and must_exist and not Path(parsed.database).is_file():
        raise _no_database(parsed)
    if in_file:
        _create_private_file(Path(parsed.database))
    try:
        engine = create_engine(parsed, **({"connect_args": {"timeout": 30}} if sqlite else {}))
    except (NoSuchModuleError, ModuleNotFoundError) as error:
        raise ConfigError(f"cannot open the review database: its driver is not installed ({error}). Install the "
                          "driver for that database, or use a sqlite:/// URL.") from None
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        _bring_up_to_date(engine, parsed, must_exist=must_exist,
                          target=SCHEMA_VERSION if migrate_to is None else migrate_to)
    except BaseException:
        engine.dispose()
        raise
    return ReviewStore(engine, reviews_per_report=reviews_per_report)


def _bring_up_to_date(engine: Engine, parsed, *, must_exist: bool, target: int) -> None:
    """Reach the database (refusing one never created, with `must_exist`), then migrate it to `target`; each
    failure is told apart: one to reach it is the URL's or the server's, one to migrate it is not."""
    url = parsed.render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            if must_exist and current_version(connection) == 0:
                raise _no_database(parsed)
    except OperationalError as error:
        raise ConfigError(f"cannot open the review database {url} ({type(error.orig).__name__}). Check --db / "
                          "TENSION_DB_URL and that the server is running.") from None
    try:
        migrate(engine, target)
    except OperationalError as error:
        raise ConfigError(
            f"the review database {url} was opened, but its schema could not be brought up to date "
            f"({type(error.orig).__name__}: {error.orig}). Fix that cause (a read-only file or account, a full "
            "disk, a database another program kept busy for over 30 s) and run the command again."
        ) from None


def _no_database(parsed) -> ConfigError:
    return ConfigError(
        f"there is no review database at {parsed.render_as_string(hide_password=True)}: nothing to read or clear. "
        "Check --db / TENSION_DB_URL (a typo names a new, empty database); the database is created when "
        "`tension serve` first starts or by `tension users add`."
    )


def _create_private_file(path: Path) -> None:
    if path.parent.is_symlink():
        raise ConfigError(f"the review database's folder '{path.parent}' is a symbolic link; give a real folder "
                          "(the database holds personal data).")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _sqlite_pragmas(connection, record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers do not wait for a writer
    cursor.execute("PRAGMA secure_delete = ON")  # purged report text is overwritten, not left in free pages
    cursor.close()
