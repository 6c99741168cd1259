"""Benchmark: status answers at national scale.

Generates beneficiaries in bulk (SQL on the database itself: a recursive CTE
on SQLite, ``generate_series`` on PostgreSQL) with 12 monthly payments each,
one commune per 350 people, and every second person linked to a Telegram user
(user, link and conversation rows). Then, first on a small data set and then
after growing it to the full size, in the same run and on the same database:

- the status lookup itself: the storage calls the status answer makes (the
  user with their conversation, then their links with the person, commune and
  this month's payment) in one transaction, for random linked users spread
  over the whole range (last seen a moment ago, so nothing is written);
- the whole status tap through the Dispatcher (person's lock, user, lookup,
  audit row, conversation, commit), each by a different user tapping for the
  first time in a while (so their "last seen" is written, as in real use);
- the peak memory (``VmHWM``) of a real ``python -m bot run`` process in
  webhook mode answering status taps posted to its webhook (replies go to
  the fake Bot API).

PERF_NATIONAL_PEOPLE sets the size (default 750,000 -> 9,000,000 payment
rows; the full national run is 3,500,000 -> 42,000,000). Targets: lookup p99
at most 5 ms, a bot process under 200 MB; asserted are regression floors with
room for a busy 2-core machine, and the printed lines say whether the targets
were met. Run ``pytest -s tests/perf/test_national_scale.py`` (with
BOT_TEST_DATABASE_URL for PostgreSQL).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from handlers.citizen import route
from handlers.core import Dispatcher
from handlers.i18n import Catalogs
from handlers.types import Incoming
from storage import Database
from tests.conftest import NOW, Clock
from tests.perf.test_status_throughput import (
    STATUS_BUTTON,
    FakeProcess,
    fake_process,  # noqa: F401  (a fixture)
)
from tests.perf.test_two_processes import SECRET, BotProcess, _update

pytestmark = pytest.mark.perf

PEOPLE = int(os.environ.get("PERF_NATIONAL_PEOPLE", "750000"))
SMALL = 4_000
PER_COMMUNE = 350
LOOKUPS = 3_000  # drawn from LOOKUP_USERS distinct users
LOOKUP_USERS = 2_000
TAPS = 1_000  # each by a different user
PROCESS_TAPS = 1_000
TARGET_P99_MS = 5.0
TARGET_MB = 200
# Asserted: regression floors that hold on a busy 2-core machine.
FLOOR_LOOKUP_P99_MS = 50.0
FLOOR_TAP_P99_MS = 150.0
FLOOR_RATIO = 4.0  # big/small lookup p50
FLOOR_MB = 300
# The clock's month (NOW is 20 November 2026) and the eleven before it.
PERIODS = [(2025, 12)] + [(2026, m) for m in range(1, 12)]
PERIOD = "2026-11"
USER_BASE = 10_000_000  # Telegram id of user n: USER_BASE + n (person 2n)
STAMP = "2026-11-01 00:00:00"


def _pad(db: Database, expr: str, width: int) -> str:
    if db.is_sqlite:
        return f"printf('%0{width}d', {expr})"
    return f"lpad(({expr})::text, {width}, '0')"


def _series(db: Database) -> tuple[str, str]:
    """(WITH clause, FROM item) giving ``i`` from :start to :end."""
    if db.is_sqlite:
        return (
            "WITH RECURSIVE n(i) AS (SELECT :start UNION ALL SELECT i + 1 FROM n WHERE i < :end)",
            "n",
        )
    return "", "generate_series(CAST(:start AS integer), CAST(:end AS integer)) AS n(i)"


def _statements(db: Database) -> list[tuple[str, str]]:
    """(table, INSERT ... SELECT) for people :start..:end."""
    with_, series = _series(db)
    sqlite = db.is_sqlite
    yes, no = ("1", "0") if sqlite else ("TRUE", "FALSE")
    stamp = f"'{STAMP}'" if sqlite else f"TIMESTAMPTZ '{STAMP}+00'"
    commune = _pad(db, f"(i - 1) / {PER_COMMUNE}", 5)
    method = "CASE i % 3 WHEN 0 THEN 'cash' WHEN 1 THEN 'bank' ELSE 'post' END"
    periods = ", ".join(
        f"({k}, '{y}-{m:02d}', " + (f"'{y}-{m:02d}-10')" if sqlite else f"DATE '{y}-{m:02d}-10')")
        for k, (y, m) in enumerate(PERIODS, 1)
    )
    current = len(PERIODS)
    pending = f"p.k = {current} AND i % 10 = 0"
    failed = f"p.k = {current} AND i % 50 = 1"
    if sqlite:
        pay_from = f"{with_}, p(k, period, paid_on) AS (VALUES {periods}) "
        pay_source = "n CROSS JOIN p"
    else:
        pay_from = ""
        pay_source = f"{series} CROSS JOIN (VALUES {periods}) AS p(k, period, paid_on)"
    users_where = "WHERE i % 2 = 0"
    return [
        (
            "beneficiaries",
            "INSERT INTO beneficiaries (id, national_id_hash, national_id_enc, full_name, female, "
            "birth_year, name_key, date_of_birth_enc, commune_code, village, category, "
            "monthly_amount, payment_method, bank_name, account_enc, account_last4, created_at, "
            f"updated_at) {with_} SELECT i, 'h' || {_pad(db, 'i', 63)}, :enc_id, "
            f"'Người ' || i, CASE WHEN i % 2 = 1 THEN {yes} ELSE {no} END, 1930 + i % 30, "
            f"'nguoi ' || {_pad(db, 'i', 8)}, :enc_dob, {commune}, 'Thôn 1', 'elderly', 500000, "
            f"{method}, CASE WHEN i % 3 = 1 THEN 'Agribank' END, "
            f"CASE WHEN i % 3 = 1 THEN :enc_account END, "
            f"CASE WHEN i % 3 = 1 THEN {_pad(db, 'i % 10000', 4)} END, {stamp}, {stamp} "
            f"FROM {series}",
        ),
        (
            "payments",
            "INSERT INTO payments (beneficiary_id, period, commune_code, amount, status, paid_on, "
            f"method, bank_name, account_last4, note, updated_at) {pay_from}"
            f"SELECT i, p.period, {commune}, 500000, CASE WHEN {pending} THEN 'pending' "
            f"WHEN {failed} THEN 'failed' ELSE 'paid' END, "
            f"CASE WHEN {pending} OR {failed} THEN NULL ELSE p.paid_on END, {method}, "
            "CASE WHEN i % 3 = 1 THEN 'Agribank' END, "
            f"CASE WHEN i % 3 = 1 THEN {_pad(db, 'i % 10000', 4)} END, "
            f"CASE WHEN {failed} THEN 'tài khoản bị khóa' END, {stamp} FROM {pay_source}",
        ),
        (
            "users",
            "INSERT INTO users (id, channel, external_id, locale, role, created_at, last_seen_at, "
            f"notify_payments) {with_} SELECT i / 2, 'telegram', "
            f"CAST({USER_BASE} + i / 2 AS TEXT), 'vi', 'citizen', {stamp}, {stamp}, {yes} "
            f"FROM {series} {users_where}",
        ),
        (
            "links",
            "INSERT INTO links (id, user_id, beneficiary_id, relation, via, created_at) "
            f"{with_} SELECT i / 2, i / 2, i, 'self', 'id_dob', {stamp} FROM {series} "
            f"{users_where}",
        ),
        (
            "conversations",
            "INSERT INTO conversations (user_id, state, data, options, updated_at) "
            f"{with_} SELECT i / 2, 'menu', '{{}}', '[]', {stamp} FROM {series} {users_where}",
        ),
    ]


async def _grow(db: Database, start: int, end: int, chunk: int = 100_000) -> float:
    """Add people ``start``..``end`` with everything above; seconds taken."""
    t0 = time.perf_counter()
    params = {
        "enc_id": db.vault.encrypt("001140000000"),
        "enc_dob": db.vault.encrypt("1940-01-01"),
        "enc_account": db.vault.encrypt("1234000056789"),
    }
    async with db.engine.begin() as conn:
        if start == 1:
            await conn.execute(
                text(
                    "INSERT INTO communes (code, name, province_code, province_name, payment_day, "
                    "officer_name, officer_phone, sms_enabled) "
                    f"{_series(db)[0]} SELECT {_pad(db, 'i', 5)}, 'Xã ' || i, '99', 'Tỉnh Thử', "
                    f"10, 'Cán bộ ' || i, '0912 345 678', {'0' if db.is_sqlite else 'FALSE'} "
                    f"FROM {_series(db)[1]}"
                ),
                {"start": 0, "end": (PEOPLE - 1) // PER_COMMUNE},
            )
    statements = _statements(db)
    for lo in range(start, end + 1, chunk):
        hi = min(end, lo + chunk - 1)
        async with db.engine.begin() as conn:
            if db.is_sqlite:
                # Loading only: a bigger page cache for this connection, put
                # back before anything is measured.
                await conn.execute(text("PRAGMA cache_size=-262144"))
            for _table, sql in statements:
                await conn.execute(text(sql), {"start": lo, "end": hi, **params})
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            await conn.execute(text("PRAGMA cache_size=-2000"))  # SQLite's default
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        else:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for seq, table in [
                ("beneficiaries_id_seq", "beneficiaries"),
                ("users_id_seq", "users"),
                ("links_id_seq", "links"),
            ]:
                await conn.execute(text(f"SELECT setval('{seq}', (SELECT max(id) FROM {table}))"))
            # What autovacuum does on a live server after a large import.
            for table in ("beneficiaries", "payments", "users", "links", "conversations"):
                await conn.execute(text(f"VACUUM ANALYZE {table}"))
    return time.perf_counter() - t0


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _lookups(
    db: Database, users: list[int], rng: random.Random
) -> tuple[list[float], list[float]]:
    """Seconds per status lookup, for LOOKUPS users drawn from ``users``:
    wall-clock and this thread's CPU time (on SQLite the statements run on this
    thread, so a wall-clock tail with no CPU tail is time spent waiting: for a
    core on a busy machine, or for the disk)."""
    async with db.engine.begin() as conn:
        # Seen a moment ago: the lookup writes nothing.
        for i in range(0, len(users), 500):
            ids = ",".join(str(u) for u in users[i : i + 500])
            await conn.execute(
                text(f"UPDATE users SET last_seen_at = :now WHERE id IN ({ids})"),
                {"now": datetime.now(UTC)},
            )
    times, cpu = [], []
    for _ in range(LOOKUPS):
        uid = rng.choice(users)
        c0 = time.thread_time()
        t0 = time.perf_counter()
        async with db.transaction() as tx:
            user, _state, _created = await tx.users.open(
                "telegram", str(USER_BASE + uid), "vi", wrote=False
            )
            links = await tx.links.for_user(user.id, period=PERIOD)
        times.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
        assert links[0].beneficiary.id == 2 * uid and links[0].payment is not None
    return times, cpu


async def _taps(db: Database, users: list[int]) -> list[float]:
    """Seconds per status tap through the Dispatcher, one per user."""
    dispatcher = Dispatcher(db, Catalogs(), route, clock=Clock(NOW))
    times = []
    for uid in users:
        incoming = Incoming(channel="telegram", user_id=str(USER_BASE + uid), text=STATUS_BUTTON)
        t0 = time.perf_counter()
        replies = await dispatcher.handle(incoming)
        times.append(time.perf_counter() - t0)
        assert "500.000" in replies[0].text, replies[0].text
    return times


def _read_bytes() -> int:
    """Bytes this process has read from storage (not from the page cache)."""
    with Path("/proc/self/io").open() as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("read_bytes:"))


def _vm(pid: int) -> dict[str, int]:
    with Path(f"/proc/{pid}/status").open() as fh:
        return {
            k: int(v.split()[0])
            for k, v in (line.split(":", 1) for line in fh)
            if k in ("VmHWM", "VmRSS")
        }


async def _process_memory(
    fake: FakeProcess, database_url: str, users: int, rng: random.Random
) -> tuple[float, float]:
    """(MB after start, peak MB) of a bot process answering PROCESS_TAPS
    status taps from random users of the first ``users``."""
    bot = BotProcess(fake, database_url)
    try:
        async with aiohttp.ClientSession() as http:
            await bot.ready(http)
            idle = _vm(bot.proc.pid)["VmHWM"] / 1024
            start = (await fake.stats(http))["sent"]
            sem = asyncio.Semaphore(16)

            async def post(uid: int) -> None:
                async with (
                    sem,
                    http.post(
                        f"{bot.url}{WEBHOOK_PATH}",
                        json=_update(USER_BASE + uid, STATUS_BUTTON),
                        headers={SECRET_HEADER: SECRET},
                    ) as resp,
                ):
                    assert resp.status == 200

            picks = [rng.randint(1, users) for _ in range(PROCESS_TAPS)]
            await asyncio.gather(*(post(u) for u in picks))
            while (await fake.stats(http))["sent"] - start < PROCESS_TAPS:
                await asyncio.sleep(0.01)
            last = (await fake.stats(http, last=PROCESS_TAPS))["last"]
            assert all("500.000" in t for t in last), last[:3]
            peak = _vm(bot.proc.pid)["VmHWM"] / 1024
    finally:
        bot.stop()
    return idle, peak


async def _measure(
    db: Database, database_url: str, fake: FakeProcess, people: int, rng: random.Random
) -> dict[str, float]:
    users = people // 2
    tap_users = rng.sample(range(1, users + 1), min(TAPS, users))
    taps = await _taps(db, tap_users)
    lookup_users = rng.sample(range(1, users + 1), min(LOOKUP_USERS, users))
    read0 = _read_bytes()
    lookups, cpu = await _lookups(db, lookup_users, rng)
    read = _read_bytes() - read0
    load = os.getloadavg()[0]
    idle, peak = await _process_memory(fake, database_url, users, rng)
    return {
        "lookup_p50": _ms(lookups, 0.5),
        "lookup_p99": _ms(lookups, 0.99),
        "lookup_cpu_p99": _ms(cpu, 0.99),
        "lookup_read_mb": read / 1024 / 1024,
        "load": load,
        "tap_p50": _ms(taps, 0.5),
        "tap_p99": _ms(taps, 0.99),
        "idle_mb": idle,
        "peak_mb": peak,
    }


async def test_status_lookup_and_bot_memory_at_national_scale(
    db,
    database_url,
    fake_process,  # noqa: F811
    perf_report,
):
    rng = random.Random(20261120)
    engine = "SQLite" if db.is_sqlite else "PostgreSQL"
    small_load = await _grow(db, 1, SMALL)
    small = await _measure(db, database_url, fake_process, SMALL, rng)
    big_load = await _grow(db, SMALL + 1, PEOPLE)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT count(*) FROM payments"))).scalar_one()
    assert rows == PEOPLE * len(PERIODS)
    big = await _measure(db, database_url, fake_process, PEOPLE, rng)

    def line(name: str, people: int, load: float, m: dict[str, float]) -> str:
        return (
            f"{name} ({people:,} people, {people * len(PERIODS):,} payments, loaded in "
            f"{load:.0f} s): lookup p50 {m['lookup_p50']:.2f} ms p99 {m['lookup_p99']:.2f} ms "
            f"(CPU p99 {m['lookup_cpu_p99']:.2f} ms, {m['lookup_read_mb']:.0f} MB read from disk, "
            f"load average {m['load']:.1f}); "
            f"tap p50 {m['tap_p50']:.2f} ms p99 {m['tap_p99']:.2f} ms; bot process "
            f"{m['idle_mb']:.0f} MB started, peak {m['peak_mb']:.0f} MB"
        )

    ratio = big["lookup_p50"] / small["lookup_p50"]
    perf_report(f"[perf] national scale on {engine}: {line('small', SMALL, small_load, small)}")
    perf_report(f"[perf] national scale on {engine}: {line('big', PEOPLE, big_load, big)}")
    perf_report(
        f"[perf] national scale on {engine}: big/small lookup p50 {ratio:.2f}, p99 "
        f"{big['lookup_p99'] / small['lookup_p99']:.2f}, tap p99 "
        f"{big['tap_p99'] / small['tap_p99']:.2f}; lookup p99 target {TARGET_P99_MS:.0f} ms: "
        f"{'met' if big['lookup_p99'] <= TARGET_P99_MS else 'NOT met'}; memory target under "
        f"{TARGET_MB} MB: {'met' if big['peak_mb'] < TARGET_MB else 'NOT met'} (regression "
        f"floors: lookup p99 {FLOOR_LOOKUP_P99_MS:.0f} ms, tap p99 {FLOOR_TAP_P99_MS:.0f} ms, "
        f"ratio {FLOOR_RATIO:.0f}, memory {FLOOR_MB} MB)"
    )
    assert big["lookup_p99"] <= FLOOR_LOOKUP_P99_MS
    assert big["tap_p99"] <= FLOOR_TAP_P99_MS
    assert ratio <= FLOOR_RATIO
    assert max(small["peak_mb"], big["peak_mb"]) < FLOOR_MB
