"""Synthetic communes for report tests and benchmarks, loaded in bulk.

The personal numbers are encrypted once and the same ciphertext reused: the
reports never decrypt them (phones excepted, which are real per person here
only when asked for)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, insert, text

from storage import Database
from storage.models import BeneficiaryRow, CommuneRow, PaymentRow

_BENS = cast(Table, BeneficiaryRow.__table__)
_PAYS = cast(Table, PaymentRow.__table__)
_COMMUNES = cast(Table, CommuneRow.__table__)
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Group:
    """``count`` people of ``category`` in ``commune``/``village``, of whom
    ``bank`` are paid through an account, the rest by ``other`` (cash/post)."""

    commune: str
    village: str | None
    category: str
    count: int
    bank: int
    other: str = "cash"


async def add_communes(db: Database, communes: list[tuple[str, str, str, str]]) -> None:
    """(code, name, province code, province name) each."""
    async with db.transaction() as tx:
        conn = await tx.session.connection()
        await conn.execute(
            insert(_COMMUNES),
            [
                {"code": c, "name": n, "province_code": p, "province_name": pn}
                for c, n, p, pn in communes
            ],
        )


async def load_groups(
    db: Database, groups: list[Group], periods: list[str], *, start_id: int = 1, batch: int = 20_000
) -> int:
    """Insert the people of ``groups`` and one payment per person and period
    (paid, by the group's method). Returns the next free id."""
    vault = db.vault
    enc_id = vault.encrypt("001140000000")
    enc_dob = vault.encrypt("1940-01-01")
    people: list[dict] = []
    pays: list[dict] = []
    next_id = start_id
    for g in groups:
        for i in range(g.count):
            bid = next_id
            next_id += 1
            method = "bank" if i < g.bank else g.other
            people.append(
                {
                    "id": bid,
                    "national_id_hash": f"h{bid:063d}",
                    "national_id_enc": enc_id,
                    "full_name": f"Người {bid}",
                    "female": bool(bid % 2),
                    "birth_year": 1940,
                    "name_key": f"nguoi {bid}",
                    "date_of_birth_enc": enc_dob,
                    "commune_code": g.commune,
                    "village": g.village,
                    "category": g.category,
                    "monthly_amount": 500_000,
                    "payment_method": method,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            for period in periods:
                pays.append(
                    {
                        "beneficiary_id": bid,
                        "period": period,
                        "commune_code": g.commune,
                        "amount": 500_000,
                        "status": "paid",
                        "method": method,
                        "updated_at": NOW,
                    }
                )
    for rows, table in ((people, _BENS), (pays, _PAYS)):
        for i in range(0, len(rows), batch):
            async with db.transaction() as tx:
                conn = await tx.session.connection()
                await conn.execute(insert(table), rows[i : i + batch])
    if not db.is_sqlite:
        async with db.transaction() as tx:
            conn = await tx.session.connection()
            await conn.execute(
                text("SELECT setval('beneficiaries_id_seq', (SELECT max(id) FROM beneficiaries))")
            )
        # What autovacuum does on a live server after a large import: fresh
        # statistics and a visibility map, so plans and index-only scans are real.
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE payments"))
            await conn.execute(text("VACUUM ANALYZE beneficiaries"))
    return next_id
