"""Officers' reports: the non-cash rate, its trend, and the people still
left behind -- for a commune officer's communes, or every commune of a
province for a province-level user (who sees, and changes nothing).

States:

- ``reports``: the reports menu; the draft holds the month looked at.
- ``rep_period``: asked which month to look at (typed "10/2026").
- ``rep_list``: paging through one list; the draft holds which and the page.

The non-cash rate of a month: of the people on that month's payment list, the
share paid through an account (a bank or an e-wallet). Shares are rounded half
up to one decimal, the way provincial reports give them (38.7 %).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence

from handlers.charts import line_chart_png
from handlers.core import VN_TZ, Context
from handlers.exporting import ExportError, parse_export_period, phone_text
from handlers.features import Feature
from handlers.i18n import _
from handlers.sheets import XLSX_MIME, xlsx_bytes
from handlers.types import Attachment, Option
from storage.records import Commune
from storage.reports import Person, RateCell

PAGE = 10
LISTS = ("cash", "failed", "unlinked", "bank")

GROUPS = {
    "meritorious": _("People with meritorious service and their relatives"),
    "social": _("Social protection"),
}
CATEGORY_NAMES = {
    "elderly": _("Elderly people"),
    "disabled": _("People with disabilities"),
    "orphan": _("Orphans"),
    "meritorious": _("People with meritorious service"),
    "other": _("Other allowances"),
}
METHOD_NAMES = {
    "bank": _("bank account"),
    "post": _("post office"),
    "cash": _("cash"),
}
STATUS_NAMES = {"failed": _("transfer failed"), "returned": _("returned")}
VISITED = _("a volunteer has visited")
NOT_VISITED = _("no volunteer visit yet")
LIST_TITLES = {
    "cash": _("Still paid in cash or at the post office"),
    "failed": _("Failed or returned payments of {month}"),
    "unlinked": _("Never linked to the bot"),
    "bank": _("Bank-account registrations waiting for review"),
}


def group_of(category: str) -> str:
    return "meritorious" if category == "meritorious" else "social"


def previous_periods(period: str, count: int) -> list[str]:
    """``count`` months ending with ``period``, oldest first."""
    year, month = (int(x) for x in period.split("-"))
    out = []
    for _i in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def _this_period(ctx: Context) -> str:
    d = ctx.local_now.date()
    return f"{d.year:04d}-{d.month:02d}"


def _period(ctx: Context) -> str:
    period = ctx.state.data.get("period")
    return period if isinstance(period, str) else _this_period(ctx)


async def _scope(ctx: Context) -> list[Commune] | None:
    """The communes this user may see reports of, or None (after saying so)."""
    communes = await ctx.tx.officers.visible_communes(ctx.user.id)
    if not communes:
        from handlers.citizen import show_menu

        show_menu(ctx, ctx._("Reports are for commune officers and province users."))
        return None
    return communes


def _nav(ctx: Context) -> list[Option]:
    return [Option("rep:menu", ctx._("📊 Other reports")), Option("nav:menu", ctx._("🏠 Menu"))]


# ---------------------------------------------------------------- menu


async def reports_menu(ctx: Context, note: str | None = None) -> None:
    if await _scope(ctx) is None:
        return
    period = _period(ctx)
    ctx.goto("reports", period=period)
    text = ctx._("Reports for {month}. What would you like to see?", month=ctx.t.period(period))
    ctx.say(
        f"{note}\n{text}" if note else text,
        [
            Option("rep:rate", ctx._("💳 Non-cash rate")),
            Option("rep:trend", ctx._("📈 Trend, last 12 months")),
            Option("rep:list:cash:1", ctx._("💵 Still paid in cash or by post")),
            Option("rep:list:failed:1", ctx._("⚠️ Failed or returned payments")),
            Option("rep:list:unlinked:1", ctx._("📵 Never linked to the bot")),
            Option("rep:list:bank:1", ctx._("🏦 Bank accounts waiting for review")),
            Option("rep:period", ctx._("🗓️ Another month")),
            Option("nav:menu", ctx._("🏠 Menu")),
        ],
    )


def ask_period(ctx: Context) -> None:
    ctx.goto("rep_period", period=_period(ctx))
    ctx.say(
        ctx._("Which month? Please type it as month/year, for example 10/2026."),
        [Option("nav:back", ctx._("↩️ Back")), Option("nav:menu", ctx._("🏠 Menu"))],
    )


async def receive_period(ctx: Context, text: str) -> None:
    try:
        period = parse_export_period(text)
    except ExportError:
        ctx.say(
            ctx._(
                "I could not read that month. Please type it as month/year, for example 10/2026."
            ),
            [Option("nav:back", ctx._("↩️ Back")), Option("nav:menu", ctx._("🏠 Menu"))],
        )
        return
    if period > _this_period(ctx):
        ctx.say(
            ctx._("That month has not come yet. Please type a past month, for example 10/2026."),
            [Option("nav:back", ctx._("↩️ Back")), Option("nav:menu", ctx._("🏠 Menu"))],
        )
        return
    ctx.state.data["period"] = period
    await reports_menu(ctx)


# ---------------------------------------------------------------- the rate


def rate_lines(
    ctx: Context, cells: Sequence[RateCell], communes: Sequence[Commune], period: str
) -> list[str]:
    """The non-cash rate, overall and broken down, one whole sentence a line."""
    t = ctx.t

    def line(label: str, total: int, bank: int) -> str:
        return ctx._(
            "{label}: {rate} ({bank} of {total})",
            label=label,
            rate=t.percent(bank, total),
            bank=t.number(bank),
            total=t.number(total),
        )

    total = sum(c.total for c in cells)
    bank = sum(c.through_account for c in cells)
    scope = (
        communes[0].name if len(communes) == 1 else ctx._("{count} communes", count=len(communes))
    )
    if total == 0:
        return [
            ctx._(
                "There is no payment list for {month} yet. Send the month's payment list, or "
                "choose another month.",
                month=t.period(period),
            )
        ]
    lines = [
        ctx._(
            "Non-cash rate, {month}, {scope}: {rate} — {bank} of {total} people on the payment "
            "list are paid through an account (bank or e-wallet).",
            month=t.period(period),
            scope=scope,
            rate=t.percent(bank, total),
            bank=t.number(bank),
            total=t.number(total),
        )
    ]

    def section(title: str, key_of, label_of) -> None:  # type: ignore[no-untyped-def]
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for c in cells:
            k = key_of(c)
            sums[k][0] += c.total
            sums[k][1] += c.through_account
        lines.append("")
        lines.append(title)
        for k in sorted(sums, key=lambda k: label_of(k)):
            lines.append("• " + line(label_of(k), sums[k][0], sums[k][1]))

    section(
        ctx._("By group:"),
        lambda c: group_of(c.category),
        lambda k: ctx._(GROUPS[k]),
    )
    section(
        ctx._("By category:"),
        lambda c: c.category,
        lambda k: ctx._(CATEGORY_NAMES.get(k, CATEGORY_NAMES["other"])),
    )
    names = {c.code: c.name for c in communes}
    if len(communes) > 1:
        section(ctx._("By commune:"), lambda c: c.commune_code, lambda k: names.get(k, k))
    else:
        section(
            ctx._("By village:"),
            lambda c: c.village or "",
            lambda k: k or ctx._("(no village given)"),
        )
    return lines


async def show_rate(ctx: Context) -> None:
    communes = await _scope(ctx)
    if communes is None:
        return
    period = _period(ctx)
    cells = await ctx.tx.reports.rate_cells(period, [c.code for c in communes])
    await ctx.tx.audit.write("report_rate", user_id=ctx.user.id, at=ctx.now, period=period)
    ctx.goto("reports", period=period)
    ctx.say("\n".join(rate_lines(ctx, cells, communes, period)), _nav(ctx))


# ---------------------------------------------------------------- the trend


async def show_trend(ctx: Context) -> None:
    communes = await _scope(ctx)
    if communes is None:
        return
    period = _period(ctx)
    periods = previous_periods(period, 12)
    rates = await ctx.tx.reports.rate_by_period(periods, [c.code for c in communes])
    await ctx.tx.audit.write("report_trend", user_id=ctx.user.id, at=ctx.now, period=period)
    t = ctx.t
    lines = [ctx._("Non-cash rate, month by month:")]
    for r in rates:
        if r.total:
            lines.append(
                "• "
                + ctx._(
                    "{month}: {rate} ({bank} of {total})",
                    month=t.period(r.period),
                    rate=t.percent(r.through_account, r.total),
                    bank=t.number(r.through_account),
                    total=t.number(r.total),
                )
            )
        else:
            lines.append("• " + ctx._("{month}: no payment list", month=t.period(r.period)))
    values = [round(r.through_account * 100 / r.total, 1) if r.total else None for r in rates]
    title = ctx._("Non-cash rate (%)")
    png = await asyncio.to_thread(
        line_chart_png, title, [t.period(r.period) for r in rates], values
    )
    ctx.goto("reports", period=period)
    ctx.say("\n".join(lines), _nav(ctx))
    ctx.replies[-1].attachments.append(
        Attachment("image", f"non-cash-{period}.png", png, "image/png")
    )


# ---------------------------------------------------------------- lists


async def _fetch(
    ctx: Context, kind: str, communes: Sequence[str], period: str, page: int | None
) -> tuple[int, list[Person]]:
    offset = (page - 1) * PAGE if page else 0
    limit = PAGE if page else None
    reports = ctx.tx.reports
    if kind == "cash":
        return await reports.still_cash_or_post(communes, offset=offset, limit=limit)
    if kind == "failed":
        return await reports.failed_or_returned(period, communes, offset=offset, limit=limit)
    if kind == "bank":
        return await reports.waiting_bank_requests(communes, offset=offset, limit=limit)
    return await reports.never_linked(communes, offset=offset, limit=limit)


def _phones(ctx: Context, p: Person) -> str:
    phone, relative = phone_text(p.phone), phone_text(p.relative_phone)
    if phone and relative:
        return ctx._("phone {phone}, relative {relative}", phone=phone, relative=relative)
    if phone:
        return ctx._("phone {phone}", phone=phone)
    if relative:
        return ctx._("relative's phone {relative}", relative=relative)
    return ctx._("no phone on file")


def person_line(ctx: Context, kind: str, n: int, p: Person, names: dict[str, str]) -> str:
    place = p.village or names.get(p.commune_code, p.commune_code)
    if kind == "failed":
        return ctx._(
            "{n}. {name} — {place} — {status}: {reason} — {phones}",
            n=n,
            name=p.full_name,
            place=place,
            status=ctx._(STATUS_NAMES.get(p.status or "", STATUS_NAMES["failed"])),
            reason=p.note or ctx._("no reason was given"),
            phones=_phones(ctx, p),
        )
    if kind == "bank":
        return ctx._(
            "{n}. {name} — {place} — {account}, sent on {date} — {phones}",
            n=n,
            name=p.full_name,
            place=place,
            account=p.request or "",
            date=ctx.t.date(p.submitted.astimezone(VN_TZ).date()) if p.submitted else "—",
            phones=_phones(ctx, p),
        )
    if kind == "cash":
        return ctx._(
            "{n}. {name} — {place} — {method}, {visited} — {phones}",
            n=n,
            name=p.full_name,
            place=place,
            method=ctx._(METHOD_NAMES.get(p.payment_method, METHOD_NAMES["cash"])),
            visited=ctx._(VISITED if p.visited else NOT_VISITED),
            phones=_phones(ctx, p),
        )
    return ctx._(
        "{n}. {name} — {place} — {method} — {phones}",
        n=n,
        name=p.full_name,
        place=place,
        method=ctx._(METHOD_NAMES.get(p.payment_method, METHOD_NAMES["cash"])),
        phones=_phones(ctx, p),
    )


def _title(ctx: Context, kind: str, period: str) -> str:
    return ctx._(LIST_TITLES[kind], month=ctx.t.period(period))


async def show_list(ctx: Context, kind: str, page: int) -> None:
    communes = await _scope(ctx)
    if communes is None:
        return
    period = _period(ctx)
    codes = [c.code for c in communes]
    total, people = await _fetch(ctx, kind, codes, period, page)
    pages = max(1, -(-total // PAGE))
    if page > pages:
        page = pages
        total, people = await _fetch(ctx, kind, codes, period, page)
    names = {c.code: c.name for c in communes}
    await ctx.tx.audit.write(
        "report_list", user_id=ctx.user.id, at=ctx.now, list=kind, page=page, period=period
    )
    ctx.goto("rep_list", period=period, kind=kind, page=page)
    lines = [_title(ctx, kind, period)]
    if total == 0:
        lines.append(ctx._("Nobody is on this list."))
    else:
        lines.append(
            ctx._(
                "{total} people; page {page} of {pages}.",
                total=ctx.t.number(total),
                page=page,
                pages=pages,
            )
        )
        start = (page - 1) * PAGE
        lines += [person_line(ctx, kind, start + i + 1, p, names) for i, p in enumerate(people)]
    options = []
    if page < pages:
        options.append(Option(f"rep:list:{kind}:{page + 1}", ctx._("➡️ Next page")))
    if page > 1:
        options.append(Option(f"rep:list:{kind}:{page - 1}", ctx._("⬅️ Previous page")))
    if total:
        options.append(Option(f"rep:xlsx:{kind}", ctx._("📥 Excel file of this list")))
    ctx.say("\n".join(lines), options + _nav(ctx))


async def export_list(ctx: Context, kind: str) -> None:
    communes = await _scope(ctx)
    if communes is None:
        return
    period = _period(ctx)
    total, people = await _fetch(ctx, kind, [c.code for c in communes], period, None)
    names = {c.code: c.name for c in communes}
    headers = [
        ctx._("No."),
        ctx._("Full name"),
        ctx._("Commune"),
        ctx._("Village"),
        ctx._("Category"),
        ctx._("Payment method"),
        ctx._("Phone"),
        ctx._("Relative's phone"),
    ]
    if kind == "failed":
        headers += [ctx._("Amount"), ctx._("Status"), ctx._("Reason")]
    elif kind == "cash":
        headers += [ctx._("Volunteer visited")]
    elif kind == "bank":
        headers += [ctx._("Bank account"), ctx._("Sent on")]

    def rows():  # type: ignore[no-untyped-def]
        for n, p in enumerate(people, start=1):
            row: list[object] = [
                n,
                p.full_name,
                names.get(p.commune_code, p.commune_code),
                p.village,
                ctx._(CATEGORY_NAMES.get(p.category, CATEGORY_NAMES["other"])),
                ctx._(METHOD_NAMES.get(p.payment_method, METHOD_NAMES["cash"])),
                phone_text(p.phone),
                phone_text(p.relative_phone),
            ]
            if kind == "failed":
                row += [
                    p.amount,
                    ctx._(STATUS_NAMES.get(p.status or "", STATUS_NAMES["failed"])),
                    p.note,
                ]
            elif kind == "cash":
                row += [ctx._(VISITED if p.visited else NOT_VISITED)]
            elif kind == "bank":
                row += [p.request, p.submitted.astimezone(VN_TZ).date() if p.submitted else None]
            yield row

    title = _title(ctx, kind, period)
    data = await asyncio.to_thread(xlsx_bytes, title, headers, list(rows()))
    await ctx.tx.audit.write(
        "report_export", user_id=ctx.user.id, at=ctx.now, list=kind, rows=total, period=period
    )
    ctx.goto("rep_list", period=period, kind=kind, page=ctx.state.data.get("page", 1))
    ctx.say(
        ctx._("Here is the list as an Excel file: {count} people.", count=ctx.t.number(total)),
        _nav(ctx),
    )
    ctx.replies[-1].attachments.append(
        Attachment("document", f"{kind}-{period}.xlsx", data, XLSX_MIME)
    )


# ---------------------------------------------------------------- routing


def _page(value: str) -> int | None:
    return int(value) if value.isdecimal() and 0 < len(value) <= 6 else None


async def on_option(ctx: Context, option: str) -> None:
    parts = option.split(":")
    if option == "rep:menu":
        await reports_menu(ctx)
    elif option == "rep:rate":
        await show_rate(ctx)
    elif option == "rep:trend":
        await show_trend(ctx)
    elif option == "rep:period":
        ask_period(ctx)
    elif len(parts) == 4 and parts[1] == "list" and parts[2] in LISTS and _page(parts[3]):
        await show_list(ctx, parts[2], _page(parts[3]) or 1)
    elif len(parts) == 3 and parts[1] == "xlsx" and parts[2] in LISTS:
        await export_list(ctx, parts[2])
    else:
        await reports_menu(ctx)


async def on_text(ctx: Context, text: str) -> None:
    from handlers.citizen import try_intent

    if ctx.state.state == "rep_period":
        await receive_period(ctx, text)
    elif not await try_intent(ctx, text):
        await reports_menu(ctx, ctx._("Please tap one of the buttons, or type its number."))


async def on_back(ctx: Context) -> None:
    await reports_menu(ctx)


async def on_command(ctx: Context, command: str, args: str) -> None:
    await reports_menu(ctx)


FEATURE = Feature(
    name="reports",
    states=frozenset({"reports", "rep_period", "rep_list"}),
    data_states=frozenset({"rep_period"}),
    prefixes=frozenset({"rep"}),
    commands=frozenset({"reports", "report"}),
    on_option=on_option,
    on_text=on_text,
    on_back=on_back,
    on_command=on_command,
    menu={
        "officer": [("rep:menu", _("📊 Reports"))],
        "province": [("rep:menu", _("📊 Reports"))],
    },
    intents={"rep:menu": ["bao cao", "ty le", "khong dung tien mat", "report", "reports"]},
)
