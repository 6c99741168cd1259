from __future__ import annotations

import tracemalloc
import unicodedata
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from handlers.importing.columns import IGNORED, PAYMENT_COLUMNS, field_of, map_headers
from handlers.importing.reader import (
    MSG_DAMAGED,
    MSG_EMPTY,
    MSG_ENCRYPTED,
    MSG_MISSING_COLUMNS,
    MSG_NO_HEADER,
    MSG_NO_SHEET,
    MSG_NOT_SPREADSHEET,
    MSG_NOT_UTF8,
    MSG_OLD_XLS,
    ImportFileError,
    open_table,
)
from handlers.importing.validate import iter_validated
from tests.handlers.importing.files import TITLE, write_csv, write_xlsx

NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Phàm")
BENEFICIARY_HEADER = ["STT", "Họ và tên", "Số CCCD", "Ngày sinh", "Mức hưởng"]


def read_all(path: Path, kind: str = "beneficiaries", **kwargs):
    with open_table(path, kind=kind, **kwargs) as table:
        return table, list(table.rows)


# --- header detection and the title block ---------------------------------------------


def test_xlsx_title_block_merged_cells_typed_cells_and_blank_rows(tmp_path):
    path = write_xlsx(
        tmp_path / "ds.xlsx",
        [
            [TITLE[0]],
            [TITLE[1]],
            [],
            [*BENEFICIARY_HEADER, "Số điện thoại"],
            [1, NFD_NAME, 1140001234, datetime(1940, 3, 15), 500000, 912000111],
            [],
            [None, "  ", None, "\u00a0"],  # only whitespace: blank too
            [2, "Lê\u00a0Văn  Tư", "'079045006789", 16620, "1.000.000", "0987 000 222"],
        ],
        merges=["A1:F1", "A2:F2"],
    )
    table, rows = read_all(path)
    assert table.header_row == 4
    assert table.headers == [*BENEFICIARY_HEADER, "Số điện thoại"]
    assert table.sheet == "Danh sách"
    assert iter(table.rows) is table.rows  # a stream, not a list
    assert [number for number, _cells in rows] == [5, 8]  # the file's row numbers
    # Cells come as Excel typed them; parsing is the validator's job.
    assert rows[0][1][2] == 1140001234
    assert rows[0][1][3] == datetime(1940, 3, 15)
    assert rows[1][1][3] == 16620

    with open_table(path, kind="beneficiaries") as table:
        results = list(iter_validated(table, "beneficiaries"))
    assert [(number, errors) for number, _record, errors in results] == [(5, []), (8, [])]
    pham, tu = (record for _number, record, _errors in results)
    assert pham.national_id == "001140001234"  # the lost zeros are back
    assert pham.full_name == "Nguyễn Thị Phàm" == unicodedata.normalize("NFC", NFD_NAME)
    assert pham.date_of_birth == datetime(1940, 3, 15).date()
    assert pham.monthly_amount == 500_000
    assert pham.phone == "+84912000111"
    assert tu.national_id == "079045006789"  # the apostrophe is gone
    assert tu.full_name == "Lê Văn Tư"  # non-breaking and double spaces collapsed
    assert tu.date_of_birth == datetime(1945, 7, 2).date()  # serial number 16620
    assert tu.monthly_amount == 1_000_000
    assert tu.phone == "+84987000222"


