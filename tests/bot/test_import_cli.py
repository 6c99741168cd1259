"""`python -m bot import` from a terminal: summary, exit codes, and a kill -9
in the middle of an import leaving the database exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import COMMUNE, TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
HEAD = "Họ và tên,Số CCCD,Ngày sinh,Mã xã,Mức hưởng"


def _env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BOT_DATABASE_URL=database_url,
        BOT_SECRET_KEY=TEST_SECRET,
        PYTHONPATH=str(ROOT),
        BOT_DEFAULT_LOCALE="vi",
    )
    return env


def _bot(args: list[str], database_url: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _people(n: int, start: int = 0) -> list[str]:
    return [
        f"Người Thử {i},0011400{i:05d},01/01/1940,{COMMUNE.code},500000"
        for i in range(start, start + n)
    ]


async def _count(db) -> int:
    async with db.transaction() as tx:
        return await tx.beneficiaries.count()


async def test_cli_summary_report_and_exit_codes(db, database_url, tmp_path):
    assert (
        _bot(["commune", "add", COMMUNE.code, COMMUNE.name], database_url, tmp_path).returncode == 0
    )
    good = tmp_path / "ds.csv"
    good.write_text("\n".join([HEAD, *_people(3)]) + "\n", encoding="utf-8")
    done = _bot(["import", "beneficiaries", str(good)], database_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ds.csv: đã đọc 3 dòng, 3 dòng hợp lệ, 0 dòng có lỗi." in done.stdout
    assert "Đối tượng: thêm mới 3, sửa 0, giữ nguyên 0." in done.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join([HEAD, *_people(2, 10), "Sai,123,01/01/1940,99001,1"]) + "\n", encoding="utf-8"
    )
    refused = _bot(["import", "beneficiaries", str(bad), "--lang", "en"], database_url, tmp_path)
    assert refused.returncode == 1
    assert "Nothing was imported, because some rows have errors (1)." in refused.stdout
    assert (tmp_path / "bad.report.csv").exists()
    assert await _count(db) == 3
    missing = _bot(["import", "payments", "nope.csv"], database_url, tmp_path)
    assert missing.returncode == 1 and "Không có tệp" in missing.stderr


async def test_kill_9_in_the_middle_leaves_the_database_as_it_was(db, database_url, tmp_path):
    assert (
        _bot(["commune", "add", COMMUNE.code, COMMUNE.name], database_url, tmp_path).returncode == 0
    )
    first = tmp_path / "first.csv"
    first.write_text("\n".join([HEAD, *_people(5)]) + "\n", encoding="utf-8")
    assert _bot(["import", "beneficiaries", str(first)], database_url, tmp_path).returncode == 0
    big = tmp_path / "big.csv"
    big.write_text("\n".join([HEAD, *_people(40_000, 5)]) + "\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "import", "beneficiaries", str(big)],
        cwd=tmp_path,
        env=_env(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # the first progress line: rows are being written
        assert line.startswith("progress:"), line
        assert proc.poll() is None, "the import finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert await _count(db) == 5  # nothing of the killed import is left
    again = _bot(["import", "beneficiaries", str(first)], database_url, tmp_path)
    assert again.returncode == 0 and "giữ nguyên 5" in again.stdout


async def test_officer_add_prints_an_invite_that_works(db, database_url, tmp_path, dispatcher):
    import re

    from tests.chat import Chat

    assert (
        _bot(["commune", "add", COMMUNE.code, COMMUNE.name], database_url, tmp_path).returncode == 0
    )
    made = _bot(
        ["officer", "add", "--commune", COMMUNE.code, "--name", "Trần Văn Bình"],
        database_url,
        tmp_path,
    )
    assert made.returncode == 0, made.stderr
    assert "Mã mời cho Trần Văn Bình, cán bộ của Xã Hòa An (99001); dùng một lần" in made.stdout
    code = re.search(r"CB-[0-9A-Z]{4}-[0-9A-Z]{4}", made.stdout).group(0)
    officer = Chat(dispatcher, "officer")
    await officer.say(code)
    assert "Chào mừng Trần Văn Bình!" in officer.text
    missing = _bot(["officer", "add", "--commune", "00000", "--name", "X"], database_url, tmp_path)
    assert missing.returncode == 1 and "Chưa có xã 00000" in missing.stderr


async def test_cli_makes_a_province_user_who_sees_reports(db, database_url, tmp_path, dispatcher):
    import re

    from tests.chat import Chat

    unknown = _bot(
        ["officer", "add", "--province", "77", "--name", "Lê Thị Hoa"], database_url, tmp_path
    )
    assert unknown.returncode == 1 and "Chưa có xã nào của tỉnh 77" in unknown.stderr
    for code, name in (("77001", "Xã Một"), ("77002", "Phường Hai")):
        added = _bot(
            ["commune", "add", code, name, "--province-code", "77", "--province-name", "Tỉnh Thử"],
            database_url,
            tmp_path,
        )
        assert added.returncode == 0, added.stderr
    both = _bot(
        ["officer", "add", "--province", "77", "--commune", "77001", "--name", "X"],
        database_url,
        tmp_path,
    )
    assert both.returncode != 0  # one or the other
    made = _bot(
        ["officer", "add", "--province", "77", "--name", "Lê Thị Hoa"], database_url, tmp_path
    )
    assert made.returncode == 0, made.stderr
    assert "người dùng cấp tỉnh của Tỉnh Thử (77, 2 xã" in made.stdout
    code = re.search(r"CB-[0-9A-Z]{4}-[0-9A-Z]{4}", made.stdout).group(0)
    user = Chat(dispatcher, "province-user")
    await user.say(code)
    assert (
        "Chào mừng Lê Thị Hoa! Từ nay Ông/Bà xem được báo cáo của mọi xã của Tỉnh Thử." in user.text
    )
    await user.tap("rep:rate")
    assert user.text.startswith("Chưa có danh sách chi trả tháng 11/2026.")


async def test_commune_add_takes_the_name_and_province_from_the_official_list(
    db, database_url, tmp_path
):
    added = _bot(["commune", "add", "26740", "--payment-day", "10"], database_url, tmp_path)
    assert added.returncode == 0, added.stderr
    assert "Đã lưu Phường Sài Gòn (mã 26740)" in added.stdout
    async with db.transaction() as tx:
        saigon = await tx.communes.get("26740")
    assert (saigon.name, saigon.province_code, saigon.province_name, saigon.payment_day) == (
        "Phường Sài Gòn",
        "79",
        "Thành phố Hồ Chí Minh",
        10,
    )
    # A code that is not on the official list needs its name, and is flagged.
    bare = _bot(["commune", "add", "12345"], database_url, tmp_path)
    assert bare.returncode == 2
    assert "12345 không phải mã xã trong danh sách chính thức" in bare.stderr
    async with db.transaction() as tx:
        assert await tx.communes.get("12345") is None
    named = _bot(["commune", "add", "12345", "Xã Thử Nghiệm"], database_url, tmp_path)
    assert named.returncode == 0
    assert "Lưu ý: 12345 không có trong danh sách xã chính thức" in named.stdout
    # A name that differs from the official one is kept, with a note.
    other = _bot(["commune", "add", "26740", "Phuong Sai Gon moi"], database_url, tmp_path)
    assert other.returncode == 0
    assert "danh sách chính thức ghi tên xã 26740 là “Phường Sài Gòn”" in other.stdout


async def test_commune_add_keeps_what_it_is_not_told_and_pads_the_code(db, database_url, tmp_path):
    first = _bot(
        [
            "commune",
            "add",
            "1654",
            "--officer-name",
            "Trần Văn Bình",
            "--officer-phone",
            "0912345678",
        ],
        database_url,
        tmp_path,
    )
    assert first.returncode == 0, first.stderr
    async with db.transaction() as tx:
        commune = await tx.communes.get("01654")
    assert commune is not None and commune.officer_phone == "0912345678"
    official_name = commune.name
    # Setting the payment day later keeps the name, the officer and the phone.
    again = _bot(["commune", "add", "01654", "--payment-day", "5"], database_url, tmp_path)
    assert again.returncode == 0, again.stderr
    async with db.transaction() as tx:
        commune = await tx.communes.get("01654")
    assert (commune.name, commune.payment_day, commune.officer_name, commune.officer_phone) == (
        official_name,
        5,
        "Trần Văn Bình",
        "0912345678",
    )
