"""“Your allowance has arrived”: an import that marks a payment paid, failed or
returned queues a message, in its own transaction, to everyone linked to that
person, in their language; people turn the messages off and on."""

from __future__ import annotations

from pathlib import Path

from handlers.i18n import Catalogs
from handlers.importing.service import run_import
from storage import Database
from tests.chat import Chat
from tests.conftest import PHAM, TU

HEAD = "Số CCCD;Kỳ;Số tiền;Trạng thái;Ngày chi;Ghi chú\n"
PHAM_BORN = "15/03/1940"
TU_BORN = "02/07/1945"

PAID_VI = (
    "Tin báo tiền trợ cấp: Tiền trợ cấp tháng 12/2026 của Bà Nguyễn Thị Phàm: 500.000\xa0₫, "
    "đã chuyển vào tài khoản Agribank ****6789 ngày 10/12/2026."
)
PAID_EN = (
    "News about the allowance: The allowance for 12/2026 for Ms Nguyễn Thị Phàm: ₫500,000, "
    "transferred into the Agribank account ****6789 on 10/12/2026."
)


async def _import(db: Database, tmp_path: Path, rows: str, name: str = "chi.csv"):
    path = tmp_path / name
    path.write_text(HEAD + rows, encoding="utf-8")
    catalogs = Catalogs()
    return await run_import(db, path, "payments", translator=catalogs.get("vi"), catalogs=catalogs)


async def _people(dispatcher) -> tuple[Chat, Chat, Chat]:
    """A Vietnamese relative of Bà Phàm, an English-speaking one who follows
    both people, and someone who follows nobody."""
    vi = Chat(dispatcher, user_id="vi-relative")
    await vi.link(PHAM.national_id, PHAM_BORN, who="who:child")
    en = Chat(dispatcher, user_id="en-relative")
    await en.tap("lang:en")
    await en.link(PHAM.national_id, PHAM_BORN, who="who:child")
    await en.tap("people:add")
    await en.tap("who:other")
    await en.say(TU.national_id)
    await en.say(TU_BORN)
    other = Chat(dispatcher, user_id="stranger")
    await other.command("start")
    return vi, en, other


async def _outbox(db: Database, user_id: str) -> list:
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", user_id, "vi")
        return await tx.outbox.for_user(user.id)


async def test_paid_returned_and_failed_reach_linked_people_in_their_language(
    db, seeded, dispatcher, tmp_path
):
    await _people(dispatcher)
    summary = await _import(
        db,
        tmp_path,
        f"{PHAM.national_id};12/2026;500000;đã chi;10/12/2026;\n"
        f"{TU.national_id};11/2026;1000000;hoàn trả;;người nhận vắng nhà\n",
    )
    assert summary.outcome == "applied"
    assert summary.notified == 3

    (vi_msg,) = await _outbox(db, "vi-relative")
    assert vi_msg.text == PAID_VI
    assert vi_msg.kind == "payment" and vi_msg.status == "pending"
    assert vi_msg.options == [
        (f"ben:{seeded['pham']}", "💰 Kiểm tra tiền trợ cấp"),
        ("notify:off", "🔕 Tắt tin báo tiền trợ cấp"),
    ]
    en_msgs = await _outbox(db, "en-relative")
    assert [m.text for m in en_msgs] == [
        PAID_EN,
        "News about the allowance: The allowance for 11/2026 for Mr Lê Văn Tư (₫1,000,000) was "
        "returned: người nhận vắng nhà. The money is not lost. Please contact the commune "
        "officer so it can be paid again. Commune officer: Trần Văn Bình, phone 0912 345 678.",
    ]
    assert en_msgs[0].options[1] == ("notify:off", "🔕 Turn off payment messages")
    assert await _outbox(db, "stranger") == []

    # The same list again changes nothing, so tells nobody again.
    again = await _import(db, tmp_path, f"{PHAM.national_id};12/2026;500000;đã chi;10/12/2026;\n")
    assert again.outcome == "applied" and again.notified == 0
    assert len(await _outbox(db, "vi-relative")) == 1

    # A failed transfer says why, and what to do.
    await _import(
        db, tmp_path, f"{PHAM.national_id};01/2027;500000;lỗi;;tài khoản bị khóa\n", "t1.csv"
    )
    latest = (await _outbox(db, "vi-relative"))[-1]
    assert latest.text == (
        "Tin báo tiền trợ cấp: Tiền trợ cấp tháng 01/2027 của Bà Nguyễn Thị Phàm (500.000\xa0₫) "
        "chưa chuyển được: tài khoản bị khóa. Tiền không bị mất. Xin liên hệ cán bộ xã "
        "để kiểm tra lại tài khoản. Cán bộ xã: Trần Văn Bình, điện thoại 0912 345 678."
    )


