""" "1+20" volunteers: joining with a unit's invite code, logging household
visits at the doorstep, their progress and follow-up reminders; and for
commune officers, invites, the list of volunteers and the reports.

A unit's code looks like ``TN-7K4M-9P2Q`` ("TN" for thanh niên, then eight
characters from the officers' alphabet). It arrives as a Telegram deep link
(``/start TN7K4M9P2Q``) or typed on any channel; only its keyed hash is
stored. One code serves a whole unit, up to a number of uses, until it expires.

States (all start with ``vol_``):

- joining: ``vol_join_rules`` (accept the rules on personal data),
  ``vol_join_name``, ``vol_join_phone``;
- a visit: ``vol_pick`` (one of my households or a new one), ``vol_hh_name``,
  ``vol_hh_village``, ``vol_hh_phone``, ``vol_same`` ("the same household
  as ...?"), ``vol_hh_members``, ``vol_hh_location``, ``vol_tick`` (what was
  helped with), ``vol_result`` (how each went), ``vol_note``,
  ``vol_followup``, ``vol_confirm``; ``vol_undo`` confirms undoing the last one;
- officers: ``vol_inv_commune``, ``vol_inv_unit``, ``vol_off``.
"""

from __future__ import annotations

import asyncio
import io
import re
import secrets
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta

from handlers.citizen import main_menu, nav, normalize_phone, show_menu
from handlers.core import VN_TZ, Context
from handlers.dates import parse_typed_date
from handlers.features import Feature
from handlers.i18n import Catalogs, Translator, _
from handlers.notify import notify
from handlers.officer import CODE_ALPHABET
from handlers.sheets import text_only
from handlers.text import match_key, words
from handlers.types import Attachment, Option
from storage import Tx
from storage.volunteers import Household, VisitFact, Volunteer

TARGET = 20  # households per volunteer ("1+20")
INVITE_USES = 30
INVITE_DAYS = 14
MAX_LIST = 20

# What volunteers help with (DOMAIN.md), in the order they are offered.
SERVICES: list[tuple[str, str]] = [
    ("vneid", _("VNeID app installed")),
    ("vneid2", _("Level-2 e-ID activated")),
    ("portal", _("Public-service portal account")),
    ("procedure", _("Procedure filed online")),
    ("signature", _("Personal digital signature")),
    ("sim", _("SIM card in own name")),
    ("bank", _("Bank account or e-wallet")),
    ("insurance", _("Health insurance / VssID")),
    ("payment", _("Online tax or bill payment")),
    ("scams", _("Safe from online scams")),
]
SERVICE_LABEL = dict(SERVICES)
RESULTS: list[tuple[str, str]] = [
    ("done", _("✅ Done")),
    ("followup", _("⏳ Started, needs follow-up")),
    ("declined", _("✋ Declined")),
]
RESULT_LABEL = dict(RESULTS)

DONE_WORDS = {"xong", "done", "tiep", "tiep tuc", "next", "continue", "ok", "xong roi"}
SKIP_WORDS = {"bo qua", "skip", "khong", "no", "none", "khong co"}
TOMORROW = {"mai", "ngay mai", "tomorrow"}
TODAY = {"hom nay", "today"}
NEXT_WEEK = {"tuan sau", "tuan toi", "next week"}

MSG_NOT_VOLUNTEER = _(
    "This is for “1+20” volunteers. If you are one, please open the invite link or type the "
    "code your unit was given, for example TN-7K4M-9P2Q."
)
MSG_NOT_OFFICER = _("This is for commune officers.")

# ---------------------------------------------------------------- codes


def new_volunteer_code() -> str:
    """A fresh unit code, canonical form "TN" + 8 characters."""
    return "TN" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def pretty_code(code: str) -> str:
    return f"{code[:2]}-{code[2:6]}-{code[6:]}"


def parse_volunteer_code(text: str) -> str | None:
    """The canonical code in what someone typed, or None."""
    compact = "".join(ch for ch in text.upper() if ch not in " -_.")
    if len(compact) == 10 and compact.startswith("TN") and set(compact[2:]) <= set(CODE_ALPHABET):
        return compact
    return None


def mask_phone(phone: str | None) -> str:
    return f"****{phone[-4:]}" if phone else "—"


# ---------------------------------------------------------------- helpers


def _step(ctx: Context, state: str, **changes: object) -> None:
    """Move to ``state`` keeping the draft, with ``changes`` applied."""
    ctx.state.state = state
    ctx.state.data = {**ctx.state.data, **changes}


def _opt(option: str, prefix: str) -> str | None:
    return option[len(prefix) :] if option.startswith(prefix) else None


def _small_id(value: str | None) -> int | None:
    if value and 0 < len(value) <= 9 and set(value) <= set("0123456789"):
        return int(value)
    return None


async def _volunteer(ctx: Context) -> Volunteer | None:
    vol = await ctx.tx.volunteers.get(ctx.user.id)
    if vol is None or not vol.active:
        show_menu(ctx, ctx._(MSG_NOT_VOLUNTEER))
        return None
    return vol


async def _communes(ctx: Context) -> list[str] | None:
    communes = await ctx.tx.officers.communes_of(ctx.user.id)
    if not communes:
        show_menu(ctx, ctx._(MSG_NOT_OFFICER))
        return None
    return [c.code for c in communes]


def _skip(ctx: Context) -> Option:
    return Option("vol:skip", ctx._("⏭️ Skip"))


# ---------------------------------------------------------------- joining


async def _claim(ctx: Context) -> bool:
    inc = ctx.incoming
    if inc.command == "start":
        text = inc.args
    elif inc.command is None and inc.option is None:
        text = inc.text
    else:
        return False
    if len(text) > 20:
        return False
    code = parse_volunteer_code(text)
    if code is None:
        return False
    await start_join(ctx, code)
    return True


async def start_join(ctx: Context, code: str) -> None:
    current = await ctx.tx.volunteers.get(ctx.user.id)
    if current is not None and not current.active:
        # Stopped by the commune: only the commune can take them back.
        show_menu(ctx, ctx._(MSG_STOPPED))
        return
    if current is not None and current.active:
        show_menu(
            ctx,
            ctx._(
                "You are already a volunteer of {unit}. Tap “📝 Log a visit” to record a visit.",
                unit=current.unit,
            ),
        )
        return
    outcome, invite = await ctx.tx.volunteers.check_invite(code, ctx.now)
    if outcome != "ok" or invite is None:
        show_menu(ctx, _invite_problem(ctx, outcome))
        return
    commune = await ctx.tx.communes.get(invite.commune_code)
    ctx.goto(
        "vol_join_rules",
        invite=invite.id,
        unit=invite.unit,
        commune=commune.name if commune else invite.commune_code,
    )
    ask_rules(ctx)


MSG_STOPPED = _(
    "The commune has stopped your volunteer account, so this code cannot be used. If you "
    "would like to help again, please ask the commune officer."
)


def _invite_problem(ctx: Context, outcome: str) -> str:
    if outcome == "expired":
        return ctx._(
            "This volunteer code has expired. Please ask the commune officer for a new one."
        )
    if outcome == "exhausted":
        return ctx._(
            "This volunteer code has been used by as many people as it allows. Please ask the "
            "commune officer for a new one."
        )
    return ctx._("This volunteer code is not valid. Please check it and type it again.")


