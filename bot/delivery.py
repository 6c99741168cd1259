"""The delivery worker: sends the outbox's pending rows through each
recipient's channel, within the channel's limits, and records the outcome.

One round: claim due rows (a lease, see :meth:`storage.outbox.OutboxStore.claim`),
send each person's rows in order through their channel's limiter, and mark
each accepted row sent. Several workers -- tasks in one process, or processes
on one PostgreSQL database -- never hold the same row.

What a channel answers decides what happens to a row (``bot.channels.base``):

- accepted: marked sent, under its claim, as soon as possible (marks are
  committed in small groups, at once, while the next sends go on);
- ``RetryLater`` with ``retry_after`` (429): the channel pauses that long and
  the row waits, without counting an attempt;
- ``RetryLater`` (timeout, 5xx, network): exponential backoff with jitter,
  up to ``max_attempts``, then "failed" with the reason;
- ``Unreachable`` (403, blocked, chat gone): the person is marked unreachable
  and their pending rows "blocked" until they write again;
- an SMS number that texted TU CHOI: its pending rows are "cancelled" (it
  opted out; it did not block anything, and can text DONG Y);
- ``Rejected`` (400): "failed" at once.

Quiet hours: due messages to anyone but officers wait for the morning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from bot.channels.base import Rejected, RetryLater, Sender, Unreachable
from handlers.quiet import DEFAULT_QUIET, quiet_until
from handlers.types import AT_REST, Option, Reply
from storage import Database
from storage.outbox import Claimed

log = logging.getLogger(__name__)

OPTED_OUT = "sms: the number texted TU CHOI (opted out)"


@dataclass(frozen=True)
class ChannelLimits:
    """``rate``: messages a second over the whole channel (0: no limit);
    ``chat_interval``: seconds between two messages to one person."""

    rate: float = 30.0
    chat_interval: float = 1.0


@dataclass
class DeliveryConfig:
    limits: Mapping[str, ChannelLimits] = field(
        default_factory=lambda: {"telegram": ChannelLimits(30.0, 1.0)}
    )
    # For channels not named in ``limits``.
    default_limits: ChannelLimits = field(default_factory=lambda: ChannelLimits(20.0, 1.0))
    max_attempts: int = 6
    backoff_base: float = 5.0  # seconds before the 2nd attempt; doubles each time
    backoff_cap: float = 3600.0
    lease: float = 120.0  # how long a claim holds a row
    batch: int = 500  # rows claimed at once (at most)
    idle: float = 1.0  # seconds between looks when nothing is due
    concurrency: int = 16  # sends in flight at once
    # "sent" marks: a commit at most this long after a send was accepted
    # (sooner when 200 are waiting); see _Marks.
    mark_linger: float = 0.01
    quiet: tuple[time, time] | None = DEFAULT_QUIET


# Rows claimed first when the worker comes out of idle (see run).
FIRST_CLAIM = 32

# A little more than a second between a send and the one ``rate`` sends later
# (see Limiter): room for the messenger's own clock.
WINDOW_MARGIN = 0.005


async def _until(moment: Callable[[], float]) -> None:
    """Sleep until the loop's clock reaches ``moment()`` (asked again after
    each sleep: a pause may have moved it)."""
    loop = asyncio.get_running_loop()
    while True:
        delay = moment() - loop.time()
        if delay <= 0:
            return
        await asyncio.sleep(delay)


class Limiter:
    """At most ``rate`` sends a second over the channel, one per
    ``chat_interval`` to each chat; ``pause`` holds everything back (a 429's
    retry_after).

    Sends are evenly spaced, and no second *as the messenger counts it* can
    hold more than ``rate``: the messenger sees a send somewhere between the
    moment it leaves (its turn, from :meth:`wait`) and the moment its answer
    is back (:meth:`done`). So a send may leave only once more than a second
    has passed since the answers to every send ``rate`` turns back and
    earlier came in. However late a busy machine or the network makes a
    send, it cannot land in the same second as the ``rate`` before it.
    """

    def __init__(self, limits: ChannelLimits) -> None:
        self.interval = 1.0 / limits.rate if limits.rate > 0 else 0.0
        self.per_second = max(1, math.ceil(limits.rate)) if limits.rate > 0 else 0
        self.chat_interval = limits.chat_interval
        self._next = 0.0
        self._paused_until = 0.0
        self._chats: dict[str, float] = {}
        self._lock = asyncio.Lock()
        self._turns = 0  # turns given
        self._answered: dict[int, float] = {}  # turn -> when its answer came
        self._settled = -1  # every turn up to this one has its answer in ...
        self._settled_at = 0.0  # ... by this time (the latest of them)
        self._news = asyncio.Event()

    async def wait(self, chat: str) -> int:
        """Wait for a turn to send to ``chat``; returns the turn, to hand to
        :meth:`done` once the answer is back (or the send was not made)."""
        loop = asyncio.get_running_loop()
        if not self.interval and not self.chat_interval and self._paused_until <= loop.time():
            return -1  # no limits, no pause: nothing to wait for
        # One person: their own pace first, without holding anyone else up.
        await _until(lambda: max(self._chats.get(chat, 0.0), self._paused_until))
        turn = -1
        if self.interval > 0:
            # One send at a time takes its turn, so each sees the ones before.
            async with self._lock:
                turn = self._turns
                await self._settle(turn - self.per_second)
                window = self._settled_at + 1.0 + WINDOW_MARGIN if self._settled >= 0 else 0.0
                await _until(lambda: max(self._next, self._paused_until, window))
                now = loop.time()
                self._next = max(self._next, now - self.interval) + self.interval
                self._turns += 1
        else:
            await _until(lambda: self._paused_until)
        if self.chat_interval > 0:
            self._chats[chat] = loop.time() + self.chat_interval
            if len(self._chats) > 50_000:
                now = loop.time()
                self._chats = {k: v for k, v in self._chats.items() if v > now}
        return turn

    async def _settle(self, upto: int) -> None:
        """Wait until every turn up to ``upto`` has its answer."""
        while self._settled < upto:
            nxt = self._settled + 1
            if nxt not in self._answered:
                self._news.clear()
                try:
                    await asyncio.wait_for(self._news.wait(), 30.0)
                except TimeoutError:  # a send that never reports back
                    self._answered[nxt] = asyncio.get_running_loop().time()
                continue
            self._settled_at = max(self._settled_at, self._answered.pop(nxt))
            self._settled = nxt

    def done(self, turn: int) -> None:
        """The send of ``turn`` is answered (or was not made)."""
        if turn > self._settled and turn not in self._answered:
            self._answered[turn] = asyncio.get_running_loop().time()
            self._news.set()

    def pause(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + seconds)


class _Marks:
    """Accepted rows, committed as "sent" in groups (group commit): a send
    does not wait for its own commit. A commit starts once ``group`` rows are
    waiting or ``linger`` seconds after the first of them was accepted,
    whichever comes first, and takes everything accepted meanwhile: at a few
    thousand messages a second that is one commit for dozens of rows rather
    than one for every handful (the commits were a quarter of the worker's
    time), while a crash can still only repeat what was accepted in the last
    ``linger`` seconds (see the README's guarantee)."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        *,
        linger: float = 0.01,
        group: int = 200,
    ) -> None:
        self.db = db
        self.clock = clock
        self.linger = linger
        self.group = group
        self._pending: list[tuple[int, str]] = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._full = asyncio.Event()

    def add(self, row_id: int, token: str) -> None:
        self._pending.append((row_id, token))
        if len(self._pending) >= self.group:
            self._full.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while self._pending:
            if self.linger > 0 and len(self._pending) < self.group:
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.linger)
            try:
                await self.flush()
            except Exception:
                log.exception("delivery: could not record sent messages; trying again")
                await asyncio.sleep(0.5)

    async def flush(self) -> None:
        async with self._lock:
            if not self._pending:
                return
            rows, self._pending = self._pending, []
            try:
                # One statement a claim, each whole by itself: no transaction
                # around them (see Database.autocommit).
                async with self.db.autocommit() as tx:
                    await tx.outbox.mark_sent(rows, self.clock())
            except BaseException:
                # Not recorded: keep them for the next try (a lease that runs
                # out first means they are sent again; see the README).
                self._pending[:0] = rows
                raise


