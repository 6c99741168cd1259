"""Officers' broadcasts: a message to part of the commune, now or later.

The officer picks an audience (everyone linked in the commune, people still
paid in cash or at the post office, one category, one village, a list of
citizen IDs or phone numbers sent as a file), writes the message (and, if
they like, an English version for people who chose English), sees how many
people it reaches and how many cannot be reached because nobody linked them,
then sends it now or at a typed time. Each recipient gets an outbox row
(:func:`handlers.notify.notify`) carrying the broadcast's id, with
``not_before`` set to the chosen time; the delivery worker sends them. The
officer can ask for the status, cancel what is not sent yet, and get a
delivery report as an XLSX file.

An officer only ever reaches the people of their own commune(s).

States: ``bc_home``, ``bc_commune``, ``bc_audience``, ``bc_category``,
``bc_village``, ``bc_file``, ``bc_text``, ``bc_en``, ``bc_preview``,
``bc_when``, ``bc_show``, ``bc_cancel``.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from handlers import sms_forms
from handlers.core import VN_TZ, Context
from handlers.dates import parse_send_time
from handlers.features import Feature
from handlers.i18n import Translator, _
from handlers.notify import notify_many
from handlers.quiet import quiet_until
from handlers.sms_text import segments, sms_form
from handlers.text import words
from handlers.types import Attachment, Option, Reply
from handlers.volunteer import mask_phone
from storage.broadcasts import Broadcast, Delivery, Reach
from storage.records import Commune

MAX_TEXT = 2000

MENU_LABEL = _("📣 Broadcasts")
NEW_LABEL = _("✏️ New broadcast")
MSG_ONLY_OFFICERS = _(
    "Only commune officers can send broadcasts. If you are one, please open the invite link or "
    "type the invite code you were given."
)
MSG_HOME = _("Broadcasts of {commune}. Start a new one, or tap a recent one to see its status.")
MSG_HOME_EMPTY = _("Broadcasts of {commune}. There are none yet.")
MSG_PICK_COMMUNE = _("For which commune?")
MSG_AUDIENCE = _("Who should receive the message?")
MSG_CATEGORY = _("Which category?")
MSG_VILLAGE = _("Which village?")
MSG_NO_VILLAGES = _("The commune's list has no villages yet. Please choose another audience.")
MSG_NO_CATEGORIES = _("The commune's list has nobody yet. Please load the list first.")
MSG_NOT_AVAILABLE = _(
    "Messages to volunteers are not available yet. Please choose another audience."
)
MSG_ASK_FILE = _(
    "Please send the list as an Excel (.xlsx) or CSV file, with a column of citizen IDs "
    "(Số CCCD) or of phone numbers (Số điện thoại)."
)
MSG_ASK_TEXT = _(
    "Please type the message in Vietnamese. It is sent as you type it, after the line "
    "“📣 Message from {commune}”."
)
MSG_TEXT_TOO_LONG = _(
    "The message is {count} characters long; please keep it under {limit} characters."
)
MSG_TEXT_EMPTY = _(
    "Please type the message, e.g.: Mời bà con mang thẻ BHYT đến UBND xã ngày 25/11."
)
MSG_ASK_EN = _(
    "Now type the English version for people who chose English, or tap “Skip”: they then get "
    "the Vietnamese message."
)
SKIP_LABEL = _("⏭️ Skip")
MSG_PREVIEW = _(
    "Preview. Audience: {audience}.\n"
    "Recipients in the bot: {recipients}. People in this audience: {people}; of them "
    "{unreachable} cannot be reached because nobody linked them in the bot."
)
MSG_PREVIEW_SMS = _(
    "By SMS: {sms} of the recipients, {segments} SMS each ({total} SMS in all); SMS go "
    "without diacritics."
)
MSG_PREVIEW_SMS_RANGE = _(
    "By SMS: {sms} of the recipients, {fewest} to {most} SMS each by language ({total} SMS in "
    "all); SMS go without diacritics."
)
MSG_PREVIEW_SMS_UNICODE = _(
    "By SMS: {sms} of the recipients, {segments} SMS each ({total} SMS in all); SMS keep "
    "diacritics, so one SMS holds 70 characters."
)
MSG_PREVIEW_SMS_RANGE_UNICODE = _(
    "By SMS: {sms} of the recipients, {fewest} to {most} SMS each by language ({total} SMS in "
    "all); SMS keep diacritics, so one SMS holds 70 characters."
)
MSG_PREVIEW_SMS_BUDGET = _("This month's SMS budget: {used} of {budget} SMS used.")
MSG_PREVIEW_SMS_OVER = _(
    "Only {left} SMS are left in this month's budget: the SMS beyond it will not be sent."
)
MSG_PREVIEW_VI = _("Vietnamese:\n{text}")
MSG_PREVIEW_EN = _("English:\n{text}")
MSG_PREVIEW_NO_EN = _("English: none, people who chose English get the Vietnamese.")
MSG_NOBODY = _(
    "Nobody in this audience can be reached: of its {people} people, nobody is linked in the "
    "bot. Please choose another audience."
)
SEND_NOW = _("📤 Send now")
SEND_LATER = _("🕒 Send later")
MSG_ASK_WHEN = _("When should it be sent? Type a time, e.g. 18:30, mai 8:00 or {day} 8:00.")
MSG_BAD_TIME = _("I could not read this time. Please type it like 18:30, mai 8:00 or {day} 8:00.")
MSG_PAST_TIME = _("That time has already passed ({when}). Please type a later time, e.g. mai 8:00.")
MSG_QUEUED = _(
    "Broadcast #{id} is being sent; recipients: {count}. Type “status” to see how far it got."
)
MSG_SCHEDULED = _(
    "Broadcast #{id} will be sent {when}; recipients: {count}. You can cancel it until then."
)
MSG_SCHEDULED_QUIET = _(
    "Broadcast #{id} is set for {set_time} on {set_date}, in quiet hours ({start}–{end}): "
    "citizens get it from {time} on {date}; recipients: {count}. You can cancel it until then."
)
MSG_AT = _("at {time} on {date}")
MSG_QUEUED_QUIET = _(
    "It is quiet hours ({start}–{end}): broadcast #{id} will go out to {count} recipients from "
    "{time} on {date}. You can cancel it until then."
)
MSG_STATUS = _(
    "Broadcast #{id} to {audience}, {when}.\n"
    "Sent: {sent}. Waiting: {pending}. Blocked the bot: {blocked}. Failed: {failed}. "
    "Cancelled: {cancelled}."
)
MSG_STATUS_CANCELLED = _("This broadcast was cancelled.")
MSG_NOT_FOUND = _("This broadcast is not one of your commune's.")
MSG_NO_SUCH = _("There is no broadcast #{id}.")
MSG_CONFIRM_CANCEL = _(
    "Cancel broadcast #{id}? The {count} messages not sent yet will not be sent. Messages "
    "already sent cannot be taken back."
)
MSG_CANCELLED = _("Broadcast #{id} is cancelled: {count} messages will not be sent.")
MSG_NOTHING_TO_CANCEL = _("Broadcast #{id} has nothing left to cancel.")
MSG_REPORT = _("The delivery report of broadcast #{id} is attached.")
MSG_HEADER = _("📣 Message from {commune}:\n{text}")
MSG_PROGRESS = _(
    "📤 Broadcast #{id} is going out: sent {sent} of {total} · blocked the bot {blocked} · "
    "failed {failed}."
)
MSG_PROGRESS_DONE = _(
    "✅ Broadcast #{id} has gone out: sent {sent} of {total} · blocked the bot {blocked} · "
    "failed {failed}."
)
MSG_PROGRESS_CANCELLED = _(
    "🛑 Broadcast #{id} was cancelled: sent {sent} of {total} · blocked the bot {blocked} · "
    "failed {failed} · not sent {cancelled}."
)
STATUS_LABEL = _("🔄 Status")
REPORT_LABEL = _("📊 Delivery report (Excel)")
CANCEL_LABEL = _("🛑 Cancel the broadcast")
YES_CANCEL = _("Yes, cancel it")
NO_KEEP = _("No, keep it")
MSG_CANCEL_YES_NO = _("Please answer “yes” to cancel broadcast #{id}, or “no” to keep it.")
# Typed answers to "Cancel broadcast #1?" (words as ``handlers.text.words`` gives them).
CANCEL_YES_WORDS = {"yes", "y", "co", "ok", "oke", "dong y", "vang", "u", "uh", "co huy", "huy di"}
CANCEL_NO_WORDS = {"no", "n", "khong", "ko", "k", "thoi", "giu lai", "khong huy"}

AUDIENCE_LABELS = {
    "all": _("Everyone linked in the commune"),
    "by_hand": _("People paid in cash or at the post office"),
    "category": _("One category of beneficiaries"),
    "village": _("One village"),
    "file": _("A list of citizen IDs or phone numbers (file)"),
    "volunteers": _("The commune's “1+20” volunteers"),
}
# The audience as the preview and the status name it.
AUDIENCE_NAMES = {
    "all": _("everyone linked in the commune"),
    "by_hand": _("people paid in cash or at the post office"),
    "category": _("category: {value}"),
    "village": _("village: {value}"),
    "file": _("the list in {value}"),
    "volunteers": _("volunteers"),
}
CATEGORY_NAMES = {
    "elderly": _("Elderly people"),
    "disabled": _("People with disabilities"),
    "orphan": _("Orphans"),
    "meritorious": _("People with meritorious service"),
    "other": _("Other"),
}
STATUS_WORDS = {
    "pending": _("waiting"),
    "sent": _("sent"),
    "failed": _("failed"),
    "blocked": _("blocked the bot"),
    "cancelled": _("cancelled"),
}
REPORT_SHEET = _("Report")  # the sheet's name (at most 31 characters)
REPORT_HEADERS = (
    _("Recipient"),
    _("Channel"),
    _("Account"),
    _("Status"),
    _("Reason"),
    _("Sent at"),
)
STATUS_WORDS_TYPED = {"status", "trang thai", "tinh trang", "tien do", "progress"}
SKIP_WORDS_TYPED = {"skip", "bo qua", "khong can", "no english", "khong co tieng anh"}

STATES = frozenset(
    {
        "bc_home",
        "bc_commune",
        "bc_audience",
        "bc_category",
        "bc_village",
        "bc_file",
        "bc_text",
        "bc_en",
        "bc_preview",
        "bc_when",
        "bc_show",
        "bc_cancel",
    }
)
DATA_STATES = frozenset({"bc_text", "bc_en", "bc_when"})

# ---------------------------------------------------------------- audiences

# An audience: what the officer chose -> who it reaches, or None when it
# cannot be reached yet. Add a kind here and to AUDIENCE_LABELS.
AudienceQuery = Callable[[Context, str, dict], Awaitable[Reach | None]]


async def _everyone(ctx: Context, commune: str, draft: dict) -> Reach | None:
    return await ctx.tx.broadcasts.everyone(commune)


async def _by_hand(ctx: Context, commune: str, draft: dict) -> Reach | None:
    return await ctx.tx.broadcasts.paid_by_hand(commune)


async def _category(ctx: Context, commune: str, draft: dict) -> Reach | None:
    return await ctx.tx.broadcasts.of_category(commune, draft["value"])


async def _village(ctx: Context, commune: str, draft: dict) -> Reach | None:
    return await ctx.tx.broadcasts.of_village(commune, draft["value"])


async def _file(ctx: Context, commune: str, draft: dict) -> Reach | None:
    reach = await ctx.tx.broadcasts.of_beneficiaries(commune, draft.get("ben_ids", []))
    # Rows of the file that matched nobody in the commune cannot be reached either.
    missing = int(draft.get("missing", 0))
    return Reach(reach.user_ids, reach.people + missing, reach.unreachable + missing)


async def _volunteers(ctx: Context, commune: str, draft: dict) -> Reach | None:
    active = [v for v in await ctx.tx.volunteers.of_communes([commune]) if v.active]
    return Reach([v.user_id for v in active], len(active), 0)


AUDIENCES: dict[str, AudienceQuery] = {
    "all": _everyone,
    "by_hand": _by_hand,
    "category": _category,
    "village": _village,
    "file": _file,
    "volunteers": _volunteers,
}


def audience_name(t: Translator, kind: str, value: str) -> str:
    if kind == "category":
        value = t.gettext(CATEGORY_NAMES.get(value, value)) if value in CATEGORY_NAMES else value
    return t.gettext(AUDIENCE_NAMES.get(kind, kind), value=value)


# ---------------------------------------------------------------- helpers


def _nav(ctx: Context, back: bool = True) -> list[Option]:
    from handlers.citizen import nav

    return nav(ctx, back)


def _menu(ctx: Context, text: str | None = None) -> None:
    from handlers.citizen import show_menu

    show_menu(ctx, text)


async def _communes(ctx: Context) -> list[Commune]:
    return await ctx.tx.officers.communes_of(ctx.user.id)


async def _commune(ctx: Context) -> Commune | None:
    """The commune of the draft, if the user is (still) its officer."""
    code = ctx.state.data.get("commune")
    return next((c for c in await _communes(ctx) if c.code == code), None)


def _example_day(ctx: Context) -> str:
    """A day to show in an example time: the day after tomorrow ("22/11"),
    so the example is never a day already gone."""
    return (ctx.local_now.date() + timedelta(days=2)).strftime("%d/%m")


def _when_text(t: Translator, moment: datetime) -> str:
    local = moment.astimezone(VN_TZ)
    return t.gettext(MSG_AT, time=local.strftime("%H:%M"), date=t.date(local.date()))


# ---------------------------------------------------------------- steps


async def home(ctx: Context, note: str | None = None) -> None:
    communes = await _communes(ctx)
    if not communes:
        _menu(ctx, ctx._(MSG_ONLY_OFFICERS))
        return
    recent = await ctx.tx.broadcasts.recent([c.code for c in communes])
    names = ctx.t.join([c.name for c in communes])
    ctx.goto("bc_home")
    options = [Option("bc:new", ctx._(NEW_LABEL))]
    for b in recent:
        label = f"#{b.id} · {ctx.t.date(b.send_at.astimezone(VN_TZ).date())} · {b.text_vi[:30]}"
        options.append(Option(f"bc:show:{b.id}", label))
    text = ctx._(MSG_HOME if recent else MSG_HOME_EMPTY, commune=names)
    ctx.say(f"{note}\n{text}" if note else text, options + _nav(ctx, back=False))


async def start_new(ctx: Context) -> None:
    communes = await _communes(ctx)
    if not communes:
        _menu(ctx, ctx._(MSG_ONLY_OFFICERS))
        return
    if len(communes) == 1:
        ctx.goto("bc_audience", commune=communes[0].code)
        ask_audience(ctx)
        return
    ctx.goto("bc_commune")
    ctx.say(
        ctx._(MSG_PICK_COMMUNE),
        [Option(f"bc:commune:{c.code}", c.name) for c in communes] + _nav(ctx),
    )


def ask_audience(ctx: Context, note: str | None = None) -> None:
    keep = {"commune": ctx.state.data.get("commune")}
    ctx.goto("bc_audience", **keep)
    text = ctx._(MSG_AUDIENCE)
    ctx.say(
        f"{note}\n{text}" if note else text,
        [Option(f"bc:aud:{kind}", ctx._(label)) for kind, label in AUDIENCE_LABELS.items()]
        + _nav(ctx),
    )


async def choose_audience(ctx: Context, kind: str) -> None:
    commune = str(ctx.state.data.get("commune"))
    if kind == "category":
        choices = await ctx.tx.broadcasts.categories(commune)
        if not choices:
            ask_audience(ctx, ctx._(MSG_NO_CATEGORIES))
            return
        ctx.goto("bc_category", commune=commune, choices=choices)
        ctx.say(
            ctx._(MSG_CATEGORY),
            [
                Option(f"bc:pick:{i}", ctx._(CATEGORY_NAMES[c]) if c in CATEGORY_NAMES else c)
                for i, c in enumerate(choices)
            ]
            + _nav(ctx),
        )
    elif kind == "village":
        choices = await ctx.tx.broadcasts.villages(commune)
        if not choices:
            ask_audience(ctx, ctx._(MSG_NO_VILLAGES))
            return
        ctx.goto("bc_village", commune=commune, choices=choices)
        ctx.say(
            ctx._(MSG_VILLAGE),
            [Option(f"bc:pick:{i}", v) for i, v in enumerate(choices)] + _nav(ctx),
        )
    elif kind == "file":
        ctx.goto("bc_file", commune=commune)
        ctx.say(ctx._(MSG_ASK_FILE), _nav(ctx))
    elif kind in AUDIENCES:
        ctx.goto("bc_text", commune=commune, audience=kind, value="")
        await ask_text(ctx)


async def ask_text(ctx: Context, note: str | None = None) -> None:
    commune = await _commune(ctx)
    data = {k: v for k, v in ctx.state.data.items() if k not in ("text_vi", "text_en")}
    ctx.goto("bc_text", **data)
    text = ctx._(MSG_ASK_TEXT, commune=commune.name if commune else "")
    ctx.say(f"{note}\n{text}" if note else text, _nav(ctx))


def _check_text(ctx: Context, text: str) -> str | None:
    """The problem with a typed message, or None."""
    if len(text) > MAX_TEXT:
        return ctx._(MSG_TEXT_TOO_LONG, count=len(text), limit=MAX_TEXT)
    if not words(text):
        return ctx._(MSG_TEXT_EMPTY)
    return None


def ask_en(ctx: Context) -> None:
    data = {k: v for k, v in ctx.state.data.items() if k != "text_en"}
    ctx.goto("bc_en", **data)
    ctx.say(ctx._(MSG_ASK_EN), [Option("bc:skip_en", ctx._(SKIP_LABEL)), *_nav(ctx)])


async def _reach(ctx: Context) -> Reach | None:
    data = ctx.state.data
    query = AUDIENCES.get(data.get("audience", ""))
    if query is None:
        return None
    reach = await query(ctx, data["commune"], data)
    if reach is None:
        return None
    # SMS numbers that texted TU CHOI get nothing: not counted, not queued.
    stopped = await ctx.tx.sms.opted_out_of(reach.user_ids)
    if stopped:
        reach = Reach(
            [u for u in reach.user_ids if u not in stopped], reach.people, reach.unreachable
        )
    return reach


async def _sms_cost(ctx: Context, user_ids: list[int], data: dict, commune: Commune) -> list[str]:  # type: ignore[type-arg]
    """What the broadcast costs by SMS, when some recipients are SMS numbers:
    each language's SMS exactly as it will go (its header included, with or
    without diacritics as SMS_UNICODE says), counted in segments."""
    by_locale = await ctx.tx.sms.users_by_locale(user_ids)
    if not by_locale:
        return []
    costs: dict[str, int] = {}
    for locale in by_locale:
        t = ctx.catalogs.get(locale)
        body = str((t.locale == "en" and data.get("text_en")) or data["text_vi"])
        text = sms_forms.broadcast(t, commune.name, body)
        costs[locale] = segments(sms_form(text, unicode=ctx.limits.sms_unicode))
    sms = sum(by_locale.values())
    total = sum(n * costs[locale] for locale, n in by_locale.items())
    fewest, most = min(costs.values()), max(costs.values())
    unicode = ctx.limits.sms_unicode
    if fewest == most:
        msgid = MSG_PREVIEW_SMS_UNICODE if unicode else MSG_PREVIEW_SMS
        lines = [ctx._(msgid, sms=sms, segments=most, total=total)]
    else:
        msgid = MSG_PREVIEW_SMS_RANGE_UNICODE if unicode else MSG_PREVIEW_SMS_RANGE
        lines = [ctx._(msgid, sms=sms, fewest=fewest, most=most, total=total)]
    settings = await ctx.tx.sms.settings(commune.code)
    if settings is not None and settings.budget is not None:
        d = ctx.local_now.date()
        used = await ctx.tx.sms.used(commune.code, f"{d.year:04d}-{d.month:02d}")
        lines.append(ctx._(MSG_PREVIEW_SMS_BUDGET, used=used, budget=settings.budget))
        if used + total > settings.budget:
            lines.append(ctx._(MSG_PREVIEW_SMS_OVER, left=max(0, settings.budget - used)))
    return lines


async def preview(ctx: Context) -> None:
    data = dict(ctx.state.data)
    reach = await _reach(ctx)
    if reach is None:
        ask_audience(ctx, ctx._(MSG_NOT_AVAILABLE))
        return
    ctx.goto("bc_preview", **data)
    name = audience_name(ctx.t, data["audience"], data.get("value", ""))
    if not reach.user_ids:
        ctx.say(ctx._(MSG_NOBODY, people=reach.people), _nav(ctx))
        return
    commune = await _commune(ctx) or await ctx.tx.communes.get(data["commune"])
    assert commune is not None
    parts = [
        ctx._(
            MSG_PREVIEW,
            audience=name,
            recipients=len(reach.user_ids),
            people=reach.people,
            unreachable=reach.unreachable,
        ),
        *await _sms_cost(ctx, reach.user_ids, data, commune),
        ctx._(MSG_PREVIEW_VI, text=data["text_vi"]),
        ctx._(MSG_PREVIEW_EN, text=data["text_en"])
        if data.get("text_en")
        else ctx._(MSG_PREVIEW_NO_EN),
    ]
    ctx.say(
        "\n\n".join(parts),
        [
            Option("bc:send", ctx._(SEND_NOW)),
            Option("bc:later", ctx._(SEND_LATER)),
            *_nav(ctx),
        ],
    )


async def send(ctx: Context, send_at: datetime | None = None) -> None:
    commune = await _commune(ctx)
    data = dict(ctx.state.data)
    if commune is None or "text_vi" not in data:
        await home(ctx)
        return
    reach = await _reach(ctx)
    if reach is None or not reach.user_ids:
        await preview(ctx)
        return
    when = send_at or ctx.now
    text_vi, text_en = data["text_vi"], data.get("text_en") or None
    bid = await ctx.tx.broadcasts.create(
        commune_code=commune.code,
        created_by=ctx.user.id,
        audience=data["audience"],
        audience_label=data.get("value", ""),
        text_vi=text_vi,
        text_en=text_en,
        recipients=len(reach.user_ids),
        unreachable=reach.unreachable,
        now=ctx.now,
        send_at=when,
    )

    def message(t: Translator) -> str:
        body = text_en if t.locale == "en" and text_en else text_vi
        return t.gettext(MSG_HEADER, commune=commune.name, text=body)

    def short(t: Translator) -> str:
        body = text_en if t.locale == "en" and text_en else text_vi
        return sms_forms.broadcast(t, commune.name, body)

    queued = await notify_many(
        ctx.tx,
        ctx.catalogs,
        user_ids=reach.user_ids,
        key=lambda uid: f"broadcast:{bid}:{uid}",
        kind="broadcast",
        message=message,
        sms_message=short,
        now=ctx.now,
        not_before=when,
        broadcast_id=bid,
    )
    await ctx.tx.audit.write(
        "broadcast",
        user_id=ctx.user.id,
        at=ctx.now,
        broadcast=bid,
        commune=commune.code,
        audience=data["audience"],
        recipients=queued,
        unreachable=reach.unreachable,
        send_at=when.isoformat(),
        english=text_en is not None,
    )
    ctx.goto("bc_show", id=bid)
    morning = quiet_until(when, ctx.quiet)
    quiet = {}
    if morning is not None and ctx.quiet is not None:
        local = morning.astimezone(VN_TZ)
        quiet = {
            "start": ctx.quiet[0].strftime("%H:%M"),
            "end": ctx.quiet[1].strftime("%H:%M"),
            "time": local.strftime("%H:%M"),
            "date": ctx.t.date(local.date()),
        }
    if send_at is None and quiet:  # "being sent" would not be true until the morning
        text = ctx._(MSG_QUEUED_QUIET, id=bid, count=queued, **quiet)
    elif send_at is None:
        text = ctx._(MSG_QUEUED, id=bid, count=queued)
    elif quiet:  # set inside quiet hours: say when citizens really get it
        local_when = when.astimezone(VN_TZ)
        text = ctx._(
            MSG_SCHEDULED_QUIET,
            id=bid,
            count=queued,
            set_time=local_when.strftime("%H:%M"),
            set_date=ctx.t.date(local_when.date()),
            **quiet,
        )
    else:
        text = ctx._(MSG_SCHEDULED, id=bid, count=queued, when=_when_text(ctx.t, when))
    ctx.say(text, _show_options(ctx, bid, pending=queued))


def progress_reply(t: Translator, bid: int, counts: dict[str, int]) -> Reply:
    """The officer's progress message for a broadcast with these outbox
    counts: going out while some wait, final (with the delivery report to
    ask for) when none does."""
    total = sum(counts.values())
    params = {
        "id": bid,
        "sent": t.number(counts.get("sent", 0)),
        "total": t.number(total),
        "blocked": t.number(counts.get("blocked", 0)),
        "failed": t.number(counts.get("failed", 0)),
    }
    if counts.get("pending", 0):
        return Reply(t.gettext(MSG_PROGRESS, **params))
    if counts.get("cancelled", 0):
        text = t.gettext(MSG_PROGRESS_CANCELLED, cancelled=t.number(counts["cancelled"]), **params)
    else:
        text = t.gettext(MSG_PROGRESS_DONE, **params)
    return Reply(text, [Option(f"bc:report:{bid}", t.gettext(REPORT_LABEL))])


def _show_options(ctx: Context, bid: int, *, pending: int) -> list[Option]:
    options = [
        Option(f"bc:show:{bid}", ctx._(STATUS_LABEL)),
        Option(f"bc:report:{bid}", ctx._(REPORT_LABEL)),
    ]
    if pending:
        options.append(Option(f"bc:cancel:{bid}", ctx._(CANCEL_LABEL)))
    return options + _nav(ctx)


async def _mine(ctx: Context, bid: int) -> Broadcast | None:
    """The broadcast, if it belongs to one of the officer's communes."""
    b = await ctx.tx.broadcasts.get(bid)
    if b is None:
        return None
    codes = {c.code for c in await _communes(ctx)}
    return b if b.commune_code in codes else None


