"""Reading officers' lists back out of the database, for ``python -m bot export``.

The rows stream: each method is an async generator that reads id-ranged batches
(``WHERE id > last ORDER BY id LIMIT n``), so a large commune never sits in memory
and the same statement works on SQLite and PostgreSQL. Run inside one transaction,
the batches see one consistent state on PostgreSQL (and SQLite serialises writers).

The personal numbers are decrypted: the file is the officer's own list, to be
edited in Excel and imported again. What comes out is what an import of that list
writes (a :class:`NewBeneficiary`), so a round trip changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import cached_property
from typing import Any

from sqlalchemy import select

from storage.models import BeneficiaryRow, PaymentRow
from storage.records import ExportedPayment, NewBeneficiary
from storage.stores import BeneficiaryStore, _Store

BATCH = 1000

_B = BeneficiaryRow
_P = PaymentRow
_BENEFICIARY_COLUMNS = (
    _B.id,
    _B.national_id_enc,
    _B.full_name,
    _B.date_of_birth_enc,
    _B.commune_code,
    _B.village,
    _B.category,
    _B.monthly_amount,
    _B.payment_method,
    _B.bank_name,
    _B.account_enc,
    _B.account_name,
    _B.phone_enc,
    _B.relative_phone_enc,
    _B.health_insurance_enc,
    _B.health_insurance_expiry,
)
_PAYMENT_COLUMNS = (
    _P.id,
    _B.national_id_enc,
    _B.full_name,
    _P.period,
    _P.amount,
    _P.status,
    _P.paid_on,
    _P.method,
    _P.note,
)


class ExportStore(_Store):
    async def beneficiaries(
        self, commune_code: str | None = None, *, batch: int = BATCH
    ) -> AsyncIterator[NewBeneficiary]:
        """Everyone on the list (of one commune, when given), in the order they were added."""
        last = 0
        while True:
            q = select(*_BENEFICIARY_COLUMNS).where(_B.id > last)
            if commune_code is not None:
                q = q.where(_B.commune_code == commune_code)
            rows = (await self.session.execute(q.order_by(_B.id).limit(batch))).all()
            for row in rows:
                yield self._beneficiary(row)
            if len(rows) < batch:
                return
            last = rows[-1].id

    async def payments(
        self, period: str, commune_code: str | None = None, *, batch: int = BATCH
    ) -> AsyncIterator[ExportedPayment]:
        """The payments of one month ("2026-11"), of one commune when given."""
        last = 0
        while True:
            q = (
                select(*_PAYMENT_COLUMNS)
                .join(_B, _B.id == _P.beneficiary_id)
                .where(_P.period == period, _P.id > last)
            )
            if commune_code is not None:
                q = q.where(_B.commune_code == commune_code)
            rows = (await self.session.execute(q.order_by(_P.id).limit(batch))).all()
            for row in rows:
                yield ExportedPayment(
                    national_id=self.vault.decrypt(row.national_id_enc),
                    full_name=row.full_name,
                    period=row.period,
                    amount=row.amount,
                    status=row.status,
                    paid_on=row.paid_on,
                    method=row.method,
                    note=row.note,
                )
            if len(rows) < batch:
                return
            last = rows[-1].id

    def _beneficiary(self, row: Any) -> NewBeneficiary:
        return self._people.stored(row)

    @cached_property
    def _people(self) -> BeneficiaryStore:
        return BeneficiaryStore(self.session, self.vault)
