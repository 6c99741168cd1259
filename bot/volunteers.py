"""``python -m bot volunteer ...``: unit invite codes, the list of a
commune's volunteers, and stopping one."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta

from bot.config import ConfigError, load_settings
from handlers.i18n import Catalogs, _
from handlers.officer import new_invite_code
from handlers.officer import pretty_code as pretty_officer_code
from handlers.volunteer import mask_phone, new_volunteer_code, pretty_code
from storage import Database, Vault


async def volunteer_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    db = Database(settings.database_url, Vault(settings.secret_key))
    t = Catalogs(default=settings.default_locale).get(None)
    try:
        await db.upgrade()
        async with db.transaction() as tx:
            commune = await tx.communes.get(args.commune)
        if commune is None:
            print(
                t.gettext(
                    _(
                        "There is no commune {code}; add it first with "
                        "`python -m bot commune add {code} NAME`."
                    ),
                    code=args.commune,
                ),
                file=sys.stderr,
            )
            return 1
        if args.volunteer_command == "invite":
            return await _invite(db, t, args, commune.code, commune.name)
        if args.volunteer_command == "list":
            async with db.transaction() as tx:
                vols = await tx.volunteers.of_communes([commune.code])
            if not vols:
                print(t.gettext(_("No volunteers in {commune} yet."), commune=commune.name))
            for v in vols:
                status = t.gettext(_("active")) if v.active else t.gettext(_("stopped"))
                print(f"{v.user_id:>6}  {v.name}  ({v.unit})  {mask_phone(v.phone)}  {status}")
            return 0
        async with db.transaction() as tx:
            stopped = await tx.volunteers.deactivate(args.volunteer_id, [commune.code])
            if stopped is not None:
                await tx.audit.write(
                    "volunteer_stopped", at=datetime.now(UTC), volunteer=args.volunteer_id
                )
        if stopped is None:
            print(
                t.gettext(
                    _("There is no volunteer {number} in {commune}."),
                    number=args.volunteer_id,
                    commune=commune.name,
                ),
                file=sys.stderr,
            )
            return 1
        print(t.gettext(_("{name} is no longer a volunteer."), name=stopped.name))
        return 0
    finally:
        await db.dispose()


async def _invite(db: Database, t, args: argparse.Namespace, code_: str, name: str) -> int:  # type: ignore[no-untyped-def]
    if not 1 <= args.days <= 90:
        raise ConfigError("--days must be between 1 and 90")
    if not 1 <= args.uses <= 1000:
        raise ConfigError("--uses must be between 1 and 1000")
    unit = " ".join(args.unit.split())
    if not unit:
        raise ConfigError("--unit must name the unit")
    now = datetime.now(UTC)
    code = new_volunteer_code()
    async with db.transaction() as tx:
        await tx.volunteers.create_invite(
            code,
            commune_code=code_,
            unit=unit,
            max_uses=args.uses,
            now=now,
            expires_at=now + timedelta(days=args.days),
        )
        await tx.audit.write("volunteer_invite", at=now, commune=code_)
    until = (now + timedelta(days=args.days)).strftime("%d/%m/%Y")
    print(
        t.gettext(
            _(
                "Volunteer code for {unit} of {commune} ({code}); up to {uses} volunteers, "
                "valid until {date}."
            ),
            unit=unit,
            commune=name,
            code=code_,
            uses=args.uses,
            date=until,
        )
    )
    username = os.environ.get("TELEGRAM_BOT_USERNAME", "").lstrip("@")
    if username:
        print(t.gettext(_("  Telegram link: {link}"), link=f"https://t.me/{username}?start={code}"))
    else:
        print(t.gettext(_("  Telegram: send the bot  /start {code}"), code=code))
    print(t.gettext(_("  Any channel: type the code  {code}"), code=pretty_code(code)))
    return 0


async def demo_codes(db: Database, commune_code: str = "99001") -> tuple[str, str]:
    """A volunteer code and an officer invite for the demo commune, as typed."""
    now = datetime.now(UTC)
    volunteer, officer = new_volunteer_code(), new_invite_code()
    async with db.transaction() as tx:
        await tx.volunteers.create_invite(
            volunteer,
            commune_code=commune_code,
            unit="Chi đoàn thôn Đông",
            max_uses=50,
            now=now,
            expires_at=now + timedelta(days=30),
        )
        await tx.officers.create_invite(
            officer,
            commune_code=commune_code,
            name="Trần Văn Bình",
            now=now,
            expires_at=now + timedelta(days=30),
        )
    return pretty_code(volunteer), pretty_officer_code(officer)
