"""province-level officers; payments carry their commune, indexed by month for reports

Revision ID: 0010
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "province_officers",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("province_code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "province_code"),
    )
    with op.batch_alter_table("invites") as batch:
        batch.alter_column("commune_code", existing_type=sa.String(length=10), nullable=True)
        batch.add_column(sa.Column("province_code", sa.String(length=10), nullable=True))
    op.add_column("payments", sa.Column("commune_code", sa.String(length=10), nullable=True))
    op.execute(
        "UPDATE payments SET commune_code = "
        "(SELECT b.commune_code FROM beneficiaries b WHERE b.id = payments.beneficiary_id)"
    )
    op.create_index("ix_payments_period", "payments", ["period", "commune_code", "method"])


def downgrade() -> None:
    op.drop_index("ix_payments_period", table_name="payments")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("commune_code")
    with op.batch_alter_table("invites") as batch:
        batch.drop_column("province_code")
        batch.alter_column("commune_code", existing_type=sa.String(length=10), nullable=False)
    op.drop_table("province_officers")
