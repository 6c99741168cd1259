"""The citizen's conversation: menu, linking, allowance status, language,
questions, contact, and "forget me".

States (persisted per user):

- ``menu``: nothing in progress.
- ``link_who``: asked whom the user is asking for.
- ``link_id``: asked for the citizen ID (12 digits).
- ``link_dob``: asked for the date of birth; the draft holds the ID encrypted.
- ``pick``: several linked people; asked whose allowance to show.
- ``language``, ``faq``, ``people``, ``forget``: small menus.

"menu", "hủy"/"cancel" and "quay lại"/"back" work in every state.
"""

from __future__ import annotations

import phonenumbers

from handlers.core import Context, resolve_option
from handlers.dates import parse_date
from handlers.i18n import LANGUAGE_NAMES, SUPPORTED, _
from handlers.ids import birth_year_from_id, check_id_against_birth, check_id_format, normalize_id
from handlers.text import best_intent, words
from handlers.types import Option
from storage.records import Beneficiary, Link, Payment

# ---------------------------------------------------------------- wording

MENU_ITEMS = [
    ("menu:status", _("💰 Check my allowance")),
    ("menu:bank", _("🏦 Register a bank account")),
    ("menu:faq", _("❓ Questions and answers")),
    ("menu:contact", _("☎️ Contact the commune officer")),
    ("menu:people", _("👪 People I ask for")),
    ("menu:language", _("🌐 Language / Ngôn ngữ")),
]

RELATIONS = [
    ("who:self", "self", _("For myself")),
    ("who:child", "child", _("For my father or mother")),
    ("who:spouse", "spouse", _("For my husband or wife")),
    ("who:grandchild", "grandchild", _("For my grandparent")),
    ("who:carer", "carer", _("For someone I care for")),
    ("who:other", "other", _("For another relative")),
]

FAQ = [
    (
        "faq:when",
        _("When is the allowance paid?"),
        _(
            "The commune pays the allowance every month. Into a bank account it usually arrives "
            "in the first ten days of the month. At the post office it is paid at the commune "
            "pay point around the 2nd to the 10th, and at the post office from the 11th to the "
            "25th. Tap “💰 Check my allowance” to see this month's payment."
        ),
    ),
    (
        "faq:amount",
        _("How much is the allowance?"),
        _(
            "The standard social assistance rate is 500,000 ₫ a month from 1 July 2024 "
            "(Decree 76/2024), multiplied by a coefficient that depends on the person's "
            "situation, for example 1.0 for people aged 80 and over without a pension, and "
            "1.5 to 2.5 for people with disabilities or orphans. Some provinces pay more."
        ),
    ),
    (
        "faq:missing",
        _("What if the money has not arrived?"),
        _(
            "First tap “💰 Check my allowance”: it shows whether the commune has paid and, if a "
            "transfer failed, why. If it says paid but you cannot find the money, check the "
            "account with your bank. Otherwise contact the commune officer: tap “☎️ Contact "
            "the commune officer”."
        ),
    ),
    (
        "faq:data",
        _("How is my information kept?"),
        _(
            "The bot asks for the citizen ID and date of birth once, only to check that you may "
            "see this person's allowance. The ID is stored encrypted and never shown in full. "
            "You can remove your information at any time: tap “👪 People I ask for”, then "
            "“Forget me”."
        ),
    ),
]

GLOBAL_MENU = {"menu", "main menu", "trang chu", "bat dau", "start"}
GLOBAL_CANCEL = {"huy", "cancel", "thoi", "dung", "stop", "huy bo"}
GLOBAL_BACK = {"quay lai", "back", "tro lai", "lui"}

