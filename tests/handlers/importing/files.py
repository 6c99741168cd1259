"""Small officer-style files written by the tests themselves."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

TITLE = ["UBND XÃ HÒA AN", "DANH SÁCH CHI TRẢ THÁNG 11/2026"]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    delimiter: str = ",",
    bom: bool = False,
    encoding: str = "utf-8",
) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    data = buf.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    title: str = "Danh sách",
    merges: Sequence[str] = (),
    more_sheets: Sequence[str] = (),
) -> Path:
    """``rows`` start at row 1; an empty row writes nothing (a gap, as Excel does)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=number, column=column, value=value)
    for cells in merges:
        sheet.merge_cells(cells)
    for name in more_sheets:
        workbook.create_sheet(name)
    workbook.save(path)
    return path
