"""One person's messages are handled one at a time, even by several processes
sharing one PostgreSQL: each message's transaction first takes that person's
advisory lock, so no update of their conversation is lost or interleaved."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from handlers.core import Context, Dispatcher
from handlers.types import Incoming
from storage import Database, Vault
from storage.stores import person_lock_key
from tests.conftest import PG_URL, TEST_SECRET


async def counting(ctx: Context) -> None:
    """Reads the draft's counter, waits a little (another process would slip in
    here without the lock), then writes it back one higher."""
    n = int(ctx.state.data.get("n", 0))
    await asyncio.sleep(0.005)
    ctx.state.data["n"] = n + 1
    ctx.say(str(n + 1))


async def test_two_processes_never_interleave_one_persons_messages(db, database_url, catalogs):
    # Two Database objects are two connection pools, as in two processes.
    # SQLite serves one process: there both dispatchers share its database.
    other = Database(database_url, Vault(TEST_SECRET)) if PG_URL else db
    first = Dispatcher(db, catalogs, counting)
    second = Dispatcher(other, catalogs, counting)
    per_process = 15
    try:

        async def send(dispatcher: Dispatcher, user: str) -> list[str]:
            replies = await dispatcher.handle(Incoming(channel="zalo", user_id=user, text="+1"))
            return [r.text for r in replies]

        results = await asyncio.gather(
            *(send(d, "grandma") for _ in range(per_process) for d in (first, second)),
            *(send(d, "grandpa") for _ in range(3) for d in (first, second)),
        )
        grandma = sorted(int(r[0]) for r in results[: 2 * per_process])
        # Every message saw the one before it: no update lost, none seen twice.
        assert grandma == list(range(1, 2 * per_process + 1))
        grandpa = sorted(int(r[0]) for r in results[2 * per_process :])
        assert grandpa == [1, 2, 3, 4, 5, 6]
        last = await send(second, "grandma")
        assert last == [str(2 * per_process + 1)]
    finally:
        if other is not db:
            await other.dispose()


async def test_the_lock_is_held_until_the_transaction_ends(db):
    """While one transaction holds a person's lock, nobody else can take it;
    it is free once the transaction ends (PostgreSQL). SQLite: a no-op."""
    key = person_lock_key("telegram", "42")
    assert key != person_lock_key("zalo", "42")
    async with db.transaction() as tx:
        await tx.users.serialise("telegram", "42")
        if PG_URL:
            async with db.engine.connect() as conn:
                got = await conn.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key})
                assert got is False
                await conn.rollback()
    if PG_URL:
        async with db.engine.connect() as conn:
            got = await conn.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key})
            assert got is True
            await conn.rollback()
