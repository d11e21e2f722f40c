"""The triage web page and its JSON API, through Flask's test client (no server, no browser)."""

from __future__ import annotations

import io
import json
import logging
import socket

import pytest

pytest.importorskip("flask", reason="the web page needs Flask: pip install -e '.[serve]'")

from conftest import write_csv  # noqa: E402

from classifier.errors import ConfigError  # noqa: E402
from classifier.tables import AtomicTableWriter, TableReader  # noqa: E402
from classifier.web import create_app  # noqa: E402
from classifier.web.highlight import Span, highlight, term_spans  # noqa: E402
from classifier.web.jobs import JobStore  # noqa: E402

MAX_TEXTS, MAX_CHARS = 5, 2000
IMMIGRATION_TEXT = "Asylum seekers housed at the hotels were threatened, and leaflets say no more migrants."
SECRET = "Zebulon-Quartermain-4417"  # a marker that must never reach a log


@pytest.fixture(scope="module")
def app(model):
    app = create_app(model, max_upload_mb=1, max_texts=MAX_TEXTS, max_chars=MAX_CHARS)
    yield app
    app.extensions["tension"].jobs.close()


@pytest.fixture
def client(app):
    return app.test_client()


def _backlog_rows(n: int) -> list[dict[str, str]]:
    texts = [IMMIGRATION_TEXT, "The bins on Mill Lane were not collected this week.", "",
             "Graffiti on the mosque wall telling Muslims to go home.", "<b>bold</b> and a\nline break, 'quoted'"]
    return [{"reference": f"REF{i:03d}", "text": texts[i % len(texts)]} for i in range(n)]


def _upload(client, path, **fields):
    with open(path, "rb") as handle:
        data = {"file": (io.BytesIO(handle.read()), path.name), **fields}
    return client.post("/backlog", data=data, content_type="multipart/form-data")


def _read_download(response, suffix: str, tmp_path) -> list[dict[str, str]]:
    path = tmp_path / f"download{suffix}"
    path.write_bytes(response.data)
    with TableReader(path) as reader:
        return list(reader)


# -- JSON API ------------------------------------------------------------------------------------------

def test_web_api_predict_answers_labels_scores_review_reasons_status_per_text(client, model):
    texts = [IMMIGRATION_TEXT, "The bins were not collected."]
    response = client.post("/api/predict", json={"texts": texts})
    assert response.status_code == 200
    body = response.get_json()
    assert body["labels"] == model.labels and body["thresholds"] == model.thresholds
    expected = model.predict(texts)
    assert len(body["results"]) == 2
    for result, prediction in zip(body["results"], expected, strict=True):
        assert set(result) == {"labels", "scores", "needs_review", "reasons", "status"}
        assert result["labels"] == list(prediction.labels)
        assert result["scores"] == pytest.approx(prediction.scores)
        assert result["needs_review"] is prediction.needs_review
        assert result["reasons"] == prediction.reasons and result["status"] == "ok"
    assert "immigration" in body["results"][0]["labels"]


def test_web_api_predict_flags_empty_text_with_null_scores(client):
    response = client.post("/api/predict", json={"texts": ["", "   "]})
    assert response.status_code == 200
    for result in response.get_json()["results"]:
        assert result["status"] == "empty text" and result["needs_review"] is True and result["labels"] == []
        assert set(result["scores"].values()) == {None}


def test_web_api_predict_accepts_an_empty_list(client):
    response = client.post("/api/predict", json={"texts": []})
    assert response.status_code == 200 and response.get_json()["results"] == []


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ("{not json", 400, "not valid JSON"),
        (b"\xff\xfe", 400, "not valid JSON"),
        ("[\"a\"]", 400, 'Expected a JSON object with a "texts" list'),
        ('{"text": ["a"]}', 400, 'object without "texts"'),
        ('{"texts": "a report"}', 400, '"texts" must be a list of strings; got a JSON string'),
        ('{"texts": ["fine", 3]}', 400, "texts[1] is a JSON number"),
        ('{"texts": ["fine", null]}', 400, "texts[1] is a JSON null"),
        (json.dumps({"texts": ["x"] * (MAX_TEXTS + 1)}), 413, f"at most {MAX_TEXTS} per request"),
        (json.dumps({"texts": ["ok", "y" * (MAX_CHARS + 1)]}), 413, f"texts[1] has {MAX_CHARS + 1} characters"),
    ],
    ids=["not-json", "not-utf8", "not-object", "no-texts", "texts-string", "number-item", "null-item",
         "too-many", "too-long"],
)
def test_web_api_predict_rejects_bad_input_with_json_error(client, body, status, expected):
    response = client.post("/api/predict", data=body, content_type="application/json")
    assert response.status_code == status
    assert response.is_json
    error = response.get_json()
    assert expected in error["error"] and error["status"] == status


def test_web_api_predict_wants_json_content_type(client):
    response = client.post("/api/predict", data='{"texts": ["a"]}', content_type="text/plain")
    assert response.status_code == 415
    assert "application/json" in response.get_json()["error"]


