"""Budgets on keys and teams, how each request was billed, and when a team last changed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Columns only, all nullable: existing rows mean "no budget" and "billing unknown", so the
upgrade is instant on a large ledger and needs no backfill.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

TIME = sa.DateTime(timezone=True)
BUDGET_TABLES = ("api_keys", "teams")


def upgrade() -> None:
    for table in BUDGET_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("budget_usd", sa.Double()))
            batch.add_column(sa.Column("budget_period", sa.String(8)))
            batch.add_column(sa.Column("budget_alert_at", sa.Double()))
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("updated_at", TIME))
    with op.batch_alter_table("usage_records") as batch:
        batch.add_column(sa.Column("billing", sa.String(8)))


def downgrade() -> None:
    with op.batch_alter_table("usage_records") as batch:
        batch.drop_column("billing")
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("updated_at")
    for table in BUDGET_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("budget_alert_at")
            batch.drop_column("budget_period")
            batch.drop_column("budget_usd")
