"""`python -m bot export` from a terminal: an officer's list out, and the same list
in again with nothing changed; summaries, languages, and clean refusals."""

from __future__ import annotations

from handlers.i18n import Catalogs
from handlers.importing.service import run_import
from tests.bot.test_import_cli import _bot
from tests.handlers.export_lists import IN_HAI_VAN, NOVEMBER, add_communes, write_lists

PEOPLE = 5


async def _lists(db, folder) -> None:
    await add_communes(db)
    people, payments = write_lists(folder)
    vi = Catalogs().get("vi")
    assert (await run_import(db, people, "beneficiaries", translator=vi)).outcome == "applied"
    assert (await run_import(db, payments, "payments", translator=vi)).outcome == "applied"


async def test_export_then_import_changes_nothing(db, database_url, tmp_path):
    await _lists(db, tmp_path)
    people = _bot(["export", "beneficiaries", "ds.xlsx"], database_url, tmp_path)
    assert people.returncode == 0, people.stderr
    assert people.stdout.strip() == f"Đã xuất {PEOPLE} đối tượng vào ds.xlsx."
    back = _bot(["import", "beneficiaries", "ds.xlsx"], database_url, tmp_path)
    assert back.returncode == 0, back.stdout
    assert f"Đối tượng: thêm mới 0, sửa 0, giữ nguyên {PEOPLE}." in back.stdout
    assert "Các cột không dùng" not in back.stdout  # every column was read
    paid = _bot(
        ["export", "payments", "--period", "11/2026", "chi.csv", "--lang", "en"],
        database_url,
        tmp_path,
    )
    assert paid.returncode == 0, paid.stderr
    assert paid.stdout.strip() == f"Exported {NOVEMBER} payments for 11/2026 to chi.csv."
    header = (tmp_path / "chi.csv").read_text("utf-8-sig").splitlines()[0]
    assert header == "Citizen ID,Full name,Period,Amount,Status,Paid on,Method,Note"
    back = _bot(["import", "payments", "chi.csv"], database_url, tmp_path)
    assert back.returncode == 0, back.stdout
    assert f"Chi trả: thêm mới 0, sửa 0, giữ nguyên {NOVEMBER}." in back.stdout


async def test_one_commune_and_a_month_without_payments(db, database_url, tmp_path):
    await _lists(db, tmp_path)
    one = _bot(["export", "beneficiaries", "hv.csv", "--commune", "99002"], database_url, tmp_path)
    assert one.returncode == 0, one.stderr
    assert one.stdout.strip() == (
        f"Đã xuất {IN_HAI_VAN} đối tượng của Phường Hải Vân (99002) vào hv.csv."
    )
    lines = (tmp_path / "hv.csv").read_text("utf-8-sig").splitlines()
    assert len(lines) == 1 + IN_HAI_VAN and lines[0].startswith("Họ và tên,Số CCCD,Ngày sinh,")
    empty = _bot(["export", "payments", "--period", "2026-12", "t12.xlsx"], database_url, tmp_path)
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.strip() == (
        "Không có khoản chi trả nào trong kỳ 12/2026; tệp t12.xlsx chỉ có dòng tiêu đề."
    )
    assert (tmp_path / "t12.xlsx").exists()


async def test_bad_requests_are_refused_cleanly(db, database_url, tmp_path):
    await add_communes(db)
    cases = [
        (
            ["export", "payments", "--period", "13/2026", "x.xlsx"],
            "Không đọc được kỳ 13/2026; xin ghi tháng và năm, ví dụ 2026-11 hoặc 11/2026.",
        ),
        (
            ["export", "payments", "--period", "abc", "x.xlsx", "--lang", "en"],
            "The period abc cannot be read; please write the month and year, e.g. 2026-11 or 11/2026.",
        ),
        (
            ["export", "payments", "x.xlsx"],
            "Xin chọn tháng cần xuất bằng --period, ví dụ --period 2026-11.",
        ),
        (
            ["export", "beneficiaries", "thu-muc-khong-co/x.xlsx"],
            "Không có thư mục thu-muc-khong-co; xin tạo thư mục đó hoặc chọn thư mục khác.",
        ),
        (
            ["export", "beneficiaries", "x.ods"],
            "Tên tệp phải có đuôi .xlsx hoặc .csv, ví dụ danh-sach.xlsx; tệp này là x.ods.",
        ),
        (
            ["export", "beneficiaries", "x.xlsx", "--commune", "12345"],
            "12345 không có trong danh sách xã, phường của bot.",
        ),
    ]
    for args, message in cases:
        done = _bot(args, database_url, tmp_path)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stderr.strip() == message, args
        assert "Traceback" not in done.stderr and not done.stdout
    assert not list(tmp_path.glob("x.*"))
