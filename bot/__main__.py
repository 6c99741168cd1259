"""Command line: ``python -m bot --help``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

from bot.config import ConfigError, Settings, load_settings
from handlers.i18n import Catalogs, _

DEMO_DB = "data/demo.db"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bot",
        description="Social-allowance assistant: citizens check payments, volunteers log visits, "
        "officers manage lists.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "run",
        help="serve every configured channel (the local web chat on http://127.0.0.1:8080 "
        "when no messenger token is set); applies migrations first",
    )
    sub.add_parser(
        "deliver",
        help="only send queued proactive messages (the delivery worker that `run` also "
        "runs), e.g. extra workers on one PostgreSQL database",
    )
    demo = sub.add_parser(
        "demo",
        help="create a fresh demo database with a fictitious commune, print what to try, and serve",
    )
    demo.add_argument(
        "--count", type=int, default=300, help="number of demo beneficiaries (default 300)"
    )
    demo.add_argument(
        "--no-serve",
        action="store_true",
        help="only create the demo database and print the samples",
    )
    imp = sub.add_parser(
        "import",
        help="load a beneficiary or payment list (CSV or XLSX) into the database, all or nothing",
    )
    imp.add_argument("kind", choices=["beneficiaries", "payments"], help="what the file lists")
    imp.add_argument("file", type=Path, help="the .xlsx or .csv file")
    imp.add_argument("--sheet", help="the XLSX sheet to read (default: the first)")
    imp.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid rows even if others have errors",
    )
    imp.add_argument("--dry-run", action="store_true", help="only check the file; change nothing")
    imp.add_argument("--commune", help="commune code for rows that name none")
    imp.add_argument(
        "--lang", choices=["vi", "en"], help="language of the report (default: BOT_DEFAULT_LOCALE)"
    )
    imp.add_argument(
        "--report",
        type=Path,
        help="where to write the row-by-row report (default: FILE.report.csv beside the file)",
    )
    exp = sub.add_parser(
        "export",
        help="write the beneficiary list, or one month's payments, to an XLSX or CSV file "
        "that import reads back unchanged",
    )
    exp.add_argument(
        "kind",
        choices=["beneficiaries", "payments", "bank-changes"],
        help="what to list (bank-changes: accounts approved in the chat that take effect in "
        "--period, for the payment provider)",
    )
    exp.add_argument(
        "file", type=Path, help="the .xlsx or .csv file to write (replaced if it exists)"
    )
    exp.add_argument(
        "--period", help="payments and bank-changes: the month, e.g. 2026-11 or 11/2026"
    )
    exp.add_argument("--commune", help="only this commune (its code)")
    exp.add_argument(
        "--lang",
        choices=["vi", "en"],
        help="language of the headers, the words and the summary (default: BOT_DEFAULT_LOCALE)",
    )
    com = sub.add_parser("commune", help="communes the bot serves")
    comsub = com.add_subparsers(dest="commune_command", required=True, metavar="COMMUNE_COMMAND")
    add = comsub.add_parser(
        "add", help="add or update a commune (code, name, payment day, contact)"
    )
    add.add_argument("code", help="official commune code, e.g. 01654 (Xã Hòa An, Cao Bằng)")
    add.add_argument(
        "name",
        nargs="?",
        help='e.g. "Xã Hòa An"; taken from the official list when left out',
    )
    add.add_argument("--province-code", default="", help="taken from the official list if left out")
    add.add_argument("--province-name", default="", help="taken from the official list if left out")
    add.add_argument("--payment-day", type=int, help="day of the month the commune usually pays")
    add.add_argument("--officer-name", help="social-affairs officer shown to citizens")
    add.add_argument("--officer-phone", help="the office phone shown to citizens")
    sms = comsub.add_parser(
        "sms", help="send a commune's reminders and news by SMS to people with no messenger"
    )
    sms.add_argument("code", help="official commune code")
    sms.add_argument("switch", choices=["on", "off"])
    budget = sms.add_mutually_exclusive_group()
    budget.add_argument(
        "--budget",
        type=int,
        help="SMS segments a month at most (without it the commune's budget stays as it is; "
        "none at first)",
    )
    budget.add_argument(
        "--no-budget", action="store_true", help="take the commune's monthly limit away"
    )
    off = sub.add_parser("officer", help="commune officers")
    offsub = off.add_subparsers(dest="officer_command", required=True, metavar="OFFICER_COMMAND")
    oadd = offsub.add_parser(
        "add", help="print a one-time invite that makes whoever opens it an officer of a commune"
    )
    where = oadd.add_mutually_exclusive_group(required=True)
    where.add_argument("--commune", help="the commune's code (see `commune add`)")
    where.add_argument(
        "--province",
        help="a province code: a province-level user who sees the reports of every commune "
        "of the province and changes nothing",
    )
    oadd.add_argument(
        "--name", required=True, help="the officer's name, as the bot will greet them"
    )
    oadd.add_argument(
        "--days", type=int, default=7, help="how long the invite stays valid (default 7)"
    )
    vol = sub.add_parser("volunteer", help="“1+20” volunteers")
    volsub = vol.add_subparsers(
        dest="volunteer_command", required=True, metavar="VOLUNTEER_COMMAND"
    )
    vinv = volsub.add_parser(
        "invite",
        help="print a code that lets the volunteers of one unit join, up to --uses people",
    )
    vinv.add_argument("--commune", required=True, help="the commune's code (see `commune add`)")
    vinv.add_argument(
        "--unit", required=True, help='the unit, e.g. "Chi đoàn thôn Đông" or a school'
    )
    vinv.add_argument(
        "--uses", type=int, default=30, help="how many volunteers may join with it (default 30)"
    )
    vinv.add_argument(
        "--days", type=int, default=14, help="how long the code stays valid (default 14)"
    )
    vlist = volsub.add_parser("list", help="list a commune's volunteers (phones masked)")
    vlist.add_argument("--commune", required=True, help="the commune's code")
    voff = volsub.add_parser("deactivate", help="stop a volunteer (their recorded visits are kept)")
    voff.add_argument("--commune", required=True, help="the commune's code")
    voff.add_argument(
        "volunteer_id", type=int, help="the volunteer's number, from `volunteer list`"
    )
    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    dbsub.add_parser("upgrade", help="apply the schema migrations (run also does this on start)")
    return p


def _logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL, and Telegram's URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


async def _db_upgrade() -> None:
    from storage import Database, Vault

    settings = load_settings()
    db = Database(settings.database_url, Vault(settings.secret_key))
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    print("database is up to date")


async def _commune_add(args: argparse.Namespace) -> None:
    from storage import Database, Vault

    settings = load_settings()
    t = Catalogs(default=settings.default_locale).get(None)
    if args.payment_day is not None and not 1 <= args.payment_day <= 31:
        raise ConfigError("--payment-day must be between 1 and 31")
    db = Database(settings.database_url, Vault(settings.secret_key))
    try:
        await db.upgrade()
        async with db.transaction() as tx:
            saved, notes = await _save_commune(tx, args, t)
    finally:
        await db.dispose()
    print(t.gettext(_("Commune {code} ({name}) saved."), code=saved.code, name=saved.name))
    for note in notes:
        print(note)


async def _save_commune(tx: Any, args: argparse.Namespace, t: Any) -> tuple[Any, list[str]]:
    """Add or update a commune. What the command does not give keeps what is
    stored, then what the official list says."""
    from handlers.communes import official_communes
    from handlers.text import match_key
    from storage.records import Commune

    code = args.code.strip()
    if code.isdigit() and len(code) < 5:
        code = code.zfill(5)  # as imports read it: Excel drops leading zeros
    official = official_communes().commune(code)
    stored = await tx.communes.get(code)

    def pick(given: Any, field: str, from_list: Any = None) -> Any:
        if given not in (None, ""):
            return given.strip() if isinstance(given, str) else given
        if stored is not None and getattr(stored, field) not in (None, ""):
            return getattr(stored, field)
        return from_list

    name = pick(args.name, "name", official.name if official else None)
    if not name:
        raise ConfigError(
            t.gettext(
                _(
                    "{code} is not a commune code on the official list since 1 July 2025; "
                    "give its name too to add it anyway."
                ),
                code=code,
            )
        )
    province_code = pick(
        args.province_code, "province_code", official.province_code if official else ""
    )
    province_name = pick(
        args.province_name,
        "province_name",
        official.province_name if official else official_communes().province(province_code),
    )
    commune = Commune(
        code=code,
        name=name,
        province_code=province_code or "",
        province_name=province_name or "",
        payment_day=pick(args.payment_day, "payment_day"),
        officer_name=pick(args.officer_name, "officer_name"),
        officer_phone=pick(args.officer_phone, "officer_phone"),
    )
    await tx.communes.upsert(commune)
    notes = []
    if official is None:
        notes.append(
            t.gettext(
                _(
                    "Note: {code} is not on the official list of communes since 1 July 2025; "
                    "check the code."
                ),
                code=code,
            )
        )
    elif match_key(official.name) != match_key(name):
        notes.append(
            t.gettext(
                _("Note: the official list names {code} “{official}”."),
                code=code,
                official=official.name,
            )
        )
    return commune, notes


async def _commune_sms(args: argparse.Namespace) -> int:
    """Turn SMS on or off for a commune and link its people with a phone on
    file and no messenger to SMS (run again after an import to add new ones).
    The monthly budget stays as it is unless ``--budget`` or ``--no-budget``
    is given."""
    from handlers.core import VN_TZ
    from storage import Database, Vault

    if args.budget is not None and args.budget < 0:
        raise ConfigError("--budget cannot be negative")
    settings = load_settings()
    t = Catalogs(default=settings.default_locale).get(None)
    code = args.code.strip()
    on = args.switch == "on"
    if on and not settings.sms_send_url:
        # SMS queued for a gateway the bot does not have would wait forever.
        return _fail(
            t.gettext(
                _(
                    "SMS cannot be turned on: no SMS gateway is set up (SMS_SEND_URL). "
                    "Set up the gateway first; see the README's section on SMS."
                )
            )
        )
    keep = args.budget is None and not args.no_budget
    period = datetime.now(VN_TZ).strftime("%Y-%m")
    db = Database(settings.database_url, Vault(settings.secret_key))
    try:
        await db.upgrade()
        async with db.transaction() as tx:
            if not await tx.sms.configure(code, on, args.budget, keep_budget=keep):
                return _fail(t.gettext(_("There is no commune {code}."), code=code))
            cancelled = 0 if on else await tx.sms.cancel_queued(code)
            reachable = await tx.sms.sync_links(code, on, settings.default_locale)
            stored = await tx.sms.settings(code)
            used = await tx.sms.used(code, period)
    finally:
        await db.dispose()
    if on:
        print(
            t.gettext(
                _("SMS for commune {code} is on; people reachable by SMS: {count}."),
                code=code,
                count=reachable,
            )
        )
    else:
        print(
            t.gettext(
                _("SMS for commune {code} is off; SMS still waiting that were cancelled: {count}."),
                code=code,
                count=cancelled,
            )
        )
    budget = stored.budget if stored is not None else None
    if budget is None:
        print(t.gettext(_("Monthly SMS budget: no limit; used this month: {used}."), used=used))
    else:
        print(
            t.gettext(
                _("Monthly SMS budget: {budget} SMS; used this month: {used}."),
                budget=budget,
                used=used,
            )
        )
    return 0


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


async def _officer_add(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from handlers.officer import new_invite_code, pretty_code
    from storage import Database, Vault

    if not 1 <= args.days <= 90:
        raise ConfigError("--days must be between 1 and 90")
    settings = load_settings()
    db = Database(settings.database_url, Vault(settings.secret_key))
    t = Catalogs(default=settings.default_locale).get(None)
    now = datetime.now(UTC)
    until = (now + timedelta(days=args.days)).strftime("%d/%m/%Y")
    code = new_invite_code()
    try:
        await db.upgrade()
        async with db.transaction() as tx:
            if args.province:
                communes = await tx.reports.communes_of_province(args.province)
                if not communes:
                    return _fail(
                        t.gettext(
                            _(
                                "No commune of province {code} is known yet; add its communes "
                                "first with `python -m bot commune add CODE NAME --province-code {code}`."
                            ),
                            code=args.province,
                        )
                    )
                await tx.officers.create_invite(
                    code,
                    province_code=args.province,
                    name=args.name,
                    now=now,
                    expires_at=now + timedelta(days=args.days),
                )
                headline = t.gettext(
                    _(
                        "Invite for {name}, province user of {province} ({code}, {count} "
                        "communes: sees reports, changes nothing); one use, valid until {date}."
                    ),
                    name=args.name,
                    province=communes[0].province_name or args.province,
                    code=args.province,
                    count=len(communes),
                    date=until,
                )
            else:
                commune = await tx.communes.get(args.commune)
                if commune is None:
                    return _fail(
                        t.gettext(
                            _(
                                "There is no commune {code}; add it first with "
                                "`python -m bot commune add {code} NAME`."
                            ),
                            code=args.commune,
                        )
                    )
                await tx.officers.create_invite(
                    code,
                    commune_code=commune.code,
                    name=args.name,
                    now=now,
                    expires_at=now + timedelta(days=args.days),
                )
                headline = t.gettext(
                    _(
                        "Invite for {name}, officer of {commune} ({code}); one use, valid "
                        "until {date}."
                    ),
                    name=args.name,
                    commune=commune.name,
                    code=commune.code,
                    date=until,
                )
    finally:
        await db.dispose()
    username = os.environ.get("TELEGRAM_BOT_USERNAME", "").lstrip("@")
    print(headline)
    if username:
        print(t.gettext(_("  Telegram link: {link}"), link=f"https://t.me/{username}?start={code}"))
    else:
        print(t.gettext(_("  Telegram: send the bot  /start {code}"), code=code))
    print(t.gettext(_("  Any channel: type the code  {code}"), code=pretty_code(code)))
    return 0


async def _demo(count: int, serve_after: bool) -> None:
    from bot.app import serve
    from bot.demo import seed_demo
    from storage import Database, Vault

    demo_file = Path(os.environ.get("BOT_DATA_DIR", "data")) / "demo.db"
    url = os.environ.get("BOT_DEMO_DATABASE_URL") or f"sqlite+aiosqlite:///{demo_file}"
    if url == f"sqlite+aiosqlite:///{demo_file}":
        for suffix in ("", "-wal", "-shm"):  # a fresh demo every time
            Path(f"{demo_file}{suffix}").unlink(missing_ok=True)
    settings = load_settings(database_url=url)
    db = Database(url, Vault(settings.secret_key))
    try:
        await db.upgrade()
        async with db.transaction() as tx:
            existing = await tx.beneficiaries.count()
        if existing:
            # Never mix fictitious people into a database that holds real ones.
            raise SystemExit(
                f"demo: {url} already holds {existing} beneficiaries; "
                "point BOT_DEMO_DATABASE_URL at an empty database"
            )
        samples = await seed_demo(db, count=count)
        from bot.volunteers import demo_codes

        volunteer_code, officer_code = await demo_codes(db)
    finally:
        await db.dispose()
    lines = [
        "",
        f"Demo database ready ({count} fictitious beneficiaries, 6 months of payments): {url}",
        "",
        "Try it: open the web chat, tap “Kiểm tra tiền trợ cấp” (check my allowance),",
        "choose whom you ask for, then type one of these citizen IDs and its date of birth:",
        "",
        f"  {'this month':<18} {'citizen ID':<14} date of birth",
    ]
    for s in samples:
        lines.append(f"  {s.label:<18} {s.national_id:<14} {s.born:%d/%m/%Y}   ({s.name})")
    lines += [
        "",
        "Also try: a wrong date five times (the check pauses), “tien thang nay ve chua” typed",
        "without diacritics, the language button, and “👪 People I ask for” → “Forget me”.",
        "",
        f"As a “1+20” volunteer: in another browser (or a private window) type {volunteer_code},",
        "agree, give a name and a phone number, then “📝 Ghi lần thăm hộ” (log a visit).",
        f"As the commune officer: in a third browser type {officer_code}, then",
        "“📊 Báo cáo tình nguyện viên” (volunteer report), the Excel file and the chart,",
        "“📊 Báo cáo” (non-cash rate, trend chart, people left behind), “📣 Gửi thông báo”",
        "(broadcasts), and /requests for the bank accounts citizens registered.",
        "",
        "Commands such as `officer add` or `import` act on this demo database when",
        f"BOT_DATABASE_URL={url} is set; with it, `python -m bot run` serves the demo",
        "again without recreating it.",
        "",
    ]
    print("\n".join(lines), flush=True)
    if serve_after:
        await serve(settings, banner=_banner(settings))


def _banner(settings: Settings) -> str:
    host = "127.0.0.1" if settings.web_host in ("0.0.0.0", "::") else settings.web_host
    return f"Web chat: http://{host}:{{port}}/  (Ctrl+C to stop)"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if Path(".env").exists():
        load_dotenv(".env", override=False)  # before anything reads the environment
    _logging(os.environ.get("BOT_LOG_LEVEL", "INFO"))
    try:
        if args.command == "run":
            from bot.app import serve

            settings = load_settings()
            asyncio.run(serve(settings, banner=_banner(settings) if settings.web_enabled else None))
        elif args.command == "deliver":
            from bot.app import deliver_only

            asyncio.run(deliver_only(load_settings()))
        elif args.command == "demo":
            asyncio.run(_demo(args.count, not args.no_serve))
        elif args.command == "import":
            from bot.imports import import_command

            return asyncio.run(import_command(args))
        elif args.command == "export":
            from bot.exports import export_command

            return asyncio.run(export_command(args))
        elif args.command == "officer":
            return asyncio.run(_officer_add(args))
        elif args.command == "volunteer":
            from bot.volunteers import volunteer_command

            return asyncio.run(volunteer_command(args))
        elif args.command == "commune" and args.commune_command == "sms":
            return asyncio.run(_commune_sms(args))
        elif args.command == "commune":
            asyncio.run(_commune_add(args))
        elif args.command == "db" and args.db_command == "upgrade":
            asyncio.run(_db_upgrade())
    except KeyboardInterrupt:
        pass
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
