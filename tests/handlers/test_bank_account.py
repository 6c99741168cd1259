"""Registering the allowance's bank account in the chat, and the officer's review:
the whole flow through the dispatcher (web channel), in Vietnamese and English,
typed without diacritics, with the unhappy paths."""

from __future__ import annotations

from sqlalchemy import select, text

from handlers.citizen import route
from handlers.core import Dispatcher
from storage.models import BankRequestRow, BeneficiaryRow
from storage.records import Commune
from tests.chat import Chat
from tests.conftest import COMMUNE
from tests.handlers.test_officer import _invite

OTHER = Commune("99002", "Phường Hải Vân", "48", "Đà Nẵng", 5, None, None)
ACCOUNT = "0123.4567.8901"


async def _officer(dispatcher, db, user_id="officer", commune=COMMUNE, lang=None) -> Chat:
    code = await _invite(db, commune=commune)
    chat = Chat(dispatcher, user_id)
    await chat.say(code)
    assert "cán bộ" in chat.text
    if lang == "en":
        await chat.tap("lang:en")
    return chat


async def _linked(dispatcher, user_id="citizen", lang=None) -> Chat:
    chat = Chat(dispatcher, user_id)
    if lang == "en":
        await chat.tap("lang:en")
    await chat.link("001140001234", "15/03/1940")
    return chat


async def _fill(chat: Chat, holder: str = "nguyen thi pham", bank: str = "vietcom") -> None:
    """From the bank menu to the summary, typing everything."""
    await chat.say("dang ky tai khoan")
    await chat.say("2")  # register here
    await chat.say(bank)
    await chat.say(ACCOUNT)
    await chat.say("1")  # the number is right
    await chat.say(holder)


async def _outbox(db, user_id: str):
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", user_id, "vi")
        return await tx.outbox.for_user(user.id)


async def _requests(db) -> list[BankRequestRow]:
    async with db.transaction() as tx:
        return list((await tx.session.execute(select(BankRequestRow))).scalars())


