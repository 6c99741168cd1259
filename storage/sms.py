"""What SMS needs: a number's opt-out, how often it asked for its status,
and each commune's SMS switch and monthly budget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import (
    AuditRow,
    BeneficiaryRow,
    CommuneRow,
    LinkRow,
    OutboxRow,
    SmsUsageRow,
    UserRow,
)
from storage.stores import LinkStore, UserStore, _Store

CHANNEL = "sms"
VIA = "sms"  # links made for SMS, not by the person
CANCELLED_SMS_OFF = "sms: SMS was turned off for the commune"
CANCELLED_NOT_ON_FILE = "sms: the number is no longer on file for the person"


@dataclass(frozen=True)
class SmsSettings:
    commune_code: str
    enabled: bool
    budget: int | None  # SMS segments a month; None: no limit


class SmsStore(_Store):
    """An SMS user's ``external_id`` is the lookup hash of their E.164 phone;
    the phone itself is kept encrypted in ``users.phone_enc``."""

    def identity(self, phone: str) -> str:
        return self.vault.lookup_hash(phone)

    async def ensure_user(self, phone: str, locale: str) -> int:
        """The SMS user of this phone (created when new); its id."""
        user, _created = await UserStore(self.session, self.vault).get_or_create(
            CHANNEL, self.identity(phone), locale
        )
        await self.session.execute(
            update(UserRow)
            .where(UserRow.id == user.id, UserRow.phone_enc.is_(None))
            .values(phone_enc=self.vault.encrypt(phone))
        )
        return user.id

    async def phone_of(self, external_id: str) -> str | None:
        token = (
            await self.session.execute(
                select(UserRow.phone_enc).where(
                    UserRow.channel == CHANNEL, UserRow.external_id == external_id
                )
            )
        ).scalar()
        return self.vault.decrypt(token) if token else None

    async def set_opt_out(self, user_id: int, at: datetime | None) -> None:
        """``at``: the number texted STOP; None: it texted START again."""
        await self.session.execute(
            update(UserRow).where(UserRow.id == user_id).values(sms_opt_out_at=at)
        )

    async def opted_out(self, user_id: int) -> bool:
        value = (
            await self.session.execute(select(UserRow.sms_opt_out_at).where(UserRow.id == user_id))
        ).scalar()
        return value is not None

    async def count_actions(self, user_id: int, action: str, since: datetime) -> int:
        """How many ``action`` audit entries this user has since ``since``
        (status requests by SMS, for the daily limit). ``since`` may be in any
        time zone: it is compared in UTC, as times are stored (SQLite keeps
        them as text)."""
        since = since.astimezone(UTC)
        return int(
            (
                await self.session.execute(
                    select(func.count(AuditRow.id)).where(
                        AuditRow.user_id == user_id,
                        AuditRow.action == action,
                        AuditRow.at >= since,
                    )
                )
            ).scalar_one()
        )

    async def settings(self, commune_code: str) -> SmsSettings | None:
        row = await self.session.get(CommuneRow, commune_code)
        if row is None:
            return None
        return SmsSettings(row.code, bool(row.sms_enabled), row.sms_budget)

    async def configure(
        self, commune_code: str, enabled: bool, budget: int | None, *, keep_budget: bool = False
    ) -> bool:
        """Turn SMS on or off for a commune and set its monthly budget (None:
        no limit), or leave the budget as it is with ``keep_budget``; False
        when there is no such commune."""
        values: dict[str, object] = {"sms_enabled": enabled}
        if not keep_budget:
            values["sms_budget"] = budget
        result = await self.session.execute(
            update(CommuneRow).where(CommuneRow.code == commune_code).values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def sync_links(self, commune_code: str, enabled: bool, locale: str) -> int:
        """Make the commune's people with a phone on file and no messenger
        link reachable by SMS (a user of channel "sms" for the phone, linked
        to them), or, when ``enabled`` is False, undo that. The person's own
        phone is used, else the relative's. Returns how many people are
        reachable by SMS."""
        in_commune = select(BeneficiaryRow.id).where(BeneficiaryRow.commune_code == commune_code)
        if not enabled:
            await self.cancel_queued(commune_code)
            await self.session.execute(
                delete(LinkRow).where(LinkRow.via == VIA, LinkRow.beneficiary_id.in_(in_commune))
            )
            return 0
        messenger = set(
            (
                await self.session.execute(
                    select(LinkRow.beneficiary_id)
                    .join(UserRow, UserRow.id == LinkRow.user_id)
                    .where(UserRow.channel != CHANNEL, LinkRow.beneficiary_id.in_(in_commune))
                )
            ).scalars()
        )
        # The SMS links there are now: (person, number's user, number's lookup hash).
        existing: dict[int, list[tuple[int, str]]] = {}
        for ben_id, user_id, identity in (
            await self.session.execute(
                select(LinkRow.beneficiary_id, LinkRow.user_id, UserRow.external_id)
                .join(UserRow, UserRow.id == LinkRow.user_id)
                .where(LinkRow.via == VIA, LinkRow.beneficiary_id.in_(in_commune))
            )
        ).all():
            existing.setdefault(ben_id, []).append((user_id, identity))
        rows = await self.session.execute(
            select(
                BeneficiaryRow.id,
                BeneficiaryRow.phone_enc,
                BeneficiaryRow.relative_phone_enc,
                BeneficiaryRow.phone_hash,
                BeneficiaryRow.relative_phone_hash,
            )
            .where(BeneficiaryRow.commune_code == commune_code)
            .order_by(BeneficiaryRow.id)
        )
        links = LinkStore(self.session, self.vault)
        reachable = 0
        dropped: set[int] = set()  # numbers that lost a person: no longer on file
        for ben_id, phone_enc, relative_enc, phone_hash, relative_hash in rows.all():
            if ben_id in messenger:
                # Reached on a messenger now: no SMS as well.
                await self.session.execute(
                    delete(LinkRow).where(LinkRow.via == VIA, LinkRow.beneficiary_id == ben_id)
                )
                continue
            # A number that is no longer the person's own or relative's phone
            # (the phone changed; numbers are given to someone else) hears
            # nothing more about them.
            on_file = {h for h in (phone_hash, relative_hash) if h}
            stale = [uid for uid, identity in existing.get(ben_id, []) if identity not in on_file]
            if stale:
                await self.session.execute(
                    delete(LinkRow).where(
                        LinkRow.via == VIA,
                        LinkRow.beneficiary_id == ben_id,
                        LinkRow.user_id.in_(stale),
                    )
                )
                dropped.update(stale)
            token, relation = (phone_enc, "self") if phone_enc else (relative_enc, "other")
            if not token:
                continue
            user_id = await self.ensure_user(self.vault.decrypt(token), locale)
            await links.add(user_id, ben_id, relation, VIA)
            reachable += 1
        if dropped:
            await self._cancel_unlinked(dropped)
        return reachable

    async def _cancel_unlinked(self, user_ids: set[int]) -> int:
        """Messages still waiting for these SMS numbers are cancelled when the
        numbers are linked to nobody any more (whom they were about is not on
        the outbox row, and the number is no longer theirs)."""
        still = select(LinkRow.user_id).where(LinkRow.user_id.in_(user_ids))
        result = await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.user_id.in_(user_ids),
                OutboxRow.user_id.not_in(still),
                OutboxRow.status == "pending",
            )
            .values(
                status="cancelled",
                last_error=CANCELLED_NOT_ON_FILE,
                claimed_until=None,
                claim_token=None,
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def cancel_queued(self, commune_code: str) -> int:
        """SMS turned off: the messages still waiting for the SMS numbers
        linked to the commune's people are cancelled, never sent (status
        "cancelled", with why). Returns how many."""
        numbers = (
            select(LinkRow.user_id)
            .join(UserRow, UserRow.id == LinkRow.user_id)
            .join(BeneficiaryRow, BeneficiaryRow.id == LinkRow.beneficiary_id)
            .where(UserRow.channel == CHANNEL, BeneficiaryRow.commune_code == commune_code)
        )
        result = await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.user_id.in_(numbers), OutboxRow.status == "pending")
            .values(
                status="cancelled",
                last_error=CANCELLED_SMS_OFF,
                claimed_until=None,
                claim_token=None,
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def recipients(self, commune_code: str) -> int:
        """People of the commune reached by SMS (their SMS users)."""
        return int(
            (
                await self.session.execute(
                    select(func.count(func.distinct(LinkRow.user_id)))
                    .join(UserRow, UserRow.id == LinkRow.user_id)
                    .join(BeneficiaryRow, BeneficiaryRow.id == LinkRow.beneficiary_id)
                    .where(UserRow.channel == CHANNEL, BeneficiaryRow.commune_code == commune_code)
                )
            ).scalar_one()
        )

    async def commune_of(self, external_id: str) -> str | None:
        """The commune of the first person this SMS user is linked to (whom
        proactive SMS are about)."""
        return (
            await self.session.execute(
                select(BeneficiaryRow.commune_code)
                .join(LinkRow, LinkRow.beneficiary_id == BeneficiaryRow.id)
                .join(UserRow, UserRow.id == LinkRow.user_id)
                .where(UserRow.channel == CHANNEL, UserRow.external_id == external_id)
                .order_by(LinkRow.id)
                .limit(1)
            )
        ).scalar()

    async def commune_of_number(self, external_id: str) -> str | None:
        """The commune whose budget an answer to this number counts against:
        of the first person it is linked to, else of the first person with
        this phone (or relative's phone) on file."""
        linked = await self.commune_of(external_id)
        if linked is not None:
            return str(linked)
        return (
            await self.session.execute(
                select(BeneficiaryRow.commune_code)
                .where(
                    (BeneficiaryRow.phone_hash == external_id)
                    | (BeneficiaryRow.relative_phone_hash == external_id)
                )
                .order_by(BeneficiaryRow.id)
                .limit(1)
            )
        ).scalar()

    async def used(self, commune_code: str, period: str) -> int:
        row = await self.session.get(SmsUsageRow, (commune_code, period))
        return row.segments if row else 0

    async def add_usage(self, commune_code: str, period: str, segments: int) -> None:
        """Count sent segments whatever the budget (answers to people who
        texted); one atomic upsert, as sends run concurrently."""
        conn = await self.session.connection()
        dialect = conn.dialect.name
        module = postgresql if dialect == "postgresql" else sqlite
        stmt = module.insert(SmsUsageRow).values(
            commune_code=commune_code, period=period, segments=segments
        )
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["commune_code", "period"],
                set_={"segments": SmsUsageRow.segments + stmt.excluded.segments},
            )
        )

    async def reserve(
        self, commune_code: str, period: str, segments: int, budget: int | None
    ) -> bool:
        """Take ``segments`` from the month's budget before sending; False
        (nothing taken) when they do not fit. One conditional UPDATE
        (``segments + n <= budget``): concurrent senders, in one process or
        many, can never together pass the budget (PostgreSQL re-checks the
        condition on the row it waited for; SQLite writes one at a time)."""
        conn = await self.session.connection()
        module = postgresql if conn.dialect.name == "postgresql" else sqlite
        await conn.execute(
            module.insert(SmsUsageRow)
            .values(commune_code=commune_code, period=period, segments=0)
            .on_conflict_do_nothing(index_elements=["commune_code", "period"])
        )
        stmt = update(SmsUsageRow).where(
            SmsUsageRow.commune_code == commune_code, SmsUsageRow.period == period
        )
        if budget is not None:
            stmt = stmt.where(SmsUsageRow.segments + segments <= budget)
        result = await conn.execute(stmt.values(segments=SmsUsageRow.segments + segments))
        return bool(result.rowcount)

    async def refund(self, commune_code: str, period: str, segments: int) -> None:
        """Give back segments reserved for an SMS that was not sent."""
        await self.session.execute(
            update(SmsUsageRow)
            .where(SmsUsageRow.commune_code == commune_code, SmsUsageRow.period == period)
            .values(
                segments=case(
                    (SmsUsageRow.segments >= segments, SmsUsageRow.segments - segments), else_=0
                )
            )
        )

    async def users_by_locale(self, user_ids: list[int]) -> dict[str, int]:
        """How many of these users are SMS numbers that take SMS (not
        opted out), by language."""
        out: dict[str, int] = {}
        for start in range(0, len(user_ids), 500):
            rows = await self.session.execute(
                select(UserRow.locale, func.count(UserRow.id))
                .where(
                    UserRow.id.in_(user_ids[start : start + 500]),
                    UserRow.channel == CHANNEL,
                    UserRow.sms_opt_out_at.is_(None),
                )
                .group_by(UserRow.locale)
            )
            for locale, count in rows.all():
                out[locale] = out.get(locale, 0) + int(count)
        return out

    async def opted_out_of(self, user_ids: list[int]) -> set[int]:
        """Those of these users that are SMS numbers that texted TU CHOI."""
        out: set[int] = set()
        for start in range(0, len(user_ids), 500):
            rows = await self.session.execute(
                select(UserRow.id).where(
                    UserRow.id.in_(user_ids[start : start + 500]),
                    UserRow.channel == CHANNEL,
                    UserRow.sms_opt_out_at.is_not(None),
                )
            )
            out.update(rows.scalars())
        return out

    async def enabled_communes(self) -> list[str]:
        rows = await self.session.execute(
            select(CommuneRow.code)
            .where(CommuneRow.sms_enabled.is_(True))
            .order_by(CommuneRow.code)
        )
        return list(rows.scalars())
