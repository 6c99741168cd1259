"""Parsing one cell of an officer's list.

Each parser takes what the reader produced (a ``str`` from CSV; ``str``, ``int``,
``float``, ``datetime`` ... from XLSX) and returns the value in its canonical form, or
raises :class:`CellError` with a code; :data:`CELL_MESSAGES` gives each code's
translatable message. An empty cell raises ``CellError("empty")``: whether a field may
be empty is the validator's decision, not the parser's.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from handlers.dates import parse_date as parse_typed_date
from handlers.i18n import _
from handlers.ids import check_id_format
from handlers.text import match_key

# code -> English msgid with named placeholders.
CELL_MESSAGES: dict[str, str] = {
    "empty": _("This cell is empty."),
    "id_not_digits": _("The citizen ID should contain only digits, e.g. 001140001234."),
    "id_length": _("The citizen ID must have 12 digits; this one has {count}."),
    "id_province": _(
        "The first three digits of the citizen ID are not a province code; please check them."
    ),
    "id_century": _(
        "The fourth digit of the citizen ID must be 0, 1, 2 or 3 (it gives the century of birth and the gender); please check it."
    ),
    "id_invalid": _("This citizen ID is not valid; please check it."),
    "old_id": _(
        "This looks like an old 9-digit ID card (CMND) number; please enter the 12-digit citizen ID (CCCD) instead."
    ),
    "id_scientific": _(
        "Excel has shown this citizen ID in scientific notation and lost digits; format the column as Text and type the ID again."
    ),
    "amount_format": _("The amount should be a number of dong, e.g. 500.000 or 500000."),
    "amount_negative": _("The amount cannot be negative."),
    "amount_not_integer": _("The amount must be a whole number of dong, e.g. 500.000."),
    "date_format": _("This date cannot be read; please write it as dd/mm/yyyy, e.g. 10/11/2026."),
    "date_or_year": _(
        "The date of birth cannot be read; please write it as dd/mm/yyyy, e.g. 15/03/1945, or write the year alone, e.g. 1945."
    ),
    "period_format": _("The period should be a month and year, e.g. 11/2026 or 2026-11."),
    "status": _("The status is not one we know; please use paid, pending, failed or returned."),
    "method": _("The payment method is not one we know; please use bank, post or cash."),
    "category": _(
        "The category is not one we know; please use elderly, disabled, orphan, meritorious or other."
    ),
    "phone_invalid": _(
        "This is not a valid phone number; please write it with 10 digits, e.g. 0912345678."
    ),
    "phone_not_mobile": _(
        "This is not a mobile number; the bot can only use mobile numbers, e.g. 0912345678."
    ),
    "account_not_digits": _("The account number should contain only digits."),
    "account_length": _("The account number should have 6 to 19 digits; this one has {count}."),
    "account_number_cell": _(
        "Excel stored this account number as a number and may have changed its digits; format the column as Text and type it again."
    ),
    "insurance_format": _(
        "The health-insurance card number should be 2 letters and 13 digits, e.g. BT2791234567890, or the 12-digit citizen ID."
    ),
}


class CellError(ValueError):
    """A cell that cannot be read; ``code`` selects the message in CELL_MESSAGES."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return CELL_MESSAGES[self.code]


# ---------------------------------------------------------------------------
# Text

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_APOSTROPHES = "'\u2018\u2019`\u00b4"


def clean_text(v: object) -> str | None:
    """NFC text with every run of whitespace (non-breaking spaces included) made one
    space, invisible characters removed, and stripped; None when nothing is left."""
    if v is None:
        return None
    if isinstance(v, str):
        text = v
    elif isinstance(v, bool):
        text = "TRUE" if v else "FALSE"
    elif isinstance(v, float) and math.isfinite(v) and v.is_integer():
        text = str(int(v))
    elif isinstance(v, datetime):
        text = (
            v.strftime("%d/%m/%Y")
            if v.time() == datetime.min.time()
            else v.strftime("%d/%m/%Y %H:%M")
        )
    elif isinstance(v, date):
        text = v.strftime("%d/%m/%Y")
    else:
        text = str(v)
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    text = " ".join(text.split())
    if text.startswith("'") and len(text) > 1:
        text = text[1:]  # Excel's "this is text" mark, not part of the value
    return text or None


