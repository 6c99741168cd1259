"""bank-account requests and the payment-method history

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=False),
        sa.Column("requester_user_id", sa.Integer(), nullable=True),
        sa.Column("commune_code", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("bank_bin", sa.String(length=10), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("account_enc", sa.Text(), nullable=False),
        sa.Column("account_last4", sa.String(length=4), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("holder_matches", sa.Boolean(), nullable=False),
        sa.Column("holder_reason", sa.Text(), nullable=True),
        sa.Column("is_change", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("effective_period", sa.String(length=7), nullable=True),
        sa.ForeignKeyConstraint(["beneficiary_id"], ["beneficiaries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bank_requests_beneficiary_id", "bank_requests", ["beneficiary_id"])
    op.create_index("ix_bank_requests_requester_user_id", "bank_requests", ["requester_user_id"])
    op.create_index("ix_bank_requests_commune_status", "bank_requests", ["commune_code", "status"])
    op.create_table(
        "payment_method_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("bank_bin", sa.String(length=10), nullable=True),
        sa.Column("bank_name", sa.String(length=100), nullable=True),
        sa.Column("account_enc", sa.Text(), nullable=True),
        sa.Column("account_last4", sa.String(length=4), nullable=True),
        sa.Column("account_name", sa.String(length=200), nullable=True),
        sa.Column("effective_period", sa.String(length=7), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["beneficiary_id"], ["beneficiaries.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["request_id"], ["bank_requests.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_payment_method_history_beneficiary_id", "payment_method_history", ["beneficiary_id"]
    )


def downgrade() -> None:
    op.drop_table("payment_method_history")
    op.drop_table("bank_requests")
