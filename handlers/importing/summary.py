"""The summary of an import, in the officer's language (terminal and chat)."""

from __future__ import annotations

from handlers.i18n import Translator, _
from handlers.importing.service import ImportSummary


def summary_lines(s: ImportSummary, t: Translator, *, chat: bool = False) -> list[str]:
    """``chat``: for an officer in the chat, who has no command-line options."""
    if s.outcome == "file_error":
        return [t.gettext(_("The file cannot be imported: {reason}"), reason=s.file_error or "")]
    c = s.counts
    lines = [
        t.gettext(
            _("{file}: {rows} rows read, {valid} valid, {invalid} with errors."),
            file=s.path.name,
            rows=s.rows,
            valid=s.valid,
            invalid=s.invalid,
        )
    ]
    applied = s.outcome == "applied"
    n = {"created": c.created, "updated": c.updated, "unchanged": c.unchanged}
    if s.kind == "beneficiaries" and applied:
        lines.append(
            t.gettext(
                _("Beneficiaries: {created} added, {updated} changed, {unchanged} unchanged."), **n
            )
        )
    elif s.kind == "beneficiaries":
        lines.append(
            t.gettext(
                _("Beneficiaries: {created} to add, {updated} to change, {unchanged} unchanged."),
                **n,
            )
        )
    elif applied:
        lines.append(
            t.gettext(
                _("Payments: {created} added, {updated} changed, {unchanged} unchanged."), **n
            )
        )
    else:
        lines.append(
            t.gettext(
                _("Payments: {created} to add, {updated} to change, {unchanged} unchanged."), **n
            )
        )
    if s.kind == "payments":
        became = {k: c.became.get(k, 0) for k in ("paid", "failed", "returned", "pending")}
        if applied:
            lines.append(
                t.gettext(
                    _(
                        "Became paid: {paid}, failed: {failed}, returned: {returned}, pending: {pending}."
                    ),
                    **became,
                )
            )
        else:
            lines.append(
                t.gettext(
                    _(
                        "Would become paid: {paid}, failed: {failed}, returned: {returned}, "
                        "pending: {pending}."
                    ),
                    **became,
                )
            )
    if s.unknown_columns:
        lines.append(
            t.gettext(_("Columns not used: {columns}."), columns=", ".join(s.unknown_columns))
        )
    if s.rows == 0 and s.outcome in ("applied", "dry_run"):
        lines.append(t.gettext(_("The file has no data rows under its header: nothing to import.")))
        return lines
    if s.outcome == "rejected" and chat:
        lines.append(
            t.gettext(
                _(
                    "Nothing was imported, because {invalid} rows have errors; the attached "
                    "report lists them. Please fix those rows and send the file again."
                ),
                invalid=s.invalid,
            )
        )
    elif s.outcome == "rejected":
        lines.append(
            t.gettext(
                _(
                    "Nothing was imported, because {invalid} rows have errors. Fix them, or run "
                    "again with --skip-invalid to import only the valid rows."
                ),
                invalid=s.invalid,
            )
        )
    elif s.outcome == "dry_run":
        lines.append(t.gettext(_("Check only (--dry-run): nothing was changed.")))
    elif s.invalid:
        lines.append(t.gettext(_("Imported; the rows with errors were left out.")))
    else:
        lines.append(t.gettext(_("Imported.")))
    if s.report_path is not None:
        lines.append(t.gettext(_("Row-by-row report: {path}"), path=str(s.report_path)))
    return lines