def is_empty(v: object) -> bool:
    """None, or text with nothing but (non-breaking, zero-width) spaces."""
    if v is None:
        return True
    if not isinstance(v, str) or v[:1].isalnum():  # most cells: a letter or digit first
        return False
    return not _INVISIBLE.sub("", v).strip()


def _compact(v: str) -> str:
    """NFKC (full-width digits become ASCII), invisible characters and a leading
    apostrophe (Excel's "keep as text" mark) removed, stripped."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", v)).strip()
    return text.lstrip(_APOSTROPHES).strip()


def _integral(v: object) -> int | None:
    """An int for a number-typed cell holding a whole number; None otherwise."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v) if math.isfinite(v) and v.is_integer() else None
    if isinstance(v, Decimal):
        return int(v) if v.is_finite() and v == v.to_integral_value() else None
    return None


def _is_number(v: object) -> bool:
    return isinstance(v, int | float | Decimal) and not isinstance(v, bool)


# ---------------------------------------------------------------------------
# Citizen ID

_ID_SEPARATORS = re.compile(r"[\s.,\-_/]")
_SCIENTIFIC = re.compile(r"(\d)(?:[.,](\d+))?[eE]\+?(\d{1,2})")
_DIGITS = re.compile(r"[0-9]+")


def parse_national_id(v: object) -> str:
    """A 12-digit citizen ID as text.

    Number-typed cells lose leading zeros in Excel; every real ID starts with 0
    (province codes are 001-096), so a number of 10 or 11 digits gets them back. The
    same holds for digit text of 10-11 digits that does not start with 0 (a CSV saved
    from such a sheet). Floats are converted exactly (no ``str(float)``), and text in
    scientific notation is accepted only when no digit was lost.
    """
    if v is None:
        raise CellError("empty")
    from_number = False
    if isinstance(v, str) and len(v) == 12 and v.isascii() and v.isdigit():
        digits = v  # the common case, as the slower reading below would find it
    elif _is_number(v):
        number = _integral(v)
        if number is None or number < 0:
            raise CellError("id_not_digits")
        digits = str(number)
        from_number = True
    elif isinstance(v, str):
        text = _compact(v)
        if not text:
            raise CellError("empty")
        sci = _SCIENTIFIC.fullmatch(re.sub(r"\s", "", text))
        if sci:
            lead, frac, exponent = sci.group(1), sci.group(2) or "", int(sci.group(3))
            if len(frac) > exponent:
                raise CellError("id_not_digits")
            if len(lead) + len(frac) < exponent + 1:
                raise CellError("id_scientific")
            digits = lead + frac
            from_number = True
        else:
            digits = _ID_SEPARATORS.sub("", text)
            if not _DIGITS.fullmatch(digits):
                raise CellError("id_not_digits")
            from_number = not digits.startswith("0")
    else:
        raise CellError("id_not_digits")
    if len(digits) == 9:
        raise CellError("old_id")
    if from_number and len(digits) in (10, 11):
        digits = digits.zfill(12)
    if len(digits) != 12:
        raise CellError("id_length", count=len(digits))
    problem = check_id_format(digits)
    if problem is None:
        return digits
    if problem.code in ("province", "century"):
        raise CellError(f"id_{problem.code}")
    raise CellError("id_invalid")


# ---------------------------------------------------------------------------
# Money