def ask_rules(ctx: Context) -> None:
    ctx.state.state = "vol_join_rules"
    ctx.say(
        ctx._(
            "Welcome to the “1+20” volunteers of {unit} ({commune}).\n"
            "Before you start, please agree to these rules on personal data:\n"
            "• Record only what a household agrees to share with you.\n"
            "• Phone numbers are stored encrypted; only you and the commune officers see the "
            "households you help.\n"
            "• Never ask for passwords or codes sent to people's phones, and never keep copies "
            "of ID cards.\n"
            "• The commune may end your access at any time.\n"
            "Do you agree?",
            unit=ctx.state.data.get("unit", ""),
            commune=ctx.state.data.get("commune", ""),
        ),
        [
            Option("vol:accept", ctx._("✅ I agree")),
            Option("vol:decline", ctx._("❌ I do not agree")),
        ],
    )


def ask_join_name(ctx: Context) -> None:
    ctx.state.state = "vol_join_name"
    ctx.say(ctx._("Please type your full name, for example: Nguyễn Văn An."), nav(ctx))


def ask_join_phone(ctx: Context) -> None:
    ctx.state.state = "vol_join_phone"
    ctx.say(
        ctx._("Please type your mobile number, for example 0912 345 678."),
        nav(ctx),
        request_contact=ctx._("📱 Share my phone number")
        if ctx.incoming.can_share_contact
        else None,
    )


def _valid_name(text: str) -> str | None:
    name = " ".join(text.split())
    if not 2 <= len(name) <= 100 or not any(ch.isalpha() for ch in name):
        return None
    if any(ch.isdigit() for ch in name):
        return None
    return name


async def receive_join_name(ctx: Context, text: str) -> None:
    name = _valid_name(text)
    if name is None:
        ctx.say(ctx._("Please type a name in letters, for example: Nguyễn Văn An."))
        ask_join_name(ctx)
        return
    _step(ctx, "vol_join_phone", name=name)
    ask_join_phone(ctx)


async def receive_join_phone(ctx: Context, raw: str) -> None:
    phone = normalize_phone(raw)
    if phone is None:
        ctx.say(
            ctx._(
                "This does not look like a Vietnamese mobile number. Please type 10 digits, "
                "for example 0912 345 678."
            )
        )
        ask_join_phone(ctx)
        return
    data = ctx.state.data
    current = await ctx.tx.volunteers.get(ctx.user.id)
    if current is not None and not current.active:
        show_menu(ctx, ctx._(MSG_STOPPED))
        return
    outcome, invite = await ctx.tx.volunteers.register(
        ctx.user.id, int(data["invite"]), name=str(data["name"]), phone=phone, now=ctx.now
    )
    if outcome != "ok" or invite is None:
        show_menu(ctx, _invite_problem(ctx, outcome))
        return
    await ctx.tx.audit.write(
        "volunteer_joined",
        user_id=ctx.user.id,
        at=ctx.now,
        commune=invite.commune_code,
        invite=invite.id,
    )
    if ctx.user.role == "citizen":
        ctx.user = replace(ctx.user, role="volunteer")  # the menu below is a volunteer's
    show_menu(
        ctx,
        ctx._(
            "Thank you, {name}! You are now a “1+20” volunteer of {unit}. After each visit, tap "
            "“📝 Log a visit”: it takes less than a minute. “📈 My progress” shows how many of "
            "your {target} households you have helped.",
            name=data["name"],
            unit=invite.unit,
            target=TARGET,
        ),
    )


# ---------------------------------------------------------------- a visit


async def start_visit(ctx: Context) -> None:
    if await _volunteer(ctx) is None:
        return
    households = await ctx.tx.volunteers.households_of(ctx.user.id)
    ctx.goto("vol_pick")
    options = [Option("vol:new", ctx._("➕ New household"))]
    for hh, _last in households[:MAX_LIST]:
        options.append(Option(f"vol:hh:{hh.id}", _household_label(ctx, hh)))
    if households:
        text = ctx._(
            "Which household did you visit? Choose one of yours, or add a new one (you can also "
            "just type the name of the head of household)."
        )
    else:
        text = ctx._(
            "You have no households yet. Tap “➕ New household”, or type the name of the head "
            "of household."
        )
    ctx.say(text, [*options, *nav(ctx, back=False)])


def _household_label(ctx: Context, hh: Household) -> str:
    return ctx._("{name}, {village}", name=hh.head_name, village=hh.village)


async def _mine(ctx: Context, household_id: int) -> Household | None:
    for hh, _last in await ctx.tx.volunteers.households_of(ctx.user.id):
        if hh.id == household_id:
            return hh
    return None


async def pick_household(ctx: Context, household_id: int) -> None:
    if await _volunteer(ctx) is None:
        return
    hh = await _mine(ctx, household_id)
    if hh is None:
        # Not one of theirs (or an old button): show nothing of it.
        await start_visit(ctx)
        return
    ctx.goto("vol_tick", hh=hh.id, hh_name=hh.head_name, hh_village=hh.village, ticked=[])
    ask_tick(ctx)


def ask_hh_name(ctx: Context) -> None:
    ctx.state.state = "vol_hh_name"
    ctx.say(
        ctx._("Name of the head of household? For example: Trần Thị Bình."),
        nav(ctx),
    )


def ask_hh_village(ctx: Context) -> None:
    ctx.state.state = "vol_hh_village"
    ctx.say(ctx._("Which village or hamlet? For example: Thôn Đông, or Tổ 5."), nav(ctx))


def ask_hh_phone(ctx: Context) -> None:
    ctx.state.state = "vol_hh_phone"
    ctx.say(
        ctx._("The household's phone number, if they have one (e.g. 0912 345 678)?"),
        [_skip(ctx), *nav(ctx)],
    )


def ask_hh_members(ctx: Context) -> None:
    ctx.state.state = "vol_hh_members"
    ctx.say(
        ctx._("How many people live in the household? Type a number, e.g. 4."),
        [_skip(ctx), *nav(ctx)],
    )


def ask_hh_location(ctx: Context) -> None:
    ctx.state.state = "vol_hh_location"
    ctx.say(
        ctx._(
            "If you like, share the location of the house (on Telegram: 📎 → Location). "
            "Or tap “Skip”."
        ),
        [_skip(ctx), *nav(ctx)],
    )


async def receive_hh_name(ctx: Context, text: str) -> None:
    name = _valid_name(text)
    if name is None:
        ctx.say(ctx._("Please type a name in letters, for example: Trần Thị Bình."))
        ask_hh_name(ctx)
        return
    ctx.goto("vol_hh_village", new={"name": name})
    ask_hh_village(ctx)


async def receive_hh_village(ctx: Context, text: str) -> None:
    village = " ".join(text.split())
    if not 1 <= len(village) <= 100 or not any(ch.isalnum() for ch in village):
        ctx.say(ctx._("Please type the village or hamlet, for example: Thôn Đông."))
        ask_hh_village(ctx)
        return
    new = {**ctx.state.data.get("new", {}), "village": village}
    _step(ctx, "vol_hh_phone", new=new)
    ask_hh_phone(ctx)


