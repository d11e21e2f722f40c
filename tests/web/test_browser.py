"""End to end in a real headless browser: Debian's chromium driven by Playwright, against a real server.

Skipped (with the reason) when /usr/bin/chromium or the playwright package is missing; `scripts/test.sh`
installs both where it can.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
if not CHROMIUM.exists():
    pytest.skip(f"no browser at {CHROMIUM}: install Debian's chromium (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install "
                               "playwright; its own browser download is not needed)")
pytest.importorskip("flask", reason="the web page needs Flask: pip install -e '.[serve]'")

from classifier.io.tables import TableReader  # noqa: E402
from classifier.model.label_names import display_name  # noqa: E402
from classifier.web import create_app  # noqa: E402
from tests.helpers import write_csv  # noqa: E402

pytestmark = pytest.mark.slow
REPORT = ("Asylum seekers housed at the hotel were threatened, and leaflets say no more migrants. "
          "<b>not bold</b> SECRET-Ottoline-9381")


@pytest.fixture(scope="module")
def base_url(model, tmp_path_factory):
    from classifier.web.server import make_server

    app = create_app(model, data_dir=tmp_path_factory.mktemp("serve"))
    server = make_server("127.0.0.1", 0, app)  # port 0: the system picks a free one
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)
    app.extensions["tension"].jobs.close()


@pytest.fixture(scope="module")
def page():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
        context.close()
        browser.close()


def test_web_browser_paste_a_report_and_see_labels_and_highlights(page, base_url, model, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    page.goto(base_url + "/")
    page.fill("#text", REPORT)
    page.click("button[type=submit]")
    page.wait_for_selector("#result")

    expected = model.predict([REPORT])[0]
    assert "immigration" in expected.labels
    labels = page.inner_text("#labels")
    for label in expected.labels:
        assert display_name(label) in labels  # "Immigration", not "immigration"
    assert page.locator("svg.bar").count() == len(model.labels)
    assert page.locator("#needs-review").count() == int(expected.needs_review)

    marked = [text.lower() for text in page.locator("#highlighted mark.label-immigration").all_inner_texts()]
    assert any("asylum" in text or "migrants" in text or "hotel" in text for text in marked)
    assert page.locator("#highlighted b").count() == 0  # the report's HTML is shown as text
    assert "<b>not bold</b>" in page.inner_text("#highlighted")
    assert page.locator("link[rel=stylesheet]").count() == 1
    assert page.eval_on_selector("nav", "el => getComputedStyle(el).display") == "flex"  # our CSS loaded

    # The answer is announced: it has the focus once the page loads, and its summary is a live region.
    assert page.evaluate("document.activeElement.id") == "result"
    assert page.get_attribute("#result", "aria-describedby") == "result-summary"
    live = page.locator("#result [aria-live=polite]")
    assert live.count() == 1 and display_name("immigration") in live.inner_text()
    # A highlight names its labels in text (hidden text for screen readers, a numbered tag explained by the legend).
    first = page.locator("#highlighted mark.label-immigration").first
    assert "Immigration" in first.locator(".visually-hidden").inner_text()
    assert "Immigration" in first.get_attribute("title")
    tag = first.locator(".tag").first.inner_text()
    assert tag in page.inner_text("#legend") and "Immigration" in page.inner_text("#legend")
    assert page.get_attribute("#score-help", "class") == "hint" and "Threshold" in page.inner_text("#score-help")

    logged = caplog.text
    assert "POST / HTTP/1.1" in logged  # the server logs its requests here...
    assert "Ottoline" not in logged  # ...but never the report text


def test_web_browser_upload_a_backlog_and_download_every_row(page, base_url, tmp_path):
    rows = [{"reference": f"B{i}", "channel": "web", "text": text} for i, text in enumerate([
        "Protesters outside the asylum hotel shouted at the asylum seekers to go back on the boats.", "",
        "Bins not collected on Mill Lane.",
        "Graffiti on the mosque: 'Muslims go home'.", "Line one\nline two, with a comma",
    ])]
    path = write_csv(tmp_path / "backlog.csv", rows)
    page.goto(base_url + "/backlog")
    page.set_input_files("#file", str(path))
    page.click("button[type=submit]")
    page.wait_for_selector("#summary")  # after the progress page has reloaded itself until the job was done
    assert page.inner_text("#rows-in") == "5" and page.inner_text("#rows-out") == "5"

    with page.expect_download() as download_info:
        page.click("#download-labelled")
    download = download_info.value
    assert download.suggested_filename == "backlog_labelled.csv"
    saved = tmp_path / "downloaded.csv"
    shutil.copyfile(download.path(), saved)
    with TableReader(saved) as reader:
        back = list(reader)
    assert [row["reference"] for row in back] == [row["reference"] for row in rows]
    assert [row["text"] for row in back] == [row["text"] for row in rows]
    assert [row["status"] for row in back] == ["ok", "empty text", "ok", "ok", "ok"]
    assert "immigration" in back[0]["labels"]


def test_web_browser_upload_button_is_disabled_and_says_so_while_the_file_is_sent(page, base_url, tmp_path):
    path = write_csv(tmp_path / "backlog.csv", [{"text": "Bins not collected on Mill Lane."}])
    page.goto(base_url + "/backlog")
    page.set_input_files("#file", str(path))
    # Hold the submission in the page (after the page's own handler has run) to look at the form meanwhile.
    page.evaluate("document.querySelector('form[data-busy]').addEventListener('submit', e => e.preventDefault())")
    page.click("button[type=submit]")
    assert page.is_disabled("button[type=submit]")
    assert page.inner_text("button[type=submit]") == "Uploading…"
    assert "Sending the file" in page.inner_text("[data-busy-status]")


@pytest.mark.parametrize("width", [400, 320])
def test_web_browser_result_fits_a_narrow_screen(page, base_url, width):
    page.set_viewport_size({"width": width, "height": 800})
    try:
        page.goto(base_url + "/")
        page.fill("#text", REPORT)
        page.click("button[type=submit]")
        page.wait_for_selector("#result")
        # Nothing makes the page scroll sideways; a wide table scrolls inside its own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        box = page.locator(".table-scroll").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        page.goto(base_url + "/api")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        page.set_viewport_size({"width": 1280, "height": 720})


def test_web_browser_api_link_opens_a_page_for_people(page, base_url):
    page.goto(base_url + "/")
    page.click("nav >> text=API help")
    page.wait_for_selector("h1")
    assert page.url == base_url + "/api"
    assert "Label reports from a program" in page.inner_text("h1")
    assert page.get_attribute("#openapi-link", "type") == "application/json"
    assert "JSON file" in page.inner_text("#openapi-link")
