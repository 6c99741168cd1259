"""The citizen's conversation, driven through the dispatcher."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from handlers.citizen import route
from handlers.core import Dispatcher
from storage.records import NewBeneficiary, Payment
from tests.chat import Chat
from tests.conftest import NOW, PHAM, TU

PAID_VI = (
    "Tiền trợ cấp tháng 11/2026 của Bà Nguyễn Thị Phàm: 500.000\xa0₫, "
    "đã chuyển vào tài khoản Agribank ****6789 ngày 10/11/2026."
)


async def test_start_greets_in_vietnamese_with_big_menu(dispatcher, seeded):
    chat = Chat(dispatcher)
    replies = await chat.command("start")
    assert "Xin chào" in replies[0].text
    menu = replies[-1]
    assert menu.keyboard == "menu"
    labels = [o.label for o in menu.options]
    assert "💰 Kiểm tra tiền trợ cấp" in labels
    assert "🏦 Đăng ký tài khoản ngân hàng" in labels
    assert "❓ Hỏi đáp" in labels
    assert "☎️ Liên hệ cán bộ xã" in labels
    assert any("Ngôn ngữ" in label for label in labels)


async def test_link_then_status_in_one_flow(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.tap("menu:status")
    assert "hỏi cho ai" in chat.text
    await chat.tap("who:self")
    assert "12 số" in chat.text
    await chat.say("0011 4000 1234")  # spaces are fine
    assert "ngày sinh" in chat.text
    await chat.say("15/3/1940")
    assert "Đã xác minh: Bà Nguyễn Thị Phàm" in chat.text
    assert PAID_VI in chat.text
    # From now on one tap answers.
    await chat.tap("menu:status")
    assert chat.text == PAID_VI


async def test_free_text_with_and_without_diacritics_and_typos(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "15/03/1940")
    for text in [
        "tien thang nay ve chua",
        "Tiền trợ cấp về chưa",
        "kiem tra tien",
        "TIEN THANG NAY VE CHUA???",
        "tienn thangg nay ve chua",
        "Kiểm tra tiền trợ cấp",  # the menu label typed or sent by a keyboard
        "1",
        "số 1",
    ]:
        await chat.say(text)
        assert chat.text == PAID_VI, text


async def test_id_with_wrong_length_is_explained_and_changes_nothing(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.tap("menu:status")
    await chat.tap("who:self")
    await chat.say("00114000123")
    assert "đúng 12 chữ số" in chat.text and "11 chữ số" in chat.text
    # Still waiting for the ID: the right one now works.
    await chat.say(PHAM.national_id)
    assert "ngày sinh" in chat.text


async def test_id_with_impossible_province_code(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.tap("menu:status")
    await chat.tap("who:self")
    await chat.say("003140001234")
    assert "003 không phải là mã tỉnh" in chat.text


async def test_id_and_birth_year_disagree(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.tap("menu:status")
    await chat.tap("who:self")
    await chat.say(PHAM.national_id)
    await chat.say("15/03/1941")
    assert "sinh năm 1940" in chat.text and "năm 1941" in chat.text
    await chat.say("31/02/1940")
    assert "Ngày này không có trên lịch" in chat.text
    await chat.say("hôm qua")
    assert "chưa đọc được ngày" in chat.text
    await chat.say("15/03/2099")
    assert "Ngày này chưa tới" in chat.text


async def test_unknown_id_and_wrong_date_get_the_same_answer(dispatcher, seeded):
    wrong_date = Chat(dispatcher, "a")
    await wrong_date.link(PHAM.national_id, "16/03/1940")
    unknown = Chat(dispatcher, "b")
    await unknown.link("001140009999", "16/03/1940")
    assert wrong_date.text == unknown.text
    assert "chưa khớp" in unknown.text


async def test_five_failures_pause_checks_for_a_day(dispatcher, seeded, clock):
    chat = Chat(dispatcher)
    await chat.tap("menu:status")
    await chat.tap("who:self")
    for i in range(5):
        await chat.say(PHAM.national_id)
        await chat.say(f"{i + 1:02d}/01/1940")
    assert "tạm dừng" in chat.text
    # Even the right details are refused now, whatever is typed.
    await chat.tap("menu:status")
    assert "tạm dừng" in chat.text and "ngày 21/11/2026" in chat.text
    for text in (PHAM.national_id, "15/03/1940"):
        await chat.say(text)
        assert "tạm dừng" in chat.text
    assert "Đã xác minh" not in chat.text
    clock.now += timedelta(hours=24, minutes=1)
    await chat.link(PHAM.national_id, "15/03/1940")
    assert "Đã xác minh: Bà Nguyễn Thị Phàm" in chat.text


async def test_ten_failures_against_one_id_lock_it_for_everyone(dispatcher, seeded):
    for n in range(5):
        attacker = Chat(dispatcher, f"attacker{n}")
        await attacker.link(PHAM.national_id, "01/01/1940")
        await attacker.say(PHAM.national_id)
        await attacker.say("02/01/1940")
    owner = Chat(dispatcher, "owner")
    await owner.tap("menu:status")
    await owner.tap("who:self")
    await owner.say(PHAM.national_id)
    assert "tạm dừng" in owner.text
    # Another ID is not affected.
    await owner.link(TU.national_id, "02/07/1945")
    assert "Đã xác minh: Ông Lê Văn Tư" in owner.text


async def test_relative_links_two_people_and_picks_one(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "15/03/1940", who="who:child")
    await chat.tap("people:add")
    await chat.tap("who:child")
    await chat.say(TU.national_id)
    await chat.say("02/07/1945")
    assert "Đã xác minh: Ông Lê Văn Tư" in chat.text
    await chat.tap("menu:status")
    assert "của ai" in chat.text
    labels = [label for _id, label in chat.options]
    assert "Bà Nguyễn Thị Phàm" in labels and "Ông Lê Văn Tư" in labels
    await chat.say("2")
    assert (
        "Tiền trợ cấp tháng 11/2026 của Ông Lê Văn Tư (1.000.000\xa0₫) chưa được chi trả"
        in chat.text
    )
    assert "tại bưu điện đến ngày 25" in chat.text
    assert "Trần Văn Bình, điện thoại 0912 345 678" in chat.text


async def test_failed_and_returned_payments_say_why_and_what_to_do(dispatcher, seeded, clock):
    clock.now = clock.now.replace(month=9)
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "15/03/1940")
    assert "chưa chuyển được: tài khoản bị khóa" in chat.text
    assert "Tiền không bị mất" in chat.text
    clock.now = clock.now.replace(month=10)
    other = Chat(dispatcher, "u2")
    await other.link(TU.national_id, "2-7-1945")
    assert "đã bị hoàn trả: người nhận vắng nhà" in other.text


async def test_no_list_yet_for_this_month(dispatcher, seeded, clock):
    clock.now = clock.now.replace(month=12)
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "15031940")
    assert "Danh sách chi trả tháng 12/2026 của Bà Nguyễn Thị Phàm chưa được cập nhật" in chat.text


async def test_last_six_months(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "15/03/1940")
    hist = next(oid for oid in chat.option_ids() if oid.startswith("hist:"))
    await chat.tap(hist)
    lines = chat.text.splitlines()
    assert lines[0] == "Tiền trợ cấp của Bà Nguyễn Thị Phàm, 6 tháng gần đây:"
    assert lines[1] == "• Tháng 11/2026: 500.000\xa0₫ — đã chi trả ngày 10/11/2026"
    assert lines[3] == "• Tháng 09/2026: 500.000\xa0₫ — chuyển khoản lỗi"
    assert len(lines) == 5


async def test_language_switch_to_english_and_back(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "15/03/1940")
    await chat.say("ngon ngu")
    await chat.say("English")
    assert chat.text.startswith("From now on I will write in English.")
    assert "💰 Check my allowance" in [label for _i, label in chat.options]
    await chat.tap("menu:status")
    assert chat.text == (
        "The allowance for 11/2026 for Ms Nguyễn Thị Phàm: ₫500,000, "
        "transferred into the Agribank account ****6789 on 10/11/2026."
    )
    # The Vietnamese words still work for someone who switched.
    await chat.say("tien ve chua")
    assert chat.text.startswith("The allowance for 11/2026")
    await chat.command("language")
    await chat.say("1")
    assert chat.text.startswith("Từ nay tôi sẽ viết bằng tiếng Việt.")


async def test_cancel_and_back_work_in_the_middle(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.tap("menu:status")
    await chat.tap("who:self")
    await chat.say(PHAM.national_id)
    await chat.say("quay lai")
    assert "số CCCD" in chat.text
    await chat.say("huỷ")
    assert "Đã hủy" in chat.text
    await chat.say("15/03/1940")  # no longer in the form: not taken as a date
    assert "Đã xác minh" not in chat.text


async def test_restart_in_the_middle_continues(db, catalogs, clock, seeded):
    first = Dispatcher(db, catalogs, route, clock=clock)
    chat = Chat(first)
    await chat.tap("menu:status")
    await chat.tap("who:child")
    await chat.say(PHAM.national_id)
    # A new process (new dispatcher) picks up where the old one stopped.
    second = Dispatcher(db, catalogs, route, clock=clock)
    chat.dispatcher = second
    await chat.say("15/03/1940")
    assert "Đã xác minh: Bà Nguyễn Thị Phàm" in chat.text


async def test_forget_me_removes_links(dispatcher, seeded, db):
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "15/03/1940")
    await chat.tap("menu:people")
    assert "Bà Nguyễn Thị Phàm" in chat.text
    await chat.tap("people:forget")
    await chat.say("có, xóa")
    assert "đã được xóa" in chat.text
    async with db.transaction() as tx:
        user, created = await tx.users.get_or_create("web", "u1", "vi")
        assert created  # the old identity is gone
        assert await tx.links.for_user(user.id) == []
    await chat.tap("menu:status")
    assert "hỏi cho ai" in chat.text


async def test_someone_elses_beneficiary_is_never_shown(dispatcher, seeded):
    chat = Chat(dispatcher, "nosy")
    await chat.link(TU.national_id, "02/07/1945")
    await chat.tap(f"ben:{seeded['pham']}")
    await chat.tap(f"hist:{seeded['pham']}")
    assert "Phàm" not in chat.text


async def test_share_contact_links_by_phone_on_file(dispatcher, seeded):
    relative = Chat(dispatcher, "rel", channel="telegram")
    await relative.share_contact("84987000222")
    assert "Đã xác minh qua số điện thoại: Bà Nguyễn Thị Phàm" in relative.text
    assert PAID_VI in relative.text
    stranger = Chat(dispatcher, "x", channel="telegram")
    await stranger.share_contact("+84 90 111 2233")
    assert "chưa có trong danh sách" in stranger.text


async def test_unknown_text_never_dead_ends(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.say("asdfgh qwerty")
    assert "chưa hiểu" in chat.text
    assert chat.last[-1].options and chat.last[-1].keyboard == "menu"


async def test_bank_faq_and_contact(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.say("nhan tien qua ngan hang")
    assert "VNeID" in chat.text and "Tài khoản hưởng an sinh xã hội" in chat.text
    await chat.tap("menu:faq")
    await chat.say("2")
    assert "500.000 ₫ mỗi tháng" in chat.text
    await chat.tap("menu:contact")
    assert "Ủy ban nhân dân xã, phường" in chat.text
    await chat.link(PHAM.national_id, "15/03/1940")
    await chat.say("lien he can bo")
    assert "Xã Hòa An: Trần Văn Bình, điện thoại 0912 345 678." in chat.text


async def test_audit_log_records_lookups_without_personal_numbers(dispatcher, seeded, db):
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "16/03/1940")
    await chat.say(PHAM.national_id)
    await chat.say("15/03/1940")
    async with db.transaction() as tx:
        entries = await tx.audit.recent()
    actions = [e.action for e in reversed(entries)]
    assert actions == ["link_failed", "link", "status"]
    for e in entries:
        assert PHAM.national_id not in str(e.detail)
        assert "1940" not in str(e.detail)


async def test_pictures_and_empty_messages_keep_the_form(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.tap("menu:status")
    await chat.tap("who:self")
    await chat.say("")  # a photo or sticker arrives as no text
    assert "không đọc được ảnh" in chat.text and "số CCCD" in chat.text
    await chat.say(PHAM.national_id)
    await chat.say("   ")
    assert "không đọc được ảnh" in chat.text and "ngày sinh" in chat.text
    await chat.say("15/03/1940")
    assert "Đã xác minh" in chat.text


async def test_numbers_are_data_while_an_id_is_expected(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.tap("menu:status")
    await chat.tap("who:self")
    await chat.say("1")  # not the first button (Back): a too-short ID
    assert "tôi đếm được 1 chữ số" in chat.text
    await chat.say("abc")
    assert "chỉ gồm chữ số" in chat.text
    await chat.say("062¹82583594")  # a superscript one is not a digit
    assert "11 chữ số" in chat.text
    await chat.say("001540001234")
    assert "Số thứ 4 của số CCCD" in chat.text


async def test_whom_typed_in_words(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.tap("menu:status")
    await chat.say("cho mẹ tôi")
    assert "người Ông/Bà hỏi giúp" in chat.text
    other = Chat(dispatcher, "u2")
    await other.tap("menu:status")
    await other.say("xyz")
    assert "Xin bấm một nút" in other.text and "hỏi cho ai" in other.text


async def test_id_and_date_in_one_message_and_dates_in_words(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.tap("menu:status")
    await chat.tap("who:self")
    await chat.say(f"{PHAM.national_id} 15/3/1940")
    assert "Đã xác minh: Bà Nguyễn Thị Phàm" in chat.text
    other = Chat(dispatcher, "u2")
    await other.tap("menu:status")
    await other.tap("who:spouse")
    await other.say(TU.national_id)
    await other.say("ngày 2 tháng 7 năm 45")  # two-digit year: the century comes from the ID
    assert "Đã xác minh: Ông Lê Văn Tư" in other.text


async def test_stray_and_forged_buttons_do_nothing_harmful(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "15/03/1940")
    await chat.tap("forget:yes")  # an old confirmation button, tapped from the menu
    await chat.tap("menu:status")
    assert "Bà Nguyễn Thị Phàm" in chat.text  # still linked
    await chat.tap("ben:99999999999999999999999")
    assert "trục trặc" not in chat.text
    await chat.tap("hist:-1")
    assert "trục trặc" not in chat.text


async def test_a_child_is_not_called_ong_or_ba(db, dispatcher, seeded):
    async with db.transaction() as tx:
        await tx.beneficiaries.add(
            NewBeneficiary(
                national_id="001316001234",
                full_name="Nguyễn Ngọc Cúc",
                date_of_birth=date(2016, 9, 22),
                commune_code="99001",
                category="orphan",
            )
        )
    chat = Chat(dispatcher)
    await chat.link("001316001234", "22/09/2016", who="who:carer")
    assert "Đã xác minh: Cháu Nguyễn Ngọc Cúc" in chat.text


async def test_a_late_payment_is_called_late(dispatcher, seeded, db):
    async with db.transaction() as tx:
        await tx.payments.upsert(
            Payment(
                seeded["pham"],
                "2026-11",
                500_000,
                "pending",
                None,
                "bank",
                "Agribank",
                "6789",
                None,
            )
        )
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "15/03/1940")  # the clock says 20 November
    assert "muộn hơn thường lệ (khoảng ngày 10 hằng tháng)" in chat.text


async def test_this_month_is_the_month_in_vietnam(dispatcher, seeded, clock):
    # 30 November 17:30 UTC is already 1 December in Vietnam (UTC+7).
    clock.now = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    chat = Chat(dispatcher)
    await chat.link(PHAM.national_id, "15/03/1940")
    assert "Danh sách chi trả tháng 12/2026" in chat.text
    clock.now = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 23:30 in Vietnam
    await chat.tap("menu:status")
    assert "Tiền trợ cấp tháng 11/2026" in chat.text


async def test_one_network_address_cannot_guess_with_fresh_cookies(dispatcher, seeded):
    for n in range(4):
        guesser = Chat(dispatcher, f"cookie{n}", origin="ip:198.51.100.7")
        await guesser.tap("menu:status")
        await guesser.tap("who:self")
        for day in range(1, 6):
            await guesser.say(TU.national_id if n % 2 else PHAM.national_id)
            await guesser.say(f"{day:02d}/01/{1945 if n % 2 else 1940}")
    fresh = Chat(dispatcher, "cookie-new", origin="ip:198.51.100.7")
    await fresh.tap("menu:status")
    assert "tạm dừng" in fresh.text
    elsewhere = Chat(dispatcher, "cookie-other", origin="ip:203.0.113.9")
    await elsewhere.tap("menu:status")
    assert "hỏi cho ai" in elsewhere.text


async def test_parallel_guesses_cannot_pass_the_per_id_limit(dispatcher, seeded, db):
    chats = [Chat(dispatcher, f"racer{n}") for n in range(25)]
    for chat in chats:
        await chat.tap("menu:status")
        await chat.tap("who:self")
        await chat.say(PHAM.national_id)
    await asyncio.gather(*(chat.say(f"{n % 28 + 1:02d}/02/1940") for n, chat in enumerate(chats)))
    async with db.transaction() as tx:
        failures = await tx.attempts.failures_since(
            NOW - timedelta(days=1), national_id_hash=db.vault.lookup_hash(PHAM.national_id)
        )
    assert len(failures) == 10  # the limit, however many arrive at once


async def test_an_id_typed_first_is_not_asked_for_again(dispatcher, seeded):
    chat = Chat(dispatcher, "first-id")
    await chat.say("001140001234")
    assert "who:self" in chat.option_ids()  # whom it is for, first
    await chat.tap("who:self")
    assert "ngày sinh" in chat.text  # the ID is taken; the date of birth is next
    await chat.say("15/03/1940")
    assert "Tiền trợ cấp tháng 11/2026 của Bà Nguyễn Thị Phàm" in chat.text
    both = Chat(dispatcher, "first-both")
    await both.say("001140001234 15/3/1940")
    await both.say("cho toi")  # whom, typed
    assert "Tiền trợ cấp tháng 11/2026 của Bà Nguyễn Thị Phàm" in both.text
