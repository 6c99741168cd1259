"""Checking one row of an officer's list and turning it into a typed record.

A row is either wholly valid (a record and no errors) or rejected (None and every
problem found in it, so the officer can fix them all at once). Values shown back to
the officer in a :class:`RowError` have personal numbers masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, TypeVar

from handlers.i18n import _
from handlers.ids import birth_year_from_id, check_id_against_birth, mask_id
from handlers.importing.cells import (
    CellError,
    clean_text,
    insurance_embedded_id,
    is_empty,
    parse_account_number,
    parse_amount,
    parse_category,
    parse_commune,
    parse_date,
    parse_full_date,
    parse_health_insurance_number,
    parse_method,
    parse_national_id,
    parse_period,
    parse_phone,
    parse_status,
)
from handlers.importing.columns import map_headers
from handlers.importing.reader import Table
from handlers.text import match_key

T = TypeVar("T")

MSG_REQUIRED = _("The {column} cell must not be empty.")
MSG_BIRTH_YEAR = _(
    "The citizen ID says the person was born in {id_year}, but the date of birth says {birth_year}; please check both."
)
MSG_PAID_ZERO = _("A payment marked as paid cannot have an amount of 0.")
MSG_INSURANCE_OTHER_ID = _(
    "The health-insurance card number contains a citizen ID different from the one in this row."
)

_SHOWN_MAX = 80


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based row number in the file
    column: str  # the header as written in the file
    value: str  # what the cell holds, personal numbers masked
    message: str  # English msgid (marked with _()), named {placeholders}
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BeneficiaryRow:
    national_id: str
    full_name: str
    date_of_birth: date | int | None  # an int when the list gives the year alone
    commune: str | None  # official code when the list has one, else the name as given
    village: str | None
    category: str | None  # elderly / disabled / orphan / meritorious / other
    monthly_amount: int | None
    payment_method: str | None  # bank / post / cash
    bank: str | None
    account_number: str | None
    account_name: str | None
    phone: str | None  # E.164
    relative_phone: str | None  # E.164
    health_insurance_number: str | None
    health_insurance_expiry: date | None
    commune_name: str | None = None  # the commune's name column, when there is one


@dataclass(frozen=True)
class PaymentRow:
    national_id: str
    period: str  # "YYYY-MM"
    amount: int
    status: str  # paid / pending / failed / returned
    paid_on: date | None
    method: str | None  # bank / post / cash
    note: str | None
    full_name: str | None = None
    bank: str | None = None
    account_number: str | None = None


# ---------------------------------------------------------------------------
# Masking


def mask_tail(text: str, keep: int) -> str:
    """Stars for all but the last ``keep`` characters (all stars when that short)."""
    compact = re.sub(r"\s", "", text)
    if len(compact) <= keep:
        return "*" * len(compact)
    return "*" * (len(compact) - keep) + compact[-keep:]


def _mask_id(text: str) -> str:
    return mask_id(re.sub(r"[\s.\-]", "", text).lstrip("'\u2018\u2019"))


def _mask_phone(text: str) -> str:
    return mask_tail(text, 3)


def _mask_account(text: str) -> str:
    return mask_tail(text, 4)


def _plain(text: str) -> str:
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 1] + "…"


def shown(value: object, mask: Callable[[str], str] | None = None) -> str:
    """A cell as the officer should see it in an error list."""
    text = clean_text(value) or ""
    return _plain(mask(text) if mask and text else text)


# ---------------------------------------------------------------------------


_MASKS: dict[str, Callable[[str], str]] = {
    "national_id": _mask_id,
    "phone": _mask_phone,
    "relative_phone": _mask_phone,
    "account_number": _mask_account,
    "health_insurance_number": _mask_account,
}


# Fields whose cells repeat down a list (a month, a status, an amount, a
# date, a bank): each distinct cell is parsed once per file and its outcome
# reused. Names and personal numbers differ on every row and are not kept.
MEMO_FIELDS = frozenset(
    {
        "period",
        "amount",
        "status",
        "paid_on",
        "method",
        "note",
        "bank",
        "date_of_birth",
        "commune",
        "commune_name",
        "village",
        "category",
        "monthly_amount",
        "payment_method",
        "health_insurance_expiry",
    }
)
MEMO_LIMIT = 5000  # distinct cells kept per field (memory stays bounded)

_Outcome = tuple[object, tuple[str, dict[str, object]] | None]
Memo = dict[str, dict[tuple[type, object], _Outcome]]


def new_memo() -> Memo:
    """A cache for one file's cells (see MEMO_FIELDS)."""
    return {name: {} for name in MEMO_FIELDS}


