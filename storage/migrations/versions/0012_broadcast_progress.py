"""Broadcast progress: the officer's progress message (its reference and the
counts it last showed), and web-chat inbox messages that can be replaced in place

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        batch.add_column(sa.Column("progress_ref", sa.String(length=200), nullable=True))
        for name in ("progress_sent", "progress_blocked", "progress_failed"):
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("progress_done_at", sa.DateTime(timezone=True), nullable=True))
    # Broadcasts from before progress messages existed get none.
    op.execute("UPDATE broadcasts SET progress_done_at = created_at")
    with op.batch_alter_table("web_inbox") as batch:
        batch.add_column(sa.Column("ref", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_inbox") as batch:
        batch.drop_column("ref")
    with op.batch_alter_table("broadcasts") as batch:
        for name in (
            "progress_done_at",
            "progress_at",
            "progress_failed",
            "progress_blocked",
            "progress_sent",
            "progress_ref",
        ):
            batch.drop_column(name)