# Free-text intents, as matching keys (no diacritics, lower case). A phrase
# matches when each of its words is in the message, allowing small typos.
INTENTS: dict[str, list[str]] = {
    "menu:status": [
        "tien ve chua",
        "tien thang nay",
        "tro cap",
        "kiem tra tien",
        "nhan tien chua",
        "co tien chua",
        "nhan duoc tien",
        "tien ve",
        "da co tien",
        "tien chua ve",
        "chua nhan tien",
        "chua co tien",
        "bao gio co tien",
        "khi nao co tien",
        "luong ve chua",
        "allowance",
        "payment",
        "my money",
        "been paid",
    ],
    "menu:bank": [
        "dang ky tai khoan",
        "tai khoan ngan hang",
        "nhan tien qua ngan hang",
        "nhan qua tai khoan",
        "mo tai khoan",
        "so tai khoan",
        "bank account",
        "bank",
    ],
    "menu:faq": ["hoi dap", "cau hoi", "huong dan", "question", "questions", "help", "giup do"],
    "menu:contact": ["lien he", "can bo", "goi xa", "contact", "officer"],
    "menu:language": ["ngon ngu", "language", "tieng anh", "english", "tieng viet", "vietnamese"],
    "menu:people": ["nguoi than", "them nguoi", "my people", "people"],
    "people:forget": ["xoa thong tin", "xoa du lieu", "forget me", "quen toi", "delete my data"],
    "menu:greet": ["xin chao", "chao", "hello", "alo", "hi"],
}


def main_menu(ctx: Context) -> list[Option]:
    return [Option(oid, ctx._(label)) for oid, label in MENU_ITEMS]


def nav(ctx: Context, back: bool = True) -> list[Option]:
    opts = [Option("nav:back", ctx._("↩️ Back"))] if back else []
    return [*opts, Option("nav:menu", ctx._("🏠 Menu"))]


def person_name(ctx: Context, ben: Beneficiary) -> str:
    if ben.female:
        return ctx._("Ms {name}", name=ben.full_name)
    return ctx._("Mr {name}", name=ben.full_name)


def show_menu(ctx: Context, text: str | None = None) -> None:
    ctx.goto("menu")
    ctx.say(
        text or ctx._("What would you like to do? Tap a button below."),
        main_menu(ctx),
        keyboard="menu",
    )


# ---------------------------------------------------------------- routing


async def route(ctx: Context) -> None:
    inc = ctx.incoming
    if inc.command:
        await _command(ctx, inc.command, inc.args)
        return
    if inc.contact_phone:
        await link_by_phone(ctx, inc.contact_phone)
        return
    option = inc.option
    if option is None and inc.text:
        option = _option_from_text(ctx, inc.text)
    if option is not None:
        await _option(ctx, option)
        return
    if inc.text.strip():
        await _free_text(ctx, inc.text)
        return
    show_menu(ctx)


def _option_from_text(ctx: Context, text: str) -> str | None:
    key = " ".join(words(text))
    if key in GLOBAL_MENU:
        return "nav:menu"
    if key in GLOBAL_CANCEL:
        return "nav:cancel"
    if key in GLOBAL_BACK:
        return "nav:back"
    # While the bot waits for a number (ID) or a date, only exact option words count.
    found = resolve_option(text, ctx.state.options)
    if found:
        return found
    # The main menu stays on screen (Telegram keyboard): its labels work in any
    # state and in either language.
    for t in ctx.catalogs.all():
        for oid, label in MENU_ITEMS:
            if key and key == " ".join(words(t.gettext(label))):
                return oid
    return None


async def _command(ctx: Context, command: str, args: str) -> None:
    if command == "start":
        ctx.goto("menu")
        ctx.say(
            ctx._(
                "Hello! I am the commune's allowance assistant. I can tell you whether this "
                "month's social allowance has arrived, and help with a bank account for it."
            )
        )
        show_menu(ctx)
    elif command in ("language", "lang"):
        ask_language(ctx)
    elif command in ("status", "check"):
        await start_status(ctx)
    elif command in ("help", "faq"):
        ask_faq(ctx)
    elif command in ("forget",):
        ask_forget(ctx)
    elif command in ("link",):
        await start_link(ctx)
    elif command == "contact":
        await contact(ctx)
    else:
        show_menu(ctx)


