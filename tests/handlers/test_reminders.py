"""Reminders tied to dates and officers' weekly digests: each fires once per
person and event, also across restarts, and a reminder missed while the bot
was down goes out late, once, within the catch-up window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from bot.scheduler import Job, Scheduler
from handlers.digest import DigestRules, queue_officer_digests
from handlers.reminders import (
    ReminderRules,
    purge_auth_attempts,
    queue_health_insurance_reminders,
    queue_payment_reminders,
)
from storage.models import AuthAttemptRow, BeneficiaryRow, OutboxRow, PaymentRow, UserRow
from storage.records import Payment
from tests.chat import Chat
from tests.conftest import NOW
from tests.handlers.test_officer import _invite


def vn(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    """A Vietnam wall-clock time as UTC."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC) - timedelta(hours=7)


async def _link_people(db, ids) -> None:
    """Phàm: linked by herself (vi) and her son (en). Tư: by himself (vi)."""
    async with db.transaction() as tx:
        pham, _ = await tx.users.get_or_create("web", "pham", "vi")
        son, _ = await tx.users.get_or_create("web", "son", "en")
        tu, _ = await tx.users.get_or_create("web", "tu", "vi")
        await tx.links.add(pham.id, ids["pham"], "self", "id_dob")
        await tx.links.add(son.id, ids["pham"], "child", "id_dob")
        await tx.links.add(tu.id, ids["tu"], "self", "id_dob")


async def _messages(db, kind: str) -> dict[str, list[str]]:
    """Texts of the outbox rows of ``kind`` by the recipient's identity."""
    async with db.transaction() as tx:
        rows = (
            await tx.session.execute(
                select(UserRow.external_id, OutboxRow.text)
                .join(OutboxRow, OutboxRow.user_id == UserRow.id)
                .where(OutboxRow.kind == kind)
                .order_by(OutboxRow.id)
            )
        ).all()
    out: dict[str, list[str]] = {}
    for ext, text in rows:
        out.setdefault(ext, []).append(text)
    return out


async def _run(db, catalogs, job, now, **kw) -> int:
    async with db.transaction() as tx:
        return await job(tx, catalogs, now, **kw)


async def test_payment_day_reminder_goes_once_to_the_unpaid(db, seeded, catalogs):
    await _link_people(db, seeded)
    # Payment day is the 10th; reminders 2 days before at 8:00.
    assert await _run(db, catalogs, queue_payment_reminders, NOW) == 0  # Nov's day has passed
    assert await _run(db, catalogs, queue_payment_reminders, vn(2026, 12, 8, 7, 59)) == 0
    async with db.transaction() as tx:  # Phàm's December is already paid
        await tx.payments.upsert(
            Payment(
                seeded["pham"],
                "2026-12",
                500_000,
                "paid",
                date(2026, 12, 1),
                "bank",
                None,
                None,
                None,
            )
        )
    at = vn(2026, 12, 8, 8, 5)
    assert await _run(db, catalogs, queue_payment_reminders, at) == 1
    assert await _run(db, catalogs, queue_payment_reminders, at + timedelta(hours=1)) == 0
    sent = await _messages(db, "reminder_payday")
    assert list(sent) == ["tu"]
    assert sent["tu"] == [
        "Nhắc nhở từ Xã Hòa An: tiền trợ cấp tháng 12/2026 của Ông Lê Văn Tư (1.000.000\xa0₫) "
        "được bưu điện chi tại điểm chi trả của xã từ khoảng ngày 10/12/2026. "
        "Xin mang theo thẻ căn cước."
    ]


async def test_payment_reminder_in_each_language(db, seeded, catalogs):
    await _link_people(db, seeded)
    assert await _run(db, catalogs, queue_payment_reminders, vn(2026, 12, 8, 9)) == 3
    sent = await _messages(db, "reminder_payday")
    assert sent["pham"][0].startswith(
        "Nhắc nhở từ Xã Hòa An: tiền trợ cấp tháng 12/2026 của Bà Nguyễn Thị Phàm (500.000\xa0₫) "
        "thường được chi vào khoảng ngày 10/12/2026."
    )
    assert sent["son"][0].startswith(
        "Reminder from Xã Hòa An: the allowance for 12/2026 for Ms Nguyễn Thị Phàm (₫500,000) "
        "is usually paid around 10/12/2026."
    )


