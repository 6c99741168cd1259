"""The delivery worker against the fake Bot API: every queued message reaches
its person exactly once, within Telegram's limits, through 429 storms, 5xx
answers, timeouts and blocked users; quiet hours hold citizens' messages."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.telegram import TelegramChannel
from bot.delivery import ChannelLimits, DeliveryConfig, DeliveryWorker, Limiter
from handlers.citizen import route
from handlers.core import Dispatcher
from handlers.quiet import parse_quiet_hours, quiet_until
from storage import Database, Vault
from tests.chat import Chat
from tests.conftest import PG_URL, TEST_SECRET
from tests.fake_telegram import FakeTelegram


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


def telegram(fake, db, catalogs, *, timeout: float) -> TelegramChannel:
    """The Telegram sender against the fake; ``timeout``: how long a send waits."""
    return TelegramChannel(
        Dispatcher(db, catalogs, route),
        catalogs,
        token=fake.token,
        base_url=fake.base_url,
        rate_limit=0,
        delivery_timeout=timeout,
    )


@pytest.fixture
async def channel(fake, db, catalogs) -> AsyncIterator[TelegramChannel]:
    tg = telegram(fake, db, catalogs, timeout=0.3)
    yield tg
    await tg.stop()


def config(**kw: object) -> DeliveryConfig:
    values: dict[str, object] = {
        "limits": {"telegram": ChannelLimits(rate=0, chat_interval=0)},
        "backoff_base": 0.05,
        "idle": 0.05,
        "quiet": None,
    }
    values.update(kw)
    return DeliveryConfig(**values)  # type: ignore[arg-type]


async def queue(
    db: Database,
    chats: list[int] | list[str],
    *,
    per_chat: int = 1,
    options: list[tuple[str, str]] | None = None,
    channel: str = "telegram",
    now: datetime | None = None,
) -> dict[int, int]:
    """A message (or several) for each chat; returns chat -> user id."""
    users: dict = {}
    now = now or datetime.now(UTC)
    async with db.transaction() as tx:
        for chat in chats:
            user, _ = await tx.users.get_or_create(channel, str(chat), "vi")
            users[chat] = user.id
            for n in range(per_chat):
                await tx.outbox.enqueue(
                    key=f"test:{chat}:{n}",
                    user_id=user.id,
                    kind="test",
                    text=f"Tin {n} cho {chat}",
                    options=options,
                    now=now,
                )
    return users


async def drain(worker: DeliveryWorker, db: Database, timeout: float = 20.0) -> dict[str, int]:
    """Run the worker until no row is pending; the status counts."""
    deadline = time.monotonic() + timeout
    worker.start()
    try:
        while True:
            async with db.transaction() as tx:
                counts = await tx.outbox.counts()
            if not counts.get("pending"):
                return counts
            assert time.monotonic() < deadline, f"still pending: {counts}"
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()


def once_each(fake: FakeTelegram, chats: list[int], per_chat: int = 1) -> None:
    counts = fake.counts_per_chat()
    wrong = {c: counts.get(c, 0) for c in chats if counts.get(c, 0) != per_chat}
    assert not wrong, f"chats without exactly {per_chat} message(s): {wrong}"


async def test_every_message_goes_once_with_its_buttons(db, fake, channel):
    chats = list(range(1001, 1021))
    await queue(db, chats, options=[("ben:1", "💰 Xem tiền trợ cấp"), ("notify:off", "🔕 Tắt")])
    worker = DeliveryWorker(db, {"telegram": channel}, config())
    counts = await drain(worker, db)
    assert counts == {"sent": 20}
    once_each(fake, chats)
    sent = fake.by_chat[1001][0]
    assert sent.text == "Tin 0 cho 1001"
    assert sent.reply_markup == {
        "inline_keyboard": [
            [{"text": "💰 Xem tiền trợ cấp", "callback_data": "ben:1"}],
            [{"text": "🔕 Tắt", "callback_data": "notify:off"}],
        ]
    }
    async with db.transaction() as tx:
        rows = await tx.outbox.by_kind("test")
    assert all(r.status == "sent" and r.sent_at is not None and r.attempts == 0 for r in rows)


async def test_a_429_storm_is_waited_out_without_losing_or_doubling(db, fake, channel):
    chats = list(range(2001, 2031))
    await queue(db, chats)
    fake.fail_429 = 12  # twelve "Too Many Requests: retry after 1" in a row
    started = time.monotonic()
    worker = DeliveryWorker(db, {"telegram": channel}, config())
    counts = await drain(worker, db)
    assert counts == {"sent": 30}
    once_each(fake, chats)
    assert fake.refused["429"] == 12
    # retry_after was obeyed: the channel paused at least a second.
    assert time.monotonic() - started >= 1.0
    async with db.transaction() as tx:
        rows = await tx.outbox.by_kind("test")
    # A wait the messenger asked for is not a failed attempt.
    assert all(r.attempts == 0 for r in rows)


async def test_5xx_answers_and_timeouts_are_retried_with_backoff(db, fake, channel):
    chats = list(range(3001, 3011))
    await queue(db, chats)
    fake.fail_5xx = 4
    fake.slow, fake.slow_delay = 3, 1.0  # answers after the 0.3 s the sender waits
    worker = DeliveryWorker(db, {"telegram": channel}, config(), rng=random.Random(1))
    counts = await drain(worker, db)
    assert counts == {"sent": 10}
    once_each(fake, chats)
    assert fake.refused["5xx"] == 4 and fake.refused["slow"] == 3
    async with db.transaction() as tx:
        rows = await tx.outbox.by_kind("test")
    retried = [r for r in rows if r.attempts]
    assert sum(r.attempts for r in rows) == 7
    assert all(r.last_error and "telegram" in r.last_error for r in retried)


async def test_a_message_that_keeps_failing_ends_failed_with_a_reason(db, fake, channel):
    await queue(db, [4001])
    fake.fail_5xx = 100
    worker = DeliveryWorker(db, {"telegram": channel}, config(max_attempts=3))
    counts = await drain(worker, db)
    assert counts == {"failed": 1}
    async with db.transaction() as tx:
        (row,) = await tx.outbox.by_kind("test")
    assert row.attempts == 3
    assert row.last_error is not None
    assert row.last_error.startswith("gave up after 3 tries")
    assert "Internal Server Error" in row.last_error
    assert fake.counts_per_chat() == {}


async def test_a_message_that_must_wait_keeps_the_persons_later_ones_behind_it(db, fake, channel):
    """A 5xx on someone's first message: their next ones wait for it instead
    of going first."""
    await queue(db, [3101, 3102], per_chat=3)
    fake.fail_5xx = 1
    worker = DeliveryWorker(db, {"telegram": channel}, config(), rng=random.Random(1))
    assert await drain(worker, db) == {"sent": 6}
    for chat in (3101, 3102):
        assert [s.text for s in fake.by_chat[chat]] == [f"Tin {n} cho {chat}" for n in range(3)]


async def test_a_message_waiting_for_a_retry_holds_back_the_persons_later_claims(db, fake, channel):
    """Claims of one row each: the person's first message gets a 5xx, and the
    next claims (one taken while it was going out) must not send their later
    messages before it."""
    await queue(db, [3111], per_chat=3)
    fake.fail_5xx = 1
    worker = DeliveryWorker(db, {"telegram": channel}, config(batch=1), rng=random.Random(1))
    assert await drain(worker, db) == {"sent": 3}
    assert [s.text for s in fake.by_chat[3111]] == [f"Tin {n} cho 3111" for n in range(3)]


async def test_a_message_queued_while_an_earlier_one_waits_goes_after_it(db, fake, channel):
    """A 5xx holds the person's first message for a retry; one queued for
    them during that wait goes after it, not before."""
    await queue(db, [3121])
    fake.fail_5xx = 1
    worker = DeliveryWorker(db, {"telegram": channel}, config(backoff_base=0.6))
    worker.start()
    try:
        while not fake.refused["5xx"]:
            await asyncio.sleep(0.01)
        async with db.transaction() as tx:
            user, _ = await tx.users.get_or_create("telegram", "3121", "vi")
            await tx.outbox.enqueue(
                key="test:3121:late", user_id=user.id, kind="test", text="Tin sau",
                now=datetime.now(UTC),
            )  # fmt: skip
    finally:
        await worker.stop()
    await drain(DeliveryWorker(db, {"telegram": channel}, config()), db)
    assert [s.text for s in fake.by_chat[3121]] == ["Tin 0 cho 3121", "Tin sau"]


async def test_rows_given_back_keep_a_later_wait_they_were_given(db):
    """Rows given back unsent (a stop, a held round) are due at the time
    asked, unless a retry made them wait longer meanwhile: that wait stays,
    and the claim is let go either way."""
    now = datetime.now(UTC)
    await queue(db, [3401], per_chat=3, now=now)
    later = now + timedelta(seconds=60)
    async with db.transaction() as tx:
        rows = await tx.outbox.claim(now, limit=10, lease=timedelta(seconds=120))
        assert len(rows) == 3
        # The first is retried in a minute: the two after it wait as long.
        await tx.outbox.hold_later(rows[0].user_id, rows[0].id, later)
        await tx.outbox.release([(r.id, r.token) for r in rows], now)
    async with db.transaction() as tx:
        held = {m.id: m for m in await tx.outbox.for_user(rows[0].user_id)}
        claimed = await tx.outbox.claim(now, limit=10, lease=timedelta(seconds=120))
    assert [held[r.id].not_before for r in rows] == [now, later, later]
    assert [r.id for r in claimed] == [rows[0].id]  # given back, and free to claim


def fail_once(monkeypatch: pytest.MonkeyPatch, method: str, *, at_call: int) -> list[int]:
    """OutboxStore.<method> raises ConnectionError on its ``at_call``-th call
    (the database went away once); returns the call count, kept up to date."""
    from storage.outbox import OutboxStore

    real = getattr(OutboxStore, method)
    calls = [0]

    async def flaky(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls[0] += 1
        if calls[0] == at_call:
            raise ConnectionError("the database went away")
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(OutboxStore, method, flaky)
    return calls


async def test_a_claim_that_fails_once_does_not_stop_delivery(db, fake, channel, monkeypatch):
    """The database refuses one claim (a restart, a lock): the worker tries
    again and sends everything."""
    chats = list(range(3201, 3241))
    await queue(db, chats)
    calls = fail_once(monkeypatch, "claim", at_call=2)
    worker = DeliveryWorker(db, {"telegram": channel}, config(batch=10))
    assert await drain(worker, db) == {"sent": 40}
    once_each(fake, chats)
    assert calls[0] > 4


async def test_rows_claimed_ahead_are_given_back_when_their_check_fails(
    db, fake, channel, monkeypatch
):
    """The check of rows claimed ahead fails once: they are given back and
    sent at once, not left waiting for their two-minute lease."""
    chats = list(range(3301, 3341))
    await queue(db, chats)
    calls = fail_once(monkeypatch, "still_due", at_call=1)
    worker = DeliveryWorker(db, {"telegram": channel}, config(batch=10, lease=120.0))
    assert await drain(worker, db, timeout=10.0) == {"sent": 40}
    once_each(fake, chats)
    assert calls[0] >= 1


async def test_messages_cancelled_while_a_round_goes_out_are_not_sent(db):
    """An officer cancels a broadcast while the worker is sending: only the
    round already going out is sent, never rows it had claimed for later."""
    from sqlalchemy import update

    from storage.models import OutboxRow

    chats = [f"c{n}" for n in range(30)]
    await queue(db, chats, channel="web")
    delivered: list[str] = []

    class Sender:
        async def deliver(self, external_id: str, reply: object) -> None:
            if not delivered:  # the first send: the officer cancels now
                async with db.transaction() as tx:
                    await tx.session.execute(
                        update(OutboxRow)
                        .where(OutboxRow.status == "pending")
                        .values(status="cancelled")
                    )
            await asyncio.sleep(0.01)
            delivered.append(external_id)

    worker = DeliveryWorker(
        db, {"web": Sender()}, config(batch=5, limits={"web": ChannelLimits(0, 0)})
    )
    await drain(worker, db)  # nothing pending from the cancel on; stop() records the round
    async with db.transaction() as tx:
        counts = await tx.outbox.counts()
    assert len(delivered) <= 5
    assert counts.get("sent", 0) == len(delivered)
    assert counts["cancelled"] == 30 - len(delivered)


async def test_backoff_grows_and_has_jitter(db, fake, channel):
    await queue(db, [4101])
    fake.fail_5xx = 100
    worker = DeliveryWorker(
        db, {"telegram": channel}, config(backoff_base=10, max_attempts=9), rng=random.Random(3)
    )
    waits = []
    for _ in range(3):
        async with db.transaction() as tx:
            await tx.session.execute(
                __import__("sqlalchemy").text("UPDATE outbox SET not_before = :t"),
                {"t": datetime.now(UTC) - timedelta(seconds=1)},
            )
        before = datetime.now(UTC)
        await worker.run_once()
        async with db.transaction() as tx:
            (row,) = await tx.outbox.by_kind("test")
        waits.append((row.not_before - before).total_seconds())
    # 10 s, 20 s, 40 s, each times a random 0.5-1.0.
    assert 5 <= waits[0] <= 10.5 and 10 <= waits[1] <= 20.5 and 20 <= waits[2] <= 40.5
    assert waits[0] < waits[1] < waits[2]


async def test_a_person_who_blocked_the_bot_gets_nothing_until_they_write(
    db, fake, channel, catalogs
):
    users = await queue(db, [5001, 5002], per_chat=3)
    fake.blocked = {5002}
    worker = DeliveryWorker(db, {"telegram": channel}, config())
    counts = await drain(worker, db)
    assert counts == {"sent": 3, "blocked": 3}
    assert fake.counts_per_chat() == {5001: 3}
    assert fake.refused["403"] == 1  # asked once, then held back
    async with db.transaction() as tx:
        assert await tx.users.is_unreachable(users[5002])
        held = await tx.outbox.for_user(users[5002])
    assert {r.status for r in held} == {"blocked"}
    assert "blocked by the user" in (held[0].last_error or "")

    # A new message while they are unreachable is held back without a try.
    await queue(db, [5002], per_chat=4)  # keys test:5002:0-2 exist; only :3 is new
    counts = await drain(DeliveryWorker(db, {"telegram": channel}, config()), db)
    assert counts["blocked"] == 4 and fake.refused["403"] == 1

    # They unblock the bot and write: the flag is cleared, new messages go.
    fake.blocked = set()
    chat = Chat(Dispatcher(db, catalogs, route), user_id="5002", channel="telegram")
    await chat.command("start")
    async with db.transaction() as tx:
        assert not await tx.users.is_unreachable(users[5002])
        await tx.outbox.enqueue(
            key="test:5002:after", user_id=users[5002], kind="test", text="Tin mới",
            now=datetime.now(UTC),
        )  # fmt: skip
    await drain(DeliveryWorker(db, {"telegram": channel}, config()), db)
    assert [s.text for s in fake.by_chat[5002]] == ["Tin mới"]


async def test_telegram_answers_map_to_what_the_worker_does(channel):
    from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

    from bot.channels.base import Rejected, RetryLater, Unreachable
    from handlers.types import Reply

    class Raising:
        def __init__(self, err: Exception) -> None:
            self.err = err

        async def send_text(self, *a: object, **k: object) -> None:
            raise self.err

    cases = [
        (RetryAfter(3), RetryLater),
        (Forbidden("Forbidden: bot was blocked by the user"), Unreachable),
        (BadRequest("Bad Request: chat not found"), Unreachable),
        (BadRequest("Bad Request: message text is empty"), Rejected),
        (TimedOut(), RetryLater),
        (NetworkError("Bad Gateway"), RetryLater),
    ]
    for err, expected in cases:

        async def sender(err: Exception = err) -> Raising:
            return Raising(err)

        channel._sender = sender
        with pytest.raises(expected) as caught:
            await channel.deliver("6001", Reply("x"))
        if isinstance(err, RetryAfter):
            assert caught.value.retry_after == 3
        else:
            assert getattr(caught.value, "retry_after", None) is None


async def test_out_of_idle_the_first_claim_is_small_and_grows_to_the_batch(db):
    """Slow start: the first messages go out after a claim of 32 rows, not
    of a whole batch; each claim taken ahead is four times bigger, never more
    than the batch; once idle again, the next claim is small again."""
    chats = [f"s{n}" for n in range(700)]
    await queue(db, chats, channel="web")
    delivered: list[str] = []

    class Sender:
        async def deliver(self, external_id: str, reply: object) -> None:
            delivered.append(external_id)

    worker = DeliveryWorker(
        db, {"web": Sender()}, config(batch=200, idle=0.05, limits={"web": ChannelLimits(0, 0)})
    )
    claims: list[tuple[int | None, int]] = []  # (size asked, rows got)
    claim = worker._claim

    async def recorded(size: int | None = None) -> tuple[list, float]:
        rows, deadline = await claim(size)
        claims.append((size, len(rows)))
        return rows, deadline

    worker._claim = recorded  # type: ignore[method-assign]
    await drain(worker, db)
    worker.start()  # idle a while: it keeps looking, with small claims
    await asyncio.sleep(0.3)
    await worker.stop()
    async with db.transaction() as tx:
        assert await tx.outbox.counts() == {"sent": 700}
    assert sorted(delivered) == sorted(chats)
    assert [size for size, _got in claims[:4]] == [32, 128, 200, 200]
    for (size, got), (after, _) in zip(claims, claims[1:], strict=False):
        assert after == (min(size * 4, 200) if got else 32), claims
    assert claims[-1] == (32, 0)


def test_an_accepted_send_is_taken_without_reading_the_echoed_message(monkeypatch):
    """A send whose answer only has to say "accepted" does not parse the
    message Telegram echoes back; a call that wants the result, and any
    other answer, still is read whole."""
    import bot.channels.telegram as tg

    def parsed(*_args: object, **_kwargs: object) -> object:
        raise AssertionError("the answer was parsed")

    monkeypatch.setattr(tg.json, "loads", parsed)
    assert tg.bot_api_result(200, b'{"ok":true,"result":{"message_id":6}}', result=False) is None
    assert (
        tg.bot_api_result(200, b'{"ok": true, "result": {"message_id": 6}}', result=False) is None
    )
    for code, body, result in [
        (200, b'{"ok":true,"result":{"message_id":6}}', True),
        (200, b'{"ok":false,"description":"odd"}', False),
        (403, b'{"ok":true,"result":{}}', False),
        (200, b'{"ok":true,"result":{"message_id":6', False),
    ]:
        with pytest.raises(AssertionError, match="parsed"):
            tg.bot_api_result(code, body, result=result)


async def test_telegram_raw_answers_map_to_what_the_worker_does(db, catalogs):
    """Proactive sends read the Bot API's answers themselves: each status and
    body, including a body that is not JSON, ends as the worker's outcome."""
    from aiohttp import web

    from bot.channels.base import Rejected, RetryLater, Unreachable
    from handlers.types import Option, Reply

    answers: list[tuple[int, str]] = []
    received: list[tuple[str, str, dict]] = []

    async def handle(request: web.Request) -> web.Response:
        received.append((request.match_info["method"], request.content_type, await request.json()))
        status, body = answers.pop(0)
        return web.Response(status=status, text=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    tg = TelegramChannel(
        Dispatcher(db, catalogs, route),
        catalogs,
        token="1:T",
        base_url=f"http://127.0.0.1:{port}/bot",
        rate_limit=0,
    )

    def err(code: int, description: str, **params: object) -> tuple[int, str]:
        body: dict[str, object] = {"ok": False, "error_code": code, "description": description}
        if params:
            body["parameters"] = params
        return code, json.dumps(body)

    cases: list[tuple[tuple[int, str], type[Exception] | None, float | None]] = [
        ((200, '{"ok": true, "result": {"message_id": 5}}'), None, None),
        (err(429, "Too Many Requests: retry after 7", retry_after=7), RetryLater, 7.0),
        (err(403, "Forbidden: bot was blocked by the user"), Unreachable, None),
        (err(403, "Forbidden: user is deactivated"), Unreachable, None),
        (err(400, "Bad Request: chat not found"), Unreachable, None),
        (err(400, "Bad Request: message text is empty"), Rejected, None),
        (err(500, "Internal Server Error"), RetryLater, None),
        ((502, "<html>Bad Gateway</html>"), RetryLater, None),
        ((200, "not json"), RetryLater, None),
        # Telegram's own compact answer is taken without reading it whole;
        # anything else that comes with a 200 still is read.
        ((200, '{"ok":true,"result":{"message_id":6,"text":"x"}}'), None, None),
        ((200, '{"ok":true,"result":{"message_id":6'), RetryLater, None),
        ((200, '{"ok": true, "result": {"message_id": 6'), RetryLater, None),
        ((200, '{"ok":trueish}'), RetryLater, None),
        ((200, '{"ok":false,"description":"odd"}'), RetryLater, None),
        # A proxy's page instead of the Bot API's JSON: read by its status.
        ((403, "<html>Forbidden</html>"), Unreachable, None),
        ((400, "<html>Bad Request</html>"), Rejected, None),
        # A wait of half a second is waited out, not taken as none.
        (err(429, "Too Many Requests", retry_after=0.5), RetryLater, 1.0),
    ]
    try:
        for answer, expected, retry_after in cases:
            answers.append(answer)
            reply = Reply("Tiền trợ cấp đã về", options=[Option("notify:off", "🔕 Tắt")])
            if expected is None:
                await tg.deliver("6001", reply)
                continue
            with pytest.raises(expected) as caught:
                await tg.deliver("6001", reply)
            assert getattr(caught.value, "retry_after", None) == retry_after, answer
            if expected is Unreachable:
                reason = str(caught.value).lower()
                assert any(w in reason for w in ("blocked", "deactivated", "not found", "403"))
        # What went out: a JSON body with the text as written and the button.
        method, content_type, body = received[0]
        assert (method, content_type) == ("sendMessage", "application/json")
        assert body == {
            "chat_id": 6001,
            "text": "Tiền trợ cấp đã về",
            "reply_markup": {
                "inline_keyboard": [[{"text": "🔕 Tắt", "callback_data": "notify:off"}]]
            },
        }
        assert len(received) == len(cases)
    finally:
        await tg.stop()
        await runner.cleanup()


async def test_telegram_limits_one_a_second_per_chat_and_the_overall_rate(db, fake, channel):
    await queue(db, [7001], per_chat=3)
    await queue(db, list(range(7100, 7130)))
    limits = {"telegram": ChannelLimits(rate=30, chat_interval=1.0)}
    worker = DeliveryWorker(db, {"telegram": channel}, config(limits=limits))
    counts = await drain(worker, db)
    assert counts == {"sent": 33}
    one = [s.at for s in fake.by_chat[7001]]
    assert [round(b - a, 1) >= 0.9 for a, b in zip(one, one[1:], strict=False)] == [True, True]
    times = sorted(s.at for s in fake.sent)
    # No second holds more than 30 sends (measured where they arrive, with
    # slack for the busy test machine's scheduling).
    worst = max(sum(1 for t in times if start <= t < start + 0.9) for start in times)
    assert worst <= 30


async def test_the_limiter_pauses_everything_after_a_429():
    limiter = Limiter(ChannelLimits(rate=100, chat_interval=0))
    loop = asyncio.get_running_loop()
    start = loop.time()
    await limiter.wait("a")
    limiter.pause(0.3)
    await limiter.wait("b")
    assert loop.time() - start >= 0.29


def test_quiet_hours_in_vietnam_time():
    quiet = parse_quiet_hours("21:00-07:00")
    assert parse_quiet_hours("off") is None
    with pytest.raises(ValueError):
        parse_quiet_hours("9pm to 7am")
    # 22:30 in Vietnam is 15:30 UTC: quiet until 07:00 the next morning (00:00 UTC).
    assert quiet_until(datetime(2026, 11, 20, 15, 30, tzinfo=UTC), quiet) == datetime(
        2026, 11, 21, 0, 0, tzinfo=UTC
    )
    # 06:59 is still quiet; 07:00 and the day are not.
    assert quiet_until(datetime(2026, 11, 20, 23, 59, tzinfo=UTC), quiet) == datetime(
        2026, 11, 21, 0, 0, tzinfo=UTC
    )
    assert quiet_until(datetime(2026, 11, 21, 0, 0, tzinfo=UTC), quiet) is None
    assert quiet_until(datetime(2026, 11, 20, 3, 0, tzinfo=UTC), quiet) is None


async def test_quiet_hours_hold_citizens_messages_until_morning_not_officers(
    db, fake, channel, seeded
):
    night = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 22:30 in Vietnam
    citizens = await queue(db, [8001], now=night - timedelta(minutes=5))
    officers = await queue(db, [8002], now=night - timedelta(minutes=5))
    async with db.transaction() as tx:
        code_now = datetime.now(UTC)
        await tx.officers.create_invite(
            "CB-TEST-0001", commune_code="99001", name="Trần Văn Bình", now=code_now,
            expires_at=code_now + timedelta(days=1),
        )  # fmt: skip
        assert (await tx.officers.redeem("CB-TEST-0001", officers[8002], code_now))[0] == "ok"
    night = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 22:30 in Vietnam
    worker = DeliveryWorker(
        db, {"telegram": channel}, config(quiet=parse_quiet_hours("21:00-07:00")),
        clock=lambda: night,
    )  # fmt: skip
    await worker.run_once()
    await worker.run_once()
    assert fake.counts_per_chat() == {8002: 1}
    async with db.transaction() as tx:
        (waiting,) = await tx.outbox.for_user(citizens[8001])
    assert waiting.status == "pending"
    assert waiting.not_before == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)  # 07:00
    morning = DeliveryWorker(
        db, {"telegram": channel}, config(quiet=parse_quiet_hours("21:00-07:00")),
        clock=lambda: datetime(2026, 11, 21, 0, 1, tzinfo=UTC),
    )  # fmt: skip
    await morning.run_once()
    assert fake.counts_per_chat() == {8001: 1, 8002: 1}