async def receive_hh_phone(ctx: Context, raw: str | None) -> None:
    phone = None
    if raw is not None:
        phone = normalize_phone(raw)
        if phone is None:
            ctx.say(
                ctx._(
                    "This does not look like a Vietnamese phone number. Please type 10 digits, "
                    "for example 0912 345 678, or tap “Skip”."
                )
            )
            ask_hh_phone(ctx)
            return
    new = dict(ctx.state.data.get("new", {}))
    new["phone"] = ctx.db.vault.encrypt(phone) if phone else None
    _step(ctx, "vol_hh_phone", new=new)
    await _check_same(ctx, phone)


async def _check_same(ctx: Context, phone: str | None) -> None:
    vol = await _volunteer(ctx)
    if vol is None:
        return
    new = ctx.state.data["new"]
    found = await ctx.tx.volunteers.find_same(
        vol.commune_code, phone=phone, name=new["name"], village=new["village"]
    )
    if not found:
        _step(ctx, "vol_hh_members")
        ask_hh_members(ctx)
        return
    _step(ctx, "vol_same", same=[hh.id for hh in found[:5]])
    lines = [ctx._("This may be a household already on record:")]
    options = []
    for hh in found[:5]:
        lines.append(
            "• "
            + ctx._(
                "{name}, {village}, phone {phone}",
                name=hh.head_name,
                village=hh.village,
                phone=mask_phone(hh.phone),
            )
        )
        options.append(Option(f"vol:same:{hh.id}", ctx._("Yes, it is {name}", name=hh.head_name)))
    lines.append(ctx._("Is it the same household?"))
    ctx.say(
        "\n".join(lines),
        [*options, Option("vol:notsame", ctx._("No, a different household")), *nav(ctx)],
    )


async def choose_same(ctx: Context, household_id: int) -> None:
    vol = await _volunteer(ctx)
    if vol is None:
        return
    if ctx.state.state != "vol_same" or household_id not in ctx.state.data.get("same", []):
        await start_visit(ctx)
        return
    hh = await ctx.tx.volunteers.household(household_id)
    if hh is None:
        await start_visit(ctx)
        return
    if hh.volunteer_id not in (None, ctx.user.id):
        ctx.say(
            ctx._(
                "Another volunteer also helps this household. Your visit is recorded all the "
                "same, and the commune officer will see that you both help it."
            )
        )
    ctx.goto("vol_tick", hh=hh.id, hh_name=hh.head_name, hh_village=hh.village, ticked=[])
    ask_tick(ctx)


async def receive_hh_members(ctx: Context, text: str | None) -> None:
    members = None
    if text is not None:
        ws = words(text)
        if len(ws) != 1 or not ws[0].isdecimal() or not 1 <= int(ws[0]) <= 50:
            ctx.say(ctx._("Please type the number of people, for example 4, or tap “Skip”."))
            ask_hh_members(ctx)
            return
        members = int(ws[0])
    new = {**ctx.state.data.get("new", {}), "members": members}
    _step(ctx, "vol_hh_location", new=new)
    ask_hh_location(ctx)


def receive_location(ctx: Context, location: tuple[float, float] | None) -> None:
    new = dict(ctx.state.data.get("new", {}))
    if location is not None:
        new["loc"] = [round(location[0], 6), round(location[1], 6)]
    _step(
        ctx, "vol_tick", new=new, hh=None, hh_name=new["name"], hh_village=new["village"], ticked=[]
    )
    ask_tick(ctx)


def ask_tick(ctx: Context) -> None:
    ctx.state.state = "vol_tick"
    ticked = set(ctx.state.data.get("ticked", []))
    options = [
        Option(f"vol:t:{key}", ("✅ " if key in ticked else "⬜ ") + ctx._(label))
        for key, label in SERVICES
    ]
    options.append(Option("vol:tdone", ctx._("➡️ Done ticking")))
    ctx.say(
        ctx._(
            "What did you help {name} with? Tap each item to tick it (✅), then “Done ticking”. "
            "You can also type the numbers, for example: 1 3 5.",
            name=ctx.state.data.get("hh_name", ""),
        ),
        [*options, *nav(ctx)],
    )


def toggle(ctx: Context, keys: list[str]) -> None:
    ticked = list(ctx.state.data.get("ticked", []))
    for key in keys:
        if key in ticked:
            ticked.remove(key)
        else:
            ticked.append(key)
    order = [k for k, _l in SERVICES]
    _step(ctx, "vol_tick", ticked=sorted(ticked, key=order.index))
    ask_tick(ctx)


async def tick_text(ctx: Context, text: str) -> None:
    ws = words(text)
    if " ".join(ws) in DONE_WORDS:
        await done_ticking(ctx)
        return
    if ws and all(w.isdecimal() and w.isascii() for w in ws):
        numbers = [int(w) for w in ws]
        done_number = len(SERVICES) + 1
        if numbers == [done_number]:
            await done_ticking(ctx)
            return
        if all(1 <= n <= len(SERVICES) for n in numbers):
            toggle(ctx, [SERVICES[n - 1][0] for n in dict.fromkeys(numbers)])
            return
    ctx.say(
        ctx._(
            "Please tap the items, or type their numbers from 1 to {last}, for example: 1 3 5. "
            "When you are done, tap “Done ticking”.",
            last=len(SERVICES),
        )
    )
    ask_tick(ctx)


async def done_ticking(ctx: Context) -> None:
    ticked = ctx.state.data.get("ticked", [])
    if not ticked:
        ctx.say(ctx._("Please tick at least one item you helped with."))
        ask_tick(ctx)
        return
    results = {k: v for k, v in ctx.state.data.get("results", {}).items() if k in ticked}
    _step(ctx, "vol_result", idx=0, results=results)
    ask_result(ctx)


def ask_result(ctx: Context) -> None:
    ctx.state.state = "vol_result"
    data = ctx.state.data
    key = data["ticked"][data["idx"]]
    ctx.say(
        ctx._("{service}: how did it go?", service=ctx._(SERVICE_LABEL[key])),
        [*(Option(f"vol:r:{rid}", ctx._(label)) for rid, label in RESULTS), *nav(ctx)],
    )


def choose_result(ctx: Context, result: str) -> None:
    data = ctx.state.data
    if result not in RESULT_LABEL:
        ask_result(ctx)
        return
    key = data["ticked"][data["idx"]]
    results = {**data.get("results", {}), key: result}
    idx = data["idx"] + 1
    if idx < len(data["ticked"]):
        _step(ctx, "vol_result", idx=idx, results=results)
        ask_result(ctx)
        return
    _step(ctx, "vol_note", idx=idx - 1, results=results)
    ask_note(ctx)


def ask_note(ctx: Context) -> None:
    ctx.state.state = "vol_note"
    ctx.say(ctx._("A short note about the visit? Type it, or tap “Skip”."), [_skip(ctx), *nav(ctx)])


def receive_note(ctx: Context, text: str | None) -> None:
    note = " ".join(text.split())[:500] if text else None
    _step(ctx, "vol_followup", note=note)
    ask_followup(ctx)


