"""Officers of communes, and the one-time invites that make them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from storage.models import CommuneRow, InviteRow, OfficerRow, ProvinceOfficerRow, UserRow
from storage.records import Commune
from storage.stores import _commune, _Store


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class OfficerStore(_Store):
    async def create_invite(
        self,
        code: str,
        *,
        commune_code: str | None = None,
        province_code: str | None = None,
        name: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """An invite for a commune officer, or (``province_code``) for a
        province-level user who sees every commune of the province."""
        if (commune_code is None) == (province_code is None):
            raise ValueError("an invite is for one commune or one province")
        self.session.add(
            InviteRow(
                code_hash=self.vault.lookup_hash(code),
                role="officer" if commune_code else "province",
                commune_code=commune_code,
                province_code=province_code,
                name=name,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await self.session.flush()

    async def provinces_of(self, user_id: int) -> list[str]:
        """The provinces this user sees as a province-level user."""
        rows = (
            await self.session.execute(
                select(ProvinceOfficerRow.province_code)
                .where(ProvinceOfficerRow.user_id == user_id)
                .order_by(ProvinceOfficerRow.province_code)
            )
        ).scalars()
        return list(rows)

    async def visible_communes(self, user_id: int) -> list[Commune]:
        """Every commune whose reports this user may see: their own communes
        as an officer, and all communes of their provinces."""
        provinces = await self.provinces_of(user_id)
        q = select(CommuneRow).where(
            CommuneRow.code.in_(
                select(OfficerRow.commune_code).where(OfficerRow.user_id == user_id)
            )
            | CommuneRow.province_code.in_(provinces)
        )
        rows = (await self.session.execute(q.order_by(CommuneRow.code))).scalars()
        return [_commune(r) for r in rows]

    async def redeem(
        self, code: str, user_id: int, now: datetime
    ) -> tuple[str, Commune | None, str]:
        """("ok" | "unknown" | "expired" | "used", the commune, the officer's name).

        A province invite gives no commune: see :meth:`redeem_province`."""
        row = (
            await self.session.execute(
                select(InviteRow)
                .where(InviteRow.code_hash == self.vault.lookup_hash(code))
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            return "unknown", None, ""
        commune = await self.session.get(CommuneRow, row.commune_code) if row.commune_code else None
        if row.used_at is not None:
            return "used", _commune(commune) if commune else None, row.name
        if _aware(row.expires_at) < now:
            return "expired", _commune(commune) if commune else None, row.name
        row.used_at = now
        row.used_by = user_id
        if row.province_code is not None:
            if await self.session.get(ProvinceOfficerRow, (user_id, row.province_code)) is None:
                self.session.add(
                    ProvinceOfficerRow(
                        user_id=user_id,
                        province_code=row.province_code,
                        name=row.name,
                        created_at=now,
                    )
                )
            user = await self.session.get(UserRow, user_id)
            if user is not None and user.role == "citizen":
                user.role = "province"
            await self.session.flush()
            return "province", None, row.name
        exists = await self.session.get(OfficerRow, (user_id, row.commune_code))
        if exists is None:
            self.session.add(
                OfficerRow(
                    user_id=user_id, commune_code=row.commune_code, name=row.name, created_at=now
                )
            )
        await self.session.execute(
            update(UserRow).where(UserRow.id == user_id).values(role="officer")
        )
        await self.session.flush()
        return "ok", _commune(commune) if commune else None, row.name

    async def communes_of(self, user_id: int) -> list[Commune]:
        rows = (
            await self.session.execute(
                select(CommuneRow)
                .join(OfficerRow, OfficerRow.commune_code == CommuneRow.code)
                .where(OfficerRow.user_id == user_id)
                .order_by(CommuneRow.code)
            )
        ).scalars()
        return [_commune(r) for r in rows]

    async def users_of(self, commune_code: str) -> list[int]:
        """The user ids of the commune's officers."""
        rows = (
            await self.session.execute(
                select(OfficerRow.user_id)
                .where(OfficerRow.commune_code == commune_code)
                .order_by(OfficerRow.user_id)
            )
        ).scalars()
        return list(rows)
