"""Leadership: exactly one process runs the scheduler.

On PostgreSQL the leader holds a session-level advisory lock on a connection
of its own, kept open (in autocommit, so no transaction stays open) for as long
as it leads. When the process stops or dies, the connection closes and the lock
is free for another process. On SQLite there is one process: it always leads.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

log = logging.getLogger(__name__)

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:k)")
_UNLOCK = text("SELECT pg_advisory_unlock(:k)")
_ALIVE = text("SELECT 1")
# If the leader's machine dies without closing its connection (power cut,
# network gone), PostgreSQL notices the silent peer after
# idle + interval * count seconds and frees the lock; the default would be
# two hours.
KEEPALIVE_IDLE = 10
KEEPALIVE_INTERVAL = 5
KEEPALIVE_COUNT = 3
_KEEPALIVE = (
    text(f"SET tcp_keepalives_idle = {KEEPALIVE_IDLE}"),
    text(f"SET tcp_keepalives_interval = {KEEPALIVE_INTERVAL}"),
    text(f"SET tcp_keepalives_count = {KEEPALIVE_COUNT}"),
)


def dead_peer_seconds() -> int:
    """At most how long PostgreSQL keeps the lock of a leader that vanished."""
    return KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    digest = hashlib.sha256(f"allowance-bot:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Leadership:
    def __init__(self, db: Database, name: str = "scheduler") -> None:
        self.db = db
        self.key = lock_key(name)
        self._conn: AsyncConnection | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    async def acquire(self) -> bool:
        """Lead if nobody else does; True while this process leads."""
        if self.db.is_sqlite:
            self._held = True
            return True
        if self._held:
            return await self._check()
        conn = await self.db.engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = bool((await conn.execute(_TRY_LOCK, {"k": self.key})).scalar())
            if got:
                for statement in _KEEPALIVE:
                    await conn.execute(statement)
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        self._held = True
        return True

    async def _check(self) -> bool:
        """Still leading? A broken connection has lost the lock."""
        assert self._conn is not None
        try:
            await self._conn.execute(_ALIVE)
            return True
        except Exception:
            log.warning("the scheduler's database connection broke; leadership is lost")
            await self._drop()
            return False

    async def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.execute(_UNLOCK, {"k": self.key})
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
