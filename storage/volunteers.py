""" "1+20" volunteers: unit invites, volunteers, the households they help and
their visits. Phones are stored as a keyed hash (lookups) and encrypted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import delete, func, select, update

from storage.models import (
    HouseholdRow,
    UserRow,
    VisitRow,
    VisitServiceRow,
    VolunteerInviteRow,
    VolunteerRow,
)
from storage.stores import _Store
from storage.text import display_form, match_key


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class VolunteerInvite:
    id: int
    commune_code: str
    unit: str
    max_uses: int
    uses: int
    expires_at: datetime


@dataclass(frozen=True)
class Volunteer:
    user_id: int
    commune_code: str
    unit: str
    name: str
    phone: str  # decrypted, E.164; mask it when shown
    active: bool
    joined_at: datetime


@dataclass(frozen=True)
class Household:
    id: int
    commune_code: str
    volunteer_id: int | None
    head_name: str
    village: str
    phone: str | None  # decrypted, E.164; mask it when shown
    members: int | None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Visit:
    id: int
    household_id: int
    volunteer_id: int | None
    visited_at: datetime
    note: str | None
    followup_on: date | None
    reminded_at: datetime | None
    new_household: bool
    services: dict[str, str] = field(default_factory=dict)  # service -> result


@dataclass(frozen=True)
class VisitFact:
    """One visit with what a report needs about its household and volunteer."""

    visit: Visit
    household: Household
    volunteer_name: str
    unit: str
    # The household is latest-visited by this visit (its follow-up is open).
    latest: bool


class VolunteerStore(_Store):
    # ------------------------------------------------------------ invites

    async def create_invite(
        self,
        code: str,
        *,
        commune_code: str,
        unit: str,
        max_uses: int,
        now: datetime,
        expires_at: datetime,
        created_by: int | None = None,
    ) -> None:
        self.session.add(
            VolunteerInviteRow(
                code_hash=self.vault.lookup_hash(code),
                commune_code=commune_code,
                unit=display_form(unit),
                max_uses=max_uses,
                uses=0,
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await self.session.flush()

    @staticmethod
    def _invite(row: VolunteerInviteRow) -> VolunteerInvite:
        return VolunteerInvite(
            row.id, row.commune_code, row.unit, row.max_uses, row.uses, _aware(row.expires_at)
        )

    @staticmethod
    def _outcome(row: VolunteerInviteRow, now: datetime) -> str:
        if _aware(row.expires_at) < now:
            return "expired"
        if row.uses >= row.max_uses:
            return "exhausted"
        return "ok"

    async def check_invite(self, code: str, now: datetime) -> tuple[str, VolunteerInvite | None]:
        """("ok" | "unknown" | "expired" | "exhausted", the invite)."""
        row = (
            await self.session.execute(
                select(VolunteerInviteRow).where(
                    VolunteerInviteRow.code_hash == self.vault.lookup_hash(code)
                )
            )
        ).scalar_one_or_none()
        if row is None:
            return "unknown", None
        return self._outcome(row, now), self._invite(row)

    async def register(
        self, user_id: int, invite_id: int, *, name: str, phone: str, now: datetime
    ) -> tuple[str, VolunteerInvite | None]:
        """Use one place of the invite and make the user its unit's volunteer.
        Returns the invite's outcome at this moment ("ok" when registered)."""
        row = (
            await self.session.execute(
                select(VolunteerInviteRow)
                .where(VolunteerInviteRow.id == invite_id)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            return "unknown", None
        outcome = self._outcome(row, now)
        if outcome != "ok":
            return outcome, self._invite(row)
        row.uses += 1
        values = {
            "commune_code": row.commune_code,
            "unit": row.unit,
            "name": display_form(name),
            "phone_hash": self.vault.lookup_hash(phone),
            "phone_enc": self.vault.encrypt(phone),
            "invite_id": row.id,
            "active": True,
            "joined_at": now,
        }
        existing = await self.session.get(VolunteerRow, user_id)
        if existing is None:
            self.session.add(VolunteerRow(user_id=user_id, **values))
        else:
            for key, value in values.items():
                setattr(existing, key, value)
        await self.session.execute(
            update(UserRow)
            .where(UserRow.id == user_id, UserRow.role == "citizen")
            .values(role="volunteer")
        )
        await self.session.flush()
        return "ok", self._invite(row)

    # ------------------------------------------------------------ volunteers

    def _volunteer(self, row: VolunteerRow) -> Volunteer:
        return Volunteer(
            user_id=row.user_id,
            commune_code=row.commune_code,
            unit=row.unit,
            name=row.name,
            phone=self.vault.decrypt(row.phone_enc),
            active=row.active,
            joined_at=_aware(row.joined_at),
        )

    async def get(self, user_id: int) -> Volunteer | None:
        row = await self.session.get(VolunteerRow, user_id)
        return self._volunteer(row) if row else None

    async def of_communes(self, communes: list[str]) -> list[Volunteer]:
        rows = (
            await self.session.execute(
                select(VolunteerRow)
                .where(VolunteerRow.commune_code.in_(communes))
                .order_by(VolunteerRow.unit, VolunteerRow.name, VolunteerRow.user_id)
            )
        ).scalars()
        return [self._volunteer(r) for r in rows]

    async def deactivate(self, user_id: int, communes: list[str]) -> Volunteer | None:
        """Stop a volunteer of one of ``communes``; None when there is none."""
        row = await self.session.get(VolunteerRow, user_id)
        if row is None or row.commune_code not in communes:
            return None
        row.active = False
        await self.session.execute(
            update(UserRow)
            .where(UserRow.id == user_id, UserRow.role == "volunteer")
            .values(role="citizen")
        )
        await self.session.flush()
        return self._volunteer(row)

    # ------------------------------------------------------------ households

    def _household(self, row: HouseholdRow, phone: bool = True) -> Household:
        return Household(
            id=row.id,
            commune_code=row.commune_code,
            volunteer_id=row.volunteer_id,
            head_name=row.head_name,
            village=row.village,
            phone=self.vault.decrypt(row.phone_enc) if phone and row.phone_enc else None,
            members=row.members,
            latitude=row.latitude,
            longitude=row.longitude,
        )

    async def household(self, household_id: int) -> Household | None:
        row = await self.session.get(HouseholdRow, household_id)
        return self._household(row) if row else None

    async def households_of(self, volunteer_id: int) -> list[tuple[Household, datetime | None]]:
        """The households a volunteer added or visited, with their last visit
        by anyone, most recently visited first."""
        visited = select(VisitRow.household_id).where(VisitRow.volunteer_id == volunteer_id)
        last = (
            select(VisitRow.household_id, func.max(VisitRow.visited_at).label("last"))
            .group_by(VisitRow.household_id)
            .subquery()
        )
        rows = (
            await self.session.execute(
                select(HouseholdRow, last.c.last)
                .outerjoin(last, last.c.household_id == HouseholdRow.id)
                .where((HouseholdRow.volunteer_id == volunteer_id) | HouseholdRow.id.in_(visited))
                .order_by(last.c.last.desc().nulls_last(), HouseholdRow.id.desc())
            )
        ).all()
        return [(self._household(h), _aware(t) if t else None) for h, t in rows]

    async def find_same(
        self, commune_code: str, *, phone: str | None, name: str, village: str
    ) -> list[Household]:
        """Households of the commune that may be this one: the same phone, or
        the same name in the same village."""
        same_name = (HouseholdRow.name_key == match_key(name)) & (
            HouseholdRow.village_key == match_key(village)
        )
        if phone:
            same_name = same_name | (HouseholdRow.phone_hash == self.vault.lookup_hash(phone))
        cond = (HouseholdRow.commune_code == commune_code) & same_name
        rows = (
            await self.session.execute(select(HouseholdRow).where(cond).order_by(HouseholdRow.id))
        ).scalars()
        return [self._household(r) for r in rows]

    async def add_household(
        self,
        *,
        commune_code: str,
        volunteer_id: int,
        head_name: str,
        village: str,
        phone: str | None,
        members: int | None,
        location: tuple[float, float] | None,
        now: datetime,
    ) -> int:
        row = HouseholdRow(
            commune_code=commune_code,
            volunteer_id=volunteer_id,
            head_name=display_form(head_name),
            name_key=match_key(head_name),
            village=display_form(village),
            village_key=match_key(village),
            phone_hash=self.vault.lookup_hash(phone) if phone else None,
            phone_enc=self.vault.encrypt(phone) if phone else None,
            members=members,
            latitude=location[0] if location else None,
            longitude=location[1] if location else None,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    # ------------------------------------------------------------ visits

    async def add_visit(
        self,
        *,
        household_id: int,
        volunteer_id: int,
        services: dict[str, str],
        note: str | None,
        followup_on: date | None,
        new_household: bool,
        now: datetime,
    ) -> int:
        row = VisitRow(
            household_id=household_id,
            volunteer_id=volunteer_id,
            visited_at=now,
            note=note,
            followup_on=followup_on,
            new_household=new_household,
        )
        self.session.add(row)
        await self.session.flush()
        for service, result in services.items():
            self.session.add(VisitServiceRow(visit_id=row.id, service=service, result=result))
        await self.session.flush()
        return row.id

    async def update_visit(
        self,
        visit_id: int,
        *,
        services: dict[str, str],
        note: str | None,
        followup_on: date | None,
    ) -> None:
        row = await self.session.get(VisitRow, visit_id)
        if row is None:
            return
        if row.followup_on != followup_on:
            row.reminded_at = None
        row.note = note
        row.followup_on = followup_on
        await self.session.execute(
            delete(VisitServiceRow).where(VisitServiceRow.visit_id == visit_id)
        )
        for service, result in services.items():
            self.session.add(VisitServiceRow(visit_id=visit_id, service=service, result=result))
        await self.session.flush()

    async def _services(self, visit_ids: list[int]) -> dict[int, dict[str, str]]:
        out: dict[int, dict[str, str]] = {v: {} for v in visit_ids}
        if not visit_ids:
            return out
        rows = await self.session.execute(
            select(VisitServiceRow.visit_id, VisitServiceRow.service, VisitServiceRow.result)
            .where(VisitServiceRow.visit_id.in_(visit_ids))
            .order_by(VisitServiceRow.visit_id)
        )
        for visit_id, service, result in rows:
            out[visit_id][service] = result
        return out

    @staticmethod
    def _visit(row: VisitRow, services: dict[str, str]) -> Visit:
        return Visit(
            id=row.id,
            household_id=row.household_id,
            volunteer_id=row.volunteer_id,
            visited_at=_aware(row.visited_at),
            note=row.note,
            followup_on=row.followup_on,
            reminded_at=_aware(row.reminded_at) if row.reminded_at else None,
            new_household=row.new_household,
            services=services,
        )

    async def visit(self, visit_id: int) -> Visit | None:
        row = await self.session.get(VisitRow, visit_id)
        if row is None:
            return None
        return self._visit(row, (await self._services([row.id]))[row.id])

    async def last_visit(self, volunteer_id: int) -> Visit | None:
        row = (
            await self.session.execute(
                select(VisitRow)
                .where(VisitRow.volunteer_id == volunteer_id)
                .order_by(VisitRow.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        return self._visit(row, (await self._services([row.id]))[row.id])

    async def helped(self, volunteer_id: int) -> int:
        """How many households the volunteer has visited."""
        return int(
            await self.session.scalar(
                select(func.count(func.distinct(VisitRow.household_id))).where(
                    VisitRow.volunteer_id == volunteer_id
                )
            )
            or 0
        )

    async def delete_visit(self, visit_id: int) -> bool:
        """Remove a visit, and its household when the visit added it and no
        other visit is left. True when the household went too."""
        row = await self.session.get(VisitRow, visit_id)
        if row is None:
            return False
        household_id, added = row.household_id, row.new_household
        await self.session.execute(
            delete(VisitServiceRow).where(VisitServiceRow.visit_id == visit_id)
        )
        await self.session.execute(delete(VisitRow).where(VisitRow.id == visit_id))
        left = await self.session.scalar(
            select(func.count()).select_from(VisitRow).where(VisitRow.household_id == household_id)
        )
        if added and not left:
            await self.session.execute(delete(HouseholdRow).where(HouseholdRow.id == household_id))
            return True
        return False

    async def facts(
        self,
        *,
        communes: list[str] | None = None,
        volunteer_id: int | None = None,
        phones: bool = False,
    ) -> list[VisitFact]:
        """Every visit to the communes' households (or by one volunteer), oldest
        first. Households' phones are decrypted only when ``phones`` is set."""
        q = (
            select(VisitRow, HouseholdRow, VolunteerRow.name, VolunteerRow.unit)
            .join(HouseholdRow, HouseholdRow.id == VisitRow.household_id)
            .outerjoin(VolunteerRow, VolunteerRow.user_id == VisitRow.volunteer_id)
        )
        if communes is not None:
            q = q.where(HouseholdRow.commune_code.in_(communes))
        if volunteer_id is not None:
            q = q.where(VisitRow.volunteer_id == volunteer_id)
        rows = (await self.session.execute(q.order_by(VisitRow.visited_at, VisitRow.id))).all()
        ids = [v.id for v, _h, _n, _u in rows]
        services = await self._services(ids)
        latest_ids = set(
            (
                await self.session.execute(
                    select(func.max(VisitRow.id)).group_by(VisitRow.household_id)
                )
            ).scalars()
        )
        households: dict[int, Household] = {}
        out = []
        for v, h, name, unit in rows:
            if h.id not in households:
                households[h.id] = self._household(h, phones)
            out.append(
                VisitFact(
                    visit=self._visit(v, services[v.id]),
                    household=households[h.id],
                    volunteer_name=name or "",
                    unit=unit or "",
                    latest=v.id in latest_ids,
                )
            )
        return out

    async def activity(self, commune_code: str, since: datetime) -> tuple[int, int, int]:
        """(visits, households visited, volunteers who visited) in the commune
        since ``since``."""
        row = (
            await self.session.execute(
                select(
                    func.count(VisitRow.id),
                    func.count(func.distinct(VisitRow.household_id)),
                    func.count(func.distinct(VisitRow.volunteer_id)),
                )
                .join(HouseholdRow, HouseholdRow.id == VisitRow.household_id)
                .where(HouseholdRow.commune_code == commune_code, VisitRow.visited_at >= since)
            )
        ).one()
        return int(row[0]), int(row[1]), int(row[2])

    async def due_followups(self, today: date) -> list[tuple[Visit, Household]]:
        """Open follow-ups due on or before ``today`` not yet reminded, of
        active volunteers: the latest visit of its household asked for one."""
        latest = select(func.max(VisitRow.id)).group_by(VisitRow.household_id)
        rows = (
            await self.session.execute(
                select(VisitRow, HouseholdRow)
                .join(HouseholdRow, HouseholdRow.id == VisitRow.household_id)
                .join(VolunteerRow, VolunteerRow.user_id == VisitRow.volunteer_id)
                .where(
                    VisitRow.followup_on.is_not(None),
                    VisitRow.followup_on <= today,
                    VisitRow.reminded_at.is_(None),
                    VolunteerRow.active.is_(True),
                    VisitRow.id.in_(latest),
                )
                .order_by(VisitRow.id)
            )
        ).all()
        return [(self._visit(v, {}), self._household(h)) for v, h in rows]

    async def mark_reminded(self, visit_id: int, now: datetime) -> None:
        await self.session.execute(
            update(VisitRow).where(VisitRow.id == visit_id).values(reminded_at=now)
        )
