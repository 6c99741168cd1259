"""SMS from a feature phone: a few keywords instead of a conversation.

- ``TC`` / ``TIEN`` / ``TRO CAP`` (any case, with or without diacritics):
  this month's allowance status of every beneficiary whose own or
  relative's phone this number is; a number not on file gets a short answer
  that reveals nothing. Each answer is one short SMS (:mod:`handlers.sms_forms`).
- ``TU CHOI`` / ``STOP`` (also "khong dong y"): no more SMS to this number
  until ``DONG Y`` / ``START``, typed as the whole text.
- ``EN`` / ``VI``: the number's language.
- Anything else: what can be texted.

At most ``Limits.sms_answers_per_day`` answers a day (Vietnam time) per
number, then one short notice, then nothing until the next day -- but
``TU CHOI`` / ``STOP`` is always done (confirmed in place of the notice).

The SMS channel's identity is the lookup hash of the E.164 phone number (the
phone itself is kept encrypted); the channel strips
diacritics on the way out (:mod:`handlers.sms_text`).
"""

from __future__ import annotations

from datetime import datetime

from handlers import sms_forms
from handlers.core import Context
from handlers.features import Feature
from handlers.i18n import Catalogs, _
from handlers.notify import notify
from handlers.text import best_intent, words
from storage import Tx

CHANNEL = "sms"
ANSWER = "sms.answer"  # audit action: an incoming SMS answered (the daily limit)

# What can be texted: each intent's keywords in matching-key form (lower
# case, no diacritics). A text matches when it is one of them, also written
# without spaces ("trocap"), or when it holds one (a typo allowed in words
# of four letters or more) and has at most :data:`FUZZY_WORDS` words -- but a
# language only when it is the one word typed ("vì sao chưa có tiền" asks
# for the allowance, it does not choose Vietnamese), and opting back in only
# when the keyword is the whole text (:data:`STRICT`): "stat" is not START.
# Opting out is read generously, and a negated opt-in ("không đồng ý") is an
# opt-out (:data:`NEGATIONS`).
INTENTS: dict[str, list[str]] = {
    "stop": ["tu choi", "stop"],
    "start": ["dong y", "start"],
    "en": ["en", "eng", "english", "tieng anh"],
    "vi": ["vi", "vn", "viet", "tieng viet", "vietnamese"],
    "status": ["tc", "tien", "tro cap", "tien tro cap", "status", "tra cuu", "allowance"],
}

FUZZY_WORDS = 6  # "tien thang nay ve chua"
STRICT = ("start",)  # only the keyword itself, any case, with or without diacritics
NEGATIONS = frozenset({"khong", "ko", "k", "kg", "kh", "hong", "chua", "not", "no", "dont", "don"})
LANGUAGES = ("en", "vi")

MSG_HELP = _(
    "Allowance service: text TC for this month's allowance, TU CHOI to stop these messages, "
    "EN for English, VI for Vietnamese."
)
MSG_UNKNOWN = _(
    "This phone number cannot get allowance information by SMS. Please contact the commune officer."
)
MSG_LIMIT = _(
    "This number has reached today's limit of answers ({count}). Please text again tomorrow."
)
MSG_STOPPED = _(
    "You will no longer get SMS from the allowance service. Text DONG Y to get them again."
)
MSG_STARTED = _("You will get SMS from the allowance service again. Text TU CHOI to stop them.")
MSG_LANGUAGE = _("From now on you get SMS in this language. Text TC for your allowance.")

MSG_BUDGET = _(
    "The SMS budget of {commune} for this month ({budget} SMS) is used up: no more reminders, "
    "news or broadcasts will be sent by SMS until next month; people who text the bot still get "
    "an answer. Messages on Telegram, Zalo and the web chat go on. To send more, ask the "
    "administrator to raise the budget."
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


def intent(text: str) -> str | None:
    """What an SMS asks for (a key of :data:`INTENTS`), or None."""
    typed = words(text)
    key, squashed = " ".join(typed), "".join(typed)
    for name, phrases in INTENTS.items():
        if key in phrases or squashed in {p.replace(" ", "") for p in phrases}:
            return name
    if _negated_opt_in(typed):
        return "stop"  # "không đồng ý (nhận tin)": the person does not agree
    generous = {k: v for k, v in INTENTS.items() if k not in STRICT}
    if len(typed) == 1:
        return best_intent(key, generous)
    if 1 < len(typed) <= FUZZY_WORDS:
        return best_intent(key, {k: v for k, v in generous.items() if k not in LANGUAGES})
    return None


def _negated_opt_in(typed: list[str]) -> bool:
    """An opt-in keyword right after a negation: "khong dong y", "ko start"."""
    for phrase in INTENTS["start"]:
        size = len(phrase.split())
        for i in range(1, len(typed) - size + 1):
            if " ".join(typed[i : i + size]) == phrase and typed[i - 1] in NEGATIONS:
                return True
    return False


def day_start(ctx: Context) -> datetime:
    """Midnight today, Vietnam time (the daily limit's day)."""
    local = ctx.local_now
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


async def claim(ctx: Context) -> bool:
    """Every message that came by SMS is answered here, up to
    ``ctx.limits.sms_answers_per_day`` a day per number: then one short
    notice, then nothing until tomorrow (an empty reply is not sent)."""
    if ctx.user.channel != CHANNEL:
        return False
    answered = await ctx.tx.sms.count_actions(ctx.user.id, ANSWER, day_start(ctx))
    limit = ctx.limits.sms_answers_per_day
    wanted = intent(ctx.incoming.text or "")
    if answered >= limit:
        if wanted == "stop":
            # An opt-out is always honoured; confirmed in place of the day's
            # notice, past it silently.
            await _opt_out(ctx)
        if answered == limit:
            await ctx.tx.audit.write(ANSWER, user_id=ctx.user.id, at=ctx.now, notice=True)
            notice = MSG_STOPPED if wanted == "stop" else MSG_LIMIT
            ctx.say(ctx._(notice, count=limit))
        else:
            ctx.say("")  # nothing is sent
        return True
    await ctx.tx.audit.write(ANSWER, user_id=ctx.user.id, at=ctx.now)
    if wanted == "stop":
        await _opt_out(ctx)
        ctx.say(ctx._(MSG_STOPPED))
    elif wanted == "start":
        await ctx.tx.sms.set_opt_out(ctx.user.id, None)
        await ctx.tx.audit.write("sms.opt_in", user_id=ctx.user.id, at=ctx.now)
        ctx.say(ctx._(MSG_STARTED))
    elif wanted in ("en", "vi"):
        assert wanted is not None
        await ctx.tx.users.set_locale(ctx.user.id, wanted)
        await ctx.tx.audit.write("locale", user_id=ctx.user.id, at=ctx.now, locale=wanted)
        ctx.say(ctx.catalogs.get(wanted).gettext(MSG_LANGUAGE))
    elif wanted == "status":
        await _status(ctx)
    else:
        ctx.say(ctx._(MSG_HELP))
    return True


async def _opt_out(ctx: Context) -> None:
    await ctx.tx.sms.set_opt_out(ctx.user.id, ctx.now)
    await ctx.tx.audit.write("sms.opt_out", user_id=ctx.user.id, at=ctx.now)


async def _status(ctx: Context) -> None:
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
        ctx.say(sms_forms.status(ctx.t, ben, payment, period, commune, d))


FEATURE = Feature(name="sms", claim=claim)
