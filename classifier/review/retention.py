"""Retention: report text is deleted after a number of days (with its hash, and the name of a batch left with no
text), while the model's labels and scores and every decision stay, so that counts and summaries still add up."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, false, func, select, update

from classifier.errors import ConfigError
from classifier.review import schema
from classifier.review.store import ReviewStore, utcnow

__all__ = ["DEFAULT_KEEP_DAYS", "purge", "purgeable"]

DEFAULT_KEEP_DAYS = 90
#: What a batch is called once none of its reports keeps its text.
PURGED_BATCH_NAME = "(name deleted with the reports' text)"


def purgeable(store: ReviewStore, days: float = DEFAULT_KEEP_DAYS, *, now: datetime | None = None) -> int:
    """How many reports `purge` with the same `days` would take the text of now (to confirm before deleting)."""
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).where(_text_older_than(days, now))).scalar())


def purge(store: ReviewStore, days: float = DEFAULT_KEEP_DAYS, *, now: datetime | None = None) -> int:
    """Delete the text (and the reasons, words taken from it) of reports received more than `days` days ago, and
    take them out of the queue; return how many reports lost their text.

    Raises
    ------
    ConfigError
        `days` is negative.
    """
    now = now or utcnow()
    reports, batches = schema.reports, schema.batches
    with store.engine.begin() as connection:
        # The text's hash goes too (a short report could be confirmed by hashing a guess), and so does the name
        # of a batch none of whose reports keeps its text (an upload's file name may name a person).
        done = connection.execute(
            update(reports).where(_text_older_than(days, now))
            .values(text=None, text_sha256="", reasons=None, purged_at=now, queued=False, claimed_by=None,
                    claimed_until=None)
        )
        kept = exists().where(reports.c.batch_id == batches.c.id, reports.c.purged_at.is_(None))
        connection.execute(update(batches).where(~kept, batches.c.name != PURGED_BATCH_NAME)
                           .values(name=PURGED_BATCH_NAME))
    if done.rowcount:
        _reclaim(store)
    return int(done.rowcount)


def _reclaim(store: ReviewStore) -> None:
    """Take the purged text out of the database's files now, as far as the database lets a client do it.

    SQLite overwrites deleted content (``secure_delete``, set on every connection), but the old text also sits in
    the write-ahead log until a checkpoint copies it back: do it now and empty the log (a reader that holds the
    log open makes it a no-op until the next purge; the text is gone from the tables either way). PostgreSQL
    keeps the old row versions in the table's files until a VACUUM prunes them (autovacuum would, some time
    later): run one now on the two tables the purge changed. Its write-ahead log and backups are the server's
    (README, "Safety and personal data")."""
    dialect = store.engine.dialect.name
    if dialect == "sqlite":
        with store.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    elif dialect == "postgresql":
        tables = ", ".join(f'"{table.name}"' for table in (schema.reports, schema.batches))
        # VACUUM cannot run inside a transaction block; an account that does not own the tables gets a warning
        # from the server and nothing is vacuumed (autovacuum still will).
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"VACUUM {tables}")


def _text_older_than(days: float, now: datetime | None):
    """The reports that still have their text and were received more than `days` days before `now`."""
    if not days >= 0:
        raise ConfigError(f"--days must be 0 or more (0 deletes every report's text now). Got {days}.")
    reports = schema.reports
    now = now or utcnow()
    try:
        cutoff = now - timedelta(days=days)
    except (OverflowError, ValueError):  # more days than a date can go back (inf, 1e9): nothing is that old
        return false()
    return and_(reports.c.received_at < cutoff, reports.c.text.is_not(None))
