"""Tests for classifier.cli.serve: ``tension serve`` passes its options to the web server, and says what is missing."""

from __future__ import annotations

import builtins

import pytest
from typer.testing import CliRunner

from classifier.cli import app

runner = CliRunner()


@pytest.fixture
def served(monkeypatch):
    """Capture what `tension serve` asks the web server to do, without serving."""
    import classifier.web.server as server

    calls = []
    monkeypatch.setattr(server, "serve", lambda model, **options: calls.append((model, options)))
    return calls


def test_serve_passes_the_options_to_the_server(served, tmp_path):
    result = runner.invoke(app, ["serve", "--model", "m", "--port", "8123", "--allowed-host", "tension.example",
                                 "--allowed-host", "10.0.0.5", "--data-dir", str(tmp_path), "--max-connections", "4"])

    assert result.exit_code == 0, result.output
    ((model, options),) = served
    assert str(model) == "m"
    assert options["port"] == 8123 and options["max_connections"] == 4 and options["data_dir"] == tmp_path
    assert list(options["allowed_hosts"]) == ["tension.example", "10.0.0.5"]


def test_serve_defaults_are_those_of_the_web_server(served):
    from classifier.cli import serve as cli_serve

    assert runner.invoke(app, ["serve"]).exit_code == 0
    ((model, options),) = served
    assert model is None and options["host"] == "127.0.0.1" and options["port"] == 8000
    assert options["max_upload_mb"] == cli_serve.DEFAULT_MAX_UPLOAD_MB
    assert options["time_limit"] == cli_serve.DEFAULT_TIME_LIMIT


@pytest.mark.parametrize(("args", "flag"), [
    (["--port", "0"], "'--port'"),
    (["--max-connections", "0"], "'--max-connections'"),
    (["--time-limit", "0"], "'--time-limit'"),
])
def test_serve_out_of_range_options_name_the_flag(served, args, flag):
    result = runner.invoke(app, ["serve", *args])

    assert result.exit_code == 2 and f"Invalid value for {flag}" in " ".join(result.output.replace("│", " ").split())
    assert served == []


def test_serve_without_flask_says_how_to_install_it(monkeypatch):
    real_import = builtins.__import__

    def no_flask(name, *args, **kwargs):
        if name == "classifier.web.server":
            raise ModuleNotFoundError("No module named 'flask'", name="flask")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_flask)
    result = runner.invoke(app, ["serve"])

    assert result.exit_code == 1
    assert "needs Flask" in result.output and "pip install -e '.[serve]'" in result.output
