"""The tables, as SQLAlchemy Core sees them. Alembic migrations create exactly this schema.

Kept in one place so the stores' queries and the migrations cannot drift apart (a contract test
compares the migrated database with this metadata on SQLite and PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from sluicegate.stores.sql.types import JsonDocument, UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

Id = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit surrogate key; plain INTEGER on SQLite so it is the auto-incrementing rowid."""

teams = Table(
    "teams",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("models", JsonDocument, nullable=False, server_default=text("'[]'")),
    Column("tpm", BigInteger),
    Column("rpm", BigInteger),
    Column("max_concurrency", Integer),
    Column("created_at", UtcDateTime),
    Column("budget_usd", Double),
    Column("budget_period", String(8)),
    Column("budget_alert_at", Double),
    Column("updated_at", UtcDateTime),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("key_hash", String(128), nullable=False),
    Column("name", String(200), nullable=False),
    Column("team", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("models", JsonDocument, nullable=False),
    Column("tpm", BigInteger),
    Column("rpm", BigInteger),
    Column("max_concurrency", Integer),
    Column("created_at", UtcDateTime),
    Column("expires_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Column("budget_usd", Double),
    Column("budget_period", String(8)),
    Column("budget_alert_at", Double),
    Index(None, "key_hash", unique=True),
    Index(None, "team"),
)

usage_records = Table(
    "usage_records",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("request_id", String(128), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("subject", String(256), nullable=False),
    Column("team", String(128), nullable=False),
    Column("model", String(256), nullable=False),
    Column("deployment", String(256)),
    Column("backend", String(128)),
    Column("attempts", Integer, nullable=False),
    Column("prompt_tokens", BigInteger, nullable=False),
    Column("completion_tokens", BigInteger, nullable=False),
    Column("cached_tokens", BigInteger, nullable=False),
    Column("cost", Double, nullable=False),
    Column("latency_ms", Double, nullable=False),
    Column("ttft_ms", Double),
    Column("status", Integer, nullable=False),
    Column("prompt_version", String(128)),
    Column("billing", String(8)),
    Column("stream", Boolean),
    Index(None, "request_id", unique=True),
    Index(None, "at"),
    Index(None, "team", "at"),
    Index(None, "subject", "at"),
    Index(None, "model", "at"),
    Index(None, "backend", "at"),
)

captures = Table(
    "captures",
    metadata,
    Column("request_id", String(128), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("route", String(256), nullable=False),
    Column("subject", String(256), nullable=False),
    Column("request", Text, nullable=False),
    Column("response", Text),
    Column("request_truncated", Boolean, nullable=False),
    Column("response_truncated", Boolean, nullable=False),
    Index(None, "at"),
)
"""Prompts and completions of captured requests, written with their usage records and
purged by age (`at`, the request's arrival)."""

blocklists = Table(
    "blocklists",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("terms", JsonDocument, nullable=False, server_default=text("'[]'")),
    Column("patterns", JsonDocument, nullable=False, server_default=text("'[]'")),
    Column("description", String(500), nullable=False, server_default=text("''")),
    Column("created_at", UtcDateTime),
    Column("updated_at", UtcDateTime),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("request_id", String(128), nullable=False),
    Column("rater", String(256), nullable=False),
    Column("subject", String(256), nullable=False),
    Column("team", String(128), nullable=False),
    Column("model", String(256), nullable=False),
    Column("backend", String(128)),
    Column("prompt_version", String(128)),
    Column("request_at", UtcDateTime, nullable=False),
    Column("thumbs", String(8)),
    Column("score", Double),
    Column("label", String(128)),
    Column("comment", Text),
    Column("correction", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "request_id", "rater", unique=True),
    Index(None, "request_at"),
)
"""One row per (request, rater); the request's attributes are copied from its usage record."""

gateway_secrets = Table(
    "gateway_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
"""Secrets every replica must share (the feedback-token key) when config does not set them."""

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("action", String(128), nullable=False),
    Column("target", String(256), nullable=False),
    Column("details", JsonDocument, nullable=False),
    Index(None, "at"),
)

prompt_versions = Table(
    "prompt_versions",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("source", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("parent", Integer),
    Column("author", String(256), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
"""Immutable versions of registered prompts; the primary key makes each number unique per
prompt, which is what settles two pushes racing for the same number."""

prompt_labels = Table(
    "prompt_labels",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("label", String(128), primary_key=True),
    Column("targets", JsonDocument, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(256), nullable=False),
)
"""Where each label points now: `[{"version": 3, "weight": 90}, …]`, read whole by gateways."""

prompt_label_moves = Table(
    "prompt_label_moves",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("label", String(128), nullable=False),
    Column("before", JsonDocument, nullable=False),
    Column("after", JsonDocument, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("note", Text, nullable=False),
    Index(None, "name", "label"),
)
"""Every move of every label, in the order they happened (`id`)."""

datasets = Table(
    "datasets",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("content", Text, nullable=False),
    Column("items", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("description", Text, nullable=False),
    Column("author", String(256), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
"""Immutable versions of evaluation datasets (JSONL text as pushed); the primary key settles
two pushes racing for one number, as for prompt versions."""

eval_runs = Table(
    "eval_runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("summary", JsonDocument, nullable=False),
    Column("prompts", JsonDocument, nullable=False),
    Column("baseline_versions", JsonDocument, nullable=False),
    Column("candidate_versions", JsonDocument, nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("published_by", String(256), nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
    Index(None, "published_at"),
)
"""Published evaluation runs: the summary as published, and what promotions and listings read."""

eval_run_prompts = Table(
    "eval_run_prompts",
    metadata,
    Column("prompt", String(128), primary_key=True),
    Column("run_id", String(64), primary_key=True),
)
"""Which prompts each run compared, so that the runs of one prompt are found by index."""
