"""Reading an officer's CSV or XLSX list as a stream of rows.

Nothing here holds the whole file: the rows come from a generator over the CSV
reader or openpyxl's read-only worksheet, so a million-row list costs the memory of
a few rows. (openpyxl keeps an XLSX file's shared-strings table in memory; CSV is
fully streamed.)

The reader finds the header row under the title block officers put above it
("UBND XÃ HÒA AN", "DANH SÁCH CHI TRẢ THÁNG 11/2026", merged cells, blank lines),
also when the header takes two rows (a merged group label such as "Tài khoản" over
"Ngân hàng" and "Số tài khoản"), and skips the "(1) (2) (3)" column-number row
official forms put under the header.

Errors that concern the whole file raise :class:`ImportFileError`, a DomainError
whose message is a translatable msgid. A damaged or mis-encoded file can also raise
it in the middle of iterating ``Table.rows``; callers must be ready for that.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain, islice
from pathlib import Path
from typing import IO, Literal

from handlers.errors import DomainError
from handlers.i18n import _
from handlers.importing.columns import (
    KINDS,
    OFFICER_WORDS,
    REQUIRED,
    HeaderMatch,
    Kind,
    field_of,
    match_headers,
)
from handlers.text import match_key

HEADER_SCAN_ROWS = 30
_SAMPLE_BYTES = 1 << 20  # at most 1 MB of a CSV is read to find its header
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: .xls, or a password-protected .xlsx
_ZIP_MAGIC = b"PK\x03\x04"
# PDF, PNG, JPEG, GIF, RTF, gzip, 7z, RAR: things officers attach by mistake.
_OTHER_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"{\\rtf",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"Rar!",
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

MSG_NOT_SPREADSHEET = _(
    "This file is not a spreadsheet we can read; please send the list as an .xlsx or .csv file."
)
MSG_OLD_XLS = _(
    "This is an old Excel file (.xls); please open it in Excel, save it as .xlsx or CSV UTF-8, and send it again."
)
MSG_ENCRYPTED = _(
    "This Excel file is protected by a password; please remove the password in Excel and send it again."
)
MSG_EMPTY = _("The file is empty.")
MSG_NOT_UTF8 = _(
    "The file is not UTF-8 text (near row {row}); please save it from Excel as CSV UTF-8 and send it again."
)
MSG_DAMAGED = _(
    "The file is damaged and cannot be read; please open it in Excel, save it again, and send it again."
)
MSG_CSV_ROW = _(
    "Row {row} of the CSV file cannot be read; please check its quotation marks, save the file again from Excel, and send it again."
)
MSG_NO_SHEET = _("The workbook has no sheet named {sheet}; its sheets are: {sheets}.")
MSG_NO_HEADER = _(
    "No header row was found in the first {rows} rows; the list needs a header row with at least these columns: {columns}."
)
MSG_MISSING_COLUMNS = _("The header row (row {row}) has no column for: {columns}.")


class ImportFileError(DomainError):
    """The file as a whole cannot be imported; ``message`` is a msgid."""


@dataclass(frozen=True)
class Table:
    header_row: int  # 1-based row number of the header in the file
    headers: list[str]  # the header cells as written (NFC, whitespace collapsed, stripped)
    rows: Iterator[tuple[int, list[object]]]  # (1-based file row number, cells); blank rows skipped
    columns: dict[int, str] = field(default_factory=dict)  # column index -> field
    unknown: list[str] = field(default_factory=list)  # header texts of columns not imported
    sheet: str | None = None  # the XLSX sheet read (None for CSV)
    delimiter: str | None = None  # the CSV delimiter found (None for XLSX)


# ---------------------------------------------------------------------------
# Cells and rows


def header_text(value: object) -> str:
    """A header cell as written: NFC, whitespace runs (line breaks in wrapped
    cells, non-breaking spaces) made one space, stripped."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        text = value.strftime("%d/%m/%Y")
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    text = unicodedata.normalize("NFC", text).replace("\ufeff", "").replace("\u200b", "")
    return " ".join(text.split())


# Everything str.split() treats as a space, plus zero-width characters and the BOM.
_BLANK_CHARS = (
    "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace()) + "\u200b\u200c\u200d\u2060\ufeff"
)


def _blank(value: object) -> bool:
    if value is None:
        return True
    if type(value) is str:
        return not value.strip(_BLANK_CHARS)
    return False


def is_blank_row(cells: Sequence[object]) -> bool:
    return all(_blank(cell) for cell in cells)


