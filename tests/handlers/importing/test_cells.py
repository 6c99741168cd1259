from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal

import pytest

from handlers.importing.cells import (
    CELL_MESSAGES,
    CellError,
    clean_text,
    excel_serial_to_date,
    parse_account_number,
    parse_amount,
    parse_category,
    parse_commune,
    parse_date,
    parse_health_insurance_number,
    parse_method,
    parse_national_id,
    parse_period,
    parse_phone,
    parse_status,
)


def code_of(parse, value, **kwargs) -> str:
    with pytest.raises(CellError) as info:
        parse(value, **kwargs)
    assert info.value.code in CELL_MESSAGES
    return info.value.code


# --- citizen ID -------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "079045006789",
        " 079045006789 ",
        "'079045006789",  # Excel's "keep as text" apostrophe
        "\u2019079045006789",  # the same, typographic
        "079 045 006 789",
        "079.045.006.789",
        "079\u00a0045\u00a0006789",  # non-breaking spaces
        "０７９０４５００６７８９",  # full-width digits
        79045006789,  # a number cell: the leading 0 is lost
        79045006789.0,
        Decimal("79045006789"),
        "79045006789",  # a CSV saved from such a number cell
        "79,045,006,789",  # ... with thousands separators shown
        "7.9045006789E+10",  # scientific notation that kept every digit
    ],
)
def test_national_id_forms(value):
    assert parse_national_id(value) == "079045006789"


def test_national_id_from_hanoi_loses_two_zeros_as_a_number():
    assert parse_national_id(1140001234) == "001140001234"
    assert parse_national_id(1140001234.0) == "001140001234"


def test_national_id_floats_never_go_through_their_text():
    # str(112345678901.0) is '112345678901.0' and 1.2e11 is '120000000000.0':
    # the digits are taken exactly, and a 12-digit number starting with 1 is no ID.
    assert code_of(parse_national_id, 112345678901.0) == "id_province"
    assert code_of(parse_national_id, 1.2e11) == "id_province"
    assert code_of(parse_national_id, 79045006789.5) == "id_not_digits"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("123456789", "old_id"),  # 9-digit CMND
        (123456789, "old_id"),
        ("7.9045E+10", "id_scientific"),  # Excel showed it short: digits lost
        ("0790450067", "id_length"),  # typed text starting with 0: not padded
        ("0790450067891", "id_length"),
        ("abc", "id_not_digits"),
        ("07904500678x", "id_not_digits"),
        (True, "id_not_digits"),
        (-79045006789, "id_not_digits"),
        ("003140001234", "id_province"),
        ("001540001234", "id_century"),
        ("", "empty"),
        ("  '  ", "empty"),
        (None, "empty"),
    ],
)
def test_national_id_errors(value, code):
    assert code_of(parse_national_id, value) == code


def test_national_id_length_error_counts_digits():
    with pytest.raises(CellError) as info:
        parse_national_id("0790450067")
    assert info.value.params == {"count": 10}
    assert info.value.message.format(**info.value.params).endswith("this one has 10.")


# --- money ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "500.000",
        "500,000",
        "500,000 đ",
        "500.000đ",
        "500.000 Đ",
        "500 000",
        "500\u00a0000",
        "500.000 đồng",
        "500000 dong",
        "500000d",
        "₫500,000",
        "500.000 ₫",
        "500000",
        500000,
        500000.0,
        Decimal("500000"),
        "500000.00",
        "500.000,00",
    ],
)
def test_amount_forms(value):
    assert parse_amount(value) == 500_000


def test_amount_millions_and_zero():
    assert parse_amount("1.000.000 VNĐ") == 1_000_000
    assert parse_amount("1,000,000 VND") == 1_000_000
    assert parse_amount("0") == 0
    assert parse_amount(1.5 * 360_000) == 540_000
    assert parse_amount(0.1 * 3 * 1_000_000) == 300_000  # 300000.00000000006


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("-500.000", "amount_negative"),
        ("(500.000)", "amount_negative"),
        ("\u2212500000", "amount_negative"),
        (-500000, "amount_negative"),
        ("500.5", "amount_not_integer"),
        ("500.000,50", "amount_not_integer"),
        (500000.5, "amount_not_integer"),
        ("năm trăm nghìn", "amount_format"),
        ("đ", "amount_format"),
        ("5.00.000", "amount_format"),
        (True, "amount_format"),
        (float("nan"), "amount_format"),
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
    ],
)
def test_amount_errors(value, code):
    assert code_of(parse_amount, value) == code


