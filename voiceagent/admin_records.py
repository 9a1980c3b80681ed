"""Admin bases for records of what happened (calls, their events, tool calls, deliveries,
instruction history): shown, never added, edited or deleted by hand."""

from __future__ import annotations

from django.contrib import admin


class RecordInline(admin.TabularInline):
    """A read-only table of records under their parent; `fields` are all shown read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class RecordAdmin(admin.ModelAdmin):
    """A read-only admin: records are written by the system, not by staff."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
