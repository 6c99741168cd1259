"""Bulk writes for officers' imports: beneficiaries and monthly payments.

Rows arrive in batches inside the caller's single transaction, so an import
is applied whole or not at all (a kill -9 halfway leaves the database as it
was). Batches look existing rows up with one query each.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    BeneficiaryRow,
    CommuneRow,
    ImportRow,
    LinkRow,
    PaymentEventRow,
    PaymentRow,
    UserRow,
)
from storage.records import (
    Beneficiary,
    Commune,
    ImportCounts,
    NewBeneficiary,
    Payment,
    PaymentImport,
    PaymentNews,
)
from storage.stores import BeneficiaryStore, _commune, _Store

_PAYMENTS = cast(Table, PaymentRow.__table__)
_EVENTS = cast(Table, PaymentEventRow.__table__)


def _one_of(column: Any, values: list[Any], sqlite: bool) -> ColumnElement[bool]:
    """``column IN (values)``. On SQLite the values go as one JSON parameter
    (``json_each``): a thousand bound parameters cost more to expand than the query."""
    if sqlite:
        each = func.json_each(json.dumps(values)).table_valued("value")
        return cast(ColumnElement[bool], column.in_(select(each.c.value)))
    return cast(ColumnElement[bool], column.in_(values))


_PAYMENT_COLUMNS = (
    "beneficiary_id",
    "period",
    "commune_code",
    "updated_at",
    "amount",
    "status",
    "paid_on",
    "method",
    "bank_name",
    "account_last4",
    "note",
)
_EVENT_COLUMNS = ("beneficiary_id", "period", "old_status", "new_status", "import_id", "at")


async def _insert_many(
    conn: AsyncConnection, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """A multi-row INSERT of tuples in ``columns``' order. On SQLite it goes
    straight to the driver's executemany, each column needing conversion
    (dates, times) converted once per distinct value: SQLAlchemy's per-row
    parameter handling costs more than the insert."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        await conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    by_column = list(zip(*rows, strict=True))
    for index, name in enumerate(columns):
        process = table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        if process is None:
            continue
        seen: dict[Any, Any] = {None: None}
        for value in set(by_column[index]):
            if value not in seen:
                seen[value] = process(value)
        by_column[index] = tuple(map(seen.__getitem__, by_column[index]))
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    await conn.exec_driver_sql(sql, list(zip(*by_column, strict=True)))


