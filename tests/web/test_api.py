"""The triage web page and its JSON API, through Flask's test client (no browser); the server's timeouts
through real sockets on the loopback interface."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import stat
import threading
import time

import pytest

pytest.importorskip("flask", reason="the web page needs Flask: pip install -e '.[serve]'")

from classifier.errors import ConfigError  # noqa: E402
from classifier.io.tables import AtomicTableWriter, TableReader  # noqa: E402
from classifier.model.label_names import display_name  # noqa: E402
from classifier.web import create_app  # noqa: E402
from classifier.web.highlight import Span, highlight, label_spans  # noqa: E402
from classifier.web.jobs import JobStore  # noqa: E402
from tests.helpers import wait_for_job, write_csv  # noqa: E402

MAX_TEXTS, MAX_CHARS = 5, 2000
IMMIGRATION_TEXT = "Protesters outside the asylum hotel shouted at the asylum seekers to go back on the boats."
SECRET = "Zebulon-Quartermain-4417"  # a marker that must never reach a log


@pytest.fixture(scope="module")
def app(model, tmp_path_factory):
    app = create_app(model, max_upload_mb=1, max_texts=MAX_TEXTS, max_chars=MAX_CHARS,
                     data_dir=tmp_path_factory.mktemp("serve"))
    yield app
    app.extensions["tension"].jobs.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_app(model, tmp_path):
    """Build apps with their own data folders (closed at the end of the test)."""
    made = []

    def make(the_model=None, **options):
        options.setdefault("data_dir", tmp_path / f"serve{len(made)}")
        made.append(create_app(the_model or model, **options))
        return made[-1]

    yield make
    for app in made:
        app.extensions["tension"].jobs.close()


class SlowModel:
    """The real model, but each text starting with "SLOW" that the model would preprocess (not over
    ``max_chars``) takes `seconds`: a stand-in for a pathological input. Calls and slow texts are counted."""

    def __init__(self, model, seconds=0.2):
        self.model, self.seconds, self.calls, self.slow_texts = model, seconds, 0, 0
        self.metadata, self.pipeline, self.review_band = model.metadata, model.pipeline, model.review_band
        self.labels, self.thresholds = model.labels, model.thresholds

    def predict(self, texts, **options):
        self.calls += 1
        limit = options.get("max_chars")
        texts = list(texts)
        slow = [isinstance(t, str) and t.startswith("SLOW") and (limit is None or len(t) <= limit) for t in texts]
        self.slow_texts += sum(slow)
        time.sleep(self.seconds * sum(slow))
        return self.model.predict(["bins" if is_slow else t for is_slow, t in zip(slow, texts, strict=True)],
                                  **options)


def _job_url(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def _upload_and_wait(client, path, **fields):
    """Upload a file, wait for its job, and return (job URL, the job page's response)."""
    job_url = _job_url(_upload(client, path, **fields))
    wait_for_job(client, job_url)
    return job_url, client.get(job_url)


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
    response.close()  # the file it streams from: a WSGI server closes it after sending, the test client does not
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
        assert set(result) == {"labels", "scores", "needs_review", "reasons", "status", "review_labels",
                               "reason_spans", "unfamiliar"}
        assert result["unfamiliar"] is prediction.unfamiliar is False
        assert result["reason_spans"] == {label: [list(span) for span in spans]
                                          for label, spans in prediction.reason_spans.items()}
        assert result["review_labels"] == list(prediction.review_labels)
        assert result["labels"] == list(prediction.labels)
        assert result["scores"] == pytest.approx(prediction.scores)
        assert result["needs_review"] is prediction.needs_review
        assert result["reasons"] == prediction.reasons and result["status"] == "ok"
    assert "immigration" in body["results"][0]["labels"]
    assert body["label_names"] == {label: display_name(label) for label in model.labels}
    assert body["label_names"]["immigration"] == "Immigration"


def test_web_api_predict_says_which_labels_need_review(make_app, model):
    wide = type(model)(model.pipeline, model.metadata, review_band=0.99)
    client = make_app(wide).test_client()
    body = client.post("/api/predict", json={"texts": [IMMIGRATION_TEXT, ""]}).get_json()
    first, empty = body["results"]
    assert first["needs_review"] and first["review_labels"] == list(wide.predict([IMMIGRATION_TEXT])[0].review_labels)
    assert set(first["review_labels"]) <= set(model.labels) and first["review_labels"]
    assert empty["needs_review"] and empty["review_labels"] == []


def test_web_api_help_is_a_page_for_people_that_links_the_json_file(client, model):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/api"' in home and 'href="/api/openapi.json"' not in home  # the nav opens a page, not JSON
    response = client.get("/api")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "POST /api/predict" in html and "review_labels" in html and "label_names" in html
    assert f"At most {MAX_TEXTS} texts per request" in " ".join(html.split())
    for label in model.labels:
        assert f"<code>{label}</code>" in html and display_name(label) in html
    assert 'href="/api/openapi.json" type="application/json" download' in html and "a JSON file" in html


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
        ("[" * 100_000 + "]" * 100_000, 400, "nested too deeply"),
        ('{"texts": ' + "[" * 100_000 + "]" * 100_000 + "}", 400, "nested too deeply"),
        ('{"texts": ["fine", "\\ud800 lone"]}', 400, "texts[1] contains an unpaired UTF-16 surrogate"),
        ('{"texts": [' + "9" * 5000 + "]}", 400, "a number too long to read"),
    ],
    ids=["not-json", "not-utf8", "not-object", "no-texts", "texts-string", "number-item", "null-item",
         "too-many", "nested-100000", "nested-in-texts", "lone-surrogate", "huge-number"],
)
def test_web_api_predict_rejects_bad_input_with_json_error(client, body, status, expected):
    response = client.post("/api/predict", data=body, content_type="application/json")
    assert response.status_code == status
    assert response.is_json
    error = response.get_json()
    assert expected in error["error"] and error["status"] == status


