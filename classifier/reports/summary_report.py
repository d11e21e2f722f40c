"""A self-contained HTML page for a trend summary: tables and matplotlib charts embedded as PNG.

No external assets (no scripts, fonts, stylesheets or images fetched from anywhere): the page can be
e-mailed or attached to committee papers as one file. Charts are drawn with the Agg canvas directly,
without pyplot, so nothing global in matplotlib is changed. Charts plot only what the table shows:
withheld counts ("[c]") are gaps, never values.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from classifier.reports.summary_data import NEEDS_REVIEW, NO_DATE, OUTSIDE_WINDOW, REPORTS, TOTAL, Summary

__all__ = ["render_html"]

_CSS = """
body { font-family: Arial, Helvetica, sans-serif; margin: 2em; color: #1d1d1d; max-width: 75em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #b1b4b6; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f2f1; }
tr.total td { font-weight: bold; border-top: 2px solid #505a5f; }
.note { background: #fff7e6; border-left: 4px solid #f47738; padding: 0.5em 1em; margin: 0.5em 0; }
img { max-width: 100%; height: auto; }
"""


def _value(value: int | str | None) -> float:
    """A shown count as a number for a chart; withheld or blank cells are NaN (a gap)."""
    return float(value) if isinstance(value, int) else math.nan


def _png(figure: object) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _charts(summary: Summary) -> list[tuple[str, str]]:
    """(title, base64 PNG) for: reports per period, counts per label, share needing review."""
    from matplotlib.figure import Figure

    rows = [row for row in summary.table if row["period"] not in (TOTAL, NO_DATE, OUTSIDE_WINDOW)]
    if not rows:
        return []
    periods = [str(row["period"]) for row in rows]
    positions = list(range(len(periods)))
    step = max(1, len(periods) // 12)
    charts = []

    def axes(title: str, ylabel: str) -> tuple[Any, Any]:
        figure = Figure(figsize=(9, 3.8), dpi=100, layout="constrained")
        ax = figure.add_subplot()
        ax.set_title(title + (" (gaps: withheld counts)" if summary.suppress_below else ""))
        ax.set_xlim(-0.5, len(periods) - 0.5)
        ax.set_ylabel(ylabel)
        ax.set_xticks(positions[::step], periods[::step], rotation=45 if len(periods) > 6 else 0, ha="right")
        ax.grid(axis="y", alpha=0.3)
        return figure, ax

    figure, ax = axes("Reports per period", "reports")
    ax.bar(positions, [_value(row[REPORTS]) for row in rows], color="#1d70b8")
    charts.append(("Reports per period", _png(figure)))

    if summary.label_names:
        figure, ax = axes("Reports per label", "reports")
        if len(rows) == 1:  # no dates: one bar per label
            ax.set_xlim(-0.5, len(summary.label_names) - 0.5)
            ax.bar(range(len(summary.label_names)), [_value(rows[0][label]) for label in summary.label_names])
            ax.set_xticks(range(len(summary.label_names)), summary.label_names, rotation=30, ha="right")
        else:
            for label in summary.label_names:
                ax.plot(positions, [_value(row[label]) for row in rows], marker="o", label=label)
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", frameon=False)
        ax.set_ylim(bottom=0)
        charts.append(("Reports per label", _png(figure)))

    if summary.has_review:
        figure, ax = axes("Share of reports needing review", "% of reports")
        shares = [
            100.0 * _value(row[NEEDS_REVIEW]) / _value(row[REPORTS]) if _value(row[REPORTS]) else math.nan
            for row in rows
        ]
        ax.bar(positions, shares, color="#f47738")
        ax.set_ylim(0, 100)
        charts.append(("Share of reports needing review", _png(figure)))
    return charts


def _table(columns: Sequence[str], rows: Sequence[Mapping[str, int | str]], *, total_last: bool) -> str:
    head = "".join(f"<th scope=\"col\">{html.escape(str(column))}</th>" for column in columns)
    body = []
    for number, row in enumerate(rows):
        css = ' class="total"' if total_last and number == len(rows) - 1 else ""
        cells = "".join(f"<td>{html.escape(str(row[column]))}</td>" for column in columns)
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(summary: Summary) -> str:
    """The summary as one self-contained HTML page (tables, notes and charts as data: URIs)."""
    by = {"financial-year": "financial year (April to March)"}.get(summary.by, summary.by)
    title = f"Community tension reports by {by}"
    date_column = summary.date_column
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Source: {html.escape(summary.source.name)}"
        + (f"; dates from column &lsquo;{html.escape(date_column)}&rsquo;" if date_column else "")
        + f". Produced {dt.date.today().isoformat()}.</p>",
    ]
    parts += [f'<p class="note">{html.escape(note)}</p>' for note in summary.notes]
    parts.append("<h2>Reports per period</h2>")
    parts.append(_table(summary.columns, summary.table, total_last=True))
    if summary.pair_table:
        parts.append("<h2>Label pairs</h2>")
        parts.append(_table(["labels", "reports"], summary.pair_table, total_last=False))
    for chart_title, png in _charts(summary):
        parts.append(f"<h2>{html.escape(chart_title)}</h2>")
        parts.append(f'<img alt="{html.escape(chart_title)}" src="data:image/png;base64,{png}">')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

