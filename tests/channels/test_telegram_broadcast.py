"""An officer composes and sends a broadcast through the real PTB Application
against the loopback fake of the Bot API."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from handlers.officer import new_invite_code
from storage.models import OutboxRow, UserRow
from tests.channels.test_telegram import Person, bot, bot_delivering, fake, inline_ids  # noqa: F401
from tests.conftest import NOW


async def test_an_officer_composes_and_sends_a_broadcast(bot, fake, db):  # noqa: F811
    code = new_invite_code()
    async with db.transaction() as tx:
        await tx.officers.create_invite(
            code,
            commune_code="99001",
            name="Trần Văn Bình",
            now=NOW,
            expires_at=NOW + timedelta(days=7),
        )
    citizen = Person(fake, 3102)
    await citizen.text("/status")
    await citizen.tap("who:self")
    await citizen.text("001140001234")
    await citizen.text("15/03/1940", expect=2)
    officer = Person(fake, 3101)
    await officer.text(f"/start {code}")
    (home,) = await officer.text("📣 Gửi thông báo")  # from the persistent menu
    assert "Chưa có thông báo nào" in home.text
    assert inline_ids(home)[0] == "bc:new"
    (audience,) = await officer.tap("bc:new")
    assert audience.text == "Gửi thông báo cho ai?"
    assert "bc:aud:village" in inline_ids(audience)
    (ask_text,) = await officer.tap("bc:aud:all")
    assert "Xin gõ nội dung thông báo bằng tiếng Việt" in ask_text.text
    (ask_en,) = await officer.text("Mời bà con mang thẻ BHYT đến UBND xã ngày 25/11.")
    assert "bản tiếng Anh" in ask_en.text
    (preview,) = await officer.tap("bc:skip_en")
    assert "1 người trên bot sẽ nhận được tin này" in preview.text
    assert "Trong 2 người thuộc nhóm này, 1 người chưa nhận được" in preview.text
    assert inline_ids(preview)[:2] == ["bc:send", "bc:later"]
    (queued,) = await officer.tap("bc:send")
    assert queued.text.startswith("Thông báo số 1 đang được gửi tới 1 người.")
    async with db.transaction() as tx:
        rows = (
            await tx.session.execute(
                select(UserRow.external_id, OutboxRow.text, OutboxRow.broadcast_id).join(
                    OutboxRow, OutboxRow.user_id == UserRow.id
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (
            "3102",
            "📣 Thông báo từ Xã Hòa An:\nMời bà con mang thẻ BHYT đến UBND xã ngày 25/11.",
            1,
        )
    ]
    (status,) = await officer.text("trạng thái")
    assert "Đã gửi: 0. Đang chờ: 1." in status.text
    text, document = await officer.tap("bc:report:1", expect=2)
    assert "Báo cáo gửi tin của thông báo số 1" in text.text
    assert document.method == "sendDocument"
    assert document.params["_files"]["document"][0] == "broadcast-1.xlsx"


async def test_the_officer_follows_the_broadcast_in_one_message(bot_delivering, fake, db):  # noqa: F811
    code = new_invite_code()
    async with db.transaction() as tx:
        await tx.officers.create_invite(
            code, commune_code="99001", name="Trần Văn Bình", now=NOW,
            expires_at=NOW + timedelta(days=7),
        )  # fmt: skip
    citizen = Person(fake, 3202)
    await citizen.text("/status")
    await citizen.tap("who:self")
    await citizen.text("001140001234")
    await citizen.text("15/03/1940", expect=2)
    officer = Person(fake, 3201)
    await officer.text(f"/start {code}")
    await officer.text("/language")
    await officer.tap("lang:en")
    await officer.tap("bc:menu")
    await officer.tap("bc:new")
    await officer.tap("bc:aud:all")
    await officer.text("Mời bà con mang thẻ BHYT đến UBND xã ngày 25/11.")
    await officer.tap("bc:skip_en")
    (queued,) = await officer.tap("bc:send")
    assert queued.text.startswith("Broadcast #1 is being sent; recipients: 1.")
    await fake.wait_sent(3202, 4)  # the citizen's message went out
    final = "✅ Broadcast #1 has gone out: sent 1 of 1 · blocked the bot 0 · failed 0."

    def progress_messages() -> list:  # type: ignore[type-arg]
        return [m for m in fake.by_chat[3201] if m.text.startswith(("📤", "✅"))]

    for _ in range(200):  # posted, or posted and then edited to the final state
        if [m.text for m in progress_messages()] == [final]:
            break
        await asyncio.sleep(0.05)
    (progress,) = progress_messages()  # one message, not one per step
    assert progress.text == final
    assert inline_ids(progress) == ["bc:report:1"]
    text, document = await officer.tap("bc:report:1", expect=2)
    assert document.params["_files"]["document"][0] == "broadcast-1.xlsx"
