"""Drop two indexes every payments import paid for and nothing read: payments
by beneficiary alone (uq_payment_period starts with it) and payment events by
time (they are read by import).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_payments_beneficiary_id", table_name="payments")
    op.drop_index("ix_payment_events_at", table_name="payment_events")


def downgrade() -> None:
    op.create_index("ix_payment_events_at", "payment_events", ["at"])
    op.create_index("ix_payments_beneficiary_id", "payments", ["beneficiary_id"])
