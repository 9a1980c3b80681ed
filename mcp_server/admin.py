"""MCP tokens and the requests made with them. A token's secret is never stored, so never shown."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest

from voiceagent.admin_records import RecordAdmin

from .models import McpRequest, McpToken
from .tokens import mcp_token_revoke


@admin.register(McpToken)
class McpTokenAdmin(RecordAdmin):
    """Issued with `manage.py mcp_token USERNAME`; here they are listed and revoked."""

    list_display = ["user", "label", "created_at", "last_used_at", "state"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at", "last_used_at"]
    search_fields = ["user__username", "label"]
    list_select_related = ["user"]
    fields = ["user", "label", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="state", ordering="revoked_at")
    def state(self, token: McpToken) -> str:
        return f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"

    @admin.action(description="Revoke selected tokens", permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset) -> None:
        for token in queryset:
            mcp_token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).", messages.SUCCESS)


@admin.register(McpRequest)
class McpRequestAdmin(RecordAdmin):
    list_display = ["at", "user", "transport", "tool", "ok"]
    list_filter = ["transport", "tool", "ok", "at"]
    search_fields = ["user__username", "tool"]
    list_select_related = ["user"]
    date_hierarchy = "at"
    fields = ["at", "user", "token", "transport", "tool", "arguments", "ok"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # an audit trail
