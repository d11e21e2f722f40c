"""The review queue's commands: ``tension users add/list/disable/enable``, ``tension purge`` and
``tension export-reviewed`` (thin wrappers over `classifier.review`)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

# Kept equal to classifier.review.retention.DEFAULT_KEEP_DAYS (checked by a test); SQLAlchemy is imported only when
# a command runs.
DEFAULT_KEEP_DAYS = 90

DbOpt = Annotated[
    str | None,
    typer.Option("--db", envvar="TENSION_DB_URL", show_envvar=True,
                 help="Review database: a SQLAlchemy URL (sqlite:////path/review.sqlite3, postgresql+psycopg://...) "
                      "or a SQLite file path. Default: review/review.sqlite3 in your tension-classifier data folder."),
]


class Role(StrEnum):
    reviewer = "reviewer"
    admin = "admin"


#: How to install what the review queue needs, wherever the project was installed from.
SERVE_EXTRA_FIX = ("Fix: pip install 'tension-classifier[serve]' (in a clone of the project: "
                   "pip install -e '.[serve]').")


@contextmanager
def review_extra():
    """Imports of the review queue's modules inside this block: a missing SQLAlchemy or argon2-cffi (the 'serve'
    extra) is a ConfigError saying how to install them, not a traceback."""
    try:
        yield
    except ModuleNotFoundError as error:
        if error.name not in {"sqlalchemy", "argon2"}:
            raise
        from classifier.errors import ConfigError

        raise ConfigError(f"the review queue needs SQLAlchemy and argon2-cffi, which are not installed ({error}). "
                          + SERVE_EXTRA_FIX) from None


def open_review_store(db: str | None, **options):
    """`classifier.review.store.open_store`, or a ConfigError saying how to install what it needs."""
    with review_extra():
        from classifier.review.store import open_store
    return open_store(db, **options)


def register(app: typer.Typer, user_errors) -> None:
    users_app = typer.Typer(help="Accounts of the web page's review queue: reviewers and admins.",
                            no_args_is_help=True)
    app.add_typer(users_app, name="users")

    @users_app.command("add")
    @user_errors
    def users_add_cli(
        name: Annotated[str, typer.Argument(help="Login name: letters, digits, '.', '_' or '-'.")],
        role: Annotated[Role, typer.Option(help="reviewer reviews; admin also manages accounts, exports and "
                                           "purges.")] = Role.reviewer,
        password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first "
                                                     "line of standard input instead of asking for it.")] = False,
        db: DbOpt = None,
    ) -> None:
        """Add an account. The password is asked for twice (or read from stdin) and stored as an Argon2 hash."""
        from classifier.errors import ConfigError

        with review_extra():  # before the password is asked for
            from classifier.review.users import add_user

        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        if not password:
            raise ConfigError("no password given. Type one, or pipe one line to --password-stdin.")
        with open_review_store(db) as store:
            user = add_user(store, name, password, role=role.value)
        typer.echo(f"Added {user.role} {user.name!r} to {store.url}.")

    @users_app.command("list")
    @user_errors
    def users_list_cli(db: DbOpt = None) -> None:
        """List the accounts: name, role, whether disabled, when added."""
        with review_extra():
            from classifier.review.users import list_users

        with open_review_store(db, must_exist=True) as store:
            accounts = list_users(store)
        if not accounts:
            typer.echo("No accounts yet. Add the first admin: tension users add NAME --role admin")
        for user in accounts:
            state = "disabled" if user.disabled else "active"
            typer.echo(f"{user.name:<24}{user.role:<10}{state:<10}added {user.created_at:%Y-%m-%d %H:%M} UTC")

    @users_app.command("disable")
    @user_errors
    def users_disable_cli(name: Annotated[str, typer.Argument(help="The account's login name.")],
                          db: DbOpt = None) -> None:
        """Disable an account: it can no longer log in, is logged out at its next request, and its API tokens are
        revoked. Its decisions stay."""
        with review_extra():
            from classifier.review.users import disable_user

        with open_review_store(db, must_exist=True) as store:
            disable_user(store, name)
        typer.echo(f"Disabled {name!r}; its sessions are ended and its API tokens, if any, revoked (enabling it again "
                   "brings back neither).")

    @users_app.command("enable")
    @user_errors
    def users_enable_cli(name: Annotated[str, typer.Argument(help="The account's login name.")],
                         db: DbOpt = None) -> None:
        """Enable a disabled account again: its password and decisions are as they were."""
        with review_extra():
            from classifier.review.users import enable_user

        with open_review_store(db, must_exist=True) as store:
            enable_user(store, name)
        typer.echo(f"Enabled {name!r}.")

    @users_app.command("token")
    @user_errors
    def users_token_cli(
        name: Annotated[str, typer.Argument(help="The account the program acts as.")],
        label: Annotated[str, typer.Option("--name", help="What the token is for, kept beside it.")] = "api",
        revoke: Annotated[bool, typer.Option("--revoke", help="Revoke every token of this account instead (one token: "
                                                              "tension users revoke-token NUMBER).")] = False,
        db: DbOpt = None,
    ) -> None:
        """Make an API token for a program (printed once; send it as 'Authorization: Bearer TOKEN'), or revoke
        an account's tokens with --revoke. Disabling the account stops its tokens too."""
        with review_extra():
            from classifier.review.tokens import create_token, revoke_tokens

        with open_review_store(db, must_exist=True) as store:
            if revoke:
                done = revoke_tokens(store, name)
                typer.echo(f"Revoked {done} token(s) of {name!r}.")
                return
            token = create_token(store, name, label)
        typer.echo(token)
        typer.echo(f"API token {label!r} for {name!r}: shown only now, store it as a secret. Use it as the header "
                   "'Authorization: Bearer <token>' on /api/predict.", err=True)

    @users_app.command("tokens")
    @user_errors
    def users_tokens_cli(db: DbOpt = None) -> None:
        """List the API tokens (never their secret): number, account, what it is for, when made, whether revoked."""
        with review_extra():
            from classifier.review.tokens import list_tokens

        with open_review_store(db, must_exist=True) as store:
            tokens = list_tokens(store)
        if not tokens:
            typer.echo("No API tokens yet. Make one for a program: tension users token NAME --name WHAT-FOR")
        for token in tokens:
            state = "live" if token.revoked_at is None else f"revoked {token.revoked_at:%Y-%m-%d %H:%M} UTC"
            typer.echo(f"{token.id:<6}{token.user_name:<24}{token.name:<26}made {token.created_at:%Y-%m-%d %H:%M} "
                       f"UTC  {state}")

    @users_app.command("revoke-token")
    @user_errors
    def users_revoke_token_cli(
        number: Annotated[int, typer.Argument(help="The token's number in `tension users tokens`.")],
        db: DbOpt = None,
    ) -> None:
        """Revoke one API token (a program's, say, whose secret leaked); the account's other tokens keep working."""
        with review_extra():
            from classifier.review.tokens import revoke_token

        with open_review_store(db, must_exist=True) as store:
            token = revoke_token(store, number)
        typer.echo(f"Revoked API token {token.id} ({token.name!r} of {token.user_name!r}).")

    @app.command("purge")
    @user_errors
    def purge_cli(
        days: Annotated[int, typer.Option(min=0, help="Delete the text of reports received more than this many "
                                          "days ago (0: all of it).")] = DEFAULT_KEEP_DAYS,
        db: DbOpt = None,
    ) -> None:
        """Delete old report text from the review database; the labels, scores and decision counts stay."""
        with review_extra():
            from classifier.review.retention import purge

        with open_review_store(db, must_exist=True) as store:
            done = purge(store, days)
        typer.echo(f"Deleted the text of {done} report(s) received more than {days} day(s) ago; their labels and "
                   "decisions are kept.")

    @app.command("export-reviewed")
    @user_errors
    def export_reviewed_cli(
        out: Annotated[Path, typer.Argument(
            help="CSV file to write (id, text, labels, source, reviewers, agreement).")],
        since: Annotated[
            datetime | None, typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"], help="Only reports last "
                                          "reviewed on or after this date (UTC), e.g. 2026-04-01.")
        ] = None,
        force: Annotated[bool, typer.Option(help="Replace OUT if it exists.")] = False,
        db: DbOpt = None,
    ) -> None:
        """Write the reviewed reports as a labelled file for `tension train` (no split column: training splits
        them, stratified, and the corpus keeps its own split)."""
        with review_extra():
            from classifier.review.export import export_reviewed

        with open_review_store(db, must_exist=True) as store:
            summary = export_reviewed(store, out, since=since, force=force)
        purged = f" ({summary.purged} reviewed report(s) left out: text deleted by retention)" if summary.purged else ""
        typer.echo(f"Wrote {summary.rows} reviewed report(s) to {summary.path}{purged}.")
        typer.echo(f"Retrain: tension train data/reports.csv {summary.path} --prefer-later")