_COLUMN_NUMBER = re.compile(r"\(?\s*(?:\d{1,2}|[A-Za-z])\s*\)?")


def _is_column_number_row(cells: Sequence[object]) -> bool:
    """The "(1) (2) (3)" / "1 2 3" / "A B C" row official forms put under the header."""
    texts = [header_text(cell) for cell in cells if not _blank(cell)]
    if len(texts) < 2:
        return False
    return all(_COLUMN_NUMBER.fullmatch(text) for text in texts)


def _sub_header(top: list[str], cells: Sequence[object], kind: Kind) -> list[str] | None:
    """The second row of a two-row header, or None when ``cells`` is not one.

    Every filled cell must be a known header, placed under an empty top cell, under
    an unknown group label, or under the first cell of a known header that spans
    several columns (a known top cell followed by an empty one that also has a
    sub-header). "Tài khoản" over "Ngân hàng | Số tài khoản" is such a group.
    """
    sub = [header_text(cell) for cell in cells]
    if not any(sub):
        return None
    width = max(len(top), len(sub))
    top = top + [""] * (width - len(top))
    sub = sub + [""] * (width - len(sub))
    for j, text in enumerate(sub):
        if not text:
            continue
        if field_of(text, kind) is None:
            return None
        above = top[j]
        if not above or field_of(above, kind) is None:
            continue
        spans = j + 1 < width and not top[j + 1] and bool(sub[j + 1])
        if not spans:
            return None
    return [text if text else above for above, text in zip(top, sub, strict=True)]


@dataclass(frozen=True)
class _Header:
    index: int  # 0-based index of the header row in the sample (its file row - 1)
    headers: list[str]
    match: HeaderMatch
    data_start: int  # 0-based index of the first row after the header (and sub-header)


def _trim(headers: list[str]) -> list[str]:
    while headers and not headers[-1]:
        headers.pop()
    return headers


def _find_header(
    sample: Sequence[Sequence[object]], kind: Kind
) -> tuple[_Header | None, _Header | None]:
    """(the header row, None), or (None, the best incomplete candidate or None).

    The header is the first of the first 30 rows in which at least two cells are
    known headers of this kind and every required column is present.
    """
    best: _Header | None = None
    for index, cells in enumerate(sample[:HEADER_SCAN_ROWS]):
        headers = [header_text(cell) for cell in cells]
        if not any(text and field_of(text, kind) for text in headers):
            continue
        data_start = index + 1
        if data_start < len(sample):
            merged = _sub_header(headers, sample[data_start], kind)
            if merged is not None:
                headers, data_start = merged, data_start + 1
        headers = _trim(headers)
        match = match_headers(headers, kind)
        if match.known < 2:
            continue
        if not match.missing:
            if data_start < len(sample) and _is_column_number_row(sample[data_start]):
                data_start += 1
            return _Header(index, headers, match, data_start), None
        if best is None or match.known > best.match.known:
            best = _Header(index, headers, match, data_start)
    return None, best


def _words(fields: Iterable[str]) -> str:
    return ", ".join(OFFICER_WORDS.get(name, name) for name in fields)


def _located(sample: Sequence[Sequence[object]], kind: Kind) -> _Header:
    header, best = _find_header(sample, kind)
    if header is not None:
        return header
    if best is None:
        raise ImportFileError(MSG_NO_HEADER, rows=HEADER_SCAN_ROWS, columns=_words(REQUIRED[kind]))
    raise ImportFileError(
        MSG_MISSING_COLUMNS, row=best.index + 1, columns=_words(best.match.missing)
    )


def _data_rows(
    numbered: Iterator[tuple[int, Sequence[object]]], width: int
) -> Iterator[tuple[int, list[object]]]:
    for number, raw in numbered:
        cells = [None if _blank(cell) else cell for cell in raw[:width]]
        if cells.count(None) == len(cells):
            continue
        if len(cells) < width:
            cells.extend([None] * (width - len(cells)))
        yield number, cells


def _table(
    numbered: Iterator[tuple[int, Sequence[object]]],
    kind: Kind,
    *,
    sheet: str | None = None,
    delimiter: str | None = None,
) -> Table:
    """Locate the header in the first rows, then stream the rest."""
    sample = [(number, list(cells)) for number, cells in islice(numbered, HEADER_SCAN_ROWS + 2)]
    header = _located([cells for _n, cells in sample], kind)
    rest = chain(iter(sample[header.data_start :]), numbered)
    return Table(
        header_row=sample[header.index][0],
        headers=header.headers,
        rows=_data_rows(rest, len(header.headers)),
        columns=header.match.columns,
        unknown=header.match.unknown + header.match.duplicates,
        sheet=sheet,
        delimiter=delimiter,
    )


