"""Benchmark: a volunteer's visit, message by message, against the citizen's
status check measured in the same run through the same dispatcher; and the
officers' report (message, Excel file, chart) over a Hải Vân-sized commune
(70 volunteers, 20 households each, two visits per household).

Run ``pytest tests/perf/test_volunteer_speed.py -s`` to see the figures.
FLOOR guards against regressions: a visit step must not cost more than
FLOOR times a status check.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta

import pytest

from handlers.volunteer import new_volunteer_code
from tests.chat import Chat
from tests.conftest import NOW, PHAM

pytestmark = pytest.mark.perf

VISITS = int(os.environ.get("PERF_VISITS", "20"))
VOLUNTEERS = int(os.environ.get("PERF_VOLUNTEERS", "70"))
FLOOR = 6.0  # a visit step may cost at most this many status checks
REPORT_SECONDS = 10.0  # message + Excel + chart for the whole commune


async def _join(dispatcher, code: str, user: str) -> Chat:
    chat = Chat(dispatcher, user)
    await chat.command("start", code)
    await chat.tap("vol:accept")
    await chat.say("Lê Thị Hoa")
    await chat.say("0987 654 321")
    return chat


async def _visit(chat: Chat, household: str) -> int:
    """One visit to a known household; returns the number of messages."""
    steps = [
        ("tap", "vol:visit"), ("tap", household), ("say", "1 2"), ("tap", "vol:tdone"),
        ("tap", "vol:r:done"), ("tap", "vol:r:followup"), ("tap", "vol:skip"),
        ("tap", "vol:skip"), ("tap", "vol:save"),
    ]  # fmt: skip
    for kind, value in steps:
        await (chat.tap(value) if kind == "tap" else chat.say(value))
    assert "Đã lưu." in chat.text
    return len(steps)


async def test_visit_steps_cost_about_a_status_check(dispatcher, seeded, db, perf_report):
    code = new_volunteer_code()
    async with db.transaction() as tx:
        await tx.volunteers.create_invite(
            code, commune_code="99001", unit="Chi đoàn", max_uses=5, now=NOW,
            expires_at=NOW + timedelta(days=7),
        )  # fmt: skip
    vol = await _join(dispatcher, code, "v1")
    await vol.tap("vol:visit")
    await vol.tap("vol:new")
    for text in ("Nguyễn Văn Nam", "Thôn Đông", "0912000333", "4"):
        await vol.say(text)
    await vol.tap("vol:skip")
    for step in ("1", "vol:tdone", "vol:r:done", "vol:skip", "vol:skip", "vol:save"):
        await (vol.say(step) if step == "1" else vol.tap(step))
    await vol.tap("vol:visit")
    household = next(o for o in vol.option_ids() if o.startswith("vol:hh:"))
    citizen = Chat(dispatcher, "c1")
    await citizen.link(PHAM.national_id, "15/03/1940")

    ratios, per_visit = [], []
    for _round in range(3):
        start = time.perf_counter()
        for _ in range(VISITS):
            await citizen.tap("menu:status")
        status = (time.perf_counter() - start) / VISITS
        start = time.perf_counter()
        messages = 0
        for _ in range(VISITS):
            messages += await _visit(vol, household)
        visit = time.perf_counter() - start
        per_visit.append(visit / VISITS)
        ratios.append((visit / messages) / status)
    ratio = statistics.median(ratios)
    perf_report(
        f"volunteer visit: {statistics.median(per_visit) * 1000:.1f} ms of server time per "
        f"visit (9 messages); a visit step costs {ratio:.2f}x a status check "
        f"(median of 3 rounds of {VISITS} visits; floor {FLOOR}x)"
    )
    assert ratio < FLOOR


async def test_officer_report_over_a_commune(dispatcher, seeded, db, perf_report):
    from handlers.officer import new_invite_code

    code = new_invite_code()
    async with db.transaction() as tx:
        await tx.officers.create_invite(
            code, commune_code="99001", name="Trần Văn Bình", now=NOW,
            expires_at=NOW + timedelta(days=7),
        )  # fmt: skip
        for v in range(VOLUNTEERS):
            user, _ = await tx.users.get_or_create("web", f"vol{v}", "vi")
            vcode = new_volunteer_code()
            await tx.volunteers.create_invite(
                vcode, commune_code="99001", unit=f"Chi đoàn {v % 7}", max_uses=1, now=NOW,
                expires_at=NOW + timedelta(days=7),
            )  # fmt: skip
            _o, invite = await tx.volunteers.check_invite(vcode, NOW)
            assert invite is not None
            await tx.volunteers.register(
                user.id, invite.id, name=f"Tình nguyện viên {v}", phone="0987654321", now=NOW
            )
            for h in range(20):
                hid = await tx.volunteers.add_household(
                    commune_code="99001", volunteer_id=user.id, head_name=f"Chủ hộ {v}-{h}",
                    village=f"Thôn {h % 9}", phone=f"09120{v:03d}{h:02d}", members=4,
                    location=None, now=NOW,
                )  # fmt: skip
                for k, services in enumerate(
                    ({"vneid": "done", "vneid2": "followup"}, {"vneid2": "done", "sim": "done"})
                ):
                    await tx.volunteers.add_visit(
                        household_id=hid, volunteer_id=user.id, services=services, note=None,
                        followup_on=None, new_household=k == 0,
                        now=NOW - timedelta(days=20 - k * 10),
                    )  # fmt: skip
    officer = Chat(dispatcher, "officer")
    await officer.command("start", code)
    timings = {}
    for option in ("vol:report", "vol:xlsx", "vol:chart"):
        start = time.perf_counter()
        await officer.tap(option)
        timings[option] = time.perf_counter() - start
        if option == "vol:report":
            assert f"được giúp: {VOLUNTEERS * 20}. Lần thăm: {VOLUNTEERS * 40}." in officer.text
        else:
            assert len([a for r in officer.last for a in r.attachments]) == 1
    total = sum(timings.values())
    perf_report(
        f"officer report over {VOLUNTEERS} volunteers, {VOLUNTEERS * 20} households, "
        f"{VOLUNTEERS * 40} visits: message {timings['vol:report']:.2f} s, Excel "
        f"{timings['vol:xlsx']:.2f} s, chart {timings['vol:chart']:.2f} s "
        f"(limit {REPORT_SECONDS:.0f} s together)"
    )
    assert total < REPORT_SECONDS
