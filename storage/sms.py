"""What SMS needs: a number's opt-out, how often it asked for its status,
and each commune's SMS switch and monthly budget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from storage.models import AuditRow, CommuneRow, UserRow
from storage.stores import _Store


@dataclass(frozen=True)
class SmsSettings:
    commune_code: str
    enabled: bool
    budget: int | None  # SMS segments a month; None: no limit


class SmsStore(_Store):
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
        (status requests by SMS, for the daily limit)."""
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

    async def configure(self, commune_code: str, enabled: bool, budget: int | None) -> bool:
        """Turn SMS on or off for a commune; False when there is no such commune."""
        result = await self.session.execute(
            update(CommuneRow)
            .where(CommuneRow.code == commune_code)
            .values(sms_enabled=enabled, sms_budget=budget)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