# ---------------------------------------------------------------------------
# File type


def _sniff(path: Path) -> Literal["xlsx", "csv"]:
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise ImportFileError(MSG_NOT_SPREADSHEET) from exc
    if not head:
        raise ImportFileError(MSG_EMPTY)
    if head.startswith(_OTHER_MAGIC):
        raise ImportFileError(MSG_NOT_SPREADSHEET)
    if head.startswith(_XLS_MAGIC):
        raise ImportFileError(MSG_ENCRYPTED if _encrypted_ole(path) else MSG_OLD_XLS)
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise ImportFileError(MSG_DAMAGED) from exc
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise ImportFileError(MSG_NOT_SPREADSHEET)  # .docx, .ods, a plain zip...
    if b"\x00" in head and not head.startswith(_UTF16_BOMS):
        raise ImportFileError(MSG_NOT_SPREADSHEET)  # binary, not text
    return "csv"


def _encrypted_ole(path: Path) -> bool:
    """An encrypted .xlsx is an OLE2 file with an "EncryptionInfo" stream."""
    marker = "EncryptionInfo".encode("utf-16-le")
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            if marker in tail + chunk:
                return True
            tail = chunk[-len(marker) :]
    return False


# ---------------------------------------------------------------------------
# XLSX

_XLSX_ERRORS = (zipfile.BadZipFile, zlib.error, KeyError, EOFError, SyntaxError, OSError)


