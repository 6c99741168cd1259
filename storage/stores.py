"""Stores: one per area, the only code that writes SQL.

Every store is bound to one AsyncSession, i.e. to one transaction opened by
:meth:`storage.db.Database.transaction`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Select, Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Vault
from storage.models import (
    AuditRow,
    AuthAttemptRow,
    BankRequestRow,
    BeneficiaryRow,
    CommuneRow,
    ConversationRow,
    LinkRow,
    PaymentRow,
    UserRow,
    WebInboxRow,
)
from storage.records import (
    AuditEntry,
    Beneficiary,
    Commune,
    ConversationState,
    Link,
    NewBeneficiary,
    Payment,
    User,
)
from storage.text import display_form, match_key

R = TypeVar("R")

LAST_SEEN_GRANULARITY = timedelta(minutes=10)

# Hot-path statements use Core tables: a status tap is a few small queries,
# and skipping the ORM's unit of work keeps each one cheap.
_USERS = cast(Table, UserRow.__table__)
_CONV = cast(Table, ConversationRow.__table__)
_LINKS = cast(Table, LinkRow.__table__)
_BENS = cast(Table, BeneficiaryRow.__table__)
_COMMUNES = cast(Table, CommuneRow.__table__)
_PAYMENTS = cast(Table, PaymentRow.__table__)
_AUDIT = cast(Table, AuditRow.__table__)

_OPEN_USER = (
    select(
        _USERS.c.id,
        _USERS.c.channel,
        _USERS.c.external_id,
        _USERS.c.locale,
        _USERS.c.role,
        _USERS.c.display_name,
        _USERS.c.last_seen_at,
        _USERS.c.unreachable_at,
        _USERS.c.notify_payments,
        _CONV.c.state,
        _CONV.c.data,
        _CONV.c.options,
    )
    .select_from(_USERS.outerjoin(_CONV, _CONV.c.user_id == _USERS.c.id))
    .where(
        _USERS.c.channel == bindparam("channel"),
        _USERS.c.external_id == bindparam("external_id"),
    )
)

_BEN_FIELDS = (
    "id", "full_name", "female", "commune_code", "village", "category",
    "monthly_amount", "payment_method", "bank_name", "account_last4", "birth_year",
)  # fmt: skip
_COMMUNE_FIELDS = (
    "code", "name", "province_code", "province_name", "payment_day",
    "officer_name", "officer_phone",
)  # fmt: skip
_PAYMENT_FIELDS = (
    "beneficiary_id", "period", "amount", "status", "paid_on", "method",
    "bank_name", "account_last4", "note",
)  # fmt: skip
_PAYMENT_COLS = [_PAYMENTS.c[f].label(f"p_{f}") for f in _PAYMENT_FIELDS]

_LINKS_FROM = _LINKS.join(_BENS, _BENS.c.id == _LINKS.c.beneficiary_id).outerjoin(
    _COMMUNES, _COMMUNES.c.code == _BENS.c.commune_code
)
_LINK_COLS = [
    _LINKS.c.user_id,
    _LINKS.c.relation,
    _LINKS.c.via,
    _LINKS.c.created_at,
    *[_BENS.c[f].label(f"b_{f}") for f in _BEN_FIELDS],
    *[_COMMUNES.c[f].label(f"c_{f}") for f in _COMMUNE_FIELDS],
]


def _links_statement(one_beneficiary: bool, with_period: bool) -> Select:
    cols = list(_LINK_COLS)
    source = _LINKS_FROM
    if with_period:
        cols += _PAYMENT_COLS
        source = source.outerjoin(
            _PAYMENTS,
            (_PAYMENTS.c.beneficiary_id == _BENS.c.id)
            & (_PAYMENTS.c.period == bindparam("period")),
        )
    q = select(*cols).select_from(source).where(_LINKS.c.user_id == bindparam("user_id"))
    if one_beneficiary:
        q = q.where(_LINKS.c.beneficiary_id == bindparam("beneficiary_id"))
    return q.order_by(_LINKS.c.id)


# Built once: (one beneficiary?, with a period's payment?) -> statement.
_LINKS_QUERIES = {(b, p): _links_statement(b, p) for b in (False, True) for p in (False, True)}
_AUDIT_INSERT = insert(_AUDIT)
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_CONV_INSERT = insert(_CONV)
_CONV_UPDATE = update(_CONV).where(_CONV.c.user_id == bindparam("uid"))


class _Prefixed:
    """Attribute access to the ``prefix``-labelled columns of a Core row."""

    __slots__ = ("_row", "_prefix")

    def __init__(self, row: Any, prefix: str) -> None:
        self._row = row
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, self._prefix + name)


def _prefixed(row: Any, prefix: str) -> Any:
    return _Prefixed(row, prefix)


def _from_row(cls: type[R], row: Any) -> R:
    """A record from an ORM row or a Core row whose columns carry its field names."""
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})  # type: ignore[arg-type]


def _payment(row: Any) -> Payment:
    return _from_row(Payment, row)


def _commune(row: Any) -> Commune:
    return _from_row(Commune, row)


def _beneficiary(row: Any) -> Beneficiary:
    return _from_row(Beneficiary, row)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Store:
    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self.session = session
        self.vault = vault


class CommuneStore(_Store):
    async def upsert(self, commune: Commune) -> None:
        row = await self.session.get(CommuneRow, commune.code)
        if row is None:
            row = CommuneRow(code=commune.code)
            self.session.add(row)
        row.name = commune.name
        row.province_code = commune.province_code
        row.province_name = commune.province_name
        row.payment_day = commune.payment_day
        row.officer_name = commune.officer_name
        row.officer_phone = commune.officer_phone
        await self.session.flush()

    async def get(self, code: str) -> Commune | None:
        row = await self.session.get(CommuneRow, code)
        return _commune(row) if row else None


class BeneficiaryStore(_Store):
    def _to_record(self, row: BeneficiaryRow) -> Beneficiary:
        return _beneficiary(row)

    async def add(self, new: NewBeneficiary, now: datetime | None = None) -> int:
        now = now or _utcnow()
        row = BeneficiaryRow(created_at=now)
        self.fill(row, new, now)
        self.session.add(row)
        await self.session.flush()
        return row.id

    def digest(self, new: NewBeneficiary) -> str:
        """Keyed hash of every field: equal digests mean nothing to update."""
        return self.vault.lookup_hash(repr(sorted(vars(new).items())))

    def fill(self, row: BeneficiaryRow, new: NewBeneficiary, now: datetime) -> None:
        """Write ``new`` into ``row``, encrypting the personal numbers."""
        v = self.vault
        born = new.date_of_birth
        row.national_id_hash = v.lookup_hash(new.national_id)
        row.national_id_enc = v.encrypt(new.national_id)
        row.female = int(new.national_id[3]) % 2 == 1
        if isinstance(born, date):
            row.birth_year = born.year
            row.date_of_birth_enc = v.encrypt(born.isoformat())
        else:
            # A year alone ("1945") or nothing: such a person cannot link by
            # date of birth until the commune records the full date.
            row.birth_year = born or None
            row.date_of_birth_enc = v.encrypt(str(born or ""))
        row.full_name = display_form(new.full_name)
        row.name_key = match_key(new.full_name)
        row.commune_code = new.commune_code
        row.village = new.village
        row.category = new.category or "other"
        row.monthly_amount = new.monthly_amount or 0
        row.payment_method = new.payment_method or "cash"
        row.bank_name = new.bank_name
        row.account_enc = v.encrypt(new.account_number) if new.account_number else None
        row.account_last4 = new.account_number[-4:] if new.account_number else None
        row.account_name = new.account_name
        row.phone_hash = v.lookup_hash(new.phone) if new.phone else None
        row.phone_enc = v.encrypt(new.phone) if new.phone else None
        row.relative_phone_hash = v.lookup_hash(new.relative_phone) if new.relative_phone else None
        row.relative_phone_enc = v.encrypt(new.relative_phone) if new.relative_phone else None
        hi = new.health_insurance_number
        row.health_insurance_enc = v.encrypt(hi) if hi else None
        row.health_insurance_expiry = new.health_insurance_expiry
        row.import_digest = self.digest(new)
        row.updated_at = now

    def stored(self, row: Any) -> NewBeneficiary:
        """What is stored for a person, decrypted, in the form an import writes."""
        born_text = self.vault.decrypt(row.date_of_birth_enc)
        born: date | int | None
        if len(born_text) == 10:
            born = date.fromisoformat(born_text)
        else:
            born = int(born_text) if born_text.isdigit() else None
        return NewBeneficiary(
            national_id=self.vault.decrypt(row.national_id_enc),
            full_name=row.full_name,
            date_of_birth=born,
            commune_code=row.commune_code,
            village=row.village,
            category=row.category,
            monthly_amount=row.monthly_amount,
            payment_method=row.payment_method,
            bank_name=row.bank_name,
            account_number=self._open(row.account_enc),
            phone=self._open(row.phone_enc),
            relative_phone=self._open(row.relative_phone_enc),
            account_name=row.account_name,
            health_insurance_number=self._open(row.health_insurance_enc),
            health_insurance_expiry=row.health_insurance_expiry,
        )

    def _open(self, token: str | None) -> str | None:
        return self.vault.decrypt(token) if token else None

    async def get(self, beneficiary_id: int) -> Beneficiary | None:
        row = await self.session.get(BeneficiaryRow, beneficiary_id)
        return self._to_record(row) if row else None

    async def verify(self, national_id: str, born: date) -> Beneficiary | None:
        """The beneficiary with this ID *and* this date of birth, else None.

        The caller cannot tell an unknown ID from a wrong date, by design.
        """
        row = (
            await self.session.execute(
                select(BeneficiaryRow).where(
                    BeneficiaryRow.national_id_hash == self.vault.lookup_hash(national_id)
                )
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        if self.vault.decrypt(row.date_of_birth_enc) != born.isoformat():
            return None
        return self._to_record(row)

    async def find_by_phone(self, phone: str) -> list[tuple[Beneficiary, str]]:
        """Beneficiaries whose own (``"self"``) or relative's (``"relative"``) phone this is."""
        return await self.find_by_phone_hash(self.vault.lookup_hash(phone))

    async def find_by_phone_hash(self, h: str) -> list[tuple[Beneficiary, str]]:
        """:meth:`find_by_phone` by the phone's lookup hash."""
        rows = (
            await self.session.execute(
                select(BeneficiaryRow)
                .where((BeneficiaryRow.phone_hash == h) | (BeneficiaryRow.relative_phone_hash == h))
                .order_by(BeneficiaryRow.id)
            )
        ).scalars()
        return [(self._to_record(r), "self" if r.phone_hash == h else "relative") for r in rows]

    async def count(self) -> int:
        return int((await self.session.execute(select(func.count(BeneficiaryRow.id)))).scalar_one())


