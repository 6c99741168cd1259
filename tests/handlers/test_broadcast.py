"""Officers' broadcasts through the web channel's dispatcher: audiences,
bilingual messages, preview counts, scheduling, status, cancel, the delivery
report, the file audience, and that an officer reaches nobody outside their
commune."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from handlers.types import FileUpload, Incoming
from storage.models import AuditRow, OutboxRow
from tests.chat import Chat
from tests.conftest import NOW, PHAM, TU
from tests.handlers.test_officer import OTHER, _invite

NAM = replace(  # a third person of the commune whom nobody linked
    TU,
    national_id="001050003333",
    full_name="Phạm Văn Năm",
    village="Thôn Đông",
    category="elderly",
    payment_method="cash",
    phone="+84913000444",
)
SEN = replace(  # a person of another commune
    PHAM,
    national_id="034141094020",
    full_name="Võ Thị Sen",
    date_of_birth=date(1941, 7, 24),
    commune_code="99002",
    village="Tổ 1",
    phone="+84914000555",
    relative_phone=None,
)


async def _officer(dispatcher, db, commune=None, user_id="officer") -> Chat:
    code = await _invite(db, commune) if commune else await _invite(db)
    chat = Chat(dispatcher, user_id)
    await chat.say(code)
    return chat


async def _citizens(dispatcher, db) -> dict[str, Chat]:
    """Phàm (linked by herself and by her English-speaking son), Tư (linked),
    Năm (nobody linked him)."""
    async with db.transaction() as tx:
        await tx.beneficiaries.add(NAM)
    pham = Chat(dispatcher, "pham")
    await pham.link(PHAM.national_id, "15/03/1940")
    son = Chat(dispatcher, "son")
    await son.link(PHAM.national_id, "15/03/1940", who="who:child")
    await son.tap("lang:en")
    tu = Chat(dispatcher, "tu")
    await tu.link(TU.national_id, "02/07/1945")
    return {"pham": pham, "son": son, "tu": tu}


async def _outbox(db) -> dict[str, OutboxRow]:
    """Broadcast rows by the recipient's web identity."""
    from storage.models import UserRow

    async with db.transaction() as tx:
        rows = (
            await tx.session.execute(
                select(UserRow.external_id, OutboxRow)
                .join(OutboxRow, OutboxRow.user_id == UserRow.id)
                .where(OutboxRow.kind == "broadcast")
            )
        ).all()
    return {ext: row for ext, row in rows}


async def _compose(officer: Chat, audience: str, text: str, english: str | None = None) -> None:
    await officer.tap("bc:menu")
    await officer.tap("bc:new")
    await officer.tap(f"bc:aud:{audience}")
    await officer.say(text)
    if english:
        await officer.say(english)
    else:
        await officer.tap("bc:skip_en")


async def test_everyone_bilingual_preview_and_send_now(dispatcher, db, seeded):
    people = await _citizens(dispatcher, db)
    officer = await _officer(dispatcher, db)
    await officer.say("📣 Gửi thông báo")  # the officer's menu entry, typed
    assert "Chưa có thông báo nào" in officer.text
    await officer.say("soan thong bao moi")  # without diacritics
    assert "Gửi thông báo cho ai?" in officer.text
    assert "Tình nguyện viên “1+20” của xã" in [label for _id, label in officer.options]
    await officer.say("1")  # the first option by its number: everyone
    assert "Xin gõ nội dung thông báo bằng tiếng Việt" in officer.text
    await officer.say("Mời bà con họp thôn lúc 8 giờ sáng mai.")
    assert "bản tiếng Anh" in officer.text
    await officer.say("Village meeting at 8 am tomorrow.")
    assert "Người nhận: mọi người đã liên kết trong xã." in officer.text
    assert "3 người trên bot sẽ nhận được tin này" in officer.text
    assert "Trong 3 người thuộc nhóm này, 1 người chưa nhận được" in officer.text
    assert "Bản tiếng Anh:\nVillage meeting at 8 am tomorrow." in officer.text
    assert await _outbox(db) == {}  # nothing before "send"
    await officer.say("gui ngay")
    assert "Thông báo số 1 đang được gửi tới 3 người" in officer.text
    rows = await _outbox(db)
    assert set(rows) == {"pham", "son", "tu"}
    assert (
        rows["pham"].text == "📣 Thông báo từ Xã Hòa An:\nMời bà con họp thôn lúc 8 giờ sáng mai."
    )
    assert rows["son"].text == "📣 Message from Xã Hòa An:\nVillage meeting at 8 am tomorrow."
    assert {r.broadcast_id for r in rows.values()} == {1}
    assert all(r.status == "pending" for r in rows.values())
    assert rows["tu"].not_before.replace(tzinfo=UTC) == NOW
    async with db.transaction() as tx:
        audit = (
            await tx.session.execute(select(AuditRow).where(AuditRow.action == "broadcast"))
        ).scalar_one()
    assert '"recipients": 3' in audit.detail and '"unreachable": 1' in audit.detail
    assert "001140001234" not in audit.detail
    del people


