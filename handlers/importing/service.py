"""Importing an officer's list into the database, all or nothing.

One pass over the file: rows are validated as they stream by, valid ones are
written in batches inside a single transaction, and every problem goes to a
row-by-row report (CSV, written as it goes). At the end the transaction is
committed only when the import should apply: not a dry run, and either no row
had a problem or ``skip_invalid`` was asked for. Memory stays flat whatever the
file's length, apart from one small integer per row to catch repeated IDs.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Literal

from handlers.communes import commune_key, official_communes
from handlers.i18n import Catalogs, Translator, _
from handlers.ids import mask_id
from handlers.importing.reader import ImportFileError, open_table
from handlers.importing.validate import (
    BeneficiaryRow,
    PaymentRow,
    RowError,
    iter_validated,
    shown,
)
from handlers.text import match_key
from storage import Database
from storage.records import Commune, ImportCounts, NewBeneficiary, PaymentImport

Kind = Literal["beneficiaries", "payments"]
BATCH = 1000

MSG_UNKNOWN_COMMUNE = _("The commune {commune} is not in the bot's list of communes.")
MSG_NOT_OFFICIAL = _(
    "{commune} is not a commune code on the official list since 1 July 2025, "
    "nor one of the bot's communes."
)
MSG_NOT_SERVED = _(
    "{commune} ({code}, {province}) is not one of the bot's communes yet; "
    "the bot's administrator adds it with: python -m bot commune add {code}"
)
MSG_AMBIGUOUS_COMMUNE = _(
    "Several communes are called {commune} ({codes}); write the commune code, "
    "or the name with its province after a comma."
)
MSG_NO_COMMUNE = _("This row names no commune; add a commune code column or choose the commune.")
MSG_REPEATED = _("This citizen ID is already in row {row} of this file.")
MSG_REPEATED_PAYMENT = _("This citizen ID already has a payment for this period in row {row}.")
MSG_NOT_YOURS = _("This row is for {commune}, which is not one of your communes.")
MSG_NOT_A_BENEFICIARY = _(
    "No one with this citizen ID is on the beneficiary list; import the beneficiary list first."
)
MSG_TOO_LONG = _("This text is too long ({length} characters); it can have at most {limit}.")
# Column sizes in the database (storage/models.py): longer text is a row error.
TEXT_LIMITS = {"full_name": 200, "village": 200, "bank": 100, "account_name": 200, "commune": 200}
REPORT_HEADERS = (_("Row"), _("Column"), _("Value"), _("Reason"))
_CODE = re.compile(r"\d{5}")


class _Rollback(Exception):
    """Leave the transaction without committing anything."""


@dataclass
class ImportSummary:
    kind: Kind
    path: Path
    outcome: str = "applied"  # applied / dry_run / rejected / file_error
    rows: int = 0
    invalid: int = 0
    counts: ImportCounts = field(default_factory=ImportCounts)
    unknown_columns: list[str] = field(default_factory=list)
    report_path: Path | None = None
    file_error: str | None = None  # translated
    import_id: int | None = None
    # "Your allowance has arrived" messages queued (payments imports).
    notified: int = 0

    @property
    def valid(self) -> int:
        return self.rows - self.invalid


class _Communes:
    """Resolves a commune written in a list (its code, or an unambiguous name): first
    among the communes the bot serves, then on the official list, to say precisely
    what is wrong when it is not one the bot serves."""

    def __init__(self, communes: list[Commune]) -> None:
        self.codes = {c.code: c for c in communes}
        self.by_name: dict[str, list[str]] = {}
        for c in communes:
            for key in {commune_key(c.name), match_key(c.name)}:
                self.by_name.setdefault(key, []).append(c.code)

    def label(self, code: str) -> str:
        """The commune as officers know it, with its code: two communes may share a name."""
        commune = self.codes.get(code)
        return f"{commune.name} ({code})" if commune else code

    def resolve(
        self, code: str | None, name: str | None, default: str | None
    ) -> tuple[str | None, str, dict[str, object]]:
        """(the served commune's code, "", {}) or (None, a message, its parameters)."""
        for candidate in (code, name):
            if not candidate:
                continue
            if candidate in self.codes:
                return candidate, "", {}
            found = set(
                self.by_name.get(match_key(candidate))
                or self.by_name.get(commune_key(candidate))
                or []
            )
            if len(found) == 1:
                return found.pop(), "", {}
            if len(found) > 1:
                return (
                    None,
                    MSG_AMBIGUOUS_COMMUNE,
                    {
                        "commune": candidate,
                        "codes": ", ".join(sorted(found)),
                    },
                )
            return self._official(candidate)
        if default:
            return default, "", {}
        return None, MSG_NO_COMMUNE, {}

    def _official(self, written: str) -> tuple[str | None, str, dict[str, object]]:
        snapshot = official_communes()
        if _CODE.fullmatch(written):
            official = snapshot.commune(written)
            if official is None:
                return None, MSG_NOT_OFFICIAL, {"commune": written}
            found = [official]
        else:
            found = snapshot.find(written)
        served = [c for c in found if c.code in self.codes]
        if len(served) == 1 and (len(found) == 1 or "," in written or " - " in written):
            return served[0].code, "", {}  # e.g. "Xã Tân Phú, Đồng Nai"
        if len(found) == 1:
            c = found[0]
            params: dict[str, object] = {
                "commune": c.name,
                "code": c.code,
                "province": c.province_name,
            }
            return None, MSG_NOT_SERVED, params
        if len(found) > 1:
            return (
                None,
                MSG_AMBIGUOUS_COMMUNE,
                {
                    "commune": written,
                    "codes": ", ".join(c.code for c in found[:6])
                    + (", …" if len(found) > 6 else ""),
                },
            )
        return None, MSG_UNKNOWN_COMMUNE, {"commune": written}


class _Report:
    """The row-by-row report, written as problems are found."""

    def __init__(self, path: Path | None, t: Translator) -> None:
        self.path = path
        self.t = t
        self._fh: IO[str] | None = None
        self._writer: csv.writer | None = None  # type: ignore[valid-type]

    def add(self, error: RowError) -> None:
        if self.path is None:
            return
        if self._writer is None:
            self._fh = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._fh)
            self._writer.writerow([self.t.gettext(h) for h in REPORT_HEADERS])
        self._writer.writerow(
            [error.row, error.column, error.value, self.t.gettext(error.message, **error.params)]
        )

    def close(self) -> bool:
        """True when a report was written."""
        if self._fh is not None:
            self._fh.close()
            return True
        return False


