"""End to end through the bot's Zalo channel against a loopback fake of the
Zalo Bot API (tests/fake_zalo.py): polling, webhook, numbered options,
splitting, pictures by URL, delivery errors, and one person on two messengers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import App, build_app, zalo_webhook_secret
from bot.channels.base import Rejected, RetryLater, Unreachable
from bot.channels.media import MediaStore
from bot.channels.text import split_text
from bot.channels.zalo import SECRET_HEADER, WEBHOOK_PATH, ZaloChannel, classify
from bot.config import Settings
from handlers.types import Attachment, Option, Reply
from storage.models import LinkRow, UserRow
from tests.conftest import PHAM, TEST_SECRET, TU
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo, Sent

PAID_VI = (
    "Tiền trợ cấp tháng 11/2026 của Bà Nguyễn Thị Phàm: 500.000\xa0₫, "
    "đã chuyển vào tài khoản Agribank ****6789 ngày 10/11/2026."
)
# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    server = await FakeZalo().start()
    yield server
    await server.stop()


def settings_for(fake: FakeZalo, database_url: str, port: int, **kw: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "web_enabled": False,
        "web_port": port,
        "zalo_token": fake.token,
        "zalo_api_base_url": fake.base_url,
        "zalo_rate_limit": 0,
        # Switched on by the tests about proactive messages.
        "delivery_enabled": False,
        "scheduler_enabled": False,
    }
    values.update(kw)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def bot(fake, database_url, seeded, clock, unused_tcp_port) -> AsyncIterator[App]:
    app = build_app(settings_for(fake, database_url, unused_tcp_port), clock=clock)
    await app.start()
    yield app
    await app.stop()


class Person:
    """Someone on Zalo writing to the bot through the fake server."""

    def __init__(self, fake: FakeZalo, user_id: str) -> None:
        self.fake = fake
        self.id = user_id

    async def text(self, text: str, expect: int = 1) -> list[Sent]:
        before = len(self.fake.by_chat[self.id])
        self.fake.push_text(self.id, text)
        return (await self.fake.wait_sent(self.id, before + expect))[before:]

    async def event(self, event: str, expect: int = 1) -> list[Sent]:
        before = len(self.fake.by_chat[self.id])
        self.fake.push(self.fake.make_update(self.id, event=event))
        return (await self.fake.wait_sent(self.id, before + expect))[before:]


def listed(sent: Sent) -> list[str]:
    """The numbered options under a message's text."""
    out = []
    for line in sent.text.split("\n\n")[-1].split("\n"):
        number, dot, label = line.partition(". ")
        assert dot and number == str(len(out) + 1), sent.text
        out.append(label)
    return out


async def link_pham(person: Person) -> list[Sent]:
    await person.text("Kiểm tra tiền trợ cấp")
    await person.text("1")  # "Cho bản thân tôi"
    await person.text(PHAM.national_id)
    return await person.text("15/03/1940", expect=2)


# ---------------------------------------------------------------- polling


async def test_start_shows_greeting_and_numbered_menu(bot, fake):
    person = Person(fake, "8301234567890123456")
    greeting, menu = await person.text("/start", expect=2)
    assert greeting.text.startswith("Xin chào Ông/Bà!")
    # No buttons on Zalo: the menu says to type a number, and lists them.
    assert menu.text.startswith("Ông/Bà cần gì? Xin gõ số thứ tự của việc cần làm.\n\n1. ")
    assert listed(menu)[0] == "💰 Kiểm tra tiền trợ cấp"
    assert "☎️ Liên hệ cán bộ xã" in listed(menu)
    assert menu.method == "sendMessage" and "reply_markup" not in menu.params
    assert fake.methods("deleteWebhook")  # getUpdates works only without a webhook
    assert fake.methods("sendChatAction") == []  # a quick answer needs no "typing…"


