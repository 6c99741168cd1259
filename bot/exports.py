"""``python -m bot export``: the bot's lists back into an officer's Excel or CSV
file, in a form ``python -m bot import`` reads back unchanged."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import load_settings
from handlers.exporting import (
    ExportError,
    ExportSummary,
    check_destination,
    parse_export_period,
    run_export,
)
from handlers.i18n import Catalogs, Translator, _
from storage import Database, Vault


def summary_line(s: ExportSummary, t: Translator) -> str:
    path = str(s.path)
    commune = f"{s.commune.name} ({s.commune.code})" if s.commune else None
    if s.kind == "beneficiaries":
        if not s.rows and commune:
            return t.gettext(
                _("{commune} has no beneficiaries; {path} has only the header row."),
                commune=commune,
                path=path,
            )
        if not s.rows:
            return t.gettext(
                _("There are no beneficiaries; {path} has only the header row."), path=path
            )
        if commune:
            return t.gettext(
                _("Exported {count} beneficiaries of {commune} to {path}."),
                count=s.rows,
                commune=commune,
                path=path,
            )
        return t.gettext(_("Exported {count} beneficiaries to {path}."), count=s.rows, path=path)
    assert s.period is not None
    period = t.period(s.period)
    if not s.rows and commune:
        return t.gettext(
            _("{commune} has no payments for {period}; {path} has only the header row."),
            commune=commune,
            period=period,
            path=path,
        )
    if not s.rows:
        return t.gettext(
            _("There are no payments for {period}; {path} has only the header row."),
            period=period,
            path=path,
        )
    if commune:
        return t.gettext(
            _("Exported {count} payments for {period} of {commune} to {path}."),
            count=s.rows,
            period=period,
            commune=commune,
            path=path,
        )
    return t.gettext(
        _("Exported {count} payments for {period} to {path}."),
        count=s.rows,
        period=period,
        path=path,
    )


def _error(t: Translator, message: str, **params: object) -> int:
    print(t.gettext(message, **params), file=sys.stderr)
    return 1


async def export_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    t = Catalogs(default=settings.default_locale).get(args.lang or settings.default_locale)
    path: Path = args.file
    period: str | None = None
    if args.kind == "bank-changes":
        return await _bank_changes(args, t)
    try:
        if args.kind == "payments":
            if args.period is None:
                return _error(t, _("Please choose the month with --period, e.g. --period 2026-11."))
            period = parse_export_period(args.period)
        elif args.period is not None:
            return _error(t, _("--period is only for a payments export."))
        check_destination(path)
    except ExportError as err:
        return _error(t, err.message, **err.params)
    db = Database(settings.database_url, Vault(settings.secret_key))
    try:
        await db.upgrade()
        summary = await run_export(
            db, path, args.kind, translator=t, period=period, commune=args.commune
        )
    except ExportError as err:
        return _error(t, err.message, **err.params)
    finally:
        await db.dispose()
    print(summary_line(summary, t))
    return 0


async def _bank_changes(args: argparse.Namespace, t: Translator) -> int:
    from handlers.bank_export import export_bank_changes

    settings = load_settings()
    path: Path = args.file
    if args.period is None:
        return _error(t, _("Please choose the month with --period, e.g. --period 2026-11."))
    try:
        period = parse_export_period(args.period)
        check_destination(path)
    except ExportError as err:
        return _error(t, err.message, **err.params)
    db = Database(settings.database_url, Vault(settings.secret_key))
    try:
        await db.upgrade()
        summary = await export_bank_changes(
            db, path, period, t, communes=[args.commune] if args.commune else None
        )
    except ExportError as err:
        return _error(t, err.message, **err.params)
    finally:
        await db.dispose()
    if summary.rows:
        print(
            t.gettext(
                _("Exported {count} approved account changes for {period} to {path}."),
                count=summary.rows,
                period=t.period(period),
                path=str(path),
            )
        )
    else:
        print(
            t.gettext(
                _(
                    "There are no approved account changes for {period}; {path} has only the header row."
                ),
                period=t.period(period),
                path=str(path),
            )
        )
    return 0