def test_web_api_text_over_the_length_cap_is_not_classified_and_never_preprocessed(make_app, model):
    slow = SlowModel(model)
    app = make_app(slow, max_texts=MAX_TEXTS, max_chars=MAX_CHARS)
    long_text = "SLOW " + "y" * MAX_CHARS  # would take the slow path if it reached the model's preprocessing
    response = app.test_client().post("/api/predict", json={"texts": ["bins", long_text]})
    assert response.status_code == 200
    first, second = response.get_json()["results"]
    assert first["status"] == "ok" and second["status"] == "text too long" and second["needs_review"]
    assert set(second["scores"].values()) == {None}
    assert slow.slow_texts == 0 and long_text not in response.get_data(as_text=True)


def test_web_api_slow_request_gets_503_at_the_time_limit_and_does_not_hold_up_others(make_app, model):
    # Reproduction: eight 20,000-character texts took 19 s while a normal request waited behind them.
    slow = SlowModel(model, seconds=0.5)
    app = make_app(slow, max_texts=10, time_limit=3.0)
    app.extensions["tension"].shared.turn_texts = 1  # one text per turn, so the test can count turns
    slow_answer = {}

    def send_slow():
        started = time.monotonic()
        response = app.test_client().post("/api/predict", json={"texts": [f"SLOW {i}" for i in range(8)]})
        slow_answer.update(response=response, seconds=time.monotonic() - started)

    thread = threading.Thread(target=send_slow)
    thread.start()
    time.sleep(0.6)  # the slow request is labelling
    started = time.monotonic()
    normal = app.test_client().post("/api/predict", json={"texts": [IMMIGRATION_TEXT]})
    waited = time.monotonic() - started
    thread.join(10)

    assert normal.status_code == 200 and waited < 1.5  # about one turn of the slow request, not all of it
    response = slow_answer["response"]
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "within the time limit of 3 seconds" in response.get_json()["error"]
    assert slow_answer["seconds"] < 3.0 + 0.5 + 0.5  # stopped at the limit (plus the turn under way), not at 4 s


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
    documented = set(spec["paths"]["/api/predict"]["post"]["responses"])
    assert {"400", "403", "405", "408", "413", "415", "500", "503"} <= documented
    # The errors a test can provoke here answer as documented: JSON, in the Error schema.
    for response in (client.get("/api/predict"),
                     client.post("/api/predict", json={"texts": ["a"]}, headers={"Origin": "https://evil.example"}),
                     client.post("/api/predict", data="texts", content_type="text/plain")):
        assert str(response.status_code) in documented, response.status_code
        assert set(response.get_json()) == {"error", "status"}
    assert "text too long" in spec["components"]["schemas"]["Result"]["properties"]["status"]["enum"]


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
    assert ('id="review-reason"' in html) is prediction.needs_review
    # Human names on the page, machine names in titles; the highlights say their label in text.
    assert '<span class="chip colour-' in html and 'title="immigration">Immigration</span>' in html
    assert ">immigration<" not in html
    assert '<span class="visually-hidden"> (Immigration' in html and 'class="tag" aria-hidden="true"' in html
    assert 'id="legend"' in html
    assert 'id="score-help"' in html and "Threshold</strong>: the score a label needs" in html
    # The answer takes the focus when the page loads (no script), and is a live region.
    assert 'id="result" tabindex="-1" autofocus' in html and 'role="status" aria-live="polite"' in html
    assert 'class="table-scroll"' in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src" not in response.headers["Content-Security-Policy"]  # no JavaScript at all


def test_web_report_page_says_which_label_needs_review_with_score_and_threshold(make_app, model):
    wide = type(model)(model.pipeline, model.metadata, review_band=0.99)
    html = make_app(wide).test_client().post("/", data={"text": IMMIGRATION_TEXT}).get_data(as_text=True)
    prediction = wide.predict([IMMIGRATION_TEXT])[0]
    assert prediction.review_labels
    assert 'id="needs-review"' in html and "<strong>Needs review:</strong>" in html
    for label in prediction.review_labels:
        score, threshold = prediction.scores[label], model.thresholds[label]
        assert f"{display_name(label)} is {score:.2f}, close to its threshold {threshold:.2f}" in html


def test_web_report_page_says_a_report_in_another_language_needs_review(client):
    from classifier.model.label_names import UNFAMILIAR_REASON

    html = client.post("/", data={"text": "Ausländer raus! Wir brennen die Moschee nieder"}).get_data(as_text=True)
    assert 'id="needs-review"' in html and "Few of its words are known to the model" in html
    assert UNFAMILIAR_REASON.split(":")[1].strip() in html


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


def test_web_highlight_marks_each_stretch_with_every_label_whose_reasons_cover_it():
    text = "Asylum Seekers moved into the HOTELS; hotel-workers threatened"
    reason_spans = {"misinformation": [(30, 36), (52, 62)], "immigration": [(0, 14), (7, 14), (30, 36), (38, 43)]}
    spans = label_spans(text, reason_spans, ["immigration", "misinformation"])
    assert [(text[span.start:span.end], span.labels) for span in spans] == [
        ("Asylum Seekers", ("immigration",)),  # overlapping reasons of one label make one mark
        ("HOTELS", ("immigration", "misinformation")),
        ("hotel", ("immigration",)),
        ("threatened", ("misinformation",)),
    ]


