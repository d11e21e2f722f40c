"""Tests for classifier.cli.review: ``tension users``, ``tension purge`` and ``tension export-reviewed``."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.io.records import read_labelled
from classifier.review.queue import enqueue, next_item, progress, record_decision
from classifier.review.users import authenticate
from tests.helpers import FakePrediction, review_db_url, review_store

runner = CliRunner()


@pytest.fixture
def db(tmp_path, monkeypatch):
    """The review database URL, given through TENSION_DB_URL as a team would."""
    url = review_db_url(tmp_path)
    monkeypatch.setenv("TENSION_DB_URL", url)
    return url


def _run(*args, **options):
    return runner.invoke(app, list(args), **options)


def test_cli_review_users_add_list_disable(db, tmp_path):
    added = _run("users", "add", "ann", "--role", "admin", input="a long password\na long password\n")
    assert added.exit_code == 0, added.output
    assert "Added admin 'ann'" in added.output and "a long password" not in added.output.split("\n", 2)[-1]
    piped = _run("users", "add", "bob", "--password-stdin", input="bob's long password\n")
    assert piped.exit_code == 0, piped.output

    listing = _run("users", "list").output
    assert "ann" in listing and "admin" in listing and "bob" in listing and "reviewer" in listing
    assert _run("users", "disable", "bob").exit_code == 0
    assert "bob" in _run("users", "list").output and "disabled" in _run("users", "list").output
    store = review_store(tmp_path)
    assert authenticate(store, "ann", "a long password") is not None
    assert authenticate(store, "bob", "bob's long password") is None
    store.close()


def test_cli_review_users_errors_are_one_line(db):
    mismatch = _run("users", "add", "ann", input="a long password\nanother password\n" * 3)
    assert mismatch.exit_code != 0 and "do not match" in mismatch.output
    short = _run("users", "add", "ann", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "error: the password has 5 characters" in short.output
    role = _run("users", "add", "ann", "--role", "boss", "--password-stdin", input="a long password\n")
    assert role.exit_code == 2
    assert _run("users", "disable", "zed").output.startswith("error: no user named 'zed'")


def test_cli_review_db_option_wins_over_the_variable(db, tmp_path):
    other = tmp_path / "other.sqlite3"
    result = _run("users", "add", "ann", "--password-stdin", "--db", str(other), input="a long password\n")
    assert result.exit_code == 0 and other.is_file()
    review_store(tmp_path).close()  # the variable's database, created (as `tension serve` would) with no account
    assert "No accounts yet" in _run("users", "list").output


@pytest.mark.parametrize("command", [("purge",), ("purge", "--days", "0"), ("export-reviewed", "out.csv"),
                                     ("users", "list"), ("users", "disable", "ann"), ("users", "enable", "ann"),
                                     ("users", "token", "ann"), ("users", "tokens"), ("users", "revoke-token", "1")])
def test_cli_review_a_command_that_reads_or_clears_the_database_refuses_one_that_does_not_exist(
        db, tmp_path, monkeypatch, command):
    """Reproduction: `tension purge --db typo.sqlite3` created an empty database there and said it had deleted
    the text of 0 reports (exit 0), while the real database kept its text."""
    monkeypatch.chdir(tmp_path)
    typo = tmp_path / "no" / "such" / "review.sqlite3"
    result = _run(*command, "--db", str(typo))
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"error: there is no review database at sqlite:///{typo}: nothing to read or "
                                    "clear. Check --db / TENSION_DB_URL")
    assert not (tmp_path / "no").exists() and not (tmp_path / "out.csv").exists()
    # `users add` makes the first account in a new database, as before.
    added = _run("users", "add", "ann", "--password-stdin", "--db", str(typo), input="a long password\n")
    assert added.exit_code == 0 and typo.is_file()


def test_cli_review_purge_keeps_counts(db, tmp_path):
    store = review_store(tmp_path)
    enqueue(store, ["old report"], [FakePrediction({"immigration": 0.9})], name="b", model_name="m",
            thresholds={"immigration": 0.5}, now=datetime.now() - timedelta(days=100))
    enqueue(store, ["new report"], [FakePrediction({"immigration": 0.9})], name="b", model_name="m",
            thresholds={"immigration": 0.5})

    result = _run("purge")

    assert result.exit_code == 0 and "Deleted the text of 1 report(s)" in result.output
    assert progress(store)["total"] == 2 and progress(store)["purged"] == 1
    assert "of 1 report(s)" in _run("purge", "--days", "0").output
    store.close()


def test_cli_review_export_reviewed_for_training(db, tmp_path):
    store = review_store(tmp_path)
    _run("users", "add", "ann", "--password-stdin", input="a long password\n")
    ann = authenticate(store, "ann", "a long password")
    enqueue(store, ["a report", "another"], [FakePrediction({"immigration": 0.9}) for _ in range(2)], name="b",
            model_name="m", thresholds={"immigration": 0.5})
    record_decision(store, next_item(store, ann.id).id, ann.id, "accept")
    out = tmp_path / "reviewed.csv"

    result = _run("export-reviewed", str(out))
    assert result.exit_code == 0, result.output
    assert "Wrote 1 reviewed report(s)" in result.output and "tension train data/reports.csv" in result.output
    assert read_labelled(out).labels == [("immigration",)]

    again = _run("export-reviewed", str(out))
    assert again.exit_code == 1 and "already exists" in again.output and "--force" in again.output
    assert _run("export-reviewed", str(out), "--force").exit_code == 0
    later = _run("export-reviewed", str(tmp_path / "later.csv"), "--since", "2999-01-01")
    assert later.exit_code == 1 and "no reviewed report to export since 2999-01-01" in later.output
    store.close()


def test_cli_review_default_keep_days_is_the_libraries():
    from classifier.cli.review import DEFAULT_KEEP_DAYS
    from classifier.review.retention import DEFAULT_KEEP_DAYS as LIBRARY

    assert DEFAULT_KEEP_DAYS == LIBRARY


def test_cli_review_users_token_prints_a_working_token_once_and_revokes(db, tmp_path):
    from classifier.review.tokens import user_for_token

    assert _run("users", "add", "bob", "--password-stdin", input="bob's long password\n").exit_code == 0
    made = _run("users", "token", "bob", "--name", "triage script")
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert "\n" not in token and "shown only now" in made.stderr
    store = review_store(tmp_path)
    assert user_for_token(store, token).name == "bob"
    revoked = _run("users", "token", "bob", "--revoke")
    assert revoked.exit_code == 0 and "Revoked 1 token(s) of 'bob'" in revoked.output
    assert user_for_token(store, token) is None
    store.close()
    missing = _run("users", "token", "nobody")
    assert missing.exit_code == 1 and missing.output.count("\n") == 1
    assert "no enabled user named 'nobody'" in missing.output


def test_cli_review_users_tokens_lists_them_without_secrets_and_revoke_token_ends_one(db, tmp_path):
    from classifier.review.tokens import user_for_token

    assert _run("users", "add", "bob", "--password-stdin", input="bob's long password\n").exit_code == 0
    assert "No API tokens yet" in _run("users", "tokens").output
    leaked = _run("users", "token", "bob", "--name", "nightly export").stdout.strip()
    kept = _run("users", "token", "bob", "--name", "triage script").stdout.strip()
    listing = _run("users", "tokens")
    assert listing.exit_code == 0 and leaked not in listing.output and kept not in listing.output
    lines = listing.output.splitlines()
    assert len(lines) == 2 and all("bob" in line and "live" in line for line in lines)
    number = next(line.split()[0] for line in lines if "nightly export" in line)

    revoked = _run("users", "revoke-token", number)
    assert revoked.exit_code == 0 and f"Revoked API token {number} ('nightly export' of 'bob')" in revoked.output
    store = review_store(tmp_path)
    assert user_for_token(store, leaked) is None and user_for_token(store, kept).name == "bob"
    store.close()
    assert "revoked" in next(line for line in _run("users", "tokens").output.splitlines() if "nightly" in line)
    again = _run("users", "revoke-token", number)
    assert again.exit_code == 1 and "was revoked already" in again.output
    unknown = _run("users", "revoke-token", "999")
    assert unknown.exit_code == 1 and "no API token numbered 999" in unknown.output


def test_cli_review_a_database_that_refuses_a_write_is_one_line_without_its_parameters(db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    import classifier.review.users as users

    def read_only(*args, **kwargs):
        raise OperationalError("INSERT INTO users ...", ("ann", "$argon2id$secret-hash"),
                               Exception("attempt to write a readonly database"))

    monkeypatch.setattr(users, "add_user", read_only)
    result = _run("users", "add", "ann", "--password-stdin", input="a long password\n")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "error: the review database refused the operation (Exception: attempt to write a readonly database)" \
        in result.output
    assert "argon2" not in result.output and "INSERT" not in result.output


def test_cli_review_users_enable_and_the_last_admin_stays(db):
    _run("users", "add", "ann", "--role", "admin", "--password-stdin", input="a long password\n")
    _run("users", "add", "bob", "--password-stdin", input="bob's long password\n")
    refused = _run("users", "disable", "ann")
    assert refused.exit_code == 1 and "last enabled admin" in refused.output
    assert _run("users", "disable", "bob").exit_code == 0
    assert _run("users", "enable", "bob").output.strip() == "Enabled 'bob'."
    assert "disabled" not in _run("users", "list").output


def test_cli_review_a_reviewed_report_that_reads_like_a_formula_trains_as_it_was_sent(db, tmp_path):
    """Reproduction: export-reviewed puts a ' before a text starting with = + - @ (so a spreadsheet shows it instead
    of running it), and tension train read the ' as part of the report."""
    store = review_store(tmp_path)
    _run("users", "add", "ann", "--password-stdin", input="a long password\n")
    ann = authenticate(store, "ann", "a long password")
    texts = ["=HYPERLINK(\"http://x.example\") posted on the hotel page", "-2+3 people at the gate", "'quoted' report"]
    enqueue(store, texts, [FakePrediction({"immigration": 0.9}) for _ in texts], name="b", model_name="m",
            thresholds={"immigration": 0.5})
    for _ in texts:
        record_decision(store, next_item(store, ann.id).id, ann.id, "accept")
    store.close()
    out = tmp_path / "reviewed.csv"
    assert _run("export-reviewed", str(out)).exit_code == 0
    assert "'=HYPERLINK" in out.read_text("utf-8")  # guarded in the file
    assert sorted(read_labelled(out).texts) == sorted(texts)  # read back as sent


