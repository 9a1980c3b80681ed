"""Tools in the admin: per-agent switches and settings, HTTP tools, messages.

Each tool call is shown on its call's page (calls/admin.py), which builds on this app.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.functional import cached_property

from agents.models import Agent
from voiceagent.admin_pages import add_inline
from voiceagent.admin_records import RecordAdmin

from .models import HttpTool, TakenMessage, ToolInvocation, ToolSetting
from .registry import BUILTIN
from .settings_form import ToolSettingsWidget, settings_from_inputs


def _tool_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(BUILTIN)]


class ToolSettingForm(forms.ModelForm):
    """A tool and its settings, the settings as fields from the tool's schema (settings_form.py)."""

    tool = forms.ChoiceField(choices=_tool_choices)
    settings = forms.Field(required=False, widget=ToolSettingsWidget)

    class Meta:
        model = ToolSetting
        fields = ["tool", "enabled", "settings"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["settings"].widget.tool = self.instance.tool or ""

    def _typed(self, tool_name: str, raw: dict) -> tuple[dict, list[str]]:
        tool = BUILTIN.get(tool_name)
        return settings_from_inputs(tool.settings_schema if tool else None, raw.get(tool_name, {}))

    def clean(self) -> dict:
        cleaned = super().clean()
        raw = cleaned.get("settings")
        if isinstance(raw, dict) and "tool" in cleaned:
            cleaned["settings"], problems = self._typed(cleaned["tool"], raw)
            for problem in problems:
                self.add_error("settings", problem)
        return cleaned

    @cached_property
    def changed_data(self) -> list[str]:
        """The settings changed when what was typed means other settings than were saved (the
        inputs of every tool are posted, so comparing them with the saved settings would not do)."""
        changed = [name for name in super().changed_data if name != "settings"]
        raw = self["settings"].data if self.is_bound else None
        if isinstance(raw, dict):
            typed, problems = self._typed(self["tool"].data or "", raw)
            if problems or typed != (self.initial.get("settings") or {}):
                changed.append("settings")
        return changed


class ToolSettingInline(admin.TabularInline):
    """On the Agent page: which built-in tools the agent may call, and their settings."""

    page_order = 20

    model = ToolSetting
    form = ToolSettingForm
    extra = 0


class BlankJSONField(forms.JSONField):
    """A JSON input that starts empty, not with `null`."""

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


class HttpToolForm(forms.ModelForm):
    """Header values are secrets: never shown again once saved; leave the field empty to keep them."""

    new_headers = BlankJSONField(
        required=False,
        label="Headers",
        help_text='JSON object, e.g. {"Authorization": "Bearer …"}. Saved values are never shown; '
        "leave empty to keep them, or enter {} to remove them.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = HttpTool
        exclude = ["headers"]

    def save(self, commit: bool = True) -> HttpTool:
        if self.cleaned_data.get("new_headers") is not None:
            self.instance.headers = self.cleaned_data["new_headers"]
        return super().save(commit)


@admin.register(HttpTool)
class HttpToolAdmin(admin.ModelAdmin):
    form = HttpToolForm
    list_display = ["name", "agent", "method", "url_template", "enabled"]
    list_filter = ["enabled", "agent"]
    search_fields = ["name", "description", "url_template"]
    readonly_fields = ["saved_headers"]

    @admin.display(description="Saved headers")
    def saved_headers(self, obj: HttpTool) -> str:
        names = sorted((obj.headers or {}).keys())
        return ", ".join(f"{name}: (hidden)" for name in names) or "none"


@admin.register(TakenMessage)
class TakenMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "caller_name", "callback_number", "text", "handled"]
    list_filter = ["handled"]
    search_fields = ["caller_name", "callback_number", "text"]
    readonly_fields = ["call", "caller_name", "callback_number", "text", "created_at"]
    actions = ["mark_handled"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Mark as handled")
    def mark_handled(self, request, queryset) -> None:
        queryset.update(handled=True)


@admin.register(ToolInvocation)
class ToolInvocationAdmin(RecordAdmin):
    list_display = ["created_at", "name", "call", "error", "duration_ms"]
    list_filter = ["name"]
    readonly_fields = ["call", "provider_call_id", "name", "arguments", "result", "error", "duration_ms", "created_at"]


add_inline(Agent, ToolSettingInline)  # on the agent's page (voiceagent.admin_pages)