async def test_two_workers_on_one_database_send_each_of_200_once(db, fake, catalogs, database_url):
    # A send that times out is sent again (at least once, see the README): this
    # test is about claiming, so the sender waits long enough on a busy machine.
    channel = telegram(fake, db, catalogs, timeout=10)
    chats = list(range(9000, 9200))
    await queue(db, chats)
    # On PostgreSQL each worker has its own connections, as separate
    # processes would; on SQLite they share the process's one connection.
    other = Database(database_url, Vault(TEST_SECRET)) if PG_URL else db
    small = config(batch=20)
    workers = [
        DeliveryWorker(db, {"telegram": channel}, small),
        DeliveryWorker(other, {"telegram": channel}, small),
    ]
    try:
        await asyncio.gather(*(drain(w, db) for w in workers))
    finally:
        await channel.stop()
        if other is not db:
            await other.dispose()
    once_each(fake, chats)
    assert len(fake.sent) == 200
    assert workers[0].sent > 0 and workers[1].sent > 0
    assert workers[0].sent + workers[1].sent == 200


async def test_a_worker_that_lost_its_lease_cannot_mark_the_row(db):
    users = await queue(db, [9901])
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        (first,) = await tx.outbox.claim(now, limit=10, lease=timedelta(seconds=1))
    later = now + timedelta(seconds=2)
    async with db.transaction() as tx:
        (second,) = await tx.outbox.claim(later, limit=10, lease=timedelta(seconds=60))
        assert await tx.outbox.claim(later, limit=10, lease=timedelta(seconds=60)) == []
    assert first.id == second.id and first.token != second.token
    async with db.transaction() as tx:
        await tx.outbox.mark_sent([(first.id, first.token)], later)
        (row,) = await tx.outbox.for_user(users[9901])
        assert row.status == "pending"
        await tx.outbox.mark_sent([(second.id, second.token)], later)
        (row,) = await tx.outbox.for_user(users[9901])
        assert row.status == "sent"


