"""The dispatcher: one database transaction per incoming message.

It finds (or creates) the user, loads their conversation state, resolves what
they tapped or typed into an option, runs the step, saves the new state and
commits -- all together, so a message is handled whole or not at all. One
person's messages are handled strictly one after another.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from zoneinfo import ZoneInfo

from handlers.errors import DomainError
from handlers.i18n import Catalogs, Translator
from handlers.i18n import _ as N_
from handlers.text import words
from handlers.types import Incoming, Option, Reply
from storage import Database, Tx
from storage.records import ConversationState, User

log = logging.getLogger(__name__)

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Quiet hours (Vietnam time): see handlers.quiet.
QuietHours = tuple[day_time, day_time]
DEFAULT_QUIET: QuietHours = (day_time(21, 0), day_time(7, 0))

MSG_TRY_AGAIN = N_(
    "Sorry, something went wrong on our side. Nothing was changed. Please try again in a moment."
)


@dataclass(frozen=True)
class Limits:
    """Lockout rules for the citizen-ID check, and the SMS rules."""

    failures_per_user: int = 5
    failures_per_id: int = 10
    # Failed checks from one network address (web chat), where a new identity
    # is only a new cookie away. Higher: a commune office may share one address.
    failures_per_origin: int = 20
    window: timedelta = timedelta(hours=24)
    # SMS: answers to one number a day (SMS_ANSWERS_PER_DAY), and whether
    # SMS keep their diacritics (SMS_UNICODE: 70 characters a segment).
    sms_answers_per_day: int = 10
    sms_unicode: bool = False


@dataclass
class Context:
    """What a step function gets: the transaction, the user and their state."""

    tx: Tx
    db: Database
    catalogs: Catalogs
    user: User
    t: Translator
    state: ConversationState
    incoming: Incoming
    now: datetime  # aware, UTC
    limits: Limits
    # When proactive messages to citizens wait for the morning (None: never).
    quiet: QuietHours | None = DEFAULT_QUIET
    replies: list[Reply] = field(default_factory=list)
    # Work that must run after this message's transaction has committed, in
    # its own transactions (an officer's import); each returns more replies.
    after_commit: list[Callable[[], Awaitable[list[Reply]]]] = field(default_factory=list)

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(VN_TZ)

    def _(self, message: str, **params: object) -> str:
        return self.t.gettext(message, **params)

    def say(
        self,
        text: str,
        options: list[Option] | None = None,
        *,
        keyboard: str = "inline",
        request_contact: str | None = None,
    ) -> None:
        self.replies.append(
            Reply(
                text=text,
                options=options or [],
                keyboard="menu" if keyboard == "menu" else "inline",
                request_contact=request_contact,
            )
        )

    def goto(self, state: str, **data: object) -> None:
        """Move to ``state``; ``data`` replaces the draft."""
        self.state.state = state
        self.state.data = dict(data)


Step = Callable[[Context], Awaitable[None]]


def resolve_option(text: str, options: list[tuple[str, str]]) -> str | None:
    """Map typed text to one of the offered options.

    "2", "số 2", "so 2", "#2" pick the second option; the option's words, with
    or without diacritics and in any case, pick that option, and so do some of
    its words when no other option has them.
    """
    if not options:
        return None
    ws = words(text)
    if not ws:
        return None
    if ws[0] in ("so", "number", "no") and len(ws) == 2:
        ws = ws[1:]
    if len(ws) == 1 and ws[0].isdecimal() and ws[0].isascii() and len(ws[0]) < 4:
        n = int(ws[0])
        if 1 <= n <= len(options):
            return options[n - 1][0]
        return None
    ws = [_SHORT.get(w, w) for w in ws]
    key = " ".join(ws)
    labels = [(oid, " ".join(words(label))) for oid, label in options]
    for oid, label in labels:
        if label == key:
            return oid
    # Part of an option's words ("dong y" for "Tôi đồng ý", "co" for "Có, xóa",
    # "hen gio" for "⏰ Hẹn giờ gửi"), when only one option has them -- and not
    # an option that says no when the person did not ("Không đồng ý").
    if len(key) < 2:
        return None
    found = [
        oid
        for oid, label in labels
        if f" {key} " in f" {label} " and not (_NEGATIONS & (set(label.split()) - set(ws)))
    ]
    return found[0] if len(found) == 1 else None


# Everyday short forms typed on a phone.
_SHORT = {"ko": "khong", "k": "khong", "hok": "khong", "kg": "khong"}
_NEGATIONS = {"khong", "chua", "no", "not", "dont"}


class Dispatcher:
    """Runs one incoming message through the conversation.

    ``route`` is the conversation's entry point (see :mod:`handlers.citizen`);
    it reads ``ctx.incoming`` and ``ctx.state`` and fills ``ctx.replies``.
    """

    def __init__(
        self,
        db: Database,
        catalogs: Catalogs,
        route: Step,
        *,
        limits: Limits | None = None,
        clock: Callable[[], datetime] | None = None,
        observe: Callable[[str, float], None] | None = None,
        quiet: QuietHours | None = DEFAULT_QUIET,
    ) -> None:
        self.db = db
        self.quiet = quiet
        self.catalogs = catalogs
        # Told (channel, seconds) after each message is handled (metrics).
        self.observe = observe
        self.route = route
        self.limits = limits or Limits()
        self.clock = clock or (lambda: datetime.now(UTC))
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._waiters: dict[tuple[str, str], int] = {}

    async def handle(self, incoming: Incoming) -> list[Reply]:
        key = (incoming.channel, incoming.user_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiters[key] = self._waiters.get(key, 0) + 1
        try:
            async with lock:
                started = time.perf_counter()
                replies = await self._handle(incoming)
                if self.observe is not None:
                    self.observe(incoming.channel, time.perf_counter() - started)
                return replies
        finally:
            self._waiters[key] -= 1
            if self._waiters[key] == 0:
                del self._waiters[key]
                self._locks.pop(key, None)

    async def _handle(self, incoming: Incoming) -> list[Reply]:
        t = self.catalogs.get(self.catalogs.default)
        try:
            async with self.db.transaction() as tx:
                # Another process may be handling this person's previous
                # message: wait for it, so their messages never interleave.
                await tx.users.serialise(incoming.channel, incoming.user_id)
                user, loaded, _created = await tx.users.open(
                    incoming.channel, incoming.user_id, self.catalogs.default
                )
                t = self.catalogs.get(user.locale)
                state = loaded or ConversationState("menu", {}, [])
                before = (state.state, dict(state.data), list(state.options)) if loaded else None
                ctx = Context(
                    tx=tx,
                    db=self.db,
                    catalogs=self.catalogs,
                    user=user,
                    t=t,
                    state=state,
                    incoming=incoming,
                    now=self.clock(),
                    limits=self.limits,
                    quiet=self.quiet,
                )
                await self.route(ctx)
                if not ctx.replies:
                    raise RuntimeError("a step produced no reply")
                # Remember the options of the last reply that offered some, so
                # "2" or the option's words can be typed next time.
                offered = [r for r in ctx.replies if r.options]
                if offered:
                    ctx.state.options = [(o.id, o.label) for o in offered[-1].options]
                after = (ctx.state.state, ctx.state.data, ctx.state.options)
                if ctx.state.state != "__deleted__" and after != before:
                    # Options this message did not offer are left as stored: a
                    # message pushed meanwhile (bot.delivery) may have set them.
                    await tx.conversations.save(
                        user.id,
                        ctx.state,
                        exists=loaded is not None,
                        options=bool(offered) or before is None or after[2] != before[2],
                    )
                replies, followups = ctx.replies, ctx.after_commit
            for work in followups:
                replies = replies + await work()
            return replies
        except DomainError as err:
            return [Reply(text=t.gettext(err.message, **err.params))]
        except Exception:
            # Never log the text: it may hold a citizen ID or a date of birth.
            log.exception(
                "error handling a message on %s (command=%s, option=%s)",
                incoming.channel,
                incoming.command,
                incoming.option,
            )
            return [Reply(text=t.gettext(MSG_TRY_AGAIN))]
