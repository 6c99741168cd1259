"""Which file column holds which field: header aliases for the two kinds of import.

Officers write headers in Vietnamese or English, with or without diacritics, in any
case, sometimes with a trailing colon, a required-marker "(*)" or a unit "(đồng)".
Headers are compared by :func:`header_key`, so the aliases below only need to list
the different *words*; "SỐ CCCD (*)", "so cccd" and "Số  CCCD:" are the same header.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from handlers.text import match_key

Kind = Literal["beneficiaries", "payments"]
KINDS: tuple[Kind, ...] = ("beneficiaries", "payments")

# Field name for a known column that carries nothing to import (the running number,
# the signature column of a payment list). It is neither mapped nor reported.
IGNORED = "_ignored"

_IGNORED_ALIASES = [
    "STT",
    "TT",
    "Số TT",
    "Số thứ tự",
    "No",
    "No.",
    "#",
    "Ký nhận",
    "Ký tên",
    "Chữ ký",
    "Người nhận ký",
]

_NATIONAL_ID = [
    "national_id",
    "national id",
    "citizen id",
    "id number",
    "personal id",
    "CCCD",
    "Số CCCD",
    "Số căn cước",
    "Căn cước công dân",
    "Số căn cước công dân",
    "Số định danh",
    "Số định danh cá nhân",
    "Mã định danh",
    "Mã định danh cá nhân",
    "CCCD/CMND",
    "CMND/CCCD",
    "Số CCCD/CMND",
    "Số CMND/CCCD",
    "Số CMND",
    "CMND",
]

_FULL_NAME = [
    "full_name",
    "full name",
    "name",
    "Họ và tên",
    "Họ tên",
    "Tên",
    "Họ và tên người hưởng",
    "Họ tên người hưởng",
    "Họ và tên đối tượng",
    "Họ tên đối tượng",
    "Tên đối tượng",
    "Họ và tên người nhận",
    "Họ tên người nhận",
]

BENEFICIARY_COLUMNS: dict[str, list[str]] = {
    IGNORED: _IGNORED_ALIASES,
    "national_id": _NATIONAL_ID,
    "full_name": _FULL_NAME,
    "date_of_birth": [
        "date_of_birth",
        "date of birth",
        "birth date",
        "dob",
        "year of birth",
        "Ngày sinh",
        "Ngày tháng năm sinh",
        "Ngày/tháng/năm sinh",
        "Sinh ngày",
        "Năm sinh",
    ],
    # An official commune code, or the commune's name when that is all the file has.
    "commune": [
        "commune_code",
        "commune code",
        "commune",
        "ward code",
        "Mã xã",
        "Mã phường",
        "Mã xã/phường",
        "Mã phường/xã",
        "Mã đơn vị hành chính",
        "Mã ĐVHC",
    ],
    "commune_name": [
        "commune_name",
        "commune name",
        "ward",
        "Xã",
        "Tên xã",
        "Phường",
        "Xã/phường",
        "Phường/xã",
        "Tên xã/phường",
        "Xã/phường/đặc khu",
    ],
    "village": [
        "village",
        "hamlet",
        "Thôn",
        "Tổ",
        "Ấp",
        "Bản",
        "Xóm",
        "Khu phố",
        "Tổ dân phố",
        "Thôn/Tổ",
        "Thôn/Ấp",
        "Thôn/Xóm",
        "Thôn/Bản",
        "Thôn/Tổ dân phố",
        "Thôn, tổ",
        "Thôn/Khu phố",
        "Ấp/Khu phố",
    ],
    "category": [
        "category",
        "group",
        "Đối tượng",
        "Diện hưởng",
        "Diện đối tượng",
        "Loại đối tượng",
        "Nhóm đối tượng",
        "Phân loại đối tượng",
        "Diện",
    ],
    "monthly_amount": [
        "monthly_amount",
        "monthly amount",
        "amount",
        "Mức hưởng",
        "Số tiền",
        "Mức trợ cấp",
        "Mức trợ cấp hàng tháng",
        "Mức hưởng hàng tháng",
        "Số tiền hưởng",
        "Số tiền trợ cấp",
        "Số tiền hưởng hàng tháng",
    ],
    "payment_method": [
        "payment_method",
        "payment method",
        "method",
        "Hình thức nhận",
        "Hình thức",
        "Hình thức chi trả",
        "Hình thức nhận tiền",
        "Phương thức nhận",
        "Phương thức chi trả",
    ],
    "bank": [
        "bank",
        "bank_name",
        "bank name",
        "Ngân hàng",
        "Tên ngân hàng",
        "Ngân hàng mở tài khoản",
    ],
    "account_number": [
        "account_number",
        "account number",
        "account no",
        "Số tài khoản",
        "STK",
        "Số TK",
        "Tài khoản",
        "Số tài khoản ngân hàng",
    ],
    "account_name": [
        "account_name",
        "account name",
        "account holder",
        "Chủ tài khoản",
        "Tên chủ tài khoản",
        "Tên tài khoản",
    ],
    "phone": [
        "phone",
        "phone number",
        "mobile",
        "Số điện thoại",
        "Điện thoại",
        "SĐT",
        "Số ĐT",
        "ĐT",
        "Di động",
    ],
    "relative_phone": [
        "relative_phone",
        "relative phone",
        "SĐT người thân",
        "Số điện thoại người thân",
        "Điện thoại người thân",
        "SĐT người nhà",
        "Số điện thoại người nhà",
    ],
    "health_insurance_number": [
        "health_insurance_number",
        "health insurance number",
        "BHYT",
        "Số thẻ BHYT",
        "Mã thẻ BHYT",
        "Số BHYT",
        "Mã BHYT",
        "Thẻ BHYT",
        "Mã số BHYT",
    ],
    "health_insurance_expiry": [
        "health_insurance_expiry",
        "health insurance expiry",
        "Hạn thẻ BHYT",
        "Hạn BHYT",
        "Hạn sử dụng thẻ BHYT",
        "Ngày hết hạn BHYT",
        "Ngày hết hạn thẻ BHYT",
        "Thẻ BHYT có giá trị đến",
        "Giá trị sử dụng đến",
        "Hạn thẻ",
    ],
}

PAYMENT_COLUMNS: dict[str, list[str]] = {
    IGNORED: _IGNORED_ALIASES,
    "national_id": _NATIONAL_ID,
    # Not required: payment lists usually repeat the name, which helps the officer.
    "full_name": _FULL_NAME,
    "period": [
        "period",
        "month",
        "Kỳ",
        "Tháng",
        "Kỳ chi trả",
        "Kỳ chi",
        "Tháng chi trả",
        "Tháng chi",
        "Tháng/năm",
        "Kỳ thanh toán",
    ],
    "amount": [
        "amount",
        "Số tiền",
        "Số tiền chi",
        "Số tiền chi trả",
        "Số tiền được nhận",
        "Số tiền nhận",
        "Thành tiền",
        "Mức hưởng",
    ],
    "status": [
        "status",
        "Trạng thái",
        "Tình trạng",
        "Kết quả",
        "Trạng thái chi trả",
        "Tình trạng chi trả",
        "Kết quả chi trả",
    ],
    "paid_on": [
        "paid_on",
        "paid on",
        "payment date",
        "date paid",
        "Ngày chi",
        "Ngày chi trả",
        "Ngày nhận",
        "Ngày thanh toán",
        "Ngày chuyển khoản",
        "Ngày chuyển",
    ],
    "method": [
        "method",
        "payment_method",
        "payment method",
        "Hình thức",
        "Hình thức nhận",
        "Hình thức chi trả",
        "Phương thức",
        "Phương thức chi trả",
    ],
    "bank": [
        "bank",
        "bank_name",
        "bank name",
        "Ngân hàng",
        "Tên ngân hàng",
    ],
    "account_number": [
        "account_number",
        "account number",
        "account no",
        "Số tài khoản",
        "STK",
        "Số TK",
        "Tài khoản",
    ],
    "note": [
        "note",
        "notes",
        "Ghi chú",
        "Lý do",
        "Nội dung",
    ],
}

COLUMNS: dict[Kind, dict[str, list[str]]] = {
    "beneficiaries": BENEFICIARY_COLUMNS,
    "payments": PAYMENT_COLUMNS,
}

REQUIRED: dict[Kind, tuple[str, ...]] = {
    "beneficiaries": ("national_id", "full_name"),
    "payments": ("national_id", "period", "amount", "status"),
}

# How an officer would write each field's header: used to name missing columns.
OFFICER_WORDS: dict[str, str] = {
    "national_id": "Số CCCD",
    "full_name": "Họ và tên",
    "date_of_birth": "Ngày sinh",
    "commune": "Mã xã",
    "commune_name": "Xã",
    "village": "Thôn",
    "category": "Đối tượng",
    "monthly_amount": "Mức hưởng",
    "payment_method": "Hình thức nhận",
    "bank": "Ngân hàng",
    "account_number": "Số tài khoản",
    "account_name": "Chủ tài khoản",
    "phone": "Số điện thoại",
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

_NOTES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NON_WORD = re.compile(r"[\W_]+")


def header_key(text: str) -> str:
    """The comparison key of a header text.

    match_key (case, diacritics, đ, spacing), then parenthesised notes such as
    "(*)", "(đồng)", "(dd/mm/yyyy)" dropped and punctuation turned into spaces, so
    "Thôn/Tổ", "Thôn - Tổ" and "thon to" agree and "SĐT:" is "sdt".
    """
    base = match_key(text.replace("\ufeff", ""))
    key = _NON_WORD.sub(" ", _NOTES.sub(" ", base)).strip()
    if key:
        return key
    # A header that is only punctuation ("#") or only a note keeps its own key.
    return _NON_WORD.sub(" ", base).strip() or base


def _alias_index(kind: Kind) -> dict[str, str]:
    index: dict[str, str] = {}
    for name, aliases in COLUMNS[kind].items():
        for alias in aliases:
            key = header_key(alias)
            if index.get(key, name) != name:
                raise AssertionError(f"{kind}: header {alias!r} means two fields")
            index[key] = name
    return index


_INDEX: dict[Kind, dict[str, str]] = {kind: _alias_index(kind) for kind in KINDS}


def field_of(header: str, kind: Kind) -> str | None:
    """The field a header text names (``IGNORED`` for STT and the like), or None."""
    return _INDEX[kind].get(header_key(header))


@dataclass(frozen=True)
class HeaderMatch:
    """How a header row maps onto fields."""

    columns: dict[int, str]  # column index -> field (ignored columns left out)
    unknown: list[str]  # header texts of columns nothing is read from
    duplicates: list[str]  # header texts of a second column for a field already mapped
    known: int  # how many header cells are known headers (ignored ones included)
    missing: list[str] = field(default_factory=list)  # required fields with no column


def match_headers(headers: Sequence[str], kind: Kind) -> HeaderMatch:
    """Map a header row; the first column naming a field wins."""
    columns: dict[int, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    known = 0
    taken: set[str] = set()
    for index, header in enumerate(headers):
        if not header or not header.strip():
            continue
        name = field_of(header, kind)
        if name is None:
            unknown.append(header)
            continue
        known += 1
        if name == IGNORED:
            continue
        if name in taken:
            duplicates.append(header)
            continue
        taken.add(name)
        columns[index] = name
    missing = [name for name in REQUIRED[kind] if name not in taken]
    return HeaderMatch(columns, unknown, duplicates, known, missing)


def map_headers(headers: Sequence[str], kind: Kind) -> tuple[dict[int, str], list[str]]:
    """Column index -> field, and the header texts of the columns not imported.

    The second list names unknown headers and, after them, any second column for a
    field that an earlier column already provides (both are left out of the import,
    and the officer should be told). "STT" and the signature column are known and
    silently ignored.
    """
    match = match_headers(headers, kind)
    return match.columns, match.unknown + match.duplicates
