"""API tokens: a program calls the API as an account with ``Authorization: Bearer <token>`` instead of logging in.

A token is shown once, when it is made; the database keeps only its SHA-256 (a token is 256 random bits, so a
plain hash is enough: nothing to guess). A token works while it is not revoked and its account is enabled.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from classifier.errors import ConfigError
from classifier.review import schema
from classifier.review.store import ReviewStore, utcnow
from classifier.review.users import User, get_user

__all__ = ["TOKEN_PREFIX", "ApiToken", "create_token", "list_tokens", "revoke_token", "revoke_tokens",
           "user_for_token"]

#: Every token starts with this, so a leaked one is easy to recognise (and to search for) in code or logs.
TOKEN_PREFIX = "tension_"


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_name: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(store: ReviewStore, user_name: str, name: str = "api") -> str:
    """Make a new token for the enabled account `user_name` and return it (the only time it is shown).

    Raises
    ------
    ConfigError
        No enabled account has that name, or `name` is empty or longer than 64 characters.
    """
    user = get_user(store, user_name)
    if user is None or user.disabled:
        raise ConfigError(f"no enabled user named {user_name!r}. See the accounts with `tension users list`.")
    if not 0 < len(name) <= 64:
        raise ConfigError(f"a token's name must have 1 to 64 characters (what it is for). Got {name!r}.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.engine.begin() as connection:
        connection.execute(insert(schema.api_tokens).values(
            user_id=user.id, name=name, token_sha256=_digest(token), created_at=utcnow(), revoked_at=None))
    return token


def user_for_token(store: ReviewStore, token: str) -> User | None:
    """The enabled account a live token belongs to, or None (unknown, revoked, or the account disabled)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with store.engine.connect() as connection:
        row = connection.execute(select(schema.api_tokens.c.user_id).where(
            schema.api_tokens.c.token_sha256 == _digest(token), schema.api_tokens.c.revoked_at.is_(None))).first()
    if row is None:
        return None
    user = get_user(store, int(row.user_id))
    return None if user is None or user.disabled else user


def revoke_tokens(store: ReviewStore, user_name: str) -> int:
    """Revoke every live token of `user_name`; return how many.

    Raises
    ------
    ConfigError
        No account has that name.
    """
    user = get_user(store, user_name)
    if user is None:
        raise ConfigError(f"no user named {user_name!r}. See the accounts with `tension users list`.")
    with store.engine.begin() as connection:
        done = connection.execute(update(schema.api_tokens).where(
            schema.api_tokens.c.user_id == user.id, schema.api_tokens.c.revoked_at.is_(None)).values(
            revoked_at=utcnow()))
    return int(done.rowcount)


def revoke_token(store: ReviewStore, token_id: int) -> ApiToken:
    """Revoke the one token numbered `token_id` (its number in :func:`list_tokens`), leaving the account's others
    working; return it as it now stands.

    Raises
    ------
    ConfigError
        No token has that number, or it is revoked already.
    """
    found = _token(store, token_id)
    if found is None:
        raise ConfigError(f"no API token numbered {token_id}. See the tokens with `tension users tokens`.")
    if found.revoked_at is not None:
        raise ConfigError(f"API token {token_id} ({found.name!r} of {found.user_name!r}) was revoked already, on "
                          f"{found.revoked_at:%Y-%m-%d %H:%M} UTC.")
    with store.engine.begin() as connection:
        connection.execute(update(schema.api_tokens).where(
            schema.api_tokens.c.id == token_id, schema.api_tokens.c.revoked_at.is_(None)).values(revoked_at=utcnow()))
    return _token(store, token_id)


def list_tokens(store: ReviewStore) -> list[ApiToken]:
    """Every token (never its secret), oldest first."""
    with store.engine.connect() as connection:
        return [ApiToken(row.id, row.user_name, row.name, row.created_at, row.revoked_at)
                for row in connection.execute(_select_tokens())]


def _token(store: ReviewStore, token_id: int) -> ApiToken | None:
    """The token numbered `token_id` (never its secret), or None."""
    with store.engine.connect() as connection:
        row = connection.execute(_select_tokens().where(schema.api_tokens.c.id == token_id)).first()
    return None if row is None else ApiToken(row.id, row.user_name, row.name, row.created_at, row.revoked_at)


def _select_tokens():
    """Every token's number, account name, name and dates, oldest first."""
    tokens, users = schema.api_tokens, schema.users
    return (select(tokens.c.id, users.c.name.label("user_name"), tokens.c.name, tokens.c.created_at,
                   tokens.c.revoked_at).join(users, users.c.id == tokens.c.user_id).order_by(tokens.c.id))