async def test_citizen_checks_status_by_numbers_and_words(bot, fake):
    person = Person(fake, "5501")
    (who,) = await person.text("kiem tra tien")
    assert "hỏi cho ai" in who.text
    assert "Chia sẻ số điện thoại" not in who.text  # Zalo cannot share a contact
    assert listed(who)[0] == "Cho bản thân tôi"
    (ask_id,) = await person.text("so 1")
    assert "12 số" in ask_id.text
    assert listed(ask_id) == ["↩️ Quay lại", "🏠 Menu"]
    # A typed ID is data, not an option number.
    (ask_dob,) = await person.text(PHAM.national_id)
    assert "ngày sinh" in ask_dob.text
    confirmed, status = await person.text("15/03/1940", expect=2)
    assert confirmed.text == (
        "Đã xác minh: Bà Nguyễn Thị Phàm. Từ nay Ông/Bà chỉ cần gõ “1” để kiểm tra tiền trợ cấp."
    )
    assert status.text.startswith(PAID_VI + "\n")
    menu = listed(status)
    assert menu[0] == "💰 Kiểm tra tiền trợ cấp" and menu[-1] == "📅 6 tháng gần đây"
    # From now on "1", "số 1" or the words, without diacritics.
    for typed in ("1", "số 1", "kiem tra tien tro cap", "tien thang nay ve chua"):
        (again,) = await person.text(typed)
        assert again.text.startswith(PAID_VI), typed
    (history,) = await person.text(str(len(menu)))
    assert "10/2026" in history.text and "09/2026" in history.text


async def test_a_first_message_of_1_checks_the_allowance(bot, fake):
    person = Person(fake, "5507")
    (who,) = await person.text("1")
    assert "hỏi cho ai" in who.text


async def test_officer_joins_by_typing_the_invite_code(bot, fake, db):
    from datetime import timedelta

    from handlers.officer import new_invite_code
    from tests.conftest import NOW

    code = new_invite_code()
    async with db.transaction() as tx:
        await tx.officers.create_invite(
            code,
            commune_code="99001",
            name="Trần Văn Bình",
            now=NOW,
            expires_at=NOW + timedelta(days=7),
        )
    officer = Person(fake, "5508")
    (welcome,) = await officer.text(code.lower())
    assert welcome.text.startswith("Chào mừng Trần Văn Bình!")


async def test_english_by_number_and_words(bot, fake):
    person = Person(fake, "5502")
    (choose,) = await person.text("/language")
    assert listed(choose) == ["Tiếng Việt", "English"]
    (done,) = await person.text("2")
    assert done.text.startswith("From now on I will write in English.")
    assert listed(done)[0] == "💰 Check my allowance"
    (who,) = await person.text("check my allowance")
    assert "Whom are you asking for?" in who.text
    (ask_id,) = await person.text("for myself")
    assert "12 digits" in ask_id.text
    await person.text(TU.national_id)
    confirmed, status = await person.text("2/7/1945", expect=2)
    assert confirmed.text == (
        "Confirmed: Mr Lê Văn Tư. From now on, just type “1” to check the allowance."
    )
    assert "Mr Lê Văn Tư" in status.text and "post office" in status.text
    (menu,) = await person.text("menu")
    assert menu.text.startswith("What would you like to do? Type the number of your choice.")
    assert listed(menu)[0] == "💰 Check my allowance"
    (puzzled,) = await person.text("blah blah")
    assert puzzled.text.startswith(
        "Sorry, I did not understand. Please type the number of your choice, "
        "for example “1” to check your allowance.\n\n1. 💰 Check my allowance"
    )
    await person.text("/link")  # another person to ask for
    note, _who = await person.text("9", expect=2)  # no such choice
    assert note.text == (
        "Please type the number that says whom you are asking for, for example “1” for yourself."
    )
    assert listed(_who)[0] == "For myself"


async def test_pictures_stickers_and_unsupported_get_asked_to_type(bot, fake):
    person = Person(fake, "5503")
    await person.text("/status")
    await person.text("1")
    for event in ("message.image.received", "message.sticker.received"):
        note, again = await person.event(event, expect=2)
        assert "không đọc được ảnh, nhãn dán" in note.text
        assert "số CCCD" in again.text  # the question again, the form kept
    note, again = await person.event("message.unsupported.received", expect=2)
    assert "không đọc được ảnh" in note.text and "số CCCD" in again.text
    (ask_dob,) = await person.text(PHAM.national_id)
    assert "ngày sinh" in ask_dob.text


async def test_groups_and_unknown_events_are_ignored(bot, fake):
    fake.push(fake.make_update("g1", "/start", chat_type="GROUP"))
    fake.push({"event_name": "message.reaction.received", "message": {"from": {"id": "g2"}}})
    fake.push_text("5504", "/start")
    await fake.wait_sent("5504", 2)
    assert fake.by_chat["g1"] == [] and fake.by_chat["g2"] == []


