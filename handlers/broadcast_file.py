"""A broadcast's audience from a file: a column of citizen IDs or phone numbers.

The file is an XLSX or CSV list (read with :mod:`handlers.importing.reader`);
its header row, if any, names the column ("Số CCCD", "SĐT", "Số điện thoại",
... as in the import lists). Without a header, the first cell of each row is
read as an ID or a phone number. IDs and phones are normalised with the
importer's cell parsers, matched by their keyed hash against the officer's
commune only, and never echoed in full: a row that cannot be read is shown
masked.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from handlers.core import Context
from handlers.i18n import _
from handlers.importing.cells import CellError, parse_national_id, parse_phone
from handlers.importing.columns import field_of
from handlers.importing.reader import ImportFileError, header_text, open_rows
from handlers.importing.validate import mask_tail
from handlers.officer import MAX_UPLOAD
from handlers.types import FileUpload

MAX_ROWS = 20_000
SHOWN_PROBLEMS = 5

MSG_FILE_READ = _(
    "Read {rows} rows of {file}: {found} people of the commune found, {missing} not on the "
    "commune's list, {bad} rows could not be read."
)
MSG_FILE_BAD_ROW = _("Row {row}: “{value}” is not a citizen ID (12 digits) or a mobile number.")
MSG_FILE_NOBODY = _(
    "No one in {file} is on the commune's list. Please check the file, or choose another audience."
)
MSG_FILE_TOO_BIG = _("This file is larger than {size} MB. Please send a shorter list.")
MSG_FILE_UNREADABLE = _("The file {file} cannot be read: {reason}")

_ID_FIELDS = {"national_id"}
_PHONE_FIELDS = {"phone", "relative_phone"}


@dataclass
class AudienceList:
    ids: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)  # (row, masked cell)
    rows: int = 0


def _cell(value: object) -> tuple[str, str] | None:
    """("id" | "phone", normalised value), or None."""
    try:
        return "id", parse_national_id(value)
    except CellError:
        pass
    try:
        return "phone", parse_phone(value)
    except CellError:
        return None


def _masked(value: object) -> str:
    return mask_tail(header_text(value), 3) if header_text(value) else ""


def read_audience(path: Path) -> AudienceList:
    out = AudienceList()
    with open_rows(path) as rows:
        numbered = list(islice(rows, MAX_ROWS))
    columns: list[int] | None = None
    start = 0
    for index, (_n, cells) in enumerate(numbered[:30]):
        found = [
            i
            for i, c in enumerate(cells)
            if field_of(header_text(c), "beneficiaries") in _ID_FIELDS | _PHONE_FIELDS
        ]
        if found:
            columns, start = found, index + 1
            break
    for number, cells in numbered[start:]:
        wanted = columns if columns is not None else [0]
        values = [cells[i] for i in wanted if i < len(cells) and header_text(cells[i])]
        if not values:
            continue
        out.rows += 1
        read = [_cell(v) for v in values]
        good = [r for r in read if r is not None]
        if not good:
            out.bad.append((number, _masked(values[0])))
            continue
        for kind, value in good:
            (out.ids if kind == "id" else out.phones).append(value)
    return out


async def receive_audience_file(ctx: Context, upload: FileUpload) -> None:
    from handlers.broadcast import ask_text

    nav_options = _nav(ctx)
    if upload.too_large or len(upload.data) > MAX_UPLOAD:
        ctx.say(ctx._(MSG_FILE_TOO_BIG, size=MAX_UPLOAD // (1024 * 1024)), nav_options)
        return
    with tempfile.TemporaryDirectory(prefix="audience-") as folder:
        path = Path(folder) / "list"
        path.write_bytes(upload.data)
        try:
            found = read_audience(path)
        except ImportFileError as err:
            reason = ctx._(err.message, **err.params)
            ctx.say(ctx._(MSG_FILE_UNREADABLE, file=upload.filename, reason=reason), nav_options)
            return
    commune = ctx.state.data["commune"]
    vault = ctx.db.vault
    id_hashes = [vault.lookup_hash(i) for i in found.ids]
    phone_hashes = [vault.lookup_hash(p) for p in found.phones]
    by_id, by_phone = await ctx.tx.broadcasts.match_people(
        commune, id_hashes=id_hashes, phone_hashes=phone_hashes
    )
    ben_ids: set[int] = set()
    missing = 0
    for h in id_hashes:
        if h in by_id:
            ben_ids.add(by_id[h])
        else:
            missing += 1
    for h in phone_hashes:
        if h in by_phone:
            ben_ids.update(by_phone[h])
        else:
            missing += 1
    lines = [
        ctx._(
            MSG_FILE_READ,
            rows=found.rows,
            file=upload.filename,
            found=len(ben_ids),
            missing=missing,
            bad=len(found.bad),
        )
    ]
    lines += [
        "• " + ctx._(MSG_FILE_BAD_ROW, row=row, value=value)
        for row, value in found.bad[:SHOWN_PROBLEMS]
    ]
    await ctx.tx.audit.write(
        "broadcast_audience_file",
        user_id=ctx.user.id,
        at=ctx.now,
        rows=found.rows,
        found=len(ben_ids),
        missing=missing,
        bad=len(found.bad),
    )
    if not ben_ids:
        lines.append(ctx._(MSG_FILE_NOBODY, file=upload.filename))
        ctx.say("\n".join(lines), nav_options)
        return
    ctx.goto(
        "bc_text",
        commune=commune,
        audience="file",
        value=upload.filename[:100],
        ben_ids=sorted(ben_ids),
        missing=missing,
    )
    ctx.say("\n".join(lines))
    await ask_text(ctx)


def _nav(ctx: Context):  # type: ignore[no-untyped-def]
    from handlers.citizen import nav

    return nav(ctx)