class DeliveryWorker:
    """Sends outbox rows until stopped. ``senders`` maps a channel name
    (users.channel) to its adapter; rows for other channels wait."""

    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        config: DeliveryConfig | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        limiters: dict[str, Limiter] | None = None,
        on_result: Callable[[str, str], None] | None = None,
    ) -> None:
        self.db = db
        self.senders = dict(senders)
        # Told (channel, "sent" | "retry" | "failed" | "blocked") after each
        # send's outcome is recorded (metrics).
        self.on_result = on_result
        self.config = config or DeliveryConfig()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()
        # Shared by every worker task of the process (pass the same dict).
        self.limiters = limiters if limiters is not None else {}
        self._marks = _Marks(db, self.clock, linger=self.config.mark_linger)
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0  # accepted by a channel, in this worker's life

    def _outcome(self, row: Claimed, result: str) -> None:
        if self.on_result is not None:
            self.on_result(row.channel, result)

    def limiter(self, channel: str) -> Limiter:
        if channel not in self.limiters:
            limits = self.config.limits.get(channel, self.config.default_limits)
            self.limiters[channel] = Limiter(limits)
        return self.limiters[channel]

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._task is None and self.senders:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name="delivery")

    def wake(self) -> None:
        """Look for due rows now (new rows were queued)."""
        self._wake.set()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming, let sends in flight finish (rows not started are
        released at once), and record their outcomes."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, grace)
            except (TimeoutError, asyncio.CancelledError):
                pass  # cancelled: leases run out and the rows are sent again later
            except Exception:
                log.exception("delivery: worker failed")
            self._task = None
        with contextlib.suppress(Exception):
            await self._marks.flush()
        log.info("delivery: worker stopped; %d message(s) sent", self.sent)

    async def run(self) -> None:
        ahead: asyncio.Task[tuple[list[Claimed], float]] | None = None
        # Slow start: out of idle, a small claim, so the first messages go
        # out in a few milliseconds instead of after a whole batch's claim;
        # each claim taken ahead is then bigger, up to ``batch``, and still
        # done before the round it runs beside.
        size = FIRST_CLAIM
        try:
            while not self._stopping.is_set():
                try:
                    if ahead is not None:
                        claimed, ahead = ahead, None
                        rows, deadline = await claimed
                    else:
                        rows, deadline = await self._claim(size)
                    rows = await self._may_go(rows)
                    size = min(size * 4, self.config.batch) if rows else FIRST_CLAIM
                    if rows and not self._stopping.is_set():
                        # The next claim goes on while these rows go out (on
                        # PostgreSQL its round trips no longer stall the
                        # sends); its rows wait for this round to end, so a
                        # person's messages still go in order.
                        ahead = asyncio.create_task(self._claim(size))
                    handled = await self._deliver(rows, deadline)
                except Exception:
                    log.exception("delivery: a round failed; trying again shortly")
                    handled = 0
                if handled == 0 and not self._stopping.is_set():
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.config.idle)
        finally:
            if ahead is not None:
                # Stopping: what the last claim took is given back unsent.
                with contextlib.suppress(Exception):
                    rows, _deadline = await ahead
                    await self._release(rows)

    # ------------------------------------------------------------ one round

    async def run_once(self) -> int:
        """Claim due rows and send them; returns how many were claimed."""
        rows, deadline = await self._claim()
        return await self._deliver(await self._may_go(rows), deadline)

    async def _claim(self, size: int | None = None) -> tuple[list[Claimed], float]:
        """Due rows (at most ``size``, and never more than ``batch``), held
        under a lease; and the moment (loop time) after which those still
        waiting for their turn are given back rather than risk another
        worker taking them once the lease runs out."""
        now = self.clock()
        morning = quiet_until(now, self.config.quiet)
        deadline = asyncio.get_running_loop().time() + self.config.lease * 0.75
        # Outside quiet hours the claim is one statement, whole by itself.
        context = self.db.autocommit() if morning is None else self.db.transaction()
        async with context as tx:
            if morning is not None:
                await tx.outbox.defer_quiet(now, morning)
            rows = await tx.outbox.claim(
                now,
                limit=min(size or self.config.batch, self.config.batch),
                lease=timedelta(seconds=self.config.lease),
                channels=list(self.senders),
            )
        return rows, deadline

    async def _may_go(self, rows: list[Claimed]) -> list[Claimed]:
        """The claimed rows that may go now (checked when their round starts:
        a claim taken ahead may be a round old). Left out: rows cancelled or
        deleted since; given back: rows of a person with an earlier message
        still waiting (for a retry, or queued before them)."""
        if not rows:
            return rows
        try:
            async with self.db.transaction() as tx:
                ok = await tx.outbox.still_due([(r.id, r.token) for r in rows], self.clock())
        except Exception:
            # Not known: given back rather than left waiting for their lease.
            with contextlib.suppress(Exception):
                await self._release(rows)
            raise
        return [row for row in rows if row.id in ok]

    async def _deliver(self, rows: list[Claimed], deadline: float) -> int:
        """Send claimed rows; returns how many there were."""
        if not rows:
            return 0
        by_user: dict[int, list[Claimed]] = {}
        for row in rows:
            by_user.setdefault(row.user_id, []).append(row)
        for user_rows in by_user.values():
            # Queue order (a retried row's later due time must not put it
            # after the ones that waited for it).
            user_rows.sort(key=lambda row: row.id)
        # ``concurrency`` senders, each taking the next person's rows: no
        # task per person, no semaphore to queue on.
        people = iter(list(by_user.values()))

        async def sender() -> None:
            for user_rows in people:
                await self._send_user(user_rows, deadline)

        await asyncio.gather(*(sender() for _ in range(min(self.config.concurrency, len(by_user)))))
        await self._marks.flush()
        return len(rows)

    async def _send_user(self, rows: list[Claimed], deadline: float) -> None:
        """One person's rows, in order; the first that cannot go now holds the
        rest back (so they never overtake it)."""
        first = rows[0]
        if first.unreachable:
            await self._block(first, "unreachable")
            return
        if first.opted_out:
            await self._opted_out(first)
            return
        sender = self.senders[first.channel]
        limiter = self.limiter(first.channel)
        for i, row in enumerate(rows):
            if self._stopping.is_set():
                await self._release(rows[i:])
                return
            turn = await limiter.wait(row.external_id)
            try:
                if self._stopping.is_set() or asyncio.get_running_loop().time() > deadline:
                    await self._release(rows[i:])
                    return
                held_until = await self._send(sender, limiter, row, turn)
            finally:
                limiter.done(turn)
            if held_until is not None:
                # The rest wait as long as this one (same time, later ids:
                # claimed after it).
                await self._release(rows[i + 1 :], at=held_until)
                return

    async def _send(
        self, sender: Sender, limiter: Limiter, row: Claimed, turn: int
    ) -> datetime | None:
        """None once the messenger accepted the row; otherwise when the
        person's next rows may go (the row's retry time, or now)."""
        reply = Reply(text=row.text, options=[Option(oid, label) for oid, label in row.options])
        try:
            try:
                if row.options and getattr(sender, "typed_options", False):
                    # Recorded before it goes: whenever the person answers
                    # what they see, "2" is this message's second option
                    # (unless they are filling in a form: its numbers stay).
                    async with self.db.transaction() as tx:
                        await tx.conversations.push_options(
                            row.user_id, row.options, self.clock(), only_in=AT_REST
                        )
                await sender.deliver(row.external_id, reply)
            finally:
                limiter.done(turn)  # the answer is in (the rest is bookkeeping)
        except RetryLater as err:
            if err.retry_after is not None:
                limiter.pause(err.retry_after)
                return await self._retry(row, err.reason, err.retry_after, count=False)
            return await self._backoff(row, err.reason)
        except Unreachable as err:
            await self._block(row, err.reason)
            return self.clock()  # their rows are held as "blocked" anyway
        except Rejected as err:
            async with self.db.transaction() as tx:
                await tx.outbox.fail(row.id, row.token, err.reason)
            self._outcome(row, "failed")
            log.warning("delivery: message %s rejected (%s)", row.id, err.reason)
            return self.clock()
        except Exception as err:  # a bug or an unexpected answer: retry, bounded
            log.exception("delivery: unexpected error sending message %s", row.id)
            return await self._backoff(row, type(err).__name__)
        self.sent += 1
        self._marks.add(row.id, row.token)
        self._outcome(row, "sent")
        return None

    async def _backoff(self, row: Claimed, reason: str) -> datetime:
        attempts = row.attempts + 1
        if attempts >= self.config.max_attempts:
            async with self.db.transaction() as tx:
                await tx.outbox.fail(row.id, row.token, f"gave up after {attempts} tries: {reason}")
            self._outcome(row, "failed")
            log.warning("delivery: message %s failed after %d tries (%s)", row.id, attempts, reason)
            return self.clock()
        delay = min(self.config.backoff_cap, self.config.backoff_base * 2 ** (attempts - 1))
        delay *= self.rng.uniform(0.5, 1.0)  # jitter: retries of many rows spread out
        return await self._retry(row, reason, delay, count=True)

    async def _retry(self, row: Claimed, reason: str, delay: float, *, count: bool) -> datetime:
        """Back to pending for ``delay`` seconds; returns when it is due."""
        at = self.clock() + timedelta(seconds=delay)
        async with self.db.transaction() as tx:
            await tx.outbox.retry(row.id, row.token, at=at, error=reason, count=count)
            await tx.outbox.hold_later(row.user_id, row.id, at)
        self._outcome(row, "retry")
        return at

    async def _release(self, rows: list[Claimed], at: datetime | None = None) -> None:
        """Give rows back unsent, due at ``at`` (default: at once) or later if
        they were made to wait meanwhile, without counting an attempt."""
        if not rows:
            return
        async with self.db.transaction() as tx:
            await tx.outbox.release([(row.id, row.token) for row in rows], at or self.clock())

    async def _opted_out(self, row: Claimed) -> None:
        async with self.db.transaction() as tx:
            cancelled = await tx.outbox.cancel_opted_out(row.user_id, OPTED_OUT)
        self._outcome(row, "cancelled")
        log.info("delivery: an SMS number opted out; %d message(s) cancelled", cancelled)

    async def _block(self, row: Claimed, reason: str) -> None:
        async with self.db.transaction() as tx:
            held = await tx.outbox.block_user(row.user_id, self.clock(), reason)
        self._outcome(row, "blocked")
        log.info("delivery: a recipient is unreachable (%s); %d message(s) held", reason, held)
