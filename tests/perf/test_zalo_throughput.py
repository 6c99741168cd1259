"""Benchmark: status checks per second from already-linked Zalo users, through
the bot's Zalo channel and the fake Zalo Bot API.

- webhook: updates POSTed to the bot's ``/zalo/webhook`` as fast as it takes
  them, against the same checks handed straight to the dispatcher (the
  baseline, measured in the same run: the adapter's own cost is the gap);
- polling: the same checks fetched with getUpdates, which hands out one update
  per call, so every message costs a round trip before it is even handled.

Rounds alternate and the median is reported. There is no target for Zalo;
FLOOR guards against regressions. Run ``pytest tests/perf/test_zalo_throughput.py -s``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import aiohttp
import pytest

from bot.app import build_app
from bot.channels.zalo import CONCURRENCY, SECRET_HEADER, WEBHOOK_PATH, ZaloChannel
from bot.config import Settings
from handlers.citizen import route
from handlers.core import Dispatcher
from handlers.i18n import Catalogs
from tests.conftest import TEST_SECRET
from tests.fake_zalo import FakeZalo

pytestmark = pytest.mark.perf

USERS = int(os.environ.get("PERF_USERS", "50"))
TAPS_PER_USER = int(os.environ.get("PERF_TAPS", "6"))
ROUNDS = int(os.environ.get("PERF_ROUNDS", "3"))
SECRET = "zalo-perf-secret"
FLOOR = 0.4


async def _link_users(db, beneficiary_ids: list[int]) -> list[str]:
    ids = [f"84{9_000_000 + n}" for n in range(USERS)]
    async with db.transaction() as tx:
        for n, external_id in enumerate(ids):
            user, _created = await tx.users.get_or_create("zalo", external_id, "vi")
            await tx.links.add(user.id, beneficiary_ids[n % len(beneficiary_ids)], "self", "id_dob")
    return ids


async def _wait_count(fake: FakeZalo, total: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while len(fake.sent) < total:
        if time.monotonic() > deadline:
            raise AssertionError(f"only {len(fake.sent)} of {total} sent")
        await asyncio.sleep(0.005)


async def _post_all(url: str, updates: list[dict]) -> None:
    async with aiohttp.ClientSession() as http:

        async def post(update: dict) -> None:
            async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as resp:
                assert resp.status == 200

        # A few at a time, as Zalo's servers would.
        for i in range(0, len(updates), 8):
            await asyncio.gather(*(post(u) for u in updates[i : i + 8]))


async def _direct_round(db, clock, updates: list[dict]) -> float:
    """The same checks handed straight to the dispatcher, four at a time (as
    the channel does): what the conversation and the database cost alone."""
    dispatcher = Dispatcher(db, Catalogs(), route, clock=clock)
    incomings = [ZaloChannel.to_incoming(u) for u in updates]
    slots = asyncio.Semaphore(CONCURRENCY)
    texts: list[str] = []

    async def one(found) -> None:  # type: ignore[no-untyped-def]
        async with slots:
            replies = await dispatcher.handle(found[0])
            texts.append(replies[0].text)

    started = time.perf_counter()
    await asyncio.gather(*(one(f) for f in incomings))
    elapsed = time.perf_counter() - started
    assert all(t.startswith("Tiền trợ cấp tháng 11/2026 của ") for t in texts)
    return len(updates) / elapsed


def _settings(fake: FakeZalo, database_url: str, port: int, mode: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        web_enabled=False,
        web_port=port,
        zalo_token=fake.token,
        zalo_api_base_url=fake.base_url,
        zalo_rate_limit=0,
        zalo_mode=mode,
        zalo_webhook_url="https://bot.example.vn/zalo/webhook",
        zalo_webhook_secret=SECRET,
    )


async def _bot_round(fake: FakeZalo, settings: Settings, clock, updates: list[dict]) -> float:
    app = build_app(settings, clock=clock)
    await app.start()
    try:
        fake.sent.clear()
        started = time.perf_counter()
        if settings.zalo_mode == "webhook":
            await _post_all(f"http://127.0.0.1:{app.bound_port}{WEBHOOK_PATH}", updates)
        else:
            for update in updates:
                fake.push(update)
        await _wait_count(fake, len(updates))
        elapsed = time.perf_counter() - started
    finally:
        await app.stop()
    assert all(s.text.startswith("Tiền trợ cấp tháng 11/2026 của ") for s in fake.sent)
    return len(updates) / elapsed


async def test_zalo_status_throughput(
    database_url, db, seeded, clock, unused_tcp_port, perf_report
):
    fake = await FakeZalo(max_poll_wait=0.05).start()
    try:
        ids = await _link_users(db, [seeded["pham"], seeded["tu"]])
        updates = [
            fake.make_update(ids[n % USERS], "tien ve chua") for n in range(USERS * TAPS_PER_USER)
        ]
        direct, hook, poll = [], [], []
        for _ in range(ROUNDS):
            direct.append(await _direct_round(db, clock, updates))
            webhook = _settings(fake, database_url, unused_tcp_port, "webhook")
            hook.append(await _bot_round(fake, webhook, clock, updates))
            polling = _settings(fake, database_url, unused_tcp_port, "polling")
            poll.append(await _bot_round(fake, polling, clock, updates))
    finally:
        await fake.stop()
    ratios = [h / d for h, d in zip(hook, direct, strict=True)]
    ratio = statistics.median(ratios)
    perf_report(
        f"zalo status checks ({len(updates)} from {USERS} users, {ROUNDS} rounds): "
        f"webhook {statistics.median(hook):.0f}/s, polling {statistics.median(poll):.0f}/s, "
        f"dispatcher alone {statistics.median(direct):.0f}/s; webhook/dispatcher {ratio:.2f}"
    )
    assert ratio >= FLOOR
