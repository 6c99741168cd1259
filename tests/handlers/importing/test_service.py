"""Importing lists into the database: all or nothing, idempotent, reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook

from handlers.communes import official_communes
from handlers.i18n import Catalogs
from handlers.importing.service import run_import
from storage.records import Commune
from tests.chat import Chat
from tests.conftest import COMMUNE

HEAD = "STT;Họ và tên;Số CCCD;Ngày sinh;Mã xã;Thôn;Đối tượng;Mức hưởng;Hình thức nhận;Ngân hàng;Số tài khoản;SĐT người thân"
PHAM = "1;Nguyễn Thị Phàm;001140001234;15/03/1940;99001;Thôn Đông;người cao tuổi;500.000;ngân hàng;Agribank;1234000056789;0987000222"
TU = "2;Lê Văn Tư;079045006789;02/07/1945;Xã Hòa An;Thôn Tây;khuyết tật;1.000.000;bưu điện;;;"
BAD = "3;Sai Số;12345;01/01/1950;99001;;người cao tuổi;500000;tiền mặt;;;"


def write_csv(path: Path, *lines: str) -> Path:
    path.write_text(
        "\ufeffUBND XÃ HÒA AN\nDANH SÁCH ĐỐI TƯỢNG\n\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    return path


async def _commune(db) -> None:
    async with db.transaction() as tx:
        await tx.communes.upsert(COMMUNE)


async def _count(db) -> int:
    async with db.transaction() as tx:
        return await tx.beneficiaries.count()


async def test_beneficiaries_then_payments_reach_the_citizen(db, tmp_path, dispatcher):
    await _commune(db)
    vi = Catalogs().get("vi")
    ben = await run_import(
        db, write_csv(tmp_path / "ds.csv", HEAD, PHAM, TU), "beneficiaries", translator=vi
    )
    assert ben.outcome == "applied" and ben.rows == 2 and ben.counts.created == 2
    assert ben.report_path is None  # nothing to report
    pay = tmp_path / "chi.csv"
    pay.write_text(
        "Số CCCD;Kỳ;Số tiền;Trạng thái;Ngày chi;Hình thức;Ghi chú\n"
        "001140001234;T11/2026;500.000;đã chi;10/11/2026;ngân hàng;\n"
        "079045006789;11/2026;1000000;hoàn trả;;bưu điện;người nhận vắng nhà\n",
        encoding="utf-8",
    )
    result = await run_import(db, pay, "payments", translator=vi)
    assert result.outcome == "applied"
    assert result.counts.became == {"paid": 1, "returned": 1}
    # The citizen now sees it, by the ID and date of birth from the list.
    chat = Chat(dispatcher)
    await chat.link("001140001234", "15/03/1940")
    assert (
        "Tiền trợ cấp tháng 11/2026 của Bà Nguyễn Thị Phàm: 500.000\xa0₫, "
        "đã chuyển vào tài khoản Agribank ****6789 ngày 10/11/2026." in chat.text
    )
    relative = Chat(dispatcher, "rel", channel="telegram")
    await relative.share_contact("+84987000222")  # the relative's phone from the list
    assert "Bà Nguyễn Thị Phàm" in relative.text


async def test_one_bad_row_imports_nothing_and_is_reported(db, tmp_path):
    await _commune(db)
    vi = Catalogs().get("vi")
    path = write_csv(tmp_path / "ds.csv", HEAD, PHAM, BAD, TU)
    result = await run_import(db, path, "beneficiaries", translator=vi)
    assert result.outcome == "rejected" and result.invalid == 1
    assert await _count(db) == 0
    report = result.report_path.read_text(encoding="utf-8-sig").splitlines()
    assert report[0] == "Dòng,Cột,Giá trị,Lý do"
    assert report[1] == "6,Số CCCD,**345,Số CCCD phải có 12 chữ số; số này có 5 chữ số."
    # --skip-invalid imports the others; --dry-run changes nothing.
    dry = await run_import(
        db, path, "beneficiaries", translator=vi, skip_invalid=True, dry_run=True
    )
    assert dry.outcome == "dry_run" and dry.counts.created == 2
    assert await _count(db) == 0
    skip = await run_import(db, path, "beneficiaries", translator=vi, skip_invalid=True)
    assert skip.outcome == "applied" and skip.counts.created == 2
    assert await _count(db) == 2


async def test_importing_twice_changes_nothing_and_a_correction_only_what_differs(db, tmp_path):
    await _commune(db)
    vi = Catalogs().get("vi")
    path = write_csv(tmp_path / "ds.csv", HEAD, PHAM, TU)
    await run_import(db, path, "beneficiaries", translator=vi)
    again = await run_import(db, path, "beneficiaries", translator=vi)
    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 0, 2)
    fixed = write_csv(tmp_path / "ds2.csv", HEAD, PHAM, TU.replace("1.000.000", "1.500.000"))
    third = await run_import(db, fixed, "beneficiaries", translator=vi)
    assert (third.counts.created, third.counts.updated, third.counts.unchanged) == (0, 1, 1)


async def test_payment_status_changes_are_recorded_once(db, tmp_path):
    await _commune(db)
    vi = Catalogs().get("vi")
    await run_import(db, write_csv(tmp_path / "ds.csv", HEAD, PHAM), "beneficiaries", translator=vi)
    pay = tmp_path / "chi.csv"
    pay.write_text(
        "Số CCCD,Kỳ,Số tiền,Trạng thái\n001140001234,11/2026,500000,chờ chi\n", encoding="utf-8"
    )
    first = await run_import(db, pay, "payments", translator=vi)
    assert first.counts.became == {"pending": 1}
    pay.write_text(
        "Số CCCD,Kỳ,Số tiền,Trạng thái,Ngày chi\n001140001234,11/2026,500000,đã chi,12/11/2026\n",
        encoding="utf-8",
    )
    second = await run_import(db, pay, "payments", translator=vi)
    assert second.counts.became == {"paid": 1} and second.counts.updated == 1
    third = await run_import(db, pay, "payments", translator=vi)
    assert third.counts.became == {} and third.counts.unchanged == 1
    async with db.transaction() as tx:
        events = await tx.imports.events()
    assert [(e[1], e[2], e[3]) for e in events] == [
        ("2026-11", None, "pending"),
        ("2026-11", "pending", "paid"),
    ]


async def test_unknown_commune_repeated_id_and_unknown_person_are_row_errors(db, tmp_path):
    await _commune(db)
    vi = Catalogs().get("vi")
    other = PHAM.replace("99001", "12345").replace("1;Nguyễn", "1;Trần")
    path = write_csv(tmp_path / "ds.csv", HEAD, other, TU, TU.replace("2;", "3;"))
    result = await run_import(db, path, "beneficiaries", translator=vi)
    reasons = result.report_path.read_text(encoding="utf-8-sig").splitlines()[1:]
    assert reasons == [
        '5,Mã xã,12345,"12345 không phải mã xã trong danh sách chính thức từ 1/7/2025, '
        'cũng không phải xã của bot."',
        "7,Số CCCD,*********789,Số CCCD này đã có ở dòng 6 của tệp.",
    ]
    pay = tmp_path / "chi.csv"
    pay.write_text(
        "Số CCCD,Kỳ,Số tiền,Trạng thái\n001140001234,11/2026,500000,đã chi\n", encoding="utf-8"
    )
    nobody = await run_import(db, pay, "payments", translator=Catalogs().get("en"))
    assert nobody.outcome == "rejected"
    assert "No one with this citizen ID is on the beneficiary list" in nobody.report_path.read_text(
        encoding="utf-8-sig"
    )


async def test_communes_are_checked_against_the_official_list(db, tmp_path):
    await _commune(db)
    en = Catalogs().get("en")
    head = "Họ và tên;Số CCCD;Ngày sinh;Xã;Mức hưởng"
    rows = [
        "Người Một;001140000001;01/01/1940;26740;500000",  # official, not served
        "Người Hai;001140000002;01/01/1940;phuong sai gon;500000",  # same, by name
        "Người Ba;001140000003;01/01/1940;Xã Tân Phú;500000",  # many communes
        "Người Bốn;001140000004;01/01/1940;Xã Không Có;500000",  # no such commune
        "Người Năm;001140000005;01/01/1940;hoa an;500000",  # the bot's own, by name
    ]
    path = write_csv(tmp_path / "ds.csv", head, *rows)
    result = await run_import(db, path, "beneficiaries", translator=en)
    assert result.outcome == "rejected" and await _count(db) == 0
    reasons = result.report_path.read_text(encoding="utf-8-sig").splitlines()[1:]
    assert reasons[0] == (
        "5,Xã,26740,\"Phường Sài Gòn (26740, Thành phố Hồ Chí Minh) is not one of the bot's "
        "communes yet; the bot's administrator adds it with: python -m bot commune add 26740\""
    )
    assert reasons[1].startswith('6,Xã,phuong sai gon,"Phường Sài Gòn (26740,')
    assert reasons[2].startswith('7,Xã,Xã Tân Phú,"Several communes are called Xã Tân Phú (')
    assert reasons[2].endswith('or the name with its province after a comma."')
    assert (
        reasons[3]
        == "8,Xã,Xã Không Có,The commune Xã Không Có is not in the bot's list of communes."
    )
    assert len(reasons) == 4  # "hoa an" is the bot's Xã Hòa An
    # Once the commune is added, the same file goes in with only the unknown names left out.
    async with db.transaction() as tx:
        await tx.communes.upsert(
            Commune("26740", "Phường Sài Gòn", "79", "Thành phố Hồ Chí Minh", 5, None, None)
        )
    again = await run_import(db, path, "beneficiaries", translator=en, skip_invalid=True)
    assert again.outcome == "applied" and again.counts.created == 3
    # A shared name with its province picks the served one, even spelled loosely.
    tan_phu = official_communes().find("Xã Tân Phú")[0]
    async with db.transaction() as tx:
        await tx.communes.upsert(
            Commune(tan_phu.code, tan_phu.name, tan_phu.province_code, "", 5, None, None)
        )
    province = tan_phu.province_name.replace("Tỉnh ", "").replace("Thành phố ", "")
    path = write_csv(
        tmp_path / "tp.csv", head, f"Người Sáu;001140000006;01/01/1940;tan phu, {province};500000"
    )
    third = await run_import(db, path, "beneficiaries", translator=en)
    assert third.outcome == "applied" and third.counts.created == 1
    async with db.transaction() as tx:
        person = await tx.beneficiaries.verify("001140000006", date(1940, 1, 1))
    assert person is not None and person.commune_code == tan_phu.code


async def test_xlsx_with_title_block_and_numbers_for_ids(db, tmp_path):
    await _commune(db)
    async with db.transaction() as tx:
        await tx.communes.upsert(Commune("99002", "Phường Hải Vân", "48", "Đà Nẵng", 5, None, None))
    wb = Workbook()
    ws = wb.active
    ws.append(["UBND PHƯỜNG HẢI VÂN"])
    ws.merge_cells("A1:E1")
    ws.append([])
    ws.append(["Họ tên", "CCCD", "Ngày sinh", "Xã", "Số tiền"])
    ws.append(["Nguyễn Thị Phàm", 1140001234, date(1940, 3, 15), "Hải Vân", 500000])  # lost its 00
    path = tmp_path / "ds.xlsx"
    wb.save(path)
    result = await run_import(db, path, "beneficiaries", translator=Catalogs().get("vi"))
    assert result.outcome == "applied" and result.counts.created == 1
    async with db.transaction() as tx:
        person = await tx.beneficiaries.verify("001140001234", date(1940, 3, 15))
    assert person is not None and person.commune_code == "99002"


async def test_a_file_that_is_not_a_list(db, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    result = await run_import(db, path, "beneficiaries", translator=Catalogs().get("vi"))
    assert result.outcome == "file_error"
    assert result.file_error and "xlsx" in result.file_error


async def test_a_list_with_fewer_columns_or_empty_cells_wipes_nothing(db, tmp_path, dispatcher):
    await _commune(db)
    vi = Catalogs().get("vi")
    await run_import(db, write_csv(tmp_path / "ds.csv", HEAD, PHAM), "beneficiaries", translator=vi)
    # A short list: only names, IDs and phones; and a full one with empty cells.
    short = tmp_path / "sdt.csv"
    short.write_text(
        "Họ và tên,Số CCCD,Mã xã,Số điện thoại\nNguyễn Thị Phàm,001140001234,99001,0912000111\n",
        encoding="utf-8",
    )
    result = await run_import(db, short, "beneficiaries", translator=vi)
    assert (result.counts.updated, result.counts.unchanged) == (1, 0)
    gaps = write_csv(tmp_path / "gaps.csv", HEAD, "1;Nguyễn Thị Phàm;001140001234;;99001;;;;;;;")
    again = await run_import(db, gaps, "beneficiaries", translator=vi)
    assert again.counts.unchanged == 1
    async with db.transaction() as tx:
        kept = await tx.exports.beneficiaries().__anext__()
    assert kept.date_of_birth == date(1940, 3, 15)
    assert (kept.village, kept.category, kept.monthly_amount) == ("Thôn Đông", "elderly", 500_000)
    assert (kept.payment_method, kept.bank_name, kept.account_number) == (
        "bank",
        "Agribank",
        "1234000056789",
    )
    assert kept.relative_phone == "+84987000222" and kept.phone == "+84912000111"
    chat = Chat(dispatcher)  # the citizen can still prove who they are
    await chat.link("001140001234", "15/03/1940")
    assert "Đã xác minh" in chat.text


async def test_too_long_text_and_a_row_mentioning_a_total_are_reported(db, tmp_path):
    await _commune(db)
    vi = Catalogs().get("vi")
    long_name = "Nguyễn " * 50
    path = write_csv(
        tmp_path / "ds.csv",
        HEAD,
        PHAM.replace("Nguyễn Thị Phàm", long_name.strip()),
        "2;Lê Văn Tư;;02/07/1945;99001;Tổng Đội 3;;;;;;",  # no ID, but a real person
    )
    result = await run_import(db, path, "beneficiaries", translator=vi)
    assert result.outcome == "rejected" and result.rows == 2 and result.invalid == 2
    report = result.report_path.read_text(encoding="utf-8-sig")
    assert "Nội dung này quá dài (349 ký tự); tối đa 200 ký tự." in report
    assert "Ô Số CCCD không được để trống." in report


async def test_status_events_point_at_their_import(db, tmp_path):
    await _commune(db)
    vi = Catalogs().get("vi")
    await run_import(db, write_csv(tmp_path / "ds.csv", HEAD, PHAM), "beneficiaries", translator=vi)
    pay = tmp_path / "chi.csv"
    pay.write_text(
        "Số CCCD,Kỳ,Số tiền,Trạng thái\n001140001234,11/2026,500000,đã chi\n", encoding="utf-8"
    )
    result = await run_import(db, pay, "payments", translator=vi)
    async with db.transaction() as tx:
        assert len(await tx.imports.events(result.import_id)) == 1


async def test_a_list_with_only_its_header_says_there_is_nothing(db, tmp_path):
    from handlers.importing.summary import summary_lines

    await _commune(db)
    vi = Catalogs().get("vi")
    result = await run_import(
        db, write_csv(tmp_path / "ds.csv", HEAD), "beneficiaries", translator=vi
    )
    assert (
        summary_lines(result, vi)[-1]
        == "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề: không có gì để nhập."
    )
