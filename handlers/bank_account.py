"""Registering the bank account (or e-wallet) an allowance is paid into, and
the commune officer's review of it.

Citizen states (the draft lives in ``ctx.state.data``; the account number in it
is encrypted, so a half-filled form survives a restart):

- ``bank_intro``: the two ways (VNeID, or here for the commune to review).
- ``bank_pick``: several linked people; whose account is it for.
- ``bank_bank``: which bank; typed part of a name, or a button.
- ``bank_account``: the account number (6-19 digits).
- ``bank_account_ok``: the number shown back; right or type again.
- ``bank_holder``: the account holder's name.
- ``bank_reason``: the holder is someone else; why (a guardian, ...).
- ``bank_consent``: what happens with the number; agree or not.
- ``bank_summary``: everything (number masked); send, change or cancel.
- ``bank_edit``: which part to change.

Officer states: ``bankrev_list`` (pending requests), ``bankrev_open`` (one
request in full), ``bankrev_reason`` (why it is rejected), ``bankrev_export``
(which period's approved changes to send as a file).

Draft keys: ``ben`` (beneficiary id), ``bin``, ``acc`` (encrypted number),
``holder``, ``match`` (holder is the beneficiary), ``reason`` (``"code:..."``
or typed text), ``consent``, ``review`` (editing from the summary).
"""

from __future__ import annotations

from datetime import datetime

from handlers import vietqr
from handlers.bank_export import bank_changes_bytes
from handlers.banks import Bank, all_banks, by_bin, find_banks
from handlers.core import VN_TZ, Context
from handlers.features import Feature
from handlers.i18n import Translator, _
from handlers.notify import notify
from handlers.text import display_form, match_key
from handlers.types import Attachment, Option, Reply
from storage.records import BankRequest, Beneficiary, Link, NewBankRequest

# ---------------------------------------------------------------- wording