async def _option(ctx: Context, option: str) -> None:
    prefix, _sep, value = option.partition(":")
    state = ctx.state.state
    if option in ("nav:menu", "nav:cancel"):
        if state != "menu" and option == "nav:cancel":
            show_menu(ctx, ctx._("Cancelled. Nothing was saved."))
        else:
            show_menu(ctx)
    elif option == "nav:back":
        await _back(ctx)
    elif option == "menu:status":
        await start_status(ctx)
    elif option == "menu:bank":
        bank_guidance(ctx)
    elif option == "menu:faq":
        ask_faq(ctx)
    elif option == "menu:contact":
        await contact(ctx)
    elif option == "menu:language":
        ask_language(ctx)
    elif option == "menu:people":
        await people(ctx)
    elif option == "menu:greet":
        show_menu(ctx, ctx._("Hello! How can I help you today?"))
    elif prefix == "lang" and value in SUPPORTED:
        await set_language(ctx, value)
    elif prefix == "faq":
        answer_faq(ctx, option)
    elif prefix == "who":
        await choose_who(ctx, option)
    elif prefix == "ben" and value.isdigit():
        await show_status(ctx, int(value))
    elif prefix == "hist" and value.isdigit():
        await show_history(ctx, int(value))
    elif option == "people:add":
        await start_link(ctx)
    elif option == "people:forget":
        ask_forget(ctx)
    elif option == "forget:yes":
        await forget(ctx)
    elif option == "forget:no":
        show_menu(ctx, ctx._("Nothing was removed."))
    else:
        # An old button from an earlier message.
        show_menu(ctx, ctx._("That button is no longer active. Here is the menu."))


async def _back(ctx: Context) -> None:
    state = ctx.state.state
    if state == "link_dob":
        ask_id(ctx, ctx.state.data.get("relation", "self"))
    elif state == "link_id":
        await start_link(ctx)
    elif state == "faq_answer":
        ask_faq(ctx)
    else:
        show_menu(ctx)


async def _free_text(ctx: Context, text: str) -> None:
    state = ctx.state.state
    if state == "link_id":
        await receive_id(ctx, text)
        return
    if state == "link_dob":
        await receive_dob(ctx, text)
        return
    if state == "locked" and best_intent(text, INTENTS) is None:
        # Whatever they type while checks are paused, say why again.
        await start_link(ctx)
        return
    intent = best_intent(text, INTENTS)
    if intent is not None:
        await _option(ctx, intent)
        return
    if (
        state == "menu"
        and words(text)
        and all(w.isdigit() for w in words(text))
        and len("".join(words(text))) >= 9
    ):
        # Someone typed an ID straight away: start linking with it.
        await start_link(ctx)
        return
    ctx.say(
        ctx._(
            "Sorry, I did not understand. Please tap a button below, or type its number, "
            "for example “1” to check your allowance."
        ),
        main_menu(ctx),
        keyboard="menu",
    )
    ctx.goto("menu")


# ---------------------------------------------------------------- language


def ask_language(ctx: Context) -> None:
    ctx.goto("language")
    ctx.say(
        ctx._("Choose your language:"),
        [Option(f"lang:{code}", LANGUAGE_NAMES[code]) for code in SUPPORTED],
    )


async def set_language(ctx: Context, code: str) -> None:
    await ctx.tx.users.set_locale(ctx.user.id, code)
    ctx.t = ctx.catalogs.get(code)
    show_menu(ctx, ctx._("From now on I will write in English."))


# ---------------------------------------------------------------- linking


async def _lock_message(ctx: Context, id_hash: str | None) -> str | None:
    """The cooling-off message when too many checks failed, else None."""
    lim = ctx.limits
    since = ctx.now - lim.window
    actor = ctx.db.vault.lookup_hash(f"{ctx.user.channel}:{ctx.user.external_id}")
    until = None
    mine = await ctx.tx.attempts.failures_since(since, actor_key=actor)
    if len(mine) >= lim.failures_per_user:
        until = mine[-lim.failures_per_user] + lim.window
    if id_hash is not None:
        theirs = await ctx.tx.attempts.failures_since(since, national_id_hash=id_hash)
        if len(theirs) >= lim.failures_per_id:
            t2 = theirs[-lim.failures_per_id] + lim.window
            until = max(until, t2) if until else t2
    if until is None:
        return None
    local = until.astimezone(ctx.local_now.tzinfo)
    return ctx._(
        "To protect people's information, checks are paused after too many attempts that did "
        "not match. Please try again after {time} on {date}, or contact the commune officer.",
        time=local.strftime("%H:%M"),
        date=ctx.t.date(local.date()),
    )


def show_locked(ctx: Context, message: str) -> None:
    show_menu(ctx, message)
    ctx.goto("locked")


