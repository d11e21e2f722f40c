"""One writer at a time for a step that reads and then writes on what it read (whether another admin is left,
whether a text is already queued, the schema's version): two at once would both read the same and both write.

SQLite takes its write lock when the transaction starts (``BEGIN IMMEDIATE``) instead of at its first write, so
the reads that follow see what the previous writer committed; PostgreSQL takes an advisory lock named after the
step, held until the transaction ends. Other databases get their transactions only.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text

__all__ = ["serialise"]


def serialise(connection: Connection, step: str) -> None:
    """Wait until no other transaction holds `step`'s lock, then hold it until this transaction ends.

    Call it first in a transaction (``with engine.begin() as connection:``): on SQLite it is the database's write
    lock, which cannot be taken once the transaction has written.
    """
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _key(step)})


def _key(step: str) -> int:
    """A signed 64-bit number for `step`, as PostgreSQL's advisory locks are named."""
    return int.from_bytes(hashlib.sha256(f"tension-classifier {step}".encode()).digest()[:8], "big", signed=True)
