"""imports: payment status events, import records, more beneficiary fields

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("beneficiaries") as batch_op:
        batch_op.add_column(sa.Column("account_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("health_insurance_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("health_insurance_expiry", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("import_digest", sa.String(length=64), nullable=True))
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "payment_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("old_status", sa.String(length=10), nullable=True),
        sa.Column("new_status", sa.String(length=10), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["beneficiary_id"], ["beneficiaries.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payment_events_beneficiary_id", "payment_events", ["beneficiary_id"])
    op.create_index("ix_payment_events_import_id", "payment_events", ["import_id"])
    op.create_index("ix_payment_events_at", "payment_events", ["at"])


def downgrade() -> None:
    op.drop_table("payment_events")
    op.drop_table("imports")
    with op.batch_alter_table("beneficiaries") as batch_op:
        batch_op.drop_column("import_digest")
        batch_op.drop_column("health_insurance_expiry")
        batch_op.drop_column("health_insurance_enc")
        batch_op.drop_column("account_name")
