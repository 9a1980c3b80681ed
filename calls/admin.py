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
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from agents.phone import to_e164
from voiceagent.admin_records import RecordAdmin

from . import extensions
from .call_page import call_header, call_timeline, duration_text
from .models import Call, CallDirection, CallEvent, TranscriptItem
from .outcomes import TONES, Outcome, call_outcome, outcome_expression
from .postcall.admin import (
    EmailDeliveryInline,
    ExtractedFlagFilter,
    PostCallStatusFilter,
    extracted_table,
    postcall_column,
    rerun_summary_and_extraction,
    resend_summary_email,
)
from .search import calls_matching, calls_with_number
from .transcripts import transcript_as_json, transcript_as_text

# The call page shows the header, the timeline, the summary and the extraction itself
# (admin/calls/call/change_form.html); below them, every stored field in these collapsed sections.
CALL_SECTIONS = [
    (
        "Call",
        ["carrier", "call_sid", "status", "direction", "agent", "phone_number", "caller", "from_number", "to_number"],
    ),
    ("Outbound", ["purpose", "outcome", "answered_by_raw", "attempt_number"]),
    ("Timing", ["started_at", "answered_at", "ended_at", "duration"]),
    ("How it ended", ["end_reason", "end_detail", "ended_by", "carrier_status"]),
    ("Usage", ["input_tokens", "output_tokens", "total_tokens"]),
    ("Provider ids", ["stream_sid", "stream_token_used_at"]),
    ("After the call", ["summary", "summary_status", "extraction_status", "notify_status", "postcall_error"]),
]
EXPORTS = {"txt": ("text/plain; charset=utf-8", transcript_as_text), "json": ("application/json", transcript_as_json)}


class WhenFilter(admin.DateFieldListFilter):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.title = "when"


class OutcomeFilter(admin.SimpleListFilter):
    """The outcomes of `calls.outcomes`, instead of every status and end reason."""

    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return Outcome.choices

    def queryset(self, request, queryset):
        if self.value() not in Outcome.values:
            return queryset
        return queryset.alias(supervisor_outcome=outcome_expression()).filter(supervisor_outcome=self.value())


class CallChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        heavy = [f.name for f in Call._meta.fields if isinstance(f, TextField | JSONField)]
        return super().get_queryset(request, exclude_parameters).defer(*heavy)


