"""Export the reviewed reports as a labelled file that ``tension train`` reads as it is.

One row per report that at least one reviewer accepted or corrected, with its text still kept: ``id``
(``review-<number>``), ``text``, ``labels`` (``;``-separated, the training format), ``source`` (``review``),
``reviewers`` (how many accepted or corrected it) and ``agreement`` (the share of them whose latest labels are
the exported ones). A reviewer's latest decision counts, earlier ones are history: one whose latest decision
is a flag or a skip gives the report no labels; the exported labels are those most reviewers gave, ties going to
the latest decision. There is no ``split`` column, so training
splits these reports itself, stratified, and the corpus keeps its own split. A text that a spreadsheet would
run as a formula gets a ``'`` before it, as every CSV this tool writes (`classifier.io.tables.guard_formula`).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from classifier.errors import ConfigError, DataError
from classifier.io.atomic import atomic_open
from classifier.io.columns import LABEL_SEPARATOR
from classifier.io.tables import guard_formula
from classifier.review import schema
from classifier.review.queue import still_standing
from classifier.review.store import ReviewStore

__all__ = ["EXPORT_COLUMNS", "ExportSummary", "export_reviewed", "guarded", "reviewed_rows"]

EXPORT_COLUMNS = ("id", "text", "labels", "source", "reviewers", "agreement")


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    rows: int
    purged: int  # reviewed reports left out because their text was deleted


def reviewed_rows(store: ReviewStore, since: datetime | None = None) -> tuple[list[dict[str, str]], int]:
    """The export's rows (see the module docstring), by report id, and how many reviewed reports were left out
    because their text was purged. With `since`, only reports whose latest labelling decision is at or after
    it."""
    reports = schema.reports
    latest = _labelling_votes(store)
    with store.engine.connect() as connection:
        texts = {}
        ids = sorted(latest)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in connection.execute(select(reports.c.id, reports.c.text).where(reports.c.id.in_(chunk))):
                texts[row.id] = row.text
    rows, purged = [], 0
    for report_id in ids:
        votes = latest[report_id]
        last_at = max(at for at, _, _ in votes.values())
        if since is not None and last_at < since:
            continue
        if texts.get(report_id) is None:
            purged += 1
            continue
        counts = Counter(labels for _, _, labels in votes.values())
        newest = {labels: max((at, number) for at, number, given in votes.values() if given == labels)
                  for labels in counts}
        final = max(counts, key=lambda labels: (counts[labels], newest[labels]))
        rows.append({
            "id": f"review-{report_id}", "text": texts[report_id], "labels": LABEL_SEPARATOR.join(final),
            "source": "review", "reviewers": str(len(votes)), "agreement": f"{counts[final] / len(votes):.2f}",
        })
    return rows, purged


def _labelling_votes(store: ReviewStore) -> dict[int, dict[int, tuple[datetime, int, tuple[str, ...]]]]:
    """Each report's labels by reviewer, ``{report: {reviewer: (decided_at, decision id, labels)}}``, from each
    reviewer's latest decision on it, when that decision accepts or corrects (reports no one's does are left out)."""
    decisions = schema.decisions
    query = (select(decisions.c.id, decisions.c.report_id, decisions.c.user_id, decisions.c.labels,
                    decisions.c.decided_at)
             .where(still_standing(schema.LABELLING_ACTIONS)).order_by(decisions.c.id))
    latest: dict[int, dict[int, tuple[datetime, int, tuple[str, ...]]]] = {}
    with store.engine.connect() as connection:
        for row in connection.execute(query):
            latest.setdefault(row.report_id, {})[row.user_id] = (row.decided_at, row.id, tuple(row.labels or ()))
    return latest


def export_reviewed(store: ReviewStore, out: str | Path, *, since: datetime | None = None, force: bool = False
                    ) -> ExportSummary:
    """Write the reviewed reports to the CSV file `out` (atomically, mode 0600: it holds report text).

    Raises
    ------
    ConfigError
        `out` exists and `force` is not set, or is not a ``.csv`` file name.
    DataError
        Nothing to export, or the folder cannot be written.
    """
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise ConfigError(f"the export is a CSV file: give a name ending in .csv. Got '{out.name}'.")
    if out.exists() and not force:
        raise ConfigError(f"'{out}' already exists. Choose another name, or pass --force to replace it.")
    rows, purged = reviewed_rows(store, since)
    if not rows:
        raise DataError(f"{nothing_to_export(since, purged)}, so '{out.name}' was not written. Review reports in "
                        "the web page's queue first, or give an earlier --since.")
    with atomic_open(out, "w", private=True, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(guarded(rows))
    return ExportSummary(out, len(rows), purged)


def nothing_to_export(since: datetime | None, purged: int) -> str:
    """What an export with no row says: since when, and how many reviewed reports retention took the text of."""
    when = f" since {since:%Y-%m-%d}" if since is not None else ""
    kept = f" ({purged} reviewed report(s) had their text deleted by retention)" if purged else ""
    return f"no reviewed report to export{when}{kept}"


def guarded(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """`rows` with each text as a spreadsheet shows it instead of running it (`guard_formula`): an admin opens the
    export in Excel, and a report that starts with ``=`` is text someone typed, not a formula to run."""
    return [{**row, "text": guard_formula(row["text"])} for row in rows]