def ask_followup(ctx: Context) -> None:
    ctx.state.state = "vol_followup"
    needs = "followup" in ctx.state.data.get("results", {}).values()
    text = (
        ctx._(
            "Something needs a follow-up. When will you come back? Type a date such as 28/11, "
            "or “tomorrow”, or tap “Skip”."
        )
        if needs
        else ctx._(
            "Do you plan to come back? Type a date such as 28/11, or “tomorrow”, or tap “Skip”."
        )
    )
    ctx.say(
        text,
        [
            Option("vol:tomorrow", ctx._("Tomorrow")),
            Option("vol:nextweek", ctx._("In a week")),
            _skip(ctx),
            *nav(ctx),
        ],
    )


def parse_followup(text: str, today: date) -> date | None:
    key = " ".join(words(text))
    if key in TOMORROW:
        return today + timedelta(days=1)
    if key in TODAY:
        return today
    if key in NEXT_WEEK:
        return today + timedelta(days=7)
    numbers = re.findall(r"[0-9]+", text)
    if len(numbers) == 2 and all(len(n) <= 2 for n in numbers):
        day, month = int(numbers[0]), int(numbers[1])
        try:
            found = date(today.year, month, day)
        except ValueError:
            return None
        if found >= today:
            return found
        if (today - found).days <= 60:
            return None  # a day just past: a slip, not next year
        try:
            return date(today.year + 1, month, day)
        except ValueError:  # 29/02
            return None
    result = parse_typed_date(text, century=2000)
    return result if isinstance(result, date) else None


def receive_followup(ctx: Context, when: date | None, typed: str | None = None) -> None:
    today = ctx.local_now.date()
    if typed is not None:
        when = parse_followup(typed, today)
        if when is None or not today <= when <= today + timedelta(days=366):
            ctx.say(
                ctx._(
                    "Please type a date from today on, for example 28/11, or “tomorrow”, or tap "
                    "“Skip”."
                )
            )
            ask_followup(ctx)
            return
    _step(ctx, "vol_confirm", followup=when.isoformat() if when else None)
    ask_confirm(ctx)


def _visit_lines(
    ctx: Context, name: str, village: str, results: dict[str, str], note: str | None,
    followup: date | None,
) -> list[str]:  # fmt: skip
    lines = [ctx._("Visit to {name} ({village}):", name=name, village=village)]
    for key, result in results.items():
        lines.append(
            "• "
            + ctx._(
                "{service}: {result}",
                service=ctx._(SERVICE_LABEL[key]),
                result=ctx._(RESULT_LABEL[result]),
            )
        )
    if note:
        lines.append(ctx._("Note: {note}", note=note))
    if followup:
        lines.append(ctx._("Follow-up on {date}.", date=ctx.t.date(followup)))
    return lines


def ask_confirm(ctx: Context) -> None:
    ctx.state.state = "vol_confirm"
    d = ctx.state.data
    followup = date.fromisoformat(d["followup"]) if d.get("followup") else None
    lines = _visit_lines(ctx, d["hh_name"], d["hh_village"], d["results"], d.get("note"), followup)
    lines.append(ctx._("Save this visit?"))
    ctx.say("\n".join(lines), [Option("vol:save", ctx._("💾 Save")), *nav(ctx)])


async def save_visit(ctx: Context) -> None:
    vol = await _volunteer(ctx)
    if vol is None:
        return
    if ctx.state.state != "vol_confirm":
        show_menu(ctx, ctx._("That button is no longer active. Here is the menu."))
        return
    d = ctx.state.data
    followup = date.fromisoformat(d["followup"]) if d.get("followup") else None
    results = {k: d["results"][k] for k in d["ticked"] if k in d["results"]}
    if d.get("visit"):
        visit = await ctx.tx.volunteers.visit(int(d["visit"]))
        if visit is None or visit.volunteer_id != ctx.user.id:
            show_menu(ctx, ctx._("That visit no longer exists. Nothing was changed."))
            return
        await ctx.tx.volunteers.update_visit(
            visit.id, services=results, note=d.get("note"), followup_on=followup
        )
        await ctx.tx.audit.write("visit_edited", user_id=ctx.user.id, at=ctx.now, visit=visit.id)
        text = ctx._("The visit is updated.")
    else:
        new_household = d.get("hh") is None
        if new_household:
            new = d["new"]
            phone = ctx.db.vault.decrypt(new["phone"]) if new.get("phone") else None
            loc = new.get("loc")
            household_id = await ctx.tx.volunteers.add_household(
                commune_code=vol.commune_code,
                volunteer_id=ctx.user.id,
                head_name=new["name"],
                village=new["village"],
                phone=phone,
                members=new.get("members"),
                location=(loc[0], loc[1]) if loc else None,
                now=ctx.now,
            )
        else:
            household_id = int(d["hh"])
        visit_id = await ctx.tx.volunteers.add_visit(
            household_id=household_id,
            volunteer_id=ctx.user.id,
            services=results,
            note=d.get("note"),
            followup_on=followup,
            new_household=new_household,
            now=ctx.now,
        )
        await ctx.tx.audit.write(
            "visit", user_id=ctx.user.id, at=ctx.now, visit=visit_id, household=household_id
        )
        text = ctx._("Saved.")
    helped = await ctx.tx.volunteers.helped(ctx.user.id)
    ctx.goto("menu")
    ctx.say(
        text
        + "\n"
        + ctx._("You have helped {count} of {target} households.", count=helped, target=TARGET),
        [
            Option("vol:visit", ctx._("📝 Log another visit")),
            Option("vol:edit", ctx._("✏️ Edit this visit")),
            Option("vol:undo", ctx._("↩️ Undo this visit")),
            *nav(ctx, back=False),
        ],
    )


async def show_last(ctx: Context) -> None:
    if await _volunteer(ctx) is None:
        return
    visit = await ctx.tx.volunteers.last_visit(ctx.user.id)
    if visit is None:
        show_menu(ctx, ctx._("You have not recorded a visit yet. Tap “📝 Log a visit”."))
        return
    hh = await ctx.tx.volunteers.household(visit.household_id)
    assert hh is not None
    lines = _visit_lines(
        ctx, hh.head_name, hh.village, visit.services, visit.note, visit.followup_on
    )
    lines.insert(
        0,
        ctx._(
            "Your last visit, on {date}:",
            date=ctx.t.date(visit.visited_at.astimezone(VN_TZ).date()),
        ),
    )
    ctx.goto("menu")
    ctx.say(
        "\n".join(lines),
        [
            Option("vol:edit", ctx._("✏️ Edit this visit")),
            Option("vol:undo", ctx._("↩️ Undo this visit")),
            *nav(ctx, back=False),
        ],
    )


async def edit_last(ctx: Context) -> None:
    if await _volunteer(ctx) is None:
        return
    visit = await ctx.tx.volunteers.last_visit(ctx.user.id)
    if visit is None:
        show_menu(ctx, ctx._("You have not recorded a visit yet. Tap “📝 Log a visit”."))
        return
    hh = await ctx.tx.volunteers.household(visit.household_id)
    assert hh is not None
    ctx.goto(
        "vol_tick",
        visit=visit.id,
        hh=hh.id,
        hh_name=hh.head_name,
        hh_village=hh.village,
        ticked=list(visit.services),
        results=dict(visit.services),
        note=visit.note,
        followup=visit.followup_on.isoformat() if visit.followup_on else None,
    )
    ask_tick(ctx)


