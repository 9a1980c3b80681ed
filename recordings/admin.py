"""Recordings in the admin: listened to and deleted, never edited. Deleting removes the file too."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from .display import recording_url
from .models import Recording, RecordingStatus
from .services import recording_delete


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ["started_at", "call", "agent", "length", "size", "status", "listen"]
    list_filter = ["status", "call__agent", "started_at"]
    search_fields = ["call__call_sid", "call__from_number", "call__to_number"]
    list_select_related = ["call", "call__agent"]
    date_hierarchy = "started_at"
    readonly_fields = ["call", "status", "file", "spool_path", "duration_ms", "size_bytes", "started_at", "stored_at"]
    actions = ["delete_recordings"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Recording | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # ours deletes the files as well
        return actions

    @admin.display(description="agent", ordering="call__agent__name")
    def agent(self, recording: Recording) -> str:
        return str(recording.call.agent or "—")

    @admin.display(description="length", ordering="duration_ms")
    def length(self, recording: Recording) -> str:
        seconds = recording.duration_ms // 1000
        return f"{seconds // 60}:{seconds % 60:02d}"

    @admin.display(description="size", ordering="size_bytes")
    def size(self, recording: Recording) -> str:
        return f"{recording.size_bytes / 1_000_000:.1f} MB"

    @admin.display(description="listen")
    def listen(self, recording: Recording) -> str:
        if recording.status != RecordingStatus.STORED:
            return "—"
        return format_html('<a href="{}">WAV</a>', recording_url(recording.call.call_sid))

    @admin.action(description="Delete selected recordings (and their files)", permissions=["delete"])
    def delete_recordings(self, request: HttpRequest, queryset) -> None:
        count = 0
        for recording in queryset.select_related("call"):
            recording_delete(recording=recording)
            count += 1
        self.message_user(request, f"Deleted {count} recording(s).")

    def delete_model(self, request: HttpRequest, obj: Recording) -> None:
        recording_delete(recording=obj)
