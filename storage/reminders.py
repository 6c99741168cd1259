"""What the scheduler's reminders and officers' digests read."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from storage.models import BeneficiaryRow, CommuneRow, LinkRow, OfficerRow, PaymentRow
from storage.records import Beneficiary, Commune, Payment
from storage.stores import _beneficiary, _commune, _payment, _Store


class ReminderStore(_Store):
    async def communes_with_payment_day(self) -> list[Commune]:
        rows = await self.session.execute(
            select(CommuneRow).where(CommuneRow.payment_day.is_not(None)).order_by(CommuneRow.code)
        )
        return [_commune(r) for r in rows.scalars()]

    async def unpaid_linked(
        self, commune_code: str, period: str
    ) -> list[tuple[int, Beneficiary, Payment | None]]:
        """(user id, beneficiary, the period's payment or None) for every link to
        a beneficiary of the commune whose payment of ``period`` is not paid."""
        rows = await self.session.execute(
            select(LinkRow.user_id, BeneficiaryRow, PaymentRow)
            .join(BeneficiaryRow, BeneficiaryRow.id == LinkRow.beneficiary_id)
            .outerjoin(
                PaymentRow,
                (PaymentRow.beneficiary_id == BeneficiaryRow.id) & (PaymentRow.period == period),
            )
            .where(BeneficiaryRow.commune_code == commune_code)
            .where(PaymentRow.id.is_(None) | (PaymentRow.status != "paid"))
            .order_by(LinkRow.id)
        )
        return [
            (uid, _beneficiary(ben), _payment(pay) if pay is not None else None)
            for uid, ben, pay in rows.all()
        ]

    async def expiring_linked(self, first: date, last: date) -> list[tuple[int, Beneficiary, date]]:
        """(user id, beneficiary, expiry) for links to people whose
        health-insurance card expires between ``first`` and ``last``."""
        rows = await self.session.execute(
            select(LinkRow.user_id, BeneficiaryRow)
            .join(BeneficiaryRow, BeneficiaryRow.id == LinkRow.beneficiary_id)
            .where(BeneficiaryRow.health_insurance_expiry.between(first, last))
            .order_by(LinkRow.id)
        )
        return [
            (uid, _beneficiary(ben), ben.health_insurance_expiry)
            for uid, ben in rows.all()
            if ben.health_insurance_expiry is not None
        ]

    async def payment_problems(
        self, commune_code: str, period: str
    ) -> list[tuple[Beneficiary, Payment]]:
        """Failed or returned payments of ``period`` in the commune."""
        rows = await self.session.execute(
            select(BeneficiaryRow, PaymentRow)
            .join(PaymentRow, PaymentRow.beneficiary_id == BeneficiaryRow.id)
            .where(
                BeneficiaryRow.commune_code == commune_code,
                PaymentRow.period == period,
                PaymentRow.status.in_(("failed", "returned")),
            )
            .order_by(BeneficiaryRow.full_name)
        )
        return [(_beneficiary(b), _payment(p)) for b, p in rows.all()]

    async def expiring(
        self, commune_code: str, first: date, last: date
    ) -> list[tuple[Beneficiary, date]]:
        rows = await self.session.execute(
            select(BeneficiaryRow)
            .where(
                BeneficiaryRow.commune_code == commune_code,
                BeneficiaryRow.health_insurance_expiry.between(first, last),
            )
            .order_by(BeneficiaryRow.health_insurance_expiry, BeneficiaryRow.full_name)
        )
        return [
            (_beneficiary(b), b.health_insurance_expiry)
            for b in rows.scalars()
            if b.health_insurance_expiry is not None
        ]

    async def officers(self) -> list[tuple[int, str]]:
        """(user id, commune code) of every officer."""
        rows = await self.session.execute(
            select(OfficerRow.user_id, OfficerRow.commune_code).order_by(
                OfficerRow.user_id, OfficerRow.commune_code
            )
        )
        return [(uid, code) for uid, code in rows.all()]
