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

from sqlalchemy import Select, func, or_, select, update

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
    # An SMS recipient's phone number (their channel identity is its hash).
    phone: str | None = None


@dataclass(frozen=True)
class Progress:
    """A broadcast's progress message, as its reporter (``bot.progress``)
    needs it: where the officer who sent it is, the message's reference on
    their channel (None: none sent yet; "": sent where it cannot be edited)
    and the counts it last showed."""

    broadcast_id: int
    user_id: int
    channel: str
    external_id: str
    locale: str
    ref: str | None
    sent: int
    blocked: int
    failed: int


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
                    UserRow.phone_enc,
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
                phone=self.vault.decrypt(r.phone_enc) if r.phone_enc else None,
            )
            for r in rows
        ]

    # ------------------------------------------------------------ progress

    async def progress_due(self, now: datetime, since: datetime) -> list[int]:
        """Broadcasts due to go out whose progress message is not final yet and
        was not looked at after ``since``."""
        rows = await self.session.execute(
            select(BroadcastRow.id)
            .where(
                BroadcastRow.progress_done_at.is_(None),
                BroadcastRow.send_at <= now,
                BroadcastRow.created_by.is_not(None),
                or_(BroadcastRow.progress_at.is_(None), BroadcastRow.progress_at <= since),
            )
            .order_by(BroadcastRow.id)
        )
        return list(rows.scalars())

    async def claim_progress(
        self, broadcast_id: int, now: datetime, since: datetime
    ) -> Progress | None:
        """Take the turn to update this broadcast's progress message (one
        process at a time, at most once per interval); None when another took
        it or it is final."""
        result = await self.session.execute(
            update(BroadcastRow)
            .where(
                BroadcastRow.id == broadcast_id,
                BroadcastRow.progress_done_at.is_(None),
                or_(BroadcastRow.progress_at.is_(None), BroadcastRow.progress_at <= since),
            )
            .values(progress_at=now)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        row = (
            await self.session.execute(
                select(
                    BroadcastRow.progress_ref,
                    BroadcastRow.progress_sent,
                    BroadcastRow.progress_blocked,
                    BroadcastRow.progress_failed,
                    UserRow.id,
                    UserRow.channel,
                    UserRow.external_id,
                    UserRow.locale,
                )
                .join(UserRow, UserRow.id == BroadcastRow.created_by)
                .where(BroadcastRow.id == broadcast_id)
            )
        ).first()
        if row is None:  # the officer is gone ("forget me"): nobody to tell
            await self.finish_progress(broadcast_id, now)
            return None
        return Progress(
            broadcast_id=broadcast_id,
            user_id=row.id,
            channel=row.channel,
            external_id=row.external_id,
            locale=row.locale,
            ref=row.progress_ref,
            sent=row.progress_sent,
            blocked=row.progress_blocked,
            failed=row.progress_failed,
        )

    async def due_now(self, broadcast_id: int, now: datetime) -> int:
        """Messages of the broadcast waiting that may go out now (not held
        back to a later time, e.g. the morning after quiet hours)."""
        q = select(func.count()).where(
            OutboxRow.broadcast_id == broadcast_id,
            OutboxRow.status == "pending",
            OutboxRow.not_before <= now,
        )
        return int((await self.session.execute(q)).scalar_one())

    async def save_progress(
        self,
        broadcast_id: int,
        *,
        ref: str | None,
        sent: int,
        blocked: int,
        failed: int,
        done_at: datetime | None = None,
    ) -> None:
        await self.session.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id)
            .values(
                progress_ref=ref,
                progress_sent=sent,
                progress_blocked=blocked,
                progress_failed=failed,
                progress_done_at=done_at,
            )
        )

    async def finish_progress(self, broadcast_id: int, now: datetime) -> None:
        await self.session.execute(
            update(BroadcastRow).where(BroadcastRow.id == broadcast_id).values(progress_done_at=now)
        )
