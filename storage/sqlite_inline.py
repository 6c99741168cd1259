"""SQLite statements run on the event loop's own thread.

aiosqlite hands every call (cursor, execute, fetch, close, commit) to a
worker thread and waits for the answer: about thirteen thread hand-offs for a
status tap, each costing more than the SQLite work it carries (microseconds on
an indexed lookup). Transactions on SQLite are serialised in-process anyway
(:class:`storage.db.Database`), so nothing else could use the connection
meanwhile; running the calls inline halves the time a status tap takes.

What this gives up: while a statement runs, the event loop waits for it. On
the indexed lookups the bot makes that is microseconds. Another process
holding SQLite's write lock (a ``python -m bot import`` in progress) makes a
write wait up to ``busy_timeout`` -- as it did before, but now with the loop
paused too; long imports belong in the CLI or on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run where they are awaited. Its
    worker thread only opens the connection (and sets the isolation level,
    which SQLAlchemy sends to it directly)."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def inline_creator(url: URL) -> Callable[[], InlineConnection]:
    """An ``async_creator`` for :func:`create_async_engine` opening ``url``
    with the arguments SQLAlchemy itself would use (file name, URI mode,
    ``check_same_thread=False``...)."""
    cargs, cparams = SQLiteDialect_aiosqlite().create_connect_args(url)
    args: list[Any] = list(cargs)
    params: dict[str, Any] = dict(cparams)

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(*args, **params)

    def create() -> InlineConnection:
        conn = InlineConnection(connector, 64)
        conn._thread.daemon = True
        return conn

    return create