# --- dates ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        date(1945, 3, 15),
        datetime(1945, 3, 15),
        datetime(1945, 3, 15, 0, 0),
        "15/03/1945",
        "15/3/1945",
        "15-03-1945",
        "15.03.1945",
        "1945-03-15",
        "1945-03-15 00:00:00",
        "15/03/1945 0:00",
        16511,  # Excel serial number
        16511.0,
        16511.75,  # with a time of day
        15031945,  # typed as digits, made a number by Excel
        "15031945",
    ],
)
def test_date_forms(value):
    assert parse_date(value) == date(1945, 3, 15)


def test_excel_serials_follow_the_1900_date_system():
    assert excel_serial_to_date(1) == date(1900, 1, 1)
    assert excel_serial_to_date(59) == date(1900, 2, 28)
    assert excel_serial_to_date(60) is None  # Lotus' 29/02/1900 never existed
    assert excel_serial_to_date(61) == date(1900, 3, 1)
    assert excel_serial_to_date(46336) == date(2026, 11, 10)
    assert excel_serial_to_date(0) is None
    assert excel_serial_to_date(3_000_000) is None
    assert parse_date(1031945) == date(1945, 3, 1)  # 01031945 after losing its 0


def test_a_year_alone_only_when_allowed():
    assert parse_date("1945", allow_year=True) == 1945
    assert parse_date(1945, allow_year=True) == 1945
    assert parse_date(1945.0, allow_year=True) == 1945
    assert parse_date("15/03/1945", allow_year=True) == date(1945, 3, 15)
    assert code_of(parse_date, "1945") == "date_format"
    assert code_of(parse_date, "1700", allow_year=True) == "date_or_year"


@pytest.mark.parametrize(
    "value", ["03/15/1945", "31/02/1945", "15/3/45", "hôm qua", "1945/15/03", True, 0, 60, -5]
)
def test_date_errors(value):
    assert code_of(parse_date, value) == "date_format"
    assert code_of(parse_date, value, allow_year=True) == "date_or_year"


# --- period -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2026-11",
        "2026/11",
        "11/2026",
        "11-2026",
        "11.2026",
        " 11 / 2026 ",
        "T11/2026",
        "t11/2026",
        "tháng 11/2026",
        "Tháng 11/2026",
        "THANG 11/2026",
        "Tháng 11 năm 2026",
        "Kỳ 11/2026",
        unicodedata.normalize("NFD", "tháng 11/2026"),
        "01/11/2026",
        "2026-11-01",
        date(2026, 11, 1),
        datetime(2026, 11, 5, 8, 30),
        46327,  # 01/11/2026 as an Excel serial
    ],
)
def test_period_forms(value):
    assert parse_period(value) == "2026-11"


def test_period_pads_the_month():
    assert parse_period("3/2026") == "2026-03"
    assert parse_period("T3/2026") == "2026-03"


@pytest.mark.parametrize(
    "value", ["13/2026", "0/2026", "11/26", "Tháng 11", "2026", "11/1789", 11, 11.2026, "abc"]
)
def test_period_errors(value):
    assert code_of(parse_period, value) == "period_format"


# --- words --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("paid", "paid"),
        ("PAID", "paid"),
        ("Đã chi", "paid"),
        ("da chi", "paid"),
        ("Đã chi trả", "paid"),
        (unicodedata.normalize("NFD", "đã chi trả"), "paid"),
        ("đã  chi\u00a0trả.", "paid"),
        ("pending", "pending"),
        ("Chờ chi", "pending"),
        ("chưa chi", "pending"),
        ("failed", "failed"),
        ("Lỗi", "failed"),
        ("loi", "failed"),
        ("Không thành công", "failed"),
        ("returned", "returned"),
        ("Hoàn trả", "returned"),
        ("trả lại", "returned"),
        ("bị trả lại", "returned"),
    ],
)
def test_status_words(value, status):
    assert parse_status(value) == status


def test_status_errors():
    assert code_of(parse_status, "đang nghĩ") == "status"
    assert code_of(parse_status, " ") == "empty"


@pytest.mark.parametrize(
    ("value", "method"),
    [
        ("bank", "bank"),
        ("Ngân hàng", "bank"),
        ("ngan hang", "bank"),
        ("Tài khoản", "bank"),
        ("Chuyển khoản", "bank"),
        ("CK", "bank"),
        ("Ví điện tử", "bank"),  # e-wallets count as accounts
        ("VNPT Money", "bank"),
        ("post", "post"),
        ("Bưu điện", "post"),
        ("BUU DIEN", "post"),
        ("cash", "cash"),
        ("Tiền mặt", "cash"),
        ("tien mat", "cash"),
    ],
)
def test_method_words(value, method):
    assert parse_method(value) == method


def test_method_errors():
    assert code_of(parse_method, "bồ câu") == "method"


