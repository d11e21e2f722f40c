"""The triage web page: one report at a time, a whole backlog file, and a JSON API beside them.

Server-rendered HTML, no JavaScript, one packaged stylesheet: it works offline on the office machine.
Report text is personal data: it is never logged, never put in a URL, pages are sent with ``no-store``, and
backlog results live in a private temporary folder that is deleted after `keep_results_minutes`.

Routes
------
``GET/POST /``                           one report: labels, score bars, thresholds, highlighted terms
``GET/POST /backlog``                    upload a CSV/TSV/XLSX/JSONL file to label
``GET /backlog/<job>``                   its summary; ``/backlog/<job>/labelled`` and ``/review`` download
``POST /backlog/<job>/delete``           delete its files now
``POST /api/predict``                    ``{"texts": [...]}`` → one result per text
``GET /api/openapi.json``                the API's OpenAPI 3 description
"""

from __future__ import annotations

import json
import math
import re
import shutil
import threading
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, jsonify, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.utils import secure_filename

from classifier.errors import ClassifierError, ConfigError
from classifier.tables import SUPPORTED_EXTENSIONS
from classifier.web.highlight import highlight, label_class, term_spans
from classifier.web.jobs import Job, JobStore

__all__ = ["DEFAULT_MAX_CHARS", "DEFAULT_MAX_TEXTS", "DEFAULT_MAX_UPLOAD_MB", "create_app"]

DEFAULT_MAX_UPLOAD_MB = 50
DEFAULT_MAX_TEXTS = 500
DEFAULT_MAX_CHARS = 20_000
DEFAULT_KEEP_RESULTS_MINUTES = 120
_COLOURS = 8
_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
_TEXT_COLUMN_OPTION = re.compile(r"with --text-column( NAME)?")


@dataclass
class _State:
    model: Any
    lock: threading.Lock  # spaCy pipelines are not guaranteed thread-safe; the server is threaded
    jobs: JobStore
    max_upload_mb: float
    max_texts: int
    max_chars: int

    @property
    def model_name(self) -> str:
        return str(self.model.metadata.get("name") or "unnamed model")

    def colours(self) -> dict[str, str]:
        return {label: f"colour-{index % _COLOURS}" for index, label in enumerate(self.model.labels)}


