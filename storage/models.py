"""ORM tables. Only storage/ touches these; stores return plain dataclasses."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
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
    # Proactive messages by SMS to people with no messenger link (off until
    # the commune turns it on), and at most this many SMS segments a month.
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sms_budget: Mapped[int | None] = mapped_column(Integer, nullable=True)


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
    __table_args__ = (
        UniqueConstraint("beneficiary_id", "period", name="uq_payment_period"),
        # Reports count a month's payments per commune and method from this
        # index alone, without reading the rows or joining the people.
        Index("ix_payments_period", "period", "commune_code", "method"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Looked up through uq_payment_period, which starts with it (a second
    # index on it alone only slowed every insert).
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiaries.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))  # "2026-11"
    # The commune that paid it: the person's commune when the row was made
    # (a person who moves later keeps their old payments in the old commune).
    commune_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
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
    # The messenger said this person blocked the bot (403): nothing proactive
    # is sent until they write again (which clears it).
    unreachable_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # "Your allowance has arrived" messages; the person can turn them off.
    notify_payments: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # An SMS number that texted STOP / TU CHOI: no SMS until START / DONG Y.
    sms_opt_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # An SMS user's phone, encrypted (their ``external_id`` is its lookup hash).
    phone_enc: Mapped[str | None] = mapped_column(Text, nullable=True)


class SmsUsageRow(Base):
    """SMS segments sent for a commune's people in a month (its budget)."""

    __tablename__ = "sms_usage"

    commune_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    segments: Mapped[int] = mapped_column(Integer, default=0)


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
    # Events are read by import (payment news), never by time: no index.
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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


class ProvinceOfficerRow(Base):
    """A province-level user: sees every commune of the province, changes nothing."""

    __tablename__ = "province_officers"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    province_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InviteRow(Base):
    """A one-time code that makes whoever redeems it an officer of a commune."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the code is never stored
    role: Mapped[str] = mapped_column(String(20), default="officer")  # officer / province
    # A commune officer's commune, or a province user's province.
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"), nullable=True)
    province_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
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
    __table_args__ = (
        Index("ix_outbox_due", "status", "not_before"),
        # A person's pending messages in queue order (the delivery worker's
        # order check, retries, blocks): both equalities in one index, so the
        # planner never prefers the due index's "every pending row".
        Index("ix_outbox_user_status", "user_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
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
    # A delivery worker holds the row until ``claimed_until``; ``claim_token``
    # names the claim, so a worker whose lease ran out cannot finish the row.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The officer's broadcast this message belongs to (status, cancel, report).
    broadcast_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)


class BankRequestRow(Base):
    """A bank account (or e-wallet) registered in the chat for a beneficiary's
    allowance, waiting for or carrying the commune officer's decision.

    status: pending / approved / rejected / replaced (a newer request for the
    same person took its place before a decision). At most one is pending per
    beneficiary (the store replaces the older one in the same transaction).
    """

    __tablename__ = "bank_requests"
    __table_args__ = (Index("ix_bank_requests_commune_status", "commune_code", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True
    )
    # Who filed it (the beneficiary, a relative or a volunteer); kept as a
    # plain id so "forget me" leaves the commune's record in place.
    requester_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    commune_code: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    bank_bin: Mapped[str] = mapped_column(String(10))
    bank_name: Mapped[str] = mapped_column(String(100))
    account_enc: Mapped[str] = mapped_column(Text)
    account_last4: Mapped[str] = mapped_column(String(4))
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_matches: Mapped[bool] = mapped_column(Boolean, default=True)
    holder_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A change of an account approved earlier (not a first registration).
    is_change: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Approved: the first payment period paid into this account ("2026-12").
    effective_period: Mapped[str | None] = mapped_column(String(7), nullable=True)


class PaymentMethodHistoryRow(Base):
    """How a beneficiary is paid, from which period on: one row per change.
    The beneficiary row holds the latest; earlier ones stay here."""

    __tablename__ = "payment_method_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(String(10))
    bank_bin: Mapped[str | None] = mapped_column(String(10), nullable=True)
    bank_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    account_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    account_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    account_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # First period paid this way; None for what was on file before any change.
    effective_period: Mapped[str | None] = mapped_column(String(7), nullable=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_requests.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VolunteerInviteRow(Base):
    """A code that lets volunteers of one unit join, up to ``max_uses`` times."""

    __tablename__ = "volunteer_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the code is never stored
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"))
    # A youth-union branch, a school, a military unit.
    unit: Mapped[str] = mapped_column(String(200))
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VolunteerRow(Base):
    """A "1+20" volunteer: a user who helps households of one commune."""

    __tablename__ = "volunteers"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    unit: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    phone_hash: Mapped[str] = mapped_column(String(64))
    phone_enc: Mapped[str] = mapped_column(Text)
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_invites.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HouseholdRow(Base):
    """A household a volunteer looks after; one record per household."""

    __tablename__ = "households"
    __table_args__ = (Index("ix_households_commune_name", "commune_code", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"))
    # The volunteer who added it (its "owner"); others may visit it too.
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    head_name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    village: Mapped[str] = mapped_column(String(200))
    village_key: Mapped[str] = mapped_column(String(200))
    phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    phone_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    members: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VisitRow(Base):
    """One visit of a volunteer to a household."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    visited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    followup_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The household was added with this visit (undoing the visit removes it).
    new_household: Mapped[bool] = mapped_column(Boolean, default=False)


class VisitServiceRow(Base):
    """What a visit helped with, and how it went (done / followup / declined)."""

    __tablename__ = "visit_services"

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True
    )
    service: Mapped[str] = mapped_column(String(20), primary_key=True)
    result: Mapped[str] = mapped_column(String(12))


class WebInboxRow(Base):
    """Proactive messages for a web-chat browser (its cookie identity), waiting
    for the page to fetch them (``GET /api/inbox``)."""

    __tablename__ = "web_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(100), index=True)
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[id, label], ...]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A message that is replaced in place when it changes (a broadcast's
    # progress): the page swaps the one it shows with the same ref.
    ref: Mapped[str | None] = mapped_column(String(64), nullable=True)


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
    # The progress message sent to the officer who sent it (bot.progress):
    # the channel's reference to it (to edit it), the counts it last showed,
    # when it was last looked at, and when it showed the final state.
    progress_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    progress_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    progress_blocked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    progress_failed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    progress_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    progress_done_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
