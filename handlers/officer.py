"""Commune officers in the chat: joining by invite code, and sending the
commune's lists as files to be imported.

An invite code looks like ``CB-7K4M-9P2Q``: "CB" and eight characters from
an alphabet without look-alikes (no 0/O, 1/I/L). It arrives as a Telegram deep
link (``/start CB7K4M9P2Q``) or typed on any channel, with or without the
dashes, in any case. Only its keyed hash is stored.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from dataclasses import replace
from pathlib import Path

from handlers.core import Context
from handlers.i18n import _
from handlers.importing.columns import map_headers
from handlers.importing.reader import ImportFileError, open_table
from handlers.importing.service import ImportSummary, Kind, run_import
from handlers.importing.summary import summary_lines
from handlers.types import Attachment, FileUpload, Reply

log = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MAX_UPLOAD = 10 * 1024 * 1024  # bytes; a commune's list is far smaller


def new_invite_code() -> str:
    """A fresh code, canonical form "CB" + 8 characters."""
    return "CB" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def pretty_code(code: str) -> str:
    return f"{code[:2]}-{code[2:6]}-{code[6:]}"


def parse_invite_code(text: str) -> str | None:
    """The canonical code in what someone typed, or None."""
    compact = "".join(ch for ch in text.upper() if ch not in " -_.")
    if len(compact) == 10 and compact.startswith("CB") and set(compact[2:]) <= set(CODE_ALPHABET):
        return compact
    return None


async def redeem_invite(ctx: Context, code: str) -> None:
    from handlers.citizen import show_menu  # the menu is the citizen's; avoid a cycle

    outcome, commune, name = await ctx.tx.officers.redeem(code, ctx.user.id, ctx.now)
    if outcome == "ok" and commune is not None:
        # The menu below is already an officer's.
        ctx.user = replace(ctx.user, role="officer")
        await ctx.tx.audit.write(
            "officer_joined", user_id=ctx.user.id, at=ctx.now, commune=commune.code
        )
        show_menu(
            ctx,
            ctx._(
                "Welcome, {name}! You are now an officer of {commune} in this bot. To load the "
                "commune's lists, send the Excel or CSV file here as a document: the beneficiary "
                "list first, then the payment list of each month.",
                name=name,
                commune=commune.name,
            ),
        )
        return
    if outcome == "used":
        text = ctx._("This invite code has already been used. Please ask for a new one.")
    elif outcome == "expired":
        text = ctx._("This invite code has expired. Please ask for a new one.")
    else:
        text = ctx._("This invite code is not valid. Please check it and type it again.")
    show_menu(ctx, text)


async def receive_file(ctx: Context, upload: FileUpload) -> None:
    from handlers.citizen import show_menu

    communes = await ctx.tx.officers.communes_of(ctx.user.id)
    if not communes:
        show_menu(
            ctx,
            ctx._(
                "Only commune officers can send lists to the bot. If you are one, please open "
                "the invite link or type the invite code you were given."
            ),
        )
        return
    if upload.too_large or len(upload.data) > MAX_UPLOAD:
        show_menu(
            ctx,
            ctx._(
                "This file is larger than {size} MB. Please send the list in smaller files.",
                size=10,
            ),
        )
        return
    ctx.say(ctx._("Received {file}. Checking and importing it now…", file=upload.filename))
    allowed = {c.code for c in communes}
    default = communes[0].code if len(communes) == 1 else None
    user_id = ctx.user.id
    t = ctx.t
    db = ctx.db

    async def work() -> list[Reply]:
        # After the message's own transaction: the import is its own unit of
        # work, all or nothing.
        try:
            return await _import_upload(db, t, upload, allowed, default, user_id)
        except Exception:
            log.exception("an officer's import failed")
            return [
                Reply(t.gettext(_("Sorry, the file could not be imported. Nothing was changed.")))
            ]

    ctx.after_commit.append(work)
    ctx.goto("menu")


async def _import_upload(
    db, t, upload: FileUpload, allowed: set[str], default: str | None, user_id: int
) -> list[Reply]:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory(prefix="import-") as folder:
        suffix = Path(upload.filename).suffix.lower()
        path = Path(folder) / f"list{suffix if suffix in ('.csv', '.xlsx') else ''}"
        path.write_bytes(upload.data)
        kind = _guess_kind(path)
        if kind is None:
            return [
                Reply(
                    t.gettext(
                        _(
                            "This looks like a payment list, but it has no column for the month "
                            "(Kỳ). Please add a column “Kỳ” with the month, e.g. 11/2026, and "
                            "send the file again. Nothing was changed."
                        )
                    )
                )
            ]
        summary: ImportSummary = await run_import(
            db,
            path,
            kind,
            translator=t,
            default_commune=default,
            allowed_communes=allowed,
            report_path=Path(folder) / "report.csv",
        )
        summary.path = Path(upload.filename)
        lines = summary_lines(summary, t, chat=True)
        # The report's path is a temporary file here: it is sent instead.
        report = summary.report_path
        text_lines = [line for line in lines if report is None or str(report) not in line]
        reply = Reply("\n".join(text_lines))
        if report is not None:
            name = f"{Path(upload.filename).stem}.report.csv"
            reply.attachments.append(Attachment("document", name, report.read_bytes(), "text/csv"))
        async with db.transaction() as tx:
            await tx.audit.write(
                "import", user_id=user_id, kind=kind, outcome=summary.outcome, rows=summary.rows
            )
        return [reply]


def _guess_kind(path: Path) -> Kind | None:
    """A payment list has a period and a status; a list with payment columns but
    no period (the month only in the title) is neither: None."""
    try:
        with open_table(path, kind="payments"):
            return "payments"
    except ImportFileError:
        pass
    try:
        with open_table(path, kind="beneficiaries") as table:
            as_payments = set(map_headers(table.headers, "payments")[0].values())
    except ImportFileError:
        return "beneficiaries"  # the import will say what is wrong with the file
    if as_payments & {"status", "paid_on"}:
        return None
    return "beneficiaries"