async def test_nothing_new_and_server_errors_do_not_stop_polling(bot, fake):
    app_zalo(bot).retry_pause = 0.05
    await fake.wait_for(lambda: fake.empty_polls >= 2)  # both kinds of 408 answers
    fake.fail("getUpdates", 502, None)
    fake.fail("getUpdates", 500, {"ok": False, "error_code": 500, "description": "Internal"})
    await fake.wait_for(lambda: fake.failed_polls == 2)
    person = Person(fake, "5505")
    greeting, _menu = await person.text("/start", expect=2)
    assert greeting.text.startswith("Xin chào")


async def test_one_persons_messages_are_answered_in_order(bot, fake):
    person = Person(fake, "5506")
    for text in ("/start", "/language", "2"):
        fake.push_text(person.id, text)
    sent = await fake.wait_sent(person.id, 4)
    assert sent[0].text.startswith("Xin chào")
    assert listed(sent[2]) == ["Tiếng Việt", "English"]
    assert sent[3].text.startswith("From now on I will write in English.")


# ---------------------------------------------------------------- webhook


async def test_webhook_checks_the_secret(fake, database_url, seeded, clock, unused_tcp_port):
    settings = settings_for(
        fake,
        database_url,
        unused_tcp_port,
        zalo_mode="webhook",
        zalo_webhook_url="https://bot.example.vn/zalo/webhook",
    )
    app = build_app(settings, clock=clock)
    await app.start()
    try:
        secret = zalo_webhook_secret(settings)
        assert fake.webhook == {
            "url": "https://bot.example.vn/zalo/webhook",
            "secret_token": secret,
        }
        assert fake.methods("getUpdates") == []
        url = f"http://127.0.0.1:{app.bound_port}{WEBHOOK_PATH}"
        update = fake.make_update("6001", "/start")
        async with aiohttp.ClientSession() as http:
            for headers in ({SECRET_HEADER: "wrong-secret"}, {}, {SECRET_HEADER: secret[:-1]}):
                async with http.post(url, json=update, headers=headers) as resp:
                    assert resp.status == 403
            assert fake.by_chat["6001"] == []
            # Bare update.
            async with http.post(url, json=update, headers={SECRET_HEADER: secret}) as resp:
                assert resp.status == 200
            greeting, _menu = await fake.wait_sent("6001", 2)
            assert greeting.text.startswith("Xin chào")
            # In the {ok, result} envelope.
            wrapped = {"ok": True, "result": fake.make_update("6001", "1")}
            async with http.post(url, json=wrapped, headers={SECRET_HEADER: secret}) as resp:
                assert resp.status == 200
            (who,) = (await fake.wait_sent("6001", 3))[2:]
            assert "hỏi cho ai" in who.text
            # Garbage is accepted and ignored (nothing to retry).
            async with http.post(url, data=b"{not json", headers={SECRET_HEADER: secret}) as resp:
                assert resp.status == 200
        # Pictures are linked at the webhook's public address.
        assert app.zalo is not None and app.zalo.public_url == "https://bot.example.vn"
    finally:
        await app.stop()


# ---------------------------------------------------------------- sending


async def test_long_messages_are_split_at_2000_characters(bot, fake):
    assert app_zalo(bot) is not None
    lines = [f"Dòng {i}: " + "x" * 90 for i in range(60)]
    overlong = "y" * 4500
    reply = Reply(text="\n".join(lines) + "\n" + overlong, options=[Option("a", "Một")])
    await app_zalo(bot).deliver("7001", reply)
    parts = [s.text for s in fake.by_chat["7001"]]
    assert all(len(p) <= 2000 for p in parts)
    assert "\n".join(parts).split("\n")[:60] == lines
    assert "".join(parts).count("y") == 4500  # the overlong line cut hard, nothing lost
    assert parts[-1].endswith("\n\n1. Một")
    assert len(parts) >= 6


def test_split_text_keeps_short_texts_whole():
    assert split_text("ngắn", 2000) == ["ngắn"]
    assert split_text("a\nb", 1) == ["a", "b"]


