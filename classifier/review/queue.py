"""The review queue: enqueue reports with the model's labels, hand each reviewer the next one, record what they
decide, and count progress.

Order: reports the model flagged for review first, then the closest to a label's threshold (the least certain),
then the oldest. A reviewer is not handed again a report they accepted, corrected or flagged; one they skipped
("not now") comes back after the rest of their queue, the longest skipped first. Nor is a reviewer handed one
another reviewer holds (a claim lasts `CLAIM_MINUTES` or until that reviewer decides). Each reviewer's
latest decision on a report is the one that counts: a flag or a skip replaces their earlier accept, and an accept
their earlier flag. A report leaves the queue when `ReviewStore.reviews_per_report` reviewers' latest decisions
accept or correct it, or when its text is purged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, literal, or_, select, update

from classifier.errors import DataError
from classifier.io.records import text_sha256
from classifier.review import schema
from classifier.review.locks import serialise
from classifier.review.store import ReviewStore, utcnow

__all__ = ["CLAIM_MINUTES", "Batch", "Decision", "Flagged", "QueueItem", "batch_names", "decision_history",
           "enqueue", "flagged_reports", "get_item", "next_item", "progress", "recent_decisions", "record_decision",
           "still_standing"]

#: How long a report handed to one reviewer is kept from the others.
CLAIM_MINUTES = 10
_INSERT_ROWS = 5_000
_HASH_CHUNK = 500


@dataclass(frozen=True)
class Batch:
    """What `enqueue` stored: the batch id, how many reports were queued, which were left out (empty or
    unclassified texts) and which were already in the store (the same text, queued or reviewed, and not purged;
    or given twice), by position in what was given."""

    id: int
    queued: int
    left_out: list[int]
    already_stored: list[int] = field(default_factory=list)

    def not_queued(self) -> list[str]:
        """What was not queued, one phrase per reason, for the messages after an upload or an audit."""
        phrases = []
        if self.left_out:
            phrases.append(f"{len(self.left_out)} left out: empty or too long")
        if self.already_stored:
            phrases.append(f"{len(self.already_stored)} already in the queue or reviewed (the same text): not "
                           "queued again")
        return phrases


@dataclass(frozen=True)
class QueueItem:
    id: int
    text: str | None
    model_labels: list[str]
    scores: dict[str, float]
    reasons: dict[str, list[str]]
    needs_review: bool
    margin: float
    received_at: datetime
    review_count: int
    batch_id: int


@dataclass(frozen=True)
class Decision:
    id: int
    report_id: int
    user_id: int
    user_name: str
    action: str
    labels: list[str] | None
    decided_at: datetime


@dataclass(frozen=True)
class Flagged:
    """A report some reviewer flagged: who flagged it (each once, in order), when last, and where it stands."""

    report_id: int
    flagged_by: list[str]
    last_flagged_at: datetime
    model_labels: list[str]
    review_count: int
    purged: bool


def margin_of(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> float:
    """How close the report is to changing a label: the least distance between a score and its threshold."""
    distances = [abs(float(scores[label]) - float(thresholds[label])) for label in thresholds if label in scores]
    distances = [value for value in distances if not math.isnan(value)]
    return min(distances) if distances else 1.0


def enqueue(store: ReviewStore, texts: Sequence[str], predictions: Sequence[Any], *, name: str, model_name: str,
            thresholds: Mapping[str, float], uploaded_by: int | None = None, now: datetime | None = None,
            margins: Sequence[float] | None = None) -> Batch:
    """Store one batch of reports with the model's predictions (objects with ``labels``, ``scores``,
    ``reasons``, ``needs_review`` and ``status``, as `TensionModel.predict` returns) and queue them.

    A prediction whose status is not ``"ok"`` (an empty text, a text too long) is left out, and so is a text
    the store already holds (not purged) or that came earlier in `texts`: one report, one set of decisions, so
    the reviewed export never holds the same text twice with different labels. Batches added at once are stored
    one after the other, so the same text added by two of them is queued once. `margins` orders the batch's
    reports in the queue (lowest first) instead of their distance to the thresholds.

    Raises
    ------
    DataError
        `texts` and `predictions` differ in length.
    """
    if len(texts) != len(predictions) or (margins is not None and len(margins) != len(texts)):
        raise DataError(f"enqueue got {len(texts)} texts but {len(predictions)} predictions"
                        f"{'' if margins is None else f' and {len(margins)} margins'}; give one per text.")
    now = now or utcnow()
    rows, left_out = _candidate_rows(texts, predictions, thresholds, margins, now)
    with store.engine.begin() as connection:
        serialise(connection, "queue")  # two batches of the same text, added at once, must not both find it new
        new_rows, already_stored = _not_stored(rows, _stored_hashes(connection, {row["text_sha256"] for row in rows}))
        batch_id = connection.execute(insert(schema.batches).values(
            name=name[:255], uploaded_by=uploaded_by, uploaded_at=now, model_name=model_name[:255],
            thresholds={label: float(value) for label, value in thresholds.items()}, reports=len(new_rows),
        )).inserted_primary_key[0]
        for start in range(0, len(new_rows), _INSERT_ROWS):
            chunk = new_rows[start : start + _INSERT_ROWS]
            connection.execute(insert(schema.reports), [{**row, "batch_id": batch_id} for row in chunk])
    return Batch(batch_id, len(new_rows), left_out, already_stored)


def _candidate_rows(texts, predictions, thresholds, margins, now) -> tuple[list[dict[str, Any]], list[int]]:
    """The reports' rows to store, by position, and the positions left out (not classified, or empty)."""
    rows, left_out = [], []
    for position, (text, prediction) in enumerate(zip(texts, predictions, strict=True)):
        if prediction.status != "ok" or not isinstance(text, str) or not text.strip():
            left_out.append(position)
            continue
        scores = {label: float(score) for label, score in prediction.scores.items()}
        rows.append({
            "position": position, "text": text, "text_sha256": text_sha256(text), "received_at": now,
            "model_labels": list(prediction.labels), "scores": scores,
            "reasons": {label: list(terms) for label, terms in prediction.reasons.items()},
            "needs_review": bool(prediction.needs_review),
            "margin": margin_of(scores, thresholds) if margins is None else float(margins[position]),
            "review_count": 0, "queued": True,
        })
    return rows, left_out