async def test_each_audience_reaches_its_people_and_vietnamese_goes_to_all(dispatcher, db, seeded):
    await _citizens(dispatcher, db)
    officer = await _officer(dispatcher, db)
    # Paid in cash or by post: Tư (post) and Năm (cash, unlinked).
    await _compose(officer, "by_hand", "Lịch chi trả tại bưu điện: 2-10 hằng tháng.")
    assert "1 người trên bot sẽ nhận" in officer.text
    assert "Trong 2 người thuộc nhóm này, 1 người chưa nhận được" in officer.text
    assert "người chọn tiếng Anh sẽ nhận bản tiếng Việt" in officer.text
    # One category, chosen by its words.
    await officer.say("quay lai")
    await officer.say("quay lai")
    await officer.say("quay lai")
    assert "Gửi thông báo cho ai?" in officer.text
    await officer.tap("bc:aud:category")
    assert "Diện đối tượng nào?" in officer.text
    await officer.say("nguoi khuyet tat")
    await officer.say("Mời người khuyết tật khám sức khỏe.")
    await officer.tap("bc:skip_en")
    assert "Người nhận: diện Người khuyết tật." in officer.text
    assert "1 người trên bot" in officer.text
    # One village: Thôn Đông holds Phàm (two users) and Năm (unlinked).
    await officer.tap("bc:menu")
    await officer.tap("bc:new")
    await officer.tap("bc:aud:village")
    assert [label for _i, label in officer.options][:2] == ["Thôn Đông", "Thôn Tây"]
    await officer.say("thon dong")
    await officer.say("Họp thôn Đông tối nay.")
    await officer.tap("bc:skip_en")
    assert "2 người trên bot sẽ nhận" in officer.text
    assert "Trong 2 người thuộc nhóm này, 1 người chưa nhận được" in officer.text
    await officer.tap("bc:send")
    rows = await _outbox(db)
    assert set(rows) == {"pham", "son"}
    # No English version: the English-speaking son gets the Vietnamese.
    assert rows["son"].text == "📣 Message from Xã Hòa An:\nHọp thôn Đông tối nay."
    # The commune's active volunteers: one joined, one stopped, one elsewhere.
    from handlers.volunteer import new_volunteer_code

    async with db.transaction() as tx:
        ids = {}
        for who, commune in (("hoa", "99001"), ("nam", "99001"), ("far", "99002")):
            if commune == "99002":
                from storage.records import Commune

                await tx.communes.upsert(
                    Commune("99002", "Xã Khác", "99", "Tỉnh Thử", None, None, None)
                )
            code = new_volunteer_code()
            await tx.volunteers.create_invite(
                code, commune_code=commune, unit="Chi đoàn", max_uses=5, now=NOW,
                expires_at=NOW + timedelta(days=7),
            )  # fmt: skip
            _outcome, invite = await tx.volunteers.check_invite(code, NOW)
            user, _ = await tx.users.get_or_create("web", f"vol-{who}", "vi")
            await tx.volunteers.register(
                user.id, invite.id, name=who, phone="+84987000111", now=NOW
            )
            ids[who] = user.id
        await tx.volunteers.deactivate(ids["nam"], ["99001"])
    await officer.tap("bc:menu")
    await officer.tap("bc:new")
    await officer.tap("bc:aud:volunteers")
    await officer.say("Tập huấn tình nguyện viên sáng thứ bảy.")
    await officer.tap("bc:skip_en")
    assert "1 người trên bot sẽ nhận" in officer.text
    await officer.tap("bc:send")
    async with db.transaction() as tx:
        got = await tx.outbox.for_user(ids["hoa"])
        assert [m.text for m in got] == [
            "📣 Thông báo từ Xã Hòa An:\nTập huấn tình nguyện viên sáng thứ bảy."
        ]
        assert await tx.outbox.for_user(ids["nam"]) == []
        assert await tx.outbox.for_user(ids["far"]) == []


