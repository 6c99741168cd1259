"""The payment provider's list of approved account changes for one period:
who is paid into which account from that period on, as XLSX or CSV.

Written with the officers' export machinery (:mod:`handlers.exporting`): the
same text cells for numbers, the same header style, the same write-then-move.
Headers are file format (constants), in Vietnamese or English.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from handlers.exporting import COLUMNS, Column, Lang, _output
from handlers.i18n import Translator, _
from storage import Database
from storage.records import BankChange

BANK_CHANGE_COLUMNS: tuple[Column, ...] = (
    Column("commune", "Mã xã", "Commune code", "digits", 8),
    Column("full_name", "Họ và tên", "Full name", "text", 26),
    Column("national_id", "Số CCCD", "Citizen ID", "digits", 15),
    Column("bank", "Ngân hàng", "Bank", "text", 16),
    Column("bank_bin", "Mã BIN", "BIN", "digits", 9),
    Column("account_number", "Số tài khoản", "Account number", "digits", 20),
    Column("account_name", "Chủ tài khoản", "Account holder", "text", 24),
    Column("effective_period", "Áp dụng từ kỳ", "From period", "text", 12),
    Column("approved_on", "Ngày duyệt", "Approved on", "date", 12),
    Column("kind", "Loại", "Kind", "text", 14),
    Column("holder_differs", "Chủ TK khác người hưởng", "Holder differs", "text", 12),
)
KIND_WORDS: dict[Lang, dict[bool, str]] = {
    "vi": {False: "đăng ký mới", True: "thay đổi"},
    "en": {False: "new", True: "change"},
}
YES_NO: dict[Lang, dict[bool, str]] = {
    "vi": {True: "có", False: ""},
    "en": {True: "yes", False: ""},
}
SHEET_TITLE = _("Account changes {period}")

assert "bank_changes" not in COLUMNS  # a list of its own, not an importable one


@dataclass(frozen=True)
class BankChangesSummary:
    path: Path
    rows: int
    period: str


def _values(c: BankChange, lang: Lang, local_date: date) -> list[object]:
    month = f"{c.effective_period[5:7]}/{c.effective_period[:4]}"
    return [
        c.commune_code,
        c.full_name,
        c.national_id,
        c.bank_name,
        c.bank_bin,
        c.account_number,
        c.holder_name,
        month,
        local_date,
        KIND_WORDS[lang][c.is_change],
        YES_NO[lang][not c.holder_matches],
    ]


def write_bank_changes(
    changes: list[BankChange], path: Path, translator: Translator, dates: list[date]
) -> None:
    """``dates`` are the approval dates in local time, one per change."""
    lang: Lang = "en" if translator.locale == "en" else "vi"
    period = changes[0].effective_period if changes else ""
    title = translator.gettext(SHEET_TITLE, period=translator.period(period) if period else "")
    with _output(path, BANK_CHANGE_COLUMNS, lang, title) as out:
        for change, day in zip(changes, dates, strict=True):
            out.add(_values(change, lang, day))


async def export_bank_changes(
    db: Database,
    path: Path,
    period: str,
    translator: Translator,
    *,
    communes: list[str] | None = None,
) -> BankChangesSummary:
    from handlers.core import VN_TZ

    async with db.transaction() as tx:
        changes = await tx.bank_requests.approved_changes(period, communes)
        await tx.audit.write(
            "bank_changes_exported", period=period, rows=len(changes), communes=communes
        )
    dates = [c.decided_at.astimezone(VN_TZ).date() for c in changes]
    write_bank_changes(changes, path, translator, dates)
    return BankChangesSummary(path, len(changes), period)


def bank_changes_bytes(
    changes: list[BankChange], translator: Translator, dates: list[date], suffix: str = ".xlsx"
) -> bytes:
    """The list as the bytes of a file (sent in the chat)."""
    with tempfile.TemporaryDirectory(prefix="bank-changes-") as folder:
        path = Path(folder) / f"list{suffix}"
        write_bank_changes(changes, path, translator, dates)
        return path.read_bytes()
