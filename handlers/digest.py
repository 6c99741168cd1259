"""The officers' weekly digest: one message per officer and commune a week.

The digest is a list of sections. A section is ``section(tx, commune, now)``
returning a function of the officer's translator that writes its paragraph,
or None when it has nothing to say. Another capability adds its own section
(pending bank-account requests, volunteers' visits) by appending to
``SECTIONS``; the order of the list is the order in the message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.core import VN_TZ
from handlers.i18n import Catalogs, Translator, _
from handlers.notify import Message, notify_each
from handlers.reminders import due, local_moment
from storage import Tx
from storage.records import Commune

Render = Callable[[Translator], str]
Section = Callable[[Tx, Commune, datetime], Awaitable[Render | None]]

MAX_NAMES = 10

MSG_HEADER = _("Weekly summary for {commune}, {date}:")
MSG_PROBLEMS = _("Failed or returned payments in {month}: {count}.")
MSG_NO_PROBLEMS = _("No failed or returned payments in {month}.")
MSG_PROBLEM_FAILED = _("{name}: transfer failed — {reason}")
MSG_PROBLEM_RETURNED = _("{name}: returned — {reason}")
PROBLEM_LINES = {"failed": MSG_PROBLEM_FAILED, "returned": MSG_PROBLEM_RETURNED}
MSG_NO_REASON = _("no reason given")
MSG_EXPIRING = _("Health-insurance cards expiring in the next {days} days: {count}.")
MSG_NO_EXPIRING = _("No health-insurance cards expire in the next {days} days.")
MSG_EXPIRING_LINE = _("{name}: {date}")
MSG_MORE = _("… and {count} more.")
MSG_BANK_REQUESTS = _(
    "Bank-account registrations waiting for your review: {count}. Type /requests to see them."
)
MSG_NO_BANK_REQUESTS = _("No bank-account registrations are waiting for review.")
MSG_VISITS = _(
    "“1+20” volunteers in the last 7 days: {visits} visits to {households} households, "
    "by {volunteers} volunteers."
)
MSG_NO_VISITS = _("No “1+20” volunteer visits were recorded in the last 7 days.")
EXPIRY_DAYS = 30


@dataclass(frozen=True)
class DigestRules:
    weekday: int = 1  # 1 = Monday … 7 = Sunday
    hour: int = 7  # local time
    catchup: timedelta = timedelta(days=3)


def _bullets(t: Translator, lines: list[str], total: int) -> list[str]:
    out = ["• " + line for line in lines[:MAX_NAMES]]
    if total > MAX_NAMES:
        out.append(t.gettext(MSG_MORE, count=total - MAX_NAMES))
    return out


async def payment_problems(tx: Tx, commune: Commune, now: datetime) -> Render | None:
    today = now.astimezone(VN_TZ).date()
    period = f"{today.year:04d}-{today.month:02d}"
    found = await tx.reminders.payment_problems(commune.code, period)

    def render(t: Translator) -> str:
        if not found:
            return t.gettext(MSG_NO_PROBLEMS, month=t.period(period))
        lines = [
            t.gettext(
                PROBLEM_LINES.get(p.status, MSG_PROBLEM_RETURNED),
                name=b.full_name,
                reason=p.note or t.gettext(MSG_NO_REASON),
            )
            for b, p in found
        ]
        head = t.gettext(MSG_PROBLEMS, month=t.period(period), count=len(found))
        return "\n".join([head, *_bullets(t, lines, len(found))])

    return render


async def expiring_cards(tx: Tx, commune: Commune, now: datetime) -> Render | None:
    today = now.astimezone(VN_TZ).date()
    found = await tx.reminders.expiring(commune.code, today, today + timedelta(days=EXPIRY_DAYS))

    def render(t: Translator) -> str:
        if not found:
            return t.gettext(MSG_NO_EXPIRING, days=EXPIRY_DAYS)
        lines = [t.gettext(MSG_EXPIRING_LINE, name=b.full_name, date=t.date(d)) for b, d in found]
        head = t.gettext(MSG_EXPIRING, days=EXPIRY_DAYS, count=len(found))
        return "\n".join([head, *_bullets(t, lines, len(found))])

    return render


async def pending_bank_requests(tx: Tx, commune: Commune, now: datetime) -> Render | None:
    count = await tx.bank_requests.count_pending([commune.code])

    def render(t: Translator) -> str:
        if not count:
            return t.gettext(MSG_NO_BANK_REQUESTS)
        return t.gettext(MSG_BANK_REQUESTS, count=count)

    return render


async def volunteer_activity(tx: Tx, commune: Commune, now: datetime) -> Render | None:
    visits, households, volunteers = await tx.volunteers.activity(
        commune.code, now - timedelta(days=7)
    )

    def render(t: Translator) -> str:
        if not visits:
            return t.gettext(MSG_NO_VISITS)
        return t.gettext(MSG_VISITS, visits=visits, households=households, volunteers=volunteers)

    return render


SECTIONS: list[Section] = [
    payment_problems,
    pending_bank_requests,
    expiring_cards,
    volunteer_activity,
]


def week_moment(now: datetime, rules: DigestRules) -> tuple[str, datetime]:
    """This ISO week's label ("2026-W47") and the moment its digest is due."""
    local = now.astimezone(VN_TZ)
    year, week, _day = local.isocalendar()
    monday = local.date() - timedelta(days=local.weekday())
    moment = local_moment(monday + timedelta(days=rules.weekday - 1), rules.hour)
    return f"{year:04d}-W{week:02d}", moment


async def queue_officer_digests(
    tx: Tx,
    catalogs: Catalogs,
    now: datetime,
    rules: DigestRules = DigestRules(),
    sections: list[Section] | None = None,
) -> int:
    week, moment = week_moment(now, rules)
    if not due(moment, now, min(rules.catchup, timedelta(days=7))):
        return 0
    officers = await tx.reminders.officers()
    keys = [f"digest:{week}:{code}:{uid}" for uid, code in officers]
    done = await tx.outbox.existing(keys)
    renders: dict[str, list[Render]] = {}
    items: list[tuple[int, str, Message, Message | None]] = []
    today = now.astimezone(VN_TZ).date()
    for key, (uid, code) in zip(keys, officers, strict=True):
        if key in done:
            continue
        commune = await tx.communes.get(code)
        if commune is None:
            continue
        if code not in renders:
            parts = [await s(tx, commune, now) for s in (sections or SECTIONS)]
            renders[code] = [p for p in parts if p is not None]

        def text(
            t: Translator, commune: Commune = commune, parts: list[Render] = renders[code]
        ) -> str:
            head = t.gettext(MSG_HEADER, commune=commune.name, date=t.date(today))
            return "\n\n".join([head, *(p(t) for p in parts)])

        items.append((uid, key, text, None))  # officers: no SMS
    return await notify_each(tx, catalogs, items, kind="digest", now=now)
