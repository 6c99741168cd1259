"""Writing officers' lists back out of the database: XLSX or CSV that the importer
reads back to exactly what the bot holds.

The file speaks the importer's language: its headers are aliases the importer
knows (:mod:`handlers.importing.columns`), its words for a status, a payment method
and a category are words the importer maps back (:mod:`handlers.importing.cells`),
citizen IDs, account and phone numbers are text (never numbers: Excel would drop
their leading zeros), dates are real date cells shown dd/mm/yyyy (a birth date known
only by its year is the year), and amounts are whole numbers shown "#,##0". Headers
and words are file format, not prose, so they are constants here rather than
catalog entries: a translation must never change what the importer reads.

Rows stream from the database (:class:`storage.exports.ExportStore` reads batches)
into openpyxl's write-only workbook or a CSV writer, so a large commune does not sit
in memory. The file is written beside its destination and moved into place only
when complete: a failed export leaves no half-written list behind.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Literal, Protocol

from handlers.errors import DomainError
from handlers.i18n import Translator, _
from handlers.importing.cells import CellError, parse_commune, parse_period
from storage import Database
from storage.records import Commune, ExportedPayment, NewBeneficiary

Kind = Literal["beneficiaries", "payments"]
Lang = Literal["vi", "en"]
FORMATS = (".xlsx", ".csv")

MSG_PERIOD = _(
    "The period {period} cannot be read; please write the month and year, e.g. 2026-11 or 11/2026."
)
MSG_FORMAT = _("The file name must end in .xlsx or .csv, e.g. danh-sach.xlsx; this one is {name}.")
MSG_NO_FOLDER = _("The folder {folder} does not exist; please create it or choose another folder.")
MSG_CANNOT_WRITE = _("The file {path} cannot be written: {reason}")
MSG_UNKNOWN_COMMUNE = _("The commune {commune} is not in the bot's list of communes.")
SHEET_BENEFICIARIES = _("Beneficiaries")
SHEET_PAYMENTS = _("Payments {period}")


class ExportError(DomainError):
    """The export cannot be made; ``message`` is a msgid."""


@dataclass(frozen=True)
class Column:
    field: str  # the importer's field name
    vi: str  # Vietnamese header (an importer alias)
    en: str  # English header (an importer alias)
    kind: Literal["text", "digits", "date", "birth", "amount"]  # digits: text formatted "@"
    width: int  # characters

    def header(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.vi


BENEFICIARY_COLUMNS: tuple[Column, ...] = (
    Column("full_name", "Họ và tên", "Full name", "text", 26),
    Column("national_id", "Số CCCD", "Citizen ID", "digits", 15),
    Column("date_of_birth", "Ngày sinh", "Date of birth", "birth", 12),
    Column("commune", "Mã xã", "Commune code", "digits", 8),
    Column("village", "Thôn", "Village", "text", 16),
    Column("category", "Đối tượng", "Category", "text", 18),
    Column("monthly_amount", "Mức hưởng", "Monthly amount", "amount", 12),
    Column("payment_method", "Hình thức nhận", "Payment method", "text", 12),
    Column("bank", "Ngân hàng", "Bank", "text", 14),
    Column("account_number", "Số tài khoản", "Account number", "digits", 20),
    Column("account_name", "Chủ tài khoản", "Account holder", "text", 24),
    Column("phone", "Số điện thoại", "Phone", "digits", 13),
    Column("relative_phone", "SĐT người thân", "Relative phone", "digits", 13),
    Column("health_insurance_number", "Số thẻ BHYT", "Health insurance number", "digits", 17),
    Column("health_insurance_expiry", "Hạn thẻ BHYT", "Health insurance expiry", "date", 12),
)

PAYMENT_COLUMNS: tuple[Column, ...] = (
    Column("national_id", "Số CCCD", "Citizen ID", "digits", 15),
    Column("full_name", "Họ và tên", "Full name", "text", 26),
    Column("period", "Kỳ", "Period", "text", 9),
    Column("amount", "Số tiền", "Amount", "amount", 12),
    Column("status", "Trạng thái", "Status", "text", 10),
    Column("paid_on", "Ngày chi", "Paid on", "date", 12),
    Column("method", "Hình thức", "Method", "text", 12),
    Column("note", "Ghi chú", "Note", "text", 30),
)

COLUMNS: dict[Kind, tuple[Column, ...]] = {
    "beneficiaries": BENEFICIARY_COLUMNS,
    "payments": PAYMENT_COLUMNS,
}

# The words written for the stored values; each one reads back to its key
# (tests/handlers/test_exporting.py checks that against the importer's parsers).
STATUS_WORDS: dict[Lang, dict[str, str]] = {
    "vi": {"paid": "đã chi", "pending": "chờ chi", "failed": "lỗi", "returned": "hoàn trả"},
    "en": {"paid": "paid", "pending": "pending", "failed": "failed", "returned": "returned"},
}
METHOD_WORDS: dict[Lang, dict[str, str]] = {
    "vi": {"bank": "ngân hàng", "post": "bưu điện", "cash": "tiền mặt"},
    "en": {"bank": "bank", "post": "post", "cash": "cash"},
}
CATEGORY_WORDS: dict[Lang, dict[str, str]] = {
    "vi": {
        "elderly": "Người cao tuổi",
        "disabled": "Người khuyết tật",
        "orphan": "Trẻ em mồ côi",
        "meritorious": "Người có công",
        "other": "Khác",
    },
    "en": {
        "elderly": "elderly",
        "disabled": "disabled",
        "orphan": "orphan",
        "meritorious": "meritorious",
        "other": "other",
    },
}

DATE_FORMAT = "dd/mm/yyyy"
AMOUNT_FORMAT = "#,##0"
TEXT_FORMAT = "@"


# ---------------------------------------------------------------------------
# Checking what the officer asked for


def parse_export_period(text: str) -> str:
    """A month as "YYYY-MM" from what the officer typed ("2026-11", "11/2026",
    "T11/2026"); :class:`ExportError` otherwise."""
    try:
        return parse_period(text)
    except CellError as exc:
        raise ExportError(MSG_PERIOD, period=text) from exc


def file_format(path: Path) -> Literal[".xlsx", ".csv"]:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return ".xlsx"
    if suffix == ".csv":
        return ".csv"
    raise ExportError(MSG_FORMAT, name=path.name)


def check_destination(path: Path) -> None:
    """The file name and its folder, checked before anything is read."""
    file_format(path)
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(MSG_NO_FOLDER, folder=str(folder))


# ---------------------------------------------------------------------------
# Values as the file shows them


def _word(table: dict[str, str], value: str | None) -> str | None:
    return table.get(value, value) if value is not None else None


def phone_text(e164: str | None) -> str | None:
    """+84912345678 -> 0912345678 (how officers write it); a foreign number keeps
    its country code. The importer reads both back to the same E.164 number."""
    if e164 is None:
        return None
    if e164.startswith("+84"):
        return "0" + e164[3:]
    return e164


def period_text(period: str) -> str:
    """2026-11 -> 11/2026."""
    year, month = period.split("-")
    return f"{month}/{year}"


def beneficiary_values(b: NewBeneficiary, lang: Lang) -> list[object]:
    """One row, in the order of :data:`BENEFICIARY_COLUMNS`."""
    return [
        b.full_name,
        b.national_id,
        b.date_of_birth,
        b.commune_code,
        b.village,
        _word(CATEGORY_WORDS[lang], b.category),
        b.monthly_amount,
        _word(METHOD_WORDS[lang], b.payment_method),
        b.bank_name,
        b.account_number,
        b.account_name,
        phone_text(b.phone),
        phone_text(b.relative_phone),
        b.health_insurance_number,
        b.health_insurance_expiry,
    ]


def payment_values(p: ExportedPayment, lang: Lang) -> list[object]:
    """One row, in the order of :data:`PAYMENT_COLUMNS`."""
    return [
        p.national_id,
        p.full_name,
        period_text(p.period),
        p.amount,
        _word(STATUS_WORDS[lang], p.status),
        p.paid_on,
        _word(METHOD_WORDS[lang], p.method),
        p.note,
    ]


# ---------------------------------------------------------------------------
# Writers


class _Out(Protocol):
    def add(self, values: Sequence[object]) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class _XlsxOut:
    """openpyxl's write-only workbook: each row goes to disk as it is added."""

    def __init__(self, path: Path, columns: Sequence[Column], lang: Lang, title: str) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.path = path
        self.kinds = [c.kind for c in columns]
        self._cell = WriteOnlyCell
        self._illegal = ILLEGAL_CHARACTERS_RE
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(_sheet_title(title))
        # Widths and the frozen header must be set before the first row is written.
        for index, column in enumerate(columns, start=1):
            width = max(column.width, len(column.header(lang)) + 2)
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for column in columns:
            cell = WriteOnlyCell(self.sheet, value=column.header(lang))
            cell.font = bold
            header.append(cell)
        self.sheet.append(header)

    def add(self, values: Sequence[object]) -> None:
        self.sheet.append(
            [self._value(kind, v) for kind, v in zip(self.kinds, values, strict=True)]
        )

    def _value(self, kind: str, value: object) -> object:
        if value is None:
            return None
        if isinstance(value, str):
            text = self._illegal.sub("", value)
            if kind == "digits":
                # Formatted as Text, so that Excel keeps the leading zeros also
                # when the officer retypes the cell.
                cell = self._cell(self.sheet, value=text)
                cell.data_type = "s"
                cell.number_format = TEXT_FORMAT
                return cell
            if text.startswith("="):  # text, never a formula
                cell = self._cell(self.sheet, value=text)
                cell.data_type = "s"
                return cell
            return text
        if isinstance(value, date):
            cell = self._cell(self.sheet, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        if kind == "amount":
            cell = self._cell(self.sheet, value=value)
            cell.number_format = AMOUNT_FORMAT
            return cell
        return value  # a year of birth alone: a plain whole number

    def close(self) -> None:
        self.workbook.save(self.path)

    def abort(self) -> None:
        pass  # openpyxl removes its temporary sheet file when the process ends


class _CsvOut:
    """UTF-8 with a BOM (so Excel reads the diacritics), comma-separated."""

    def __init__(self, path: Path, columns: Sequence[Column], lang: Lang, title: str) -> None:
        self.fh: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.fh)
        self.writer.writerow([c.header(lang) for c in columns])

    def add(self, values: Sequence[object]) -> None:
        self.writer.writerow([_csv_text(v) for v in values])

    def close(self) -> None:
        self.fh.close()

    def abort(self) -> None:
        self.fh.close()


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    if text[:1] in ("=", "+", "-", "@") and isinstance(value, str):
        # Excel would run it as a formula; a leading apostrophe keeps it text
        # (and the importer drops the apostrophe again).
        return "'" + text
    return text


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, "-")
    return title[:31] or "Sheet1"


