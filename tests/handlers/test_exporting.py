"""Exported lists read back through the importer to exactly what the bot holds."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from handlers.exporting import (
    BENEFICIARY_COLUMNS,
    CATEGORY_WORDS,
    COLUMNS,
    METHOD_WORDS,
    PAYMENT_COLUMNS,
    STATUS_WORDS,
    ExportError,
    parse_export_period,
    phone_text,
    run_export,
)
from handlers.i18n import Catalogs
from handlers.importing.cells import parse_category, parse_method, parse_phone, parse_status
from handlers.importing.columns import field_of
from handlers.importing.service import run_import
from tests.handlers.export_lists import (
    IN_HAI_VAN,
    IN_HOA_AN,
    NOVEMBER,
    OCTOBER_HAI_VAN,
    add_communes,
    write_lists,
)

VI = Catalogs().get("vi")
EN = Catalogs().get("en")
PEOPLE = IN_HOA_AN + IN_HAI_VAN


async def _imported(db, folder: Path) -> None:
    await add_communes(db)
    people, payments = write_lists(folder)
    first = await run_import(db, people, "beneficiaries", translator=VI)
    assert first.outcome == "applied" and first.counts.created == PEOPLE, first.report_path
    paid = await run_import(db, payments, "payments", translator=VI)
    assert paid.outcome == "applied" and paid.counts.created == 6, paid.report_path


def _counts(summary) -> tuple[int, int, int]:
    return summary.counts.created, summary.counts.updated, summary.counts.unchanged


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_an_exported_list_imports_back_unchanged(db, tmp_path, suffix, lang):
    await _imported(db, tmp_path)
    t = Catalogs().get(lang)
    people = tmp_path / f"out-people{suffix}"
    done = await run_export(db, people, "beneficiaries", translator=t)
    assert done.rows == PEOPLE
    again = await run_import(db, people, "beneficiaries", translator=VI)
    assert again.outcome == "applied" and again.invalid == 0 and not again.unknown_columns
    assert _counts(again) == (0, 0, PEOPLE)
    payments = tmp_path / f"out-payments{suffix}"
    done = await run_export(db, payments, "payments", translator=t, period="2026-11")
    assert done.rows == NOVEMBER
    again = await run_import(db, payments, "payments", translator=VI)
    assert again.outcome == "applied" and again.invalid == 0 and not again.unknown_columns
    assert _counts(again) == (0, 0, NOVEMBER) and again.counts.became == {}


async def test_xlsx_cells_keep_ids_as_text_dates_as_dates_and_amounts_as_numbers(db, tmp_path):
    await _imported(db, tmp_path)
    path = tmp_path / "ds.xlsx"
    await run_export(db, path, "beneficiaries", translator=VI)
    sheet = load_workbook(path).active
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == [c.vi for c in BENEFICIARY_COLUMNS]
    assert all(c.font.b for c in sheet[1])
    assert sheet.column_dimensions["A"].width >= 20
    rows = {r[1].value: r for r in sheet.iter_rows(min_row=2)}
    pham = rows["001140001234"]
    assert pham[1].data_type == "s" and pham[1].number_format == "@"  # leading zeros kept
    assert pham[0].value == "Nguyễn Thị Phàm"  # as stored: spaces tidied by the import
    assert pham[2].value == datetime(1940, 3, 15) and pham[2].number_format == "dd/mm/yyyy"
    assert pham[5].value == "Người cao tuổi"
    assert pham[6].value == 500_000 and pham[6].number_format == "#,##0"
    assert pham[7].value == "ngân hàng"
    assert pham[9].value == "0012000056789" and pham[9].data_type == "s"
    assert (pham[11].value, pham[12].value) == ("0912000111", "0987000222")
    assert pham[14].value == datetime(2027, 12, 31)
    tu = rows["079045006789"]
    assert tu[2].value == 1945 and tu[2].data_type == "n"  # a year alone stays a year
    assert (tu[5].value, tu[7].value) == ("Người khuyết tật", "bưu điện")
    mo = rows["001315001111"]
    assert (mo[5].value, mo[7].value, mo[12].value) == ("Trẻ em mồ côi", "tiền mặt", "+14155552671")
    cong = rows["001050002222"]
    assert (cong[5].value, cong[11].value) == ("Người có công", "0381234567")  # 0168 -> 038
    khac = rows["002170003333"]
    assert (khac[2].value, khac[3].value, khac[5].value) == (None, "99002", "Khác")


async def test_payment_xlsx_in_english(db, tmp_path):
    await _imported(db, tmp_path)
    path = tmp_path / "payments.xlsx"
    await run_export(db, path, "payments", translator=EN, period="2026-11")
    sheet = load_workbook(path).active
    assert sheet.title == "Payments 2026-11"
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == [c.en for c in PAYMENT_COLUMNS]
    assert rows[1] == [
        "001140001234",
        "Nguyễn Thị Phàm",
        "11/2026",
        500_000,
        "paid",
        datetime(2026, 11, 10),
        "bank",
        None,
    ]
    assert [r[4] for r in rows[1:]] == ["paid", "returned", "pending", "failed"]
    # Text that looks like a formula stays text.
    note = sheet.cell(row=5, column=8)
    assert note.value == "=tài khoản bị khóa" and note.data_type == "s"


async def test_csv_is_utf8_with_bom_and_plain_values(db, tmp_path):
    await _imported(db, tmp_path)
    path = tmp_path / "chi.csv"
    await run_export(db, path, "payments", translator=VI, period="2026-11")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "Số CCCD,Họ và tên,Kỳ,Số tiền,Trạng thái,Ngày chi,Hình thức,Ghi chú"
    assert lines[1] == "001140001234,Nguyễn Thị Phàm,11/2026,500000,đã chi,10/11/2026,ngân hàng,"
    assert lines[2] == (
        '079045006789,Lê Văn Tư,11/2026,1000000,hoàn trả,,bưu điện,"người nhận vắng nhà, '
        'hẹn ""chiều mai"""'
    )
    people = tmp_path / "ds.csv"
    await run_export(db, people, "beneficiaries", translator=VI)
    tu = next(line for line in people.read_text("utf-8-sig").splitlines() if "079045006789" in line)
    assert tu.startswith("Lê Văn Tư,079045006789,1945,99001,Thôn Tây,Người khuyết tật,1000000,")