def test_web_highlight_splits_where_labels_change_and_never_marks_spaces():
    text = "go  home now"
    spans = label_spans(text, {"b": [(4, 8)], "a": [(0, 8), (9, 99)]}, ["a", "b"])
    assert [(text[span.start:span.end], span.labels) for span in spans] == [
        ("go", ("a",)), ("home", ("a", "b")), ("now", ("a",))]
    assert label_spans(text, {"a": [(2, 4)], "b": []}) == []


def test_web_report_page_highlights_the_words_behind_the_labels_as_written(client, model):
    text = "Third, a leaflet saying asylum seekers at the hotel get free houses, and graffiti sprayed on the mosque"
    [prediction] = model.predict([text])
    assert prediction.labels
    html = client.post("/", data={"text": text}).get_data(as_text=True)
    marked = re.findall(r'<mark class="[^"]*" title="[^"]*">(.*?)<span class="tag"', html)
    assert marked and all(word in text for word in marked)
    assert "Third" not in marked and "Third, a" not in marked
    cells = re.findall(r'<td class="terms">(.*?)</td>', html)
    assert any(cells) and all(reason in text for cell in cells if cell for reason in cell.split(", "))
    assert "xxnum" not in html and "graffito" not in html


def test_web_highlight_escapes_everything_outside_and_inside_marks():
    html = str(highlight('a <i>x</i> "b"', [Span(2, 5, ("odd <label>",))]))
    assert html == ('a <mark class="label-odd-label" title="Odd &lt;label&gt;">&lt;i&gt;<span class="visually-hidden">'
                    ' (Odd &lt;label&gt;)</span></mark>x&lt;/i&gt; &#34;b&#34;')


def test_web_highlight_names_every_label_of_a_term_in_text_not_by_colour_alone():
    spans = [Span(0, 5, ("race_hate", "israel_palestine"))]
    html = str(highlight("hotel", spans, {"race_hate": "colour-0"}, {"race_hate": "1", "israel_palestine": "4"}))
    assert html == ('<mark class="label-race_hate label-israel_palestine colour-0" title="Race hate, Israel/Palestine">'
                    'hotel<span class="tag" aria-hidden="true">1</span><span class="tag" aria-hidden="true">4</span>'
                    '<span class="visually-hidden"> (Race hate, Israel/Palestine)</span></mark>')


# -- backlog -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx", ".jsonl"])
def test_web_backlog_labels_every_row_and_downloads_both_files(client, tmp_path, suffix):
    rows = _backlog_rows(12)
    path = tmp_path / f"week 12{suffix}"
    with AtomicTableWriter(path, ["reference", "text"]) as writer:
        writer.write_rows(rows)
        writer.commit()
    job_url, page = _upload_and_wait(client, path)
    html = page.get_data(as_text=True)
    assert 'id="rows-in">12<' in html and 'id="rows-out">12<' in html and "immigration" in html
    assert client.get(f"{job_url}/status").get_json() == {
        "id": job_url.rsplit("/", 1)[1], "state": "done", "rows_done": 12, "rows_total": 12, "error": None}

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
    assert 'id="test-review">the review flag held' in html  # what the flag caught on the model's test split


def test_web_backlog_without_text_column_lists_the_columns(client, tmp_path):
    path = write_csv(tmp_path / "export.csv", [{"ref": "1", "notes": "hotel"}])
    job_url, response = _upload_and_wait(client, path)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "&#39;ref&#39;, &#39;notes&#39;" in html
    assert "Text column" in html and "--text-column" not in html
    assert "/jobs/" not in html and "upload.csv" not in html  # no server paths in messages
    assert client.get(f"{job_url}/status").get_json()["state"] == "failed"

    _, chosen = _upload_and_wait(client, path, text_column="notes")
    assert chosen.status_code == 200


