"""A volunteer joins by deep link and logs a visit, and an officer gets the
report's chart, end to end through the real python-telegram-bot Application
against the loopback fake of the Bot API."""

from __future__ import annotations

from datetime import timedelta

from handlers.officer import new_invite_code
from handlers.volunteer import new_volunteer_code
from tests.channels.test_telegram import Person, bot, fake, inline_ids  # noqa: F401
from tests.conftest import NOW


def keyboard_labels(sent) -> list[str]:  # type: ignore[no-untyped-def]
    return [button["text"] for row in sent.reply_markup["keyboard"] for button in row]


async def test_a_volunteer_joins_by_deep_link_and_logs_a_visit(bot, fake, db):  # noqa: F811
    code = new_volunteer_code()
    officer_code = new_invite_code()
    async with db.transaction() as tx:
        await tx.volunteers.create_invite(
            code, commune_code="99001", unit="Chi đoàn thôn Đông", max_uses=2, now=NOW,
            expires_at=NOW + timedelta(days=14),
        )  # fmt: skip
        await tx.officers.create_invite(
            officer_code, commune_code="99001", name="Trần Văn Bình", now=NOW,
            expires_at=NOW + timedelta(days=7),
        )  # fmt: skip
    vol = Person(fake, 4001)
    (rules,) = await vol.text(f"/start {code}")
    assert "Chi đoàn thôn Đông (Xã Hòa An)" in rules.text and "dữ liệu cá nhân" in rules.text
    assert inline_ids(rules) == ["vol:accept", "vol:decline"]
    (ask_name,) = await vol.tap("vol:accept")
    assert "họ và tên" in ask_name.text
    (ask_phone,) = await vol.text("Lê Thị Hoa")
    assert ask_phone.reply_markup["keyboard"][0][0]["request_contact"] is True
    (welcome,) = await vol.contact("+84987654321")
    assert welcome.text.startswith("Cảm ơn Lê Thị Hoa!")
    assert "📝 Ghi lần thăm hộ" in keyboard_labels(welcome)
    (pick,) = await vol.text("📝 Ghi lần thăm hộ")
    assert "vol:new" in inline_ids(pick)
    await vol.tap("vol:new")
    await vol.text("Nguyễn Văn Nam")
    await vol.text("Thôn Đông")
    await vol.text("0912 000 333")
    (ask_location,) = await vol.text("4")
    assert "vị trí" in ask_location.text
    before = len(fake.by_chat[4001])
    fake.push(fake.make_message(4001, None, location={"latitude": 16.0678, "longitude": 108.2208}))
    (tick,) = (await fake.wait_sent(4001, before + 1))[before:]
    assert "vol:t:vneid" in inline_ids(tick)
    (ticked,) = await vol.text("1 2")
    labels = [row[0]["text"] for row in ticked.reply_markup["inline_keyboard"]]
    assert labels[:3] == [
        "✅ Đã cài ứng dụng VNeID",
        "✅ Đã kích hoạt định danh điện tử mức 2",
        "⬜ Tài khoản Cổng dịch vụ công",
    ]
    (first_result,) = await vol.tap("vol:tdone")
    assert first_result.text == "Đã cài ứng dụng VNeID: kết quả thế nào?"
    await vol.tap("vol:r:done")
    (ask_note,) = await vol.text("2")  # started, needs follow-up: typed as its number
    assert "Ghi chú" in ask_note.text
    (ask_followup,) = await vol.text("bo qua")
    assert "cần quay lại" in ask_followup.text
    (confirm,) = await vol.text("mai")
    assert "Quay lại ngày 21/11/2026." in confirm.text
    (saved,) = await vol.tap("vol:save")
    assert saved.text == "Đã lưu.\nBạn đã giúp 1 trên 20 hộ."
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("telegram", "4001", "vi")
        (fact,) = await tx.volunteers.facts(volunteer_id=user.id, phones=True)
    assert fact.household.phone == "+84912000333" and fact.household.latitude == 16.0678
    assert fact.visit.services == {"vneid": "done", "vneid2": "followup"}

    officer = Person(fake, 4002)
    (joined,) = await officer.text(f"/start {officer_code}")
    assert "📊 Báo cáo tình nguyện viên" in keyboard_labels(joined)
    (report,) = await officer.text("📊 Báo cáo tình nguyện viên")
    assert "Lê Thị Hoa (Chi đoàn thôn Đông): 1 trên 20 hộ, 1 lần thăm" in report.text
    caption, photo = await officer.tap("vol:chart", expect=2)
    assert photo.method == "sendPhoto"
    (_name, png) = photo.params["_files"]["photo"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