def _open_xlsx(stack: ExitStack, path: Path, sheet: str | None, kind: Kind) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # A file object, not the path: openpyxl would refuse a renamed file by extension.
    fh = stack.enter_context(path.open("rb"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style", unsupported extensions
            workbook = load_workbook(fh, read_only=True, data_only=True)
    except (*_XLSX_ERRORS, InvalidFileException, ValueError, TypeError) as exc:
        raise ImportFileError(MSG_DAMAGED) from exc
    stack.callback(workbook.close)
    worksheets = list(workbook.worksheets)
    if sheet is not None:
        chosen = next((ws for ws in worksheets if ws.title == sheet), None)
        if chosen is None:
            wanted = match_key(sheet)
            chosen = next((ws for ws in worksheets if match_key(ws.title) == wanted), None)
        if chosen is None:
            raise ImportFileError(
                MSG_NO_SHEET, sheet=sheet, sheets=", ".join(ws.title for ws in worksheets)
            )
    else:
        if not worksheets:
            raise ImportFileError(MSG_NOT_SPREADSHEET)
        visible = [ws for ws in worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
        chosen = (visible or worksheets)[0]
    # The stored dimensions are often wrong in files written by other tools; without
    # them openpyxl reads each row as far as it really goes.
    reset = getattr(chosen, "reset_dimensions", None)
    if reset is not None:
        reset()
    numbered = _guard_xlsx(enumerate(chosen.iter_rows(values_only=True), start=1))
    return _table(numbered, kind, sheet=chosen.title)


def _guard_xlsx(
    rows: Iterator[tuple[int, Sequence[object]]],
) -> Iterator[tuple[int, Sequence[object]]]:
    try:
        yield from rows
    except _XLSX_ERRORS as exc:
        raise ImportFileError(MSG_DAMAGED) from exc


# ---------------------------------------------------------------------------
# CSV

_DELIMITERS = (",", ";", "\t")


def _encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(_UTF16_BOMS):
        return "utf-16"  # Excel's "Unicode Text" (tab-separated)
    return "utf-8-sig"  # the BOM, if any, is dropped


def _sample_text(path: Path, encoding: str) -> str:
    """The first lines of the file (enough for the header search), decoded."""
    with path.open("rb") as fh:
        raw = fh.read(_SAMPLE_BYTES)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        # final=False: a character cut at the end of the sample is not an error.
        text = decoder.decode(raw, final=False)
    except UnicodeDecodeError as exc:
        raise ImportFileError(MSG_NOT_UTF8, row=raw[: exc.start].count(b"\n") + 1) from exc
    if "\x00" in text:
        raise ImportFileError(MSG_NOT_SPREADSHEET)
    return "".join(text.splitlines(keepends=True)[: 4 * HEADER_SCAN_ROWS])


def _forced_delimiter(text: str) -> str | None:
    """Excel's "sep=;" first line."""
    first = text.split("\n", 1)[0].strip().strip('"').replace("\ufeff", "")
    match = re.fullmatch(r"sep=(.)", first, re.IGNORECASE)
    return match.group(1) if match else None


def _choose_delimiter(text: str, kind: Kind) -> str:
    """The delimiter under which the sample has the best header row: a complete one
    first, then the most known columns; comma wins ties."""
    forced = _forced_delimiter(text)
    if forced:
        return forced
    chosen, best = ",", (-1, -1)
    for delimiter in _DELIMITERS:
        try:
            sample = list(islice(csv.reader(io.StringIO(text), delimiter=delimiter), 80))
        except csv.Error:
            continue
        header, candidate = _find_header(sample, kind)
        found = header or candidate
        if found is None:
            continue
        score = (1 if header else 0, found.match.known)
        if score > best:
            chosen, best = delimiter, score
    return chosen


def _open_csv(stack: ExitStack, path: Path, kind: Kind) -> Table:
    encoding = _encoding(path)
    text = _sample_text(path, encoding)
    if not text.strip():
        raise ImportFileError(MSG_EMPTY)
    delimiter = _choose_delimiter(text, kind)
    fh = stack.enter_context(path.open("r", encoding=encoding, newline=""))
    numbered = _guard_csv(fh, delimiter)
    return _table(numbered, kind, delimiter=delimiter)


def _guard_csv(fh: IO[str], delimiter: str) -> Iterator[tuple[int, Sequence[object]]]:
    reader = csv.reader(fh, delimiter=delimiter)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise ImportFileError(MSG_NOT_UTF8, row=number + 1) from exc
        except csv.Error as exc:
            raise ImportFileError(MSG_CSV_ROW, row=number + 1) from exc
        number += 1
        yield number, cells


# ---------------------------------------------------------------------------


@contextmanager
def open_table(
    path: Path, *, sheet: str | None = None, kind: Literal["beneficiaries", "payments"]
) -> Iterator[Table]:
    """Open an officer's CSV or XLSX list and locate its header.

    ``sheet`` chooses an XLSX sheet by name (exact, else ignoring case and
    diacritics); by default the first visible sheet. It is ignored for CSV. The file
    type is recognised from its content, not its name.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    path = Path(path)
    file_type = _sniff(path)
    with ExitStack() as stack:
        if file_type == "xlsx":
            table = _open_xlsx(stack, path, sheet, kind)
        else:
            table = _open_csv(stack, path, kind)
        yield table


@contextmanager
def open_rows(path: Path) -> Iterator[Iterator[tuple[int, Sequence[object]]]]:
    """Every row of an XLSX (first visible sheet) or CSV file, numbered from 1,
    without looking for a header: for short lists of any shape (a broadcast's
    recipients). The same file checks and errors as :func:`open_table`."""
    path = Path(path)
    with ExitStack() as stack:
        if _sniff(path) == "xlsx":
            from openpyxl import load_workbook
            from openpyxl.utils.exceptions import InvalidFileException

            fh = stack.enter_context(path.open("rb"))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    workbook = load_workbook(fh, read_only=True, data_only=True)
            except (*_XLSX_ERRORS, InvalidFileException, ValueError, TypeError) as exc:
                raise ImportFileError(MSG_DAMAGED) from exc
            stack.callback(workbook.close)
            sheets = list(workbook.worksheets)
            if not sheets:
                raise ImportFileError(MSG_NOT_SPREADSHEET)
            visible = [ws for ws in sheets if getattr(ws, "sheet_state", "visible") == "visible"]
            chosen = (visible or sheets)[0]
            reset = getattr(chosen, "reset_dimensions", None)
            if reset is not None:
                reset()
            yield _guard_xlsx(enumerate(chosen.iter_rows(values_only=True), start=1))
            return
        encoding = _encoding(path)
        text = _sample_text(path, encoding)
        if not text.strip():
            raise ImportFileError(MSG_EMPTY)
        head = "".join(text.splitlines(keepends=True)[:HEADER_SCAN_ROWS])
        delimiter = _forced_delimiter(text) or max(_DELIMITERS, key=head.count)
        text_fh = stack.enter_context(path.open("r", encoding=encoding, newline=""))
        yield _guard_csv(text_fh, delimiter)
