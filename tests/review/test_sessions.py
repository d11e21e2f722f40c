"""Tests for classifier.review.sessions: logged-out sessions are refused until they would have expired."""

from __future__ import annotations

from datetime import datetime, timedelta

from classifier.review.sessions import is_revoked, revoke_session

NOW = datetime(2026, 3, 1, 12, 0)


def test_sessions_revoked_until_their_lifetime_ends_and_then_forgotten(store):
    revoke_session(store, "token-a", timedelta(hours=12), now=NOW)
    revoke_session(store, "token-a", timedelta(hours=12), now=NOW)  # logged out twice: no error
    assert is_revoked(store, "token-a", now=NOW + timedelta(hours=11))
    assert not is_revoked(store, "token-b", now=NOW) and not is_revoked(store, None, now=NOW)
    assert not is_revoked(store, "token-a", now=NOW + timedelta(hours=13))
    revoke_session(store, "token-b", timedelta(hours=12), now=NOW + timedelta(hours=13))  # clears the expired
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT token_sha256 FROM revoked_sessions").fetchall()
    assert len(rows) == 1 and "token-b" not in rows[0][0]  # only a hash is kept