async def show(ctx: Context, bid: int) -> None:
    if not await _communes(ctx):
        _menu(ctx, ctx._(MSG_ONLY_OFFICERS))
        return
    b = await _mine(ctx, bid)
    if b is None:
        exists = await ctx.tx.broadcasts.get(bid) is not None
        await home(ctx, ctx._(MSG_NOT_FOUND) if exists else ctx._(MSG_NO_SUCH, id=bid))
        return
    counts = await ctx.tx.broadcasts.counts(bid)
    text = ctx._(
        MSG_STATUS,
        id=b.id,
        audience=audience_name(ctx.t, b.audience, b.audience_label),
        when=_when_text(ctx.t, b.send_at),
        sent=counts.get("sent", 0),
        pending=counts.get("pending", 0),
        blocked=counts.get("blocked", 0),
        failed=counts.get("failed", 0),
        cancelled=counts.get("cancelled", 0),
    )
    if b.cancelled_at is not None:
        text += "\n" + ctx._(MSG_STATUS_CANCELLED)
    ctx.goto("bc_show", id=b.id)
    ctx.say(text, _show_options(ctx, b.id, pending=counts.get("pending", 0)))


async def ask_cancel(ctx: Context, bid: int, note: str | None = None) -> None:
    b = await _mine(ctx, bid)
    if b is None:
        await show(ctx, bid)
        return
    pending = (await ctx.tx.broadcasts.counts(bid)).get("pending", 0)
    if not pending:
        ctx.say(ctx._(MSG_NOTHING_TO_CANCEL, id=bid))
        await show(ctx, bid)
        return
    ctx.goto("bc_cancel", id=bid)
    question = ctx._(MSG_CONFIRM_CANCEL, id=bid, count=pending)
    ctx.say(
        f"{note}\n{question}" if note else question,
        [
            Option(f"bc:cancel_yes:{bid}", ctx._(YES_CANCEL)),
            Option(f"bc:show:{bid}", ctx._(NO_KEEP)),
        ],
    )


