"""`python -m bot deliver` killed with SIGKILL halfway through a 1,000-person
send, then started again: every person gets the message exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from tests.conftest import TEST_SECRET
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 1000
FIRST_CHAT = 100_000


def _start(fake: FakeTelegram, database_url: str, cwd: Path, **extra: str) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        BOT_DATABASE_URL=database_url,
        BOT_SECRET_KEY=TEST_SECRET,
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        BOT_WEB_ENABLED="false",
        BOT_QUIET_HOURS="off",
        # Fast, so the kill lands in the middle of a busy send.
        TELEGRAM_DELIVERY_RATE="0",
        TELEGRAM_DELIVERY_CHAT_INTERVAL="0",
        BOT_DELIVERY_TIMEOUT="60",
        BOT_DELIVERY_LEASE="3",
        BOT_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "deliver"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def _wait_for(condition, timeout: float, what: str, every: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(every)


async def test_kill_9_halfway_then_restart_sends_each_message_exactly_once(
    db, database_url, tmp_path, perf_report
):
    fake = await FakeTelegram().start()
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        for i in range(PEOPLE):
            user, _ = await tx.users.get_or_create("telegram", str(FIRST_CHAT + i), "vi")
            await tx.outbox.enqueue(
                key=f"payment:{i}:user:{user.id}",
                user_id=user.id,
                kind="payment",
                text="Tin báo tiền trợ cấp: tiền tháng 12/2026 đã về.",
                now=now,
            )
    # The fake accepts 500 messages, then holds the next requests unanswered:
    # the kill lands while sends are in flight.
    fake.freeze_after = 500
    first = _start(fake, database_url, tmp_path)
    try:

        async def half_sent() -> bool:
            assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
            return len(fake.sent) >= 500

        await _wait_for(half_sent, 60, "the first 500 messages", 0.01)
        await asyncio.sleep(0.5)  # the worker has recorded what was answered
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    async with db.transaction() as tx:
        counts = await tx.outbox.counts()
        in_flight = (
            await tx.session.execute(
                text("SELECT count(*) FROM outbox WHERE claim_token IS NOT NULL")
            )
        ).scalar()
    at_kill = len(fake.sent)
    assert at_kill == 500
    assert counts.get("sent", 0) == 500  # every answered send was recorded
    assert in_flight and in_flight > 0  # claimed, sent off, never answered
    fake.thaw()

    second = _start(fake, database_url, tmp_path)
    try:

        async def all_sent() -> bool:
            assert second.poll() is None, second.stderr.read().decode() if second.stderr else ""
            async with db.transaction() as tx:
                return (await tx.outbox.counts()).get("sent", 0) == PEOPLE

        await _wait_for(all_sent, 90, "all 1,000 messages", 0.25)
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0
    finally:
        if second.poll() is None:
            second.kill()
    await fake.stop()

    per_chat = fake.counts_per_chat()
    assert len(per_chat) == PEOPLE
    assert set(per_chat.values()) == {1}, {c: n for c, n in per_chat.items() if n != 1}
    assert sorted(per_chat) == list(range(FIRST_CHAT, FIRST_CHAT + PEOPLE))
    perf_report(
        f"delivery kill -9: {at_kill} sent before the kill ({in_flight} more held under the "
        f"killed worker's claim, some of them sent off and unanswered); after the restart {len(fake.sent)} sent in all to {len(per_chat)} "
        f"people, each exactly once"
    )


async def test_two_deliver_processes_on_one_database_send_each_of_200_once(
    db, database_url, tmp_path, perf_report
):
    """Two `python -m bot deliver` processes at once (on PostgreSQL their
    claims skip each other's locked rows): 200 messages, each sent once."""
    fake = await FakeTelegram().start()
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        for i in range(200):
            user, _ = await tx.users.get_or_create("telegram", str(FIRST_CHAT + i), "vi")
            await tx.outbox.enqueue(
                key=f"two:{i}", user_id=user.id, kind="test", text="Tin thử.", now=now
            )
    extra = {
        "BOT_DELIVERY_BATCH": "10",
        "TELEGRAM_DELIVERY_RATE": "100",
        "BOT_LOG_LEVEL": "INFO",
    }
    procs = [_start(fake, database_url, tmp_path, **extra) for _ in range(2)]
    try:

        async def all_sent() -> bool:
            async with db.transaction() as tx:
                return (await tx.outbox.counts()).get("sent", 0) == 200

        await _wait_for(all_sent, 90, "200 messages", 0.25)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        logs = [proc.communicate(timeout=20)[1].decode() for proc in procs]
    await fake.stop()
    per_chat = fake.counts_per_chat()
    assert len(per_chat) == 200 and set(per_chat.values()) == {1}
    sent = [int(log.rsplit("worker stopped; ", 1)[1].split()[0]) for log in logs]
    assert sum(sent) == 200
    assert all(n > 0 for n in sent), sent  # both took part
    perf_report(f"two deliver processes: {sent[0]} + {sent[1]} sent, 200 people, each once")