@admin.register(Call)
class CallAdmin(RecordAdmin):
    # One short column each, so the list fits a laptop screen; add new ones anywhere in the list.
    list_display = [
        "when",
        "caller_display",
        "direction_display",
        "line_display",
        "duration",
        "outcome_badge",
        "interrupted_turns",
        "tokens",
        postcall_column,
    ]
    list_filter = [
        OutcomeFilter,
        "direction",
        "outcome",
        "agent",
        "phone_number",
        ("started_at", WhenFilter),
        "carrier",
        PostCallStatusFilter,
        ExtractedFlagFilter,
    ]
    # Plus the transcripts and summaries, through calls_matching (get_search_results).
    search_fields = ["call_sid", "from_number", "to_number", "caller__name"]
    date_hierarchy = "started_at"
    list_select_related = ["agent", "caller", "phone_number"]
    inlines = [EmailDeliveryInline]  # tool calls and events are on the timeline
    actions = ["export_text", "export_json", rerun_summary_and_extraction, resend_summary_email]

    def get_changelist(self, request, **kwargs):
        return CallChangeList

    def get_list_display(self, request):
        # Columns other apps add (calls.extensions), before the after-the-call one.
        *base, last = super().get_list_display(request)
        return [*base, *(extra.column for extra in extensions.LIST_COLUMNS), last]

    def get_list_select_related(self, request):
        extra = [column.select_related for column in extensions.LIST_COLUMNS if column.select_related]
        return [*self.list_select_related, *extra]

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
        """The ids, numbers and caller names Django searches, a number as typed ("(555) 010-0001", read
        as the callers search reads it), or what was said (full-text on PostgreSQL)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.split():
            found = found | calls_matching(queryset, search_term)
        if number := to_e164(search_term):
            found = found | calls_with_number(queryset, number)
        return found, may_have_duplicates

    fieldsets = [(title, {"fields": names, "classes": ["collapse"]}) for title, names in CALL_SECTIONS]

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, names in CALL_SECTIONS for name in names]

    def get_inlines(self, request, obj=None):
        # An empty table under a call says nothing: shown only when there were emails.
        return self.inlines if obj is not None and obj.email_deliveries.exists() else []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        call = self.get_object(request, object_id)
        if call is not None:
            extra_context = {**(extra_context or {}), **self.page_context(call)}
        return super().change_view(request, object_id, form_url, extra_context)

    def page_context(self, call: Call) -> dict:
        downloads = {fmt: reverse("admin:calls_call_transcript", args=[call.pk, fmt]) for fmt in EXPORTS}
        header = call_header(call)
        return {
            "title": f"Call from {header['caller'] or header['number']}",
            "subtitle": "",  # the header below says it all
            "header": header,
            "timeline": call_timeline(call),
            "summary": call.summary,
            "extracted": extracted_table(call) if call.extracted else "",
            "downloads": downloads,
            **extensions.page_parts(call),  # e.g. the recording player, the cost (other apps)
        }

    @admin.display(description="when", ordering="started_at")
    def when(self, call: Call) -> str:
        started = timezone.localtime(call.started_at)
        if started.date() != timezone.localdate():
            day = "%b %d" if started.year == timezone.localdate().year else "%b %d %Y"
            return format_html('<span class="when">{}</span>', started.strftime(f"{day}, %H:%M:%S"))
        ago = timesince(call.started_at, depth=1)
        ago = "just now" if ago.startswith("0\xa0") else f"{ago} ago"
        return format_html('<span class="when">{}</span><br><small>{}</small>', f"{started:%H:%M:%S}", ago)

    @admin.display(description="caller", ordering="caller__name")
    def caller_display(self, call: Call) -> str:
        other_party = call.to_number if call.direction == CallDirection.OUTBOUND else call.from_number
        if call.caller_id and call.caller.name:
            return format_html("{}<br><small>{}</small>", call.caller.name, other_party)
        return other_party

    @admin.display(description="direction", ordering="direction")
    def direction_display(self, call: Call) -> str:
        """Inbound, or Outbound with who answered and which attempt (calls placed by outbound/)."""
        if call.direction != CallDirection.OUTBOUND:
            return "Inbound"
        detail = [call.get_outcome_display()] if call.outcome else []
        if call.attempt_number and call.attempt_number > 1:
            detail.append(f"attempt {call.attempt_number}")
        return format_html("Outbound<br><small>{}</small>", " · ".join(detail))

    @admin.display(description="line · agent", ordering="phone_number__label")
    def line_display(self, call: Call) -> str:
        ours = call.from_number if call.direction == CallDirection.OUTBOUND else call.to_number
        line = (call.phone_number.label or call.phone_number.number) if call.phone_number_id else ours
        return format_html("{}<br><small>{}</small>", line, call.agent.name if call.agent_id else "no agent")

    @admin.display(description="duration", ordering="duration_seconds")
    def duration(self, call: Call) -> str:
        return duration_text(call.duration_seconds)

    @admin.display(description="outcome")
    def outcome_badge(self, call: Call) -> str:
        outcome = call_outcome(call)
        title = call.get_end_reason_display() if call.end_reason else call.get_status_display()
        badge = '<span class="outcome outcome-{}" title="{}">{}</span>'
        return format_html(badge, TONES[outcome], title, outcome.label)

    @admin.display(description="interrupted", ordering="interrupted_turns")
    def interrupted_turns(self, call: Call) -> int:
        return call.interrupted_turns

    @admin.display(description="tokens", ordering="total_tokens")
    def tokens(self, call: Call) -> int:
        return call.total_tokens

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
    list_display = ["when", "kind", "call_link", "detail"]
    list_filter = ["kind", "at"]
    list_select_related = ["call"]
    search_fields = ["detail", "call__call_sid"]
    date_hierarchy = "at"
    readonly_fields = ["call", "kind", "detail", "at"]

    @admin.display(description="when", ordering="at")
    def when(self, event: CallEvent) -> str:
        return f"{timezone.localtime(event.at):%b %d, %H:%M:%S}"

    @admin.display(description="call", ordering="call__started_at")
    def call_link(self, event: CallEvent) -> str:
        # The caller's number, not the call's long description, so the Detail column keeps its room.
        if event.call_id is None:
            return "—"
        url = reverse("admin:calls_call_change", args=[event.call_id])
        return format_html('<a href="{}">{}</a>', url, event.call.from_number)