class PaymentStore(_Store):
    async def upsert(self, payment: Payment, now: datetime | None = None) -> None:
        row = (
            await self.session.execute(
                select(PaymentRow).where(
                    PaymentRow.beneficiary_id == payment.beneficiary_id,
                    PaymentRow.period == payment.period,
                )
            )
        ).scalar_one_or_none()
        if row is None:
            commune = (
                await self.session.execute(
                    select(BeneficiaryRow.commune_code).where(
                        BeneficiaryRow.id == payment.beneficiary_id
                    )
                )
            ).scalar_one_or_none()
            row = PaymentRow(
                beneficiary_id=payment.beneficiary_id, period=payment.period, commune_code=commune
            )
            self.session.add(row)
        row.amount = payment.amount
        row.status = payment.status
        row.paid_on = payment.paid_on
        row.method = payment.method
        row.bank_name = payment.bank_name
        row.account_last4 = payment.account_last4
        row.note = payment.note
        row.updated_at = now or _utcnow()
        await self.session.flush()

    async def recent(self, beneficiary_id: int, up_to_period: str, limit: int = 6) -> list[Payment]:
        """Payments up to and including ``up_to_period``, newest first."""
        rows = (
            await self.session.execute(
                select(PaymentRow)
                .where(
                    PaymentRow.beneficiary_id == beneficiary_id, PaymentRow.period <= up_to_period
                )
                .order_by(PaymentRow.period.desc())
                .limit(limit)
            )
        ).scalars()
        return [_payment(r) for r in rows]


