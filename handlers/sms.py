"""SMS from a feature phone: a few keywords instead of a conversation.

- ``TC`` / ``TIEN`` / ``TRO CAP`` (any case, with or without diacritics):
  this month's allowance status of every beneficiary whose own or
  relative's phone this number is; a number not on file gets a short answer
  that reveals nothing. At most :data:`STATUS_PER_DAY` a day per number.
- ``TU CHOI`` / ``STOP``: no more SMS to this number until ``DONG Y`` /
  ``START``.
- Anything else: what can be texted.

The SMS channel's identity is the lookup hash of the E.164 phone number (the
phone itself is kept encrypted); the channel strips
diacritics on the way out (:mod:`handlers.sms_text`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.citizen import status_text
from handlers.core import Context
from handlers.features import Feature
from handlers.i18n import Catalogs, _
from handlers.notify import notify
from handlers.text import words
from storage import Tx

CHANNEL = "sms"
STATUS_PER_DAY = 5

STATUS_WORDS = frozenset({"tc", "tien", "tro cap", "tien tro cap", "status", "tra cuu"})
STOP_WORDS = frozenset({"tu choi", "tuchoi", "stop"})
START_WORDS = frozenset({"dong y", "dongy", "start"})

MSG_HELP = _(
    "Allowance service: text TC to see this month's allowance. Text TU CHOI to stop these messages."
)
MSG_UNKNOWN = _(
    "This phone number cannot get allowance information by SMS. Please contact the commune officer."
)
MSG_LIMIT = _("You have asked {count} times today. Please text TC again tomorrow.")
MSG_STOPPED = _(
    "You will no longer get SMS from the allowance service. Text DONG Y to get them again."
)
MSG_STARTED = _("You will get SMS from the allowance service again. Text TU CHOI to stop them.")

MSG_BUDGET = _(
    "The SMS budget of {commune} for this month ({budget} SMS) is used up: no more SMS will "
    "be sent to citizens until next month. Messages on Telegram, Zalo and the web chat go on. "
    "To send more, ask the administrator to raise the budget."
)


async def budget_reached(
    tx: Tx, catalogs: Catalogs, commune_code: str, budget: int, period: str, now: datetime
) -> None:
    """Tell the commune's officers, once a month, that SMS stopped."""
    commune = await tx.communes.get(commune_code)
    name = commune.name if commune else commune_code
    for uid in await tx.officers.users_of(commune_code):
        await notify(
            tx,
            catalogs,
            user_id=uid,
            key=f"sms_budget:{commune_code}:{period}:{uid}",
            kind="sms_budget",
            message=MSG_BUDGET,
            now=now,
            commune=name,
            budget=budget,
        )


async def refresh_sms_links(tx: Tx, catalogs: Catalogs, now: datetime) -> int:
    """The scheduler's hourly job: people added to an SMS commune's list (an
    import) become reachable by SMS; people who linked on a messenger stop
    getting SMS as well. Returns how many people are reachable by SMS."""
    return sum(
        [
            await tx.sms.sync_links(code, True, catalogs.default)
            for code in await tx.sms.enabled_communes()
        ]
    )


def keyword(text: str) -> str:
    """The typed keyword, lower case and without diacritics or punctuation."""
    return " ".join(words(text))


async def claim(ctx: Context) -> bool:
    """Every message that came by SMS is answered here."""
    if ctx.user.channel != CHANNEL:
        return False
    word = keyword(ctx.incoming.text or "")
    if word in STOP_WORDS:
        await ctx.tx.sms.set_opt_out(ctx.user.id, ctx.now)
        await ctx.tx.audit.write("sms.opt_out", user_id=ctx.user.id, at=ctx.now)
        ctx.say(ctx._(MSG_STOPPED))
    elif word in START_WORDS:
        await ctx.tx.sms.set_opt_out(ctx.user.id, None)
        await ctx.tx.audit.write("sms.opt_in", user_id=ctx.user.id, at=ctx.now)
        ctx.say(ctx._(MSG_STARTED))
    elif word in STATUS_WORDS:
        await _status(ctx)
    else:
        ctx.say(ctx._(MSG_HELP))
    return True


async def _status(ctx: Context) -> None:
    asked = await ctx.tx.sms.count_actions(ctx.user.id, "sms.status", ctx.now - timedelta(days=1))
    if asked >= STATUS_PER_DAY:
        ctx.say(ctx._(MSG_LIMIT, count=asked))
        return
    # The SMS identity is the phone's lookup hash (storage.sms).
    found = await ctx.tx.beneficiaries.find_by_phone_hash(ctx.user.external_id)
    await ctx.tx.audit.write("sms.status", user_id=ctx.user.id, at=ctx.now, found=len(found))
    if not found:
        ctx.say(ctx._(MSG_UNKNOWN))
        return
    d = ctx.local_now.date()
    period = f"{d.year:04d}-{d.month:02d}"
    for ben, _kind in found:
        recent = await ctx.tx.payments.recent(ben.id, period, limit=1)
        payment = recent[0] if recent and recent[0].period == period else None
        commune = await ctx.tx.communes.get(ben.commune_code)
        await ctx.tx.audit.write(
            "status", user_id=ctx.user.id, beneficiary_id=ben.id, at=ctx.now, period=period
        )
        ctx.say(status_text(ctx, ben, payment, period, commune))


FEATURE = Feature(name="sms", claim=claim)
