"""SMS: a number's opt-out and its encrypted phone, and each commune's SMS switch and monthly budget

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("sms_opt_out_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("phone_enc", sa.Text(), nullable=True))
    with op.batch_alter_table("communes") as batch:
        batch.add_column(
            sa.Column("sms_enabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("sms_budget", sa.Integer(), nullable=True))
    op.create_table(
        "sms_usage",
        sa.Column("commune_code", sa.String(length=10), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("commune_code", "period"),
    )


def downgrade() -> None:
    op.drop_table("sms_usage")
    with op.batch_alter_table("communes") as batch:
        batch.drop_column("sms_budget")
        batch.drop_column("sms_enabled")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone_enc")
        batch.drop_column("sms_opt_out_at")
