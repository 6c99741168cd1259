""" "1+20" volunteers: joining by a unit's code, logging visits, one record
per household, progress and reminders, the officers' reports, and privacy."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from handlers.officer import new_invite_code
from handlers.types import Incoming
from handlers.volunteer import (
    new_volunteer_code,
    parse_followup,
    parse_volunteer_code,
    pretty_code,
    queue_followup_reminders,
)
from storage.records import Commune
from tests.chat import Chat
from tests.conftest import COMMUNE, NOW

OTHER = Commune("99002", "Phường Hải Vân", "48", "Đà Nẵng", 5, None, None)


async def _unit_code(db, commune=COMMUNE, unit="Chi đoàn thôn Đông", uses=30, days=14) -> str:
    code = new_volunteer_code()
    async with db.transaction() as tx:
        await tx.communes.upsert(commune)
        await tx.volunteers.create_invite(
            code,
            commune_code=commune.code,
            unit=unit,
            max_uses=uses,
            now=NOW,
            expires_at=NOW + timedelta(days=days),
        )
    return code


async def _officer(dispatcher, db, user="officer", commune=COMMUNE) -> Chat:
    code = new_invite_code()
    async with db.transaction() as tx:
        await tx.communes.upsert(commune)
        await tx.officers.create_invite(
            code, commune_code=commune.code, name="Trần Văn Bình", now=NOW,
            expires_at=NOW + timedelta(days=7),
        )  # fmt: skip
    chat = Chat(dispatcher, user)
    await chat.command("start", code)
    return chat


async def _join(dispatcher, code: str, user: str, name="Lê Thị Hoa", phone="0987 654 321") -> Chat:
    chat = Chat(dispatcher, user)
    await chat.say(pretty_code(code).lower())
    await chat.tap("vol:accept")
    await chat.say(name)
    await chat.say(phone)
    return chat


async def _english(chat: Chat) -> None:
    await chat.tap("menu:language")
    await chat.tap("lang:en")


async def _new_visit(
    chat: Chat, name="Nguyễn Văn Nam", village="Thôn Đông", phone="skip", members="4",
    ticks="1 2", results=("vol:r:done", "vol:r:done"), note="skip", followup="skip",
) -> None:  # fmt: skip
    await chat.tap("vol:visit")
    await chat.tap("vol:new")
    await chat.say(name)
    await chat.say(village)
    await chat.say(phone)
    if "vol:notsame" in chat.option_ids() or any(
        o.startswith("vol:same:") for o in chat.option_ids()
    ):
        return
    await chat.say(members)
    await chat.tap("vol:skip")  # no location
    await chat.say(ticks)
    await chat.tap("vol:tdone")
    for r in results:
        await chat.tap(r)
    await chat.say(note)
    await chat.say(followup)
    await chat.tap("vol:save")


def test_follow_up_dates_as_people_type_them():
    today = date(2026, 11, 20)
    assert parse_followup("28/11", today) == date(2026, 11, 28)
    assert parse_followup("5-1", today) == date(2027, 1, 5)
    assert parse_followup("19/11", today) is None  # yesterday: not next year
    assert parse_followup("ngày mai", today) == date(2026, 11, 21)
    assert parse_followup("Tomorrow", today) == date(2026, 11, 21)
    assert parse_followup("tuan sau", today) == date(2026, 11, 27)
    assert parse_followup("30/11/2026", today) == date(2026, 11, 30)
    assert parse_followup("31/11", today) is None
    assert parse_followup("sometime", today) is None


def test_volunteer_codes_are_forgiving_and_distinct_from_officer_codes():
    code = new_volunteer_code()
    assert parse_volunteer_code(pretty_code(code).lower()) == code
    assert parse_volunteer_code(" tn " + code[2:6] + " " + code[6:]) == code
    assert parse_volunteer_code(new_invite_code()) is None
    assert parse_volunteer_code("TN-0000-1111") is None


async def test_joining_by_code_in_vietnamese(dispatcher, seeded, db):
    code = await _unit_code(db)
    chat = Chat(dispatcher, "v1")
    await chat.say(pretty_code(code).lower())
    assert "Chi đoàn thôn Đông" in chat.text and "dữ liệu cá nhân" in chat.text
    await chat.tap("vol:accept")
    await chat.say("12")  # not a name
    assert "Nguyễn Văn An" in chat.text
    await chat.say("Le Thi Hoa")
    await chat.say("12345")  # not a phone number
    assert "0912 345 678" in chat.text
    await chat.say("0987 654 321")
    assert "tình nguyện viên" in chat.text and "Chi đoàn thôn Đông" in chat.text
    assert "vol:visit" in chat.option_ids() and "vol:progress" in chat.option_ids()
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", "v1", "vi")
        vol = await tx.volunteers.get(user.id)
    assert user.role == "volunteer"
    assert vol is not None and vol.phone == "+84987654321" and vol.name == "Le Thi Hoa"


async def test_declining_the_rules_registers_nothing(dispatcher, seeded, db):
    code = await _unit_code(db)
    chat = Chat(dispatcher, "v1")
    await chat.command("start", code)
    await chat.tap("vol:decline")
    assert "Nothing was saved" in chat.text or "Chưa lưu" in chat.text
    await chat.tap("vol:visit")
    assert "TN-7K4M-9P2Q" in chat.text  # not a volunteer: how to become one


async def test_expired_and_exhausted_codes(dispatcher, seeded, db, clock):
    old = await _unit_code(db, days=1)
    clock.now = NOW + timedelta(days=2)
    late = Chat(dispatcher, "late")
    await late.say(old)
    assert "hết hạn" in late.text
    full = await _unit_code(db, uses=1)
    await _join(dispatcher, full, "first")
    second = Chat(dispatcher, "second")
    await second.command("start", full)
    assert "đủ số người" in second.text
    # The first volunteer opening it again is told they are in already.
    first = Chat(dispatcher, "first")
    await first.command("start", full)
    assert "đã là tình nguyện viên" in first.text


async def test_a_code_used_up_between_opening_and_finishing(dispatcher, seeded, db):
    code = await _unit_code(db, uses=1)
    a, b = Chat(dispatcher, "a"), Chat(dispatcher, "b")
    await a.say(code)
    await b.say(code)
    await a.tap("vol:accept")
    await b.tap("vol:accept")
    await a.say("Lê Thị Hoa")
    await b.say("Phạm Văn Đức")
    await a.say("0987654321")
    await b.say("0912345678")
    assert "đủ số người" in b.text
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", "b", "vi")
        assert await tx.volunteers.get(user.id) is None


async def test_a_full_visit_in_english_typed_without_buttons(dispatcher, seeded, db):
    code = await _unit_code(db)
    chat = await _join(dispatcher, code, "v1")
    await _english(chat)
    await chat.say("log a visit")
    assert "no households yet" in chat.text
    await chat.say("Nguyen Van Nam")  # typing the name starts a new household
    assert "village" in chat.text
    await chat.say("Thon Dong")
    await chat.say("0912 000 333")
    await chat.say("5")
    await chat.say("skip")  # no location
    assert "⬜ VNeID app installed" in [label for _i, label in chat.options]
    await chat.say("1 2 7")
    labels = [label for _i, label in chat.options]
    assert "✅ VNeID app installed" in labels and "✅ Bank account or e-wallet" in labels
    await chat.say("7")  # untick
    assert "⬜ Bank account or e-wallet" in [label for _i, label in chat.options]
    await chat.say("99")
    assert "from 1 to 10" in chat.text
    await chat.say("done")
    assert "VNeID app installed: how did it go?" in chat.text
    await chat.say("1")  # done
    assert "Level-2 e-ID activated: how did it go?" in chat.text
    await chat.say("2")  # started, needs follow-up
    await chat.say("Needs the ID card back from the police")
    assert "needs a follow-up" in chat.text
    await chat.say("31/02")
    assert "28/11" in chat.text  # an example, nothing changed
    await chat.say("28/11")
    assert "Follow-up on 28/11/2026." in chat.text
    assert "Level-2 e-ID activated: ⏳ Started, needs follow-up" in chat.text
    await chat.say("save")
    assert "Saved." in chat.text and "helped 1 of 20 households" in chat.text
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", "v1", "vi")
        (fact,) = await tx.volunteers.facts(volunteer_id=user.id, phones=True)
    assert fact.household.head_name == "Nguyen Van Nam" and fact.household.members == 5
    assert fact.household.phone == "+84912000333"
    assert fact.visit.services == {"vneid": "done", "vneid2": "followup"}
    assert fact.visit.followup_on == date(2026, 11, 28)
    assert fact.visit.note == "Needs the ID card back from the police"


async def test_location_and_back_keep_the_draft(dispatcher, seeded, db):
    code = await _unit_code(db)
    chat = await _join(dispatcher, code, "v1")
    await chat.tap("vol:visit")
    await chat.tap("vol:new")
    await chat.say("Trần Thị Bình")
    await chat.say("Tổ 5")  # a village with a number is data
    await chat.say("bo qua")
    await chat.say("quay lai")  # back to the phone question
    assert "Số điện thoại của hộ" in chat.text
    await chat.tap("vol:skip")
    await chat.say("3")
    chat.last = await dispatcher.handle(
        Incoming(channel="web", user_id="v1", location=(16.0678, 108.2208))
    )
    assert "⬜" in " ".join(label for _i, label in chat.options)
    await chat.tap("vol:t:sim")
    await chat.tap("vol:tdone")
    await chat.tap("vol:r:done")
    await chat.tap("vol:skip")
    await chat.tap("vol:tomorrow")
    await chat.tap("vol:save")
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", "v1", "vi")
        (fact,) = await tx.volunteers.facts(volunteer_id=user.id, phones=True)
    assert fact.household.village == "Tổ 5" and fact.household.phone is None
    assert fact.household.latitude == 16.0678
    assert fact.visit.followup_on == date(2026, 11, 21)


async def test_ticking_nothing_and_cancel_save_nothing(dispatcher, seeded, db):
    code = await _unit_code(db)
    chat = await _join(dispatcher, code, "v1")
    await chat.tap("vol:visit")
    await chat.tap("vol:new")
    await chat.say("Trần Thị Bình")
    await chat.say("Thôn Tây")
    await chat.tap("vol:skip")
    await chat.tap("vol:skip")
    await chat.tap("vol:skip")
    await chat.tap("vol:tdone")
    assert "ít nhất một" in chat.text
    await chat.say("huy")
    assert "Đã hủy" in chat.text
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", "v1", "vi")
        assert await tx.volunteers.households_of(user.id) == []


async def test_same_phone_or_name_asks_instead_of_a_second_record(dispatcher, seeded, db):
    code = await _unit_code(db)
    chat = await _join(dispatcher, code, "v1")
    await _new_visit(chat, name="Nguyễn Văn Nam", village="Thôn Đông", phone="0912000333")
    # The same name, typed without diacritics, in the same village.
    await _new_visit(chat, name="nguyen van  nam", village="thon dong", phone="skip")
    assert "Nguyễn Văn Nam, Thôn Đông" in chat.text and "****0333" in chat.text
    same = [o for o in chat.option_ids() if o.startswith("vol:same:")]
    await chat.tap(same[0])
    await chat.tap("vol:t:scams")
    await chat.tap("vol:tdone")
    await chat.tap("vol:r:done")
    await chat.tap("vol:skip")
    await chat.tap("vol:skip")
    await chat.tap("vol:save")
    # The same phone under another name: asked too; something else typed asks
    # again and keeps the draft; "khong" (no) makes a new record.
    await _new_visit(chat, name="Lê Văn Ba", village="Thôn Tây", phone="+84 912 000 333")
    assert "****0333" in chat.text
    await chat.say("hmm")
    assert "vol:notsame" in chat.option_ids()
    await chat.say("khong")
    assert "mấy người" in chat.text
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", "v1", "vi")
        households = await tx.volunteers.households_of(user.id)
        facts = await tx.volunteers.facts(volunteer_id=user.id)
    assert len(households) == 1 and len(facts) == 2


async def test_another_volunteers_household_is_visited_and_the_officer_sees_it(
    dispatcher, seeded, db
):
    code = await _unit_code(db)
    first = await _join(dispatcher, code, "v1", name="Lê Thị Hoa")
    second = await _join(dispatcher, code, "v2", name="Phạm Văn Đức", phone="0912345678")
    await _new_visit(first, phone="0912000333")
    await _new_visit(second, name="Trần Văn Khác", village="Thôn Nam", phone="0912000333")
    same = [o for o in second.option_ids() if o.startswith("vol:same:")]
    await second.tap(same[0])
    assert "tình nguyện viên khác" in second.text
    await second.tap("vol:t:bank")
    await second.tap("vol:tdone")
    await second.tap("vol:r:done")
    await second.tap("vol:skip")
    await second.tap("vol:skip")
    await second.tap("vol:save")
    assert "Bạn đã giúp 1 trên 20 hộ." in second.text
    officer = await _officer(dispatcher, db)
    await officer.tap("vol:report")
    assert "nhiều hơn một tình nguyện viên giúp: 1" in officer.text
    assert "Nguyễn Văn Nam, Thôn Đông" in officer.text


async def test_edit_and_undo_the_last_visit(dispatcher, seeded, db):
    code = await _unit_code(db)
    chat = await _join(dispatcher, code, "v1")
    await _new_visit(chat)
    await chat.tap("vol:edit")
    labels = [label for _i, label in chat.options]
    assert labels[0].startswith("✅") and labels[1].startswith("✅") and labels[2].startswith("⬜")
    await chat.say("2 3")  # untick 2, tick 3
    await chat.say("xong")
    await chat.tap("vol:r:done")  # the VNeID result again
    await chat.tap("vol:r:declined")
    await chat.say("Khong muon lam")
    await chat.tap("vol:skip")
    assert "Từ chối" in chat.text
    await chat.tap("vol:save")
    assert "đã được sửa" in chat.text
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", "v1", "vi")
        (fact,) = await tx.volunteers.facts(volunteer_id=user.id, phones=True)
    assert fact.visit.services == {"vneid": "done", "portal": "declined"}
    await chat.tap("vol:undo")
    await chat.tap("vol:undono")
    await chat.tap("vol:last")
    assert "Nguyễn Văn Nam" in chat.text
    await chat.tap("vol:undo")
    await chat.tap("vol:undoyes")
    assert "đã được xóa" in chat.text
    async with db.transaction() as tx:
        assert await tx.volunteers.facts(volunteer_id=user.id) == []
        assert await tx.volunteers.households_of(user.id) == []
    await chat.tap("vol:undoyes")  # an old button: nothing else is removed
    assert "không còn dùng" in chat.text


async def test_progress_and_followup_reminders(dispatcher, seeded, db, catalogs, clock):
    code = await _unit_code(db)
    chat = await _join(dispatcher, code, "v1")
    await _new_visit(chat, results=("vol:r:done", "vol:r:followup"), followup="mai")
    await _new_visit(
        chat, name="Trần Thị Bình", village="Thôn Tây", ticks="1", results=("vol:r:done",)
    )
    await chat.command("progress")
    assert "2 trên 20 hộ" in chat.text
    assert "Đã cài ứng dụng VNeID: 2" in chat.text
    assert "Chưa có hộ nào cần quay lại hôm nay" in chat.text
    assert "Lần quay lại đã hẹn sau này: 1." in chat.text
    async with db.transaction() as tx:
        assert await queue_followup_reminders(tx, catalogs, clock.now) == 0
    clock.now = NOW + timedelta(days=1)
    async with db.transaction() as tx:
        assert await queue_followup_reminders(tx, catalogs, clock.now) == 1
    async with db.transaction() as tx:
        assert await queue_followup_reminders(tx, catalogs, clock.now) == 0
        (msg,) = await tx.outbox.by_kind("followup")
    assert "Nguyễn Văn Nam" in msg.text and "21/11/2026" in msg.text
    assert msg.options[0][0].startswith("vol:hh:")
    await chat.tap("vol:progress")
    assert "Nguyễn Văn Nam (Thôn Đông)" in chat.text
    # The reminder's button starts the visit to that household.
    await chat.tap(msg.options[0][0])
    assert "Nguyễn Văn Nam" in chat.text and "⬜" in " ".join(label for _i, label in chat.options)


async def test_reminder_in_english_overdue_only_once_and_not_after_a_new_visit(
    dispatcher, seeded, db, catalogs, clock
):
    code = await _unit_code(db)
    chat = await _join(dispatcher, code, "v1")
    await _english(chat)
    await _new_visit(chat, ticks="3", results=("vol:r:followup",), followup="25/11")
    await _new_visit(
        chat,
        name="Trần Thị Bình",
        village="Thôn Tây",
        ticks="4",
        results=("vol:r:followup",),
        followup="tomorrow",
    )
    # Trần Thị Bình is visited again: the old follow-up is closed.
    households = [
        o for o in (await chat.tap("vol:visit")) and chat.option_ids() if o.startswith("vol:hh:")
    ]
    await chat.tap(households[0])
    await chat.tap("vol:t:procedure")
    await chat.tap("vol:tdone")
    await chat.tap("vol:r:done")
    await chat.tap("vol:skip")
    await chat.tap("vol:skip")
    await chat.tap("vol:save")
    clock.now = NOW + timedelta(days=10)  # overdue
    async with db.transaction() as tx:
        assert await queue_followup_reminders(tx, catalogs, clock.now) == 1
        assert await queue_followup_reminders(tx, catalogs, clock.now) == 0
        (msg,) = await tx.outbox.by_kind("followup")
    assert msg.text.startswith("Reminder:") and "25/11/2026" in msg.text
    assert "Nguyễn Văn Nam" in msg.text


async def test_officer_invites_lists_and_stops_volunteers(dispatcher, seeded, db):
    officer = await _officer(dispatcher, db)
    assert "vol:invite" in officer.option_ids()
    await officer.tap("vol:invite")
    await officer.say("Trường THPT Hòa An")
    text = officer.text
    code = next(w for w in text.split() if w.startswith("TN-"))
    assert "30" in text
    vol = await _join(dispatcher, parse_volunteer_code(code) or "", "v1", phone="0987654321")
    assert "Trường THPT Hòa An" in vol.text
    await officer.tap("vol:list")
    assert "Lê Thị Hoa (Trường THPT Hòa An)" in officer.text and "****4321" in officer.text
    assert "0987654321" not in officer.text
    stop = [o for o in officer.option_ids() if o.startswith("vol:off:")]
    await officer.tap(stop[0])
    assert "Dừng Lê Thị Hoa (Trường THPT Hòa An)?" in officer.text
    await officer.say("quay lai")  # back to the list; nobody stopped
    assert "Lê Thị Hoa (Trường THPT Hòa An)" in officer.text
    await officer.tap(stop[0])
    await officer.say("1")  # "Yes, stop", typed as its number
    assert "không còn là tình nguyện viên" in officer.text
    await vol.tap("vol:visit")
    assert "TN-7K4M-9P2Q" in vol.text
    assert "vol:visit" not in vol.option_ids()
    # Stopped by the commune, the code cannot make them a volunteer again.
    await vol.say(code)
    assert "Xã đã dừng tài khoản tình nguyện viên của bạn" in vol.text
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", "v1", "vi")
        stopped = await tx.volunteers.get(user.id)
    assert stopped is not None and not stopped.active


async def test_only_officers_and_volunteers_reach_their_parts(dispatcher, seeded, db):
    citizen = Chat(dispatcher, "c1")
    for option in ("vol:report", "vol:invite", "vol:list", "vol:xlsx", "vol:chart", "vol:off:1"):
        await citizen.tap(option)
        assert "cán bộ xã" in citizen.text, option
        assert not any(r.attachments for r in citizen.last)
    await citizen.tap("vol:visit")
    assert "TN-7K4M-9P2Q" in citizen.text
    await citizen.command("progress")
    assert "TN-7K4M-9P2Q" in citizen.text


async def test_a_volunteer_sees_only_their_own_households(dispatcher, seeded, db):
    code = await _unit_code(db)
    first = await _join(dispatcher, code, "v1")
    second = await _join(dispatcher, code, "v2", name="Phạm Văn Đức", phone="0912345678")
    await _new_visit(first, name="Nguyễn Văn Nam")
    await first.tap("vol:visit")
    (hh,) = [o for o in first.option_ids() if o.startswith("vol:hh:")]
    await second.tap("vol:visit")
    assert "Nguyễn Văn Nam" not in second.text
    assert not [o for o in second.option_ids() if o.startswith("vol:hh:")]
    await second.tap(hh)  # someone else's household id
    assert "Nguyễn Văn Nam" not in second.text
    await second.command("progress")
    assert "0 trên 20" in second.text and "Nguyễn Văn Nam" not in second.text
    await second.tap("vol:undo")
    assert "chưa ghi" in second.text  # their own last visit: none


async def test_households_of_another_commune_are_never_offered(dispatcher, seeded, db):
    here = await _join(dispatcher, await _unit_code(db), "v1")
    there = await _join(dispatcher, await _unit_code(db, commune=OTHER), "v2", name="Phạm Văn Đức")
    await _new_visit(here, name="Nguyễn Văn Nam", village="Thôn Đông", phone="0912000333")
    await _new_visit(there, name="Nguyễn Văn Nam", village="Thôn Đông", phone="0912000333")
    assert not [o for o in there.option_ids() if o.startswith("vol:same:")]
    assert "Đã lưu." in there.text


async def test_officers_see_only_their_communes(dispatcher, seeded, db):
    code = await _unit_code(db)
    vol = await _join(dispatcher, code, "v1")
    await _new_visit(vol, name="Nguyễn Văn Nam")
    other = await _officer(dispatcher, db, user="other-officer", commune=OTHER)
    await other.tap("vol:report")
    assert "Nguyễn Văn Nam" not in other.text and "Lê Thị Hoa" not in other.text
    await other.tap("vol:list")
    assert "Lê Thị Hoa" not in other.text
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", "v1", "vi")
    await other.tap(f"vol:off:{user.id}")
    assert "Lê Thị Hoa" not in other.text
    await other.tap(f"vol:offyes:{user.id}")
    async with db.transaction() as tx:
        v = await tx.volunteers.get(user.id)
    assert v is not None and v.active


async def test_officer_report_messages_xlsx_and_chart(dispatcher, seeded, db, clock):
    code = await _unit_code(db)
    hoa = await _join(dispatcher, code, "v1")
    duc = await _join(
        dispatcher,
        await _unit_code(db, unit="Đồn biên phòng"),
        "v2",
        name="Phạm Văn Đức",
        phone="0912345678",
    )
    await _new_visit(
        hoa,
        name="Nguyễn Văn Nam",
        village="Thôn Đông",
        ticks="1 2",
        results=("vol:r:done", "vol:r:done"),
    )
    await _new_visit(
        hoa,
        name="Trần Thị Bình",
        village="Thôn Đông",
        ticks="2",
        results=("vol:r:followup",),
        followup="mai",
    )
    await _new_visit(
        duc, name="Lê Văn Ba", village="Thôn Tây", ticks="2 6", results=("vol:r:done", "vol:r:done")
    )
    # The same village typed without diacritics counts as the same village.
    await _new_visit(
        duc, name="Pham Thi Cuc", village="thon dong", ticks="5", results=("vol:r:done",)
    )
    officer = await _officer(dispatcher, db)
    await _english(officer)
    await officer.tap("vol:report")
    text = officer.text
    assert "Volunteers: 2. Households helped: 4. Visits: 4." in text
    assert "Chi đoàn thôn Đông: 1 volunteers, 2 households" in text
    assert "Lê Thị Hoa (Chi đoàn thôn Đông): 2 of 20 households, 2 visits" in text
    assert "Thôn Đông: 3" in text and "Thôn Tây: 1" in text and "thon dong" not in text
    assert "Level-2 e-ID activated: 2 / 2" in text
    assert "SIM card in own name: 1 / 1" in text
    assert "Households still needing a follow-up: 1" in text
    assert "Trần Thị Bình (Thôn Đông) — Lê Thị Hoa" in text
    await officer.tap("vol:xlsx")
    (att,) = [a for r in officer.last for a in r.attachments]
    assert att.kind == "document" and att.filename.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(att.data))
    services = {row[0]: row[1:] for row in wb["Services"].iter_rows(min_row=2, values_only=True)}
    assert services["Level-2 e-ID activated"] == (2, 2)
    assert services["VNeID app installed"] == (1, 1)
    vols = {row[0]: row[1:4] for row in wb["Volunteers"].iter_rows(min_row=2, values_only=True)}
    assert vols["Phạm Văn Đức"] == ("Đồn biên phòng", 2, 2)
    villages = dict(wb["Villages"].iter_rows(min_row=2, values_only=True))
    assert villages == {"Thôn Đông": 3, "Thôn Tây": 1}
    (follow,) = wb["Follow-ups"].iter_rows(min_row=2, values_only=True)
    assert follow == ("Trần Thị Bình", "Thôn Đông", "Lê Thị Hoa", "21/11/2026")
    await officer.tap("vol:chart")
    (png,) = [a for r in officer.last for a in r.attachments]
    assert png.kind == "image" and png.mime_type == "image/png"
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n") and len(png.data) > 5000
    # Next month, this month's figures start again; the totals stay.
    clock.now = NOW + timedelta(days=15)
    await officer.tap("vol:report")
    assert "Level-2 e-ID activated: 0 / 2" in officer.text


async def test_phones_are_encrypted_at_rest(dispatcher, seeded, db):
    from sqlalchemy import text

    code = await _unit_code(db)
    chat = await _join(dispatcher, code, "v1", phone="0987654321")
    await _new_visit(chat, phone="0912000333")
    async with db.transaction() as tx:
        rows = (
            await tx.session.execute(text("SELECT phone_hash, phone_enc FROM households"))
        ).all()
        vols = (
            await tx.session.execute(text("SELECT phone_hash, phone_enc FROM volunteers"))
        ).all()
    for phone_hash, phone_enc in [*rows, *vols]:
        assert "0333" not in phone_enc + phone_hash and "4321" not in phone_enc + phone_hash


async def test_text_typed_at_the_door_is_never_a_formula_in_excel(dispatcher, seeded, db):
    code = await _unit_code(db)
    hoa = await _join(dispatcher, code, "v1")
    await _new_visit(
        hoa, name='=HYPERLINK("http://x.example","Bấm")', village="=Thôn Đông", followup="mai"
    )
    officer = await _officer(dispatcher, db)
    await officer.tap("vol:xlsx")
    (att,) = [a for r in officer.last for a in r.attachments]
    wb = load_workbook(io.BytesIO(att.data))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    typed = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
    assert typed and all(c.data_type == "s" for c in typed)
