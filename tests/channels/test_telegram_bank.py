"""Bank-account registration and review end to end through the real
python-telegram-bot Application against the loopback fake Bot API."""

from __future__ import annotations

from datetime import timedelta

from handlers.officer import new_invite_code
from tests.channels.test_telegram import Person, bot, fake, inline_ids  # noqa: F401
from tests.conftest import NOW, PHAM


async def _officer(fake, db, chat_id: int) -> Person:  # noqa: F811
    code = new_invite_code()
    async with db.transaction() as tx:
        await tx.officers.create_invite(
            code,
            commune_code="99001",
            name="Trần Văn Bình",
            now=NOW,
            expires_at=NOW + timedelta(days=7),
        )
    officer = Person(fake, chat_id)
    await officer.text(f"/start {code}")
    return officer


async def test_register_by_typing_and_the_officer_approves_with_a_qr(bot, fake, db):  # noqa: F811
    officer = await _officer(fake, db, 4001)
    citizen = Person(fake, 4002)
    await citizen.text("/status")
    await citizen.tap("who:self")
    await citizen.text(PHAM.national_id)
    await citizen.text("15/03/1940", expect=2)

    (intro,) = await citizen.text("🏦 Đăng ký tài khoản ngân hàng")
    assert "Có hai cách" in intro.text
    assert inline_ids(intro)[:2] == ["bank:vneid", "bank:here"]
    (ask_bank,) = await citizen.tap("bank:here")
    assert "ngân hàng hoặc ví điện tử nào" in ask_bank.text
    (ask_number,) = await citizen.text("chinh sach xa hoi")
    assert "tại VBSP" in ask_number.text
    (bad,) = await citizen.text("12345")
    assert "có 5 chữ số" in bad.text
    (confirm,) = await citizen.text("8888 7777 6666")
    assert "888877776666" not in confirm.text and "8888 7777 6666" in confirm.text
    (ask_holder,) = await citizen.tap("bank:acc_yes")
    assert "đứng tên ai" in ask_holder.text
    (consent,) = await citizen.text("Nguyen Thi Pham")
    assert "****6666" in consent.text
    (summary,) = await citizen.text("toi dong y")
    assert "Số tài khoản: ****6666" in summary.text
    (sent,) = await citizen.text("gui")
    assert sent.text.startswith("Đã gửi.")

    (listing,) = await officer.text("/requests")
    assert "đang chờ duyệt: 1" in listing.text
    request_id = inline_ids(listing)[0]
    (opened,) = await officer.tap(request_id)
    assert "Số tài khoản: 888877776666" in opened.text and "mã BIN 999888" in opened.text
    rid = request_id.rsplit(":", 1)[1]
    (approved,) = await officer.tap(f"bankrev:ok:{rid}")
    assert approved.text.startswith("Đã duyệt.") and "12/2026" in approved.text
    text, photo = await officer.tap(f"bankrev:qr:{rid}", expect=2)
    assert "VBSP ****6666" in text.text
    assert photo.method == "sendPhoto"
    (filename, content) = photo.params["_files"]["photo"]
    assert filename == f"vietqr-{rid}.png" and content.startswith(b"\x89PNG")

    # The citizen sees the outcome at any time; a stray approve tap does nothing.
    await citizen.text("🏦 Đăng ký tài khoản ngân hàng")
    (status,) = await citizen.tap("bank:status")
    assert "đã được duyệt" in status.text and "****6666" in status.text
    (refused,) = await citizen.tap(f"bankrev:ok:{rid}")
    assert "chỉ dành cho cán bộ xã" in refused.text