async def test_scheduling_status_and_cancel(dispatcher, db, seeded, clock):
    await _citizens(dispatcher, db)
    officer = await _officer(dispatcher, db)
    await _compose(officer, "all", "Nhắc gia hạn thẻ BHYT trước 30/11.")
    await officer.say("hen gio gui")
    assert "Gửi lúc nào?" in officer.text
    await officer.say("9:00")  # it is 10:00 in Vietnam
    assert "Thời điểm này đã qua (lúc 09:00 ngày 20/11/2026)" in officer.text
    assert "ví dụ: mai 8:00" in officer.text
    await officer.say("sang thu hai")
    assert "Tôi chưa đọc được giờ này" in officer.text
    assert await _outbox(db) == {}
    await officer.say("mai 8:00")
    assert "Thông báo số 1 sẽ được gửi lúc 08:00 ngày 21/11/2026 tới 3 người" in officer.text
    rows = await _outbox(db)
    assert {r.not_before.replace(tzinfo=UTC) for r in rows.values()} == {
        datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    }
    # The delivery worker sent one and found one blocked (simulated here).
    async with db.transaction() as tx:
        await tx.session.execute(
            update(OutboxRow).where(OutboxRow.id == rows["pham"].id).values(status="sent")
        )
        await tx.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == rows["tu"].id)
            .values(status="blocked", last_error="Forbidden: bot was blocked by the user")
        )
    await officer.say("trang thai")
    assert "Đã gửi: 1. Đang chờ: 1. Đã chặn bot: 1. Lỗi: 0. Đã hủy: 0." in officer.text
    await officer.tap("bc:cancel:1")
    assert "Hủy thông báo số 1? 1 tin chưa gửi" in officer.text
    await officer.say("dong y huy")
    assert "Đã hủy thông báo số 1: 1 tin sẽ không được gửi." in officer.text
    assert "Đã gửi: 1. Đang chờ: 0. Đã chặn bot: 1. Lỗi: 0. Đã hủy: 1." in officer.text
    assert "Thông báo này đã bị hủy." in officer.text
    rows = await _outbox(db)
    assert {k: r.status for k, r in rows.items()} == {
        "pham": "sent",
        "son": "cancelled",
        "tu": "blocked",
    }
    assert "bc:cancel:1" not in officer.option_ids()
    async with db.transaction() as tx:
        actions = (await tx.session.execute(select(AuditRow.action))).scalars().all()
    assert "broadcast_cancelled" in actions
    # /broadcast status shows the latest one.
    await officer.command("broadcast", "status")
    assert "Thông báo số 1 gửi mọi người đã liên kết trong xã" in officer.text


@pytest.mark.parametrize("yes", ["có", "co", "yes", "đồng ý", "OK"])
async def test_a_typed_yes_confirms_a_cancel_and_other_words_ask_again(
    dispatcher, db, seeded, clock, yes
):
    await _citizens(dispatcher, db)
    officer = await _officer(dispatcher, db)
    await _compose(officer, "all", "Nhắc gia hạn thẻ BHYT trước 30/11.")
    await officer.say("hen gio gui")
    await officer.say("mai 8:00")
    await officer.tap("bc:cancel:1")
    assert "Hủy thông báo số 1?" in officer.text
    await officer.say("để tôi xem")
    assert officer.text.startswith(
        "Xin trả lời “có” để hủy thông báo số 1, hoặc “không” để giữ lại."
    )
    assert "Hủy thông báo số 1?" in officer.text
    await officer.say("không")
    assert "Đang chờ: 3." in officer.text and "Đã hủy" not in officer.text.split("Đang chờ")[0]
    assert {r.status for r in (await _outbox(db)).values()} == {"pending"}
    await officer.tap("bc:cancel:1")
    await officer.say(yes)
    assert "Đã hủy thông báo số 1: 3 tin sẽ không được gửi." in officer.text
    assert {r.status for r in (await _outbox(db)).values()} == {"cancelled"}


