"""The officer's and volunteer's capabilities on Zalo, where nothing has
buttons: a bank-account registration and its approval, a volunteer's visit,
and an officer's broadcast reaching Zalo users through the delivery worker --
all typed, by number or by words, through the Zalo channel and its fake API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.app import App, build_app
from handlers.officer import new_invite_code
from handlers.volunteer import new_volunteer_code
from tests.channels.test_zalo import Person, fake, link_pham, listed, settings_for  # noqa: F401
from tests.conftest import NOW, TU


@pytest.fixture
async def zbot(fake, database_url, seeded, clock, unused_tcp_port) -> AsyncIterator[App]:  # noqa: F811
    settings = settings_for(fake, database_url, unused_tcp_port, delivery_enabled=True)
    app = build_app(settings, clock=clock)
    assert app.progress is not None
    app.progress.interval = 0  # the test's clock stands still
    await app.start()
    yield app
    await app.stop()


async def _officer(db, fake, user: str) -> Person:  # noqa: F811
    code = new_invite_code()
    async with db.transaction() as tx:
        await tx.officers.create_invite(
            code, commune_code="99001", name="Trần Văn Bình", now=NOW,
            expires_at=NOW + timedelta(days=7),
        )  # fmt: skip
    officer = Person(fake, user)
    (welcome,) = await officer.text(code)
    assert "Chào mừng Trần Văn Bình!" in welcome.text
    return officer


def option_number(sent, words: str) -> str:  # type: ignore[no-untyped-def]
    """The number to type for the option whose label contains ``words``."""
    for i, label in enumerate(listed(sent), start=1):
        if words.casefold() in label.casefold():
            return str(i)
    raise AssertionError(f"no option with {words!r} in {sent.text!r}")


async def _news(fake, user: str, words: str):  # type: ignore[no-untyped-def]  # noqa: F811
    """Wait for a proactive message containing ``words``."""
    for count in range(1, 20):
        sent = await fake.wait_sent(user, count)
        for s in sent:
            if words in s.text:
                return s
    raise AssertionError(words)


async def test_a_bank_account_registered_and_approved_on_zalo(zbot, fake, db):  # noqa: F811
    citizen = Person(fake, "7001")
    await link_pham(citizen)
    (ways,) = await citizen.text("dang ky tai khoan")
    assert "Có hai cách" in ways.text
    (ask_bank,) = await citizen.text(option_number(ways, "tại đây"))
    (ask_number,) = await citizen.text("chinh sach xa hoi")
    assert "số tài khoản" in ask_number.text.lower()
    (bad,) = await citizen.text("12 34")
    assert "có 4 chữ số" in bad.text
    (check,) = await citizen.text("8888.7777.6666")
    (ask_holder,) = await citizen.text(option_number(check, "Đúng"))
    (consent,) = await citizen.text("Nguyen Thi Pham")
    assert "****6666" in consent.text
    (summary,) = await citizen.text("toi dong y")
    assert "Số tài khoản: ****6666" in summary.text and "888877776666" not in summary.text
    (sent,) = await citizen.text(option_number(summary, "Gửi"))
    assert sent.text.startswith("Đã gửi.")

    officer = await _officer(db, fake, "7002")
    (listing,) = await officer.text("/requests")
    assert "đang chờ duyệt: 1" in listing.text
    (opened,) = await officer.text("1")
    assert "Số tài khoản: 888877776666" in opened.text  # in full, to the reviewing officer
    (approved,) = await officer.text(option_number(opened, "Duyệt"))
    assert approved.text.startswith("Đã duyệt.")
    news = await _news(fake, "7001", "Tin vui")
    assert "****6666" in news.text and "888877776666" not in news.text


async def test_a_volunteer_joins_and_logs_a_visit_on_zalo(zbot, fake, db):  # noqa: F811
    code = new_volunteer_code()
    async with db.transaction() as tx:
        await tx.volunteers.create_invite(
            code, commune_code="99001", unit="Chi đoàn thôn Đông", max_uses=2, now=NOW,
            expires_at=NOW + timedelta(days=14),
        )  # fmt: skip
    vol = Person(fake, "7101")
    (rules,) = await vol.text(code.lower())
    assert "dữ liệu cá nhân" in rules.text
    (ask_name,) = await vol.text("1")  # accept
    assert "họ và tên" in ask_name.text
    await vol.text("Lê Thị Hoa")
    (welcome,) = await vol.text("0987 654 321")
    assert welcome.text.startswith("Cảm ơn Lê Thị Hoa!")
    (pick,) = await vol.text(option_number(welcome, "Ghi lần thăm hộ"))
    await vol.text(option_number(pick, "hộ mới"))
    await vol.text("Nguyen Van Nam")
    await vol.text("Thôn Đông")
    await vol.text("0912 000 333")
    (ask_location,) = await vol.text("4")
    (tick,) = await vol.text(option_number(ask_location, "Bỏ qua"))
    (ticked,) = await vol.text("1 2")
    assert listed(ticked)[:2] == [
        "✅ Đã cài ứng dụng VNeID",
        "✅ Đã kích hoạt định danh điện tử mức 2",
    ]
    (first_result,) = await vol.text(option_number(ticked, "Xong"))
    assert first_result.text.startswith("Đã cài ứng dụng VNeID: kết quả thế nào?")
    await vol.text("1")
    (ask_note,) = await vol.text("2")
    assert "Ghi chú" in ask_note.text
    await vol.text("bo qua")
    (confirm,) = await vol.text("mai")
    assert "Quay lại ngày 21/11/2026." in confirm.text
    (saved,) = await vol.text(option_number(confirm, "Lưu"))
    assert saved.text.startswith("Đã lưu.\nBạn đã giúp 1 trên 20 hộ.")


async def test_an_officers_broadcast_reaches_zalo_users(zbot, fake, db):  # noqa: F811
    citizen = Person(fake, "7201")
    await link_pham(citizen)
    other = Person(fake, "7202")  # Tư's son, in English
    (menu,) = await other.text("ngon ngu")
    await other.text(option_number(menu, "English"))
    await other.text("check my allowance")
    await other.text("for my father or mother")
    await other.text(TU.national_id)
    await other.text("02/07/1945", expect=2)
    officer = await _officer(db, fake, "7203")
    (home,) = await officer.text("gui thong bao")
    (audience,) = await officer.text(option_number(home, "Thông báo mới"))
    (ask_text,) = await officer.text(option_number(audience, "Mọi người"))
    assert "bằng tiếng Việt" in ask_text.text
    (ask_en,) = await officer.text("Mời bà con mang thẻ BHYT đến UBND xã ngày 25/11.")
    (preview,) = await officer.text("Please bring your health-insurance card on 25/11.")
    assert "2 người trên bot sẽ nhận được tin này" in preview.text
    (queued,) = await officer.text(option_number(preview, "Gửi ngay"))
    assert "đang được gửi tới 2 người" in queued.text
    vi = await _news(fake, "7201", "Mời bà con mang thẻ BHYT")
    en = await _news(fake, "7202", "Please bring your health-insurance card")
    assert vi.text.startswith("📣") and en.text.startswith("📣")
    # The officer is told when it has all gone out, and "1" gets the report.
    done = await _news(fake, "7203", "✅")
    assert done.text == (
        "✅ Thông báo số 1 đã gửi xong: đã gửi 2 trên 2 · đã chặn bot 0 · lỗi 0.\n\n"
        "1. 📊 Báo cáo gửi tin (Excel)"
    )
    text, link = await officer.text("1", expect=2)
    assert "Báo cáo gửi tin của thông báo số 1" in text.text
    assert link.text.startswith("📎 broadcast-1.xlsx\nhttp://")


async def test_a_number_typed_on_zalo_answers_the_pushed_message(zbot, fake, db, tmp_path, clock):  # noqa: F811
    """A payment message arrives as a numbered list; "2" picks its second
    item (turn the messages off), not the second item of the menu before."""
    from handlers.i18n import Catalogs
    from handlers.importing.service import run_import
    from tests.conftest import PHAM

    citizen = Person(fake, "7401")
    await link_pham(citizen)
    (menu,) = await citizen.text("menu")
    assert listed(menu)[1] != "🔕 Tắt tin báo tiền trợ cấp"
    path = tmp_path / "chi.csv"
    path.write_text(
        f"Số CCCD;Kỳ;Số tiền;Trạng thái;Ngày chi\n{PHAM.national_id};12/2026;500000;đã chi;10/12/2026\n",
        encoding="utf-8",
    )
    catalogs = Catalogs()
    await run_import(
        db, path, "payments", translator=catalogs.get("vi"), catalogs=catalogs, clock=clock
    )
    news = await _news(fake, "7401", "Tin báo tiền trợ cấp")
    assert listed(news) == ["💰 Kiểm tra tiền trợ cấp", "🔕 Tắt tin báo tiền trợ cấp"]
    (answer,) = await citizen.text("2")
    assert answer.text.startswith("Đã tắt. Tôi sẽ không nhắn tin báo tiền trợ cấp nữa.")
