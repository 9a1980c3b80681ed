from __future__ import annotations

from django.contrib import admin

from .models import Call, CallEvent, TranscriptItem


class TranscriptInline(admin.TabularInline):
    model = TranscriptItem
    fields = ["offset_ms", "role", "text", "interrupted", "heard_ms", "full_text"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = CallEvent
    fields = ["at", "kind", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    """A record of what happened: nothing here is editable."""

    list_display = ["started_at", "from_number", "to_number", "agent", "status", "end_reason", "duration_seconds"]
    list_filter = ["status", "end_reason", "agent"]
    search_fields = ["call_sid", "from_number", "to_number", "caller__name"]
    date_hierarchy = "started_at"
    list_select_related = ["agent"]
    inlines = [TranscriptInline, EventInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CallEvent)
class CallEventAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "call", "detail"]
    list_filter = ["kind"]
    readonly_fields = ["call", "kind", "detail", "at"]

    def has_add_permission(self, request) -> bool:
        return False