async def start_link(ctx: Context) -> None:
    msg = await _lock_message(ctx, None)
    if msg:
        show_locked(ctx, msg)
        return
    ctx.goto("link_who")
    options = [Option(oid, ctx._(label)) for oid, _rel, label in RELATIONS]
    channel_can_share = ctx.incoming.can_share_contact
    text = ctx._(
        "To see the allowance, I need to check once who you are asking for. "
        "Whom are you asking for?"
    )
    if channel_can_share:
        text += "\n" + ctx._(
            "If your phone number is on the commune's list, you can also tap “📱 Share my "
            "phone number” at the bottom of the screen."
        )
    ctx.say(
        text,
        [*options, *nav(ctx, back=False)],
        request_contact=ctx._("📱 Share my phone number") if channel_can_share else None,
    )


async def choose_who(ctx: Context, option: str) -> None:
    relation = next((rel for oid, rel, _l in RELATIONS if oid == option), None)
    if relation is None or ctx.state.state not in ("link_who", "link_id", "link_dob"):
        await start_link(ctx)
        return
    ask_id(ctx, relation)


def ask_id(ctx: Context, relation: str) -> None:
    ctx.goto("link_id", relation=relation)
    if relation == "self":
        text = ctx._(
            "Please type your citizen ID number (CCCD, căn cước công dân: 12 digits). "
            "For example: 001196001234"
        )
    else:
        text = ctx._(
            "Please type the citizen ID number (CCCD, căn cước công dân: 12 digits) of the "
            "person you are asking for. For example: 001196001234"
        )
    ctx.say(text, nav(ctx))


async def receive_id(ctx: Context, text: str) -> None:
    national_id = normalize_id(text)
    problem = check_id_format(national_id)
    if problem and problem.code == "length":
        ctx.say(
            ctx._(
                "A citizen ID has exactly 12 digits, but I counted {count}. Please check the "
                "card and type all 12 digits, for example: 001196001234",
                count=len(national_id),
            ),
            nav(ctx),
        )
        return
    if problem and problem.code == "province":
        ctx.say(
            ctx._(
                "The first 3 digits of a citizen ID are the code of the province where the birth "
                "was registered, and {code} is not such a code. Please check the number on the "
                "card and type it again.",
                code=national_id[:3],
            ),
            nav(ctx),
        )
        return
    id_hash = ctx.db.vault.lookup_hash(national_id)
    msg = await _lock_message(ctx, id_hash)
    if msg:
        show_locked(ctx, msg)
        return
    relation = ctx.state.data.get("relation", "self")
    ctx.goto("link_dob", relation=relation, id=ctx.db.vault.encrypt(national_id))
    if relation == "self":
        text = ctx._(
            "Thank you. Now please type your date of birth as day/month/year, for example 15/03/1945."
        )
    else:
        text = ctx._(
            "Thank you. Now please type that person's date of birth as day/month/year, "
            "for example 15/03/1945."
        )
    ctx.say(text, nav(ctx))


async def receive_dob(ctx: Context, text: str) -> None:
    born = parse_date(text)
    if born is None or born > ctx.local_now.date() or born.year < 1890:
        ctx.say(
            ctx._(
                "I could not read that date. Please type it as day/month/year, for example 15/03/1945."
            ),
            nav(ctx),
        )
        return
    national_id = ctx.db.vault.decrypt(ctx.state.data["id"])
    relation = ctx.state.data.get("relation", "self")
    problem = check_id_against_birth(national_id, born)
    if problem:
        ctx.say(
            ctx._(
                "The citizen ID and the date of birth do not agree: digits 4 to 6 of the ID show "
                "a person born in {id_year}, but the date typed is in {year}. Please check the "
                "date of birth and type it again.",
                id_year=birth_year_from_id(national_id),
                year=born.year,
            ),
            nav(ctx),
        )
        return
    id_hash = ctx.db.vault.lookup_hash(national_id)
    msg = await _lock_message(ctx, id_hash)
    if msg:
        show_locked(ctx, msg)
        return
    actor = ctx.db.vault.lookup_hash(f"{ctx.user.channel}:{ctx.user.external_id}")
    ben = await ctx.tx.beneficiaries.verify(national_id, born)
    await ctx.tx.attempts.record(actor, id_hash, ben is not None, ctx.now)
    if ben is None:
        await ctx.tx.audit.write("link_failed", user_id=ctx.user.id, at=ctx.now)
        mine = await ctx.tx.attempts.failures_since(ctx.now - ctx.limits.window, actor_key=actor)
        left = ctx.limits.failures_per_user - len(mine)
        if left <= 0:
            show_locked(ctx, await _lock_message(ctx, id_hash) or "")
            return
        # The same answer whether the ID is unknown or the date is wrong.
        ctx.goto("link_id", relation=relation)
        ctx.say(
            ctx._(
                "These details do not match the commune's list. Please check the citizen ID and "
                "the date of birth on the card, then type the citizen ID again. "
                "Attempts left today: {left}.",
                left=left,
            ),
            nav(ctx),
        )
        return
    await ctx.tx.links.add(ctx.user.id, ben.id, relation, "id_dob")
    await ctx.tx.audit.write(
        "link",
        user_id=ctx.user.id,
        beneficiary_id=ben.id,
        at=ctx.now,
        via="id_dob",
        relation=relation,
    )
    ctx.say(
        ctx._(
            "Confirmed: {person}. From now on, just tap “💰 Check my allowance”.",
            person=person_name(ctx, ben),
        )
    )
    await show_status(ctx, ben.id)