class _Guarded:
    """A writer whose file-system errors become a translated :class:`ExportError`
    (and only those: a database error while rows stream stays what it is)."""

    def __init__(self, out: _Out, path: Path) -> None:
        self.out = out
        self.path = path

    def add(self, values: Sequence[object]) -> None:
        try:
            self.out.add(values)
        except OSError as exc:
            raise _cannot_write(self.path, exc) from exc


def _cannot_write(path: Path, exc: OSError) -> ExportError:
    return ExportError(MSG_CANNOT_WRITE, path=str(path), reason=exc.strerror or str(exc))


@contextmanager
def _output(path: Path, columns: Sequence[Column], lang: Lang, title: str) -> Iterator[_Guarded]:
    """A writer to a temporary file beside ``path``, moved into place when complete."""
    part = path.with_name(f".{path.name}.part")
    make: Callable[..., _Out] = _XlsxOut if file_format(path) == ".xlsx" else _CsvOut
    try:
        out = make(part, columns, lang, title)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise _cannot_write(path, exc) from exc
    guarded = _Guarded(out, path)
    done = False
    try:
        yield guarded
        try:
            out.close()
            os.replace(part, path)
        except OSError as exc:
            raise _cannot_write(path, exc) from exc
        done = True
    finally:
        if not done:
            out.abort()
            part.unlink(missing_ok=True)


# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSummary:
    kind: Kind
    path: Path
    rows: int
    period: str | None = None  # "YYYY-MM" for payments
    commune: Commune | None = None


def _lang(translator: Translator) -> Lang:
    return "en" if translator.locale == "en" else "vi"


async def run_export(
    db: Database,
    path: Path,
    kind: Kind,
    *,
    translator: Translator,
    period: str | None = None,
    commune: str | None = None,
) -> ExportSummary:
    """Write the beneficiary list, or the payments of ``period`` ("YYYY-MM"), to
    ``path`` (.xlsx or .csv), of one commune when ``commune`` (a code) is given.
    Headers and words follow the translator's language."""
    if kind == "payments" and period is None:
        raise ValueError("a payments export needs a period")
    check_destination(path)
    lang = _lang(translator)
    columns = COLUMNS[kind]
    if kind == "beneficiaries":
        title = translator.gettext(SHEET_BENEFICIARIES)
    else:
        title = translator.gettext(SHEET_PAYMENTS, period=period)
    rows = 0
    async with db.transaction() as tx:
        chosen: Commune | None = None
        if commune is not None:
            code = parse_commune(commune.strip()) if commune.strip() else commune
            chosen = await tx.communes.get(code)
            if chosen is None:
                raise ExportError(MSG_UNKNOWN_COMMUNE, commune=commune)
        code_filter = chosen.code if chosen else None
        with _output(path, columns, lang, title) as out:
            if kind == "beneficiaries":
                async for person in tx.exports.beneficiaries(code_filter):
                    out.add(beneficiary_values(person, lang))
                    rows += 1
            else:
                assert period is not None
                async for payment in tx.exports.payments(period, code_filter):
                    out.add(payment_values(payment, lang))
                    rows += 1
    return ExportSummary(kind=kind, path=path, rows=rows, period=period, commune=chosen)