async def test_one_commune_and_an_empty_period(db, tmp_path):
    await _imported(db, tmp_path)
    hai_van = await run_export(
        db, tmp_path / "hv.xlsx", "beneficiaries", translator=VI, commune="99002"
    )
    assert hai_van.rows == IN_HAI_VAN and hai_van.commune and hai_van.commune.code == "99002"
    assert [r[0].value for r in load_workbook(tmp_path / "hv.xlsx").active.iter_rows()] == [
        "Họ và tên",
        "Đỗ Thị Khác",
    ]
    hoa_an = await run_export(
        db, tmp_path / "ha.csv", "beneficiaries", translator=VI, commune="99001"
    )
    assert hoa_an.rows == IN_HOA_AN
    october = await run_export(
        db, tmp_path / "t10.csv", "payments", translator=VI, period="2026-10", commune="99002"
    )
    assert october.rows == OCTOBER_HAI_VAN
    empty = await run_export(db, tmp_path / "t12.xlsx", "payments", translator=VI, period="2026-12")
    assert empty.rows == 0
    rows = list(load_workbook(tmp_path / "t12.xlsx").active.iter_rows(values_only=True))
    assert rows == [tuple(c.vi for c in PAYMENT_COLUMNS)]


async def test_refusals_change_nothing_and_leave_no_file(db, tmp_path):
    await _imported(db, tmp_path)
    with pytest.raises(ExportError) as err:
        await run_export(db, tmp_path / "x.xlsx", "beneficiaries", translator=VI, commune="12345")
    assert VI.gettext(err.value.message, **err.value.params) == (
        "12345 không có trong danh sách xã, phường của bot."
    )
    with pytest.raises(ExportError):
        await run_export(db, tmp_path / "x.xls", "beneficiaries", translator=VI)
    with pytest.raises(ExportError):
        await run_export(db, tmp_path / "nope" / "x.csv", "beneficiaries", translator=VI)
    assert not list(tmp_path.glob("x.*")) and not list(tmp_path.glob(".*.part"))


def test_periods():
    assert parse_export_period("2026-11") == "2026-11"
    assert parse_export_period("11/2026") == "2026-11"
    assert parse_export_period("T11/2026") == "2026-11"
    for bad in ("13/2026", "abc", "2026", ""):
        with pytest.raises(ExportError) as err:
            parse_export_period(bad)
        assert err.value.params == {"period": bad}


@pytest.mark.parametrize("kind", ["beneficiaries", "payments"])
def test_every_header_is_one_the_importer_knows(kind):
    for column in COLUMNS[kind]:
        for header in (column.vi, column.en):
            assert field_of(header, kind) == column.field, header


def test_every_word_reads_back_to_its_value():
    for lang in ("vi", "en"):
        for value, word in STATUS_WORDS[lang].items():
            assert parse_status(word) == value
        for value, word in METHOD_WORDS[lang].items():
            assert parse_method(word) == value
        for value, word in CATEGORY_WORDS[lang].items():
            assert parse_category(word) == value
    for e164 in ("+84912345678", "+14155552671", "+84381234567"):
        assert parse_phone(phone_text(e164)) == e164
