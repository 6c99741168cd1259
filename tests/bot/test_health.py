"""Operations over HTTP: /healthz tells whether the database answers, each
channel's state and the outbox depth (503 without a database); /metrics
serves Prometheus metrics of this bot only."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import App, build_app
from bot.channels.base import Rejected, RetryLater, Unreachable
from bot.config import Settings
from bot.delivery import ChannelLimits, DeliveryConfig, DeliveryWorker
from bot.metrics import Metrics
from handlers.types import Reply
from storage import Database
from tests.conftest import TEST_SECRET
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo

# Nothing listens on port 9 of this machine: connecting is refused at once.
UNREACHABLE_PG = "postgresql+asyncpg://postgres@127.0.0.1:9/nowhere"


def settings(database_url: str, port: int, **kw: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "web_enabled": True,
        "web_port": port,
        "delivery_enabled": False,
        "scheduler_enabled": False,
        "quiet_hours": "off",
    }
    values.update(kw)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeTelegram, FakeZalo]]:
    tg = await FakeTelegram().start()
    zalo = await FakeZalo().start()
    yield tg, zalo
    await zalo.stop()
    await tg.stop()


async def get(app: App, path: str) -> tuple[int, str, dict | None]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{app.bound_port}{path}") as resp,
    ):
        body = await resp.text()
        data = await resp.json() if resp.content_type == "application/json" else None
        return resp.status, body, data


async def queue(db: Database, channel: str, external_id: str, n: int) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create(channel, external_id, "vi")
        for i in range(n):
            await tx.outbox.enqueue(
                key=f"health:{external_id}:{i}", user_id=user.id, kind="test", text="Tin", now=now
            )


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus' text format."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = ",".join(sorted((m.group(2) or "").split(","))) if m.group(2) else ""
        if got == want:
            return float(m.group(3))
    return None


async def test_healthz_reports_database_channels_and_outbox(
    fakes, db, database_url, unused_tcp_port
):
    tg, zalo = fakes
    app = build_app(
        settings(
            database_url,
            unused_tcp_port,
            telegram_token=tg.token,
            telegram_api_base_url=tg.base_url,
            telegram_rate_limit=0,
            zalo_token=zalo.token,
            zalo_api_base_url=zalo.base_url,
            zalo_rate_limit=0,
        )
    )
    await app.start()
    try:
        await queue(app.db, "telegram", "501", 3)
        status, _body, data = await get(app, "/healthz")
        assert status == 200
        assert data == {
            "ok": True,
            "database": "ok",
            "channels": {"telegram": "polling", "zalo": "polling", "web": "running"},
            "outbox_pending": 3,
        }
        # A channel that stopped shows as stopped; the process still answers.
        await app.zalo.stop()  # type: ignore[union-attr]
        status, _body, data = await get(app, "/healthz")
        assert status == 200 and data is not None
        assert data["channels"]["zalo"] == "stopped"
        assert data["channels"]["telegram"] == "polling"
    finally:
        await app.stop()


async def test_healthz_lists_the_sms_channel(db, database_url, unused_tcp_port):
    from tests.fake_sms import FakeSmsGateway

    gateway = await FakeSmsGateway().start()
    app = build_app(
        settings(
            database_url,
            unused_tcp_port,
            sms_send_url=gateway.url,
            sms_inbound_secret="sms-inbound-secret-0123456789",
        )
    )
    await app.start()
    try:
        status, _body, data = await get(app, "/healthz")
        assert status == 200 and data is not None
        assert data["channels"] == {"web": "running", "sms": "running"}
        await app.sms.stop()  # type: ignore[union-attr]
        _status, _body, data = await get(app, "/healthz")
        assert data is not None and data["channels"]["sms"] == "stopped"
    finally:
        await app.stop()
        await gateway.stop()


async def test_healthz_is_503_when_the_database_is_unreachable():
    app = build_app(settings(UNREACHABLE_PG, 0))
    server = TestServer(app.web_app, host="127.0.0.1")
    await server.start_server()
    try:
        started = time.monotonic()
        async with aiohttp.ClientSession() as http:
            async with http.get(server.make_url("/healthz")) as resp:
                assert resp.status == 503
                data = await resp.json()
            # Metrics still answer (without the outbox depth).
            async with http.get(server.make_url("/metrics")) as resp:
                assert resp.status == 200
                assert "allowance_bot_updates_total" in await resp.text()
        assert time.monotonic() - started < 10
        assert data["ok"] is False
        assert data["database"] == "unreachable"
        assert data["outbox_pending"] is None
    finally:
        await server.close()
        await app.db.dispose()


async def test_metrics_count_updates_latency_outbox_and_sends(db, database_url, unused_tcp_port):
    app = build_app(settings(database_url, unused_tcp_port))
    await app.start()
    try:
        async with aiohttp.ClientSession() as http:
            for text in ("xin chao", "1"):
                async with http.post(
                    f"http://127.0.0.1:{app.bound_port}/api/chat", json={"text": text}
                ) as resp:
                    assert resp.status == 200
        await queue(app.db, "web", "browser-metrics-0001", 2)
        status, body, _ = await get(app, "/metrics")
        assert status == 200
        assert sample(body, "allowance_bot_updates_total", channel="web") == 2
        assert sample(body, "allowance_bot_update_seconds_count", channel="web") == 2
        assert (sample(body, "allowance_bot_update_seconds_sum", channel="web") or 0) > 0
        assert sample(body, "allowance_bot_outbox_pending") == 2
        assert sample(body, "allowance_bot_updates_total", channel="telegram") is None
    finally:
        await app.stop()


async def test_sends_are_counted_by_result_through_the_app(db, database_url, unused_tcp_port):
    app = build_app(settings(database_url, unused_tcp_port, delivery_enabled=True))
    await app.start()
    try:
        await queue(app.db, "web", "browser-metrics-0002", 2)
        app.workers[0].wake()
        deadline = time.monotonic() + 10
        # A send is counted when it is made; its row is marked sent a moment
        # later (marks are committed in groups): both show within the deadline.
        while True:
            _status, body, _ = await get(app, "/metrics")
            sent = sample(body, "allowance_bot_sends_total", channel="web", result="sent")
            if sent == 2 and sample(body, "allowance_bot_outbox_pending") == 0:
                break
            assert time.monotonic() < deadline, body
            await asyncio.sleep(0.1)
    finally:
        await app.stop()


class Flaky:
    """A channel that refuses some people in each way a messenger can."""

    async def deliver(self, external_id: str, reply: Reply) -> None:
        if external_id == "blocked":
            raise Unreachable("403")
        if external_id == "bad":
            raise Rejected("400")
        if external_id == "busy":
            raise RetryLater("429", retry_after=60)


async def test_each_send_outcome_is_counted(db):
    for who in ("ok", "blocked", "bad", "busy"):
        await queue(db, "zalo", who, 1)
    metrics = Metrics()
    config = DeliveryConfig(limits={}, default_limits=ChannelLimits(0, 0), quiet=None, idle=0.05)
    worker = DeliveryWorker(db, {"zalo": Flaky()}, config, on_result=metrics.send_result)
    assert await worker.run_once() == 4
    body = metrics.render(None).decode()
    for result in ("sent", "retry", "failed", "blocked"):
        assert sample(body, "allowance_bot_sends_total", channel="zalo", result=result) == 1, result


async def test_each_app_has_its_own_registry(database_url):
    one = build_app(settings(database_url, 0))
    two = build_app(settings(database_url, 0))
    one.metrics.handled("web", 0.01)
    assert (
        sample(one.metrics.render(None).decode(), "allowance_bot_updates_total", channel="web") == 1
    )
    assert (
        sample(two.metrics.render(None).decode(), "allowance_bot_updates_total", channel="web")
        is None
    )
    await one.db.dispose()
    await two.db.dispose()