MSG_VNEID = _(
    "To receive the allowance into a bank account, the easiest way is the VNeID app "
    "(needs a level-2 electronic ID):\n"
    "1. Open VNeID and log in.\n"
    "2. Choose “Tiện ích” (Utilities), then “Tài khoản hưởng an sinh xã hội” "
    "(Social security benefit account).\n"
    "3. Choose “Đăng ký” (Register), pick your bank and type the account number.\n"
    "4. Enter the code sent to your phone to confirm.\n"
    "If you have no level-2 electronic ID, or need help, the commune officer or a "
    "“1+20” youth volunteer can help you: tap “☎️ Contact the commune officer”."
)
MSG_INTRO = _(
    "There are two ways to have the allowance paid into a bank account or e-wallet:\n"
    "1. Yourself, in the VNeID app, under “Tài khoản hưởng an sinh xã hội” "
    "(needs a level-2 electronic ID).\n"
    "2. Here in the chat: you give the account, and the commune officer checks and "
    "records it.\n"
    "Which way would you like?"
)
OPT_VNEID = _("📱 In the VNeID app")
OPT_HERE = _("✍️ Register here")
OPT_HERE_INSTEAD = _("✍️ Register here instead")
OPT_STATUS = _("📋 My request")
MSG_LINK_FIRST = _(
    "First I need to know whose allowance this is for. Please answer a few questions."
)
MSG_PICK = _("Whose allowance should go into this account?")
MSG_PENDING_REPLACED = _(
    "A request for {person} sent on {date} is still waiting for the commune officer. "
    "If you send a new one, it replaces that request."
)
MSG_CHANGE = _(
    "The allowance of {person} already goes to the {bank} account {account}. A new account "
    "is a change: the commune officer will check it again."
)
MSG_ASK_BANK = _(
    "Which bank or e-wallet is the account with? Tap it below, or type part of its name, "
    "for example: Agribank, Vietcombank, Chính sách xã hội, Viettel Money."
)
MSG_BANK_NONE = _(
    "I could not find a bank called “{text}”. Please type part of its name, for example: "
    "Agribank, Vietcombank, BIDV, VietinBank, Chính sách xã hội, VNPT Money."
)
MSG_BANK_SEVERAL = _("Several banks match “{text}”. Which one is it?")
MSG_BANK_MANY = _(
    "Many banks match “{text}”. Here are the first {count}. If yours is not among them, "
    "please type more of its name."
)
MSG_ASK_ACCOUNT = _(
    "Please type the account number at {bank}. It has 6 to 19 digits; spaces and dots are "
    "fine, for example: 1234 5678 9012."
)
MSG_BAD_ACCOUNT = _(
    "An account number has 6 to 19 digits, for example: 1234 5678 9012. What you typed has "
    "{count} digits. Please look at the bank card or the account book and type it again."
)
MSG_BAD_ACCOUNT_LETTERS = _(
    "An account number has only digits, for example: 1234 5678 9012. Please look at the bank "
    "card or the account book and type it again."
)
MSG_CONFIRM_ACCOUNT = _("You typed the account number {account} at {bank}. Is it right?")
OPT_ACCOUNT_YES = _("✅ Yes, it is right")
OPT_ACCOUNT_NO = _("✏️ No, type it again")
MSG_ASK_HOLDER = _(
    "Whose name is the account in? Please type the account holder's name as the bank "
    "writes it, for example: {name}."
)
MSG_BAD_HOLDER = _("Please type the account holder's full name in letters, for example: {name}.")
MSG_HOLDER_DIFFERS = _(
    "The account holder, {holder}, is not {person}. The commune accepts another person's "
    "account only with a reason, for example a guardian's account. Please choose a reason "
    "below or type it."
)
MSG_BAD_REASON = _(
    "Please write the reason in a few words, for example: my mother cannot go to the bank, "
    "the account is mine as her carer."
)
OPT_RETYPE_HOLDER = _("✏️ Type the name again")
HOLDER_REASONS = {
    "guardian": _("The holder is the guardian or carer"),
    "family": _("The holder is a family member living with them"),
    "joint": _("It is a joint account of the couple"),
}
MSG_CONSENT = _(
    "Before sending: the commune officer will see this account number in full to check it. "
    "Once approved, the commune pays the allowance of {person} into this account from "
    "{month}. The number is stored encrypted, and everywhere else it is shown only as "
    "{account}. Do you agree?"
)
OPT_AGREE = _("✅ I agree")
OPT_DISAGREE = _("❌ I do not agree")
MSG_NO_CONSENT = _(
    "Nothing was sent. Without your agreement the commune cannot record the account. You can "
    "also register it yourself in the VNeID app."
)
MSG_SUMMARY = _("Please check the request:")
LINE_PERSON = _("Beneficiary: {person}")
LINE_BANK = _("Bank: {bank} ({full})")
LINE_ACCOUNT = _("Account number: {account}")
LINE_HOLDER = _("Account holder: {holder}")
LINE_REASON = _("Reason for another holder: {reason}")
MSG_SUMMARY_ASK = _("Send it to the commune officer?")
OPT_SEND = _("📨 Send")
OPT_EDIT = _("✏️ Change something")
OPT_CANCEL = _("❌ Cancel")
MSG_EDIT = _("What would you like to change?")
OPT_EDIT_BANK = _("🏦 The bank")
OPT_EDIT_ACCOUNT = _("🔢 The account number")
OPT_EDIT_HOLDER = _("👤 The account holder")
MSG_SENT = _(
    "Sent. The commune officer will check the account, and I will send you a message here "
    "with the answer. To see where it stands at any time, tap “🏦 Register a bank account”, "
    "then “📋 My request”."
)
MSG_GONE = _("This person is no longer on your list, so the form was closed. Nothing was sent.")
MSG_STALE = _("That button is no longer active. Here is the menu.")
MSG_NOT_UNDERSTOOD = _(
    "Sorry, I did not understand. Please tap one of the buttons below, or type its number."
)
MSG_NOTE = _("I can only read typed words and numbers, not pictures, stickers or voice messages.")
# Status, one whole sentence per case.
STATUS_NONE = _("{person}: no account was registered in this chat yet.")
STATUS_PENDING = _(
    "{person}: the {bank} account {account}, sent on {date}, is waiting for the commune "
    "officer's check."
)
STATUS_APPROVED = _(
    "{person}: the {bank} account {account} was approved on {date}. The allowance is paid "
    "into it from {month}."
)
STATUS_REJECTED = _(
    "{person}: the {bank} account {account} was not approved on {date}. Reason: {reason}. "
    "You can send a corrected request."
)
# Officers.
OPT_REVIEW = _("🏦 Bank account requests")
MSG_NOT_OFFICER = _("This is for commune officers only. Here is the menu.")
MSG_NOT_YOURS = _(
    "This request cannot be opened from your account. Only the officers of the person's "
    "commune can see it."
)
MSG_NONE_PENDING = _("No bank account requests are waiting for review.")
MSG_PENDING_LIST = _("Bank account requests waiting for review: {count}. Tap one to open it.")
OPT_EXPORT = _("📤 List of approved changes")
OPT_BACK_TO_LIST = _("↩️ Back to the list")
MSG_REQ_NEW = _("Request #{id}: a new account.")
MSG_REQ_CHANGE = _("Request #{id}: a change of account.")
LINE_BIN = _("Bank: {bank} ({full}), BIN {bin}")
LINE_SENT = _("Sent on {date}.")
LINE_HOLDER_FLAG = _("⚠️ The account holder is not the beneficiary. Reason given: {reason}")
LINE_STATUS_APPROVED = _("Approved on {date}, paid into this account from {month}.")
LINE_STATUS_REJECTED = _("Rejected on {date}. Reason: {reason}")
LINE_STATUS_REPLACED = _("Replaced by a newer request.")
OPT_APPROVE = _("✅ Approve")
OPT_REJECT = _("❌ Reject")
OPT_QR = _("🔳 VietQR code of the account")
MSG_ALREADY = _(
    "This request was already decided, or replaced by a newer one. Nothing was changed."
)
MSG_APPROVED = _(
    "Approved. The allowance of {person} goes to the {bank} account {account} from {month}. "
    "The person who sent it will be told."
)
MSG_ASK_REJECT = _("Why is it rejected? Choose a reason, or type it:")
REJECT_REASONS = {
    "number": _("The account number is wrong"),
    "name": _("The account holder's name does not match"),
    "bank": _("The bank is wrong"),
    "closed": _("The account is closed or locked"),
    "papers": _("Papers are needed at the commune office"),
}
MSG_BAD_REJECT = _("Please write the reason in a few words, for example: the account is locked.")
MSG_REJECTED = _(
    "Rejected. The person who sent it will be told the reason and can send a corrected request."
)
MSG_QR = _(
    "VietQR code of the {bank} account {account} ({holder}). A banking app can scan it to fill "
    "in a transfer to this account."
)
MSG_QR_NOT_APPROVED = _("A VietQR code is made only for an approved account.")
MSG_ASK_EXPORT = _(
    "Which month's list of approved account changes do you need for the payment provider?"
)
MSG_EXPORTED = _(
    "The list of approved account changes for {month}: {count} people. It holds the account "
    "numbers in full: keep it as carefully as the paper list."
)
OPT_MONTH = _("{month}")
# Notifications (in the recipient's language).
NOTE_NEW = _(
    "New bank account request for {person} ({commune}): {bank} {account}. Please check it."
)
OPT_OPEN = _("🔎 Open the request")
NOTE_APPROVED = _(
    "Good news: the commune approved the {bank} account {account} for {person}. The allowance "
    "will be paid into it from {month}."
)
NOTE_REJECTED = _(
    "The commune did not approve the {bank} account {account} for {person}. Reason: {reason}. "
    "You can send a corrected request: tap “🏦 Register a bank account”."
)
# How a beneficiary is addressed (the same words as the citizen's conversation).
YOUNG = _("Young {name}")
MS = _("Ms {name}")
MR = _("Mr {name}")