async def ask_undo(ctx: Context) -> None:
    if await _volunteer(ctx) is None:
        return
    visit = await ctx.tx.volunteers.last_visit(ctx.user.id)
    if visit is None:
        show_menu(ctx, ctx._("You have not recorded a visit yet. Tap “📝 Log a visit”."))
        return
    hh = await ctx.tx.volunteers.household(visit.household_id)
    assert hh is not None
    ctx.goto("vol_undo", visit=visit.id)
    ctx.say(
        ctx._(
            "Remove your last visit, to {name} ({village})?", name=hh.head_name, village=hh.village
        ),
        [
            Option("vol:undoyes", ctx._("Yes, remove it")),
            Option("vol:undono", ctx._("No, keep it")),
        ],
    )


async def undo(ctx: Context) -> None:
    if await _volunteer(ctx) is None:
        return
    visit_id = ctx.state.data.get("visit") if ctx.state.state == "vol_undo" else None
    last = await ctx.tx.volunteers.last_visit(ctx.user.id)
    if visit_id is None or last is None or last.id != visit_id:
        show_menu(ctx, ctx._("That button is no longer active. Here is the menu."))
        return
    await ctx.tx.volunteers.delete_visit(last.id)
    await ctx.tx.audit.write("visit_undone", user_id=ctx.user.id, at=ctx.now, visit=last.id)
    show_menu(ctx, ctx._("The visit is removed."))


# ---------------------------------------------------------------- progress


def _open_followups(facts: list[VisitFact]) -> list[VisitFact]:
    return [f for f in facts if f.latest and f.visit.followup_on is not None]


async def show_progress(ctx: Context) -> None:
    if await _volunteer(ctx) is None:
        return
    facts = await ctx.tx.volunteers.facts(volunteer_id=ctx.user.id)
    helped = {f.household.id for f in facts}
    # Households for which each service is done (a second "done" for the
    # same household counts once).
    done: Counter[str] = Counter()
    seen: set[tuple[int, str]] = set()
    for f in facts:
        for key, result in f.visit.services.items():
            if result == "done" and (f.household.id, key) not in seen:
                seen.add((f.household.id, key))
                done[key] += 1
    lines = [
        ctx._("You have helped {count} of {target} households.", count=len(helped), target=TARGET)
    ]
    if done:
        lines.append(ctx._("Done, by service:"))
        for key, label in SERVICES:
            if done[key]:
                lines.append(
                    "• " + ctx._("{service}: {count}", service=ctx._(label), count=done[key])
                )
    today = ctx.local_now.date()
    open_ = _open_followups(facts)
    due = [f for f in open_ if f.visit.followup_on and f.visit.followup_on <= today]
    later = len(open_) - len(due)
    if due:
        lines.append(ctx._("Follow-ups due:"))
        for f in due:
            assert f.visit.followup_on is not None
            lines.append(
                "• "
                + ctx._(
                    "{name} ({village}), since {date}",
                    name=f.household.head_name,
                    village=f.household.village,
                    date=ctx.t.date(f.visit.followup_on),
                )
            )
    else:
        lines.append(ctx._("No follow-up is due today."))
    if later:
        lines.append(ctx._("Follow-ups planned later: {count}.", count=later))
    ctx.goto("menu")
    if due:
        # A tap on a household starts its visit.
        options = [
            Option(f"vol:hh:{f.household.id}", _household_label(ctx, f.household)) for f in due[:5]
        ]
        ctx.say("\n".join(lines), [*options, *nav(ctx, back=False)])
    else:
        ctx.say("\n".join(lines), main_menu(ctx), keyboard="menu")


async def queue_followup_reminders(tx: Tx, catalogs: Catalogs, now: datetime) -> int:
    """Queue a reminder for each follow-up due today (Vietnam time) or overdue
    and not yet reminded. Safe to call as often as wanted: each visit and due
    date is reminded once. Returns how many were queued."""
    today = now.astimezone(VN_TZ).date()
    queued = 0
    for visit, hh in await tx.volunteers.due_followups(today):
        if visit.volunteer_id is None or visit.followup_on is None:
            continue
        due_on, visited = visit.followup_on, visit.visited_at.astimezone(VN_TZ).date()

        def message(
            t: Translator, hh: Household = hh, due_on: date = due_on, visited: date = visited
        ) -> str:
            return t.gettext(
                _(
                    "Reminder: a follow-up with the household of {name} ({village}) is due on "
                    "{date}, after your visit on {visited}. Tap below to log the visit."
                ),
                name=hh.head_name,
                village=hh.village,
                date=t.date(due_on),
                visited=t.date(visited),
            )

        added = await notify(
            tx,
            catalogs,
            user_id=visit.volunteer_id,
            key=f"followup:{visit.id}:{due_on.isoformat()}",
            kind="followup",
            message=message,
            now=now,
            options=[(f"vol:hh:{hh.id}", _("📝 Log a visit"))],
        )
        await tx.volunteers.mark_reminded(visit.id, now)
        queued += int(added)
    return queued


# ---------------------------------------------------------------- officers


async def start_invite(ctx: Context) -> None:
    communes = await _communes(ctx)
    if communes is None:
        return
    if len(communes) == 1:
        ctx.goto("vol_inv_unit", commune=communes[0])
        ask_invite_unit(ctx)
        return
    ctx.goto("vol_inv_commune")
    options = []
    for code in communes:
        commune = await ctx.tx.communes.get(code)
        options.append(Option(f"vol:invc:{code}", commune.name if commune else code))
    ctx.say(ctx._("For which commune?"), [*options, *nav(ctx, back=False)])


def ask_invite_unit(ctx: Context) -> None:
    ctx.state.state = "vol_inv_unit"
    ctx.say(
        ctx._(
            "Name of the volunteer unit (a youth-union branch, a school, a military unit)? "
            "For example: Chi đoàn thôn Đông."
        ),
        nav(ctx),
    )


async def make_invite(ctx: Context, text: str) -> None:
    communes = await _communes(ctx)
    if communes is None:
        return
    unit = " ".join(text.split())
    commune_code = ctx.state.data.get("commune")
    if commune_code not in communes:
        await start_invite(ctx)
        return
    if not 2 <= len(unit) <= 150 or not any(ch.isalpha() for ch in unit):
        ctx.say(ctx._("Please type the unit's name, for example: Chi đoàn thôn Đông."))
        ask_invite_unit(ctx)
        return
    code = new_volunteer_code()
    await ctx.tx.volunteers.create_invite(
        code,
        commune_code=str(commune_code),
        unit=unit,
        max_uses=INVITE_USES,
        now=ctx.now,
        expires_at=ctx.now + timedelta(days=INVITE_DAYS),
        created_by=ctx.user.id,
    )
    await ctx.tx.audit.write(
        "volunteer_invite", user_id=ctx.user.id, at=ctx.now, commune=commune_code
    )
    until = (ctx.now + timedelta(days=INVITE_DAYS)).astimezone(VN_TZ).date()
    show_menu(
        ctx,
        ctx._(
            "Volunteer code for {unit}: {code}\n"
            "Up to {uses} volunteers can join with it until {date}. On Telegram they send the "
            "bot: /start {compact} — on any other channel they type the code.",
            unit=unit,
            code=pretty_code(code),
            uses=INVITE_USES,
            date=ctx.t.date(until),
            compact=code,
        ),
    )


