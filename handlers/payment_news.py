"""“Your allowance has arrived”: when an import marks a payment paid, failed or
returned, everyone linked to that beneficiary is told, in their own language.

The messages are written to the outbox in the import's own transaction (an
import that rolls back tells nobody), one per status event and person, worded
as the status check words it -- with the month, amount, date and channel or
the reason -- so they still make sense when they arrive later (after quiet
hours, or once a messenger lets the bot through again).

People turn the messages off and on with ``/notify`` or the switch in
"👪 People I ask for"; the setting is shown there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers import sms_forms
from handlers.citizen import nav, show_menu, status_text
from handlers.core import VN_TZ, Context
from handlers.features import Feature
from handlers.i18n import Catalogs, Translator
from handlers.i18n import _ as N_
from handlers.notify import notify
from handlers.text import words
from handlers.types import Option
from storage import Tx
from storage.records import PaymentNews

KIND = "payment"
# The statuses people hear about; "pending" is what they already expect.
NEWS_STATUSES = ("paid", "failed", "returned")

MSG_NEWS = N_("News about the allowance: {status}")
BUTTON_CHECK = N_("💰 Check my allowance")
BUTTON_OFF = N_("🔕 Turn off payment messages")
BUTTON_ON = N_("🔔 Turn on payment messages")

ON_WORDS = {"on", "bat", "mo", "bat len"}
OFF_WORDS = {"off", "tat", "tat di"}
# Answers to the question asked ("turn them off?" / "turn them on?").
YES_WORDS = {"yes", "co", "ok", "dong y", "vang", "u"}
NO_WORDS = {"no", "khong", "ko", "thoi khong"}


@dataclass
class _Voice:
    """Wording for someone who is not in the conversation right now."""

    t: Translator
    now: datetime

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(VN_TZ)

    def _(self, message: str, **params: object) -> str:
        return self.t.gettext(message, **params)


def news_key(item: PaymentNews) -> str:
    return f"payment:{item.event_id}:user:{item.user_id}"


async def queue_payment_news(tx: Tx, catalogs: Catalogs, import_id: int, now: datetime) -> int:
    """Queue the messages for an import's status events, in its transaction.
    Returns how many were queued."""
    queued = 0
    for item in await tx.imports.payment_news(import_id, NEWS_STATUSES):

        def message(t: Translator, item: PaymentNews = item) -> str:
            voice = _Voice(t, now)
            p = item.payment
            status = status_text(voice, item.beneficiary, p, p.period, item.commune)
            return t.gettext(MSG_NEWS, status=status)

        def short(t: Translator, item: PaymentNews = item) -> str:
            p = item.payment
            today = now.astimezone(VN_TZ).date()
            return sms_forms.status(t, item.beneficiary, p, p.period, item.commune, today)

        if await notify(
            tx,
            catalogs,
            user_id=item.user_id,
            key=news_key(item),
            kind=KIND,
            message=message,
            sms_message=short,
            now=now,
            options=[(f"ben:{item.beneficiary.id}", BUTTON_CHECK), ("notify:off", BUTTON_OFF)],
        ):
            queued += 1
    return queued


# ---------------------------------------------------------------- the setting


async def _set(ctx: Context, on: bool) -> None:
    await ctx.tx.users.set_notify_payments(ctx.user.id, on)
    await ctx.tx.audit.write("notify_payments", user_id=ctx.user.id, at=ctx.now, on=on)
    if on:
        text = ctx._(
            "Done. I will send you a message when a payment is made, could not be made or "
            "was returned. To stop them, type /notify."
        )
    else:
        text = ctx._(
            "Done. I will not send you payment messages any more. You can still check at any "
            "time with “💰 Check my allowance”. To turn them on again, type /notify."
        )
    show_menu(ctx, text)


def ask(ctx: Context) -> None:
    ctx.goto("notify")
    if ctx.user.notify_payments:
        text = ctx._(
            "Payment messages are on: I send you a message when an allowance you follow is "
            "paid, could not be paid or was returned. Turn them off?"
        )
        choice = Option("notify:off", ctx._(BUTTON_OFF))
    else:
        text = ctx._(
            "Payment messages are off. Turn them on to get a message when an allowance you "
            "follow is paid, could not be paid or was returned?"
        )
        choice = Option("notify:on", ctx._(BUTTON_ON))
    ctx.say(text, [choice, *nav(ctx, back=False)])


async def _on_option(ctx: Context, option: str) -> None:
    if option == "notify:on":
        await _set(ctx, True)
    elif option == "notify:off":
        await _set(ctx, False)
    else:
        ask(ctx)


async def _on_command(ctx: Context, command: str, args: str) -> None:
    key = " ".join(words(args))
    if key in ON_WORDS:
        await _set(ctx, True)
    elif key in OFF_WORDS:
        await _set(ctx, False)
    else:
        ask(ctx)


async def _on_text(ctx: Context, text: str) -> None:
    key = " ".join(words(text))
    if key in ON_WORDS:
        await _set(ctx, True)
    elif key in OFF_WORDS:
        await _set(ctx, False)
    elif key in YES_WORDS:  # yes to the question: the change it offered
        await _set(ctx, not ctx.user.notify_payments)
    elif key in NO_WORDS:  # no: leave it as it is
        await _set(ctx, ctx.user.notify_payments)
    else:
        ctx.say(ctx._("Please tap a button below, or type “on” or “off”."))
        ask(ctx)


async def _on_back(ctx: Context) -> None:
    show_menu(ctx)


FEATURE = Feature(
    name="payment_news",
    states=frozenset({"notify"}),
    prefixes=frozenset({"notify"}),
    commands=frozenset({"notify"}),
    on_option=_on_option,
    on_text=_on_text,
    on_command=_on_command,
    on_back=_on_back,
)
