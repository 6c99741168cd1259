"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 07:47:44.803862
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_log_beneficiary_id"), ["beneficiary_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_log_user_id"), ["user_id"], unique=False)

    op.create_table(
        "auth_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("actor_key", sa.String(length=64), nullable=False),
        sa.Column("national_id_hash", sa.String(length=64), nullable=False),
        sa.Column("origin_key", sa.String(length=64), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("auth_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_attempts_actor_at", ["actor_key", "at"], unique=False)
        batch_op.create_index("ix_attempts_id_at", ["national_id_hash", "at"], unique=False)
        batch_op.create_index("ix_attempts_origin_at", ["origin_key", "at"], unique=False)

    op.create_table(
        "communes",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("province_code", sa.String(length=10), nullable=False),
        sa.Column("province_name", sa.String(length=200), nullable=False),
        sa.Column("payment_day", sa.Integer(), nullable=True),
        sa.Column("officer_name", sa.String(length=200), nullable=True),
        sa.Column("officer_phone", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "external_id", name="uq_user_identity"),
    )
    op.create_table(
        "beneficiaries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("national_id_hash", sa.String(length=64), nullable=False),
        sa.Column("national_id_enc", sa.Text(), nullable=False),
        sa.Column("female", sa.Boolean(), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth_enc", sa.Text(), nullable=False),
        sa.Column("commune_code", sa.String(length=10), nullable=False),
        sa.Column("village", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("monthly_amount", sa.BigInteger(), nullable=False),
        sa.Column("payment_method", sa.String(length=10), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=True),
        sa.Column("account_enc", sa.Text(), nullable=True),
        sa.Column("account_last4", sa.String(length=4), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column("relative_phone_hash", sa.String(length=64), nullable=True),
        sa.Column("relative_phone_enc", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["communes.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("national_id_hash"),
    )
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_beneficiaries_commune_code"), ["commune_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_beneficiaries_name_key"), ["name_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_beneficiaries_phone_hash"), ["phone_hash"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_beneficiaries_relative_phone_hash"),
            ["relative_phone_hash"],
            unique=False,
        )

    op.create_table(
        "conversations",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["beneficiary_id"], ["beneficiaries.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "beneficiary_id", name="uq_link"),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_links_beneficiary_id"), ["beneficiary_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_links_user_id"), ["user_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=True),
        sa.Column("account_last4", sa.String(length=4), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["beneficiary_id"], ["beneficiaries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("beneficiary_id", "period", name="uq_payment_period"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_beneficiary_id"), ["beneficiary_id"], unique=False
        )

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_beneficiary_id"))

    op.drop_table("payments")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_links_user_id"))
        batch_op.drop_index(batch_op.f("ix_links_beneficiary_id"))

    op.drop_table("links")
    op.drop_table("conversations")
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_beneficiaries_relative_phone_hash"))
        batch_op.drop_index(batch_op.f("ix_beneficiaries_phone_hash"))
        batch_op.drop_index(batch_op.f("ix_beneficiaries_name_key"))
        batch_op.drop_index(batch_op.f("ix_beneficiaries_commune_code"))

    op.drop_table("beneficiaries")
    op.drop_table("users")
    op.drop_table("communes")
    with op.batch_alter_table("auth_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_attempts_id_at")
        batch_op.drop_index("ix_attempts_actor_at")

    op.drop_table("auth_attempts")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_user_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_beneficiary_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    # ### end Alembic commands ###
