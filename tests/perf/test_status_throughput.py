"""Benchmark: status taps per second from already-linked Telegram users,
through the real Application and the fake Bot API, against a bare
python-telegram-bot echo bot on the same fake server, in the same run.

Target: at least 0.7 times the echo bot's rate. Run with
``pytest tests/perf -s`` to see the figures.
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.app import build_app
from bot.config import Settings
from storage import Database
from storage.records import NewBeneficiary, Payment
from tests.conftest import COMMUNE, TEST_SECRET
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.perf

USERS = int(os.environ.get("PERF_USERS", "50"))
TAPS_PER_USER = int(os.environ.get("PERF_TAPS", "20"))
CONCURRENCY = 64  # the same setting the bot's Telegram channel uses
TARGET = 0.7


async def _seed_linked_users(db: Database, users: int) -> None:
    from datetime import date

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


async def _drive(fake: FakeTelegram, text: str, total: int) -> float:
    """Push ``total`` messages spread over the users; seconds until all were answered."""
    start_count = len(fake.sent)
    t0 = time.perf_counter()
    for _n in range(TAPS_PER_USER):
        for i in range(USERS):
            fake.push_text(10_000 + i, text)
    while len(fake.sent) - start_count < total:
        await asyncio.sleep(0.002)
    return time.perf_counter() - t0


async def _echo_rate(fake: FakeTelegram, total: int) -> float:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .concurrent_updates(CONCURRENCY)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling()
    try:
        await _drive(fake, "warm up", USERS)  # warm-up round
        seconds = await _drive(fake, "xin chào", total)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    return total / seconds


async def _bot_rate(fake: FakeTelegram, database_url: str, total: int, clock) -> float:
    settings = Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        web_enabled=False,
        telegram_token=fake.token,
        telegram_api_base_url=fake.base_url,
        telegram_rate_limit=0,
    )
    app = build_app(settings, clock=clock)
    await app.start()
    try:
        await _drive(fake, "💰 Kiểm tra tiền trợ cấp", USERS)  # warm-up round
        sent_before = len(fake.sent)
        seconds = await _drive(fake, "💰 Kiểm tra tiền trợ cấp", total)
        answers = fake.sent[sent_before:]
        assert all("500.000" in s.text and "đã chuyển" in s.text for s in answers), answers[0].text
    finally:
        await app.stop()
    return total / seconds


async def test_status_taps_per_second_against_echo_bot(db, database_url, clock):
    await _seed_linked_users(db, USERS)
    total = USERS * TAPS_PER_USER
    fake = await FakeTelegram(max_poll_wait=0.05).start()
    try:
        echo = await _echo_rate(fake, total)
        fake.updates.clear()
        ours = await _bot_rate(fake, database_url, total, clock)
    finally:
        await fake.stop()
    ratio = ours / echo
    engine = "PostgreSQL" if not db.is_sqlite else "SQLite"
    print(
        f"\n[perf] status taps ({engine}, {total} taps from {USERS} users): "
        f"bot {ours:.0f}/s, echo bot {echo:.0f}/s, ratio {ratio:.2f} (target >= {TARGET})"
    )
    assert ratio >= TARGET