QUICK_BANKS = ("970405", "999888", "970436", "970415", "970418")
MAX_BANK_OPTIONS = 8
MIN_ACCOUNT, MAX_ACCOUNT = 6, 19


# ---------------------------------------------------------------- helpers


def _menu(ctx: Context, text: str | None = None) -> None:
    from handlers.citizen import show_menu  # the menu is the citizen's; avoid a cycle

    show_menu(ctx, text)


def _nav(ctx: Context, back: bool = True) -> list[Option]:
    from handlers.citizen import nav

    return nav(ctx, back)


def _person(t: Translator, ben: Beneficiary, now: datetime) -> str:
    if ben.birth_year and now.astimezone(VN_TZ).year - ben.birth_year < 16:
        return t.gettext(YOUNG, name=ben.full_name)
    return t.gettext(MS if ben.female else MR, name=ben.full_name)


def _masked(last4: str) -> str:
    return f"****{last4}"


def _grouped(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def _period(ctx: Context) -> str:
    d = ctx.local_now.date()
    return f"{d.year:04d}-{d.month:02d}"


def next_period(now: datetime) -> str:
    d = now.astimezone(VN_TZ).date()
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return f"{year:04d}-{month:02d}"


def _bank_name(bin_code: str) -> str:
    bank = by_bin(bin_code)
    return bank.short_name if bank else bin_code


def _reason_text(t: Translator, reason: str | None, table: dict[str, str]) -> str:
    if not reason:
        return "—"
    if reason.startswith("code:") and reason[5:] in table:
        return t.gettext(table[reason[5:]])
    return reason


def _small_id(value: str) -> int | None:
    if 0 < len(value) <= 9 and set(value) <= set("0123456789"):
        return int(value)
    return None


def _local_date(t: Translator, at: datetime | None) -> str:
    return t.date(at.astimezone(VN_TZ).date()) if at else "—"


async def _link(ctx: Context, beneficiary_id: object) -> Link | None:
    if not isinstance(beneficiary_id, int):
        return None
    links = await ctx.tx.links.for_user(ctx.user.id, beneficiary_id=beneficiary_id)
    return links[0] if links else None


# ---------------------------------------------------------------- citizen


async def start(ctx: Context) -> None:
    """The bank menu: the two ways, and the request's status when there is one."""
    ctx.goto("bank_intro")
    options = [Option("bank:vneid", ctx._(OPT_VNEID)), Option("bank:here", ctx._(OPT_HERE))]
    for link in await ctx.tx.links.for_user(ctx.user.id):
        if await ctx.tx.bank_requests.latest_for(link.beneficiary.id) is not None:
            options.append(Option("bank:status", ctx._(OPT_STATUS)))
            break
    ctx.say(ctx._(MSG_INTRO), options + _nav(ctx, back=False))


def vneid_guidance(ctx: Context) -> None:
    ctx.goto("bank_intro")
    ctx.say(
        ctx._(MSG_VNEID),
        [Option("bank:here", ctx._(OPT_HERE_INSTEAD)), *_nav(ctx)],
    )


async def start_form(ctx: Context) -> None:
    links = await ctx.tx.links.for_user(ctx.user.id)
    if not links:
        from handlers.citizen import start_link

        ctx.say(ctx._(MSG_LINK_FIRST))
        await start_link(ctx)
        return
    if len(links) == 1:
        await begin_for(ctx, links[0])
        return
    ctx.goto("bank_pick")
    ctx.say(
        ctx._(MSG_PICK),
        [
            Option(f"bank:ben:{link.beneficiary.id}", _person(ctx.t, link.beneficiary, ctx.now))
            for link in links
        ]
        + _nav(ctx),
    )


async def begin_for(ctx: Context, link: Link) -> None:
    ben = link.beneficiary
    latest = await ctx.tx.bank_requests.latest_for(ben.id)
    person = _person(ctx.t, ben, ctx.now)
    note = None
    if latest is not None and latest.status == "pending":
        note = ctx._(
            MSG_PENDING_REPLACED, person=person, date=_local_date(ctx.t, latest.created_at)
        )
    elif ben.account_last4 and ben.payment_method == "bank":
        note = ctx._(
            MSG_CHANGE,
            person=person,
            bank=ben.bank_name or "",
            account=_masked(ben.account_last4),
        )
    ctx.goto("bank_bank", ben=ben.id)
    ask_bank(ctx, note=note)


def ask_bank(ctx: Context, text: str | None = None, *, note: str | None = None) -> None:
    ctx.state.state = "bank_bank"
    quick = [b for code in QUICK_BANKS if (b := by_bin(code)) is not None]
    question = text or ctx._(MSG_ASK_BANK)
    ctx.say(
        f"{note}\n{question}" if note else question,
        [Option(f"bank:bin:{b.bin}", b.short_name) for b in quick] + _nav(ctx),
    )


def _bank_label(b: Bank) -> str:
    return f"{b.short_name} — {b.full_name}"


async def receive_bank(ctx: Context, text: str) -> None:
    found = find_banks(text)
    shown = text.strip()[:40]
    if not found:
        ask_bank(ctx, ctx._(MSG_BANK_NONE, text=shown))
        return
    if len(found) == 1:
        await choose_bank(ctx, found[0])
        return
    message = (
        ctx._(MSG_BANK_MANY, text=shown, count=MAX_BANK_OPTIONS)
        if len(found) > MAX_BANK_OPTIONS
        else ctx._(MSG_BANK_SEVERAL, text=shown)
    )
    ctx.say(
        message,
        [Option(f"bank:bin:{b.bin}", _bank_label(b)) for b in found[:MAX_BANK_OPTIONS]] + _nav(ctx),
    )


async def choose_bank(ctx: Context, bank: Bank) -> None:
    ctx.state.data["bin"] = bank.bin
    if ctx.state.data.get("review") and ctx.state.data.get("consent"):
        await show_summary(ctx)
        return
    ask_account(ctx)


def ask_account(ctx: Context) -> None:
    ctx.state.state = "bank_account"
    ctx.say(ctx._(MSG_ASK_ACCOUNT, bank=_bank_name(ctx.state.data.get("bin", ""))), _nav(ctx))


def clean_account(text: str) -> str:
    """The number without the spaces, dots and dashes people type in it."""
    return "".join(ch for ch in text if ch not in " .-_\u00a0\t")


def receive_account(ctx: Context, text: str) -> None:
    number = clean_account(text)
    if not (number.isascii() and number.isdigit()):
        ctx.say(ctx._(MSG_BAD_ACCOUNT_LETTERS), _nav(ctx))
        return
    if not MIN_ACCOUNT <= len(number) <= MAX_ACCOUNT:
        ctx.say(ctx._(MSG_BAD_ACCOUNT, count=len(number)), _nav(ctx))
        return
    ctx.state.data["acc"] = ctx.db.vault.encrypt(number)
    ctx.state.data["last4"] = number[-4:]
    ask_account_ok(ctx)


def ask_account_ok(ctx: Context) -> None:
    ctx.state.state = "bank_account_ok"
    number = ctx.db.vault.decrypt(ctx.state.data["acc"])
    ctx.say(
        # Shown once in full, to the person who has just typed it, to check it.
        ctx._(
            MSG_CONFIRM_ACCOUNT,
            account=_grouped(number),
            bank=_bank_name(ctx.state.data.get("bin", "")),
        ),
        [
            Option("bank:acc_yes", ctx._(OPT_ACCOUNT_YES)),
            Option("bank:acc_no", ctx._(OPT_ACCOUNT_NO)),
            *_nav(ctx),
        ],
    )


async def ask_holder(ctx: Context) -> None:
    link = await _link(ctx, ctx.state.data.get("ben"))
    if link is None:
        _menu(ctx, ctx._(MSG_GONE))
        return
    ctx.state.state = "bank_holder"
    ctx.say(ctx._(MSG_ASK_HOLDER, name=link.beneficiary.full_name), _nav(ctx))


async def receive_holder(ctx: Context, text: str) -> None:
    link = await _link(ctx, ctx.state.data.get("ben"))
    if link is None:
        _menu(ctx, ctx._(MSG_GONE))
        return
    name = display_form(text)  # NFC, single spaces: as it is shown to the officer
    letters = sum(ch.isalpha() for ch in name)
    if letters < 2 or any(ch.isdigit() for ch in name) or len(name) > 100:
        ctx.say(ctx._(MSG_BAD_HOLDER, name=link.beneficiary.full_name), _nav(ctx))
        return
    ctx.state.data["holder"] = name
    if match_key(name) == match_key(link.beneficiary.full_name):
        ctx.state.data["match"] = True
        ctx.state.data.pop("reason", None)
        await after_holder(ctx)
        return
    ctx.state.data["match"] = False
    ask_reason(ctx, link)


def ask_reason(ctx: Context, link: Link) -> None:
    ctx.state.state = "bank_reason"
    ctx.say(
        ctx._(
            MSG_HOLDER_DIFFERS,
            holder=ctx.state.data.get("holder", ""),
            person=_person(ctx.t, link.beneficiary, ctx.now),
        ),
        _reason_options(ctx),
    )


def _reason_options(ctx: Context) -> list[Option]:
    return [Option(f"bank:why:{code}", ctx._(label)) for code, label in HOLDER_REASONS.items()] + [
        Option("bank:retype", ctx._(OPT_RETYPE_HOLDER)),
        *_nav(ctx),
    ]


async def receive_reason(ctx: Context, text: str) -> None:
    reason = " ".join(text.split())
    if sum(ch.isalpha() for ch in reason) < 3 or len(reason) > 300:
        ctx.say(ctx._(MSG_BAD_REASON), _reason_options(ctx))
        return
    ctx.state.data["reason"] = reason
    await after_holder(ctx)


async def after_holder(ctx: Context) -> None:
    if ctx.state.data.get("review") and ctx.state.data.get("consent"):
        await show_summary(ctx)
        return
    await ask_consent(ctx)


async def ask_consent(ctx: Context) -> None:
    link = await _link(ctx, ctx.state.data.get("ben"))
    if link is None:
        _menu(ctx, ctx._(MSG_GONE))
        return
    ctx.state.state = "bank_consent"
    ctx.say(
        ctx._(
            MSG_CONSENT,
            person=_person(ctx.t, link.beneficiary, ctx.now),
            month=ctx.t.period(next_period(ctx.now)),
            account=_masked(ctx.state.data.get("last4", "")),
        ),
        [
            Option("bank:agree", ctx._(OPT_AGREE)),
            Option("bank:disagree", ctx._(OPT_DISAGREE)),
            *_nav(ctx),
        ],
    )


async def show_summary(ctx: Context) -> None:
    link = await _link(ctx, ctx.state.data.get("ben"))
    if link is None:
        _menu(ctx, ctx._(MSG_GONE))
        return
    _summary(ctx, link.beneficiary)


def _summary(ctx: Context, ben: Beneficiary) -> None:
    d = ctx.state.data
    bank = by_bin(d.get("bin", ""))
    lines = [
        ctx._(MSG_SUMMARY),
        ctx._(LINE_PERSON, person=_person(ctx.t, ben, ctx.now)),
        ctx._(
            LINE_BANK,
            bank=bank.short_name if bank else "",
            full=bank.full_name if bank else "",
        ),
        ctx._(LINE_ACCOUNT, account=_masked(d.get("last4", ""))),
        ctx._(LINE_HOLDER, holder=d.get("holder", "")),
    ]
    if not d.get("match", True):
        lines.append(
            ctx._(LINE_REASON, reason=_reason_text(ctx.t, d.get("reason"), HOLDER_REASONS))
        )
    lines.append(ctx._(MSG_SUMMARY_ASK))
    ctx.state.state = "bank_summary"
    ctx.say(
        "\n".join(lines),
        [
            Option("bank:send", ctx._(OPT_SEND)),
            Option("bank:edit", ctx._(OPT_EDIT)),
            Option("nav:cancel", ctx._(OPT_CANCEL)),
            *_nav(ctx),
        ],
    )


def ask_edit(ctx: Context) -> None:
    ctx.state.state = "bank_edit"
    ctx.state.data["review"] = True
    ctx.say(
        ctx._(MSG_EDIT),
        [
            Option("bank:edit_bank", ctx._(OPT_EDIT_BANK)),
            Option("bank:edit_account", ctx._(OPT_EDIT_ACCOUNT)),
            Option("bank:edit_holder", ctx._(OPT_EDIT_HOLDER)),
            *_nav(ctx),
        ],
    )


def _complete(data: dict) -> bool:
    return all(k in data for k in ("ben", "bin", "acc", "holder", "consent")) and bool(
        data.get("match") or data.get("reason")
    )


async def send(ctx: Context) -> None:
    d = ctx.state.data
    link = await _link(ctx, d.get("ben"))
    if link is None:
        _menu(ctx, ctx._(MSG_GONE))
        return
    bank = by_bin(d.get("bin", ""))
    if bank is None or not _complete(d):
        await ask_current(ctx)
        return
    ben = link.beneficiary
    request, replaced = await ctx.tx.bank_requests.submit(
        NewBankRequest(
            beneficiary_id=ben.id,
            requester_user_id=ctx.user.id,
            bank_bin=bank.bin,
            bank_name=bank.short_name,
            account_number=ctx.db.vault.decrypt(d["acc"]),
            holder_name=d["holder"],
            holder_matches=bool(d.get("match")),
            holder_reason=None if d.get("match") else d.get("reason"),
        ),
        ctx.now,
    )
    await ctx.tx.audit.write(
        "bank_request_submitted",
        user_id=ctx.user.id,
        beneficiary_id=ben.id,
        at=ctx.now,
        request_id=request.id,
        bank_bin=bank.bin,
        holder_matches=request.holder_matches,
        change=request.is_change,
        replaced=replaced,
    )
    commune = link.commune
    for officer_id in await ctx.tx.officers.users_of(ben.commune_code):
        await notify(
            ctx.tx,
            ctx.catalogs,
            user_id=officer_id,
            key=f"bank_request:{request.id}:submitted:user:{officer_id}",
            kind="bank_request",
            message=lambda t: t.gettext(
                NOTE_NEW,
                person=_person(t, ben, ctx.now),
                commune=commune.name if commune else ben.commune_code,
                bank=bank.short_name,
                account=_masked(request.account_last4),
            ),
            options=[(f"bankrev:open:{request.id}", OPT_OPEN)],
            now=ctx.now,
        )
    _menu(ctx, ctx._(MSG_SENT))


async def show_status(ctx: Context) -> None:
    links = await ctx.tx.links.for_user(ctx.user.id)
    if not links:
        await start_form(ctx)
        return
    lines = []
    for link in links:
        ben = link.beneficiary
        person = _person(ctx.t, ben, ctx.now)
        req = await ctx.tx.bank_requests.latest_for(ben.id)
        if req is None:
            lines.append(ctx._(STATUS_NONE, person=person))
            continue
        f = {"person": person, "bank": req.bank_name, "account": _masked(req.account_last4)}
        if req.status == "pending":
            lines.append(ctx._(STATUS_PENDING, date=_local_date(ctx.t, req.created_at), **f))
        elif req.status == "approved":
            lines.append(
                ctx._(
                    STATUS_APPROVED,
                    date=_local_date(ctx.t, req.decided_at),
                    month=ctx.t.period(req.effective_period or next_period(ctx.now)),
                    **f,
                )
            )
        else:
            lines.append(
                ctx._(
                    STATUS_REJECTED,
                    date=_local_date(ctx.t, req.decided_at),
                    reason=_reason_text(ctx.t, req.reject_reason, REJECT_REASONS),
                    **f,
                )
            )
        await ctx.tx.audit.write(
            "bank_request_status", user_id=ctx.user.id, beneficiary_id=ben.id, at=ctx.now
        )
    ctx.goto("bank_intro")
    ctx.say("\n".join(lines), [Option("bank:here", ctx._(OPT_HERE)), *_nav(ctx, back=False)])


async def ask_current(ctx: Context) -> None:
    """Ask the current step's question again (after back, a sticker, a restart)."""
    state = ctx.state.state
    d = ctx.state.data
    if state == "bank_pick":
        await start_form(ctx)
    elif state == "bank_bank":
        ask_bank(ctx)
    elif state == "bank_account":
        ask_account(ctx)
    elif state == "bank_account_ok" and d.get("acc"):
        ask_account_ok(ctx)
    elif state == "bank_holder":
        await ask_holder(ctx)
    elif state == "bank_reason":
        link = await _link(ctx, d.get("ben"))
        if link is None:
            _menu(ctx, ctx._(MSG_GONE))
        else:
            ask_reason(ctx, link)
    elif state == "bank_consent":
        await ask_consent(ctx)
    elif state == "bank_summary":
        await show_summary(ctx)
    elif state == "bank_edit":
        ask_edit(ctx)
    elif state.startswith("bankrev"):
        await review_list(ctx)
    else:
        await start(ctx)


async def on_back(ctx: Context) -> None:
    state = ctx.state.state
    d = ctx.state.data
    if state == "bank_intro":
        _menu(ctx)
    elif state == "bank_pick":
        await start(ctx)
    elif state == "bank_bank":
        if d.get("review") and d.get("acc"):
            await show_summary(ctx)
        elif len(await ctx.tx.links.for_user(ctx.user.id)) > 1:
            await start_form(ctx)
        else:
            await start(ctx)
    elif state == "bank_account":
        if d.get("review") and d.get("acc"):
            await show_summary(ctx)
        else:
            ask_bank(ctx)
    elif state == "bank_account_ok":
        ask_account(ctx)
    elif state == "bank_holder":
        if d.get("review"):
            await show_summary(ctx)
        elif d.get("acc"):
            ask_account_ok(ctx)
        else:
            ask_account(ctx)
    elif state == "bank_reason":
        await ask_holder(ctx)
    elif state == "bank_consent":
        await ask_holder(ctx)
    elif state == "bank_summary":
        await ask_consent(ctx)
    elif state == "bank_edit":
        await show_summary(ctx)
    elif state == "bankrev_open" or state == "bankrev_export":
        await review_list(ctx)
    elif state == "bankrev_reason":
        await review_open(ctx, d.get("req", 0))
    else:
        _menu(ctx)


async def on_text(ctx: Context, text: str) -> None:
    state = ctx.state.state
    if state == "bank_bank":
        await receive_bank(ctx, text)
    elif state == "bank_account":
        receive_account(ctx, text)
    elif state == "bank_holder":
        await receive_holder(ctx, text)
    elif state == "bank_reason":
        await receive_reason(ctx, text)
    elif state == "bankrev_reason":
        await receive_reject_reason(ctx, text)
    else:
        # A menu of this feature is open and the text is none of its options.
        from handlers.citizen import _intents
        from handlers.text import best_intent

        intent = best_intent(text, _intents())
        if intent is not None:
            from handlers.citizen import _option

            await _option(ctx, intent)
            return
        ctx.say(ctx._(MSG_NOT_UNDERSTOOD))
        await ask_current(ctx)


async def on_other(ctx: Context) -> None:
    ctx.say(ctx._(MSG_NOTE))
    await ask_current(ctx)


async def on_option(ctx: Context, option: str) -> None:
    prefix, _sep, rest = option.partition(":")
    if prefix == "bankrev":
        await on_review_option(ctx, rest)
        return
    state = ctx.state.state
    d = ctx.state.data
    head, _sep, value = rest.partition(":")
    if head == "vneid":
        vneid_guidance(ctx)
    elif head == "here":
        await start_form(ctx)
    elif head == "status":
        await show_status(ctx)
    elif head == "ben" and state == "bank_pick" and (bid := _small_id(value)) is not None:
        link = await _link(ctx, bid)
        if link is None:
            await start_form(ctx)
        else:
            await begin_for(ctx, link)
    elif head == "bin" and state == "bank_bank" and (bank := by_bin(value)) is not None:
        await choose_bank(ctx, bank)
    elif head == "acc_yes" and state == "bank_account_ok":
        if d.get("review") and d.get("consent"):
            await show_summary(ctx)
        else:
            await ask_holder(ctx)
    elif head == "acc_no" and state == "bank_account_ok":
        ask_account(ctx)
    elif head == "why" and state == "bank_reason" and value in HOLDER_REASONS:
        d["reason"] = f"code:{value}"
        await after_holder(ctx)
    elif head == "retype" and state == "bank_reason":
        await ask_holder(ctx)
    elif head == "agree" and state == "bank_consent":
        d["consent"] = True
        await show_summary(ctx)
    elif head == "disagree" and state == "bank_consent":
        _menu(ctx, ctx._(MSG_NO_CONSENT))
    elif head == "send" and state == "bank_summary":
        await send(ctx)
    elif head == "edit" and state == "bank_summary":
        ask_edit(ctx)
    elif head == "edit_bank" and state == "bank_edit":
        ask_bank(ctx)
    elif head == "edit_account" and state == "bank_edit":
        ask_account(ctx)
    elif head == "edit_holder" and state == "bank_edit":
        await ask_holder(ctx)
    elif state in FEATURE_STATES:
        # A button of an earlier step of this form: ask the current question.
        await ask_current(ctx)
    else:
        _menu(ctx, ctx._(MSG_STALE))


# ---------------------------------------------------------------- officers


async def _officer_communes(ctx: Context) -> list[str] | None:
    """The officer's commune codes; None (and the menu) for anyone else."""
    communes = await ctx.tx.officers.communes_of(ctx.user.id)
    if not communes:
        _menu(ctx, ctx._(MSG_NOT_OFFICER))
        return None
    return [c.code for c in communes]


async def _request_for_officer(
    ctx: Context, request_id: int, *, reveal: bool = False
) -> BankRequest | None:
    codes = await _officer_communes(ctx)
    if codes is None:
        await ctx.tx.audit.write(
            "bank_request_refused", user_id=ctx.user.id, at=ctx.now, request_id=request_id
        )
        return None
    req = await ctx.tx.bank_requests.get(request_id, reveal=reveal)
    if req is None or req.commune_code not in codes:
        await ctx.tx.audit.write(
            "bank_request_refused", user_id=ctx.user.id, at=ctx.now, request_id=request_id
        )
        _menu(ctx, ctx._(MSG_NOT_YOURS))
        return None
    return req


async def review_list(ctx: Context) -> None:
    codes = await _officer_communes(ctx)
    if codes is None:
        return
    pending = await ctx.tx.bank_requests.pending_in(codes)
    ctx.goto("bankrev_list")
    options = [
        Option(
            f"bankrev:open:{r.id}",
            f"#{r.id} {r.beneficiary_name} — {r.bank_name} {_masked(r.account_last4)}",
        )
        for r in pending
    ]
    options += [Option("bankrev:export", ctx._(OPT_EXPORT)), *_nav(ctx, back=False)]
    # The count is all that wait; the buttons are the oldest 20 (they are
    # reviewed oldest first, and the reports list pages through all of them).
    total = await ctx.tx.bank_requests.count_pending(codes) if pending else 0
    text = ctx._(MSG_PENDING_LIST, count=total) if pending else ctx._(MSG_NONE_PENDING)
    ctx.say(text, options)


async def review_open(ctx: Context, request_id: object) -> None:
    if not isinstance(request_id, int):
        await review_list(ctx)
        return
    req = await _request_for_officer(ctx, request_id, reveal=True)
    if req is None:
        return
    ben = await ctx.tx.beneficiaries.get(req.beneficiary_id)
    assert ben is not None
    bank = by_bin(req.bank_bin)
    t = ctx.t
    lines = [
        t.gettext(MSG_REQ_CHANGE if req.is_change else MSG_REQ_NEW, id=req.id),
        t.gettext(LINE_PERSON, person=_person(t, ben, ctx.now)),
        t.gettext(
            LINE_BIN, bank=req.bank_name, full=bank.full_name if bank else "", bin=req.bank_bin
        ),
        # In full: the reviewing officer checks it against the bank's papers.
        t.gettext(LINE_ACCOUNT, account=req.account_number or ""),
        t.gettext(LINE_HOLDER, holder=req.holder_name),
    ]
    if not req.holder_matches:
        lines.append(
            t.gettext(LINE_HOLDER_FLAG, reason=_reason_text(t, req.holder_reason, HOLDER_REASONS))
        )
    lines.append(t.gettext(LINE_SENT, date=_local_date(t, req.created_at)))
    options: list[Option] = []
    if req.status == "pending":
        options = [
            Option(f"bankrev:ok:{req.id}", t.gettext(OPT_APPROVE)),
            Option(f"bankrev:no:{req.id}", t.gettext(OPT_REJECT)),
        ]
    elif req.status == "approved":
        lines.append(
            t.gettext(
                LINE_STATUS_APPROVED,
                date=_local_date(t, req.decided_at),
                month=t.period(req.effective_period or next_period(ctx.now)),
            )
        )
        options = [Option(f"bankrev:qr:{req.id}", t.gettext(OPT_QR))]
    elif req.status == "rejected":
        lines.append(
            t.gettext(
                LINE_STATUS_REJECTED,
                date=_local_date(t, req.decided_at),
                reason=_reason_text(t, req.reject_reason, REJECT_REASONS),
            )
        )
    else:
        lines.append(t.gettext(LINE_STATUS_REPLACED))
    await ctx.tx.audit.write(
        "bank_request_viewed",
        user_id=ctx.user.id,
        beneficiary_id=req.beneficiary_id,
        at=ctx.now,
        request_id=req.id,
    )
    ctx.goto("bankrev_open", req=req.id)
    ctx.say(
        "\n".join(lines),
        options + [Option("bankrev:list", t.gettext(OPT_BACK_TO_LIST)), *_nav(ctx, back=False)],
    )


async def _tell_requester(ctx: Context, req: BankRequest, message: str, **extra: object) -> None:
    if req.requester_user_id is None:
        return
    ben = await ctx.tx.beneficiaries.get(req.beneficiary_id)
    assert ben is not None
    now = ctx.now

    def build(t: Translator) -> str:
        params = {
            "person": _person(t, ben, now),
            "bank": req.bank_name,
            "account": _masked(req.account_last4),
        }
        if req.effective_period:
            params["month"] = t.period(req.effective_period)
        if "reason" in extra:
            params["reason"] = _reason_text(t, str(extra["reason"]), REJECT_REASONS)
        return t.gettext(message, **params)

    await notify(
        ctx.tx,
        ctx.catalogs,
        user_id=req.requester_user_id,
        key=f"bank_request:{req.id}:decided:user:{req.requester_user_id}",
        kind="bank_request",
        message=build,
        options=[("menu:bank", OPT_STATUS_MENU)],
        now=now,
    )


OPT_STATUS_MENU = _("🏦 Register a bank account")


async def approve(ctx: Context, request_id: int) -> None:
    req = await _request_for_officer(ctx, request_id)
    if req is None:
        return
    effective = next_period(ctx.now)
    decided = await ctx.tx.bank_requests.decide(
        request_id, approve=True, officer_id=ctx.user.id, now=ctx.now, effective_period=effective
    )
    if decided is None:
        await review_open(ctx, request_id)
        ctx.replies.insert(0, Reply(ctx._(MSG_ALREADY)))
        return
    await ctx.tx.audit.write(
        "bank_request_approved",
        user_id=ctx.user.id,
        beneficiary_id=decided.beneficiary_id,
        at=ctx.now,
        request_id=decided.id,
        effective_period=effective,
        bank_bin=decided.bank_bin,
    )
    await _tell_requester(ctx, decided, NOTE_APPROVED)
    ben = await ctx.tx.beneficiaries.get(decided.beneficiary_id)
    assert ben is not None
    ctx.goto("bankrev_open", req=decided.id)
    ctx.say(
        ctx._(
            MSG_APPROVED,
            person=_person(ctx.t, ben, ctx.now),
            bank=decided.bank_name,
            account=_masked(decided.account_last4),
            month=ctx.t.period(effective),
        ),
        [
            Option(f"bankrev:qr:{decided.id}", ctx._(OPT_QR)),
            Option("bankrev:list", ctx._(OPT_BACK_TO_LIST)),
            *_nav(ctx, back=False),
        ],
    )


async def ask_reject(ctx: Context, request_id: int) -> None:
    req = await _request_for_officer(ctx, request_id)
    if req is None:
        return
    if req.status != "pending":
        await review_open(ctx, request_id)
        ctx.replies.insert(0, Reply(ctx._(MSG_ALREADY)))
        return
    ctx.goto("bankrev_reason", req=req.id)
    ctx.say(ctx._(MSG_ASK_REJECT), _reject_options(ctx, req.id))


def _reject_options(ctx: Context, request_id: int) -> list[Option]:
    return [
        Option(f"bankrev:why:{request_id}:{code}", ctx._(label))
        for code, label in REJECT_REASONS.items()
    ] + _nav(ctx)


async def reject(ctx: Context, request_id: int, reason: str) -> None:
    req = await _request_for_officer(ctx, request_id)
    if req is None:
        return
    decided = await ctx.tx.bank_requests.decide(
        request_id, approve=False, officer_id=ctx.user.id, now=ctx.now, reason=reason
    )
    if decided is None:
        await review_open(ctx, request_id)
        ctx.replies.insert(0, Reply(ctx._(MSG_ALREADY)))
        return
    await ctx.tx.audit.write(
        "bank_request_rejected",
        user_id=ctx.user.id,
        beneficiary_id=decided.beneficiary_id,
        at=ctx.now,
        request_id=decided.id,
        # The code of a chosen reason; a typed one may hold names: not copied.
        reason=reason[5:] if reason.startswith("code:") else "typed",
    )
    await _tell_requester(ctx, decided, NOTE_REJECTED, reason=reason)
    ctx.goto("bankrev_list")
    ctx.say(
        ctx._(MSG_REJECTED),
        [Option("bankrev:list", ctx._(OPT_BACK_TO_LIST)), *_nav(ctx, back=False)],
    )


async def receive_reject_reason(ctx: Context, text: str) -> None:
    reason = " ".join(text.split())
    request_id = ctx.state.data.get("req")
    if not isinstance(request_id, int):
        await review_list(ctx)
        return
    if sum(ch.isalpha() for ch in reason) < 3 or len(reason) > 300:
        ctx.say(ctx._(MSG_BAD_REJECT), _reject_options(ctx, request_id))
        return
    await reject(ctx, request_id, reason)


async def send_qr(ctx: Context, request_id: int) -> None:
    req = await _request_for_officer(ctx, request_id, reveal=True)
    if req is None:
        return
    if req.status != "approved" or not req.account_number:
        ctx.say(ctx._(MSG_QR_NOT_APPROVED), _nav(ctx, back=False))
        return
    image = vietqr.png(vietqr.payload(req.bank_bin, req.account_number))
    await ctx.tx.audit.write(
        "bank_request_qr",
        user_id=ctx.user.id,
        beneficiary_id=req.beneficiary_id,
        at=ctx.now,
        request_id=req.id,
    )
    reply = Reply(
        ctx._(
            MSG_QR, bank=req.bank_name, account=_masked(req.account_last4), holder=req.holder_name
        ),
        options=[Option("bankrev:list", ctx._(OPT_BACK_TO_LIST)), *_nav(ctx, back=False)],
    )
    reply.attachments.append(Attachment("image", f"vietqr-{req.id}.png", image, "image/png"))
    ctx.replies.append(reply)


async def ask_export(ctx: Context) -> None:
    if await _officer_communes(ctx) is None:
        return
    ctx.goto("bankrev_export")
    periods = [next_period(ctx.now), _period(ctx)]
    ctx.say(
        ctx._(MSG_ASK_EXPORT),
        [Option(f"bankrev:exp:{p}", ctx._(OPT_MONTH, month=ctx.t.period(p))) for p in periods]
        + _nav(ctx),
    )


async def send_export(ctx: Context, period: str) -> None:
    codes = await _officer_communes(ctx)
    if codes is None:
        return
    changes = await ctx.tx.bank_requests.approved_changes(period, codes)
    await ctx.tx.audit.write(
        "bank_changes_exported", user_id=ctx.user.id, at=ctx.now, period=period, rows=len(changes)
    )
    dates = [c.decided_at.astimezone(VN_TZ).date() for c in changes]
    data = bank_changes_bytes(changes, ctx.t, dates)
    reply = Reply(ctx._(MSG_EXPORTED, month=ctx.t.period(period), count=len(changes)))
    reply.attachments.append(
        Attachment(
            "document",
            f"thay-doi-tai-khoan-{period}.xlsx",
            data,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    )
    ctx.replies.append(reply)
    _menu(ctx)


def _is_period(value: str) -> bool:
    return (
        len(value) == 7
        and value[4] == "-"
        and value[:4].isdigit()
        and value[5:].isdigit()
        and 1 <= int(value[5:]) <= 12
    )


async def on_review_option(ctx: Context, rest: str) -> None:
    head, _sep, value = rest.partition(":")
    if head == "list":
        await review_list(ctx)
    elif head == "export":
        await ask_export(ctx)
    elif head == "exp" and value.isascii() and _is_period(value):
        await send_export(ctx, value)
    elif head == "why":
        rid, _sep, code = value.partition(":")
        request_id = _small_id(rid)
        if request_id is not None and code in REJECT_REASONS:
            await reject(ctx, request_id, f"code:{code}")
        else:
            await review_list(ctx)
    elif (request_id := _small_id(value)) is not None and head in ("open", "ok", "no", "qr"):
        if head == "open":
            await review_open(ctx, request_id)
        elif head == "ok":
            await approve(ctx, request_id)
        elif head == "no":
            await ask_reject(ctx, request_id)
        else:
            await send_qr(ctx, request_id)
    else:
        _menu(ctx, ctx._(MSG_STALE))


async def on_command(ctx: Context, command: str, args: str) -> None:
    if command == "requests":
        await review_list(ctx)
    else:
        await start(ctx)


FEATURE_STATES = frozenset(
    {
        "bank_intro",
        "bank_pick",
        "bank_bank",
        "bank_account",
        "bank_account_ok",
        "bank_holder",
        "bank_reason",
        "bank_consent",
        "bank_summary",
        "bank_edit",
        "bankrev_list",
        "bankrev_open",
        "bankrev_reason",
        "bankrev_export",
    }
)

FEATURE = Feature(
    name="bank_account",
    states=FEATURE_STATES,
    data_states=frozenset({"bank_account", "bank_holder", "bank_reason", "bankrev_reason"}),
    prefixes=frozenset({"bank", "bankrev"}),
    commands=frozenset({"requests", "bank"}),
    on_option=on_option,
    on_text=on_text,
    on_command=on_command,
    on_back=on_back,
    on_other=on_other,
    menu={"officer": [("bankrev:list", OPT_REVIEW)]},
)

__all__ = ["FEATURE", "all_banks", "start"]
