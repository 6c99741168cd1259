"""Stores on SQLite and PostgreSQL, and what a copy of the database reveals."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from storage import Database, Vault
from storage.records import Payment
from tests.chat import Chat
from tests.conftest import PHAM, TEST_SECRET, TU


async def test_migrations_create_every_table_and_are_idempotent(db: Database):
    await db.upgrade()  # second time: nothing to do
    async with db.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert {
        "communes",
        "beneficiaries",
        "payments",
        "users",
        "links",
        "conversations",
        "auth_attempts",
        "audit_log",
        "alembic_version",
    } <= tables


async def test_sqlite_runs_in_wal_mode(db: Database):
    if not db.is_sqlite:
        pytest.skip("WAL is a SQLite setting; this run is on PostgreSQL")
    async with db.engine.connect() as conn:
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
    assert mode == "wal"


async def test_verify_needs_both_id_and_birth_date(db: Database, seeded):
    async with db.transaction() as tx:
        ok = await tx.beneficiaries.verify(PHAM.national_id, PHAM.date_of_birth)
        assert ok is not None and ok.full_name == "Nguyễn Thị Phàm" and ok.female
        assert await tx.beneficiaries.verify(PHAM.national_id, date(1940, 3, 16)) is None
        assert await tx.beneficiaries.verify("001140009999", PHAM.date_of_birth) is None
        tu = await tx.beneficiaries.verify(TU.national_id, TU.date_of_birth)
        assert tu is not None and not tu.female


async def test_payment_upsert_is_idempotent(db: Database, seeded):
    p = Payment(
        seeded["tu"], "2026-11", 1_000_000, "paid", date(2026, 11, 12), "post", None, None, None
    )
    for _ in range(2):
        async with db.transaction() as tx:
            await tx.payments.upsert(p)
    async with db.transaction() as tx:
        recent = await tx.payments.recent(seeded["tu"], "2026-11", limit=6)
    assert [(r.period, r.status) for r in recent] == [("2026-11", "paid"), ("2026-10", "returned")]


async def test_a_failed_transaction_leaves_nothing_behind(db: Database, seeded):
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            user, _ = await tx.users.get_or_create("web", "half", "vi")
            await tx.links.add(user.id, seeded["pham"], "self", "id_dob")
            raise RuntimeError("crash in the middle")
    async with db.transaction() as tx:
        user, created = await tx.users.get_or_create("web", "half", "vi")
        assert created
        assert await tx.links.for_user(user.id) == []


async def test_a_copy_of_the_database_does_not_expose_personal_numbers(
    db: Database, seeded, dispatcher
):
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "15/03/1940")
    secrets_ = [
        PHAM.national_id,
        TU.national_id,
        "1234000056789",
        "912000111",
        "987000222",
        "1940-03-15",
    ]
    dumped = []
    async with db.engine.connect() as conn:
        for table in (
            "beneficiaries",
            "payments",
            "users",
            "links",
            "conversations",
            "auth_attempts",
            "audit_log",
        ):
            rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()
            dumped.append(repr(rows))
    blob = "\n".join(dumped)
    for s in secrets_:
        assert s not in blob, s
    if db.is_sqlite:
        path = db.engine.url.database
        raw = b"".join(Path(p).read_bytes() for p in (path, path + "-wal") if Path(p).exists())
        for s in secrets_:
            assert s.encode() not in raw, s


async def test_another_key_cannot_read_or_find_anyone(database_url, seeded, db):
    other = Database(database_url, Vault("a-completely-different-secret-key"))
    try:
        async with other.transaction() as tx:
            assert await tx.beneficiaries.verify(PHAM.national_id, PHAM.date_of_birth) is None
    finally:
        await other.dispose()
    assert Vault(TEST_SECRET).lookup_hash("x") != Vault(
        "a-completely-different-secret-key"
    ).lookup_hash("x")


async def test_logs_never_contain_the_citizen_id(dispatcher, seeded, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "16/03/1940")

    # An unexpected error mid-flow: logged with its traceback, the user gets a polite answer.
    monkeypatch.setattr(type(dispatcher.db), "transaction", lambda self: _Broken())
    await chat.say(PHAM.national_id)
    assert "thử lại" in chat.text
    assert any(r.levelno >= logging.ERROR for r in caplog.records)
    assert PHAM.national_id not in caplog.text
    assert "16/03/1940" not in caplog.text


class _Broken:
    async def __aenter__(self):
        raise RuntimeError("database went away")

    async def __aexit__(self, *exc):
        return False


async def test_an_import_stores_new_and_changed_payments_alike(db: Database, seeded, tmp_path):
    """New rows of an import go in by a faster path than changed ones; both must
    store the same values the same way (SQLite keeps times as text, so a different
    format would make equal times unequal)."""
    from handlers.i18n import Catalogs
    from handlers.importing.service import run_import

    path = tmp_path / "chi.csv"
    path.write_text(
        "Số CCCD,Kỳ,Số tiền,Trạng thái,Ngày chi\n"
        f"{PHAM.national_id},2026-10,500000,hoàn trả,\n"  # changes a stored row
        f"{TU.national_id},2026-12,1000000,đã chi,10/12/2026\n",  # a new row
        encoding="utf-8",
    )
    result = await run_import(db, path, "payments", translator=Catalogs().get("en"))
    assert result.outcome == "applied"
    assert (result.counts.created, result.counts.updated) == (1, 1)
    async with db.transaction() as tx:
        times = (
            await tx.session.execute(
                text(
                    "SELECT DISTINCT updated_at FROM payments WHERE"
                    " (beneficiary_id = :a AND period = '2026-10')"
                    " OR (beneficiary_id = :b AND period = '2026-12')"
                ),
                {"a": seeded["pham"], "b": seeded["tu"]},
            )
        ).all()
        events = (
            await tx.session.execute(
                text(
                    "SELECT count(*) FROM payment_events e JOIN payments p"
                    " ON p.beneficiary_id = e.beneficiary_id AND p.period = e.period"
                    " WHERE e.at = p.updated_at"
                )
            )
        ).scalar_one()
        recent = await tx.payments.recent(seeded["tu"], "2026-12", limit=1)
    assert len(times) == 1  # one import, one time, one format
    assert events == 2
    assert (recent[0].period, recent[0].paid_on, recent[0].amount) == (
        "2026-12",
        date(2026, 12, 10),
        1_000_000,
    )
