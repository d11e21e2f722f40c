"""``tension serve``: the triage web page (a thin wrapper over :func:`classifier.web.server.serve`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# Kept equal to the defaults in classifier.web (checked by a test); Flask is imported only when serving.
DEFAULT_MAX_UPLOAD_MB = 50
DEFAULT_TIME_LIMIT = 10.0
DEFAULT_READ_TIMEOUT = 20.0
DEFAULT_MAX_CONNECTIONS = 32


def register(app: typer.Typer, user_errors) -> None:
    @app.command("serve")
    @user_errors
    def serve_cli(
        model: Annotated[
            Path | None, typer.Option("--model", "-m", help="Model folder or name (default: the default model).")
        ] = None,
        host: Annotated[
            str, typer.Option(help="Address to listen on. The default serves this machine only; anything else "
                              "needs authentication in front (reports are personal data).")
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
        max_upload_mb: Annotated[
            float, typer.Option(min=0.001, help="Largest upload (backlog file or API request), in MB.")
        ] = DEFAULT_MAX_UPLOAD_MB,
        allowed_host: Annotated[
            list[str] | None, typer.Option("--allowed-host", help="A host name (or IP address) requests may be "
                                           "addressed to besides 127.0.0.1, localhost and --host, such as the "
                                           "server's DNS name behind a proxy. Repeat for several.")
        ] = None,
        data_dir: Annotated[
            Path | None, typer.Option(help="Folder for uploaded and labelled backlog files (created private, "
                                      "0700; emptied at start). Default: tension-classifier/serve in your "
                                      "user data folder.")
        ] = None,
        time_limit: Annotated[
            float, typer.Option(min=0.1, help="Seconds an API request may take, waiting for the model "
                                "included; then it gets a 503 answer.")
        ] = DEFAULT_TIME_LIMIT,
        read_timeout: Annotated[
            float, typer.Option(min=0.1, help="Seconds a client may take to send its request headers, or "
                                "stay silent in the middle of an upload, before it is disconnected.")
        ] = DEFAULT_READ_TIMEOUT,
        max_connections: Annotated[
            int, typer.Option(min=1, help="Connections served at once; more get a 503 answer.")
        ] = DEFAULT_MAX_CONNECTIONS,
        db: Annotated[
            str | None, typer.Option("--db", envvar="TENSION_DB_URL", show_envvar=True,
                                     help="Review database (accounts, queue, decisions): a SQLAlchemy URL or a "
                                     "SQLite file path. Default: review/review.sqlite3 in your tension-classifier "
                                     "data folder, created on first start.")
        ] = None,
        behind_https: Annotated[
            bool, typer.Option("--behind-https", help="HTTPS is in front of the page (a reverse proxy): the login "
                               "cookie is sent over HTTPS only.")
        ] = False,
        keep_days: Annotated[
            float, typer.Option(min=0, help="Days report text stays in the review queue; then it is deleted and "
                                "its labels and decisions kept.")
        ] = 90,
    ) -> None:
        """Serve the triage web page: paste a report, upload a backlog file to label, review the model's labels in
        the queue; plus a JSON API. Anything but 127.0.0.1 needs an admin account (tension users add NAME --role
        admin)."""
        try:
            from classifier.web.server import serve
        except ModuleNotFoundError as error:
            if error.name not in {"flask", "werkzeug", "jinja2", "markupsafe", "sqlalchemy", "argon2"}:
                raise
            from classifier.cli.review import SERVE_EXTRA_FIX
            from classifier.errors import ConfigError

            raise ConfigError(
                f"the web page needs Flask, SQLAlchemy and argon2-cffi; one is not installed ({error}). "
                f"{SERVE_EXTRA_FIX}"
            ) from None

        serve(model, host=host, port=port, max_upload_mb=max_upload_mb, allowed_hosts=allowed_host or (),
              data_dir=data_dir, time_limit=time_limit, read_timeout=read_timeout, max_connections=max_connections,
              db_url=db, behind_https=behind_https, keep_days=keep_days, echo=typer.echo)