_CURRENCY = re.compile(r"^(?:vnđ|vnd|₫|đ)?\s*(.*?)\s*(?:vnđ|vnd|đồng|dong|₫|đ|d)?\.?$")
_GROUPED_DOT = re.compile(r"\d{1,3}(?:\.\d{3})+")
_GROUPED_COMMA = re.compile(r"\d{1,3}(?:,\d{3})+")
_GROUPED_SPACE = re.compile(r"\d{1,3}(?: \d{3})+")
_DECIMAL_COMMA = re.compile(r"(\d{1,3}(?:\.\d{3})*|\d+),(\d+)")
_DECIMAL_DOT = re.compile(r"(\d{1,3}(?:,\d{3})*|\d+)\.(\d+)")


def parse_amount(v: object) -> int:
    """A whole, non-negative number of dong.

    Vietnamese lists group thousands with dots ("1.000.000"), English ones with
    commas ("1,000,000"); a single separator followed by exactly three digits is a
    thousands separator, so "500.000" and "500,000" are both 500000. A currency word
    or sign ("đ", "VNĐ", "₫", "đồng") before or after the number is allowed.
    """
    if v is None or isinstance(v, bool):
        raise CellError("empty" if v is None else "amount_format")
    if _is_number(v):
        assert isinstance(v, int | float | Decimal)
        if isinstance(v, float) and not math.isfinite(v):
            raise CellError("amount_format")
        if v < 0:
            raise CellError("amount_negative")
        whole = round(v)
        # Formula results such as 1.5 * 360000 may carry a binary rounding tail.
        if isinstance(v, Decimal):
            whole_enough = abs(v - whole) <= Decimal("0.000001")
        else:
            whole_enough = abs(v - whole) <= 1e-6
        if not whole_enough:
            raise CellError("amount_not_integer")
        return int(whole)
    if not isinstance(v, str):
        raise CellError("amount_format")
    amount, code = _amount_text(v)
    if code:
        raise CellError(code)
    return amount


@lru_cache(maxsize=4096)  # lists repeat the same few amounts
def _amount_text(v: str) -> tuple[int, str | None]:
    try:
        return _parse_amount_text(v), None
    except CellError as exc:
        return 0, exc.code


def _parse_amount_text(v: str) -> int:
    text = " ".join(_compact(v).casefold().replace("\u2212", "-").split())
    if not text:
        raise CellError("empty")
    negative = False
    if text.startswith("(") and text.endswith(")"):  # accounting style
        negative, text = True, text[1:-1].strip()
    if text.startswith("-"):
        negative, text = True, text[1:].strip()
    match = _CURRENCY.match(text)
    number = match.group(1) if match else text
    if number.startswith("-"):
        negative, number = True, number[1:].strip()
    amount = _amount_digits(number)
    if negative and amount != 0:
        raise CellError("amount_negative")
    return amount


def _amount_digits(number: str) -> int:
    if _DIGITS.fullmatch(number):
        return int(number)
    for grouped in (_GROUPED_DOT, _GROUPED_COMMA, _GROUPED_SPACE):
        if grouped.fullmatch(number):
            return int(_ID_SEPARATORS.sub("", number))
    for decimal in (_DECIMAL_COMMA, _DECIMAL_DOT):
        match = decimal.fullmatch(number)
        if match:
            whole, fraction = match.groups()
            if fraction.strip("0"):
                raise CellError("amount_not_integer")
            return int(_ID_SEPARATORS.sub("", whole))
    raise CellError("amount_format")


# ---------------------------------------------------------------------------
# Dates

_EXCEL_EPOCH = date(1899, 12, 30)  # 1900 date system, after Lotus' 29 Feb 1900
_SERIAL_MIN, _SERIAL_MAX = 1, 109_573  # 1 Jan 1900 .. 31 Dec 2199
_YEAR_MIN, _YEAR_MAX = 1880, 2100
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]m)?$", re.IGNORECASE)


def excel_serial_to_date(serial: float) -> date | None:
    """A date from an Excel serial number (1900 date system), None when implausible."""
    day = math.floor(serial)
    if not _SERIAL_MIN <= day <= _SERIAL_MAX or day == 60:  # 60 is the fictitious 29/02/1900
        return None
    if day < 60:
        day += 1
    return _EXCEL_EPOCH + timedelta(days=day)


