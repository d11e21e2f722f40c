"""``tension serve``: the triage web page (a thin wrapper over :func:`classifier.web.server.serve`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_MAX_UPLOAD_MB = 50  # kept equal to classifier.web.app.DEFAULT_MAX_UPLOAD_MB (checked by a test)


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
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
        max_upload_mb: Annotated[
            float, typer.Option(min=0.001, help="Largest upload (backlog file or API request), in MB.")
        ] = DEFAULT_MAX_UPLOAD_MB,
    ) -> None:
        """Serve the triage web page: paste a report, or upload a backlog file to label; plus a JSON API."""
        try:
            from classifier.web.server import serve
        except ModuleNotFoundError as error:
            if error.name not in {"flask", "werkzeug", "jinja2", "markupsafe"}:
                raise
            from classifier.errors import ConfigError

            raise ConfigError(
                f"the web page needs Flask, which is not installed ({error}). Fix: pip install -e '.[serve]'"
            ) from None

        serve(model, host=host, port=port, max_upload_mb=max_upload_mb, echo=typer.echo)
