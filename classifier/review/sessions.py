"""Logged-out sessions, kept in the database so that a server restart does not bring a copied cookie back.

A session cookie is signed, not stored: clearing it only drops the browser's copy. Logging out therefore
records the session's CSRF token (one per session, 256 random bits) as revoked until the session would have
expired; the database keeps only its SHA-256. Expired rows are deleted whenever another session is revoked.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select

from classifier.review import schema
from classifier.review.store import ReviewStore, utcnow

__all__ = ["is_revoked", "revoke_session"]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def revoke_session(store: ReviewStore, token: str, lifetime: timedelta, *, now: datetime | None = None) -> None:
    """Refuse the session whose CSRF token is `token` from now until `lifetime` has passed."""
    now = now or utcnow()
    table = schema.revoked_sessions
    with store.engine.begin() as connection:
        connection.execute(delete(table).where(table.c.until < now))
        if connection.execute(select(table.c.token_sha256).where(table.c.token_sha256 == _digest(token))).first():
            return  # logged out twice (two tabs): already refused
        connection.execute(insert(table).values(token_sha256=_digest(token), until=now + lifetime))


def is_revoked(store: ReviewStore, token: str | None, *, now: datetime | None = None) -> bool:
    """Whether the session whose CSRF token is `token` was logged out (and would not have expired yet)."""
    if not token:
        return False
    table = schema.revoked_sessions
    with store.engine.connect() as connection:
        until = connection.execute(select(table.c.until).where(table.c.token_sha256 == _digest(token))).scalar()
    return until is not None and until >= (now or utcnow())
