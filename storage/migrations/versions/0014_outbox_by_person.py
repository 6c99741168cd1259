"""A person's outbox rows indexed by status and id as well: the delivery
worker asks for a round's people's pending messages each round, and with
only the user in the index PostgreSQL could prefer reading every pending row
through the due index.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_user_status", "outbox", ["user_id", "status", "id"])
    op.drop_index("ix_outbox_user_id", table_name="outbox")


def downgrade() -> None:
    op.create_index("ix_outbox_user_id", "outbox", ["user_id"])
    op.drop_index("ix_outbox_user_status", table_name="outbox")
