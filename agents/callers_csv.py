"""Callers to and from CSV: the round trip staff use to bulk-edit the allowlist in a spreadsheet.

Good rows are imported and each bad row is reported with its line number and reason, so a
spreadsheet with one typo still loads the other callers and the report says which lines to fix
(uploading the corrected file again is safe: rows update by number). A file that cannot be read
as callers at all (no `number` column, unknown columns, not UTF-8, too large) imports nothing.
Rows create or update by number; a column missing from the header leaves that field as it is on
existing callers. Numbers may be national (read in `PHONE_DEFAULT_REGION`) or international.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django import forms

from .models import Caller, CallerGroup, CallerStatus

COLUMNS = ["number", "name", "group", "email", "language", "status", "notes"]
MAX_IMPORT_BYTES = 2_000_000


class CallerRowForm(forms.ModelForm):
    """One CSV row; the group is given by name, the status by its value."""

    group = forms.ModelChoiceField(
        CallerGroup.objects.all(),
        to_field_name="name",
        required=False,
        error_messages={"invalid_choice": "unknown group (create it under Caller groups first)"},
    )

    class Meta:
        model = Caller
        fields = COLUMNS


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message), bad rows
    refused: str = ""  # why the whole file was refused; then nothing was read

    @property
    def ok(self) -> bool:
        return not self.errors and not self.refused


def callers_export(*, callers: Iterable[Caller]) -> str:
    """The callers as CSV text with a header row, in the format import reads."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for caller in callers:
        group = caller.group.name if caller.group_id else ""
        writer.writerow([caller.number, caller.name, group, caller.email, caller.language, caller.status, caller.notes])
    return out.getvalue()


def _row_form(row: dict[str, str], columns: list[str], existing: Caller | None) -> CallerRowForm:
    data = {name: (row.get(name) or "").strip() for name in columns}
    if existing is not None:
        # Columns the file leaves out keep their current values.
        kept = {name: getattr(existing, name) for name in COLUMNS if name not in columns and name != "group"}
        if "group" not in columns:
            kept["group"] = existing.group.name if existing.group_id else ""
        data = {**kept, **data}
    data["status"] = data.get("status") or CallerStatus.ALLOWED
    return CallerRowForm(data=data, instance=existing)


def _form_errors(form: CallerRowForm) -> str:
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in form.errors.items())


def callers_import(*, data: bytes) -> ImportReport:
    """Create or update callers from CSV bytes (UTF-8, Excel's BOM accepted)."""
    report = ImportReport()
    if len(data) > MAX_IMPORT_BYTES:
        report.refused = f"the file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB"
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.refused = "the file is not UTF-8 text (save it as CSV UTF-8)"
        return report
    reader = csv.DictReader(io.StringIO(text))
    columns = [name.strip().lower() for name in reader.fieldnames or []]
    reader.fieldnames = columns
    if "number" not in columns:
        report.refused = "the header (line 1) must have a 'number' column"
        return report
    unknown = sorted(set(columns) - set(COLUMNS))
    if unknown:
        report.refused = f"unknown column(s) in line 1: {', '.join(unknown)}; expected {', '.join(COLUMNS)}"
        return report
    _import_rows(reader, [c for c in columns if c in COLUMNS], report)
    return report


def _import_rows(reader: csv.DictReader, columns: list[str], report: ImportReport) -> None:
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        problem = _import_row(row, columns, seen, line, report)
        if problem:
            report.errors.append((line, problem))


def _import_row(row: dict[str, str], columns: list[str], seen: dict[str, int], line: int, report: ImportReport) -> str:
    """Save one row; the reason it was not saved, or "" when it was."""
    try:  # normalise first: the file may say "(555) 010-0001" for a stored +15550100001
        number = CallerRowForm.base_fields["number"].clean((row.get("number") or "").strip())
    except forms.ValidationError as exc:
        return f"number: {' '.join(exc.messages)}"
    if number in seen:
        return f"number: {number} already appears on line {seen[number]}"
    seen[number] = line
    form = _row_form(row, columns, Caller.objects.select_related("group").filter(number=number).first())
    if not form.is_valid():
        return _form_errors(form)
    is_new = form.instance.pk is None
    form.save()
    report.created += is_new
    report.updated += not is_new
    return ""