async def test_stopping_releases_rows_not_yet_sent(db, fake, channel):
    await queue(db, list(range(9300, 9310)))
    limits = {"telegram": ChannelLimits(rate=5, chat_interval=0)}
    worker = DeliveryWorker(db, {"telegram": channel}, config(limits=limits, lease=600))
    worker.start()
    await fake.wait_sent(9300, 1)
    await worker.stop()
    async with db.transaction() as tx:
        counts = await tx.outbox.counts()
        again = await tx.outbox.claim(datetime.now(UTC), limit=100, lease=timedelta(seconds=5))
    assert counts.get("sent", 0) == len(fake.sent)
    # What was not sent is free to claim at once, not after the 600 s lease.
    assert len(again) == 10 - len(fake.sent)


async def test_the_web_inbox_receives_proactive_messages(db, catalogs):
    from bot.channels.web import WebInbox

    users = await queue(db, ["b" * 20], channel="web", options=[("notify:off", "Tắt")])
    inbox = WebInbox(db)
    worker = DeliveryWorker(db, {"web": inbox}, config())
    assert await drain(worker, db) == {"sent": 1}
    (reply,) = await inbox.take("b" * 20)
    assert reply.text == f"Tin 0 cho {'b' * 20}"
    assert [(o.id, o.label) for o in reply.options] == [("notify:off", "Tắt")]
    assert await inbox.take("b" * 20) == []
    assert users


async def test_a_fake_that_caps_sends_a_second_never_has_to_refuse_one(db, fake, channel):
    """The fake answers 429 to any send beyond 10 in a second; the worker,
    limited to 10 a second, keeps under it however its sends are delayed."""
    chats = list(range(9500, 9540))
    await queue(db, chats)
    fake.cap_per_second = 10
    limits = {"telegram": ChannelLimits(rate=10, chat_interval=1.0)}
    worker = DeliveryWorker(db, {"telegram": channel}, config(limits=limits))
    started = time.monotonic()
    counts = await drain(worker, db)
    assert counts == {"sent": 40}
    once_each(fake, chats)
    assert fake.refused.get("429", 0) == 0
    assert time.monotonic() - started >= 3.0  # 40 at 10 a second
