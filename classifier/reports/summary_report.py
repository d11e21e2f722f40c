"""A self-contained HTML page for a trend summary: tables and matplotlib charts embedded as PNG.

No external assets (no scripts, fonts, stylesheets or images fetched from anywhere): the page can be
e-mailed or attached to committee papers as one file. Charts are drawn with the Agg canvas directly,
without pyplot, so nothing global in matplotlib is changed. Charts plot only what the table shows:
withheld counts ("[c]") are gaps, never values. The page is the template ``templates/summary.html``
(autoescaped, see `classifier.reports.rendering`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

from classifier.reports.rendering import png_data_uri, render
from classifier.reports.summary_data import NEEDS_REVIEW, NO_DATE, OUTSIDE_WINDOW, REPORTS, TOTAL, Summary

__all__ = ["render_html"]


def _value(value: int | str | None) -> float:
    """A shown count as a number for a chart; withheld or blank cells are NaN (a gap)."""
    return float(value) if isinstance(value, int) else math.nan


def _png(figure: object) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return png_data_uri(buffer.getvalue())


def _charts(summary: Summary) -> list[tuple[str, Any]]:
    """(title, PNG as a data: URI) for: reports per period, counts per label, share needing review."""
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


def render_html(summary: Summary) -> str:
    """The summary as one self-contained HTML page (tables, notes and charts as data: URIs)."""
    by = {"financial-year": "financial year (April to March)"}.get(summary.by, summary.by)
    return render(
        "summary.html", title=f"Community tension reports by {by}", source=summary.source.name,
        date_column=summary.date_column, produced=dt.date.today().isoformat(), notes=summary.notes,
        columns=summary.columns, rows=summary.table, pairs=summary.pair_table, charts=_charts(summary),
    )