def test_web_backlog_refuses_other_file_types_and_no_file(client, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("text\nhello\n")
    response = _upload(client, path)
    assert response.status_code == 400 and ".csv" in response.get_data(as_text=True)
    assert client.post("/backlog", data={}, content_type="multipart/form-data").status_code == 400


def test_web_backlog_upload_over_limit_is_413_page(make_app, tmp_path):
    small = make_app(max_upload_mb=0.01)
    path = write_csv(tmp_path / "big.csv", [{"text": "x" * 100} for _ in range(200)])  # ~20 KB > 10 KB
    response = _upload(small.test_client(), path)
    assert response.status_code == 413
    assert "larger than the limit of 0.01 MB" in response.get_data(as_text=True)
    assert list(small.extensions["tension"].jobs.root.iterdir()) == []


def test_web_backlog_delete_removes_files_and_unknown_jobs_are_404(client, app, tmp_path):
    path = write_csv(tmp_path / "b.csv", _backlog_rows(3))
    job_url, _ = _upload_and_wait(client, path)
    job_id = job_url.rsplit("/", 1)[1]
    folder = app.extensions["tension"].jobs.root / job_id
    assert folder.is_dir()
    assert client.post(f"{job_url}/delete").status_code == 200
    assert not folder.exists()
    assert client.get(f"{job_url}/labelled").status_code == 404
    assert client.get("/backlog/not-a-job/labelled").status_code == 404
    assert "expired or been deleted" in client.get(job_url).get_data(as_text=True)


def test_web_jobs_expire_and_take_their_files(tmp_path):
    store = JobStore(tmp_path / "data", keep_seconds=0, run=lambda job: job.labelled.write_text("done\n"))
    job = store.new_job("x.csv", ".csv", io.BytesIO(b"text\nhello\n"))
    deadline = time.monotonic() + 10
    while job.active and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.state == "done" and not job.upload.exists() and job.labelled.exists()
    assert store.get(job.id) is None and not job.folder.exists()
    root = store.root
    store.close()
    assert list(root.iterdir()) == [] and not (tmp_path / "data" / "serve.lock").exists()


def test_web_never_logs_report_text(client, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/", data={"text": f"{SECRET} asylum seekers"})
    client.post("/api/predict", json={"texts": [SECRET]})
    _upload_and_wait(client, write_csv(tmp_path / "s.csv", [{"text": SECRET}]))
    _upload_and_wait(client, write_csv(tmp_path / "t.csv", [{"nothing": SECRET}]))
    assert SECRET not in caplog.text


def test_web_create_app_rejects_bad_limits(model):
    with pytest.raises(ConfigError, match="'max_texts' parameter of create_app must be a positive number"):
        create_app(model, max_texts=0)


# -- tension serve -------------------------------------------------------------------------------------

def test_web_serve_cli_reports_a_taken_port(trained, tmp_path):
    from typer.testing import CliRunner

    from classifier.cli import app as cli_app

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli_app, ["serve", "--model", str(trained.model_dir), "--port", str(port),
                                              "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert not (tmp_path / "data" / "serve.lock").exists()  # released although the server never started
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_web_serve_warns_beyond_this_machine_and_cleans_up(trained, monkeypatch, tmp_path):
    from classifier.web import app as web_app
    from classifier.web import server

    made = {}

    class FakeServer:
        def serve_forever(self):
            raise KeyboardInterrupt

        def server_close(self):
            made["closed"] = True

    def fake_make_server(host, port, app, **bounds):
        jobs = app.extensions["tension"].jobs
        (jobs.root / "left-over").mkdir()  # a job folder in use when the server stops
        made.update(host=host, port=port, bounds=bounds, jobs=jobs, allowed=app.extensions["tension"].allowed_hosts)
        return FakeServer()

    monkeypatch.setattr(server, "make_server", fake_make_server)
    from classifier.review.users import add_user
    from tests.helpers import review_db_url, review_store

    store = review_store(tmp_path)  # beyond this machine only with an admin account
    add_user(store, "ada", "admin's long password", role="admin")
    store.close()
    db = review_db_url(tmp_path)
    lines: list[str] = []
    server.serve(trained.model_dir, host="0.0.0.0", port=8123, echo=lines.append, data_dir=tmp_path / "d",
                 read_timeout=3, max_connections=4, db_url=db)
    output = "\n".join(lines)
    assert "http://0.0.0.0:8123/" in output and "--behind-https" in output and "stopped" in output
    assert "--allowed-host" in output and str(tmp_path / "d") in output
    assert made["bounds"] == {"read_timeout": 3, "max_connections": 4} and made["closed"]
    assert list(made["jobs"].root.iterdir()) == [] and not (tmp_path / "d" / "serve.lock").exists()
    assert "0.0.0.0" not in made["allowed"]  # a wildcard address is no host name
    lines.clear()
    server.serve(trained.model_dir, echo=lines.append, data_dir=tmp_path / "d", allowed_hosts=["Triage.Example"],
                 db_url=db)
    assert made["host"] == "127.0.0.1" and made["port"] == 8000 and "triage.example" in made["allowed"]
    assert "--behind-https" not in "\n".join(lines)

    from classifier.cli import serve as cli_serve

    assert cli_serve.DEFAULT_MAX_UPLOAD_MB == web_app.DEFAULT_MAX_UPLOAD_MB
    assert cli_serve.DEFAULT_TIME_LIMIT == web_app.DEFAULT_TIME_LIMIT
    assert (cli_serve.DEFAULT_READ_TIMEOUT, cli_serve.DEFAULT_MAX_CONNECTIONS) == (
        server.DEFAULT_READ_TIMEOUT, server.DEFAULT_MAX_CONNECTIONS)


def test_web_serve_help_lists_options():
    from typer.testing import CliRunner

    from classifier.cli import app as cli_app

    result = CliRunner().invoke(cli_app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--model", "--host", "--port", "--max-upload-mb", "--allowed-host", "--data-dir", "--time-limit",
                   "--read-timeout", "--max-connections"):
        assert option in result.output


# -- backlog jobs in the background ---------------------------------------------------------------------

def test_web_backlog_labels_in_the_background_with_progress_while_the_api_answers(make_app, model, tmp_path,
                                                                                    monkeypatch):
    # Reproduction: an upload was labelled on the request thread under the one lock, blocking the API.
    from classifier.web import app as web_app

    monkeypatch.setattr(web_app, "JOB_CHUNK_ROWS", 20)
    slow = SlowModel(model, seconds=0.01)
    app = make_app(slow)
    client = app.test_client()
    path = write_csv(tmp_path / "week.csv", [{"text": f"SLOW report {i}"} for i in range(200)])  # ~2 s of work
    started = time.monotonic()
    job_url = _job_url(_upload(client, path))
    assert time.monotonic() - started < 1.5  # answered before labelling

    seen = []
    while (status := client.get(f"{job_url}/status").get_json())["state"] in ("queued", "running"):
        seen.append(status)
        page = client.get(job_url)
        html = page.get_data(as_text=True)
        # It follows the job with progress.js (a reload every second restarted screen readers); without scripts,
        # it reloads itself.
        assert page.status_code == 200 and "progress.js" in html and "script-src 'self'" in page.headers.get(
            "Content-Security-Policy", "")
        assert '<noscript><meta http-equiv="refresh"' in html and f'data-status-url="{job_url}/status"' in html
        asked = time.monotonic()
        answer = client.post("/api/predict", json={"texts": [IMMIGRATION_TEXT]})
        assert answer.status_code == 200 and time.monotonic() - asked < 2.0  # not behind the whole file
        if client.get(f"{job_url}/labelled").status_code != 409:  # only once the job has finished meanwhile
            assert client.get(f"{job_url}/status").get_json()["state"] == "done"
        time.sleep(0.1)
    assert status["state"] == "done" and status["rows_done"] == status["rows_total"] == 200
    running = [s for s in seen if s["rows_total"]]
    assert running and any(0 < s["rows_done"] < 200 for s in running)
    html = client.get(job_url).get_data(as_text=True)
    assert "refresh" not in html and 'id="download-labelled"' in html and 'id="rows-out">200<' in html
    assert len(_read_download(client.get(f"{job_url}/labelled"), ".csv", tmp_path)) == 200


def test_web_backlog_reader_limits_are_a_clear_400(client, tmp_path):
    path = tmp_path / "stray_quote.csv"  # a stray quote swallowing the rows after it: the reader's cap
    path.write_text("id,text\n1,\"opening quote " + "\nnext row" * 150 + "\n", "utf-8")
    _, response = _upload_and_wait(client, path)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="error"' in html and "stray_quote.csv" in html and "next row" not in html


def test_web_backlog_delete_cancels_a_running_job(make_app, model, tmp_path):
    slow = SlowModel(model, seconds=0.01)  # 0.64 s a turn of 64 texts; 7 turns without the cancel
    app = make_app(slow)
    client = app.test_client()
    job_url = _job_url(_upload(client, write_csv(tmp_path / "long.csv", [{"text": f"SLOW {i}"} for i in range(400)])))
    job = app.extensions["tension"].jobs.get(job_url.rsplit("/", 1)[1])
    while job.rows_total is None:
        time.sleep(0.02)
    assert client.post(f"{job_url}/delete").status_code == 200
    deadline = time.monotonic() + 10
    while job.folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not job.folder.exists() and client.get(job_url).status_code == 404
    assert slow.calls < 400 / 64  # stopped at the next turn, not after the whole file


def test_web_backlog_a_large_upload_is_labelled_by_worker_processes_like_the_cli(make_app, model, tmp_path,
                                                                                 monkeypatch):
    import classifier.labelling.batch as batch

    used = []
    real_label_file = batch.label_file

    def watching_label_file(*args, **kwargs):
        used.append(kwargs["jobs"])
        return real_label_file(*args, **kwargs)

    monkeypatch.setattr(batch, "label_file", watching_label_file)
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 1)  # "large" from the first byte, so the file stays small
    monkeypatch.setenv("TENSION_JOBS", "2")
    path = write_csv(tmp_path / "backlog.csv", _backlog_rows(40))
    client = make_app().test_client()
    job_url, page = _upload_and_wait(client, path)
    assert used == [2] and page.status_code == 200
    served = _read_download(client.get(f"{job_url}/labelled"), ".csv", tmp_path)
    real_label_file(path, tmp_path / "cli.csv", model=model, jobs=1)
    with TableReader(tmp_path / "cli.csv") as reader:
        assert served == list(reader)  # the same rows, labels, scores and reasons as one process gives

    # Deleted while it runs on workers: the workers are stopped and nothing of it is left on disk.
    job_url = _job_url(_upload(client, write_csv(tmp_path / "more.csv", _backlog_rows(400))))
    app = client.application
    job = app.extensions["tension"].jobs.get(job_url.rsplit("/", 1)[1])
    assert client.post(f"{job_url}/delete").status_code == 200
    deadline = time.monotonic() + 30
    while job.folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not job.folder.exists() and client.get(job_url).status_code == 404


# -- personal data on disk: one private data folder, swept --------------------------------------------------

def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_web_data_folder_is_private_and_files_holding_reports_are_0600(make_app, tmp_path, monkeypatch):
    import classifier.labelling.batch

    modes = {}

    real_label_file = classifier.labelling.batch.label_file

    def watching_label_file(input_path, *args, **kwargs):
        modes["upload"] = _mode(input_path)
        return real_label_file(input_path, *args, **kwargs)

    monkeypatch.setattr(classifier.labelling.batch, "label_file", watching_label_file)
    app = make_app(data_dir=tmp_path / "data")
    client = app.test_client()
    job_url, _ = _upload_and_wait(client, write_csv(tmp_path / "b.csv", _backlog_rows(5)))
    job = app.extensions["tension"].jobs.get(job_url.rsplit("/", 1)[1])
    assert modes["upload"] == 0o600 and not job.upload.exists()
    assert _mode(tmp_path / "data") == _mode(job.folder.parent) == _mode(job.folder) == 0o700
    assert _mode(job.labelled) == _mode(job.review) == 0o600
    assert job.folder.parent == tmp_path / "data" / "jobs"  # fixed per data folder, not a new temp folder


def test_web_job_files_of_a_killed_server_are_deleted_at_start(make_app, tmp_path):
    import subprocess
    import sys

    data = tmp_path / "data"
    (data / "jobs" / "AbCdEfGhIjKlMnOpQrStUv").mkdir(parents=True)
    (data / "jobs" / "AbCdEfGhIjKlMnOpQrStUv" / "week_labelled.csv").write_text(f"text\n{SECRET}\n")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (data / "serve.lock").write_text(dead.stdout)  # the killed server's lock
    app = make_app(data_dir=data)
    assert list((data / "jobs").iterdir()) == []
    assert (data / "serve.lock").read_text().strip() == str(os.getpid())
    with pytest.raises(ConfigError, match="Another tension serve .* is using the data folder"):
        create_app(app.extensions["tension"].model, data_dir=data)
    app.extensions["tension"].jobs.close()
    assert not (data / "serve.lock").exists()


def test_web_expired_results_are_deleted_by_the_timer_without_a_request(make_app, tmp_path):
    app = make_app(keep_results_minutes=2 / 60)  # two seconds; the timer runs every 0.5 s
    client = app.test_client()
    job_url, _ = _upload_and_wait(client, write_csv(tmp_path / "b.csv", _backlog_rows(3)))
    folder = app.extensions["tension"].jobs.root / job_url.rsplit("/", 1)[1]
    assert folder.is_dir()
    deadline = time.monotonic() + 10
    while folder.exists() and time.monotonic() < deadline:  # no request meanwhile
        time.sleep(0.1)
    assert not folder.exists()


# -- unexpected errors: a generic answer, the type in the log, never the text -------------------------------

def _xlsx_with_text_in_a_number_cell(path, text: str):
    """An XLSX whose cell B2 says it is a number (t="n") but holds text, as some exporters write."""
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["id", "text"])
    book.active.append([1, 12345])
    book.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = next(name for name in parts if name.startswith("xl/worksheets/sheet"))
    parts[sheet] = parts[sheet].replace(b"<v>12345</v>", f"<v>{text}</v>".encode())
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def test_web_backlog_text_in_a_number_cell_never_reaches_the_log(client, tmp_path, caplog):
    # Reproduction: openpyxl's ValueError quoted the cell (report text) in the server log, and the page was a 500.
    caplog.set_level(logging.DEBUG)
    path = _xlsx_with_text_in_a_number_cell(tmp_path / "export.xlsx", f"{SECRET} said the hotel")
    job_url, response = _upload_and_wait(client, path)
    html = response.get_data(as_text=True)
    assert SECRET not in caplog.text and SECRET not in html
    if response.status_code == 500:  # the reader did not recognise it: the generic answer
        assert "error in the server" in html and job_url.rsplit("/", 1)[1] in html
    else:
        assert response.status_code in (200, 400)


def test_web_backlog_unexpected_error_is_logged_by_type_and_job_id_only(client, tmp_path, caplog, monkeypatch):
    import classifier.labelling.batch

    def broken(*args, **kwargs):
        raise ValueError(f"could not convert {SECRET!r} to float")

    monkeypatch.setattr(classifier.labelling.batch, "label_file", broken)
    caplog.set_level(logging.DEBUG)
    job_url, response = _upload_and_wait(client, write_csv(tmp_path / "b.csv", _backlog_rows(2)))
    job_id = job_url.rsplit("/", 1)[1]
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and job_id in html and "ValueError" in html and SECRET not in html
    assert f"backlog job {job_id} failed with ValueError" in caplog.text and SECRET not in caplog.text
    assert client.get(f"{job_url}/status").get_json()["state"] == "failed"


def test_web_unexpected_error_in_a_request_is_a_generic_500(make_app, caplog, monkeypatch):
    app = make_app()

    def broken(*args, **kwargs):
        raise RuntimeError(f"tokeniser choked on {SECRET}")

    monkeypatch.setattr(app.extensions["tension"].shared, "predict", broken)
    caplog.set_level(logging.DEBUG)
    response = app.test_client().post("/api/predict", json={"texts": [SECRET]})
    assert response.status_code == 500 and SECRET not in response.get_data(as_text=True)
    assert "error id" in response.get_json()["error"]
    assert "failed with RuntimeError" in caplog.text and SECRET not in caplog.text


# -- Host header (DNS rebinding) ------------------------------------------------------------------------

def test_web_refuses_requests_addressed_to_another_host(client):
    # Reproduction: Host: evil.example with a matching Origin passed the cross-site check.
    headers = {"Host": "evil.example", "Origin": "http://evil.example"}
    response = client.post("/api/predict", json={"texts": ["a"]}, headers=headers)
    assert response.status_code == 400 and "--allowed-host" in response.get_json()["error"]
    assert client.get("/", headers={"Host": "evil.example:8000"}).status_code == 400
    for host in ("localhost", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    for host in ("[::1", "127.0.0.1:notaport", "user@127.0.0.1", "127.0.0.1.evil.example", "evil.example#.localhost"):
        assert client.get("/", headers={"Host": host}).status_code == 400, host


def test_web_host_check_uses_the_configured_host_port_and_allow_list(make_app):
    app = make_app(host="192.0.2.10", port=8123, allowed_hosts=["triage.council.example"])
    client = app.test_client()
    for host in ("192.0.2.10:8123", "127.0.0.1:8123", "triage.council.example:8123", "Triage.Council.Example:8123"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    for host in ("127.0.0.1:9999", "evil.example:8123", "192.0.2.11:8123"):
        assert client.get("/", headers={"Host": host}).status_code == 400, host


def test_web_behind_an_https_reverse_proxy_the_allowed_name_works_without_the_servers_port(make_app):
    """nginx passes "Host: triage.council.example" (no port) and the browser sends its https Origin."""
    client = make_app(port=8123, allowed_hosts=["triage.council.example"]).test_client()
    for host in ("triage.council.example", "triage.council.example:443"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    proxied = {"Host": "triage.council.example", "Origin": "https://triage.council.example"}
    assert client.post("/api/predict", json={"texts": ["a"]}, headers=proxied).status_code == 200
    other = {"Host": "triage.council.example", "Origin": "https://evil.example"}
    refused = client.post("/api/predict", json={"texts": ["a"]}, headers=other)
    assert refused.status_code == 403 and "Origin header names another site" in refused.get_json()["error"]
    loopback = {"Host": "127.0.0.1:8123", "Origin": "http://127.0.0.1:9999"}  # another local port: not us
    assert client.post("/api/predict", json={"texts": ["a"]}, headers=loopback).status_code == 403


# -- hostile bodies (property test) -------------------------------------------------------------------------

def _hostile_bodies():
    from hypothesis import strategies as st

    text = st.text(st.characters(codec=None), max_size=30).map(lambda t: f"{SECRET}{t}")
    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text
    values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=3),
                          max_leaves=12)
    as_json = values.map(lambda v: json.dumps(v, allow_nan=True))
    payloads = st.one_of(
        values.map(lambda v: json.dumps({"texts": v}, allow_nan=True)),
        st.lists(values, max_size=4).map(lambda v: json.dumps({"texts": v}, allow_nan=True)),
        st.lists(text, max_size=3).map(lambda v: json.dumps({"texts": v})),
        as_json,
        st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
        st.integers(1, 3000).map(lambda n: '{"texts": [' + "[" * n + "]" * n + "]}"),
        st.sampled_from(['{"texts": ["\\ud800"]}', '{"texts": ["\\udfff\\ud800"]}', '{"texts": ["a\\u0000b"]}',
                         '{"texts": ["' + SECRET + '\\uffff"]}', '{"texts": [1e999]}', "NaN", "",
                         '{"texts": ["x"], "texts": 5}']),
    ).map(lambda body: body.encode("utf-8", "surrogatepass"))
    raw = st.binary(max_size=200).map(lambda b: SECRET.encode() + b)
    content_types = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                                     "application/x-www-form-urlencoded", "multipart/form-data", "",
                                     "application/json; charset=latin-1"])
    return st.tuples(payloads | raw, content_types)