def test_web_api_body_over_upload_limit_is_413_json(client):
    big = json.dumps({"texts": ["z" * 600_000, "z" * 600_000]})  # over the 1 MB limit of this app
    response = client.post("/api/predict", data=big, content_type="application/json")
    assert response.status_code == 413
    assert "larger than the limit of 1 MB" in response.get_json()["error"]


def test_web_api_other_errors_are_json(client):
    response = client.get("/api/predict")
    assert response.status_code == 405 and response.is_json


def test_web_api_openapi_parses_and_lists_predict(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.data)
    assert spec["openapi"].startswith("3.")
    assert "post" in spec["paths"]["/api/predict"]
    texts = spec["components"]["schemas"]["PredictRequest"]["properties"]["texts"]
    assert texts["maxItems"] == MAX_TEXTS and texts["items"]["maxLength"] == MAX_CHARS
    assert {"400", "413", "415"} <= set(spec["paths"]["/api/predict"]["post"]["responses"])


def test_web_api_refuses_cross_site_posts(client):
    response = client.post("/api/predict", json={"texts": ["a"]}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert client.post("/", data={"text": "a"}, headers={"Origin": "null"}).status_code == 403
    same = client.post("/api/predict", json={"texts": ["a"]}, headers={"Origin": "http://localhost"})
    assert same.status_code == 200


# -- one report ----------------------------------------------------------------------------------------

def test_web_report_page_shows_bars_thresholds_badge_and_highlights(client, model):
    response = client.post("/", data={"text": IMMIGRATION_TEXT})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    prediction = model.predict([IMMIGRATION_TEXT])[0]
    assert "immigration" in prediction.labels
    assert html.count('<svg class="bar"') == len(model.labels)
    assert html.count('class="threshold"') == len(model.labels)
    assert f"threshold {model.thresholds['immigration']:.2f}" in html
    assert '<mark class="label-immigration' in html
    assert ('id="needs-review"' in html) is prediction.needs_review
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src" not in response.headers["Content-Security-Policy"]  # no JavaScript at all


def test_web_report_page_escapes_html_in_the_report(client):
    text = '<script>alert("x")</script><img src=x onerror=alert(1)> asylum seekers at the hotel'
    html = client.post("/", data={"text": text}).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html  # in the text box and the highlighted copy


def test_web_report_page_says_when_text_is_empty_or_too_long(client):
    empty = client.post("/", data={"text": "  "}).get_data(as_text=True)
    assert "Not classified: empty text" in empty
    response = client.post("/", data={"text": "w " * MAX_CHARS})
    assert response.status_code == 413
    assert f"at most {MAX_CHARS:,}" in response.get_data(as_text=True)


def test_web_highlight_matches_reason_lemmas_to_surface_words(model):
    from classifier.pipeline import PREPROCESS

    lemmatise = model.pipeline.named_steps[PREPROCESS].transform
    text = "Asylum Seekers moved into the HOTELS; they want more. Asylum for seekers? Hotel-workers threatened"
    reasons = {"immigration": ["asylum seeker", "hotel", "much"], "misinformation": ["threaten", "hotel"]}
    spans = term_spans(text, reasons, lemmatise, ["immigration", "misinformation"])
    found = [(text[span.start:span.end], span.labels) for span in spans]
    assert found == [
        ("Asylum Seekers", ("immigration",)),
        ("HOTELS", ("immigration", "misinformation")),
        ("more", ("immigration",)),  # the lookup lemmatiser turns "more" into "much"
        ("Hotel", ("immigration", "misinformation")),
        ("threatened", ("misinformation",)),
    ]  # "Asylum for seekers": not consecutive, so the bigram does not match


def test_web_highlight_escapes_everything_outside_and_inside_marks():
    html = str(highlight('a <i>x</i> "b"', [Span(2, 5, ("odd <label>",))]))
    assert html == 'a <mark class="label-odd-label" title="odd &lt;label&gt;">&lt;i&gt;</mark>x&lt;/i&gt; &#34;b&#34;'


# -- backlog -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx", ".jsonl"])
def test_web_backlog_labels_every_row_and_downloads_both_files(client, tmp_path, suffix):
    rows = _backlog_rows(12)
    path = tmp_path / f"week 12{suffix}"
    with AtomicTableWriter(path, ["reference", "text"]) as writer:
        writer.write_rows(rows)
        writer.commit()
    response = _upload(client, path)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert 'id="rows-in">12<' in html and 'id="rows-out">12<' in html and "immigration" in html

    job_url = response.headers["Location"]
    labelled = client.get(f"{job_url}/labelled")
    assert labelled.status_code == 200
    assert f'filename=week_12_labelled{suffix}' in labelled.headers["Content-Disposition"]
    out = _read_download(labelled, suffix, tmp_path)
    assert [row["reference"] for row in out] == [row["reference"] for row in rows]
    assert [row["text"] for row in out] == [row["text"] for row in rows]
    assert [row["status"] for row in out].count("empty text") == 2

    review = _read_download(client.get(f"{job_url}/review"), suffix, tmp_path)
    assert [row["reference"] for row in review] == [row["reference"] for row in out if row["needs_review"] == "true"]
    assert f'id="needs-review-count">{len(review)}<' in html


def test_web_backlog_without_text_column_lists_the_columns(client, tmp_path):
    path = write_csv(tmp_path / "export.csv", [{"ref": "1", "notes": "hotel"}])
    response = _upload(client, path)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "&#39;ref&#39;, &#39;notes&#39;" in html
    assert "Text column" in html and "--text-column" not in html
    assert "tension-web-" not in html  # no server paths in messages

    chosen = _upload(client, path, text_column="notes")
    assert chosen.status_code == 303


def test_web_backlog_refuses_other_file_types_and_no_file(client, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("text\nhello\n")
    response = _upload(client, path)
    assert response.status_code == 400 and ".csv" in response.get_data(as_text=True)
    assert client.post("/backlog", data={}, content_type="multipart/form-data").status_code == 400


def test_web_backlog_upload_over_limit_is_413_page(model, tmp_path):
    small = create_app(model, max_upload_mb=0.01)
    try:
        path = write_csv(tmp_path / "big.csv", [{"text": "x" * 100} for _ in range(200)])  # ~20 KB > 10 KB
        response = _upload(small.test_client(), path)
        assert response.status_code == 413
        assert "larger than the limit of 0.01 MB" in response.get_data(as_text=True)
        assert list(small.extensions["tension"].jobs.root.iterdir()) == []
    finally:
        small.extensions["tension"].jobs.close()


def test_web_backlog_delete_removes_files_and_unknown_jobs_are_404(client, app, tmp_path):
    path = write_csv(tmp_path / "b.csv", _backlog_rows(3))
    job_url = _upload(client, path).headers["Location"]
    job_id = job_url.rsplit("/", 1)[1]
    folder = app.extensions["tension"].jobs.root / job_id
    assert folder.is_dir()
    assert client.post(f"{job_url}/delete").status_code == 200
    assert not folder.exists()
    assert client.get(f"{job_url}/labelled").status_code == 404
    assert client.get("/backlog/not-a-job/labelled").status_code == 404
    assert "expired or been deleted" in client.get(job_url).get_data(as_text=True)


def test_web_jobs_expire_and_take_their_files(tmp_path):
    from classifier.web.jobs import Job

    store = JobStore(keep_seconds=0)
    job_id, folder = store.new_folder()
    (folder / "x.csv").write_text("text\n")
    store.add(Job(job_id, folder, "x.csv", folder / "x.csv", folder / "x.csv", summary=None))
    assert store.get(job_id) is None and not folder.exists()
    root = store.root
    store.close()
    assert not root.exists()


def test_web_never_logs_report_text(client, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/", data={"text": f"{SECRET} asylum seekers"})
    client.post("/api/predict", json={"texts": [SECRET]})
    _upload(client, write_csv(tmp_path / "s.csv", [{"text": SECRET}]))
    _upload(client, write_csv(tmp_path / "t.csv", [{"nothing": SECRET}]))
    assert SECRET not in caplog.text


def test_web_create_app_rejects_bad_limits(model):
    with pytest.raises(ConfigError, match="'max_texts' parameter of create_app must be a positive number"):
        create_app(model, max_texts=0)


# -- tension serve -------------------------------------------------------------------------------------

def test_web_serve_cli_reports_a_taken_port(trained):
    from typer.testing import CliRunner

    from classifier.cli import app as cli_app

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli_app, ["serve", "--model", str(trained.model_dir), "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_web_serve_warns_beyond_this_machine_and_cleans_up(trained, monkeypatch):
    import werkzeug.serving

    from classifier.web import app as web_app
    from classifier.web import server

    made = {}

    class FakeServer:
        def serve_forever(self):
            raise KeyboardInterrupt

        def server_close(self):
            made["closed"] = True

    def fake_make_server(host, port, app, threaded):
        made.update(host=host, port=port, threaded=threaded, root=app.extensions["tension"].jobs.root)
        return FakeServer()

    monkeypatch.setattr(werkzeug.serving, "make_server", fake_make_server)
    lines: list[str] = []
    server.serve(trained.model_dir, host="0.0.0.0", port=8123, echo=lines.append)
    output = "\n".join(lines)
    assert "http://0.0.0.0:8123/" in output and "authentication" in output and "stopped" in output
    assert made["threaded"] and made["closed"] and not made["root"].exists()
    lines.clear()
    server.serve(trained.model_dir, echo=lines.append)
    assert made["host"] == "127.0.0.1" and made["port"] == 8000
    assert "authentication" not in "\n".join(lines)

    from classifier import cli_serve

    assert cli_serve.DEFAULT_MAX_UPLOAD_MB == web_app.DEFAULT_MAX_UPLOAD_MB


def test_web_serve_help_lists_options():
    from typer.testing import CliRunner

    from classifier.cli import app as cli_app

    result = CliRunner().invoke(cli_app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--model", "--host", "--port", "--max-upload-mb"):
        assert option in result.output
