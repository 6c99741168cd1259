"""The officer follows a broadcast going out: one progress message, edited in
place on Telegram (against the fake Bot API) and on the web chat, sent at the
start and at the end on Zalo; what it showed survives a restart; quiet hours
hold it back with the citizens' messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.media import MediaStore
from bot.channels.telegram import TelegramChannel
from bot.channels.web import COOKIE, WebChat, WebInbox
from bot.channels.zalo import ZaloChannel
from bot.delivery import ChannelLimits, DeliveryConfig, DeliveryWorker
from bot.progress import ProgressReporter
from handlers.i18n import Catalogs
from handlers.quiet import parse_quiet_hours
from tests.chat import Chat
from tests.conftest import PHAM, TU
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo
from tests.handlers.test_officer import _invite

QUIET = parse_quiet_hours("21:00-07:00")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


@pytest.fixture
async def zalo_fake() -> AsyncIterator[FakeZalo]:
    server = await FakeZalo().start()
    yield server
    await server.stop()


def telegram(fake: FakeTelegram, dispatcher) -> TelegramChannel:  # type: ignore[no-untyped-def]
    return TelegramChannel(
        dispatcher, Catalogs(), token=fake.token, base_url=fake.base_url, rate_limit=0
    )


def worker(db, senders, clock) -> DeliveryWorker:  # type: ignore[no-untyped-def]
    """One message per round, so the test sees the broadcast part-way."""
    config = DeliveryConfig(
        default_limits=ChannelLimits(0, 0),
        limits={"telegram": ChannelLimits(0, 0)},
        batch=1,
        quiet=QUIET,
    )
    return DeliveryWorker(db, senders, config, clock=clock)


async def citizens(dispatcher, channel: str, ids: list[str]) -> list[Chat]:  # type: ignore[no-untyped-def]
    """Phàm (herself, then her son), Tư: three recipients on ``channel``."""
    chats = [Chat(dispatcher, i, channel=channel) for i in ids]
    await chats[0].link(PHAM.national_id, "15/03/1940")
    await chats[1].link(PHAM.national_id, "15/03/1940", who="who:child")
    await chats[2].link(TU.national_id, "02/07/1945")
    return chats


async def officer_sends(dispatcher, db, channel: str, user: str, english: bool = False) -> Chat:  # type: ignore[no-untyped-def]
    officer = Chat(dispatcher, user, channel=channel)
    await officer.say(await _invite(db))
    if english:
        await officer.tap("lang:en")
    await officer.tap("bc:menu")
    await officer.tap("bc:new")
    await officer.tap("bc:aud:all")
    await officer.say("Mời bà con họp thôn lúc 8 giờ sáng mai.")
    await officer.tap("bc:skip_en")
    await officer.tap("bc:send")
    return officer


async def test_telegram_progress_is_one_message_edited_in_place_across_a_restart(
    dispatcher, db, seeded, clock, fake
):
    await citizens(dispatcher, "telegram", ["3102", "3103", "3104"])
    await officer_sends(dispatcher, db, "telegram", "3101")
    fake.blocked.add(3104)  # Tư blocked the bot
    channel = telegram(fake, dispatcher)
    senders = {"telegram": channel}
    reporter = ProgressReporter(db, Catalogs(), senders, interval=3, quiet=QUIET, clock=clock)
    work = worker(db, senders, clock)
    try:
        assert await reporter.run_once() == 1  # it starts going out: 0 of 3
        (progress,) = fake.by_chat[3101]
        assert progress.text == (
            "📤 Thông báo số 1 đang được gửi: đã gửi 0 trên 3 · đã chặn bot 0 · lỗi 0."
        )
        assert progress.reply_markup is None
        await work.run_once()  # one message out
        clock.now += timedelta(seconds=1)
        assert await reporter.run_once() == 0  # not edited again within 3 seconds
        clock.now += timedelta(seconds=3)
        assert await reporter.run_once() == 1
        assert [e.text for e in fake.edits] == [
            "📤 Thông báo số 1 đang được gửi: đã gửi 1 trên 3 · đã chặn bot 0 · lỗi 0."
        ]
        clock.now += timedelta(seconds=3)
        assert await reporter.run_once() == 0  # nothing changed: no edit
    finally:
        await channel.stop()
    # The bot restarts: a new channel and reporter go on with the same message.
    channel = telegram(fake, dispatcher)
    senders = {"telegram": channel}
    reporter = ProgressReporter(db, Catalogs(), senders, interval=3, quiet=QUIET, clock=clock)
    work = worker(db, senders, clock)
    try:
        await work.run_once()
        await work.run_once()
        await work.run_once()
        clock.now += timedelta(seconds=3)
        assert await reporter.run_once() == 1
        clock.now += timedelta(seconds=3)
        assert await reporter.run_once() == 0  # final: never touched again
    finally:
        await channel.stop()
    (progress,) = fake.by_chat[3101]  # still the one message
    assert progress.text == (
        "✅ Thông báo số 1 đã gửi xong: đã gửi 2 trên 3 · đã chặn bot 1 · lỗi 0."
    )
    assert int(fake.edits[-1].params["message_id"]) == progress.params["message_id"]
    assert progress.reply_markup == {
        "inline_keyboard": [
            [{"text": "📊 Báo cáo gửi tin (Excel)", "callback_data": "bc:report:1"}]
        ]
    }
    # The same figures as the delivery report the button gives.
    officer = Chat(dispatcher, "3101", channel="telegram")
    await officer.tap("bc:report:1")
    assert "Báo cáo gửi tin của thông báo số 1" in officer.text
    async with db.transaction() as tx:
        assert await tx.broadcasts.counts(1) == {"sent": 2, "blocked": 1}


async def test_a_message_deleted_by_the_officer_is_sent_anew(dispatcher, db, seeded, clock, fake):
    await citizens(dispatcher, "telegram", ["3202", "3203", "3204"])
    await officer_sends(dispatcher, db, "telegram", "3201", english=True)
    channel = telegram(fake, dispatcher)
    senders = {"telegram": channel}
    reporter = ProgressReporter(db, Catalogs(), senders, interval=3, quiet=QUIET, clock=clock)
    try:
        await reporter.run_once()
        (first,) = fake.by_chat[3201]
        assert first.text == (
            "📤 Broadcast #1 is going out: sent 0 of 3 · blocked the bot 0 · failed 0."
        )
        fake.messages.clear()  # gone from the chat: it cannot be edited any more
        await worker(db, senders, clock).run_once()
        clock.now += timedelta(seconds=3)
        assert await reporter.run_once() == 1
    finally:
        await channel.stop()
    first, second = fake.by_chat[3201]
    assert second.text == (
        "📤 Broadcast #1 is going out: sent 1 of 3 · blocked the bot 0 · failed 0."
    )


async def zalo_sender(dispatcher, zalo_fake) -> ZaloChannel:
    """A started Zalo channel against the fake Zalo Bot API."""
    zalo = ZaloChannel(
        dispatcher, MediaStore(), token=zalo_fake.token, base_url=zalo_fake.base_url,
        rate_limit=0, public_url="http://127.0.0.1:1",
    )  # fmt: skip
    await zalo.start()
    return zalo


async def test_zalo_gets_a_message_at_the_start_and_at_the_end_only(
    dispatcher, db, seeded, clock, zalo_fake
):
    await citizens(dispatcher, "zalo", ["7302", "7303", "7304"])
    officer = await officer_sends(dispatcher, db, "zalo", "7301")
    zalo = await zalo_sender(dispatcher, zalo_fake)
    senders = {"zalo": zalo}
    reporter = ProgressReporter(db, Catalogs(), senders, interval=3, quiet=QUIET, clock=clock)
    work = worker(db, senders, clock)
    try:
        await work.run_once()
        assert await reporter.run_once() == 1
        for _ in range(2):
            await work.run_once()
            clock.now += timedelta(seconds=3)
            if _ == 0:
                assert await reporter.run_once() == 0  # Zalo cannot edit: nothing mid-way
        assert await reporter.run_once() == 1
        clock.now += timedelta(seconds=3)
        assert await reporter.run_once() == 0
    finally:
        await zalo.stop()
    start, end = zalo_fake.by_chat["7301"]
    assert start.text == (
        "📤 Thông báo số 1 đang được gửi: đã gửi 1 trên 3 · đã chặn bot 0 · lỗi 0."
    )
    assert end.text == (
        "✅ Thông báo số 1 đã gửi xong: đã gửi 3 trên 3 · đã chặn bot 0 · lỗi 0.\n\n"
        "1. 📊 Báo cáo gửi tin (Excel)"
    )
    # "1" answers the numbered list of that last message: the report.
    await officer.say("1")
    assert "Báo cáo gửi tin của thông báo số 1" in officer.text
    assert officer.last[-1].attachments[0].filename == "broadcast-1.xlsx"


async def test_web_chat_replaces_the_progress_message_in_place(dispatcher, db, seeded, clock):
    await citizens(dispatcher, "web", ["p" * 20, "s" * 20, "t" * 20])
    officer_id = "o" * 20
    await officer_sends(dispatcher, db, "web", officer_id, english=True)
    inbox = WebInbox(db, clock)
    senders = {"web": inbox}
    reporter = ProgressReporter(db, Catalogs(), senders, interval=3, quiet=QUIET, clock=clock)
    work = worker(db, senders, clock)
    await officer_inbox_clear(inbox, officer_id)
    app = web.Application()
    app.add_routes(WebChat(dispatcher).routes())
    async with TestClient(TestServer(app)) as client:
        client.session.cookie_jar.update_cookies({COOKIE: officer_id})

        async def page() -> list[dict]:
            resp = await client.get("/api/inbox")
            return (await resp.json())["replies"]

        await reporter.run_once()
        (shown,) = await page()
        assert shown["text"] == (
            "📤 Broadcast #1 is going out: sent 0 of 3 · blocked the bot 0 · failed 0."
        )
        ref = shown["ref"]
        await work.run_once()
        clock.now += timedelta(seconds=3)
        await reporter.run_once()
        await work.run_once()
        clock.now += timedelta(seconds=3)
        await reporter.run_once()  # two edits before the page looks: one message
        (edited,) = await page()
        assert edited["ref"] == ref
        assert edited["text"] == (
            "📤 Broadcast #1 is going out: sent 2 of 3 · blocked the bot 0 · failed 0."
        )
        await work.run_once()
        clock.now += timedelta(seconds=3)
        await reporter.run_once()
        (final,) = await page()
        assert final["ref"] == ref
        assert final["text"] == (
            "✅ Broadcast #1 has gone out: sent 3 of 3 · blocked the bot 0 · failed 0."
        )
        assert final["options"] == [{"id": "bc:report:1", "label": "📊 Delivery report (Excel)"}]
        assert await page() == []


async def officer_inbox_clear(inbox: WebInbox, external_id: str) -> None:
    await inbox.take(external_id)


async def test_quiet_hours_hold_the_progress_until_the_morning(dispatcher, db, seeded, clock, fake):
    await citizens(dispatcher, "telegram", ["3302", "3303", "3304"])
    clock.now = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 22:30 in Vietnam
    officer = await officer_sends(dispatcher, db, "telegram", "3301")
    assert "từ 07:00 ngày 21/11/2026" in officer.text
    channel = telegram(fake, dispatcher)
    senders = {"telegram": channel}
    reporter = ProgressReporter(db, Catalogs(), senders, interval=3, quiet=QUIET, clock=clock)
    work = worker(db, senders, clock)
    try:
        assert await reporter.run_once() == 0
        await work.run_once()  # holds the citizens' messages until 07:00
        clock.now += timedelta(seconds=5)
        assert await reporter.run_once() == 0
        assert fake.by_chat[3301] == []
        clock.now = datetime(2026, 11, 21, 0, 0, 5, tzinfo=UTC)  # 07:00:05
        await work.run_once()
        assert await reporter.run_once() == 1
    finally:
        await channel.stop()
    (progress,) = fake.by_chat[3301]
    assert progress.text.startswith("📤 Thông báo số 1 đang được gửi: đã gửi 1 trên 3")


async def test_a_cancelled_broadcast_ends_its_progress(dispatcher, db, seeded, clock, fake):
    await citizens(dispatcher, "telegram", ["3402", "3403", "3404"])
    officer = await officer_sends(dispatcher, db, "telegram", "3401")
    channel = telegram(fake, dispatcher)
    senders = {"telegram": channel}
    reporter = ProgressReporter(db, Catalogs(), senders, interval=3, quiet=QUIET, clock=clock)
    try:
        await worker(db, senders, clock).run_once()
        await reporter.run_once()
        await officer.tap("bc:cancel:1")
        await officer.tap("bc:cancel_yes:1")
        assert "2 tin sẽ không được gửi" in officer.text
        clock.now += timedelta(seconds=3)
        assert await reporter.run_once() == 1
    finally:
        await channel.stop()
    (progress,) = fake.by_chat[3401]
    assert progress.text == (
        "🛑 Thông báo số 1 đã bị hủy: đã gửi 1 trên 3 · đã chặn bot 0 · lỗi 0 · không gửi 2."
    )


async def test_the_end_of_a_broadcast_does_not_renumber_a_new_draft_on_web(
    dispatcher, db, seeded, clock
):
    """The final progress message replaces the old one higher up the page:
    its options must not take over the numbers of the draft the officer has
    open, where "1" is "everyone"."""
    await citizens(dispatcher, "web", ["p" * 20, "s" * 20, "t" * 20])
    officer_id = "o" * 20
    officer = await officer_sends(dispatcher, db, "web", officer_id)
    inbox = WebInbox(db, clock)
    senders = {"web": inbox}
    reporter = ProgressReporter(db, Catalogs(), senders, interval=3, quiet=QUIET, clock=clock)
    work = worker(db, senders, clock)
    await reporter.run_once()
    await officer.tap("bc:menu")
    await officer.tap("bc:new")
    assert officer.option_ids()[0] == "bc:aud:all"
    for _ in range(3):
        await work.run_once()
        clock.now += timedelta(seconds=3)
        await reporter.run_once()
    (final,) = await inbox.take(officer_id)
    assert final.text.startswith("✅ Thông báo số 1 đã gửi xong")
    await officer.say("1")
    assert "Báo cáo gửi tin" not in officer.text
    assert officer.text.startswith("Xin gõ nội dung thông báo")


async def test_the_end_of_a_broadcast_does_not_renumber_a_new_draft_on_zalo(
    dispatcher, db, seeded, clock, zalo_fake
):
    """On Zalo the final message is a new numbered list, but while a draft
    is open, "1" still answers the draft."""
    await citizens(dispatcher, "zalo", ["7302", "7303", "7304"])
    officer = await officer_sends(dispatcher, db, "zalo", "7301")
    zalo = await zalo_sender(dispatcher, zalo_fake)
    senders = {"zalo": zalo}
    reporter = ProgressReporter(db, Catalogs(), senders, interval=3, quiet=QUIET, clock=clock)
    work = worker(db, senders, clock)
    try:
        await work.run_once()
        await reporter.run_once()
        await officer.tap("bc:menu")
        await officer.tap("bc:new")
        for _ in range(2):
            await work.run_once()
            clock.now += timedelta(seconds=3)
            await reporter.run_once()
    finally:
        await zalo.stop()
    assert zalo_fake.by_chat["7301"][-1].text.startswith("✅ Thông báo số 1 đã gửi xong")
    await officer.say("1")
    assert "Báo cáo gửi tin" not in officer.text
    assert officer.text.startswith("Xin gõ nội dung thông báo")
