"""Figures and lists for officers' reports: the non-cash rate and the people
still left behind. Read-only; every query is scoped to a set of communes.

The non-cash rate of a month counts the people on that month's payment list
(one payment row per person and month, whatever its status) and, of them, those
paid through an account (method ``bank``: a bank or an e-wallet), in the
commune that paid them. Counting is done by the database with GROUP BY over
an index of (month, commune, method), so a province's data stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, case, exists, func, or_, select

from storage.models import (
    BankRequestRow,
    BeneficiaryRow,
    CommuneRow,
    HouseholdRow,
    LinkRow,
    PaymentRow,
    VisitRow,
)
from storage.records import Commune
from storage.stores import _commune, _Store

_B = BeneficiaryRow
_P = PaymentRow
_H = HouseholdRow

# A "1+20" volunteer has visited the person: a visited household of the same
# commune has their phone (or their relative's) or their name. Households are
# recorded at the door, not matched to the commune's list, so this is the best
# the data allows.
_VISITED = exists().where(
    _H.commune_code == _B.commune_code,
    or_(
        _H.phone_hash == _B.phone_hash,
        _H.phone_hash == _B.relative_phone_hash,
        _H.name_key == _B.name_key,
    ),
    exists().where(VisitRow.household_id == _H.id),
)


@dataclass(frozen=True)
class RateCell:
    """People on the list and, of them, paid through an account, for one
    (commune, village, category)."""

    commune_code: str
    village: str | None
    category: str
    total: int
    through_account: int


@dataclass(frozen=True)
class PeriodRate:
    period: str
    total: int
    through_account: int


@dataclass(frozen=True)
class Person:
    """One line of a left-behind list. Phones are shown to the commune's
    officers, who call these people; the citizen ID never is."""

    beneficiary_id: int
    full_name: str
    commune_code: str
    village: str | None
    category: str
    payment_method: str
    phone: str | None
    relative_phone: str | None
    # For payment lists: that month's payment.
    amount: int | None = None
    status: str | None = None
    note: str | None = None
    # Whether a "1+20" volunteer has visited them (cash/post list).
    visited: bool | None = None
    # For bank-account requests waiting for review: the bank, the masked
    # account and when it was sent.
    request: str | None = None
    submitted: datetime | None = None


class ReportStore(_Store):
    async def communes_of_province(self, province_code: str) -> list[Commune]:
        rows = (
            await self.session.execute(
                select(CommuneRow)
                .where(CommuneRow.province_code == province_code)
                .order_by(CommuneRow.code)
            )
        ).scalars()
        return [_commune(r) for r in rows]

    async def rate_cells(self, period: str, communes: Sequence[str]) -> list[RateCell]:
        """The month's counts per commune, village and category."""
        if not communes:
            return []
        bank = func.sum(case((_P.method == "bank", 1), else_=0))
        q = (
            select(_P.commune_code, _B.village, _B.category, func.count(), bank)
            .select_from(_P)
            .join(_B, _B.id == _P.beneficiary_id)
            .where(_P.period == period, _P.commune_code.in_(list(communes)))
            .group_by(_P.commune_code, _B.village, _B.category)
        )
        rows = (await self.session.execute(q)).all()
        return [RateCell(r[0], r[1], r[2], int(r[3]), int(r[4] or 0)) for r in rows]

    async def rate_by_period(
        self, periods: Sequence[str], communes: Sequence[str]
    ) -> list[PeriodRate]:
        """The whole scope's counts for each of these months (months without a
        list come back with zeros), oldest first."""
        if not communes or not periods:
            return []
        bank = func.sum(case((_P.method == "bank", 1), else_=0))
        q = (
            select(_P.period, func.count(), bank)
            .where(_P.period.in_(list(periods)), _P.commune_code.in_(list(communes)))
            .group_by(_P.period)
        )
        found = {r[0]: (int(r[1]), int(r[2] or 0)) for r in (await self.session.execute(q)).all()}
        return [PeriodRate(p, *found.get(p, (0, 0))) for p in sorted(periods)]

    # ------------------------------------------------------------ lists

    async def still_cash_or_post(
        self, communes: Sequence[str], *, offset: int = 0, limit: int | None = None
    ) -> tuple[int, list[Person]]:
        """People whose allowance still goes by cash or post: (how many, one page)."""
        where = and_(_B.commune_code.in_(list(communes)), _B.payment_method.in_(("cash", "post")))
        return await self._people(where, offset, limit, visited=True)

    async def waiting_bank_requests(
        self, communes: Sequence[str], *, offset: int = 0, limit: int | None = None
    ) -> tuple[int, list[Person]]:
        """Bank-account registrations waiting for the officer's review, oldest first."""
        if not communes:
            return 0, []
        where = and_(
            BankRequestRow.commune_code.in_(list(communes)), BankRequestRow.status == "pending"
        )
        total = (
            await self.session.execute(
                select(func.count()).select_from(BankRequestRow).where(where)
            )
        ).scalar_one()
        q = (
            select(
                _B,
                BankRequestRow.bank_name,
                BankRequestRow.account_last4,
                BankRequestRow.created_at,
            )
            .join(BankRequestRow, BankRequestRow.beneficiary_id == _B.id)
            .where(where)
            .order_by(BankRequestRow.created_at, BankRequestRow.id)
            .offset(offset)
        )
        if limit is not None:
            q = q.limit(limit)
        rows = (await self.session.execute(q)).all()
        return int(total), [
            self._person(
                r[0],
                request=f"{r[1]} ****{r[2]}",
                submitted=r[3] if r[3].tzinfo else r[3].replace(tzinfo=UTC),
            )
            for r in rows
        ]

    async def never_linked(
        self, communes: Sequence[str], *, offset: int = 0, limit: int | None = None
    ) -> tuple[int, list[Person]]:
        """People nobody has linked to the bot yet."""
        where = and_(
            _B.commune_code.in_(list(communes)),
            ~exists().where(LinkRow.beneficiary_id == _B.id),
        )
        return await self._people(where, offset, limit)

    async def failed_or_returned(
        self, period: str, communes: Sequence[str], *, offset: int = 0, limit: int | None = None
    ) -> tuple[int, list[Person]]:
        """The month's payments that failed or came back, with the reason."""
        if not communes:
            return 0, []
        where = and_(
            _B.commune_code.in_(list(communes)),
            _P.period == period,
            _P.status.in_(("failed", "returned")),
        )
        total = (
            await self.session.execute(
                select(func.count())
                .select_from(_P)
                .join(_B, _B.id == _P.beneficiary_id)
                .where(where)
            )
        ).scalar_one()
        q = (
            select(_B, _P.amount, _P.status, _P.note)
            .join(_P, _P.beneficiary_id == _B.id)
            .where(where)
            .order_by(*await self._order())
            .offset(offset)
        )
        if limit is not None:
            q = q.limit(limit)
        rows = (await self.session.execute(q)).all()
        return int(total), [self._person(r[0], amount=r[1], status=r[2], note=r[3]) for r in rows]

    async def _people(  # type: ignore[no-untyped-def]
        self, where, offset: int, limit: int | None, *, visited: bool = False
    ) -> tuple[int, list[Person]]:
        total = (
            await self.session.execute(select(func.count()).select_from(_B).where(where))
        ).scalar_one()
        cols = [_B, _VISITED.label("visited")] if visited else [_B]
        q = select(*cols).where(where).order_by(*await self._order()).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        rows = (await self.session.execute(q)).all()
        if visited:
            return int(total), [self._person(r[0], visited=bool(r[1])) for r in rows]
        return int(total), [self._person(r[0]) for r in rows]

    async def _order(self) -> tuple:  # type: ignore[type-arg]
        """Commune, village, name: the same order on SQLite and PostgreSQL
        (villages compared as stored, whatever the server's locale)."""
        conn = await self.session.connection()
        collation = "C" if conn.dialect.name == "postgresql" else "BINARY"
        return (_B.commune_code, _B.village.collate(collation), _B.name_key, _B.id)

    def _person(self, row: BeneficiaryRow, **payment: object) -> Person:
        v = self.vault
        return Person(
            beneficiary_id=row.id,
            full_name=row.full_name,
            commune_code=row.commune_code,
            village=row.village,
            category=row.category,
            payment_method=row.payment_method,
            phone=v.decrypt(row.phone_enc) if row.phone_enc else None,
            relative_phone=v.decrypt(row.relative_phone_enc) if row.relative_phone_enc else None,
            **payment,  # type: ignore[arg-type]
        )
