"""Tests for classifier.web.auth and classifier.web.review: logins, roles, CSRF tokens and the review queue's
pages, on a SQLite database in a temporary folder."""

from __future__ import annotations

import re
import time

import pytest

pytest.importorskip("flask", reason="the web page needs Flask: pip install -e '.[serve]'")

from classifier.io.records import read_labelled  # noqa: E402
from classifier.review.queue import decision_history, progress  # noqa: E402
from classifier.review.users import add_user, disable_user, enable_user, get_user  # noqa: E402
from classifier.web import create_app  # noqa: E402

REPORTS = ["Asylum seekers housed at the hotel were threatened by a crowd outside.",
           "Graffiti on the mosque wall telling Muslims to go home.",
           "The bins on Mill Lane were not collected this week."]
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(model, store, tmp_path):
    app = create_app(model, data_dir=tmp_path / "serve", review_store=store)
    yield app
    app.extensions["tension"].jobs.close()


@pytest.fixture
def people(store):
    add_user(store, "ada", "admin's long password", role="admin")
    add_user(store, "rex", "reviewer's long password")
    return {"ada": "admin's long password", "rex": "reviewer's long password"}


def _token(client, path="/login") -> str:
    return _TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def _login(app, name, password):
    client = app.test_client()
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": _token(client)})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def _queue(client, texts=REPORTS):
    token = _token(client, "/review/add")
    return client.post("/review/add", data={"text": "\n\n".join(texts), "csrf_token": token})


def test_web_review_every_page_needs_a_login_once_accounts_exist(app, people):
    client = app.test_client()
    page = client.get("/")
    assert page.status_code == 303 and page.headers["Location"].startswith("/login?next=/")
    api = client.post("/api/predict", json={"texts": ["bins"]})
    assert api.status_code == 401 and "Authorization: Bearer" in api.get_json()["error"]
    assert api.headers["WWW-Authenticate"] == "Bearer"
    style = client.get("/static/style.css")
    assert style.status_code == 200
    style.close()

    logged_in = _login(app, "rex", people["rex"])
    assert logged_in.get("/").status_code == 200
    assert logged_in.post("/api/predict", json={"texts": ["bins"]}).status_code == 200


def test_web_review_without_accounts_the_label_page_is_open_but_the_queue_is_not(app):
    client = app.test_client()
    assert client.get("/").status_code == 200
    queue = client.get("/review")
    assert queue.status_code == 303 and queue.headers["Location"].startswith("/login")
    login = client.get(queue.headers["Location"]).get_data(as_text=True)
    assert "tension users add NAME --role admin" in login


def test_web_review_server_beyond_this_machine_refuses_requests_once_no_account_is_enabled(model, store, tmp_path,
                                                                                        people):
    """Reproduction: on --host 0.0.0.0, every account disabled (two admins disabling each other at once), the
    page, the backlog upload and the API answered anyone without a login."""
    app = create_app(model, data_dir=tmp_path / "serve", review_store=store, host="0.0.0.0")
    try:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE users SET disabled = true")
        client = app.test_client()
        page = client.get("/")
        assert page.status_code == 503 and "no enabled account left" in page.get_data(as_text=True)
        api = client.post("/api/predict", json={"texts": ["bins"]})
        assert api.status_code == 503 and "tension users enable NAME" in api.get_json()["error"]
        assert client.get("/login").status_code == 200
    finally:
        app.extensions["tension"].jobs.close()