async def test_picture_is_sent_by_a_short_lived_url(bot, fake):
    zalo = app_zalo(bot)
    chart = Attachment("image", "bieu-do.png", PNG, "image/png")
    await zalo.deliver("7002", Reply(text="Biểu đồ tháng 11", attachments=[chart]))
    text, photo = fake.by_chat["7002"]
    assert text.text == "Biểu đồ tháng 11"
    assert photo.method == "sendPhoto"
    url = photo.params["photo"]
    assert url.startswith(f"http://127.0.0.1:{bot.bound_port}/media/") and url.endswith(".png")
    token = url.rsplit("/", 1)[-1].removesuffix(".png")
    assert len(token) >= 32
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "image/png"
            assert await resp.read() == PNG
        async with http.get(url.replace(token, token[:-2] + "xx")) as resp:
            assert resp.status == 404


async def test_documents_are_sent_as_a_link(bot, fake):
    zalo = app_zalo(bot)
    report = Attachment("document", "bao-cao.csv", b"a;b\n1;2\n", "text/csv")
    await zalo.deliver("7003", Reply(text="Báo cáo", attachments=[report]))
    _text, link = fake.by_chat["7003"]
    assert link.method == "sendMessage"
    name, url = link.text.split("\n")
    assert name == "📎 bao-cao.csv" and url.endswith(".csv")
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert await resp.read() == b"a;b\n1;2\n"


def test_media_links_expire():
    now = [0.0]
    media = MediaStore(ttl=60, clock=lambda: now[0])
    path = media.put(PNG, "image/png", "x.png")
    name = path.rsplit("/", 1)[-1]
    assert media.get(name) is not None
    now[0] = 61
    assert media.get(name) is None


async def test_deliver_maps_errors(bot, fake):
    zalo = app_zalo(bot)
    hello = Reply(text="Xin chào")
    fake.fail("sendMessage", 429, {"ok": False, "error_code": 429, "description": "Too many", "parameters": {"retry_after": 7}})  # fmt: skip
    with pytest.raises(RetryLater) as err:
        await zalo.deliver("7004", hello)
    assert err.value.retry_after == 7
    fake.fail("sendMessage", 429, {"ok": False, "error_code": 429, "description": "Too many"})
    with pytest.raises(RetryLater) as err:
        await zalo.deliver("7004", hello)
    assert err.value.retry_after is None
    fake.fail("sendMessage", 503, None)
    with pytest.raises(RetryLater):
        await zalo.deliver("7004", hello)
    fake.fail("sendMessage", 200, {"ok": False, "error_code": 500, "description": "Internal"})
    with pytest.raises(RetryLater):
        await zalo.deliver("7004", hello)
    fake.blocked.add("7005")
    with pytest.raises(Unreachable):
        await zalo.deliver("7005", hello)
    fake.fail("sendMessage", 400, {"ok": False, "error_code": 400, "description": "Bad chat"})
    with pytest.raises(Rejected):
        await zalo.deliver("7004", hello)
    fake.fail("sendMessage", 404, {"ok": False, "error_code": 404, "description": "No user"})
    with pytest.raises(Rejected):
        await zalo.deliver("7004", hello)
    assert fake.by_chat["7004"] == []
    await zalo.deliver("7004", hello)  # and then it goes through
    assert [s.text for s in fake.by_chat["7004"]] == ["Xin chào"]


async def test_deliver_times_out_as_retry_later(fake, catalogs, dispatcher):
    release = asyncio.Event()

    async def slow(request):
        await release.wait()
        return aiohttp.web.json_response({"ok": True})

    app = aiohttp.web.Application()
    app.router.add_post("/bot{token}/{method}", slow)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    zalo = ZaloChannel(dispatcher, MediaStore(), token="t", base_url=f"http://127.0.0.1:{port}/bot")
    zalo._session = aiohttp.ClientSession()
    try:
        with pytest.raises(RetryLater) as err:
            await zalo.call("sendMessage", {"chat_id": "1", "text": "x"}, limit=0.2)
        assert "timed out" in err.value.reason
        # Nothing listening: also try later.
        zalo.base_url = "http://127.0.0.1:9/bot"
        with pytest.raises(RetryLater):
            await zalo.deliver("1", Reply(text="x"))
    finally:
        release.set()
        await zalo._session.close()
        await runner.cleanup()


def test_a_wrong_token_keeps_messages_for_later():
    with pytest.raises(RetryLater) as err:
        classify(
            "sendMessage", 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        )
    assert "ZALO_BOT_TOKEN" in err.value.reason
    with pytest.raises(Unreachable):
        classify(
            "sendMessage", 200, {"ok": False, "error_code": 3, "description": "User blocked bot"}
        )
    with pytest.raises(RetryLater):
        classify("sendMessage", 200, None)  # not JSON
    assert classify("sendMessage", 200, {"ok": True, "result": {"message_id": "1"}}) == {
        "message_id": "1"
    }


