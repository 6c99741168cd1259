from __future__ import annotations

import string
import unicodedata
from datetime import date, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir

from handlers.importing.cells import CELL_MESSAGES
from handlers.importing.reader import open_table
from handlers.importing.validate import (
    MSG_BIRTH_YEAR,
    MSG_INSURANCE_OTHER_ID,
    MSG_PAID_ZERO,
    MSG_REQUIRED,
    BeneficiaryRow,
    PaymentRow,
    RowError,
    iter_validated,
    validate_beneficiary,
    validate_payment,
)
from tests.handlers.importing.files import TITLE, write_csv, write_xlsx

ROOT = Path(__file__).resolve().parents[3]

HEADERS = {
    "national_id": "Số CCCD",
    "full_name": "Họ và tên",
    "date_of_birth": "Ngày sinh",
    "commune": "Mã xã",
    "village": "Thôn",
    "category": "Đối tượng",
    "monthly_amount": "Mức hưởng",
    "payment_method": "Hình thức nhận",
    "bank": "Ngân hàng",
    "account_number": "Số tài khoản",
    "account_name": "Chủ tài khoản",
    "phone": "SĐT",
    "relative_phone": "SĐT người thân",
    "health_insurance_number": "Số thẻ BHYT",
    "health_insurance_expiry": "Hạn thẻ BHYT",
    "period": "Kỳ",
    "amount": "Số tiền",
    "status": "Trạng thái",
    "paid_on": "Ngày chi",
    "method": "Hình thức",
    "note": "Ghi chú",
}

PHAM = {
    "national_id": "001140001234",
    "full_name": "Nguyễn Thị Phàm",
    "date_of_birth": "15/03/1940",
    "commune": "99001",
    "village": "Thôn Đông",
    "category": "Người cao tuổi",
    "monthly_amount": "500.000",
    "payment_method": "Ngân hàng",
    "bank": "Agribank",
    "account_number": "1234 0000 56789",
    "account_name": "NGUYEN THI PHAM",
    "phone": "0912 000 111",
    "relative_phone": "84987000222",
    "health_insurance_number": "BT2011234567890",
    "health_insurance_expiry": "31/12/2026",
}

PAYMENT = {
    "national_id": "001140001234",
    "period": "T11/2026",
    "amount": "500.000 đ",
    "status": "Đã chi",
    "paid_on": "10/11/2026",
    "method": "chuyển khoản",
    "note": "",
}


def beneficiary(**changes: object):
    return validate_beneficiary(7, {**PHAM, **changes}, HEADERS)


def payment(**changes: object):
    return validate_payment(9, {**PAYMENT, **changes}, HEADERS)


def only_error(result) -> RowError:
    record, errors = result
    assert record is None
    assert len(errors) == 1, errors
    return errors[0]


# --- beneficiaries ----------------------------------------------------------------


def test_a_complete_beneficiary_row():
    record, errors = beneficiary()
    assert errors == []
    assert record == BeneficiaryRow(
        national_id="001140001234",
        full_name="Nguyễn Thị Phàm",
        date_of_birth=date(1940, 3, 15),
        commune="99001",
        village="Thôn Đông",
        category="elderly",
        monthly_amount=500_000,
        payment_method="bank",
        bank="Agribank",
        account_number="1234000056789",
        account_name="NGUYEN THI PHAM",
        phone="+84912000111",
        relative_phone="+84987000222",
        health_insurance_number="BT2011234567890",
        health_insurance_expiry=date(2026, 12, 31),
    )


def test_only_id_and_name_are_required():
    record, errors = validate_beneficiary(
        3, {"national_id": 1140001234, "full_name": " Lê\u00a0Văn Tư "}, HEADERS
    )
    assert errors == []
    assert record is not None
    assert (record.national_id, record.full_name) == ("001140001234", "Lê Văn Tư")
    assert record.date_of_birth is None and record.monthly_amount is None
    assert record.payment_method is None and record.category is None


def test_bank_without_account_number_is_allowed():
    record, errors = beneficiary(account_number=None, account_name="")
    assert errors == []
    assert record is not None and record.payment_method == "bank"
    assert record.account_number is None and record.account_name is None


def test_commune_name_when_there_is_no_code():
    record, _ = validate_beneficiary(
        2,
        {"national_id": "001140001234", "full_name": "A", "commune_name": "Xã Hòa An"},
        HEADERS,
    )
    assert record is not None and record.commune == record.commune_name == "Xã Hòa An"
    record, _ = beneficiary(commune=4)
    assert record is not None and record.commune == "00004"


