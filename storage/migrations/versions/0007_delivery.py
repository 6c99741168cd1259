"""durable delivery: claim leases, unreachable recipients, payment-news setting, web inbox

Revision ID: 0007
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        # Set when the messenger said the person blocked the bot (403); cleared
        # when they write again.
        batch.add_column(sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True))
        # "Your allowance has arrived" messages (on unless the person turns them off).
        batch.add_column(
            sa.Column("notify_payments", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("outbox") as batch:
        # A worker holds a row until ``claimed_until``; ``claim_token`` says which
        # claim, so a worker whose lease ran out cannot finish another's row.
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
    op.create_table(
        "web_inbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_inbox_external_id", "web_inbox", ["external_id"])


def downgrade() -> None:
    op.drop_table("web_inbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claim_token")
        batch.drop_column("claimed_until")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notify_payments")
        batch.drop_column("unreachable_at")