def test_web_review_session_cookie_is_httponly_samesite_and_secure(app, people):
    client = app.test_client()
    client.get("/login")
    response = client.post("/login", data={"name": "rex", "password": people["rex"], "csrf_token": _token(client)})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_web_review_form_without_its_csrf_token_is_refused(app, people, store):
    client = _login(app, "rex", people["rex"])
    refused = client.post("/review/add", data={"text": REPORTS[0]})
    assert refused.status_code == 400 and "security token" in refused.get_data(as_text=True)
    wrong = client.post("/review/add", data={"text": REPORTS[0], "csrf_token": "forged"})
    assert wrong.status_code == 400
    assert progress(store)["total"] == 0
    anonymous = app.test_client()  # the login form needs one too
    assert anonymous.post("/login", data={"name": "rex", "password": people["rex"]}).status_code == 400
    assert _queue(client).status_code == 303 and progress(store)["total"] == 3


def test_web_review_disabled_user_cannot_log_in_and_is_logged_out(app, people, store):
    client = _login(app, "rex", people["rex"])
    assert client.get("/review").status_code == 200
    disable_user(store, "rex")

    assert client.get("/review").status_code == 303  # the open session ends at its next request
    again = app.test_client()
    refused = again.post("/login", data={"name": "rex", "password": people["rex"], "csrf_token": _token(again)})
    assert refused.status_code == 401 and "disabled" in refused.get_data(as_text=True)


def test_web_review_enabling_a_disabled_account_again_does_not_bring_its_old_sessions_back(app, people, store):
    """Reproduction: a stolen cookie refused while its account was disabled worked again once it was enabled."""
    client = _login(app, "rex", people["rex"])
    stolen = app.test_client()
    stolen.set_cookie("tension_session", client.get_cookie("tension_session").value)
    disable_user(store, "rex")
    assert stolen.get("/review").status_code == 303
    enable_user(store, "rex")

    assert stolen.get("/review").status_code == 303 and client.get("/review").status_code == 303
    assert _login(app, "rex", people["rex"]).get("/review").status_code == 200  # a new login works


def test_web_review_logging_out_ends_the_session_even_for_a_copy_of_its_cookie(app, people, model, store,
                                                                                tmp_path):
    client = _login(app, "rex", people["rex"])
    copied = client.get_cookie("tension_session").value
    assert client.post("/logout", data={"csrf_token": _token(client, "/review")}).status_code == 303
    thief = app.test_client()
    thief.set_cookie("tension_session", copied)
    assert thief.get("/review").status_code == 303
    restarted = create_app(model, data_dir=tmp_path / "serve again", review_store=store)  # the server restarts
    try:
        after_restart = restarted.test_client()
        after_restart.set_cookie("tension_session", copied)
        assert after_restart.get("/review").status_code == 303
    finally:
        restarted.extensions["tension"].jobs.close()
    again = _login(app, "rex", people["rex"])  # logging in again gives a new session that works
    assert again.get("/review").status_code == 200


def test_web_review_the_last_admin_cannot_disable_itself(app, people, store):
    admin = _login(app, "ada", people["ada"])
    page = admin.post("/admin/users/ada/disable", data={"csrf_token": _token(admin, "/admin")},
                      follow_redirects=True)
    assert "the last enabled admin" in page.get_data(as_text=True)
    assert not get_user(store, "ada").disabled
    assert admin.get("/admin").status_code == 200


