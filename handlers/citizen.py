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

from datetime import datetime
from functools import cache
from typing import Protocol

import phonenumbers

from handlers.core import Context, resolve_option
from handlers.dates import DateProblem, parse_typed_date
from handlers.features import Feature
from handlers.i18n import LANGUAGE_NAMES, SUPPORTED, Translator, _
from handlers.ids import birth_year_from_id, check_id_against_birth, check_id_format, normalize_id
from handlers.officer import parse_invite_code, receive_file, redeem_invite
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
# Not "dung": without diacritics "dừng" (stop) is "đúng" (right, yes).
GLOBAL_CANCEL = {"huy", "cancel", "thoi", "stop", "huy bo", "thoat", "exit"}
# Steps that wait for typed data: there a number is data, not an option number.
DATA_STEPS = {"link_id", "link_dob"}
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


# How people say whom they ask for, typed instead of tapped.
RELATION_WORDS: dict[str, list[str]] = {
    "self": ["cho toi", "ban than", "chinh toi", "cua toi", "myself", "for me"],
    # Longer phrases win, so "cho me toi" beats "cho toi". "ba toi" is left
    # out: it is "my father" in the south and "my grandmother" elsewhere.
    "child": [
        "cho me toi", "cho bo toi", "cho cha toi", "me toi", "bo toi", "cha toi",
        "cha me", "bo me", "cho me", "my mother", "my father", "mother", "father",
    ],
    "spouse": ["cho vo toi", "cho chong toi", "vo toi", "chong toi", "husband", "wife"],
    "grandchild": [
        "cho ong toi", "ong toi", "ba noi", "ba ngoai", "ong noi", "ong ngoai",
        "grandmother", "grandfather", "grandparent",
    ],
    "carer": ["cham soc", "care"],
    "other": ["nguoi than", "ho hang", "relative"],
}  # fmt: skip


def _features() -> tuple[Feature, ...]:
    # Imported here: feature modules use this module's menu helpers.
    from handlers.registry import FEATURES

    return FEATURES


def _feature_for_state(state: str) -> Feature | None:
    return next((f for f in _features() if state in f.states), None)


@cache
def _menu_items(role: str) -> tuple[tuple[str, str], ...]:
    """The main menu of a user with this role: the citizen's items, then what
    each feature adds for everyone and for the role."""
    items = list(MENU_ITEMS)
    for feature in _features():
        items += feature.menu.get("citizen", [])
        if role != "citizen":
            items += feature.menu.get(role, [])
    return tuple(items)


@cache
def _all_menu_items() -> tuple[tuple[str, str], ...]:
    items = list(MENU_ITEMS)
    for feature in _features():
        for entries in feature.menu.values():
            items += entries
    return tuple(items)


@cache
def _intents() -> dict[str, list[str]]:
    merged = {k: list(v) for k, v in INTENTS.items()}
    for feature in _features():
        for oid, phrases in feature.intents.items():
            merged.setdefault(oid, []).extend(phrases)
    return merged


def main_menu(ctx: Context) -> list[Option]:
    return [Option(oid, ctx._(label)) for oid, label in _menu_items(ctx.user.role)]


def nav(ctx: Context, back: bool = True) -> list[Option]:
    opts = [Option("nav:back", ctx._("↩️ Back"))] if back else []
    return [*opts, Option("nav:menu", ctx._("🏠 Menu"))]


class Speaker(Protocol):
    """What wording a person's status needs: their translator and the time.
    A :class:`Context` is one; so is a message built for someone else later
    (:mod:`handlers.payment_news`)."""

    t: Translator

    @property
    def local_now(self) -> datetime: ...

    def _(self, message: str, **params: object) -> str: ...


def person_name(ctx: Speaker, ben: Beneficiary) -> str:
    if ben.birth_year and ctx.local_now.year - ben.birth_year < 16:
        return ctx._("Young {name}", name=ben.full_name)
    if ben.female:
        return ctx._("Ms {name}", name=ben.full_name)
    return ctx._("Mr {name}", name=ben.full_name)


def show_menu(ctx: Context, text: str | None = None) -> None:
    ctx.goto("menu")
    if text is None:
        text = (
            ctx._("What would you like to do? Tap a button below.")
            if ctx.incoming.buttons
            else ctx._("What would you like to do? Type the number of your choice.")
        )
    ctx.say(
        text,
        main_menu(ctx),
        keyboard="menu",
    )


# ---------------------------------------------------------------- routing


