"""SMS end to end through the bot's SMS channel against a loopback fake
gateway (tests/fake_sms.py): status by SMS from a feature phone, opt-out
and opt-in, the inbound secret, sending with segments counted, and 5xx and
timeouts retried by the delivery worker."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.app import App, build_app
from bot.channels.base import Rejected, RetryLater
from bot.channels.sms import INBOUND_PATH, SECRET_HEADER, GatewayConfig, SmsChannel, classify
from bot.config import Settings
from bot.delivery import ChannelLimits, DeliveryConfig, DeliveryWorker
from handlers.sms_text import plain, segments
from handlers.types import Reply
from tests.bot.test_delivery import drain
from tests.conftest import TEST_SECRET
from tests.fake_sms import AUTH, FakeSmsGateway

INBOUND_SECRET = "sms-inbound-secret-0123456789"
PHAM_PHONE = "+84912000111"
PHAM_RELATIVE = "+84987000222"
STRANGER = "+84911999888"
PAID_VI = (
    "Tro cap thang 11/2026 cua Ba Nguyen Thi Pham: 500.000 VND, "
    "da chuyen vao TK Agribank ****6789 ngay 10/11/2026."
)
PAID_EN = (
    "Allowance 11/2026 for Ms Nguyen Thi Pham: VND500,000, transferred into Agribank ****6789 "
    "on 10/11/2026."
)
HELP_VI = (
    "Dich vu tro cap: nhan TC de xem tien tro cap thang nay, TU CHOI de khong nhan tin nua, "
    "EN de nhan tieng Anh, VI de nhan tieng Viet."
)


@pytest.fixture
async def gateway() -> AsyncIterator[FakeSmsGateway]:
    server = await FakeSmsGateway().start()
    yield server
    await server.stop()


def settings_for(gateway: FakeSmsGateway, database_url: str, port: int, **kw: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "web_enabled": False,
        "web_port": port,
        "sms_send_url": gateway.url,
        "sms_auth_header": f"Authorization: {AUTH}",
        "sms_inbound_secret": INBOUND_SECRET,
        "delivery_enabled": False,
        "scheduler_enabled": False,
        "delivery_timeout": 0.3,
    }
    values.update(kw)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def bot(gateway, database_url, seeded, clock, unused_tcp_port) -> AsyncIterator[App]:
    app = build_app(settings_for(gateway, database_url, unused_tcp_port), clock=clock)
    await app.start()
    yield app
    await app.stop()


async def text_in(
    app: App, sender: str, text: str, *, secret: str | None = INBOUND_SECRET, form: bool = True
) -> int:
    """The gateway forwards an incoming SMS to the bot; the HTTP status."""
    url = f"http://127.0.0.1:{app.bound_port}{INBOUND_PATH}"
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    body = {"from": sender, "text": text}
    async with aiohttp.ClientSession() as session:
        kwargs: dict = {"data": body} if form else {"json": body}
        async with session.post(url, headers=headers, **kwargs) as resp:
            return resp.status


async def test_a_known_number_gets_this_months_status_without_diacritics(bot, gateway):
    assert await text_in(bot, "0912 000 111", "tc") == 200
    assert gateway.to(PHAM_PHONE) == [PAID_VI]
    # The relative's phone, any keyword, with diacritics and in capitals, as JSON.
    assert await text_in(bot, "84987000222", "Trợ Cấp", form=False) == 200
    assert gateway.to(PHAM_RELATIVE) == [PAID_VI]
    assert await text_in(bot, "+84987000222", "TIEN") == 200
    assert gateway.to(PHAM_RELATIVE) == [PAID_VI, PAID_VI]
    assert all(segments(s.text) == 1 for s in gateway.sent)


async def test_an_unknown_number_learns_nothing(bot, gateway):
    assert await text_in(bot, "0911999888", "TC") == 200
    [answer] = gateway.to(STRANGER)
    assert answer == (
        "So dien thoai nay khong xem duoc thong tin tro cap qua tin nhan. "
        "Ong/Ba vui long lien he can bo xa."
    )
    assert "Pham" not in answer and "500" not in answer


async def test_english_when_the_number_has_chosen_english(bot, gateway):
    await text_in(bot, STRANGER, "hello")
    async with bot.db.transaction() as tx:
        await tx.users.set_locale(await tx.sms.ensure_user(PHAM_PHONE, "vi"), "en")
    await text_in(bot, PHAM_PHONE, "tc")
    assert gateway.to(PHAM_PHONE) == [PAID_EN]
    await text_in(bot, PHAM_PHONE, "what?")
    assert gateway.to(PHAM_PHONE)[-1] == (
        "Allowance service: text TC for this month's allowance, TU CHOI to stop these messages, "
        "EN for English, VI for Vietnamese."
    )
    # Anything else gets what can be texted, in Vietnamese by default.
    assert gateway.to(STRANGER) == [HELP_VI]


async def test_answers_are_limited_to_ten_a_day_per_number(bot, gateway, clock):
    from datetime import timedelta

    for text in ["tc", "TC", "hello", "Trợ cấp", "tien", "tc", "tc", "?", "tc", "tc"]:
        await text_in(bot, PHAM_PHONE, text)
    answers = gateway.to(PHAM_PHONE)
    assert len(answers) == 10 and answers.count(PAID_VI) == 8
    # The 11th gets one short notice that reveals nothing; after it, silence.
    await text_in(bot, PHAM_PHONE, "tc")
    assert gateway.to(PHAM_PHONE)[-1] == (
        "So nay da duoc tra loi 10 lan hom nay. Ong/Ba vui long nhan lai vao ngay mai."
    )
    for text in ["tc", "TU CHOI", "en"]:
        await text_in(bot, PHAM_PHONE, text)
    assert len(gateway.to(PHAM_PHONE)) == 11
    async with bot.db.transaction() as tx:
        user = await tx.users.get(await tx.sms.ensure_user(PHAM_PHONE, "vi"))
        assert user is not None and user.locale == "vi"  # nothing else done past the limit
        # ... but an opt-out is always honoured (without an answer past the limit).
        assert await tx.sms.opted_out(user.id)
        await tx.sms.set_opt_out(user.id, None)
    # Another number is not held back; the next day (Vietnam time) starts again.
    await text_in(bot, PHAM_RELATIVE, "tc")
    assert gateway.to(PHAM_RELATIVE) == [PAID_VI]
    clock.now += timedelta(days=1)
    await text_in(bot, PHAM_PHONE, "tc")
    assert gateway.to(PHAM_PHONE)[-1] == PAID_VI


async def four_tc_with_a_limit_of_two(gateway, database_url, clock, port) -> None:
    """Four "tc" from one number with SMS_ANSWERS_PER_DAY=2: two answers, one notice."""
    app = build_app(settings_for(gateway, database_url, port, sms_answers_per_day=2), clock=clock)
    await app.start()
    try:
        for _ in range(4):
            await text_in(app, PHAM_PHONE, "tc")
    finally:
        await app.stop()
    assert gateway.to(PHAM_PHONE) == [
        PAID_VI,
        PAID_VI,
        "So nay da duoc tra loi 2 lan hom nay. Ong/Ba vui long nhan lai vao ngay mai.",
    ]


async def test_the_daily_limit_is_a_setting(gateway, database_url, seeded, clock, unused_tcp_port):
    await four_tc_with_a_limit_of_two(gateway, database_url, clock, unused_tcp_port)


async def test_stop_at_the_limit_is_confirmed_instead_of_the_notice(
    gateway, database_url, seeded, clock, unused_tcp_port, db
):
    app = build_app(
        settings_for(gateway, database_url, unused_tcp_port, sms_answers_per_day=1), clock=clock
    )
    await app.start()
    try:
        await text_in(app, PHAM_PHONE, "tc")
        await text_in(app, PHAM_PHONE, "Từ chối")
        await text_in(app, PHAM_PHONE, "stop")
    finally:
        await app.stop()
    assert gateway.to(PHAM_PHONE) == [
        PAID_VI,
        "Ong/Ba se khong nhan tin nhan tu dich vu tro cap nua. Nhan DONG Y de nhan lai.",
    ]
    async with db.transaction() as tx:
        assert await tx.sms.opted_out(await tx.sms.ensure_user(PHAM_PHONE, "vi"))


async def test_a_wrong_or_missing_secret_is_refused(bot, gateway):
    assert await text_in(bot, PHAM_PHONE, "tc", secret="wrong-secret") == 403
    assert await text_in(bot, PHAM_PHONE, "tc", secret=None) == 403
    assert gateway.sent == []
    async with bot.db.transaction() as tx:
        _user, created = await tx.users.get_or_create("sms", tx.sms.identity(PHAM_PHONE), "vi")
    assert created  # the refused requests reached nothing
    # The secret as a query parameter works (gateways that can only set a URL).
    url = f"http://127.0.0.1:{bot.bound_port}{INBOUND_PATH}?secret={INBOUND_SECRET}"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data={"from": PHAM_PHONE, "text": "tc"}) as resp:
            assert resp.status == 200
    assert gateway.to(PHAM_PHONE) == [PAID_VI]
    # Not a phone number: refused without an answer.
    assert await text_in(bot, "12", "tc") == 400


async def sms_on(db, budget: int | None = None) -> int:
    async with db.transaction() as tx:
        assert await tx.sms.configure("99001", True, budget)
        return await tx.sms.sync_links("99001", True, "vi")


async def test_opt_out_holds_messages_until_opt_in(bot, gateway, db, catalogs):
    assert await sms_on(db) == 1  # Phàm has a phone; Tư has none
    await text_in(bot, PHAM_PHONE, "Từ chối")
    assert gateway.to(PHAM_PHONE) == [
        "Ong/Ba se khong nhan tin nhan tu dich vu tro cap nua. Nhan DONG Y de nhan lai."
    ]
    async with db.transaction() as tx:
        user_id = await tx.sms.ensure_user(PHAM_PHONE, "vi")
        await tx.outbox.enqueue(
            key="t:1", user_id=user_id, kind="test", text="Nhắc lịch", now=bot.dispatcher.clock()
        )
    worker = DeliveryWorker(db, {"sms": bot.sms}, _config())
    counts = await drain(worker, db)
    assert "sent" not in counts
    assert len(gateway.to(PHAM_PHONE)) == 1
    await text_in(bot, PHAM_PHONE, "start")
    assert gateway.to(PHAM_PHONE)[-1] == (
        "Ong/Ba se nhan lai tin nhan tu dich vu tro cap. Nhan TU CHOI de dung."
    )
    async with db.transaction() as tx:
        await tx.outbox.enqueue(
            key="t:2", user_id=user_id, kind="test", text="Nhắc lịch 2", now=bot.dispatcher.clock()
        )
    counts = await drain(DeliveryWorker(db, {"sms": bot.sms}, _config()), db)
    assert counts.get("sent") == 1
    assert gateway.to(PHAM_PHONE)[-1] == "Nhac lich 2"


def _config() -> DeliveryConfig:
    return DeliveryConfig(
        limits={"sms": ChannelLimits(rate=0, chat_interval=0)},
        backoff_base=0.05,
        idle=0.05,
        quiet=None,
    )


async def test_the_worker_retries_5xx_and_timeouts_and_counts_segments(
    gateway, db, seeded, dispatcher, clock
):
    await sms_on(db)
    channel = SmsChannel(
        dispatcher,
        GatewayConfig(send_url=gateway.url, auth_header=f"Authorization: {AUTH}", timeout=0.3),
    )
    await channel.start()
    try:
        long_vi = "Thông báo: " + "tiền trợ cấp đã về " * 12
        phones = [f"+8491200{n:04d}" for n in range(5)]
        async with db.transaction() as tx:
            for n, phone in enumerate(phones):
                user_id = await tx.sms.ensure_user(phone, "vi")
                await tx.links.add(user_id, seeded["pham"], "other", "sms")
                await tx.outbox.enqueue(
                    key=f"t:{n}", user_id=user_id, kind="test", text=long_vi, now=clock()
                )
        gateway.failures.extend([500, "slow", 503])
        worker = DeliveryWorker(db, {"sms": channel}, _config(), rng=random.Random(1))
        counts = await drain(worker, db)
        assert counts == {"sent": 5}
        assert sorted(s.to for s in gateway.sent) == phones
        assert gateway.refused["500"] == 1 and gateway.refused["503"] == 1
        assert gateway.refused["slow"] == 1
        text = gateway.sent[0].text
        assert text.startswith("Thong bao: tien tro cap da ve")
        assert len(text) > 160 and segments(text) == 2
        assert channel.sent_segments == 10
        async with db.transaction() as tx:
            rows = await tx.outbox.by_kind("test")
        assert sum(r.attempts for r in rows) == 3
    finally:
        await channel.stop()


async def test_get_and_form_gateways_and_unicode(gateway, dispatcher):
    gateway.to_param, gateway.text_param = "phone", "message"
    for method, json in (("GET", False), ("POST", False)):
        channel = SmsChannel(
            dispatcher,
            GatewayConfig(
                send_url=gateway.url,
                method=method,
                json=json,
                auth_header=f"Authorization: {AUTH}",
                to_param="phone",
                text_param="message",
                unicode=True,
            ),
        )
        await channel.start()
        await channel.reply(PHAM_PHONE, Reply(text="Tiền đã về"))
        await channel.stop()
    assert gateway.methods == ["GET", "POST"]
    assert [s.text for s in gateway.sent] == ["Tiền đã về", "Tiền đã về"]


async def test_gateway_answers_map_to_what_the_worker_does(gateway, dispatcher):
    channel = SmsChannel(dispatcher, GatewayConfig(send_url=gateway.url, auth_header=""))
    await channel.start()
    try:
        with pytest.raises(RetryLater, match="SMS_AUTH_HEADER"):
            await channel.reply(PHAM_PHONE, Reply(text="x"))
    finally:
        await channel.stop()
    classify(200)
    with pytest.raises(RetryLater) as err:
        classify(429, {"Retry-After": "7"})
    assert err.value.retry_after == 7.0
    with pytest.raises(RetryLater):
        classify(502)
    with pytest.raises(Rejected):
        classify(400)
    with pytest.raises(Rejected):
        classify(404)
    with pytest.raises(RetryLater, match="not running"):
        await SmsChannel(dispatcher, GatewayConfig(send_url=gateway.url)).reply("+84", Reply("x"))


def test_segments_gsm7_and_ucs2():
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2 and segments("a" * 307) == 3
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # two units each
    assert segments("ệ" * 70) == 1 and segments("ệ" * 71) == 2
    assert segments("ệ" * 134) == 2 and segments("ệ" * 135) == 3
    assert plain("Đồng ý — “Ông” 💰") == 'Dong y - "Ong"'


async def test_payment_reminders_reach_a_phone_with_no_messenger_only_when_sms_is_on(
    bot, gateway, db, catalogs
):
    from handlers.reminders import queue_payment_reminders
    from tests.handlers.test_reminders import vn

    at = vn(2026, 12, 8, 8, 5)
    async with db.transaction() as tx:
        assert await queue_payment_reminders(tx, catalogs, at) == 0  # nobody linked yet
    await sms_on(db)
    async with db.transaction() as tx:
        assert await queue_payment_reminders(tx, catalogs, at) == 1
    worker = DeliveryWorker(db, {"sms": bot.sms}, _config(), clock=lambda: at)
    counts = await drain(worker, db)
    assert counts == {"sent": 1}
    [reminder] = gateway.to(PHAM_PHONE)
    # The short form: one SMS.
    assert reminder == (
        "Xa Hoa An: tro cap thang 12/2026 cua Ba Nguyen Thi Pham (500.000 VND) thuong chi "
        "khoang ngay 10/12/2026. Nhan TC de xem."
    )
    # Turned off: the links made for SMS go, and nothing more is queued.
    async with db.transaction() as tx:
        await tx.sms.configure("99001", False, None)
        assert await tx.sms.sync_links("99001", False, "vi") == 0
        assert await tx.sms.recipients("99001") == 0
        assert await queue_payment_reminders(tx, catalogs, vn(2027, 1, 8, 8, 5)) == 0


async def test_phones_are_stored_encrypted(bot, gateway, db):
    from sqlalchemy import select

    from storage.models import UserRow

    await sms_on(db)
    await text_in(bot, STRANGER, "tc")
    async with db.transaction() as tx:
        rows = (await tx.session.execute(select(UserRow).where(UserRow.channel == "sms"))).scalars()
        stored = [(r.external_id, r.phone_enc) for r in rows]
    assert len(stored) == 2
    for external_id, phone_enc in stored:
        assert "849" not in external_id and phone_enc and "849" not in phone_enc
        assert db.vault.decrypt(phone_enc) in (PHAM_PHONE, STRANGER)


async def test_a_person_on_a_messenger_gets_no_sms_as_well(db, seeded):
    async with db.transaction() as tx:
        web, _ = await tx.users.get_or_create("web", "pham", "vi")
        await tx.links.add(web.id, seeded["pham"], "self", "id_dob")
    assert await sms_on(db) == 0


async def test_the_monthly_budget_stops_sms_and_tells_the_officers(bot, gateway, db, clock):
    from tests.handlers.test_volunteer import _officer

    officer = await _officer(bot.dispatcher, db)
    assert "Trần Văn Bình" in officer.text
    await sms_on(db, budget=2)
    async with db.transaction() as tx:
        user_id = await tx.sms.ensure_user(PHAM_PHONE, "vi")
        for n in range(3):
            await tx.outbox.enqueue(
                key=f"b:{n}", user_id=user_id, kind="test", text=f"Tin {n}", now=clock()
            )
    counts = await drain(DeliveryWorker(db, {"sms": bot.sms, "web": _Inbox()}, _config()), db)
    assert counts["sent"] == 2 + 1  # two SMS, and the officer's notice
    assert gateway.to(PHAM_PHONE) == ["Tin 0", "Tin 1"]
    async with db.transaction() as tx:
        [third] = [r for r in await tx.outbox.by_kind("test") if r.status != "sent"]
        assert third.status == "failed" and "budget" in (third.last_error or "")
        [notice] = await tx.outbox.by_kind("sms_budget")
        assert await tx.sms.used("99001", "2026-11") == 2
    assert notice.text == BUDGET_NOTICE_VI


BUDGET_NOTICE_VI = (
    "Ngân sách tin nhắn SMS tháng này của Xã Hòa An (2 tin) đã hết: sẽ không gửi thêm tin "
    "nhắc, tin báo hay thông báo qua SMS đến tháng sau; người dân nhắn tin hỏi vẫn được trả "
    "lời. Tin nhắn trên Telegram, Zalo và web vẫn gửi bình thường. Để gửi thêm, xin nhờ quản "
    "trị viên tăng ngân sách."
)


class _Inbox:
    name = "web"

    def __init__(self) -> None:
        self.got: list[str] = []

    async def deliver(self, external_id: str, reply: Reply) -> None:
        self.got.append(reply.text)


async def test_commune_sms_from_the_command_line(seeded, db, database_url, tmp_path, monkeypatch):
    from datetime import datetime

    from handlers.core import VN_TZ
    from tests.bot.test_import_cli import _bot
    from tests.conftest import NOW

    # Without a gateway SMS cannot be turned on: nothing could send them.
    monkeypatch.delenv("SMS_SEND_URL", raising=False)
    no_gateway = _bot(["commune", "sms", "99001", "on"], database_url, tmp_path)
    assert no_gateway.returncode == 1
    assert "chưa có cổng SMS" in no_gateway.stderr
    async with db.transaction() as tx:
        assert await tx.sms.recipients("99001") == 0
    monkeypatch.setenv("SMS_SEND_URL", "http://127.0.0.1:9/send")
    monkeypatch.setenv("SMS_INBOUND_SECRET", "s" * 20)
    missing = _bot(["commune", "sms", "00000", "on"], database_url, tmp_path)
    assert missing.returncode == 1
    done = _bot(["commune", "sms", "99001", "on", "--budget", "500"], database_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Đã bật gửi SMS cho xã 99001; số người nhận được tin qua SMS: 1.",
        "Ngân sách SMS mỗi tháng: 500 tin; tháng này đã dùng: 0.",
    ]
    async with db.transaction() as tx:
        settings = await tx.sms.settings("99001")
        assert settings is not None and settings.enabled and settings.budget == 500
        assert await tx.sms.recipients("99001") == 1
        # The command counts the month it runs in (Vietnam time).
        await tx.sms.add_usage("99001", datetime.now(VN_TZ).strftime("%Y-%m"), 7)
    # Run again after an import, without --budget: the budget stays.
    again = _bot(["commune", "sms", "99001", "on"], database_url, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Ngân sách SMS mỗi tháng: 500 tin; tháng này đã dùng: 7." in again.stdout
    async with db.transaction() as tx:
        settings = await tx.sms.settings("99001")
        assert settings is not None and settings.budget == 500
        user_id = await tx.sms.ensure_user(PHAM_PHONE, "vi")
        await tx.outbox.enqueue(key="w:1", user_id=user_id, kind="test", text="Tin", now=NOW)
    off = _bot(["commune", "sms", "99001", "off"], database_url, tmp_path)
    assert off.returncode == 0
    assert off.stdout.splitlines() == [
        "Đã tắt SMS cho xã 99001; số tin SMS đang chờ gửi đã bị hủy: 1.",
        "Ngân sách SMS mỗi tháng: 500 tin; tháng này đã dùng: 7.",
    ]
    async with db.transaction() as tx:
        assert await tx.sms.recipients("99001") == 0
        [row] = await tx.outbox.for_user(user_id)
        assert row.status == "cancelled"
        settings = await tx.sms.settings("99001")
        assert settings is not None and not settings.enabled and settings.budget == 500
    # --no-budget takes the limit away.
    unlimited = _bot(["commune", "sms", "99001", "on", "--no-budget"], database_url, tmp_path)
    assert unlimited.returncode == 0, unlimited.stderr
    assert "Ngân sách SMS mỗi tháng: không giới hạn; tháng này đã dùng: 7." in unlimited.stdout
    async with db.transaction() as tx:
        settings = await tx.sms.settings("99001")
        assert settings is not None and settings.enabled and settings.budget is None


async def test_broadcast_preview_shows_sms_recipients_and_segments(bot, gateway, db):
    from tests.handlers.test_broadcast import NAM, _compose, _officer, _outbox

    async with db.transaction() as tx:
        await tx.beneficiaries.add(NAM)
    assert await sms_on(db, budget=100) == 2  # Phàm's phone and Năm's
    officer = await _officer(bot.dispatcher, db)
    text = (
        "Mời bà con mang thẻ căn cước đến nhận tiền tại nhà văn hóa thôn lúc 8 giờ sáng mai. " * 2
    )
    assert len(plain(text.strip())) > 160
    await _compose(officer, "all", text.strip())
    assert (
        "Qua SMS: 2 người nhận, mỗi người 2 tin SMS (tổng cộng 4 tin); tin SMS gửi không dấu."
        in officer.text
    )
    assert "Ngân sách SMS tháng này: đã dùng 0 trên 100 tin." in officer.text
    await officer.tap("lang:en")
    await officer.tap("bc:menu")
    await officer.tap("bc:new")
    await officer.tap("bc:aud:all")
    await officer.say("Hop thon luc 8 gio.")
    await officer.tap("bc:skip_en")
    assert "By SMS: 2 of the recipients, 1 SMS each (2 SMS in all)" in officer.text
    await officer.tap("bc:send")
    rows = await _outbox(db)
    # The identities are the phones' lookup hashes, never the phones.
    assert set(rows) == {db.vault.lookup_hash(PHAM_PHONE), db.vault.lookup_hash("+84913000444")}
    counts = await drain(DeliveryWorker(db, {"sms": bot.sms}, _config()), db)
    assert counts == {"sent": 2}
    assert gateway.to("+84913000444") == ["Thong bao tu Xa Hoa An:\nHop thon luc 8 gio."]


async def test_the_hourly_job_reaches_people_added_after_sms_was_turned_on(db, seeded, catalogs):
    from handlers.sms import refresh_sms_links
    from tests.conftest import NOW
    from tests.handlers.test_broadcast import NAM

    async with db.transaction() as tx:
        assert await refresh_sms_links(tx, catalogs, NOW) == 0  # no commune has SMS on
    assert await sms_on(db) == 1
    async with db.transaction() as tx:
        await tx.beneficiaries.add(NAM)  # an import adds Năm, who has a phone
        assert await refresh_sms_links(tx, catalogs, NOW) == 2
        assert await tx.sms.recipients("99001") == 2


BEN_HEAD = (
    "STT;Họ và tên;Số CCCD;Ngày sinh;Mã xã;Thôn;Đối tượng;Mức hưởng;Hình thức nhận;Ngân hàng;"
    "Số tài khoản;Số điện thoại"
)


async def _import_phone(db, tmp_path, phone: str, name: str):
    from handlers.i18n import Catalogs
    from handlers.importing.service import run_import

    path = tmp_path / name
    path.write_text(
        BEN_HEAD + "\n1;Nguyễn Thị Phàm;001140001234;15/03/1940;99001;Thôn Đông;người cao tuổi;"
        f"500.000;ngân hàng;Agribank;1234000056789;{phone}\n",
        encoding="utf-8",
    )
    result = await run_import(db, path, "beneficiaries", translator=Catalogs().get("vi"))
    assert result.outcome == "applied", result


async def test_a_changed_phone_stops_sms_to_the_old_number(bot, gateway, db, catalogs, tmp_path):
    from handlers.sms import refresh_sms_links
    from tests.conftest import NOW
    from tests.handlers.test_payment_news import _import

    old, new = "+84912000333", "+84912000444"
    await _import_phone(db, tmp_path, "0912000333", "ds1.csv")
    assert await sms_on(db) == 1
    async with db.transaction() as tx:
        old_id = await tx.sms.ensure_user(old, "vi")
        await tx.outbox.enqueue(key="o:1", user_id=old_id, kind="test", text="Tin", now=NOW)
    # The same citizen ID with a new phone; the number 0912000333 may go to someone else.
    await _import_phone(db, tmp_path, "0912000444", "ds2.csv")
    async with db.transaction() as tx:  # at once, not only at the next hourly job
        assert await tx.sms.recipients("99001") == 1
        assert await tx.sms.commune_of(tx.sms.identity(old)) is None
        [waiting] = await tx.outbox.for_user(old_id)
    async with db.transaction() as tx:
        assert await refresh_sms_links(tx, catalogs, NOW) == 1
        assert await tx.sms.recipients("99001") == 1
    assert waiting.status == "cancelled"  # queued for the old number: never sent
    summary = await _import(db, tmp_path, "001140001234;12/2026;500000;hoàn trả;;sai số\n")
    assert summary.notified == 1
    counts = await drain(DeliveryWorker(db, {"sms": bot.sms}, _config()), db)
    assert counts == {"sent": 1, "cancelled": 1}  # the news, and what waited for the old one
    assert gateway.to(old) == []
    [news] = gateway.to(new)
    assert "Nguyen Thi Pham" in news and "sai so" in news


async def test_the_daily_limit_holds_in_the_small_hours_vietnam_time(
    gateway, database_url, seeded, clock, unused_tcp_port
):
    from datetime import UTC, datetime

    clock.now = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)  # 02:00 on the 21st in Vietnam
    await four_tc_with_a_limit_of_two(gateway, database_url, clock, unused_tcp_port)
