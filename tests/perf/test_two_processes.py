"""Benchmark: two bot processes against one on one PostgreSQL, answering
status taps from already-linked Telegram users.

Deployed as in the README's Deployment section: each process is a real
``python -m bot run`` in webhook mode, and the driver plays the reverse proxy,
posting each update to one process's webhook (spread over the processes by
person, round robin). Replies go to the fake Bot API, in a process of its own.
The same two processes serve every round; in "one" rounds only the first gets
updates. Rounds alternate and the median ratio (two / one) is reported; run
``pytest tests/perf/test_two_processes.py -s`` with BOT_TEST_DATABASE_URL set
to a PostgreSQL database to see the figures.

TARGET is the goal; FLOOR: two processes must not be much slower than one, even
on a machine whose cores one process (with PostgreSQL, the fake Bot API and the
driver beside it) already fills; the idle share printed tells whether it was.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from itertools import count

import aiohttp
import pytest

from bot.app import webhook_secret
from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.config import Settings
from tests.conftest import PG_URL, TEST_SECRET
from tests.perf.test_status_throughput import (
    STATUS_BUTTON,
    TOKEN,
    FakeProcess,
    _seed_linked_users,
    fake_process,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.perf

USERS = int(os.environ.get("PERF_USERS", "50"))
TAPS_PER_USER = int(os.environ.get("PERF_TAPS", "20"))
ROUNDS = int(os.environ.get("PERF_ROUNDS", "3"))
TARGET = 1.3
FLOOR = 0.8
SECRET = webhook_secret(Settings(secret_key=TEST_SECRET))


def _free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BotProcess:
    def __init__(self, fake: FakeProcess, database_url: str) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "BOT_DATABASE_URL": database_url,
            "BOT_SECRET_KEY": TEST_SECRET,
            "BOT_WEB_ENABLED": "false",
            "BOT_WEB_PORT": str(self.port),
            "BOT_DELIVERY_ENABLED": "false",
            "BOT_SCHEDULER_ENABLED": "false",
            "BOT_LOG_LEVEL": "WARNING",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": f"{fake.url}/bot",
            "TELEGRAM_MODE": "webhook",
            "TELEGRAM_WEBHOOK_URL": f"https://bot.example.vn{WEBHOOK_PATH}",
            "TELEGRAM_RATE_LIMIT": "0",  # the limiter would cap both at 30/s
        }
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env)

    async def ready(self, http: aiohttp.ClientSession, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, "the bot process stopped"
            try:
                async with http.get(f"{self.url}/healthz") as resp:
                    if resp.status == 200 and (await resp.json())["channels"] == {
                        "telegram": "webhook"
                    }:
                        return
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, "the bot process did not start"
            await asyncio.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def processes(fake_process, db) -> Iterator[list[BotProcess]]:  # noqa: F811
    started: list[BotProcess] = []
    try:
        for _ in range(2 if PG_URL else 0):
            started.append(BotProcess(fake_process, PG_URL))  # type: ignore[arg-type]
        yield started
    finally:
        for p in started:
            p.stop()


_update_ids = count(1)
_message_ids = count(1)


def _update(user_id: int, text: str) -> dict:
    return {
        "update_id": next(_update_ids),
        "message": {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": f"User{user_id}"},
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
            "text": text,
        },
    }


def _cpu_times() -> tuple[int, int]:
    """(idle, total) jiffies of the whole machine, from /proc/stat (0, 0 elsewhere)."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except OSError:
        return 0, 0
    return fields[3] + fields[4], sum(fields[:8])  # idle + iowait; user..steal


def _idle_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else float("nan")


async def _rate(
    http: aiohttp.ClientSession, fake: FakeProcess, bots: list[BotProcess], total: int
) -> float:
    """Post ``total`` taps, each person's to one process; answers per second."""
    start = (await fake.stats(http))["sent"]
    t0 = time.perf_counter()

    async def post(n: int) -> None:
        user = 10_000 + n % USERS
        bot = bots[(n % USERS) % len(bots)]
        async with http.post(
            f"{bot.url}{WEBHOOK_PATH}",
            json=_update(user, STATUS_BUTTON),
            headers={SECRET_HEADER: SECRET},
        ) as resp:
            assert resp.status == 200

    sem = asyncio.Semaphore(32)

    async def limited(n: int) -> None:
        async with sem:
            await post(n)

    await asyncio.gather(*(limited(n) for n in range(total)))
    while (await fake.stats(http))["sent"] - start < total:
        await asyncio.sleep(0.005)
    rate = total / (time.perf_counter() - t0)
    last = (await fake.stats(http, last=total))["last"]
    # Every tap got the real answer, not an error message.
    assert all("500.000" in text and "đã chuyển" in text for text in last), last[:3]
    return rate


async def test_two_processes_against_one_on_postgresql(
    db,
    fake_process,  # noqa: F811
    processes,
    perf_report,
):
    if db.is_sqlite:
        # Several processes need PostgreSQL; on SQLite there is nothing to compare.
        perf_report("[perf] two processes: needs BOT_TEST_DATABASE_URL (PostgreSQL); not run")
        return
    await _seed_linked_users(db, USERS)
    total = USERS * TAPS_PER_USER
    ones, twos = [], []
    async with aiohttp.ClientSession() as http:
        for p in processes:
            await p.ready(http)
        # Warm both up (connections, caches).
        await _rate(http, fake_process, processes, USERS * 2)
        idle_one, idle_two = [], []
        for _ in range(ROUNDS):
            before = _cpu_times()
            ones.append(await _rate(http, fake_process, processes[:1], total))
            middle = _cpu_times()
            twos.append(await _rate(http, fake_process, processes, total))
            idle_one.append(_idle_share(before, middle))
            idle_two.append(_idle_share(middle, _cpu_times()))
    ratio = statistics.median(t / o for t, o in zip(twos, ones, strict=True))
    # Two processes can only add what the machine has left while one runs: the
    # driver, the fake Bot API and PostgreSQL share the same cores.
    perf_report(
        f"[perf] status taps on PostgreSQL, {total} taps from {USERS} users, {ROUNDS} rounds: "
        f"one process {statistics.median(ones):.0f}/s, two processes "
        f"{statistics.median(twos):.0f}/s, median ratio {ratio:.2f} "
        f"(target {TARGET}, floor {FLOOR}; {os.cpu_count()} CPU cores, idle "
        f"{statistics.median(idle_one):.0%} of the machine with one process and "
        f"{statistics.median(idle_two):.0%} with two)"
    )
    assert ratio >= FLOOR