async def route(ctx: Context) -> None:
    inc = ctx.incoming
    for feature in _features():
        if feature.claim is not None and await feature.claim(ctx):
            return
    owner = _feature_for_state(ctx.state.state)
    if (
        owner is not None
        and owner.on_other is not None
        and (inc.document is not None or inc.location is not None or inc.contact_phone)
    ):
        await owner.on_other(ctx)
        return
    if inc.document is not None:
        await receive_file(ctx, inc.document)
        return
    code = parse_invite_code(inc.args if inc.command == "start" else inc.text)
    if code is not None:
        await redeem_invite(ctx, code)
        return
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
    await reprompt(ctx)


async def reprompt(ctx: Context) -> None:
    """A photo, sticker, voice message or empty text: say so, and ask the
    current step's question again instead of dropping what was typed."""
    note = ctx._(
        "I can only read typed words and numbers, not pictures, stickers or voice messages."
    )
    state = ctx.state.state
    owner = _feature_for_state(state)
    if owner is not None and owner.on_other is not None:
        await owner.on_other(ctx)
    elif state == "link_id":
        ctx.say(note)
        ask_id(ctx, ctx.state.data.get("relation", "self"))
    elif state == "link_dob":
        ctx.say(note)
        ask_dob(ctx, ctx.state.data.get("relation", "self"), ctx.state.data)
    elif state == "link_who":
        ctx.say(note)
        await start_link(ctx)
    else:
        show_menu(ctx, note)


def _option_from_text(ctx: Context, text: str) -> str | None:
    key = " ".join(words(text))
    if key in GLOBAL_MENU:
        return "nav:menu"
    if key in GLOBAL_CANCEL:
        return "nav:cancel"
    if key in GLOBAL_BACK:
        return "nav:back"
    state = ctx.state.state
    owner = _feature_for_state(state)
    data_step = state in DATA_STEPS or (owner is not None and state in owner.data_states)
    if data_step and any(ch.isdigit() for ch in text):
        return None
    offered = ctx.state.options
    if not offered and state == "menu":
        # Nothing on screen yet (a first message): "1" is the main menu's first item.
        offered = [(o.id, o.label) for o in main_menu(ctx)]
    found = resolve_option(text, offered)
    if found:
        return found
    # The main menu stays on screen (Telegram keyboard): its labels work in any
    # state and in either language.
    for t in ctx.catalogs.all():
        for oid, label in _all_menu_items():
            if key and key == " ".join(words(t.gettext(label))):
                return oid
    return None


async def _command(ctx: Context, command: str, args: str) -> None:
    for feature in _features():
        if command in feature.commands and feature.on_command is not None:
            await feature.on_command(ctx, command, args)
            return
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
    elif (feature := next((f for f in _features() if f.owns_option(option)), None)) and (
        feature.on_option is not None
    ):
        await feature.on_option(ctx, option)
    elif option == "menu:status":
        await start_status(ctx)
    elif option == "menu:bank":
        from handlers.bank_account import start as start_bank  # it uses this module's menu

        await start_bank(ctx)
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
    elif prefix == "ben" and _small_id(value):
        await show_status(ctx, int(value))
    elif prefix == "hist" and _small_id(value):
        await show_history(ctx, int(value))
    elif option == "people:add":
        await start_link(ctx)
    elif option == "people:forget":
        ask_forget(ctx)
    elif option == "forget:yes" and state == "forget":
        await forget(ctx)
    elif option == "forget:no":
        show_menu(ctx, ctx._("Nothing was removed."))
    else:
        # An old button from an earlier message.
        show_menu(ctx, ctx._("That button is no longer active. Here is the menu."))


def _small_id(value: str) -> bool:
    """An id from a button: ASCII digits that fit a database integer."""
    return 0 < len(value) <= 9 and set(value) <= set("0123456789")


async def _back(ctx: Context) -> None:
    state = ctx.state.state
    owner = _feature_for_state(state)
    if owner is not None and owner.on_back is not None:
        await owner.on_back(ctx)
    elif state == "link_dob":
        ask_id(ctx, ctx.state.data.get("relation", "self"))
    elif state == "link_id":
        await start_link(ctx)
    elif state == "faq_answer":
        ask_faq(ctx)
    else:
        show_menu(ctx)


async def try_intent(ctx: Context, text: str) -> bool:
    """Run the request ``text`` names ("kiem tra tien"), if it names one: for
    features whose menu state does not expect typed text."""
    intent = best_intent(text, _intents())
    if intent is None:
        return False
    await _option(ctx, intent)
    return True