def _not_stored(rows: list[dict[str, Any]], stored: set[str]) -> tuple[list[dict[str, Any]], list[int]]:
    """The `rows` whose text is neither `stored` nor in an earlier row, and the positions of the others."""
    new_rows, already_stored, seen = [], [], set(stored)
    for row in rows:
        if row["text_sha256"] in seen:
            already_stored.append(row["position"])
        else:
            seen.add(row["text_sha256"])
            new_rows.append(row)
    return new_rows, already_stored


def _stored_hashes(connection, digests: set[str]) -> set[str]:
    """Those of `digests` whose text the store holds (purged reports excepted), asked in chunks of
    `_HASH_CHUNK` (a database's limit on the parameters of one query)."""
    reports, wanted, found = schema.reports, sorted(digests), set()
    for start in range(0, len(wanted), _HASH_CHUNK):
        chunk = wanted[start : start + _HASH_CHUNK]
        found.update(connection.execute(select(reports.c.text_sha256).where(
            reports.c.text_sha256.in_(chunk), reports.c.purged_at.is_(None))).scalars())
    return found


def still_standing(actions: Sequence[str]):
    """The decisions of one of `actions` that their reviewer has not since replaced, on the same report, by a
    decision of another kind (their latest decision is the one that counts)."""
    decisions, later = schema.decisions, schema.decisions.alias("later")
    replaced = exists().where(later.c.report_id == decisions.c.report_id, later.c.user_id == decisions.c.user_id,
                              later.c.id > decisions.c.id, later.c.action.not_in(actions))
    return and_(decisions.c.action.in_(actions), ~replaced)


def _item(row) -> QueueItem:
    return QueueItem(row.id, row.text, list(row.model_labels), dict(row.scores), dict(row.reasons or {}),
                     bool(row.needs_review), float(row.margin), row.received_at, int(row.review_count),
                     row.batch_id)


def _free(user_id: int, now: datetime):
    """Reports no other reviewer holds."""
    reports = schema.reports
    return or_(reports.c.claimed_until.is_(None), reports.c.claimed_until <= now, reports.c.claimed_by == user_id)


def _queue_query(user_id: int, now: datetime):
    """The queued reports this reviewer has not decided, in the queue's order."""
    reports, decisions = schema.reports, schema.decisions
    decided = exists().where(decisions.c.report_id == reports.c.id, decisions.c.user_id == user_id)
    return (select(reports).where(reports.c.queued.is_(True), _free(user_id, now), ~decided)
            .order_by(reports.c.needs_review.desc(), reports.c.margin, reports.c.id))


def _skipped_query(user_id: int, now: datetime):
    """The queued reports whose latest decision by this reviewer is a skip, the longest skipped first."""
    reports, decisions = schema.reports, schema.decisions
    return (select(reports).join(decisions, decisions.c.report_id == reports.c.id)
            .where(decisions.c.user_id == user_id, decisions.c.action == "skip", _latest_of_its_reviewer(),
                   reports.c.queued.is_(True), _free(user_id, now))
            .order_by(decisions.c.id))