def normalize_phone(raw: str) -> str | None:
    """E.164 form of a Vietnamese mobile number, or None when it is not one."""
    try:
        num = phonenumbers.parse(raw if raw.strip().startswith("+") else raw, "VN")
    except phonenumbers.NumberParseException:
        try:
            num = phonenumbers.parse("+" + raw.strip(), None)
        except phonenumbers.NumberParseException:
            return None
    if not phonenumbers.is_valid_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


async def link_by_phone(ctx: Context, raw_phone: str) -> None:
    phone = normalize_phone(raw_phone)
    found = await ctx.tx.beneficiaries.find_by_phone(phone) if phone else []
    if not found:
        ctx.goto("link_who")
        ctx.say(
            ctx._(
                "This phone number is not on the commune's list. You can still check with the "
                "citizen ID: whom are you asking for?"
            ),
            [Option(oid, ctx._(label)) for oid, _rel, label in RELATIONS] + nav(ctx, back=False),
        )
        return
    names = []
    for ben, kind in found:
        relation = "self" if kind == "self" else "other"
        await ctx.tx.links.add(ctx.user.id, ben.id, relation, "phone")
        await ctx.tx.audit.write(
            "link",
            user_id=ctx.user.id,
            beneficiary_id=ben.id,
            at=ctx.now,
            via="phone",
            relation=relation,
        )
        names.append(person_name(ctx, ben))
    ctx.say(ctx._("Confirmed by your phone number: {people}.", people=", ".join(names)))
    if len(found) == 1:
        await show_status(ctx, found[0][0].id)
    else:
        await start_status(ctx)


# ---------------------------------------------------------------- status


STATUS_WORDS = {
    "paid": _("paid"),
    "pending": _("not paid yet"),
    "failed": _("transfer failed"),
    "returned": _("returned"),
}


def _period_of(ctx: Context) -> str:
    d = ctx.local_now.date()
    return f"{d.year:04d}-{d.month:02d}"


async def start_status(ctx: Context) -> None:
    links = await ctx.tx.links.for_user(ctx.user.id, period=_period_of(ctx))
    if not links:
        await start_link(ctx)
        return
    if len(links) == 1:
        await show_status(ctx, links[0].beneficiary.id, links[0])
        return
    ctx.goto("pick")
    ctx.say(
        ctx._("Whose allowance would you like to see?"),
        [Option(f"ben:{link.beneficiary.id}", person_name(ctx, link.beneficiary)) for link in links]
        + nav(ctx, back=False),
    )


async def _linked(ctx: Context, beneficiary_id: int) -> Link | None:
    """The user's link to this beneficiary; None when they have none."""
    links = await ctx.tx.links.for_user(
        ctx.user.id, beneficiary_id=beneficiary_id, period=_period_of(ctx)
    )
    return links[0] if links else None


def _channel_text(ctx: Context, p: Payment) -> str:
    if p.method == "bank":
        account = f"****{p.account_last4}" if p.account_last4 else ""
        return ctx._(
            "into the {bank} account {account}", bank=p.bank_name or "", account=account
        ).replace("  ", " ")
    if p.method == "post":
        return ctx._("at the post office")
    return ctx._("in cash")


