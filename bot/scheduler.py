"""The scheduler: reminders, digests and housekeeping, run by one leader.

Each job is a function ``job(tx, catalogs, now) -> int`` (how many messages
or rows it wrote) living in handlers/ or storage/, so it can be tested without
this loop. A job is idempotent: it writes outbox rows keyed by event and
recipient, so running it twice, or after a restart, queues nothing twice. The
loop runs every job whose interval has passed, each in its own transaction; a
failing job is logged and the others go on.

Only the leader runs jobs (see :mod:`storage.leader`); the others try again
every ``retry`` seconds and take over when the leader stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from handlers.core import Limits
from handlers.i18n import Catalogs
from storage import Database, Tx
from storage.leader import Leadership

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

JobFunction = Callable[[Tx, Catalogs, datetime], Awaitable[int]]


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunction
    # At most once per ``every``; 0 runs it on every tick.
    every: timedelta = timedelta(0)


class Scheduler:
    def __init__(
        self,
        db: Database,
        catalogs: Catalogs,
        jobs: Sequence[Job],
        *,
        clock: Callable[[], datetime] | None = None,
        tick: float = 60.0,
        retry: float = 30.0,
    ) -> None:
        self.db = db
        self.catalogs = catalogs
        self.jobs = list(jobs)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.tick = tick
        self.retry = retry
        self.leadership = Leadership(db)
        self._last_run: dict[str, datetime] = {}
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def step(self) -> dict[str, int] | None:
        """One round: lead (or check we still do), then run the due jobs.
        None when another process leads."""
        if not await self.leadership.acquire():
            return None
        return await self.run_due()

    async def run_due(self) -> dict[str, int]:
        now = self.clock()
        done: dict[str, int] = {}
        for job in self.jobs:
            last = self._last_run.get(job.name)
            if last is not None and job.every and now - last < job.every:
                continue
            try:
                async with self.db.transaction() as tx:
                    done[job.name] = await job.run(tx, self.catalogs, now)
            except Exception:
                log.exception("scheduled job %s failed; it runs again next time", job.name)
                continue
            self._last_run[job.name] = now
            if done[job.name]:
                log.info("scheduled job %s wrote %d", job.name, done[job.name])
        return done

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = await self.step()
            except Exception:
                log.exception("the scheduler could not run; trying again")
                ran = None
            wait = self.tick if ran is not None else self.retry
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=wait)

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._loop(), name="scheduler")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.leadership.release()


def default_jobs(settings: Settings, limits: Limits | None = None) -> list[Job]:
    """The bot's scheduled jobs; another capability adds its own in one line."""
    from handlers.digest import DigestRules, queue_officer_digests
    from handlers.reminders import (
        ReminderRules,
        purge_auth_attempts,
        queue_health_insurance_reminders,
        queue_payment_reminders,
    )
    from handlers.sms import refresh_sms_links
    from handlers.volunteer import queue_followup_reminders

    rules = ReminderRules(
        payment_days_before=settings.payment_reminder_days,
        catchup=timedelta(days=settings.reminder_catchup_days),
        hour=settings.reminder_hour,
    )
    digest = DigestRules(
        weekday=settings.digest_weekday,
        hour=settings.digest_hour,
        catchup=timedelta(days=settings.reminder_catchup_days),
    )
    window = (limits or Limits()).window
    # First: people newly reachable by SMS get this round's reminders too. Without
    # an SMS gateway nothing could send them, so nobody is linked to SMS.
    sms = [Job("sms_links", refresh_sms_links, timedelta(hours=1))] if settings.sms_send_url else []
    return [
        *sms,
        Job("payment_reminders", partial(queue_payment_reminders, rules=rules)),
        Job("insurance_reminders", partial(queue_health_insurance_reminders, rules=rules)),
        Job("officer_digests", partial(queue_officer_digests, rules=digest)),
        Job("purge_auth_attempts", partial(purge_auth_attempts, window=window), timedelta(days=1)),
        Job("followup_reminders", queue_followup_reminders),
    ]
