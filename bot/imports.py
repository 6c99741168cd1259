"""``python -m bot import``: an officer's list from the terminal, with a
progress bar and a summary in the officer's language."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bot.config import load_settings
from handlers.i18n import Catalogs, _
from handlers.importing.service import count_lines, run_import
from handlers.importing.summary import summary_lines
from storage import Database, Vault

LOG_EVERY = 2.0  # seconds between progress lines when stderr is not a terminal


class ProgressBar:
    """One line on stderr: a bar (when the total is known), rows and rows/s."""

    def __init__(self, total: int | None, stream=sys.stderr) -> None:  # type: ignore[no-untyped-def]
        self.total = total
        self.stream = stream
        self.start = time.monotonic()
        self.tty = stream.isatty()
        self.last_line = self.start

    def __call__(self, rows: int) -> None:
        now = time.monotonic()
        elapsed = max(now - self.start, 1e-6)
        rate = rows / elapsed
        if not self.tty:
            # In a log (or a pipe): a plain line every few seconds.
            if now - self.last_line >= LOG_EVERY:
                self.last_line = now
                self.stream.write(f"progress: {rows} rows, {rate:.0f} rows/s\n")
                self.stream.flush()
            return
        if self.total:
            done = min(rows / self.total, 1.0)
            bar = "#" * int(done * 30)
            line = f"\r[{bar:<30}] {rows:>10,} / {self.total:,} rows  {rate:,.0f} rows/s"
        else:
            line = f"\r{rows:>10,} rows  {rate:,.0f} rows/s"
        self.stream.write(line)
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")


async def import_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    t = Catalogs(default=settings.default_locale).get(args.lang or settings.default_locale)
    path: Path = args.file
    if not path.is_file():
        print(t.gettext(_("No such file: {path}"), path=str(path)), file=sys.stderr)
        return 1
    db = Database(settings.database_url, Vault(settings.secret_key))
    bar = ProgressBar(count_lines(path))
    try:
        await db.upgrade()
        summary = await run_import(
            db,
            path,
            args.kind,
            translator=t,
            sheet=args.sheet,
            skip_invalid=args.skip_invalid,
            dry_run=args.dry_run,
            default_commune=args.commune,
            report_path=args.report,
            progress=bar,
        )
    finally:
        bar.finish()
        await db.dispose()
    print("\n".join(summary_lines(summary, t)))
    return (
        0
        if summary.outcome in ("applied", "dry_run")
        and not (summary.outcome == "dry_run" and summary.invalid)
        else 1
    )