async def test_delivery_report_is_an_xlsx_with_masked_recipients(dispatcher, db, seeded):
    await _citizens(dispatcher, db)
    officer = await _officer(dispatcher, db)
    await _compose(officer, "all", "Thông báo thử.")
    await officer.tap("bc:send")
    rows = await _outbox(db)
    async with db.transaction() as tx:
        await tx.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == rows["tu"].id)
            .values(status="failed", last_error="chat not found", attempts=5)
        )
        # A recipient by SMS: the report shows their masked number.
        sms_user = await tx.sms.ensure_user("+84912345678", "vi")
        tx.session.add(
            OutboxRow(
                key="broadcast:1:sms",
                user_id=sms_user,
                kind="broadcast",
                text="Thông báo thử.",
                created_at=datetime.now(UTC),
                not_before=datetime.now(UTC),
                broadcast_id=1,
            )
        )
    await officer.say("📊 Báo cáo gửi tin (Excel)")
    assert "Báo cáo gửi tin của thông báo số 1" in officer.text
    (attachment,) = officer.last[-1].attachments
    assert attachment.filename == "broadcast-1.xlsx"
    sheet = load_workbook(io.BytesIO(attachment.data)).active
    assert sheet.title == "Báo cáo"
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["Người nhận", "Kênh", "Tài khoản", "Trạng thái", "Lý do", "Thời điểm gửi"]
    assert sorted(tuple(c or "" for c in r[:5]) for r in values[1:]) == [
        ("", "sms", "****5678", "đang chờ", ""),
        ("Lê V. T.", "web", "****", "lỗi", "chat not found"),
        ("Nguyễn T. P.", "web", "****", "đang chờ", ""),
        ("Nguyễn T. P.", "web", "****", "đang chờ", ""),
    ]
    text = repr(values)
    assert "Nguyễn Thị Phàm" not in text and "001140001234" not in text
    assert "912345678" not in text


async def test_an_officer_reaches_nobody_outside_their_commune(dispatcher, db, seeded):
    await _citizens(dispatcher, db)
    officer = await _officer(dispatcher, db)
    await _compose(officer, "all", "Tin của xã Hòa An.")
    await officer.tap("bc:send")
    other = await _officer(dispatcher, db, OTHER, user_id="officer-2")
    async with db.transaction() as tx:
        await tx.beneficiaries.add(SEN)
    sen = Chat(dispatcher, "sen")
    await sen.link(SEN.national_id, "24/07/1941")
    await _compose(other, "all", "Tin của phường Hải Vân.")
    assert "1 người trên bot sẽ nhận" in other.text
    await other.tap("bc:send")
    rows = await _outbox(db)
    assert rows["sen"].text.startswith("📣 Thông báo từ Phường Hải Vân")
    assert rows["pham"].text.startswith("📣 Thông báo từ Xã Hòa An")
    assert sum(1 for r in rows.values() if r.broadcast_id == 2) == 1
    # Another commune's broadcast: neither shown, cancelled nor reported.
    for option in ("bc:show:1", "bc:report:1", "bc:cancel:1"):
        await other.tap(option)
        assert "Thông báo này không thuộc xã của Ông/Bà." in other.text
        assert not any(r.attachments for r in other.last)
    assert (await _outbox(db))["pham"].status == "pending"
    # A file naming Phàm (another commune's person) reaches nobody.
    await other.tap("bc:menu")
    await other.tap("bc:new")
    await other.tap("bc:aud:file")
    await _send_file(other, "ds.csv", b"So CCCD\n001140001234\n")
    assert "tìm thấy 0 người của xã, 1 người không có trong danh sách của xã" in other.text
    assert "Không ai trong ds.csv có trong danh sách của xã" in other.text


async def _send_file(chat: Chat, name: str, data: bytes):
    chat.last = await chat.dispatcher.handle(
        Incoming(channel=chat.channel, user_id=chat.user_id, document=FileUpload(name, data))
    )
    return chat.last


