"""Small XLSX files sent into the chat (reports, lists to act on).

Text is always text: a value starting with "=" is never a formula, and numbers
with leading zeros (phones) keep them. Headers are bold and frozen.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl import Workbook

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, "-")
    return title[:31] or "Sheet1"


def xlsx_bytes(
    title: str, headers: Sequence[str], rows: Iterable[Sequence[object]], *, width: int = 18
) -> bytes:
    """One sheet: a bold, frozen header row, then ``rows``."""
    # Imported on first use, like the charts: a process answering citizens
    # never writes a sheet.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    def value_of(value: object) -> object:
        if isinstance(value, str):
            text = ILLEGAL_CHARACTERS_RE.sub("", value)
            if text.startswith(("=", "+", "0")) or text.isdigit():
                cell = WriteOnlyCell(ws, value=text)
                cell.data_type = "s"
                cell.number_format = "@"
                return cell
            return text
        return value

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(title))
    for index, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(width, len(header) + 2)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=header)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        ws.append([value_of(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def text_only(workbook: Workbook) -> None:
    """Turn every cell openpyxl would write as a formula (text starting with
    "=") back into text: names and places typed in the chat must never run in
    the officer's Excel."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