def create_app(
    model: Any = None,
    *,
    model_path: str | Path | None = None,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
    max_texts: int = DEFAULT_MAX_TEXTS,
    max_chars: int = DEFAULT_MAX_CHARS,
    keep_results_minutes: float = DEFAULT_KEEP_RESULTS_MINUTES,
) -> Flask:
    """Build the Flask app around a loaded model.

    Parameters
    ----------
    model
        A `TensionModel`; default: load `model_path`.
    model_path
        Model folder or name when `model` is None (default: the default model).
    max_upload_mb
        Largest request body, uploads included, in MB (1 MB = 2**20 bytes); larger ones get a 413 answer.
    max_texts, max_chars
        Most texts per API request, and most characters per text (API and the one-report page).
    keep_results_minutes
        Labelled backlog files are deleted this long after they were made (and when the server stops).

    Raises
    ------
    ConfigError
        A limit is not a positive number.
    ModelError
        The model cannot be loaded.
    """
    for name, value in (("max_upload_mb", max_upload_mb), ("max_texts", max_texts), ("max_chars", max_chars),
                        ("keep_results_minutes", keep_results_minutes)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ConfigError(f"The {name!r} parameter of create_app must be a positive number. Got {value!r}.")
    if model is None:
        from classifier import load_model

        model = load_model(model_path)

    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=int(max_upload_mb * 2**20),
        # Form fields other than files (the report text box) are held in memory: allow max_chars of UTF-8.
        MAX_FORM_MEMORY_SIZE=max(500_000, 4 * max_chars + 4096),
    )
    app.json.sort_keys = False
    state = _State(model, threading.Lock(), JobStore(keep_results_minutes * 60), max_upload_mb, max_texts,
                   max_chars)
    app.extensions["tension"] = state

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"model_name": state.model_name, "max_chars": state.max_chars,
                "max_upload_mb": _format_mb(state.max_upload_mb), "keep_minutes": _format_mb(keep_results_minutes),
                "formats": ", ".join(SUPPORTED_EXTENSIONS)}

    @app.before_request
    def _refuse_cross_site_posts() -> None:
        # Another web site open in the same browser could post to this local page (CSRF); browsers say
        # where a POST comes from in the Origin header.
        origin = request.headers.get("Origin")
        if request.method == "POST" and origin is not None and urlsplit(origin).netloc != request.host:
            abort(403, description="This page only accepts forms sent from itself.")

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = _CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        # Not "no-referrer": with it, browsers send "Origin: null" on our own form posts.
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        message = error.description or error.name
        if error.code == 413:  # the body was larger than MAX_CONTENT_LENGTH or MAX_FORM_MEMORY_SIZE
            message = _too_large_message(state)
        if request.path.startswith("/api/"):
            return jsonify(error=message, status=error.code), error.code
        return render_template("error.html", code=error.code, title=error.name, message=message), error.code

    @app.get("/favicon.ico")
    def favicon():
        return Response(status=204)

    @app.route("/", methods=["GET", "POST"])
    def report():
        if request.method == "GET":
            return render_template("report.html", text="", result=None, error=None)
        text = request.form.get("text", "")
        if len(text) > state.max_chars:
            error = (f"The report has {len(text):,} characters; this page takes at most {state.max_chars:,}. "
                     "Shorten it, or label it as a one-row backlog file.")
            return render_template("report.html", text=text, result=None, error=error), 413
        return render_template("report.html", text=text, result=_explain(state, text), error=None)

    @app.route("/backlog", methods=["GET", "POST"])
    def backlog():
        if request.method == "GET":
            return render_template("backlog.html", error=None, form={})
        form = {"text_column": request.form.get("text_column", "").strip(),
                "sheet": request.form.get("sheet", "").strip()}
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return render_template("backlog.html", error="Choose a file to upload.", form=form), 400
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in SUPPORTED_EXTENSIONS:
            error = (f"Expected a file ending in {', '.join(SUPPORTED_EXTENSIONS)}; got "
                     f"{suffix or 'a name without an extension'!r}. Save the file in one of those formats.")
            return render_template("backlog.html", error=error, form=form), 400
        try:
            job = _label_upload(state, upload, suffix, form["text_column"] or None, form["sheet"] or None)
        except ClassifierError as error:
            return render_template("backlog.html", error=str(error), form=form), 400
        return redirect(url_for("backlog_job", job_id=job.id), code=303)

    @app.get("/backlog/<job_id>")
    def backlog_job(job_id: str):
        job = _job_or_404(state, job_id)
        return render_template("backlog_result.html", job=job, summary=job.summary, colours=state.colours())

    @app.get("/backlog/<job_id>/<any(labelled, review):which>")
    def backlog_download(job_id: str, which: str):
        job = _job_or_404(state, job_id)
        path = job.labelled if which == "labelled" else job.review
        stem, suffix = Path(job.filename).stem, Path(job.filename).suffix
        return send_file(path, as_attachment=True, download_name=f"{stem}_{which}{suffix}", max_age=0)

    @app.post("/backlog/<job_id>/delete")
    def backlog_delete(job_id: str):
        deleted = _job_or_404(state, job_id) and state.jobs.delete(job_id)
        return render_template("backlog.html", error=None, form={}, deleted=deleted)

    @app.post("/api/predict")
    def api_predict():
        texts = _api_texts(state)
        with state.lock:
            predictions = state.model.predict(texts, on_invalid="flag")
        return jsonify(
            model=state.model_name, labels=state.model.labels, thresholds=state.model.thresholds,
            results=[_json_ready(prediction.to_dict()) for prediction in predictions],
        )

    @app.get("/api/openapi.json")
    def api_openapi():
        spec = json.loads(resources.files("classifier.web").joinpath("openapi.json").read_text("utf-8"))
        texts = spec["components"]["schemas"]["PredictRequest"]["properties"]["texts"]
        texts["maxItems"], texts["items"]["maxLength"] = state.max_texts, state.max_chars
        return jsonify(spec)

    return app


# -- one report -----------------------------------------------------------------------------------------

def _explain(state: _State, text: str) -> dict[str, Any]:
    """Everything the one-report page shows about `text`."""
    from classifier.pipeline import PREPROCESS

    model = state.model
    with state.lock:
        prediction = model.predict([text], on_invalid="flag")[0]
        lemmatise = model.pipeline.named_steps[PREPROCESS].transform
        spans = term_spans(text, prediction.reasons, lemmatise, model.labels)
    colours = state.colours()
    thresholds = model.thresholds
    rows = [
        {"label": label, "score": prediction.scores[label], "threshold": thresholds[label],
         "assigned": label in prediction.labels, "colour": colours[label], "css": label_class(label),
         "reasons": prediction.reasons.get(label, [])}
        for label in model.labels
    ]
    rows.sort(key=lambda row: (not row["assigned"], -(row["score"] if row["score"] == row["score"] else 0)))
    return {"prediction": prediction, "rows": rows, "colours": colours, "highlighted": highlight(text, spans, colours)}


