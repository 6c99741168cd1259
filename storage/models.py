"""ORM tables. Only storage/ touches these; stores return plain dataclasses."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class CommuneRow(Base):
    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[str] = mapped_column(String(10), default="")
    province_name: Mapped[str] = mapped_column(String(200), default="")
    # Day of the month on which the commune usually pays allowances.
    payment_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Public contact of the commune's social-affairs office.
    officer_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    officer_phone: Mapped[str | None] = mapped_column(String(40), nullable=True)


class BeneficiaryRow(Base):
    __tablename__ = "beneficiaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Keyed hash (HMAC) of the 12-digit citizen ID: lookups without storing it.
    national_id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The ID itself, encrypted under BOT_SECRET_KEY, for display to officers.
    national_id_enc: Mapped[str] = mapped_column(Text)
    full_name: Mapped[str] = mapped_column(String(200))
    # From the citizen ID's 4th digit (odd = female): how to address the person.
    female: Mapped[bool] = mapped_column(Boolean, default=False)
    birth_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    date_of_birth_enc: Mapped[str] = mapped_column(Text)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    village: Mapped[str | None] = mapped_column(String(200), nullable=True)
    category: Mapped[str] = mapped_column(String(40), default="elderly")
    monthly_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    payment_method: Mapped[str] = mapped_column(String(10), default="cash")
    bank_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    account_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    account_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    phone_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    relative_phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    relative_phone_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    account_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    health_insurance_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    health_insurance_expiry: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Keyed hash of every imported field: an unchanged row is found without
    # decrypting anything.
    import_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentRow(Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("beneficiary_id", "period", name="uq_payment_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True
    )
    period: Mapped[str] = mapped_column(String(7))  # "2026-11"
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))  # paid / pending / failed / returned
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    method: Mapped[str] = mapped_column(String(10))  # bank / post / cash
    bank_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    account_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserRow(Base):
    """One identity on one channel (a Telegram account, a web-chat browser, ...)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_user_identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(10))
    role: Mapped[str] = mapped_column(String(20), default="citizen")
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LinkRow(Base):
    """A user may ask about this beneficiary (themselves or a relative)."""

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("user_id", "beneficiary_id", name="uq_link"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True
    )
    relation: Mapped[str] = mapped_column(
        String(20)
    )  # self, child, spouse, grandchild, carer, other
    via: Mapped[str] = mapped_column(String(20))  # id_dob, phone
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConversationRow(Base):
    """Where a user is in a conversation, so a restart continues it."""

    __tablename__ = "conversations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(40))
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON draft
    options: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[id, label], ...]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuthAttemptRow(Base):
    """A citizen-ID + date-of-birth check, for the lockout rules."""

    __tablename__ = "auth_attempts"
    __table_args__ = (
        Index("ix_attempts_actor_at", "actor_key", "at"),
        Index("ix_attempts_id_at", "national_id_hash", "at"),
        Index("ix_attempts_origin_at", "origin_key", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Keyed hash of (channel, external id): survives "forget me".
    actor_key: Mapped[str] = mapped_column(String(64))
    national_id_hash: Mapped[str] = mapped_column(String(64))
    # Keyed hash of the network address, for channels where identities are free.
    origin_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(40))
    beneficiary_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON, never personal numbers


class PaymentEventRow(Base):
    """A payment's status changed (by an import): the source of "your
    allowance has arrived" messages."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True
    )
    period: Mapped[str] = mapped_column(String(7))
    old_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    new_status: Mapped[str] = mapped_column(String(10))
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("imports.id"), nullable=True, index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ImportRow(Base):
    """One import of an officer's file, applied or not."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # beneficiaries / payments
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))  # applied / dry_run / rejected / failed
    rows: Mapped[int] = mapped_column(Integer, default=0)
    invalid: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="{}")  # JSON counts
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OfficerRow(Base):
    """A user who is an officer of a commune (one row per commune)."""

    __tablename__ = "officers"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InviteRow(Base):
    """A one-time code that makes whoever redeems it an officer of a commune."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the code is never stored
    role: Mapped[str] = mapped_column(String(20), default="officer")
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    used_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class OutboxRow(Base):
    """A proactive message (anything that is not a direct reply), written in
    the same transaction as the event that caused it and sent later by the
    delivery worker. ``key`` is the idempotency key: one row per event and
    recipient, so writing the same event twice adds nothing."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # What caused it: "payment", "bank_request", "broadcast", ...
    kind: Mapped[str] = mapped_column(String(40))
    # Already in the recipient's language.
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[id, label], ...]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Not to be sent before this time (a scheduled broadcast, quiet hours).
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # pending / sent / failed / blocked / cancelled
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The officer's broadcast this message belongs to (status, cancel, report).
    broadcast_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)


class BroadcastRow(Base):
    """An officer's message to part of a commune; its messages are outbox rows
    carrying its id."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # all / cash_post / category / village / file / volunteers
    audience: Mapped[str] = mapped_column(String(20))
    # What the officer chose, as shown back (a category key, a village name).
    audience_label: Mapped[str] = mapped_column(String(200), default="")
    text_vi: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    # People of the audience nobody linked in the bot: they get nothing.
    unreachable: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    send_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
