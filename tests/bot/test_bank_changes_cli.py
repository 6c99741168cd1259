"""`python -m bot export bank-changes`: the accounts approved in the chat that
take effect in a period, for the payment provider."""

from __future__ import annotations

import csv

from openpyxl import load_workbook

from storage.records import NewBankRequest
from tests.bot.test_import_cli import _bot
from tests.conftest import NOW, TU


async def _approved(db, seeded) -> None:
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", "relative", "vi")
        officer, _ = await tx.users.get_or_create("web", "officer", "vi")
        for ben, bin_code, bank, number, holder, matches, period in [
            (seeded["pham"], "970436", "Vietcombank", "012345678901", "NGUYEN THI PHAM", True, "2026-12"),
            (seeded["tu"], "999888", "VBSP", "00998877", "Lê Văn Ba", False, "2026-12"),
        ]:  # fmt: skip
            req, _replaced = await tx.bank_requests.submit(
                NewBankRequest(ben, user.id, bin_code, bank, number, holder, matches, None), NOW
            )
            await tx.bank_requests.decide(
                req.id, approve=True, officer_id=officer.id, now=NOW, effective_period=period
            )
        # Pending and rejected requests are not on the list.
        req, _ = await tx.bank_requests.submit(
            NewBankRequest(
                seeded["tu"], user.id, "970405", "Agribank", "55556666", "x", True, None
            ),
            NOW,
        )


async def test_the_periods_approved_changes_as_csv_and_xlsx(db, seeded, database_url, tmp_path):
    await _approved(db, seeded)
    done = _bot(["export", "bank-changes", "--period", "12/2026", "tk.csv"], database_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Đã xuất 2 thay đổi tài khoản đã duyệt của 12/2026 vào tk.csv."
    rows = list(csv.reader((tmp_path / "tk.csv").open(encoding="utf-8-sig")))
    assert rows[0] == [
        "Mã xã", "Họ và tên", "Số CCCD", "Ngân hàng", "Mã BIN", "Số tài khoản", "Chủ tài khoản",
        "Áp dụng từ kỳ", "Ngày duyệt", "Loại", "Chủ TK khác người hưởng",
    ]  # fmt: skip
    assert rows[1] == [
        "99001", "Nguyễn Thị Phàm", "001140001234", "Vietcombank", "970436", "012345678901",
        "NGUYEN THI PHAM", "12/2026", "20/11/2026", "thay đổi", "",
    ]  # fmt: skip
    assert rows[2][1:7] == ["Lê Văn Tư", TU.national_id, "VBSP", "999888", "00998877", "Lê Văn Ba"]
    assert rows[2][9:] == ["đăng ký mới", "có"]

    en = _bot(
        ["export", "bank-changes", "--period", "2026-12", "tk.xlsx", "--lang", "en"],
        database_url,
        tmp_path,
    )
    assert en.returncode == 0, en.stderr
    sheet = load_workbook(tmp_path / "tk.xlsx").active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("Commune code", "Full name", "Citizen ID")
    assert values[1][5] == "012345678901" and len(values) == 3
    assert sheet["F2"].number_format == "@"  # text: leading zeros kept

    empty = _bot(
        ["export", "bank-changes", "--period", "2027-01", "t1.csv"], database_url, tmp_path
    )
    assert empty.returncode == 0
    assert "Không có thay đổi tài khoản nào được duyệt cho 01/2027" in empty.stdout
    refused = _bot(["export", "bank-changes", "tk.csv"], database_url, tmp_path)
    assert refused.returncode == 1 and "--period" in refused.stderr