def _date_value(v: object, code: str, allow_year: bool) -> date | int:
    if v is None:
        raise CellError("empty")
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, bool):
        raise CellError(code)
    if _is_number(v):
        assert isinstance(v, int | float | Decimal)
        number = _integral(v)
        if allow_year and number is not None and _YEAR_MIN <= number <= _YEAR_MAX:
            return number
        # A date typed as digits that Excel made a number: 15031945, or 1031945
        # for 01031945 after the leading zero was lost.
        if number is not None and 1_000_000 <= number <= 99_999_999:
            typed = parse_typed_date(str(number).zfill(8))
            if typed:
                return typed
            raise CellError(code)
        if isinstance(v, float) and not math.isfinite(v):
            raise CellError(code)
        serial = excel_serial_to_date(float(v))
        if serial is None:
            raise CellError(code)
        return serial
    if not isinstance(v, str):
        raise CellError(code)
    value, error = _date_text(v, code, allow_year)
    if error:
        raise CellError(error)
    assert value is not None
    return value


@lru_cache(maxsize=4096)  # payment dates repeat
def _date_text(v: str, code: str, allow_year: bool) -> tuple[date | int | None, str | None]:
    try:
        return _parse_date_text(v, code, allow_year), None
    except CellError as exc:
        return None, exc.code


def _parse_date_text(v: str, code: str, allow_year: bool) -> date | int:
    text = " ".join(_compact(v).split())
    if not text:
        raise CellError("empty")
    if re.fullmatch(r"\d{4}", text):
        if allow_year and _YEAR_MIN <= int(text) <= _YEAR_MAX:
            return int(text)
        raise CellError(code)
    typed = parse_typed_date(_TIME_SUFFIX.sub("", text))
    if typed is None:
        raise CellError(code)
    return typed


def parse_date(v: object, *, allow_year: bool = False) -> date | int:
    """A date (or, with ``allow_year``, a year alone as an int).

    Accepts date/datetime cells, dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy,
    yyyy-mm-dd (a time after it is ignored), and Excel serial numbers from 1900 to
    2199. Day-first only: "03/15/1945" is refused rather than guessed.
    """
    return _date_value(v, "date_or_year" if allow_year else "date_format", allow_year)


def parse_full_date(v: object) -> date:
    """Like :func:`parse_date`, never a year alone."""
    value = _date_value(v, "date_format", False)
    assert isinstance(value, date)
    return value


# ---------------------------------------------------------------------------
# Period (month)

_PERIOD_WORDS = re.compile(r"\b(?:thang|ky chi tra|ky|nam|month|period)\b")
_MONTH_YEAR = re.compile(r"(\d{1,4})\s*[-/.\s]\s*(\d{1,4})")
_PERIOD_YEARS = range(1990, 2101)


def parse_period(v: object) -> str:
    """A month as "YYYY-MM": "2026-11", "11/2026", "T11/2026", "tháng 11/2026",
    "Tháng 11 năm 2026", "11-2026", or a date (a whole date gives its month)."""
    if v is None:
        raise CellError("empty")
    if isinstance(v, date) or (_is_number(v) and not isinstance(v, bool)):
        return _month_of(v)
    if not isinstance(v, str):
        raise CellError("period_format")
    period, code = _period_text(v)
    if code:
        raise CellError(code)
    assert period is not None
    return period


@lru_cache(maxsize=1024)  # a payment list has one or a few periods
def _period_text(v: str) -> tuple[str | None, str | None]:
    try:
        return _parse_period_text(v), None
    except CellError as exc:
        return None, exc.code


