"""HTML pages from the Jinja2 templates in ``classifier/reports/templates/``, always autoescaped.

Every value a template prints is escaped unless it is `markupsafe.Markup`: only the ``data:`` URIs of the
embedded charts are (`png_data_uri`), since they are made here from bytes and hold nothing but base64.
Values are escaped as :func:`html.escape` does (``'`` becomes ``&#x27;``), so the pages are the same as when
they were built from strings. Templates are package data: they ship with the package and are read through
the import system, never from a path relative to the source tree.
"""

from __future__ import annotations

import base64
import html
from functools import lru_cache
from typing import Any

__all__ = ["png_data_uri", "render"]


def render(template: str, **context: Any) -> str:
    """The template named `template` (a file in ``classifier/reports/templates/``) rendered with `context`.

    A name the template uses but `context` lacks raises `jinja2.UndefinedError` instead of printing nothing.
    """
    return _environment().get_template(template).render(**context)


def png_data_uri(png: bytes) -> Any:
    """A ``data:image/png;base64,...`` URI for an ``<img src>``, marked safe (it holds base64 only)."""
    from markupsafe import Markup

    return Markup("data:image/png;base64," + base64.b64encode(png).decode("ascii"))


def _escape(value: Any) -> Any:
    from markupsafe import Markup

    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("classifier.reports", "templates"),
        autoescape=True,
        finalize=_escape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
