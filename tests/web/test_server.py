"""Tests for classifier.web.server's rules on accounts: no admin, no address beyond this machine; a warning without
HTTPS in front; the session cookie HTTPS-only unless served on this machine without it."""

from __future__ import annotations

import pytest

pytest.importorskip("flask", reason="the web page needs Flask: pip install -e '.[serve]'")

from sqlalchemy import update  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from classifier.cli import app as cli_app  # noqa: E402
from classifier.errors import ConfigError  # noqa: E402
from classifier.review import schema  # noqa: E402
from classifier.review.users import add_user  # noqa: E402
from tests.helpers import review_db_url, review_store  # noqa: E402


@pytest.fixture
def served(monkeypatch):
    """Serve nothing: record the app and the address `serve` would bind, then stop as on Ctrl-C."""
    from classifier.web import server

    made = {}

    class FakeServer:
        def serve_forever(self):
            raise KeyboardInterrupt

        def server_close(self):
            pass

    def fake_make_server(host, port, app, **bounds):
        made.update(host=host, app=app)
        return FakeServer()

    monkeypatch.setattr(server, "make_server", fake_make_server)
    return made


@pytest.fixture
def db(tmp_path):
    return review_db_url(tmp_path)


def test_web_server_without_an_admin_refuses_any_address_but_loopback(served, trained, db, tmp_path):
    from classifier.web import server

    with pytest.raises(ConfigError, match=r"no admin account.*not 0\.0\.0\.0.*tension users add NAME --role admin"):
        server.serve(trained.model_dir, host="0.0.0.0", db_url=db, data_dir=tmp_path / "d", echo=print)
    assert served == {}  # nothing was bound

    store = review_store(tmp_path)
    add_user(store, "rex", "reviewer's long password")  # a reviewer is not enough
    with pytest.raises(ConfigError, match="no admin account"):
        server.serve(trained.model_dir, host="0.0.0.0", db_url=db, data_dir=tmp_path / "d", echo=print)
    add_user(store, "ada", "admin's long password", role="admin")
    with store.engine.begin() as connection:  # nor a disabled admin (disable_user keeps the last one enabled)
        connection.execute(update(schema.users).where(schema.users.c.name == "ada").values(disabled=True))
    with pytest.raises(ConfigError, match="no admin account"):
        server.serve(trained.model_dir, host="0.0.0.0", db_url=db, data_dir=tmp_path / "d", echo=print)
    store.close()

    lines = []
    server.serve(trained.model_dir, host="127.0.0.1", db_url=db, data_dir=tmp_path / "d", echo=lines.append)
    assert served["host"] == "127.0.0.1" and not served["app"].config["SESSION_COOKIE_SECURE"]
    assert not any("warning" in line for line in lines)


def test_web_server_warns_without_https_in_front(served, trained, db, tmp_path):
    from classifier.web import server

    store = review_store(tmp_path)
    add_user(store, "ada", "admin's long password", role="admin")
    store.close()
    lines = []
    server.serve(trained.model_dir, host="0.0.0.0", db_url=db, data_dir=tmp_path / "d", echo=lines.append)
    warning = next(line for line in lines if line.startswith("warning: listening on 0.0.0.0"))
    assert "--behind-https" in warning and served["app"].config["SESSION_COOKIE_SECURE"]

    lines.clear()
    server.serve(trained.model_dir, host="0.0.0.0", db_url=db, data_dir=tmp_path / "d", echo=lines.append,
                 behind_https=True, allowed_hosts=["triage.example"])
    assert not any(line.startswith("warning") for line in lines)


def test_web_server_cli_passes_the_review_options(monkeypatch, tmp_path):
    import classifier.web.server as server

    calls = []
    monkeypatch.setattr(server, "serve", lambda model, **options: calls.append(options))
    result = CliRunner().invoke(cli_app, ["serve", "--db", "sqlite:///x.db", "--behind-https", "--keep-days", "30"])
    assert result.exit_code == 0, result.output
    assert calls[0]["db_url"] == "sqlite:///x.db" and calls[0]["behind_https"] and calls[0]["keep_days"] == 30


def test_web_server_a_body_read_that_timed_out_reads_as_ended_afterwards():
    """Reproduction: after a 408, werkzeug drains what is left of the body; the timed-out socket stream raised
    "cannot read from timed out object" there, and the server logged its traceback for every stalled client."""
    import socket
    import time
    from types import SimpleNamespace

    from classifier.web.server import _DeadlineSocketIO

    server_end, client_end = socket.socketpair()
    with server_end, client_end:
        handler = SimpleNamespace(connection=server_end, timeout=0.05, header_deadline=None,
                                  body_started=time.monotonic(), body_bytes=0)
        stream = _DeadlineSocketIO(handler)
        client_end.sendall(b"{\"te")
        assert stream.read(4) == b"{\"te" and handler.body_bytes == 4
        with pytest.raises(TimeoutError):
            stream.read(10)  # nothing more within the timeout
        client_end.sendall(b"xts\"")  # the client goes on sending (or hangs up): the drain finds data
        assert stream.read(10) == b""