class ImportStore(_Store):
    async def communes(self) -> list[Commune]:
        rows = (await self.session.execute(select(CommuneRow))).scalars()
        return [_commune(r) for r in rows]

    async def upsert_beneficiaries(
        self, batch: list[NewBeneficiary], now: datetime, counts: ImportCounts
    ) -> None:
        people = BeneficiaryStore(self.session, self.vault)
        hashes = {self.vault.lookup_hash(b.national_id): b for b in batch}
        existing = {
            row.national_id_hash: row
            for row in (
                await self.session.execute(
                    select(BeneficiaryRow).where(BeneficiaryRow.national_id_hash.in_(hashes))
                )
            ).scalars()
        }
        for h, new in hashes.items():
            row = existing.get(h)
            if row is None:
                row = BeneficiaryRow(created_at=now)
                people.fill(row, _with_defaults(new), now)
                self.session.add(row)
                counts.created += 1
                continue
            if not _has_gaps(new) and row.import_digest == people.digest(_with_defaults(new)):
                counts.unchanged += 1  # the common case: nothing to decrypt
                continue
            # What the list does not say (a missing column, an empty cell) is
            # kept as stored, never wiped.
            merged = _merge(people.stored(row), new)
            if row.import_digest == people.digest(merged):
                counts.unchanged += 1
            else:
                people.fill(row, merged, now)
                counts.updated += 1
        await self.session.flush()

    async def upsert_payments(
        self,
        batch: list[tuple[int, PaymentImport]],
        now: datetime,
        import_id: int | None,
        counts: ImportCounts,
        *,
        allowed: set[str] | None = None,
    ) -> tuple[list[int], list[tuple[int, str]]]:
        """Apply a batch of (file row, payment). Returns the file rows whose
        citizen ID is not on the beneficiary list, and (file row, commune) of
        those whose person is outside the ``allowed`` communes (when given)."""
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        hashes = [self.vault.lookup_hash(p.national_id) for _row, p in batch]
        by_hash = dict.fromkeys(hashes)
        people = {
            r.national_id_hash: r
            for r in (
                await self.session.execute(
                    select(
                        BeneficiaryRow.id,
                        BeneficiaryRow.national_id_hash,
                        BeneficiaryRow.payment_method,
                        BeneficiaryRow.bank_name,
                        BeneficiaryRow.account_last4,
                        BeneficiaryRow.commune_code,
                    ).where(_one_of(BeneficiaryRow.national_id_hash, list(by_hash), sqlite))
                )
            ).all()
        }
        unknown: list[int] = []
        foreign: list[tuple[int, str]] = []
        wanted: list[tuple[int, Any, PaymentImport]] = []
        for (file_row, p), h in zip(batch, hashes, strict=True):
            person = people.get(h)
            if person is None:
                unknown.append(file_row)
            elif allowed is not None and person.commune_code not in allowed:
                foreign.append((file_row, person.commune_code))
            else:
                wanted.append((file_row, person, p))
        keys = [(person.id, p.period) for _r, person, p in wanted]
        current: dict[tuple[int, str], PaymentRow] = {}
        if keys and sqlite:
            wanted_keys = set(keys)
            current = {
                (row.beneficiary_id, row.period): row
                for row in (
                    await self.session.execute(
                        select(PaymentRow).where(
                            _one_of(PaymentRow.beneficiary_id, sorted({k[0] for k in keys}), True),
                            PaymentRow.period.in_({k[1] for k in keys}),
                        )
                    )
                ).scalars()
                if (row.beneficiary_id, row.period) in wanted_keys
            }
        elif keys:
            current = {
                (row.beneficiary_id, row.period): row
                for row in (
                    await self.session.execute(
                        select(PaymentRow).where(
                            tuple_(PaymentRow.beneficiary_id, PaymentRow.period).in_(keys)
                        )
                    )
                ).scalars()
            }
        new_rows: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        became = counts.became
        for _file_row, person, p in wanted:
            ben_id = person.id
            method = p.method or person.payment_method
            bank = p.bank_name or (person.bank_name if method == "bank" else None)
            last4 = (
                p.account_number[-4:]
                if p.account_number
                else (person.account_last4 if method == "bank" else None)
            )
            row = current.get((ben_id, p.period))
            if row is None:
                # New rows go in with one multi-row INSERT per batch (below):
                # building ORM objects for them costs more than the SQL.
                new_rows.append(
                    (
                        ben_id,
                        p.period,
                        person.commune_code,
                        now,
                        p.amount,
                        p.status,
                        p.paid_on,
                        method,
                        bank,
                        last4,
                        p.note,
                    )
                )
                counts.created += 1
                became[p.status] = became.get(p.status, 0) + 1
                events.append((ben_id, p.period, None, p.status, import_id, now))
                continue
            values = {
                "amount": p.amount,
                "status": p.status,
                "paid_on": p.paid_on,
                "method": method,
                "bank_name": bank,
                "account_last4": last4,
                "note": p.note,
            }
            if all(getattr(row, k) == v for k, v in values.items()):
                counts.unchanged += 1
                continue
            old_status = row.status
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = now
            counts.updated += 1
            if old_status != p.status:
                became[p.status] = became.get(p.status, 0) + 1
                events.append((ben_id, p.period, old_status, p.status, import_id, now))
        await self.session.flush()
        conn = await self.session.connection()
        await _insert_many(conn, _PAYMENTS, _PAYMENT_COLUMNS, new_rows)
        await _insert_many(conn, _EVENTS, _EVENT_COLUMNS, events)
        return unknown, foreign

    async def record(
        self,
        *,
        kind: str,
        filename: str,
        sha256: str,
        outcome: str,
        rows: int,
        invalid: int,
        counts: ImportCounts,
        at: datetime,
    ) -> int:
        row = ImportRow(
            kind=kind,
            filename=filename[:300],
            sha256=sha256,
            outcome=outcome,
            rows=rows,
            invalid=invalid,
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
            summary=json.dumps({"became": counts.became}),
            at=at,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def finish(
        self, import_id: int, *, rows: int, invalid: int, counts: ImportCounts
    ) -> None:
        row = await self.session.get(ImportRow, import_id)
        if row is not None:
            row.rows = rows
            row.invalid = invalid
            row.created = counts.created
            row.updated = counts.updated
            row.unchanged = counts.unchanged
            row.summary = json.dumps({"became": counts.became})
            await self.session.flush()

    async def events(self, import_id: int | None = None) -> list[tuple[int, str, str | None, str]]:
        """(beneficiary id, period, old status, new status), oldest first."""
        q = select(
            PaymentEventRow.beneficiary_id,
            PaymentEventRow.period,
            PaymentEventRow.old_status,
            PaymentEventRow.new_status,
        ).order_by(PaymentEventRow.id)
        if import_id is not None:
            q = q.where(PaymentEventRow.import_id == import_id)
        return [tuple(r) for r in (await self.session.execute(q)).all()]  # type: ignore[misc]

    async def payment_news(self, import_id: int, statuses: tuple[str, ...]) -> list[PaymentNews]:
        """For each status event of this import that became one of ``statuses``:
        every person linked to that beneficiary who wants payment news, with
        the payment as it now stands."""
        b, p, c, e, lk, u = (
            BeneficiaryRow, PaymentRow, CommuneRow, PaymentEventRow, LinkRow, UserRow,
        )  # fmt: skip
        q = (
            select(
                e.id.label("event_id"),
                lk.user_id,
                b.id.label("b_id"),
                b.full_name,
                b.commune_code,
                b.village,
                b.category,
                b.monthly_amount,
                b.payment_method,
                b.bank_name.label("b_bank_name"),
                b.account_last4.label("b_account_last4"),
                b.female,
                b.birth_year,
                p.period,
                p.amount,
                p.status,
                p.paid_on,
                p.method,
                p.bank_name,
                p.account_last4,
                p.note,
                c.code.label("c_code"),
                c.name.label("c_name"),
                c.province_code,
                c.province_name,
                c.payment_day,
                c.officer_name,
                c.officer_phone,
            )  # fmt: skip
            .select_from(e)
            .join(b, b.id == e.beneficiary_id)
            .join(p, (p.beneficiary_id == e.beneficiary_id) & (p.period == e.period))
            .join(lk, lk.beneficiary_id == e.beneficiary_id)
            .join(u, u.id == lk.user_id)
            .outerjoin(c, c.code == b.commune_code)
            .where(e.import_id == import_id, e.new_status.in_(statuses), u.notify_payments)
            .order_by(e.id, lk.user_id)
        )
        out = []
        for r in (await self.session.execute(q)).all():
            ben = Beneficiary(
                id=r.b_id, full_name=r.full_name, commune_code=r.commune_code,
                village=r.village, category=r.category, monthly_amount=r.monthly_amount,
                payment_method=r.payment_method, bank_name=r.b_bank_name,
                account_last4=r.b_account_last4, female=r.female, birth_year=r.birth_year,
            )  # fmt: skip
            pay = Payment(
                beneficiary_id=r.b_id, period=r.period, amount=r.amount, status=r.status,
                paid_on=r.paid_on, method=r.method, bank_name=r.bank_name,
                account_last4=r.account_last4, note=r.note,
            )  # fmt: skip
            commune = None
            if r.c_code is not None:
                commune = Commune(
                    code=r.c_code, name=r.c_name, province_code=r.province_code,
                    province_name=r.province_name, payment_day=r.payment_day,
                    officer_name=r.officer_name, officer_phone=r.officer_phone,
                )  # fmt: skip
            out.append(PaymentNews(r.event_id, r.user_id, ben, pay, commune))
        return out


_KEPT_WHEN_MISSING = (
    "date_of_birth", "village", "category", "monthly_amount", "payment_method", "bank_name",
    "account_number", "phone", "relative_phone", "account_name", "health_insurance_number",
    "health_insurance_expiry",
)  # fmt: skip


def _has_gaps(new: NewBeneficiary) -> bool:
    return any(getattr(new, f) is None for f in _KEPT_WHEN_MISSING)


def _merge(old: NewBeneficiary, new: NewBeneficiary) -> NewBeneficiary:
    given = {f: getattr(new, f) for f in _KEPT_WHEN_MISSING if getattr(new, f) is not None}
    return replace(old, **given, national_id=new.national_id, full_name=new.full_name,
                   commune_code=new.commune_code)  # fmt: skip


def _with_defaults(new: NewBeneficiary) -> NewBeneficiary:
    return replace(
        new,
        category=new.category or "other",
        monthly_amount=new.monthly_amount if new.monthly_amount is not None else 0,
        payment_method=new.payment_method or "cash",
    )
