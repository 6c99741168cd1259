"""The outbox: proactive messages waiting to be sent.

Rows are written by handlers (through :func:`handlers.notify.notify`) in the
transaction of the event that causes them, and sent by the delivery worker.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Executable,
    Row,
    String,
    Table,
    any_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import OutboxRow, UserRow, WebInboxRow
from storage.stores import _Store

_OUTBOX = cast(Table, OutboxRow.__table__)
_USERS = cast(Table, UserRow.__table__)
_INBOX = cast(Table, WebInboxRow.__table__)
# Roles whose proactive messages are never held back by quiet hours.
UNRESTRICTED_ROLES = ("officer",)


def _among(column: ColumnElement, key: str, dialect: str) -> ColumnElement[bool]:
    """``column`` is one of the values passed as parameter ``key`` (made by
    :func:`_listed`), written as one statement whatever their number: an
    array on PostgreSQL (``= ANY``), a JSON list on SQLite (``IN
    json_each``). A plain IN list is a new statement for each length: its
    placeholders rendered by SQLAlchemy at each execution, and prepared anew
    by PostgreSQL; the delivery worker's marks and checks have a different
    length each time."""
    if dialect == "postgresql":
        return column == any_(bindparam(key, type_=ARRAY(column.type)))
    each = func.json_each(bindparam(key, type_=String())).table_valued("value")
    return column.in_(select(each.c.value))


def _listed(values: Iterable[object], dialect: str) -> object:
    """The value of an :func:`_among` parameter."""
    return list(values) if dialect == "postgresql" else json.dumps(list(values))


@functools.cache
def _mark_sent(dialect: str) -> Executable:
    """Built once for each dialect: the marks are the worker's most frequent
    statement, and building and looking up a new one cost a third of their
    time (300 us a commit)."""
    return (
        update(_OUTBOX)
        .where(_OUTBOX.c.claim_token == bindparam("token"), _among(_OUTBOX.c.id, "ids", dialect))
        .values(status="sent", sent_at=bindparam("now"), claimed_until=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )


def _by_token(rows: Sequence[tuple[int, str]]) -> dict[str, list[int]]:
    """Claimed rows (id, token) grouped by their claim: one statement a claim
    (usually all of them share one) rather than one a row."""
    by_token: dict[str, list[int]] = {}
    for rid, tok in rows:
        by_token.setdefault(tok, []).append(rid)
    return by_token


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


@dataclass(slots=True)
class Claimed:
    """An outbox row a delivery worker holds (``token`` names its claim), with
    where it goes. Read, never changed: rows of one claim share one
    ``options`` list. (Not frozen: a frozen dataclass takes three times as
    long to make, and a claim makes hundreds at once.)"""

    id: int
    token: str
    key: str
    user_id: int
    kind: str
    text: str
    options: list[tuple[str, str]]
    attempts: int
    channel: str
    external_id: str
    unreachable: bool
    # An SMS number that texted TU CHOI: nothing goes to it (not blocked).
    opted_out: bool = False


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

    # ------------------------------------------------------------ delivery
    #
    # A worker claims due rows (a lease: ``claimed_until`` and a fresh
    # ``claim_token``) in one statement (PostgreSQL) or one short transaction
    # (SQLite), sends them, and records each outcome under the same token.
    # On PostgreSQL the claim skips rows another
    # transaction holds (FOR UPDATE SKIP LOCKED), so workers never take the
    # same row; on SQLite writes are serialised anyway. A row whose worker died
    # is claimed again once its lease has run out.

    async def claim(
        self,
        now: datetime,
        *,
        limit: int,
        lease: timedelta,
        channels: Sequence[str] | None = None,
    ) -> list[Claimed]:
        token = secrets.token_hex(16)
        conn = await self.session.connection()
        due = (
            select(_OUTBOX.c.id)
            .where(
                _OUTBOX.c.status == "pending",
                _OUTBOX.c.not_before <= now,
                or_(_OUTBOX.c.claimed_until.is_(None), _OUTBOX.c.claimed_until < now),
            )
            .order_by(_OUTBOX.c.not_before, _OUTBOX.c.id)
            .limit(limit)
        )
        if channels is not None:
            # Each row's channel looked up by the user's key (a correlated
            # subquery), not as a join: right after a broadcast queues
            # thousands of rows the planner's figures are stale, and
            # PostgreSQL then joined every due row to every user of the
            # channel (0.85 s to claim 500 of 3,000 rows, against 15 ms).
            channel = (
                select(_USERS.c.channel).where(_USERS.c.id == _OUTBOX.c.user_id).scalar_subquery()
            )
            due = due.where(channel.in_(channels))
        columns = (
            _OUTBOX.c.id,
            _OUTBOX.c.key,
            _OUTBOX.c.user_id,
            _OUTBOX.c.kind,
            _OUTBOX.c.text,
            _OUTBOX.c.options,
            _OUTBOX.c.attempts,
            _USERS.c.channel,
            _USERS.c.external_id,
            _USERS.c.unreachable_at,
            _USERS.c.sms_opt_out_at,
        )
        rows: Sequence[Row]
        if conn.dialect.name == "postgresql":
            # One statement: the lease set and the rows read back with where
            # they go (UPDATE ... FROM users ... RETURNING). Whole by itself,
            # so it needs no transaction around it (see Database.autocommit).
            due = due.with_for_update(skip_locked=True, of=_OUTBOX)
            result = await conn.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id.in_(due.scalar_subquery()), _USERS.c.id == _OUTBOX.c.user_id)
                .values(claimed_until=now + lease, claim_token=token)
                .returning(*columns, _OUTBOX.c.not_before)
            )
            rows = sorted(result.all(), key=lambda r: (r.not_before, r.id))
        else:
            # SQLite's RETURNING cannot name the users table: the lease, then
            # the rows under it.
            await conn.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id.in_(due.scalar_subquery()))
                .values(claimed_until=now + lease, claim_token=token)
            )
            rows = (
                await conn.execute(
                    select(*columns, _OUTBOX.c.not_before)
                    .select_from(_OUTBOX.join(_USERS, _USERS.c.id == _OUTBOX.c.user_id))
                    # The claimed rows are pending and due: said here, the
                    # lookup stays on the due index instead of reading every
                    # row the outbox ever held.
                    .where(
                        _OUTBOX.c.status == "pending",
                        _OUTBOX.c.not_before <= now,
                        _OUTBOX.c.claim_token == token,
                    )
                    .order_by(_OUTBOX.c.not_before, _OUTBOX.c.id)
                )
            ).all()
        # A broadcast's rows share their options: each text is read once.
        options: dict[str, list[tuple[str, str]]] = {}
        return [
            Claimed(
                rid,
                token,
                key,
                user_id,
                kind,
                text,
                options.get(opts)
                or options.setdefault(opts, [(o[0], o[1]) for o in json.loads(opts)]),
                attempts,
                channel,
                external_id,
                unreachable_at is not None,
                opted_out_at is not None,
            )
            for (
                rid,
                key,
                user_id,
                kind,
                text,
                opts,
                attempts,
                channel,
                external_id,
                unreachable_at,
                opted_out_at,
                _not_before,
            ) in rows
        ]

    async def still_due(self, rows: Sequence[tuple[int, str]], now: datetime) -> set[int]:
        """Of these claimed rows (id, token), the ids that may go now: still
        pending under their claim, due, and with no earlier message of the
        same person left outside the claim (one waiting for a retry, or
        queued since). Rows cancelled, blocked or deleted since are left
        out; the others that may not go are given back, due when they were."""
        ids = [rid for rid, _tok in rows]
        tokens = sorted({tok for _rid, tok in rows})
        if not ids:
            return set()
        dialect = await self._dialect()
        # Locked (on PostgreSQL): a retry recorded meanwhile by another
        # worker (hold_later) waits for this decision instead of racing it.
        # Found by id alone (the status is read, not asked for): PostgreSQL
        # reuses one plan for this statement, and one that also asked for
        # the status could go through every pending row's entry in the due
        # index (175 ms a round, measured) instead of the 500 ids.
        held = [
            r
            for r in (
                await self.session.execute(
                    select(
                        _OUTBOX.c.id,
                        _OUTBOX.c.user_id,
                        _OUTBOX.c.not_before,
                        _OUTBOX.c.claim_token,
                        _OUTBOX.c.status,
                    )
                    .where(
                        _among(_OUTBOX.c.id, "ids", dialect),
                        _among(_OUTBOX.c.claim_token, "tokens", dialect),
                    )
                    .with_for_update(),
                    {"ids": _listed(ids, dialect), "tokens": _listed(tokens, dialect)},
                )
            ).all()
            if r.status == "pending"
        ]
        if not held:
            return set()
        # Each person's earliest pending message outside these rows.
        first_outside: dict[int, tuple[int, datetime]] = {}
        for user_id, rid, not_before in (
            await self.session.execute(
                select(_OUTBOX.c.user_id, _OUTBOX.c.id, _OUTBOX.c.not_before)
                .where(
                    _among(_OUTBOX.c.user_id, "users", dialect),
                    _OUTBOX.c.status == "pending",
                    ~_among(_OUTBOX.c.id, "ids", dialect),
                )
                .order_by(_OUTBOX.c.id),
                {
                    "users": _listed(sorted({r.user_id for r in held}), dialect),
                    "ids": _listed(ids, dialect),
                },
            )
        ).all():
            first_outside.setdefault(user_id, (rid, _aware(not_before) or now))
        due: set[int] = set()
        for r in held:
            not_before = _aware(r.not_before) or now
            before = first_outside.get(r.user_id)
            if before is not None and before[0] < r.id:
                # Behind an earlier one: due no sooner than it (a row given
                # back still due would only be claimed again at once).
                not_before = max(not_before, before[1])
            elif not_before <= now:
                due.add(r.id)
                continue
            await self._finish(r.id, r.claim_token, not_before=not_before)
        return due

    async def release(self, rows: Sequence[tuple[int, str]], at: datetime) -> None:
        """Give claimed rows (id, token) back unsent, without counting an
        attempt: due at ``at``, or later if they were made to wait since."""
        dialect = await self._dialect()
        for tok, ids in _by_token(rows).items():
            await self.session.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.claim_token == tok, _among(_OUTBOX.c.id, "ids", dialect))
                .values(
                    claimed_until=None,
                    claim_token=None,
                    not_before=case((_OUTBOX.c.not_before > at, _OUTBOX.c.not_before), else_=at),
                )
                .execution_options(synchronize_session=False),
                {"ids": _listed(ids, dialect)},
            )

    async def mark_sent(self, rows: Sequence[tuple[int, str]], now: datetime) -> int:
        """Rows (id, token) the messenger accepted; returns how many were still
        held under those claims."""
        done = 0
        dialect = await self._dialect()
        for tok, ids in _by_token(rows).items():
            result = await self.session.execute(
                _mark_sent(dialect), {"token": tok, "ids": _listed(ids, dialect), "now": now}
            )
            done += int(getattr(result, "rowcount", 0) or 0)
        return done

    async def _dialect(self) -> str:
        return (await self.session.connection()).dialect.name

    async def _finish(self, row_id: int, token: str, **values: object) -> None:
        await self.session.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.id == row_id, _OUTBOX.c.claim_token == token)
            .values(claimed_until=None, claim_token=None, **values)
        )

    async def retry(
        self, row_id: int, token: str, *, at: datetime, error: str | None, count: bool = True
    ) -> None:
        """Back to pending, not before ``at``; ``count`` adds a failed attempt
        (a wait the messenger asked for does not). ``error`` None keeps the
        last one."""
        values: dict[str, object] = {"not_before": at}
        if error is not None:
            values["last_error"] = error[:300]
        if count:
            values["attempts"] = _OUTBOX.c.attempts + 1
        await self._finish(row_id, token, **values)

    async def hold_later(self, user_id: int, row_id: int, at: datetime) -> None:
        """The person's messages queued after ``row_id`` wait until ``at``
        too: claims go by due time, and one due sooner would overtake it."""
        await self.session.execute(
            update(_OUTBOX)
            .where(
                _OUTBOX.c.user_id == user_id,
                _OUTBOX.c.status == "pending",
                _OUTBOX.c.id > row_id,
                _OUTBOX.c.not_before < at,
            )
            .values(not_before=at)
            .execution_options(synchronize_session=False)
        )

    async def fail(self, row_id: int, token: str, error: str) -> None:
        """Given up (rejected, or too many attempts): never sent."""
        await self._finish(
            row_id, token, status="failed", attempts=_OUTBOX.c.attempts + 1, last_error=error[:300]
        )

    async def block_user(self, user_id: int, now: datetime, error: str) -> int:
        """The person blocked the bot: mark them unreachable and hold back every
        pending message to them ("blocked"). Returns how many were held back."""
        await self.session.execute(
            update(_USERS)
            .where(_USERS.c.id == user_id, _USERS.c.unreachable_at.is_(None))
            .values(unreachable_at=now)
        )
        result = await self.session.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.user_id == user_id, _OUTBOX.c.status == "pending")
            .values(status="blocked", last_error=error[:300], claimed_until=None, claim_token=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def cancel_opted_out(self, user_id: int, error: str) -> int:
        """An SMS number texted TU CHOI: every pending message to it is
        cancelled (never sent), the number is not marked unreachable (it can
        text DONG Y). Returns how many."""
        result = await self.session.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.user_id == user_id, _OUTBOX.c.status == "pending")
            .values(
                status="cancelled", last_error=error[:300], claimed_until=None, claim_token=None
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def defer_quiet(self, now: datetime, until: datetime) -> int:
        """Quiet hours: move due messages to people other than officers to
        ``until`` (the morning). Returns how many were moved."""
        result = await self.session.execute(
            update(_OUTBOX)
            .where(
                _OUTBOX.c.status == "pending",
                _OUTBOX.c.not_before <= now,
                or_(_OUTBOX.c.claimed_until.is_(None), _OUTBOX.c.claimed_until < now),
                _OUTBOX.c.user_id.in_(
                    select(_USERS.c.id).where(_USERS.c.role.not_in(UNRESTRICTED_ROLES))
                ),
            )
            .values(not_before=until)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def next_due(self) -> datetime | None:
        """When the earliest pending message becomes due."""
        value = (
            await self.session.execute(
                select(func.min(_OUTBOX.c.not_before)).where(_OUTBOX.c.status == "pending")
            )
        ).scalar()
        return _aware(value)

    async def pending(self) -> int:
        """How many messages wait to be sent (the outbox depth)."""
        q = select(func.count()).select_from(_OUTBOX).where(_OUTBOX.c.status == "pending")
        return int((await self.session.execute(q)).scalar() or 0)

    async def counts(self, kind: str | None = None) -> dict[str, int]:
        """How many rows are in each status."""
        q = select(_OUTBOX.c.status, func.count()).group_by(_OUTBOX.c.status)
        if kind is not None:
            q = q.where(_OUTBOX.c.kind == kind)
        return {status: n for status, n in (await self.session.execute(q)).all()}

    async def existing(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` are already in the outbox (whatever their status)."""
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = await self.session.execute(select(OutboxRow.key).where(OutboxRow.key.in_(chunk)))
            found.update(rows.scalars())
        return found

    async def get(self, row_id: int) -> OutboxMessage | None:
        row = await self.session.get(OutboxRow, row_id)
        return _message(row) if row is not None else None


