"""Tests for classifier.review.users: accounts, Argon2 hashes, disabled accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from classifier.errors import ConfigError
from classifier.review import schema
from classifier.review.users import (
    add_user,
    authenticate,
    disable_user,
    enable_user,
    has_admin,
    has_users,
    list_users,
)
from tests.helpers import at_once


def test_users_password_is_stored_as_an_argon2_hash_and_checked(store):
    add_user(store, "ann", "correct horse battery", role="admin")
    with store.engine.connect() as connection:
        stored = connection.execute(select(schema.users.c.password_hash)).scalar()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored

    assert authenticate(store, "ann", "correct horse battery").is_admin
    assert authenticate(store, "ann", "wrong horse battery") is None
    assert authenticate(store, "nobody", "correct horse battery") is None


def test_users_disabled_cannot_log_in_and_do_not_count(store):
    add_user(store, "ann", "correct horse battery", role="admin")
    add_user(store, "ada", "another admin password", role="admin")
    add_user(store, "bob", "another long one")
    assert has_users(store) and has_admin(store)
    disable_user(store, "ann")
    disable_user(store, "bob")

    assert authenticate(store, "ann", "correct horse battery") is None
    assert authenticate(store, "bob", "another long one") is None
    assert has_admin(store) and has_users(store)
    assert [(u.name, u.role, u.disabled) for u in list_users(store)] == [
        ("ada", "admin", False), ("ann", "admin", True), ("bob", "reviewer", True)]
    enable_user(store, "bob")
    assert authenticate(store, "bob", "another long one").name == "bob"


def test_users_the_last_enabled_admin_cannot_be_disabled(store):
    """Without an enabled admin a server listening beyond this machine would need no login at all."""
    add_user(store, "ann", "correct horse battery", role="admin")
    add_user(store, "bob", "another long one")
    with pytest.raises(ConfigError, match="'ann' is the last enabled admin, so it cannot be disabled"):
        disable_user(store, "ann")
    assert has_admin(store) and authenticate(store, "ann", "correct horse battery") is not None
    add_user(store, "ada", "another admin password", role="admin")
    disable_user(store, "ann")
    with pytest.raises(ConfigError, match="'ada' is the last enabled admin"):
        disable_user(store, "ada")
    with pytest.raises(ConfigError, match="no user named 'zed'"):
        enable_user(store, "zed")


def test_users_two_admins_disabling_each_other_at_once_leave_one_enabled(store):
    """Reproduction: ann and ben disabled each other at the same moment; both saw the other enabled, both were
    disabled (49 runs in 50), and the page then needed no login."""
    add_user(store, "ann", "correct horse battery", role="admin")
    add_user(store, "ben", "another admin password", role="admin")
    for _ in range(10):
        outcomes = at_once(lambda: disable_user(store, "ann"), lambda: disable_user(store, "ben"))
        refused = [str(outcome) for outcome in outcomes if isinstance(outcome, ConfigError)]
        assert len(refused) == 1 and "is the last enabled admin" in refused[0]
        assert has_admin(store)
        for user in list_users(store):
            if user.disabled:
                enable_user(store, user.name)


@pytest.mark.parametrize(("name", "password", "role", "message"), [
    ("ann smith", "a long password", "reviewer", "user name 'ann smith' is not allowed"),
    ("ann", "short", "reviewer", "the password has 5 characters; use at least 10"),
    ("ann", " " * 12, "reviewer", "the password has 0 characters without the spaces at its ends; use at least 10"),
    ("ann", "  nine char  ", "reviewer", "the password has 9 characters without the spaces at its ends"),
    ("ann", "a long password", "boss", "role must be one of reviewer, admin. Got 'boss'"),
])
def test_users_bad_account_is_refused_with_the_rule(store, name, password, role, message):
    with pytest.raises(ConfigError, match=message):
        add_user(store, name, password, role=role)


def test_users_name_taken_and_unknown_name(store):
    add_user(store, "ann", "a long password")
    with pytest.raises(ConfigError, match="user 'ann' already exists"):
        add_user(store, "ann", "a long password")
    with pytest.raises(ConfigError, match="no user named 'zed'"):
        disable_user(store, "zed")


def test_users_login_name_is_matched_without_case_as_names_are_told_apart(store):
    """Reproduction: 'Alice' with alice's password was refused, though 'Alice' could not be added beside her."""
    add_user(store, "alice", "reviewer's long password")
    add_user(store, "Ann.B", "another long password")
    assert authenticate(store, "Alice", "reviewer's long password").name == "alice"
    assert authenticate(store, "ann.b", "another long password").name == "Ann.B"
    assert authenticate(store, "ALICE", "another long password") is None


def test_users_names_that_differ_only_in_case_are_one_name(store):
    """Reproduction: 'Ada' was added beside 'ada'; the account list and the decisions' history showed two alike."""
    add_user(store, "ada", "a long password", role="admin")
    with pytest.raises(ConfigError, match="user 'ada' already exists \\('Ada' differs only in case"):
        add_user(store, "Ada", "a long password")
    add_user(store, "Ann.B", "a long password")
    with pytest.raises(ConfigError, match="user 'Ann.B' already exists \\('ann.b' differs"):
        add_user(store, "ann.b", "a long password")
    assert [user.name for user in list_users(store)] == ["Ann.B", "ada"]
