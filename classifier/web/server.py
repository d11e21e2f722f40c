"""Run the triage web page (what ``tension serve`` calls) with werkzeug's threaded server, bounded.

Werkzeug's development server starts a thread per connection and waits for a client's bytes forever: 200
stalled uploads held 203 threads. `make_server` returns the same server with three bounds:

* the request line and headers must arrive within `read_timeout` seconds of the request's start (a client
  trickling a header byte at a time is cut off);
* each read of a request body must get data within `read_timeout` seconds (a client stalling mid-upload is
  cut off), and the body must keep up :data:`MIN_BODY_RATE` on average after its first `read_timeout` seconds
  (a client trickling a byte now and then, each within the timeout, is cut off too; any real upload is faster);
* at most `max_connections` connections are served at once; more get ``503 Service Unavailable`` at once,
  with the API's JSON error body.
"""

from __future__ import annotations

import io
import json
import math
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from classifier.errors import ConfigError
from classifier.web.app import DEFAULT_MAX_UPLOAD_MB, DEFAULT_TIME_LIMIT, LOOPBACK_HOSTS, create_app

DEFAULT_READ_TIMEOUT = 20.0
DEFAULT_MAX_CONNECTIONS = 32
#: Bytes a second a request body must average once its first `read_timeout` seconds are over.
MIN_BODY_RATE = 1024
# Sent before the request is read (its path is not known yet): JSON, the API's error form (openapi.json), which a
# browser shows as text.
_BUSY_BODY = json.dumps({"error": "Too many connections to this server; try again in a moment.",
                         "status": 503}).encode()
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
         b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY))


def make_server(host: str, port: int, app, *, read_timeout: float = DEFAULT_READ_TIMEOUT,
                max_connections: int = DEFAULT_MAX_CONNECTIONS):
    """A werkzeug ``ThreadedWSGIServer`` for `app` on ``host:port`` with the bounds of the module docstring.

    Raises
    ------
    ConfigError
        A bound is not positive.
    OSError, SystemExit
        The address cannot be used (werkzeug exits when the port is taken).
    """
    from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

    if not read_timeout > 0:
        raise ConfigError(f"--read-timeout must be a positive number of seconds. Got {read_timeout}.")
    if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
        raise ConfigError(f"--max-connections must be a whole number >= 1. Got {max_connections}.")

    class Handler(WSGIRequestHandler):
        timeout = read_timeout  # StreamRequestHandler applies it to the socket: no read waits longer
        header_deadline: float | None = None
        body_started: float | None = None  # when the headers ended: the body's rate counts from there
        body_bytes = 0

        def setup(self) -> None:
            super().setup()
            plain, self.rfile = self.rfile, io.BufferedReader(_DeadlineSocketIO(self), 65536)
            plain.close()  # nothing read from it yet; closing it keeps the socket's close() immediate

        def handle_one_request(self) -> None:
            # Each request (keep-alive ones too) gets read_timeout for its request line and headers.
            self.header_deadline = time.monotonic() + read_timeout
            self.body_started, self.body_bytes = None, 0
            super().handle_one_request()

        def log_request(self, code="-", size="-") -> None:
            # A request line may hold anything: report text pasted into a URL's query, or a line that is no HTTP
            # request at all. The log keeps the method and path only, and nothing of a line that did not parse.
            if self.command is None:
                self.log("info", '"%s" %s %s', "(a request line that is not HTTP, not shown)", code, size)
                return
            full = self.path
            self.path = full.split("?", 1)[0] + ("?..." if "?" in full else "")
            try:
                super().log_request(code, size)
            finally:
                self.path = full

        def log_error(self, format, *args) -> None:
            if format.startswith("code ") and args:  # send_error's message may quote the request line
                self.log("error", "code %s", args[0])
                return
            super().log_error(format, *args)

        def parse_request(self) -> bool:
            parsed = super().parse_request()
            # Headers read: the body's reads, and the answer's writes, have the idle timeout only.
            self.header_deadline = None
            self.body_started, self.body_bytes = time.monotonic(), 0
            self.connection.settimeout(self.timeout)
            return parsed

    class Server(ThreadedWSGIServer):
        _slots = threading.BoundedSemaphore(max_connections)

        def process_request(self, request, client_address) -> None:
            if not self._slots.acquire(blocking=False):
                _refuse(request)
                self.shutdown_request(request)
                return
            try:
                super().process_request(request, client_address)
            except BaseException:
                self._slots.release()
                raise

        def process_request_thread(self, request, client_address) -> None:
            try:
                super().process_request_thread(request, client_address)
            finally:
                self._slots.release()

    return Server(host, port, app, handler=Handler)


