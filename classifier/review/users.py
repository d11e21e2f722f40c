"""Accounts: add, list, disable, and check a password. Passwords are hashed with Argon2id (`argon2-cffi`), the
hash's parameters stored in it, and rehashed on login when the library's defaults grow."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from classifier.errors import ConfigError
from classifier.review import schema
from classifier.review.locks import serialise
from classifier.review.store import ReviewStore, utcnow

__all__ = ["MIN_PASSWORD_LENGTH", "User", "add_user", "authenticate", "disable_user", "enable_user", "get_user",
           "has_admin", "has_users", "list_users"]

MIN_PASSWORD_LENGTH = 10
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_HASHER = PasswordHasher()
_DUMMY_HASHES: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash to check when the name is unknown, so that a wrong name takes as long as a wrong password."""
    key = id(_HASHER)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = _HASHER.hash("not a password of anyone")
    return _DUMMY_HASHES[key]


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    disabled: bool
    created_at: datetime
    #: Raised each time the account is disabled: its sessions made before then stay ended.
    session_generation: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row) -> User:
    return User(row.id, row.name, row.role, bool(row.disabled), row.created_at, int(row.session_generation))


def add_user(store: ReviewStore, name: str, password: str, role: str = "reviewer") -> User:
    """Create an account.

    Raises
    ------
    ConfigError
        The name is malformed or taken (names that differ only in case are one name: "Ada" and "ada" would look
        alike in the account list and the decisions' history), the role unknown, or the password shorter than
        :data:`MIN_PASSWORD_LENGTH` characters once spaces at its ends are left out.
    """
    if not _NAME.match(name):
        raise ConfigError(f"user name {name!r} is not allowed: use 1 to 64 letters, digits, '.', '_' or '-', "
                          "starting with a letter or digit.")
    if role not in schema.ROLES:
        raise ConfigError(f"role must be one of {', '.join(schema.ROLES)}. Got {role!r}.")
    counted = password.strip()
    if len(counted) < MIN_PASSWORD_LENGTH:
        ends = " without the spaces at its ends" if counted != password else ""
        raise ConfigError(f"the password has {len(counted)} characters{ends}; use at least "
                          f"{MIN_PASSWORD_LENGTH} (a few words together are easy to remember).")
    try:
        with store.engine.begin() as connection:
            alike = connection.execute(select(schema.users.c.name).where(
                func.lower(schema.users.c.name) == name.lower())).scalar()
            if alike is not None:
                raise ConfigError(f"user {alike!r} already exists" + (
                    f" ({name!r} differs only in case, and would look the same in the account list and the "
                    "decisions' history)" if alike != name else "")
                    + ". Choose another name, or see them with `tension users list`.")
            new_id = connection.execute(insert(schema.users).values(
                name=name, password_hash=_HASHER.hash(password), role=role, disabled=False, created_at=utcnow(),
            )).inserted_primary_key[0]
    except IntegrityError:
        raise ConfigError(f"user {name!r} already exists. Choose another name, or see them with "
                          "`tension users list`.") from None
    return get_user(store, new_id)


def get_user(store: ReviewStore, user: int | str) -> User | None:
    """The account with this id or name, or None."""
    column = schema.users.c.id if isinstance(user, int) else schema.users.c.name
    with store.engine.connect() as connection:
        row = connection.execute(select(schema.users).where(column == user)).first()
    return None if row is None else _user(row)


def list_users(store: ReviewStore) -> list[User]:
    """Every account, by name."""
    with store.engine.connect() as connection:
        return [_user(row) for row in connection.execute(select(schema.users).order_by(schema.users.c.name))]


def disable_user(store: ReviewStore, name: str) -> User:
    """Disable an account: it can no longer log in, its open sessions end at their next request, and its API
    tokens are revoked (enabling it again brings back neither its sessions nor its tokens). Its decisions stay.

    Raises
    ------
    ConfigError
        No account has that name, or it is the last enabled admin: without one, a server listening beyond this
        machine would let anyone in, and no one could manage the accounts from the page. Two admins disabling
        each other at once are served one after the other, so the second is refused.
    """
    users = schema.users.c
    with store.engine.begin() as connection:
        serialise(connection, "accounts")  # the count of other admins must still hold when this one is disabled
        row = connection.execute(select(schema.users).where(users.name == name)).first()
        if row is None:
            raise ConfigError(f"no user named {name!r}. See the accounts with `tension users list`.")
        if row.role == "admin" and not row.disabled:
            admins = connection.execute(select(func.count()).select_from(schema.users).where(
                users.disabled.is_(False), users.role == "admin", users.name != name)).scalar()
            if not admins:
                raise ConfigError(f"{name!r} is the last enabled admin, so it cannot be disabled: without one, the "
                                  "page would need no login. Add another admin first (tension users add NAME "
                                  "--role admin), then disable this one.")
        connection.execute(update(schema.users).where(users.name == name).values(
            disabled=True, session_generation=users.session_generation + 1))
        tokens = schema.api_tokens.c
        connection.execute(update(schema.api_tokens).where(tokens.user_id == row.id, tokens.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
    return get_user(store, name)


def enable_user(store: ReviewStore, name: str) -> User:
    """Enable a disabled account again (its password and decisions are as they were; the API tokens revoked when
    it was disabled stay revoked: make new ones with `tension users token`).

    Raises
    ------
    ConfigError
        No account has that name.
    """
    with store.engine.begin() as connection:
        done = connection.execute(update(schema.users).where(schema.users.c.name == name).values(disabled=False))
    if done.rowcount == 0:
        raise ConfigError(f"no user named {name!r}. See the accounts with `tension users list`.")
    return get_user(store, name)


def has_users(store: ReviewStore) -> bool:
    """Whether any account is enabled (then every page asks for a login)."""
    with store.engine.connect() as connection:
        return bool(connection.execute(
            select(func.count()).select_from(schema.users).where(schema.users.c.disabled.is_(False))).scalar())


def has_admin(store: ReviewStore) -> bool:
    """Whether an enabled admin account exists."""
    with store.engine.connect() as connection:
        return bool(connection.execute(select(func.count()).select_from(schema.users).where(
            schema.users.c.disabled.is_(False), schema.users.c.role == "admin")).scalar())


def authenticate(store: ReviewStore, name: str, password: str) -> User | None:
    """The account if `name` is enabled and `password` is its password, else None (the same answer for an
    unknown name, a wrong password and a disabled account). The name is matched without case, as `add_user`
    tells names apart."""
    with store.engine.connect() as connection:
        row = connection.execute(select(schema.users).where(
            func.lower(schema.users.c.name) == name.lower())).first()
    try:
        _HASHER.verify(row.password_hash if row is not None else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled:
        return None
    if _HASHER.check_needs_rehash(row.password_hash):
        with store.engine.begin() as connection:
            connection.execute(update(schema.users).where(schema.users.c.id == row.id)
                               .values(password_hash=_HASHER.hash(password)))
    return _user(row)
