"""User feedback on replies, and the gateway's shared secrets.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09

`feedback` holds one row per (request, rater): a repeated rating updates the row. The request's
model, backend, prompt version and consumer are copied in from its usage record when the rating
is accepted, so summaries need no join and survive ledger retention.
`gateway_secrets` keeps secrets that every replica must share (the feedback-token signing key)
when the configuration does not provide them.
Self-contained on purpose, like the revisions before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

TIME = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("rater", sa.String(256), nullable=False),
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("team", sa.String(128), nullable=False),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("backend", sa.String(128)),
        sa.Column("prompt_version", sa.String(128)),
        sa.Column("request_at", TIME, nullable=False),
        sa.Column("thumbs", sa.String(8)),
        sa.Column("score", sa.Double()),
        sa.Column("label", sa.String(128)),
        sa.Column("comment", sa.Text()),
        sa.Column("correction", sa.Text()),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
    )
    op.create_index(
        "ix_feedback_request_id_rater", "feedback", ["request_id", "rater"], unique=True
    )
    op.create_index("ix_feedback_request_at", "feedback", ["request_at"])
    op.create_table(
        "gateway_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_gateway_secrets"),
    )


def downgrade() -> None:
    op.drop_table("gateway_secrets")
    op.drop_index("ix_feedback_request_at", table_name="feedback")
    op.drop_index("ix_feedback_request_id_rater", table_name="feedback")
    op.drop_table("feedback")
