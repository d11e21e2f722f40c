"""Schema migrations, applied in order when a store opens: the database records its version in
``schema_version``, and every migration above it runs, each in its own transaction. Programs that open an old
database at the same moment upgrade it one after the other (`classifier.review.locks`): each step re-reads the
version once it holds the lock, so a step another program has done is not run twice.

A migration is a plain function of a connection, written against the schema as it was (never against
`classifier.review.schema`, which is the latest), so that an old database upgrades the same way whatever the
code's version. Add a new one at the end of `MIGRATIONS`; never change one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

from classifier.errors import ConfigError
from classifier.review.locks import serialise


def _version_1(connection: Connection) -> None:
    """Accounts, batches, reports with the model's labels, and the decisions' history."""
    meta = MetaData()
    Table("schema_version", meta, Column("version", Integer, nullable=False))
    Table("users", meta,
          Column("id", Integer, primary_key=True),
          Column("name", String(64), nullable=False, unique=True),
          Column("password_hash", String(255), nullable=False),
          Column("role", String(16), nullable=False),
          Column("disabled", Boolean, nullable=False),
          Column("created_at", DateTime, nullable=False))
    Table("batches", meta,
          Column("id", Integer, primary_key=True),
          Column("name", String(255), nullable=False),
          Column("uploaded_by", Integer, ForeignKey("users.id"), nullable=True),
          Column("uploaded_at", DateTime, nullable=False),
          Column("model_name", String(255), nullable=False),
          Column("thresholds", JSON, nullable=False),
          Column("reports", Integer, nullable=False))
    Table("reports", meta,
          Column("id", Integer, primary_key=True),
          Column("batch_id", Integer, ForeignKey("batches.id"), nullable=False, index=True),
          Column("position", Integer, nullable=False),
          Column("text", Text, nullable=True),
          Column("text_sha256", String(64), nullable=False, index=True),
          Column("received_at", DateTime, nullable=False, index=True),
          Column("model_labels", JSON, nullable=False),
          Column("scores", JSON, nullable=False),
          Column("reasons", JSON, nullable=True),
          Column("needs_review", Boolean, nullable=False),
          Column("margin", Float, nullable=False),
          Column("review_count", Integer, nullable=False),
          Column("queued", Boolean, nullable=False),
          Column("purged_at", DateTime, nullable=True))
    decisions = Table("decisions", meta,
                      Column("id", Integer, primary_key=True),
                      Column("report_id", Integer, ForeignKey("reports.id"), nullable=False),
                      Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
                      Column("action", String(8), nullable=False),
                      Column("labels", JSON, nullable=True),
                      Column("decided_at", DateTime, nullable=False, index=True))
    Index("ix_decisions_report_user", decisions.c.report_id, decisions.c.user_id)
    meta.create_all(connection)


def _version_2(connection: Connection) -> None:
    """Claims (two reviewers are not handed the same report at once), the queue's index, and settings (the
    session signing key)."""
    datetime_type = DateTime().compile(dialect=connection.dialect)
    connection.execute(text("ALTER TABLE reports ADD COLUMN claimed_by INTEGER REFERENCES users (id)"))
    connection.execute(text(f"ALTER TABLE reports ADD COLUMN claimed_until {datetime_type}"))
    meta = MetaData()
    reports = Table("reports", meta, autoload_with=connection)
    Index("ix_reports_queue", reports.c.queued, reports.c.needs_review.desc(), reports.c.margin,
          reports.c.id).create(connection)
    Table("settings", meta,
          Column("key", String(64), primary_key=True),
          Column("value", Text, nullable=False)).create(connection)


def _version_3(connection: Connection) -> None:
    """An index that holds the progress counts' columns, so that counting 100,000 reports reads the index only."""
    reports = Table("reports", MetaData(), autoload_with=connection)
    Index("ix_reports_progress", reports.c.queued, reports.c.review_count, reports.c.purged_at).create(connection)


def _version_4(connection: Connection) -> None:
    """API tokens: programs call the API with a token of an account instead of a login form."""
    meta = MetaData()
    Table("users", meta, autoload_with=connection)
    Table("api_tokens", meta,
          Column("id", Integer, primary_key=True),
          Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
          Column("name", String(64), nullable=False),
          Column("token_sha256", String(64), nullable=False, unique=True),
          Column("created_at", DateTime, nullable=False),
          Column("revoked_at", DateTime, nullable=True)).create(connection)


def _version_5(connection: Connection) -> None:
    """Logged-out sessions, so that a restart of the server does not bring a copied session cookie back."""
    Table("revoked_sessions", MetaData(),
          Column("token_sha256", String(64), primary_key=True),
          Column("until", DateTime, nullable=False, index=True)).create(connection)


def _version_6(connection: Connection) -> None:
    """Each account's session generation, raised when it is disabled: a session made under an earlier one is
    refused, so enabling the account again does not bring its old (or stolen) cookies back."""
    connection.execute(text("ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0"))


def _version_7(connection: Connection) -> None:
    """An audit's suspects come before every other report, strongest first: their margin was ``1 - strength``,
    interleaved with the other reports' distances to a threshold; it becomes ``-1 - strength``."""
    connection.execute(text("UPDATE reports SET margin = margin - 2 WHERE margin >= 0 AND batch_id IN "
                            "(SELECT id FROM batches WHERE model_name = 'audit (out-of-fold scores)')"))


#: The migrations in order: entry ``i`` takes a database from version ``i`` to ``i + 1``.
MIGRATIONS: list[Callable[[Connection], None]] = [_version_1, _version_2, _version_3, _version_4, _version_5,
                                                  _version_6, _version_7]
#: The version this code reads and writes.
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(connection: Connection) -> int:
    """The database's schema version: 0 for an empty database."""
    if not inspect(connection).has_table("schema_version"):
        return 0
    version = connection.execute(select(text("max(version)")).select_from(text("schema_version"))).scalar()
    return int(version or 0)


def migrate(engine: Engine, target: int = SCHEMA_VERSION) -> int:
    """Apply every migration between the database's version and `target`; return the version reached.

    Raises
    ------
    ConfigError
        The database was written by a newer version of this program (its schema is above `SCHEMA_VERSION`).
    """
    target = min(target, SCHEMA_VERSION)
    with engine.connect() as connection:
        version = _known_version(connection)
    while version < target:  # without the lock first: a database already up to date is only read
        with engine.begin() as connection:
            serialise(connection, "schema")
            version = _known_version(connection)  # another program may have upgraded it while this one waited
            if version < target:
                MIGRATIONS[version](connection)
                connection.execute(text("DELETE FROM schema_version"))
                connection.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version + 1})
                version += 1
    return version


def _known_version(connection: Connection) -> int:
    """The database's schema version, refused when it is newer than this program."""
    version = current_version(connection)
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"the review database is at schema version {version}, but this program knows only up to "
            f"{SCHEMA_VERSION}. Upgrade tension-classifier (pip install -U), or point --db at another database."
        )
    return version