class _Row:
    """Collects parsed values and errors for one row."""

    def __init__(
        self,
        number: int,
        cells: Mapping[str, object],
        header_of: Mapping[str, str],
        memo: Memo | None = None,
    ) -> None:
        self.number = number
        self.cells = cells
        self.header_of = header_of
        self.memo = memo
        self.errors: list[RowError] = []

    def header(self, name: str) -> str:
        return self.header_of.get(name, name)

    def error(self, name: str, message: str, **params: object) -> None:
        value = shown(self.cells.get(name), _MASKS.get(name))
        self.errors.append(RowError(self.number, self.header(name), value, message, params))

    def get(self, name: str, parse: Callable[[object], T], *, required: bool = False) -> T | None:
        raw = self.cells.get(name)
        memo = self.memo.get(name) if self.memo is not None else None
        if memo is None:
            value, problem = self._parse(name, raw, parse, required)
        else:
            # Keyed with the type too: True == 1 == 1.0, yet each parses apart.
            key = (raw.__class__, raw)
            outcome = memo.get(key)
            if outcome is None:
                outcome = self._parse(name, raw, parse, required)
                if len(memo) < MEMO_LIMIT:
                    memo[key] = outcome
            value, problem = outcome
        if problem is not None:
            self.error(name, problem[0], **problem[1])
        return value  # type: ignore[return-value]

    def _parse(
        self, name: str, raw: object, parse: Callable[[object], object], required: bool
    ) -> _Outcome:
        if is_empty(raw):
            if required:
                return None, (MSG_REQUIRED, {"column": self.header(name)})
            return None, None
        try:
            return parse(raw), None
        except CellError as exc:
            return None, (exc.message, dict(exc.params))


def _text(v: object) -> str:
    text = clean_text(v)
    if text is None:
        raise CellError("empty")
    return text


def _birth(v: object) -> date | int:
    return parse_date(v, allow_year=True)


def _check_birth(row: _Row, national_id: str | None, born: date | int | None) -> None:
    if national_id is None or born is None:
        return
    id_year = birth_year_from_id(national_id)
    if isinstance(born, date):
        mismatch = check_id_against_birth(national_id, born) is not None
        year = born.year
    else:
        mismatch = id_year != born
        year = born
    if mismatch:
        row.error("date_of_birth", MSG_BIRTH_YEAR, id_year=id_year, birth_year=year)


def validate_beneficiary(
    row_number: int,
    cells_by_field: Mapping[str, object],
    header_of: Mapping[str, str],
    memo: Memo | None = None,
) -> tuple[BeneficiaryRow | None, list[RowError]]:
    """Check one beneficiary row. ``cells_by_field`` maps a field to its raw cell;
    ``header_of`` maps a field to its header as written (named in errors);
    ``memo`` (from :func:`new_memo`) reuses the outcome of cells seen before
    in the same file."""
    row = _Row(row_number, cells_by_field, header_of, memo)
    national_id = row.get("national_id", parse_national_id, required=True)
    full_name = row.get("full_name", _text, required=True)
    born = row.get("date_of_birth", _birth)
    _check_birth(row, national_id, born)
    commune_code = row.get("commune", parse_commune)
    commune_name = row.get("commune_name", _text)
    village = row.get("village", _text)
    category = row.get("category", parse_category)
    monthly_amount = row.get("monthly_amount", parse_amount)
    payment_method = row.get("payment_method", parse_method)
    bank = row.get("bank", _text)
    account_number = row.get("account_number", parse_account_number)
    account_name = row.get("account_name", _text)
    phone = row.get("phone", parse_phone)
    relative_phone = row.get("relative_phone", parse_phone)
    insurance = row.get("health_insurance_number", parse_health_insurance_number)
    if insurance and national_id:
        embedded = insurance_embedded_id(insurance)
        if embedded and embedded != national_id:
            row.error("health_insurance_number", MSG_INSURANCE_OTHER_ID)
    insurance_expiry = row.get("health_insurance_expiry", parse_full_date)
    if row.errors or national_id is None or full_name is None:
        return None, row.errors
    return (
        BeneficiaryRow(
            national_id=national_id,
            full_name=full_name,
            date_of_birth=born,
            commune=commune_code or commune_name,
            village=village,
            category=category,
            monthly_amount=monthly_amount,
            payment_method=payment_method,
            bank=bank,
            account_number=account_number,
            account_name=account_name,
            phone=phone,
            relative_phone=relative_phone,
            health_insurance_number=insurance,
            health_insurance_expiry=insurance_expiry,
            commune_name=commune_name,
        ),
        [],
    )


