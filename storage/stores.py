"""Stores: one per area, the only code that writes SQL.

Every store is bound to one AsyncSession, i.e. to one transaction opened by
:meth:`storage.db.Database.transaction`.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.text import display_form, match_key
from storage.crypto import Vault
from storage.models import (
    AuditRow,
    AuthAttemptRow,
    BeneficiaryRow,
    CommuneRow,
    ConversationRow,
    LinkRow,
    PaymentRow,
    UserRow,
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

LAST_SEEN_GRANULARITY = timedelta(minutes=10)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Store:
    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self.session = session
        self.vault = vault


def _commune(row: CommuneRow) -> Commune:
    return Commune(
        code=row.code,
        name=row.name,
        province_code=row.province_code,
        province_name=row.province_name,
        payment_day=row.payment_day,
        officer_name=row.officer_name,
        officer_phone=row.officer_phone,
    )


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


def _beneficiary(row: BeneficiaryRow, female: bool) -> Beneficiary:
    return Beneficiary(
        id=row.id,
        full_name=row.full_name,
        commune_code=row.commune_code,
        village=row.village,
        category=row.category,
        monthly_amount=row.monthly_amount,
        payment_method=row.payment_method,
        bank_name=row.bank_name,
        account_last4=row.account_last4,
        female=female,
    )


class BeneficiaryStore(_Store):
    def _to_record(self, row: BeneficiaryRow) -> Beneficiary:
        national_id = self.vault.decrypt(row.national_id_enc)
        return _beneficiary(row, female=int(national_id[3]) % 2 == 1)

    async def add(self, new: NewBeneficiary, now: datetime | None = None) -> int:
        now = now or _utcnow()
        v = self.vault
        row = BeneficiaryRow(
            national_id_hash=v.lookup_hash(new.national_id),
            national_id_enc=v.encrypt(new.national_id),
            full_name=display_form(new.full_name),
            name_key=match_key(new.full_name),
            date_of_birth_enc=v.encrypt(new.date_of_birth.isoformat()),
            commune_code=new.commune_code,
            village=new.village,
            category=new.category,
            monthly_amount=new.monthly_amount,
            payment_method=new.payment_method,
            bank_name=new.bank_name,
            account_enc=v.encrypt(new.account_number) if new.account_number else None,
            account_last4=new.account_number[-4:] if new.account_number else None,
            phone_hash=v.lookup_hash(new.phone) if new.phone else None,
            phone_enc=v.encrypt(new.phone) if new.phone else None,
            relative_phone_hash=v.lookup_hash(new.relative_phone) if new.relative_phone else None,
            relative_phone_enc=v.encrypt(new.relative_phone) if new.relative_phone else None,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

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
        h = self.vault.lookup_hash(phone)
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
            row = PaymentRow(beneficiary_id=payment.beneficiary_id, period=payment.period)
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
        return [
            Payment(
                beneficiary_id=r.beneficiary_id,
                period=r.period,
                amount=r.amount,
                status=r.status,
                paid_on=r.paid_on,
                method=r.method,
                bank_name=r.bank_name,
                account_last4=r.account_last4,
                note=r.note,
            )
            for r in rows
        ]


class UserStore(_Store):
    @staticmethod
    def _record(row: UserRow) -> User:
        return User(
            id=row.id,
            channel=row.channel,
            external_id=row.external_id,
            locale=row.locale,
            role=row.role,
            display_name=row.display_name,
        )

    async def get_or_create(
        self, channel: str, external_id: str, locale: str, display_name: str | None = None
    ) -> tuple[User, bool]:
        row = (
            await self.session.execute(
                select(UserRow).where(
                    UserRow.channel == channel, UserRow.external_id == external_id
                )
            )
        ).scalar_one_or_none()
        now = _utcnow()
        created = row is None
        if row is None:
            row = UserRow(
                channel=channel,
                external_id=external_id,
                locale=locale,
                role="citizen",
                display_name=display_name,
                created_at=now,
                last_seen_at=now,
            )
            self.session.add(row)
            await self.session.flush()
        else:
            seen = (
                row.last_seen_at
                if row.last_seen_at.tzinfo
                else row.last_seen_at.replace(tzinfo=UTC)
            )
            if now - seen > LAST_SEEN_GRANULARITY:  # spare a write on every message
                row.last_seen_at = now
        return self._record(row), created

    async def set_locale(self, user_id: int, locale: str) -> None:
        row = await self.session.get(UserRow, user_id)
        if row is not None:
            row.locale = locale

    async def delete(self, user_id: int) -> None:
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

    async def for_user(self, user_id: int, beneficiary_id: int | None = None) -> list[Link]:
        """The user's links (optionally only to one beneficiary), with each
        beneficiary's commune, in one query."""
        q = (
            select(LinkRow, BeneficiaryRow, CommuneRow)
            .join(BeneficiaryRow, BeneficiaryRow.id == LinkRow.beneficiary_id)
            .outerjoin(CommuneRow, CommuneRow.code == BeneficiaryRow.commune_code)
            .where(LinkRow.user_id == user_id)
            .order_by(LinkRow.id)
        )
        if beneficiary_id is not None:
            q = q.where(LinkRow.beneficiary_id == beneficiary_id)
        out = []
        for link, ben, commune in (await self.session.execute(q)).all():
            female = int(self.vault.decrypt(ben.national_id_enc)[3]) % 2 == 1
            out.append(
                Link(
                    user_id=link.user_id,
                    beneficiary=_beneficiary(ben, female),
                    relation=link.relation,
                    via=link.via,
                    created_at=link.created_at,
                    commune=_commune(commune) if commune else None,
                )
            )
        return out

    async def remove_all(self, user_id: int) -> int:
        result = await self.session.execute(delete(LinkRow).where(LinkRow.user_id == user_id))
        return int(getattr(result, "rowcount", 0) or 0)


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

    async def save(self, user_id: int, state: ConversationState) -> None:
        row = await self.session.get(ConversationRow, user_id)
        if row is None:
            row = ConversationRow(user_id=user_id)
            self.session.add(row)
        row.state = state.state
        row.data = json.dumps(state.data, ensure_ascii=False)
        row.options = json.dumps([list(o) for o in state.options], ensure_ascii=False)
        row.updated_at = _utcnow()
        await self.session.flush()