class WebInboxStore(_Store):
    """Proactive messages waiting for a web-chat browser to fetch them."""

    async def put(
        self,
        external_id: str,
        text: str,
        options: list[tuple[str, str]],
        now: datetime,
        ref: str | None = None,
    ) -> None:
        conn = await self.session.connection()
        await conn.execute(
            _INBOX.insert().values(
                external_id=external_id,
                text=text,
                options=json.dumps([list(o) for o in options], ensure_ascii=False),
                created_at=now,
                ref=ref,
            )
        )

    async def replace(
        self,
        external_id: str,
        ref: str,
        text: str,
        options: list[tuple[str, str]],
        now: datetime,
    ) -> None:
        """The message ``ref`` changed: the waiting copy is rewritten, or, when
        the page already took it, a new copy tells the page to swap it."""
        conn = await self.session.connection()
        result = await conn.execute(
            update(_INBOX)
            .where(_INBOX.c.external_id == external_id, _INBOX.c.ref == ref)
            .values(text=text, options=json.dumps([list(o) for o in options], ensure_ascii=False))
        )
        if not result.rowcount:
            await self.put(external_id, text, options, now, ref=ref)

    async def take(
        self, external_id: str, limit: int = 20
    ) -> list[tuple[str, list[tuple[str, str]], str | None]]:
        """The oldest waiting messages (text, options, ref), removed from the inbox."""
        conn = await self.session.connection()
        rows = (
            await conn.execute(
                select(_INBOX.c.id, _INBOX.c.text, _INBOX.c.options, _INBOX.c.ref)
                .where(_INBOX.c.external_id == external_id)
                .order_by(_INBOX.c.id)
                .limit(limit)
            )
        ).all()
        if rows:
            await conn.execute(delete(_INBOX).where(_INBOX.c.id.in_([r.id for r in rows])))
        return [(r.text, [(o[0], o[1]) for o in json.loads(r.options)], r.ref) for r in rows]