async def cancel(ctx: Context, bid: int) -> None:
    b = await _mine(ctx, bid)
    if b is None:
        await show(ctx, bid)
        return
    count = await ctx.tx.broadcasts.cancel(bid, ctx.now)
    await ctx.tx.audit.write(
        "broadcast_cancelled", user_id=ctx.user.id, at=ctx.now, broadcast=bid, cancelled=count
    )
    ctx.say(ctx._(MSG_CANCELLED, id=bid, count=count))
    await show(ctx, bid)


def mask_name(name: str) -> str:
    """ "Nguyễn Thị Phàm" -> "Nguyễn T. P.": enough to recognise, not to copy."""
    parts = name.split()
    if len(parts) <= 1:
        return (name[:1] + ".") if name else ""
    return " ".join([parts[0], *(p[:1] + "." for p in parts[1:])])


def _mask_account(d: Delivery) -> str:
    """The channel's identity with only its last 4 characters (none when
    short); by SMS, the phone number's (the identity is only its hash)."""
    if d.phone:
        return mask_phone(d.phone)
    return "****" + d.external_id[-4:] if len(d.external_id) >= 8 else "****"


def _recipient(t: Translator, d: Delivery) -> str:
    if len(d.linked_names) == 1:
        return mask_name(d.linked_names[0])
    if d.linked_names:
        return t.join([mask_name(n) for n in d.linked_names])
    return mask_name(d.display_name or "")


