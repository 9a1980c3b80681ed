"""Callers to and from CSV: the round trip staff use to bulk-edit the allowlist in a spreadsheet.

Import is all or nothing: every row is validated first and, if any row is wrong, nothing is
saved and each problem is reported with its line number, so the corrected file can simply be
uploaded again. Rows create or update by number; a column missing from the header leaves
that field as it is on existing callers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django import forms
from django.db import transaction

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
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)

    @property
    def ok(self) -> bool:
        return not self.errors


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
        report.errors.append((0, f"the file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB"))
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((0, "the file is not UTF-8 text (save it as CSV UTF-8)"))
        return report
    reader = csv.DictReader(io.StringIO(text))
    columns = [name.strip().lower() for name in reader.fieldnames or []]
    reader.fieldnames = columns
    if "number" not in columns:
        report.errors.append((1, "the header must have a 'number' column"))
        return report
    unknown = sorted(set(columns) - set(COLUMNS))
    if unknown:
        report.errors.append((1, f"unknown column(s): {', '.join(unknown)}; expected {', '.join(COLUMNS)}"))
        return report
    _import_rows(reader, [c for c in columns if c in COLUMNS], report)
    return report


def _import_rows(reader: csv.DictReader, columns: list[str], report: ImportReport) -> None:
    forms_by_line: list[tuple[int, CallerRowForm]] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        try:  # normalise first: the file may say "+1 (555) 010-0001" for a stored +15550100001
            number = CallerRowForm.base_fields["number"].clean((row.get("number") or "").strip())
        except forms.ValidationError as exc:
            report.errors.append((line, f"number: {' '.join(exc.messages)}"))
            continue
        if number in seen:
            report.errors.append((line, f"number: {number} already appears on line {seen[number]}"))
            continue
        seen[number] = line
        form = _row_form(row, columns, Caller.objects.select_related("group").filter(number=number).first())
        if not form.is_valid():
            report.errors.append((line, _form_errors(form)))
        forms_by_line.append((line, form))
    if report.errors:
        return
    with transaction.atomic():
        for _line, form in forms_by_line:
            is_new = form.instance.pk is None
            form.save()
            report.created += is_new
            report.updated += not is_new