async def test_the_bank_menu_explains_both_ways(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.say("nhan tien qua ngan hang")
    assert "Có hai cách" in chat.text and "Tài khoản hưởng an sinh xã hội" in chat.text
    assert chat.option_ids()[:2] == ["bank:vneid", "bank:here"]
    await chat.say("tren ung dung vneid")
    assert "Tiện ích" in chat.text and "định danh điện tử mức 2" in chat.text
    assert "bank:here" in chat.option_ids()


async def test_someone_not_linked_is_asked_whom_first(dispatcher, seeded):
    chat = Chat(dispatcher)
    await chat.tap("menu:bank")
    await chat.tap("bank:here")
    assert "Trước hết" in chat.text and "hỏi cho ai" in chat.text


async def test_register_approve_and_the_account_is_used_from_next_month(dispatcher, db, seeded):
    officer = await _officer(dispatcher, db)
    citizen = await _linked(dispatcher)
    await citizen.say("dang ky tai khoan")
    await citizen.say("dang ky tai day")
    assert "ngân hàng hoặc ví điện tử nào" in citizen.text
    assert "bank:bin:999888" in citizen.option_ids()  # the Bank for Social Policies
    await citizen.say("ngan hang xyz")
    assert "chưa tìm thấy ngân hàng nào tên “ngan hang xyz”" in citizen.text
    assert "Agribank" in citizen.text
    await citizen.say("vietcom")
    assert "số tài khoản tại Vietcombank" in citizen.text
    # Invalid numbers change nothing and show an example.
    await citizen.say("12 34")
    assert "có 4 chữ số" in citizen.text and "1234 5678 9012" in citizen.text
    await citizen.say("12345678901234567890")
    assert "có 20 chữ số" in citizen.text
    await citizen.say("so tai khoan abc")
    assert "chỉ gồm chữ số" in citizen.text
    await citizen.say(ACCOUNT)
    assert "0123 4567 8901" in citizen.text and "đúng chưa" in citizen.text
    await citizen.say("dung roi")
    assert "đứng tên ai" in citizen.text and "Nguyễn Thị Phàm" in citizen.text
    await citizen.say("NGUYEN  thi pham")  # no diacritics, other case and spacing
    assert "****8901" in citizen.text and "đồng ý" in citizen.text and "12/2026" in citizen.text
    await citizen.say("toi dong y")
    summary = citizen.text
    assert "Người hưởng: Bà Nguyễn Thị Phàm" in summary
    assert "Ngân hàng: Vietcombank (Ngân hàng TMCP Ngoại thương Việt Nam)" in summary
    assert "Số tài khoản: ****8901" in summary and "4567" not in summary
    assert "Lý do" not in summary
    await citizen.say("gui")
    assert "Đã gửi" in citizen.text and citizen.option_ids()[0] == "menu:status"

    (stored,) = await _requests(db)
    assert stored.status == "pending" and stored.account_last4 == "8901"
    assert "012345678901" not in stored.account_enc and stored.holder_matches
    (note,) = await _outbox(db, "officer")
    assert note.kind == "bank_request"
    assert "Bà Nguyễn Thị Phàm (Xã Hòa An): Vietcombank ****8901" in note.text
    assert note.options == [(f"bankrev:open:{stored.id}", "🔎 Mở yêu cầu")]

    # The citizen sees where it stands.
    await citizen.tap("menu:bank")
    await citizen.say("yeu cau cua toi")
    assert "đang chờ cán bộ xã kiểm tra" in citizen.text and "****8901" in citizen.text

    await officer.command("requests")
    assert "đang chờ duyệt: 1" in officer.text
    await officer.tap(f"bankrev:open:{stored.id}")
    assert "Số tài khoản: 012345678901" in officer.text  # in full for the reviewer
    assert f"Yêu cầu số {stored.id}: thay đổi tài khoản." in officer.text  # she had one
    await officer.say("duyet")
    assert "Đã duyệt" in officer.text and "từ 12/2026" in officer.text
    assert f"bankrev:qr:{stored.id}" in officer.option_ids()

    (told,) = await _outbox(db, "citizen")
    assert told.kind == "bank_request"
    assert "đã duyệt tài khoản Vietcombank ****8901 cho Bà Nguyễn Thị Phàm" in told.text
    assert "12/2026" in told.text and "012345678901" not in told.text

    async with db.transaction() as tx:
        ben = await tx.session.get(BeneficiaryRow, seeded["pham"])
        assert ben.bank_name == "Vietcombank" and ben.account_last4 == "8901"
        assert db.vault.decrypt(ben.account_enc) == "012345678901"
        history = await tx.bank_requests.history(seeded["pham"])
        assert history == [("bank", "Agribank", None), ("bank", "Vietcombank", "2026-12")]
        actions = [a.action for a in await tx.audit.recent()]
        assert "bank_request_submitted" in actions and "bank_request_approved" in actions

    # Nowhere in the database in clear: requests, history, drafts, messages, audit.
    async with db.transaction() as tx:
        for table in (
            "bank_requests", "payment_method_history", "conversations", "outbox", "audit_log",
            "beneficiaries",
        ):  # fmt: skip
            rows = (await tx.session.execute(text(f"SELECT * FROM {table}"))).all()
            assert rows and "012345678901" not in repr(rows), table

    # This month's answer still tells what was paid, into the old account.
    await citizen.tap("menu:status")
    assert "Agribank ****6789" in citizen.text
    await citizen.tap("menu:bank")
    await citizen.tap("bank:status")
    assert "đã được duyệt" in citizen.text and "từ 12/2026" in citizen.text


async def test_a_different_holder_needs_a_reason_and_a_rejection_in_english(dispatcher, db, seeded):
    officer = await _officer(dispatcher, db, lang="en")
    citizen = await _linked(dispatcher, lang="en")
    await citizen.say("bank account")
    await citizen.say("register here")
    await citizen.say("agri")
    await citizen.say("1234-5678-9")
    await citizen.say("yes it is right")
    await citizen.say("Tran Van Nam")
    assert "Tran Van Nam, is not Ms Nguyễn Thị Phàm" in citizen.text
    await citizen.say("ok")  # not a reason
    assert "write the reason" in citizen.text
    await citizen.say("the holder is the guardian or carer")
    await citizen.say("i agree")
    assert "Reason for another holder: The holder is the guardian or carer" in citizen.text
    await citizen.say("send")
    (stored,) = await _requests(db)
    assert not stored.holder_matches and stored.holder_reason == "code:guardian"

    (note,) = await _outbox(db, "officer")
    assert note.text.startswith("New bank account request for Ms Nguyễn Thị Phàm")
    await officer.tap(f"bankrev:open:{stored.id}")
    assert "⚠️ The account holder is not the beneficiary" in officer.text
    assert "Account number: 123456789" in officer.text and "BIN 970405" in officer.text
    await officer.say("reject")
    assert "Why is it rejected?" in officer.text
    await officer.say("the account is frozen at the bank")
    assert officer.text.startswith("Rejected.")
    (told,) = await _outbox(db, "citizen")
    assert "did not approve the Agribank account ****6789 for Ms Nguyễn Thị Phàm" in told.text
    assert "Reason: the account is frozen at the bank." in told.text
    async with db.transaction() as tx:
        ben = await tx.session.get(BeneficiaryRow, seeded["pham"])
        assert ben.bank_name == "Agribank" and ben.account_last4 == "6789"  # unchanged
        (entry, *_rest) = await tx.audit.recent()
        assert entry.action == "bank_request_rejected" and entry.detail["reason"] == "typed"
    await citizen.tap("menu:bank")
    await citizen.tap("bank:status")
    assert "was not approved" in citizen.text and "frozen" in citizen.text


async def test_back_edit_and_a_new_request_replaces_the_pending_one(dispatcher, db, seeded):
    await _officer(dispatcher, db)
    citizen = await _linked(dispatcher)
    await citizen.tap("menu:bank")
    await citizen.tap("bank:here")
    await citizen.say("bidv")
    await citizen.say("quay lai")
    assert "ngân hàng hoặc ví điện tử nào" in citizen.text
    await citizen.say("1")  # the first button: Agribank
    assert "tại Agribank" in citizen.text
    await citizen.say("99998888")
    await citizen.say("chua dung, go lai")
    assert "số tài khoản tại Agribank" in citizen.text
    await citizen.say("11112222")
    await citizen.say("dung roi")
    await citizen.say("nguyen thi pham")
    await citizen.say("toi dong y")
    await citizen.say("sua thong tin")
    await citizen.say("so tai khoan")
    await citizen.say("3333 4444 5555")
    await citizen.tap("bank:acc_yes")
    assert "****5555" in citizen.text and "Gửi yêu cầu này" in citizen.text
    await citizen.tap("bank:send")
    # A second request for the same person replaces the waiting one.
    await citizen.tap("menu:bank")
    await citizen.tap("bank:here")
    assert "vẫn đang chờ cán bộ xã" in citizen.text
    await citizen.say("chinh sach xa hoi")
    assert "tại VBSP" in citizen.text
    await citizen.say("7777 8888")
    await citizen.say("dung roi")
    await citizen.say("nguyễn thị phàm")
    await citizen.say("toi dong y")
    await citizen.say("gui")
    first, second = await _requests(db)
    assert (first.status, second.status) == ("replaced", "pending")
    assert second.bank_bin == "999888" and second.is_change  # she already had an account


async def test_cancel_and_a_restart_in_the_middle_of_the_form(db, catalogs, clock, seeded):
    first = Dispatcher(db, catalogs, route, clock=clock)
    citizen = await _linked(first)
    await citizen.tap("menu:bank")
    await citizen.tap("bank:here")
    await citizen.say("viettin")
    await citizen.say(ACCOUNT)
    # The draft holds the number encrypted.
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", "citizen", "vi")
        state = await tx.conversations.load(user.id)
    assert state is not None and state.state == "bank_account_ok"
    assert "012345678901" not in repr(state.data) and "8901" in state.data["last4"]
    # A new process on the same database continues the form.
    second = Chat(Dispatcher(db, catalogs, route, clock=clock), "citizen")
    await second.say("1")
    assert "đứng tên ai" in second.text
    await second.say("huy")
    assert "Đã hủy" in second.text
    await second.tap("bank:agree")  # an old button after cancelling
    assert "không còn dùng được" in second.text
    assert await _requests(db) == []


async def test_a_sticker_keeps_the_step_and_several_matches_become_buttons(dispatcher, seeded):
    from handlers.types import Incoming

    citizen = await _linked(dispatcher)
    await citizen.tap("menu:bank")
    await citizen.tap("bank:here")
    await citizen.say("viet")
    assert "Có nhiều ngân hàng khớp với “viet”" in citizen.text
    assert len([o for o in citizen.option_ids() if o.startswith("bank:bin:")]) == 8
    await citizen.say("vpbank")
    await citizen.say("123456")
    citizen.last = await dispatcher.handle(Incoming(channel="web", user_id="citizen"))
    assert "không đọc được ảnh" in citizen.text and "1234 56 tại VPBank" in citizen.text


async def test_only_the_communes_officers_see_or_decide(dispatcher, db, seeded):
    officer = await _officer(dispatcher, db)
    stranger = await _officer(dispatcher, db, user_id="other-officer", commune=OTHER)
    citizen = await _linked(dispatcher)
    await _fill(citizen)
    await citizen.say("toi dong y")
    await citizen.say("gui")
    (stored,) = await _requests(db)

    await stranger.command("requests")
    assert "Không có yêu cầu" in stranger.text
    await stranger.tap(f"bankrev:open:{stored.id}")
    assert "Không mở được yêu cầu này" in stranger.text and "012345678901" not in stranger.text
    await stranger.tap(f"bankrev:ok:{stored.id}")
    assert "Không mở được yêu cầu này" in stranger.text
    await stranger.tap(f"bankrev:why:{stored.id}:number")
    assert "Không mở được yêu cầu này" in stranger.text
    # A citizen tapping an approve button (an old message, a forged tap).
    await citizen.tap(f"bankrev:ok:{stored.id}")
    assert "chỉ dành cho cán bộ xã" in citizen.text
    await citizen.command("requests")
    assert "chỉ dành cho cán bộ xã" in citizen.text
    (still,) = await _requests(db)
    assert still.status == "pending"
    async with db.transaction() as tx:
        refused = [a for a in await tx.audit.recent() if a.action == "bank_request_refused"]
        assert len(refused) == 4  # three by the other commune's officer, one by the citizen

    # Decided once only: the second tap changes nothing.
    await officer.tap(f"bankrev:no:{stored.id}")
    await officer.tap(f"bankrev:why:{stored.id}:number")
    assert "Đã từ chối" in officer.text
    await officer.tap(f"bankrev:ok:{stored.id}")
    assert "đã được xử lý" in officer.text
    (done,) = await _requests(db)
    assert done.status == "rejected" and done.reject_reason == "code:number"
    (told,) = await _outbox(db, "citizen")
    assert "Lý do: Số tài khoản không đúng." in told.text


async def test_officer_gets_the_vietqr_code_and_the_approved_changes_file(dispatcher, db, seeded):
    import io

    from openpyxl import load_workbook

    officer = await _officer(dispatcher, db)
    citizen = await _linked(dispatcher)
    await _fill(citizen)
    await citizen.say("toi dong y")
    await citizen.say("gui")
    (stored,) = await _requests(db)
    await officer.tap(f"bankrev:qr:{stored.id}")
    assert "Chỉ tạo mã VietQR cho tài khoản đã được duyệt" in officer.text
    await officer.tap(f"bankrev:open:{stored.id}")
    await officer.tap(f"bankrev:ok:{stored.id}")
    replies = await officer.tap(f"bankrev:qr:{stored.id}")
    (image,) = replies[-1].attachments
    assert image.kind == "image" and image.data.startswith(b"\x89PNG")
    assert "Vietcombank ****8901" in replies[-1].text

    await officer.tap("bankrev:list")
    await officer.say("danh sach thay doi da duyet")
    assert officer.option_ids()[:2] == ["bankrev:exp:2026-12", "bankrev:exp:2026-11"]
    replies = await officer.tap("bankrev:exp:2026-12")
    (doc,) = replies[0].attachments
    assert doc.kind == "document" and doc.filename.endswith(".xlsx")
    assert "12/2026: 1 người" in replies[0].text
    sheet = load_workbook(io.BytesIO(doc.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == (
        "Mã xã", "Họ và tên", "Số CCCD", "Ngân hàng", "Mã BIN", "Số tài khoản", "Chủ tài khoản"
    )  # fmt: skip
    assert rows[1][:8] == (
        "99001", "Nguyễn Thị Phàm", "001140001234", "Vietcombank", "970436", "012345678901",
        "nguyen thi pham", "12/2026",
    )  # fmt: skip
    # Another commune's officer gets an empty list.
    stranger = await _officer(dispatcher, db, user_id="other-officer", commune=OTHER)
    replies = await stranger.tap("bankrev:exp:2026-12")
    assert "0 người" in replies[0].text


async def test_with_two_people_the_form_asks_whose_account_it_is(dispatcher, db, seeded):
    officer = await _officer(dispatcher, db)
    assert "bankrev:list" in [oid for oid, _label in officer.options]  # the officer's menu
    citizen = await _linked(dispatcher)
    await citizen.tap("menu:people")
    await citizen.tap("people:add")
    await citizen.tap("who:child")
    await citizen.say("079045006789")
    await citizen.say("02/07/1945")
    await citizen.tap("menu:bank")
    await citizen.tap("bank:here")
    assert "Tiền trợ cấp của ai" in citizen.text
    assert citizen.option_ids()[:2] == [f"bank:ben:{seeded['pham']}", f"bank:ben:{seeded['tu']}"]
    await citizen.say("ong le van tu")
    # He is paid at the post office: a first account, not a change.
    assert "ngân hàng hoặc ví điện tử nào" in citizen.text and "thay đổi" not in citizen.text
    await citizen.say("quay lai")
    assert "Tiền trợ cấp của ai" in citizen.text
    await citizen.say("abc xyz")
    assert "Xin lỗi, tôi chưa hiểu" in citizen.text and "Tiền trợ cấp của ai" in citizen.text
    await citizen.tap(f"bank:ben:{seeded['tu']}")
    await citizen.say("agribank")
    await citizen.say("5555 6666 7777")
    await citizen.say("dung roi")
    await citizen.say("le van tu")
    await citizen.say("toi dong y")
    await citizen.say("gui")
    (stored,) = await _requests(db)
    assert stored.beneficiary_id == seeded["tu"] and not stored.is_change
    await citizen.tap("bank:status")  # an old button of the bank menu still answers
    assert "Ông Lê Văn Tư: tài khoản Agribank ****7777" in citizen.text
    assert "Bà Nguyễn Thị Phàm: chưa đăng ký tài khoản nào" in citizen.text


async def test_dung_confirms_the_number_and_partial_words_pick_a_button(dispatcher, seeded):
    """Without diacritics "đúng" (right) and "dừng" (stop) are both "dung": it
    must never throw the form away. "dong y" is enough for "Tôi đồng ý"."""
    citizen = await _linked(dispatcher)
    await citizen.say("dang ky tai khoan")
    await citizen.say("2")
    await citizen.say("vietcom")
    await citizen.say(ACCOUNT)
    await citizen.say("đúng")
    assert "đứng tên ai" in citizen.text
    await citizen.say("nguyen thi pham")
    await citizen.say("dong y")
    assert "Số tài khoản: ****8901" in citizen.text


async def test_forgetting_the_requester_cuts_every_way_back_to_them(dispatcher, db, seeded):
    officer = await _officer(dispatcher, db)
    citizen = await _linked(dispatcher)
    await _fill(citizen)
    await citizen.say("toi dong y")
    await citizen.say("gui")
    await citizen.tap("menu:people")
    await citizen.tap("people:forget")
    await citizen.tap("forget:yes")
    (stored,) = await _requests(db)
    assert stored.requester_user_id is None and stored.status == "pending"
    # Someone new arrives (on SQLite they may get the freed id) ...
    stranger = Chat(dispatcher, "stranger")
    await stranger.command("start")
    await officer.tap(f"bankrev:open:{stored.id}")
    await officer.tap(f"bankrev:ok:{stored.id}")
    # ... and is told nothing about the forgotten person's account.
    assert await _outbox(db, "stranger") == []


async def test_the_providers_list_has_one_account_per_person(dispatcher, db, seeded):
    officer = await _officer(dispatcher, db)
    citizen = await _linked(dispatcher)
    for bank in ("vietcom", "agri"):
        await _fill(citizen, bank=bank)
        await citizen.say("toi dong y")
        await citizen.say("gui")
        (req,) = [r for r in await _requests(db) if r.status == "pending"]
        await officer.tap(f"bankrev:open:{req.id}")
        await officer.tap(f"bankrev:ok:{req.id}")
    async with db.transaction() as tx:
        changes = await tx.bank_requests.approved_changes("2026-12")
    assert [c.bank_name for c in changes] == ["Agribank"]