async def list_volunteers(ctx: Context) -> None:
    communes = await _communes(ctx)
    if communes is None:
        return
    vols = await ctx.tx.volunteers.of_communes(communes)
    facts = await ctx.tx.volunteers.facts(communes=communes)
    helped: dict[int, set[int]] = defaultdict(set)
    for f in facts:
        if f.visit.volunteer_id is not None:
            helped[f.visit.volunteer_id].add(f.household.id)
    if not vols:
        show_menu(ctx, ctx._("No volunteers have joined yet. Tap “🎫 Invite volunteers”."))
        return
    lines = [ctx._("Volunteers:")]
    options = []
    for v in vols:
        line = ctx._(
            "{name} ({unit}), phone {phone}: {count} households",
            name=v.name,
            unit=v.unit,
            phone=mask_phone(v.phone),
            count=len(helped[v.user_id]),
        )
        if not v.active:
            line = ctx._("{line} — stopped", line=line)
        lines.append("• " + line)
        if v.active:
            options.append(Option(f"vol:off:{v.user_id}", ctx._("Stop {name}", name=v.name)))
    ctx.goto("vol_off")
    ctx.say("\n".join(lines), [*options, *nav(ctx, back=False)])


async def ask_deactivate(ctx: Context, user_id: int) -> None:
    communes = await _communes(ctx)
    if communes is None:
        return
    vol = await ctx.tx.volunteers.get(user_id)
    if vol is None or not vol.active or vol.commune_code not in communes:
        show_menu(ctx, ctx._("That button is no longer active. Here is the menu."))
        return
    ctx.goto("vol_off", volunteer=user_id)
    ctx.say(
        ctx._(
            "Stop {name} ({unit})? They will no longer be able to log visits; the visits "
            "already recorded are kept.",
            name=vol.name,
            unit=vol.unit,
        ),
        [
            Option(f"vol:offyes:{user_id}", ctx._("Yes, stop")),
            Option("vol:list", ctx._("No, back to the list")),
        ],
    )


async def deactivate(ctx: Context, user_id: int) -> None:
    communes = await _communes(ctx)
    if communes is None:
        return
    if ctx.state.state != "vol_off" or ctx.state.data.get("volunteer") != user_id:
        show_menu(ctx, ctx._("That button is no longer active. Here is the menu."))
        return
    vol = await ctx.tx.volunteers.deactivate(user_id, communes)
    if vol is None:
        show_menu(ctx, ctx._("That button is no longer active. Here is the menu."))
        return
    await ctx.tx.audit.write(
        "volunteer_stopped", user_id=ctx.user.id, at=ctx.now, volunteer=user_id
    )
    show_menu(
        ctx,
        ctx._(
            "{name} is no longer a volunteer in this bot. The visits already recorded are kept.",
            name=vol.name,
        ),
    )


class Report:
    """The figures of the officers' report, built once for messages, the
    spreadsheet and the chart."""

    def __init__(self, facts: list[VisitFact], vols: list[Volunteer], today: date) -> None:
        month_start = today.replace(day=1)
        self.volunteers = vols
        self.households = {f.household.id for f in facts}
        self.visits = len(facts)
        by_vol: dict[int, set[int]] = defaultdict(set)
        visits_by_vol: Counter[int] = Counter()
        helpers: dict[int, set[int]] = defaultdict(set)
        # Villages typed with or without diacritics are one village, shown
        # in the form with diacritics when someone typed it so.
        by_key: dict[str, set[int]] = defaultdict(set)
        shown: dict[str, str] = {}
        self.done_all: Counter[str] = Counter()
        self.done_month: Counter[str] = Counter()
        self.followup_open: list[VisitFact] = []
        for f in facts:
            if f.visit.volunteer_id is not None:
                by_vol[f.visit.volunteer_id].add(f.household.id)
                visits_by_vol[f.visit.volunteer_id] += 1
                helpers[f.household.id].add(f.visit.volunteer_id)
            key = match_key(f.household.village)
            by_key[key].add(f.household.id)
            if key not in shown or shown[key] == key or shown[key].isascii():
                shown[key] = f.household.village
            for key, result in f.visit.services.items():
                if result == "done":
                    self.done_all[key] += 1
                    if f.visit.visited_at.astimezone(VN_TZ).date() >= month_start:
                        self.done_month[key] += 1
            if f.latest and (
                f.visit.followup_on is not None or "followup" in f.visit.services.values()
            ):
                self.followup_open.append(f)
        self.villages = {shown[key]: hhs for key, hhs in by_key.items()}
        self.by_vol = by_vol
        self.visits_by_vol = visits_by_vol
        self.units: dict[str, tuple[int, set[int]]] = {}
        for v in vols:
            count, hhs = self.units.get(v.unit, (0, set()))
            self.units[v.unit] = (count + 1, hhs | by_vol[v.user_id])
        names = {f.household.id: f.household for f in facts}
        self.overlaps = [names[h] for h, who in helpers.items() if len(who) > 1]


async def _report(ctx: Context) -> tuple[Report, list[str]] | None:
    communes = await _communes(ctx)
    if communes is None:
        return None
    facts = await ctx.tx.volunteers.facts(communes=communes)
    vols = await ctx.tx.volunteers.of_communes(communes)
    await ctx.tx.audit.write("volunteer_report", user_id=ctx.user.id, at=ctx.now)
    return Report(facts, vols, ctx.local_now.date()), communes


async def show_report(ctx: Context) -> None:
    built = await _report(ctx)
    if built is None:
        return
    r, _c = built
    lines = [
        ctx._(
            "Volunteers: {volunteers}. Households helped: {households}. Visits: {visits}.",
            volunteers=len(r.volunteers),
            households=len(r.households),
            visits=r.visits,
        ),
        "",
        ctx._("By unit:"),
    ]
    for unit, (count, hhs) in sorted(r.units.items()):
        lines.append(
            "• "
            + ctx._(
                "{unit}: {volunteers} volunteers, {households} households",
                unit=unit,
                volunteers=count,
                households=len(hhs),
            )
        )
    lines += ["", ctx._("By volunteer:")]
    for v in r.volunteers:
        lines.append(
            "• "
            + ctx._(
                "{name} ({unit}): {households} of {target} households, {visits} visits",
                name=v.name,
                unit=v.unit,
                households=len(r.by_vol[v.user_id]),
                target=TARGET,
                visits=r.visits_by_vol[v.user_id],
            )
        )
    lines += ["", ctx._("Households helped by village:")]
    for village, hhs in sorted(r.villages.items()):
        lines.append("• " + ctx._("{village}: {count}", village=village, count=len(hhs)))
    lines += ["", ctx._("Done, by service (this month / in all):")]
    for key, label in SERVICES:
        lines.append(
            "• "
            + ctx._(
                "{service}: {month} / {total}",
                service=ctx._(label),
                month=r.done_month[key],
                total=r.done_all[key],
            )
        )
    lines += [
        "",
        ctx._("Households still needing a follow-up: {count}", count=len(r.followup_open)),
    ]
    for f in r.followup_open[:MAX_LIST]:
        lines.append(
            "• "
            + ctx._(
                "{name} ({village}) — {volunteer}",
                name=f.household.head_name,
                village=f.household.village,
                volunteer=f.volunteer_name,
            )
        )
    if r.overlaps:
        lines += [
            "",
            ctx._("Households helped by more than one volunteer: {count}", count=len(r.overlaps)),
        ]
        for hh in r.overlaps[:MAX_LIST]:
            lines.append("• " + _household_label(ctx, hh))
    ctx.goto("menu")
    ctx.say(
        "\n".join(lines),
        [
            Option("vol:xlsx", ctx._("📥 Excel file")),
            Option("vol:chart", ctx._("📈 Chart")),
            *nav(ctx, back=False),
        ],
    )