def test_csv_semicolon_with_bom_and_title_lines(tmp_path):
    path = write_csv(
        tmp_path / "ds.csv",
        [
            [TITLE[0], "", "", ""],
            [TITLE[1], "", "", ""],
            ["", "", "", ""],
            ["STT", "Họ và tên", "Số CCCD", "Mức hưởng"],
            ["1", NFD_NAME, "'001140001234", "500.000"],
            ["2", "Lê Văn Tư", "079045006789", "1.000.000"],
        ],
        delimiter=";",
        bom=True,
    )
    table, rows = read_all(path)
    assert table.delimiter == ";"
    assert table.header_row == 4
    assert table.headers[0] == "STT"  # no BOM glued to it
    assert [n for n, _ in rows] == [5, 6]
    assert rows[1][1] == ["2", "Lê Văn Tư", "079045006789", "1.000.000"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiters(tmp_path, delimiter):
    # A comma inside the amount must not fool the delimiter choice.
    path = write_csv(
        tmp_path / "ds.csv",
        [["Họ và tên", "Số CCCD", "Số tiền"], ["Lê Văn Tư", "079045006789", "1,000,000"]],
        delimiter=delimiter,
    )
    table, rows = read_all(path)
    assert table.delimiter == delimiter
    assert rows == [(2, ["Lê Văn Tư", "079045006789", "1,000,000"])]


def test_csv_excel_sep_line(tmp_path):
    path = tmp_path / "ds.csv"
    path.write_text("sep=;\r\nHọ và tên;Số CCCD\r\nLê Văn Tư;079045006789\r\n", encoding="utf-8")
    table, rows = read_all(path)
    assert table.delimiter == ";"
    assert table.header_row == 2
    assert rows == [(3, ["Lê Văn Tư", "079045006789"])]


def test_csv_utf16_unicode_text_from_excel(tmp_path):
    path = tmp_path / "ds.txt"
    text = "Họ và tên\tSố CCCD\r\nLê Văn Tư\t079045006789\r\n"
    path.write_bytes(text.encode("utf-16"))  # with its BOM
    table, rows = read_all(path)
    assert table.delimiter == "\t"
    assert rows == [(2, ["Lê Văn Tư", "079045006789"])]


def test_headers_in_english_and_vietnamese_any_case_without_diacritics(tmp_path):
    header = [
        "stt",
        "HO VA TEN",
        "national_id",
        "Ngay Sinh (dd/mm/yyyy)",
        "MUC HUONG (đồng)",
        "Số\u00a0điện thoại:",
        "Thon/To",
        "BANK",
        "So tai khoan (*)",
        "Ghi chú",
        "Giới tính",
    ]
    path = write_csv(tmp_path / "ds.csv", [header, ["1", "Lê Văn Tư", "079045006789"]])
    table, _rows = read_all(path)
    assert table.columns == {
        1: "full_name",
        2: "national_id",
        3: "date_of_birth",
        4: "monthly_amount",
        5: "phone",
        6: "village",
        7: "bank",
        8: "account_number",
    }
    # Unknown columns are named for the import summary; STT is known and silent.
    assert table.unknown == ["Ghi chú", "Giới tính"]
    assert map_headers(table.headers, "beneficiaries") == (table.columns, table.unknown)


def test_header_cells_wrapped_on_two_lines_and_nfd(tmp_path):
    path = write_xlsx(
        tmp_path / "ds.xlsx",
        [
            ["Họ và\ntên", unicodedata.normalize("NFD", "Số CCCD"), "Số tiền\n(đồng)"],
            ["Lê Văn Tư", "079045006789", 500000],
        ],
    )
    table, rows = read_all(path)
    assert table.headers == ["Họ và tên", "Số CCCD", "Số tiền (đồng)"]
    assert table.headers[1] == unicodedata.normalize("NFC", "Số CCCD")
    assert table.columns == {0: "full_name", 1: "national_id", 2: "monthly_amount"}
    assert rows == [(2, ["Lê Văn Tư", "079045006789", 500000])]


def test_two_row_header_and_column_number_row(tmp_path):
    """Official forms: a merged group label over two columns, and (1) (2) (3) under it."""
    path = write_xlsx(
        tmp_path / "ds.xlsx",
        [
            [TITLE[0]],
            [],
            ["STT", "Họ và tên", "Số CCCD", "Tài khoản", None, "Ghi chú"],
            [None, None, None, "Ngân hàng", "Số tài khoản"],
            ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
            [1, "Lê Văn Tư", "079045006789", "Agribank", "1234000056789"],
        ],
        merges=["A3:A4", "B3:B4", "C3:C4", "D3:E3", "F3:F4"],
    )
    table, rows = read_all(path)
    assert table.header_row == 3
    assert table.headers == ["STT", "Họ và tên", "Số CCCD", "Ngân hàng", "Số tài khoản", "Ghi chú"]
    assert table.columns[3] == "bank" and table.columns[4] == "account_number"
    assert rows == [(6, [1, "Lê Văn Tư", "079045006789", "Agribank", "1234000056789", None])]


def test_title_row_with_one_known_word_is_not_taken_for_a_header(tmp_path):
    path = write_csv(
        tmp_path / "tt.csv",
        [
            ["Tháng:", "11/2026", "", "", ""],
            ["STT", "Số CCCD", "Kỳ", "Số tiền", "Trạng thái"],
            ["1", "079045006789", "11/2026", "500000", "đã chi"],
        ],
    )
    table, rows = read_all(path, "payments")
    assert table.header_row == 2
    assert rows == [(3, ["1", "079045006789", "11/2026", "500000", "đã chi"])]


def test_blank_rows_keep_file_row_numbers_in_csv(tmp_path):
    path = tmp_path / "ds.csv"
    lines = [
        "Họ và tên,Số CCCD",
        "Lê Văn Tư,079045006789",
        "",
        ",",
        " , \u00a0",
        "Nguyễn Thị Phàm,001140001234",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _table, rows = read_all(path)
    assert [n for n, _ in rows] == [2, 6]


def test_rows_are_padded_to_the_header_and_extra_cells_dropped(tmp_path):
    path = tmp_path / "ds.csv"
    path.write_text("Họ và tên,Số CCCD,Số tiền\nLê Văn Tư\nA,B,C,D,E\n", encoding="utf-8")
    _table, rows = read_all(path)
    assert rows == [(2, ["Lê Văn Tư", None, None]), (3, ["A", "B", "C"])]


def test_a_renamed_file_is_read_by_its_content(tmp_path):
    xlsx = write_xlsx(
        tmp_path / "ds.xlsx", [["Họ và tên", "Số CCCD"], ["Lê Văn Tư", "079045006789"]]
    )
    renamed = tmp_path / "danh sach.csv"
    renamed.write_bytes(xlsx.read_bytes())
    table, rows = read_all(renamed)
    assert table.sheet == "Danh sách"
    assert rows == [(2, ["Lê Văn Tư", "079045006789"])]


@pytest.fixture(params=["csv", "xlsx"])
def write(request, tmp_path):
    """Write officer rows as the parametrised file type."""

    def write(rows, name="ds"):
        if request.param == "csv":
            return write_csv(tmp_path / f"{name}.csv", rows, delimiter=";", bom=True)
        return write_xlsx(tmp_path / f"{name}.xlsx", rows, merges=["A1:F1"])

    return write


def test_the_same_quirks_in_csv_and_xlsx(write):
    path = write(
        [
            [TITLE[1]],
            [],
            ["stt", "HO TEN", "So Cccd (*)", "NGAY SINH", "Địa chỉ", "muc huong (dong)"],
            ["1", NFD_NAME, "'001140001234", "15/03/1940", "Thôn Đông", "500.000 đ"],
            [],
            [None, "   ", "\u00a0"],
            ["2", "Lê\u00a0Văn\u00a0Tư", "079045006789", "1945", "Thôn Tây", "1,000,000"],
        ]
    )
    with open_table(path, kind="beneficiaries") as table:
        assert table.header_row == 3
        assert table.unknown == ["Địa chỉ"]
        results = list(iter_validated(table, "beneficiaries"))
    assert [(number, errors) for number, _record, errors in results] == [(4, []), (7, [])]
    pham, tu = (record for _number, record, _errors in results)
    assert (pham.national_id, pham.full_name) == ("001140001234", "Nguyễn Thị Phàm")
    assert pham.monthly_amount == 500_000
    assert (tu.full_name, tu.date_of_birth, tu.monthly_amount) == ("Lê Văn Tư", 1945, 1_000_000)


def test_missing_required_column_in_csv_and_xlsx(write):
    path = write([[TITLE[1]], ["STT", "Số CCCD", "Số tiền", "Ghi chú"], ["1", "x", "1"]])
    with pytest.raises(ImportFileError) as info:
        read_all(path, "payments")
    assert info.value.message == MSG_MISSING_COLUMNS
    assert info.value.params == {"row": 2, "columns": "Kỳ, Trạng thái"}


# --- sheets --------------------------------------------------------------------


def test_sheet_by_name(tmp_path):
    path = write_xlsx(
        tmp_path / "ds.xlsx",
        [["Họ và tên", "Số CCCD"], ["Lê Văn Tư", "079045006789"]],
        title="Tháng 11",
        more_sheets=["Ghi chú"],
    )
    assert read_all(path, sheet="Tháng 11")[0].sheet == "Tháng 11"
    assert read_all(path, sheet="thang 11")[0].sheet == "Tháng 11"
    with pytest.raises(ImportFileError) as info:
        read_all(path, sheet="Tháng 12")
    assert info.value.message == MSG_NO_SHEET
    assert info.value.params == {"sheet": "Tháng 12", "sheets": "Tháng 11, Ghi chú"}


def test_first_visible_sheet_by_default(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    hidden = workbook.active
    assert hidden is not None
    hidden.title = "Cũ"
    hidden.sheet_state = "hidden"
    hidden.append(["Họ và tên", "Số CCCD"])
    hidden.append(["Người Cũ", "001140001234"])
    sheet = workbook.create_sheet("Mới")
    sheet.append(["Họ và tên", "Số CCCD"])
    sheet.append(["Lê Văn Tư", "079045006789"])
    workbook.save(tmp_path / "ds.xlsx")
    table, rows = read_all(tmp_path / "ds.xlsx")
    assert table.sheet == "Mới"
    assert rows == [(2, ["Lê Văn Tư", "079045006789"])]


# --- whole-file errors ------------------------------------------------------------------


def test_missing_required_column_is_named_in_the_officers_words(tmp_path):
    path = write_csv(
        tmp_path / "ds.csv",
        [[TITLE[0]], ["STT", "Họ và tên", "Ngày sinh"], ["1", "Lê Văn Tư", "02/07/1945"]],
    )
    with pytest.raises(ImportFileError) as info:
        read_all(path)
    assert info.value.message == MSG_MISSING_COLUMNS
    assert info.value.params == {"row": 2, "columns": "Số CCCD"}


def test_missing_payment_columns(tmp_path):
    path = write_xlsx(
        tmp_path / "tt.xlsx", [[TITLE[1]], [], ["Số CCCD", "Họ và tên", "Số tiền"], ["x"]]
    )
    with pytest.raises(ImportFileError) as info:
        read_all(path, "payments")
    assert info.value.message == MSG_MISSING_COLUMNS
    assert info.value.params == {"row": 3, "columns": "Kỳ, Trạng thái"}
    assert info.value.message.format(**info.value.params) == (
        "The header row (row 3) has no column for: Kỳ, Trạng thái."
    )


def test_no_header_at_all(tmp_path):
    path = write_csv(tmp_path / "ds.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(ImportFileError) as info:
        read_all(path, "payments")
    assert info.value.message == MSG_NO_HEADER
    assert info.value.params == {"rows": 30, "columns": "Số CCCD, Kỳ, Số tiền, Trạng thái"}


def test_header_below_row_30_is_not_found(tmp_path):
    path = write_csv(
        tmp_path / "ds.csv", [[f"dòng {i}"] for i in range(30)] + [["Họ và tên", "Số CCCD"]]
    )
    with pytest.raises(ImportFileError) as info:
        read_all(path)
    assert info.value.message == MSG_NO_HEADER


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("ds.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", MSG_NOT_SPREADSHEET),
        ("ds.xlsx", b"\x00\x01\x02\x03binary\x00\xff\xfe" * 20, MSG_NOT_SPREADSHEET),
        ("ds.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40, MSG_NOT_SPREADSHEET),
        ("ds.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, MSG_OLD_XLS),
        (
            "ds.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\x00" * 504
            + "EncryptionInfo".encode("utf-16-le"),
            MSG_ENCRYPTED,
        ),
        ("ds.csv", b"", MSG_EMPTY),
        ("ds.csv", b"\r\n\r\n  \r\n", MSG_EMPTY),
        ("ds.xlsx", b"PK\x03\x04 not really a zip", MSG_DAMAGED),
    ],
)
def test_files_that_are_not_spreadsheets(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as info:
        read_all(path)
    assert info.value.message == message


def test_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "ds.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(ImportFileError) as info:
        read_all(path)
    assert info.value.message == MSG_NOT_SPREADSHEET


def test_a_legacy_encoded_csv_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "ds.csv"
    # Windows-1258, as old Vietnamese Excel set-ups save "CSV".
    path.write_bytes("Ho va ten,So CCCD\nLê Văn Tư,079045006789\n".encode("cp1258"))
    with pytest.raises(ImportFileError) as info:
        read_all(path)
    assert info.value.message == MSG_NOT_UTF8
    assert info.value.params == {"row": 2}


def test_a_bad_byte_is_reported_with_its_row(tmp_path):
    bad = "Lê Văn Tư,001140001234\n".encode("cp1258")
    # Within the first megabyte: refused on opening.
    near = tmp_path / "near.csv"
    near.write_bytes(("Họ và tên,Số CCCD\n" + "Lê Văn Tư,079045006789\n" * 2000).encode() + bad)
    with pytest.raises(ImportFileError) as info:
        read_all(near)
    assert info.value.message == MSG_NOT_UTF8
    assert info.value.params == {"row": 2002}
    # Further down: raised while the rows stream by, still with its row.
    far = tmp_path / "far.csv"
    far.write_bytes(("Họ và tên,Số CCCD\n" + "Lê Văn Tư,079045006789\n" * 50_000).encode() + bad)
    with open_table(far, kind="beneficiaries") as table:
        with pytest.raises(ImportFileError) as info:
            for _row in table.rows:
                pass
    assert info.value.message == MSG_NOT_UTF8
    assert 40_000 < info.value.params["row"] <= 50_002


def test_unknown_kind_is_a_programming_error(tmp_path):
    path = write_csv(tmp_path / "ds.csv", [["Họ và tên", "Số CCCD"]])
    with pytest.raises(ValueError):
        read_all(path, "people")


# --- columns ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Họ và tên", "full_name"),
        ("Họ tên", "full_name"),
        ("Ho ten", "full_name"),
        ("HỌ VÀ TÊN (*)", "full_name"),
        ("Số CCCD", "national_id"),
        ("CCCD", "national_id"),
        ("Số định danh cá nhân", "national_id"),
        ("số cccd:", "national_id"),
        ("Mã xã", "commune"),
        ("Ấp", "village"),
        ("Khu phố", "village"),
        ("Thôn/Tổ", "village"),
        ("Thôn - Tổ", "village"),
        ("Diện hưởng", "category"),
        ("Hình thức nhận", "payment_method"),
        ("SĐT", "phone"),
        ("SDT nguoi than", "relative_phone"),
        ("Số thẻ BHYT", "health_insurance_number"),
        ("Hạn thẻ BHYT", "health_insurance_expiry"),
        ("STT", IGNORED),
        ("#", IGNORED),
        ("Địa chỉ", None),
    ],
)
def test_beneficiary_header_aliases(header, field):
    assert field_of(header, "beneficiaries") == field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Kỳ", "period"),
        ("Tháng", "period"),
        ("Kỳ chi trả", "period"),
        ("Số tiền (VNĐ)", "amount"),
        ("Trạng thái", "status"),
        ("Ngày chi", "paid_on"),
        ("Hình thức", "method"),
        ("Ghi chú", "note"),
        ("Ký nhận", IGNORED),
    ],
)
def test_payment_header_aliases(header, field):
    assert field_of(header, "payments") == field


def test_a_second_column_for_the_same_field_is_reported_not_used():
    columns, unknown = map_headers(["Số CCCD", "Số tiền", "CCCD", "Kỳ", "Trạng thái"], "payments")
    assert columns == {0: "national_id", 1: "amount", 3: "period", 4: "status"}
    assert unknown == ["CCCD"]
    assert "note" in PAYMENT_COLUMNS


# --- streaming --------------------------------------------------------------------


def test_a_200000_row_csv_is_streamed(tmp_path):
    path = tmp_path / "big.csv"
    count = 200_000
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(f"{TITLE[1]},,,,,\r\n,,,,,\r\n")
        fh.write("STT,Số CCCD,Họ và tên,Kỳ,Số tiền,Trạng thái\r\n")
        line = "{n},0790450{n:05d},Nguyễn Thị Phàm {n},11/2026,500.000,đã chi\r\n"
        fh.writelines(line.format(n=n % 100_000) for n in range(count))
    assert path.stat().st_size > 10_000_000

    tracemalloc.start()
    try:
        with open_table(path, kind="payments") as table:
            assert iter(table.rows) is table.rows
            assert not isinstance(table.rows, list | tuple)
            seen = 0
            last: tuple[int, list[object]] = (0, [])
            for last in table.rows:  # noqa: B007
                seen += 1
            _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    assert last == (
        count + 3,
        ["99999", "079045099999", "Nguyễn Thị Phàm 99999", "11/2026", "500.000", "đã chi"],
    )
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_validation_streams_too(tmp_path):
    path = tmp_path / "big.csv"
    count = 10_000
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("Số CCCD;Kỳ;Số tiền;Trạng thái;Ngày chi\r\n")
        fh.writelines(
            f"0790450{n:05d};T11/2026;500.000 đ;Đã chi;10/11/2026\r\n" for n in range(count)
        )
    tracemalloc.start()
    try:
        with open_table(path, kind="payments") as table:
            validated = iter_validated(table, "payments")
            assert iter(validated) is validated
            ok = sum(1 for _n, record, errors in validated if record and not errors)
            _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ok == count
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