def test_web_api_survives_hostile_bodies_without_500_or_echo(make_app, caplog):
    from hypothesis import HealthCheck, given, settings

    app = make_app(max_texts=MAX_TEXTS, max_chars=MAX_CHARS)
    client = app.test_client()
    caplog.set_level(logging.DEBUG)

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(_hostile_bodies())
    def check(case):
        body, content_type = case
        response = client.post("/api/predict", data=body, content_type=content_type)
        assert response.status_code in (200, 400, 413, 415), response.status_code
        assert response.is_json
        answer = response.get_json()
        if response.status_code != 200:
            assert SECRET not in answer["error"]  # messages name positions and types, never content
        else:
            assert len(answer["results"]) <= MAX_TEXTS

    check()
    assert SECRET not in caplog.text


# -- the server: read timeouts and bounded connections (real sockets on the loopback interface) ----------

@pytest.fixture
def live_server(make_app):
    """Serve an app on 127.0.0.1 (a free port) with a 0.5 s read timeout and at most 3 connections."""
    from classifier.web.server import make_server

    app = make_app(max_texts=MAX_TEXTS, max_chars=MAX_CHARS)
    server = make_server("127.0.0.1", 0, app, read_timeout=0.5, max_connections=3)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join(5)


def _connect(port: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=5)
    return connection


