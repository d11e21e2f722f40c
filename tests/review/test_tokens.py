"""Tests for classifier.review.tokens: API tokens, shown once, stored as hashes, revocable."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from classifier.errors import ConfigError
from classifier.review import schema
from classifier.review.tokens import (
    TOKEN_PREFIX,
    create_token,
    list_tokens,
    revoke_token,
    revoke_tokens,
    user_for_token,
)
from classifier.review.users import add_user, disable_user, enable_user


@pytest.fixture
def rex(store):
    return add_user(store, "rex", "reviewer's long password")


def test_tokens_a_token_names_its_account_and_only_its_hash_is_stored(store, rex):
    token = create_token(store, "rex", "triage script")
    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    assert user_for_token(store, token).name == "rex"
    with store.engine.connect() as connection:
        stored = connection.execute(select(schema.api_tokens)).one()
    assert token not in str(tuple(stored)) and len(stored.token_sha256) == 64
    assert [(t.user_name, t.name, t.revoked_at) for t in list_tokens(store)] == [("rex", "triage script", None)]
    assert create_token(store, "rex") != token  # a new one each time


@pytest.mark.parametrize("bad", ["", "tension_", "tension_nothing", "Bearer x", "x" * 500])
def test_tokens_an_unknown_token_names_nobody(store, rex, bad):
    create_token(store, "rex")
    assert user_for_token(store, bad) is None


def test_tokens_revoked_or_disabled_tokens_stop_working(store, rex):
    first, second = create_token(store, "rex"), create_token(store, "rex")
    assert revoke_tokens(store, "rex") == 2 and revoke_tokens(store, "rex") == 0
    assert user_for_token(store, first) is None and user_for_token(store, second) is None
    third = create_token(store, "rex")
    disable_user(store, "rex")
    assert user_for_token(store, third) is None
    # Reproduction: enabling the account again brought back the tokens it had when an admin disabled it (over a
    # leaked token, say). They stay revoked; new ones work.
    enable_user(store, "rex")
    assert user_for_token(store, third) is None
    assert all(token.revoked_at is not None for token in list_tokens(store))
    assert user_for_token(store, create_token(store, "rex")).name == "rex"


def test_tokens_revoke_one_by_its_number_and_keep_the_others(store, rex):
    leaked, kept = create_token(store, "rex", "export"), create_token(store, "rex", "triage")
    number = next(token.id for token in list_tokens(store) if token.name == "export")
    revoked = revoke_token(store, number)
    assert revoked.name == "export" and revoked.revoked_at is not None
    assert user_for_token(store, leaked) is None and user_for_token(store, kept).name == "rex"
    with pytest.raises(ConfigError, match="revoked already"):
        revoke_token(store, number)
    with pytest.raises(ConfigError, match="no API token numbered 99.*tension users tokens"):
        revoke_token(store, 99)


def test_tokens_errors_say_what_to_do(store, rex):
    with pytest.raises(ConfigError, match="no enabled user named 'ada'.*tension users list"):
        create_token(store, "ada")
    with pytest.raises(ConfigError, match="1 to 64 characters"):
        create_token(store, "rex", "")
    with pytest.raises(ConfigError, match="no user named 'ada'"):
        revoke_tokens(store, "ada")
