"""The web chat carries the officers' chart and spreadsheet to the page."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

from openpyxl import load_workbook

from handlers.officer import new_invite_code
from tests.channels.test_web import new_user, server  # noqa: F401
from tests.conftest import NOW


async def test_the_report_chart_and_excel_file_reach_the_page(new_user, db):  # noqa: F811
    code = new_invite_code()
    async with db.transaction() as tx:
        await tx.officers.create_invite(
            code, commune_code="99001", name="Trần Văn Bình", now=NOW,
            expires_at=NOW + timedelta(days=7),
        )  # fmt: skip
    officer = await new_user()
    await officer.say(code)
    await officer.tap("vol:chart")
    (chart,) = [a for r in officer.replies for a in r.get("attachments", [])]
    assert chart["kind"] == "image" and chart["url"].startswith("data:image/png;base64,")
    assert base64.b64decode(chart["url"].split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    await officer.tap("vol:xlsx")
    (sheet,) = [a for r in officer.replies for a in r.get("attachments", [])]
    assert sheet["kind"] == "document" and sheet["filename"].endswith(".xlsx")
    wb = load_workbook(io.BytesIO(base64.b64decode(sheet["url"].split(",", 1)[1])))
    assert wb.sheetnames == ["Tình nguyện viên", "Đơn vị", "Thôn tổ", "Công việc", "Cần quay lại"]
    assert [c.value for c in wb["Công việc"][1]] == ["Công việc", "Tháng này", "Tổng cộng"]
    await officer.tap("menu:faq")
    assert all("attachments" not in r for r in officer.replies)