def test_required_cells_name_their_column():
    record, errors = beneficiary(national_id="  ", full_name=None)
    assert record is None
    assert errors == [
        RowError(7, "Số CCCD", "", MSG_REQUIRED, {"column": "Số CCCD"}),
        RowError(7, "Họ và tên", "", MSG_REQUIRED, {"column": "Họ và tên"}),
    ]


def test_every_problem_of_a_row_is_reported_at_once():
    record, errors = beneficiary(
        national_id="12345678", monthly_amount="-500.000", phone="12345", category="?"
    )
    assert record is None
    assert [e.column for e in errors] == ["Số CCCD", "Đối tượng", "Mức hưởng", "SĐT"]
    assert errors[0].message == CELL_MESSAGES["id_length"]
    assert errors[0].params == {"count": 8}
    assert errors[2].message == CELL_MESSAGES["amount_negative"]


def test_id_must_agree_with_the_date_of_birth():
    error = only_error(beneficiary(date_of_birth="15/03/1941"))
    assert error == RowError(
        7, "Ngày sinh", "15/03/1941", MSG_BIRTH_YEAR, {"id_year": 1940, "birth_year": 1941}
    )
    # The century digit counts too: 0/1 = 1900s, 2/3 = 2000s.
    error = only_error(beneficiary(date_of_birth=datetime(2040, 3, 15)))
    assert error.params == {"id_year": 1940, "birth_year": 2040}
    assert error.value == "15/03/2040"


def test_a_year_alone_is_compared_as_a_year():
    record, errors = beneficiary(date_of_birth="1940")
    assert errors == [] and record is not None and record.date_of_birth == 1940
    record, errors = beneficiary(date_of_birth=1940)
    assert errors == [] and record is not None and record.date_of_birth == 1940
    error = only_error(beneficiary(date_of_birth=1945))
    assert error.message == MSG_BIRTH_YEAR
    assert error.params == {"id_year": 1940, "birth_year": 1945}


def test_excel_date_cells_and_serials_as_birth_dates():
    record, _ = beneficiary(date_of_birth=datetime(1940, 3, 15))
    assert record is not None and record.date_of_birth == date(1940, 3, 15)
    record, _ = beneficiary(date_of_birth=14685)  # 15/03/1940
    assert record is not None and record.date_of_birth == date(1940, 3, 15)


def test_personal_numbers_are_masked_in_errors():
    bad_id = only_error(beneficiary(national_id="001140001234567"))
    assert bad_id.value == "************567"
    assert bad_id.message == CELL_MESSAGES["id_length"]
    old = only_error(beneficiary(national_id="'123 456 789"))
    assert old.value == "******789"
    assert old.message == CELL_MESSAGES["old_id"]
    phone = only_error(beneficiary(phone="0912 345 67"))
    assert phone.value == "******567"
    relative = only_error(beneficiary(relative_phone="02438123456"))
    assert relative.value == "********456"
    assert relative.message == CELL_MESSAGES["phone_not_mobile"]
    account = only_error(beneficiary(account_number="12345-6789-abc"))
    assert account.value == "**********-abc"
    account = only_error(beneficiary(account_number="12345"))
    assert account.value == "*2345"
    card = only_error(beneficiary(health_insurance_number="BT6011234567890"))
    assert card.value == "***********7890"
    for error in (bad_id, old, phone, relative, account, card):
        shown = f"{error.value} {error.params}"
        for secret in ("1140001234", "123456", "091234", "2438123", "56789", "1234567890"):
            assert secret not in shown


def test_health_insurance_card_with_another_persons_id():
    record, errors = beneficiary(health_insurance_number="BT201001140001234")
    assert errors == [] and record is not None
    record, errors = beneficiary(health_insurance_number="001140001234")
    assert errors == [] and record is not None
    error = only_error(beneficiary(health_insurance_number="BT201079045006789"))
    assert error.message == MSG_INSURANCE_OTHER_ID
    assert error.value == "*************6789"


