"""ExportStore: the lists read back in id-ranged batches, personal numbers decrypted."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from storage import Database
from storage.records import ExportedPayment
from tests.conftest import PHAM, TU
from tests.handlers.export_lists import HAI_VAN


async def _people(db: Database, commune: str | None = None, batch: int = 1000) -> list:
    async with db.transaction() as tx:
        return [b async for b in tx.exports.beneficiaries(commune, batch=batch)]


async def test_beneficiaries_come_back_as_they_were_written(db: Database, seeded):
    assert await _people(db) == [PHAM, TU]


async def test_batches_and_the_commune_filter(db: Database, seeded):
    year_only = replace(TU, national_id="079045001111", full_name="Năm Sinh", date_of_birth=1945)
    unknown = replace(
        PHAM,
        national_id="048150002222",
        full_name="Không Rõ Ngày Sinh",
        date_of_birth=None,
        commune_code=HAI_VAN.code,
        health_insurance_number="048150002222",
        health_insurance_expiry=date(2027, 6, 30),
    )
    async with db.transaction() as tx:
        await tx.communes.upsert(HAI_VAN)
        await tx.beneficiaries.add(year_only)
        await tx.beneficiaries.add(unknown)
    everyone = [PHAM, TU, year_only, unknown]
    for batch in (1, 2, 3, 4, 1000):  # batch edges: one, a divisor, neither, exact, one batch
        assert await _people(db, batch=batch) == everyone
    assert await _people(db, "99001", batch=1) == [PHAM, TU, year_only]
    assert await _people(db, HAI_VAN.code, batch=1) == [unknown]
    assert await _people(db, "12345") == []


async def test_payments_of_one_period(db: Database, seeded):
    async with db.transaction() as tx:
        november = [p async for p in tx.exports.payments("2026-11", batch=1)]
        october = [p async for p in tx.exports.payments("2026-10", "99001")]
        none = [p async for p in tx.exports.payments("2026-12")]
        elsewhere = [p async for p in tx.exports.payments("2026-11", HAI_VAN.code)]
    assert november == [
        ExportedPayment(
            "001140001234",
            "Nguyễn Thị Phàm",
            "2026-11",
            500_000,
            "paid",
            date(2026, 11, 10),
            "bank",
            None,
        ),
        ExportedPayment(
            "079045006789", "Lê Văn Tư", "2026-11", 1_000_000, "pending", None, "post", None
        ),
    ]
    assert [(p.national_id, p.status, p.note) for p in october] == [
        ("001140001234", "paid", None),
        ("079045006789", "returned", "người nhận vắng nhà"),
    ]
    assert none == [] and elsewhere == []
