"""Reminders tied to dates, queued by the scheduler (:mod:`bot.scheduler`).

Every job here takes ``(tx, catalogs, now)`` (settings bound with
``functools.partial``) and writes outbox rows through :func:`notify`, in each
recipient's language, keyed by event and recipient: running a job again, or
after a restart, queues nothing twice.

A reminder is due at ``hour`` o'clock (Vietnam time) on its day. One whose
moment passed while the bot was down is still sent, once, if it is no more
than ``catchup`` late (and its event has not passed); an older one is dropped
and logged, rather than telling people about a payment day long gone.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from handlers import sms_forms
from handlers.core import VN_TZ
from handlers.i18n import Catalogs, Translator, _
from handlers.notify import Message, notify_each
from storage import Tx
from storage.records import Beneficiary, Commune, Payment

log = logging.getLogger(__name__)

MSG_PAYDAY = _(
    "Reminder from {commune}: the allowance for {month} for {person} ({amount}) is usually "
    "paid around {date}. Tap “💰 Check my allowance” to see whether it has arrived."
)
MSG_PAYDAY_POST = _(
    "Reminder from {commune}: the allowance for {month} for {person} ({amount}) is paid by the "
    "post office at the commune pay point from around {date}. Please bring the citizen ID card."
)
MSG_HI_EXPIRY = _(
    "Reminder: the health-insurance card of {person} expires on {date}, in {days} days. Please "
    "renew it in time, at the commune office or in the VssID app, so that visits to the doctor "
    "stay covered."
)
CHECK_OPTION = ("menu:status", _("💰 Check my allowance"))


@dataclass(frozen=True)
class ReminderRules:
    payment_days_before: int = 2
    # How late a reminder may still be sent after downtime.
    catchup: timedelta = timedelta(days=3)
    hour: int = 8  # local time of day reminders are sent
    insurance_days_before: tuple[int, ...] = (30, 7)


def person_name_for(t: Translator, ben: Beneficiary, today: date) -> str:
    """How a message addresses this person, in ``t``'s language."""
    if ben.birth_year and today.year - ben.birth_year < 16:
        return t.gettext("Young {name}", name=ben.full_name)
    if ben.female:
        return t.gettext("Ms {name}", name=ben.full_name)
    return t.gettext("Mr {name}", name=ben.full_name)


def local_moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=VN_TZ)


def due(moment: datetime, now: datetime, catchup: timedelta) -> bool:
    """The reminder's moment has come and it is not more than ``catchup`` late."""
    return moment <= now < moment + catchup


def payment_date(period: str, day: int) -> date:
    year, month = (int(p) for p in period.split("-"))
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _periods(today: date) -> list[str]:
    nxt = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return [f"{today.year:04d}-{today.month:02d}", f"{nxt.year:04d}-{nxt.month:02d}"]


async def queue_payment_reminders(
    tx: Tx, catalogs: Catalogs, now: datetime, rules: ReminderRules = ReminderRules()
) -> int:
    """N days before the commune's payment day, to the people linked to
    beneficiaries whose payment of that month is not paid yet."""
    today = now.astimezone(VN_TZ).date()
    queued = 0
    for commune in await tx.reminders.communes_with_payment_day():
        assert commune.payment_day is not None
        for period in _periods(today):
            payday = payment_date(period, commune.payment_day)
            moment = local_moment(payday - timedelta(days=rules.payment_days_before), rules.hour)
            if not due(moment, now, rules.catchup) or today > payday:
                continue
            queued += await _payday(tx, catalogs, now, commune, period, payday)
    return queued


async def _payday(
    tx: Tx, catalogs: Catalogs, now: datetime, commune: Commune, period: str, payday: date
) -> int:
    candidates = await tx.reminders.unpaid_linked(commune.code, period)
    keys = [f"payday:{period}:{ben.id}:{uid}" for uid, ben, _p in candidates]
    done = await tx.outbox.existing(keys)
    today = now.astimezone(VN_TZ).date()
    items: list[tuple[int, str, Message, Message | None]] = []
    for key, (uid, ben, payment) in zip(keys, candidates, strict=True):
        if key in done:
            continue

        def text(t: Translator, ben: Beneficiary = ben, payment: Payment | None = payment) -> str:
            amount = payment.amount if payment is not None else ben.monthly_amount
            method = payment.method if payment is not None else ben.payment_method
            msgid = MSG_PAYDAY_POST if method == "post" else MSG_PAYDAY
            return t.gettext(
                msgid,
                commune=commune.name,
                month=t.period(period),
                person=person_name_for(t, ben, today),
                amount=t.money(amount),
                date=t.date(payday),
            )

        def short(t: Translator, ben: Beneficiary = ben, payment: Payment | None = payment) -> str:
            amount = payment.amount if payment is not None else ben.monthly_amount
            method = payment.method if payment is not None else ben.payment_method
            return sms_forms.payday(
                t, ben, commune, period, amount, method == "post", payday, today
            )

        items.append((uid, key, text, short))
    return await notify_each(
        tx, catalogs, items, kind="reminder_payday", now=now, options=[CHECK_OPTION]
    )


async def queue_health_insurance_reminders(
    tx: Tx, catalogs: Catalogs, now: datetime, rules: ReminderRules = ReminderRules()
) -> int:
    """30 and 7 days (``rules.insurance_days_before``) before a beneficiary's
    health-insurance card expires, to the people linked to them."""
    today = now.astimezone(VN_TZ).date()
    longest = max(rules.insurance_days_before)
    candidates = await tx.reminders.expiring_linked(today, today + timedelta(days=longest))
    queued = 0
    for days in rules.insurance_days_before:
        pending = []
        for uid, ben, expiry in candidates:
            moment = local_moment(expiry - timedelta(days=days), rules.hour)
            if due(moment, now, rules.catchup):
                key = f"hi_expiry:{days}:{ben.id}:{expiry.isoformat()}:{uid}"
                pending.append((key, uid, ben, expiry))
        done = await tx.outbox.existing([p[0] for p in pending])
        items: list[tuple[int, str, Message, Message | None]] = []
        for key, uid, ben, expiry in pending:
            if key in done:
                continue

            def text(t: Translator, ben: Beneficiary = ben, expiry: date = expiry) -> str:
                return t.gettext(
                    MSG_HI_EXPIRY,
                    person=person_name_for(t, ben, today),
                    date=t.date(expiry),
                    days=(expiry - today).days,
                )

            def short(t: Translator, ben: Beneficiary = ben, expiry: date = expiry) -> str:
                return sms_forms.insurance(t, ben, expiry, today)

            items.append((uid, key, text, short))
        queued += await notify_each(tx, catalogs, items, kind="reminder_insurance", now=now)
    return queued


async def purge_auth_attempts(
    tx: Tx, catalogs: Catalogs, now: datetime, *, window: timedelta
) -> int:
    """Drop citizen-ID check attempts older than twice the lockout window:
    they no longer count for any limit."""
    return await tx.attempts.purge(now - 2 * window)