class _DeadlineSocketIO(socket.SocketIO):
    """The handler's socket as a raw stream whose reads stop at the handler's header deadline, and at the body's
    (:data:`MIN_BODY_RATE`). After a timeout it reads as ended: werkzeug drains what is left of a body once the
    answer is sent, and a plain socket stream would raise there ("cannot read from timed out object"), which
    the server logged with a traceback for every client that stalled."""

    def __init__(self, handler) -> None:
        super().__init__(handler.connection, "rb")
        self._handler = handler

    def readinto(self, buffer) -> int | None:
        if self._timeout_occurred:
            return 0
        handler = self._handler
        timeout = handler.timeout
        if handler.header_deadline is not None:
            remaining = handler.header_deadline - time.monotonic()
            if remaining <= 0:
                self._timeout_occurred = True
                raise TimeoutError("the request line and headers did not arrive in time")
            timeout = min(timeout, remaining)
        elif handler.body_started is not None:
            remaining = handler.body_started + timeout + handler.body_bytes / MIN_BODY_RATE - time.monotonic()
            if remaining <= 0:
                self._timeout_occurred = True
                raise TimeoutError("the request body arrived too slowly")
            timeout = min(timeout, remaining)
        self._sock.settimeout(timeout)
        read = super().readinto(buffer)
        if read and handler.body_started is not None:
            handler.body_bytes += read
        return read


def _refuse(request: socket.socket) -> None:
    try:
        request.settimeout(1)
        request.sendall(_BUSY)
    except OSError:
        pass


def serve(
    model_path: str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
    allowed_hosts: Iterable[str] = (),
    data_dir: str | Path | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    db_url: str | None = None,
    behind_https: bool = False,
    keep_days: float = 90,
    echo: Callable[[str], None] = print,
) -> None:
    """Open the review database, load the model, then serve the page on ``http://host:port/`` until Ctrl-C.

    Without an enabled admin account in the review database (`db_url`, see
    `classifier.review.settings.resolve_db_url`) only a loopback address is allowed: nobody could log in to
    manage the page from elsewhere. The session cookie is HTTPS-only unless the page is served on a loopback
    address without `behind_https`.

    Werkzeug logs one line per request: method, path and status only (report text is sent in request
    bodies, never in URLs, so it is never logged).

    Raises
    ------
    ConfigError
        The address cannot be used (port taken, unknown host), a limit is not positive, the data folder
        cannot be used (another server holds it), the review database cannot be opened, or `host` is not a
        loopback address and no admin account exists.
    ModelError
        The model cannot be loaded.
    """
    from classifier.review.store import open_store
    from classifier.review.users import has_admin

    if not 0 < port < 65536:
        raise ConfigError(f"--port must be between 1 and 65535. Got {port}.")
    allowed_hosts = list(allowed_hosts)
    loopback = host in LOOPBACK_HOSTS
    store = open_store(db_url)
    try:
        if not loopback and not has_admin(store):
            raise ConfigError(
                f"no admin account in the review database ({store.url}), so the page may listen on 127.0.0.1 "
                f"only, not {host}: nobody could log in to it. Add one first with `tension users add NAME --role "
                "admin` (the same --db), or serve on --host 127.0.0.1."
            )
        app = create_app(model_path=model_path, max_upload_mb=max_upload_mb, data_dir=data_dir,
                         time_limit=time_limit, host=host, port=port, allowed_hosts=allowed_hosts,
                         review_store=store, secure_cookies=behind_https or not loopback, keep_days=keep_days)
    except BaseException:
        store.close()
        raise
    state = app.extensions["tension"]
    try:
        server = make_server(host, port, app, read_timeout=read_timeout, max_connections=max_connections)
    except (OSError, SystemExit) as error:  # werkzeug exits when the port is taken
        state.jobs.close()
        store.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({getattr(error, 'strerror', None) or 'address in use'}); "
            "pass another --port, or stop the program using it."
        ) from None
    except BaseException:
        state.jobs.close()
        store.close()
        raise
    # Warm the model up (spaCy's tables, the explainer) so that the first request meets --time-limit too.
    state.model.predict(["Warm-up report about bins on the high street."])
    url_host = f"[{host}]" if ":" in host else host
    echo(f"Tension triage page for model {state.model_name!r}: http://{url_host}:{port}/")
    echo(f"Backlog files are kept in {state.jobs.root} (deleted after use).")
    kept = f"kept {keep_days:g} days" if math.isfinite(keep_days) else "kept until purged by hand"
    echo(f"Review queue and accounts: {store.url} (report text {kept}).")
    if not loopback:
        if not behind_https:
            echo(f"warning: listening on {host} without --behind-https. Passwords and reports are personal data "
                 "and would cross the network unencrypted, and browsers keep the login only over HTTPS: put HTTPS "
                 "in front (e.g. a reverse proxy) and start the page with --behind-https.")
        if not allowed_hosts:
            echo("Requests are accepted only when addressed to this machine's loopback names or the --host "
                 "address; add the name people will use with --allowed-host NAME.")
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
        state.jobs.close()
        store.close()
    echo("stopped; labelled backlog files deleted.")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
