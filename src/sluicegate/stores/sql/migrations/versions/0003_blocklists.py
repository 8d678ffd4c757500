"""Custom blocklists managed at run time: one row per list, its terms and patterns as JSON.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

A list is read whole by every replica every few seconds and written rarely, so one row per
list (JSON arrays, not a row per term) keeps the periodic read a single small query.
Self-contained on purpose, like the revisions before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "blocklists",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("terms", JSON_DOC, server_default=sa.text("'[]'"), nullable=False),
        sa.Column("patterns", JSON_DOC, server_default=sa.text("'[]'"), nullable=False),
        sa.Column("description", sa.String(500), server_default=sa.text("''"), nullable=False),
        sa.Column("created_at", TIME),
        sa.Column("updated_at", TIME),
        sa.PrimaryKeyConstraint("name", name="pk_blocklists"),
    )


def downgrade() -> None:
    op.drop_table("blocklists")
