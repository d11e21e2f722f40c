"""Tests for classifier.reports.rendering: every page comes from a packaged, autoescaping Jinja2 template."""

from __future__ import annotations

import tomllib
from importlib import resources

import jinja2
import pytest

from classifier.reports import rendering
from classifier.reports.rendering import png_data_uri, render
from tests.helpers import ROOT

TEMPLATES = ("evaluation_report.html", "learning_curve.html", "summary.html")


def test_rendering_escapes_every_value_as_html_escape_does():
    page = render("learning_curve.html", image=png_data_uri(b"png"), labels=["<b>'x'</b>"],
                  points=[{"size": 5, "skipped": "\"too\" few & <i>small</i>"}])

    assert "<b>" not in page and "<i>" not in page
    assert "&lt;b&gt;&#x27;x&#x27;&lt;/b&gt;" in page
    assert "skipped: &quot;too&quot; few &amp; &lt;i&gt;small&lt;/i&gt;" in page


def test_rendering_png_data_uri_is_the_only_unescaped_value():
    uri = png_data_uri(b"\x89PNG")

    assert uri == "data:image/png;base64,iVBORw=="
    assert f'src="{uri}"' in render("learning_curve.html", image=uri, labels=[], points=[])
    assert 'src="&lt;x&gt;"' in render("learning_curve.html", image="<x>", labels=[], points=[])


def test_rendering_a_missing_value_is_an_error_not_an_empty_cell():
    with pytest.raises(jinja2.UndefinedError, match="image"):
        render("learning_curve.html", labels=[], points=[])


def test_rendering_environment_autoescapes():
    assert rendering._environment().autoescape is True


@pytest.mark.parametrize("name", TEMPLATES)
def test_rendering_templates_are_package_data(name):
    assert (resources.files("classifier.reports") / "templates" / name).is_file()
    with open(ROOT / "pyproject.toml", "rb") as handle:
        package_data = tomllib.load(handle)["tool"]["setuptools"]["package-data"]
    assert "templates/*.html" in package_data["classifier.reports"]
