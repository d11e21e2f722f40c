"""The review queue end to end in a real headless browser (as tests/web/test_browser.py): log in, queue reports,
review five by keyboard, correct one, export, and read the export back as training data."""

from __future__ import annotations

import shutil
import threading

import pytest

from classifier.io.records import read_labelled  # noqa: E402
from classifier.review.queue import decision_history, progress  # noqa: E402
from classifier.review.users import add_user  # noqa: E402
from classifier.web import create_app  # noqa: E402
from tests.helpers import review_store  # noqa: E402
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, sync_api  # skips this module as it skips that one

pytestmark = pytest.mark.slow
REPORTS = [
    "Asylum seekers housed at the hotel were threatened by a crowd outside.",
    "Graffiti on the mosque wall telling Muslims to go home.",
    "Leaflets claim the council gives migrants free cars, which is not true.",
    "A Palestinian flag was torn down outside the community centre and people argued.",
    "Someone shouted racist abuse at a Black bus driver on route 12.",
    "The bins on Mill Lane were not collected this week.",
]


@pytest.fixture
def served(model, tmp_path):
    from classifier.web.server import make_server

    store = review_store(tmp_path)
    add_user(store, "ada", "admin's long password", role="admin")
    app = create_app(model, data_dir=tmp_path / "serve", review_store=store, secure_cookies=False)
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", store
    server.shutdown()
    server.server_close()
    thread.join(5)
    app.extensions["tension"].jobs.close()
    store.close()


def test_web_browser_review_five_by_keyboard_correct_one_and_export(served, model, tmp_path):
    base_url, store = served
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            page.goto(base_url + "/review")  # not logged in: the login page
            assert page.locator("#login-form").count() == 1
            page.fill("#name", "ada")
            page.fill("#password", "admin's long password")
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("#queue-empty")

            page.goto(base_url + "/review/add")
            page.fill("#text", "\n\n".join(REPORTS))
            page.click("#add-form button[type=submit]")
            page.wait_for_selector("#item")
            assert "Queued 6 report(s)" in page.inner_text("main")

            reviewed, corrected = [], None
            for step in range(5):
                item = int(page.get_attribute("#item", "data-report"))
                reviewed.append(item)
                if step == 2:  # correct this one: toggle the first label with its key
                    corrected = item
                    page.keyboard.press("1")
                with page.expect_navigation(url=f"**/review?last={item}"):
                    page.keyboard.press("Enter")
                page.wait_for_selector("#progress")
            assert page.inner_text("#mine") == "5" and page.inner_text("#left-for-me") == "1"

            page.goto(base_url + "/admin")
            with page.expect_download() as download_info:
                page.click("#download-export")
            saved = tmp_path / "export.csv"
            shutil.copyfile(download_info.value.path(), saved)
        finally:
            context.close()
            browser.close()

    assert len(set(reviewed)) == 5 and progress(store)["reviewed"] == 5
    history = decision_history(store, corrected)
    assert [d.action for d in history] == ["correct"]
    first_label = model.labels[0]
    suggested = set(model.predict([REPORTS[corrected - 1]])[0].labels)
    assert set(history[0].labels) == suggested ^ {first_label}  # key 1 toggled the first label
    data = read_labelled(saved)
    assert len(data) == 5 and sorted(data.texts) == sorted(REPORTS[i - 1] for i in reviewed)
    exported = dict(zip(data.texts, data.labels, strict=True))
    assert set(exported[REPORTS[corrected - 1]]) == suggested ^ {first_label}


def test_web_browser_enter_on_a_focused_button_does_what_it_says_and_shortcuts_can_be_turned_off(served):
    """Reproduction: Enter on a focused Skip or Flag button, or on the 'change your last decision' link, recorded
    'Accept' (the page turned every Enter into Accept); the single-key shortcuts could not be turned off."""
    base_url, store = served
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_context().new_page()
        page.set_default_timeout(20_000)
        try:
            page.goto(base_url + "/review")
            page.fill("#name", "ada")
            page.fill("#password", "admin's long password")
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("#queue-empty")
            page.goto(base_url + "/review/add")
            page.fill("#text", "\n\n".join(REPORTS[:3]))
            page.click("#add-form button[type=submit]")
            page.wait_for_selector("#item")
            first = int(page.get_attribute("#item", "data-report"))
            page.focus("#skip")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            second = int(page.get_attribute("#item", "data-report"))
            page.uncheck("#shortcuts")  # off: keys do nothing, and the choice is remembered
            page.locator("body").focus()
            page.keyboard.press("f")
            page.reload()
            assert not page.is_checked("#shortcuts") and int(page.get_attribute("#item", "data-report")) == second
        finally:
            browser.close()
    assert [d.action for d in decision_history(store, first)] == ["skip"]
    assert decision_history(store, second) == []
