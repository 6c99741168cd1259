"""The outbox: proactive messages waiting to be sent.

Rows are written by handlers (through :func:`handlers.notify.notify`) in the
transaction of the event that causes them, and sent by the delivery worker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import OutboxRow
from storage.stores import _Store


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    key: str
    user_id: int
    kind: str
    text: str
    options: list[tuple[str, str]]
    not_before: datetime
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    broadcast_id: int | None = None


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        key=row.key,
        user_id=row.user_id,
        kind=row.kind,
        text=row.text,
        options=[(o[0], o[1]) for o in json.loads(row.options)],
        not_before=_aware(row.not_before) or row.not_before,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        sent_at=_aware(row.sent_at),
        broadcast_id=row.broadcast_id,
    )


class OutboxStore(_Store):
    async def enqueue(
        self,
        *,
        key: str,
        user_id: int,
        kind: str,
        text: str,
        options: list[tuple[str, str]] | None = None,
        now: datetime,
        not_before: datetime | None = None,
        broadcast_id: int | None = None,
    ) -> bool:
        """Add a message unless one with this key exists; True when added."""
        values = {
            "key": key,
            "user_id": user_id,
            "kind": kind,
            "text": text,
            "options": json.dumps([list(o) for o in options or []], ensure_ascii=False),
            # UTC: SQLite keeps no offset, so a local time would be misread.
            "created_at": now.astimezone(UTC),
            "not_before": (not_before or now).astimezone(UTC),
            "status": "pending",
            "attempts": 0,
            "broadcast_id": broadcast_id,
        }
        conn = await self.session.connection()
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = (
            dialect.insert(OutboxRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        result = await conn.execute(stmt)
        return bool(result.rowcount)

    async def enqueue_many(
        self,
        messages: list[tuple[str, int, str]],
        *,
        kind: str,
        now: datetime,
        not_before: datetime | None = None,
        options: list[tuple[str, str]] | None = None,
        broadcast_id: int | None = None,
    ) -> int:
        """Add many messages of one kind ((key, user id, text) each) in
        multi-row INSERTs, skipping keys already there; returns how many were
        added."""
        conn = await self.session.connection()
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        common = {
            "kind": kind,
            "options": json.dumps([list(o) for o in options or []], ensure_ascii=False),
            "created_at": now.astimezone(UTC),
            "not_before": (not_before or now).astimezone(UTC),
            "status": "pending",
            "attempts": 0,
            "broadcast_id": broadcast_id,
        }
        stmt = dialect.insert(OutboxRow).on_conflict_do_nothing(index_elements=["key"])
        keys = [key for key, _uid, _text in messages]
        before = await self.existing(keys)
        rows = [
            {"key": key, "user_id": uid, "text": text, **common}
            for key, uid, text in messages
            if key not in before
        ]
        if rows:
            # executemany: SQLAlchemy batches it into multi-row INSERTs.
            await conn.execute(stmt, rows)
        added = len(rows)
        return added

    async def for_user(self, user_id: int) -> list[OutboxMessage]:
        rows = (
            await self.session.execute(
                select(OutboxRow).where(OutboxRow.user_id == user_id).order_by(OutboxRow.id)
            )
        ).scalars()
        return [_message(r) for r in rows]

    async def by_kind(self, kind: str) -> list[OutboxMessage]:
        rows = (
            await self.session.execute(
                select(OutboxRow).where(OutboxRow.kind == kind).order_by(OutboxRow.id)
            )
        ).scalars()
        return [_message(r) for r in rows]

    async def existing(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` are already in the outbox (whatever their status)."""
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = await self.session.execute(select(OutboxRow.key).where(OutboxRow.key.in_(chunk)))
            found.update(rows.scalars())
        return found