def report_xlsx(t: Translator, deliveries: list[Delivery]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=t.gettext(REPORT_SHEET)[:31])
    ws.append([t.gettext(h) for h in REPORT_HEADERS])
    for d in deliveries:
        sent = d.sent_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if d.sent_at else ""
        ws.append(
            [
                _recipient(t, d),
                d.channel,
                _mask_account(d),
                t.gettext(STATUS_WORDS.get(d.status, d.status)),
                d.last_error or "",
                sent,
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def report(ctx: Context, bid: int) -> None:
    b = await _mine(ctx, bid)
    if b is None:
        await show(ctx, bid)
        return
    deliveries = await ctx.tx.broadcasts.deliveries(bid, b.commune_code)
    data = report_xlsx(ctx.t, deliveries)
    await ctx.tx.audit.write("broadcast_report", user_id=ctx.user.id, at=ctx.now, broadcast=bid)
    ctx.goto("bc_show", id=bid)
    ctx.say(ctx._(MSG_REPORT, id=bid), _show_options(ctx, bid, pending=0))
    ctx.replies[-1].attachments.append(
        Attachment(
            "document",
            f"broadcast-{bid}.xlsx",
            data,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    )


# ---------------------------------------------------------------- routing


def _id(value: str) -> int | None:
    return int(value) if value.isdecimal() and value.isascii() and len(value) <= 9 else None


async def on_option(ctx: Context, option: str) -> None:
    _prefix, _sep, rest = option.partition(":")
    action, _sep, value = rest.partition(":")
    state = ctx.state.state
    if not await _communes(ctx):
        _menu(ctx, ctx._(MSG_ONLY_OFFICERS))
        return
    bid = _id(value)
    if action == "menu":
        await home(ctx)
    elif action == "new":
        await start_new(ctx)
    elif action == "commune" and state == "bc_commune":
        if value in {c.code for c in await _communes(ctx)}:
            ctx.goto("bc_audience", commune=value)
            ask_audience(ctx)
        else:
            await start_new(ctx)
    elif action == "aud" and state == "bc_audience" and value in AUDIENCES:
        await choose_audience(ctx, value)
    elif action == "pick" and state in ("bc_category", "bc_village") and bid is not None:
        choices = ctx.state.data.get("choices", [])
        if bid >= len(choices):
            await choose_audience(ctx, "category" if state == "bc_category" else "village")
            return
        kind = "category" if state == "bc_category" else "village"
        ctx.goto("bc_text", commune=ctx.state.data["commune"], audience=kind, value=choices[bid])
        await ask_text(ctx)
    elif action == "skip_en" and state == "bc_en":
        await preview(ctx)
    elif action == "send" and state == "bc_preview":
        await send(ctx)
    elif action == "later" and state == "bc_preview":
        ctx.goto("bc_when", **ctx.state.data)
        ctx.say(ctx._(MSG_ASK_WHEN, day=_example_day(ctx)), _nav(ctx))
    elif action == "show" and bid is not None:
        await show(ctx, bid)
    elif action == "report" and bid is not None:
        await report(ctx, bid)
    elif action == "cancel" and bid is not None:
        await ask_cancel(ctx, bid)
    elif action == "cancel_yes" and bid is not None and state == "bc_cancel":
        await cancel(ctx, bid)
    else:
        _menu(ctx, ctx._("That button is no longer active. Here is the menu."))


async def on_text(ctx: Context, text: str) -> None:
    state = ctx.state.state
    if state == "bc_text":
        problem = _check_text(ctx, text)
        if problem:
            ctx.say(problem, _nav(ctx))
            return
        ctx.state.data["text_vi"] = text.strip()
        ask_en(ctx)
    elif state == "bc_en" and " ".join(words(text)) in SKIP_WORDS_TYPED:
        await preview(ctx)  # as the button, in either language
    elif state == "bc_en":
        problem = _check_text(ctx, text)
        if problem:
            ctx.say(problem, [Option("bc:skip_en", ctx._(SKIP_LABEL)), *_nav(ctx)])
            return
        ctx.state.data["text_en"] = text.strip()
        await preview(ctx)
    elif state == "bc_when":
        when = parse_send_time(text, ctx.local_now)
        if when is None:
            ctx.say(ctx._(MSG_BAD_TIME, day=_example_day(ctx)), _nav(ctx))
        elif when <= ctx.now:
            ctx.say(ctx._(MSG_PAST_TIME, when=_when_text(ctx.t, when)), _nav(ctx))
        else:
            await send(ctx, when)
    elif state in ("bc_show", "bc_cancel") and " ".join(words(text)) in STATUS_WORDS_TYPED:
        await show(ctx, int(ctx.state.data["id"]))
    elif state == "bc_cancel":
        key, bid = " ".join(words(text)), int(ctx.state.data["id"])
        if key in CANCEL_YES_WORDS:  # as the button
            await cancel(ctx, bid)
        elif key in CANCEL_NO_WORDS:
            await show(ctx, bid)
        else:
            await ask_cancel(ctx, bid, ctx._(MSG_CANCEL_YES_NO, id=bid))
    else:
        await ask_again(ctx)


async def ask_again(ctx: Context) -> None:
    """The current step's question again (a photo, an empty message, a word
    where a tap was expected)."""
    state = ctx.state.state
    if state == "bc_commune":
        await start_new(ctx)
    elif state == "bc_audience":
        ask_audience(ctx)
    elif state in ("bc_category", "bc_village"):
        await choose_audience(ctx, "category" if state == "bc_category" else "village")
    elif state == "bc_file":
        ctx.say(ctx._(MSG_ASK_FILE), _nav(ctx))
    elif state == "bc_text":
        await ask_text(ctx)
    elif state == "bc_en":
        ask_en(ctx)
    elif state == "bc_preview":
        await preview(ctx)
    elif state == "bc_when":
        ctx.say(ctx._(MSG_ASK_WHEN, day=_example_day(ctx)), _nav(ctx))
    elif state in ("bc_show", "bc_cancel"):
        await show(ctx, int(ctx.state.data["id"]))
    else:
        await home(ctx)


async def on_back(ctx: Context) -> None:
    state = ctx.state.state
    if state in ("bc_category", "bc_village", "bc_file", "bc_text"):
        ask_audience(ctx)
    elif state == "bc_en":
        await ask_text(ctx)
    elif state == "bc_preview":
        ask_en(ctx)
    elif state == "bc_when":
        await preview(ctx)
    elif state in ("bc_commune", "bc_audience", "bc_show", "bc_cancel"):
        await home(ctx)
    else:
        _menu(ctx)


async def on_other(ctx: Context) -> None:
    doc = ctx.incoming.document
    if ctx.state.state == "bc_file" and doc is not None:
        from handlers.broadcast_file import receive_audience_file

        await receive_audience_file(ctx, doc)
        return
    await ask_again(ctx)


async def on_command(ctx: Context, command: str, args: str) -> None:
    arg = args.strip()
    if not await _communes(ctx):
        _menu(ctx, ctx._(MSG_ONLY_OFFICERS))
    elif " ".join(words(arg)) in STATUS_WORDS_TYPED or arg.lstrip("#").isdecimal():
        number = arg.lstrip("#")
        if number.isdecimal() and (bid := _id(number)) is not None:
            await show(ctx, bid)
            return
        recent = await ctx.tx.broadcasts.recent([c.code for c in await _communes(ctx)], limit=1)
        if recent:
            await show(ctx, recent[0].id)
        else:
            await home(ctx)
    else:
        await home(ctx)


async def _claim(ctx: Context) -> bool:
    """“trạng thái” / “status” typed by an officer at the main menu (as the
    answer to a send suggests): the latest broadcast's status."""
    inc = ctx.incoming
    if inc.command is not None or inc.option is not None or not inc.text:
        return False
    if ctx.state.state != "menu" or ctx.user.role != "officer":
        return False
    if " ".join(words(inc.text)) not in STATUS_WORDS_TYPED or not await _communes(ctx):
        return False
    await on_command(ctx, "broadcast", "status")
    return True


FEATURE = Feature(
    name="broadcast",
    states=STATES,
    data_states=DATA_STATES,
    prefixes=frozenset({"bc"}),
    commands=frozenset({"broadcast"}),
    on_option=on_option,
    on_text=on_text,
    on_command=on_command,
    on_back=on_back,
    on_other=on_other,
    claim=_claim,
    menu={"officer": [("bc:menu", MENU_LABEL)]},
)
