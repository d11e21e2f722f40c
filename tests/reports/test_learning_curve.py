"""Tests for classifier.reports.learning_curve: the curve's JSON, PNG and HTML page, written atomically."""

from __future__ import annotations

import json

from classifier.reports.learning_curve import LEARNING_CURVE_FILES, learning_curve_png, write_learning_curve

POINTS = [
    {"size": 10, "fraction": 0.1, "repeats": 0, "skipped": "too few reports of <label> 'a'"},
    {"size": 50, "fraction": 0.5, "repeats": 1, "skipped": None, "macro_f1": 0.6, "macro_f1_std": 0.0,
     "micro_f1": 0.62, "micro_f1_std": 0.0, "f1": {"a<b": 0.5, "c": 0.7}},
]


def test_learning_curve_writes_its_three_files_and_nothing_else(tmp_path):
    paths = write_learning_curve(POINTS, tmp_path / "lc")

    assert sorted(path.name for path in (tmp_path / "lc").iterdir()) == sorted(LEARNING_CURVE_FILES)
    assert {key: path.name for key, path in paths.items()} == {
        "json": "learning_curve.json", "png": "learning_curve.png", "html": "learning_curve.html"}
    assert json.loads(paths["json"].read_text("utf-8")) == POINTS


def test_learning_curve_page_escapes_labels_and_reasons(tmp_path):
    page = write_learning_curve(POINTS, tmp_path)["html"].read_text("utf-8")

    assert "<th>a&lt;b</th>" in page and "<label>" not in page
    assert '<td colspan="4">skipped: too few reports of &lt;label&gt; &#x27;a&#x27;</td>' in page
    assert "<td>0.600</td><td>0.620</td><td>0.500</td><td>0.700</td>" in page  # one repeat: no ± spread


def test_learning_curve_replaces_the_files_of_an_earlier_run(tmp_path):
    write_learning_curve(POINTS, tmp_path)
    write_learning_curve(POINTS[:1], tmp_path)

    assert json.loads((tmp_path / "learning_curve.json").read_text("utf-8")) == POINTS[:1]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(LEARNING_CURVE_FILES)


def test_learning_curve_png_without_any_fitted_size_is_still_a_plot():
    assert learning_curve_png(POINTS[:1])[:8] == b"\x89PNG\r\n\x1a\n"
