"""Send the audit's suspects to the review queue, so that reviewers settle them one keystroke at a time.

Each suspect is queued with the labels it was *given* in the audited file as the labels under review (Accept
keeps them; correcting sets the right ones), the out-of-fold scores as its scores, and its audit rank as its
place in the queue (the strongest suspect first). The reviewed labels come back through
``tension export-reviewed``; training on the audited file plus that export with ``--prefer-later`` lets a
reviewed label replace the file's (the report keeps its split).

Suspects given a label too rare to model are not queued: the page can only offer labels it can score, so fix
those in the file (the audit's CSV lists them with the nearest common label).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from classifier.errors import ConfigError
from classifier.retrain.audit import AuditResult
from classifier.review.queue import Batch, enqueue
from classifier.review.store import ReviewStore

#: The ``model_name`` of an audit's batch in the review queue; the page then says whose labels are ticked.
AUDIT_MODEL_NAME = "audit (out-of-fold scores)"


def suspect_margin(strength: float) -> float:
    """A suspect's place in the review queue: below any other report's (their distance to a threshold is never
    negative), the strongest suspect lowest, so that suspects come first, strongest first."""
    return -1.0 - float(strength)


@dataclass(frozen=True)
class _UnderReview:
    """What the queue stores of a suspect, in the shape of a prediction."""

    labels: tuple[str, ...]
    scores: dict[str, float]
    reasons: dict[str, list[str]] = field(default_factory=dict)
    needs_review: bool = True
    status: str = "ok"


@dataclass(frozen=True)
class QueuedSuspects:
    batch: Batch
    #: Suspects not queued because a label they were given is too rare to model, by audit rank.
    rare_label_ranks: list[int]


def check_queueable(label: str | None) -> None:
    """Raise :class:`ConfigError` when an audit of one ``label`` only is to be queued: the review page shows and
    scores every label of the file (the command line checks this before its long part)."""
    if label is not None:
        raise ConfigError(
            f"This audit checks '{label}' only, but the review page shows and scores every label of the file. "
            "Fix: audit without --label to queue suspects for review (--to-review), or drop --to-review and fix "
            "this label's suspects in the audit's CSV."
        )


def queue_suspects(result: AuditResult, store: ReviewStore, *, name: str, top: int | None = 100,
                   uploaded_by: int | None = None, now: datetime | None = None) -> QueuedSuspects:
    """Queue the `top` strongest suspects of `result` (all with ``None``) as one batch called `name`.

    Raises
    ------
    ConfigError
        `top` is below 1, `result` holds no texts (an `AuditResult` made by hand), or it audited one label only.
    """
    if top is not None and top < 1:
        raise ConfigError(f"'top' must be 1 or more (or None for every suspect). Got {top!r}.")
    if len(result.texts) != result.n_reports:
        raise ConfigError("this audit result holds no report texts; run classifier.retrain.audit.audit again.")
    check_queueable(result.label)
    modelled = set(result.thresholds)
    chosen = result.suspects if top is None else result.suspects[:top]
    queued = [s for s in chosen if set(s.given) <= modelled]
    rare = [s.rank for s in chosen if not set(s.given) <= modelled]
    batch = enqueue(
        store, [result.texts[s.index] for s in queued],
        [_UnderReview(tuple(s.given), dict(s.scores)) for s in queued],
        name=name, model_name=AUDIT_MODEL_NAME, thresholds=result.thresholds,
        uploaded_by=uploaded_by, now=now, margins=[suspect_margin(s.strength) for s in queued],
    )
    return QueuedSuspects(batch, rare)
