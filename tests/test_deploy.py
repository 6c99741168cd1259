"""What deploy/ and the README's Deployment section promise: the example env
file lists every setting with its default, the unit file runs the real
command, and the documented backups give a copy that opens with everything."""

from __future__ import annotations

import re
import shlex
import sqlite3
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from dotenv import dotenv_values
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import load_settings
from storage import Database, Vault
from tests.conftest import PG_URL, TEST_SECRET, seed

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
README = (ROOT / "README.md").read_text(encoding="utf-8")

# How the code reads a setting: e("X"), _int("X", ...), os.environ.get("X"), ...
READ = re.compile(
    r"""(?:\be|_int|_float|_bool\(e|os\.environ\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def settings_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]:
        names |= set(READ.findall(path.read_text(encoding="utf-8")))
    return names


def test_the_example_env_lists_every_setting_the_code_reads():
    names = settings_read_by_the_code()
    # The scan itself finds the settings (it would pass on nothing otherwise).
    assert {"BOT_DATABASE_URL", "BOT_SECRET_KEY", "TELEGRAM_BOT_USERNAME", "BOT_DATA_DIR"} <= names
    listed = set(dotenv_values(DEPLOY / "example.env"))
    assert names - listed == set(), "missing from deploy/example.env"
    assert listed - names == set(), "deploy/example.env lists settings nothing reads"
    # And every one is documented in the README's Settings table.
    undocumented = {n for n in names if f"`{n}`" not in README}
    assert undocumented == set()


def test_the_example_env_holds_the_defaults(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    values = dotenv_values(DEPLOY / "example.env")
    for name in values:
        monkeypatch.delenv(name, raising=False)
    defaults = load_settings(env_file=None, secret_key=TEST_SECRET)
    for name, value in values.items():
        monkeypatch.setenv(name, value or "")
    from_file = load_settings(env_file=None, secret_key=TEST_SECRET)
    assert asdict(from_file) == asdict(defaults)


def test_the_unit_file_runs_the_bot_with_the_env_file():
    unit = (DEPLOY / "allowance-bot.service").read_text(encoding="utf-8")
    lines = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")
    )
    assert lines["ExecStart"].endswith(" -m bot run")
    assert lines["EnvironmentFile"] == "/etc/allowance-bot/env"
    assert lines["WorkingDirectory"] in lines["ReadWritePaths"].split()
    assert lines["Restart"] == "on-failure"
    # The nginx example proxies the webhook paths the channels listen on.
    from bot.channels.sms import INBOUND_PATH as SMS_HOOK
    from bot.channels.telegram import WEBHOOK_PATH as TELEGRAM_HOOK
    from bot.channels.zalo import WEBHOOK_PATH as ZALO_HOOK

    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert f"location = {TELEGRAM_HOOK} " in nginx and f"location = {ZALO_HOOK} " in nginx
    assert f"location = {SMS_HOOK} " in nginx  # incoming SMS from the gateway


def documented(prefix: str) -> str:
    """The README's command line that starts with ``prefix``."""
    found = [line for line in README.splitlines() if line.startswith(prefix)]
    assert len(found) == 1, prefix
    return found[0]


async def test_the_documented_sqlite_backups_copy_a_live_database(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "backup").mkdir()
    live = Database(f"sqlite+aiosqlite:///{tmp_path}/data/bot.db", Vault(TEST_SECRET))
    await live.upgrade()
    try:
        await seed(live)
        # A change still in the write-ahead log (the bot is running).
        async with live.transaction() as tx:
            await tx.users.get_or_create("web", "written-just-now", "vi")
        assert (tmp_path / "data" / "bot.db-wal").stat().st_size > 0
        copy = tmp_path / "backup" / "bot-copy.db"
        for line in (documented("sqlite3 data/bot.db"), documented('python3 -c "import sqlite3')):
            argv = shlex.split(line)
            if argv[0] == "python3":
                argv[0] = sys.executable
            subprocess.run(argv, cwd=tmp_path, check=True, timeout=60)
            restored = sqlite3.connect(copy)
            try:
                assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                assert restored.execute(
                    "SELECT count(*) FROM users WHERE external_id = 'written-just-now'"
                ).fetchone() == (1,)
                assert restored.execute("SELECT count(*) FROM beneficiaries").fetchone() == (2,)
            finally:
                restored.close()
            # Restoring is using the copy: the bot opens it and finds the people.
            again = Database(f"sqlite+aiosqlite:///{copy}", Vault(TEST_SECRET))
            await again.upgrade()
            async with again.transaction() as tx:
                user, created = await tx.users.get_or_create("web", "written-just-now", "vi")
            assert created is False
            await again.dispose()
            copy.unlink()
    finally:
        await live.dispose()


async def test_the_documented_pg_dump_and_restore(db, tmp_path):
    """On PostgreSQL: the README's pg_dump / createdb / pg_restore lines, aimed
    at the test database and a second one, give the same data."""
    if db.is_sqlite:
        await seed(db)
        return
    assert PG_URL is not None
    await seed(db)
    source = make_url(PG_URL)
    target_name = f"{source.database}_restore"
    libpq = source.set(drivername="postgresql")
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{target_name}"'))
    (tmp_path / "backup").mkdir()
    swaps = {
        "postgresql://allowance@127.0.0.1:5432/allowance": libpq.render_as_string(False),
        "postgresql://postgres@127.0.0.1:5432/allowance_restored": libpq.set(
            database=target_name
        ).render_as_string(False),
        "-h 127.0.0.1 -U postgres allowance_restored": (
            f"-h {source.host} -p {source.port or 5432} -U {source.username} {target_name}"
        ),
    }
    try:
        for prefix in ("pg_dump ", "createdb ", "pg_restore "):
            line = documented(prefix)
            for doc, real in swaps.items():
                line = line.replace(doc, real)
            subprocess.run(shlex.split(line), cwd=tmp_path, check=True, timeout=120)
        restored = Database(
            str(source.set(database=target_name).render_as_string(False)), Vault(TEST_SECRET)
        )
        await restored.upgrade()
        async with restored.transaction() as tx:
            beneficiaries = (
                await tx.session.execute(text("SELECT count(*) FROM beneficiaries"))
            ).scalar()
        await restored.dispose()
        assert beneficiaries == 2
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{target_name}"'))
        await admin.dispose()
