"""End to end through the real python-telegram-bot Application against a
loopback fake of the Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.app import App, build_app, webhook_secret
from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH, split_text
from bot.config import Settings
from tests.conftest import PHAM, TEST_SECRET
from tests.fake_telegram import FakeTelegram, Sent

PAID_VI = (
    "Tiền trợ cấp tháng 11/2026 của Bà Nguyễn Thị Phàm: 500.000\xa0₫, "
    "đã chuyển vào tài khoản Agribank ****6789 ngày 10/11/2026."
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


def settings_for(fake: FakeTelegram, database_url: str, **kw: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "web_enabled": False,
        "telegram_token": fake.token,
        "telegram_api_base_url": fake.base_url,
        "telegram_rate_limit": 0,
        # Proactive messages and timed jobs are switched on by the tests about
        # them (``bot_delivering``): elsewhere a message pushed at any moment
        # would mix with the replies a test waits for.
        "delivery_enabled": False,
        "scheduler_enabled": False,
    }
    values.update(kw)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def bot(fake, database_url, seeded, clock) -> AsyncIterator[App]:
    app = build_app(settings_for(fake, database_url), clock=clock)
    await app.start()
    yield app
    await app.stop()


@pytest.fixture
async def bot_delivering(fake, database_url, seeded, clock) -> AsyncIterator[App]:
    """The bot with its delivery worker running, as `python -m bot run` has it."""
    app = build_app(settings_for(fake, database_url, delivery_enabled=True), clock=clock)
    assert app.progress is not None
    app.progress.interval = 0  # the test's clock stands still
    await app.start()
    yield app
    await app.stop()


class Person:
    """A Telegram user talking to the bot through the fake server."""

    def __init__(self, fake: FakeTelegram, user_id: int) -> None:
        self.fake = fake
        self.id = user_id

    async def _expect(self, expect: int) -> list[Sent]:
        before = len(self.fake.by_chat[self.id])
        return (await self.fake.wait_sent(self.id, before + expect))[before:]

    async def text(self, text: str, expect: int = 1) -> list[Sent]:
        before = len(self.fake.by_chat[self.id])
        self.fake.push_text(self.id, text)
        return (await self.fake.wait_sent(self.id, before + expect))[before:]

    async def tap(self, data: str, expect: int = 1) -> list[Sent]:
        before = len(self.fake.by_chat[self.id])
        self.fake.push_callback(self.id, data)
        return (await self.fake.wait_sent(self.id, before + expect))[before:]

    async def contact(self, phone: str, owner: int | None = None, expect: int = 1) -> list[Sent]:
        before = len(self.fake.by_chat[self.id])
        self.fake.push_contact(self.id, phone, owner)
        return (await self.fake.wait_sent(self.id, before + expect))[before:]


def inline_ids(sent: Sent) -> list[str]:
    assert sent.reply_markup and "inline_keyboard" in sent.reply_markup, sent.reply_markup
    return [row[0]["callback_data"] for row in sent.reply_markup["inline_keyboard"]]


def keyboard_labels(sent: Sent) -> list[str]:
    assert sent.reply_markup and "keyboard" in sent.reply_markup, sent.reply_markup
    return [
        b["text"] if isinstance(b, dict) else b
        for row in sent.reply_markup["keyboard"]
        for b in row
    ]


async def test_start_shows_greeting_and_persistent_menu(bot, fake):
    person = Person(fake, 1001)
    greeting, menu = await person.text("/start", expect=2)
    assert greeting.text.startswith("Xin chào Ông/Bà!")
    assert menu.reply_markup["is_persistent"] is True
    assert menu.reply_markup["resize_keyboard"] is True
    labels = keyboard_labels(menu)
    assert labels[0] == "💰 Kiểm tra tiền trợ cấp"
    assert "☎️ Liên hệ cán bộ xã" in labels


async def test_command_menu_is_set_in_vietnamese_and_english(bot, fake):
    vi = {c["command"]: c["description"] for c in fake.commands["vi"]}
    en = {c["command"]: c["description"] for c in fake.commands["en"]}
    default = {c["command"]: c["description"] for c in fake.commands[None]}
    assert vi["status"] == "Kiểm tra tiền trợ cấp"
    assert en["status"] == "Check my allowance"
    assert default == vi  # Vietnamese is the default
    assert set(vi) >= {"start", "status", "language", "help", "forget"}


async def test_link_and_status_by_taps_and_typing(bot, fake):
    person = Person(fake, 1002)
    (who,) = await person.text("💰 Kiểm tra tiền trợ cấp")
    assert "hỏi cho ai" in who.text
    # The share-contact button needs a reply keyboard: choices come with it.
    assert who.reply_markup["keyboard"][0][0]["request_contact"] is True
    (ask_id,) = await person.text("Cho bản thân tôi")
    assert "12 số" in ask_id.text
    assert inline_ids(ask_id) == ["nav:back", "nav:menu"]
    (ask_dob,) = await person.text(PHAM.national_id)
    assert "ngày sinh" in ask_dob.text
    confirmed, status = await person.text("15/03/1940", expect=2)
    assert confirmed.text.startswith("Đã xác minh: Bà Nguyễn Thị Phàm.")
    assert status.text == PAID_VI
    assert "6 tháng gần đây" in keyboard_labels(status)[-1]
    # One tap from now on, also without diacritics.
    (again,) = await person.text("tien thang nay ve chua")
    assert again.text == PAID_VI


async def test_inline_buttons_work(bot, fake):
    person = Person(fake, 1003)
    await person.text("/status")
    (ask_id,) = await person.tap("who:child")
    assert "người Ông/Bà hỏi giúp" in ask_id.text
    (back,) = await person.tap("nav:back")
    assert "hỏi cho ai" in back.text
    answered = [p for m, p in fake.calls if m == "answerCallbackQuery"]
    assert len(answered) == 2


async def test_wrong_dates_lock_the_check(bot, fake):
    person = Person(fake, 1004)
    await person.text("/status")
    await person.tap("who:self")
    for day in range(1, 5):
        await person.text(PHAM.national_id)
        (reply,) = await person.text(f"{day:02d}/01/1940")
        assert f"Số lần thử còn lại: {5 - day}." in reply.text
    await person.text(PHAM.national_id)
    (locked,) = await person.text("05/01/1940")
    assert "tạm dừng" in locked.text
    (still,) = await person.text("/status")
    assert "tạm dừng" in still.text


async def test_language_switch(bot, fake):
    person = Person(fake, 1005)
    (choose,) = await person.text("/language")
    assert inline_ids(choose) == ["lang:vi", "lang:en"]
    (done,) = await person.tap("lang:en")
    assert done.text.startswith("From now on I will write in English.")
    assert keyboard_labels(done)[0] == "💰 Check my allowance"
    (who,) = await person.text("💰 Check my allowance")
    assert "Whom are you asking for?" in who.text


async def test_own_contact_links_but_someone_elses_does_not(bot, fake):
    stranger = Person(fake, 1006)
    (reply,) = await stranger.contact("+84912000111", owner=999)  # not their own card
    assert "Đã xác minh" not in reply.text
    owner = Person(fake, 1007)
    confirmed, status = await owner.contact("84912000111", expect=2)
    assert "Đã xác minh qua số điện thoại: Bà Nguyễn Thị Phàm" in confirmed.text
    assert status.text == PAID_VI


async def test_restart_in_the_middle_of_linking(fake, database_url, seeded, clock):
    settings = settings_for(fake, database_url)
    first = build_app(settings, clock=clock)
    await first.start()
    person = Person(fake, 1008)
    await person.text("/status")
    await person.tap("who:self")
    await person.text(PHAM.national_id)
    await first.stop()
    second = build_app(settings, clock=clock)
    await second.start()
    try:
        confirmed, status = await person.text("15/03/1940", expect=2)
        assert confirmed.text.startswith("Đã xác minh")
        assert status.text == PAID_VI
    finally:
        await second.stop()


async def test_webhook_checks_the_secret_token(fake, database_url, seeded, clock, unused_tcp_port):
    settings = settings_for(
        fake,
        database_url,
        telegram_mode="webhook",
        telegram_webhook_url="https://bot.example.vn/telegram/webhook",
        web_port=unused_tcp_port,
    )
    app = build_app(settings, clock=clock)
    await app.start()
    try:
        secret = webhook_secret(settings)
        assert fake.webhook is not None
        assert fake.webhook["url"] == "https://bot.example.vn/telegram/webhook"
        assert fake.webhook["secret_token"] == secret
        url = f"http://127.0.0.1:{app.bound_port}{WEBHOOK_PATH}"
        update = fake.make_message(2001, "/start")
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update, headers={SECRET_HEADER: "wrong"}) as resp:
                assert resp.status == 403
            async with http.post(url, json=update) as resp:
                assert resp.status == 403
            assert fake.by_chat[2001] == []
            async with http.post(url, json=update, headers={SECRET_HEADER: secret}) as resp:
                assert resp.status == 200
        greeting, _menu = await fake.wait_sent(2001, 2)
        assert greeting.text.startswith("Xin chào")
    finally:
        await app.stop()


def test_long_messages_are_split_on_line_boundaries():
    lines = [f"Dòng {i}: " + "x" * 90 for i in range(100)]
    parts = split_text("\n".join(lines), limit=1000)
    assert all(len(p) <= 1000 for p in parts)
    assert "\n".join(parts).split("\n") == lines
    assert split_text("ngắn") == ["ngắn"]


async def test_persistent_menu_is_sent_again_only_when_it_changes(bot, fake):
    person = Person(fake, 1009)
    await person.text("/status")
    await person.tap("who:self")
    await person.text(PHAM.national_id)
    _confirmed, first = await person.text("15/03/1940", expect=2)
    assert keyboard_labels(first)[0] == "💰 Kiểm tra tiền trợ cấp"
    (again,) = await person.text("💰 Kiểm tra tiền trợ cấp")
    assert again.text == PAID_VI
    assert again.reply_markup is None  # the same keyboard is still on screen
    (english,) = await person.tap("lang:en")
    assert keyboard_labels(english)[0] == "💰 Check my allowance"  # changed: sent again


async def test_a_sticker_in_the_middle_of_linking_keeps_the_form(bot, fake):
    person = Person(fake, 1010)
    await person.text("/status")
    await person.tap("who:self")
    before = len(fake.by_chat[1010])
    sticker = {"file_id": "s1", "file_unique_id": "u1", "width": 512, "height": 512,
               "is_animated": False, "is_video": False, "type": "regular"}  # fmt: skip
    fake.push(fake.make_message(1010, None, sticker=sticker))
    note, again = (await fake.wait_sent(1010, before + 2))[before:]
    assert "không đọc được ảnh, nhãn dán" in note.text
    assert "số CCCD" in again.text
    (ask_dob,) = await person.text(PHAM.national_id)
    assert "ngày sinh" in ask_dob.text


async def test_officer_joins_by_deep_link_and_sends_a_list(bot, fake, db):
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
    officer = Person(fake, 3001)
    (welcome,) = await officer.text(f"/start {code}")
    assert welcome.text.startswith("Chào mừng Trần Văn Bình!")
    payments = (
        "Số CCCD;Kỳ;Số tiền;Trạng thái;Ngày chi;Ghi chú\n"
        "079045006789;11/2026;1.000.000;đã chi;21/11/2026;\n"
        "001140009999;11/2026;500.000;đã chi;21/11/2026;\n"
    )
    before = len(fake.by_chat[3001])
    fake.push_document(3001, "chi-tra-T11.csv", payments.encode())
    received, summary, report = (await fake.wait_sent(3001, before + 3))[before:]
    assert received.text == "Đã nhận chi-tra-T11.csv. Đang kiểm tra và nhập…"
    assert "Chưa nhập gì cả, vì có 1 dòng bị lỗi; tệp báo cáo gửi kèm" in summary.text
    assert report.method == "sendDocument"
    (filename, content) = report.params["_files"]["document"]
    assert filename == "chi-tra-T11.report.csv"
    assert "*********999" in content.decode("utf-8-sig") and "001140009999" not in content.decode(
        "utf-8-sig"
    )
    # Fixed and sent again: it goes in, and the citizen sees it at once.
    before = len(fake.by_chat[3001])
    fake.push_document(
        3001,
        "chi-tra-T11.csv",
        payments.splitlines(keepends=True)[0].encode()
        + payments.splitlines(keepends=True)[1].encode(),
    )
    _received, summary = (await fake.wait_sent(3001, before + 2))[before:]
    assert "Chuyển sang đã chi: 1" in summary.text and "Đã nhập xong." in summary.text
    citizen = Person(fake, 3002)
    await citizen.text("/status")
    await citizen.tap("who:self")
    await citizen.text("079045006789")
    _confirmed, status = await citizen.text("02/07/1945", expect=2)
    assert "Ông Lê Văn Tư: 1.000.000\xa0₫, đã chi trả qua bưu điện ngày 21/11/2026." in status.text


async def test_an_officer_gets_the_trend_chart_and_a_list_file(bot, fake, db):
    from datetime import timedelta

    from handlers.officer import new_invite_code
    from tests.conftest import NOW

    code = new_invite_code()
    async with db.transaction() as tx:
        await tx.officers.create_invite(
            code, commune_code="99001", name="Trần Văn Bình", now=NOW,
            expires_at=NOW + timedelta(days=7),
        )  # fmt: skip
    officer = Person(fake, 3101)
    (welcome,) = await officer.text(f"/start {code}")
    keyboard = [b["text"] for row in welcome.reply_markup["keyboard"] for b in row]
    assert "📊 Báo cáo" in keyboard  # on the persistent menu
    (menu,) = await officer.text("📊 Báo cáo")
    assert menu.text.startswith("Báo cáo tháng 11/2026")
    text, photo = await officer.tap("rep:trend", expect=2)
    assert "• 11/2026: 50,0\xa0% (1 trên 2)" in text.text
    assert photo.method == "sendPhoto"
    (filename, content) = photo.params["_files"]["photo"]
    assert content.startswith(b"\x89PNG")
    await officer.tap("rep:list:cash:1")
    text, document = await officer.tap("rep:xlsx:cash", expect=2)
    assert document.method == "sendDocument"
    assert document.params["_files"]["document"][0] == "cash-2026-11.xlsx"


async def test_allowance_news_arrives_as_a_message_with_buttons(
    bot_delivering, fake, db, clock, tmp_path
):
    """End to end: an English-speaking relative links, the commune imports the
    December list, and the running bot's delivery worker tells them, with an
    inline button that turns the messages off."""
    from handlers.importing.service import run_import

    person = Person(fake, 4001)
    await person.text("/language")
    await person.tap("lang:en")
    await person.text("/status")
    await person.tap("who:child")
    await person.text(PHAM.national_id)
    await person.text(PHAM.date_of_birth.strftime("%d/%m/%Y"), expect=2)
    path = tmp_path / "chi-tra-T12.csv"
    path.write_text(
        "Số CCCD;Kỳ;Số tiền;Trạng thái;Ngày chi\n"
        f"{PHAM.national_id};12/2026;500.000;đã chi;10/12/2026\n",
        encoding="utf-8",
    )
    summary = await run_import(
        db, path, "payments", translator=bot_delivering.catalogs.get("vi"), clock=clock,
        catalogs=bot_delivering.catalogs,
    )  # fmt: skip
    assert summary.notified == 1
    (news,) = await person._expect(1)
    assert news.text == (
        "News about the allowance: The allowance for 12/2026 for Ms Nguyễn Thị Phàm: ₫500,000, "
        "transferred into the Agribank account ****6789 on 10/12/2026."
    )
    assert inline_ids(news)[1] == "notify:off"
    (done,) = await person.tap("notify:off")
    assert done.text.startswith("Done. I will not send you payment messages any more.")
    async with db.transaction() as tx:
        assert await tx.outbox.counts("payment") == {"sent": 1}