async def test_file_audience_with_bad_rows(dispatcher, db, seeded):
    await _citizens(dispatcher, db)
    officer = await _officer(dispatcher, db)
    await officer.tap("bc:menu")
    await officer.tap("bc:new")
    await officer.say("danh sach so cccd hoac so dien thoai gui tep")
    assert "Xin gửi danh sách dạng tệp Excel" in officer.text
    await officer.say("Một tin nhắn")  # text where a file is expected: asked again
    assert "Xin gửi danh sách dạng tệp Excel" in officer.text
    csv_text = (
        "DANH SÁCH NHẮC HẸN\n"
        "STT;Số CCCD;Số điện thoại\n"
        "1;001140001234;\n"
        "2;;0987 000 222\n"  # Phàm's relative's phone: Phàm again
        "3;abc12345678;\n"
        "4;034141094020;\n"  # a valid ID of nobody in this commune
        "5;;0913000444\n"  # Năm's phone: in the commune, linked by nobody
    )
    await _send_file(officer, "nhac-hen.csv", csv_text.encode())
    text = officer.text
    assert (
        "Đã đọc 5 dòng của nhac-hen.csv: tìm thấy 2 người của xã, 1 người không có trong "
        "danh sách của xã, 1 dòng không đọc được." in text
    )
    assert "Dòng 5: “********678” không phải số CCCD" in text
    assert "034141094020" not in text and "abc12345678" not in text
    assert "Xin gõ nội dung thông báo" in text
    await officer.say("Mời bà con đến nhận thẻ BHYT.")
    await officer.tap("bc:skip_en")
    assert "Người nhận: danh sách trong tệp nhac-hen.csv." in officer.text
    assert "2 người trên bot sẽ nhận" in officer.text
    assert "Trong 3 người thuộc nhóm này, 2 người chưa nhận được" in officer.text
    await officer.tap("bc:send")
    assert set(await _outbox(db)) == {"pham", "son"}
    # A picture instead of a list.
    await officer.tap("bc:menu")
    await officer.tap("bc:new")
    await officer.tap("bc:aud:file")
    await _send_file(officer, "anh.jpg", b"\xff\xd8\xff\xe0" + bytes(100))
    assert "Không đọc được tệp anh.jpg" in officer.text


async def test_citizens_cannot_broadcast_and_back_cancel_work(dispatcher, db, seeded):
    citizen = Chat(dispatcher, "citizen")
    await citizen.command("broadcast")
    assert "Chỉ cán bộ xã mới gửi được thông báo" in citizen.text
    await citizen.tap("bc:send")
    assert "Chỉ cán bộ xã mới gửi được thông báo" in citizen.text
    await citizen.say("📣 Gửi thông báo")
    assert "Chỉ cán bộ xã mới gửi được thông báo" in citizen.text
    officer = await _officer(dispatcher, db)
    await officer.tap("bc:menu")
    await officer.tap("bc:new")
    await officer.tap("bc:aud:all")
    await officer.say("   ")
    assert "Xin gõ nội dung thông báo" in officer.text
    await officer.say("x" * 2001)
    assert "Thông báo dài 2001 ký tự" in officer.text
    await officer.say("quay lại")
    assert "Gửi thông báo cho ai?" in officer.text
    await officer.tap("bc:aud:all")
    await officer.say("Tin thử")
    await officer.say("hủy")
    assert "Đã hủy" in officer.text
    assert await _outbox(db) == {}


async def test_an_english_officer_composes_in_english(dispatcher, db, seeded):
    await _citizens(dispatcher, db)
    officer = await _officer(dispatcher, db)
    await officer.tap("lang:en")
    await officer.command("broadcast")
    assert "Broadcasts of Xã Hòa An. There are none yet." in officer.text
    await officer.say("new broadcast")
    await officer.say("people paid in cash or at the post office")
    assert "Please type the message in Vietnamese" in officer.text
    await officer.say("Lịch chi trả tháng 12.")
    await officer.say("skip")
    assert "Recipients in the bot: 1. People in this audience: 2" in officer.text
    await officer.say("send later")
    await officer.say("25/11 8:00")
    assert "Broadcast #1 will be sent at 08:00 on 25/11/2026; recipients: 1." in officer.text


async def test_send_now_in_quiet_hours_says_when_citizens_get_it(dispatcher, db, seeded, clock):
    await _citizens(dispatcher, db)
    clock.now = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 22:30 in Vietnam
    officer = await _officer(dispatcher, db)
    await _compose(officer, "all", "Mời bà con họp thôn lúc 8 giờ sáng mai.")
    await officer.say("gửi ngay")
    # One message, that does not say it is being sent.
    assert officer.text.startswith(
        "Đang là giờ yên lặng (21:00–07:00): thông báo số 1 sẽ được gửi tới 3 người từ 07:00 "
        "ngày 21/11/2026. Ông/Bà có thể hủy trước giờ đó."
    )
    assert "đang được gửi" not in officer.text
    assert {r.not_before.replace(tzinfo=UTC) for r in (await _outbox(db)).values()} == {clock.now}
    # In English, and for a time typed into quiet hours.
    await officer.tap("lang:en")
    await _compose(officer, "all", "Họp thôn.")
    await officer.say("send later")
    await officer.say("23:15")
    # One message, that does not say it will be sent at 23:15.
    assert officer.text.startswith(
        "Broadcast #2 is set for 23:15 on 20/11/2026, in quiet hours (21:00–07:00): citizens "
        "get it from 07:00 on 21/11/2026; recipients: 3. You can cancel it until then."
    )
    assert "will be sent at 23:15" not in officer.text
    # In the daytime nothing is said about quiet hours.
    await _compose(officer, "all", "Họp thôn.")
    await officer.say("send later")
    await officer.say("mai 9:00")
    assert "Broadcast #3 will be sent at 09:00 on 21/11/2026" in officer.text
    assert "Quiet hours" not in officer.text