def test_categories_and_methods_from_vietnamese_words():
    for words, category in [("NKT", "disabled"), ("mồ côi", "orphan"), ("NCC", None)]:
        record, errors = beneficiary(category=words)
        if category:
            assert record is not None and record.category == category
        else:
            assert errors[0].message == CELL_MESSAGES["category"]
    record, _ = beneficiary(payment_method="Bưu điện")
    assert record is not None and record.payment_method == "post"
    record, _ = beneficiary(payment_method="ví điện tử")
    assert record is not None and record.payment_method == "bank"


# --- payments ---------------------------------------------------------------------


def test_a_complete_payment_row():
    record, errors = payment()
    assert errors == []
    assert record == PaymentRow(
        national_id="001140001234",
        period="2026-11",
        amount=500_000,
        status="paid",
        paid_on=date(2026, 11, 10),
        method="bank",
        note=None,
    )


def test_paid_without_a_date_is_kept_without_one():
    record, errors = payment(paid_on=None)
    assert errors == [] and record is not None and record.paid_on is None


def test_paid_with_amount_zero_is_an_error():
    error = only_error(payment(amount="0"))
    assert error == RowError(9, "Số tiền", "0", MSG_PAID_ZERO, {})
    record, errors = payment(amount=0, status="hoàn trả", note="tài khoản bị khóa")
    assert errors == [] and record is not None
    assert (record.status, record.amount, record.note) == ("returned", 0, "tài khoản bị khóa")


def test_payment_required_cells():
    record, errors = payment(period="", amount=None, status=" ")
    assert record is None
    assert [(e.column, e.message) for e in errors] == [
        ("Kỳ", MSG_REQUIRED),
        ("Số tiền", MSG_REQUIRED),
        ("Trạng thái", MSG_REQUIRED),
    ]


def test_payment_cell_errors():
    record, errors = payment(
        period="13/2026", amount="500.5", status="??", paid_on="31/02/2026", method="?"
    )
    assert record is None
    assert [e.message for e in errors] == [
        CELL_MESSAGES["period_format"],
        CELL_MESSAGES["amount_not_integer"],
        CELL_MESSAGES["status"],
        CELL_MESSAGES["date_format"],
        CELL_MESSAGES["method"],
    ]
    assert [e.value for e in errors] == ["13/2026", "500.5", "??", "31/02/2026", "?"]


def test_long_values_are_shortened_for_display():
    error = only_error(payment(status="x" * 200))
    assert len(error.value) == 80 and error.value.endswith("…")


# --- whole files --------------------------------------------------------------------


PAYMENT_ROWS = [
    [TITLE[0]],
    [TITLE[1]],
    [],
    ["stt", "so cccd", "HO TEN", "ky", "SO TIEN", "trang thai", "ngay chi", "Ký nhận", "Người lập"],
    [
        1,
        "'001140001234",
        unicodedata.normalize("NFD", "Nguyễn Thị Phàm"),
        "11/2026",
        "500.000",
        "đã chi",
        "10/11/2026",
    ],
    [2, "079045006789", "Lê Văn Tư", "11/2026", "1.000.000", "chờ chi"],
    [],
    [3, "12345678", "Trần Văn Bình", "11/2026", "500.000", "đã chi"],
    [None, "Tổng cộng", None, None, "2.000.000"],
    [None, None, "Tống Văn Bốn", "11/2026", "500.000", "đã chi"],
]


def _check_payment_results(results):
    numbers = [number for number, _record, _errors in results]
    assert numbers == [5, 6, 8, 10]  # file rows; blank and totals rows skipped
    (_, pham, e5), (_, tu, e6), (_, bad, e8), (_, bon, e10) = results
    assert e5 == e6 == []
    assert pham.national_id == "001140001234" and pham.full_name == "Nguyễn Thị Phàm"
    assert pham.paid_on == date(2026, 11, 10)
    assert tu.status == "pending" and tu.amount == 1_000_000
    assert bad is None
    assert e8 == [RowError(8, "so cccd", "*****678", CELL_MESSAGES["id_length"], {"count": 8})]
    # A person named Tống is no totals line: the missing ID is reported.
    assert bon is None
    assert e10 == [RowError(10, "so cccd", "", MSG_REQUIRED, {"column": "so cccd"})]


def test_payment_csv_end_to_end(tmp_path):
    path = write_csv(tmp_path / "tt.csv", PAYMENT_ROWS, delimiter=";", bom=True)
    with open_table(path, kind="payments") as table:
        assert table.unknown == ["Người lập"]
        _check_payment_results(list(iter_validated(table, "payments")))


