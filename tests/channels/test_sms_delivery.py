"""SMS as a person with a feature phone and a commune officer meet it,
through the SMS channel against the loopback fake gateway: the short form of
each proactive message in the number's own language, keywords typed any
way (with or without diacritics, lower case, typos), the monthly budget
reserved atomically (also under concurrent sends, on SQLite and
PostgreSQL) and told to the officers once, answers counted but never
refused, the broadcast preview's cost with diacritics kept, and messages
cancelled when a commune turns SMS off."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.channels.base import Rejected, RetryLater
from bot.channels.sms import GatewayConfig, SmsChannel
from bot.delivery import DeliveryWorker
from handlers.sms_text import segments
from handlers.types import Reply
from storage.sms import CANCELLED_SMS_OFF
from tests.bot.test_delivery import drain
from tests.channels.test_sms import (
    BUDGET_NOTICE_VI,
    PAID_EN,
    PAID_VI,
    PHAM_PHONE,
    PHAM_RELATIVE,
    _config,
    _Inbox,
    settings_for,
    sms_on,
    text_in,
)
from tests.fake_sms import AUTH, FakeSmsGateway


@pytest.fixture
async def gateway() -> AsyncIterator[FakeSmsGateway]:
    server = await FakeSmsGateway().start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(gateway, database_url, seeded, clock, unused_tcp_port) -> AsyncIterator[App]:
    app = build_app(settings_for(gateway, database_url, unused_tcp_port), clock=clock)
    await app.start()
    yield app
    await app.stop()


# ---------------------------------------------------------------- keywords


@pytest.mark.parametrize(
    "typed",
    ["tc", "TC", "T C", "tc.", "Tc nhé", "TRỢ CẤP", "tro cap", "trocap", "tiền", "tienn",
     "tien thang nay ve chua", "Tiền trợ cấp", "status", "Allowance?", "vì sao chưa có tiền"],
)  # fmt: skip
async def test_status_however_it_is_typed(bot, gateway, typed):
    await text_in(bot, PHAM_PHONE, typed)
    assert gateway.to(PHAM_PHONE) == [PAID_VI]  # in Vietnamese: no language was chosen


async def test_english_and_vietnamese_by_sms(bot, gateway, db):
    await text_in(bot, PHAM_PHONE, "english")
    assert gateway.to(PHAM_PHONE) == [
        "From now on you get SMS in English. Text TC for your allowance, VI for Vietnamese."
    ]
    await text_in(bot, PHAM_PHONE, "tc")
    assert gateway.to(PHAM_PHONE)[-1] == PAID_EN
    await text_in(bot, PHAM_PHONE, "Tiếng Việt")
    assert gateway.to(PHAM_PHONE)[-1] == (
        "Tu nay Ong/Ba nhan tin nhan bang tieng Viet. Nhan TC de xem tien tro cap, EN de nhan "
        "tieng Anh."
    )
    await text_in(bot, PHAM_PHONE, "tc")
    assert gateway.to(PHAM_PHONE)[-1] == PAID_VI
    for typed, locale in [("EN", "en"), ("vi", "vi"), ("Englsh", "en"), ("tiengviet", "vi"),
                          ("tiếng anh", "en"), ("VN", "vi")]:  # fmt: skip
        await text_in(bot, PHAM_RELATIVE, typed)
        async with db.transaction() as tx:
            user = await tx.users.get(await tx.sms.ensure_user(PHAM_RELATIVE, "vi"))
        assert user is not None and user.locale == locale, typed


@pytest.mark.parametrize("typed", ["Từ chối", "tu choi.", "TUCHOI", "stop"])
async def test_opt_out_however_it_is_typed(bot, gateway, db, typed):
    await text_in(bot, PHAM_PHONE, typed)
    assert gateway.to(PHAM_PHONE) == [
        "Ong/Ba se khong nhan tin nhan tu dich vu tro cap nua. Nhan DONG Y de nhan lai."
    ]
    async with db.transaction() as tx:
        assert await tx.sms.opted_out(await tx.sms.ensure_user(PHAM_PHONE, "vi"))
    await text_in(bot, PHAM_PHONE, "Đồng ý")
    async with db.transaction() as tx:
        assert not await tx.sms.opted_out(await tx.sms.ensure_user(PHAM_PHONE, "vi"))


@pytest.mark.parametrize(
    "typed", ["KHONG DONG Y", "khong dong y nhan tin", "Không đồng ý.", "stat"]
)
async def test_a_negated_or_mistyped_opt_in_does_not_turn_sms_back_on(bot, gateway, db, typed):
    await text_in(bot, PHAM_PHONE, "TU CHOI")
    await text_in(bot, PHAM_PHONE, typed)
    async with db.transaction() as tx:
        assert await tx.sms.opted_out(await tx.sms.ensure_user(PHAM_PHONE, "vi"))
    assert not any("se nhan lai" in text for text in gateway.to(PHAM_PHONE))


@pytest.mark.parametrize("typed", ["KHONG DONG Y", "khong dong y nhan tin", "ko đồng ý"])
async def test_not_agreeing_is_an_opt_out(bot, gateway, db, typed):
    await text_in(bot, PHAM_PHONE, typed)
    assert gateway.to(PHAM_PHONE) == [
        "Ong/Ba se khong nhan tin nhan tu dich vu tro cap nua. Nhan DONG Y de nhan lai."
    ]
    async with db.transaction() as tx:
        assert await tx.sms.opted_out(await tx.sms.ensure_user(PHAM_PHONE, "vi"))


@pytest.mark.parametrize("typed", ["Đồng ý", "ĐỒNG Ý", "dong y.", "DongY", "START", "start!"])
async def test_opt_in_is_the_keyword_itself(bot, gateway, db, typed):
    await text_in(bot, PHAM_PHONE, "stop")
    await text_in(bot, PHAM_PHONE, typed)
    async with db.transaction() as tx:
        assert not await tx.sms.opted_out(await tx.sms.ensure_user(PHAM_PHONE, "vi"))
    assert gateway.to(PHAM_PHONE)[-1] == (
        "Ong/Ba se nhan lai tin nhan tu dich vu tro cap. Nhan TU CHOI de dung."
    )


# ---------------------------------------------------------------- short forms


async def test_payment_news_short_by_sms_in_the_numbers_language_full_on_a_messenger(
    bot, gateway, db, dispatcher, tmp_path: Path
):
    from tests.chat import Chat
    from tests.conftest import TU
    from tests.handlers.test_payment_news import _import

    assert await sms_on(db) == 1  # Phàm by SMS
    tu = Chat(dispatcher, user_id="tu-son")  # Tư's son on the web chat
    await tu.link(TU.national_id, "02/07/1945", who="who:child")
    await text_in(bot, PHAM_PHONE, "EN")  # Phàm's number chose English
    long_reason = "người nhận vắng nhà nhiều ngày, bưu điện đã gửi trả lại xã để chi lại sau"
    summary = await _import(
        db,
        tmp_path,
        f"001140001234;12/2026;500000;đã chi;10/12/2026;\n"
        f"{TU.national_id};12/2026;1000000;hoàn trả;;{long_reason}\n",
    )
    assert summary.notified == 2
    async with db.transaction() as tx:
        web, _ = await tx.users.get_or_create("web", "tu-son", "vi")
        [full] = await tx.outbox.for_user(web.id)
    assert full.text.startswith("Tin báo tiền trợ cấp: Tiền trợ cấp tháng 12/2026 của Ông Lê Văn")
    assert long_reason in full.text and "Trần Văn Bình, điện thoại 0912 345 678" in full.text
    assert len(full.text) > 160
    inbox = _Inbox()
    counts = await drain(DeliveryWorker(db, {"sms": bot.sms, "web": inbox}, _config()), db)
    assert counts == {"sent": 2}
    assert inbox.got == [full.text]
    assert gateway.to(PHAM_PHONE)[-1] == PAID_EN.replace("11/2026", "12/2026")
    assert all(segments(s.text) == 1 for s in gateway.sent)


async def test_reminders_by_sms_are_one_segment(bot, gateway, db, catalogs, seeded):
    from datetime import date

    from sqlalchemy import update

    from handlers.reminders import queue_health_insurance_reminders
    from storage.models import BeneficiaryRow
    from tests.handlers.test_reminders import vn

    await sms_on(db)
    async with db.transaction() as tx:
        await tx.session.execute(
            update(BeneficiaryRow)
            .where(BeneficiaryRow.id == seeded["pham"])
            .values(health_insurance_expiry=date(2026, 12, 31))
        )
    at = vn(2026, 12, 1, 8, 5)
    async with db.transaction() as tx:
        assert await queue_health_insurance_reminders(tx, catalogs, at) == 1
    counts = await drain(DeliveryWorker(db, {"sms": bot.sms}, _config(), clock=lambda: at), db)
    assert counts == {"sent": 1}
    assert gateway.to(PHAM_PHONE) == [
        "The BHYT cua Ba Nguyen Thi Pham het han ngay 31/12/2026, con 30 ngay. Xin gia han tai "
        "UBND xa."
    ]


# ---------------------------------------------------------------- the budget


async def _numbers(db, seeded, count: int) -> list[str]:
    """``count`` SMS numbers (relatives) linked to Phàm; their identities."""
    ids = []
    async with db.transaction() as tx:
        for n in range(count):
            phone = f"+8491300{n:04d}"
            user_id = await tx.sms.ensure_user(phone, "vi")
            await tx.links.add(user_id, seeded["pham"], "other", "sms")
            ids.append(tx.sms.identity(phone))
    return ids


async def test_twelve_concurrent_sends_on_a_budget_of_five_send_exactly_five(
    gateway, db, seeded, dispatcher
):
    from tests.handlers.test_volunteer import _officer

    await _officer(dispatcher, db)
    await sms_on(db, budget=5)
    identities = await _numbers(db, seeded, 12)
    channel = SmsChannel(
        dispatcher, GatewayConfig(send_url=gateway.url, auth_header=f"Authorization: {AUTH}")
    )
    await channel.start()
    try:
        results = await asyncio.gather(
            *(channel.deliver(ext, Reply(text="Họp thôn lúc 8 giờ.")) for ext in identities),
            return_exceptions=True,
        )
    finally:
        await channel.stop()
    assert len(gateway.sent) == 5
    assert sum(r is None for r in results) == 5
    refused = [r for r in results if r is not None]
    assert len(refused) == 7 and all(isinstance(r, Rejected) for r in refused)
    assert all("budget" in r.reason for r in refused if isinstance(r, Rejected))
    async with db.transaction() as tx:
        assert await tx.sms.used("99001", "2026-11") == 5
        [notice] = await tx.outbox.by_kind("sms_budget")  # one officer, told once
    assert notice.text == BUDGET_NOTICE_VI.replace("(2 tin)", "(5 tin)")


async def test_a_failed_send_gives_its_segments_back(gateway, db, seeded, dispatcher):
    await sms_on(db, budget=3)
    [ext] = await _numbers(db, seeded, 1)
    channel = SmsChannel(
        dispatcher,
        GatewayConfig(send_url=gateway.url, auth_header=f"Authorization: {AUTH}", timeout=0.3),
    )
    await channel.start()
    try:
        gateway.failures.extend([500, 400, "slow"])
        with pytest.raises(RetryLater):
            await channel.deliver(ext, Reply(text="Tin 1"))
        with pytest.raises(Rejected):
            await channel.deliver(ext, Reply(text="Tin 1"))
        with pytest.raises(RetryLater):
            await channel.deliver(ext, Reply(text="Tin 1"))
        async with db.transaction() as tx:
            assert await tx.sms.used("99001", "2026-11") == 0
        for n in range(3):
            await channel.deliver(ext, Reply(text=f"Tin {n}"))
        with pytest.raises(Rejected):
            await channel.deliver(ext, Reply(text="Tin 4"))
    finally:
        await channel.stop()
    assert [s.text for s in gateway.sent] == ["Tin 0", "Tin 1", "Tin 2"]


async def test_answers_count_but_are_never_refused_and_the_officers_are_told_once(
    bot, gateway, db, clock
):
    from tests.handlers.test_volunteer import _officer

    await _officer(bot.dispatcher, db)
    await sms_on(db, budget=2)
    for _ in range(3):
        await text_in(bot, PHAM_PHONE, "tc")
    await text_in(bot, PHAM_RELATIVE, "Trợ cấp")
    # Asking always gets an answer, over the budget too.
    assert gateway.to(PHAM_PHONE) == [PAID_VI] * 3 and gateway.to(PHAM_RELATIVE) == [PAID_VI]
    async with db.transaction() as tx:
        assert await tx.sms.used("99001", "2026-11") == 4
        [notice] = await tx.outbox.by_kind("sms_budget")
        user_id = await tx.sms.ensure_user(PHAM_PHONE, "vi")
        await tx.outbox.enqueue(key="r:1", user_id=user_id, kind="test", text="Tin", now=clock())
    assert notice.text == BUDGET_NOTICE_VI
    # The answers used the budget up: proactive messages stop.
    counts = await drain(DeliveryWorker(db, {"sms": bot.sms, "web": _Inbox()}, _config()), db)
    assert counts == {"failed": 1, "sent": 1}  # and the officer's notice went
    assert gateway.to(PHAM_PHONE) == [PAID_VI] * 3
    async with db.transaction() as tx:
        assert len(await tx.outbox.by_kind("sms_budget")) == 1


async def test_an_unknown_number_costs_no_commune_anything(bot, gateway, db):
    await sms_on(db, budget=1)
    await text_in(bot, "+84911999888", "tc")
    assert len(gateway.sent) == 1
    async with db.transaction() as tx:
        assert await tx.sms.used("99001", "2026-11") == 0


# ---------------------------------------------------------------- preview


async def test_preview_with_diacritics_kept_counts_70_character_segments_and_the_header(
    gateway, database_url, seeded, clock, unused_tcp_port, db
):
    from tests.handlers.test_broadcast import NAM, _compose, _officer

    app = build_app(
        settings_for(gateway, database_url, unused_tcp_port, sms_unicode=True), clock=clock
    )
    await app.start()
    try:
        async with db.transaction() as tx:
            await tx.beneficiaries.add(NAM)
        assert await sms_on(db, budget=5) == 2
        officer = await _officer(app.dispatcher, db)
        # 46 characters: one segment alone, but the SMS header "Thông báo từ Xã
        # Hòa An:" makes it 70 + 1 characters, so 2 segments of 67.
        text = "Mời bà con họp thôn lúc 8 giờ sáng mai ở nhà văn"
        assert len("Thông báo từ Xã Hòa An:\n" + text) == 72
        await _compose(officer, "all", text)
        assert (
            "Qua SMS: 2 người nhận, mỗi người 2 tin SMS (tổng cộng 4 tin); tin SMS gửi có dấu nên "
            "mỗi tin chỉ chứa 70 ký tự." in officer.text
        )
        assert "Ngân sách SMS tháng này: đã dùng 0 trên 5 tin." in officer.text
        # Năm's number chose English: the English text is shorter.
        await text_in(app, "+84913000444", "en")
        await _compose(officer, "all", text, english="Meeting at 8.")
        assert (
            "Qua SMS: 2 người nhận, mỗi người từ 1 đến 2 tin SMS tùy ngôn ngữ (tổng cộng 3 tin)"
            in officer.text
        )
        # 134 characters with the header: 2 segments; one more makes 3.
        long = text + " " + "x" * (134 - 73)
        await _compose(officer, "all", long)
        assert "mỗi người 2 tin SMS (tổng cộng 4 tin)" in officer.text
        await _compose(officer, "all", long + "y")
        assert "mỗi người 3 tin SMS (tổng cộng 6 tin)" in officer.text
        # Over what is left of the budget (5, 1 used by the answer above).
        assert (
            "Ngân sách tháng này chỉ còn 4 tin SMS: các tin SMS vượt ngân sách sẽ không được gửi."
            in officer.text
        )
        await officer.tap("bc:send")
        senders = {"sms": app.sms, "web": _Inbox()}
        before = len(gateway.sent)
        counts = await drain(DeliveryWorker(app.db, senders, _config()), app.db)
        # One of the two fits in what is left (3 of 4), the other not; and the
        # officer's notice.
        assert counts == {"sent": 2, "failed": 1}
        [sent] = gateway.sent[before:]
        assert sent.text.endswith(":\n" + long + "y") and segments(sent.text) == 3
        assert sent.text.startswith(("Thông báo từ Xã Hòa An:", "Message from Xã Hòa An:"))
    finally:
        await app.stop()


async def test_preview_leaves_out_numbers_that_texted_stop(bot, gateway, db):
    from tests.handlers.test_broadcast import NAM, _compose, _officer, _outbox

    async with db.transaction() as tx:
        await tx.beneficiaries.add(NAM)
    assert await sms_on(db) == 2
    await text_in(bot, "+84913000444", "tu choi")
    officer = await _officer(bot.dispatcher, db)
    await _compose(officer, "all", "Họp thôn lúc 8 giờ.")
    assert "Qua SMS: 1 người nhận, mỗi người 1 tin SMS (tổng cộng 1 tin)" in officer.text
    # Who "will receive it" leaves the number out too; nothing is queued for it.
    assert "1 người trên bot sẽ nhận được tin này." in officer.text
    await officer.tap("bc:send")
    rows = await _outbox(db)
    assert set(rows) == {db.vault.lookup_hash(PHAM_PHONE)}


async def test_a_number_that_texts_stop_after_a_broadcast_is_queued_shows_as_opted_out(
    bot, gateway, db
):
    from tests.handlers.test_broadcast import NAM, _compose, _officer

    async with db.transaction() as tx:
        await tx.beneficiaries.add(NAM)
    assert await sms_on(db) == 2
    officer = await _officer(bot.dispatcher, db)
    await _compose(officer, "all", "Họp thôn lúc 8 giờ.")
    assert "2 người trên bot sẽ nhận được tin này." in officer.text
    await officer.tap("bc:send")
    await text_in(bot, "+84913000444", "TU CHOI")  # before the worker sends it
    counts = await drain(DeliveryWorker(db, {"sms": bot.sms}, _config()), db)
    assert counts == {"sent": 1, "cancelled": 1}
    assert gateway.to("+84913000444") == [
        "Ong/Ba se khong nhan tin nhan tu dich vu tro cap nua. Nhan DONG Y de nhan lai."
    ]
    await officer.tap(officer.options[0][0])  # the broadcast's status
    assert "Đã gửi: 1. Đang chờ: 0. Đã chặn bot: 0. Lỗi: 0. Đã hủy: 1." in officer.text
    # The number can opt in again: it was not marked as having blocked the bot.
    from sqlalchemy import select

    from storage.models import UserRow

    async with db.transaction() as tx:
        user_id = await tx.sms.ensure_user("+84913000444", "vi")
        marked = await tx.session.scalar(
            select(UserRow.unreachable_at).where(UserRow.id == user_id)
        )
    assert marked is None


# ---------------------------------------------------------------- SMS off


async def test_messages_waiting_when_sms_is_turned_off_are_cancelled(
    bot, gateway, db, clock, catalogs
):
    from handlers.reminders import queue_payment_reminders
    from tests.handlers.test_reminders import vn

    await sms_on(db)
    at = vn(2026, 12, 8, 8, 5)
    async with db.transaction() as tx:
        assert await queue_payment_reminders(tx, catalogs, at) == 1
        user_id = await tx.sms.ensure_user(PHAM_PHONE, "vi")
        await tx.outbox.enqueue(key="x:1", user_id=user_id, kind="test", text="Tin", now=clock())
        stranger = await tx.sms.ensure_user("+84911999888", "vi")
        await tx.outbox.enqueue(key="x:2", user_id=stranger, kind="test", text="Khác", now=clock())
    async with db.transaction() as tx:
        assert await tx.sms.configure("99001", False, None)
        assert await tx.sms.cancel_queued("99001") == 2
        await tx.sms.sync_links("99001", False, "vi")
        rows = await tx.outbox.for_user(user_id)
    assert [(r.status, r.last_error) for r in rows] == [("cancelled", CANCELLED_SMS_OFF)] * 2
    counts = await drain(DeliveryWorker(db, {"sms": bot.sms}, _config(), clock=lambda: at), db)
    # Only the number of no commune was tried (and refused: it reaches nobody's commune).
    assert counts == {"cancelled": 2, "failed": 1}
    assert gateway.sent == []