@pytest.mark.parametrize("missing", ["sqlalchemy", "argon2"])
@pytest.mark.parametrize("args", [
    ["users", "list"], ["users", "disable", "bob"], ["users", "enable", "bob"], ["users", "token", "bob"],
    ["users", "tokens"], ["users", "revoke-token", "1"], ["purge"], ["export-reviewed", "out.csv"],
    ["users", "add", "bob", "--password-stdin"], ["audit", "data.csv", "--to-review"],
])
def test_cli_review_commands_without_the_serve_extra_say_how_to_install_it(tmp_path, monkeypatch, args, missing):
    """Reproduction: with the project installed without the 'serve' extra, `tension users list`, purge,
    export-reviewed, the token commands and `audit --to-review` ended in a ModuleNotFoundError traceback (only
    `users add` said what to install), and the hint 'pip install -e .[serve]' only works in a clone."""
    import sys

    prefixes = ("classifier.review", "classifier.retrain.audit_review", missing)
    for name in [name for name in sys.modules if name.startswith(prefixes)]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)  # import raises ModuleNotFoundError, as when not installed
    monkeypatch.chdir(tmp_path)
    result = _run(*args, input="a long enough password\n")
    assert result.exit_code == 1 and "Traceback" not in result.output
    if missing == "argon2" and args[0] in {"purge", "export-reviewed", "audit"}:  # they never check passwords
        assert "needs SQLAlchemy" not in result.output
        return
    assert "the review queue needs SQLAlchemy and argon2-cffi" in result.output, result.output
    assert "pip install 'tension-classifier[serve]'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out.csv").exists()