def _parse_period_text(v: str) -> str:
    text = _compact(v)
    if not text:
        raise CellError("empty")
    key = _PERIOD_WORDS.sub(" ", match_key(text))
    key = re.sub(r"\bt(?=\d)", "", key).strip(" :")
    match = _MONTH_YEAR.fullmatch(key)
    if match:
        first, second = match.groups()
        if len(first) == 4 and len(second) <= 2:
            year, month = int(first), int(second)
        elif len(second) == 4 and len(first) <= 2:
            month, year = int(first), int(second)
        else:
            raise CellError("period_format")
        if 1 <= month <= 12 and year in _PERIOD_YEARS:
            return f"{year:04d}-{month:02d}"
        raise CellError("period_format")
    return _month_of(text)


def _month_of(v: object) -> str:
    """The month of a whole date (a date cell, an Excel serial, "01/11/2026")."""
    try:
        day = parse_full_date(v)
    except CellError as exc:
        raise CellError("period_format") from exc
    if day.year not in _PERIOD_YEARS:
        raise CellError("period_format")
    return f"{day.year:04d}-{day.month:02d}"


# ---------------------------------------------------------------------------
# Words: status, payment method, category


@lru_cache(maxsize=4096)
def _word_key(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", match_key(text)).split())


def _word_table(table: dict[str, list[str]]) -> dict[str, str]:
    return {_word_key(word): canonical for canonical, words in table.items() for word in words}


STATUS_WORDS = _word_table(
    {
        "paid": [
            "paid",
            "done",
            "success",
            "đã chi",
            "đã chi trả",
            "đã trả",
            "đã nhận",
            "đã nhận tiền",
            "đã thanh toán",
            "đã chuyển",
            "đã chuyển khoản",
            "chi thành công",
            "thành công",
            "hoàn thành",
        ],
        "pending": [
            "pending",
            "waiting",
            "chờ chi",
            "chờ chi trả",
            "chưa chi",
            "chưa chi trả",
            "chưa trả",
            "chưa nhận",
            "chờ",
            "đang chờ",
            "đang chờ chi",
            "chờ xử lý",
            "đang xử lý",
        ],
        "failed": [
            "failed",
            "fail",
            "error",
            "lỗi",
            "bị lỗi",
            "chi lỗi",
            "chuyển lỗi",
            "chuyển khoản lỗi",
            "thất bại",
            "không thành công",
            "chi không thành công",
            "chuyển khoản không thành công",
        ],
        "returned": [
            "returned",
            "refunded",
            "hoàn trả",
            "hoàn",
            "hoàn lại",
            "trả lại",
            "bị trả lại",
            "trả về",
            "thu hồi",
        ],
    }
)

# E-wallets (VNPT Money, Viettel Money, MoMo...) count as "bank": the project's bank
# list includes them, and the money goes to an account in the person's name.
METHOD_WORDS = _word_table(
    {
        "bank": [
            "bank",
            "bank account",
            "transfer",
            "e-wallet",
            "ewallet",
            "wallet",
            "ngân hàng",
            "qua ngân hàng",
            "tài khoản",
            "tài khoản ngân hàng",
            "qua tài khoản",
            "chuyển khoản",
            "CK",
            "TK",
            "ATM",
            "thẻ ATM",
            "ví điện tử",
            "ví",
            "VNPT Money",
            "Viettel Money",
            "MoMo",
        ],
        "post": [
            "post",
            "post office",
            "bưu điện",
            "qua bưu điện",
            "bưu chính",
            "VNPost",
            "Vietnam Post",
            "Bưu điện Việt Nam",
        ],
        "cash": [
            "cash",
            "tiền mặt",
            "nhận tiền mặt",
            "trực tiếp",
            "nhận trực tiếp",
            "chi trực tiếp",
            "tại nhà",
            "nhận tại nhà",
            "chi tại nhà",
        ],
    }
)


def parse_status(v: object) -> str:
    """paid / pending / failed / returned, from English or Vietnamese words."""
    text = clean_text(v)
    if text is None:
        raise CellError("empty")
    status = STATUS_WORDS.get(_word_key(text))
    if status is None:
        raise CellError("status")
    return status


def parse_method(v: object) -> str:
    """bank / post / cash. E-wallets ("ví điện tử", VNPT Money...) count as bank."""
    text = clean_text(v)
    if text is None:
        raise CellError("empty")
    method = METHOD_WORDS.get(_word_key(text))
    if method is None:
        raise CellError("method")
    return method


CATEGORIES = ("elderly", "disabled", "orphan", "meritorious", "other")

# Word sequences (matching keys) that name a category anywhere in the cell, tried in
# this order: "trẻ em khuyết tật" is disabled, "người cao tuổi khuyết tật" too.
_CATEGORY_HINTS: list[tuple[str, tuple[str, ...]]] = [
    (
        "meritorious",
        (
            "meritorious",
            "co cong",
            "nguoi co cong",
            "liet si",
            "thuong binh",
            "benh binh",
            "nccvcm",
        ),
    ),
    ("disabled", ("disabled", "disability", "khuyet tat", "nkt", "tan tat", "tam than")),
    ("orphan", ("orphan", "mo coi", "khong co nguon nuoi duong")),
    (
        "elderly",
        ("elderly", "cao tuoi", "nct", "nguoi gia", "tro cap huu tri xa hoi", "huu tri xa hoi"),
    ),
    (
        "other",
        (
            "other",
            "khac",
            "don than",
            "hiv",
            "ho ngheo",
            "nuoi duong",
            "cham soc",
        ),
    ),
]


def parse_category(v: object) -> str:
    """elderly / disabled / orphan / meritorious / other, from the words officers use
    ("Người cao tuổi", "NCT từ 80 tuổi", "NKT đặc biệt nặng", "Trẻ em mồ côi"...)."""
    text = clean_text(v)
    if text is None:
        raise CellError("empty")
    key = f" {_word_key(text)} "
    for category, hints in _CATEGORY_HINTS:
        if any(f" {_word_key(hint)} " in key for hint in hints):
            return category
    raise CellError("category")


# ---------------------------------------------------------------------------
# Phones

# The 11-digit mobile prefixes renumbered in 2018 (old -> new).
_OLD_MOBILE_PREFIXES = {
    "0162": "032",
    "0163": "033",
    "0164": "034",
    "0165": "035",
    "0166": "036",
    "0167": "037",
    "0168": "038",
    "0169": "039",
    "0120": "070",
    "0121": "079",
    "0122": "077",
    "0126": "076",
    "0128": "078",
    "0123": "083",
    "0124": "084",
    "0125": "085",
    "0127": "081",
    "0129": "082",
    "0186": "056",
    "0188": "058",
    "0199": "059",
}
_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def parse_phone(v: object) -> str:
    """A mobile number in E.164 ("+84912345678").

    Accepts 0xx, 84xx, +84xx and 0084xx, separators, a number cell that lost its
    leading 0 (912345678), 11-digit numbers from before the 2018 renumbering
    (0168... -> 038...), and foreign mobiles written with their country code
    (relatives working abroad).
    """
    if v is None:
        raise CellError("empty")
    if _is_number(v):
        number = _integral(v)
        if number is None or number < 0:
            raise CellError("phone_invalid")
        text = str(number)
    elif isinstance(v, str):
        text = re.sub(r"[\s.\-()/]", "", _compact(v))
        if not text:
            raise CellError("empty")
    else:
        raise CellError("phone_invalid")
    if text.startswith("00"):
        text = "+" + text[2:]
    if _DIGITS.fullmatch(text):
        if text.startswith("84") and len(text) in (11, 12):
            text = "+" + text
        elif not text.startswith("0") and len(text) in (9, 10):
            text = "0" + text  # Excel dropped the leading zero
    if text.startswith("+84") and len(text) == 13 and text[3] == "1":
        text = "0" + text[3:]  # old 11-digit mobile written with +84
    if len(text) == 11 and text[:4] in _OLD_MOBILE_PREFIXES:
        text = _OLD_MOBILE_PREFIXES[text[:4]] + text[4:]
    if not re.fullmatch(r"\+?[0-9]+", text):
        raise CellError("phone_invalid")
    try:
        parsed = phonenumbers.parse(text, "VN")
    except NumberParseException as exc:
        raise CellError("phone_invalid") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise CellError("phone_invalid")
    if phonenumbers.number_type(parsed) not in _MOBILE_TYPES:
        raise CellError("phone_not_mobile")
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


# ---------------------------------------------------------------------------
# Bank account, health-insurance card, commune code

_EXCEL_PRECISION = 15  # Excel keeps 15 significant digits of a number


def parse_account_number(v: object) -> str:
    """Digits only, 6 to 19 of them; spaces, dots and dashes between groups dropped."""
    if v is None:
        raise CellError("empty")
    if _is_number(v):
        number = _integral(v)
        if number is None or number < 0:
            raise CellError("account_not_digits")
        digits = str(number)
        if len(digits) > _EXCEL_PRECISION:
            raise CellError("account_number_cell")
    elif isinstance(v, str):
        text = _compact(v)
        if not text:
            raise CellError("empty")
        if re.fullmatch(r"\d(?:[.,]\d+)?[eE]\+?\d{1,2}", text):
            raise CellError("account_number_cell")
        digits = _ID_SEPARATORS.sub("", text)
        if not _DIGITS.fullmatch(digits):
            raise CellError("account_not_digits")
    else:
        raise CellError("account_not_digits")
    if not 6 <= len(digits) <= 19:
        raise CellError("account_length", count=len(digits))
    return digits


_INSURANCE_CLASSIC = re.compile(r"[A-Z]{2}[1-5]\d{2}\d{10}")
_INSURANCE_WITH_ID = re.compile(r"[A-Z]{2}[1-5]\d{2}(\d{12})")


def parse_health_insurance_number(v: object) -> str:
    """A health-insurance (BHYT) card number, upper case, separators removed.

    Three forms are accepted: the classic 15 characters (2 letters, benefit level
    1-5, 2-digit province, 10-digit social-insurance code); the same prefix followed
    by the 12-digit personal ID that replaces the 10-digit code from 1 Aug 2025; and
    the 12-digit personal ID alone.
    """
    if v is None:
        raise CellError("empty")
    if _is_number(v):
        number = _integral(v)
        digits = str(number) if number is not None and number > 0 else ""
        if len(digits) == 11:  # a 12-digit ID in a number cell lost its leading 0
            digits = "0" + digits
        text = digits
    elif isinstance(v, str):
        text = _ID_SEPARATORS.sub("", _compact(v)).upper()
        if not text:
            raise CellError("empty")
    else:
        raise CellError("insurance_format")
    if _INSURANCE_CLASSIC.fullmatch(text):
        return text
    with_id = _INSURANCE_WITH_ID.fullmatch(text)
    if with_id and check_id_format(with_id.group(1)) is None:
        return text
    if len(text) == 12 and _DIGITS.fullmatch(text) and check_id_format(text) is None:
        return text
    raise CellError("insurance_format")


def insurance_embedded_id(number: str) -> str | None:
    """The 12-digit personal ID inside a card number of the new forms, if any."""
    if len(number) == 12 and number.isdigit():
        return number
    match = _INSURANCE_WITH_ID.fullmatch(number)
    return match.group(1) if match else None


def parse_commune(v: object) -> str:
    """A commune as given: an official code (5 digits; leading zeros that Excel
    dropped from a number cell are put back) or a name."""
    if _is_number(v):
        number = _integral(v)
        if number is not None and 0 < number < 100_000:
            return str(number).zfill(5)
    text = clean_text(v)
    if text is None:
        raise CellError("empty")
    if _DIGITS.fullmatch(text) and len(text) < 5:
        return text.zfill(5)
    return text
