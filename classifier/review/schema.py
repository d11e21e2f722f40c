"""The review database's tables as they are at the latest schema version (`migrations.SCHEMA_VERSION`).

Times are naive UTC. ``reports.text`` and ``reports.reasons`` become NULL when retention purges a report, and
``reports.text_sha256`` empty; the model's labels and scores and every decision stay. ``decisions`` is
append-only: a correction adds a row, never changes one. ``reports.review_count`` (distinct reviewers whose
latest decision on it accepts or corrects it) and ``reports.queued`` are kept up to date by
`classifier.review.queue` so that the next item is one index walk.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

#: Roles an account may have: a reviewer reviews; an admin also manages accounts, exports and purges.
ROLES = ("reviewer", "admin")
#: What a reviewer may do with a report. Accept keeps the model's labels; correct gives others.
ACTIONS = ("accept", "correct", "skip", "flag")
#: The actions that give a report its labels (the others leave it unlabelled).
LABELLING_ACTIONS = ("accept", "correct")

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    # Raised when the account is disabled; a session cookie made under an earlier generation is refused.
    Column("session_generation", Integer, nullable=False, default=0),
)

batches = Table(
    "batches", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("uploaded_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("uploaded_at", DateTime, nullable=False),
    Column("model_name", String(255), nullable=False),
    Column("thresholds", JSON, nullable=False),
    Column("reports", Integer, nullable=False),
)

reports = Table(
    "reports", metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("batches.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=True),
    Column("text_sha256", String(64), nullable=False, index=True),
    Column("received_at", DateTime, nullable=False, index=True),
    Column("model_labels", JSON, nullable=False),
    Column("scores", JSON, nullable=False),
    Column("reasons", JSON, nullable=True),
    Column("needs_review", Boolean, nullable=False),
    Column("margin", Float, nullable=False),
    Column("review_count", Integer, nullable=False, default=0),
    Column("queued", Boolean, nullable=False, default=True),
    Column("purged_at", DateTime, nullable=True),
    Column("claimed_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("claimed_until", DateTime, nullable=True),
)
Index("ix_reports_queue", reports.c.queued, reports.c.needs_review.desc(), reports.c.margin, reports.c.id)
Index("ix_reports_progress", reports.c.queued, reports.c.review_count, reports.c.purged_at)

decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("action", String(8), nullable=False),
    Column("labels", JSON, nullable=True),
    Column("decided_at", DateTime, nullable=False, index=True),
)
Index("ix_decisions_report_user", decisions.c.report_id, decisions.c.user_id)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
)

revoked_sessions = Table(
    "revoked_sessions", metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("until", DateTime, nullable=False, index=True),
)