_XACT_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


def person_lock_key(channel: str, external_id: str) -> int:
    """A stable signed 64-bit advisory-lock key for one person on one channel."""
    digest = hashlib.sha256(f"allowance-bot:person:{channel}:{external_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class UserStore(_Store):
    async def serialise(self, channel: str, external_id: str) -> None:
        """Hold this person's lock until the transaction ends, so their
        messages are handled one at a time even across processes sharing one
        PostgreSQL (a second process waits here). SQLite has one process and
        serialises its transactions already: nothing to do."""
        conn = await self.session.connection()
        if conn.dialect.name != "postgresql":
            return
        await conn.execute(_XACT_LOCK, {"k": person_lock_key(channel, external_id)})

    @staticmethod
    def _record(row: Any) -> User:
        return User(
            id=row.id,
            channel=row.channel,
            external_id=row.external_id,
            locale=row.locale,
            role=row.role,
            display_name=row.display_name,
            notify_payments=bool(row.notify_payments) if row.notify_payments is not None else True,
        )

    async def open(
        self,
        channel: str,
        external_id: str,
        locale: str,
        display_name: str | None = None,
        *,
        wrote: bool = True,
    ) -> tuple[User, ConversationState | None, bool]:
        """The user of this identity with their conversation state, in one query;
        the user is created (with ``locale``) on first contact. ``wrote``: the
        person wrote to the bot (so a messenger that refused to reach them
        before lets the bot through again)."""
        conn = await self.session.connection()
        row = (
            await conn.execute(_OPEN_USER, {"channel": channel, "external_id": external_id})
        ).first()
        now = _utcnow()
        if row is None:
            new = UserRow(
                channel=channel,
                external_id=external_id,
                locale=locale,
                role="citizen",
                display_name=display_name,
                created_at=now,
                last_seen_at=now,
                notify_payments=True,
            )
            self.session.add(new)
            await self.session.flush()
            return self._record(new), None, True
        seen = row.last_seen_at if row.last_seen_at.tzinfo else row.last_seen_at.replace(tzinfo=UTC)
        if wrote and row.unreachable_at is not None:
            # They write again, so the messenger lets the bot reach them again.
            await self.session.execute(
                update(_USERS)
                .where(_USERS.c.id == row.id)
                .values(last_seen_at=now, unreachable_at=None)
            )
        elif now - seen > LAST_SEEN_GRANULARITY:  # spare a write on every message
            await self.session.execute(
                update(_USERS).where(_USERS.c.id == row.id).values(last_seen_at=now)
            )
        state = None
        if row.state is not None:
            state = ConversationState(
                state=row.state,
                data=json.loads(row.data),
                options=[(o[0], o[1]) for o in json.loads(row.options)],
            )
        return self._record(row), state, False

    async def get(self, user_id: int) -> User | None:
        row = await self.session.get(UserRow, user_id)
        return self._record(row) if row else None

    async def locales_and_channels(self, user_ids: list[int]) -> dict[int, tuple[str, str]]:
        """The (language, channel) of each of these users who still exists."""
        out: dict[int, tuple[str, str]] = {}
        for start in range(0, len(user_ids), 500):
            rows = await self.session.execute(
                select(UserRow.id, UserRow.locale, UserRow.channel).where(
                    UserRow.id.in_(user_ids[start : start + 500])
                )
            )
            out.update({uid: (locale, channel) for uid, locale, channel in rows.all()})
        return out

    async def locales(self, user_ids: list[int]) -> dict[int, str]:
        """The language of each of these users who still exists."""
        out: dict[int, str] = {}
        for start in range(0, len(user_ids), 500):
            rows = await self.session.execute(
                select(UserRow.id, UserRow.locale).where(
                    UserRow.id.in_(user_ids[start : start + 500])
                )
            )
            out.update({uid: locale for uid, locale in rows.all()})
        return out

    async def get_or_create(
        self, channel: str, external_id: str, locale: str, display_name: str | None = None
    ) -> tuple[User, bool]:
        user, _state, created = await self.open(
            channel, external_id, locale, display_name, wrote=False
        )
        return user, created

    async def set_notify_payments(self, user_id: int, on: bool) -> None:
        await self.session.execute(
            update(_USERS).where(_USERS.c.id == user_id).values(notify_payments=on)
        )

    async def is_unreachable(self, user_id: int) -> bool:
        value = (
            await self.session.execute(
                select(_USERS.c.unreachable_at).where(_USERS.c.id == user_id)
            )
        ).scalar()
        return value is not None

    async def set_locale(self, user_id: int, locale: str) -> None:
        row = await self.session.get(UserRow, user_id)
        if row is not None:
            row.locale = locale

    async def delete(self, user_id: int) -> None:
        """Forget a user: their links, conversation and identity. What the
        commune keeps (a bank-account registration they filed) stays, with no
        way back to them: an id freed here may be given to someone new."""
        row = await self.session.get(UserRow, user_id)
        await self.session.execute(
            update(BankRequestRow)
            .where(BankRequestRow.requester_user_id == user_id)
            .values(requester_user_id=None)
        )
        if row is not None and row.channel == "web":
            await self.session.execute(
                delete(WebInboxRow).where(WebInboxRow.external_id == row.external_id)
            )
        await self.session.execute(delete(LinkRow).where(LinkRow.user_id == user_id))
        await self.session.execute(
            delete(ConversationRow).where(ConversationRow.user_id == user_id)
        )
        await self.session.execute(delete(UserRow).where(UserRow.id == user_id))


class LinkStore(_Store):
    async def add(self, user_id: int, beneficiary_id: int, relation: str, via: str) -> bool:
        """Link; returns False when the link already existed (relation updated)."""
        row = (
            await self.session.execute(
                select(LinkRow).where(
                    LinkRow.user_id == user_id, LinkRow.beneficiary_id == beneficiary_id
                )
            )
        ).scalar_one_or_none()
        if row is not None:
            row.relation = relation
            return False
        self.session.add(
            LinkRow(
                user_id=user_id,
                beneficiary_id=beneficiary_id,
                relation=relation,
                via=via,
                created_at=_utcnow(),
            )
        )
        await self.session.flush()
        return True

    async def for_user(
        self, user_id: int, beneficiary_id: int | None = None, period: str | None = None
    ) -> list[Link]:
        """The user's links (optionally only to one beneficiary), each with the
        beneficiary's commune and, when ``period`` is given, that period's
        payment -- all in one query."""
        q = _LINKS_QUERIES[(beneficiary_id is not None, period is not None)]
        params = {"user_id": user_id, "beneficiary_id": beneficiary_id, "period": period}
        conn = await self.session.connection()
        out = []
        for row in (await conn.execute(q, params)).all():
            commune = _commune(_prefixed(row, "c_")) if row.c_code is not None else None
            payment = None
            if period is not None and row.p_period is not None:
                payment = _payment(_prefixed(row, "p_"))
            out.append(
                Link(
                    user_id=row.user_id,
                    beneficiary=_beneficiary(_prefixed(row, "b_")),
                    relation=row.relation,
                    via=row.via,
                    created_at=row.created_at,
                    commune=commune,
                    payment=payment,
                )
            )
        return out


class ConversationStore(_Store):
    async def load(self, user_id: int) -> ConversationState | None:
        row = await self.session.get(ConversationRow, user_id)
        if row is None:
            return None
        return ConversationState(
            state=row.state,
            data=json.loads(row.data),
            options=[(o[0], o[1]) for o in json.loads(row.options)],
        )

    async def save(
        self,
        user_id: int,
        state: ConversationState,
        *,
        exists: bool | None = None,
        options: bool = True,
    ) -> None:
        """Write the state; ``exists`` (when the caller knows) spares a lookup.
        ``options`` False keeps the stored options (the message offered none,
        and a message pushed meanwhile may have set them)."""
        values = {
            "state": state.state,
            "data": json.dumps(state.data, ensure_ascii=False),
            "options": json.dumps([list(o) for o in state.options], ensure_ascii=False),
            "updated_at": _utcnow(),
        }
        if exists is None:
            exists = await self.load(user_id) is not None
        conn = await self.session.connection()
        if exists:
            if not options:
                del values["options"]
            await conn.execute(_CONV_UPDATE, {"uid": user_id, **values})
        else:
            await conn.execute(_CONV_INSERT, {"user_id": user_id, **values})

    async def push_options(
        self,
        user_id: int,
        options: list[tuple[str, str]],
        now: datetime,
        *,
        only_in: Collection[str] | None = None,
    ) -> None:
        await self.push_options_many([(user_id, options)], now, only_in=only_in)

    async def push_options_many(
        self,
        pushed: list[tuple[int, list[tuple[str, str]]]],
        now: datetime,
        *,
        only_in: Collection[str] | None = None,
    ) -> None:
        """Messages with options were delivered to these people (a reminder
        shown as a numbered list): their next "2" picks from those options,
        whatever the conversation showed before. The state itself is kept.
        ``only_in``: the conversation states where they take over; elsewhere
        (a form the person has open) the stored options stay."""
        if not pushed:
            return
        conn = await self.session.connection()
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        latest = {uid: options for uid, options in pushed}  # the last one of each person
        stmt = dialect.insert(_CONV)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_CONV.c.user_id],
            set_={"options": stmt.excluded.options, "updated_at": stmt.excluded.updated_at},
            where=_CONV.c.state.in_(list(only_in)) if only_in is not None else None,
        )
        await conn.execute(
            stmt,
            [
                {
                    "user_id": uid,
                    "state": "menu",
                    "data": "{}",
                    "options": json.dumps([list(o) for o in options], ensure_ascii=False),
                    "updated_at": now.astimezone(UTC),
                }
                for uid, options in latest.items()
            ],
        )