async def test_a_reminder_missed_while_down_is_sent_late_once_within_the_window(
    db, seeded, catalogs, clock
):
    await _link_people(db, seeded)
    rules = ReminderRules(catchup=timedelta(days=3))

    def scheduler() -> Scheduler:  # a fresh process each time
        async def job(tx, cats, now):  # type: ignore[no-untyped-def]
            return await queue_payment_reminders(tx, cats, now, rules)

        return Scheduler(db, catalogs, [Job("payday", job)], clock=clock)

    clock.now = vn(2026, 12, 7, 12)
    first = scheduler()
    assert await first.step() == {"payday": 0}
    await first.stop()
    # Down from the 7th to the evening of the 9th: the 8th's reminder is 36 h late.
    clock.now = vn(2026, 12, 9, 20)
    second = scheduler()
    assert await second.step() == {"payday": 3}
    assert await second.step() == {"payday": 0}
    await second.stop()
    third = scheduler()  # restarted again
    assert await third.step() == {"payday": 0}
    await third.stop()
    assert sum(len(v) for v in (await _messages(db, "reminder_payday")).values()) == 3


async def test_a_reminder_older_than_the_window_or_its_day_is_not_sent(db, seeded, catalogs):
    await _link_people(db, seeded)
    short = ReminderRules(catchup=timedelta(days=1))
    assert await _run(db, catalogs, queue_payment_reminders, vn(2026, 12, 9, 9), rules=short) == 0
    # Within the window but after the payment day itself: too late to remind.
    late_day = ReminderRules(payment_days_before=1, catchup=timedelta(days=5))
    assert (
        await _run(db, catalogs, queue_payment_reminders, vn(2026, 12, 11, 9), rules=late_day) == 0
    )
    assert await _messages(db, "reminder_payday") == {}


async def _expires(db, beneficiary_id: int, day: date) -> None:
    async with db.transaction() as tx:
        await tx.session.execute(
            update(BeneficiaryRow)
            .where(BeneficiaryRow.id == beneficiary_id)
            .values(health_insurance_expiry=day)
        )


async def test_health_insurance_reminders_30_and_7_days_before(db, seeded, catalogs):
    await _link_people(db, seeded)
    await _expires(db, seeded["pham"], date(2026, 12, 20))
    job = queue_health_insurance_reminders
    assert await _run(db, catalogs, job, vn(2026, 11, 20, 7)) == 0  # before 8:00
    assert await _run(db, catalogs, job, NOW) == 2  # 10:00 on 20/11: 30 days before
    assert await _run(db, catalogs, job, NOW + timedelta(hours=2)) == 0
    assert await _run(db, catalogs, job, vn(2026, 12, 13, 8, 30)) == 2  # 7 days before
    assert await _run(db, catalogs, job, vn(2026, 12, 14, 8, 30)) == 0
    sent = await _messages(db, "reminder_insurance")
    assert sent["pham"] == [
        "Nhắc nhở: thẻ bảo hiểm y tế (BHYT) của Bà Nguyễn Thị Phàm hết hạn ngày 20/12/2026, còn "
        "30 ngày. Xin gia hạn thẻ kịp thời, tại UBND xã hoặc trên ứng dụng VssID, để đi khám "
        "bệnh vẫn được bảo hiểm chi trả.",
        "Nhắc nhở: thẻ bảo hiểm y tế (BHYT) của Bà Nguyễn Thị Phàm hết hạn ngày 20/12/2026, còn "
        "7 ngày. Xin gia hạn thẻ kịp thời, tại UBND xã hoặc trên ứng dụng VssID, để đi khám "
        "bệnh vẫn được bảo hiểm chi trả.",
    ]
    assert sent["son"][1].startswith(
        "Reminder: the health-insurance card of Ms Nguyễn Thị Phàm expires on 20/12/2026, in 7 days."
    )
    assert "tu" not in sent
    # A renewed card is a new event: its reminders come again, once.
    await _expires(db, seeded["pham"], date(2027, 12, 20))
    assert await _run(db, catalogs, job, vn(2027, 11, 20, 9)) == 2
    assert await _run(db, catalogs, job, vn(2027, 11, 20, 10)) == 0


async def test_insurance_downtime_sends_the_due_reminder_late_once(db, seeded, catalogs):
    await _link_people(db, seeded)
    await _expires(db, seeded["pham"], date(2026, 12, 20))
    job = queue_health_insurance_reminders
    # Down from before the 30-day moment until a day after the 7-day one: the
    # 30-day reminder is weeks old (dropped), the 7-day one goes out, once.
    assert await _run(db, catalogs, job, vn(2026, 11, 19, 9)) == 0
    assert await _run(db, catalogs, job, vn(2026, 12, 14, 9)) == 2
    assert await _run(db, catalogs, job, vn(2026, 12, 14, 10)) == 0
    sent = await _messages(db, "reminder_insurance")
    assert [len(v) for v in sent.values()] == [1, 1]
    assert "còn 6 ngày" in sent["pham"][0]


