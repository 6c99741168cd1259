"""Officers join by invite code and send the commune's lists as files."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from handlers.officer import new_invite_code, parse_invite_code, pretty_code
from handlers.types import FileUpload, Incoming
from storage.records import Commune
from tests.chat import Chat
from tests.conftest import COMMUNE, NOW

OTHER = Commune("99002", "Phường Hải Vân", "48", "Đà Nẵng", 5, None, None)
LIST = (
    "Họ và tên,Số CCCD,Ngày sinh,Mã xã,Mức hưởng\n"
    "Nguyễn Thị Phàm,001140001234,15/03/1940,99001,500000\n"
    "Lê Văn Tư,079045006789,02/07/1945,99001,1000000\n"
)


async def _invite(db, commune=COMMUNE, days: int = 7, name: str = "Trần Văn Bình") -> str:
    code = new_invite_code()
    async with db.transaction() as tx:
        await tx.communes.upsert(commune)
        await tx.officers.create_invite(
            code,
            commune_code=commune.code,
            name=name,
            now=NOW,
            expires_at=NOW + timedelta(days=days),
        )
    return code


async def _send_file(chat: Chat, name: str, data: bytes):
    chat.last = await chat.dispatcher.handle(
        Incoming(channel=chat.channel, user_id=chat.user_id, document=FileUpload(name, data))
    )
    return chat.last


def test_invite_codes_are_forgiving_to_type():
    code = new_invite_code()
    assert parse_invite_code(pretty_code(code).lower()) == code
    assert parse_invite_code(" cb " + code[2:6] + " " + code[6:]) == code
    assert parse_invite_code("CB-0000-1111") is None  # 0 and 1 are never used
    assert parse_invite_code("tien ve chua") is None


async def test_joining_by_code_valid_reused_and_expired(dispatcher, db, clock):
    code = await _invite(db)
    officer = Chat(dispatcher, "officer")
    await officer.say(pretty_code(code).lower())
    assert "Trần Văn Bình" in officer.text and "cán bộ của Xã Hòa An" in officer.text
    again = Chat(dispatcher, "someone-else")
    await again.command("start", code)  # the same link opened twice
    assert "đã được dùng" in again.text
    old = await _invite(db, days=1)
    clock.now = NOW + timedelta(days=2)
    late = Chat(dispatcher, "late")
    await late.say(old)
    assert "đã hết hạn" in late.text
    wrong = Chat(dispatcher, "wrong")
    await wrong.say("CB-2345-6789")
    assert "không đúng" in wrong.text


async def test_an_officer_imports_a_list_by_sending_it(dispatcher, db):
    code = await _invite(db)
    officer = Chat(dispatcher, "officer")
    await officer.command("start", code)
    replies = await _send_file(officer, "danh-sach.csv", LIST.encode())
    text = "\n".join(r.text for r in replies)
    assert "Đã nhận danh-sach.csv" in text
    assert "danh-sach.csv: đã đọc 2 dòng, 2 dòng hợp lệ, 0 dòng có lỗi." in text
    assert "Đối tượng: thêm mới 2" in text and "Đã nhập xong." in text
    citizen = Chat(dispatcher, "citizen")
    await citizen.link("001140001234", "15/03/1940")
    assert "Đã xác minh: Bà Nguyễn Thị Phàm" in citizen.text


async def test_rows_of_another_commune_are_refused_with_a_report(dispatcher, db):
    code = await _invite(db)
    async with db.transaction() as tx:
        await tx.communes.upsert(OTHER)
    officer = Chat(dispatcher, "officer")
    await officer.say(code)
    mixed = LIST + "Võ Thị Sen,034141094020,24/07/1941,99002,500000\n"
    replies = await _send_file(officer, "ds.csv", mixed.encode())
    text = "\n".join(r.text for r in replies)
    assert "Chưa nhập gì cả, vì có 1 dòng bị lỗi; tệp báo cáo gửi kèm" in text
    report = replies[-1].attachments[0]
    assert report.filename == "ds.report.csv"
    rows = list(csv.reader(io.StringIO(report.data.decode("utf-8-sig"))))
    assert rows[1] == [
        "4",
        "Mã xã",
        "99002",
        "Dòng này thuộc Phường Hải Vân (99002), không phải xã Ông/Bà phụ trách.",
    ]
    async with db.transaction() as tx:
        assert await tx.beneficiaries.count() == 0


async def test_a_citizen_cannot_send_lists(dispatcher, db):
    await _invite(db)
    citizen = Chat(dispatcher, "citizen")
    await _send_file(citizen, "ds.csv", LIST.encode())
    assert "Chỉ cán bộ xã mới gửi được danh sách" in citizen.text
    async with db.transaction() as tx:
        assert await tx.beneficiaries.count() == 0


async def test_a_file_that_is_not_a_list_is_explained(dispatcher, db):
    code = await _invite(db)
    officer = Chat(dispatcher, "officer")
    await officer.say(code)
    replies = await _send_file(officer, "anh.jpg", b"\xff\xd8\xff\xe0" + bytes(200))
    assert "Không nhập được tệp" in "\n".join(r.text for r in replies)


async def test_a_payment_list_with_the_month_only_in_its_title_is_refused(dispatcher, db):
    code = await _invite(db)
    officer = Chat(dispatcher, "officer")
    await officer.say(code)
    await _send_file(officer, "ds.csv", LIST.encode())
    titled = (
        "DANH SÁCH CHI TRẢ THÁNG 11/2026\n"
        "Số CCCD,Họ và tên,Số tiền,Trạng thái,Ngày chi\n"
        "001140001234,Nguyễn Thị Phàm,500000,đã chi,10/11/2026\n"
    )
    replies = await _send_file(officer, "chi-tra.csv", titled.encode())
    assert "không có cột tháng (Kỳ)" in "\n".join(r.text for r in replies)
    citizen = Chat(dispatcher, "citizen")  # nothing about her was touched
    await citizen.link("001140001234", "15/03/1940")
    assert "Đã xác minh" in citizen.text
