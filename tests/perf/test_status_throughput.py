"""Benchmark: status taps per second from already-linked Telegram users,
through the real Application and the fake Bot API, against a bare
python-telegram-bot echo bot (default settings) on the same fake server,
measured in the same run.

The fake Bot API runs in its own process so that its work is not counted
against either bot. Rounds alternate echo and bot and the median ratio is
reported. Run ``pytest tests/perf -s`` to see the figures.

TARGET is the goal (0.7 of the echo bot's rate). FLOOR guards against
regressions below what the bot achieves today; see the README's
"Performance" section for the figures and what limits them.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date

import aiohttp
import pytest
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.app import build_app
from bot.config import Settings
from storage import Database
from storage.records import NewBeneficiary, Payment
from tests.conftest import COMMUNE, TEST_SECRET

pytestmark = pytest.mark.perf

USERS = int(os.environ.get("PERF_USERS", "50"))
TAPS_PER_USER = int(os.environ.get("PERF_TAPS", "20"))
ROUNDS = int(os.environ.get("PERF_ROUNDS", "3"))
TOKEN = "123456:TEST-TOKEN"
STATUS_BUTTON = "💰 Kiểm tra tiền trợ cấp"
TARGET = 0.7
FLOOR = 0.4


class FakeProcess:
    def __init__(self, url: str, proc: subprocess.Popen) -> None:
        self.url = url
        self.proc = proc

    async def push(self, http: aiohttp.ClientSession, text: str, total: int) -> None:
        messages = [[10_000 + (n % USERS), text] for n in range(total)]
        async with http.post(f"{self.url}/_test/push", json={"messages": messages}) as resp:
            assert resp.status == 200

    async def stats(self, http: aiohttp.ClientSession, last: int = 0) -> dict:
        async with http.get(f"{self.url}/_test/stats", params={"last": str(last)}) as resp:
            return await resp.json()


@pytest.fixture
def fake_process() -> Iterator[FakeProcess]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_telegram"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield FakeProcess(f"http://127.0.0.1:{port}", proc)
    finally:
        proc.kill()
        proc.wait()


async def _seed_linked_users(db: Database, users: int) -> None:
    async with db.transaction() as tx:
        await tx.communes.upsert(COMMUNE)
        for i in range(users):
            ben_id = await tx.beneficiaries.add(
                NewBeneficiary(
                    national_id=f"0011400{i:05d}",
                    full_name=f"Người Thử {i}",
                    date_of_birth=date(1940, 1, 1),
                    commune_code=COMMUNE.code,
                    monthly_amount=500_000,
                    payment_method="bank",
                    bank_name="Agribank",
                    account_number=f"9999{i:08d}",
                )
            )
            await tx.payments.upsert(
                Payment(
                    ben_id,
                    "2026-11",
                    500_000,
                    "paid",
                    date(2026, 11, 10),
                    "bank",
                    "Agribank",
                    "1234",
                    None,
                )
            )
            user, _ = await tx.users.get_or_create("telegram", str(10_000 + i), "vi")
            await tx.links.add(user.id, ben_id, "self", "id_dob")


async def _rate(fake: FakeProcess, text: str, total: int) -> float:
    """Push ``total`` messages at once; messages answered per second."""
    async with aiohttp.ClientSession() as http:
        start = (await fake.stats(http))["sent"]
        t0 = time.perf_counter()
        await fake.push(http, text, total)
        while (await fake.stats(http))["sent"] - start < total:
            await asyncio.sleep(0.005)
        return total / (time.perf_counter() - t0)


async def _echo_round(fake: FakeProcess, total: int) -> float:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    app = ApplicationBuilder().token(TOKEN).base_url(f"{fake.url}/bot").build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling()
    try:
        await _rate(fake, "warm up", USERS)
        return await _rate(fake, "xin chào", total)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def _bot_round(fake: FakeProcess, database_url: str, total: int, clock) -> float:
    settings = Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        web_enabled=False,
        telegram_token=TOKEN,
        telegram_api_base_url=f"{fake.url}/bot",
        telegram_rate_limit=0,  # the limiter would cap both at 30/s
    )
    app = build_app(settings, clock=clock)
    await app.start()
    try:
        await _rate(fake, STATUS_BUTTON, USERS)
        rate = await _rate(fake, STATUS_BUTTON, total)
        async with aiohttp.ClientSession() as http:
            last = (await fake.stats(http, last=total))["last"]
        # Every tap got the real answer, not an error message.
        assert all("500.000" in text and "đã chuyển" in text for text in last), last[:3]
        return rate
    finally:
        await app.stop()


async def test_status_taps_per_second_against_echo_bot(
    db, database_url, clock, fake_process, perf_report
):
    await _seed_linked_users(db, USERS)
    total = USERS * TAPS_PER_USER
    echoes, bots = [], []
    for _ in range(ROUNDS):
        echoes.append(await _echo_round(fake_process, total))
        bots.append(await _bot_round(fake_process, database_url, total, clock))
    ratio = statistics.median(b / e for b, e in zip(bots, echoes, strict=True))
    engine = "SQLite" if db.is_sqlite else "PostgreSQL"
    perf_report(
        f"[perf] status taps on {engine}, {total} taps from {USERS} users, {ROUNDS} rounds: "
        f"bot {statistics.median(bots):.0f}/s, bare echo bot {statistics.median(echoes):.0f}/s, "
        f"median ratio {ratio:.2f} (target {TARGET}, regression floor {FLOOR})"
    )
    assert ratio >= FLOOR