def _closed_within(connection: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Read until the server closes the connection; (closed in time, what it sent)."""
    connection.settimeout(seconds)
    received = b""
    try:
        while chunk := connection.recv(4096):
            received += chunk
    except TimeoutError:
        return False, received
    except ConnectionResetError:
        pass
    return True, received


def _get(port: int) -> bytes:
    with _connect(port) as connection:
        connection.sendall(b"GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return _closed_within(connection, 5)[1]


def test_web_server_drops_a_client_sending_headers_slowly(live_server):
    with _connect(live_server) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        dropped = False
        for _ in range(40):  # one header byte every 0.1 s: each read succeeds, the headers never end
            try:
                connection.sendall(b"X")
            except OSError:
                dropped = True
                break
            time.sleep(0.1)
            connection.setblocking(False)
            try:
                if connection.recv(1) == b"":
                    dropped = True
                    break
            except BlockingIOError:
                pass
            except OSError:
                dropped = True
                break
            finally:
                connection.setblocking(True)
        assert dropped and time.monotonic() - started < 2.0


def test_web_server_drops_a_client_stalling_mid_body(live_server):
    with _connect(live_server) as connection:
        connection.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 1000\r\n\r\n{\"texts\": [\"" + SECRET.encode())
        started = time.monotonic()
        closed, answer = _closed_within(connection, 3)
    assert closed and time.monotonic() - started < 2.0
    assert answer == b"" or b" 408 " in answer.split(b"\r\n", 1)[0]
    assert SECRET.encode() not in answer


def test_web_server_drops_a_client_trickling_a_body_and_logs_no_traceback(live_server, caplog):
    """Reproduction: a body sent a byte at a time, each within --read-timeout, held its connection for as long as
    the client liked: eight of them kept the API answering 503. (What is left of the body is drained quietly: see
    tests/web/test_server.py.)"""
    caplog.set_level("INFO")
    with _connect(live_server) as connection:
        connection.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 100000\r\n\r\n")
        started, answer = time.monotonic(), b""
        connection.setblocking(False)
        while time.monotonic() - started < 3:  # about 200 bytes a second, a byte at a time: never idle for 0.5 s
            try:
                connection.sendall(b" ")
                answer += connection.recv(4096)
                break  # the server answered, or closed
            except BlockingIOError:
                time.sleep(0.005)
            except OSError:
                break
        waited = time.monotonic() - started
        connection.setblocking(True)
        answer += _closed_within(connection, 2)[1]
    assert waited < 2.0 and (answer == b"" or b" 408 " in answer.split(b"\r\n", 1)[0])
    time.sleep(0.2)  # the handler thread finishes
    assert "Traceback" not in caplog.text and "Error on request" not in caplog.text
    assert _get(live_server).startswith(b"HTTP/1.1 204")


def test_web_server_bounds_connection_threads(live_server):
    # Reproduction: 200 stalled uploads held 203 threads.
    threads_before = threading.active_count()
    stalled = [_connect(live_server) for _ in range(3)]
    for connection in stalled:
        connection.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.1)
    extra = [_connect(live_server) for _ in range(20)]
    refusals = [_closed_within(connection, 2)[1] for connection in extra]
    assert all(answer.startswith(b"HTTP/1.1 503") for answer in refusals)
    head, body = refusals[0].split(b"\r\n\r\n", 1)
    assert b"Content-Type: application/json" in head and b"Retry-After: 5" in head  # the API's error form
    assert json.loads(body) == {"error": "Too many connections to this server; try again in a moment.",
                                "status": 503}
    assert threading.active_count() <= threads_before + 3
    for connection in stalled + extra:
        connection.close()
    time.sleep(1.2)  # the stalled ones time out and free their slots
    assert _get(live_server).startswith(b"HTTP/1.1 204")


def test_web_backlog_button_says_the_upload_is_under_way(client):
    """The upload form runs one script of ours (CSP 'self' only) that disables its button while the file is sent."""
    response = client.get("/backlog")
    html = response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert 'src="/static/busy.js"' in html and 'data-busy="Uploading…"' in html and "data-busy-status" in html
    static = client.get("/static/busy.js")
    script = static.get_data(as_text=True)
    static.close()
    assert "button.disabled = true" in script and "dataset.busy" in script
    assert "script-src" not in client.get("/").headers["Content-Security-Policy"]  # the label page stays script-free


def test_web_a_request_with_the_wrong_method_is_told_which_one_the_address_takes(make_app):
    client = make_app().test_client()
    response = client.get("/api/predict")
    assert response.status_code == 405 and response.headers["Allow"] == "OPTIONS, POST"
    assert "takes OPTIONS, POST requests only" in response.get_json()["error"]


@pytest.mark.parametrize("encoding", ["gzip", "deflate, gzip", "br"])
def test_web_api_a_compressed_body_is_415_saying_so(make_app, encoding):
    """Reproduction: a gzip body got '400 The body is not valid JSON (UnicodeDecodeError: not UTF-8)'."""
    import gzip

    client = make_app().test_client()
    response = client.post("/api/predict", data=gzip.compress(json.dumps({"texts": ["bins"]}).encode()),
                           headers={"Content-Type": "application/json", "Content-Encoding": encoding})
    assert response.status_code == 415
    assert response.get_json() == {"error": f"The body is sent with Content-Encoding: {encoding}; this API takes it "
                                            "uncompressed. Send the JSON as it is, without Content-Encoding.",
                                   "status": 415}
    plain = client.post("/api/predict", json={"texts": ["bins"]}, headers={"Content-Encoding": "identity"})
    assert plain.status_code == 200


def test_web_api_a_chunked_body_over_the_limit_is_413_not_invalid_json(make_app):
    import io

    client = make_app(max_upload_mb=0.01).test_client()
    body = json.dumps({"texts": ["bins not collected " * 100] * 20}).encode()  # about 38 KB, over 10 KB
    response = client.post("/api/predict", input_stream=io.BytesIO(body),
                           headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})  # as the server sets it for chunked
    assert response.status_code == 413 and "Send fewer or shorter texts" in response.get_json()["error"]


def test_web_a_large_upload_arrives_in_the_private_data_folder_not_the_system_temp_folder(make_app, tmp_path,
                                                                                          monkeypatch):
    """Reproduction: an upload over 500 KB was spooled by werkzeug to an unnamed file in $TMPDIR while it arrived
    (seen as '/tmp/#2632017 (deleted)' holding the backlog's rows), though uploads are kept in --data-dir only."""
    import tempfile

    made = []
    real = tempfile.TemporaryFile

    def recording(*args, **kwargs):
        made.append(kwargs.get("dir"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", recording)
    app = make_app()
    client = app.test_client()
    small = write_csv(tmp_path / "small.csv", _backlog_rows(5))
    large = write_csv(tmp_path / "large.csv", [{"reference": f"R{i}", "text": "bins not collected on the estate " * 4}
                                               for i in range(5000)])
    assert large.stat().st_size > 600 * 1024
    assert _upload(client, small).status_code == 303 and made == []  # a small upload stays in memory
    assert _upload(client, large).status_code == 303
    assert made and all(str(folder) == str(app.extensions["tension"].jobs.data_dir) for folder in made)


def test_web_server_log_holds_no_request_line_that_did_not_parse_and_no_query(live_server, caplog):
    """Reproduction: a request line that is not HTTP ('Mrs X said the asylum seekers') was logged as sent, twice
    ("code 400, message Bad request version ('seekers')" and the line itself); a query string
    (GET /?text=...) was logged whole."""
    caplog.set_level("INFO")
    with _connect(live_server) as connection:
        connection.sendall(f"{SECRET} said the asylum seekers\r\n\r\n".encode())
        _closed_within(connection, 2)
    with _connect(live_server) as connection:
        connection.sendall(f"GET /?text={SECRET.replace(' ', '+')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Connection: close\r\n\r\n".encode())
        _closed_within(connection, 2)
    time.sleep(0.2)  # the handler threads finish
    words = [word for word in SECRET.split() if len(word) > 3]
    assert not any(word in caplog.text for word in words + ["seekers"]), caplog.text
    assert "(a request line that is not HTTP, not shown)" in caplog.text and '"GET /?... HTTP/1.1"' in caplog.text