# -- backlog --------------------------------------------------------------------------------------------

def _label_upload(state: _State, upload, suffix: str, text_column: str | None, sheet: str | None) -> Job:
    """Save the upload in a new job folder, label it with `label_file`, and register the job."""
    from classifier.batch import label_file

    filename = secure_filename(upload.filename) or f"backlog{suffix}"
    if not filename.lower().endswith(suffix):
        filename = f"{Path(filename).stem or 'backlog'}{suffix}"
    stem = Path(filename).stem
    job_id, folder = state.jobs.new_folder()
    input_path = folder / f"upload{suffix}"
    labelled, review = folder / f"{stem}_labelled{suffix}", folder / f"{stem}_review{suffix}"
    try:
        # Werkzeug has already spooled the upload to a temporary file; this copies it in blocks.
        upload.save(input_path)
        with state.lock, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            summary = label_file(input_path, labelled, model=state.model, text_column=text_column,
                                 review_out=review, sheet=sheet)
    except ClassifierError as error:
        shutil.rmtree(folder, ignore_errors=True)
        message = str(error)
        for path, name in ((input_path, upload.filename), (labelled, labelled.name), (review, review.name)):
            message = message.replace(str(path), name)
        message = _TEXT_COLUMN_OPTION.sub('in the "Text column" field', message)
        raise type(error)(message.replace(str(folder), "")) from error
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    input_path.unlink(missing_ok=True)  # the labelled file holds every row; keep one copy of the data only
    notices = [str(item.message).replace(str(input_path), upload.filename)
               for item in caught if item.category.__module__.startswith("classifier")]
    job = Job(job_id, folder, filename, labelled, review, summary, notices)
    state.jobs.add(job)
    return job


def _job_or_404(state: _State, job_id: str) -> Job:
    job = state.jobs.get(job_id)
    if job is None:
        abort(404, description="No such backlog result: it has expired or been deleted. Upload the file again.")
    return job


# -- JSON API -------------------------------------------------------------------------------------------

def _api_error(code: int, message: str):
    abort(Response(json.dumps({"error": message, "status": code}), code, mimetype="application/json"))


def _api_texts(state: _State) -> list[str]:
    """The validated ``texts`` of a predict request, or a 4xx JSON answer saying what is wrong."""
    if not request.is_json:
        _api_error(415, 'Expected a JSON body with Content-Type: application/json, e.g. {"texts": ["..."]}.')
    try:
        payload = json.loads(request.get_data())
    except ValueError as error:  # also UnicodeDecodeError
        _api_error(400, f"The body is not valid JSON ({type(error).__name__}: {_json_error_position(error)}).")
    if not isinstance(payload, dict) or "texts" not in payload:
        found = "an object without \"texts\"" if isinstance(payload, dict) else f"a JSON {_json_type(payload)}"
        _api_error(400, f'Expected a JSON object with a "texts" list, e.g. {{"texts": ["..."]}}; got {found}.')
    texts = payload["texts"]
    if not isinstance(texts, list):
        _api_error(400, f'"texts" must be a list of strings; got a JSON {_json_type(texts)}.')
    if len(texts) > state.max_texts:
        _api_error(413, f'"texts" has {len(texts)} items; at most {state.max_texts} per request. '
                        "Send them in smaller batches.")
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            _api_error(400, f"texts[{position}] is a JSON {_json_type(text)}; every item must be a string.")
        if len(text) > state.max_chars:
            _api_error(413, f"texts[{position}] has {len(text)} characters; at most {state.max_chars} per text.")
    return texts


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string"}.get(type(value), "number")


def _json_error_position(error: ValueError) -> str:
    # JSONDecodeError's message quotes no input, only a position, so it is safe to return.
    return str(error) if isinstance(error, json.JSONDecodeError) else "not UTF-8"


def _json_ready(value: Any) -> Any:
    """NaN scores of unclassified texts become null: JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    return value


def _too_large_message(state: _State) -> str:
    if request.path == "/":
        return (f"The report is too long for this page (at most {state.max_chars:,} characters). Shorten it, or "
                "label it as a one-row backlog file.")
    return (f"The upload is larger than the limit of {_format_mb(state.max_upload_mb)} MB. Split the file into "
            "smaller ones, or ask whoever runs the page to start it with a larger --max-upload-mb.")


def _format_mb(value: float) -> str:
    return f"{value:g}"