async def send_xlsx(ctx: Context) -> None:
    from openpyxl import Workbook

    built = await _report(ctx)
    if built is None:
        return
    r, _c = built
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = ctx._("Volunteers")[:31]
    ws.append([ctx._("Name"), ctx._("Unit"), ctx._("Households"), ctx._("Visits"), ctx._("Active")])
    for v in r.volunteers:
        ws.append(
            [
                v.name,
                v.unit,
                len(r.by_vol[v.user_id]),
                r.visits_by_vol[v.user_id],
                ctx._("yes") if v.active else ctx._("no"),
            ]
        )
    units = wb.create_sheet(ctx._("Units")[:31])
    units.append([ctx._("Unit"), ctx._("Volunteers"), ctx._("Households")])
    for unit, (count, hhs) in sorted(r.units.items()):
        units.append([unit, count, len(hhs)])
    villages = wb.create_sheet(ctx._("Villages")[:31])
    villages.append([ctx._("Village"), ctx._("Households")])
    for village, hhs in sorted(r.villages.items()):
        villages.append([village, len(hhs)])
    services = wb.create_sheet(ctx._("Services")[:31])
    services.append([ctx._("Service"), ctx._("This month"), ctx._("In all")])
    for key, label in SERVICES:
        services.append([ctx._(label), r.done_month[key], r.done_all[key]])
    follow = wb.create_sheet(ctx._("Follow-ups")[:31])
    follow.append([ctx._("Head of household"), ctx._("Village"), ctx._("Volunteer"), ctx._("Date")])
    for f in r.followup_open:
        follow.append(
            [
                f.household.head_name,
                f.household.village,
                f.volunteer_name,
                ctx.t.date(f.visit.followup_on) if f.visit.followup_on else "",
            ]
        )
    buf = io.BytesIO()
    text_only(wb)  # what volunteers typed is text, never a formula
    wb.save(buf)
    ctx.goto("menu")
    ctx.say(ctx._("The volunteer report as an Excel file."), nav(ctx, back=False))
    ctx.replies[-1].attachments.append(
        Attachment(
            "document",
            f"volunteers-{ctx.local_now.date().isoformat()}.xlsx",
            buf.getvalue(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    )


def _chart_png(
    title: str, labels: list[str], month: list[int], total: list[int], legend: tuple[str, str]
) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(8, 5), dpi=100)
    ax = fig.subplots()
    ys = list(range(len(labels)))
    ax.barh([y + 0.2 for y in ys], total, height=0.4, label=legend[1], color="#9ecae1")
    ax.barh([y - 0.2 for y in ys], month, height=0.4, label=legend[0], color="#3182bd")
    ax.set_yticks(ys, labels)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.legend()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


async def send_chart(ctx: Context) -> None:
    built = await _report(ctx)
    if built is None:
        return
    r, _c = built
    # Drawn in a worker thread: a chart takes a second, and the bot keeps
    # answering everyone else meanwhile.
    png = await asyncio.to_thread(
        _chart_png,
        ctx._("Households helped, by service"),
        [ctx._(label) for _k, label in SERVICES],
        [r.done_month[k] for k, _l in SERVICES],
        [r.done_all[k] for k, _l in SERVICES],
        (ctx._("This month"), ctx._("In all")),
    )
    ctx.goto("menu")
    ctx.say(ctx._("Households helped, by service: this month and in all."), nav(ctx, back=False))
    ctx.replies[-1].attachments.append(
        Attachment("image", f"volunteers-{ctx.local_now.date().isoformat()}.png", png, "image/png")
    )


# ---------------------------------------------------------------- routing


async def on_option(ctx: Context, option: str) -> None:
    state = ctx.state.state
    if option == "vol:visit":
        await start_visit(ctx)
    elif option == "vol:progress":
        await show_progress(ctx)
    elif option == "vol:last":
        await show_last(ctx)
    elif option == "vol:edit":
        await edit_last(ctx)
    elif option == "vol:undo":
        await ask_undo(ctx)
    elif option == "vol:undoyes":
        await undo(ctx)
    elif option == "vol:undono":
        show_menu(ctx, ctx._("Nothing was removed."))
    elif option == "vol:accept" and state == "vol_join_rules":
        ask_join_name(ctx)
    elif option == "vol:decline" and state == "vol_join_rules":
        show_menu(ctx, ctx._("That is fine. Nothing was saved. You can open the code again later."))
    elif option == "vol:new":
        if await _volunteer(ctx) is not None:
            ctx.goto("vol_hh_name")
            ask_hh_name(ctx)
    elif (hid := _small_id(_opt(option, "vol:hh:"))) is not None:
        await pick_household(ctx, hid)
    elif (hid := _small_id(_opt(option, "vol:same:"))) is not None:
        await choose_same(ctx, hid)
    elif option == "vol:notsame" and state == "vol_same":
        _step(ctx, "vol_hh_members")
        ask_hh_members(ctx)
    elif option == "vol:skip" and state in SKIPPABLE:
        await SKIPPABLE[state](ctx)
    elif (key := _opt(option, "vol:t:")) in SERVICE_LABEL and state == "vol_tick":
        toggle(ctx, [str(key)])
    elif option == "vol:tdone" and state == "vol_tick":
        await done_ticking(ctx)
    elif (res := _opt(option, "vol:r:")) is not None and state == "vol_result":
        choose_result(ctx, res)
    elif option in ("vol:tomorrow", "vol:nextweek") and state == "vol_followup":
        days = 1 if option == "vol:tomorrow" else 7
        receive_followup(ctx, ctx.local_now.date() + timedelta(days=days))
    elif option == "vol:save":
        await save_visit(ctx)
    elif option == "vol:invite":
        await start_invite(ctx)
    elif (code := _opt(option, "vol:invc:")) is not None and state == "vol_inv_commune":
        communes = await _communes(ctx)
        if communes is not None and code in communes:
            ctx.goto("vol_inv_unit", commune=code)
            ask_invite_unit(ctx)
        elif communes is not None:
            await start_invite(ctx)
    elif option == "vol:list":
        await list_volunteers(ctx)
    elif (uid := _small_id(_opt(option, "vol:off:"))) is not None:
        await ask_deactivate(ctx, uid)
    elif (uid := _small_id(_opt(option, "vol:offyes:"))) is not None:
        await deactivate(ctx, uid)
    elif option == "vol:report":
        await show_report(ctx)
    elif option == "vol:xlsx":
        await send_xlsx(ctx)
    elif option == "vol:chart":
        await send_chart(ctx)
    elif state in ASK:
        ASK[state](ctx)
    else:
        show_menu(ctx, ctx._("That button is no longer active. Here is the menu."))


async def _skip_phone(ctx: Context) -> None:
    await receive_hh_phone(ctx, None)


async def _skip_members(ctx: Context) -> None:
    await receive_hh_members(ctx, None)


async def _skip_location(ctx: Context) -> None:
    receive_location(ctx, None)


async def _skip_note(ctx: Context) -> None:
    receive_note(ctx, None)


async def _skip_followup(ctx: Context) -> None:
    receive_followup(ctx, None)


SKIPPABLE = {
    "vol_hh_phone": _skip_phone,
    "vol_hh_members": _skip_members,
    "vol_hh_location": _skip_location,
    "vol_note": _skip_note,
    "vol_followup": _skip_followup,
}


async def on_text(ctx: Context, text: str) -> None:
    state = ctx.state.state
    skipping = " ".join(words(text)) in SKIP_WORDS
    if skipping and state in SKIPPABLE:
        await SKIPPABLE[state](ctx)
    elif state == "vol_join_name":
        await receive_join_name(ctx, text)
    elif state == "vol_join_phone":
        await receive_join_phone(ctx, text)
    elif state == "vol_pick":
        if await _volunteer(ctx) is not None:
            ctx.goto("vol_hh_name")
            await receive_hh_name(ctx, text)
    elif state == "vol_hh_name":
        await receive_hh_name(ctx, text)
    elif state == "vol_hh_village":
        await receive_hh_village(ctx, text)
    elif state == "vol_hh_phone":
        await receive_hh_phone(ctx, text)
    elif state == "vol_hh_members":
        await receive_hh_members(ctx, text)
    elif state == "vol_tick":
        await tick_text(ctx, text)
    elif state == "vol_note":
        receive_note(ctx, text)
    elif state == "vol_followup":
        receive_followup(ctx, None, typed=text)
    elif state == "vol_inv_unit":
        await make_invite(ctx, text)
    else:
        if state in ASK:
            ctx.say(ctx._("Please tap one of the buttons below, or type its number."))
            ASK[state](ctx)
        elif ctx.state.options:
            # A question with buttons (same household? remove it? stop them?):
            # ask it again with the same buttons, keeping the form.
            ctx.say(
                ctx._("Please tap one of the buttons below, or type its number."),
                [Option(oid, label) for oid, label in ctx.state.options],
            )
        else:
            ctx.say(ctx._("Please tap one of the buttons below, or type its number."))
            show_menu(ctx)


async def on_other(ctx: Context) -> None:
    inc = ctx.incoming
    state = ctx.state.state
    if state == "vol_hh_location" and inc.location is not None:
        receive_location(ctx, inc.location)
    elif state == "vol_join_phone" and inc.contact_phone:
        await receive_join_phone(ctx, inc.contact_phone)
    elif state == "vol_hh_phone" and inc.contact_phone:
        await receive_hh_phone(ctx, inc.contact_phone)
    else:
        ctx.say(
            ctx._(
                "I can only read typed words and numbers, not pictures, stickers or voice messages."
            )
        )
        if state in ASK:
            ASK[state](ctx)
        else:
            show_menu(ctx)


async def on_back(ctx: Context) -> None:
    state = ctx.state.state
    d = ctx.state.data
    back: dict[str, str] = {
        "vol_join_name": "vol_join_rules",
        "vol_join_phone": "vol_join_name",
        "vol_hh_village": "vol_hh_name",
        "vol_hh_phone": "vol_hh_village",
        "vol_same": "vol_hh_phone",
        "vol_hh_members": "vol_hh_phone",
        "vol_hh_location": "vol_hh_members",
        "vol_note": "vol_tick",
        "vol_followup": "vol_note",
        "vol_confirm": "vol_followup",
    }
    if state == "vol_tick" and d.get("visit") is None:
        if d.get("hh") is None and d.get("new"):
            _step(ctx, "vol_hh_location")
            ask_hh_location(ctx)
        else:
            await start_visit(ctx)
    elif state == "vol_result" and d.get("idx", 0) > 0:
        _step(ctx, "vol_result", idx=d["idx"] - 1)
        ask_result(ctx)
    elif state == "vol_result":
        _step(ctx, "vol_tick")
        ask_tick(ctx)
    elif state == "vol_hh_name":
        await start_visit(ctx)
    elif state == "vol_inv_unit" and len(await ctx.tx.officers.communes_of(ctx.user.id)) > 1:
        await start_invite(ctx)
    elif state == "vol_off" and ctx.state.data.get("volunteer"):
        await list_volunteers(ctx)
    elif state in back and back[state] in ASK:
        ctx.state.state = back[state]
        ASK[back[state]](ctx)
    else:
        show_menu(ctx)


ASK = {
    "vol_join_rules": ask_rules,
    "vol_join_name": ask_join_name,
    "vol_join_phone": ask_join_phone,
    "vol_hh_name": ask_hh_name,
    "vol_hh_village": ask_hh_village,
    "vol_hh_phone": ask_hh_phone,
    "vol_hh_members": ask_hh_members,
    "vol_hh_location": ask_hh_location,
    "vol_tick": ask_tick,
    "vol_result": ask_result,
    "vol_note": ask_note,
    "vol_followup": ask_followup,
    "vol_confirm": ask_confirm,
    "vol_inv_unit": ask_invite_unit,
}


async def on_command(ctx: Context, command: str, args: str) -> None:
    await show_progress(ctx)


FEATURE = Feature(
    name="volunteer",
    states=frozenset(
        {
            *ASK,
            "vol_pick",
            "vol_same",
            "vol_undo",
            "vol_inv_commune",
            "vol_off",
        }
    ),
    data_states=frozenset(
        {
            "vol_join_name",
            "vol_join_phone",
            "vol_hh_name",
            "vol_hh_village",
            "vol_hh_phone",
            "vol_hh_members",
            "vol_tick",
            "vol_note",
            "vol_followup",
            "vol_inv_unit",
        }
    ),
    prefixes=frozenset({"vol"}),
    commands=frozenset({"progress"}),
    on_option=on_option,
    on_text=on_text,
    on_command=on_command,
    on_back=on_back,
    on_other=on_other,
    claim=_claim,
    menu={
        "volunteer": [
            ("vol:visit", _("📝 Log a visit")),
            ("vol:progress", _("📈 My progress")),
            ("vol:last", _("✏️ My last visit")),
        ],
        "officer": [
            ("vol:invite", _("🎫 Invite volunteers")),
            ("vol:list", _("🧑‍🤝‍🧑 Volunteers")),
            ("vol:report", _("📊 Volunteer report")),
        ],
    },
    intents={
        "vol:visit": ["ghi tham", "ghi nhan ho", "log a visit", "new visit"],
        "vol:progress": ["tien do", "my progress", "progress"],
        "vol:report": ["bao cao tinh nguyen", "volunteer report"],
    },
)