def _latest_of_its_reviewer():
    """Decisions their reviewer has made no other since, on the same report."""
    decisions, later = schema.decisions, schema.decisions.alias("later")
    return ~exists().where(later.c.report_id == decisions.c.report_id, later.c.user_id == decisions.c.user_id,
                           later.c.id > decisions.c.id)


def next_item(store: ReviewStore, user_id: int, *, now: datetime | None = None, claim: bool = True
              ) -> QueueItem | None:
    """The next report for this reviewer, claimed for them for `CLAIM_MINUTES`: the queue's next they have not
    decided, else the one they skipped longest ago; None when nothing is left."""
    now = now or utcnow()
    reports = schema.reports
    for _ in range(5):  # another reviewer may claim the same report between our read and our write
        with store.engine.begin() as connection:
            row = (connection.execute(_queue_query(user_id, now).limit(1)).first()
                   or connection.execute(_skipped_query(user_id, now).limit(1)).first())
            if row is None or not claim:
                return None if row is None else _item(row)
            claimed = connection.execute(update(reports).where(reports.c.id == row.id, _free(user_id, now)).values(
                claimed_by=user_id, claimed_until=now + timedelta(minutes=CLAIM_MINUTES)))
            if claimed.rowcount == 1:
                return _item(row)
    return None


def get_item(store: ReviewStore, report_id: int) -> QueueItem | None:
    """One report by id (its text is None once purged)."""
    with store.engine.connect() as connection:
        row = connection.execute(select(schema.reports).where(schema.reports.c.id == report_id)).first()
    return None if row is None else _item(row)


def batch_names(store: ReviewStore, batch_id: int) -> tuple[str, str] | None:
    """A batch's name and the name of what labelled it (``model_name``), or None for no such batch."""
    with store.engine.connect() as connection:
        row = connection.execute(select(schema.batches.c.name, schema.batches.c.model_name)
                                 .where(schema.batches.c.id == batch_id)).first()
    return None if row is None else (row.name, row.model_name)


def record_decision(store: ReviewStore, report_id: int, user_id: int, action: str,
                    labels: Iterable[str] | None = None, *, now: datetime | None = None) -> Decision:
    """Add a reviewer's decision to the report's history (earlier decisions stay) and update the queue: it
    replaces the reviewer's earlier decision in the review count.

    ``accept`` keeps the model's labels (`labels` is ignored); ``correct`` gives `labels` (a correction equal to
    the model's labels is recorded as an accept); ``skip`` and ``flag`` give none.

    Raises
    ------
    DataError
        Unknown action or report, a label the model does not know, or a report whose text was purged.
    """
    if action not in schema.ACTIONS:
        raise DataError(f"action must be one of {', '.join(schema.ACTIONS)}. Got {action!r}.")
    now = now or utcnow()
    reports, decisions = schema.reports, schema.decisions
    with store.engine.begin() as connection:
        row = connection.execute(select(reports).where(reports.c.id == report_id)).first()
        if row is None:
            raise DataError(f"no report {report_id} in the review queue. Reload the queue for the next one.")
        if row.text is None:
            raise DataError(f"report {report_id}'s text was deleted by the retention rule, so it can no longer be "
                            "reviewed. Go on with the next report.")
        chosen: list[str] | None = None
        if action == "accept":
            chosen = sorted(row.model_labels)
        elif action == "correct":
            chosen = sorted(set(labels or ()))
            unknown = [label for label in chosen if label not in row.scores]
            if unknown:
                raise DataError(f"unknown label(s) {unknown}; this report's labels are {sorted(row.scores)}.")
            if chosen == sorted(row.model_labels):
                action = "accept"
        new_id = connection.execute(insert(decisions).values(
            report_id=report_id, user_id=user_id, action=action, labels=chosen, decided_at=now,
        )).inserted_primary_key[0]
        count = connection.execute(
            select(func.count(decisions.c.user_id.distinct())).where(
                decisions.c.report_id == report_id, still_standing(schema.LABELLING_ACTIONS))
        ).scalar()
        values = {"review_count": count, "queued": count < store.reviews_per_report}
        if row.claimed_by == user_id:
            values.update(claimed_by=None, claimed_until=None)
        connection.execute(update(reports).where(reports.c.id == report_id).values(**values))
        name = connection.execute(select(schema.users.c.name).where(schema.users.c.id == user_id)).scalar()
    return Decision(new_id, report_id, user_id, name or "", action, chosen, now)


def decision_history(store: ReviewStore, report_id: int) -> list[Decision]:
    """Every decision on a report, oldest first."""
    return _decisions(store, schema.decisions.c.report_id == report_id, schema.decisions.c.id)


