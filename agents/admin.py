"""The agents back office: personas with their history, the numbers they answer, caller groups.

Callers (with CSV import and export) live in `caller_admin.py`.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from voiceagent.admin_records import RecordInline

from . import (
    caller_admin,  # noqa: F401  (registers CallerAdmin)
    extensions,
)
from .models import Agent, AgentVersion, CallerGroup, GroupGreeting, PhoneNumber
from .services import agent_duplicate, agent_version_record, agent_version_restore

RECENT_CALLS_DAYS = 7


class GroupGreetingInline(admin.TabularInline):
    page_order = 10  # voiceagent.admin_pages: tools 20, extraction fields 30, SMS 40, versions last
    model = GroupGreeting
    fields = ["group", "greeting"]
    extra = 0
    verbose_name = "greeting for a caller group"
    verbose_name_plural = "Greetings per caller group ({first_name} is filled in; others hear the default greeting)"


class AgentVersionInline(RecordInline):
    """Instruction history: read-only, newest first, each with a way back."""

    page_order = 90
    model = AgentVersion
    fields = ["changed_at", "changed_by", "instructions", "greeting", "restore"]
    verbose_name_plural = "History of instructions and greeting"

    def get_queryset(self, request):
        newest = AgentVersion.objects.filter(agent=OuterRef("agent")).order_by("-changed_at", "-pk").values("pk")[:1]
        return super().get_queryset(request).select_related("changed_by").annotate(newest_pk=Subquery(newest))

    def has_view_permission(self, request, obj=None) -> bool:
        # Whoever may see the agent may see how its instructions came to be.
        return request.user.has_perm("agents.view_agent") or request.user.has_perm("agents.change_agent")

    @admin.display(description="")
    def restore(self, version: AgentVersion) -> str:
        if version.pk == version.newest_pk:
            return "current"
        url = reverse("admin:agents_agent_restore_version", args=[version.agent_id, version.pk])
        return format_html('<a class="button" href="{}">Restore this version</a>', url)


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "realtime_model", "voice", "first_speaker", "turn_detection", "number_count", "is_active"]
    list_filter = ["is_active", "realtime_model", "voice", "turn_detection"]
    search_fields = ["name", "instructions", "greeting"]
    readonly_fields = ["session_preview", "updated_at"]
    # The tools' settings, the extraction fields and the SMS persona are added by their own apps'
    # admin modules (voiceagent.admin_pages.add_inline), placed by page_order.
    inlines = [GroupGreetingInline, AgentVersionInline]
    actions = ["duplicate"]
    fieldsets = [
        ("Persona", {"fields": ["name", "is_active", "instructions", "first_speaker", "greeting", "name_fallback"]}),
        (
            "Voice and audio",
            {"fields": ["voice", "realtime_model", "noise_reduction", "transcription_model", "transcription_language"]},
        ),
        (
            "Turn-taking",
            {
                "fields": [
                    "turn_detection",
                    "vad_threshold",
                    "vad_prefix_padding_ms",
                    "vad_silence_duration_ms",
                    "eagerness",
                    "max_call_seconds",
                ],
                "description": "When the caller has finished speaking, and how long a call may last. "
                "The caller can always interrupt the agent.",
            },
        ),
        (
            "Tools",
            {
                "fields": ["keypresses", "wait_audio_after_ms", "wait_audio"],
                "description": "Which tools the agent may call is set in the Tools table below; "
                "HTTP tools that reach your own systems are defined under Tools → HTTP tools.",
            },
        ),
        (
            "Outbound calls",
            {
                "fields": ["outbound_max_attempts", "outbound_retry_minutes", "voicemail_message"],
                "description": "When this agent calls people: how often to try when nobody answers, and "
                "what it leaves on an answering machine.",
            },
        ),
        (
            "After the call",
            {
                "fields": ["summary_model", "notify_emails"],
                "description": "Each finished call is summarised and emailed; the fields to extract are "
                "in the table below.",
            },
        ),
        (
            "Recording and costs",
            {
                "fields": ["record_calls", "recording_notice", "recording_retention_days", "monthly_budget"],
                "description": "Recordings hold the caller (left) and what the caller heard (right); "
                "a number can override the switch and the notice.",
            },
        ),
        (
            "What the model receives",
            {
                "fields": ["session_preview", "updated_at"],
                "description": "The session.update sent when a call connects, as last saved, for a caller "
                "we know nothing about (a known caller's name and notes are appended to the instructions).",
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(number_count=Count("numbers"))

    @admin.display(description="numbers", ordering="number_count")
    def number_count(self, agent: Agent) -> int:
        return agent.number_count

    @admin.display(description="session.update")
    def session_preview(self, agent: Agent) -> str:
        if agent.pk is None:
            return "Shown once the agent is saved."
        if extensions.session_preview is None:
            return "No preview: the tools app is not installed."
        # Folded: a page of JSON is for checking a detail, not for reading every time.
        return format_html(
            '<details class="session-preview-box"><summary>Show the session.update ({} characters)</summary>'
            '<pre class="session-preview">{}</pre></details>',
            len(preview := extensions.session_preview(agent)),
            preview,
        )

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        agent_version_record(agent=obj, user=request.user)

    @admin.action(description="Duplicate the selected agents", permissions=["add"])
    def duplicate(self, request: HttpRequest, queryset) -> None:
        copies = [agent_duplicate(agent=agent, user=request.user) for agent in queryset]
        self.message_user(request, f"Created {', '.join(copy.name for copy in copies)}.", messages.SUCCESS)

    def get_urls(self):
        restore = self.admin_site.admin_view(self.restore_version_view)
        return [
            path("<path:object_id>/versions/<int:version_id>/restore/", restore, name="agents_agent_restore_version"),
            *super().get_urls(),
        ]

    def restore_version_view(self, request: HttpRequest, object_id: str, version_id: int) -> HttpResponse:
        """GET asks to confirm (the change form can't hold a second form); POST restores."""
        version = get_object_or_404(AgentVersion.objects.select_related("agent", "changed_by"), pk=version_id)
        agent = version.agent
        if str(agent.pk) != object_id or not self.has_change_permission(request, agent):
            raise PermissionDenied
        change_url = reverse("admin:agents_agent_change", args=[agent.pk])
        if request.method == "POST":
            agent_version_restore(version=version, user=request.user)
            self.message_user(request, f"Restored the version of {version.changed_at:%Y-%m-%d %H:%M}.")
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Restore an earlier version of {agent}",
            "opts": self.opts,
            "original": agent,
            "version": version,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/agents/agent/restore_version.html", context)


@admin.register(PhoneNumber)
class PhoneNumberAdmin(admin.ModelAdmin):
    list_display = ["number", "label", "carrier", "agent", "access_policy", "recent_calls"]
    list_filter = ["carrier", "access_policy", "agent"]
    list_select_related = ["agent"]
    search_fields = ["number", "label", "agent__name"]
    fields = [
        "number",
        "label",
        "carrier",
        "agent",
        "access_policy",
        "max_calls_per_hour",
        "record_calls",
        "recording_notice",
        "calling_hours_start",
        "calling_hours_end",
    ]

    def get_queryset(self, request):
        since = timezone.now() - timedelta(days=RECENT_CALLS_DAYS)
        recent = Count("calls", filter=Q(calls__started_at__gte=since))
        return super().get_queryset(request).annotate(recent_calls=recent)

    @admin.display(description=f"calls, last {RECENT_CALLS_DAYS} days", ordering="recent_calls")
    def recent_calls(self, number: PhoneNumber) -> int:
        return number.recent_calls


@admin.register(CallerGroup)
class CallerGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "caller_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(caller_count=Count("callers"))

    @admin.display(description="callers", ordering="caller_count")
    def caller_count(self, group: CallerGroup) -> int:
        return group.caller_count
