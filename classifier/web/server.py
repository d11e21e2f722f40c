"""Run the triage web page with werkzeug's threaded server (what ``tension serve`` calls)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path

from classifier.errors import ConfigError
from classifier.web.app import DEFAULT_MAX_UPLOAD_MB, create_app

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def serve(
    model_path: str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
    echo: Callable[[str], None] = print,
) -> None:
    """Load the model, then serve the page on ``http://host:port/`` until Ctrl-C.

    Werkzeug logs one line per request: method, path and status only (report text is sent in request
    bodies, never in URLs, so it is never logged).

    Raises
    ------
    ConfigError
        The address cannot be used (port taken, unknown host) or a limit is not positive.
    ModelError
        The model cannot be loaded.
    """
    from werkzeug.serving import make_server

    if not 0 < port < 65536:
        raise ConfigError(f"--port must be between 1 and 65535. Got {port}.")
    app = create_app(model_path=model_path, max_upload_mb=max_upload_mb)
    try:
        server = make_server(host, port, app, threaded=True)
    except (OSError, SystemExit) as error:  # werkzeug exits when the port is taken
        raise ConfigError(
            f"cannot listen on {host}:{port} ({getattr(error, 'strerror', None) or 'address in use'}); "
            "pass another --port, or stop the program using it."
        ) from None
    url_host = f"[{host}]" if ":" in host else host
    echo(f"Tension triage page for model {app.extensions['tension'].model_name!r}: http://{url_host}:{port}/")
    if host not in LOOPBACK_HOSTS:
        echo(f"warning: listening on {host}, so other machines can reach this page and it has no login. Reports "
             "are personal data: put authentication (e.g. a reverse proxy with login and HTTPS) in front of it.")
    echo("Press Ctrl-C to stop.")
    # A service manager stops us with SIGTERM: stop as on Ctrl-C, so the labelled files are deleted.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None
    try:
        server.serve_forever()  # werkzeug's returns on Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
        server.server_close()
        app.extensions["tension"].jobs.close()
    echo("stopped; labelled backlog files deleted.")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