class AttemptStore(_Store):
    async def serialize(self, *keys: str) -> None:
        """Hold, until the transaction ends, a lock per key (lookup hashes),
        so that checks of the same person or ID happen one at a time even in
        several processes. PostgreSQL: transaction-scoped advisory locks.
        SQLite needs none: its transactions are already one at a time."""
        conn = await self.session.connection()
        if conn.dialect.name != "postgresql":
            return
        for key in keys:  # always in the caller's order: no lock cycles
            await conn.execute(_ADVISORY_LOCK, {"k": int(key[:15], 16)})

    async def record(
        self,
        actor_key: str,
        national_id_hash: str,
        success: bool,
        at: datetime,
        *,
        origin: str | None = None,
    ) -> None:
        self.session.add(
            AuthAttemptRow(
                actor_key=actor_key,
                national_id_hash=national_id_hash,
                origin_key=self.vault.lookup_hash(origin) if origin else None,
                success=success,
                at=at,
            )
        )
        await self.session.flush()

    async def failures_since(
        self,
        since: datetime,
        *,
        actor_key: str | None = None,
        national_id_hash: str | None = None,
        origin: str | None = None,
    ) -> list[datetime]:
        """Times of failed attempts since ``since``, oldest first."""
        q = select(AuthAttemptRow.at).where(
            AuthAttemptRow.success.is_(False), AuthAttemptRow.at >= since
        )
        if actor_key is not None:
            q = q.where(AuthAttemptRow.actor_key == actor_key)
        if national_id_hash is not None:
            q = q.where(AuthAttemptRow.national_id_hash == national_id_hash)
        if origin is not None:
            q = q.where(AuthAttemptRow.origin_key == self.vault.lookup_hash(origin))
        rows = (await self.session.execute(q.order_by(AuthAttemptRow.at))).scalars()
        # SQLite hands back naive datetimes; they were written as UTC.
        return [r if r.tzinfo else r.replace(tzinfo=UTC) for r in rows]

    async def purge(self, before: datetime) -> int:
        """Remove attempts older than ``before``; returns how many."""
        result = await self.session.execute(
            delete(AuthAttemptRow).where(AuthAttemptRow.at < before)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class AuditStore(_Store):
    async def write(
        self,
        action: str,
        *,
        user_id: int | None = None,
        beneficiary_id: int | None = None,
        at: datetime | None = None,
        **detail: object,
    ) -> None:
        conn = await self.session.connection()
        await conn.execute(
            _AUDIT_INSERT,
            {
                "at": at or _utcnow(),
                "user_id": user_id,
                "action": action,
                "beneficiary_id": beneficiary_id,
                "detail": json.dumps(detail, ensure_ascii=False, default=str),
            },
        )

    async def recent(self, limit: int = 100) -> list[AuditEntry]:
        rows = (
            await self.session.execute(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
        ).scalars()
        return [
            AuditEntry(
                at=r.at,
                user_id=r.user_id,
                action=r.action,
                beneficiary_id=r.beneficiary_id,
                detail=json.loads(r.detail),
            )
            for r in rows
        ]


__all__ = [
    "AttemptStore",
    "AuditStore",
    "BeneficiaryStore",
    "CommuneStore",
    "ConversationStore",
    "LinkStore",
    "PaymentStore",
    "UserStore",
]
