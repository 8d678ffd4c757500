"""Evaluation datasets and published evaluation runs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-19

`datasets` is keyed by (name, version) like `prompt_versions`: two pushes racing for the same
number cannot both be stored. `eval_runs` holds each published run's summary with the resolved
versions a promotion check reads, and `eval_run_prompts` which prompts each run compared (the
runs of one prompt are then found by primary key). Self-contained on purpose, like the
revisions before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("author", sa.String(256), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name="pk_datasets"),
    )
    op.create_table(
        "eval_runs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("summary", JSON_DOC, nullable=False),
        sa.Column("prompts", JSON_DOC, nullable=False),
        sa.Column("baseline_versions", JSON_DOC, nullable=False),
        sa.Column("candidate_versions", JSON_DOC, nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("published_by", sa.String(256), nullable=False),
        sa.Column("published_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_eval_runs"),
    )
    op.create_index("ix_eval_runs_published_at", "eval_runs", ["published_at"])
    op.create_table(
        "eval_run_prompts",
        sa.Column("prompt", sa.String(128), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("prompt", "run_id", name="pk_eval_run_prompts"),
    )


def downgrade() -> None:
    op.drop_table("eval_run_prompts")
    op.drop_index("ix_eval_runs_published_at", table_name="eval_runs")
    op.drop_table("eval_runs")
    op.drop_table("datasets")
