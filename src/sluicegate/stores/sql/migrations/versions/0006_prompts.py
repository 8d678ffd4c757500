"""The prompt registry: immutable prompt versions, labels, and the history of label moves.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12

`prompt_versions` is keyed by (name, version): two pushes racing for the same number cannot
both be stored, on either database. `prompt_labels` holds where each label points now (one or
more weighted versions, as JSON: gateways read every label at once), and `prompt_label_moves`
every move with the state before and after, in the order the moves happened.
Self-contained on purpose, like the revisions before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "prompt_versions",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("parent", sa.Integer()),
        sa.Column("author", sa.String(256), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name="pk_prompt_versions"),
    )
    op.create_table(
        "prompt_labels",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("targets", JSON_DOC, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("updated_by", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("name", "label", name="pk_prompt_labels"),
    )
    op.create_table(
        "prompt_label_moves",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("before", JSON_DOC, nullable=False),
        sa.Column("after", JSON_DOC, nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_prompt_label_moves"),
    )
    op.create_index("ix_prompt_label_moves_name_label", "prompt_label_moves", ["name", "label"])


def downgrade() -> None:
    op.drop_index("ix_prompt_label_moves_name_label", table_name="prompt_label_moves")
    op.drop_table("prompt_label_moves")
    op.drop_table("prompt_labels")
    op.drop_table("prompt_versions")
