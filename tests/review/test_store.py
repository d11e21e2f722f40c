"""Tests for classifier.review.store, settings and migrations: the database is created on first start, private,
and an older schema is migrated without losing its rows."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import create_engine, inspect, text

from classifier.errors import ConfigError
from classifier.review import migrations, schema
from classifier.review.migrations import SCHEMA_VERSION, current_version, migrate
from classifier.review.settings import DB_URL_ENV, default_db_url, resolve_db_url
from classifier.review.store import open_store
from tests.helpers import at_once, review_db_url, waiting_for_another


def test_store_creates_a_private_sqlite_file_at_the_latest_version(tmp_path):
    database = tmp_path / "review" / "review.sqlite3"
    store = open_store(f"sqlite:///{database}")

    assert database.is_file() and stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    with store.engine.connect() as connection:
        assert current_version(connection) == SCHEMA_VERSION
    store.close()


def test_store_settings_default_is_a_sqlite_file_in_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(DB_URL_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_url() == f"sqlite:///{tmp_path}/tension-classifier/review/review.sqlite3"
    assert resolve_db_url() == default_db_url()
    monkeypatch.setenv(DB_URL_ENV, "postgresql+psycopg://reviewer@db/tension")
    assert resolve_db_url() == "postgresql+psycopg://reviewer@db/tension"
    assert resolve_db_url("sqlite:///x.db") == "sqlite:///x.db"  # --db wins over the variable
    assert resolve_db_url(str(tmp_path / "r.db")) == f"sqlite:///{tmp_path / 'r.db'}"  # a plain path is a file


def test_store_session_secret_is_made_once_and_kept(tmp_path):
    url = review_db_url(tmp_path)
    with open_store(url) as store:
        secret = store.session_secret()
    with open_store(url) as again:
        assert again.session_secret() == secret and len(secret) == 64


def test_store_is_closed_on_leaving_its_with_block_even_on_an_error(tmp_path, monkeypatch):
    closed = []
    with pytest.raises(RuntimeError, match="inside the block"), open_store(review_db_url(tmp_path)) as store:
        real_close = store.close
        monkeypatch.setattr(store, "close", lambda: (closed.append(store), real_close()))
        raise RuntimeError("an error inside the block")
    assert closed == [store]


def test_store_migrates_a_version_1_database_and_keeps_its_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = open_store(url, migrate_to=1)
    with old.engine.begin() as connection:
        assert current_version(connection) == 1
        assert "claimed_by" not in {column["name"] for column in inspect(connection).get_columns("reports")}
        connection.execute(text("INSERT INTO users (name, password_hash, role, disabled, created_at) "
                                "VALUES ('ann', 'x', 'admin', 0, '2026-01-01 00:00:00')"))
    old.close()

    store = open_store(url)

    with store.engine.connect() as connection:
        assert current_version(connection) == SCHEMA_VERSION
        assert connection.execute(text("SELECT name FROM users")).scalars().all() == ["ann"]
        found = inspect(connection)
        for table in schema.metadata.sorted_tables:  # the migrated database has every column the code uses
            assert {column["name"] for column in found.get_columns(table.name)} == set(table.columns.keys())
        indexes = {index["name"] for index in found.get_indexes("reports")}
        assert {index.name for index in schema.reports.indexes} <= indexes
    store.close()


def test_store_two_programs_upgrading_one_database_at_once_both_succeed(tmp_path, monkeypatch):
    """Reproduction: three `tension users list` started together on a version-1 database; two failed with
    'duplicate column name: claimed_by' (each ran the upgrade's steps), told to check the URL and the server."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    open_store(url, migrate_to=1).close()

    monkeypatch.setattr(migrations, "current_version", waiting_for_another(migrations.current_version))
    stores = at_once(lambda: open_store(url), lambda: open_store(url))
    assert [type(store).__name__ for store in stores] == ["ReviewStore", "ReviewStore"]
    for store in stores:
        store.close()
    with open_store(url) as store, store.engine.connect() as connection:
        assert current_version(connection) == SCHEMA_VERSION


def test_store_upgrade_that_fails_says_why_not_to_check_the_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    open_store(url, migrate_to=1).close()
    twice = lambda connection: connection.execute(text("ALTER TABLE users ADD COLUMN role TEXT"))  # noqa: E731
    monkeypatch.setattr(migrations, "MIGRATIONS", [migrations.MIGRATIONS[0], twice, *migrations.MIGRATIONS[2:]])
    with pytest.raises(ConfigError, match="could not be brought up to date .*duplicate column name: role") as error:
        open_store(url)
    assert "server is running" not in str(error.value)


def test_store_upgrade_puts_queued_audit_suspects_before_other_reports(tmp_path):
    """Suspects queued before version 7 had margin 1 - strength, among the other reports' distances."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    with open_store(url, migrate_to=6) as old, old.engine.begin() as connection:
        for number, model_name in ((1, "default"), (2, "audit (out-of-fold scores)")):
            connection.execute(text("INSERT INTO batches (id, name, uploaded_at, model_name, thresholds, reports) "
                                    "VALUES (:n, 'b', '2026-01-01 00:00:00', :m, '{}', 1)"),
                               {"n": number, "m": model_name})
        for batch, margin in ((1, 0.004), (2, 0.03)):
            connection.execute(text(
                "INSERT INTO reports (batch_id, position, text, text_sha256, received_at, model_labels, scores, "
                "needs_review, margin, review_count, queued) VALUES (:b, 0, 't', :h, '2026-01-01 00:00:00', '[]', "
                "'{}', 1, :m, 0, 1)"), {"b": batch, "h": str(batch), "m": margin})
    with open_store(url) as store, store.engine.connect() as connection:
        margins = dict(connection.execute(text("SELECT batch_id, margin FROM reports")).all())
    assert margins == {1: 0.004, 2: pytest.approx(-1.97)}  # -1 - strength: before every report, strongest first


def test_store_refuses_a_database_from_a_newer_version(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    engine = create_engine(url)
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE schema_version SET version = :v"), {"v": SCHEMA_VERSION + 1})
    engine.dispose()

    with pytest.raises(ConfigError, match=f"schema version {SCHEMA_VERSION + 1}.*Upgrade tension-classifier"):
        open_store(url)


def test_store_bad_url_says_what_a_url_looks_like(tmp_path):
    with pytest.raises(ConfigError, match="not a database URL.*sqlite:////"):
        open_store("nonsense://::")
    with pytest.raises(ConfigError, match="driver is not installed"):
        open_store("nosuchdialect://user@host/db")
