"""Tests for classifier.reports.summary_report: the trend summary as one self-contained, escaped HTML page."""

from __future__ import annotations

import re
import warnings

from classifier.reports.summarise import summarise
from classifier.reports.summary_report import render_html
from tests.helpers import write_csv


def _summary(tmp_path, rows, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return summarise(write_csv(tmp_path / "r.csv", rows), **options)


def test_summary_report_page_has_the_table_total_last_and_the_source(tmp_path):
    rows = [{"received": f"2024-0{1 + i % 3}-10", "labels": "immigration" if i % 2 else ""} for i in range(12)]
    page = render_html(_summary(tmp_path, rows))

    assert page.startswith("<!DOCTYPE html>") and page.endswith("</body></html>\n")
    assert "<p>Source: r.csv; dates from column &lsquo;received&rsquo;. Produced " in page
    table = page[page.index("<h2>Reports per period</h2>"):]
    assert re.findall(r"<tr(?: class=\"total\")?><td>([^<]*)</td>", table)[-1] == "Total"
    assert '<tr class="total"><td>Total</td><td>12</td>' in table


def test_summary_report_without_dates_labels_or_review_has_one_chart_and_no_pairs(tmp_path):
    page = render_html(_summary(tmp_path, [{"text": "a", "labels": ""}, {"text": "b", "labels": ""}]))

    assert "dates from column" not in page
    assert page.count("data:image/png;base64,") == 1
    assert "Label pairs" not in page


def test_summary_report_escapes_what_the_file_holds(tmp_path, monkeypatch):
    import classifier.reports.summarise as summarise_module

    # summarise refuses label names that are not names; the page escapes them all the same (defence in depth).
    monkeypatch.setattr(summarise_module, "_check_label_names", lambda *args: None)
    rows = [{"received": "2024-01-01", "labels": "<b>odd</b>;x'y"}] * 3
    page = render_html(_summary(tmp_path, rows))

    assert "<b>odd</b>" not in page
    assert "&lt;b&gt;odd&lt;/b&gt; + x&#x27;y" in page  # the label pair, escaped