@pytest.mark.parametrize(
    ("value", "category"),
    [
        ("elderly", "elderly"),
        ("Người cao tuổi", "elderly"),
        ("NCT", "elderly"),
        ("NCT từ 80 tuổi trở lên", "elderly"),
        ("nguoi cao tuoi", "elderly"),
        ("disabled", "disabled"),
        ("Người khuyết tật nặng", "disabled"),
        ("NKT đặc biệt nặng", "disabled"),
        ("Trẻ em khuyết tật", "disabled"),
        ("orphan", "orphan"),
        ("Trẻ em mồ côi", "orphan"),
        ("Người có công", "meritorious"),
        ("Thân nhân liệt sĩ", "meritorious"),
        ("Thương binh", "meritorious"),
        ("Khác", "other"),
        ("Người đơn thân nghèo nuôi con", "other"),
    ],
)
def test_category_words(value, category):
    assert parse_category(value) == category


def test_category_errors():
    assert code_of(parse_category, "abc") == "category"


# --- phones -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "(091) 2345678",
        "'0912345678",
        "84912345678",
        "+84912345678",
        "+84 912 345 678",
        "0084912345678",
        912345678,  # a number cell lost its 0
        912345678.0,
        "912345678",
        "0912\u00a0345\u00a0678",
    ],
)
def test_phone_forms(value):
    assert parse_phone(value) == "+84912345678"


def test_phone_old_eleven_digit_numbers_are_renumbered():
    assert parse_phone("01686123456") == "+84386123456"
    assert parse_phone(1686123456) == "+84386123456"
    assert parse_phone("+841686123456") == "+84386123456"


def test_phone_abroad():
    assert parse_phone("+82 10 1234 5678") == "+821012345678"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("12345", "phone_invalid"),
        ("0912345", "phone_invalid"),
        ("09123456789", "phone_invalid"),
        ("abc", "phone_invalid"),
        ("0912345678 (con trai)", "phone_invalid"),
        (True, "phone_invalid"),
        ("02438123456", "phone_not_mobile"),  # a Hà Nội landline
        ("", "empty"),
    ],
)
def test_phone_errors(value, code):
    assert code_of(parse_phone, value) == code


# --- account, insurance card, commune, text ----------------------------------------


def test_account_numbers():
    assert parse_account_number("1234 0000 56789") == "1234000056789"
    assert parse_account_number("'0071000123456") == "0071000123456"
    assert parse_account_number(1234000056789) == "1234000056789"
    assert code_of(parse_account_number, "12345") == "account_length"
    assert code_of(parse_account_number, "1" * 20) == "account_length"
    assert code_of(parse_account_number, "12345abc") == "account_not_digits"
    # Excel keeps 15 significant digits: a longer number cell may have changed.
    assert code_of(parse_account_number, 1234567890123456) == "account_number_cell"
    assert code_of(parse_account_number, "1.23457E+15") == "account_number_cell"


def test_health_insurance_numbers():
    assert parse_health_insurance_number("BT2791234567890") == "BT2791234567890"
    assert parse_health_insurance_number("bt 2 79 1234567890") == "BT2791234567890"
    # From August 2025 the 12-digit personal ID replaces the 10-digit code.
    assert parse_health_insurance_number("BT279079045006789") == "BT279079045006789"
    assert parse_health_insurance_number("079045006789") == "079045006789"
    assert parse_health_insurance_number(79045006789) == "079045006789"
    for bad in ("BT6791234567890", "B27912345678901", "BT279123456789", "1234567890", "BT"):
        assert code_of(parse_health_insurance_number, bad) == "insurance_format", bad


def test_commune_code_gets_back_its_zeros():
    assert parse_commune(4) == "00004"
    assert parse_commune(4.0) == "00004"
    assert parse_commune("00004") == "00004"
    assert parse_commune("4") == "00004"
    assert parse_commune(" Xã  Hòa\u00a0An ") == "Xã Hòa An"


def test_clean_text():
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Phàm")
    assert clean_text(nfd) == "Nguyễn Thị Phàm"
    assert clean_text(nfd) == unicodedata.normalize("NFC", nfd)
    assert clean_text("\u00a0 Lê\u00a0\u00a0Văn\tTư \u200b") == "Lê Văn Tư"
    assert clean_text("\ufeffThôn Đông\r\n") == "Thôn Đông"
    assert clean_text("   ") is None
    assert clean_text("\u00a0\u200b") is None
    assert clean_text(None) is None
    assert clean_text(12.0) == "12"
    assert clean_text(date(2026, 11, 10)) == "10/11/2026"


def test_every_code_has_a_message_whose_placeholders_the_params_fill():
    with pytest.raises(CellError) as info:
        parse_account_number("12345")
    assert info.value.message.format(**info.value.params)
    for message in CELL_MESSAGES.values():
        assert message.strip().endswith(".")
