"""Engine, transactions and migrations.

``Database.transaction()`` is the unit of work: one per incoming message. All
stores of a :class:`Tx` share its session, so a handler's writes commit or roll
back together. Engine differences (SQLite vs PostgreSQL) live here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from storage.bank_requests import BankRequestStore
from storage.broadcasts import BroadcastStore
from storage.crypto import Vault
from storage.exports import ExportStore
from storage.imports import ImportStore
from storage.officers import OfficerStore
from storage.outbox import OutboxStore, WebInboxStore
from storage.reminders import ReminderStore
from storage.reports import ReportStore
from storage.sms import SmsStore
from storage.sqlite_inline import inline_creator
from storage.stores import (
    AttemptStore,
    AuditStore,
    BeneficiaryStore,
    CommuneStore,
    ConversationStore,
    LinkStore,
    PaymentStore,
    UserStore,
)
from storage.volunteers import VolunteerStore

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Tx:
    """The stores of one transaction."""

    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self.session = session
        self.communes = CommuneStore(session, vault)
        self.beneficiaries = BeneficiaryStore(session, vault)
        self.payments = PaymentStore(session, vault)
        self.users = UserStore(session, vault)
        self.links = LinkStore(session, vault)
        self.conversations = ConversationStore(session, vault)
        self.attempts = AttemptStore(session, vault)
        self.audit = AuditStore(session, vault)
        self.imports = ImportStore(session, vault)
        self.officers = OfficerStore(session, vault)
        self.exports = ExportStore(session, vault)
        self.outbox = OutboxStore(session, vault)
        self.reports = ReportStore(session, vault)
        self.bank_requests = BankRequestStore(session, vault)
        self.volunteers = VolunteerStore(session, vault)
        self.inbox = WebInboxStore(session, vault)
        self.broadcasts = BroadcastStore(session, vault)
        self.reminders = ReminderStore(session, vault)
        self.sms = SmsStore(session, vault)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class Database:
    def __init__(self, url: str, vault: Vault, *, echo: bool = False) -> None:
        self.url = url
        self.vault = vault
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if self.is_sqlite:
            # Transactions are serialised in-process (see below), so one
            # connection is all SQLite needs; its calls run inline (see
            # storage.sqlite_inline).
            self.engine = create_async_engine(
                url,
                echo=echo,
                pool_size=1,
                max_overflow=0,
                hide_parameters=True,
                async_creator=inline_creator(parsed),
            )
        else:
            # hide_parameters: a database error must never print names or hashes.
            self.engine = create_async_engine(
                url, echo=echo, pool_size=10, max_overflow=10, hide_parameters=True
            )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._autocommit = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )
        # SQLite has one writer at a time; serialising transactions in-process
        # avoids "database is locked" when two deferred transactions upgrade.
        self._sqlite_lock = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        if self._sqlite_lock is not None:
            async with self._sqlite_lock, self._sessions() as session, session.begin():
                yield Tx(session, self.vault)
        else:
            async with self._sessions() as session, session.begin():
                yield Tx(session, self.vault)

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[Tx]:
        """Stores whose every statement commits on its own, at once: for a
        single statement that is whole by itself (the delivery worker's
        claims and "sent" marks), never for writes that must commit
        together. It saves the BEGIN and COMMIT round trips: on PostgreSQL a
        third of the marks' time. On SQLite it is an ordinary transaction."""
        if self._sqlite_lock is not None:
            # SQLite: BEGIN and COMMIT cost no round trip, and switching the
            # one connection to autocommit and back would (through aiosqlite's
            # thread): an ordinary transaction.
            async with self._sqlite_lock, self._sessions() as session, session.begin():
                yield Tx(session, self.vault)
        else:
            async with self._autocommit() as session:
                yield Tx(session, self.vault)

    async def ping(self, within: float = 2.0) -> bool:
        """Is the database reachable? A ``SELECT 1`` that gives up after
        ``within`` seconds (health checks must answer quickly)."""
        try:
            async with asyncio.timeout(within), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def upgrade(self) -> None:
        """Apply Alembic migrations up to head."""
        from alembic import command
        from alembic.config import Config

        def run(sync_conn) -> None:  # type: ignore[no-untyped-def]
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, "head")

        async with self.engine.begin() as conn:
            await conn.run_sync(run)

    async def dispose(self) -> None:
        await self.engine.dispose()