async def test_pending_rows_and_rejected_or_dry_run_imports_tell_nobody(
    db, seeded, dispatcher, tmp_path
):
    await _people(dispatcher)
    pending = await _import(db, tmp_path, f"{PHAM.national_id};12/2026;500000;chờ chi;;\n")
    assert pending.outcome == "applied" and pending.notified == 0
    # One bad row: the whole file is refused, and so are its messages.
    rejected = await _import(
        db,
        tmp_path,
        f"{PHAM.national_id};12/2026;500000;đã chi;10/12/2026;\n"
        f"{TU.national_id};12/2026;không rõ;đã chi;10/12/2026;\n",
        "bad.csv",
    )
    assert rejected.outcome == "rejected"
    path = tmp_path / "dry.csv"
    path.write_text(HEAD + f"{PHAM.national_id};12/2026;500000;đã chi;10/12/2026;\n", "utf-8")
    catalogs = Catalogs()
    dry = await run_import(
        db, path, "payments", translator=catalogs.get("vi"), catalogs=catalogs, dry_run=True
    )
    assert dry.outcome == "dry_run"
    assert await _outbox(db, "vi-relative") == []
    assert await _outbox(db, "en-relative") == []


async def test_people_turn_payment_messages_off_and_on_in_vietnamese(
    db, seeded, dispatcher, tmp_path
):
    vi, en, _ = await _people(dispatcher)
    await vi.tap("menu:people")
    assert "Tin báo khi tiền trợ cấp được chi: đang bật." in vi.text
    assert ("notify:off", "🔕 Tắt tin báo tiền trợ cấp") in vi.options
    await vi.say("tat tin bao tien tro cap")  # the button's words, no diacritics
    assert vi.text.startswith("Đã tắt. Tôi sẽ không nhắn tin báo tiền trợ cấp nữa.")
    await vi.tap("menu:people")
    assert "Tin báo khi tiền trợ cấp được chi: đang tắt." in vi.text
    assert ("notify:on", "🔔 Bật tin báo tiền trợ cấp") in vi.options

    await _import(db, tmp_path, f"{PHAM.national_id};12/2026;500000;đã chi;10/12/2026;\n")
    assert await _outbox(db, "vi-relative") == []  # turned off: nothing
    assert [m.text for m in await _outbox(db, "en-relative")] == [PAID_EN]

    # /notify shows the state and offers the switch; "bat" (bật) turns it on.
    await vi.command("notify")
    assert vi.text.startswith("Tin báo tiền trợ cấp đang tắt.")
    assert vi.option_ids()[0] == "notify:on"
    await vi.say("bogus")
    assert vi.text.startswith("Xin Ông/Bà bấm một nút bên dưới, hoặc gõ “bật” hay “tắt”.")
    await vi.say("bat")
    assert vi.text.startswith("Đã bật. Tôi sẽ nhắn Ông/Bà khi tiền trợ cấp được chi")
    await _import(db, tmp_path, f"{PHAM.national_id};01/2027;500000;đã chi;10/01/2027;\n", "t1.csv")
    assert len(await _outbox(db, "vi-relative")) == 1


async def test_people_turn_payment_messages_off_and_on_in_english(db, seeded, dispatcher):
    _, en, _ = await _people(dispatcher)
    await en.command("notify", "off")
    assert en.text.startswith("Done. I will not send you payment messages any more.")
    await en.command("notify")
    assert en.text.startswith("Payment messages are off.")
    await en.say("1")  # the first option: turn them on
    assert en.text.startswith("Done. I will send you a message when a payment is made")
    await en.tap("menu:people")
    assert "Messages when an allowance is paid: on." in en.text
    # "back" and "menu" work in the setting's step.
    await en.command("notify")
    await en.say("back")
    assert en.text == "What would you like to do? Tap a button below."
    # An old "turn off" button from a message still works later.
    await en.tap("notify:off")
    assert en.text.startswith("Done. I will not send you payment messages any more.")


async def test_yes_and_no_answer_the_question_asked(db, seeded, dispatcher):
    vi, en, _ = await _people(dispatcher)
    await vi.command("notify")  # "Đang bật… Ông/Bà có muốn tắt không?"
    await vi.say("khong")  # no: leave it on
    assert vi.text.startswith("Đã bật.")
    await vi.command("notify")
    await vi.say("có")  # yes: turn it off, as asked
    assert vi.text.startswith("Đã tắt.")
    await vi.command("notify")  # now "off … turn them on?"
    await vi.say("co")
    assert vi.text.startswith("Đã bật.")
    await en.command("notify")
    await en.say("no")
    assert en.text.startswith("Done. I will send you a message")