def validate_payment(
    row_number: int,
    cells_by_field: Mapping[str, object],
    header_of: Mapping[str, str],
    memo: Memo | None = None,
) -> tuple[PaymentRow | None, list[RowError]]:
    """Check one payment row (one person, one month); ``memo`` as for
    :func:`validate_beneficiary`."""
    row = _Row(row_number, cells_by_field, header_of, memo)
    national_id = row.get("national_id", parse_national_id, required=True)
    period = row.get("period", parse_period, required=True)
    amount = row.get("amount", parse_amount, required=True)
    status = row.get("status", parse_status, required=True)
    if status == "paid" and amount == 0:
        row.error("amount", MSG_PAID_ZERO)
    # A paid row without a date is accepted: paid_on stays None.
    paid_on = row.get("paid_on", parse_full_date)
    method = row.get("method", parse_method)
    note = row.get("note", _text)
    full_name = row.get("full_name", _text)
    bank = row.get("bank", _text)
    account_number = row.get("account_number", parse_account_number)
    if row.errors or national_id is None or period is None or amount is None or status is None:
        return None, row.errors
    return (
        PaymentRow(
            national_id=national_id,
            period=period,
            amount=amount,
            status=status,
            paid_on=paid_on,
            method=method,
            note=note,
            full_name=full_name,
            bank=bank,
            account_number=account_number,
        ),
        [],
    )


# ---------------------------------------------------------------------------

_TOTALS = re.compile(
    r"(?:tong cong|tong so|tong tien|grand total|total)\b.*|(?:tong|cong|sum)(?: [\d ]*)?"
)


def _says_total(cell: object) -> bool:
    if not isinstance(cell, str) or cell.isdigit():  # most cells: an ID, an amount
        return False
    key = " ".join(re.sub(r"[\W_]+", " ", match_key(cell)).split())
    return bool(key) and _TOTALS.fullmatch(key) is not None


def is_totals_row(cells_by_field: Mapping[str, object], cells: list[object]) -> bool:
    """The "Tổng cộng" line under a list: no citizen ID (or the words themselves in
    its column, when merged across), and a cell saying total."""
    id_cell = cells_by_field.get("national_id")
    if not is_empty(id_cell) and not _says_total(id_cell):
        return False
    # A real row with a missing ID is reported, not skipped: only a line whose
    # name cell is empty or itself says "total" is the totals line.
    name_cell = cells_by_field.get("full_name")
    if not is_empty(name_cell) and not _says_total(name_cell):
        return False
    return any(_says_total(cell) for cell in cells)


def iter_validated(
    table: Table, kind: Literal["beneficiaries", "payments"]
) -> Iterator[tuple[int, BeneficiaryRow | PaymentRow | None, list[RowError]]]:
    """Validate each data row of ``table`` as it streams by.

    Yields (file row number, record or None, errors). A totals line ("Tổng cộng")
    under the list is skipped rather than reported.
    """
    columns = table.columns or map_headers(table.headers, kind)[0]
    header_of = {name: table.headers[index] for index, name in columns.items()}
    validate = validate_beneficiary if kind == "beneficiaries" else validate_payment
    memo = new_memo()
    for number, cells in table.rows:
        by_field = {name: cells[index] for index, name in columns.items() if index < len(cells)}
        if is_totals_row(by_field, cells):
            continue
        record, errors = validate(number, by_field, header_of, memo)
        yield number, record, errors