async def test_send_now_at_night_with_quiet_hours_off_says_nothing_of_them(db, seeded, clock):
    from handlers.citizen import route
    from handlers.core import Dispatcher
    from handlers.i18n import Catalogs
    from handlers.quiet import parse_quiet_hours

    clock.now = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 22:30 in Vietnam
    dispatcher = Dispatcher(db, Catalogs(), route, clock=clock, quiet=parse_quiet_hours("off"))
    await _citizens(dispatcher, db)
    officer = await _officer(dispatcher, db)
    await _compose(officer, "all", "Họp thôn.")
    await officer.say("gửi ngay")
    assert "Thông báo số 1 đang được gửi tới 3 người" in officer.text
    assert "Giờ yên lặng" not in officer.text
    # A commune's own hours: 22:00-06:00, so 22:30 is quiet until 06:00.
    late = Dispatcher(db, Catalogs(), route, clock=clock, quiet=parse_quiet_hours("22:00-06:00"))
    officer = Chat(late, "officer")
    await _compose(officer, "all", "Họp thôn.")
    await officer.say("gửi ngay")
    assert officer.text.startswith(
        "Đang là giờ yên lặng (22:00–06:00): thông báo số 2 sẽ được gửi tới 3 người từ 06:00 "
        "ngày 21/11/2026."
    )
    assert "đang được gửi" not in officer.text


async def test_status_typed_at_the_menu_shows_the_latest_broadcast(dispatcher, db, seeded):
    await _citizens(dispatcher, db)
    officer = await _officer(dispatcher, db)
    await officer.tap("nav:menu")
    await officer.say("trạng thái")
    assert "Chưa có thông báo nào" in officer.text  # none yet: the broadcasts' page
    await _compose(officer, "all", "Họp thôn.")
    await officer.tap("bc:send")
    assert "Gõ “trạng thái” để xem tiến độ." in officer.text
    await officer.tap("nav:menu")
    for typed in ("trạng thái", "status"):
        await officer.say(typed)
        assert "Thông báo số 1 gửi mọi người đã liên kết trong xã" in officer.text
        assert "Đang chờ: 3." in officer.text
        await officer.tap("nav:menu")
    # A citizen typing it is not shown anyone's broadcast.
    pham = Chat(dispatcher, "pham")
    await pham.say("trạng thái")
    assert "Thông báo số 1" not in pham.text


@pytest.mark.parametrize("typed", ["skip", "bo qua", "bỏ qua", "Bỏ qua"])
async def test_skip_typed_at_the_english_step_skips_it(dispatcher, db, seeded, typed):
    await _citizens(dispatcher, db)
    officer = await _officer(dispatcher, db)
    await officer.tap("bc:menu")
    await officer.tap("bc:new")
    await officer.tap("bc:aud:all")
    await officer.say("Họp thôn.")
    await officer.say(typed)
    assert "Bản tiếng Anh: không có" in officer.text
    assert "bc:send" in officer.option_ids()


async def test_a_broadcast_that_does_not_exist_is_not_called_another_communes(
    dispatcher, db, seeded
):
    officer = await _officer(dispatcher, db)
    await officer.command("broadcast", "99")
    assert "Không có thông báo số 99." in officer.text
    assert "không thuộc xã" not in officer.text


async def test_the_example_times_follow_today(dispatcher, db, seeded, clock):
    await _citizens(dispatcher, db)
    officer = await _officer(dispatcher, db)
    for today, example in (
        (clock.now, "22/11 8:00"),
        (datetime(2027, 3, 30, 3, tzinfo=UTC), "01/04 8:00"),
    ):
        clock.now = today
        await _compose(officer, "all", "Họp thôn.")
        await officer.say("hen gio gui")
        assert f"ví dụ: 18:30, mai 8:00 hoặc {example}." in officer.text
        await officer.say("sang thu hai")
        assert f"Xin gõ như sau: 18:30, mai 8:00 hoặc {example}." in officer.text
        await officer.tap("nav:menu")
