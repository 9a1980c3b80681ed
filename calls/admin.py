"""Calls in the admin: records of what happened, so nothing here can be edited.

The changelist is one query for the page whatever its length: related rows are joined, the
interrupted turns counted in the same query, and long text columns deferred.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, JSONField, OuterRef, Subquery, TextField
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html

from tools.admin import ToolInvocationInline
from voiceagent.admin_records import RecordAdmin, RecordInline

from .models import Call, CallDirection, CallEvent, TranscriptItem
from .postcall.admin import (
    EmailDeliveryInline,
    ExtractedFlagFilter,
    PostCallStatusFilter,
    extracted_table,
    postcall_column,
    rerun_summary_and_extraction,
    resend_summary_email,
)
from .search import calls_matching
from .transcripts import transcript_as_json, transcript_as_text, transcript_turns

# Fields shown in designed sections; any other Call field (new ones included) lands in "After the call".
CALL_SECTIONS = [
    (
        "Call",
        ["carrier", "call_sid", "status", "direction", "agent", "phone_number", "caller", "from_number", "to_number"],
    ),
    ("Outbound", ["purpose", "outcome", "answered_by_raw", "attempt_number"]),
    ("Timing", ["started_at", "answered_at", "ended_at", "duration_seconds"]),
    ("How it ended", ["end_reason", "end_detail", "ended_by", "carrier_status"]),
    ("Transcript", ["transcript_timeline", "transcript_downloads"]),
    ("Usage", ["input_tokens", "output_tokens", "total_tokens"]),
    ("Provider ids", ["stream_sid", "stream_token_used_at"]),
    (
        "After the call",
        ["summary", "extracted_table", "summary_status", "extraction_status", "notify_status", "postcall_error"],
    ),
]
EXPORTS = {"txt": ("text/plain; charset=utf-8", transcript_as_text), "json": ("application/json", transcript_as_json)}


class EventInline(RecordInline):
    model = CallEvent
    fields = ["at", "kind", "detail"]


class CallChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        heavy = [f.name for f in Call._meta.fields if isinstance(f, TextField | JSONField)]
        return super().get_queryset(request, exclude_parameters).defer(*heavy)


@admin.register(Call)
class CallAdmin(RecordAdmin):
    list_display = [
        "started_at",
        "caller_display",
        "direction",
        "phone_number",
        "agent",
        "duration",
        "status",
        "outcome",
        "attempt_number",
        "end_reason",
        "interrupted_turns",
        "total_tokens",
        postcall_column,
    ]
    list_filter = [
        "direction",
        "outcome",
        "status",
        "end_reason",
        "carrier",
        "agent",
        "phone_number",
        "started_at",
        PostCallStatusFilter,
        ExtractedFlagFilter,
    ]
    # Plus the transcripts and summaries, through calls_matching (get_search_results).
    search_fields = ["call_sid", "from_number", "to_number", "caller__name"]
    date_hierarchy = "started_at"
    list_select_related = ["agent", "caller", "phone_number"]
    inlines = [ToolInvocationInline, EmailDeliveryInline, EventInline]
    actions = ["export_text", "export_json", rerun_summary_and_extraction, resend_summary_email]

    def get_changelist(self, request, **kwargs):
        return CallChangeList

    def get_queryset(self, request):
        # A correlated subquery rather than a join: the page's count and date queries stay plain.
        interrupted = (
            TranscriptItem.objects.filter(call=OuterRef("pk"), interrupted=True)
            .order_by()
            .values("call")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(interrupted_turns=Coalesce(Subquery(interrupted), 0))

    def get_search_results(self, request, queryset, search_term):
        """The ids, numbers and caller names Django searches, or what was said (full-text on PostgreSQL)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.split():
            found = found | calls_matching(queryset, search_term)
        return found, may_have_duplicates

    fieldsets = [(title, {"fields": names}) for title, names in CALL_SECTIONS]

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, names in CALL_SECTIONS for name in names]

    extracted_table = staticmethod(extracted_table)

    @admin.display(description="caller", ordering="caller__name")
    def caller_display(self, call: Call) -> str:
        other_party = call.to_number if call.direction == CallDirection.OUTBOUND else call.from_number
        return call.caller.name if call.caller_id and call.caller.name else other_party

    @admin.display(description="duration", ordering="duration_seconds")
    def duration(self, call: Call) -> str:
        if call.duration_seconds is None:
            return "—"
        return f"{call.duration_seconds // 60}:{call.duration_seconds % 60:02d}"

    @admin.display(description="interrupted", ordering="interrupted_turns")
    def interrupted_turns(self, call: Call) -> int:
        return call.interrupted_turns

    @admin.display(description="transcript")
    def transcript_timeline(self, call: Call) -> str:
        turns = transcript_turns(items=call.transcript.all())
        return render_to_string("admin/calls/call/timeline.html", {"turns": turns})

    @admin.display(description="download")
    def transcript_downloads(self, call: Call) -> str:
        text, json_url = (reverse("admin:calls_call_transcript", args=[call.pk, fmt]) for fmt in ("txt", "json"))
        return format_html('<a href="{}">Text</a> · <a href="{}">JSON</a>', text, json_url)

    def _export(self, calls, fmt: str, filename: str) -> HttpResponse:
        content_type, render = EXPORTS[fmt]
        calls = calls.select_related("agent", "caller").prefetch_related("transcript")
        response = HttpResponse(render(calls=calls), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
        return response

    @admin.action(description="Export transcripts as text", permissions=["view"])
    def export_text(self, request: HttpRequest, queryset) -> HttpResponse:
        return self._export(queryset, "txt", "transcripts")

    @admin.action(description="Export transcripts as JSON", permissions=["view"])
    def export_json(self, request: HttpRequest, queryset) -> HttpResponse:
        return self._export(queryset, "json", "transcripts")

    def get_urls(self):
        view = self.admin_site.admin_view(self.transcript_view)
        return [path("<int:pk>/transcript.<str:fmt>", view, name="calls_call_transcript"), *super().get_urls()]

    def transcript_view(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
        call = get_object_or_404(Call, pk=pk)
        if not self.has_view_permission(request, call):
            raise PermissionDenied
        if fmt not in EXPORTS:
            raise Http404
        return self._export(Call.objects.filter(pk=pk), fmt, f"transcript-{call.call_sid}")


@admin.register(CallEvent)
class CallEventAdmin(RecordAdmin):
    list_display = ["at", "kind", "call", "detail"]
    list_filter = ["kind", "at"]
    list_select_related = ["call"]
    search_fields = ["detail", "call__call_sid"]
    date_hierarchy = "at"
    readonly_fields = ["call", "kind", "detail", "at"]