def status_text(ctx: Context, ben: Beneficiary, p: Payment | None, period: str, commune) -> str:  # type: ignore[no-untyped-def]
    who = person_name(ctx, ben)
    month = ctx.t.period(period)
    officer = _officer_line(ctx, commune)
    if p is None:
        day = commune.payment_day if commune and commune.payment_day else 10
        return ctx._(
            "The payment list for {month} for {person} has not reached the bot yet. The commune "
            "usually pays around day {day} of the month. {officer}",
            month=month,
            person=who,
            day=day,
            officer=officer,
        )
    amount = ctx.t.money(p.amount)
    if p.status == "paid":
        paid_on = ctx.t.date(p.paid_on) if p.paid_on else ""
        if p.method == "bank":
            return ctx._(
                "The allowance for {month} for {person}: {amount}, transferred {channel} on {date}.",
                month=month,
                person=who,
                amount=amount,
                channel=_channel_text(ctx, p),
                date=paid_on,
            )
        return ctx._(
            "The allowance for {month} for {person}: {amount}, paid {channel} on {date}.",
            month=month,
            person=who,
            amount=amount,
            channel=_channel_text(ctx, p),
            date=paid_on,
        )
    if p.status == "pending":
        day = commune.payment_day if commune and commune.payment_day else 10
        return ctx._(
            "The allowance for {month} for {person} ({amount}) has not been paid yet. The commune "
            "usually pays around day {day} of the month, {channel}. {officer}",
            month=month,
            person=who,
            amount=amount,
            day=day,
            channel=_channel_text(ctx, p),
            officer=officer,
        )
    reason = p.note or ctx._("no reason was given")
    if p.status == "failed":
        return ctx._(
            "The allowance for {month} for {person} ({amount}) could not be transferred: {reason}. "
            "The money is not lost. Please contact the commune officer to check the account. "
            "{officer}",
            month=month,
            person=who,
            amount=amount,
            reason=reason,
            officer=officer,
        )
    return ctx._(
        "The allowance for {month} for {person} ({amount}) was returned: {reason}. The money is "
        "not lost. Please contact the commune officer so it can be paid again. {officer}",
        month=month,
        person=who,
        amount=amount,
        reason=reason,
        officer=officer,
    )


def _officer_line(ctx: Context, commune) -> str:  # type: ignore[no-untyped-def]
    if commune and commune.officer_name and commune.officer_phone:
        return ctx._(
            "Commune officer: {name}, phone {phone}.",
            name=commune.officer_name,
            phone=commune.officer_phone,
        )
    if commune:
        return ctx._("Please contact the People's Committee of {commune}.", commune=commune.name)
    return ""


async def show_status(ctx: Context, beneficiary_id: int, link: Link | None = None) -> None:
    link = link or await _linked(ctx, beneficiary_id)
    if link is None:
        # Not theirs (or an old button after "forget me"): reveal nothing.
        await start_status(ctx)
        return
    ben, commune, current = link.beneficiary, link.commune, link.payment
    period = _period_of(ctx)
    await ctx.tx.audit.write(
        "status", user_id=ctx.user.id, beneficiary_id=ben.id, at=ctx.now, period=period
    )
    ctx.goto("menu")
    ctx.say(
        status_text(ctx, ben, current, period, commune),
        # The main menu keeps its numbers ("1" is always the check); the
        # history comes last.
        [*main_menu(ctx), Option(f"hist:{ben.id}", ctx._("📅 Last 6 months"))],
        keyboard="menu",
    )


async def show_history(ctx: Context, beneficiary_id: int) -> None:
    link = await _linked(ctx, beneficiary_id)
    if link is None:
        await start_status(ctx)
        return
    ben = link.beneficiary
    period = _period_of(ctx)
    payments = await ctx.tx.payments.recent(ben.id, period, limit=6)
    await ctx.tx.audit.write("history", user_id=ctx.user.id, beneficiary_id=ben.id, at=ctx.now)
    lines = [ctx._("Allowance of {person}, last 6 months:", person=person_name(ctx, ben))]
    if not payments:
        lines.append(ctx._("No payments on the list yet."))
    for p in payments:
        status = ctx._(STATUS_WORDS.get(p.status, p.status))
        line = ctx._(
            "{month}: {amount} — {status}",
            month=ctx.t.period(p.period),
            amount=ctx.t.money(p.amount),
            status=status,
        )
        if p.status == "paid" and p.paid_on:
            line += " " + ctx._("on {date}", date=ctx.t.date(p.paid_on))
        lines.append("• " + line)
    ctx.goto("menu")
    ctx.say("\n".join(lines), main_menu(ctx), keyboard="menu")