def test_web_review_second_user_cannot_act_without_logging_in(app, people, store):
    reviewer = _login(app, "rex", people["rex"])
    _queue(reviewer)
    item = int(re.search(r'data-report="(\d+)"', reviewer.get("/review").get_data(as_text=True)).group(1))
    stranger = app.test_client()
    token = _token(stranger)  # a token of its own session, which is not logged in
    response = stranger.post(f"/review/{item}", data={"action": "save", "labels": [], "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    assert decision_history(store, item) == []


def test_web_review_a_backlog_upload_is_seen_only_by_its_uploader_and_admins(app, people, store, tmp_path):
    import io

    from tests.helpers import wait_for_job

    add_user(store, "sam", "another reviewer's password")
    uploader = _login(app, "rex", people["rex"])
    data = {"file": (io.BytesIO(b"text\nBins not collected on Mill Lane.\n"), "b.csv"),
            "csrf_token": _token(uploader, "/backlog")}
    response = uploader.post("/backlog", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    job_url = response.headers["Location"]
    assert wait_for_job(uploader, job_url)["state"] == "done"

    other = _login(app, "sam", "another reviewer's password")
    for path in (job_url, f"{job_url}/status", f"{job_url}/labelled", f"{job_url}/review"):
        assert other.get(path).status_code == 404, path
    deleted = other.post(f"{job_url}/delete", data={"csrf_token": _token(other, "/backlog")})
    assert deleted.status_code == 404
    admin = _login(app, "ada", people["ada"])
    download = admin.get(f"{job_url}/labelled")
    assert download.status_code == 200 and b"Mill Lane" in download.data
    download.close()
    mine = uploader.get(f"{job_url}/labelled")
    assert mine.status_code == 200
    mine.close()


def test_web_review_queue_shows_one_report_and_records_a_correction_as_history(app, people, store, model):
    client = _login(app, "rex", people["rex"])
    queued = _queue(client)
    assert queued.status_code == 303
    response = client.get("/review")
    page = response.get_data(as_text=True)
    assert "Queued 3 report(s)" in page and 'id="highlighted"' in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]  # review.js, for the keys
    assert "script-src" not in client.get("/").headers["Content-Security-Policy"]
    first = int(re.search(r'data-report="(\d+)"', page).group(1))
    assert 'data-key="1"' in page  # keys toggle labels
    graffiti = REPORTS.index("Graffiti on the mosque wall telling Muslims to go home.") + 1
    assert "<mark" in client.get(f"/review/{graffiti}").get_data(as_text=True)  # a labelled report's terms
    token = _TOKEN.search(page).group(1)

    predicted = model.predict([REPORTS[first - 1]])[0].labels
    client.post(f"/review/{first}", data={"action": "save", "labels": list(predicted), "csrf_token": token})
    client.post(f"/review/{first}", data={"action": "save", "labels": ["race_hate"], "csrf_token": token})

    history = decision_history(store, first)
    assert [d.action for d in history] == ["accept", "correct"] and history[1].labels == ["race_hate"]
    assert history[0].labels == sorted(predicted) and history[0].user_name == "rex"
    changed = client.get(f"/review/{first}").get_data(as_text=True)
    assert 'id="history"' in changed and changed.count("· rex ·") == 2
    after = client.get("/review").get_data(as_text=True)
    assert f'data-report="{first}"' not in after and 'id="left-for-me">2<' in after


def test_web_review_a_report_in_another_language_needs_review_and_says_why(app, people, store):
    from classifier.review.queue import get_item

    client = _login(app, "rex", people["rex"])
    _queue(client, ["Ausländer raus! Wir brennen die Moschee nieder", REPORTS[2]])
    german = client.get("/review/1").get_data(as_text=True)
    assert 'id="needs-review"' in german and 'id="review-reason"' in german
    assert "Few of its words are known to the model" in german
    bins = client.get("/review/2").get_data(as_text=True)
    assert ('id="review-reason"' in bins) is get_item(store, 2).needs_review
    assert "Few of its words are known to the model" not in bins


def test_web_review_skip_and_flag_move_on(app, people, store):
    client = _login(app, "rex", people["rex"])
    _queue(client)
    seen = []
    for action in ("skip", "flag", "skip"):
        page = client.get("/review").get_data(as_text=True)
        item = int(re.search(r'data-report="(\d+)"', page).group(1))
        seen.append(item)
        client.post(f"/review/{item}", data={"action": action, "csrf_token": _TOKEN.search(page).group(1)})
    assert len(set(seen)) == 3
    back = client.get("/review").get_data(as_text=True)  # skip is "not now": the first skipped comes back
    assert f'data-report="{seen[0]}"' in back and '<span id="skipped">2</span> you skipped' in back
    for item in (seen[0], seen[2]):
        client.post(f"/review/{item}", data={"action": "save", "csrf_token": _TOKEN.search(back).group(1)})
    assert "Nothing left for you to review" in client.get("/review").get_data(as_text=True)
    assert progress(store)["flagged"] == 1 and progress(store)["reviewed"] == 2
    assert 'href="/review/flagged"' in client.get("/review").get_data(as_text=True)
    listed = client.get("/review/flagged").get_data(as_text=True)  # someone follows the flag up from here
    assert f'href="/review/{seen[1]}"' in listed and "<td>rex</td>" in listed
    assert f'href="/review/{seen[0]}"' not in listed


def test_web_review_nothing_to_review_while_another_holds_what_you_skipped_is_not_called_done(app, people):
    """Reproduction: with 100 reports skipped, the page said every queued report had been reviewed."""
    rex = _login(app, "rex", people["rex"])
    _queue(rex, REPORTS[:1])
    page = rex.get("/review").get_data(as_text=True)
    item = int(re.search(r'data-report="(\d+)"', page).group(1))
    rex.post(f"/review/{item}", data={"action": "skip", "csrf_token": _TOKEN.search(page).group(1)})
    assert f'data-report="{item}"' in _login(app, "ada", people["ada"]).get("/review").get_data(as_text=True)

    waiting = rex.get("/review").get_data(as_text=True)  # ada holds it now
    assert "Nothing for you to review at the moment" in waiting and "1 of them skipped by you" in waiting
    assert "Nothing left for you to review" not in waiting


def test_web_review_admin_pages_need_the_admin_role_and_export(app, people, store, tmp_path):
    reviewer = _login(app, "rex", people["rex"])
    assert reviewer.get("/admin").status_code == 403
    assert reviewer.get("/admin/export").status_code == 403
    _queue(reviewer)
    page = reviewer.get("/review").get_data(as_text=True)
    item = int(re.search(r'data-report="(\d+)"', page).group(1))
    reviewer.post(f"/review/{item}", data={"action": "save", "labels": ["immigration"],
                                           "csrf_token": _TOKEN.search(page).group(1)})

    admin = _login(app, "ada", people["ada"])
    assert "rex" in admin.get("/admin").get_data(as_text=True)
    token = _token(admin, "/admin")
    added = admin.post("/admin/users", data={"name": "sam", "role": "reviewer", "password": "sam's long password",
                                             "password_again": "sam's long password", "csrf_token": token})
    assert added.status_code == 303 and "Added reviewer sam" in admin.get("/admin").get_data(as_text=True)
    export = admin.get("/admin/export")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    saved = tmp_path / "export.csv"
    saved.write_bytes(export.data)
    data = read_labelled(saved)
    assert data.labels == [("immigration",)] and data.texts == [REPORTS[item - 1]]
    later = admin.get("/admin/export?since=2999-01-01")  # nothing reviewed since: a message, not a header alone
    assert later.status_code == 303
    assert "No reviewed report to export since 2999-01-01" in admin.get("/admin").get_data(as_text=True)

    asked = admin.post("/admin/purge", data={"days": "0", "csrf_token": token})  # asks first, deletes nothing
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "the text of <strong>3</strong> report(s)" in page
    assert 'name="confirm" value="yes"' in page and progress(store)["purged"] == 0
    purged = admin.post("/admin/purge", data={"days": "0", "confirm": "yes", "csrf_token": token})
    assert purged.status_code == 303 and progress(store)["purged"] == 3


def test_web_review_failed_logins_for_a_name_wait_after_ten_and_a_success_clears_them(app, people, monkeypatch):
    """Reproduction: 60 wrong passwords for one account, 6 at a time, were all checked (about 5 guesses a second),
    with no throttling or lockout."""
    client = app.test_client()
    token = _token(client)

    def attempt(name, password):
        return client.post("/login", data={"name": name, "password": password, "csrf_token": token})

    for name in ("rex", "nobody"):  # an account and a name no one has: the same answers
        for _ in range(10):
            assert attempt(name, "not the password").status_code == 401
        refused = attempt(name, people["rex"] if name == "rex" else "anything at all")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 500
        assert "Too many failed logins for this name: try again in about 10 minute(s)" in refused.get_data(
            as_text=True)
    assert attempt("REX", people["rex"]).status_code == 429  # names are told apart without case
    assert attempt("ada", people["ada"]).status_code == 303  # another account is not held up
    client.post("/logout", data={"csrf_token": _token(client, "/review")})
    token = _token(client)
    throttle = app.extensions["tension_login_throttle"]
    clock = [throttle._clock() + 601]
    monkeypatch.setattr(throttle, "_clock", lambda: clock[0])  # ten minutes on
    assert attempt("rex", people["rex"]).status_code == 303
    assert throttle.wait("rex") == 0 and "rex" not in throttle._failures


def test_web_review_login_goes_back_only_to_this_site(app, people):
    client = app.test_client()
    token = _token(client)
    response = client.post("/login", data={"name": "rex", "password": people["rex"], "csrf_token": token,
                                           "next": "//evil.example/steal"})
    assert response.headers["Location"] == "/review"


def test_web_review_add_an_uploaded_file_and_say_what_is_wrong_with_one(app, people, store, tmp_path):
    from tests.helpers import write_csv

    client = _login(app, "rex", people["rex"])
    path = write_csv(tmp_path / "week 12.csv", [{"ref": f"R{i}", "report": text} for i, text in
                                                enumerate([*REPORTS, ""])])
    token = _token(client, "/review/add")
    with open(path, "rb") as handle:
        queued = client.post("/review/add", data={"file": (handle, path.name), "csrf_token": token},
                             content_type="multipart/form-data")
    assert queued.status_code == 303
    assert "Queued 3 report(s) (1 left out: empty or too long)" in client.get("/review").get_data(as_text=True)
    assert progress(store)["total"] == 3
    with open(path, "rb") as handle:  # the same file again: nothing is queued twice
        client.post("/review/add", data={"file": (handle, path.name), "csrf_token": token},
                    content_type="multipart/form-data")
    assert ("Queued 0 report(s) (1 left out: empty or too long; 3 already in the queue or reviewed (the same "
            "text): not queued again)") in client.get("/review").get_data(as_text=True)
    assert progress(store)["total"] == 3

    wrong = write_csv(tmp_path / "wrong.csv", [{"ref": "R1", "notes": "no text column here"}])
    with open(wrong, "rb") as handle:
        refused = client.post("/review/add", data={"file": (handle, wrong.name), "csrf_token": token},
                              content_type="multipart/form-data")
    page = refused.get_data(as_text=True)
    error = page.split('id="error" tabindex="-1" autofocus>')[1].split("<")[0]
    assert refused.status_code == 400 and error.startswith("wrong.csv: expected a text column")
    assert "tmp" not in error and "Text column" in error


def test_web_review_add_a_file_too_long_or_with_no_report_says_so(app, people, store, tmp_path, monkeypatch):
    import classifier.web.review as review

    monkeypatch.setattr(review, "MAX_QUEUE_ROWS", 5)
    client = _login(app, "rex", people["rex"])
    token = _token(client, "/review/add")
    many = tmp_path / "many.csv"
    many.write_text("text\n" + "".join(f"report number {i}\n" for i in range(5_000)), "utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_text("text\n", "utf-8")
    pages = []
    for path in (many, empty):
        with open(path, "rb") as handle:
            pages.append(client.post("/review/add", data={"file": (handle, path.name), "csrf_token": token},
                                     content_type="multipart/form-data"))
    assert pages[0].status_code == 413 and "That is more than 5 reports" in pages[0].get_data(as_text=True)
    assert pages[1].status_code == 400 and "empty.csv holds no report" in pages[1].get_data(as_text=True)
    # Reproduction: 5,000 reports of 10,000 characters were labelled while the page waited, about 200 s.
    monkeypatch.setattr(review, "MAX_QUEUE_CHARS", 100)
    long = tmp_path / "long.csv"
    long.write_text("text\n" + "".join(f"report {i} {'about the bins ' * 3}\n" for i in range(3)), "utf-8")
    with open(long, "rb") as handle:
        page = client.post("/review/add", data={"file": (handle, long.name), "csrf_token": token},
                           content_type="multipart/form-data")
    assert page.status_code == 413
    assert "Those 3 reports hold 162 characters; at most 100 can be queued at once" in page.get_data(as_text=True)
    assert progress(store)["total"] == 0


def test_web_review_add_a_file_not_in_utf8_keeps_every_row_and_says_how_it_was_read(app, people, store, tmp_path):
    client = _login(app, "rex", people["rex"])
    path = tmp_path / "cafe.csv"
    path.write_bytes("text\nThe caf\u00e9 on Moor Lane had its window smashed\nBins not collected\n".encode("cp1252"))
    token = _token(client, "/review/add")
    with open(path, "rb") as handle:
        queued = client.post("/review/add", data={"file": (handle, path.name), "csrf_token": token},
                             content_type="multipart/form-data")
    assert queued.status_code == 303
    page = client.get("/review").get_data(as_text=True)
    assert "Queued 2 report(s)." in page and progress(store)["total"] == 2
    assert "cafe.csv is not valid UTF-8 (first at line" in page  # named as uploaded, not the temporary file


def test_web_review_an_audit_suspect_says_whose_labels_are_ticked(app, people, store, model):
    from classifier.retrain.audit import REASON_MODEL, AuditResult, Suspect
    from classifier.retrain.audit_review import queue_suspects

    scores = {label: 0.01 for label in model.labels} | {"religious_hate": 0.98}
    suspect = Suspect(0, "R1", "data.csv:2", (), (), scores)
    suspect.add(REASON_MODEL, "why", 0.95)
    suspect.rank = 1
    result = AuditResult([suspect], 1, {"religious_hate": 0}, {}, [], {},
                         thresholds={label: 0.5 for label in model.labels}, texts=[REPORTS[1]])
    queue_suspects(result, store, name="audit of data.csv")
    client = _login(app, "rex", people["rex"])

    page = client.get("/review").get_data(as_text=True)
    assert REPORTS[1].split()[0] in page and "ticked: the labels the audited file gave it" in page
    assert 'id="audit-note">From the audit of data.csv' in page and "the model's suggestion" not in page

    _queue(client, [REPORTS[2]])
    item = re.search(r'action="/review/(\d+)"', page).group(1)
    client.post(f"/review/{item}", data={"action": "skip", "csrf_token": _token(client, "/review")})
    after = client.get("/review").get_data(as_text=True)
    assert "ticked: the model's suggestion" in after and "audit-note" not in after


def test_web_review_a_program_calls_the_api_with_an_accounts_token(app, people, store):
    from classifier.review.tokens import create_token, revoke_tokens

    token = create_token(store, "rex", "triage script")
    client = app.test_client()
    good = client.post("/api/predict", json={"texts": ["bins"]}, headers={"Authorization": f"Bearer {token}"})
    assert good.status_code == 200 and len(good.get_json()["results"]) == 1
    wrong = client.post("/api/predict", json={"texts": ["bins"]}, headers={"Authorization": f"Bearer {token}x"})
    assert wrong.status_code == 401 and "token" in wrong.get_json()["error"]
    # A token opens the API only, never the pages.
    page = client.get("/review", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 303 and page.headers["Location"].startswith("/login")
    disable_user(store, "rex")
    assert client.post("/api/predict", json={"texts": ["bins"]},
                       headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert revoke_tokens(store, "rex") == 0  # disabling the account revoked it


def test_web_review_an_idle_server_purges_old_report_text_on_its_timer(model, store, tmp_path, monkeypatch):
    """Reproduction: the server purged at start and then only when a request arrived an hour after the last purge:
    a server nobody visited kept expired report text for as long as it ran."""
    from datetime import datetime, timedelta

    from classifier.review.queue import enqueue
    from classifier.web import review as web_review
    from tests.helpers import FakePrediction

    monkeypatch.setattr(web_review, "_PURGE_EVERY_SECONDS", 0.2)
    app = create_app(model, data_dir=tmp_path / "serve", review_store=store, keep_results_minutes=1 / 60)
    try:
        old = datetime.now() - timedelta(days=400)
        enqueue(store, ["an old report about the bins"], [FakePrediction({"immigration": 0.1})], name="old",
                model_name="m", thresholds={"immigration": 0.5}, now=old)
        assert progress(store)["purged"] == 0
        deadline = time.monotonic() + 10
        while progress(store)["purged"] == 0 and time.monotonic() < deadline:  # no request meanwhile
            time.sleep(0.1)
        assert progress(store)["purged"] == 1
    finally:
        app.extensions["tension"].jobs.close()


def test_web_review_a_decision_sent_after_the_session_ended_says_it_was_not_saved(app, people, store):
    """Reproduction: a decision posted after the session had ended went to the login page with no message, and after
    logging in nothing said the decision was lost."""
    client = _login(app, "rex", people["rex"])
    _queue(client)
    item = int(re.search(r'data-report="(\d+)"', client.get("/review").get_data(as_text=True)).group(1))
    token = _token(client, "/review")
    client.post("/logout", data={"csrf_token": token})
    sent = client.post(f"/review/{item}", data={"labels": ["race_hate"], "action": "save", "csrf_token": token})
    assert sent.status_code == 303 and "/login" in sent.headers["Location"]
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Your session had ended, so what you sent was not saved" in page
    assert decision_history(store, item) == []


def test_web_review_a_form_whose_token_expired_links_back_to_its_page_instead_of_saying_reload(app, people):
    """Reproduction: a decision whose form token had expired got 'Bad Request ... Reload the page and send the
    form again' (reloading sends the stale token again) and links to other pages only."""
    client = _login(app, "rex", people["rex"])
    _queue(client)
    page = client.post("/review/1", data={"action": "save", "csrf_token": "stale"},
                       headers={"Referer": "http://localhost/review/1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "<title>This form has expired" in html and "Reload" not in html
    assert 'href="/review/1" id="back"' in html and "nothing was saved" in html


def test_web_review_pages_say_their_limits_and_errors_in_plain_words(app, people):
    """Reproduction: 'Add reports' gave no size or count limits and forgot the text column typed after an error;
    error pages were titled 'Not Found', 'Forbidden'; the admin table had an empty header and buttons all named
    'Disable'."""
    reviewer = _login(app, "rex", people["rex"])
    page = reviewer.get("/review/add").get_data(as_text=True)
    assert "5,000\n    reports and 5,000,000 characters at a time" in page and " MB" in page
    again = reviewer.post("/review/add", data={"text": "", "text_column": "details",
                                                "csrf_token": _token(reviewer, "/review/add")})
    assert 'name="text_column" value="details"' in again.get_data(as_text=True)
    missing = reviewer.get("/review/999999")
    assert missing.status_code == 404 and "<title>Page not found" in missing.get_data(as_text=True)
    forbidden = reviewer.get("/admin")
    assert forbidden.status_code == 403
    assert "<title>Not allowed" in forbidden.get_data(as_text=True) and "Only an admin" in forbidden.get_data(
        as_text=True)
    admin = _login(app, "ada", people["ada"]).get("/admin").get_data(as_text=True)
    assert 'aria-label="Disable rex"' in admin and '<span class="visually-hidden">Action</span>' in admin


def test_web_review_back_on_a_report_you_decided_its_boxes_show_your_decision(app, people, store):
    """Reproduction: on /review/<id> the boxes ticked the model's suggestion even after the reviewer had corrected
    it ('ticked: the model's suggestion' above a history saying 'correct: no label'), so changing one label of a
    correction meant ticking the whole correction again."""
    client = _login(app, "rex", people["rex"])
    _queue(client)
    item = int(re.search(r'data-report="(\d+)"', client.get("/review").get_data(as_text=True)).group(1))
    client.post(f"/review/{item}", data={"labels": ["misinformation"], "action": "save",
                                         "csrf_token": _token(client, "/review")})
    page = client.get(f"/review/{item}").get_data(as_text=True)
    ticked = re.findall(r'value="(\w+)" data-key="\d" aria-keyshortcuts="\d" checked', page)
    assert ticked == ["misinformation"] and "ticked: your last decision" in page
    other = _login(app, "ada", people["ada"]).get(f"/review/{item}").get_data(as_text=True)
    assert "ticked: the model's suggestion" in other  # another reviewer still starts from the model


def test_web_review_an_admin_enables_a_disabled_account_on_the_page_and_errors_name_their_field(app, people, store):
    """The admin page could disable an account but not enable it again (only `tension users enable` could); an
    error below a form was not tied to the field it is about."""
    from classifier.review.users import get_user

    admin = _login(app, "ada", people["ada"])
    token = _token(admin, "/admin")
    admin.post("/admin/users/rex/disable", data={"csrf_token": token})
    page = admin.get("/admin").get_data(as_text=True)
    assert 'aria-label="Enable rex"' in page and get_user(store, "rex").disabled
    assert admin.post("/admin/users/rex/enable", data={"csrf_token": token}).status_code == 303
    assert not get_user(store, "rex").disabled and "Enabled rex" in admin.get("/admin").get_data(as_text=True)
    wrong = app.test_client()
    failed = wrong.post("/login", data={"name": "rex", "password": "not it at all", "csrf_token": _token(wrong)})
    html = failed.get_data(as_text=True)
    assert 'aria-invalid="true" aria-describedby="error"' in html and 'id="error"' in html


def test_web_review_the_queue_lists_your_recent_decisions_with_links_to_change_them(app, people):
    """'change your last decision' was the only way back, and only right after deciding (it needs ?last= in the
    address): a reviewer who noticed a mistake two reports later had no link to it."""
    client = _login(app, "rex", people["rex"])
    _queue(client)
    decided = []
    for _ in range(3):
        page = client.get("/review").get_data(as_text=True)
        item = int(re.search(r'data-report="(\d+)"', page).group(1))
        client.post(f"/review/{item}", data={"action": "skip" if not decided else "save",
                                             "csrf_token": _token(client, "/review")})
        decided.append(item)
    page = client.get("/review").get_data(as_text=True)
    links = re.findall(r'<a href="/review/(\d+)">Report \d+</a>: (\w+)', page.split('id="recent"')[1])
    assert [int(report) for report, _ in links] == decided[::-1] and links[-1][1] == "skip"
    assert 'id="recent"' not in _login(app, "ada", people["ada"]).get("/review").get_data(as_text=True)


def test_web_review_the_message_after_a_decision_takes_the_focus(app, people):
    """The 'Report 3: accepted (...)' message was a status region already on the page when it loaded, which screen
    readers do not announce: a reviewer using one heard nothing after each decision."""
    client = _login(app, "rex", people["rex"])
    _queue(client)
    item = int(re.search(r'data-report="(\d+)"', client.get("/review").get_data(as_text=True)).group(1))
    done = client.post(f"/review/{item}", data={"action": "skip", "csrf_token": _token(client, "/review")})
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<p class="notice" role="status" id="flash-1" tabindex="-1" autofocus>Report \d+: skipped', page)
