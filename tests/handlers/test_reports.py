"""Officers' and province users' reports: every figure checked against a data
set with known counts, the lists, the chart and the Excel files, and who may
see what."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from handlers.officer import new_invite_code
from handlers.reports import previous_periods
from handlers.types import FileUpload, Incoming
from tests.chat import Chat
from tests.conftest import NOW, PHAM
from tests.report_data import Group, add_communes, load_groups

PNG = b"\x89PNG\r\n\x1a\n"


async def _invite(db, *, commune: str | None = None, province: str | None = None) -> str:
    code = new_invite_code()
    async with db.transaction() as tx:
        await tx.officers.create_invite(
            code,
            commune_code=commune,
            province_code=province,
            name="Trần Văn Bình",
            now=NOW,
            expires_at=NOW + timedelta(days=7),
        )
    return code


async def _join(dispatcher, db, user: str, **where: str) -> Chat:
    chat = Chat(dispatcher, user)
    await chat.say(await _invite(db, **where))
    return chat


@pytest.fixture
async def commune_data(db, seeded):
    """In Xã Hòa An (99001), on the November 2026 list: Phàm (bank, elderly,
    Thôn Đông), Tư (post, disabled, Thôn Tây), 15 elderly in Thôn Đông (3 by
    bank, 12 cash), 4 meritorious in Thôn Bắc (3 by bank, 1 cash). In Xã Hòa
    Bình (99002), same province: 5 orphans, all by bank."""
    await add_communes(db, [("99002", "Xã Hòa Bình", "99", "Tỉnh Thử")])
    await load_groups(
        db,
        [
            Group("99001", "Thôn Đông", "elderly", 15, 3),
            Group("99001", "Thôn Bắc", "meritorious", 4, 3),
            Group("99002", "Thôn Nam", "orphan", 5, 5),
        ],
        ["2026-11"],
        start_id=100,
    )
    return seeded


async def test_the_commune_officer_sees_the_non_cash_rate_broken_down(dispatcher, db, commune_data):
    officer = await _join(dispatcher, db, "o1", commune="99001")
    assert "rep:menu" in officer.option_ids()  # the officer's menu has reports
    await officer.say("bao cao")  # typed, without diacritics
    assert "Báo cáo tháng 11/2026" in officer.text
    await officer.tap("rep:rate")
    text = officer.text
    assert (
        "Tỷ lệ chi trả không dùng tiền mặt, tháng 11/2026, Xã Hòa An: 33,3\xa0% — 7 trên 21 người"
        in text
    )
    assert "Người có công với cách mạng và thân nhân: 75,0\xa0% (3 trên 4)" in text
    assert "Bảo trợ xã hội: 23,5\xa0% (4 trên 17)" in text
    assert "Người cao tuổi: 25,0\xa0% (4 trên 16)" in text
    assert "Người khuyết tật: 0,0\xa0% (0 trên 1)" in text
    assert "Thôn Đông: 25,0\xa0% (4 trên 16)" in text
    assert "Thôn Bắc: 75,0\xa0% (3 trên 4)" in text
    assert "Thôn Tây: 0,0\xa0% (0 trên 1)" in text
    assert "Thôn Nam" not in text and "Trẻ mồ côi" not in text  # another commune


async def test_english_and_another_month(dispatcher, db, commune_data):
    officer = await _join(dispatcher, db, "o1", commune="99001")
    await officer.tap("menu:language")
    await officer.tap("lang:en")
    await officer.command("reports")
    await officer.tap("rep:period")
    await officer.say("13/2026")
    assert "could not read that month" in officer.text
    await officer.say("12/2026")
    assert "has not come yet" in officer.text
    await officer.say("10/2026")
    assert "Reports for 10/2026" in officer.text
    await officer.tap("rep:rate")
    assert "Non-cash rate, 10/2026, Xã Hòa An: 50.0% — 1 of 2 people" in officer.text
    await officer.tap("rep:period")
    await officer.say("1/2026")
    await officer.tap("rep:rate")
    assert "There is no payment list for 01/2026 yet" in officer.text


async def test_the_trend_comes_as_text_and_as_a_chart(dispatcher, db, commune_data):
    officer = await _join(dispatcher, db, "o1", commune="99001")
    await officer.tap("rep:menu")
    await officer.tap("rep:trend")
    (reply,) = officer.last
    lines = reply.text.splitlines()
    assert lines[0] == "Tỷ lệ không dùng tiền mặt theo từng tháng:"
    assert lines[1] == "• 12/2025: chưa có danh sách chi trả"
    assert "• 08/2026: 100,0\xa0% (1 trên 1)" in lines
    assert "• 10/2026: 50,0\xa0% (1 trên 2)" in lines
    assert lines[-1] == "• 11/2026: 33,3\xa0% (7 trên 21)"
    assert len(lines) == 13
    (chart,) = reply.attachments
    assert chart.kind == "image" and chart.data.startswith(PNG) and len(chart.data) > 5000


async def test_lists_of_people_left_behind_are_paged_and_exported(dispatcher, db, commune_data):
    citizen = Chat(dispatcher, "pham-daughter")
    await citizen.link(PHAM.national_id, "15/03/1940", who="who:child")
    from storage.records import NewBankRequest

    async with db.transaction() as tx:
        daughter, _ = await tx.users.get_or_create("web", "pham-daughter", "vi")
        await tx.bank_requests.submit(
            NewBankRequest(
                commune_data["pham"], daughter.id, "970405", "Agribank", "1234567890",
                "Nguyễn Thị Phàm", True, None,
            ),
            NOW,
        )  # fmt: skip
        # A volunteer visited a household headed by Lê Văn Tư (typed without diacritics).
        volunteer, _ = await tx.users.get_or_create("web", "volunteer", "vi")
        household = await tx.volunteers.add_household(
            commune_code="99001", volunteer_id=volunteer.id, head_name="le van tu",
            village="Thon Tay", phone=None, members=2, location=None, now=NOW,
        )  # fmt: skip
        await tx.volunteers.add_visit(
            household_id=household, volunteer_id=volunteer.id, services={"vneid": "done"},
            note=None, followup_on=None, new_household=True, now=NOW,
        )  # fmt: skip
    officer = await _join(dispatcher, db, "o1", commune="99001")
    await officer.tap("rep:menu")
    await officer.say("3")  # the third option, typed: still cash or post
    assert "14 người; trang 1 trên 2." in officer.text
    # By commune, village (as written), then name; whether a volunteer has been.
    assert (
        "1. Người 118 — Thôn Bắc — tiền mặt, chưa có tình nguyện viên đến thăm — "
        "chưa có số điện thoại"
    ) in officer.text
    assert (
        "2. Lê Văn Tư — Thôn Tây — bưu điện, tình nguyện viên đã đến thăm — chưa có số điện thoại"
    ) in officer.text
    assert officer.text.count("\n") == 11  # title, count, 10 people
    await officer.tap("rep:list:cash:2")
    assert "trang 2 trên 2" in officer.text
    assert "14. Người 114 — Thôn Đông — tiền mặt, chưa có" in officer.text
    await officer.tap("rep:list:cash:9")  # an old or made-up page: the last one
    assert "trang 2 trên 2" in officer.text
    await officer.tap("rep:xlsx:cash")
    (doc,) = officer.last[0].attachments
    sheet = load_workbook(io.BytesIO(doc.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("STT", "Họ và tên", "Xã")
    assert rows[2][1] == "Lê Văn Tư" and rows[2][-1] == "tình nguyện viên đã đến thăm"
    assert len(rows) == 15
    # Bank accounts sent in the chat and waiting for the officer.
    await officer.tap("rep:list:bank:1")
    assert (
        "1. Nguyễn Thị Phàm — Thôn Đông — Agribank ****7890, gửi ngày 20/11/2026 — "
        "SĐT 0912000111, người thân 0987000222"
    ) in officer.text
    # Never linked: everyone but Phàm, whose daughter linked her.
    await officer.tap("rep:list:unlinked:1")
    assert "20 người" in officer.text and "Nguyễn Thị Phàm" not in officer.text
    # Failed or returned, with the reason and the phones to call.
    await officer.tap("rep:period")
    await officer.say("09/2026")
    await officer.tap("rep:list:failed:1")
    assert (
        "1. Nguyễn Thị Phàm — Thôn Đông — chuyển khoản không thành công: tài khoản bị khóa — "
        "SĐT 0912000111, người thân 0987000222"
    ) in officer.text
    await officer.tap("rep:xlsx:failed")
    sheet = load_workbook(io.BytesIO(officer.last[0].attachments[0].data)).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert row[1] == "Nguyễn Thị Phàm" and row[6] == "0912000111" and row[-1] == "tài khoản bị khóa"
    assert sheet.cell(row=2, column=7).data_type == "s"  # the phone stays text


async def test_a_province_user_sees_every_commune_and_changes_nothing(dispatcher, db, commune_data):
    user = await _join(dispatcher, db, "p1", province="99")
    assert "mọi xã của Tỉnh Thử" in user.text
    await user.tap("rep:menu")
    await user.tap("rep:rate")
    assert "2 xã: 46,2\xa0% — 12 trên 26 người" in user.text
    assert "Xã Hòa An: 33,3\xa0% (7 trên 21)" in user.text
    assert "Xã Hòa Bình: 100,0\xa0% (5 trên 5)" in user.text
    # Reading only: a list sent in is refused and nothing is imported.
    reply = await dispatcher.handle(
        Incoming(channel="web", user_id="p1", document=FileUpload("ds.csv", b"a,b\n1,2\n"))
    )
    assert "Chỉ cán bộ xã mới gửi được danh sách" in reply[0].text


async def test_nobody_else_sees_reports(dispatcher, db, commune_data):
    citizen = Chat(dispatcher, "c1")
    await citizen.command("reports")
    assert "Báo cáo chỉ dành cho cán bộ xã" in citizen.text
    await citizen.tap("rep:list:cash:1")  # a made-up button
    assert "Báo cáo chỉ dành cho cán bộ xã" in citizen.text
    other = await _join(dispatcher, db, "o2", commune="99002")
    await other.tap("rep:list:cash:1")
    assert "Nobody" not in other.text and "Không có ai" in other.text  # orphans all by bank
    await other.tap("rep:list:unlinked:1")
    assert "Nguyễn Thị Phàm" not in other.text and "5 người" in other.text


async def test_the_province_shares_of_binh_thuan_2024_are_reproduced(dispatcher, db):
    """Bình Thuận 2024: 21,150 of 54,649 (38.7 %) paid through accounts;
    meritorious service 4,283 of 9,035 (47.4 %); social protection 16,867 of
    45,614 (37 %)."""
    await add_communes(db, [(f"6{i:04d}", f"Xã Thử {i}", "60", "Bình Thuận") for i in range(1, 5)])
    groups = [
        Group("60001", None, "meritorious", 5_000, 2_283),
        Group("60002", None, "meritorious", 4_035, 2_000),
        Group("60001", None, "elderly", 15_000, 6_000),
        Group("60002", None, "disabled", 20_000, 7_000, other="post"),
        Group("60003", None, "orphan", 614, 367),
        Group("60004", None, "other", 10_000, 3_500),
    ]
    await load_groups(db, groups, ["2026-11"])
    user = await _join(dispatcher, db, "p1", province="60")
    await user.tap("rep:menu")
    await user.tap("rep:rate")
    assert "4 xã: 38,7\xa0% — 21.150 trên 54.649 người" in user.text
    assert "Người có công với cách mạng và thân nhân: 47,4\xa0% (4.283 trên 9.035)" in user.text
    assert "Bảo trợ xã hội: 37,0\xa0% (16.867 trên 45.614)" in user.text
    await user.tap("menu:language")
    await user.tap("lang:en")
    await user.command("reports")
    await user.tap("rep:rate")
    assert "4 communes: 38.7% — 21,150 of 54,649 people" in user.text
    assert "Social protection: 37.0% (16,867 of 45,614)" in user.text


def test_previous_periods_cross_the_year():
    assert previous_periods("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert len(previous_periods("2026-11", 12)) == 12
