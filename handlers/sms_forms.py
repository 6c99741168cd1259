"""The short SMS form of each message a feature phone gets: one SMS segment
(160 GSM-7 characters once diacritics are stripped), in the recipient's
language.

Every form is a whole sentence with named placeholders. When a long name, a
long commune name or a long reason would make it longer than one segment,
the form is tried again with shorter parts (the name's initials and the
given name first, then a reason cut at a word, with "…"); as a last resort
the plain text is cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from handlers.i18n import Translator, _
from handlers.sms_text import plain, segments
from storage.records import Beneficiary, Commune, Payment

SMS_NONE = _(
    "{month}: the payment list for {person} is not in yet. The commune usually pays around "
    "day {day}."
)
SMS_PAID_ACCOUNT = _(
    "Allowance {month} for {person}: {amount}, transferred into {bank} {account} on {date}."
)
SMS_PAID_BANK = _("Allowance {month} for {person}: {amount}, transferred to the bank on {date}.")
SMS_PAID_POST = _("Allowance {month} for {person}: {amount}, paid at the post office on {date}.")
SMS_PAID_CASH = _("Allowance {month} for {person}: {amount}, paid in cash on {date}.")
SMS_PENDING = _(
    "Allowance {month} for {person} ({amount}): not paid yet. The commune usually pays around "
    "day {day}."
)
SMS_PENDING_POST = _(
    "Allowance {month} for {person} ({amount}): not paid yet. The post office pays at the "
    "commune pay point from the 2nd to the 10th."
)
SMS_LATE = _(
    "Allowance {month} for {person} ({amount}): not paid yet, later than day {day}. "
    "Please call {contact}."
)
SMS_FAILED = _(
    "Allowance {month} for {person} ({amount}) not transferred: {reason}. The money is not "
    "lost. Please call {contact}."
)
SMS_RETURNED = _(
    "Allowance {month} for {person} ({amount}) was returned: {reason}. The money is not lost. "
    "Please call {contact}."
)
SMS_PAYDAY = _(
    "{commune}: the allowance {month} for {person} ({amount}) is usually paid around {date}. "
    "Text TC to check."
)
SMS_PAYDAY_POST = _(
    "{commune}: the allowance {month} for {person} ({amount}) is paid at the commune pay point "
    "from around {date}. Bring the citizen ID card."
)
SMS_HI_EXPIRY = _(
    "The health-insurance card of {person} expires on {date}, in {days} days. Please renew it "
    "at the commune office."
)
SMS_BROADCAST = _("Message from {commune}:\n{text}")

ELLIPSIS = "…"  # after a cut reason
SEGMENT = 160


def fits(text: str) -> bool:
    """One GSM-7 segment once diacritics are stripped."""
    return segments(plain(text)) <= 1


def first_fit(variants: Iterable[str]) -> str:
    """The first variant that fits one segment; else the last one, plain and
    cut to one segment."""
    last = ""
    for text in variants:
        if fits(text):
            return text
        last = text
    flat = plain(last)
    if segments(flat) <= 1:
        return flat
    flat = flat[: SEGMENT - 3]
    while segments(flat + "...") > 1:  # characters of the extension table count two
        flat = flat[:-1]
    return flat.rstrip() + "..."


def initials(name: str) -> str:
    """ "Tôn Thất Phương Thảo" -> "T.T.P. Thảo": the given name (last) kept."""
    parts = name.split()
    if len(parts) < 2:
        return name
    return "".join(p[0] + "." for p in parts[:-1]) + " " + parts[-1]


def names(name: str) -> list[str]:
    return [name, initials(name)] if initials(name) != name else [name]


def person(t: Translator, ben: Beneficiary, name: str, today: date) -> str:
    """How an SMS names the person (as :func:`handlers.reminders.person_name_for`)."""
    if ben.birth_year and today.year - ben.birth_year < 16:
        return t.gettext("Young {name}", name=name)
    if ben.female:
        return t.gettext("Ms {name}", name=name)
    return t.gettext("Mr {name}", name=name)


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word (the sentence around it
    goes on, so no ellipsis)."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return head.rstrip(",;:. ")


def shorter(reason: str) -> Iterator[str]:
    """The reason cut at each word, longest first, down to its first word,
    each with "…" (written "..." without diacritics)."""
    parts = reason.split()
    for n in range(len(parts) - 1, 0, -1):
        yield " ".join(parts[:n]).rstrip(",;:. ") + ELLIPSIS


def contact(t: Translator, commune: Commune | None) -> str:
    if commune and commune.officer_phone:
        return commune.officer_phone
    return t.gettext("the commune office")


def status(
    t: Translator,
    ben: Beneficiary,
    p: Payment | None,
    period: str,
    commune: Commune | None,
    today: date,
) -> str:
    """This month's allowance, in one SMS (the answer to TC, and the news
    that a payment was made, failed or was returned)."""
    day = commune.payment_day if commune and commune.payment_day else 10
    month = t.period(period)

    def variants() -> Iterator[str]:
        # The reason whole with the name whole, then with its initials; only
        # then the reason cut, a word at a time, with the shortest name.
        every = names(ben.full_name)
        note = p.note if p is not None and p.note else None
        for name in every:
            yield _status(t, ben, p, month, day, commune, today, name, note)
        for reason in shorter(note) if note else []:
            yield _status(t, ben, p, month, day, commune, today, every[-1], reason)

    return first_fit(variants())


def _status(
    t: Translator,
    ben: Beneficiary,
    p: Payment | None,
    month: str,
    day: int,
    commune: Commune | None,
    today: date,
    name: str,
    reason: str | None,
) -> str:
    who = person(t, ben, name, today)
    if p is None:
        return t.gettext(SMS_NONE, month=month, person=who, day=day)
    f: dict[str, object] = {
        "month": month,
        "person": who,
        "amount": t.money(p.amount),
        "date": t.date(p.paid_on) if p.paid_on else "-",
        "day": day,
        "contact": contact(t, commune),
        "reason": reason or t.gettext("no reason was given"),
    }
    if p.status == "paid":
        if p.method == "bank" and p.bank_name and p.account_last4:
            return t.gettext(
                SMS_PAID_ACCOUNT, bank=p.bank_name, account=f"****{p.account_last4}", **f
            )
        msgid = {"bank": SMS_PAID_BANK, "post": SMS_PAID_POST}.get(p.method, SMS_PAID_CASH)
        return t.gettext(msgid, **f)
    if p.status == "pending":
        if p.method == "post":
            return t.gettext(SMS_PENDING_POST, **f)
        late = today.day > day + 2
        return t.gettext(SMS_LATE if late else SMS_PENDING, **f)
    text = t.gettext(SMS_FAILED if p.status == "failed" else SMS_RETURNED, **f)
    # A cut reason ends the sentence with its "…": no full stop after it.
    return text.replace(ELLIPSIS + ".", ELLIPSIS) if reason and reason.endswith(ELLIPSIS) else text


def payday(
    t: Translator,
    ben: Beneficiary,
    commune: Commune,
    period: str,
    amount: int,
    post: bool,
    when: date,
    today: date,
) -> str:
    """The payment-day reminder in one SMS."""
    msgid = SMS_PAYDAY_POST if post else SMS_PAYDAY

    def variants() -> Iterator[str]:
        for place in (commune.name, cut(commune.name, 24), cut(commune.name, 12)):
            for name in names(ben.full_name):
                yield t.gettext(
                    msgid,
                    commune=place,
                    month=t.period(period),
                    person=person(t, ben, name, today),
                    amount=t.money(amount),
                    date=t.date(when),
                )

    return first_fit(variants())


def insurance(t: Translator, ben: Beneficiary, expiry: date, today: date) -> str:
    """The health-insurance expiry reminder in one SMS."""
    return first_fit(
        t.gettext(
            SMS_HI_EXPIRY,
            person=person(t, ben, name, today),
            date=t.date(expiry),
            days=(expiry - today).days,
        )
        for name in names(ben.full_name)
    )


def broadcast(t: Translator, commune: str, text: str) -> str:
    """An officer's broadcast by SMS: the header without the emoji (which
    would cost a segment of 70 characters), then the text as typed (its
    length is the officer's choice; the preview shows its cost)."""
    return t.gettext(SMS_BROADCAST, commune=commune, text=text)
