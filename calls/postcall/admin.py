"""Admin pieces for post-call work; the lead wires them into agents/admin.py and calls/admin.py.

- `ExtractionFieldInline`: on the Agent admin (`inlines`).
- `EmailDeliveryInline`: read-only, on the Call admin (`inlines`).
- `ExtractedFlagFilter`, `PostCallStatusFilter`: Call changelist `list_filter`.
- `postcall_column`, `extracted_flags_column`: Call changelist `list_display`.
- `extracted_table`: Call change page `readonly_fields` (the extraction, laid out).
- `rerun_summary_and_extraction`, `resend_summary_email`: Call admin `actions`.

Actions only schedule work (a worker, or the post-call threads without Redis): the text API
is never called inside an admin request. They need only the view permission on calls (the Call
admin grants no change permission: records are read-only); both are safe to repeat.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from agents.models import Agent
from calls.models import Call, CallStatus, EmailDelivery, ExtractionField, ExtractionKind, StepStatus
from voiceagent.admin_pages import add_inline
from voiceagent.admin_records import RecordInline

from .emails import extracted_rows
from .services import Step, postcall_enqueue

STEP_MARKS = {StepStatus.DONE: "✓", StepStatus.SKIPPED: "skipped", StepStatus.FAILED: "failed", StepStatus.PENDING: "…"}


class ExtractionFieldInline(admin.TabularInline):
    page_order = 30  # on the agent's page (voiceagent.admin_pages)
    model = ExtractionField
    fields = ["order", "name", "kind", "description", "choices"]
    extra = 0
    verbose_name = "field to extract after each call"
    verbose_name_plural = "fields to extract after each call"


class EmailDeliveryInline(RecordInline):
    model = EmailDelivery
    fields = ["recipient", "tool_call_id", "status", "attempts", "sent_at", "error"]


class ExtractedFlagFilter(admin.SimpleListFilter):
    """Calls by a yes/no extraction field, e.g. "Follow up needed: yes"."""

    title = "from the call's extraction"
    parameter_name = "flag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        choices = []
        for name in _flag_names():
            label = name.replace("_", " ").capitalize()
            choices += [(f"{name}:yes", f"{label}: yes"), (f"{name}:no", f"{label}: no")]
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Call]) -> QuerySet[Call]:
        name, _, answer = (self.value() or "").partition(":")
        if name not in _flag_names() or answer not in ("yes", "no"):
            return queryset  # only the names offered: the value comes from the query string
        return queryset.filter(**{f"extracted__{name}": answer == "yes"})


def _flag_names() -> list[str]:
    names = ExtractionField.objects.filter(kind=ExtractionKind.BOOLEAN).values_list("name", flat=True)
    return sorted(set(names))


class PostCallStatusFilter(admin.SimpleListFilter):
    title = "after the call"
    parameter_name = "postcall"
    STATUS_FIELDS = [step.status_field for step in Step]

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("failed", "A step failed"), ("pending", "In progress"), ("done", "All done or skipped")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Call]) -> QuerySet[Call]:
        value = self.value()
        if value in ("failed", "pending"):
            status = StepStatus.FAILED if value == "failed" else StepStatus.PENDING
            any_step = Q()
            for field in self.STATUS_FIELDS:
                any_step |= Q(**{field: status})
            return queryset.filter(any_step)
        if value == "done":
            finished = [StepStatus.DONE, StepStatus.SKIPPED]
            return queryset.filter(**{f"{field}__in": finished for field in self.STATUS_FIELDS})
        return queryset


@admin.display(description="After the call")
def postcall_column(call: Call) -> str:
    """E.g. "summary ✓ · fields skipped · email failed"; empty for calls that got no post-call work."""
    steps = [("summary", call.summary_status), ("fields", call.extraction_status), ("email", call.notify_status)]
    return " · ".join(f"{label} {STEP_MARKS.get(status, '?')}" for label, status in steps if status)


@admin.display(description="Flags")
def extracted_flags_column(call: Call) -> str:
    """The yes/no extraction fields answered yes, e.g. "follow_up_needed". Reads `extracted`: a changelist
    that defers JSON fields must not defer this one, or each row costs a query."""
    return ", ".join(name for name, value in (call.extracted or {}).items() if value is True)


@admin.display(description="Extracted")
def extracted_table(call: Call) -> str:
    rows = extracted_rows(call)
    if not rows:
        return "—"
    return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))


def _finished(queryset: QuerySet[Call]) -> list[int]:
    """Calls post-call work applies to: ended, not refused."""
    return list(queryset.exclude(status=CallStatus.REFUSED).filter(ended_at__isnull=False).values_list("pk", flat=True))


@admin.action(description="Re-run summary and extraction", permissions=["view"])
def rerun_summary_and_extraction(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Call]) -> None:
    """Writes a new summary and extraction; sends no email (use "resend" for that)."""
    ids = _finished(queryset)
    for call_id in ids:
        postcall_enqueue(call_id=call_id, steps=(Step.SUMMARY, Step.EXTRACTION), force=True)
    modeladmin.message_user(request, f"Summary and extraction scheduled for {len(ids)} call(s).", messages.SUCCESS)


@admin.action(description="Resend the summary email", permissions=["view"])
def resend_summary_email(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Call]) -> None:
    """An explicit resend sends again to every current recipient, even those already sent to."""
    ids = _finished(queryset)
    for call_id in ids:
        postcall_enqueue(call_id=call_id, steps=(Step.NOTIFY,), force=True)
    modeladmin.message_user(request, f"Email scheduled for {len(ids)} call(s).", messages.SUCCESS)


add_inline(Agent, ExtractionFieldInline)  # on the agent's page (voiceagent.admin_pages)