class AttemptStore(_Store):
    async def record(
        self, actor_key: str, national_id_hash: str, success: bool, at: datetime
    ) -> None:
        self.session.add(
            AuthAttemptRow(
                actor_key=actor_key, national_id_hash=national_id_hash, success=success, at=at
            )
        )
        await self.session.flush()

    async def failures_since(
        self, since: datetime, *, actor_key: str | None = None, national_id_hash: str | None = None
    ) -> list[datetime]:
        """Times of failed attempts since ``since``, oldest first."""
        q = select(AuthAttemptRow.at).where(
            AuthAttemptRow.success.is_(False), AuthAttemptRow.at >= since
        )
        if actor_key is not None:
            q = q.where(AuthAttemptRow.actor_key == actor_key)
        if national_id_hash is not None:
            q = q.where(AuthAttemptRow.national_id_hash == national_id_hash)
        rows = (await self.session.execute(q.order_by(AuthAttemptRow.at))).scalars()
        # SQLite hands back naive datetimes; they were written as UTC.
        return [r if r.tzinfo else r.replace(tzinfo=UTC) for r in rows]

    async def purge_older_than(self, cutoff: datetime) -> None:
        await self.session.execute(delete(AuthAttemptRow).where(AuthAttemptRow.at < cutoff))


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
        self.session.add(
            AuditRow(
                at=at or _utcnow(),
                user_id=user_id,
                action=action,
                beneficiary_id=beneficiary_id,
                detail=json.dumps(detail, ensure_ascii=False, default=str),
            )
        )
        await self.session.flush()

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