async def test_direct_replies_retry_a_rate_limit(bot, fake):
    fake.fail(
        "sendMessage", 429, {"ok": False, "error_code": 429, "parameters": {"retry_after": 0}}
    )
    person = Person(fake, "7006")
    greeting, _menu = await person.text("/start", expect=2)
    assert greeting.text.startswith("Xin chào")
    assert len(fake.methods("sendMessage")) == 3  # one refused, then both sent


async def test_a_slow_answer_shows_typing(fake):
    class Slow:
        async def handle(self, incoming):
            await asyncio.sleep(0.3)
            return [Reply(text=f"Chào {incoming.display_name}")]

    zalo = ZaloChannel(
        Slow(),  # type: ignore[arg-type]
        MediaStore(),
        token=fake.token,
        base_url=fake.base_url,
        rate_limit=0,
        typing_after=0.05,
    )
    zalo._session = aiohttp.ClientSession()
    try:
        await zalo.handle_update(fake.make_update("7008", "alo"))
    finally:
        await zalo._session.close()
    assert fake.methods("sendChatAction") == [{"chat_id": "7008", "action": "typing"}]
    assert [s.text for s in fake.by_chat["7008"]] == ["Chào Bà Phàm"]


async def test_rate_limit_spaces_sends(fake, dispatcher):
    zalo = ZaloChannel(
        dispatcher, MediaStore(), token=fake.token, base_url=fake.base_url, rate_limit=20
    )
    zalo._session = aiohttp.ClientSession()
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.gather(*(zalo.deliver("7007", Reply(text=str(i))) for i in range(6)))
        assert loop.time() - started >= 5 / 20 * 0.9
    finally:
        await zalo._session.close()
    assert sorted(s.text for s in fake.by_chat["7007"]) == [str(i) for i in range(6)]


# ---------------------------------------------------------------- identities


async def test_same_beneficiary_linked_from_telegram_and_zalo(
    fake, database_url, seeded, clock, db, unused_tcp_port
):
    telegram = await FakeTelegram().start()
    settings = settings_for(
        fake,
        database_url,
        unused_tcp_port,
        telegram_token=telegram.token,
        telegram_api_base_url=telegram.base_url,
        telegram_rate_limit=0,
    )
    app = build_app(settings, clock=clock)
    await app.start()
    try:
        # On Telegram (user 1234) ...
        for text in ("/status", "Cho bản thân tôi", PHAM.national_id, "15/03/1940"):
            before = len(telegram.by_chat[1234])
            telegram.push_text(1234, text)
            await telegram.wait_sent(1234, before + (2 if text == "15/03/1940" else 1))
        assert telegram.by_chat[1234][-1].text == PAID_VI
        # ... and on Zalo, whose ID happens to be the same digits.
        zalo_person = Person(fake, "1234")
        _confirmed, status = await link_pham(zalo_person)
        assert status.text.startswith(PAID_VI)
    finally:
        await app.stop()
        await telegram.stop()
    async with db.transaction() as tx:
        rows = (
            await tx.session.execute(
                select(UserRow.channel, UserRow.external_id, LinkRow.beneficiary_id)
                .join(LinkRow, LinkRow.user_id == UserRow.id)
                .order_by(UserRow.channel)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("telegram", "1234", seeded["pham"]),
        ("zalo", "1234", seeded["pham"]),
    ]


# ---------------------------------------------------------------- wiring


async def test_a_broken_zalo_does_not_stop_the_web_chat(
    database_url, seeded, clock, unused_tcp_port
):
    settings = Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        web_port=unused_tcp_port,
        zalo_token="t",
        zalo_mode="webhook",
        zalo_webhook_url="https://bot.example.vn/zalo/webhook",
        zalo_api_base_url="http://127.0.0.1:9/bot",  # nothing listens there
    )
    app = build_app(settings, clock=clock)
    await app.start()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{app.bound_port}/api/chat"
            async with http.post(url, json={"command": "start"}) as resp:
                assert resp.status == 200
                body = await resp.json()
        assert body["replies"][0]["text"].startswith("Xin chào")
    finally:
        await app.stop()


def app_zalo(app: App) -> ZaloChannel:
    assert app.zalo is not None
    return app.zalo
