"""Shared fixtures.

The suite runs on SQLite by default and on PostgreSQL when
``BOT_TEST_DATABASE_URL`` is set (e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from handlers.citizen import route
from handlers.core import Dispatcher
from handlers.i18n import Catalogs
from storage import Database, Vault
from storage.records import Commune, NewBeneficiary, Payment

TEST_SECRET = "test-secret-key-0123456789abcdef"
PG_URL = os.environ.get("BOT_TEST_DATABASE_URL")

COMMUNE = Commune(
    code="99001",
    name="Xã Hòa An",
    province_code="99",
    province_name="Tỉnh Thử",
    payment_day=10,
    officer_name="Trần Văn Bình",
    officer_phone="0912 345 678",
)

# Fictitious people with known facts, used across the tests.
PHAM = NewBeneficiary(  # female (4th digit 1), born 1940
    national_id="001140001234",
    full_name="Nguyễn Thị Phàm",
    date_of_birth=date(1940, 3, 15),
    commune_code="99001",
    village="Thôn Đông",
    category="elderly",
    monthly_amount=500_000,
    payment_method="bank",
    bank_name="Agribank",
    account_number="1234000056789",
    phone="+84912000111",
    relative_phone="+84987000222",
)
TU = NewBeneficiary(  # male (4th digit 0), born 1945, paid at the post office
    national_id="079045006789",
    full_name="Lê Văn Tư",
    date_of_birth=date(1945, 7, 2),
    commune_code="99001",
    village="Thôn Tây",
    category="disabled",
    monthly_amount=1_000_000,
    payment_method="post",
)
# 10:00 on 20 November 2026, Vietnam time.
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture
def database_url(tmp_path) -> str:
    return PG_URL or f"sqlite+aiosqlite:///{tmp_path}/test.db"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    if PG_URL:
        await _reset_postgres(PG_URL)
    database = Database(database_url, Vault(TEST_SECRET))
    await database.upgrade()
    yield database
    await database.dispose()


async def seed(db: Database) -> dict[str, int]:
    """The test commune, two beneficiaries and their payments."""
    ids: dict[str, int] = {}
    async with db.transaction() as tx:
        await tx.communes.upsert(COMMUNE)
        ids["pham"] = await tx.beneficiaries.add(PHAM)
        ids["tu"] = await tx.beneficiaries.add(TU)
        for period, status, paid_on, note in [
            ("2026-11", "paid", date(2026, 11, 10), None),
            ("2026-10", "paid", date(2026, 10, 9), None),
            ("2026-09", "failed", None, "tài khoản bị khóa"),
            ("2026-08", "paid", date(2026, 8, 8), None),
        ]:
            await tx.payments.upsert(
                Payment(
                    ids["pham"], period, 500_000, status, paid_on, "bank", "Agribank", "6789", note
                )
            )
        await tx.payments.upsert(
            Payment(ids["tu"], "2026-11", 1_000_000, "pending", None, "post", None, None, None)
        )
        await tx.payments.upsert(
            Payment(
                ids["tu"],
                "2026-10",
                1_000_000,
                "returned",
                None,
                "post",
                None,
                None,
                "người nhận vắng nhà",
            )
        )
    return ids


@pytest.fixture
async def seeded(db: Database) -> dict[str, int]:
    return await seed(db)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def catalogs() -> Catalogs:
    return Catalogs()


@pytest.fixture
def dispatcher(db: Database, catalogs: Catalogs, clock: Clock) -> Dispatcher:
    return Dispatcher(db, catalogs, route, clock=clock)


# ---------------------------------------------------------------- benchmarks
# Benchmarks report their figures through this fixture; they are printed at
# the end of every run (also without -s), so CI logs carry them.

_PERF_LINES = pytest.StashKey[list[str]]()


@pytest.fixture
def perf_report(request) -> Callable[[str], None]:
    lines = request.config.stash.setdefault(_PERF_LINES, [])

    def report(line: str) -> None:
        print(line)
        lines.append(line.strip())

    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    lines = config.stash.get(_PERF_LINES, [])
    if lines:
        terminalreporter.section("performance figures")
        for line in lines:
            terminalreporter.write_line(line)
