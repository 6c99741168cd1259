"""`python -m bot volunteer`: a unit's invite code, the list of a commune's
volunteers (phones masked), and stopping one."""

from __future__ import annotations

import re

from handlers.volunteer import parse_volunteer_code
from tests.bot.test_import_cli import _bot
from tests.chat import Chat


async def test_invite_list_and_deactivate_from_the_command_line(
    dispatcher, seeded, db, database_url, tmp_path
):
    bad = _bot(["volunteer", "invite", "--commune", "00000", "--unit", "X"], database_url, tmp_path)
    assert bad.returncode == 1 and "commune add" in bad.stderr
    too_long = _bot(
        ["volunteer", "invite", "--commune", "99001", "--unit", "X", "--days", "400"],
        database_url,
        tmp_path,
    )
    assert too_long.returncode == 2 and "--days" in too_long.stderr
    done = _bot(
        ["volunteer", "invite", "--commune", "99001", "--unit", "Trường THCS Hòa An",
         "--uses", "1", "--days", "3"],
        database_url,
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Trường THCS Hòa An của Xã Hòa An (99001); tối đa 1 người" in done.stdout
    typed = re.search(r"TN-[A-Z0-9]{4}-[A-Z0-9]{4}", done.stdout)
    assert typed is not None
    code = parse_volunteer_code(typed.group(0))
    assert code is not None and f"/start {code}" in done.stdout
    chat = Chat(dispatcher, "v1")
    await chat.command("start", code)
    await chat.tap("vol:accept")
    await chat.say("Lê Thị Hoa")
    await chat.say("0987 654 321")
    assert "Trường THCS Hòa An" in chat.text
    listed = _bot(["volunteer", "list", "--commune", "99001"], database_url, tmp_path)
    assert listed.returncode == 0
    assert "Lê Thị Hoa  (Trường THCS Hòa An)  ****4321  đang hoạt động" in listed.stdout
    assert "0987654321" not in listed.stdout
    number = listed.stdout.split()[0]
    other = _bot(["volunteer", "deactivate", "--commune", "99001", "999"], database_url, tmp_path)
    assert other.returncode == 1
    stop = _bot(["volunteer", "deactivate", "--commune", "99001", number], database_url, tmp_path)
    assert stop.returncode == 0 and "Lê Thị Hoa không còn là tình nguyện viên." in stop.stdout
    listed = _bot(["volunteer", "list", "--commune", "99001"], database_url, tmp_path)
    assert "đã dừng" in listed.stdout
    await chat.tap("vol:visit")
    assert "TN-7K4M-9P2Q" in chat.text  # no longer a volunteer