# ---------------------------------------------------------------- other menus


def bank_guidance(ctx: Context) -> None:
    ctx.goto("menu")
    ctx.say(
        ctx._(
            "To receive the allowance into a bank account, the easiest way is the VNeID app "
            "(needs a level-2 electronic ID):\n"
            "1. Open VNeID and log in.\n"
            "2. Choose “Tiện ích” (Utilities), then “Tài khoản hưởng an sinh xã hội” "
            "(Social security benefit account).\n"
            "3. Choose “Đăng ký” (Register), pick your bank and type the account number.\n"
            "4. Enter the code sent to your phone to confirm.\n"
            "If you have no level-2 electronic ID, or need help, the commune officer or a "
            "“1+20” youth volunteer can help you: tap “☎️ Contact the commune officer”."
        ),
        main_menu(ctx),
        keyboard="menu",
    )


def ask_faq(ctx: Context) -> None:
    ctx.goto("faq")
    ctx.say(
        ctx._("Choose a question:"),
        [Option(oid, ctx._(q)) for oid, q, _a in FAQ] + nav(ctx, back=False),
    )


def answer_faq(ctx: Context, option: str) -> None:
    for oid, _q, answer in FAQ:
        if oid == option:
            ctx.goto("faq_answer")
            ctx.say(
                ctx._(answer),
                [Option("menu:faq", ctx._("❓ Other questions")), *nav(ctx, back=False)],
            )
            return
    ask_faq(ctx)


async def contact(ctx: Context) -> None:
    links = await ctx.tx.links.for_user(ctx.user.id)
    seen: set[str] = set()
    lines = []
    for link in links:
        code = link.beneficiary.commune_code
        if code in seen:
            continue
        seen.add(code)
        commune = await ctx.tx.communes.get(code)
        if commune is None:
            continue
        if commune.officer_name and commune.officer_phone:
            lines.append(
                ctx._(
                    "{commune}: {name}, phone {phone}.",
                    commune=commune.name,
                    name=commune.officer_name,
                    phone=commune.officer_phone,
                )
            )
        else:
            lines.append(
                ctx._("Please contact the People's Committee of {commune}.", commune=commune.name)
            )
    if not lines:
        lines.append(
            ctx._(
                "Please contact the social-affairs officer at the People's Committee of your commune "
                "or ward. Once you check your allowance here, I can show that officer's phone number."
            )
        )
    show_menu(ctx, "\n".join(lines))


async def people(ctx: Context) -> None:
    links = await ctx.tx.links.for_user(ctx.user.id)
    ctx.goto("people")
    if links:
        text = (
            ctx._("You can see the allowance of:")
            + "\n"
            + "\n".join("• " + person_name(ctx, link.beneficiary) for link in links)
        )
    else:
        text = ctx._("You have not added anyone yet.")
    ctx.say(
        text,
        [
            Option("people:add", ctx._("➕ Add a person")),
            Option("people:forget", ctx._("🗑️ Forget me")),
            *nav(ctx, back=False),
        ],
    )


def ask_forget(ctx: Context) -> None:
    ctx.goto("forget")
    ctx.say(
        ctx._(
            "“Forget me” removes the people you added and everything the bot keeps about you. "
            "The commune's own lists are not changed. Remove it now?"
        ),
        [Option("forget:yes", ctx._("Yes, remove")), Option("forget:no", ctx._("No, keep"))],
    )


async def forget(ctx: Context) -> None:
    removed = len(await ctx.tx.links.for_user(ctx.user.id))
    await ctx.tx.audit.write("forget", user_id=ctx.user.id, at=ctx.now, links_removed=removed)
    await ctx.tx.users.delete(ctx.user.id)
    ctx.state.state = "__deleted__"
    ctx.say(
        ctx._("Done: the bot no longer keeps anything about you. You can start again at any time."),
        main_menu(ctx),
        keyboard="menu",
    )
