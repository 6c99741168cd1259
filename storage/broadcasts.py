"""Officers' broadcasts: who they reach, and what became of their messages.

An audience is a set of beneficiaries of one commune; the recipients are the
bot users linked to them. The messages themselves are outbox rows carrying the
broadcast's id, so the status, the cancel and the delivery report read the
outbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, func, select, update

from storage.models import BeneficiaryRow, BroadcastRow, LinkRow, OutboxRow, UserRow
from storage.stores import _Store
from storage.text import match_key


@dataclass(frozen=True)
class Reach:
    """Who an audience reaches: the linked users, how many people the audience
    holds, and how many of them nobody linked (they get nothing)."""

    user_ids: list[int]
    people: int
    unreachable: int


@dataclass(frozen=True)
class Broadcast:
    id: int
    commune_code: str
    created_by: int | None
    audience: str
    audience_label: str
    text_vi: str
    text_en: str | None
    recipients: int
    unreachable: int
    created_at: datetime
    send_at: datetime
    cancelled_at: datetime | None


@dataclass(frozen=True)
class Delivery:
    """One recipient of a broadcast, for the delivery report."""

    user_id: int
    channel: str
    external_id: str
    display_name: str | None
    # The people this user is linked to in the broadcast's commune.
    linked_names: list[str]
    status: str
    last_error: str | None
    sent_at: datetime | None


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _broadcast(row: BroadcastRow) -> Broadcast:
    return Broadcast(
        id=row.id,
        commune_code=row.commune_code,
        created_by=row.created_by,
        audience=row.audience,
        audience_label=row.audience_label,
        text_vi=row.text_vi,
        text_en=row.text_en,
        recipients=row.recipients,
        unreachable=row.unreachable,
        created_at=_aware(row.created_at) or row.created_at,
        send_at=_aware(row.send_at) or row.send_at,
        cancelled_at=_aware(row.cancelled_at),
    )


class BroadcastStore(_Store):
    # ------------------------------------------------------------ audiences

    def _people(self, commune_code: str) -> Select:
        return select(BeneficiaryRow.id).where(BeneficiaryRow.commune_code == commune_code)

    async def reach(self, people: Select) -> Reach:
        """The users linked to the beneficiaries ``people`` selects (ids)."""
        ids = people.subquery()
        total = (await self.session.execute(select(func.count()).select_from(ids))).scalar_one()
        linked = (
            await self.session.execute(
                select(func.count(func.distinct(LinkRow.beneficiary_id))).where(
                    LinkRow.beneficiary_id.in_(select(ids.c.id))
                )
            )
        ).scalar_one()
        users = (
            await self.session.execute(
                select(LinkRow.user_id)
                .where(LinkRow.beneficiary_id.in_(select(ids.c.id)))
                .distinct()
                .order_by(LinkRow.user_id)
            )
        ).scalars()
        return Reach(list(users), int(total), int(total) - int(linked))

    async def everyone(self, commune_code: str) -> Reach:
        return await self.reach(self._people(commune_code))

    async def paid_by_hand(self, commune_code: str) -> Reach:
        """Beneficiaries still paid in cash or at the post office."""
        return await self.reach(
            self._people(commune_code).where(BeneficiaryRow.payment_method.in_(("cash", "post")))
        )

    async def of_category(self, commune_code: str, category: str) -> Reach:
        return await self.reach(
            self._people(commune_code).where(BeneficiaryRow.category == category)
        )

    async def of_village(self, commune_code: str, village: str) -> Reach:
        return await self.reach(self._people(commune_code).where(BeneficiaryRow.village == village))

    async def of_beneficiaries(self, commune_code: str, ids: Iterable[int]) -> Reach:
        return await self.reach(self._people(commune_code).where(BeneficiaryRow.id.in_(list(ids))))

    async def categories(self, commune_code: str) -> list[str]:
        rows = await self.session.execute(
            select(BeneficiaryRow.category)
            .where(BeneficiaryRow.commune_code == commune_code)
            .distinct()
            .order_by(BeneficiaryRow.category)
        )
        return [r for r in rows.scalars() if r]

    async def villages(self, commune_code: str) -> list[str]:
        rows = await self.session.execute(
            select(BeneficiaryRow.village)
            .where(BeneficiaryRow.commune_code == commune_code, BeneficiaryRow.village.is_not(None))
            .distinct()
        )
        # In the order people read them: "Thôn Đông" before "Thôn Tây".
        return sorted((r for r in rows.scalars() if r), key=match_key)

    async def match_people(
        self, commune_code: str, *, id_hashes: Iterable[str], phone_hashes: Iterable[str]
    ) -> tuple[dict[str, int], dict[str, list[int]]]:
        """Beneficiaries of the commune by citizen-ID hash, and by phone hash
        (their own or a relative's). Other communes' people are never matched."""
        by_id: dict[str, int] = {}
        ids = list(set(id_hashes))
        for start in range(0, len(ids), 500):
            rows = await self.session.execute(
                select(BeneficiaryRow.national_id_hash, BeneficiaryRow.id).where(
                    BeneficiaryRow.commune_code == commune_code,
                    BeneficiaryRow.national_id_hash.in_(ids[start : start + 500]),
                )
            )
            by_id.update({h: i for h, i in rows.all()})
        by_phone: dict[str, list[int]] = {}
        phones = list(set(phone_hashes))
        for start in range(0, len(phones), 500):
            chunk = phones[start : start + 500]
            matched = await self.session.execute(
                select(
                    BeneficiaryRow.phone_hash, BeneficiaryRow.relative_phone_hash, BeneficiaryRow.id
                ).where(
                    BeneficiaryRow.commune_code == commune_code,
                    BeneficiaryRow.phone_hash.in_(chunk)
                    | BeneficiaryRow.relative_phone_hash.in_(chunk),
                )
            )
            wanted = set(chunk)
            for own, relative, ben_id in matched.all():
                for h in {own or "", relative or ""} & wanted:
                    by_phone.setdefault(h, []).append(ben_id)
        return by_id, by_phone

    # ------------------------------------------------------------ broadcasts

    async def create(
        self,
        *,
        commune_code: str,
        created_by: int,
        audience: str,
        audience_label: str,
        text_vi: str,
        text_en: str | None,
        recipients: int,
        unreachable: int,
        now: datetime,
        send_at: datetime,
    ) -> int:
        row = BroadcastRow(
            commune_code=commune_code,
            created_by=created_by,
            audience=audience,
            audience_label=audience_label,
            text_vi=text_vi,
            text_en=text_en,
            recipients=recipients,
            unreachable=unreachable,
            created_at=now.astimezone(UTC),
            send_at=send_at.astimezone(UTC),
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self.session.get(BroadcastRow, broadcast_id)
        return _broadcast(row) if row else None

    async def recent(self, commune_codes: Iterable[str], limit: int = 5) -> list[Broadcast]:
        rows = await self.session.execute(
            select(BroadcastRow)
            .where(BroadcastRow.commune_code.in_(list(commune_codes)))
            .order_by(BroadcastRow.id.desc())
            .limit(limit)
        )
        return [_broadcast(r) for r in rows.scalars()]

    async def cancel(self, broadcast_id: int, now: datetime) -> int:
        """Cancel the messages not sent yet; returns how many were cancelled."""
        result = await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.broadcast_id == broadcast_id, OutboxRow.status == "pending")
            .values(status="cancelled")
        )
        await self.session.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id, BroadcastRow.cancelled_at.is_(None))
            .values(cancelled_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        """Messages of the broadcast by outbox status."""
        rows = await self.session.execute(
            select(OutboxRow.status, func.count())
            .where(OutboxRow.broadcast_id == broadcast_id)
            .group_by(OutboxRow.status)
        )
        return {status: int(n) for status, n in rows.all()}

    async def deliveries(self, broadcast_id: int, commune_code: str) -> list[Delivery]:
        rows = (
            await self.session.execute(
                select(
                    OutboxRow.user_id,
                    UserRow.channel,
                    UserRow.external_id,
                    UserRow.display_name,
                    OutboxRow.status,
                    OutboxRow.last_error,
                    OutboxRow.sent_at,
                )
                .join(UserRow, UserRow.id == OutboxRow.user_id)
                .where(OutboxRow.broadcast_id == broadcast_id)
                .order_by(OutboxRow.id)
            )
        ).all()
        names: dict[int, list[str]] = {}
        # From the broadcast's rows to their users' links: the outbox index
        # leads, so a large commune costs one probe per recipient.
        linked = await self.session.execute(
            select(LinkRow.user_id, BeneficiaryRow.full_name)
            .select_from(OutboxRow)
            .join(LinkRow, LinkRow.user_id == OutboxRow.user_id)
            .join(BeneficiaryRow, BeneficiaryRow.id == LinkRow.beneficiary_id)
            .where(
                OutboxRow.broadcast_id == broadcast_id,
                BeneficiaryRow.commune_code == commune_code,
            )
            .order_by(LinkRow.id)
        )
        for uid, name in linked.all():
            names.setdefault(uid, []).append(name)
        return [
            Delivery(
                user_id=r.user_id,
                channel=r.channel,
                external_id=r.external_id,
                display_name=r.display_name,
                linked_names=names.get(r.user_id, []),
                status=r.status,
                last_error=r.last_error,
                sent_at=_aware(r.sent_at),
            )
            for r in rows
        ]
