"""The triage web page: one report at a time, a whole backlog file, and a JSON API beside them.

Server-rendered HTML, no JavaScript, one packaged stylesheet: it works offline on the office machine.
Labels are shown by their human names ("Race hate", `classifier.model.label_names`), the machine name in
their ``title``; the API keeps machine names and maps them in ``label_names``.
Report text is personal data: it is never logged (an unexpected error is logged by its type and an id
only), never put in a URL, pages are sent with ``no-store``, and backlog files live in a private folder
under the data folder that is deleted after `keep_results_minutes` (`classifier.web.jobs`).

The model is shared by every request and the backlog worker in short turns (`classifier.web.turns`): an
API request gets at most `time_limit` seconds, waiting included, and then a 503 answer. Requests addressed
to a host name the server was not started with are refused (DNS rebinding), as are cross-site form posts.

Routes
------
``GET/POST /``                           one report: labels, score bars, thresholds, highlighted terms
``GET/POST /backlog``                    upload a CSV/TSV/XLSX/JSONL file to label (in the background)
``GET /backlog/<job>``                   its progress (the page reloads itself), then its summary;
                                         ``/backlog/<job>/labelled`` and ``/review`` download
``GET /backlog/<job>/status``            its progress as JSON: state, rows done, rows in total
``POST /backlog/<job>/delete``           cancel it and delete its files now
``GET /api``                             the API's help, for people
``POST /api/predict``                    ``{"texts": [...]}`` → one result per text
``GET /api/openapi.json``                the API's OpenAPI 3 description (a JSON file, for programs)
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import secrets
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    Request,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.exceptions import ClientDisconnected, HTTPException, MethodNotAllowed
from werkzeug.utils import secure_filename

from classifier.errors import ClassifierError, ConfigError
from classifier.io.tables import SUPPORTED_EXTENSIONS
from classifier.model.label_names import display_name, review_reason
from classifier.web.highlight import highlight, label_class, label_spans
from classifier.web.jobs import DONE, FAILED, Job, JobFailed, JobStore, default_data_dir
from classifier.web.turns import Cancelled, ModelBusy, SharedModel
from classifier.web.uploads import for_the_page, our_notices

__all__ = ["DEFAULT_MAX_CHARS", "DEFAULT_MAX_TEXTS", "DEFAULT_MAX_UPLOAD_MB", "DEFAULT_TIME_LIMIT", "LOOPBACK_HOSTS",
           "create_app"]

DEFAULT_MAX_UPLOAD_MB = 50
DEFAULT_MAX_TEXTS = 500
DEFAULT_MAX_CHARS = 20_000
DEFAULT_KEEP_RESULTS_MINUTES = 120
DEFAULT_TIME_LIMIT = 10.0
#: Names this machine answers to whatever --host is; others must be allowed with --allowed-host.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: Rows labelled between two progress updates of a backlog job (and two checks for cancellation).
JOB_CHUNK_ROWS = 200
_COLOURS = 8
_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
_ANY_HOST = frozenset({"", "0.0.0.0", "::"})

logger = logging.getLogger(__name__)


@dataclass
class _State:
    model: Any
    shared: SharedModel  # spaCy pipelines are not guaranteed thread-safe: one thread at a time, in turns
    jobs: JobStore
    max_upload_mb: float
    max_texts: int
    max_chars: int
    time_limit: float
    allowed_hosts: frozenset[str]
    port: int | None

    @property
    def model_name(self) -> str:
        return str(self.model.metadata.get("name") or "unnamed model")

    def colours(self) -> dict[str, str]:
        return {label: f"colour-{index % _COLOURS}" for index, label in enumerate(self.model.labels)}

    def markers(self) -> dict[str, str]:
        """Label → the number that marks its highlights, so they do not tell the label by colour alone."""
        return {label: str(index + 1) for index, label in enumerate(self.model.labels)}


#: An upload up to this size is held in memory while it arrives; a larger one goes to a file (werkzeug's size).
UPLOAD_MEMORY_BYTES = 500 * 1024


def _uploads_spooled_in(folder: Path) -> type[Request]:
    """A request class whose uploads larger than :data:`UPLOAD_MEMORY_BYTES` arrive in an unnamed file of the
    server's private data ``folder``, never in the system's temporary folder (werkzeug's default, where a
    backlog's rows would sit while it uploads)."""

    class _Request(Request):
        def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
            import tempfile

            if total_content_length is not None and total_content_length <= UPLOAD_MEMORY_BYTES:
                return io.BytesIO()
            return tempfile.TemporaryFile("wb+", dir=folder)

    return _Request


def create_app(
    model: Any = None,
    *,
    model_path: str | Path | None = None,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
    max_texts: int = DEFAULT_MAX_TEXTS,
    max_chars: int = DEFAULT_MAX_CHARS,
    keep_results_minutes: float = DEFAULT_KEEP_RESULTS_MINUTES,
    time_limit: float = DEFAULT_TIME_LIMIT,
    data_dir: str | Path | None = None,
    host: str | None = None,
    port: int | None = None,
    allowed_hosts: Iterable[str] = (),
    review_store: Any = None,
    secure_cookies: bool = True,
    keep_days: float = 90,
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
        Most texts per API request, and most characters per text: a longer text is not classified (status
        ``"text too long"``) and never preprocessed; the one-report page refuses it.
    keep_results_minutes
        Labelled backlog files are deleted this long after they were made (and when the server stops).
    time_limit
        Seconds an API request or a one-report page may take, waiting for the model included; then it gets
        a 503 answer saying to send fewer or shorter texts or to try again.
    data_dir
        Folder for backlog jobs (default: `classifier.web.jobs.default_data_dir`), created 0700; one
        server at a time may use it, and job files left there by a stopped server are deleted at start.
    host, port
        The address the server listens on: requests must be addressed (``Host`` header) to it, to this
        machine's loopback names, or to one of `allowed_hosts`, on `port` (any port when None). With
        `review_store`, a `host` beyond this machine answers no request while no account is enabled.
    allowed_hosts
        More host names (or IP addresses) requests may be addressed to: the server's DNS name behind a proxy.
    review_store
        A `classifier.review.store.ReviewStore`: adds logins, CSRF tokens, the review queue and the admin pages
        (`classifier.web.auth`, `classifier.web.review`). None: the page has no accounts and stores nothing.
    secure_cookies
        Send the session cookie only over HTTPS (browsers also take it from http://127.0.0.1 and localhost).
    keep_days
        With `review_store`: report text in the queue is deleted this many days after it was added.

    Raises
    ------
    ConfigError
        A limit is not a positive number, or the data folder cannot be used (another server holds it).
    ModelError
        The model cannot be loaded.
    """
    for name, value in (("max_upload_mb", max_upload_mb), ("max_texts", max_texts), ("max_chars", max_chars),
                        ("keep_results_minutes", keep_results_minutes), ("time_limit", time_limit)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ConfigError(f"The {name!r} parameter of create_app must be a positive number. Got {value!r}.")
    if isinstance(max_chars, float):
        max_chars = int(max_chars)
    names = {name.strip().lower().strip("[]") for name in allowed_hosts if name and name.strip()}
    if host and host not in _ANY_HOST:
        names.add(host.lower().strip("[]"))
    if model is None:
        from classifier.model.predictor import load_model

        model = load_model(model_path)

    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=int(max_upload_mb * 2**20),
        # Form fields other than files (the report text box) are held in memory: allow max_chars of UTF-8.
        MAX_FORM_MEMORY_SIZE=max(500_000, 4 * max_chars + 4096),
    )
    app.json.sort_keys = False
    shared = SharedModel(model)
    jobs = JobStore(data_dir if data_dir is not None else default_data_dir(), keep_results_minutes * 60,
                    run=lambda job: _label_job(state, job))
    app.request_class = _uploads_spooled_in(jobs.data_dir)
    state = _State(model, shared, jobs, max_upload_mb, max_texts, max_chars, float(time_limit),
                   frozenset(LOOPBACK_HOSTS | names), port)
    app.extensions["tension"] = state
    app.add_template_filter(display_name, "label_name")

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"model_name": state.model_name, "max_chars": state.max_chars,
                "max_upload_mb": _format_mb(state.max_upload_mb), "keep_minutes": _format_mb(keep_results_minutes),
                "formats": ", ".join(SUPPORTED_EXTENSIONS)}

    @app.before_request
    def _refuse_other_hosts() -> None:
        # DNS rebinding: a web site whose name is made to resolve to 127.0.0.1 gets the browser to send it
        # our pages, with a matching Origin; only the Host header still says which site was meant.
        if not _host_allowed(request.host, state.allowed_hosts, state.port):
            abort(400, description=(
                "This server answers only requests addressed to this machine (127.0.0.1, localhost) or to the "
                "names it was started with; this one was addressed to another host name. Open the page by one "
                "of those names, or, if this name is right, start the server with --allowed-host NAME."))

    @app.before_request
    def _refuse_cross_site_posts() -> None:
        # Another web site open in the same browser could post to this local page (CSRF); browsers say
        # where a POST comes from in the Origin header.
        origin = request.headers.get("Origin")
        if request.method == "POST" and origin is not None and not _same_origin(origin, request.host,
                                                                                 state.allowed_hosts):
            abort(403, description="This page only accepts forms and API calls sent from itself (the request's "
                                   "Origin header names another site). A program calling the API should send no "
                                   "Origin header.")

    @app.after_request
    def _headers(response: Response) -> Response:
        # Only a few pages run a script, our own file: the review queue's keys, the busy button, the backlog's
        # progress (which asks this server how far the job is).
        scripts = "; script-src 'self'; connect-src 'self'" if g.get("allow_scripts") else ""
        response.headers["Content-Security-Policy"] = _CONTENT_SECURITY_POLICY + scripts
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
        if isinstance(error, ClientDisconnected):  # the body stopped arriving
            if isinstance(error.__context__, TimeoutError):  # silent for --read-timeout seconds (see server.py)
                return _error_page(408, "Request Timeout", "The request body stopped arriving; send it again.",
                                   close=True)
            return _error_page(400, "Bad Request", "The request body ended early; send it again.", close=True)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            allowed = ", ".join(sorted(error.valid_methods))
            page = _error_page(405, error.name, f"This address takes {allowed} requests only.")
            return page[0], page[1], {**page[2], "Allow": allowed}
        return _error_page(error.code or 500, _PLAIN_TITLES.get(error.code or 500, error.name), message)

    @app.errorhandler(Exception)
    def _unexpected_error(error: Exception):
        if isinstance(error, TimeoutError):  # the client stopped sending the body (see server.py)
            return _error_page(408, "Request Timeout", "The request body did not arrive in time; send it again.",
                               close=True)
        # The exception's message and traceback may quote a report (a cell's text in a parser's error):
        # log its type and an id to find this line by, nothing else.
        error_id = secrets.token_hex(4)
        logger.error("%s %s failed with %s (error id %s; details withheld: they may quote a report)",
                     request.method, request.path, type(error).__name__, error_id)
        return _error_page(500, "Internal Server Error",
                           f"Something went wrong in the server (error id {error_id}); nothing you sent was kept. "
                           "Try again; if it happens again, give the error id to whoever runs this page.")

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
        try:
            result = _explain(state, text, deadline=time.monotonic() + state.time_limit)
        except ModelBusy:
            error = (f"The server is busy and could not label the report within {state.time_limit:g} seconds. "
                     "Send it again in a moment.")
            return render_template("report.html", text=text, result=None, error=error), 503, _RETRY_AFTER
        return render_template("report.html", text=text, result=result, error=None)

    @app.route("/backlog", methods=["GET", "POST"])
    def backlog():
        g.allow_scripts = True  # busy.js: the button says the upload is under way
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
        filename = secure_filename(upload.filename) or f"backlog{suffix}"
        if not filename.lower().endswith(suffix):
            filename = f"{Path(filename).stem or 'backlog'}{suffix}"
        try:
            # Werkzeug has spooled the upload to an anonymous temporary file; this copies it in blocks.
            job = state.jobs.new_job(filename, suffix, upload.stream, text_column=form["text_column"] or None,
                                     sheet=form["sheet"] or None, owner=_user_id())
        except ConfigError as error:  # too many uploads waiting
            return render_template("backlog.html", error=str(error), form=form), 503, _RETRY_AFTER
        return redirect(url_for("backlog_job", job_id=job.id), code=303)

    @app.get("/backlog/<job_id>")
    def backlog_job(job_id: str):
        job = _job_or_404(state, job_id)
        if job.state == FAILED:
            form = {"text_column": job.text_column or "", "sheet": job.sheet or ""}
            return render_template("backlog.html", error=job.error, form=form), job.error_status
        if job.state != DONE:
            g.allow_scripts = True  # progress.js: the counts update in place
            return render_template("backlog_progress.html", job=job, refresh_seconds=_refresh_seconds(job))
        return render_template("backlog_result.html", job=job, summary=job.summary, colours=state.colours())

    @app.get("/backlog/<job_id>/status")
    def backlog_status(job_id: str):
        job = state.jobs.get(job_id, g.get("user"))
        if job is None:
            return jsonify(error="No such backlog job: it has expired or been deleted.", status=404), 404
        return jsonify(job.status())

    @app.get("/backlog/<job_id>/<any(labelled, review):which>")
    def backlog_download(job_id: str, which: str):
        job = _job_or_404(state, job_id)
        if job.state != DONE:
            abort(409, description="This file is still being labelled; its results are not ready yet.")
        path = job.labelled if which == "labelled" else job.review
        stem, suffix = Path(job.filename).stem, Path(job.filename).suffix
        return send_file(path, as_attachment=True, download_name=f"{stem}_{which}{suffix}", max_age=0)

    @app.post("/backlog/<job_id>/delete")
    def backlog_delete(job_id: str):
        deleted = _job_or_404(state, job_id) and state.jobs.delete(job_id)
        return render_template("backlog.html", error=None, form={}, deleted=deleted)

    @app.post("/api/predict")
    def api_predict():
        deadline = time.monotonic() + state.time_limit
        texts = _api_texts(state)
        try:
            predictions = state.shared.predict(texts, deadline=deadline, on_invalid="flag", max_chars=state.max_chars)
        except ModelBusy:
            _api_error(503, f"Could not label {len(texts)} text(s) within the time limit of {state.time_limit:g} "
                            "seconds (long texts, or a busy server). Send fewer or shorter texts per request, or "
                            "try again in a moment.", headers=_RETRY_AFTER)
        return jsonify(
            model=state.model_name, labels=state.model.labels, thresholds=state.model.thresholds,
            label_names={label: display_name(label) for label in state.model.labels},
            results=[_json_ready(prediction.to_dict()) for prediction in predictions],
        )

    @app.get("/api")
    def api_help():
        model = state.model
        labels = [{"label": label, "name": display_name(label), "threshold": model.thresholds[label]}
                  for label in model.labels]
        return render_template("api.html", labels=labels, max_texts=state.max_texts, time_limit=state.time_limit,
                               review_band=model.review_band)

    @app.get("/api/openapi.json")
    def api_openapi():
        spec = json.loads(resources.files("classifier.web").joinpath("openapi.json").read_text("utf-8"))
        texts = spec["components"]["schemas"]["PredictRequest"]["properties"]["texts"]
        texts["maxItems"], texts["items"]["maxLength"] = state.max_texts, state.max_chars
        return jsonify(spec)

    if review_store is not None:
        from classifier.web.auth import install_auth
        from classifier.web.review import install_review

        install_auth(app, review_store, secure_cookies=secure_cookies,
                     require_accounts=host is not None and host not in LOOPBACK_HOSTS)
        install_review(app, review_store, state, keep_days=keep_days, upload_dir=jobs.root,
                       explain=lambda text: _explain(state, text, deadline=time.monotonic() + state.time_limit))
    return app


_RETRY_AFTER = {"Retry-After": "5"}


#: Error page titles in plain words (the message below says what to do).
_PLAIN_TITLES = {400: "Something in the request was wrong", 403: "Not allowed",
                 404: "Page not found", 413: "The file or text is too large", 429: "Too many attempts: wait a moment",
                 503: "The server is busy: try again in a moment"}


def _error_page(code: int, title: str, message: str, *, close: bool = False):
    headers = {"Connection": "close"} if close else {}
    if request.path.startswith("/api/") or request.path.endswith("/status"):
        return jsonify(error=message, status=code), code, headers
    return render_template("error.html", code=code, title=title, message=message), code, headers


def _host_allowed(host_header: str, names: frozenset[str], port: int | None) -> bool:
    """Whether the ``Host`` header names one of `names`: a loopback name with `port` (when known), any other
    name (given with --allowed-host, so served through a reverse proxy) with any port or none, as a proxy
    passes it on (``Host: triage.example``, ``:443``)."""
    try:
        parts = urlsplit(f"//{host_header}")
        given_port = parts.port
    except ValueError:  # a malformed port, or brackets that do not close
        return False
    if parts.hostname is None or parts.hostname not in names or parts.username or parts.password:
        return False
    if parts.hostname not in LOOPBACK_HOSTS:
        return True  # what DNS rebinding would fake is the name, not the port
    return port is None or given_port == port or (given_port is None and port == 80)


def _same_origin(origin: str, host_header: str, names: frozenset[str]) -> bool:
    """Whether a request's ``Origin`` is this page: the same host and port as the ``Host`` header, or, for a name
    given with --allowed-host (a reverse proxy in front, often HTTPS on 443), the same host name."""
    try:
        origin_parts, host_parts = urlsplit(origin), urlsplit(f"//{host_header}")
        if origin_parts.netloc == host_header:
            return True
        return (origin_parts.hostname is not None and origin_parts.hostname == host_parts.hostname
                and origin_parts.hostname in names and origin_parts.hostname not in LOOPBACK_HOSTS)
    except ValueError:
        return False


# -- one report -----------------------------------------------------------------------------------------

def _explain(state: _State, text: str, deadline: float | None = None) -> dict[str, Any]:
    """Everything the one-report page shows about `text`.

    Raises
    ------
    ModelBusy
        The model was not free before `deadline`.
    """
    with state.shared.turn(deadline) as model:
        prediction = model.predict([text], on_invalid="flag")[0]
    spans = label_spans(text, prediction.reason_spans, model.labels)
    colours, markers = state.colours(), state.markers()
    thresholds = model.thresholds
    rows = [
        {"label": label, "name": display_name(label), "score": prediction.scores[label],
         "threshold": thresholds[label], "assigned": label in prediction.labels, "colour": colours[label],
         "css": label_class(label), "marker": markers[label], "reasons": prediction.reasons.get(label, []),
         "near": label in prediction.review_labels}
        for label in model.labels
    ]
    rows.sort(key=lambda row: (not row["assigned"], -(row["score"] if row["score"] == row["score"] else 0)))
    highlighted = {label for span in spans for label in span.labels}
    return {"prediction": prediction, "rows": rows, "colours": colours,
            "legend": [row for row in rows if row["label"] in highlighted],
            "review_reason": review_reason(prediction.review_labels, prediction.scores, thresholds,
                                           prediction.unfamiliar, prediction.reasons),
            "review_band": model.review_band,
            "highlighted": highlight(text, spans, colours, markers)}


# -- backlog --------------------------------------------------------------------------------------------

def _label_job(state: _State, job: Job) -> None:
    """Label a job's upload with `label_file` (on the worker thread), updating its progress as it goes.

    Raises
    ------
    JobFailed
        The file cannot be labelled (unreadable, no text column, over a reader's limits...): the message
        says why and how to fix it, with the upload's name for the server's paths.
    Cancelled
        The job was deleted, or the server is stopping.
    """
    from classifier.labelling.batch import default_jobs, label_file

    def progress(rows_done: int, rows_expected: int | None) -> None:
        job.rows_done, job.rows_total = rows_done, rows_expected
        if job.cancel.is_set():
            raise Cancelled

    # A file large enough to gain from worker processes is labelled by them, one per usable CPU, with copies of the
    # page's model (so the API's requests do not wait for it); a smaller one takes turns with the API on the
    # page's one model.
    jobs = default_jobs(job.upload)
    model = state.shared.model if jobs > 1 else state.shared.taking_turns(cancelled=job.cancel.is_set)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            job.summary = label_file(job.upload, job.labelled, model=model, text_column=job.text_column,
                                     review_out=job.review, sheet=job.sheet, chunk_size=JOB_CHUNK_ROWS,
                                     progress=progress, jobs=jobs)
    except ClassifierError as error:
        names = {str(job.upload): job.filename, str(job.labelled): job.labelled.name,
                 str(job.review): job.review.name, str(job.folder): ""}
        raise JobFailed(for_the_page(str(error), names)) from None
    for path in (job.labelled, job.review):
        path.chmod(0o600)  # report text: the owner's only, whatever the umask gave the published file
    job.rows_done = job.summary.rows_out
    job.notices = our_notices(caught, {str(job.upload): job.filename})


def _refresh_seconds(job: Job) -> int:
    """How soon the progress page reloads itself: at once at first, less often for a long job."""
    return 1 if job.rows_done < 10 * JOB_CHUNK_ROWS else 3


def _user_id() -> int | None:
    """The logged-in account's id, or None when the page has no accounts."""
    user = g.get("user")
    return None if user is None else user.id


def _job_or_404(state: _State, job_id: str) -> Job:
    """The backlog job, or a 404 when it is unknown, expired, deleted, or another account's (another reviewer
    cannot tell it exists)."""
    job = state.jobs.get(job_id, g.get("user"))
    if job is None:
        abort(404, description="No such backlog result: it has expired or been deleted. Upload the file again.")
    return job


# -- JSON API -------------------------------------------------------------------------------------------

def _api_error(code: int, message: str, headers: dict[str, str] | None = None):
    abort(Response(json.dumps({"error": message, "status": code}), code, headers=headers,
                   mimetype="application/json"))


def _api_texts(state: _State) -> list[str]:
    """The validated ``texts`` of a predict request, or a 4xx JSON answer saying what is wrong.

    Error messages name positions and JSON types, never the content sent.
    """
    if not request.is_json:
        _api_error(415, 'Expected a JSON body with Content-Type: application/json, e.g. {"texts": ["..."]}.')
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        _api_error(415, f"The body is sent with Content-Encoding: {encoding[:40]}; this API takes it uncompressed. "
                        "Send the JSON as it is, without Content-Encoding.")
    body = request.get_data()
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is None and limit and len(body) >= limit:
        abort(413)  # a chunked body is cut off at the limit without a word: say so, not "invalid JSON"
    try:
        payload = json.loads(body)
    except RecursionError:
        _api_error(400, "The body is not valid JSON for this API: its arrays or objects are nested too deeply. "
                        'Send {"texts": ["...", "..."]}.')
    except ValueError as error:  # also UnicodeDecodeError, and a number of more than 4,300 digits
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
        if _LONE_SURROGATE.search(text):
            _api_error(400, f"texts[{position}] contains an unpaired UTF-16 surrogate escape (\\ud800 to "
                            "\\udfff without its pair), which is not text. Send the text as UTF-8, or escape both "
                            "halves of each surrogate pair.")
    # A text over max_chars is not an error: its result says "text too long", and it is never preprocessed.
    return texts


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string"}.get(type(value), "number")


def _json_error_position(error: ValueError) -> str:
    # JSONDecodeError's message quotes no input, only a position, so it is safe to return.
    if isinstance(error, json.JSONDecodeError):
        return str(error)
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8"
    return "a number too long to read"


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
    if request.path.startswith("/api/"):
        return (f"The request body is larger than the limit of {_format_mb(state.max_upload_mb)} MB. Send fewer or "
                "shorter texts per request, or ask whoever runs the page for a larger --max-upload-mb.")
    return (f"The upload is larger than the limit of {_format_mb(state.max_upload_mb)} MB. Split the file into "
            "smaller ones, or ask whoever runs the page to start it with a larger --max-upload-mb.")


def _format_mb(value: float) -> str:
    return f"{value:g}"
