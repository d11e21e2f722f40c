"""The review queue's pages (with `classifier.web.auth`): reviewers confirm or correct the model's labels one
report at a time; admins manage accounts, export the reviewed reports and purge old text.

Routes
------
``GET /review``                      the next report for this reviewer, with progress
``GET /review/flagged``              the reports reviewers flagged, to follow up
``GET /review/<id>``                 one report (to change a decision), with its decisions so far
``POST /review/<id>``                record a decision: ``action`` save (the ticked ``labels``), skip or flag
``GET/POST /review/add``             paste reports or upload a file; the model labels them and they are queued
``GET /admin``                       accounts, export and purge
``POST /admin/users``                add an account; ``POST /admin/users/<name>/disable`` disables one
``GET /admin/export``                the reviewed reports as the CSV ``tension export-reviewed`` writes
``POST /admin/purge``                say how many reports would lose their text; with ``confirm=yes``, delete it
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.utils import secure_filename

from classifier.errors import ClassifierError
from classifier.io.columns import TEXT_COLUMNS
from classifier.io.tables import SUPPORTED_EXTENSIONS, TableReader, find_column
from classifier.model.label_names import display_name
from classifier.retrain.audit_review import AUDIT_MODEL_NAME
from classifier.review.export import EXPORT_COLUMNS, guarded, nothing_to_export, reviewed_rows
from classifier.review.queue import (
    batch_names,
    decision_history,
    enqueue,
    flagged_reports,
    get_item,
    next_item,
    progress,
    recent_decisions,
    record_decision,
)
from classifier.review.retention import purge, purgeable
from classifier.review.store import ReviewStore, utcnow
from classifier.review.users import add_user, disable_user, enable_user, list_users
from classifier.web.uploads import for_the_page, our_notices

__all__ = ["MAX_QUEUE_CHARS", "MAX_QUEUE_ROWS", "install_review"]

#: Most reports one paste or upload may add to the queue (they are labelled while the page waits).
MAX_QUEUE_ROWS = 5_000
#: Most characters of report text one paste or upload may add (5,000 reports of 1,000 characters; labelling that
#: takes some seconds here). 5,000 reports of 10,000 characters each kept the page waiting about 200 s.
MAX_QUEUE_CHARS = 5_000_000
#: Most flagged reports the flagged page lists (the latest first).
FLAGGED_SHOWN = 500
#: The keys that toggle labels: 1 for the first label, and so on.
_KEYS = "123456789"
_PARAGRAPHS = re.compile(r"\n\s*\n")
_PURGE_EVERY_SECONDS = 3600
#: A reviewer's latest decisions listed under the report, each a link back to change it.
RECENT_SHOWN = 5


def install_review(app: Flask, store: ReviewStore, state: Any, *, explain: Callable[[str], dict[str, Any]],
                   keep_days: float, upload_dir: Path) -> None:
    """Add the review and admin pages to `app`.

    Parameters
    ----------
    state
        The page's shared state (`classifier.web.app`): its model (``state.model``, ``state.shared``).
    explain
        The one-report page's explanation of a text (its highlighted HTML and score rows).
    keep_days
        Report text older than this is purged at start and then hourly, on a timer (no request needed).
    upload_dir
        A private folder for uploads while they are read.
    """
    last_purge = [0.0]
    purging = threading.Lock()

    def purge_if_due() -> None:
        with purging:  # a request and the timer may both find it due
            if time.monotonic() - last_purge[0] >= _PURGE_EVERY_SECONDS:
                last_purge[0] = time.monotonic()
                purge(store, keep_days)

    purge_if_due()
    app.before_request(purge_if_due)
    state.jobs.every_sweep(purge_if_due)  # an idle server purges too: no request need arrive

    @app.context_processor
    def _review_globals() -> dict[str, Any]:
        return {"keep_days": keep_days, "max_queue_rows": MAX_QUEUE_ROWS, "max_queue_chars": MAX_QUEUE_CHARS}

    @app.get("/review")
    def review_queue():
        item = next_item(store, g.user.id)
        return _review_page(item, claim_note=True)

    @app.get("/review/flagged")
    def review_flagged():
        return render_template("review_flagged.html", flagged=flagged_reports(store, FLAGGED_SHOWN),
                               shown=FLAGGED_SHOWN, counts=progress(store))

    @app.get("/review/<int:report_id>")
    def review_item(report_id: int):
        item = get_item(store, report_id)
        if item is None:
            abort(404, description="No such report in the review queue.")
        return _review_page(item, history=decision_history(store, report_id))

    @app.post("/review/<int:report_id>")
    def review_decide(report_id: int):
        item = get_item(store, report_id)
        if item is None:
            abort(404, description="No such report in the review queue.")
        action = request.form.get("action", "")
        if action == "save":
            labels = sorted(set(request.form.getlist("labels")))
            action = "accept" if labels == sorted(item.model_labels) else "correct"
        elif action not in ("skip", "flag"):
            abort(400, description="Choose Accept, Skip or Flag.")
        else:
            labels = None
        try:
            decision = record_decision(store, report_id, g.user.id, action, labels)
        except ClassifierError as error:
            flash(str(error), "error")
            return redirect(url_for("review_queue"), code=303)
        flash(f"Report {report_id}: {_describe(decision.action, decision.labels)}.", "done")
        return redirect(url_for("review_queue", last=report_id), code=303)

    @app.route("/review/add", methods=["GET", "POST"])
    def review_add():
        if request.method == "GET":
            return render_template("review_add.html", error=None, text="")
        text, text_column = request.form.get("text", ""), request.form.get("text_column", "")
        upload = request.files.get("file")
        notices: list[str] = []
        try:
            if upload is not None and upload.filename:
                texts, name, notices = _read_upload(upload, text_column.strip() or None,
                                                    upload_dir)
            else:
                texts, name = [part.strip() for part in _PARAGRAPHS.split(text) if part.strip()], "pasted"
        except ClassifierError as error:
            return render_template("review_add.html", error=str(error), text=text, text_column=text_column), 400
        if not texts:
            error = ("Paste at least one report, or choose a file." if name == "pasted" else
                     f"{name} holds no report (only a header, or empty rows). Choose the file with the reports.")
            return render_template("review_add.html", error=error, text=text, text_column=text_column), 400
        if len(texts) > MAX_QUEUE_ROWS:  # a file is read only until it passes the limit: its count is a floor
            count = f"{len(texts):,}" if name == "pasted" else f"more than {MAX_QUEUE_ROWS:,}"
            error = (f"That is {count} reports; at most {MAX_QUEUE_ROWS:,} can be queued at once. Split the "
                     "file, or label it as a backlog file instead.")
            return render_template("review_add.html", error=error, text=text, text_column=text_column), 413
        characters = sum(len(part) for part in texts)
        if characters > MAX_QUEUE_CHARS:  # they are labelled while the page waits: a long wait, then a proxy's timeout
            error = (f"Those {len(texts):,} reports hold {characters:,} characters; at most {MAX_QUEUE_CHARS:,} "
                     "can be queued at once, as they are labelled while this page waits. Split the file, or label "
                     "it as a backlog file (Label a backlog) instead.")
            return render_template("review_add.html", error=error, text=text, text_column=text_column), 413
        predictions = state.shared.predict(texts, on_invalid="flag", max_chars=state.max_chars)
        batch = enqueue(store, texts, predictions, name=name, model_name=state.model_name,
                        thresholds=state.model.thresholds, uploaded_by=g.user.id)
        not_queued = "; ".join(batch.not_queued())
        flash(f"Queued {batch.queued} report(s){f' ({not_queued})' if not_queued else ''}.", "done")
        for notice in notices:
            flash(notice, "notice")
        return redirect(url_for("review_queue"), code=303)

    @app.get("/admin")
    def admin():
        return render_template("admin.html", users=list_users(store), counts=progress(store), error=None)

    @app.post("/admin/users")
    def admin_add_user():
        form = request.form
        if form.get("password", "") != form.get("password_again", ""):
            flash("The two passwords differ; type the same one twice.", "error")
        else:
            try:
                user = add_user(store, form.get("name", "").strip(), form.get("password", ""),
                                role=form.get("role", "reviewer"))
                flash(f"Added {user.role} {user.name}.", "done")
            except ClassifierError as error:
                flash(str(error), "error")
        return redirect(url_for("admin"), code=303)

    def _account_change(change, name: str, done: str):
        """Disable or enable an account, flash what happened (or why not), back to the admin page."""
        try:
            change(store, name)
            flash(done, "done")
        except ClassifierError as error:
            flash(str(error), "error")
        return redirect(url_for("admin"), code=303)

    @app.post("/admin/users/<name>/disable")
    def admin_disable_user(name: str):
        return _account_change(disable_user, name, f"Disabled {name}: they can no longer log in.")

    @app.post("/admin/users/<name>/enable")
    def admin_enable_user(name: str):
        return _account_change(enable_user, name, f"Enabled {name}: their password and decisions are as they were; "
                                                  "API tokens stay revoked.")

    @app.get("/admin/export")
    def admin_export():
        since = None
        if request.args.get("since"):
            try:
                since = datetime.strptime(request.args["since"], "%Y-%m-%d")
            except ValueError:
                abort(400, description="Give the date as YYYY-MM-DD, e.g. 2026-04-01.")
        rows, purged = reviewed_rows(store, since)
        if not rows:  # as `tension export-reviewed`: no file of a header alone
            nothing = nothing_to_export(since, purged)
            flash(f"{nothing[0].upper()}{nothing[1:]}. Review reports in the queue first"
                  f"{', or give an earlier date' if since is not None else ''}.", "error")
            return redirect(url_for("admin"), code=303)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(guarded(rows))
        name = f"reviewed-{utcnow():%Y%m%d-%H%M}.csv"
        return Response(buffer.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.post("/admin/purge")
    def admin_purge():
        try:
            days = float(request.form.get("days", ""))
            if request.form.get("confirm") != "yes":  # first ask, saying how many reports lose their text
                return render_template("admin_purge.html", days_text=f"{days:g}", count=purgeable(store, days))
            done = purge(store, days)
        except (ValueError, ClassifierError):
            flash("Give the number of days to keep report text (0 or more).", "error")
        else:
            flash(f"Deleted the text of {done} report(s) older than {days:g} day(s); labels and decisions kept.",
                  "done")
        return redirect(url_for("admin"), code=303)

    def _review_page(item, *, history=None, claim_note=False):
        counts = progress(store, g.user.id)
        recent = recent_decisions(store, g.user.id, RECENT_SHOWN)
        if item is None:
            return render_template("review.html", item=None, counts=counts, recent=recent)
        labels = list(state.model.labels)
        for label in item.scores:
            if label not in labels:
                labels.append(label)
        # Back on a report this reviewer decided: tick what they decided, not the model's suggestion again.
        mine = [d for d in history or () if d.user_id == g.user.id and d.labels is not None]
        ticked = set(mine[-1].labels) if mine else set(item.model_labels)
        rows = [{"label": label, "name": display_name(label), "key": _KEYS[i] if i < len(_KEYS) else "",
                 "checked": label in ticked, "score": item.scores.get(label)}
                for i, label in enumerate(labels)]
        explained = explain(item.text) if item.text is not None else None
        batch_name, labelled_by = batch_names(store, item.batch_id) or ("", "")
        g.allow_scripts = True  # review.js: the keys
        return render_template("review.html", item=item, rows=rows, explained=explained, counts=counts,
                               history=history, last=request.args.get("last", type=int),
                               audited=labelled_by == AUDIT_MODEL_NAME, batch_name=batch_name,
                               yours=bool(mine), recent=recent)


def _describe(action: str, labels: list[str] | None) -> str:
    if action in ("skip", "flag"):
        return {"skip": "skipped", "flag": "flagged for a second look"}[action]
    names = ", ".join(display_name(label) for label in labels or ()) or "no label"
    return f"{'accepted' if action == 'accept' else 'corrected'} ({names})"


def _read_upload(upload, text_column: str | None, folder: Path) -> tuple[list[str], str, list[str]]:
    """The texts of an uploaded table (empty ones kept, so that left-out counts add up), its safe name, and the
    reader's notices about it (e.g. read as Windows-1252, not UTF-8), naming the upload."""
    import warnings

    from classifier.errors import DataError

    suffix = Path(upload.filename).suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise DataError(f"Expected a file ending in {', '.join(SUPPORTED_EXTENSIONS)}; got "
                        f"{suffix or 'a name without an extension'!r}. Save the file in one of those formats.")
    name = secure_filename(upload.filename) or f"upload{suffix}"
    with tempfile.NamedTemporaryFile(dir=folder, suffix=suffix) as handle:  # 0600, deleted on close
        upload.save(handle)
        handle.flush()
        texts: list[str] = []
        try:
            with warnings.catch_warnings(record=True) as caught, TableReader(Path(handle.name)) as reader:
                warnings.simplefilter("always")
                column = find_column(reader.columns, TEXT_COLUMNS, given=text_column, purpose="text",
                                     path=reader.path, sheet=reader.sheet_title)
                for chunk in reader.iter_chunks():
                    texts.extend(str(row.get(column) or "") for row in chunk)
                    if len(texts) > MAX_QUEUE_ROWS:
                        break
        except ClassifierError as error:  # name the upload, not the server's temporary file
            message = for_the_page(str(error), {handle.name: name, Path(handle.name).name: name})
            raise DataError(message if name in message else f"{name}: {message}") from None
        notices = our_notices(caught, {handle.name: name})
    return texts, name, notices