async def _free_text(ctx: Context, text: str) -> None:
    state = ctx.state.state
    owner = _feature_for_state(state)
    if owner is not None and owner.on_text is not None:
        # Typed text in a feature's state is the feature's to read (a bank's
        # name, a household's name...); it may hand it back with try_intent.
        await owner.on_text(ctx, text)
        return
    if state == "link_id":
        await receive_id(ctx, text)
        return
    if state == "link_dob":
        await receive_dob(ctx, text)
        return
    if state == "link_who":
        relation = best_intent(text, RELATION_WORDS)
        if relation is not None:
            await _ask_id_unless_typed(ctx, relation)
        else:
            ctx.say(
                ctx._("Please tap one of the buttons to say whom you are asking for.")
                if ctx.incoming.buttons
                else ctx._(
                    "Please type the number that says whom you are asking for, "
                    "for example “1” for yourself."
                )
            )
            await start_link(ctx)
        return
    intents = _intents()
    if state == "locked" and best_intent(text, intents) is None:
        # Whatever they type while checks are paused, say why again.
        await start_link(ctx)
        return
    intent = best_intent(text, intents)
    if intent is not None:
        await _option(ctx, intent)
        return
    if (
        state == "menu"
        and words(text)
        and all(w.isdigit() for w in words(text))
        and len("".join(words(text))) >= 9
    ):
        # Someone typed an ID (and perhaps the date of birth) straight away:
        # ask whom it is for, then use what they typed instead of asking again.
        await start_link(ctx)
        if ctx.state.state == "link_who":
            ctx.state.data["typed"] = ctx.db.vault.encrypt(text)
        return
    ctx.say(
        ctx._(
            "Sorry, I did not understand. Please tap a button below, or type its number, "
            "for example “1” to check your allowance."
        )
        if ctx.incoming.buttons
        else ctx._(
            "Sorry, I did not understand. Please type the number of your choice, "
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


def _actor_key(ctx: Context) -> str:
    return ctx.db.vault.lookup_hash(f"{ctx.user.channel}:{ctx.user.external_id}")


async def _failure_windows(ctx: Context, id_hash: str | None) -> list[tuple[list, int]]:
    """(failure times, limit) for this person, their network origin and the ID."""
    lim = ctx.limits
    since = ctx.now - lim.window
    out = [
        (
            await ctx.tx.attempts.failures_since(since, actor_key=_actor_key(ctx)),
            lim.failures_per_user,
        )
    ]
    if ctx.incoming.origin:
        out.append(
            (
                await ctx.tx.attempts.failures_since(since, origin=ctx.incoming.origin),
                lim.failures_per_origin,
            )
        )
    if id_hash is not None:
        out.append(
            (
                await ctx.tx.attempts.failures_since(since, national_id_hash=id_hash),
                lim.failures_per_id,
            )
        )
    return out


async def _attempts_left(ctx: Context, id_hash: str | None) -> int:
    return min(limit - len(times) for times, limit in await _failure_windows(ctx, id_hash))


async def _lock_message(ctx: Context, id_hash: str | None) -> str | None:
    """The cooling-off message when too many checks failed, else None."""
    until = None
    for times, limit in await _failure_windows(ctx, id_hash):
        if len(times) >= limit:
            ends = times[-limit] + ctx.limits.window
            until = max(until, ends) if until else ends
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
    if channel_can_share:
        text = ctx._(
            "To see the allowance, I need to check once who you are asking for. "
            "Whom are you asking for?\n"
            "If your phone number is on the commune's list, you can also tap “📱 Share my "
            "phone number” at the bottom of the screen."
        )
    else:
        text = ctx._(
            "To see the allowance, I need to check once who you are asking for. "
            "Whom are you asking for?"
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
    await _ask_id_unless_typed(ctx, relation)


async def _ask_id_unless_typed(ctx: Context, relation: str) -> None:
    """Ask for the ID, or use the one typed before whom it was for was known."""
    typed = ctx.state.data.get("typed") if ctx.state.state == "link_who" else None
    if isinstance(typed, str):
        ctx.goto("link_id", relation=relation)
        await receive_id(ctx, ctx.db.vault.decrypt(typed))
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


def split_id_and_date(text: str) -> tuple[str, str] | None:
    """ "001140001234 15/3/1940" -> the ID and the date, when both were typed."""
    count = 0
    for i, ch in enumerate(text):
        if ch in "0123456789":
            count += 1
            if count == 12:
                rest = text[i + 1 :]
                if rest.strip() and not rest[0].isdigit() and any(c.isdigit() for c in rest):
                    return text[: i + 1], rest
                return None
        elif count and ch not in " .-":
            return None
    return None


async def receive_id(ctx: Context, text: str) -> None:
    both = split_id_and_date(text.strip())
    date_text = None
    if both is not None:  # ID and date of birth in one message: take both
        text, date_text = both
    national_id = normalize_id(text)
    problem = check_id_format(national_id)
    if problem is not None:
        ctx.say(_id_problem_text(ctx, problem.code, national_id), nav(ctx))
        return
    id_hash = ctx.db.vault.lookup_hash(national_id)
    msg = await _lock_message(ctx, id_hash)
    if msg:
        show_locked(ctx, msg)
        return
    relation = ctx.state.data.get("relation", "self")
    ctx.goto("link_dob", relation=relation, id=ctx.db.vault.encrypt(national_id))
    if date_text is not None:
        await receive_dob(ctx, date_text)
        return
    ask_dob(ctx, relation, ctx.state.data)


def _id_problem_text(ctx: Context, code: str, national_id: str) -> str:
    if code == "no_digits":
        return ctx._(
            "Please type the citizen ID with digits only (12 digits), for example: 001196001234"
        )
    if code == "length":
        return ctx._(
            "A citizen ID has exactly 12 digits, but I counted {count}. Please check the "
            "card and type all 12 digits, for example: 001196001234",
            count=len(national_id),
        )
    if code == "province":
        return ctx._(
            "The first 3 digits of a citizen ID are the code of the province where the birth "
            "was registered, and {code} is not such a code. Please check the number on the "
            "card and type it again.",
            code=national_id[:3],
        )
    return ctx._(
        "The 4th digit of a citizen ID is 0, 1, 2 or 3 (century and gender), but this one "
        "has {digit}. Please check the number on the card and type it again.",
        digit=national_id[3],
    )


def ask_dob(ctx: Context, relation: str, data: dict) -> None:
    ctx.goto("link_dob", **data)
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
    national_id = ctx.db.vault.decrypt(ctx.state.data["id"])
    relation = ctx.state.data.get("relation", "self")
    century = birth_year_from_id(national_id) // 100 * 100
    born = parse_typed_date(text, century=century)
    if isinstance(born, DateProblem):
        if born.code == "no_such_day":
            message = ctx._(
                "That day does not exist in the calendar. Please check the date of birth and "
                "type it as day/month/year, for example 15/03/1945."
            )
        else:
            message = ctx._(
                "I could not read that date. Please type it as day/month/year, for example 15/03/1945."
            )
        ctx.say(message, nav(ctx))
        return
    if born > ctx.local_now.date():
        ctx.say(
            ctx._(
                "That date is in the future. Please type the date of birth as day/month/year, "
                "for example 15/03/1945."
            ),
            nav(ctx),
        )
        return
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
    actor = _actor_key(ctx)
    # Checks of one person or one ID are made one at a time, also across
    # processes, so that parallel guesses cannot slip past the limits.
    await ctx.tx.attempts.serialize(actor, id_hash)
    msg = await _lock_message(ctx, id_hash)
    if msg:
        show_locked(ctx, msg)
        return
    ben = await ctx.tx.beneficiaries.verify(national_id, born)
    await ctx.tx.attempts.record(
        actor, id_hash, ben is not None, ctx.now, origin=ctx.incoming.origin
    )
    if ben is None:
        await ctx.tx.audit.write("link_failed", user_id=ctx.user.id, at=ctx.now)
        left = await _attempts_left(ctx, id_hash)
        if left <= 0:
            show_locked(ctx, await _lock_message(ctx, id_hash) or "")
            return
        # The same answer whether the ID is unknown or the date is wrong.
        ctx.goto("link_id", relation=relation)
        ctx.say(
            ctx._(
                "These details do not match the commune's list. Please check the citizen ID and "
                "the date of birth on the card, then type the citizen ID again. "
                "Attempts left: {left}.",
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
        if ctx.incoming.buttons
        else ctx._(
            "Confirmed: {person}. From now on, just type “1” to check the allowance.",
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
    ctx.say(ctx._("Confirmed by your phone number: {people}.", people=ctx.t.join(names)))
    if len(found) == 1:
        await show_status(ctx, found[0][0].id)
    else:
        await start_status(ctx)


# ---------------------------------------------------------------- status


# One line of the six-month history, one whole line per status.
HISTORY_LINES = {
    "paid": _("{month}: {amount} — paid on {date}"),
    "pending": _("{month}: {amount} — not paid yet"),
    "failed": _("{month}: {amount} — transfer failed"),
    "returned": _("{month}: {amount} — returned"),
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


def status_text(ctx: Speaker, ben: Beneficiary, p: Payment | None, period: str, commune) -> str:  # type: ignore[no-untyped-def]
    """This month's answer, one whole sentence per case (so each language can
    word it its own way), then whom to contact when something is to be done."""
    day: int = commune.payment_day if commune and commune.payment_day else 10
    f: dict[str, object] = {
        "month": ctx.t.period(period),
        "person": person_name(ctx, ben),
        "officer": _officer_line(ctx, commune),
        "day": day,
    }
    if p is None:
        return ctx._(
            "The payment list for {month} for {person} has not reached the bot yet. The commune "
            "usually pays around day {day} of the month. {officer}",
            **f,
        )
    f["amount"] = ctx.t.money(p.amount)
    f["date"] = ctx.t.date(p.paid_on) if p.paid_on else "—"
    f["bank"] = p.bank_name or ""
    f["account"] = f"****{p.account_last4}" if p.account_last4 else ""
    f["reason"] = p.note or ctx._("no reason was given")
    if p.status == "paid":
        if p.method == "bank" and p.bank_name and p.account_last4:
            return ctx._(
                "The allowance for {month} for {person}: {amount}, transferred into the {bank} "
                "account {account} on {date}.",
                **f,
            )
        if p.method == "bank":
            return ctx._(
                "The allowance for {month} for {person}: {amount}, transferred to the bank "
                "account on {date}.",
                **f,
            )
        if p.method == "post":
            return ctx._(
                "The allowance for {month} for {person}: {amount}, paid at the post office on {date}.",
                **f,
            )
        return ctx._(
            "The allowance for {month} for {person}: {amount}, paid in cash on {date}.", **f
        )
    if p.status == "pending":
        late = ctx.local_now.day > day + 2
        if p.method == "post":
            return ctx._(
                "The allowance for {month} for {person} ({amount}) has not been paid yet. The post "
                "office pays at the commune pay point around the 2nd to the 10th, and at the post "
                "office until the 25th. {officer}",
                **f,
            )
        if late:
            return ctx._(
                "The allowance for {month} for {person} ({amount}) has not been paid yet, later "
                "than the usual day {day} of the month. {officer}",
                **f,
            )
        if p.method == "bank":
            return ctx._(
                "The allowance for {month} for {person} ({amount}) has not been paid yet. The "
                "commune usually transfers it around day {day} of the month. {officer}",
                **f,
            )
        return ctx._(
            "The allowance for {month} for {person} ({amount}) has not been paid yet. The commune "
            "usually pays it in cash around day {day} of the month. {officer}",
            **f,
        )
    if p.status == "failed":
        return ctx._(
            "The allowance for {month} for {person} ({amount}) could not be transferred: {reason}. "
            "The money is not lost. Please contact the commune officer to check the account. "
            "{officer}",
            **f,
        )
    return ctx._(
        "The allowance for {month} for {person} ({amount}) was returned: {reason}. The money is "
        "not lost. Please contact the commune officer so it can be paid again. {officer}",
        **f,
    )


def _officer_line(ctx: Speaker, commune) -> str:  # type: ignore[no-untyped-def]
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
        line = ctx._(
            HISTORY_LINES.get(p.status, HISTORY_LINES["pending"]),
            month=ctx.t.period(p.period),
            amount=ctx.t.money(p.amount),
            date=ctx.t.date(p.paid_on) if p.paid_on else "—",
        )
        lines.append("• " + line)
    ctx.goto("menu")
    ctx.say("\n".join(lines), main_menu(ctx), keyboard="menu")


# ---------------------------------------------------------------- other menus


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
    # Payment news (handlers.payment_news): the setting and its switch.
    if ctx.user.notify_payments:
        setting = ctx._("Messages when an allowance is paid: on.")
        switch = Option("notify:off", ctx._("🔕 Turn off payment messages"))
    else:
        setting = ctx._("Messages when an allowance is paid: off.")
        switch = Option("notify:on", ctx._("🔔 Turn on payment messages"))
    ctx.say(
        text + "\n\n" + setting,
        [
            Option("people:add", ctx._("➕ Add a person")),
            switch,
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
        ctx._(
            "Done: the people you added and your settings are removed. The bot keeps only a "
            "record that checks were made, without your phone number or any ID. You can start "
            "again at any time."
        ),
        main_menu(ctx),
        keyboard="menu",
    )