def test_payment_xlsx_end_to_end(tmp_path):
    rows = [list(row) for row in PAYMENT_ROWS]
    rows[4][1] = 1140001234  # a number cell that lost its zeros
    rows[4][6] = datetime(2026, 11, 10)  # a date cell
    rows[5][3] = datetime(2026, 11, 1)  # the period as a date cell
    path = write_xlsx(tmp_path / "tt.xlsx", rows, merges=["A1:I1", "A2:I2"])
    with open_table(path, kind="payments") as table:
        _check_payment_results(list(iter_validated(table, "payments")))


def test_beneficiary_xlsx_end_to_end(tmp_path):
    path = write_xlsx(
        tmp_path / "ds.xlsx",
        [
            [TITLE[0]],
            ["Họ và tên", "Số CCCD", "Năm sinh", "Đối tượng", "Hình thức nhận", "Số tài khoản"],
            ["Nguyễn Thị Phàm", 1140001234.0, 1940, "NCT", "Tài khoản", "'0071000123456"],
            ["Lê Văn Tư", "079045006789", 1944, "NKT", "Bưu điện"],
        ],
    )
    with open_table(path, kind="beneficiaries") as table:
        results = list(iter_validated(table, "beneficiaries"))
    (n3, pham, e3), (n4, tu, e4) = results
    assert (n3, e3) == (3, [])
    assert pham.date_of_birth == 1940 and pham.account_number == "0071000123456"
    assert pham.category == "elderly" and pham.payment_method == "bank"
    assert n4 == 4 and tu is None
    assert e4 == [
        RowError(4, "Năm sinh", "1944", MSG_BIRTH_YEAR, {"id_year": 1945, "birth_year": 1944})
    ]


# --- messages -------------------------------------------------------------------------


def _extracted() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        ROOT / "handlers" / "importing", method_map=[("**.py", "python")], keywords={"_": None}
    ):
        found.add(message)
    return found


def test_every_message_is_an_extractable_whole_sentence():
    extracted = _extracted()
    messages = [*CELL_MESSAGES.values(), MSG_REQUIRED, MSG_BIRTH_YEAR, MSG_PAID_ZERO]
    messages.append(MSG_INSURANCE_OTHER_ID)
    for message in messages:
        assert message in extracted, message
        assert message[0].isupper() and message.endswith("."), message
    # Placeholders are named and filled by the params the validator gives.
    error = only_error(beneficiary(date_of_birth="1941"))
    names = {name for _lit, name, _spec, _conv in string.Formatter().parse(error.message) if name}
    assert names == set(error.params)
    assert error.message.format(**error.params)


def test_a_repeated_cell_gives_each_row_its_own_outcome(tmp_path):
    """Cells that repeat down a list are read once per file; each row still
    gets its own errors, under its own row number, and cells equal in Python
    but of different kinds (TRUE, 1, 1.0) are each read as what they are."""
    header = ["Số CCCD", "Kỳ", "Số tiền", "Trạng thái"]
    rows = [
        header,
        ["001140000001", "11/2026", "abc", "đã chi"],
        ["001140000002", "11/2026", "abc", "đã chi"],
        ["001140000003", "11/2026", True, "chờ chi"],
        ["001140000004", "11/2026", 1, "chờ chi"],
        ["001140000005", "11/2026", 1.0, "chờ chi"],
        ["001140000006", "11/2026", "", "chờ chi"],
        ["001140000007", "11/2026", "", "chờ chi"],
    ]
    path = write_xlsx(tmp_path / "chi.xlsx", rows)
    with open_table(path, kind="payments") as table:
        results = list(iter_validated(table, "payments"))
    by_row = {number: (record, errors) for number, record, errors in results}
    for number in (2, 3):
        record, errors = by_row[number]
        assert record is None
        assert [(e.row, e.column, e.value, e.message) for e in errors] == [
            (number, "Số tiền", "abc", CELL_MESSAGES["amount_format"])
        ]
    record, errors = by_row[4]
    assert record is None and [e.message for e in errors] == [CELL_MESSAGES["amount_format"]]
    for number in (5, 6):
        record, errors = by_row[number]
        assert errors == [] and isinstance(record, PaymentRow) and record.amount == 1
    for number in (7, 8):
        record, errors = by_row[number]
        assert record is None
        assert [(e.row, e.message) for e in errors] == [(number, MSG_REQUIRED)]
