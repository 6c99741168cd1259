"""Broadcast progress: the officer who sent a broadcast gets one message that
follows it as it goes out ("sent 120 of 1,000 · blocked the bot 2 · failed 1")
and shows the final counts, with the delivery report to ask for, at the end.

Where the channel can edit a message (Telegram, the web chat:
:class:`bot.channels.base.Editor`) that one message is edited in place, at
most once every ``interval`` seconds and only when the counts changed.
Elsewhere (Zalo, SMS) it goes once at the start and once at the end.

What was shown (the message's reference, the counts) is kept on the
broadcast's row, so after a restart the same message goes on being edited.
Each update is claimed on the row first, so two bot processes on one
PostgreSQL database never both send it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from bot.channels.base import DeliveryError, Editor, Rejected, Sender, Unreachable
from handlers.broadcast import progress_reply
from handlers.core import DEFAULT_QUIET, QuietHours
from handlers.i18n import Catalogs
from handlers.quiet import quiet_until
from handlers.types import AT_REST, Reply
from storage import Database
from storage.broadcasts import Progress

log = logging.getLogger(__name__)

SHOWN = ("sent", "blocked", "failed")


class ProgressReporter:
    def __init__(
        self,
        db: Database,
        catalogs: Catalogs,
        senders: Mapping[str, Sender],
        *,
        interval: float = 3.0,
        tick: float = 1.0,
        quiet: QuietHours | None = DEFAULT_QUIET,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.catalogs = catalogs
        self.senders = dict(senders)
        self.interval = interval  # seconds between two updates of one message
        self.tick = tick  # seconds between looks
        self.quiet = quiet
        self.clock = clock or (lambda: datetime.now(UTC))
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self.run(), name="broadcast-progress")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
            self._task = None

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("progress: a round failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.tick)

    async def run_once(self) -> int:
        """Update every broadcast's progress message that is due; returns how
        many messages were sent or edited."""
        now = self.clock()
        since = now - timedelta(seconds=self.interval)
        async with self.db.transaction() as tx:
            due = await tx.broadcasts.progress_due(now, since)
        changed = 0
        for bid in due:
            try:
                changed += await self._update(bid, now, since)
            except Exception:
                log.exception("progress: broadcast %s not updated; trying again shortly", bid)
        return changed

    async def _update(self, bid: int, now: datetime, since: datetime) -> int:
        async with self.db.transaction() as tx:
            p = await tx.broadcasts.claim_progress(bid, now, since)
            if p is None:
                return 0
            sender = self.senders.get(p.channel)
            if sender is None:  # the officer's channel is not served here
                return 0
            counts = await tx.broadcasts.counts(bid)
            due_now = await tx.broadcasts.due_now(bid, now)
        done = not counts.get("pending", 0)
        shown = tuple(counts.get(k, 0) for k in SHOWN)
        if p.ref is None and not any(shown):
            if done:  # cancelled before anything went: nothing to follow
                await self._save(p, None, shown, now)
                return 0
            if not due_now or quiet_until(now, self.quiet) is not None:
                return 0  # not going out yet (a later time, or the morning)
        if p.ref is not None and not done:
            if p.ref == "" or shown == (p.sent, p.blocked, p.failed):
                return 0  # cannot be edited (the end comes later), or unchanged
        reply = progress_reply(self.catalogs.get(p.locale), bid, counts)
        try:
            ref = await self._show(sender, p, reply, done, now)
        except Unreachable as err:  # the officer blocked the bot: stop following
            log.info("progress: broadcast %s: the officer is unreachable (%s)", bid, err.reason)
            await self._save(p, p.ref, shown, now)
            return 0
        except DeliveryError as err:
            log.warning("progress: broadcast %s not updated (%s)", bid, err.reason)
            return 0
        await self._save(p, ref, shown, now if done else None)
        return 1

    async def _show(
        self, sender: Sender, p: Progress, reply: Reply, done: bool, now: datetime
    ) -> str:
        """Send or edit the message; returns its reference ("" where the
        channel cannot edit)."""
        if isinstance(sender, Editor):
            if p.ref:
                try:
                    # Changed where it stands, higher up: its options never
                    # become what a number typed now means.
                    await sender.edit(p.external_id, p.ref, reply)
                    return p.ref
                except Rejected as err:  # deleted, or too old to edit: a new one
                    log.info("progress: message not edited (%s); sending a new one", err.reason)
            await self._push_options(sender, p, reply, now)
            return await sender.post(p.external_id, reply)
        if p.ref is None or done:
            await self._push_options(sender, p, reply, now)
            await sender.deliver(p.external_id, reply)
        return ""

    async def _push_options(self, sender: Sender, p: Progress, reply: Reply, now: datetime) -> None:
        """Before a new message goes: "1" typed on seeing it asks for the
        report, unless the officer has a form open (its numbers stay)."""
        if not reply.options or not getattr(sender, "typed_options", False):
            return
        async with self.db.transaction() as tx:
            await tx.conversations.push_options(
                p.user_id, [(o.id, o.label) for o in reply.options], now, only_in=AT_REST
            )

    async def _save(
        self, p: Progress, ref: str | None, shown: tuple[int, ...], done_at: datetime | None
    ) -> None:
        sent, blocked, failed = shown
        async with self.db.transaction() as tx:
            await tx.broadcasts.save_progress(
                p.broadcast_id, ref=ref, sent=sent, blocked=blocked, failed=failed, done_at=done_at
            )