def recent_decisions(store: ReviewStore, user_id: int, limit: int = 5) -> list[Decision]:
    """A reviewer's latest decisions, the latest first (at most `limit`): what they may want to change."""
    return _decisions(store, schema.decisions.c.user_id == user_id, schema.decisions.c.id.desc(), limit)


def _decisions(store: ReviewStore, where, order, limit: int | None = None) -> list[Decision]:
    """The decisions ``where`` selects, with their reviewer's name, in ``order`` (at most ``limit``)."""
    decisions, users = schema.decisions, schema.users
    query = (select(decisions, users.c.name).join(users, users.c.id == decisions.c.user_id)
             .where(where).order_by(order).limit(limit))
    with store.engine.connect() as connection:
        return [Decision(row.id, row.report_id, row.user_id, row.name, row.action,
                         None if row.labels is None else list(row.labels), row.decided_at)
                for row in connection.execute(query)]


def flagged_reports(store: ReviewStore, limit: int = 500) -> list[Flagged]:
    """The reports reviewers flagged, the most recently flagged first (at most `limit`): what someone has to
    follow up, because a flag gives a report no labels. A reviewer who has since decided otherwise on a report no
    longer counts as flagging it."""
    decisions, users, reports = schema.decisions, schema.users, schema.reports
    flags = still_standing(("flag",))
    latest = (select(decisions.c.report_id, func.max(decisions.c.decided_at).label("last"))
              .where(flags).group_by(decisions.c.report_id)
              .order_by(func.max(decisions.c.decided_at).desc(), decisions.c.report_id.desc()).limit(limit))
    with store.engine.connect() as connection:
        chosen = connection.execute(latest).all()
        ids = [row.report_id for row in chosen]
        who: dict[int, list[str]] = {report_id: [] for report_id in ids}
        for row in connection.execute(select(decisions.c.report_id, users.c.name)
                                      .join(users, users.c.id == decisions.c.user_id)
                                      .where(flags, decisions.c.report_id.in_(ids))
                                      .order_by(decisions.c.id)):
            if row.name not in who[row.report_id]:
                who[row.report_id].append(row.name)
        rows = {row.id: row for row in connection.execute(
            select(reports.c.id, reports.c.model_labels, reports.c.review_count, reports.c.purged_at)
            .where(reports.c.id.in_(ids)))}
    return [Flagged(row.report_id, who[row.report_id], row.last, list(rows[row.report_id].model_labels),
                    int(rows[row.report_id].review_count), rows[row.report_id].purged_at is not None)
            for row in chosen]


def progress(store: ReviewStore, user_id: int | None = None) -> dict[str, int]:
    """Counts for the progress line: ``total`` reports, ``reviewed`` (accepted or corrected by someone),
    ``queued`` (still wanting a review), ``flagged`` (by someone whose latest decision on it is that flag),
    ``purged`` (text deleted), ``decisions``; with `user_id` also ``mine`` (reports this reviewer decided),
    ``left_for_me`` (queued reports they have not decided, or whose latest decision was a skip) and ``skipped``
    (those of them they skipped).

    One pass over the reports and index lookups for the decisions (a reviewer's are few beside the queue)."""
    reports, decisions = schema.reports, schema.decisions
    one = literal(1)
    totals = select(func.count(), func.sum(case((reports.c.review_count > 0, one), else_=0)),
                    func.sum(case((reports.c.queued.is_(True), one), else_=0)),
                    func.sum(case((reports.c.purged_at.is_not(None), one), else_=0)))
    with store.engine.connect() as connection:
        total, reviewed, queued, purged = connection.execute(totals).one()
        counts = {
            "total": int(total), "reviewed": int(reviewed or 0), "queued": int(queued or 0),
            "flagged": int(connection.execute(select(func.count(decisions.c.report_id.distinct()))
                                              .where(still_standing(("flag",)))).scalar()),
            "purged": int(purged or 0),
            "decisions": int(connection.execute(select(func.count()).select_from(decisions)).scalar()),
        }
        if user_id is not None:
            mine = (select(decisions.c.report_id, decisions.c.action)
                    .where(decisions.c.user_id == user_id, _latest_of_its_reviewer()).subquery())
            counts["mine"] = int(connection.execute(select(func.count()).select_from(mine)).scalar())
            decided_queued, skipped = connection.execute(
                select(func.count(), func.sum(case((mine.c.action == "skip", one), else_=0)))
                .select_from(mine.join(reports, reports.c.id == mine.c.report_id))
                .where(reports.c.queued.is_(True))).one()
            counts["skipped"] = int(skipped or 0)
            counts["left_for_me"] = counts["queued"] - int(decided_queued) + counts["skipped"]
    return counts
