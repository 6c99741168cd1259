"""A capability plugs into the conversation through a Feature: its states,
options, commands, menu entries and intents reach it; menu/cancel still work."""

from __future__ import annotations

import pytest

import handlers.citizen as citizen
import handlers.registry as registry
from handlers.core import Context
from handlers.features import Feature
from handlers.notify import notify
from tests.chat import Chat


async def _start(ctx: Context, option: str) -> None:
    if option == "demo:start":
        ctx.goto("demo_ask")
        ctx.say("How many?", [citizen.Option("demo:one", "One")])
    else:
        ctx.goto("menu")
        ctx.say(f"picked {option}")


async def _text(ctx: Context, text: str) -> None:
    ctx.say(f"got {text}")


async def _back(ctx: Context) -> None:
    ctx.say("went back")


async def _command(ctx: Context, command: str, args: str) -> None:
    ctx.say(f"command {command} {args}")


DEMO = Feature(
    name="demo",
    states=frozenset({"demo_ask"}),
    data_states=frozenset({"demo_ask"}),
    prefixes=frozenset({"demo"}),
    commands=frozenset({"demo"}),
    on_option=_start,
    on_text=_text,
    on_back=_back,
    on_command=_command,
    menu={"officer": [("demo:start", "Demo for officers")]},
    intents={"demo:start": ["thu nghiem"]},
)


@pytest.fixture
def with_demo(monkeypatch):
    monkeypatch.setattr(registry, "FEATURES", (DEMO,))
    for fn in (citizen._menu_items, citizen._all_menu_items, citizen._intents):
        fn.cache_clear()
    yield
    for fn in (citizen._menu_items, citizen._all_menu_items, citizen._intents):
        fn.cache_clear()


async def test_a_feature_gets_its_options_text_commands_and_back(dispatcher, with_demo):
    chat = Chat(dispatcher)
    await chat.say("thu nghiem")  # free-text intent, no diacritics
    assert chat.text == "How many?"
    await chat.say("2")  # a number in a data state is data, not an option
    assert chat.text == "got 2"
    await chat.say("quay lại")
    assert chat.text == "went back"
    await chat.command("demo", "x")
    assert chat.text == "command demo x"
    await chat.say("kiem tra tien")  # in the feature's state, text is the feature's
    assert chat.text == "got kiem tra tien"
    await chat.say("huy")  # cancel works in the feature's state
    assert "Nothing was saved" in chat.text or "Đã hủy" in chat.text


async def test_feature_menu_entries_show_for_their_role_only(dispatcher, db, with_demo):
    citizen_chat = Chat(dispatcher, user_id="c1")
    await citizen_chat.command("start")
    assert "demo:start" not in citizen_chat.option_ids()
    officer = Chat(dispatcher, user_id="o1")
    await officer.command("start")
    async with db.transaction() as tx:
        user, _ = await tx.users.get_or_create("web", "o1", "vi")
        from sqlalchemy import update

        from storage.models import UserRow

        await tx.session.execute(
            update(UserRow).where(UserRow.id == user.id).values(role="officer")
        )
    await officer.command("start")
    assert "demo:start" in officer.option_ids()


async def test_notify_uses_the_recipients_language_and_queues_each_event_once(db, catalogs, clock):
    async with db.transaction() as tx:
        vi_user, _ = await tx.users.get_or_create("web", "vi-user", "vi")
        en_user, _ = await tx.users.get_or_create("web", "en-user", "en")
    async with db.transaction() as tx:
        for user in (vi_user, en_user):
            added = await notify(
                tx,
                catalogs,
                user_id=user.id,
                key=f"test:1:{user.id}",
                kind="test",
                message=lambda t: t.money(500_000),
                options=[("nav:menu", "🏠 Menu")],
                now=clock(),
            )
            assert added
        again = await notify(
            tx,
            catalogs,
            user_id=vi_user.id,
            key=f"test:1:{vi_user.id}",
            kind="test",
            message="🏠 Menu",
            now=clock(),
        )
        assert not again
        assert not await notify(
            tx, catalogs, user_id=999_999, key="test:gone", kind="test", message="x", now=clock()
        )
    async with db.transaction() as tx:
        (vi_msg,) = await tx.outbox.for_user(vi_user.id)
        (en_msg,) = await tx.outbox.for_user(en_user.id)
    assert vi_msg.text == "500.000\xa0₫"
    assert en_msg.text == "₫500,000"
    assert vi_msg.options == [("nav:menu", "🏠 Menu")]
    assert vi_msg.status == "pending" and vi_msg.not_before == clock()