def default_report_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.report.csv")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def count_lines(path: Path) -> int | None:
    """Rows in a CSV file, for the progress bar (None for XLSX)."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(b"PK"):
            return None
        fh.seek(0)
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


@contextmanager
def _closing(report: _Report) -> Iterator[_Report]:
    try:
        yield report
    finally:
        report.close()


async def run_import(
    db: Database,
    path: Path,
    kind: Kind,
    *,
    translator: Translator,
    sheet: str | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    default_commune: str | None = None,
    report_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
    clock: Callable[[], datetime] | None = None,
    allowed_communes: set[str] | None = None,
    catalogs: Catalogs | None = None,
) -> ImportSummary:
    """Import ``path`` (CSV or XLSX) as ``kind``; see the module docstring.

    A payments import also queues, in its own transaction, a message to
    everyone linked to a beneficiary whose payment became paid, failed or
    returned (:mod:`handlers.payment_news`; ``catalogs`` words them)."""
    now = (clock or (lambda: datetime.now(UTC)))()
    summary = ImportSummary(kind=kind, path=path)
    report_path = report_path or default_report_path(path)
    if report_path.exists():
        report_path.unlink()  # an old report would describe another file
    report = _Report(report_path, translator)
    try:
        with _closing(report):
            async with db.transaction() as tx:
                # The import's own row first, so status events can point at it.
                summary.import_id = await tx.imports.record(
                    kind=kind,
                    filename=path.name,
                    sha256=_sha256(path),
                    outcome="applied",
                    rows=0,
                    invalid=0,
                    counts=summary.counts,
                    at=now,
                )
                await _apply(
                    tx, path, kind, summary, report, sheet, default_commune, progress, now,
                    allowed_communes,
                )  # fmt: skip
                if dry_run:
                    summary.outcome = "dry_run"
                elif summary.invalid and not skip_invalid:
                    summary.outcome = "rejected"
                if summary.outcome != "applied":
                    raise _Rollback
                if kind == "beneficiaries":
                    # A phone that changed stops getting SMS about the person
                    # now, before any news of this or a later import.
                    for code in await tx.sms.enabled_communes():
                        await tx.sms.sync_links(
                            code, True, catalogs.default if catalogs else translator.locale
                        )
                if kind == "payments":
                    # Imported here: payment news words messages as the
                    # citizen's conversation does, which imports this module.
                    from handlers.payment_news import queue_payment_news

                    summary.notified = await queue_payment_news(
                        tx, catalogs or Catalogs(default=translator.locale), summary.import_id, now
                    )
                await tx.imports.finish(
                    summary.import_id,
                    rows=summary.rows,
                    invalid=summary.invalid,
                    counts=summary.counts,
                )
    except _Rollback:
        summary.import_id = None
    except ImportFileError as err:
        summary.import_id = None
        summary.outcome = "file_error"
        summary.file_error = translator.gettext(err.message, **err.params)
    summary.report_path = report_path if report_path.exists() else None
    if summary.outcome != "applied":
        async with db.transaction() as tx:  # what was tried stays on record
            summary.import_id = await tx.imports.record(
                kind=kind,
                filename=path.name,
                sha256=_sha256(path),
                outcome=summary.outcome,
                rows=summary.rows,
                invalid=summary.invalid,
                counts=summary.counts,
                at=now,
            )
    return summary


async def _apply(  # type: ignore[no-untyped-def]
    tx,
    path: Path,
    kind: Kind,
    summary: ImportSummary,
    report: _Report,
    sheet: str | None,
    default_commune: str | None,
    progress: Callable[[int], None] | None,
    now: datetime,
    allowed: set[str] | None = None,
) -> None:
    """``allowed``: the communes an officer may import for (None: any)."""
    communes = _Communes(await tx.imports.communes())
    seen: dict[int, int] = {}  # short hash of the row's key -> first file row
    bad_rows: set[int] = set()
    ben_batch: list[NewBeneficiary] = []
    pay_batch: list[tuple[int, PaymentImport]] = []
    id_column = ""

    def problem(error: RowError) -> None:
        if error.row not in bad_rows:
            bad_rows.add(error.row)
            summary.invalid += 1
        report.add(error)

    async def flush() -> None:
        if ben_batch:
            await tx.imports.upsert_beneficiaries(ben_batch, now, summary.counts)
            ben_batch.clear()
        if pay_batch:
            rows = {r: p for r, p in pay_batch}
            unknown, foreign = await tx.imports.upsert_payments(
                pay_batch, now, summary.import_id, summary.counts, allowed=allowed
            )
            for r in unknown:
                problem(
                    RowError(
                        r, id_column, shown(rows[r].national_id, mask_id), MSG_NOT_A_BENEFICIARY
                    )
                )
            for r, code in foreign:
                masked = shown(rows[r].national_id, mask_id)
                problem(
                    RowError(r, id_column, masked, MSG_NOT_YOURS, {"commune": communes.label(code)})
                )
            pay_batch.clear()

    with open_table(path, sheet=sheet, kind=kind) as table:
        summary.unknown_columns = list(table.unknown)
        columns = table.columns
        headers = {name: table.headers[i] for i, name in columns.items()}
        id_column = headers.get("national_id", "national_id")
        for number, record, errors in iter_validated(table, kind):
            summary.rows += 1
            if progress and summary.rows % 1000 == 0:
                progress(summary.rows)
            for error in errors:
                problem(error)
            if record is None:
                continue
            too_long = [
                (name, text)
                for name, limit in TEXT_LIMITS.items()
                if isinstance(text := getattr(record, name, None), str) and len(text) > limit
            ]
            for name, text in too_long:
                problem(
                    RowError(
                        number,
                        headers.get(name, name),
                        text[:40] + "…",
                        MSG_TOO_LONG,
                        {"length": len(text), "limit": TEXT_LIMITS[name]},
                    )
                )
            if too_long:
                continue
            key_text = record.national_id + (
                f"/{record.period}" if isinstance(record, PaymentRow) else ""
            )
            key = int.from_bytes(hashlib.blake2b(key_text.encode(), digest_size=8).digest(), "big")
            if key in seen:
                message = MSG_REPEATED_PAYMENT if isinstance(record, PaymentRow) else MSG_REPEATED
                problem(
                    RowError(
                        number,
                        id_column,
                        shown(record.national_id, mask_id),
                        message,
                        {"row": seen[key]},
                    )
                )
                continue
            seen[key] = number
            if isinstance(record, BeneficiaryRow):
                code, why, params = communes.resolve(
                    record.commune, record.commune_name, default_commune
                )
                if code is None:
                    problem(
                        RowError(
                            number,
                            _commune_column(headers, record),
                            record.commune or record.commune_name or "",
                            why,
                            params,
                        )
                    )
                    continue
                if allowed is not None and code not in allowed:
                    problem(
                        RowError(
                            number,
                            _commune_column(headers, record),
                            record.commune or record.commune_name or code,
                            MSG_NOT_YOURS,
                            {"commune": communes.label(code)},
                        )
                    )
                    continue
                ben_batch.append(_beneficiary(record, code))
            else:
                pay_batch.append((number, _payment(record)))
            if len(ben_batch) + len(pay_batch) >= BATCH:
                await flush()
        await flush()
    if progress:
        progress(summary.rows)


def _commune_column(headers: dict[str, str], record: BeneficiaryRow) -> str:
    """The header of the column the row's commune was read from."""
    if record.commune_name and (record.commune is None or record.commune == record.commune_name):
        return headers.get("commune_name", headers.get("commune", ""))
    return headers.get("commune", headers.get("commune_name", ""))


def _beneficiary(row: BeneficiaryRow, commune_code: str) -> NewBeneficiary:
    return NewBeneficiary(
        national_id=row.national_id,
        full_name=row.full_name,
        date_of_birth=row.date_of_birth,
        commune_code=commune_code,
        village=row.village,
        category=row.category,
        monthly_amount=row.monthly_amount,
        payment_method=row.payment_method,
        bank_name=row.bank,
        account_number=row.account_number,
        phone=row.phone,
        relative_phone=row.relative_phone,
        account_name=row.account_name,
        health_insurance_number=row.health_insurance_number,
        health_insurance_expiry=row.health_insurance_expiry,
    )


def _payment(row: PaymentRow) -> PaymentImport:
    return PaymentImport(
        national_id=row.national_id,
        period=row.period,
        amount=row.amount,
        status=row.status,
        paid_on=row.paid_on,
        method=row.method,
        note=row.note,
        bank_name=row.bank,
        account_number=row.account_number,
    )
