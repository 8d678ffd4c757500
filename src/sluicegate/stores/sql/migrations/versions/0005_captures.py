"""Captured prompts and completions: one row per captured request.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10

Written in the same transaction as the request's usage record, keyed by its request id (so a
replayed batch stores it once), and purged by age through the index on `at`. The texts are
`TEXT` on both databases: a capture is read whole, never queried inside.
Self-contained on purpose, like the revisions before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "captures",
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("route", sa.String(256), nullable=False),
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("response", sa.Text()),
        sa.Column("request_truncated", sa.Boolean(), nullable=False),
        sa.Column("response_truncated", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name="pk_captures"),
    )
    op.create_index("ix_captures_at", "captures", ["at"])


def downgrade() -> None:
    op.drop_index("ix_captures_at", table_name="captures")
    op.drop_table("captures")
