"""Whether each request asked for a streamed reply, so the per-request usage export says so.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-20

One nullable column: existing records mean "not known", so the upgrade is instant on a large
ledger and needs no backfill. Self-contained on purpose, like the revisions before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage_records") as batch:
        batch.add_column(sa.Column("stream", sa.Boolean()))


def downgrade() -> None:
    with op.batch_alter_table("usage_records") as batch:
        batch.drop_column("stream")