async def test_old_auth_attempts_are_purged(db, seeded, catalogs):
    async with db.transaction() as tx:
        for at in (NOW - timedelta(days=3), NOW - timedelta(hours=47), NOW - timedelta(hours=1)):
            await tx.attempts.record("actor", "idhash", False, at)
    window = timedelta(hours=24)
    assert await _run(db, catalogs, purge_auth_attempts, NOW, window=window) == 1
    async with db.transaction() as tx:
        left = (await tx.session.execute(select(AuthAttemptRow.at))).scalars().all()
    assert len(left) == 2


async def test_weekly_digest_once_per_officer_per_week(dispatcher, db, seeded, catalogs):
    code = await _invite(db)
    officer = Chat(dispatcher, "officer")
    await officer.say(code)
    english = Chat(dispatcher, "officer-en")
    await english.say(await _invite(db, name="Lê Thị Hoa"))
    await english.tap("lang:en")
    async with db.transaction() as tx:
        await tx.session.execute(
            update(PaymentRow)
            .where(PaymentRow.beneficiary_id == seeded["tu"], PaymentRow.period == "2026-11")
            .values(status="failed", note="sai số tài khoản")
        )
    await _expires(db, seeded["pham"], date(2026, 12, 1))
    # A bank account waiting for review, and a volunteer's visits this week.
    from storage.records import NewBankRequest

    async with db.transaction() as tx:
        requester, _ = await tx.users.get_or_create("web", "pham-daughter", "vi")
        await tx.bank_requests.submit(
            NewBankRequest(
                seeded["tu"], requester.id, "970405", "Agribank", "1234567890",
                "Lê Văn Tư", True, None,
            ),
            NOW,
        )  # fmt: skip
        volunteer, _ = await tx.users.get_or_create("web", "volunteer", "vi")
        for head, when in (("Nguyễn Văn Nam", 1), ("Trần Thị Lan", 2), ("Lê Văn Ba", 20)):
            household = await tx.volunteers.add_household(
                commune_code="99001", volunteer_id=volunteer.id, head_name=head,
                village="Thôn Đông", phone=None, members=3, location=None,
                now=vn(2026, 11, 23, 7, 30) - timedelta(days=when),
            )  # fmt: skip
            await tx.volunteers.add_visit(
                household_id=household, volunteer_id=volunteer.id,
                services={"vneid": "done"}, note=None, followup_on=None, new_household=True,
                now=vn(2026, 11, 23, 7, 30) - timedelta(days=when),
            )  # fmt: skip
    rules = DigestRules(weekday=1, hour=7)
    # Friday 20/11: this week's digest (Monday 16th) is 4 days late: too old.
    assert await _run(db, catalogs, queue_officer_digests, NOW, rules=rules) == 0
    monday = vn(2026, 11, 23, 7, 30)
    assert await _run(db, catalogs, queue_officer_digests, monday, rules=rules) == 2
    assert (
        await _run(db, catalogs, queue_officer_digests, monday + timedelta(hours=5), rules=rules)
        == 0
    )
    sent = await _messages(db, "digest")
    assert sent["officer"] == [
        "Tóm tắt hằng tuần của Xã Hòa An, ngày 23/11/2026:\n\n"
        "Khoản chi lỗi hoặc bị hoàn trả tháng 11/2026: 1.\n"
        "• Lê Văn Tư: chuyển tiền lỗi — sai số tài khoản\n\n"
        "Đăng ký tài khoản ngân hàng đang chờ duyệt: 1. Gõ /requests để xem.\n\n"
        "Thẻ BHYT hết hạn trong 30 ngày tới: 1.\n"
        "• Nguyễn Thị Phàm: 01/12/2026\n\n"
        # The visit 20 days ago is not this week's.
        "Tình nguyện viên “1+20” trong 7 ngày qua: 2 lần thăm 2 hộ, do 1 tình nguyện viên thực hiện."
    ]
    assert sent["officer-en"][0].startswith(
        "Weekly summary for Xã Hòa An, 23/11/2026:\n\nFailed or returned payments in 11/2026: 1."
    )

    # The next week brings the next digest; a section another capability adds shows up.
    async def extra(tx, commune, now):  # type: ignore[no-untyped-def]
        return lambda t: f"extra for {commune.name}"

    from handlers.digest import SECTIONS

    next_monday = monday + timedelta(days=7)
    assert (
        await _run(
            db,
            catalogs,
            queue_officer_digests,
            next_monday,
            rules=rules,
            sections=[*SECTIONS, extra],
        )
        == 2
    )
    sent = await _messages(db, "digest")
    assert sent["officer"][1].endswith("\n\nextra for Xã Hòa An")
    assert "Tháng 11/2026 không có khoản chi nào" not in sent["officer"][1]
